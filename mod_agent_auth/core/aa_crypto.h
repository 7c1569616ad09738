/* SPDX-License-Identifier: Apache-2.0 */
/* aa_crypto: the only libsodium user: base64url, Ed25519, SHA-256, random codes. */
#ifndef AA_CRYPTO_H
#define AA_CRYPTO_H

#include <apr_pools.h>
#include <apr_errno.h>

#define AA_ED25519_PUBLIC_BYTES 32
#define AA_ED25519_SECRET_BYTES 64
#define AA_ED25519_SEED_BYTES 32
#define AA_ED25519_SIG_BYTES 64
#define AA_SHA256_BYTES 32

/*
 * Initialise libsodium. Call once per process before any other aa_crypto call.
 * Returns APR_SUCCESS or APR_EGENERAL.
 */
apr_status_t aa_crypto_init(void);

/* Encode len bytes as unpadded base64url; the result lives in pool. */
const char *aa_b64url_encode(apr_pool_t *pool, const unsigned char *bin, apr_size_t len);

/*
 * Decode unpadded base64url text of inlen bytes. Padding, whitespace and any
 * character outside the URL-safe alphabet are refused with APR_EINVAL.
 * *out (NUL-terminated for convenience) and *outlen live in pool.
 */
apr_status_t aa_b64url_decode(apr_pool_t *pool, const char *in, apr_size_t inlen,
                              unsigned char **out, apr_size_t *outlen);

/* SHA-256 of data, as unpadded base64url, in pool. */
const char *aa_sha256_b64url(apr_pool_t *pool, const void *data, apr_size_t len);

/*
 * Verify an Ed25519 signature. Returns APR_SUCCESS when sig is a valid
 * signature of msg under pk, APR_EGENERAL otherwise (including weak keys).
 */
apr_status_t aa_ed25519_verify(const unsigned char pk[AA_ED25519_PUBLIC_BYTES],
                               const void *msg, apr_size_t len,
                               const unsigned char sig[AA_ED25519_SIG_BYTES]);

/*
 * 1 when pk is a point a signature could ever verify under: small-order
 * and off-curve keys (which libsodium refuses at verification) are 0.
 */
int aa_ed25519_public_key_usable(const unsigned char pk[AA_ED25519_PUBLIC_BYTES]);

/* Derive a key pair from a 32-byte seed (used by tests and the test client). */
apr_status_t aa_ed25519_seed_keypair(const unsigned char seed[AA_ED25519_SEED_BYTES],
                                     unsigned char pk[AA_ED25519_PUBLIC_BYTES],
                                     unsigned char sk[AA_ED25519_SECRET_BYTES]);

/* Sign msg with sk (used by the test client only; the server never signs). */
void aa_ed25519_sign(const unsigned char sk[AA_ED25519_SECRET_BYTES], const void *msg,
                     apr_size_t len, unsigned char sig[AA_ED25519_SIG_BYTES]);

/* Fill buf with len cryptographically random bytes. */
void aa_random_bytes(void *buf, apr_size_t len);

/* A random identifier: prefix followed by nbytes of randomness in base64url. */
const char *aa_random_id(apr_pool_t *pool, const char *prefix, apr_size_t nbytes);

/*
 * A device-flow user code, "XXXX-XXXX", drawn uniformly from an alphabet
 * without look-alike characters (no 0/O, 1/I).
 */
const char *aa_user_code_new(apr_pool_t *pool);

/*
 * Normalise what a human typed as a user code: drop everything but letters
 * and digits, upper-case, and re-insert the dash. Returns NULL when the result
 * is not 8 characters long.
 */
const char *aa_user_code_normalize(apr_pool_t *pool, const char *typed);

/* Constant-time comparison of two equal-length buffers; 0 when equal. */
int aa_memcmp_const(const void *a, const void *b, apr_size_t len);

#endif
