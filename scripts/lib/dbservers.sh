# SPDX-License-Identifier: Apache-2.0
# dbservers.sh: private PostgreSQL and MariaDB servers for the tests.
# Sourced. Each server listens on 127.0.0.1 only, on a free port, with all
# its files under the directory the caller names; the system services and
# /etc configuration are never used. A start function that fails says why,
# shows the server log and returns 1 without exiting, so the caller can go
# on without that database.
#
#   aa_pg_start DIR     exports AA_TEST_PGSQL_PARAMS, AA_PG_PID
#   aa_pg_stop
#   aa_mysql_start DIR  exports AA_TEST_MYSQL_PARAMS, AA_MY_PID
#   aa_mysql_stop
#   (aa_free_port and aa_pid_alive come from proc.sh)
#
# NB: DIR must not contain spaces (it ends up in server option strings),
# and stays short: Unix socket paths are limited to 107 bytes.

# shellcheck source=scripts/lib/proc.sh
. "$(dirname "${BASH_SOURCE[0]}")/proc.sh"

AA_PG_DIR=""
AA_PG_BIN=""
AA_MY_DIR=""

# aa_db_dir DIR SUB USER: makes DIR/SUB owned by USER (when root) and
# checks that USER can reach it. Prints the absolute path.
aa_db_dir() {
    local dir=$1 sub=$2 user=$3 abs
    mkdir -p "$dir/$sub" || return 1
    abs=$(cd "$dir/$sub" && pwd) || return 1
    if [ "$(id -u)" = 0 ]; then
        # mktemp -d gives 0700; the server user must traverse DIR.
        chmod go+rx "$dir" || return 1
        chown -R "$user:$user" "$abs" || return 1
        if ! setpriv --reuid="$user" --regid="$user" --clear-groups \
            test -w "$abs"; then
            echo "$user cannot write $abs (a parent without o+x?)" >&2
            return 1
        fi
    fi
    echo "$abs"
}

# aa_tail_log NAME FILE...: shows why a server failed.
aa_tail_log() {
    local name=$1 f
    shift
    for f in "$@"; do
        [ -s "$f" ] || continue
        echo "--- $name: last lines of $f" >&2
        tail -n 20 "$f" >&2
    done
}

# --- PostgreSQL -------------------------------------------------------

# aa_pg_as CMD...: runs CMD as the cluster owner, from the cluster's
# directory (the caller's cwd may be unreadable for postgres).
aa_pg_as() {
    if [ "$(id -u)" = 0 ]; then
        (cd "$AA_PG_DIR" && setpriv --reuid=postgres --regid=postgres \
            --clear-groups -- "$@")
    else
        (cd "$AA_PG_DIR" && "$@")
    fi
}

aa_pg_find_bin() {
    local bin
    # The highest major version wins; an unmatched glob fails the test.
    bin=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
    if [ ! -x "$bin/initdb" ] || [ ! -x "$bin/pg_ctl" ]; then
        echo "no /usr/lib/postgresql/*/bin/initdb (install postgresql)" >&2
        return 1
    fi
    echo "$bin"
}

aa_pg_start() {
    local dir=${1:?aa_pg_start DIR} port log opts

    if [ -n "${AA_PG_PID:-}" ]; then
        echo "aa_pg_start: already running (pid $AA_PG_PID)" >&2
        return 1
    fi
    AA_PG_BIN=$(aa_pg_find_bin) || return 1
    command -v psql >/dev/null || {
        echo "aa_pg_start: psql missing" >&2
        return 1
    }
    AA_PG_DIR=$(aa_db_dir "$dir" pg postgres) || {
        echo "aa_pg_start: cannot prepare $dir/pg" >&2
        return 1
    }
    log=$AA_PG_DIR/server.log
    # The socket is trusted, so only its owner (and root) may reach it.
    mkdir -p "$AA_PG_DIR/sock" && chmod 700 "$AA_PG_DIR/sock" || return 1
    if [ "$(id -u)" = 0 ]; then
        chown postgres:postgres "$AA_PG_DIR/sock" || return 1
    fi

    if ! aa_pg_as "$AA_PG_BIN/initdb" -D "$AA_PG_DIR/data" -U postgres \
        -A trust --no-sync -E UTF8 --locale=C.UTF-8 \
        >"$AA_PG_DIR/initdb.log" 2>&1; then
        echo "aa_pg_start: initdb failed" >&2
        aa_tail_log postgresql "$AA_PG_DIR/initdb.log"
        return 1
    fi
    # Socket: trusted (see above). TCP: password only.
    printf '%s\n' 'local all all trust' \
        'host all all 127.0.0.1/32 scram-sha-256' \
        >"$AA_PG_DIR/data/pg_hba.conf"

    # Durability is worthless for throw-away test data.
    opts="-c listen_addresses=127.0.0.1 -k $AA_PG_DIR/sock -c fsync=off"
    opts="$opts -c synchronous_commit=off -c full_page_writes=off"
    for _ in 1 2 3; do
        port=$(aa_free_port) || return 1
        if aa_pg_as "$AA_PG_BIN/pg_ctl" -D "$AA_PG_DIR/data" -l "$log" \
            -w -t 30 -o "$opts -p $port" start >>"$AA_PG_DIR/ctl.log" 2>&1
        then
            break
        fi
        port=""
        # Retry only a lost race for the port.
        grep -qs 'could not bind' "$log" || break
    done
    if [ -z "$port" ]; then
        echo "aa_pg_start: the server did not start" >&2
        aa_tail_log postgresql "$AA_PG_DIR/ctl.log" "$log"
        # A start that timed out may have left a postmaster behind.
        if [ -f "$AA_PG_DIR/data/postmaster.pid" ]; then
            aa_pg_as "$AA_PG_BIN/pg_ctl" -D "$AA_PG_DIR/data" \
                -m immediate -w stop >>"$AA_PG_DIR/ctl.log" 2>&1 || true
        fi
        return 1
    fi
    AA_PG_PID=$(head -n 1 "$AA_PG_DIR/data/postmaster.pid")
    export AA_PG_PID

    if ! psql -X -q -v ON_ERROR_STOP=1 -h "$AA_PG_DIR/sock" -p "$port" \
        -U postgres -d postgres \
        -c "CREATE ROLE agent LOGIN PASSWORD 'agentpw'" \
        -c "CREATE DATABASE agentdb OWNER agent ENCODING 'UTF8'" \
        >>"$AA_PG_DIR/ctl.log" 2>&1; then
        echo "aa_pg_start: cannot create role agent / database agentdb" >&2
        aa_tail_log postgresql "$AA_PG_DIR/ctl.log" "$log"
        aa_pg_stop
        return 1
    fi

    # Prove the path the tests take: TCP with a password.
    AA_TEST_PGSQL_PARAMS="host=127.0.0.1 port=$port dbname=agentdb"
    AA_TEST_PGSQL_PARAMS="$AA_TEST_PGSQL_PARAMS user=agent password=agentpw"
    AA_TEST_PGSQL_PARAMS="$AA_TEST_PGSQL_PARAMS connect_timeout=5"
    if ! psql -X -q -At "$AA_TEST_PGSQL_PARAMS" -c 'SELECT 1' \
        >>"$AA_PG_DIR/ctl.log" 2>&1; then
        echo "aa_pg_start: agent cannot log in over TCP" >&2
        aa_tail_log postgresql "$AA_PG_DIR/ctl.log" "$log"
        aa_pg_stop
        return 1
    fi
    export AA_TEST_PGSQL_PARAMS
}

aa_pg_stop() {
    local pid=${AA_PG_PID:-} comm
    [ -n "$pid" ] || return 0

    if ! aa_pg_as "$AA_PG_BIN/pg_ctl" -D "$AA_PG_DIR/data" -m fast -w \
        -t 30 stop >>"$AA_PG_DIR/ctl.log" 2>&1; then
        # SIGINT is a fast stop; check the PID is still our postmaster.
        comm=$(cat "/proc/$pid/comm" 2>/dev/null) || comm=""
        if [ "$comm" = postgres ]; then
            kill -INT "$pid" 2>/dev/null || true
        fi
        for _ in $(seq 1 300); do
            aa_pid_alive "$pid" || break
            sleep 0.1
        done
    fi
    if aa_pid_alive "$pid"; then
        echo "aa_pg_stop: postgres pid $pid did not stop" >&2
        return 1
    fi
    unset AA_PG_PID AA_TEST_PGSQL_PARAMS
}

# --- MariaDB ----------------------------------------------------------

aa_mysql_start() {
    local dir=${1:?aa_mysql_start DIR} port pid i ok sock me
    local inst_opts=() run_opts=()
    local sql="CREATE DATABASE agentdb CHARACTER SET utf8mb4;
CREATE USER 'agent'@'127.0.0.1' IDENTIFIED BY 'agentpw';
GRANT ALL ON agentdb.* TO 'agent'@'127.0.0.1';"

    if [ -n "${AA_MY_PID:-}" ]; then
        echo "aa_mysql_start: already running (pid $AA_MY_PID)" >&2
        return 1
    fi
    for i in mariadbd mariadb-install-db mariadb mariadb-admin; do
        command -v "$i" >/dev/null || {
            echo "aa_mysql_start: $i missing (install mariadb-server)" >&2
            return 1
        }
    done
    AA_MY_DIR=$(aa_db_dir "$dir" my mysql) || {
        echo "aa_mysql_start: cannot prepare $dir/my" >&2
        return 1
    }
    sock=$AA_MY_DIR/mysqld.sock
    # Root runs mariadbd as mysql (it drops privileges itself); anyone
    # else runs it as themselves, and their own name gets socket auth.
    me=$(id -un)
    if [ "$me" = root ]; then
        inst_opts=(--user=mysql)
        run_opts=(--user=mysql)
    else
        inst_opts=(--auth-root-socket-user="$me")
    fi

    # --no-defaults: /etc/mysql/my.cnf points at /run/mysqld and such.
    if ! (cd "$AA_MY_DIR" && mariadb-install-db --no-defaults \
        "${inst_opts[@]}" --datadir="$AA_MY_DIR/data" \
        --auth-root-authentication-method=socket --skip-test-db \
        --skip-name-resolve) >"$AA_MY_DIR/install.log" 2>&1; then
        echo "aa_mysql_start: mariadb-install-db failed" >&2
        aa_tail_log mariadb "$AA_MY_DIR/install.log"
        return 1
    fi

    for _ in 1 2 3; do
        port=$(aa_free_port) || return 1
        # mariadbd (as mysql) creates its log; each try starts afresh.
        rm -f "$AA_MY_DIR/error.log" "$AA_MY_DIR/stdout.log"
        mariadbd --no-defaults "${run_opts[@]}" --datadir="$AA_MY_DIR/data" \
            --socket="$sock" --port="$port" --bind-address=127.0.0.1 \
            --pid-file="$AA_MY_DIR/mysqld.pid" \
            --log-error="$AA_MY_DIR/error.log" --skip-name-resolve \
            --innodb-flush-log-at-trx-commit=0 \
            --innodb-buffer-pool-size=64M \
            </dev/null >>"$AA_MY_DIR/stdout.log" 2>&1 &
        pid=$!
        ok=""
        for i in $(seq 1 300); do
            aa_pid_alive "$pid" || break
            if mariadb-admin --no-defaults --socket="$sock" -u"$me" \
                ping >/dev/null 2>&1; then
                ok=1
                break
            fi
            sleep 0.1
        done
        [ -n "$ok" ] && break
        aa_mysql_kill "$pid" || true
        # Retry only a lost race for the port.
        grep -qs 'Address already in use' "$AA_MY_DIR/error.log" \
            "$AA_MY_DIR/stdout.log" || break
    done
    if [ -z "$ok" ]; then
        echo "aa_mysql_start: the server did not start" >&2
        aa_tail_log mariadb "$AA_MY_DIR/stdout.log" "$AA_MY_DIR/error.log"
        return 1
    fi
    AA_MY_PID=$pid
    export AA_MY_PID

    if ! mariadb --no-defaults --socket="$sock" -u"$me" -e "$sql" \
        >>"$AA_MY_DIR/stdout.log" 2>&1; then
        echo "aa_mysql_start: cannot create user agent / database agentdb" >&2
        aa_tail_log mariadb "$AA_MY_DIR/stdout.log" "$AA_MY_DIR/error.log"
        aa_mysql_stop
        return 1
    fi

    # host=localhost would mean the compiled-in socket (P18): use TCP.
    if ! MYSQL_PWD=agentpw mariadb --no-defaults -h 127.0.0.1 -P "$port" \
        -u agent agentdb -e 'SELECT 1' >>"$AA_MY_DIR/stdout.log" 2>&1; then
        echo "aa_mysql_start: agent cannot log in over TCP" >&2
        aa_tail_log mariadb "$AA_MY_DIR/stdout.log" "$AA_MY_DIR/error.log"
        aa_mysql_stop
        return 1
    fi
    # reconnect=0: a silent reconnect leaves stale statements (P13).
    AA_TEST_MYSQL_PARAMS="host=127.0.0.1 port=$port dbname=agentdb"
    AA_TEST_MYSQL_PARAMS="$AA_TEST_MYSQL_PARAMS user=agent pass=agentpw"
    AA_TEST_MYSQL_PARAMS="$AA_TEST_MYSQL_PARAMS reconnect=0"
    export AA_TEST_MYSQL_PARAMS
}

# aa_mysql_kill PID: TERM (a clean shutdown) and reap our mariadbd.
aa_mysql_kill() {
    local pid=$1 i
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 300); do
        aa_pid_alive "$pid" || break
        sleep 0.1
    done
    if aa_pid_alive "$pid"; then
        echo "aa_mysql_stop: mariadbd pid $pid did not stop" >&2
        return 1
    fi
    # Reap it when it is this shell's child; otherwise a no-op.
    wait "$pid" 2>/dev/null || true
}

aa_mysql_stop() {
    [ -n "${AA_MY_PID:-}" ] || return 0
    aa_mysql_kill "$AA_MY_PID" || return 1
    unset AA_MY_PID AA_TEST_MYSQL_PARAMS
}
