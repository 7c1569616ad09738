/* SPDX-License-Identifier: Apache-2.0 */
/* aa_jwks: address filter, JWKS URL check, libcurl fetch and JWK Set parsing. */
#include "aa_jwks.h"

#include <apr_strings.h>
#include <apr_time.h>

#include <curl/curl.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <string.h>
#include <strings.h>

/* curl_url() (7.62) lets the URL check use the parser the fetch uses. */
#if LIBCURL_VERSION_NUM < 0x073e00
#error "aa_jwks needs libcurl 7.62 or later"
#endif

/*
 * s made safe to quote in an error the module will log: URLs and kty values
 * come from the client, so control bytes become '?' and the length is capped.
 */
static const char *printable(apr_pool_t *pool, const char *s)
{
    apr_size_t i, n;
    char *out;

    if (s == NULL)
        return "(none)";
    n = strnlen(s, 200);
    out = apr_pstrmemdup(pool, s, n);
    for (i = 0; i < n; i++)
        if ((unsigned char)out[i] < 0x20 || (unsigned char)out[i] >= 0x7f)
            out[i] = '?';
    return s[n] ? apr_pstrcat(pool, out, "...", NULL) : out;
}

/* ---- address filter ---------------------------------------------------- */

typedef struct {
    apr_uint32_t net;
    unsigned bits;
} v4_range_t;

static const v4_range_t forbidden_v4[] = {
    { 0x00000000, 8 },  /* 0.0.0.0/8: "this network"; 0.0.0.0 reaches localhost */
    { 0x0a000000, 8 },  /* 10.0.0.0/8 private */
    { 0x64400000, 10 }, /* 100.64.0.0/10 shared address space (CGNAT) */
    { 0x7f000000, 8 },  /* 127.0.0.0/8 loopback */
    { 0xa9fe0000, 16 }, /* 169.254.0.0/16 link-local, cloud metadata */
    { 0xac100000, 12 }, /* 172.16.0.0/12 private */
    { 0xc0000000, 24 }, /* 192.0.0.0/24 IETF protocol assignments */
    { 0xc0000200, 24 }, /* 192.0.2.0/24 documentation */
    { 0xc0586300, 24 }, /* 192.88.99.0/24 deprecated 6to4 relays */
    { 0xc0a80000, 16 }, /* 192.168.0.0/16 private */
    { 0xc6120000, 15 }, /* 198.18.0.0/15 benchmarking */
    { 0xc6336400, 24 }, /* 198.51.100.0/24 documentation */
    { 0xcb007100, 24 }, /* 203.0.113.0/24 documentation */
    { 0xe0000000, 4 },  /* 224.0.0.0/4 multicast */
    { 0xf0000000, 4 },  /* 240.0.0.0/4 reserved, and the broadcast address */
};

typedef struct {
    unsigned char prefix[4];
    unsigned bits;
} v6_range_t;

/* Inside 2000::/3; everything outside it is refused wholesale. */
static const v6_range_t forbidden_v6[] = {
    { { 0x20, 0x01, 0x00, 0x00 }, 23 }, /* protocol assignments: Teredo, ORCHID, ... */
    { { 0x20, 0x01, 0x0d, 0xb8 }, 32 }, /* documentation */
    { { 0x3f, 0xff, 0x00, 0x00 }, 20 }, /* documentation (RFC 9637) */
};

static int prefix_match(const unsigned char *addr, const unsigned char *prefix, unsigned bits)
{
    unsigned whole = bits / 8, rest = bits % 8;
    unsigned char mask = (unsigned char)(0xff << (8 - rest));

    if (memcmp(addr, prefix, whole) != 0)
        return 0;
    return rest == 0 || (addr[whole] & mask) == (prefix[whole] & mask);
}

static int v4_forbidden(apr_uint32_t addr)
{
    apr_size_t i;

    for (i = 0; i < sizeof(forbidden_v4) / sizeof(forbidden_v4[0]); i++) {
        apr_uint32_t mask = 0xffffffffu << (32 - forbidden_v4[i].bits);

        if ((addr & mask) == forbidden_v4[i].net)
            return 1;
    }
    return 0;
}

static apr_uint32_t v4_at(const unsigned char *b)
{
    return (apr_uint32_t)b[0] << 24 | (apr_uint32_t)b[1] << 16 | (apr_uint32_t)b[2] << 8 | b[3];
}

static int v6_forbidden(const unsigned char *b)
{
    static const unsigned char zero[12], mapped[12] = { [10] = 0xff, [11] = 0xff };
    static const unsigned char nat64[12] = { 0x00, 0x64, 0xff, 0x9b };
    static const unsigned char six_to_four[2] = { 0x20, 0x02 };
    apr_size_t i;

    /* Forms that carry an IPv4 address are judged by that address. */
    if (memcmp(b, mapped, 12) == 0 || memcmp(b, nat64, 12) == 0)
        return v4_forbidden(v4_at(b + 12));
    if (memcmp(b, six_to_four, 2) == 0)
        return v4_forbidden(v4_at(b + 2));

    /* ::/96 holds ::, ::1 and the deprecated IPv4-compatible form. */
    if (memcmp(b, zero, 12) == 0 || (b[0] & 0xe0) != 0x20)
        return 1;
    for (i = 0; i < sizeof(forbidden_v6) / sizeof(forbidden_v6[0]); i++)
        if (prefix_match(b, forbidden_v6[i].prefix, forbidden_v6[i].bits))
            return 1;
    return 0;
}

int aa_addr_forbidden(const struct sockaddr *sa)
{
    if (sa == NULL)
        return 1;
    if (sa->sa_family == AF_INET)
        return v4_forbidden(ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr));
    if (sa->sa_family == AF_INET6)
        return v6_forbidden(((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr);
    return 1;
}

int aa_apr_addr_forbidden(const apr_sockaddr_t *sa)
{
    if (sa == NULL)
        return 1;
    return aa_addr_forbidden((const struct sockaddr *)&sa->sa);
}

static int addr_is_loopback(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET)
        return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
    if (sa->sa_family == AF_INET6)
        return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)sa)->sin6_addr);
    return 0;
}

static int addr_refused(const struct sockaddr *sa, int allow_loopback)
{
    return aa_addr_forbidden(sa) && !(allow_loopback && addr_is_loopback(sa));
}

/* ---- URL check --------------------------------------------------------- */

typedef struct {
    const char *url; /* as libcurl re-serialises it: what the fetch requests */
    const char *host;
    apr_port_t port;
} url_t;

/* Names that only ever mean this machine or its private network. */
static const char *const local_suffixes[] = {
    "localhost", "local", "localdomain", "internal", "home.arpa",
};

static int name_is_local(const char *name)
{
    apr_size_t i, len = strlen(name);

    for (i = 0; i < sizeof(local_suffixes) / sizeof(local_suffixes[0]); i++) {
        apr_size_t slen = strlen(local_suffixes[i]);

        if (len < slen || strcmp(name + len - slen, local_suffixes[i]) != 0)
            continue;
        if (len == slen || name[len - slen - 1] == '.')
            return 1;
    }
    return 0;
}

/* host: lower case, brackets removed, one trailing dot removed. */
static apr_status_t check_host(apr_pool_t *pool, const char *host, int allow_loopback,
                               const char **errstr)
{
    struct sockaddr_in sin = { .sin_family = AF_INET };
    struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6 };
    const struct sockaddr *literal = NULL;

    /* inet_aton accepts the same decimal, octal and hex spellings as the resolver. */
    if (inet_pton(AF_INET6, host, &sin6.sin6_addr) == 1)
        literal = (const struct sockaddr *)&sin6;
    else if (inet_aton(host, &sin.sin_addr) != 0)
        literal = (const struct sockaddr *)&sin;

    if (literal && addr_refused(literal, allow_loopback)) {
        *errstr = apr_psprintf(pool, "host %s is a forbidden address", printable(pool, host));
        return APR_EINVAL;
    }
    if (!literal && name_is_local(host) && !(allow_loopback && strcmp(host, "localhost") == 0)) {
        *errstr = apr_psprintf(pool, "host name %s is reserved for local use",
                               printable(pool, host));
        return APR_EINVAL;
    }
    return APR_SUCCESS;
}

static apr_status_t check_url_text(const char *url, const char **errstr)
{
    const char *p;

    if (url == NULL || *url == '\0') {
        *errstr = "URL is empty";
        return APR_EINVAL;
    }
    if (strlen(url) > AA_JWKS_MAX_URL) {
        *errstr = "URL is longer than 2048 characters";
        return APR_EINVAL;
    }
    for (p = url; *p; p++) {
        if ((unsigned char)*p <= 0x20 || *p == 0x7f || *p == '\\') {
            *errstr = "URL contains a space, control character or backslash";
            return APR_EINVAL;
        }
    }
    /* libcurl reads "https:///x" as host x; refuse what a reader would not. */
    if (strncasecmp(url, "https://", 8) != 0 || url[8] == '/') {
        *errstr = "URL must start with https:// and a host";
        return APR_EINVAL;
    }
    return APR_SUCCESS;
}

/* A part of u copied into pool, or NULL when absent. */
static const char *url_part(apr_pool_t *pool, CURLU *u, CURLUPart what, unsigned flags)
{
    char *part = NULL;
    const char *copy = NULL;

    if (curl_url_get(u, what, &part, flags) == CURLUE_OK && part != NULL)
        copy = apr_pstrdup(pool, part);
    curl_free(part);
    return copy;
}

typedef struct {
    const char *scheme, *url, *host, *port, *userinfo, *zone;
} url_parts_t;

static apr_status_t split_url(apr_pool_t *pool, const char *url, url_parts_t *parts)
{
    CURLU *u = curl_url();

    if (u == NULL)
        return APR_ENOMEM;
    if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK) {
        curl_url_cleanup(u);
        return APR_EINVAL;
    }

    parts->scheme = url_part(pool, u, CURLUPART_SCHEME, 0);
    parts->url = url_part(pool, u, CURLUPART_URL, 0);
    parts->host = url_part(pool, u, CURLUPART_HOST, 0);
    parts->port = url_part(pool, u, CURLUPART_PORT, CURLU_DEFAULT_PORT);
    parts->zone = url_part(pool, u, CURLUPART_ZONEID, 0);
    parts->userinfo = url_part(pool, u, CURLUPART_USER, 0);
    if (parts->userinfo == NULL)
        parts->userinfo = url_part(pool, u, CURLUPART_PASSWORD, 0);
    if (parts->userinfo == NULL)
        parts->userinfo = url_part(pool, u, CURLUPART_OPTIONS, 0);
    curl_url_cleanup(u);
    return APR_SUCCESS;
}

static char *normalize_host(apr_pool_t *pool, const char *raw)
{
    char *host = apr_pstrdup(pool, raw), *p;
    apr_size_t len = strlen(host);

    if (len >= 2 && host[0] == '[' && host[len - 1] == ']') {
        host[len - 1] = '\0';
        host++;
        len -= 2;
    }
    if (len > 1 && host[len - 1] == '.')
        host[len - 1] = '\0';
    for (p = host; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return host;
}

static apr_status_t check_url(apr_pool_t *pool, const char *url, int allow_loopback, url_t *out,
                              const char **errstr)
{
    url_parts_t parts = { 0 };
    apr_int64_t port;
    apr_status_t rv;

    rv = check_url_text(url, errstr);
    if (rv != APR_SUCCESS)
        return rv;
    rv = split_url(pool, url, &parts);
    if (rv != APR_SUCCESS || parts.url == NULL || parts.scheme == NULL) {
        *errstr = "URL does not parse";
        return APR_EINVAL;
    }

    if (strcmp(parts.scheme, "https") != 0) {
        *errstr = "URL must use https";
        return APR_EINVAL;
    }
    if (parts.userinfo != NULL) {
        *errstr = "URL must not carry a user name or password";
        return APR_EINVAL;
    }
    if (parts.zone != NULL) {
        *errstr = "URL must not carry an IPv6 zone id";
        return APR_EINVAL;
    }
    port = parts.port ? apr_atoi64(parts.port) : 0;
    if (parts.host == NULL || *parts.host == '\0' || port < 1 || port > 65535) {
        *errstr = "URL needs a host and a port from 1 to 65535";
        return APR_EINVAL;
    }

    out->url = parts.url;
    out->host = normalize_host(pool, parts.host);
    out->port = (apr_port_t)port;
    return check_host(pool, out->host, allow_loopback, errstr);
}

apr_status_t aa_url_check(apr_pool_t *pool, const char *url, const char **host,
                          apr_port_t *port, const char **errstr)
{
    url_t checked;
    apr_status_t rv;

    rv = check_url(pool, url, 0, &checked, errstr);
    if (rv != APR_SUCCESS)
        return rv;
    if (host)
        *host = checked.host;
    if (port)
        *port = checked.port;
    return APR_SUCCESS;
}

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
                                                         printable(pool, kty));
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
                                   printable(pool, jwk->kid));
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
    char *data;
    apr_size_t len, cap;
    int too_large;
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

    if (purpose != CURLSOCKTYPE_IPCXN || addr_refused(&addr->addr, hop->allow_loopback)) {
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

    if (n > AA_JWKS_MAX_BYTES - hop->len) {
        hop->too_large = 1;
        return 0; /* any count but n makes libcurl abort the transfer */
    }
    if (hop->len + n + 1 > hop->cap) {
        apr_size_t cap = hop->cap ? hop->cap : 16384;
        char *grown;

        while (cap < hop->len + n + 1)
            cap *= 2;
        grown = apr_palloc(hop->pool, cap);
        if (hop->len)
            memcpy(grown, hop->data, hop->len);
        hop->data = grown;
        hop->cap = cap;
    }
    memcpy(hop->data + hop->len, data, n);
    hop->len += n;
    hop->data[hop->len] = '\0';
    return n;
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

    url = printable(pool, url);
    if (hop->too_large || res == CURLE_FILESIZE_EXCEEDED) {
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
    url_t target;
    apr_status_t rv;

    for (redirects = 0;; redirects++) {
        rv = check_url(pool, url, opts->insecure_allow_loopback, &target, errstr);
        if (rv != APR_SUCCESS) {
            *errstr = apr_psprintf(pool, "%s %s: %s", redirects ? "redirect target" : "URL",
                                   printable(pool, url), *errstr);
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
        *errstr = apr_psprintf(tmp, "%s: HTTP status %ld", printable(tmp, url), hop.status);
        rv = APR_EGENERAL;
    }

    if (rv == APR_SUCCESS) {
        *body = hop.data ? apr_pstrmemdup(pool, hop.data, hop.len) : "";
        *len = hop.len;
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
