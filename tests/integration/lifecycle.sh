#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# lifecycle.sh DRIVER: the rest of the protocol against a real httpd: capability
# requests and constraints, revocation, key rotation, introspection, claiming,
# partial approval, and the lifetime clocks with short configured durations.
set -uo pipefail

DRIVER=$1
HERE=$(cd "$(dirname "$0")" && pwd)
: "${AACTL:?}" "${AAJWT:?}" "${AA_MODULE:?}" "${AA_DEMO_BACKEND:?}"
AA_LABEL="$DRIVER lifecycle"

# shellcheck source=tests/integration/lib.sh
. "$HERE/lib.sh"
# shellcheck source=tests/integration/httpd.sh
. "$HERE/httpd.sh"
# shellcheck source=tests/integration/dbsetup.sh
. "$HERE/dbsetup.sh"

DIR=$(mktemp -d /tmp/aa-lc-XXXXXX)
chmod 755 "$DIR"
AA_TMP=$DIR/tmp
mkdir -p "$AA_TMP" "$DIR/db"
aa_httpd_stage_cgi "$DIR" || { echo "# cannot stage the CGI programs in $DIR"; exit 1; }
cleanup() {
    aa_httpd_stop >/dev/null 2>&1 || true
    if [ "${AA_KEEP:-}" = 1 ]; then echo "# kept $DIR"; else rm -rf "$DIR"; fi
}
trap cleanup EXIT
finish() {
    echo "aa-tests: $AA_RUN run, $AA_FAILED failed"
    [ "$AA_FAILED" -eq 0 ]
    exit $?
}

if ! aa_db_prepare "$DRIVER" "$DIR"; then
    echo "# $DRIVER: database not available, skipped"
    echo "aa-tests: 0 run, 0 failed"
    exit 0
fi
SECRET=introspection-secret-0123456789
# Short clocks so that the test sees them run out.
TTL=3
MAXLIFE=7
ABSOLUTE=20
cat > "$DIR/body.conf" <<CONF
LoadModule agent_auth_module $AA_MODULE
LogLevel warn agent_auth:debug
$AA_DB_CONF
AgentAuthIssuer http://127.0.0.1:@PORT@
AgentAuthCapabilities $HERE/capabilities.json
AgentAuthHostDefaultCapabilities check_balance whoami
AgentAuthSessionTTL $TTL
AgentAuthMaxLifetime $MAXLIFE
AgentAuthAbsoluteLifetime $ABSOLUTE
# AgentAuthActivityInterval stays at its default (5), longer than the TTL:
# the busy agent below must still slide.
AgentAuthIntrospectionSecret $SECRET
# Far above what the rest of this test sends in a minute; the burst
# at the end runs into it even on a slow machine.
AgentAuthRateLimit 1500
AgentAuthAgentRateLimit 40
AgentAuthApprovalMethods device_authorization ciba
AgentAuthCIBANotify /backend/demo/ciba-notify
ScriptAlias /backend/demo $AA_DEMO_BACKEND
ScriptAlias /backend/whoami $AA_WHOAMI_CGI
<Location /backend>
    Require expr %{IS_SUBREQ} == 'true'
    SetEnv AA_DEMO_NOTIFY_LOG $DIR/ciba.log
</Location>
CONF
touch "$DIR/ciba.log"
chmod 666 "$DIR/ciba.log"
AA_HTTPD_EXTRA_MODULES="env"
printf '%s\n' "$AA_DB_CONF" "AgentAuthIssuer http://x.invalid" \
    "AgentAuthSessionTTL $TTL" "AgentAuthMaxLifetime $MAXLIFE" \
    "AgentAuthAbsoluteLifetime $ABSOLUTE" >"$DIR/aactl.conf"
aactl() { "$AACTL" -c "$DIR/aactl.conf" "$@"; }

aactl schema create >/dev/null 2>&1 || { fail "schema create"; finish; }
aa_httpd_start "$DIR" "$DIR/body.conf" || { fail "httpd starts"; finish; }
B=$AA_BASE_URL
EXEC="$B/capability/execute"

# A pre-registered host, trusted for alice: its agents get the defaults at once.
"$AAJWT" keygen >"$DIR/host.key"
HOST_ID=$("$AAJWT" thumbprint "$DIR/host.key")
aactl hosts add --jwk "$("$AAJWT" jwk "$DIR/host.key")" --user alice --name ci >/dev/null
expect_eq "aactl hosts add pre-registers a host" 0 $?
aactl hosts add --jwk "$("$AAJWT" jwk "$DIR/host.key")" --user alice >/dev/null 2>&1
expect_eq "adding the same host twice is a conflict" 4 $?

hjwt() { # KEYFILE [ISS] [extra]
    local iss=${2:-$("$AAJWT" thumbprint "$1")}
    "$AAJWT" sign "$1" host+jwt "$(jq -cn --arg iss "$iss" --arg aud "$B" \
        --argjson x "${3:-{\}}" '{iss:$iss,aud:$aud} + $x')"
}
ajwt() { # KEYFILE AGENT_ID AUD [extra]
    "$AAJWT" sign "$1" agent+jwt "$(jq -cn --arg sub "$2" --arg aud "$3" \
        --argjson x "${4:-{\}}" '{sub:$sub,aud:$aud} + $x')"
}
register() { # HOSTKEY AGENTKEY BODY -> sets AGENT
    http POST /agent/register "$(hjwt "$1" "" "$(jq -cn --argjson ak "$("$AAJWT" jwk "$2")" \
        --argjson hk "$("$AAJWT" jwk "$1")" '{agent_public_key:$ak,host_public_key:$hk}')")" "$3"
    AGENT=$(jbody .agent_id)
}

"$AAJWT" keygen >"$DIR/a1.key"
"$AAJWT" keygen >"$DIR/a0.key"
register "$DIR/host.key" "$DIR/a0.key" '{"name":"no list"}'
expect_json "no capabilities listed: an active agent with none (§5.3)" \
    '.status == "active" and .agent_capability_grants == []'
register "$DIR/host.key" "$DIR/a1.key" '{"name":"worker","capabilities":["check_balance","whoami"]}'
expect_json "the trusted host's defaults, active at once" \
    '.status == "active" and ([.agent_capability_grants[] | select(.status=="active") | .capability]
      | sort) == ["check_balance","whoami"]'
A1=$AGENT

# --- request-capability and constraints --------------------------------------
http POST /agent/request-capability "$(ajwt "$DIR/a1.key" "$A1" "$B")" \
    '{"capabilities":[{"name":"transfer_funds","constraints":{"amount":{"max":1000},"currency":{"in":["USD"]}}}],"reason":"pay rent"}'
expect_http "request a capability beyond the defaults" 200
expect_json "only the new grant, pending, with an approval" \
    '.agent_id == "'"$A1"'" and (.agent_capability_grants | length) == 1
     and .agent_capability_grants[0].status == "pending" and .approval.method == "device_authorization"'
CODE=$(jbody .approval.user_code)
http POST /agent/request-capability "$(ajwt "$DIR/a1.key" "$A1" "$B")" '{"capabilities":["check_balance"]}'
expect_http "asking for what is already granted" 409 already_granted
http POST /agent/request-capability "$(ajwt "$DIR/a1.key" "$A1" "$B")" '{"capabilities":["nope"]}'
expect_http "asking for an unknown capability" 400 invalid_capabilities
http POST /agent/request-capability "$(ajwt "$DIR/a1.key" "$A1" "$B")" \
    '{"capabilities":[{"name":"transfer_funds","constraints":{"amount":{"around":5}}}]}'
expect_http "an unknown constraint operator" 400 unknown_constraint_operator
expect_json "unknown_operators names it" '.unknown_operators == ["around"]'
http POST /agent/request-capability "$(ajwt "$DIR/a1.key" "$A1" "$B")" '{"capabilities":[]}'
expect_http "an empty capabilities list" 400 invalid_request
http POST /agent/request-capability "$(ajwt "$DIR/a1.key" "$A1" "$EXEC")" '{"capabilities":["echo"]}'
expect_http "request-capability with the execute audience" 401 invalid_jwt

http POST /agent/request-capability "$(ajwt "$DIR/a1.key" "$A1" "$B")" '{"capabilities":["echo"]}'
http POST /agent/request-capability "$(ajwt "$DIR/a1.key" "$A1" "$B")" '{"capabilities":["echo"]}'
expect_json "asking twice while pending gives the same pending grant" \
    '(.agent_capability_grants | length) == 1 and .agent_capability_grants[0].status == "pending"'
CODE=$(jbody .approval.user_code)
aactl --json approvals show "$CODE" >"$AA_TMP/show.json"
if jq -e '(.capabilities | sort) == ["echo","transfer_funds"]' "$AA_TMP/show.json" >/dev/null; then
    pass "a newer request shows every grant still pending, so nothing is approved unseen"
else
    fail "a newer request shows every grant still pending" "$(cat "$AA_TMP/show.json")"
fi
aactl approve "$CODE" --user alice >/dev/null
expect_eq "aactl approves the capability request" 0 $?
http GET "/agent/status?agent_id=$A1" "$(hjwt "$DIR/host.key")"
expect_json "the approved grant carries the effective constraints" \
    '.agent_capability_grants[] | select(.capability=="transfer_funds") | .status == "active"
      and .constraints == {"amount":{"max":1000},"currency":{"in":["USD"]}}'

http POST /capability/execute "$(ajwt "$DIR/a1.key" "$A1" "$EXEC")" \
    '{"capability":"transfer_funds","arguments":{"from":"a","to":"b","amount":500,"currency":"USD"}}'
expect_http "a transfer within the constraints" 200
expect_json "the transfer goes through" '.data.status == "ok" and .data.amount == 500'
http POST /capability/execute "$(ajwt "$DIR/a1.key" "$A1" "$EXEC")" \
    '{"capability":"transfer_funds","arguments":{"from":"a","to":"b","amount":5000,"currency":"GBP"}}'
expect_http "a transfer beyond the constraints" 403 constraint_violated
expect_json "violations name each field" \
    '(.violations | map(.field) | sort) == ["amount","currency"]
     and (.violations[] | select(.field=="amount") | .constraint == {"max":1000} and .actual == 5000)'
http POST /capability/execute "$(ajwt "$DIR/a1.key" "$A1" "$EXEC")" \
    '{"capability":"transfer_funds","arguments":{"from":"a","to":"b","currency":"USD"}}'
expect_http "a missing constrained field violates" 403 constraint_violated
http POST /capability/execute "$(ajwt "$DIR/a1.key" "$A1" "$EXEC")" \
    '{"capability":"transfer_funds","arguments":{"from":"a","to":"b","amount":"500","currency":"USD"}}'
expect_http "a constrained field of the wrong type violates" 403 constraint_violated
http POST /capability/execute "$(ajwt "$DIR/a1.key" "$A1" "$EXEC")" \
    '{"capability":"transfer_funds","arguments":{"to":"b","amount":5,"currency":"USD"}}'
expect_http "arguments that miss a required input field" 400 invalid_request
http POST /capability/execute "$(ajwt "$DIR/a1.key" "$A1" "$EXEC")" \
    '{"capability":"check_balance","arguments":{"account_id":7}}'
expect_http "arguments of the wrong type for the schema" 400 invalid_request

# --- introspection -------------------------------------------------------------
TOKEN=$(ajwt "$DIR/a1.key" "$A1" "$EXEC" '{"capabilities":["check_balance"]}')
curl -s -o "$AA_TMP/body" -X POST "$B/agent/introspect" -H "Authorization: Bearer $SECRET" \
    -d "$(jq -cn --arg t "$TOKEN" '{token:$t}')"
BODY=$(cat "$AA_TMP/body")
expect_json "introspection of a good token" \
    '.active == true and .agent_id == "'"$A1"'" and .host_id == "'"$HOST_ID"'" and .mode == "delegated"
     and .agent_capability_grants == [{"capability":"check_balance","status":"active"}]'
curl -s -o "$AA_TMP/body" -X POST "$B/agent/introspect" -H "Authorization: Bearer $SECRET" \
    -d "$(jq -cn --arg t "$TOKEN" '{token:$t}')"
BODY=$(cat "$AA_TMP/body")
expect_json "the same token a second time is inactive" '. == {"active":false}'
curl -s -o "$AA_TMP/body" -X POST "$B/agent/introspect" -H "Authorization: Bearer $SECRET" \
    -d '{"token":"not.a.jwt"}'
BODY=$(cat "$AA_TMP/body")
expect_json "a bad token is inactive" '. == {"active":false}'
http POST /agent/introspect "wrong-secret" "$(jq -cn --arg t "$TOKEN" '{token:$t}')"
expect_http "introspection without the credential" 401 unauthorized

# --- agent key rotation ------------------------------------------------------------
"$AAJWT" keygen >"$DIR/a1-new.key"
http POST /agent/rotate-key "$(hjwt "$DIR/host.key")" \
    "$(jq -cn --arg id "$A1" --argjson k "$("$AAJWT" jwk "$DIR/a1-new.key")" '{agent_id:$id,public_key:$k}')"
expect_http "rotate an agent key" 200
http POST /capability/execute "$(ajwt "$DIR/a1.key" "$A1" "$EXEC")" '{"capability":"check_balance","arguments":{"account_id":"x"}}'
expect_http "the old agent key is refused at once" 401 invalid_jwt
http POST /capability/execute "$(ajwt "$DIR/a1-new.key" "$A1" "$EXEC")" '{"capability":"check_balance","arguments":{"account_id":"x"}}'
expect_http "the new agent key works" 200
http POST /agent/rotate-key "$(hjwt "$DIR/host.key")" \
    "$(jq -cn --arg id "$A1" '{agent_id:$id,public_key:{"kty":"EC","crv":"P-256","x":"a","y":"b"}}')"
expect_http "rotating to a P-256 key" 400 unsupported_algorithm

# --- host key rotation: agents keep working ------------------------------------------
"$AAJWT" keygen >"$DIR/host-new.key"
NEW_ISS=$("$AAJWT" thumbprint "$DIR/host-new.key")
http POST /host/rotate-key "$(hjwt "$DIR/host.key")" \
    "$(jq -cn --argjson k "$("$AAJWT" jwk "$DIR/host-new.key")" '{public_key:$k}')"
expect_http "rotate the host key" 200
expect_json "the host keeps its id" '.host_id == "'"$HOST_ID"'" and .status == "active"'
http GET "/agent/status?agent_id=$A1" "$(hjwt "$DIR/host.key")"
expect_http "the old host key is refused at once" 401 invalid_jwt
http GET "/agent/status?agent_id=$A1" "$(hjwt "$DIR/host-new.key")"
expect_http "the new host key, with its thumbprint as iss, works" 200
http POST /capability/execute "$(ajwt "$DIR/a1-new.key" "$A1" "$EXEC" "{\"iss\":\"$NEW_ISS\"}")" \
    '{"capability":"check_balance","arguments":{"account_id":"x"}}'
expect_http "agents keep working, naming the host by its new iss" 200
http POST /capability/execute "$(ajwt "$DIR/a1-new.key" "$A1" "$EXEC" "{\"iss\":\"$HOST_ID\"}")" \
    '{"capability":"check_balance","arguments":{"account_id":"x"}}'
expect_http "an agent JWT naming the host's old key as iss is refused" 401 invalid_jwt
"$AAJWT" keygen >"$DIR/a1-self.key"
http POST /agent/rotate-key "$(ajwt "$DIR/a1-new.key" "$A1" "$B")" \
    "$(jq -cn --argjson k "$("$AAJWT" jwk "$DIR/a1-self.key")" '{public_key:$k}')"
expect_http "an agent cannot rotate a key with its own JWT: §5.8 wants the host's" 401 invalid_jwt

# --- partial approval and claiming --------------------------------------------------------
"$AAJWT" keygen >"$DIR/h2.key"
"$AAJWT" keygen >"$DIR/a2.key"
REG=$(hjwt "$DIR/h2.key" "" "$(jq -cn --argjson ak "$("$AAJWT" jwk "$DIR/a2.key")" \
    --argjson hk "$("$AAJWT" jwk "$DIR/h2.key")" '{agent_public_key:$ak,host_public_key:$hk}')")
http POST /agent/register "$REG" '{"name":"p","capabilities":["echo","transfer_funds"]}'
A2=$(jbody .agent_id)
APPROVAL=$BODY
http POST /host/rotate-key "$REG" "$(jq -cn --argjson k "$("$AAJWT" jwk "$DIR/a4.key" 2>/dev/null || "$AAJWT" jwk "$DIR/a1.key")" '{public_key:$k}')"
expect_http "a registration token cannot be replayed once its host exists" 401 invalid_jwt
http POST /host/rotate-key "$(hjwt "$DIR/h2.key")" "$(jq -cn --argjson k "$("$AAJWT" jwk "$DIR/a1.key")" '{public_key:$k}')"
expect_http "a pending host may not rotate its key (§4.5.1)" 403 host_pending
BODY=$APPROVAL
aactl approve "$(jbody .approval.user_code)" --user bob --capabilities echo --reason "no transfers" >/dev/null
expect_eq "a partial approval" 0 $?
http GET "/agent/status?agent_id=$A2" "$(hjwt "$DIR/h2.key")"
expect_json "one grant active, the other denied with its reason, the agent active" \
    '.status == "active" and (.agent_capability_grants | map({(.capability): .status}) | add)
       == {"echo":"active","transfer_funds":"denied"}
     and (.agent_capability_grants[] | select(.capability=="transfer_funds") | .reason) == "no transfers"'

"$AAJWT" keygen >"$DIR/h3.key"
"$AAJWT" keygen >"$DIR/a3.key"
register "$DIR/h3.key" "$DIR/a3.key" '{"name":"bot","mode":"autonomous","capabilities":["check_balance"]}'
A3=$AGENT
aactl approve "$(jbody .approval.user_code)" --user admin >/dev/null
expect_eq "an autonomous agent approved by an administrator" 0 $?
http POST /capability/execute "$(ajwt "$DIR/a3.key" "$A3" "$EXEC")" '{"capability":"check_balance","arguments":{"account_id":"x"}}'
expect_http "the autonomous agent works" 200
"$AAJWT" keygen >"$DIR/a3b.key"
register "$DIR/h3.key" "$DIR/a3b.key" '{"name":"bot2","mode":"autonomous","capabilities":["echo"]}'
A3B=$AGENT
LATE_CODE=$(jbody .approval.user_code)
aactl hosts link "$("$AAJWT" thumbprint "$DIR/h3.key")" --user carol >/dev/null
expect_eq "aactl hosts link" 0 $?
aactl approve "$LATE_CODE" --user admin >/dev/null 2>&1
expect_eq "a pending autonomous agent cannot be approved once its host is linked" 4 $?
http GET "/agent/status?agent_id=$A3B" "$(hjwt "$DIR/h3.key")"
expect_json "it was rejected when the host was linked" '.status == "rejected"'
http GET "/agent/status?agent_id=$A3" "$(hjwt "$DIR/h3.key")"
expect_json "linking the host claimed its autonomous agent" \
    '.status == "claimed" and all(.agent_capability_grants[]; .status != "active")'
http POST /capability/execute "$(ajwt "$DIR/a3.key" "$A3" "$EXEC")" '{"capability":"check_balance","arguments":{"account_id":"x"}}'
expect_http "a claimed agent cannot execute" 403 agent_claimed

# --- revocation ---------------------------------------------------------------------------
"$AAJWT" keygen >"$DIR/a4.key"
register "$DIR/host-new.key" "$DIR/a4.key" '{"name":"short-lived"}'
A4=$AGENT
http POST /agent/revoke "$(hjwt "$DIR/h2.key")" "{\"agent_id\":\"$A4\"}"
expect_http "a host cannot revoke another host's agent" 403 unauthorized
http POST /agent/revoke "$(hjwt "$DIR/host-new.key")" "{\"agent_id\":\"$A4\"}"
expect_http "revoke an agent" 200
expect_json "revoke answers revoked" '. == {"agent_id":"'"$A4"'","status":"revoked"}'
http POST /capability/execute "$(ajwt "$DIR/a4.key" "$A4" "$EXEC")" '{"capability":"check_balance","arguments":{"account_id":"x"}}'
expect_http "a revoked agent is refused at once" 403 agent_revoked
http POST /agent/reactivate "$(hjwt "$DIR/host-new.key")" "{\"agent_id\":\"$A4\"}"
expect_http "a revoked agent cannot be reactivated" 403 agent_revoked
http POST /agent/revoke "$(hjwt "$DIR/host-new.key")" '{"agent_id":"agt_nobody"}'
expect_http "revoking an unknown agent" 404 agent_not_found

http POST /host/revoke "$(hjwt "$DIR/h2.key")" ''
expect_http "a host revokes itself" 200
expect_json "the cascade is counted" '.status == "revoked" and .agents_revoked == 1'
http POST /capability/execute "$(ajwt "$DIR/a2.key" "$A2" "$EXEC")" '{"capability":"echo","arguments":{"message":"x"}}'
expect_http "its agents are revoked with it" 403 agent_revoked
"$AAJWT" keygen >"$DIR/a5.key"
register "$DIR/h2.key" "$DIR/a5.key" '{"name":"after"}'
expect_http "a revoked host cannot register agents" 403 host_revoked
"$AAJWT" keygen >"$DIR/stranger.key"
http POST /host/revoke "$(hjwt "$DIR/stranger.key" "" \
    "$(jq -cn --argjson k "$("$AAJWT" jwk "$DIR/stranger.key")" '{host_public_key:$k}')")" ''
expect_http "a host the server never saw cannot revoke itself" 404 host_not_found

# --- CIBA (§7.2): the host's user is known, so a client may ask for it --------
# (host-new.key: the linked host of the first sections, after its rotation)
"$AAJWT" keygen >"$DIR/a9.key"
register "$DIR/host-new.key" "$DIR/a9.key" \
    '{"name":"ciba agent","capabilities":["transfer_funds"],"preferred_method":"ciba","binding_message":"Pay rent\u001b[2J\u2028\u202eok"}'
expect_http "a registration preferring CIBA" 200
expect_json "CIBA is chosen for a linked host: no code, no URI, a binding message" \
    '.status == "pending" and .approval.method == "ciba" and .approval.expires_in > 0
     and .approval.interval > 0 and (.approval | has("user_code") | not)
     and (.approval | has("verification_uri") | not)
     and .approval.binding_message == "Pay rent [2J  ok"'
A9=$AGENT
aactl --json approvals list >"$AA_TMP/ciba.json"
CIBA_ID=$(jq -r --arg a "$A9" '.[] | select(.agent_id == $a) | .device_code' "$AA_TMP/ciba.json")
expect_eq "aactl lists the CIBA request by its id" ciba_ "${CIBA_ID:0:5}"
expect_eq "the listing shows the method and message" "ciba Pay rent [2J  ok" \
    "$(jq -r --arg a "$A9" '.[] | select(.agent_id == $a) | "\(.method) \(.binding_message)"' \
        "$AA_TMP/ciba.json")"
if grep -qE "^aactl approve $CIBA_ID  # [0-9]+: $A9 asks alice: " "$DIR/ciba.log" \
    && grep -qF "asks alice: \"Pay rent [2J  ok\" [\"transfer_funds\"]" "$DIR/ciba.log"; then
    pass "AgentAuthCIBANotify received the request"
else
    fail "AgentAuthCIBANotify received the request" "$(cat "$DIR/ciba.log")"
fi
aactl approve "$CIBA_ID" --user bob >/dev/null 2>&1
expect_eq "a CIBA request for alice cannot be approved as bob" 4 $?
aactl approve "$CIBA_ID" >/dev/null
expect_eq "aactl approves a CIBA request by its id, as the user it asks" 0 $?
aactl approve "$CIBA_ID" --user alice >/dev/null 2>&1
expect_eq "approving it twice is a conflict" 4 $?
http GET "/agent/status?agent_id=$A9" "$(hjwt "$DIR/host-new.key")"
expect_json "the CIBA-approved agent is active with its grant" \
    '.status == "active" and .user_id == "alice"
     and ([.agent_capability_grants[] | select(.status == "active") | .capability]
          | index("transfer_funds")) != null'
http POST /agent/request-capability "$(ajwt "$DIR/a9.key" "$A9" "$B")" \
    '{"capabilities":["echo"],"preferred_method":"ciba"}'
expect_json "request-capability honours the CIBA preference too" \
    '.approval.method == "ciba" and .approval.binding_message == "Approve agent \"ciba agent\""'
http POST /agent/request-capability "$(ajwt "$DIR/a9.key" "$A9" "$B")" \
    '{"capabilities":["echo"],"preferred_method":"ciba","login_hint":42}'
expect_http "a login_hint that is not a string" 400 invalid_request
# A default that was revoked (or denied) is no longer automatic.
"$AAJWT" keygen >"$DIR/a11.key"
register "$DIR/host-new.key" "$DIR/a11.key" \
    '{"name":"narrow","capabilities":[{"name":"check_balance","constraints":{"account_id":"acc_1"}},"whoami"]}'
A11=$AGENT
expect_json "defaults with agent-proposed constraints are active at once" \
    '.status == "active" and ([.agent_capability_grants[] | select(.status == "active")] | length) == 2'
http POST /agent/request-capability "$(ajwt "$DIR/a11.key" "$A11" "$B")" '{"capabilities":["check_balance"]}'
expect_json "asking for a default again, wider, needs an approval (§2.13)" \
    '.agent_capability_grants[0].status == "pending" and .approval.method == "device_authorization"'
aactl grants revoke "$A11" whoami >/dev/null
http POST /agent/request-capability "$(ajwt "$DIR/a11.key" "$A11" "$B")" '{"capabilities":["whoami"]}'
expect_json "a revoked default is not granted again without an approval" \
    '.agent_capability_grants[0].status == "pending"'
http POST /capability/execute "$(ajwt "$DIR/a11.key" "$A11" "$EXEC")" '{"capability":"whoami","arguments":{}}'
expect_http "and it cannot be used meanwhile" 403 capability_not_granted

# §5.3: one granted capability makes the agent active; the rest wait.
"$AAJWT" keygen >"$DIR/a12.key"
register "$DIR/host-new.key" "$DIR/a12.key" '{"name":"mixed","capabilities":["check_balance","transfer_funds"]}'
A12=$AGENT
expect_json "a default granted and one pending: the agent is active, with an approval" \
    '.status == "active" and .approval.method == "device_authorization"
     and ([.agent_capability_grants[] | "\(.capability)=\(.status)"] | sort)
         == ["check_balance=active","transfer_funds=pending"]'
http POST /capability/execute "$(ajwt "$DIR/a12.key" "$A12" "$EXEC")" \
    '{"capability":"check_balance","arguments":{"account_id":"acc_1"}}'
expect_http "the granted capability works while the other waits" 200

# A newer scope for the same capability replaces the older pending one.
http POST /agent/request-capability "$(ajwt "$DIR/a12.key" "$A12" "$B")" \
    '{"capabilities":[{"name":"transfer_funds","constraints":{"amount":{"max":1000000}}}]}'
WIDE=$(jbody .approval.user_code)
http POST /agent/request-capability "$(ajwt "$DIR/a12.key" "$A12" "$B")" \
    '{"capabilities":[{"name":"transfer_funds","constraints":{"amount":{"max":10}}}]}'
NARROW=$(jbody .approval.user_code)
aactl approve "$WIDE" --user alice >/dev/null 2>&1
expect_eq "the code of the replaced, wider request approves nothing" 4 $?
aactl --json approve "$NARROW" --user alice >"$AA_TMP/narrow.json"
expect_eq "the newest code approves exactly one grant" 1 "$(jq .grants_changed "$AA_TMP/narrow.json")"
http POST /capability/execute "$(ajwt "$DIR/a12.key" "$A12" "$EXEC")" \
    '{"capability":"transfer_funds","arguments":{"from":"a","to":"b","amount":999999}}'
expect_http "the wider scope was never granted" 403 constraint_violated
http GET "/agent/status?agent_id=$A12" "$(hjwt "$DIR/host-new.key")"
expect_json "status lists each capability once" \
    '([.agent_capability_grants[].capability] | sort) == ["check_balance","transfer_funds"]
     and (.agent_capability_grants[] | select(.capability == "transfer_funds")
          | .status == "active" and .constraints.amount.max == 10)'

"$AAJWT" keygen >"$DIR/h9.key"
"$AAJWT" keygen >"$DIR/a10.key"
register "$DIR/h9.key" "$DIR/a10.key" \
    '{"name":"new host","capabilities":["echo"],"preferred_method":"ciba","login_hint":"alice"}'
expect_json "an unknown host gets a device code even when it prefers CIBA" \
    '.status == "pending" and .approval.method == "device_authorization"
     and (.approval.user_code | test("^[A-Z0-9]{4}-[A-Z0-9]{4}$"))'

# --- a retried registration keeps the code a person already holds --------------
"$AAJWT" keygen >"$DIR/h21.key"
"$AAJWT" keygen >"$DIR/a21.key"
register "$DIR/h21.key" "$DIR/a21.key" '{"name":"retried","capabilities":["echo"]}'
C1=$(jbody .approval.user_code)
register "$DIR/h21.key" "$DIR/a21.key" '{"name":"retried","capabilities":["echo"]}'
C2=$(jbody .approval.user_code)
aactl approve "$C1" --user alice >/dev/null
expect_eq "the first code still approves after a retry" 0 $?
aactl approve "$C2" --user alice >/dev/null 2>&1
expect_eq "and the retry's code is then closed" 4 $?

# --- a denied first registration (§7.1): the client still learns the outcome ---
"$AAJWT" keygen >"$DIR/h13.key"
"$AAJWT" keygen >"$DIR/a13.key"
register "$DIR/h13.key" "$DIR/a13.key" '{"name":"denied","capabilities":["echo"]}'
A13=$AGENT
aactl deny "$(jbody .approval.user_code)" --reason "unknown tool" >/dev/null
http GET "/agent/status?agent_id=$A13" "$(hjwt "$DIR/h13.key")"
expect_http "the rejected host may still poll its agent's status" 200
expect_json "which says rejected" '.status == "rejected"'
register "$DIR/h13.key" "$DIR/a13.key" '{"name":"denied"}'
expect_http "registering the rejected agent's key again" 409 agent_exists
http POST /agent/reactivate "$(hjwt "$DIR/h13.key")" "{\"agent_id\":\"$A13\"}"
expect_http "reactivating it" 403 agent_rejected
"$AAJWT" keygen >"$DIR/a14.key"
register "$DIR/h13.key" "$DIR/a14.key" '{"name":"another"}'
expect_http "a new agent of the rejected host" 403 host_rejected

# --- approving a delegated agent links an unlinked host (§2.9), claiming (§2.10)
"$AAJWT" keygen >"$DIR/h15.key"
H15=$("$AAJWT" thumbprint "$DIR/h15.key")
aactl hosts add --jwk "$("$AAJWT" jwk "$DIR/h15.key")" --name unlinked >/dev/null
"$AAJWT" keygen >"$DIR/a15.key"
register "$DIR/h15.key" "$DIR/a15.key" '{"name":"robot","mode":"autonomous","capabilities":["check_balance"]}'
A15=$AGENT
expect_json "an autonomous agent of a known unlinked host gets the defaults" '.status == "active"'
"$AAJWT" keygen >"$DIR/a16.key"
register "$DIR/h15.key" "$DIR/a16.key" '{"name":"carols","capabilities":["echo"]}'
A16=$AGENT
aactl approve "$(jbody .approval.user_code)" --user carol >/dev/null
expect_eq "approving the delegated agent" 0 $?
aactl --json hosts show "$H15" >"$AA_TMP/h15.json"
expect_eq "the host is now carol's" carol "$(jq -r .user_id "$AA_TMP/h15.json")"
expect_eq "the host's last use is recorded" true \
    "$(jq '.last_used_at != null and .last_used_at != ""' "$AA_TMP/h15.json")"
http GET "/agent/status?agent_id=$A15" "$(hjwt "$DIR/h15.key")"
expect_json "and its autonomous agent was claimed" '.status == "claimed"'
http GET "/agent/status?agent_id=$A16" "$(hjwt "$DIR/h15.key")"
expect_json "the delegated agent acts for carol" '.status == "active" and .user_id == "carol"'

# --- per-agent rate limit (§8.13) ------------------------------------------------
"$AAJWT" keygen >"$DIR/a19.key"
register "$DIR/host-new.key" "$DIR/a19.key" '{"name":"busy","capabilities":["check_balance"]}'
A19=$AGENT
N=0
while [ "$N" -lt 90 ]; do
    N=$((N + 1))
    http POST /capability/execute "$(ajwt "$DIR/a19.key" "$A19" "$EXEC")" \
        '{"capability":"check_balance","arguments":{"account_id":"x"}}'
    [ "$STATUS" = 200 ] || break
done
expect_http "an agent over AgentAuthAgentRateLimit" 429 rate_limited
if [ "$N" -gt 40 ] && [ "$N" -le 81 ] && grep -qi '^Retry-After: [0-9]' <<<"$HEADERS"; then
    pass "after its 40 requests of the minute, with Retry-After ($N)"
else
    fail "after its 40 requests of the minute, with Retry-After" "request $N" "$HEADERS"
fi
"$AAJWT" keygen >"$DIR/a20.key"
register "$DIR/host-new.key" "$DIR/a20.key" '{"name":"calm","capabilities":["check_balance"]}'
http POST /capability/execute "$(ajwt "$DIR/a20.key" "$AGENT" "$EXEC")" \
    '{"capability":"check_balance","arguments":{"account_id":"x"}}'
expect_http "other agents are not held back" 200

# --- lifetime clocks ----------------------------------------------------------------------
"$AAJWT" keygen >"$DIR/a6.key"
register "$DIR/host-new.key" "$DIR/a6.key" '{"name":"clock","capabilities":["check_balance"]}'
A6=$AGENT
START=$(date +%s)
http POST /agent/request-capability "$(ajwt "$DIR/a6.key" "$A6" "$B")" '{"capabilities":["echo"]}'
aactl approve "$(jbody .approval.user_code)" --user alice >/dev/null
http POST /capability/execute "$(ajwt "$DIR/a6.key" "$A6" "$EXEC")" '{"capability":"echo","arguments":{"message":"x"}}'
expect_http "the escalated grant works before expiry" 200
"$AAJWT" keygen >"$DIR/h17.key"
"$AAJWT" keygen >"$DIR/a17.key"
aactl hosts add --jwk "$("$AAJWT" jwk "$DIR/h17.key")" --name robots >/dev/null
register "$DIR/h17.key" "$DIR/a17.key" '{"name":"robot","mode":"autonomous","capabilities":["check_balance"]}'
A17=$AGENT
sleep $((TTL + 2))
http POST /capability/execute "$(ajwt "$DIR/a6.key" "$A6" "$EXEC")" '{"capability":"check_balance","arguments":{"account_id":"x"}}'
expect_http "idle past the session TTL: expired" 403 agent_expired
http POST /agent/reactivate "$(hjwt "$DIR/h17.key")" "{\"agent_id\":\"$A17\"}"
expect_json "an autonomous agent's reactivation waits for approval: its host is unlinked (§5.6)" \
    '.status == "pending" and .approval.method == "device_authorization"
     and ([.agent_capability_grants[] | "\(.capability)=\(.status)"] | sort)
         == ["check_balance=pending","whoami=pending"]'
aactl approve "$(jbody .approval.user_code)" --no-trust >/dev/null
expect_eq "an administrator approves the reactivation" 0 $?
http POST /capability/execute "$(ajwt "$DIR/a17.key" "$A17" "$EXEC")" '{"capability":"check_balance","arguments":{"account_id":"x"}}'
expect_http "and the autonomous agent works again" 200
http GET "/agent/status?agent_id=$A6" "$(hjwt "$DIR/host-new.key")"
expect_json "status says expired" '.status == "expired"'
http POST /agent/reactivate "$(hjwt "$DIR/host-new.key")" "{\"agent_id\":\"$A6\"}"
expect_http "reactivate the expired agent" 200
expect_json "back to its host's defaults; the escalation is gone" \
    '.status == "active" and ([.agent_capability_grants[] | select(.status=="active") | .capability]
      | sort) == ["check_balance","whoami"] and (has("activated_at") and has("expires_at"))'
http POST /agent/reactivate "$(hjwt "$DIR/host-new.key")" "{\"agent_id\":\"$A6\"}"
expect_json "reactivating an active agent is a no-op" '.status == "active"'
http POST /capability/execute "$(ajwt "$DIR/a6.key" "$A6" "$EXEC")" '{"capability":"echo","arguments":{"message":"x"}}'
expect_http "the escalated capability must be asked for again" 403 capability_not_granted

# Keep it busy so only the max lifetime can end it (from its reactivation).
REACT=$(date +%s)
for _ in $(seq 1 $((MAXLIFE + 1))); do
    http POST /capability/execute "$(ajwt "$DIR/a6.key" "$A6" "$EXEC")" '{"capability":"check_balance","arguments":{"account_id":"x"}}'
    [ "$STATUS" = 200 ] || break
    sleep 1
done
expect_http "busy past its max lifetime: expired" 403 agent_expired
ELAPSED=$(( $(date +%s) - REACT ))
if [ "$ELAPSED" -ge $((MAXLIFE - 1)) ]; then pass "it lived at least its max lifetime ($ELAPSED s)"; else fail "it lived at least its max lifetime" "only $ELAPSED s"; fi

sleep $(( ABSOLUTE - ($(date +%s) - START) + 1 > 0 ? ABSOLUTE - ($(date +%s) - START) + 1 : 0 ))
http POST /agent/reactivate "$(hjwt "$DIR/host-new.key")" "{\"agent_id\":\"$A6\"}"
expect_http "past the absolute lifetime, reactivation fails" 403 absolute_lifetime_exceeded
http GET "/agent/status?agent_id=$A6" "$(hjwt "$DIR/host-new.key")"
expect_json "and the agent is revoked" '.status == "revoked"'
http POST /capability/execute "$(ajwt "$DIR/a6.key" "$A6" "$EXEC")" '{"capability":"check_balance","arguments":{"account_id":"x"}}'
expect_http "an agent past its absolute lifetime cannot execute" 403 absolute_lifetime_exceeded

# The rate limit: a burst from this address runs into it.
LIMITED=0
for _ in $(seq 1 24); do
    for _ in $(seq 1 150); do echo "url = \"$B/capability/list\""; done >"$AA_TMP/urls"
    curl -s --noproxy '*' -K "$AA_TMP/urls" -o /dev/null -w '%{http_code}\n' >"$AA_TMP/codes"
    if grep -q 429 "$AA_TMP/codes"; then LIMITED=1; break; fi
done
expect_eq "a burst over AgentAuthRateLimit gets 429" 1 "$LIMITED"
http GET /capability/list
expect_http "and the protocol's error body" 429 rate_limited
if grep -qi '^Retry-After: [0-9]' <<<"$HEADERS"; then pass "with Retry-After"; else fail "with Retry-After" "$HEADERS"; fi

if grep -qE 'Segmentation fault|exit signal' "$DIR/logs/error.log"; then
    fail "no child crashed" "$(grep -E 'Segmentation|exit signal' "$DIR/logs/error.log" | head -3)"
else
    pass "no child crashed"
fi
aa_httpd_stop
finish
