# SPDX-License-Identifier: Apache-2.0
# summary.sh: count the tests a `make check` ran. Sourced by scripts/check.
#
#   aa_check_summary MAKE_OUTPUT STAMP DIR
#
# prints "RUN FAILED". Each test program of ours ends with a line
# "aa-tests: N run, F failed" in its automake log (DIR/**/<test>.log), which
# counts cases, not programs, so those lines win. A program without one
# counts by its .trs results (SKIP is not a run), and a program whose .trs
# says it failed counts at least one failure even if its own line says 0
# (a crash after the line, for example). Only .trs files newer than STAMP
# belong to this run. Without any aa-tests line the automake summaries in
# MAKE_OUTPUT decide: the sums of "# TOTAL:" and of "# FAIL:", "# ERROR:"
# and "# XPASS:" over every "Testsuite summary" block (one per subdirectory
# suite).

# aa_summary_automake MAKE_OUTPUT: prints "TOTAL BAD"; 1 if no summary.
aa_summary_automake() {
    local line in_block=0 seen=0 total=0 bad=0
    local re='^# (TOTAL|FAIL|ERROR|XPASS): *([0-9]+)'
    while IFS= read -r line; do
        case $line in
        *"Testsuite summary for "*) in_block=1; seen=1; continue ;;
        =*) continue ;;
        esac
        [ "$in_block" = 1 ] || continue
        if [[ $line =~ $re ]]; then
            case ${BASH_REMATCH[1]} in
            TOTAL) total=$((total + BASH_REMATCH[2])) ;;
            *) bad=$((bad + BASH_REMATCH[2])) ;;
            esac
        elif [[ $line != "# "* ]]; then
            # The block ends at the first line that is not a count.
            in_block=0
        fi
    done < <(sed 's/\x1b\[[0-9;?]*[A-Za-z]//g' "$1")
    # (sed drops the colour codes AM_COLOR_TESTS wraps the counts in.)
    echo "$total $bad"
    [ "$seen" = 1 ]
}

# aa_summary_cases STAMP DIR: prints "RUN FAILED"; 1 if no aa-tests line.
aa_summary_cases() {
    local stamp=$1 dir=$2 trs log res n f found=0 run=0 failed=0
    local re='^aa-tests: ([0-9]+) run, ([0-9]+) failed'
    local line results bad ran

    while IFS= read -r -d '' trs; do
        results=$(sed -n 's/^:test-result: *//p' "$trs")
        bad=$(grep -cE '^(FAIL|ERROR|XPASS)' <<<"$results") || true
        ran=$(grep -cvE '^(SKIP|)$' <<<"$results") || true
        n=0 f=0 res=0
        log=${trs%.trs}.log
        if [ -f "$log" ]; then
            while IFS= read -r line; do
                [[ $line =~ $re ]] || continue
                n=$((n + BASH_REMATCH[1]))
                f=$((f + BASH_REMATCH[2]))
                res=1
            done <"$log"
        fi
        if [ "$res" = 1 ]; then
            found=1
            if [ "$bad" -gt 0 ] && [ "$f" = 0 ]; then
                f=1
                [ "$n" -gt 0 ] || n=1
            fi
        else
            n=$ran f=$bad
        fi
        run=$((run + n))
        failed=$((failed + f))
    done < <(find "$dir" -name '*.trs' -newer "$stamp" -print0)
    echo "$run $failed"
    [ "$found" = 1 ]
}

aa_check_summary() {
    local out=$1 stamp=$2 dir=$3 counts
    if counts=$(aa_summary_cases "$stamp" "$dir"); then
        echo "$counts"
    elif counts=$(aa_summary_automake "$out"); then
        echo "$counts"
    else
        echo "0 0"
    fi
}
