#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# flow.sh DRIVER: the whole protocol path against a real httpd on one database.
# Prints TAP-like lines and finally "aa-tests: N run, F failed".
set -uo pipefail

DRIVER=$1
HERE=$(cd "$(dirname "$0")" && pwd)
: "${AACTL:?}" "${AAJWT:?}" "${AA_MODULE:?}" "${AA_DEMO_BACKEND:?}"
AA_LABEL=$DRIVER

# shellcheck source=tests/integration/lib.sh
. "$HERE/lib.sh"
# shellcheck source=tests/integration/httpd.sh
. "$HERE/httpd.sh"
# shellcheck source=tests/integration/dbsetup.sh
. "$HERE/dbsetup.sh"

DIR=$(mktemp -d /tmp/aa-it-XXXXXX)
chmod 755 "$DIR"
AA_TMP=$DIR/tmp
mkdir -p "$AA_TMP" "$DIR/db"
aa_httpd_stage_cgi "$DIR" || { echo "# cannot stage the CGI programs in $DIR"; exit 1; }
cleanup() {
    aa_httpd_stop >/dev/null 2>&1 || true
    if [ "${AA_KEEP:-}" = 1 ]; then echo "# kept $DIR"; else rm -rf "$DIR"; fi
}
trap cleanup EXIT

if ! aa_db_prepare "$DRIVER" "$DIR"; then
    echo "# $DRIVER: database not available, skipped"
    echo "aa-tests: 0 run, 0 failed"
    exit 0
fi

# One capability answered over HTTP by a service of its own (here a second
# listener of the same httpd), which the module calls directly.
BPORT=$(aa_free_port)
jq --arg u "http://127.0.0.1:$BPORT/whoami" \
    '.capabilities += [{name:"whoami_http",description:"whoami over HTTP",backend:$u}]' \
    "$HERE/capabilities.json" >"$DIR/capabilities.json"
cat > "$DIR/body.conf" <<CONF
LoadModule agent_auth_module $AA_MODULE
LogLevel warn agent_auth:debug
$AA_DB_CONF
AgentAuthIssuer http://127.0.0.1:@PORT@
AgentAuthProviderName test-bank
AgentAuthCapabilities $DIR/capabilities.json
AgentAuthHostDefaultCapabilities check_balance whoami
ScriptAlias /backend/demo $AA_DEMO_BACKEND
ScriptAlias /backend/whoami $AA_WHOAMI_CGI
<Location /backend>
    Require expr %{IS_SUBREQ} == 'true'
</Location>
Listen 127.0.0.1:$BPORT
<VirtualHost 127.0.0.1:$BPORT>
    ScriptAlias /whoami $AA_WHOAMI_CGI
</VirtualHost>
# Let in by address or by agent: forged identity headers must still go.
ScriptAlias /mixed/whoami $AA_WHOAMI_CGI
<Location /mixed>
    AuthType AgentAuth
    <RequireAny>
        Require ip 127.0.0.1
        Require agent-capability check_balance
    </RequireAny>
</Location>
# An application of the operator's own, protected by the module.
ScriptAlias /app/whoami $AA_WHOAMI_CGI
<Location /app>
    AuthType AgentAuth
    Require agent-capability check_balance transfer_funds
</Location>
CONF
cat > "$DIR/aactl.conf" <<CONF
$AA_DB_CONF
AgentAuthIssuer http://example.invalid
CONF

if ! "$AACTL" -c "$DIR/aactl.conf" schema create >"$AA_TMP/schema.out" 2>&1; then
    fail "aactl schema create" "$(cat "$AA_TMP/schema.out")"
    echo "aa-tests: $AA_RUN run, $AA_FAILED failed"
    exit 1
fi
pass "aactl schema create"
AA_HTTPD_EXTRA_MODULES="authz_host"
if ! aa_httpd_start "$DIR" "$DIR/body.conf"; then
    fail "httpd starts with the module"
    echo "aa-tests: $AA_RUN run, $AA_FAILED failed"
    exit 1
fi
pass "httpd starts with the module"
B=$AA_BASE_URL
EXEC_AUD="$B/capability/execute"
aactl() { "$AACTL" -c "$DIR/aactl.conf" "$@"; }

# --- keys and tokens --------------------------------------------------------
"$AAJWT" keygen >"$DIR/host.key"
"$AAJWT" keygen >"$DIR/agent.key"
"$AAJWT" keygen >"$DIR/other.key"
HOST_ID=$("$AAJWT" thumbprint "$DIR/host.key")
HOST_JWK=$("$AAJWT" jwk "$DIR/host.key")
AGENT_JWK=$("$AAJWT" jwk "$DIR/agent.key")

host_jwt() { # [extra claims JSON]
    local extra=${1:-'{}'}
    "$AAJWT" sign "$DIR/host.key" host+jwt \
        "$(jq -cn --arg iss "$HOST_ID" --arg aud "$B" --argjson hk "$HOST_JWK" \
            --argjson x "$extra" '{iss:$iss,aud:$aud,host_public_key:$hk} + $x')"
}
register_jwt() { # AGENT_JWK
    host_jwt "$(jq -cn --argjson ak "$1" '{agent_public_key:$ak}')"
}
agent_jwt() { # KEYFILE AGENT_ID AUD [extra claims] [header]
    "$AAJWT" sign "$1" agent+jwt \
        "$(jq -cn --arg sub "$2" --arg aud "$3" --argjson x "${4:-{\}}" \
            '{sub:$sub,aud:$aud} + $x')" ${5:+"$5"}
}
agent_count() {
    aactl --json agents list | jq length
}

# --- discovery and capabilities ---------------------------------------------
http GET /.well-known/agent-configuration
expect_http "discovery answers 200" 200
expect_json "discovery has every required field" \
    '.version == "1.0-draft" and .provider_name == "test-bank" and (.description|type)=="string"
     and .issuer == "'"$B"'" and .default_location == "'"$EXEC_AUD"'"
     and .algorithms == ["Ed25519"] and (.modes|index("delegated")) != null
     and (.approval_methods|index("device_authorization")) != null
     and .endpoints.register == "/agent/register" and .endpoints.execute == "/capability/execute"'
if grep -qi '^Cache-Control: public, max-age=3600' <<<"$HEADERS"; then
    pass "discovery carries Cache-Control"
else
    fail "discovery carries Cache-Control" "$HEADERS"
fi

http GET /capability/list
expect_http "capability list without auth" 200
expect_json "capability list names every capability, without grant_status" \
    '[.capabilities[].name] == ["echo","check_balance","transfer_funds","whoami","whoami_http"]
     and all(.capabilities[]; has("grant_status") | not) and .has_more == false'
http GET "/capability/describe?name=echo"
expect_http "describe echo" 200
expect_json "describe returns the input schema" '.name == "echo" and .input.required == ["message"]'
http GET "/capability/describe?name=nope"
expect_http "describe of an unknown capability" 404 capability_not_found
http POST /capability/list "" '{}'
expect_http "capability list refuses POST" 405 method_not_allowed

# --- registration -------------------------------------------------------------
BEFORE=$(agent_count)
http POST /agent/register "$(register_jwt "$AGENT_JWK")" '{"name":"bad","capabilities":["echo","no_such","also_not"]}'
expect_http "register with unknown capabilities" 400 invalid_capabilities
expect_json "invalid_capabilities names them" '.invalid_capabilities == ["no_such","also_not"]'

http POST /agent/register "$(register_jwt "$AGENT_JWK")" \
    '{"name":"Test agent","host_name":"ci-runner","capabilities":["echo","check_balance","whoami"]}'
expect_http "register an agent of an unknown host" 200
expect_json "the new agent is pending with a device approval" \
    '.status == "pending" and .mode == "delegated" and .host_id == "'"$HOST_ID"'"
     and .approval.method == "device_authorization"
     and (.approval.user_code | test("^[A-Z2-9]{4}-[A-Z2-9]{4}$"))
     and (.approval.verification_uri | startswith("'"$B"'/device"))
     and (.approval as $a | $a.verification_uri_complete | contains($a.user_code))
     and .approval.expires_in == 300 and .approval.interval == 5
     and ([.agent_capability_grants[].status] | unique) == ["pending"]'
AGENT_ID=$(jbody .agent_id)
FIRST_CODE=$(jbody .approval.user_code)
expect_eq "one agent was created" "$((BEFORE + 1))" "$(agent_count)"

http POST /agent/register "$(register_jwt "$AGENT_JWK")" '{"name":"Test agent","capabilities":["echo","check_balance","whoami"]}'
expect_http "a pending registration may be retried" 200
expect_eq "the retry returns the same agent" "$AGENT_ID" "$(jbody .agent_id)"
CODE=$(jbody .approval.user_code)
expect_eq "the retry created no second agent" "$((BEFORE + 1))" "$(agent_count)"

http GET "/agent/status?agent_id=$AGENT_ID" "$(host_jwt)"
expect_http "status of the pending agent" 200
expect_json "status says pending" '.status == "pending" and .agent_id == "'"$AGENT_ID"'"'

http POST /capability/execute "$(agent_jwt "$DIR/agent.key" "$AGENT_ID" "$EXEC_AUD")" \
    '{"capability":"echo","arguments":{"message":"x"}}'
expect_http "a pending agent cannot execute" 403 agent_pending

# --- approval from the shell --------------------------------------------------
aactl approvals list >"$AA_TMP/approvals.txt" 2>&1
if grep -q "$AGENT_ID" "$AA_TMP/approvals.txt"; then
    pass "aactl approvals list shows the request"
else
    fail "aactl approvals list shows the request" "$(cat "$AA_TMP/approvals.txt")"
fi
expect_eq "the retry leaves the code a person may hold valid" pending \
    "$(aactl --json approvals show "$FIRST_CODE" | jq -r .status)"
aactl approve NOPE-NOPE >/dev/null 2>&1
expect_eq "an unknown code is not found (exit 3)" 3 $?
aactl approve "$(tr 'A-Z' 'a-z' <<<"$CODE" | tr -d -)" --user alice >"$AA_TMP/approve.out" 2>&1
expect_eq "aactl approve CODE succeeds (lower case, no dash; links the new host, §2.9)" 0 $?
aactl approve "$CODE" --user alice >/dev/null 2>&1
expect_eq "approving twice is a conflict (exit 4)" 4 $?
aactl approve "$FIRST_CODE" --user alice >/dev/null 2>&1
expect_eq "the retry's other code is closed by the approval (exit 4)" 4 $?

http GET "/agent/status?agent_id=$AGENT_ID" "$(host_jwt)"
expect_json "the agent is active with active grants" \
    '.status == "active" and .user_id == "alice"
     and ([.agent_capability_grants[].status] | unique) == ["active"]
     and (.agent_capability_grants[] | select(.capability == "echo") | .input.required) == ["message"]'

http GET "/device?user_code=wdjb-mjht"
expect_eq "without AgentAuthApprovalURI the verification page is served" 200 "$STATUS"
if grep -q "aactl approve WDJB-MJHT<" <<<"$BODY"; then
    pass "the page tells what to do with the code"
else
    fail "the page tells what to do with the code" "$BODY"
fi
http GET "/device?user_code=WDJB-MJHT%20--user%20admin%3B%20curl%20x%7Csh%20%3Cb%3E"
if grep -q "aactl approve CODE<" <<<"$BODY" && ! grep -q "curl" <<<"$BODY"; then
    pass "anything but a well-formed code is not echoed into the command"
else
    fail "anything but a well-formed code is not echoed into the command" "$BODY"
fi

# --- execution ----------------------------------------------------------------
TOKEN=$(agent_jwt "$DIR/agent.key" "$AGENT_ID" "$EXEC_AUD")
http POST /capability/execute "$TOKEN" '{"capability":"echo","arguments":{"message":"hello, agent"}}'
expect_http "execute echo" 200
expect_json "the backend's reply comes back as data" '.data == {"echo":"hello, agent"}'
if grep -q "AA00020" "$DIR/logs/error.log"; then
    fail "no forgery warning when nobody forged a header" "$(grep AA00020 "$DIR/logs/error.log")"
else
    pass "no forgery warning when nobody forged a header"
fi
http POST /capability/execute "$TOKEN" '{"capability":"echo","arguments":{"message":"again"}}'
expect_http "a replayed jti is refused" 401 invalid_jwt
if aa_httpd_reload; then
    http POST /capability/execute "$TOKEN" '{"capability":"echo","arguments":{"message":"again"}}'
    expect_http "a graceful restart does not forget used jtis" 401 invalid_jwt
else
    fail "graceful restart"
fi

http POST /capability/execute "$(agent_jwt "$DIR/agent.key" "$AGENT_ID" "$EXEC_AUD")" \
    '{"capability":"check_balance","arguments":{"account_id":"acc_1"}}'
expect_json "check_balance returns the demo balance" \
    '.data.account_id == "acc_1" and .data.balance == 100.5 and .data.currency == "USD"'

http POST /capability/execute "$(agent_jwt "$DIR/agent.key" "$AGENT_ID" "$EXEC_AUD")" \
    '{"capability":"transfer_funds","arguments":{"from":"a","to":"b","amount":5}}'
expect_http "a capability that was never granted" 403 capability_not_granted
http POST /capability/execute "$(agent_jwt "$DIR/agent.key" "$AGENT_ID" "$EXEC_AUD")" \
    '{"capability":"no_such_thing"}'
expect_http "an unknown capability" 404 capability_not_found
http POST /capability/execute "$(agent_jwt "$DIR/agent.key" "$AGENT_ID" "$EXEC_AUD" \
    '{"capabilities":["check_balance"]}')" '{"capability":"echo","arguments":{"message":"x"}}'
expect_http "the JWT capabilities claim narrows what it may do" 403 capability_not_granted

# --- rejected tokens ------------------------------------------------------------
http POST /capability/execute "" '{"capability":"echo"}'
expect_http "execute without a token" 401 unauthorized
if grep -qi '^WWW-Authenticate: AgentAuth discovery="'"$B"'/.well-known/agent-configuration"' \
        <<<"$HEADERS"; then
    pass "401 carries the AgentAuth challenge"
else
    fail "401 carries the AgentAuth challenge" "$HEADERS"
fi
http POST /capability/execute "$("$AAJWT" sign "$DIR/agent.key" host+jwt \
    "{\"sub\":\"$AGENT_ID\",\"aud\":\"$EXEC_AUD\"}")" '{"capability":"echo"}'
expect_http "wrong typ (host+jwt) on execute" 401 invalid_jwt
http POST /capability/execute "$(agent_jwt "$DIR/other.key" "$AGENT_ID" "$EXEC_AUD")" \
    '{"capability":"echo"}'
expect_http "a signature by another key" 401 invalid_jwt
BAD=$(agent_jwt "$DIR/agent.key" "$AGENT_ID" "$EXEC_AUD")
BAD="${BAD%.*}.$(printf 'A%.0s' $(seq 1 86))"
http POST /capability/execute "$BAD" '{"capability":"echo"}'
expect_http "a zeroed signature" 401 invalid_jwt
NONE=$(agent_jwt "$DIR/agent.key" "$AGENT_ID" "$EXEC_AUD" '{}' '{"alg":"none"}')
http POST /capability/execute "${NONE%.*}." '{"capability":"echo"}'
expect_http "alg none without a signature" 401 invalid_jwt
http POST /capability/execute "$NONE" '{"capability":"echo"}'
expect_http "alg none even with a signature" 401 invalid_jwt
http POST /capability/execute "$(agent_jwt "$DIR/agent.key" "$AGENT_ID" "$B")" '{"capability":"echo"}'
expect_http "aud is the issuer, not the execute location" 401 invalid_jwt
http POST /capability/execute "$(agent_jwt "$DIR/agent.key" "$AGENT_ID" "https://evil.example/capability/execute")" '{"capability":"echo"}'
expect_http "aud of another server" 401 invalid_jwt
NOW=$(date +%s)
http POST /capability/execute "$(agent_jwt "$DIR/agent.key" "$AGENT_ID" "$EXEC_AUD" \
    "{\"iat\":$((NOW - 200)),\"exp\":$((NOW - 140))}")" '{"capability":"echo"}'
expect_http "an expired JWT" 401 invalid_jwt
http POST /capability/execute "$(agent_jwt "$DIR/agent.key" "$AGENT_ID" "$EXEC_AUD" \
    "{\"iat\":$((NOW + 120)),\"exp\":$((NOW + 180))}")" '{"capability":"echo"}'
expect_http "a JWT issued in the future" 401 invalid_jwt
http POST /capability/execute "$(agent_jwt "$DIR/agent.key" "$AGENT_ID" "$EXEC_AUD" \
    "{\"iat\":$NOW,\"exp\":$((NOW + 3600))}")" '{"capability":"echo"}'
expect_http "a JWT that lives an hour" 401 invalid_jwt
http POST /capability/execute "$(agent_jwt "$DIR/agent.key" "agt_nobody" "$EXEC_AUD")" '{"capability":"echo"}'
expect_http "a JWT for an unknown agent" 401 invalid_jwt
http POST /capability/execute "garbage.token" '{"capability":"echo"}'
expect_http "a token that is not a JWT" 401 invalid_jwt

# --- identity passed to the backend ------------------------------------------
curl -s -o "$AA_TMP/body" -X POST "$B/capability/execute" \
    -H "Authorization: Bearer $(agent_jwt "$DIR/agent.key" "$AGENT_ID" "$EXEC_AUD")" \
    -H "X-Agent-Auth-Agent-Id: forged" -d '{"capability":"whoami","arguments":{}}'
BODY=$(cat "$AA_TMP/body")
expect_json "the backend sees the agent identity, not the forged header" \
    '.data.agent_id == "'"$AGENT_ID"'" and .data.header_agent_id == "'"$AGENT_ID"'"
     and .data.host_id == "'"$HOST_ID"'" and .data.capability == "whoami"
     and .data.mode == "delegated" and .data.authorization == ""'
http GET /backend/whoami
expect_eq "the backend cannot be reached directly" 403 "$STATUS"
aactl grants add "$AGENT_ID" whoami_http >/dev/null
curl -s -o "$AA_TMP/body" -X POST "$B/capability/execute" \
    -H "Authorization: Bearer $(agent_jwt "$DIR/agent.key" "$AGENT_ID" "$EXEC_AUD")" \
    -H "X-Agent-Auth-Agent-Id: forged" -d '{"capability":"whoami_http","arguments":{"a":"b"}}'
BODY=$(cat "$AA_TMP/body")
expect_json "an http:// backend gets the arguments as its body and the identity headers" \
    '.data.header_agent_id == "'"$AGENT_ID"'" and .data.body_length == "9"
     and .data.authorization == ""'

# --- AuthType AgentAuth and Require agent-capability on a location of our own --
http GET /app/whoami
expect_http "a protected location without a token" 401 unauthorized
if grep -qi '^WWW-Authenticate: AgentAuth discovery=' <<<"$HEADERS"; then
    pass "its 401 points at discovery"
else
    fail "its 401 points at discovery" "$HEADERS"
fi
curl -s -o "$AA_TMP/body" -H "Authorization: Bearer $(agent_jwt "$DIR/agent.key" "$AGENT_ID" "$B")" \
    -H "X-Agent-Auth-Agent-Id: forged" -H "X_Agent_Auth_Agent_Id: forged" "$B/app/whoami"
BODY=$(cat "$AA_TMP/body")
expect_json "an agent holding the capability gets through, with its identity" \
    '.agent_id == "'"$AGENT_ID"'" and .header_agent_id == "'"$AGENT_ID"'" and .mode == "delegated"'
curl -s -o "$AA_TMP/body" -H "X-Agent-Auth-Agent-Id: forged" "$B/mixed/whoami"
BODY=$(cat "$AA_TMP/body")
expect_json "let in without an agent, a request keeps no forged identity header" \
    '.header_agent_id == "" and .agent_id == ""'
http GET /app/whoami "$(agent_jwt "$DIR/agent.key" "$AGENT_ID" "$EXEC_AUD")"
expect_http "the execute audience is not this location's" 401 invalid_jwt
http GET /app/whoami "$(agent_jwt "$DIR/agent.key" "$AGENT_ID" "$B" '{"capabilities":["echo"]}')"
expect_http "a JWT narrowed to other capabilities is refused" 403 capability_not_granted
if grep -qi '^Content-Type: application/json' <<<"$HEADERS"; then
    pass "the refusal is JSON"
else
    fail "the refusal is JSON" "$HEADERS"
fi

# --- a linked host's next agent --------------------------------------------------
"$AAJWT" keygen >"$DIR/agent2.key"
http POST /agent/register "$(register_jwt "$("$AAJWT" jwk "$DIR/agent2.key")")" \
    '{"name":"Second agent","capabilities":["check_balance"]}'
expect_json "a trusted host's agent gets default capabilities at once" \
    '.status == "active" and .agent_capability_grants[0].status == "active" and (has("approval") | not)'
"$AAJWT" keygen >"$DIR/agent3.key"
http POST /agent/register "$(register_jwt "$("$AAJWT" jwk "$DIR/agent3.key")")" \
    '{"name":"Third agent","capabilities":["transfer_funds"]}'
expect_json "anything beyond the defaults still waits for approval" \
    '.status == "pending" and (.agent_capability_grants | map({(.capability): .status}) | add)
       == {"transfer_funds":"pending"}'
THIRD=$(jbody .agent_id)
aactl deny "$(jbody .approval.user_code)" --reason "not today" >/dev/null 2>&1
expect_eq "aactl deny CODE succeeds" 0 $?
http GET "/agent/status?agent_id=$THIRD" "$(host_jwt)"
expect_json "a denied agent is rejected, its grant denied with the reason" \
    '.status == "rejected" and (.agent_capability_grants[] | select(.capability=="transfer_funds")
       | .status == "denied" and .reason == "not today")'
http POST /capability/execute "$(agent_jwt "$DIR/agent3.key" "$THIRD" "$EXEC_AUD")" '{"capability":"check_balance"}'
expect_http "a rejected agent cannot execute" 403 agent_rejected

http POST /agent/register "$(register_jwt "$AGENT_JWK")" '{"name":"again"}'
expect_http "re-registering an active agent's key" 409 agent_exists

# --- status: ownership -------------------------------------------------------------
"$AAJWT" keygen >"$DIR/host2.key"
H2=$("$AAJWT" thumbprint "$DIR/host2.key")
H2JWK=$("$AAJWT" jwk "$DIR/host2.key")
http POST /agent/register "$("$AAJWT" sign "$DIR/host2.key" host+jwt "$(jq -cn --arg iss "$H2" \
    --arg aud "$B" --argjson hk "$H2JWK" --argjson ak "$("$AAJWT" jwk "$DIR/other.key")" \
    '{iss:$iss,aud:$aud,host_public_key:$hk,agent_public_key:$ak}')")" '{"name":"h2","mode":"autonomous"}'
expect_json "an autonomous agent of an unknown host waits for approval" \
    '.status == "pending" and .mode == "autonomous"'
http GET "/agent/status?agent_id=$AGENT_ID" "$("$AAJWT" sign "$DIR/host2.key" host+jwt \
    "{\"iss\":\"$H2\",\"aud\":\"$B\"}")"
expect_http "another host cannot see the agent" 403 unauthorized
http GET "/agent/status?agent_id=agt_missing" "$(host_jwt)"
expect_http "status of an unknown agent" 404 agent_not_found
http GET "/agent/status" "$(host_jwt)"
expect_http "status without agent_id" 400 invalid_request

# --- host JWT rejections ----------------------------------------------------------------
"$AAJWT" keygen >"$DIR/host3.key"
http POST /agent/register "$("$AAJWT" sign "$DIR/host3.key" host+jwt "$(jq -cn --arg iss "$HOST_ID" \
    --arg aud "$B" --argjson hk "$("$AAJWT" jwk "$DIR/host3.key")" --argjson ak "$AGENT_JWK" \
    '{iss:$iss,aud:$aud,host_public_key:$hk,agent_public_key:$ak}')")" '{"name":"impostor"}'
expect_http "a host JWT signed by another key under a known iss" 401 invalid_jwt
H3=$("$AAJWT" thumbprint "$DIR/host3.key")
http POST /agent/register "$("$AAJWT" sign "$DIR/host3.key" host+jwt "$(jq -cn --arg iss "not-$H3" \
    --arg aud "$B" --argjson hk "$("$AAJWT" jwk "$DIR/host3.key")" --argjson ak "$AGENT_JWK" \
    '{iss:$iss,aud:$aud,host_public_key:$hk,agent_public_key:$ak}')")" '{"name":"x"}'
expect_http "iss that is not the host key's thumbprint" 401 invalid_jwt
http POST /agent/register "$(host_jwt '{"agent_public_key":{"kty":"RSA","n":"AQAB","e":"AQAB"}}')" '{"name":"rsa"}'
expect_http "an RSA agent key" 400 unsupported_algorithm
http POST /agent/register "$(host_jwt '{"agent_public_key":{"kty":"OKP","crv":"Ed25519","x":"AAAA"}}')" '{"name":"short"}'
expect_http "an agent key of the wrong length" 400 invalid_public_key
http POST /agent/register "$(host_jwt)" '{"name":"nokey"}'
expect_http "registration without agent_public_key" 400 invalid_request
http POST /agent/register "$(register_jwt "$AGENT_JWK")" '{"name":"m","mode":"telepathic"}'
expect_http "an unsupported mode" 400 unsupported_mode
TOKEN=$(host_jwt)
http GET "/agent/status?agent_id=$AGENT_ID" "$TOKEN"
http GET "/agent/status?agent_id=$AGENT_ID" "$TOKEN"
expect_http "a replayed host JWT" 401 invalid_jwt

# --- malformed requests leave the database as it was -----------------------------------------
BEFORE=$(agent_count)
HOSTS_BEFORE=$(aactl --json hosts list | jq length)
"$AAJWT" keygen >"$DIR/agent4.key"
A4=$("$AAJWT" jwk "$DIR/agent4.key")
http POST /agent/register "$(register_jwt "$A4")" '{"name": "unterminated'
expect_http "malformed JSON" 400 invalid_request
http POST /agent/register "$(register_jwt "$A4")" '["name"]'
expect_http "a JSON array body" 400 invalid_request
http POST /agent/register "$(register_jwt "$A4")" '{"capabilities":["echo"]}'
expect_http "a missing name" 400 invalid_request
http POST /agent/register "$(register_jwt "$A4")" '{"name":42}'
expect_http "a name of the wrong type" 400 invalid_request
http POST /agent/register "$(register_jwt "$A4")" '{"name":"x","capabilities":"echo"}'
expect_http "capabilities not an array" 400 invalid_request
http POST /agent/register "$(register_jwt "$A4")" '{"name":"x","capabilities":[42]}'
expect_http "a capability of the wrong type" 400 invalid_request
http POST /agent/register "$(register_jwt "$A4")" '{"name":"x","name":"y"}'
expect_http "a duplicate member" 400 invalid_request
head -c 5000000 /dev/zero | tr '\0' 'a' | sed 's/^/{"name":"/; s/$/"}/' >"$AA_TMP/big.json"
http POST /agent/register "$(register_jwt "$A4")" "@$AA_TMP/big.json"
expect_http "a body of several MB" 413 invalid_request
http POST /agent/register "$(register_jwt "$A4")" ''
expect_http "an empty body" 400 invalid_request
http POST /capability/execute "$(agent_jwt "$DIR/agent.key" "$AGENT_ID" "$EXEC_AUD")" '{"capability":"echo","arguments":[1]}'
expect_http "arguments that are not an object" 400 invalid_request
http POST /capability/execute "$(agent_jwt "$DIR/agent.key" "$AGENT_ID" "$EXEC_AUD")" '{"arguments":{}}'
expect_http "execute without capability" 400 invalid_request
http POST /agent/register "$(register_jwt "$A4")" "{\"name\":\"x'); DROP TABLE aa_agents; --\",\"host_name\":\"\\\" OR 1=1 --\"}"
expect_http "SQL metacharacters are only data" 200
expect_eq "the malformed requests created nothing" "$((BEFORE + 1))" "$(agent_count)"
expect_eq "no host was added by them" "$HOSTS_BEFORE" "$(aactl --json hosts list | jq length)"
aactl --json agents list | jq -e 'map(select(.name == "x'"'"'); DROP TABLE aa_agents; --")) | length == 1' >/dev/null
expect_eq "the odd name was stored verbatim" 0 $?

if grep -qE 'Segmentation fault|exit signal|AH00052' "$DIR/logs/error.log"; then
    fail "no child crashed" "$(grep -E 'Segmentation|exit signal' "$DIR/logs/error.log" | head -3)"
else
    pass "no child crashed"
fi

aa_httpd_stop
echo "aa-tests: $AA_RUN run, $AA_FAILED failed"
[ "$AA_FAILED" -eq 0 ]
