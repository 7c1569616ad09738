# SPDX-License-Identifier: Apache-2.0
# httpd.sh: start and stop a private httpd on a free 127.0.0.1 port.
AA_HTTPD_BIN=${HTTPD:-/usr/sbin/apache2}
AA_MODDIR=${AA_MODDIR:-/usr/lib/apache2/modules}

aa_free_port() {
    local port
    for _ in $(seq 1 50); do
        port=$((20000 + RANDOM % 40000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"
            return 0
        fi
    done
    return 1
}

aa_httpd_start() {
    local dir=$1 body=$2 port m attempt
    mkdir -p "$dir/logs" "$dir/run"
    chmod 755 "$dir"
    [ "$(id -u)" = 0 ] && chown daemon "$dir/logs" "$dir/run"
    for attempt in 1 2 3; do
        port=$(aa_free_port) || return 1
        {
            echo "ServerRoot \"$dir\""
            echo "ServerName 127.0.0.1"
            echo "Listen 127.0.0.1:$port"
            echo "PidFile \"$dir/run/httpd.pid\""
            echo "DefaultRuntimeDir \"$dir/run\""
            echo "ErrorLog \"$dir/logs/error.log\""
            echo "LogLevel warn"
            for m in mpm_event authn_core authz_core dbd socache_shmcb cgi alias \
                     ${AA_HTTPD_EXTRA_MODULES:-}; do
                echo "LoadModule ${m}_module $AA_MODDIR/mod_$m.so"
            done
            [ "$(id -u)" = 0 ] && printf 'User daemon\nGroup daemon\n'
            printf 'StartServers 2\nMaxRequestWorkers 50\nThreadsPerChild 25\n'
            printf 'MinSpareThreads 25\nMaxSpareThreads 75\n'
            echo "CustomLog \"$dir/logs/access.log\" common"
            sed -e "s|@PORT@|$port|g" -e "s|@DIR@|$dir|g" "$body"
        } >"$dir/httpd.conf"
        "$AA_HTTPD_BIN" -f "$dir/httpd.conf" -DNO_DETACH >"$dir/logs/stdout.log" 2>&1 &
        AA_HTTPD_PID=$!
        for _ in $(seq 1 100); do
            if curl -s -o /dev/null -m 2 "http://127.0.0.1:$port/"; then
                export AA_HTTPD_PORT=$port AA_HTTPD_PID
                export AA_BASE_URL="http://127.0.0.1:$port"
                return 0
            fi
            kill -0 "$AA_HTTPD_PID" 2>/dev/null || break
            sleep 0.1
        done
        kill "$AA_HTTPD_PID" 2>/dev/null
        wait "$AA_HTTPD_PID" 2>/dev/null
    done
    tail -n 20 "$dir/logs/error.log" "$dir/logs/stdout.log" >&2
    return 1
}

aa_httpd_stop() {
    [ -n "${AA_HTTPD_PID:-}" ] || return 0
    kill -TERM "$AA_HTTPD_PID" 2>/dev/null
    wait "$AA_HTTPD_PID" 2>/dev/null
    AA_HTTPD_PID=
}
