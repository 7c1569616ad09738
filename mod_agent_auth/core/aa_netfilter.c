/* SPDX-License-Identifier: Apache-2.0 */
/* aa_netfilter: which addresses and URLs a server-side fetch may reach (§8.12). */
#include "aa_netfilter.h"

#include <apr_strings.h>

#include <curl/curl.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <string.h>
#include <strings.h>

/* curl_url() (7.62) lets the URL check use the parser the fetch uses. */
#if LIBCURL_VERSION_NUM < 0x073e00
#error "aa_netfilter needs libcurl 7.62 or later"
#endif

/*
 * s made safe to quote in an error the module will log: URLs and kty values
 * come from the client, so control bytes become '?' and the length is capped.
 */
const char *aa_net_printable(apr_pool_t *pool, const char *s)
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

int aa_net_addr_refused(const struct sockaddr *sa, int allow_loopback)
{
    return aa_addr_forbidden(sa) && !(allow_loopback && addr_is_loopback(sa));
}

/* ---- URL check --------------------------------------------------------- */


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

    if (literal && aa_net_addr_refused(literal, allow_loopback)) {
        *errstr = apr_psprintf(pool, "host %s is a forbidden address",
                               aa_net_printable(pool, host));
        return APR_EINVAL;
    }
    if (!literal && name_is_local(host) && !(allow_loopback && strcmp(host, "localhost") == 0)) {
        *errstr = apr_psprintf(pool, "host name %s is reserved for local use",
                               aa_net_printable(pool, host));
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
    if (strlen(url) > AA_NET_MAX_URL) {
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

apr_status_t aa_net_check_url(apr_pool_t *pool, const char *url, int allow_loopback,
                              aa_net_url_t *out,
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
    aa_net_url_t checked;
    apr_status_t rv;

    rv = aa_net_check_url(pool, url, 0, &checked, errstr);
    if (rv != APR_SUCCESS)
        return rv;
    if (host)
        *host = checked.host;
    if (port)
        *port = checked.port;
    return APR_SUCCESS;
}
