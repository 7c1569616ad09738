/* SPDX-License-Identifier: Apache-2.0 */
/* aa_jwk: parsing and thumbprints of Ed25519 JWKs. */
#include "aa_jwk.h"

#include <apr_strings.h>

#include <string.h>

const char *aa_jwk_canonical(apr_pool_t *pool, const aa_jwk_t *jwk)
{
    /* RFC 7638 §3.2: required members only, sorted, no whitespace. */
    return apr_psprintf(pool, "{\"crv\":\"Ed25519\",\"kty\":\"OKP\",\"x\":\"%s\"}", jwk->x);
}

aa_jwk_t *aa_jwk_from_public(apr_pool_t *pool, const unsigned char pk[AA_ED25519_PUBLIC_BYTES])
{
    aa_jwk_t *jwk = apr_pcalloc(pool, sizeof(*jwk));
    const char *canonical;

    memcpy(jwk->pk, pk, AA_ED25519_PUBLIC_BYTES);
    jwk->x = aa_b64url_encode(pool, pk, AA_ED25519_PUBLIC_BYTES);
    canonical = aa_jwk_canonical(pool, jwk);
    jwk->thumbprint = aa_sha256_b64url(pool, canonical, strlen(canonical));
    return jwk;
}

apr_status_t aa_jwk_parse(apr_pool_t *pool, const aa_json_t *obj, aa_jwk_t **jwk,
                          const char **errstr)
{
    const char *kty, *crv, *x, *kid = NULL;
    unsigned char *raw;
    apr_size_t rawlen;
    aa_json_t *ignored;
    aa_jwk_t *out;

    if (!aa_json_is(obj, AA_JSON_OBJECT)) {
        *errstr = "public key must be a JWK object";
        return APR_EINVAL;
    }
    if (aa_json_get_str(obj, "kty", &kty) != APR_SUCCESS) {
        *errstr = "public key has no kty";
        return APR_EINVAL;
    }
    if (strcmp(kty, "OKP") != 0) {
        *errstr = apr_psprintf(pool, "key type \"%s\" is not supported; only OKP/Ed25519",
                               kty);
        return APR_ENOTIMPL;
    }
    if (aa_json_get_str(obj, "crv", &crv) != APR_SUCCESS || strcmp(crv, "Ed25519") != 0) {
        *errstr = "only the Ed25519 curve is supported";
        return APR_ENOTIMPL;
    }
    if (aa_json_get(obj, "d", &ignored) == APR_SUCCESS) {
        *errstr = "a public key must not contain private material";
        return APR_EINVAL;
    }
    if (aa_json_get_str(obj, "x", &x) != APR_SUCCESS
        || aa_b64url_decode(pool, x, strlen(x), &raw, &rawlen) != APR_SUCCESS
        || rawlen != AA_ED25519_PUBLIC_BYTES) {
        *errstr = "public key x must be 32 bytes of base64url";
        return APR_EINVAL;
    }
    if (!aa_ed25519_public_key_usable(raw)) {
        *errstr = "public key x is not a usable Ed25519 point (small order or off the curve)";
        return APR_EINVAL;
    }
    switch (aa_json_get_str(obj, "kid", &kid)) {
    case APR_SUCCESS:
    case APR_NOTFOUND:
        break;
    default:
        *errstr = "public key kid must be a string";
        return APR_EINVAL;
    }

    out = aa_jwk_from_public(pool, raw);
    /* Reject non-canonical encodings so one key has exactly one thumbprint. */
    if (strcmp(out->x, x) != 0) {
        *errstr = "public key x is not canonical base64url";
        return APR_EINVAL;
    }
    out->kid = kid ? apr_pstrdup(pool, kid) : NULL;
    *jwk = out;
    return APR_SUCCESS;
}

apr_status_t aa_jwk_parse_text(apr_pool_t *pool, const char *text, aa_jwk_t **jwk,
                               const char **errstr)
{
    aa_json_t *obj;
    apr_status_t rv;

    rv = aa_json_parse(pool, text, strlen(text), 1, &obj, errstr);
    if (rv != APR_SUCCESS)
        return rv;
    return aa_jwk_parse(pool, obj, jwk, errstr);
}
