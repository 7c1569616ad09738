/* SPDX-License-Identifier: Apache-2.0 */
/*
 * aajwt: the test suite's agent client toolbox. It makes Ed25519 keys and
 * signs host+jwt / agent+jwt tokens (or deliberately broken ones).
 *
 *   aajwt keygen                         -> key file JSON on stdout
 *   aajwt jwk KEYFILE                    -> public JWK (kid = thumbprint)
 *   aajwt thumbprint KEYFILE             -> RFC 7638 thumbprint
 *   aajwt sign [--raw] KEYFILE TYP CLAIMS [HEADER]
 *        CLAIMS and HEADER are JSON objects; members of HEADER replace the
 *        defaults {"alg":"EdDSA","typ":TYP,"kid":thumbprint}, and a member
 *        set to null is removed. Without --raw, missing iat, exp (iat + 60)
 *        and jti are filled in.
 */
#include "aa_crypto.h"
#include "aa_json.h"
#include "aa_jwk.h"
#include "aa_time.h"

#include <apr_general.h>
#include <apr_strings.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static apr_pool_t *pool;

static void die(const char *msg)
{
    fprintf(stderr, "aajwt: %s\n", msg);
    exit(2);
}

static aa_json_t *parse_or_die(const char *text)
{
    const char *err = NULL;
    aa_json_t *v;

    if (aa_json_parse(pool, text, strlen(text), 0, &v, &err) != APR_SUCCESS)
        die(apr_psprintf(pool, "bad JSON argument: %s", err));
    return v;
}

static void load_key(const char *path, unsigned char pk[32], unsigned char sk[64])
{
    char buf[4096];
    FILE *f = fopen(path, "r");
    size_t n;
    const char *seed_b64;
    unsigned char *seed;
    apr_size_t seedlen;
    aa_json_t *doc;

    if (!f)
        die("cannot open key file");
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    doc = parse_or_die(buf);
    if (aa_json_get_str(doc, "seed", &seed_b64) != APR_SUCCESS
        || aa_b64url_decode(pool, seed_b64, strlen(seed_b64), &seed, &seedlen) != APR_SUCCESS
        || seedlen != 32)
        die("key file has no valid seed");
    aa_ed25519_seed_keypair(seed, pk, sk);
}

static aa_json_t *public_jwk(const unsigned char pk[32])
{
    aa_jwk_t *jwk = aa_jwk_from_public(pool, pk);
    aa_json_t *obj = aa_json_object(pool);

    aa_json_set_str(pool, obj, "kty", "OKP");
    aa_json_set_str(pool, obj, "crv", "Ed25519");
    aa_json_set_str(pool, obj, "x", jwk->x);
    aa_json_set_str(pool, obj, "kid", jwk->thumbprint);
    return obj;
}

static int cmd_keygen(void)
{
    unsigned char seed[32], pk[32], sk[64];
    aa_json_t *doc = aa_json_object(pool);

    aa_random_bytes(seed, sizeof(seed));
    aa_ed25519_seed_keypair(seed, pk, sk);
    aa_json_set_str(pool, doc, "seed", aa_b64url_encode(pool, seed, 32));
    aa_json_set(doc, "jwk", public_jwk(pk));
    aa_json_set_str(pool, doc, "thumbprint", aa_jwk_from_public(pool, pk)->thumbprint);
    printf("%s\n", aa_json_dump(pool, doc));
    return 0;
}

static void merge(aa_json_t *into, aa_json_t *from)
{
    aa_json_iter_t it;
    const char *key;
    aa_json_t *value;

    aa_json_iter_init(from, &it);
    while (aa_json_iter_next(&it, &key, &value))
        aa_json_set(into, key, value);
}

static void drop_nulls(aa_json_t **obj)
{
    aa_json_t *clean = aa_json_object(pool);
    aa_json_iter_t it;
    const char *key;
    aa_json_t *value;

    aa_json_iter_init(*obj, &it);
    while (aa_json_iter_next(&it, &key, &value))
        if (value)
            aa_json_set(clean, key, value);
    *obj = clean;
}

static int cmd_sign(int raw, const char *keyfile, const char *typ, const char *claims_text,
                    const char *header_text)
{
    unsigned char pk[32], sk[64], sig[64];
    aa_json_t *header = aa_json_object(pool), *claims = parse_or_die(claims_text), *tmp;
    const char *h, *p, *input;
    apr_int64_t now = aa_now(), iat = now;

    load_key(keyfile, pk, sk);
    aa_json_set_str(pool, header, "alg", "EdDSA");
    aa_json_set_str(pool, header, "typ", typ);
    aa_json_set_str(pool, header, "kid", aa_jwk_from_public(pool, pk)->thumbprint);
    if (header_text)
        merge(header, parse_or_die(header_text));
    drop_nulls(&header);
    if (!raw) {
        if (aa_json_get(claims, "iat", &tmp) != APR_SUCCESS)
            aa_json_set_int(pool, claims, "iat", now);
        aa_json_get_int(claims, "iat", &iat);
        if (aa_json_get(claims, "exp", &tmp) != APR_SUCCESS)
            aa_json_set_int(pool, claims, "exp", iat + 60);
        if (aa_json_get(claims, "jti", &tmp) != APR_SUCCESS)
            aa_json_set_str(pool, claims, "jti", aa_random_id(pool, "t-", 12));
    }
    drop_nulls(&claims);
    h = aa_json_dump(pool, header);
    p = aa_json_dump(pool, claims);
    input = apr_pstrcat(pool, aa_b64url_encode(pool, (const unsigned char *)h, strlen(h)), ".",
                        aa_b64url_encode(pool, (const unsigned char *)p, strlen(p)), NULL);
    aa_ed25519_sign(sk, input, strlen(input), sig);
    printf("%s.%s\n", input, aa_b64url_encode(pool, sig, 64));
    return 0;
}

int main(int argc, const char *const *argv)
{
    unsigned char pk[32], sk[64];
    int raw = 0, a = 1;

    apr_app_initialize(&argc, &argv, NULL);
    apr_pool_create(&pool, NULL);
    if (aa_crypto_init() != APR_SUCCESS)
        die("libsodium failed");
    if (argc < 2)
        die("usage: aajwt keygen | jwk KEY | thumbprint KEY | sign [--raw] KEY TYP CLAIMS [HDR]");
    if (strcmp(argv[1], "keygen") == 0)
        return cmd_keygen();
    if (argc >= 3 && strcmp(argv[1], "jwk") == 0) {
        load_key(argv[2], pk, sk);
        printf("%s\n", aa_json_dump(pool, public_jwk(pk)));
        return 0;
    }
    if (argc >= 3 && strcmp(argv[1], "thumbprint") == 0) {
        load_key(argv[2], pk, sk);
        printf("%s\n", aa_jwk_from_public(pool, pk)->thumbprint);
        return 0;
    }
    if (strcmp(argv[1], "sign") == 0) {
        a = 2;
        if (argc > a && strcmp(argv[a], "--raw") == 0) {
            raw = 1;
            a++;
        }
        if (argc - a < 3)
            die("sign needs KEY TYP CLAIMS");
        return cmd_sign(raw, argv[a], argv[a + 1], argv[a + 2], argc - a > 3 ? argv[a + 3]
                                                                               : NULL);
    }
    die("unknown command");
    return 2;
}
