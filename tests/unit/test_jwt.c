/* SPDX-License-Identifier: Apache-2.0 */
/* test_jwt: compact JWS parsing, signature verification and claim checks. */
#include "check_main.h"

#include "aa_crypto.h"
#include "aa_json.h"
#include "aa_jwk.h"
#include "aa_jwt.h"

#include <apr_strings.h>

#include <string.h>

#define NOW 1710000000LL
#define AUD "https://api.example.test"
#define HEADER_OK "{\"alg\":\"EdDSA\",\"typ\":\"agent+jwt\",\"kid\":\"k1\"}"
#define CLAIMS_OK                                                                              \
    "{\"iss\":\"host-1\",\"sub\":\"agent-1\",\"aud\":\"" AUD "\",\"iat\":1710000000,"        \
    "\"exp\":1710000060,\"jti\":\"jti-1\"}"

#define NROWS(a) ((int)(sizeof(a) / sizeof((a)[0])))

static apr_pool_t *pool;
static unsigned char pk_a[AA_ED25519_PUBLIC_BYTES], sk_a[AA_ED25519_SECRET_BYTES];
static unsigned char pk_b[AA_ED25519_PUBLIC_BYTES], sk_b[AA_ED25519_SECRET_BYTES];

static const char *const audiences[] = { AUD };
static const aa_jwt_policy_t agent_policy = { AA_JWT_TYP_AGENT, audiences, 1, 30, 60 };

static void setup(void)
{
    unsigned char seed[AA_ED25519_SEED_BYTES];

    ck_assert_int_eq(apr_pool_create(&pool, NULL), APR_SUCCESS);
    memset(seed, 0xa1, sizeof(seed));
    ck_assert_int_eq(aa_ed25519_seed_keypair(seed, pk_a, sk_a), APR_SUCCESS);
    memset(seed, 0xb2, sizeof(seed));
    ck_assert_int_eq(aa_ed25519_seed_keypair(seed, pk_b, sk_b), APR_SUCCESS);
}

static void teardown(void)
{
    apr_pool_destroy(pool);
}

static const char *b64(const char *text, apr_size_t len)
{
    return aa_b64url_encode(pool, (const unsigned char *)text, len);
}

/* "header.claims.signature" with claims_len bytes of claims, signed with sk. */
static const char *make_token_n(const char *header, const char *claims, apr_size_t claims_len,
                                const unsigned char *sk)
{
    unsigned char sig[AA_ED25519_SIG_BYTES];
    const char *input;

    input = apr_pstrcat(pool, b64(header, strlen(header)), ".", b64(claims, claims_len), NULL);
    aa_ed25519_sign(sk, input, strlen(input), sig);
    return apr_pstrcat(pool, input, ".", aa_b64url_encode(pool, sig, sizeof(sig)), NULL);
}

static const char *make_token(const char *header, const char *claims, const unsigned char *sk)
{
    return make_token_n(header, claims, strlen(claims), sk);
}

static aa_jwt_t *parse_ok(const char *token)
{
    aa_jwt_t *jwt = NULL;
    const char *err = NULL;

    ck_assert_msg(aa_jwt_parse(pool, token, &jwt, &err) == APR_SUCCESS, "rejected: %s", err);
    ck_assert_ptr_nonnull(jwt);
    return jwt;
}

/* --- a valid token ---------------------------------------------------------------------- */

START_TEST(test_valid_agent_jwt_passes_parse_signature_and_claims)
{
    const char *token = make_token(HEADER_OK, CLAIMS_OK, sk_a);
    aa_jwt_t *jwt = parse_ok(token);
    const char *err = NULL;

    ck_assert_int_eq(aa_jwt_verify_signature(jwt, aa_jwk_from_public(pool, pk_a)), APR_SUCCESS);
    ck_assert_msg(aa_jwt_check_claims(jwt, &agent_policy, NOW, &err) == APR_SUCCESS, "%s", err);
}
END_TEST

START_TEST(test_parse_exposes_header_and_registered_claims)
{
    const char *token = make_token(HEADER_OK, CLAIMS_OK, sk_a);
    aa_jwt_t *jwt = parse_ok(token);

    ck_assert_str_eq(jwt->typ, "agent+jwt");
    ck_assert_pstr_eq(jwt->kid, "k1");
    ck_assert_pstr_eq(jwt->iss, "host-1");
    ck_assert_pstr_eq(jwt->sub, "agent-1");
    ck_assert_pstr_eq(jwt->jti, "jti-1");
    ck_assert_int_eq(jwt->has_iat, 1);
    ck_assert_int_eq(jwt->has_exp, 1);
    ck_assert_int_eq(jwt->iat, NOW);
    ck_assert_int_eq(jwt->exp, NOW + 60);
    ck_assert_uint_eq(jwt->signing_len, (apr_size_t)(strrchr(token, '.') - token));
    ck_assert_int_eq(strncmp(jwt->signing_input, token, jwt->signing_len), 0);
    ck_assert_str_eq(aa_jwt_log_id(jwt), "jti-1");
}
END_TEST

START_TEST(test_parse_leaves_absent_optional_members_null)
{
    aa_jwt_t *jwt = parse_ok(make_token("{\"alg\":\"EdDSA\",\"typ\":\"agent+jwt\"}", "{}", sk_a));

    ck_assert_ptr_null(jwt->kid);
    ck_assert_ptr_null(jwt->iss);
    ck_assert_ptr_null(jwt->sub);
    ck_assert_ptr_null(jwt->jti);
    ck_assert_int_eq(jwt->has_iat, 0);
    ck_assert_int_eq(jwt->has_exp, 0);
    ck_assert_str_eq(aa_jwt_log_id(jwt), "(no jti)");
    ck_assert_str_eq(aa_jwt_log_id(NULL), "(no jti)");
}
END_TEST

/* Well-formed variants that aa_jwt_parse must accept. */
static const struct {
    const char *what;
    const char *header;
    const char *claims;
} parse_accepts[] = {
    { "fractional iat", HEADER_OK, "{\"iat\":1710000000.75,\"exp\":1710000060}" },
    { "unknown header member", "{\"alg\":\"EdDSA\",\"typ\":\"agent+jwt\",\"x5u\":\"ignored\"}",
      CLAIMS_OK },
    { "apostrophe inside a string", HEADER_OK, "{\"sub\":\"it's \\\"fine\\\"\"}" },
    { "whitespace around JSON", " {\"alg\" : \"EdDSA\", \"typ\":\"agent+jwt\"}\n", " {} " },
    { "nesting of exactly 32", HEADER_OK,
      "{\"n\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}" },
};

START_TEST(test_well_formed_variant_is_accepted)
{
    aa_jwt_t *jwt = NULL;
    const char *err = NULL;
    const char *token = make_token(parse_accepts[_i].header, parse_accepts[_i].claims, sk_a);

    ck_assert_msg(aa_jwt_parse(pool, token, &jwt, &err) == APR_SUCCESS, "%s: %s",
                  parse_accepts[_i].what, err);
    ck_assert_int_eq(aa_jwt_verify_signature(jwt, aa_jwk_from_public(pool, pk_a)), APR_SUCCESS);
}
END_TEST

/* --- malformed tokens -------------------------------------------------------------------- */

typedef enum {
    MUT_NONE,
    MUT_TWO_SEGMENTS,
    MUT_FOUR_SEGMENTS,
    MUT_EMPTY_HEADER,
    MUT_EMPTY_PAYLOAD,
    MUT_EMPTY_SIGNATURE,
    MUT_PLUS_IN_PAYLOAD,
    MUT_STAR_IN_HEADER,
    MUT_PADDED_SIGNATURE,
    MUT_SIGNATURE_63,
    MUT_SIGNATURE_65,
    MUT_TRAILING_NUL_IN_PAYLOAD,
    MUT_TOO_LONG
} mutation_e;

static const struct {
    const char *what;
    const char *header;
    const char *claims;
    mutation_e mut;
    const char *why; /* expected in *errstr */
} malformed[] = {
    { "two segments", HEADER_OK, CLAIMS_OK, MUT_TWO_SEGMENTS, "three segments" },
    { "four segments", HEADER_OK, CLAIMS_OK, MUT_FOUR_SEGMENTS, "three segments" },
    { "empty header segment", HEADER_OK, CLAIMS_OK, MUT_EMPTY_HEADER, "header is not base64url" },
    { "empty payload segment", HEADER_OK, CLAIMS_OK, MUT_EMPTY_PAYLOAD,
      "payload is not base64url" },
    { "empty signature segment", HEADER_OK, CLAIMS_OK, MUT_EMPTY_SIGNATURE, "signature" },
    { "'+' in the payload", HEADER_OK, CLAIMS_OK, MUT_PLUS_IN_PAYLOAD,
      "payload is not base64url" },
    { "'*' in the header", HEADER_OK, CLAIMS_OK, MUT_STAR_IN_HEADER, "header is not base64url" },
    { "padded signature", HEADER_OK, CLAIMS_OK, MUT_PADDED_SIGNATURE, "signature" },
    { "header not JSON", "alg=EdDSA", CLAIMS_OK, MUT_NONE, "header is not valid JSON" },
    { "header a JSON array", "[\"EdDSA\"]", CLAIMS_OK, MUT_NONE, "header is not a JSON object" },
    { "payload a JSON array", HEADER_OK, "[{\"iss\":\"host-1\"}]", MUT_NONE,
      "payload is not a JSON object" },
    { "payload a string", HEADER_OK, "\"host-1\"", MUT_NONE, "payload is not a JSON object" },
    { "payload a number", HEADER_OK, "42", MUT_NONE, "payload is not a JSON object" },
    { "claim iss twice", HEADER_OK, "{\"iss\":\"a\",\"sub\":\"s\",\"iss\":\"b\"}", MUT_NONE,
      "duplicate" },
    { "claim iss twice, once escaped", HEADER_OK, "{\"\\u0069ss\":\"a\",\"iss\":\"b\"}", MUT_NONE,
      "duplicate" },
    { "claim iat twice, once single-quoted", HEADER_OK, "{'iat':1,\"iat\":1710000000}", MUT_NONE,
      "single-quoted" },
    { "header member typ twice", "{\"alg\":\"EdDSA\",\"typ\":\"agent+jwt\",\"typ\":\"host+jwt\"}",
      CLAIMS_OK, MUT_NONE, "duplicate" },
    { "header member alg twice", "{\"alg\":\"none\",\"typ\":\"agent+jwt\",\"alg\":\"EdDSA\"}",
      CLAIMS_OK, MUT_NONE, "duplicate" },
    { "alg none", "{\"alg\":\"none\",\"typ\":\"agent+jwt\"}", CLAIMS_OK, MUT_NONE, "alg" },
    { "alg HS256", "{\"alg\":\"HS256\",\"typ\":\"agent+jwt\"}", CLAIMS_OK, MUT_NONE, "alg" },
    { "alg RS256", "{\"alg\":\"RS256\",\"typ\":\"agent+jwt\"}", CLAIMS_OK, MUT_NONE, "alg" },
    { "alg ES256", "{\"alg\":\"ES256\",\"typ\":\"agent+jwt\"}", CLAIMS_OK, MUT_NONE, "alg" },
    { "alg in lower case", "{\"alg\":\"eddsa\",\"typ\":\"agent+jwt\"}", CLAIMS_OK, MUT_NONE,
      "alg" },
    { "alg missing", "{\"typ\":\"agent+jwt\"}", CLAIMS_OK, MUT_NONE, "no alg" },
    { "alg null", "{\"alg\":null,\"typ\":\"agent+jwt\"}", CLAIMS_OK, MUT_NONE, "no alg" },
    { "crit present", "{\"alg\":\"EdDSA\",\"typ\":\"agent+jwt\",\"crit\":[\"exp\"]}", CLAIMS_OK,
      MUT_NONE, "crit" },
    { "typ missing", "{\"alg\":\"EdDSA\"}", CLAIMS_OK, MUT_NONE, "typ" },
    { "typ not a string", "{\"alg\":\"EdDSA\",\"typ\":[\"agent+jwt\"]}", CLAIMS_OK, MUT_NONE,
      "typ" },
    { "kid not a string", "{\"alg\":\"EdDSA\",\"typ\":\"agent+jwt\",\"kid\":1}", CLAIMS_OK,
      MUT_NONE, "kid" },
    { "iat a string", HEADER_OK, "{\"iat\":\"1710000000\",\"exp\":1710000060}", MUT_NONE,
      "iat must be a NumericDate" },
    { "exp a boolean", HEADER_OK, "{\"iat\":1710000000,\"exp\":true}", MUT_NONE,
      "exp must be a NumericDate" },
    { "exp out of range", HEADER_OK, "{\"iat\":1710000000,\"exp\":1e300}", MUT_NONE,
      "exp must be a NumericDate" },
    { "exp beyond 9e15", HEADER_OK, "{\"iat\":1710000000,\"exp\":9000000000000001}", MUT_NONE,
      "exp must be a NumericDate" },
    { "iat below -9e15", HEADER_OK, "{\"iat\":-9000000000000001,\"exp\":1710000060}", MUT_NONE,
      "iat must be a NumericDate" },
    { "iat Infinity", HEADER_OK, "{\"iat\":Infinity,\"exp\":1710000060}", MUT_NONE,
      "NaN and Infinity are not JSON" },
    { "a NaN claim", HEADER_OK, "{\"n\":NaN,\"iat\":1710000000}", MUT_NONE,
      "NaN and Infinity are not JSON" },
    { "a NUL inside a string", HEADER_OK, "{\"sub\":\"agt_1\\u0000x\"}", MUT_NONE,
      "may not contain NUL" },
    { "invalid UTF-8", HEADER_OK, "{\"sub\":\"\xff\xfe\"}", MUT_NONE, "not valid UTF-8" },
    { "an overlong UTF-8 slash", HEADER_OK, "{\"sub\":\"\xc0\xaf\"}", MUT_NONE,
      "not valid UTF-8" },
    { "a UTF-8 surrogate", HEADER_OK, "{\"sub\":\"\xed\xa0\x80\"}", MUT_NONE,
      "not valid UTF-8" },
    { "iss a number", HEADER_OK, "{\"iss\":7}", MUT_NONE, "iss must be a string" },
    { "sub an array", HEADER_OK, "{\"sub\":[\"agent-1\"]}", MUT_NONE, "sub must be a string" },
    { "jti an object", HEADER_OK, "{\"jti\":{}}", MUT_NONE, "jti must be a string" },
    { "signature of 63 bytes", HEADER_OK, CLAIMS_OK, MUT_SIGNATURE_63, "signature" },
    { "signature of 65 bytes", HEADER_OK, CLAIMS_OK, MUT_SIGNATURE_65, "signature" },
    { "token longer than AA_JWT_MAX_LEN", HEADER_OK, CLAIMS_OK, MUT_TOO_LONG, "too long" },
    { "trailing garbage after the payload JSON", HEADER_OK, CLAIMS_OK " x", MUT_NONE,
      "payload is not valid JSON" },
    { "a second JSON value in the payload", HEADER_OK, CLAIMS_OK "{}", MUT_NONE,
      "payload is not valid JSON" },
    { "a NUL byte after the payload JSON", HEADER_OK, CLAIMS_OK, MUT_TRAILING_NUL_IN_PAYLOAD,
      "trailing" },
    { "nesting deeper than 32", HEADER_OK,
      "{\"n\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}", MUT_NONE,
      "nesting" },
};

static const char *random_b64(apr_size_t nbytes)
{
    unsigned char *raw = apr_palloc(pool, nbytes);

    aa_random_bytes(raw, nbytes);
    return aa_b64url_encode(pool, raw, nbytes);
}

static const char *build_malformed(int i)
{
    const char *h = b64(malformed[i].header, strlen(malformed[i].header));
    const char *p = b64(malformed[i].claims, strlen(malformed[i].claims));
    const char *s = random_b64(AA_ED25519_SIG_BYTES);
    char *t;

    switch (malformed[i].mut) {
    case MUT_NONE:
        return make_token(malformed[i].header, malformed[i].claims, sk_a);
    case MUT_TWO_SEGMENTS:
        return apr_pstrcat(pool, h, ".", p, NULL);
    case MUT_FOUR_SEGMENTS:
        return apr_pstrcat(pool, make_token(malformed[i].header, malformed[i].claims, sk_a),
                           ".", s, NULL);
    case MUT_EMPTY_HEADER:
        return apr_pstrcat(pool, ".", p, ".", s, NULL);
    case MUT_EMPTY_PAYLOAD:
        return apr_pstrcat(pool, h, "..", s, NULL);
    case MUT_EMPTY_SIGNATURE:
        return apr_pstrcat(pool, h, ".", p, ".", NULL);
    case MUT_PLUS_IN_PAYLOAD:
        t = apr_pstrdup(pool, p);
        t[4] = '+';
        return apr_pstrcat(pool, h, ".", t, ".", s, NULL);
    case MUT_STAR_IN_HEADER:
        t = apr_pstrdup(pool, h);
        t[4] = '*';
        return apr_pstrcat(pool, t, ".", p, ".", s, NULL);
    case MUT_PADDED_SIGNATURE:
        return apr_pstrcat(pool, h, ".", p, ".", s, "==", NULL);
    case MUT_SIGNATURE_63:
        return apr_pstrcat(pool, h, ".", p, ".", random_b64(63), NULL);
    case MUT_SIGNATURE_65:
        return apr_pstrcat(pool, h, ".", p, ".", random_b64(65), NULL);
    case MUT_TRAILING_NUL_IN_PAYLOAD:
        return make_token_n(malformed[i].header, malformed[i].claims,
                            strlen(malformed[i].claims) + 1, sk_a);
    case MUT_TOO_LONG:
        t = apr_palloc(pool, AA_JWT_MAX_LEN + 1);
        memset(t, 'x', AA_JWT_MAX_LEN);
        t[AA_JWT_MAX_LEN] = '\0';
        return make_token(malformed[i].header,
                          apr_psprintf(pool, "{\"pad\":\"%s\",\"iss\":\"host-1\"}", t), sk_a);
    }
    return NULL;
}

START_TEST(test_malformed_token_is_rejected_by_parse)
{
    const char *token = build_malformed(_i);
    aa_jwt_t *jwt = NULL;
    const char *err = NULL;
    apr_status_t rv = aa_jwt_parse(pool, token, &jwt, &err);

    ck_assert_msg(rv == APR_EINVAL, "%s: got %d", malformed[_i].what, rv);
    ck_assert_ptr_null(jwt);
    ck_assert_msg(err && strstr(err, malformed[_i].why), "%s: reason \"%s\", want \"%s\"",
                  malformed[_i].what, err ? err : "(null)", malformed[_i].why);
}
END_TEST

/* The limit is inclusive: a signed token of exactly AA_JWT_MAX_LEN bytes still parses. */
START_TEST(test_token_of_exactly_max_len_is_accepted)
{
    char *pad = apr_palloc(pool, AA_JWT_MAX_LEN);
    const char *token = NULL;
    apr_size_t n;
    int kidlen;

    memset(pad, 'x', AA_JWT_MAX_LEN);
    for (kidlen = 1; kidlen <= 4 && !token; kidlen++) {
        const char *header = apr_psprintf(pool, "{\"alg\":\"EdDSA\",\"typ\":\"agent+jwt\","
                                                "\"kid\":\"%.*s\"}", kidlen, "kkkk");

        for (n = 12000; n < 12400 && !token; n++) {
            const char *t = make_token(header, apr_psprintf(pool, "{\"pad\":\"%.*s\"}",
                                                            (int)n, pad), sk_a);

            if (strlen(t) == AA_JWT_MAX_LEN)
                token = t;
        }
    }
    ck_assert_ptr_nonnull(token);
    ck_assert_int_eq(aa_jwt_verify_signature(parse_ok(token), aa_jwk_from_public(pool, pk_a)),
                     APR_SUCCESS);
}
END_TEST

/* --- signatures -------------------------------------------------------------------------- */

START_TEST(test_signature_over_a_modified_payload_fails)
{
    const char *token = make_token(HEADER_OK, CLAIMS_OK, sk_a);
    const char *forged_claims = "{\"iss\":\"host-1\",\"sub\":\"agent-2\",\"aud\":\"" AUD
                                "\",\"iat\":1710000000,\"exp\":1710000060,\"jti\":\"jti-1\"}";
    const char *forged;

    forged = apr_pstrcat(pool, b64(HEADER_OK, strlen(HEADER_OK)), ".",
                         b64(forged_claims, strlen(forged_claims)), strrchr(token, '.'), NULL);
    ck_assert_int_eq(aa_jwt_verify_signature(parse_ok(forged), aa_jwk_from_public(pool, pk_a)),
                     APR_EGENERAL);
}
END_TEST

START_TEST(test_signature_over_a_modified_header_fails)
{
    const char *token = make_token(HEADER_OK, CLAIMS_OK, sk_a);
    const char *header = "{\"alg\":\"EdDSA\",\"typ\":\"agent+jwt\",\"kid\":\"k2\"}";
    const char *forged = apr_pstrcat(pool, b64(header, strlen(header)), strchr(token, '.'), NULL);

    ck_assert_int_eq(aa_jwt_verify_signature(parse_ok(forged), aa_jwk_from_public(pool, pk_a)),
                     APR_EGENERAL);
}
END_TEST

START_TEST(test_signature_by_another_key_fails)
{
    aa_jwt_t *jwt = parse_ok(make_token(HEADER_OK, CLAIMS_OK, sk_b));

    ck_assert_int_eq(aa_jwt_verify_signature(jwt, aa_jwk_from_public(pool, pk_a)), APR_EGENERAL);
    ck_assert_int_eq(aa_jwt_verify_signature(jwt, aa_jwk_from_public(pool, pk_b)), APR_SUCCESS);
}
END_TEST

/* --- claims ------------------------------------------------------------------------------ */

#define OMIT (-999999)

static const struct {
    const char *what;
    const char *typ;
    const char *aud; /* JSON text, or NULL to leave it out */
    long long iat;   /* relative to NOW, or OMIT */
    long long exp;   /* relative to NOW, or OMIT */
    const char *jti; /* or NULL to leave it out */
    apr_status_t expect;
    const char *why;
} claim_cases[] = {
    { "valid", "agent+jwt", "\"" AUD "\"", 0, 60, "j", APR_SUCCESS, NULL },
    { "typ host+jwt where agent+jwt is required", "host+jwt", "\"" AUD "\"", 0, 60, "j",
      APR_EINVAL, "typ" },
    { "aud mismatch", "agent+jwt", "\"https://other.example.test\"", 0, 60, "j", APR_EINVAL,
      "aud" },
    { "aud with a trailing slash", "agent+jwt", "\"" AUD "/\"", 0, 60, "j", APR_EINVAL, "aud" },
    { "aud array containing the right value", "agent+jwt",
      "[\"https://other.example.test\",\"" AUD "\"]", 0, 60, "j", APR_SUCCESS, NULL },
    { "aud array of only wrong values", "agent+jwt",
      "[\"https://other.example.test\",\"https://third.example.test\"]", 0, 60, "j", APR_EINVAL,
      "aud" },
    { "aud empty array", "agent+jwt", "[]", 0, 60, "j", APR_EINVAL, "aud" },
    { "aud array of non-strings", "agent+jwt", "[1,null,[\"" AUD "\"]]", 0, 60, "j", APR_EINVAL,
      "aud" },
    { "aud a number", "agent+jwt", "1", 0, 60, "j", APR_EINVAL, "aud" },
    { "aud missing", "agent+jwt", NULL, 0, 60, "j", APR_EINVAL, "no aud" },
    { "exp missing", "agent+jwt", "\"" AUD "\"", 0, OMIT, "j", APR_EINVAL, "iat and exp" },
    { "iat missing", "agent+jwt", "\"" AUD "\"", OMIT, 60, "j", APR_EINVAL, "iat and exp" },
    { "jti missing", "agent+jwt", "\"" AUD "\"", 0, 60, NULL, APR_EINVAL, "jti" },
    { "jti empty", "agent+jwt", "\"" AUD "\"", 0, 60, "", APR_EINVAL, "jti" },
    { "iat 31 s in the future", "agent+jwt", "\"" AUD "\"", 31, 91, "j", APR_EINVAL, "future" },
    { "iat 30 s in the future", "agent+jwt", "\"" AUD "\"", 30, 90, "j", APR_SUCCESS, NULL },
    { "iat 29 s in the future", "agent+jwt", "\"" AUD "\"", 29, 89, "j", APR_SUCCESS, NULL },
    { "exp 31 s in the past", "agent+jwt", "\"" AUD "\"", -91, -31, "j", APR_EINVAL, "expired" },
    { "exp 30 s in the past", "agent+jwt", "\"" AUD "\"", -90, -30, "j", APR_EINVAL, "expired" },
    { "exp 29 s in the past", "agent+jwt", "\"" AUD "\"", -89, -29, "j", APR_SUCCESS, NULL },
    { "exp - iat = 91", "agent+jwt", "\"" AUD "\"", 0, 91, "j", APR_EINVAL, "lifetime" },
    { "exp - iat = 90 (max_lifetime + skew)", "agent+jwt", "\"" AUD "\"", 0, 90, "j",
      APR_SUCCESS, NULL },
    { "exp - iat = 60", "agent+jwt", "\"" AUD "\"", -10, 50, "j", APR_SUCCESS, NULL },
    { "exp == iat", "agent+jwt", "\"" AUD "\"", 0, 0, "j", APR_EINVAL, "not after iat" },
    { "exp before iat", "agent+jwt", "\"" AUD "\"", 10, 5, "j", APR_EINVAL, "not after iat" },
};

static const char *claims_json(int i)
{
    const char *c = "{\"iss\":\"host-1\",\"sub\":\"agent-1\"";

    if (claim_cases[i].aud)
        c = apr_pstrcat(pool, c, ",\"aud\":", claim_cases[i].aud, NULL);
    if (claim_cases[i].iat != OMIT)
        c = apr_psprintf(pool, "%s,\"iat\":%" APR_INT64_T_FMT, c,
                         (apr_int64_t)(NOW + claim_cases[i].iat));
    if (claim_cases[i].exp != OMIT)
        c = apr_psprintf(pool, "%s,\"exp\":%" APR_INT64_T_FMT, c,
                         (apr_int64_t)(NOW + claim_cases[i].exp));
    if (claim_cases[i].jti)
        c = apr_pstrcat(pool, c, ",\"jti\":\"", claim_cases[i].jti, "\"", NULL);
    return apr_pstrcat(pool, c, "}", NULL);
}

START_TEST(test_check_claims_table)
{
    const char *header = apr_psprintf(pool, "{\"alg\":\"EdDSA\",\"typ\":\"%s\"}",
                                      claim_cases[_i].typ);
    aa_jwt_t *jwt = parse_ok(make_token(header, claims_json(_i), sk_a));
    const char *err = NULL;
    apr_status_t rv = aa_jwt_check_claims(jwt, &agent_policy, NOW, &err);

    ck_assert_msg(rv == claim_cases[_i].expect, "%s: got %d (%s)", claim_cases[_i].what, rv,
                  err ? err : "no reason");
    if (claim_cases[_i].why)
        ck_assert_msg(err && strstr(err, claim_cases[_i].why), "%s: reason \"%s\", want \"%s\"",
                      claim_cases[_i].what, err ? err : "(null)", claim_cases[_i].why);
}
END_TEST

/* exp - iat would overflow to a negative lifetime and slip under max_lifetime. */
START_TEST(test_lifetime_check_survives_an_overflowing_exp_minus_iat)
{
    const char *claims = "{\"aud\":\"" AUD "\",\"jti\":\"j\",\"iat\":-4611686018427387905,"
                         "\"exp\":4611686018427387904}";
    aa_jwt_t *jwt = NULL;
    const char *err = NULL;
    apr_status_t rv = aa_jwt_parse(pool, make_token(HEADER_OK, claims, sk_a), &jwt, &err);

    if (rv == APR_SUCCESS)
        rv = aa_jwt_check_claims(jwt, &agent_policy, NOW, &err);
    ck_assert_int_eq(rv, APR_EINVAL);
}
END_TEST

START_TEST(test_any_of_several_policy_audiences_is_accepted)
{
    static const char *const two[] = { "https://first.example.test", AUD };
    aa_jwt_policy_t policy = { AA_JWT_TYP_AGENT, two, 2, 30, 60 };
    aa_jwt_t *jwt = parse_ok(make_token(HEADER_OK, CLAIMS_OK, sk_a));
    const char *err = NULL;

    ck_assert_int_eq(aa_jwt_check_claims(jwt, &policy, NOW, &err), APR_SUCCESS);
    policy.naudiences = 1;
    ck_assert_int_eq(aa_jwt_check_claims(jwt, &policy, NOW, &err), APR_EINVAL);
}
END_TEST

START_TEST(test_host_policy_rejects_agent_typ)
{
    aa_jwt_policy_t policy = agent_policy;
    aa_jwt_t *jwt = parse_ok(make_token(HEADER_OK, CLAIMS_OK, sk_a));
    const char *err = NULL;

    policy.typ = AA_JWT_TYP_HOST;
    ck_assert_int_eq(aa_jwt_check_claims(jwt, &policy, NOW, &err), APR_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "typ"));
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("jwt");
    TCase *tc;

    tc = tcase_create("parse");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_valid_agent_jwt_passes_parse_signature_and_claims);
    tcase_add_test(tc, test_parse_exposes_header_and_registered_claims);
    tcase_add_test(tc, test_parse_leaves_absent_optional_members_null);
    tcase_add_loop_test(tc, test_well_formed_variant_is_accepted, 0, NROWS(parse_accepts));
    tcase_add_loop_test(tc, test_malformed_token_is_rejected_by_parse, 0, NROWS(malformed));
    tcase_add_test(tc, test_token_of_exactly_max_len_is_accepted);
    suite_add_tcase(s, tc);

    tc = tcase_create("signature");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_signature_over_a_modified_payload_fails);
    tcase_add_test(tc, test_signature_over_a_modified_header_fails);
    tcase_add_test(tc, test_signature_by_another_key_fails);
    suite_add_tcase(s, tc);

    tc = tcase_create("claims");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, test_check_claims_table, 0, NROWS(claim_cases));
    tcase_add_test(tc, test_lifetime_check_survives_an_overflowing_exp_minus_iat);
    tcase_add_test(tc, test_any_of_several_policy_audiences_is_accepted);
    tcase_add_test(tc, test_host_policy_rejects_agent_typ);
    suite_add_tcase(s, tc);
    return s;
}

AA_CHECK_MAIN(make_suite)
