#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# guards.sh: checks that keep the tree honest: every directive documented,
# core/ free of httpd, sql/ equal to what aactl creates.
set -uo pipefail
SRC=${AA_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
run=0
failed=0
check() { # NAME COMMAND...
    local name=$1
    shift
    run=$((run + 1))
    if "$@"; then
        echo "ok $run - $name"
    else
        failed=$((failed + 1))
        echo "not ok $run - $name"
    fi
}

documented() {
    local d missing=0
    for d in $(grep -oE 'AP_INIT_[A-Z0-9]+\("AgentAuth[A-Za-z]+"' "$SRC/mod_agent_auth/aa_config.c" |
            sed -E 's/.*\("//; s/"$//'); do
        if ! grep -qE "^#$d( |$)" "$SRC/docs/mod_agent_auth.conf"; then
            echo "# $d is not documented in docs/mod_agent_auth.conf"
            missing=1
        fi
    done
    return $missing
}

core_is_httpd_free() {
    ! grep -lE '#include [<"](httpd|http_[a-z_]+|ap_[a-z_]+|mod_[a-z_]+)\.h' \
        "$SRC"/mod_agent_auth/core/*.[ch]
}

sql_matches() {
    local d
    [ -x "${AA_GENSQL:-}" ] || return 0
    for d in sqlite3 pgsql mysql; do
        if ! "$AA_GENSQL" "$d" | diff -q - "$SRC/sql/$d.sql" >/dev/null; then
            echo "# sql/$d.sql differs from the schema aactl creates"
            return 1
        fi
    done
}

aactl_man_lists_exit_codes() {
    local code
    for code in 0 1 2 3 4 5; do
        grep -qE "^\.IP $code\b|^\.TP.*\b$code\b|^$code " "$SRC/docs/aactl.1" || return 1
    done
}

check "every directive is documented" documented
check "core/ includes no httpd header" core_is_httpd_free
check "sql/ matches the schema aactl creates" sql_matches
check "aactl(1) lists every exit code" aactl_man_lists_exit_codes
echo "aa-tests: $run run, $failed failed"
[ "$failed" -eq 0 ]
