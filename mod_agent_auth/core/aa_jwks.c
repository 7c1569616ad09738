/* SPDX-License-Identifier: Apache-2.0 */
/* aa_jwks: JWK Set parsing and fetching with libcurl under aa_netfilter's rules. */
#include "aa_jwks.h"
#include "aa_buf.h"

#include <apr_strings.h>
#include <apr_time.h>

#include <curl/curl.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <string.h>
#include <strings.h>

/* ---- JWK Set parsing --------------------------------------------------- */

static const char *const private_members[] = { "d", "p", "q", "dp", "dq", "qi", "oth", "k" };

typedef struct {
    const char *kty;
    const char *required[4];
} key_type_t;

static const key_type_t key_types[] = {
    { "OKP", { "crv", "x" } },
    { "EC", { "crv", "x", "y" } },
    { "RSA", { "n", "e" } },
};

/* The rules every key must meet; *type is its key_types entry. */
static apr_status_t check_key(apr_pool_t *pool, const aa_json_t *key, const key_type_t **type,
                              const char **errstr)
{
    const char *kty, *ignored;
    aa_json_t *member;
    apr_size_t i;

    if (aa_json_get_str(key, "kty", &kty) != APR_SUCCESS) {
        *errstr = "has no kty string";
        return APR_EINVAL;
    }

    *type = NULL;
    for (i = 0; i < sizeof(key_types) / sizeof(key_types[0]); i++)
        if (strcmp(kty, key_types[i].kty) == 0)
            *type = &key_types[i];
    if (*type == NULL) {
        *errstr = strcmp(kty, "oct") == 0 ? "is a symmetric key (kty \"oct\")"
                                          : apr_psprintf(pool, "has unknown kty \"%s\"",
                                                         aa_net_printable(pool, kty));
        return APR_EINVAL;
    }

    /* Whatever the kty: a publisher that leaks one private part leaks them all. */
    for (i = 0; i < sizeof(private_members) / sizeof(private_members[0]); i++) {
        if (aa_json_get(key, private_members[i], &member) == APR_SUCCESS) {
            *errstr = apr_psprintf(pool, "carries private member \"%s\"", private_members[i]);
            return APR_EINVAL;
        }
    }
    if (aa_json_get_str(key, "kid", &ignored) == APR_EINVAL) {
        *errstr = "has a kid that is not a string";
        return APR_EINVAL;
    }

    for (i = 0; (*type)->required[i] != NULL; i++) {
        if (aa_json_get_str(key, (*type)->required[i], &ignored) != APR_SUCCESS) {
            *errstr = apr_psprintf(pool, "lacks %s member \"%s\"", kty, (*type)->required[i]);
            return APR_EINVAL;
        }
    }
    return APR_SUCCESS;
}

/* A well-formed Ed25519 key may still be declared for another use. */
static apr_status_t check_key_use(const aa_json_t *key, int *usable, const char **errstr)
{
    const char *use = "sig", *alg = "EdDSA";

    if (aa_json_get_str(key, "use", &use) == APR_EINVAL
        || aa_json_get_str(key, "alg", &alg) == APR_EINVAL) {
        *errstr = "has a use or alg that is not a string";
        return APR_EINVAL;
    }
    *usable = strcmp(use, "sig") == 0 && (strcmp(alg, "EdDSA") == 0 || strcmp(alg, "Ed25519") == 0);
    return APR_SUCCESS;
}

/* *jwk is left NULL for a valid key this protocol cannot use. */
static apr_status_t read_key(apr_pool_t *pool, const aa_json_t *key, aa_jwk_t **jwk,
                             const char **errstr)
{
    const key_type_t *type;
    const char *crv = "";
    int usable;
    apr_status_t rv;

    *jwk = NULL;
    if (!aa_json_is(key, AA_JSON_OBJECT)) {
        *errstr = "is not an object";
        return APR_EINVAL;
    }
    rv = check_key(pool, key, &type, errstr);
    if (rv != APR_SUCCESS)
        return rv;
    aa_json_get_str(key, "crv", &crv);
    if (strcmp(type->kty, "OKP") != 0 || strcmp(crv, "Ed25519") != 0)
        return APR_SUCCESS;

    rv = aa_jwk_parse(pool, key, jwk, errstr);
    if (rv != APR_SUCCESS)
        return APR_EINVAL;
    rv = check_key_use(key, &usable, errstr);
    if (rv != APR_SUCCESS)
        return rv;
    if (!usable)
        *jwk = NULL;
    return APR_SUCCESS;
}

static apr_status_t read_keys(apr_pool_t *pool, const aa_json_t *arr, apr_array_header_t *keys,
                              const char **errstr)
{
    apr_size_t i;

    for (i = 0; i < aa_json_len(arr); i++) {
        aa_jwk_t *jwk;
        const char *why;

        if (read_key(pool, aa_json_at(arr, i), &jwk, &why) != APR_SUCCESS) {
            *errstr = apr_psprintf(pool, "JWKS key %" APR_SIZE_T_FMT " %s", i, why);
            return APR_EINVAL;
        }
        if (jwk == NULL)
            continue;
        if (jwk->kid && aa_jwks_find(keys, jwk->kid)) {
            *errstr = apr_psprintf(pool, "JWKS has two Ed25519 keys with kid \"%s\"",
                                   aa_net_printable(pool, jwk->kid));
            return APR_EINVAL;
        }
        APR_ARRAY_PUSH(keys, aa_jwk_t *) = jwk;
    }
    return APR_SUCCESS;
}

apr_status_t aa_jwks_parse(apr_pool_t *pool, const char *text, apr_size_t len,
                           apr_array_header_t **keys, const char **errstr)
{
    aa_json_t *doc, *arr;
    apr_array_header_t *out;
    const char *why;
    apr_size_t n;
    apr_status_t rv;

    if (aa_json_parse(pool, text, len, 1, &doc, &why) != APR_SUCCESS) {
        *errstr = apr_psprintf(pool, "JWKS is not valid JSON: %s", why);
        return APR_EINVAL;
    }
    if (!aa_json_is(doc, AA_JSON_OBJECT) || aa_json_get_arr(doc, "keys", &arr) != APR_SUCCESS) {
        *errstr = "JWKS must be a JSON object with a \"keys\" array";
        return APR_EINVAL;
    }
    n = aa_json_len(arr);
    if (n == 0 || n > AA_JWKS_MAX_KEYS) {
        *errstr = apr_psprintf(pool, "JWKS has %" APR_SIZE_T_FMT " keys; 1 to %d are accepted",
                               n, AA_JWKS_MAX_KEYS);
        return APR_EINVAL;
    }

    out = apr_array_make(pool, (int)n, sizeof(aa_jwk_t *));
    rv = read_keys(pool, arr, out, errstr);
    if (rv != APR_SUCCESS)
        return rv;
    if (out->nelts == 0) {
        *errstr = "JWKS has no Ed25519 signing key";
        return APR_ENOTIMPL;
    }
    *keys = out;
    return APR_SUCCESS;
}

const aa_jwk_t *aa_jwks_find(const apr_array_header_t *keys, const char *kid)
{
    int i;

    if (keys == NULL || kid == NULL)
        return NULL;
    for (i = 0; i < keys->nelts; i++) {
        const aa_jwk_t *jwk = APR_ARRAY_IDX(keys, i, const aa_jwk_t *);

        if (jwk->kid && strcmp(jwk->kid, kid) == 0)
            return jwk;
    }
    return NULL;
}

/* ---- fetching ---------------------------------------------------------- */

apr_status_t aa_jwks_global_init(void)
{
    const curl_version_info_data *info;
    const char *const *proto;

    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return APR_EGENERAL;

    /* A libcurl built without TLS would fail every fetch; say so at startup. */
    info = curl_version_info(CURLVERSION_NOW);
    for (proto = info->protocols; proto && *proto; proto++)
        if (strcmp(*proto, "https") == 0)
            return APR_SUCCESS;
    return APR_EGENERAL;
}

void aa_jwks_global_cleanup(void)
{
    curl_global_cleanup();
}

typedef struct {
    apr_pool_t *pool;
    int allow_loopback;
    aa_buf_t body;
    char refused[INET6_ADDRSTRLEN]; /* the last address the filter refused */
    char curl_error[CURL_ERROR_SIZE];
    long status;
    const char *location;
} hop_t;

static void note_refused(hop_t *hop, const struct sockaddr *sa)
{
    const void *raw = NULL;

    if (sa->sa_family == AF_INET)
        raw = &((const struct sockaddr_in *)sa)->sin_addr;
    else if (sa->sa_family == AF_INET6)
        raw = &((const struct sockaddr_in6 *)sa)->sin6_addr;
    if (raw == NULL || inet_ntop(sa->sa_family, raw, hop->refused, sizeof(hop->refused)) == NULL)
        apr_cpystrn(hop->refused, "(non-IP)", sizeof(hop->refused));
}

/*
 * libcurl calls this with the resolved address it will connect() to; judging
 * that very address is what keeps DNS rebinding out.
 */
static curl_socket_t open_socket(void *data, curlsocktype purpose, struct curl_sockaddr *addr)
{
    hop_t *hop = data;
    int type = addr->socktype;

    if (purpose != CURLSOCKTYPE_IPCXN || aa_net_addr_refused(&addr->addr, hop->allow_loopback)) {
        note_refused(hop, &addr->addr);
        return CURL_SOCKET_BAD;
    }
#ifdef SOCK_CLOEXEC
    type |= SOCK_CLOEXEC; /* keep the socket out of CGI children */
#endif
    return socket(addr->family, type, addr->protocol);
}

static size_t collect_body(char *data, size_t size, size_t nmemb, void *userdata)
{
    hop_t *hop = userdata;
    apr_size_t n = size * nmemb;

    /* Any count but n makes libcurl abort the transfer. */
    return aa_buf_append(hop->pool, &hop->body, data, n, AA_JWKS_MAX_BYTES) == APR_SUCCESS
               ? n : 0;
}

static apr_status_t easy_release(void *curl)
{
    curl_easy_cleanup(curl);
    return APR_SUCCESS;
}

static apr_status_t slist_release(void *list)
{
    curl_slist_free_all(list);
    return APR_SUCCESS;
}

static int set_options(CURL *curl, hop_t *hop, const char *url, const aa_jwks_fetch_opts_t *opts,
                       long timeout_ms, struct curl_slist *headers)
{
    int bad = 0;

    bad |= curl_easy_setopt(curl, CURLOPT_URL, url) != CURLE_OK;
#if LIBCURL_VERSION_NUM >= 0x075500
    bad |= curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "https") != CURLE_OK;
#else
    bad |= curl_easy_setopt(curl, CURLOPT_PROTOCOLS, (long)CURLPROTO_HTTPS) != CURLE_OK;
#endif
    /* Redirects are followed by hand so each target passes check_url. */
    bad |= curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK;
    bad |= curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L) != CURLE_OK;
    /* A proxy would make the filter judge the proxy, not the target. */
    bad |= curl_easy_setopt(curl, CURLOPT_PROXY, "") != CURLE_OK;
    bad |= curl_easy_setopt(curl, CURLOPT_OPENSOCKETFUNCTION, open_socket) != CURLE_OK;
    bad |= curl_easy_setopt(curl, CURLOPT_OPENSOCKETDATA, hop) != CURLE_OK;
    bad |= curl_easy_setopt(curl, CURLOPT_FORBID_REUSE, 1L) != CURLE_OK;
    bad |= curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms) != CURLE_OK;
    bad |= curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms) != CURLE_OK;
    bad |= curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE,
                            (curl_off_t)AA_JWKS_MAX_BYTES) != CURLE_OK;
    bad |= curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect_body) != CURLE_OK;
    bad |= curl_easy_setopt(curl, CURLOPT_WRITEDATA, hop) != CURLE_OK;
    bad |= curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, hop->curl_error) != CURLE_OK;
    bad |= curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L) != CURLE_OK;
    bad |= curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L) != CURLE_OK;
    bad |= curl_easy_setopt(curl, CURLOPT_USERAGENT, "mod_agent_auth") != CURLE_OK;
    bad |= curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers) != CURLE_OK;
    if (opts->ca_file)
        bad |= curl_easy_setopt(curl, CURLOPT_CAINFO, opts->ca_file) != CURLE_OK;
    return bad;
}

static apr_status_t hop_error(apr_pool_t *pool, const hop_t *hop, CURLcode res, const char *url,
                              const char **errstr)
{
    const char *detail = hop->curl_error[0] ? hop->curl_error : curl_easy_strerror(res);

    url = aa_net_printable(pool, url);
    if (hop->body.overflow || res == CURLE_FILESIZE_EXCEEDED) {
        *errstr = apr_psprintf(pool, "%s: response larger than %d bytes", url, AA_JWKS_MAX_BYTES);
        return APR_ENOSPC;
    }
    if (res == CURLE_OPERATION_TIMEDOUT) {
        *errstr = apr_psprintf(pool, "%s: timed out (%s)", url, detail);
        return APR_TIMEUP;
    }
    if (hop->refused[0] && res == CURLE_COULDNT_CONNECT) {
        *errstr = apr_psprintf(pool, "%s: refused to connect to forbidden address %s", url,
                               hop->refused);
        return APR_EACCES;
    }
    *errstr = apr_psprintf(pool, "%s: %s", url, detail);
    return APR_EGENERAL;
}

/* One GET without following redirects; hop holds the status, body and Location. */
static apr_status_t fetch_hop(apr_pool_t *pool, const char *url, const aa_jwks_fetch_opts_t *opts,
                              apr_time_t deadline, hop_t *hop, const char **errstr)
{
    apr_interval_time_t left = deadline - apr_time_now();
    struct curl_slist *headers;
    char *location = NULL;
    CURL *curl;
    CURLcode res;

    if (left <= 0) {
        *errstr = apr_psprintf(pool, "%s: timed out before connecting", url);
        return APR_TIMEUP;
    }
    curl = curl_easy_init();
    headers = curl_slist_append(NULL, "Accept: application/jwk-set+json, application/json");
    if (curl == NULL || headers == NULL) {
        curl_easy_cleanup(curl);
        curl_slist_free_all(headers);
        *errstr = "cannot set up libcurl";
        return APR_ENOMEM;
    }
    apr_pool_cleanup_register(pool, curl, easy_release, apr_pool_cleanup_null);
    apr_pool_cleanup_register(pool, headers, slist_release, apr_pool_cleanup_null);

    if (set_options(curl, hop, url, opts, (long)apr_time_as_msec(left) + 1, headers)) {
        *errstr = "libcurl refused a required option";
        return APR_EGENERAL;
    }
    res = curl_easy_perform(curl);
    if (res != CURLE_OK)
        return hop_error(pool, hop, res, url, errstr);

    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &hop->status);
    if (curl_easy_getinfo(curl, CURLINFO_REDIRECT_URL, &location) == CURLE_OK && location)
        hop->location = apr_pstrdup(pool, location);
    return APR_SUCCESS;
}

static int is_redirect(long status)
{
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

/* Follows up to AA_JWKS_MAX_REDIRECTS redirects, checking every target. */
static apr_status_t fetch_following(apr_pool_t *pool, const char *url,
                                    const aa_jwks_fetch_opts_t *opts, hop_t *hop,
                                    const char **errstr)
{
    apr_time_t deadline = apr_time_now() + (opts->timeout > 0 ? opts->timeout : AA_JWKS_TIMEOUT);
    int redirects;
    aa_net_url_t target;
    apr_status_t rv;

    for (redirects = 0;; redirects++) {
        rv = aa_net_check_url(pool, url, opts->insecure_allow_loopback, &target, errstr);
        if (rv != APR_SUCCESS) {
            *errstr = apr_psprintf(pool, "%s %s: %s", redirects ? "redirect target" : "URL",
                                   aa_net_printable(pool, url), *errstr);
            return rv;
        }

        memset(hop, 0, sizeof(*hop));
        hop->pool = pool;
        hop->allow_loopback = opts->insecure_allow_loopback;
        rv = fetch_hop(pool, target.url, opts, deadline, hop, errstr);
        if (rv != APR_SUCCESS || !is_redirect(hop->status))
            return rv;

        if (hop->location == NULL) {
            *errstr = apr_psprintf(pool, "%s: redirect without a Location", target.url);
            return APR_EGENERAL;
        }
        if (redirects == AA_JWKS_MAX_REDIRECTS) {
            *errstr = apr_psprintf(pool, "%s: more than %d redirects", target.url,
                                   AA_JWKS_MAX_REDIRECTS);
            return APR_EGENERAL;
        }
        url = hop->location;
    }
}

apr_status_t aa_jwks_fetch(apr_pool_t *pool, const char *url, const aa_jwks_fetch_opts_t *opts,
                           const char **body, apr_size_t *len, const char **errstr)
{
    static const aa_jwks_fetch_opts_t defaults = { 0 };
    apr_pool_t *tmp;
    hop_t hop;
    apr_status_t rv;

    /* Redirect bodies and libcurl handles die with tmp. */
    rv = apr_pool_create(&tmp, pool);
    if (rv != APR_SUCCESS) {
        *errstr = "cannot create a pool";
        return rv;
    }

    rv = fetch_following(tmp, url, opts ? opts : &defaults, &hop, errstr);
    if (rv == APR_SUCCESS && hop.status != 200) {
        *errstr = apr_psprintf(tmp, "%s: HTTP status %ld", aa_net_printable(tmp, url), hop.status);
        rv = APR_EGENERAL;
    }

    if (rv == APR_SUCCESS) {
        *body = hop.body.data ? apr_pstrmemdup(pool, hop.body.data, hop.body.len) : "";
        *len = hop.body.len;
    } else {
        *errstr = apr_pstrdup(pool, *errstr);
    }
    apr_pool_destroy(tmp);
    return rv;
}

apr_status_t aa_jwks_load(apr_pool_t *pool, const char *url, const aa_jwks_fetch_opts_t *opts,
                          apr_array_header_t **keys, const char **errstr)
{
    const char *body;
    apr_size_t len;
    apr_status_t rv;

    rv = aa_jwks_fetch(pool, url, opts, &body, &len, errstr);
    if (rv != APR_SUCCESS)
        return rv;
    return aa_jwks_parse(pool, body, len, keys, errstr);
}
