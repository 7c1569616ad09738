/* SPDX-License-Identifier: Apache-2.0 */
/* aa_jwt: compact JWS parsing, Ed25519 verification and claim checks. */
#ifndef AA_JWT_H
#define AA_JWT_H

#include "aa_crypto.h"
#include "aa_json.h"
#include "aa_jwk.h"

/* Longer tokens are refused before any decoding. */
#define AA_JWT_MAX_LEN 16384

#define AA_JWT_TYP_HOST "host+jwt"
#define AA_JWT_TYP_AGENT "agent+jwt"

typedef struct {
    const char *signing_input; /* "header.payload" as received */
    apr_size_t signing_len;
    unsigned char sig[AA_ED25519_SIG_BYTES];
    aa_json_t *header;
    aa_json_t *claims;
    const char *typ;
    const char *kid; /* NULL when absent */
    const char *iss; /* NULL when absent */
    const char *sub;
    const char *jti;
    apr_int64_t iat;
    apr_int64_t exp;
    int has_iat;
    int has_exp;
} aa_jwt_t;

typedef struct {
    const char *typ;              /* required header typ */
    const char *const *audiences; /* accepted aud values */
    int naudiences;
    apr_int64_t skew;             /* tolerated clock skew, seconds */
    apr_int64_t max_lifetime;     /* longest exp - iat accepted (plus skew) */
} aa_jwt_policy_t;

/*
 * Split and decode a compact JWS without trusting it: three base64url
 * segments, header and claims JSON objects without duplicate members, alg
 * exactly "EdDSA", no "crit", a string typ, well-typed registered claims and
 * a 64-byte signature. Returns APR_SUCCESS or APR_EINVAL with the reason in
 * *errstr. Everything lives in pool.
 */
apr_status_t aa_jwt_parse(apr_pool_t *pool, const char *token, aa_jwt_t **jwt,
                          const char **errstr);

/* Verify the signature with key. APR_SUCCESS or APR_EGENERAL. */
apr_status_t aa_jwt_verify_signature(const aa_jwt_t *jwt, const aa_jwk_t *key);

/*
 * Check typ, aud, iat, exp and the presence of jti against policy at time
 * now (seconds). Returns APR_SUCCESS or APR_EINVAL with *errstr set.
 */
apr_status_t aa_jwt_check_claims(const aa_jwt_t *jwt, const aa_jwt_policy_t *policy,
                                 apr_int64_t now, const char **errstr);

/* Short, loggable identity of a token: its jti, or "(no jti)". */
const char *aa_jwt_log_id(const aa_jwt_t *jwt);

#endif
