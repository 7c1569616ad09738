#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# jwks.sh DRIVER: keys delivered by JWKS URL. The same httpd serves the JWKS
# documents over TLS on a second port, which the module may reach only
# because the test enables AgentAuthJWKSAllowLoopback.
set -uo pipefail

DRIVER=$1
HERE=$(cd "$(dirname "$0")" && pwd)
: "${AACTL:?}" "${AAJWT:?}" "${AA_MODULE:?}" "${AA_DEMO_BACKEND:?}"
AA_LABEL="$DRIVER jwks"

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
if ! command -v openssl >/dev/null || [ ! -f /usr/lib/apache2/modules/mod_ssl.so ]; then
    echo "# openssl or mod_ssl missing: JWKS tests skipped"
    echo "aa-tests: 0 run, 0 failed"
    exit 0
fi
DIR=$(mktemp -d /tmp/aa-jw-XXXXXX)
chmod 755 "$DIR"
AA_TMP=$DIR/tmp
mkdir -p "$AA_TMP" "$DIR/db" "$DIR/htdocs/jwks"
aa_httpd_stage_cgi "$DIR" || { echo "# cannot stage the CGI programs in $DIR"; exit 1; }
trap 'aa_httpd_stop >/dev/null 2>&1; [ "${AA_KEEP:-}" = 1 ] || rm -rf "$DIR"' EXIT
if ! aa_db_prepare "$DRIVER" "$DIR"; then
    echo "# $DRIVER: database not available, skipped"
    echo "aa-tests: 0 run, 0 failed"
    exit 0
fi

openssl req -x509 -newkey rsa:2048 -nodes -keyout "$DIR/server.key" -out "$DIR/server.crt" \
    -days 2 -subj "/CN=localhost" -addext "subjectAltName=IP:127.0.0.1" \
    -addext "basicConstraints=critical,CA:FALSE" >/dev/null 2>&1
chmod 644 "$DIR/server.key"
SSLPORT=$(aa_free_port)
TLS="https://127.0.0.1:$SSLPORT/jwks"
cat > "$DIR/body.conf" <<CONF
LoadModule agent_auth_module $AA_MODULE
LoadModule ssl_module /usr/lib/apache2/modules/mod_ssl.so
LogLevel warn agent_auth:debug
$AA_DB_CONF
AgentAuthIssuer http://127.0.0.1:@PORT@
AgentAuthCapabilities $HERE/capabilities.json
AgentAuthHostDefaultCapabilities check_balance
AgentAuthJWKSAllowLoopback On
AgentAuthJWKSCAFile $DIR/server.crt
AgentAuthJWKSCacheTTL 10
ScriptAlias /backend/demo $AA_DEMO_BACKEND
<Location /backend>
    Require expr %{IS_SUBREQ} == 'true'
</Location>
Listen 127.0.0.1:$SSLPORT
<VirtualHost 127.0.0.1:$SSLPORT>
    ServerName localhost
    SSLEngine on
    SSLCertificateFile $DIR/server.crt
    SSLCertificateKeyFile $DIR/server.key
    DocumentRoot $DIR/htdocs
    <Directory $DIR/htdocs>
        Require all granted
    </Directory>
</VirtualHost>
CONF
printf '%s\n' "$AA_DB_CONF" "AgentAuthIssuer http://x.invalid" >"$DIR/aactl.conf"
aactl() { "$AACTL" -c "$DIR/aactl.conf" "$@"; }
aactl schema create >/dev/null 2>&1 || { fail "schema create"; finish; }

# publish FILE KEYFILE:KID...: a JWKS document with those public keys.
publish() {
    local file=$1 spec keys="[]"
    shift
    for spec in "$@"; do
        keys=$(jq -c --argjson k "$("$AAJWT" jwk "${spec%%:*}")" --arg kid "${spec#*:}" \
            '. + [$k + {kid:$kid}]' <<<"$keys")
    done
    jq -cn --argjson keys "$keys" '{keys:$keys}' >"$DIR/htdocs/jwks/$file"
}
for k in h1 h2 a1 a2 other; do "$AAJWT" keygen >"$DIR/$k.key"; done
publish host.json "$DIR/h1.key:h1"
publish agent.json "$DIR/a1.key:a1"
aa_httpd_start "$DIR" "$DIR/body.conf" || { fail "httpd starts"; finish; }
B=$AA_BASE_URL
EXEC="$B/capability/execute"
curl -s --cacert "$DIR/server.crt" -o /dev/null -w '%{http_code}' "$TLS/host.json" |
    grep -q 200 && pass "the test JWKS is served over TLS" || fail "the test JWKS is served"

H1=$("$AAJWT" thumbprint "$DIR/h1.key")
H2=$("$AAJWT" thumbprint "$DIR/h2.key")
hjwt() { # KEYFILE KID [extra]
    "$AAJWT" sign "$1" host+jwt "$(jq -cn --arg iss "$("$AAJWT" thumbprint "$1")" --arg aud "$B" \
        --arg u "$TLS/host.json" --argjson x "${3:-{\}}" \
        '{iss:$iss,aud:$aud,host_jwks_url:$u} + $x')" "{\"kid\":\"$2\"}"
}
ajwt() { # KEYFILE KID AGENT_ID [extra]
    "$AAJWT" sign "$1" agent+jwt "$(jq -cn --arg sub "$3" --arg aud "$EXEC" \
        --argjson x "${4:-{\}}" '{sub:$sub,aud:$aud} + $x')" "{\"kid\":\"$2\"}"
}

http POST /agent/register "$(hjwt "$DIR/h1.key" h1 "{\"agent_jwks_url\":\"$TLS/agent.json\",\"agent_kid\":\"a1\"}")" \
    '{"name":"jwks agent","capabilities":["echo"]}'
expect_http "register a JWKS host with a JWKS agent" 200
AGENT=$(jbody .agent_id)
expect_json "the host is identified by its key's thumbprint" '.host_id == "'"$H1"'" and .status == "pending"'
aactl approve "$(jbody .approval.user_code)" --user alice >/dev/null
expect_eq "approved" 0 $?
http POST /capability/execute "$(ajwt "$DIR/a1.key" a1 "$AGENT")" '{"capability":"echo","arguments":{"message":"jwks"}}'
expect_http "the agent signs with its published key" 200
http POST /capability/execute "$(ajwt "$DIR/other.key" a1 "$AGENT")" '{"capability":"echo","arguments":{"message":"x"}}'
expect_http "another key under the same kid fails" 401 invalid_jwt
http POST /capability/execute "$(ajwt "$DIR/a1.key" nope "$AGENT")" '{"capability":"echo","arguments":{"message":"x"}}'
expect_http "an unpublished kid fails" 401 invalid_jwt

http GET "/agent/status?agent_id=$AGENT" "$(hjwt "$DIR/h1.key" h1)"
expect_http "the JWKS host polls status" 200
http GET "/agent/status?agent_id=$AGENT" "$(hjwt "$DIR/h1.key" h1 "{\"host_public_key\":$("$AAJWT" jwk "$DIR/h1.key")}")"
expect_http "a JWKS host presenting an inline key is refused (§8.7)" 401 invalid_jwt

# Rotation: the host publishes h2; agents use the new iss before any host JWT.
publish host.json "$DIR/h1.key:h1" "$DIR/h2.key:h2"
sleep 2 # a kid miss refetches at most once per tenth of AgentAuthJWKSCacheTTL
http POST /capability/execute "$(ajwt "$DIR/a1.key" a1 "$AGENT" "{\"iss\":\"$H2\"}")" \
    '{"capability":"echo","arguments":{"message":"new iss"}}'
expect_http "an agent JWT naming the host's new key is accepted (§8.7)" 200
http GET "/agent/status?agent_id=$AGENT" "$(hjwt "$DIR/h2.key" h2)"
expect_http "a host JWT signed with the new key finds the host by its URL" 200
expect_json "and it is still the same host" '.host_id == "'"$H1"'"'
http GET "/agent/status?agent_id=$AGENT" "$(hjwt "$DIR/other.key" h2)"
expect_http "a key that is not published is refused" 401 invalid_jwt

# SSRF: URLs the module must never fetch.
for url in "http://127.0.0.1:$SSLPORT/jwks/host.json" "https://169.254.169.254/latest/meta-data" \
           "https://10.0.0.1/jwks.json" "https://[::ffff:10.0.0.1]/jwks.json"; do
    "$AAJWT" keygen >"$DIR/x.key"
    T=$("$AAJWT" sign "$DIR/x.key" host+jwt "$(jq -cn --arg iss "$("$AAJWT" thumbprint "$DIR/x.key")" \
        --arg aud "$B" --arg u "$url" --argjson ak "$("$AAJWT" jwk "$DIR/a2.key")" \
        '{iss:$iss,aud:$aud,host_jwks_url:$u,agent_public_key:$ak}')" '{"kid":"x"}')
    http POST /agent/register "$T" '{"name":"ssrf"}'
    expect_http "a host_jwks_url of $url is never fetched" 401 invalid_jwt
    expect_json "and the reply says why" '.message | test("host_jwks_url cannot be used: ")'
done
if grep -q "169.254.169.254" "$DIR/logs/access.log" 2>/dev/null; then
    fail "no request reached a forbidden address"
else
    pass "no request reached a forbidden address"
fi
aa_httpd_stop
finish
