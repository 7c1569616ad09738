/* SPDX-License-Identifier: Apache-2.0 */
/* aa_crypto: libsodium behind small APR-shaped functions. */
#include "aa_crypto.h"

#include <apr_strings.h>

#include <sodium.h>

#include <ctype.h>
#include <string.h>

/* Crockford-like: 32 symbols, no 0, 1, I or O. */
static const char user_code_alphabet[] = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

apr_status_t aa_crypto_init(void)
{
    return sodium_init() < 0 ? APR_EGENERAL : APR_SUCCESS;
}

const char *aa_b64url_encode(apr_pool_t *pool, const unsigned char *bin, apr_size_t len)
{
    apr_size_t cap = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    char *out = apr_palloc(pool, cap);

    sodium_bin2base64(out, cap, bin, len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    return out;
}

apr_status_t aa_b64url_decode(apr_pool_t *pool, const char *in, apr_size_t inlen,
                              unsigned char **out, apr_size_t *outlen)
{
    apr_size_t cap = inlen / 4 * 3 + 3;
    unsigned char *buf = apr_palloc(pool, cap + 1);
    const char *end = NULL;
    size_t len = 0;

    /* A length of 1 mod 4 can never be valid base64. */
    if (inlen % 4 == 1)
        return APR_EINVAL;
    if (sodium_base642bin(buf, cap, in, inlen, NULL, &len, &end,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
        return APR_EINVAL;
    if (end != in + inlen)
        return APR_EINVAL;
    buf[len] = '\0';
    *out = buf;
    *outlen = len;
    return APR_SUCCESS;
}

const char *aa_sha256_b64url(apr_pool_t *pool, const void *data, apr_size_t len)
{
    unsigned char digest[crypto_hash_sha256_BYTES];

    crypto_hash_sha256(digest, data, len);
    return aa_b64url_encode(pool, digest, sizeof(digest));
}

apr_status_t aa_ed25519_verify(const unsigned char pk[AA_ED25519_PUBLIC_BYTES],
                               const void *msg, apr_size_t len,
                               const unsigned char sig[AA_ED25519_SIG_BYTES])
{
    if (crypto_sign_verify_detached(sig, msg, len, pk) != 0)
        return APR_EGENERAL;
    return APR_SUCCESS;
}

int aa_ed25519_public_key_usable(const unsigned char pk[AA_ED25519_PUBLIC_BYTES])
{
    /* On the curve, in the main subgroup, not of small order. */
    return crypto_core_ed25519_is_valid_point(pk) == 1;
}

apr_status_t aa_ed25519_seed_keypair(const unsigned char seed[AA_ED25519_SEED_BYTES],
                                     unsigned char pk[AA_ED25519_PUBLIC_BYTES],
                                     unsigned char sk[AA_ED25519_SECRET_BYTES])
{
    return crypto_sign_seed_keypair(pk, sk, seed) == 0 ? APR_SUCCESS : APR_EGENERAL;
}

void aa_ed25519_sign(const unsigned char sk[AA_ED25519_SECRET_BYTES], const void *msg,
                     apr_size_t len, unsigned char sig[AA_ED25519_SIG_BYTES])
{
    crypto_sign_detached(sig, NULL, msg, len, sk);
}

void aa_random_bytes(void *buf, apr_size_t len)
{
    randombytes_buf(buf, len);
}

const char *aa_random_id(apr_pool_t *pool, const char *prefix, apr_size_t nbytes)
{
    unsigned char raw[64];

    if (nbytes > sizeof(raw))
        nbytes = sizeof(raw);
    randombytes_buf(raw, nbytes);
    return apr_pstrcat(pool, prefix, aa_b64url_encode(pool, raw, nbytes), NULL);
}

const char *aa_user_code_new(apr_pool_t *pool)
{
    char *code = apr_palloc(pool, 10);
    int i, o = 0;

    for (i = 0; i < 8; i++) {
        if (i == 4)
            code[o++] = '-';
        /* 32 divides 2^32, so uniform() has no bias to remove here. */
        code[o++] = user_code_alphabet[randombytes_uniform(32)];
    }
    code[o] = '\0';
    return code;
}

const char *aa_user_code_normalize(apr_pool_t *pool, const char *typed)
{
    char clean[9];
    apr_size_t n = 0;
    const char *p;

    for (p = typed; *p; p++) {
        if (!isalnum((unsigned char)*p))
            continue;
        if (n == 8)
            return NULL;
        clean[n++] = (char)toupper((unsigned char)*p);
    }
    if (n != 8)
        return NULL;
    return apr_psprintf(pool, "%.4s-%.4s", clean, clean + 4);
}

int aa_memcmp_const(const void *a, const void *b, apr_size_t len)
{
    return sodium_memcmp(a, b, len);
}
