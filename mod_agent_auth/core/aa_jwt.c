/* SPDX-License-Identifier: Apache-2.0 */
/* aa_jwt: compact JWS for host+jwt and agent+jwt tokens. */
#include "aa_jwt.h"

#include <apr_strings.h>

#include <string.h>

static apr_status_t decode_json_segment(apr_pool_t *pool, const char *seg, apr_size_t len,
                                        const char *what, aa_json_t **obj,
                                        const char **errstr)
{
    unsigned char *raw;
    apr_size_t rawlen;
    const char *why = NULL;

    if (len == 0 || aa_b64url_decode(pool, seg, len, &raw, &rawlen) != APR_SUCCESS) {
        *errstr = apr_psprintf(pool, "JWT %s is not base64url", what);
        return APR_EINVAL;
    }
    if (aa_json_parse(pool, (const char *)raw, rawlen, 1, obj, &why) != APR_SUCCESS) {
        *errstr = apr_psprintf(pool, "JWT %s is not valid JSON: %s", what, why);
        return APR_EINVAL;
    }
    if (!aa_json_is(*obj, AA_JSON_OBJECT)) {
        *errstr = apr_psprintf(pool, "JWT %s is not a JSON object", what);
        return APR_EINVAL;
    }
    return APR_SUCCESS;
}

static apr_status_t check_header(apr_pool_t *pool, aa_jwt_t *jwt, const char **errstr)
{
    const char *alg;
    aa_json_t *crit;

    if (aa_json_get_str(jwt->header, "alg", &alg) != APR_SUCCESS) {
        *errstr = "JWT header has no alg";
        return APR_EINVAL;
    }
    /* Only EdDSA: "none", HMAC and RSA never reach key selection. */
    if (strcmp(alg, "EdDSA") != 0) {
        *errstr = apr_psprintf(pool, "JWT alg \"%.20s\" is not accepted; use EdDSA", alg);
        return APR_EINVAL;
    }
    if (aa_json_get(jwt->header, "crit", &crit) == APR_SUCCESS) {
        *errstr = "JWT header crit is not supported";
        return APR_EINVAL;
    }
    if (aa_json_get_str(jwt->header, "typ", &jwt->typ) != APR_SUCCESS) {
        *errstr = "JWT header has no string typ";
        return APR_EINVAL;
    }
    if (aa_json_get_str(jwt->header, "kid", &jwt->kid) == APR_EINVAL) {
        *errstr = "JWT header kid must be a string";
        return APR_EINVAL;
    }
    return APR_SUCCESS;
}

static apr_status_t optional_str(const aa_json_t *claims, const char *name, const char **out,
                                 apr_pool_t *pool, const char **errstr)
{
    *out = NULL;
    if (aa_json_get_str(claims, name, out) == APR_EINVAL) {
        *errstr = apr_psprintf(pool, "JWT claim %s must be a string", name);
        return APR_EINVAL;
    }
    return APR_SUCCESS;
}

static apr_status_t optional_time(const aa_json_t *claims, const char *name,
                                  apr_int64_t *out, int *present, apr_pool_t *pool,
                                  const char **errstr)
{
    apr_status_t rv = aa_json_get_int(claims, name, out);

    /* aa_json_get_int's bound for fractions: exp - iat and exp + skew cannot overflow. */
    if (rv == APR_SUCCESS && (*out > 9000000000000000LL || *out < -9000000000000000LL))
        rv = APR_EINVAL;
    *present = (rv == APR_SUCCESS);
    if (rv == APR_EINVAL) {
        *errstr = apr_psprintf(pool, "JWT claim %s must be a NumericDate", name);
        return APR_EINVAL;
    }
    return APR_SUCCESS;
}

static apr_status_t check_claim_types(apr_pool_t *pool, aa_jwt_t *jwt, const char **errstr)
{
    if (optional_str(jwt->claims, "iss", &jwt->iss, pool, errstr) != APR_SUCCESS
        || optional_str(jwt->claims, "sub", &jwt->sub, pool, errstr) != APR_SUCCESS
        || optional_str(jwt->claims, "jti", &jwt->jti, pool, errstr) != APR_SUCCESS)
        return APR_EINVAL;
    if (optional_time(jwt->claims, "iat", &jwt->iat, &jwt->has_iat, pool, errstr)
            != APR_SUCCESS
        || optional_time(jwt->claims, "exp", &jwt->exp, &jwt->has_exp, pool, errstr)
               != APR_SUCCESS)
        return APR_EINVAL;
    return APR_SUCCESS;
}

apr_status_t aa_jwt_parse(apr_pool_t *pool, const char *token, aa_jwt_t **out,
                          const char **errstr)
{
    aa_jwt_t *jwt;
    const char *dot1, *dot2;
    apr_size_t len = strlen(token);
    unsigned char *sig;
    apr_size_t siglen;

    if (len > AA_JWT_MAX_LEN) {
        *errstr = "JWT is too long";
        return APR_EINVAL;
    }
    dot1 = strchr(token, '.');
    dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
    if (!dot1 || !dot2 || strchr(dot2 + 1, '.')) {
        *errstr = "JWT must have exactly three segments";
        return APR_EINVAL;
    }

    jwt = apr_pcalloc(pool, sizeof(*jwt));
    if (decode_json_segment(pool, token, dot1 - token, "header", &jwt->header, errstr)
            != APR_SUCCESS
        || decode_json_segment(pool, dot1 + 1, dot2 - dot1 - 1, "payload", &jwt->claims,
                               errstr) != APR_SUCCESS)
        return APR_EINVAL;
    if (check_header(pool, jwt, errstr) != APR_SUCCESS
        || check_claim_types(pool, jwt, errstr) != APR_SUCCESS)
        return APR_EINVAL;

    if (aa_b64url_decode(pool, dot2 + 1, strlen(dot2 + 1), &sig, &siglen) != APR_SUCCESS
        || siglen != AA_ED25519_SIG_BYTES) {
        *errstr = "JWT signature is not 64 bytes of base64url";
        return APR_EINVAL;
    }
    memcpy(jwt->sig, sig, AA_ED25519_SIG_BYTES);
    jwt->signing_input = token;
    jwt->signing_len = (apr_size_t)(dot2 - token);
    *out = jwt;
    return APR_SUCCESS;
}

apr_status_t aa_jwt_verify_signature(const aa_jwt_t *jwt, const aa_jwk_t *key)
{
    return aa_ed25519_verify(key->pk, jwt->signing_input, jwt->signing_len, jwt->sig);
}

static int audience_accepted(const aa_json_t *aud, const aa_jwt_policy_t *policy)
{
    apr_size_t i, n;
    int a;

    if (aa_json_is(aud, AA_JSON_STRING)) {
        for (a = 0; a < policy->naudiences; a++)
            if (strcmp(aa_json_str(aud), policy->audiences[a]) == 0)
                return 1;
        return 0;
    }
    if (!aa_json_is(aud, AA_JSON_ARRAY))
        return 0;
    n = aa_json_len(aud);
    for (i = 0; i < n; i++) {
        aa_json_t *member = aa_json_at(aud, i);

        if (aa_json_is(member, AA_JSON_STRING) && audience_accepted(member, policy))
            return 1;
    }
    return 0;
}

apr_status_t aa_jwt_check_claims(const aa_jwt_t *jwt, const aa_jwt_policy_t *policy,
                                 apr_int64_t now, const char **errstr)
{
    aa_json_t *aud;

    if (strcmp(jwt->typ, policy->typ) != 0) {
        *errstr = "JWT typ is not the one this endpoint requires";
        return APR_EINVAL;
    }
    if (aa_json_get(jwt->claims, "aud", &aud) != APR_SUCCESS) {
        *errstr = "JWT has no aud";
        return APR_EINVAL;
    }
    if (!audience_accepted(aud, policy)) {
        *errstr = "JWT aud does not name this server";
        return APR_EINVAL;
    }
    if (!jwt->has_iat || !jwt->has_exp) {
        *errstr = "JWT must carry iat and exp";
        return APR_EINVAL;
    }
    if (!jwt->jti || !*jwt->jti) {
        *errstr = "JWT must carry a jti";
        return APR_EINVAL;
    }
    if (jwt->iat > now + policy->skew) {
        *errstr = "JWT iat is in the future";
        return APR_EINVAL;
    }
    if (jwt->exp <= jwt->iat) {
        *errstr = "JWT exp is not after iat";
        return APR_EINVAL;
    }
    if (now >= jwt->exp + policy->skew) {
        *errstr = "JWT has expired";
        return APR_EINVAL;
    }
    if (jwt->exp - jwt->iat > policy->max_lifetime + policy->skew) {
        *errstr = "JWT lifetime is longer than this server accepts";
        return APR_EINVAL;
    }
    return APR_SUCCESS;
}

const char *aa_jwt_log_id(const aa_jwt_t *jwt)
{
    return jwt && jwt->jti ? jwt->jti : "(no jti)";
}
