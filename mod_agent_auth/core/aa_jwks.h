/* SPDX-License-Identifier: Apache-2.0 */
/* aa_jwks: the only libcurl user: JWKS URLs checked, fetched and parsed under §8.12. */
#ifndef AA_JWKS_H
#define AA_JWKS_H

#include <apr_network_io.h>
#include <apr_tables.h>
#include <apr_time.h>

#include "aa_jwk.h"
#include "aa_netfilter.h"

#include <sys/socket.h>

#define AA_JWKS_MAX_URL AA_NET_MAX_URL          /* characters in a JWKS URL */
#define AA_JWKS_MAX_KEYS 20                     /* keys in one JWK Set */
#define AA_JWKS_MAX_BYTES (1024 * 1024)         /* response body */
#define AA_JWKS_MAX_REDIRECTS 3
#define AA_JWKS_TIMEOUT apr_time_from_sec(5)    /* default for a whole fetch */

/*
 * Process-wide libcurl setup and teardown. Call aa_jwks_global_init once
 * before any thread exists (post_config, or aactl's main) and check for
 * APR_EGENERAL. NB: neither is thread-safe; aa_jwks_global_cleanup belongs in
 * the cleanup of the pool that outlives every fetch.
 */
apr_status_t aa_jwks_global_init(void);
void aa_jwks_global_cleanup(void);

/*
 * Read a JWK Set (RFC 7517 §5) under the §8.12 content rules. The document
 * must be a JSON object whose "keys" member is an array of 1 to
 * AA_JWKS_MAX_KEYS objects. One bad key rejects the whole document, because a
 * publisher that mixes a bad key in cannot be trusted with the others:
 *   - kty missing, or not "OKP", "EC" or "RSA" ("oct" is named in the error);
 *   - any private member (d, p, q, dp, dq, qi, oth, k), whatever the kty;
 *   - an RSA key without n and e, an EC key without crv, x and y, an OKP key
 *     without crv and x; an Ed25519 key aa_jwk_parse refuses;
 *   - two Ed25519 keys with the same kid (a kid lookup would be ambiguous).
 * RSA, EC and non-Ed25519 OKP keys, and Ed25519 keys whose "use" is not "sig"
 * or whose "alg" is not "EdDSA", are valid but unusable here: they are
 * skipped. A set left with no usable key is refused with APR_ENOTIMPL.
 *
 * On success *keys is an array of aa_jwk_t * in document order; keys without
 * a kid are kept (aa_jwks_find never returns them). Everything lives in pool.
 * Returns APR_SUCCESS, APR_ENOTIMPL, or APR_EINVAL with the reason in *errstr.
 */
apr_status_t aa_jwks_parse(apr_pool_t *pool, const char *text, apr_size_t len,
                           apr_array_header_t **keys, const char **errstr);

/* The key of keys (from aa_jwks_parse) whose kid equals kid, or NULL. */
const aa_jwk_t *aa_jwks_find(const apr_array_header_t *keys, const char *kid);

typedef struct {
    apr_interval_time_t timeout; /* whole fetch, redirects included; 0: AA_JWKS_TIMEOUT */
    const char *ca_file;         /* PEM trust anchors; NULL: the system store */
    /*
     * NB: for tests only. Lets 127.0.0.0/8, ::1 and "localhost" through both
     * checks so a test server on loopback can be reached; every other
     * forbidden range stays forbidden. Never set it from untrusted input.
     */
    int insecure_allow_loopback;
} aa_jwks_fetch_opts_t;

/*
 * GET url and return its body. opts may be NULL for the defaults.
 *
 * Each URL, the first and every redirect target (at most
 * AA_JWKS_MAX_REDIRECTS, followed here rather than by libcurl), must pass
 * aa_url_check. Every address libcurl is about to connect to is passed through
 * aa_addr_forbidden inside its open-socket callback, so the filter judges the
 * same resolution the connection uses and DNS rebinding cannot slip between
 * them. Only https, certificate and host name verified, no proxy (environment
 * variables are ignored), no compression, no signals (safe in threaded MPMs).
 * The final status must be 200 and the body at most AA_JWKS_MAX_BYTES; the
 * content type is not checked, since aa_jwks_parse is the real gate.
 *
 * On success *body (NUL-terminated) and *len live in pool. Returns
 * APR_SUCCESS; APR_EINVAL when a URL or redirect target is refused;
 * APR_EACCES when every address the host resolved to is forbidden; APR_TIMEUP
 * on timeout; APR_ENOSPC when the body is too large; APR_EGENERAL for other
 * failures (DNS, TLS, HTTP status, too many redirects). *errstr says which.
 * Blocks for at most the timeout. Thread-safe once aa_jwks_global_init ran.
 */
apr_status_t aa_jwks_fetch(apr_pool_t *pool, const char *url, const aa_jwks_fetch_opts_t *opts,
                           const char **body, apr_size_t *len, const char **errstr);

/* aa_jwks_fetch followed by aa_jwks_parse; returns the status of the first that fails. */
apr_status_t aa_jwks_load(apr_pool_t *pool, const char *url, const aa_jwks_fetch_opts_t *opts,
                          apr_array_header_t **keys, const char **errstr);

#endif
