/* SPDX-License-Identifier: Apache-2.0 */
/* test_crypto: base64url, Ed25519 and JWK vectors (RFC 4648, 8037, 7638), codes, time, errors. */
#include "check_main.h"

#include "aa_crypto.h"
#include "aa_error.h"
#include "aa_json.h"
#include "aa_jwk.h"
#include "aa_time.h"

#include <apr_hash.h>
#include <apr_strings.h>

#include <string.h>
#include <time.h>

/* RFC 8037 Appendix A.1 (d is the seed) and A.3 (thumbprint). */
#define RFC8037_D "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"
#define RFC8037_X "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
#define RFC8037_THUMBPRINT "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
#define RFC8037_JWS_INPUT "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc"
#define RFC8037_JWS_SIG                                                                      \
    "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg"

#define USER_CODE_ALPHABET "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"

static apr_pool_t *pool;

static void setup(void)
{
    ck_assert_int_eq(apr_pool_create(&pool, NULL), APR_SUCCESS);
}

static void teardown(void)
{
    apr_pool_destroy(pool);
}

static unsigned char *decode_or_fail(const char *b64, apr_size_t expect_len)
{
    unsigned char *raw = NULL;
    apr_size_t len = 0;

    ck_assert_int_eq(aa_b64url_decode(pool, b64, strlen(b64), &raw, &len), APR_SUCCESS);
    ck_assert_uint_eq(len, expect_len);
    return raw;
}

/* The RFC 8037 key pair, derived from its published seed. */
static void rfc8037_keypair(unsigned char pk[AA_ED25519_PUBLIC_BYTES],
                            unsigned char sk[AA_ED25519_SECRET_BYTES])
{
    const unsigned char *seed = decode_or_fail(RFC8037_D, AA_ED25519_SEED_BYTES);

    ck_assert_int_eq(aa_ed25519_seed_keypair(seed, pk, sk), APR_SUCCESS);
}

/* --- base64url ------------------------------------------------------------------------- */

static const struct {
    const char *bin;
    apr_size_t len;
    const char *text;
} b64_vectors[] = {
    /* RFC 4648 §10, without padding. */
    { "", 0, "" },
    { "f", 1, "Zg" },
    { "fo", 2, "Zm8" },
    { "foo", 3, "Zm9v" },
    { "foob", 4, "Zm9vYg" },
    { "fooba", 5, "Zm9vYmE" },
    { "foobar", 6, "Zm9vYmFy" },
    /* Bytes whose standard encoding is "+/8=" and "+/+/": the URL-safe symbols. */
    { "\xfb\xff", 2, "-_8" },
    { "\xfb\xff\xbf", 3, "-_-_" },
};

START_TEST(test_b64url_encode_matches_rfc4648_vector)
{
    const char *text = aa_b64url_encode(pool, (const unsigned char *)b64_vectors[_i].bin,
                                        b64_vectors[_i].len);

    ck_assert_str_eq(text, b64_vectors[_i].text);
}
END_TEST

START_TEST(test_b64url_decode_matches_rfc4648_vector)
{
    const char *text = b64_vectors[_i].text;
    unsigned char *raw = NULL;
    apr_size_t len = 99;

    ck_assert_int_eq(aa_b64url_decode(pool, text, strlen(text), &raw, &len), APR_SUCCESS);
    ck_assert_uint_eq(len, b64_vectors[_i].len);
    ck_assert_mem_eq(raw, b64_vectors[_i].bin, len);
    ck_assert_int_eq(raw[len], '\0');
}
END_TEST

static const char *const b64_rejects[] = {
    "Zg==",     /* padding */
    "Zm8=",     /* padding */
    "Zm9vYg=",  /* padding, partial */
    "+/8",      /* standard alphabet */
    "Zm9v+w",   /* '+' */
    "Zm9v/w",   /* '/' */
    "Zm9vY",    /* length 1 mod 4 */
    "Z",        /* length 1 mod 4 */
    "Zm9vYmFyZ", /* length 1 mod 4 */
    "Zm 9v",    /* whitespace */
    "Zm9v\n",   /* newline */
    "Zm9v.w",   /* JWS separator */
    "Zh",       /* non-zero trailing bits: not the canonical "Zg" */
};

START_TEST(test_b64url_decode_rejects_malformed_input)
{
    const char *text = b64_rejects[_i];
    unsigned char *raw = NULL;
    apr_size_t len = 0;

    ck_assert_msg(aa_b64url_decode(pool, text, strlen(text), &raw, &len) == APR_EINVAL,
                  "\"%s\" was accepted", text);
}
END_TEST

START_TEST(test_b64url_decode_uses_inlen_not_the_terminator)
{
    unsigned char *raw = NULL;
    apr_size_t len = 0;

    /* Only the first four characters count; the rest would be invalid. */
    ck_assert_int_eq(aa_b64url_decode(pool, "Zm9v==+", 4, &raw, &len), APR_SUCCESS);
    ck_assert_uint_eq(len, 3);
    ck_assert_mem_eq(raw, "foo", 3);
}
END_TEST

START_TEST(test_sha256_b64url_of_abc_is_the_fips_vector)
{
    ck_assert_str_eq(aa_sha256_b64url(pool, "abc", 3),
                     "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0");
}
END_TEST

/* --- Ed25519, RFC 8037 Appendix A ------------------------------------------------------ */

START_TEST(test_seed_of_rfc8037_gives_its_public_key)
{
    unsigned char pk[AA_ED25519_PUBLIC_BYTES], sk[AA_ED25519_SECRET_BYTES];

    rfc8037_keypair(pk, sk);
    ck_assert_str_eq(aa_b64url_encode(pool, pk, sizeof(pk)), RFC8037_X);
}
END_TEST

START_TEST(test_rfc8037_jws_verifies)
{
    const unsigned char *pk = decode_or_fail(RFC8037_X, AA_ED25519_PUBLIC_BYTES);
    const unsigned char *sig = decode_or_fail(RFC8037_JWS_SIG, AA_ED25519_SIG_BYTES);

    ck_assert_int_eq(aa_ed25519_verify(pk, RFC8037_JWS_INPUT, strlen(RFC8037_JWS_INPUT), sig),
                     APR_SUCCESS);
}
END_TEST

/* Flip bit _i of the 64-byte signature (a few positions across it). */
START_TEST(test_rfc8037_jws_with_one_flipped_signature_bit_fails)
{
    static const int bits[] = { 0, 7, 255, 256, 511 };
    const unsigned char *pk = decode_or_fail(RFC8037_X, AA_ED25519_PUBLIC_BYTES);
    unsigned char *sig = decode_or_fail(RFC8037_JWS_SIG, AA_ED25519_SIG_BYTES);

    sig[bits[_i] / 8] ^= (unsigned char)(1u << (bits[_i] % 8));
    ck_assert_int_eq(aa_ed25519_verify(pk, RFC8037_JWS_INPUT, strlen(RFC8037_JWS_INPUT), sig),
                     APR_EGENERAL);
}
END_TEST

START_TEST(test_rfc8037_jws_with_one_flipped_message_bit_fails)
{
    const unsigned char *pk = decode_or_fail(RFC8037_X, AA_ED25519_PUBLIC_BYTES);
    const unsigned char *sig = decode_or_fail(RFC8037_JWS_SIG, AA_ED25519_SIG_BYTES);
    char *msg = apr_pstrdup(pool, RFC8037_JWS_INPUT);

    msg[strlen(msg) - 1] ^= 0x01;
    ck_assert_int_eq(aa_ed25519_verify(pk, msg, strlen(msg), sig), APR_EGENERAL);
}
END_TEST

START_TEST(test_signing_rfc8037_input_reproduces_its_signature)
{
    unsigned char pk[AA_ED25519_PUBLIC_BYTES], sk[AA_ED25519_SECRET_BYTES];
    unsigned char sig[AA_ED25519_SIG_BYTES];

    rfc8037_keypair(pk, sk);
    aa_ed25519_sign(sk, RFC8037_JWS_INPUT, strlen(RFC8037_JWS_INPUT), sig);
    ck_assert_str_eq(aa_b64url_encode(pool, sig, sizeof(sig)), RFC8037_JWS_SIG);
}
END_TEST

/* --- JWK and RFC 7638 thumbprints ------------------------------------------------------ */

START_TEST(test_jwk_from_rfc8037_public_key_has_its_thumbprint)
{
    const unsigned char *pk = decode_or_fail(RFC8037_X, AA_ED25519_PUBLIC_BYTES);
    aa_jwk_t *jwk = aa_jwk_from_public(pool, pk);

    ck_assert_str_eq(jwk->x, RFC8037_X);
    ck_assert_str_eq(jwk->thumbprint, RFC8037_THUMBPRINT);
    ck_assert_str_eq(aa_jwk_canonical(pool, jwk),
                     "{\"crv\":\"Ed25519\",\"kty\":\"OKP\",\"x\":\"" RFC8037_X "\"}");
}
END_TEST

/* The same key in any member order, with or without extra members. */
static const char *const jwk_same_key[] = {
    "{\"crv\":\"Ed25519\",\"kty\":\"OKP\",\"x\":\"" RFC8037_X "\"}",
    "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"" RFC8037_X "\"}",
    "{\"x\":\"" RFC8037_X "\",\"kty\":\"OKP\",\"crv\":\"Ed25519\"}",
    "{\"kid\":\"key-1\",\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"" RFC8037_X "\"}",
    "{\"kty\":\"OKP\",\"use\":\"sig\",\"alg\":\"EdDSA\",\"crv\":\"Ed25519\",\"x\":\"" RFC8037_X
    "\",\"kid\":\"key-1\"}",
    " { \"kty\" : \"OKP\" ,\n \"crv\" : \"Ed25519\" , \"x\" : \"" RFC8037_X "\" } ",
};

START_TEST(test_jwk_member_order_and_extra_members_keep_the_thumbprint)
{
    aa_jwk_t *jwk = NULL;
    const char *err = NULL;

    ck_assert_msg(aa_jwk_parse_text(pool, jwk_same_key[_i], &jwk, &err) == APR_SUCCESS,
                  "rejected: %s", err);
    ck_assert_str_eq(jwk->x, RFC8037_X);
    ck_assert_str_eq(jwk->thumbprint, RFC8037_THUMBPRINT);
}
END_TEST

START_TEST(test_jwk_kid_is_kept_as_given)
{
    aa_json_t *obj = NULL;
    aa_jwk_t *jwk = NULL;
    const char *err = NULL;

    ck_assert_int_eq(aa_jwk_parse_text(pool, jwk_same_key[0], &jwk, &err), APR_SUCCESS);
    ck_assert_ptr_null(jwk->kid);

    ck_assert_int_eq(aa_json_parse(pool, jwk_same_key[3], strlen(jwk_same_key[3]), 1, &obj,
                                   &err),
                     APR_SUCCESS);
    ck_assert_int_eq(aa_jwk_parse(pool, obj, &jwk, &err), APR_SUCCESS);
    ck_assert_str_eq(jwk->kid, "key-1");
}
END_TEST

#define OKP_ED(x) "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"" x "\"}"

static const struct {
    const char *what;
    const char *jwk;
    apr_status_t expect;
} jwk_rejects[] = {
    { "kty RSA", "{\"kty\":\"RSA\",\"n\":\"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4"
                 "cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4"
                 "Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7"
                 "d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3X"
                 "PksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw\",\"e\":\"AQAB\"}",
      APR_ENOTIMPL },
    { "kty EC", "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"" RFC8037_X "\",\"y\":\"" RFC8037_X
                "\"}",
      APR_ENOTIMPL },
    { "kty oct", "{\"kty\":\"oct\",\"k\":\"" RFC8037_X "\"}", APR_ENOTIMPL },
    { "kty lower-case okp", "{\"kty\":\"okp\",\"crv\":\"Ed25519\",\"x\":\"" RFC8037_X "\"}",
      APR_ENOTIMPL },
    { "crv X25519", "{\"kty\":\"OKP\",\"crv\":\"X25519\",\"x\":\"" RFC8037_X "\"}",
      APR_ENOTIMPL },
    { "crv Ed448", "{\"kty\":\"OKP\",\"crv\":\"Ed448\",\"x\":\"" RFC8037_X "\"}", APR_ENOTIMPL },
    { "x of 31 bytes", OKP_ED("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHUQ"), APR_EINVAL },
    { "x the all-zero point (small order)",
      OKP_ED("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), APR_EINVAL },
    { "x the identity point (y = 1)", OKP_ED("AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
      APR_EINVAL },
    { "x of 33 bytes", OKP_ED("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURoA"), APR_EINVAL },
    { "x of 0 bytes", OKP_ED(""), APR_EINVAL },
    { "x non-canonical (trailing bits set)", OKP_ED("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURp"),
      APR_EINVAL },
    { "x padded", OKP_ED(RFC8037_X "="), APR_EINVAL },
    { "x in the standard alphabet", OKP_ED("11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo"),
      APR_EINVAL },
    { "x missing", "{\"kty\":\"OKP\",\"crv\":\"Ed25519\"}", APR_EINVAL },
    { "x a number", "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":32}", APR_EINVAL },
    { "private d present", "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"" RFC8037_X
                           "\",\"d\":\"" RFC8037_D "\"}",
      APR_EINVAL },
    { "kty missing", "{\"crv\":\"Ed25519\",\"x\":\"" RFC8037_X "\"}", APR_EINVAL },
    { "kty a number", "{\"kty\":1,\"crv\":\"Ed25519\",\"x\":\"" RFC8037_X "\"}", APR_EINVAL },
    { "kid a number", "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"" RFC8037_X "\",\"kid\":7}",
      APR_EINVAL },
    { "not an object", "[\"OKP\",\"Ed25519\",\"" RFC8037_X "\"]", APR_EINVAL },
};

START_TEST(test_jwk_that_is_not_a_public_ed25519_key_is_rejected)
{
    aa_jwk_t *jwk = NULL;
    const char *err = NULL;
    apr_status_t rv = aa_jwk_parse_text(pool, jwk_rejects[_i].jwk, &jwk, &err);

    ck_assert_msg(rv == jwk_rejects[_i].expect, "%s: got %d, want %d", jwk_rejects[_i].what,
                  rv, jwk_rejects[_i].expect);
    ck_assert_ptr_nonnull(err);
    ck_assert_ptr_null(jwk);
}
END_TEST

/* --- user codes, ids, constant-time compare -------------------------------------------- */

START_TEST(test_user_code_is_two_groups_of_four_from_the_alphabet)
{
    int i, k;

    for (i = 0; i < 200; i++) {
        const char *code = aa_user_code_new(pool);

        ck_assert_uint_eq(strlen(code), 9);
        ck_assert_int_eq(code[4], '-');
        for (k = 0; k < 9; k++)
            if (k != 4)
                ck_assert_msg(strchr(USER_CODE_ALPHABET, code[k]) != NULL,
                              "%s has '%c' outside the alphabet", code, code[k]);
        ck_assert_str_eq(aa_user_code_normalize(pool, code), code);
    }
}
END_TEST

START_TEST(test_user_codes_use_every_symbol_and_do_not_repeat)
{
    int seen[256] = { 0 };
    apr_hash_t *codes = apr_hash_make(pool);
    const char *p;
    int i;

    for (i = 0; i < 1000; i++) {
        const char *code = aa_user_code_new(pool);

        ck_assert_ptr_null(apr_hash_get(codes, code, APR_HASH_KEY_STRING));
        apr_hash_set(codes, code, APR_HASH_KEY_STRING, code);
        for (p = code; *p; p++)
            seen[(unsigned char)*p]++;
    }
    for (p = USER_CODE_ALPHABET; *p; p++)
        ck_assert_msg(seen[(unsigned char)*p] > 0, "'%c' never drawn", *p);
}
END_TEST

static const struct {
    const char *typed;
    const char *expect; /* NULL: refused */
} user_code_inputs[] = {
    { "abcd efgh", "ABCD-EFGH" },
    { "ABCD-EFGH", "ABCD-EFGH" },
    { "abcdefgh", "ABCD-EFGH" },
    { "  ab-cd ef.gh\n", "ABCD-EFGH" },
    { "wxyz-2345", "WXYZ-2345" },
    { "abcdefg", NULL },
    { "abcd-efg", NULL },
    { "abcdefghj", NULL },
    { "abcd-efgh-j", NULL },
    { "", NULL },
    { "--------", NULL },
};

START_TEST(test_user_code_normalize_table)
{
    const char *got = aa_user_code_normalize(pool, user_code_inputs[_i].typed);

    if (user_code_inputs[_i].expect)
        ck_assert_pstr_eq(got, user_code_inputs[_i].expect);
    else
        ck_assert_msg(got == NULL, "\"%s\" gave \"%s\"", user_code_inputs[_i].typed, got);
}
END_TEST

START_TEST(test_random_id_is_prefix_and_base64url_of_n_bytes)
{
    const char *a = aa_random_id(pool, "dc_", 24);
    const char *b = aa_random_id(pool, "dc_", 24);
    unsigned char *raw;
    apr_size_t len;

    ck_assert_uint_eq(strlen(a), 3 + 32);
    ck_assert_int_eq(strncmp(a, "dc_", 3), 0);
    ck_assert_int_eq(aa_b64url_decode(pool, a + 3, 32, &raw, &len), APR_SUCCESS);
    ck_assert_uint_eq(len, 24);
    ck_assert_str_ne(a, b);
}
END_TEST

START_TEST(test_memcmp_const_tells_equal_from_different)
{
    ck_assert_int_eq(aa_memcmp_const("abcdef", "abcdef", 6), 0);
    ck_assert_int_ne(aa_memcmp_const("abcdef", "abcdeg", 6), 0);
    ck_assert_int_ne(aa_memcmp_const("Xbcdef", "abcdef", 6), 0);
}
END_TEST

/* --- aa_time ----------------------------------------------------------------------------- */

static const struct {
    apr_int64_t t;
    const char *iso;
} iso_vectors[] = {
    { 1, "1970-01-01T00:00:01Z" },
    { 951782400, "2000-02-29T00:00:00Z" },
    { 1710000000, "2024-03-09T16:00:00Z" },
    { 4102444800LL, "2100-01-01T00:00:00Z" },
};

START_TEST(test_iso8601_formats_utc_seconds)
{
    ck_assert_pstr_eq(aa_iso8601(pool, iso_vectors[_i].t), iso_vectors[_i].iso);
}
END_TEST

START_TEST(test_iso8601_of_zero_means_never_and_is_null)
{
    ck_assert_ptr_null(aa_iso8601(pool, 0));
}
END_TEST

START_TEST(test_now_is_the_system_clock_in_seconds)
{
    apr_int64_t before = (apr_int64_t)time(NULL);
    apr_int64_t now = aa_now();
    apr_int64_t after = (apr_int64_t)time(NULL);

    /* time() reads a coarse clock that may trail gettimeofday() by a tick,
     * so at a second boundary aa_now() can be one ahead of it. */
    ck_assert_int_ge(now, before);
    ck_assert_int_le(now, after + 1);
}
END_TEST

/* --- aa_error ---------------------------------------------------------------------------- */

static int is_snake_case(const char *s)
{
    const char *p;

    if (!s || !*s || *s == '_' || s[strlen(s) - 1] == '_' || strstr(s, "__"))
        return 0;
    for (p = s; *p; p++)
        if (!(*p >= 'a' && *p <= 'z') && *p != '_')
            return 0;
    return 1;
}

START_TEST(test_error_table_row_has_snake_case_name_and_http_status)
{
    aa_err_e e = (aa_err_e)_i;

    ck_assert_msg(is_snake_case(aa_err_name(e)), "error %d has name \"%s\"", _i,
                  aa_err_name(e));
    ck_assert_int_ge(aa_err_status(e), 200);
    ck_assert_int_le(aa_err_status(e), 599);
    ck_assert_ptr_nonnull(aa_err_message(e));
    if (e != AA_ERR_NONE) {
        ck_assert_int_ge(aa_err_status(e), 400);
        ck_assert_uint_gt(strlen(aa_err_message(e)), 0);
    }
}
END_TEST

static const struct {
    aa_err_e err;
    const char *name;
    int status;
} error_spots[] = {
    { AA_ERR_NONE, "none", 200 },
    { AA_ERR_INVALID_REQUEST, "invalid_request", 400 },
    { AA_ERR_INVALID_JWT, "invalid_jwt", 401 },
    { AA_ERR_AGENT_NOT_FOUND, "agent_not_found", 404 },
    { AA_ERR_AGENT_EXISTS, "agent_exists", 409 },
    { AA_ERR_CAPABILITY_NOT_FOUND, "capability_not_found", 404 },
    { AA_ERR_CAPABILITY_NOT_GRANTED, "capability_not_granted", 403 },
    { AA_ERR_INVALID_CAPABILITIES, "invalid_capabilities", 400 },
    { AA_ERR_UNSUPPORTED_ALGORITHM, "unsupported_algorithm", 400 },
    { AA_ERR_JTI_REPLAY, "invalid_jwt", 401 },
    { AA_ERR_INTERNAL, "internal_error", 500 },
};

START_TEST(test_error_spot_check)
{
    ck_assert_str_eq(aa_err_name(error_spots[_i].err), error_spots[_i].name);
    ck_assert_int_eq(aa_err_status(error_spots[_i].err), error_spots[_i].status);
}
END_TEST

START_TEST(test_error_out_of_range_is_internal_error)
{
    ck_assert_str_eq(aa_err_name(AA_ERR__COUNT), "internal_error");
    ck_assert_int_eq(aa_err_status(AA_ERR__COUNT), 500);
    ck_assert_str_eq(aa_err_name((aa_err_e)-1), "internal_error");
}
END_TEST

#define NROWS(a) ((int)(sizeof(a) / sizeof((a)[0])))

static TCase *make_tcase(const char *name)
{
    TCase *tc = tcase_create(name);

    tcase_add_checked_fixture(tc, setup, teardown);
    return tc;
}

static Suite *make_suite(void)
{
    Suite *s = suite_create("crypto");
    TCase *tc;

    tc = make_tcase("base64url");
    tcase_add_loop_test(tc, test_b64url_encode_matches_rfc4648_vector, 0, NROWS(b64_vectors));
    tcase_add_loop_test(tc, test_b64url_decode_matches_rfc4648_vector, 0, NROWS(b64_vectors));
    tcase_add_loop_test(tc, test_b64url_decode_rejects_malformed_input, 0, NROWS(b64_rejects));
    tcase_add_test(tc, test_b64url_decode_uses_inlen_not_the_terminator);
    tcase_add_test(tc, test_sha256_b64url_of_abc_is_the_fips_vector);
    suite_add_tcase(s, tc);

    tc = make_tcase("ed25519");
    tcase_add_test(tc, test_seed_of_rfc8037_gives_its_public_key);
    tcase_add_test(tc, test_rfc8037_jws_verifies);
    tcase_add_loop_test(tc, test_rfc8037_jws_with_one_flipped_signature_bit_fails, 0, 5);
    tcase_add_test(tc, test_rfc8037_jws_with_one_flipped_message_bit_fails);
    tcase_add_test(tc, test_signing_rfc8037_input_reproduces_its_signature);
    suite_add_tcase(s, tc);

    tc = make_tcase("jwk");
    tcase_add_test(tc, test_jwk_from_rfc8037_public_key_has_its_thumbprint);
    tcase_add_loop_test(tc, test_jwk_member_order_and_extra_members_keep_the_thumbprint, 0,
                        NROWS(jwk_same_key));
    tcase_add_test(tc, test_jwk_kid_is_kept_as_given);
    tcase_add_loop_test(tc, test_jwk_that_is_not_a_public_ed25519_key_is_rejected, 0,
                        NROWS(jwk_rejects));
    suite_add_tcase(s, tc);

    tc = make_tcase("codes");
    tcase_add_test(tc, test_user_code_is_two_groups_of_four_from_the_alphabet);
    tcase_add_test(tc, test_user_codes_use_every_symbol_and_do_not_repeat);
    tcase_add_loop_test(tc, test_user_code_normalize_table, 0, NROWS(user_code_inputs));
    tcase_add_test(tc, test_random_id_is_prefix_and_base64url_of_n_bytes);
    tcase_add_test(tc, test_memcmp_const_tells_equal_from_different);
    suite_add_tcase(s, tc);

    tc = make_tcase("time");
    tcase_add_loop_test(tc, test_iso8601_formats_utc_seconds, 0, NROWS(iso_vectors));
    tcase_add_test(tc, test_iso8601_of_zero_means_never_and_is_null);
    tcase_add_test(tc, test_now_is_the_system_clock_in_seconds);
    suite_add_tcase(s, tc);

    tc = make_tcase("error");
    tcase_add_loop_test(tc, test_error_table_row_has_snake_case_name_and_http_status, 0,
                        AA_ERR__COUNT);
    tcase_add_loop_test(tc, test_error_spot_check, 0, NROWS(error_spots));
    tcase_add_test(tc, test_error_out_of_range_is_internal_error);
    suite_add_tcase(s, tc);
    return s;
}

AA_CHECK_MAIN(make_suite)
