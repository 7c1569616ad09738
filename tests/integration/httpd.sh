# SPDX-License-Identifier: Apache-2.0
# httpd.sh: a private httpd for one integration test. Sourced.
#
#   aa_httpd_start DIR BODY  writes DIR/httpd.conf (our header, then BODY
#                            with @PORT@ and @DIR@ filled in), starts httpd
#                            on a free 127.0.0.1 port and waits until it
#                            answers. Exports AA_HTTPD_PORT, AA_HTTPD_PID,
#                            AA_BASE_URL. Returns 1, after showing the
#                            logs, when it does not come up.
#   aa_httpd_reload          graceful restart (USR1); waits until it answers
#   aa_httpd_stop            TERM and wait; harmless when nothing runs
#
# AA_HTTPD_EXTRA_MODULES="proxy proxy_http" loads more modules by name.
# HTTPD (set by make check) picks the binary; otherwise apxs tells.
# NB: call these in the test's own shell, not in $(...) or a subshell:
# the PID must stay a child of the shell that waits for it.

# shellcheck source=scripts/lib/proc.sh
. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib/proc.sh"

AA_HTTPD_DIR=""

aa_httpd_bin() {
    local sbin target
    if [ -n "${HTTPD:-}" ] && [ -x "$HTTPD" ]; then
        echo "$HTTPD"
        return 0
    fi
    if command -v apxs >/dev/null 2>&1; then
        sbin=$(apxs -q SBINDIR 2>/dev/null) || sbin=""
        target=$(apxs -q TARGET 2>/dev/null) || target=""
        if [ -n "$target" ] && [ -x "$sbin/$target" ]; then
            echo "$sbin/$target"
            return 0
        fi
    fi
    echo /usr/sbin/apache2
}

aa_httpd_moddir() {
    local dir=""
    if command -v apxs >/dev/null 2>&1; then
        dir=$(apxs -q LIBEXECDIR 2>/dev/null) || dir=""
    fi
    [ -d "$dir" ] || dir=/usr/lib/apache2/modules
    echo "$dir"
}

# aa_httpd_stage_cgi DIR: copies the CGI programs the tests run into
# DIR/cgi and points AA_DEMO_BACKEND and AA_WHOAMI_CGI there. httpd's User
# must reach them, and the checkout may sit below a directory only its
# owner can enter (a private temporary directory, a home).
aa_httpd_stage_cgi() {
    local here
    here=$(dirname "${BASH_SOURCE[0]}")
    mkdir -p "$1/cgi" &&
        cp "$AA_DEMO_BACKEND" "$1/cgi/aa-demo-backend" &&
        cp "$here/whoami.cgi" "$1/cgi/whoami.cgi" &&
        chmod 755 "$1/cgi" "$1/cgi/aa-demo-backend" "$1/cgi/whoami.cgi" || return 1
    AA_DEMO_BACKEND=$1/cgi/aa-demo-backend
    AA_WHOAMI_CGI=$1/cgi/whoami.cgi
}

# aa_httpd_answers PORT: any HTTP response counts, even 404 or 500.
aa_httpd_answers() {
    local code
    code=$(curl -s -o /dev/null -m 2 --noproxy '*' -w '%{http_code}' \
        "http://127.0.0.1:$1/" 2>/dev/null) || code=000
    [ "$code" != 000 ]
}

# aa_httpd_logs DIR: the tails of the startup output and the error log.
aa_httpd_logs() {
    local dir=$1 f
    for f in "$dir/logs/stdout.log" "$dir/logs/error.log"; do
        [ -s "$f" ] || continue
        echo "--- httpd: last lines of $f" >&2
        tail -n 20 "$f" >&2
    done
}

# aa_httpd_write_conf DIR BODY PORT
aa_httpd_write_conf() {
    local dir=$1 body_file=$2 port=$3 moddir m body mime=/etc/mime.types
    local mods="authn_core authz_core dbd socache_shmcb cgi mime alias"
    local seen=" "

    moddir=$(aa_httpd_moddir)
    [ -r "$mime" ] || mime=/dev/null
    body=$(cat "$body_file") || return 1
    # Quoted replacements: bash 5.2 would expand & in them otherwise.
    body=${body//@PORT@/"$port"}
    body=${body//@DIR@/"$dir"}
    {
        echo "# Written by tests/integration/httpd.sh; the test's part"
        echo "# follows the marker below."
        echo "ServerRoot \"$dir\""
        echo "ServerName 127.0.0.1"
        echo "Listen 127.0.0.1:$port"
        echo "PidFile \"$dir/run/httpd.pid\""
        echo "DefaultRuntimeDir \"$dir/run\""
        echo "ErrorLog \"$dir/logs/error.log\""
        echo "LogLevel warn"
        # Built into Debian's httpd (loading them again is fatal).
        echo "<IfModule !log_config_module>"
        echo "LoadModule log_config_module $moddir/mod_log_config.so"
        echo "</IfModule>"
        echo "<IfModule !unixd_module>"
        echo "LoadModule unixd_module $moddir/mod_unixd.so"
        echo "</IfModule>"
        echo "LoadModule mpm_event_module $moddir/mod_mpm_event.so"
        for m in $mods ${AA_HTTPD_EXTRA_MODULES:-}; do
            case $seen in *" $m "*) continue ;; esac
            seen="$seen$m "
            echo "LoadModule ${m}_module $moddir/mod_$m.so"
        done
        echo "TypesConfig $mime"
        # Without User, workers started by root stay root (P3).
        if [ "$(id -u)" = 0 ]; then
            echo "User daemon"
            echo "Group daemon"
        fi
        # The default MinSpareThreads (75) exceeds 50 workers.
        echo "StartServers 2"
        echo "MaxRequestWorkers 50"
        echo "ThreadsPerChild 25"
        echo "MinSpareThreads 25"
        echo "MaxSpareThreads 75"
        echo "LogFormat \"%h %l %u %t \\\"%r\\\" %>s %b\" common"
        echo "CustomLog \"$dir/logs/access.log\" common"
        echo "# --- $body_file"
        printf '%s\n' "$body"
    } >"$dir/httpd.conf"
}

# aa_httpd_prepare_dir DIR: the workers (daemon) write logs, run and db.
aa_httpd_prepare_dir() {
    local dir=$1
    mkdir -p "$dir/logs" "$dir/run" || return 1
    [ "$(id -u)" = 0 ] || return 0
    # mktemp -d gives 0700; daemon must reach the files inside.
    chmod go+rx "$dir" || return 1
    chown -R daemon:daemon "$dir/logs" "$dir/run" || return 1
    if [ -d "$dir/db" ]; then
        chown -R daemon:daemon "$dir/db" || return 1
    fi
}

# aa_httpd_wait_ready PID PORT: 0 ready, 1 exited, 2 no answer in 10 s.
aa_httpd_wait_ready() {
    local pid=$1 port=$2 pidfile=$AA_HTTPD_DIR/run/httpd.pid
    for _ in $(seq 1 100); do
        aa_pid_alive "$pid" || return 1
        # The PID file is written after the bind, so a foreign server on
        # the port cannot pass for ours.
        if [ "$(cat "$pidfile" 2>/dev/null)" = "$pid" ] &&
            aa_httpd_answers "$port"; then
            return 0
        fi
        sleep 0.1
    done
    return 2
}

aa_httpd_start() {
    local dir=${1:?aa_httpd_start DIR BODY} body_file=${2:?BODY missing}
    local bin port pid rc=1 attempt errlog mark news

    if [ -n "${AA_HTTPD_PID:-}" ]; then
        echo "aa_httpd_start: already running (pid $AA_HTTPD_PID)" >&2
        return 1
    fi
    [ -r "$body_file" ] || {
        echo "aa_httpd_start: cannot read $body_file" >&2
        return 1
    }
    bin=$(aa_httpd_bin)
    AA_HTTPD_DIR=$(cd "$dir" && pwd) || return 1
    aa_httpd_prepare_dir "$AA_HTTPD_DIR" || {
        echo "aa_httpd_start: cannot prepare $AA_HTTPD_DIR" >&2
        return 1
    }
    errlog=$AA_HTTPD_DIR/logs/error.log

    for attempt in 1 2 3; do
        port=$(aa_free_port) || return 1
        aa_httpd_write_conf "$AA_HTTPD_DIR" "$body_file" "$port" ||
            return 1
        # Startup output is per try; the error log grows, so note its end.
        mark=$(wc -c 2>/dev/null <"$errlog") || mark=0
        rm -f "$AA_HTTPD_DIR/run/httpd.pid"
        # NO_DETACH, never FOREGROUND: prefork would signal our whole
        # process group on stop (P1). NO_DETACH also does setsid.
        "$bin" -f "$AA_HTTPD_DIR/httpd.conf" -DNO_DETACH </dev/null \
            >"$AA_HTTPD_DIR/logs/stdout.log" 2>&1 &
        pid=$!
        rc=0
        aa_httpd_wait_ready "$pid" "$port" || rc=$?
        [ "$rc" = 0 ] && break

        if [ "$rc" = 2 ]; then
            echo "aa_httpd_start: no answer on port $port within 10 s" >&2
            AA_HTTPD_PID=$pid aa_httpd_stop >/dev/null 2>&1
            break
        fi
        wait "$pid" 2>/dev/null || true
        # Another try only when the port was taken meanwhile. (No grep -q
        # in a pipe: with pipefail, its early exit fails the pipe.)
        news=$(tail -c +"$((mark + 1))" "$errlog" 2>/dev/null
            cat "$AA_HTTPD_DIR/logs/stdout.log") || true
        grep -q 'could not bind' <<<"$news" || break
        echo "aa_httpd_start: port $port taken (try $attempt)" >&2
    done
    if [ "$rc" != 0 ]; then
        echo "aa_httpd_start: httpd did not start ($bin)" >&2
        aa_httpd_logs "$AA_HTTPD_DIR"
        return 1
    fi

    AA_HTTPD_PORT=$port
    AA_HTTPD_PID=$pid
    AA_BASE_URL=http://127.0.0.1:$port
    export AA_HTTPD_PORT AA_HTTPD_PID AA_BASE_URL
}

aa_httpd_stop() {
    local pid=${AA_HTTPD_PID:-}
    [ -n "$pid" ] || return 0

    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 300); do
        aa_pid_alive "$pid" || break
        sleep 0.05
    done
    if aa_pid_alive "$pid"; then
        echo "aa_httpd_stop: httpd $pid ignored TERM for 15 s" >&2
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
    unset AA_HTTPD_PID AA_HTTPD_PORT AA_BASE_URL
}

# httpd logs AH00489 ("resuming normal operations") at NOTICE, which
# LogLevel warn still shows, once per (re)start.
aa_httpd_reload() {
    local pid=${AA_HTTPD_PID:-} errlog=$AA_HTTPD_DIR/logs/error.log before
    if [ -z "$pid" ]; then
        echo "aa_httpd_reload: httpd is not running" >&2
        return 1
    fi

    before=$(grep -c AH00489 "$errlog" 2>/dev/null) || before=0
    kill -USR1 "$pid" || return 1
    for _ in $(seq 1 100); do
        if ! aa_pid_alive "$pid"; then
            echo "aa_httpd_reload: httpd exited (bad config?)" >&2
            aa_httpd_logs "$AA_HTTPD_DIR"
            wait "$pid" 2>/dev/null || true
            unset AA_HTTPD_PID AA_HTTPD_PORT AA_BASE_URL
            return 1
        fi
        if [ "$(grep -c AH00489 "$errlog" 2>/dev/null)" -gt "$before" ] &&
            aa_httpd_answers "$AA_HTTPD_PORT"; then
            return 0
        fi
        sleep 0.1
    done
    echo "aa_httpd_reload: no restart seen within 10 s" >&2
    aa_httpd_logs "$AA_HTTPD_DIR"
    return 1
}
