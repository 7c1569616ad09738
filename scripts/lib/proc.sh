# SPDX-License-Identifier: Apache-2.0
# proc.sh: ports and processes for the scripts and the tests. Sourced.

# aa_free_port: prints a port in 20000-60000 that nothing uses on
# 127.0.0.1. Free only at the time of the check; callers retry on a race.
aa_free_port() {
    local lo=20000 hi=60000 eph port try
    # Stay below the ephemeral range, where outgoing connections could
    # take the port between this check and the server's bind.
    if read -r eph _ </proc/sys/net/ipv4/ip_local_port_range &&
        [ "$eph" -gt $((lo + 1000)) ] && [ "$eph" -le "$hi" ]; then
        hi=$((eph - 1))
    fi
    for try in $(seq 1 100); do
        port=$(((RANDOM << 15 | RANDOM) % (hi - lo + 1) + lo))
        if command -v ss >/dev/null 2>&1; then
            # Any socket state counts: TIME_WAIT can still block a bind.
            [ -z "$(ss -Htan "( sport = :$port )" 2>/dev/null)" ] ||
                continue
        elif (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            continue
        fi
        echo "$port"
        return 0
    done
    echo "aa_free_port: no free port after $try tries" >&2
    return 1
}

# aa_pid_alive PID: true while PID runs; a zombie child counts as gone.
aa_pid_alive() {
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    stat=${stat##*) }
    [ "${stat%% *}" != Z ]
}
