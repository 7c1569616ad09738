# SPDX-License-Identifier: Apache-2.0
# lib.sh: assertions and an HTTP helper for the integration tests.
# Sourced; the caller sets AA_BASE_URL. Counters: AA_RUN, AA_FAILED.

AA_RUN=${AA_RUN:-0}
AA_FAILED=${AA_FAILED:-0}
AA_LABEL=${AA_LABEL:-}

pass() {
    AA_RUN=$((AA_RUN + 1))
    echo "ok $AA_RUN - ${AA_LABEL:+[$AA_LABEL] }$1"
}

fail() {
    AA_RUN=$((AA_RUN + 1))
    AA_FAILED=$((AA_FAILED + 1))
    echo "not ok $AA_RUN - ${AA_LABEL:+[$AA_LABEL] }$1"
    shift
    for line in "$@"; do echo "#   $line"; done
}

# expect_eq NAME EXPECTED ACTUAL
expect_eq() {
    if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "expected: $2" "actual:   $3"; fi
}

# http METHOD PATH [TOKEN] [BODY|@file] -> STATUS, BODY, HEADERS
http() {
    local method=$1 path=$2 token=${3:-} data=${4:-}
    local args=(--noproxy '*' -s -S -o "$AA_TMP/body" -D "$AA_TMP/headers" -w '%{http_code}' -X "$method")
    [ -n "$token" ] && args+=(-H "Authorization: Bearer $token")
    if [ -n "$data" ]; then
        args+=(-H 'Content-Type: application/json' --data-binary "$data")
    fi
    STATUS=$(curl "${args[@]}" "$AA_BASE_URL$path" 2>"$AA_TMP/curl.err") || STATUS=000
    BODY=$(cat "$AA_TMP/body")
    HEADERS=$(cat "$AA_TMP/headers")
}

# expect_http NAME STATUS [ERROR_CODE]: checks the last response.
expect_http() {
    local name=$1 status=$2 code=${3:-}
    local got_code
    got_code=$(printf '%s' "$BODY" | jq -r '.error // empty' 2>/dev/null)
    if [ "$STATUS" != "$status" ]; then
        fail "$name" "expected HTTP $status${code:+ $code}" "got HTTP $STATUS: $BODY"
    elif [ -n "$code" ] && [ "$got_code" != "$code" ]; then
        fail "$name" "expected error $code" "got: $BODY"
    elif [ -n "$code" ] && ! printf '%s' "$BODY" | jq -e '.message | type == "string"' \
            >/dev/null 2>&1; then
        fail "$name" "error body lacks a string message" "got: $BODY"
    else
        pass "$name"
    fi
}

# jbody FILTER: jq over the last response body.
jbody() {
    printf '%s' "$BODY" | jq -r "$1" 2>/dev/null
}

# expect_json NAME FILTER: passes when the jq filter is true on the body.
expect_json() {
    if printf '%s' "$BODY" | jq -e "$2" >/dev/null 2>&1; then
        pass "$1"
    else
        fail "$1" "filter: $2" "body: $BODY"
    fi
}
