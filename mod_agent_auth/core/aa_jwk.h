/* SPDX-License-Identifier: Apache-2.0 */
/* aa_jwk: Ed25519 public JWKs (RFC 8037) and their RFC 7638 thumbprints. */
#ifndef AA_JWK_H
#define AA_JWK_H

#include "aa_crypto.h"
#include "aa_json.h"

typedef struct {
    unsigned char pk[AA_ED25519_PUBLIC_BYTES];
    const char *x;          /* canonical base64url of pk */
    const char *kid;        /* as given, or NULL */
    const char *thumbprint; /* RFC 7638, SHA-256, base64url */
} aa_jwk_t;

/*
 * Read a public JWK. Only kty "OKP" with crv "Ed25519" and an x of exactly
 * 32 bytes is accepted. Returns APR_SUCCESS; APR_ENOTIMPL when the key type
 * or curve is not Ed25519 (the protocol's unsupported_algorithm);
 * APR_EINVAL when the JWK is malformed or carries private material.
 * *jwk and *errstr live in pool.
 */
apr_status_t aa_jwk_parse(apr_pool_t *pool, const aa_json_t *obj, aa_jwk_t **jwk,
                          const char **errstr);

/* Same, from JSON text (as stored in the database). */
apr_status_t aa_jwk_parse_text(apr_pool_t *pool, const char *text, aa_jwk_t **jwk,
                               const char **errstr);

/* The canonical public JWK text {"crv","kty","x"} (the thumbprint input). */
const char *aa_jwk_canonical(apr_pool_t *pool, const aa_jwk_t *jwk);

/* Build a JWK from a raw public key (used by the test client). */
aa_jwk_t *aa_jwk_from_public(apr_pool_t *pool, const unsigned char pk[AA_ED25519_PUBLIC_BYTES]);

#endif
