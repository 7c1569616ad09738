#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# run.sh: the integration suite on every database this machine offers.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)

if [ ! -f "${AA_MODULE:-}" ] || [ ! -x "${HTTPD:-/usr/sbin/apache2}" ]; then
    echo "# module or httpd missing; integration tests skipped"
    exit 77
fi

total=0
failed=0
tested=""
for run in sqlite3:flow pgsql:flow mysql:flow sqlite3:lifecycle pgsql:lifecycle \
           mysql:lifecycle sqlite3:jwks pgsql:jwks mysql:jwks sqlite3:aactl pgsql:aactl \
           mysql:aactl; do
    driver=${run%%:*}
    script=${run#*:}
    out=$(mktemp)
    # Renamed so that scripts/check counts only this script's total line.
    "$HERE/$script.sh" "$driver" 2>&1 | sed -u "s/^aa-tests: /# $driver $script: /" |
        tee "$out"
    line=$(grep -E "^# $driver $script: " "$out" | tail -1 |
        sed "s/^# $driver $script: /aa-tests: /")
    rm -f "$out"
    if [ -z "$line" ]; then
        echo "not ok - [$driver $script] did not finish"
        failed=$((failed + 1))
        total=$((total + 1))
        continue
    fi
    n=$(sed -E 's/^aa-tests: ([0-9]+) run, ([0-9]+) failed/\1/' <<<"$line")
    f=$(sed -E 's/^aa-tests: ([0-9]+) run, ([0-9]+) failed/\2/' <<<"$line")
    [ "$n" -gt 0 ] && [ "$script" = flow ] && tested="$tested $driver"
    total=$((total + n))
    failed=$((failed + f))
done
echo "# integration flow ran on:${tested:- nothing}"
echo "aa-tests: $total run, $failed failed"
[ "$failed" -eq 0 ] && [ "$total" -gt 0 ]
