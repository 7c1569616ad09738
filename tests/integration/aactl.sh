#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# aactl.sh DRIVER: the built aactl against a live httpd and database: every
# command, its --json shape, every exit code, and races between aactl
# processes and HTTP requests on the same records.
set -uo pipefail

DRIVER=$1
HERE=$(cd "$(dirname "$0")" && pwd)
: "${AACTL:?}" "${AAJWT:?}" "${AA_MODULE:?}" "${AA_DEMO_BACKEND:?}"
AA_LABEL="$DRIVER aactl"

# shellcheck source=tests/integration/lib.sh
. "$HERE/lib.sh"
# shellcheck source=tests/integration/httpd.sh
. "$HERE/httpd.sh"
# shellcheck source=tests/integration/dbsetup.sh
. "$HERE/dbsetup.sh"

finish() {
    echo "aa-tests: $AA_RUN run, $AA_FAILED failed"
    [ "$AA_FAILED" -eq 0 ]
    exit $?
}
DIR=$(mktemp -d /tmp/aa-ctl-XXXXXX)
chmod 755 "$DIR"
AA_TMP=$DIR/tmp
mkdir -p "$AA_TMP" "$DIR/db" "$DIR/conf.d"
aa_httpd_stage_cgi "$DIR" || { echo "# cannot stage the CGI programs in $DIR"; exit 1; }
trap 'aa_httpd_stop >/dev/null 2>&1; [ "${AA_KEEP:-}" = 1 ] || rm -rf "$DIR"' EXIT
if ! aa_db_prepare "$DRIVER" "$DIR"; then
    echo "# $DRIVER: database not available, skipped"
    echo "aa-tests: 0 run, 0 failed"
    exit 0
fi

# The module's settings live in an included file, as on Debian.
cat > "$DIR/conf.d/agent-auth.conf" <<CONF
$AA_DB_CONF
AgentAuthCapabilities $HERE/capabilities.json
AgentAuthHostDefaultCapabilities check_balance
ScriptAlias /backend/demo $AA_DEMO_BACKEND
<Location /backend>
    Require expr %{IS_SUBREQ} == 'true'
</Location>
CONF
printf 'LoadModule agent_auth_module %s\nAgentAuthIssuer http://127.0.0.1:@PORT@\n%s\n' \
    "$AA_MODULE" "IncludeOptional $DIR/conf.d/*.conf" >"$DIR/body.conf"
# aactl follows a relative Include from ServerRoot, as httpd does.
printf 'ServerRoot "%s"\nInclude conf.d/*.conf\n' "$DIR" >"$DIR/aactl.conf"
aactl() { "$AACTL" -c "$DIR/aactl.conf" "$@"; }
# run CMD...: the exit status in $RC, the output in $OUT.
run() { OUT=$("$@" 2>"$AA_TMP/stderr"); RC=$?; }

# --- the schema ---------------------------------------------------------------
run aactl --json schema version
expect_eq "schema version of an empty database: schema missing (exit 5)" 5 "$RC"
run aactl schema check
expect_eq "schema check of an empty database exits 5" 5 "$RC"
if [ "$DRIVER" = sqlite3 ]; then
    [ ! -e "$DIR/db/agent-auth.sqlite" ] && pass "inspecting creates no SQLite file" ||
        fail "inspecting creates no SQLite file"
fi
# Six installers at once: one creates the schema, the others find it.
PIDS=()
for i in $(seq 1 6); do
    ( aactl --json schema create >"$AA_TMP/create.$i" 2>&1; echo $? >"$AA_TMP/create.rc.$i" ) &
    PIDS+=($!)
done
wait "${PIDS[@]}"
expect_eq "parallel schema creates all succeed" "000000" "$(cat "$AA_TMP"/create.rc.* | tr -d '\n')"
expect_eq "exactly one of them created it" 1 \
    "$(cat "$AA_TMP"/create.[0-9] | jq -r .status 2>/dev/null | grep -c '^created$')"
run aactl schema create
expect_eq "schema create again is a no-op" 0 "$RC"
run aactl --json schema version
expect_eq "schema version" 0 "$RC"
expect_eq "schema version --json" "1 current" "$(jq -r '"\(.version) \(.status)"' <<<"$OUT")"
run aactl schema check
expect_eq "schema check at the current version" 0 "$RC"
run aactl --json schema migrate
expect_eq "schema migrate is idempotent" 0 "$RC"
expect_eq "schema migrate --json" unchanged "$(jq -r .status <<<"$OUT")"
for args in "schema create --bogus" "schema version extra" "schema migrate --force" \
    "schema check extra" "approvals list --bogus" "approvals list extra" "stats extra" \
    "hosts revoke a b" "hosts link a b --user u" "approve A --bogus" "deny A B" \
    "approve A --trust --no-trust" "hosts add --jwk {} --bogus"; do
    # shellcheck disable=SC2086
    run aactl $args
    expect_eq "aactl $args: usage error" 2 "$RC"
done
if [ "$DRIVER" = sqlite3 ] && command -v sqlite3 >/dev/null; then
    # An interrupted create: a table, no version row.
    sqlite3 "$DIR/half.sqlite" "CREATE TABLE aa_hosts (id TEXT)"
    printf '%s\n' "DBDriver sqlite3" "DBDParams $DIR/half.sqlite" >"$DIR/half.conf"
    run "$AACTL" -c "$DIR/half.conf" schema create
    expect_eq "schema create over a half-created schema fails" 1 "$RC"
    grep -q "interrupted.*Drop the aa_\* tables" "$AA_TMP/stderr" &&
        pass "and tells the operator what to do" ||
        fail "and tells the operator what to do" "$(cat "$AA_TMP/stderr")"
fi
aa_httpd_start "$DIR" "$DIR/body.conf" || { fail "httpd starts"; finish; }
B=$AA_BASE_URL
EXEC="$B/capability/execute"

# --- usage and configuration errors (exit 2), database errors (exit 5) -----
run "$AACTL" -c "$DIR/aactl.conf"
expect_eq "no command is a usage error" 2 "$RC"
run aactl frobnicate
expect_eq "an unknown command is a usage error" 2 "$RC"
run "$AACTL" -c "$DIR/nope.conf" agents list
expect_eq "a missing configuration is a usage error" 2 "$RC"
run aactl help
expect_eq "help exits 0" 0 "$RC"
run aactl agents revoke --help
expect_eq "COMMAND --help exits 0" 0 "$RC"
grep -q "agents revoke" <<<"$OUT" && pass "COMMAND --help explains it" || fail "COMMAND --help explains it"
run aactl agents list --colour
expect_eq "an unknown option is a usage error" 2 "$RC"
run aactl agents
expect_eq "a noun without its verb is a usage error" 2 "$RC"
grep -q "agents revoke" "$AA_TMP/stderr" && pass "and lists the noun's verbs" ||
    fail "and lists the noun's verbs" "$(cat "$AA_TMP/stderr")"
run aactl agents frob
expect_eq "an unknown verb is a usage error" 2 "$RC"
grep -q "agents list" "$AA_TMP/stderr" && pass "and lists the known verbs" ||
    fail "and lists the known verbs" "$(cat "$AA_TMP/stderr")"
run aactl agents --help
expect_eq "NOUN --help exits 0" 0 "$RC"
grep -q "agents show" <<<"$OUT" && pass "NOUN --help lists its verbs" ||
    fail "NOUN --help lists its verbs" "$OUT"
run aactl agents list --json --help
expect_eq "--help anywhere shows the command's help" "0 1" "$RC $(grep -c 'agents list' <<<"$OUT")"
run aactl help schema check
expect_eq "help NOUN VERB" "0 1" "$RC $(grep -c 'schema check' <<<"$OUT")"
for dur in 99999999999999999999d 213503982334602d 99999999999d 36501d; do
    run aactl agents list --idle "$dur"
    expect_eq "agents list --idle $dur overflows or exceeds 100 years: usage error" 2 "$RC"
    run aactl grants add agt_nobody echo --expires "$dur"
    expect_eq "grants add --expires $dur: usage error" 2 "$RC"
done
run aactl agents list --idle 36500d
expect_eq "a century is still a duration" 0 "$RC"
run aactl agents list --status actve
expect_eq "an unknown --status is a usage error" 2 "$RC"
run aactl agents revoke --mode robot --yes
expect_eq "an unknown --mode is a usage error" 2 "$RC"
run aactl grants list --status granted
expect_eq "an unknown grant --status is a usage error" 2 "$RC"
run aactl hosts list --status linked
expect_eq "an unknown host --status is a usage error" 2 "$RC"
run aactl agents list --yes
expect_eq "agents list --yes is a usage error" 2 "$RC"
printf '%s\n' "DBDriver sqlite3" "DBDParams $DIR/no/such/dir/x.sqlite" >"$DIR/bad.conf"
run "$AACTL" -c "$DIR/bad.conf" agents list
expect_eq "an unreachable database exits 5" 5 "$RC"
if ! grep -q agentpw "$AA_TMP/stderr" && ! grep -q agentpw <<<"$OUT"; then
    pass "no password is printed"
else
    fail "no password is printed"
fi
printf '%s\n' "DBDriver sqlite3" "DBDParams $DIR/empty.sqlite" >"$DIR/empty.conf"
run "$AACTL" -c "$DIR/empty.conf" agents list
expect_eq "a SQLite database that does not exist exits 5" 5 "$RC"
[ ! -e "$DIR/empty.sqlite" ] && pass "and is not created" || fail "and is not created"
: >"$DIR/empty.sqlite"
run "$AACTL" -c "$DIR/empty.conf" agents list
expect_eq "a database without the schema exits 5" 5 "$RC"
run "$AACTL" -c "$DIR/empty.conf" --json schema version
expect_eq "schema version without the schema exits 5" 5 "$RC"
expect_eq "and --json says so" missing "$(jq -r .status <<<"$OUT")"
run "$AACTL" -c "$DIR/bad.conf" schema create
expect_eq "schema create where no database can be: exit 5" 5 "$RC"
grep -q "unable to open" "$AA_TMP/stderr" && pass "with the driver's reason" ||
    fail "with the driver's reason" "$(cat "$AA_TMP/stderr")"
if [ "$DRIVER" != sqlite3 ]; then
    # The server's own refusal, without the password that was refused.
    printf '%s\n' "$AA_DB_CONF" | sed -E 's/(pass(word)?=)[^ "]*/\1wr0ngPW42/' >"$DIR/badpw.conf"
    run "$AACTL" -c "$DIR/badpw.conf" agents list
    expect_eq "a refused password exits 5" 5 "$RC"
    if grep -qiE "authentication failed|access denied" "$AA_TMP/stderr" &&
        ! grep -q wr0ngPW42 "$AA_TMP/stderr"; then
        pass "the driver's reason is printed, the password is not"
    else
        fail "the driver's reason is printed, the password is not" "$(cat "$AA_TMP/stderr")"
    fi
fi

# --- reading the httpd configuration ---------------------------------------------
mkdir -p "$DIR/sites/a" "$DIR/sites/b" "$DIR/empty.d"
printf 'ServerRoot "%s"\nInclude conf.d\n' "$DIR" >"$DIR/incdir.conf"
run "$AACTL" -c "$DIR/incdir.conf" schema check
expect_eq "Include DIR reads every file in it" 0 "$RC"
printf '%s\n' "$AA_DB_CONF" >"$DIR/sites/b/db.conf"
printf '# nothing here\n' >"$DIR/sites/a/db.conf"
printf 'ServerRoot "%s"\nInclude sites/*/db.conf\n' "$DIR" >"$DIR/incglob.conf"
run "$AACTL" -c "$DIR/incglob.conf" schema check
expect_eq "a wildcard in a directory part of Include" 0 "$RC"
printf 'ServerRoot "%s"\nInclude empty.d/*.conf\nInclude conf.d\n' "$DIR" >"$DIR/incnone.conf"
run "$AACTL" -c "$DIR/incnone.conf" schema check
expect_eq "an Include that matches nothing is an error, as in httpd" 2 "$RC"
grep -q "No matches for the wildcard '\*.conf'" "$AA_TMP/stderr" && pass "and says so" ||
    fail "and says so" "$(cat "$AA_TMP/stderr")"
printf '%s\n' "ServerRoot $DIR" "IncludeOptional empty.d/*.conf" \
    "IncludeOptional nope/*.conf" "Include conf.d" >"$DIR/incopt.conf"
run "$AACTL" -c "$DIR/incopt.conf" schema check
expect_eq "IncludeOptional may match nothing" 0 "$RC"
cat >"$DIR/vhosts.conf" <<CONF
<VirtualHost *:80>
    ServerName www.example.com
</VirtualHost>
<VirtualHost 192.0.2.7:443 [2001:db8::1]:443>
    ServerName https://WWW.Example.com:443
    ServerAlias api.example.com
    AgentAuthIssuer https://www.example.com
$AA_DB_CONF
</VirtualHost>
<VirtualHost *:8443>
    ServerName other.example.com
    AgentAuthIssuer https://other.example.com
    DBDriver sqlite3
    DBDParams $DIR/other.sqlite
</VirtualHost>
CONF
run "$AACTL" -c "$DIR/vhosts.conf" schema check
expect_eq "two vhosts configure the module: --vhost is needed" 2 "$RC"
for v in www.example.com:443 WWW.EXAMPLE.COM api.example.com 192.0.2.7 "[2001:db8::1]:443"; do
    run "$AACTL" -c "$DIR/vhosts.conf" --vhost "$v" schema check
    expect_eq "--vhost $v finds the block by name, alias or address" 0 "$RC"
done
run "$AACTL" -c "$DIR/vhosts.conf" --vhost www.example.com:8080 schema check
expect_eq "--vhost with a port no block has: usage error" 2 "$RC"

# --- a host, agents, approvals ---------------------------------------------------
hjwt() { "$AAJWT" sign "$1" host+jwt "$(jq -cn --arg iss "$("$AAJWT" thumbprint "$1")" \
    --arg aud "$B" --argjson hk "$("$AAJWT" jwk "$1")" --argjson x "${2:-{\}}" \
    '{iss:$iss,aud:$aud,host_public_key:$hk} + $x')"; }
ajwt() { "$AAJWT" sign "$1" agent+jwt "{\"sub\":\"$2\",\"aud\":\"$EXEC\"}"; }
register() { # HOSTKEY AGENTKEY BODY
    http POST /agent/register "$(hjwt "$1" "$(jq -cn --argjson ak "$("$AAJWT" jwk "$2")" \
        '{agent_public_key:$ak}')")" "$3"
}
run_echo() { http POST /capability/execute "$(ajwt "$1" "$2")" '{"capability":"echo","arguments":{"message":"x"}}'; }

for k in h a1 a2 a3; do "$AAJWT" keygen >"$DIR/$k.key"; done
HOST=$("$AAJWT" thumbprint "$DIR/h.key")
register "$DIR/h.key" "$DIR/a1.key" '{"name":"one","capabilities":["echo","check_balance"]}'
A1=$(jbody .agent_id)
CODE1=$(jbody .approval.user_code)
run aactl --json approvals list
expect_eq "approvals list --json" 0 "$RC"
expect_json_out() { if jq -e "$2" <<<"$OUT" >/dev/null 2>&1; then pass "$1"; else fail "$1" "$OUT"; fi; }
expect_json_out "the pending request is listed with agent, host and capabilities" \
    '.[0].agent_id == "'"$A1"'" and .[0].host_id == "'"$HOST"'" and (.[0].capabilities | sort) == ["check_balance","echo"]'
expect_json_out "each request shows its agent's name and the proposed grants" \
    '.[0].agent_name == "one" and (.[0].pending_grants | map(.capability) | sort) == ["check_balance","echo"]
     and (.[0].age_seconds | type) == "number"'
run aactl approvals list
if head -n 1 <<<"$OUT" | grep -qE '^REQUEST +AGENT +NAME +MODE +KIND' &&
    grep -qE "$A1 +one +delegated" <<<"$OUT"; then
    pass "the approvals table shows the agent's name and mode"
else
    fail "the approvals table shows the agent's name and mode" "$OUT"
fi
run aactl approvals show "$CODE1"
expect_eq "approvals show CODE" 0 "$RC"
expect_json_out "approvals show includes the agent" '.agent.agent_id == "'"$A1"'" and .status == "pending"'
run aactl approvals show ZZZZ-ZZZZ
expect_eq "approvals show of an unknown code exits 3" 3 "$RC"

# Twenty approvers race on one code: exactly one wins, the others see a conflict.
# NB: wait on these PIDs only; a bare wait would also wait for httpd.
PIDS=()
for i in $(seq 1 20); do
    ( aactl approve "$CODE1" --user "racer$i" >/dev/null 2>&1; echo $? >"$AA_TMP/race.$i" ) &
    PIDS+=($!)
done
wait "${PIDS[@]}"
WON=$(cat "$AA_TMP"/race.* | grep -c '^0$')
LOST=$(cat "$AA_TMP"/race.* | grep -c '^4$')
expect_eq "twenty racing approvals: exactly one wins" "1 19" "$WON $LOST"
run aactl --json agents show "$A1"
expect_eq "agents show --json" 0 "$RC"
expect_json_out "the agent is active, approved by one racer" \
    '.status == "active" and (.user_id | startswith("racer")) and ([.grants[].status] | unique) == ["active"]'
run_echo "$DIR/a1.key" "$A1"
expect_http "the approved agent works" 200

register "$DIR/h.key" "$DIR/a2.key" '{"name":"two","capabilities":["echo"]}'
A2=$(jbody .agent_id)
CODE2=$(jbody .approval.user_code)
run aactl --json deny "$CODE2" --reason "not this one"
expect_eq "deny --json" 0 "$RC"
expect_json_out "deny reports the rejected agent" '.status == "denied" and .agent_status == "rejected"'
run aactl deny "$CODE2"
expect_eq "denying it again is a conflict (exit 4)" 4 "$RC"
run aactl approve "$CODE2"
expect_eq "approving a denied code is a conflict (exit 4)" 4 "$RC"
http GET "/agent/status?agent_id=$A2" "$(hjwt "$DIR/h.key")"
expect_json "HTTP sees the denial" '.status == "rejected"'

# --- grants ---------------------------------------------------------------------------
run env SUDO_USER= USER=zed "$AACTL" -c "$DIR/aactl.conf" --json grants add "$A1" transfer_funds \
    --constraints '{"amount":{"max":10}}' --expires 1h
expect_eq "grants add with constraints and an expiry" 0 "$RC"
expect_json_out "grants add reports the grant; the default grantor is the approver's" \
    '.status == "active" and .granted_by == "zed" and .constraints.amount.max == 10
     and (.expires_at | type) == "string"'
run aactl grants add "$A1" transfer_funds --constraints '{"amount":{"max":10}}'
expect_eq "grants add of a grant the agent holds with the same constraints: conflict" 4 "$RC"
run aactl grants add "$A1" ""
expect_eq "grants add of an empty capability name: usage error" 2 "$RC"
http POST /capability/execute "$(ajwt "$DIR/a1.key" "$A1")" \
    '{"capability":"transfer_funds","arguments":{"from":"a","to":"b","amount":5}}'
expect_http "HTTP sees the added grant at once" 200
http POST /capability/execute "$(ajwt "$DIR/a1.key" "$A1")" \
    '{"capability":"transfer_funds","arguments":{"from":"a","to":"b","amount":50}}'
expect_http "and its constraints" 403 constraint_violated
run aactl grants add "$A1" retired_capability
expect_eq "grants add of a capability the capabilities file lacks: not found" 3 "$RC"
# Granted while the file still offered it (a configuration without the file).
printf '%s\n' "$AA_DB_CONF" >"$DIR/nocaps.conf"
run "$AACTL" -c "$DIR/nocaps.conf" grants add "$A1" retired_capability
expect_eq "without a capabilities file aactl cannot check names" 0 "$RC"
http POST /capability/execute "$(ajwt "$DIR/a1.key" "$A1")" '{"capability":"retired_capability"}'
expect_http "a granted capability the server no longer offers was removed (§2.12)" 403 capability_not_granted
run aactl grants add "$A1" transfer_funds
expect_eq "the same capability without constraints is another grant" 0 "$RC"
run aactl grants add "$A1" transfer_funds --constraints '{}'
expect_eq "and {} are no constraints: conflict" 4 "$RC"
http POST /capability/execute "$(ajwt "$DIR/a1.key" "$A1")" \
    '{"capability":"transfer_funds","arguments":{"from":"a","to":"b","amount":20000}}'
expect_http "the capabilities file's constraints bind an unconstrained grant too" 403 constraint_violated
run aactl grants add "$A1" echo --constraints '{"amount":{"about":1}}'
expect_eq "grants add with an unknown operator is a usage error" 2 "$RC"
run aactl --json grants list --agent "$A1"
expect_eq "grants list --agent --json" 0 "$RC"
expect_json_out "grants list shows the agent's grants" '(map(.capability) | unique) == ["check_balance","echo","retired_capability","transfer_funds"]'
expect_json_out "grants list gives constraints as an object" \
    'map(select(.constraints != null)) | length == 1 and .[0].constraints.amount.max == 10'
run aactl grants revoke "$A1" echo
expect_eq "grants revoke one capability" 0 "$RC"
run_echo "$DIR/a1.key" "$A1"
expect_http "HTTP sees the revoked grant at once" 403 capability_not_granted
run aactl grants revoke "$A1" echo
expect_eq "revoking it again is a conflict" 4 "$RC"
run aactl grants revoke agt_nobody echo
expect_eq "grants of an unknown agent: not found" 3 "$RC"

# --- agents: filters, revocation ------------------------------------------------------------
run aactl --json agents list --status active
expect_eq "agents list --status active --json" 0 "$RC"
expect_json_out "the status filter" 'map(.agent_id) == ["'"$A1"'"]'
run aactl --json agents list --capability transfer_funds
expect_eq "agents list --capability" 0 "$RC"
expect_json_out "the capability filter" 'map(.agent_id) == ["'"$A1"'"]'
run aactl --json agents list --idle 1h --status active
expect_eq "agents list --idle 1h (none idle)" 0 "$RC"
expect_json_out "the idle filter" 'length == 0'
run aactl agents list --host "$HOST"
expect_eq "agents list table" 0 "$RC"
grep -q "AGENT_ID" <<<"$OUT" && grep -q "$A1" <<<"$OUT" && pass "the table has a header and the agent" ||
    fail "the table has a header and the agent" "$OUT"
run aactl agents revoke --status active </dev/null
expect_eq "revoking by filter without --yes from a script is refused" 2 "$RC"
run aactl agents revoke "$A1" --host "$HOST" --yes
expect_eq "agent ids together with filters: usage error" 2 "$RC"
run aactl agents revoke "$A1"
expect_eq "agents revoke AGENT" 0 "$RC"
run_echo "$DIR/a1.key" "$A1"
expect_http "HTTP sees the revocation at once" 403 agent_revoked
run aactl agents revoke "$A1"
expect_eq "revoking again is a conflict (exit 4)" 4 "$RC"
run aactl agents revoke agt_nobody
expect_eq "revoking an unknown agent: not found (exit 3)" 3 "$RC"
run aactl agents revoke --host NOPE --yes
expect_eq "a filter that matches nothing is no failure" 0 "$RC"
expect_eq "and says so" "no agents matched" "$OUT"

# --- hosts: pre-register, defaults, link/unlink, revoke -------------------------------------------
"$AAJWT" keygen >"$DIR/h2.key"
H2=$("$AAJWT" thumbprint "$DIR/h2.key")
"$AAJWT" jwk "$DIR/h2.key" >"$DIR/h2.jwk"
run aactl --json hosts add --jwk-file "$DIR/h2.jwk" --user dana
expect_eq "hosts add --jwk-file" 0 "$RC"
expect_json_out "hosts add: one status word, the user apart" \
    '.host_id == "'"$H2"'" and .status == "active" and .user_id == "dana"'
run aactl hosts add --jwk-file "$DIR/nope.jwk"
expect_eq "hosts add of a missing --jwk-file: usage error" 2 "$RC"
grep -q "$DIR/nope.jwk: No such file" "$AA_TMP/stderr" && pass "naming the file and the reason" ||
    fail "naming the file and the reason" "$(cat "$AA_TMP/stderr")"
run aactl hosts add --jwk notjson
expect_eq "hosts add --jwk notjson: usage error" 2 "$RC"
grep -q "\-\-jwk is not a JSON object" "$AA_TMP/stderr" && pass "saying it is not JSON" ||
    fail "saying it is not JSON" "$(cat "$AA_TMP/stderr")"
run aactl hosts add --jwks-url "https://127.0.0.1:1/jwks.json" --kid k1
expect_eq "hosts add never fetches a JWKS from a loopback address" 1 "$RC"
run aactl hosts add --jwks-url "https://jwks.invalid/jwks.json"
expect_eq "hosts add --jwks-url without --kid is a usage error" 2 "$RC"
run aactl hosts add --jwk '{"kty":"RSA"}'
expect_eq "hosts add of a malformed key is a usage error" 2 "$RC"
run aactl hosts defaults "$H2" echo nope
expect_eq "hosts defaults with a capability nobody offers: not found" 3 "$RC"
run aactl hosts defaults "$H2" ""
expect_eq "hosts defaults with an empty name: usage error" 2 "$RC"
run aactl hosts defaults "$H2" none echo
expect_eq "hosts defaults: none stands alone" 2 "$RC"
run aactl --json hosts defaults "$H2" echo,check_balance echo
expect_eq "hosts defaults splits on commas" 0 "$RC"
expect_json_out "and keeps each name once" \
    '.status == "updated" and .default_capabilities == ["echo","check_balance"]'
run aactl --json hosts defaults "$H2" --server
expect_json_out "hosts defaults --server: null defaults" '.status == "updated" and .default_capabilities == null'
run aactl hosts defaults "$H2" echo
expect_eq "hosts defaults HOST echo" 0 "$RC"
"$AAJWT" keygen >"$DIR/b1.key"
register "$DIR/h2.key" "$DIR/b1.key" '{"name":"b1","capabilities":["echo"]}'
expect_json "the host's own defaults apply" '.status == "active" and (.agent_capability_grants | map(.capability)) == ["echo"]'
B1=$(jbody .agent_id)
run aactl --json hosts show "$H2"
expect_eq "hosts show --json" 0 "$RC"
expect_json_out "hosts show lists its agents" '.user_id == "dana" and .default_capabilities == ["echo"] and (.agents | map(.agent_id)) == ["'"$B1"'"]'
"$AAJWT" keygen >"$DIR/b2.key"
register "$DIR/h2.key" "$DIR/b2.key" '{"name":"b2","capabilities":["transfer_funds"]}'
B2_CODE=$(jbody .approval.user_code)
run aactl --json hosts unlink "$H2"
expect_eq "hosts unlink revokes its delegated agents" 0 "$RC"
expect_json_out "unlink counts them" '.agents_revoked == 2'
run aactl approve "$B2_CODE"
expect_eq "a pending request of an unlinked host's agent is closed" 4 "$RC"
run aactl --json approvals list
expect_json_out "and no longer listed" 'map(select(.agent_name == "b2")) == []'
run_echo "$DIR/b1.key" "$B1"
expect_http "HTTP sees the unlink at once" 403 agent_revoked
run aactl hosts unlink "$H2"
expect_eq "unlinking an unlinked host is a conflict" 4 "$RC"
run aactl --json hosts link "$H2" --user erin
expect_eq "hosts link" 0 "$RC"
expect_json_out "hosts link: status linked, the user apart" '.status == "linked" and .user_id == "erin"'
run aactl hosts link "$H2" --user frank
expect_eq "linking it to someone else is a conflict" 4 "$RC"
"$AAJWT" keygen >"$DIR/b2.key"
register "$DIR/h2.key" "$DIR/b2.key" '{"name":"b2","capabilities":["echo"]}'
B2=$(jbody .agent_id)
run aactl --json hosts revoke "$H2"
expect_eq "hosts revoke cascades" 0 "$RC"
expect_json_out "the cascade is counted" '.agents_revoked == 1'
run_echo "$DIR/b2.key" "$B2"
expect_http "HTTP sees the host revocation at once" 403 agent_revoked
run aactl hosts revoke "$H2"
expect_eq "revoking it again is a conflict" 4 "$RC"
run aactl hosts revoke nohost
expect_eq "an unknown host: not found" 3 "$RC"
run aactl --json hosts list --status revoked
expect_eq "hosts list --json" 0 "$RC"
expect_json_out "hosts list filters by status" 'map(.host_id) == ["'"$H2"'"]'

# --- races between aactl and HTTP ---------------------------------------------------------
"$AAJWT" keygen >"$DIR/r.key"
register "$DIR/h.key" "$DIR/r.key" '{"name":"raced","capabilities":["echo"]}'
R=$(jbody .agent_id)
RCODE=$(jbody .approval.user_code)
PIDS=()
for i in $(seq 1 8); do
    ( aactl approve "$RCODE" >/dev/null 2>&1; echo "a$?" >"$AA_TMP/mix.a$i" ) &
    PIDS+=($!)
    ( aactl deny "$RCODE" >/dev/null 2>&1; echo "d$?" >"$AA_TMP/mix.d$i" ) &
    PIDS+=($!)
    ( curl -s -o /dev/null -X POST "$EXEC" -H "Authorization: Bearer $(ajwt "$DIR/r.key" "$R")" \
        -d '{"capability":"echo","arguments":{"message":"x"}}' ) &
    PIDS+=($!)
done
wait "${PIDS[@]}"
WINS=$(cat "$AA_TMP"/mix.* | grep -c '0$')
expect_eq "approve and deny racing: one decision wins" 1 "$WINS"
aactl --json agents show "$R" >"$AA_TMP/r.json"
if jq -e '(.status == "active" and ([.grants[].status] | unique) == ["active"])
          or (.status == "rejected" and ([.grants[].status] | unique) == ["denied"])' \
        "$AA_TMP/r.json" >/dev/null; then
    pass "the agent and its grants agree with the winner"
else
    fail "the agent and its grants agree with the winner" "$(cat "$AA_TMP/r.json")"
fi

# Revocations from aactl and HTTP at once, while the agent keeps calling.
"$AAJWT" keygen >"$DIR/v.key"
register "$DIR/h.key" "$DIR/v.key" '{"name":"victim","capabilities":["echo"]}'
V=$(jbody .agent_id)
aactl approve "$(jbody .approval.user_code)" >/dev/null
PIDS=()
for i in $(seq 1 6); do
    ( aactl agents revoke "$V" >/dev/null 2>&1; echo "$?" >"$AA_TMP/rev.$i" ) &
    PIDS+=($!)
    ( curl -s -o /dev/null -X POST "$B/agent/revoke" -H "Authorization: Bearer $(hjwt "$DIR/h.key")" \
        -d "{\"agent_id\":\"$V\"}" ) &
    PIDS+=($!)
done
wait "${PIDS[@]}"
expect_eq "racing revocations leave it revoked" revoked "$(aactl --json agents show "$V" | jq -r .status)"
expect_eq "no aactl revocation failed for another reason" "" \
    "$(cat "$AA_TMP"/rev.* | grep -vE '^(0|4)$' | tr -d '\n')"
run_echo "$DIR/v.key" "$V"
expect_http "and HTTP agrees" 403 agent_revoked

# Registrations racing an unlink (§2.9): no delegated agent may outlive it.
"$AAJWT" keygen >"$DIR/hu.key"
HU=$("$AAJWT" thumbprint "$DIR/hu.key")
aactl hosts add --jwk "$("$AAJWT" jwk "$DIR/hu.key")" --user alice >/dev/null
PIDS=()
for i in $(seq 1 12); do
    "$AAJWT" keygen >"$DIR/u$i.key"
    ( curl -s -o /dev/null -X POST "$B/agent/register" -H "Authorization: Bearer $(hjwt "$DIR/hu.key" \
        "$(jq -cn --argjson ak "$("$AAJWT" jwk "$DIR/u$i.key")" '{agent_public_key:$ak}')")" \
        -d '{"name":"racer","capabilities":["check_balance"]}' ) &
    PIDS+=($!)
    [ "$i" = 6 ] && { aactl hosts unlink "$HU" >/dev/null 2>&1 & PIDS+=($!); }
done
wait "${PIDS[@]}"
expect_eq "no delegated agent is active under the unlinked host" 0 \
    "$(aactl --json agents list --host "$HU" --status active | jq length)"

# --- maintenance and statistics --------------------------------------------------------------
"$AAJWT" keygen >"$DIR/p.key"
register "$DIR/h.key" "$DIR/p.key" '{"name":"forgotten","capabilities":["echo"]}'
P=$(jbody .agent_id)
run aactl --json maintenance run
expect_eq "maintenance run --json" 0 "$RC"
expect_json_out "maintenance reports what it did" 'has("pending_agents_deleted") and has("agents_expired") and .pending_agents_deleted == 0'
run aactl --json maintenance run --pending-older-than 0s --approvals-older-than 0
expect_eq "maintenance with a zero threshold" 0 "$RC"
sleep 2
run aactl --json maintenance run --pending-older-than 1s
expect_eq "maintenance deleting pending agents older than 1s" 0 "$RC"
expect_json_out "the forgotten pending agent is deleted" '.pending_agents_deleted >= 1'
run aactl agents show "$P"
expect_eq "it is gone" 3 "$RC"
run aactl maintenance run --pending-older-than soon
expect_eq "maintenance with a bad duration" 2 "$RC"
run aactl --json stats
expect_eq "stats --json" 0 "$RC"
expect_json_out "stats counts agents by status" '.agents >= 5 and .agents_by_status.revoked >= 2 and has("approvals_waiting")'

# Client-chosen text must not drive the operator's terminal.
"$AAJWT" keygen >"$DIR/esc.key"
register "$DIR/h.key" "$DIR/esc.key" '{"name":"evil\u001b]0;pwned\u0007\u009b2J","capabilities":["echo"]}'
run aactl agents list --status pending
if grep -q "evil?]0;pwned??2J" <<<"$OUT" && ! LC_ALL=C grep -q $'[\x1b\x07\x9b]' <<<"$OUT"; then
    pass "tables show control characters of names as ?"
else
    fail "tables show control characters of names as ?" "$(od -c <<<"$OUT" | head -5)"
fi

# --- partial approval, revocation by filter -------------------------------------------------
"$AAJWT" keygen >"$DIR/h4.key"
for k in pa pb; do
    "$AAJWT" keygen >"$DIR/$k.key"
    register "$DIR/h4.key" "$DIR/$k.key" '{"name":"'$k'","capabilities":["echo","check_balance"]}'
    eval "CODE_$k=\$(jbody .approval.user_code)"
done
run aactl --json approve "$CODE_pa" --no-trust --capabilities echo --reason "no balance"
expect_eq "approve --capabilities" 0 "$RC"
expect_json_out "reports what it approved and what it denied" \
    '.grants_approved == ["echo"] and .grants_denied == ["check_balance"] and .host_user_id == null'
run aactl approve "$CODE_pb" --no-trust --capabilities echo,echo
expect_eq "approve --capabilities, in words" "0 1" "$RC $(grep -c '^  denied: check_balance$' <<<"$OUT")"

# Host h holds revoked, rejected and live agents: the filter takes the live ones.
LIVE=$(aactl --json agents list --host "$HOST" |
    jq '[.[] | select(.status | IN("revoked","rejected","claimed") | not)] | length')
run aactl agents revoke --host "$HOST" --yes
expect_eq "revoking a host's agents, some already revoked or rejected, succeeds" 0 "$RC"
expect_eq "each live one is revoked and printed" "$LIVE" "$(grep -c '^agent .* revoked$' <<<"$OUT")"
grep -q "$A1" <<<"$OUT" && fail "the revoked ones are left out" "$OUT" || pass "the revoked ones are left out"
run aactl --json agents revoke --host "$HOST" --yes
expect_eq "again: nothing to revoke is no failure" "0 0" "$RC $(jq .count <<<"$OUT")"

# A filter is not limited to a batch: 70 agents of one host.
"$AAJWT" keygen >"$DIR/h5.key"
for i in $(seq 1 70); do
    "$AAJWT" keygen >"$DIR/m.key"
    register "$DIR/h5.key" "$DIR/m.key" '{"name":"m'$i'","capabilities":["echo"]}'
done
H5=$("$AAJWT" thumbprint "$DIR/h5.key")
run aactl --json agents revoke --host "$H5" --yes
expect_eq "a filter revokes 70 agents in one run" "0 70" "$RC $(jq .count <<<"$OUT")"

if grep -qE 'Segmentation fault|exit signal' "$DIR/logs/error.log"; then
    fail "no child crashed"
else
    pass "no child crashed"
fi
aa_httpd_stop
finish
