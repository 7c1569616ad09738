/* SPDX-License-Identifier: Apache-2.0 */
/* test_jwks: address filter, URL check, JWK Set rules, and fetches that stay on 127.0.0.1. */
#include "check_main.h"

#include <apr_strings.h>
#include <apr_time.h>

#include "aa_jwks.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static apr_pool_t *pool;

static void pool_setup(void)
{
    apr_pool_create(&pool, NULL);
}

static void pool_teardown(void)
{
    apr_pool_destroy(pool);
}

/* ---- address filter ---------------------------------------------------- */

typedef struct {
    const char *addr;
    int forbidden;
} addr_case_t;

static const addr_case_t addr_cases[] = {
    { "127.0.0.1", 1 },
    { "127.255.255.254", 1 },
    { "0.0.0.0", 1 },
    { "0.1.2.3", 1 },
    { "10.1.2.3", 1 },
    { "172.16.0.1", 1 },
    { "172.31.255.255", 1 },
    { "192.168.1.1", 1 },
    { "169.254.169.254", 1 },
    { "100.64.0.1", 1 },
    { "100.127.255.255", 1 },
    { "224.0.0.1", 1 },
    { "239.255.255.250", 1 },
    { "240.0.0.1", 1 },
    { "255.255.255.255", 1 },
    { "192.0.2.1", 1 },
    { "198.18.0.1", 1 },
    { "::1", 1 },
    { "::", 1 },
    { "fe80::1", 1 },
    { "fec0::1", 1 },
    { "fc00::1", 1 },
    { "fd12::1", 1 },
    { "ff02::1", 1 },
    { "100::1", 1 },
    { "2001:db8::1", 1 },
    { "::ffff:127.0.0.1", 1 },
    { "::ffff:10.0.0.1", 1 },
    { "::ffff:169.254.169.254", 1 },
    { "::127.0.0.1", 1 },
    { "::8.8.8.8", 1 },
    { "64:ff9b::7f00:1", 1 },
    { "64:ff9b::a9fe:a9fe", 1 },
    { "64:ff9b:1::808:808", 1 },
    { "2002:7f00:1::", 1 },
    { "2002:c0a8:101::1", 1 },
    { "2001:0::1", 1 },
    { "2001:0:4136:e378:8000:63bf:3fff:fdd2", 1 },
    { "8.8.8.8", 0 },
    { "1.1.1.1", 0 },
    { "172.32.0.1", 0 },
    { "172.15.255.255", 0 },
    { "100.63.255.255", 0 },
    { "100.128.0.1", 0 },
    { "169.253.255.255", 0 },
    { "192.169.0.1", 0 },
    { "223.255.255.255", 0 },
    { "2606:4700::1111", 0 },
    { "2001:4860:4860::8888", 0 },
    { "2001:200::1", 0 },
    { "2a00:1450:4001::1", 0 },
    { "::ffff:8.8.8.8", 0 },
    { "64:ff9b::808:808", 0 },
    { "2002:808:808::1", 0 },
};

/* Builds the sockaddr from text with inet_pton: no resolver, no network. */
static int forbidden_by_text(const char *text)
{
    struct sockaddr_in sin = { .sin_family = AF_INET };
    struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6 };

    if (inet_pton(AF_INET, text, &sin.sin_addr) == 1)
        return aa_addr_forbidden((struct sockaddr *)&sin);
    ck_assert_msg(inet_pton(AF_INET6, text, &sin6.sin6_addr) == 1, "bad test address %s", text);
    return aa_addr_forbidden((struct sockaddr *)&sin6);
}

START_TEST(test_addr_filter_judges_each_range)
{
    const addr_case_t *c = &addr_cases[_i];

    ck_assert_msg(forbidden_by_text(c->addr) == c->forbidden, "%s: expected %s", c->addr,
                  c->forbidden ? "forbidden" : "allowed");
}
END_TEST

START_TEST(test_apr_addr_filter_agrees_with_sockaddr_filter)
{
    const addr_case_t *c = &addr_cases[_i];
    apr_sockaddr_t *sa;
    apr_status_t rv;

    /* A numeric host never reaches DNS. */
    rv = apr_sockaddr_info_get(&sa, c->addr, APR_UNSPEC, 443, 0, pool);
    ck_assert_int_eq(rv, APR_SUCCESS);
    ck_assert_msg(aa_apr_addr_forbidden(sa) == c->forbidden, "%s", c->addr);
}
END_TEST

START_TEST(test_addr_filter_refuses_other_families_and_null)
{
    struct sockaddr_un sun = { .sun_family = AF_UNIX };

    ck_assert_int_eq(aa_addr_forbidden((struct sockaddr *)&sun), 1);
    ck_assert_int_eq(aa_addr_forbidden(NULL), 1);
    ck_assert_int_eq(aa_apr_addr_forbidden(NULL), 1);
}
END_TEST

/* ---- URL check --------------------------------------------------------- */

typedef struct {
    const char *url;
    const char *host; /* expected host, or NULL when refused */
    apr_port_t port;
} url_case_t;

static const url_case_t url_cases[] = {
    { "https://example.com/jwks.json", "example.com", 443 },
    { "https://EXAMPLE.com:8443/.well-known/jwks.json", "example.com", 8443 },
    { "HTTPS://example.com./keys", "example.com", 443 },
    { "https://example.com/jwks?v=1#top", "example.com", 443 },
    { "https://[2606:4700::1111]/jwks", "2606:4700::1111", 443 },
    { "https://8.8.8.8/jwks", "8.8.8.8", 443 },
    { "https://localhost.example.com/", "localhost.example.com", 443 },
    { "https://internal.example.com/", "internal.example.com", 443 },
    { "http://example.com/jwks.json", NULL, 0 },
    { "ftp://example.com/jwks.json", NULL, 0 },
    { "example.com/jwks.json", NULL, 0 },
    { "https:/example.com/jwks.json", NULL, 0 },
    { "https:///etc/passwd", NULL, 0 },
    { "", NULL, 0 },
    { "https://user@example.com/", NULL, 0 },
    { "https://user:pw@example.com/", NULL, 0 },
    { "https://:pw@example.com/", NULL, 0 },
    { "https://example.com\\@evil.example/", NULL, 0 },
    { "https://exa mple.com/", NULL, 0 },
    { "https://example.com/\x01", NULL, 0 },
    { "https://example.com:0/", NULL, 0 },
    { "https://example.com:99999/", NULL, 0 },
    { "https://127.0.0.1/", NULL, 0 },
    { "https://127.0.0.1:1/jwks.json", NULL, 0 },
    { "https://10.0.0.1:8443/", NULL, 0 },
    { "https://169.254.169.254/latest/meta-data/", NULL, 0 },
    { "https://[::1]/", NULL, 0 },
    { "https://[::ffff:127.0.0.1]/", NULL, 0 },
    { "https://[64:ff9b::7f00:1]/", NULL, 0 },
    { "https://[fe80::1%25eth0]/", NULL, 0 },
    /* Other spellings of 127.0.0.1; libcurl and the resolver both accept them. */
    { "https://2130706433/", NULL, 0 },
    { "https://0177.0.0.1/", NULL, 0 },
    { "https://0x7f000001/", NULL, 0 },
    { "https://0x7f.1/", NULL, 0 },
    { "https://127.1/", NULL, 0 },
    { "https://127.0.0.1./", NULL, 0 },
    { "https://localhost/", NULL, 0 },
    { "https://LOCALHOST./", NULL, 0 },
    { "https://api.localhost/", NULL, 0 },
    { "https://printer.local/", NULL, 0 },
    { "https://metadata.google.internal/", NULL, 0 },
    { "https://host.localdomain/", NULL, 0 },
    { "https://router.home.arpa/", NULL, 0 },
};

START_TEST(test_url_check_accepts_and_refuses)
{
    const url_case_t *c = &url_cases[_i];
    const char *host = NULL, *errstr = NULL;
    apr_port_t port = 0;
    apr_status_t rv;

    rv = aa_url_check(pool, c->url, &host, &port, &errstr);
    if (c->host == NULL) {
        ck_assert_msg(rv == APR_EINVAL, "%s was accepted", c->url);
        ck_assert_ptr_nonnull(errstr);
        return;
    }
    ck_assert_msg(rv == APR_SUCCESS, "%s: %s", c->url, errstr);
    ck_assert_str_eq(host, c->host);
    ck_assert_int_eq(port, c->port);
}
END_TEST

START_TEST(test_url_check_limits_length_to_2048)
{
    const char *prefix = "https://example.com/", *errstr = NULL;
    char url[AA_JWKS_MAX_URL + 2];
    apr_size_t plen = strlen(prefix);

    memcpy(url, prefix, plen);
    memset(url + plen, 'a', AA_JWKS_MAX_URL - plen);
    url[AA_JWKS_MAX_URL] = '\0';
    ck_assert_int_eq(aa_url_check(pool, url, NULL, NULL, &errstr), APR_SUCCESS);

    url[AA_JWKS_MAX_URL] = 'a';
    url[AA_JWKS_MAX_URL + 1] = '\0';
    ck_assert_int_eq(aa_url_check(pool, url, NULL, NULL, &errstr), APR_EINVAL);
    ck_assert_ptr_nonnull(strstr(errstr, "2048"));
    ck_assert_int_eq(aa_url_check(pool, NULL, NULL, NULL, &errstr), APR_EINVAL);
}
END_TEST

/* ---- JWK Set parsing --------------------------------------------------- */

#define X1 "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo" /* RFC 8032 test 1 */
#define X2 "PUAXw-hDiVqStwqnTRt-vJyYLM8uxJaMwM1V8Sr0Zgw" /* RFC 8032 test 2 */
#define X3 "_FHNjmIYoaONpH7QAjDwWAgW7RO6MwOsXeuRFUiQgCU" /* RFC 8032 test 3 */
#define ED(x) "\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"" x "\""
#define RSA "\"kty\":\"RSA\",\"n\":\"0vx7agoebGcQSuu\",\"e\":\"AQAB\""
#define EC "\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"f83OJ3D2\",\"y\":\"x_FEzRu9\""
#define SET(keys) "{\"keys\":[" keys "]}"

typedef struct {
    const char *name;
    const char *json;
    apr_status_t rv;
    int nkeys;
    const char *error; /* a substring of the error, or NULL */
} set_case_t;

static const set_case_t set_cases[] = {
    { "one key", SET("{" ED(X1) ",\"kid\":\"a\"}"), APR_SUCCESS, 1, NULL },
    { "three keys, one without kid",
      SET("{" ED(X1) ",\"kid\":\"a\"},{" ED(X2) ",\"kid\":\"b\"},{" ED(X3) "}"), APR_SUCCESS, 3,
      NULL },
    { "use sig and alg EdDSA",
      SET("{" ED(X1) ",\"kid\":\"a\",\"use\":\"sig\",\"alg\":\"EdDSA\"}"), APR_SUCCESS, 1, NULL },
    { "RSA key skipped beside Ed25519", SET("{" RSA ",\"kid\":\"r\"},{" ED(X1) ",\"kid\":\"a\"}"),
      APR_SUCCESS, 1, NULL },
    { "EC and X25519 skipped",
      SET("{" EC "},{\"kty\":\"OKP\",\"crv\":\"X25519\",\"x\":\"" X2 "\"},{" ED(X1) "}"),
      APR_SUCCESS, 1, NULL },
    { "same kid on RSA and Ed25519", SET("{" RSA ",\"kid\":\"a\"},{" ED(X1) ",\"kid\":\"a\"}"),
      APR_SUCCESS, 1, NULL },
    { "encryption-use key skipped", SET("{" ED(X1) ",\"use\":\"enc\"},{" ED(X2) "}"),
      APR_SUCCESS, 1, NULL },
    { "only RSA", SET("{" RSA "}"), APR_ENOTIMPL, 0, "no Ed25519" },
    { "only a key for another alg", SET("{" ED(X1) ",\"alg\":\"ES256\"}"), APR_ENOTIMPL, 0,
      "no Ed25519" },
    { "empty set", SET(""), APR_EINVAL, 0, "0 keys" },
    { "array document", "[{" ED(X1) "}]", APR_EINVAL, 0, "JSON object" },
    { "string document", "\"keys\"", APR_EINVAL, 0, "JSON object" },
    { "null document", "null", APR_EINVAL, 0, "JWKS" },
    { "keys is an object", "{\"keys\":{" ED(X1) "}}", APR_EINVAL, 0, "\"keys\" array" },
    { "keys is a string", "{\"keys\":\"x\"}", APR_EINVAL, 0, "\"keys\" array" },
    { "no keys member", "{\"jwks\":[]}", APR_EINVAL, 0, "\"keys\" array" },
    { "keys twice", "{\"keys\":[{" ED(X1) "}],\"keys\":[]}", APR_EINVAL, 0, "not valid JSON" },
    { "not JSON", "{\"keys\":[", APR_EINVAL, 0, "not valid JSON" },
    { "trailing garbage", SET("{" ED(X1) "}") "x", APR_EINVAL, 0, "not valid JSON" },
    { "key is a number", SET("1"), APR_EINVAL, 0, "key 0 is not an object" },
    { "symmetric key", SET("{" ED(X1) "},{\"kty\":\"oct\",\"k\":\"c2VjcmV0\"}"), APR_EINVAL, 0,
      "oct" },
    { "symmetric key without k", SET("{\"kty\":\"oct\"},{" ED(X1) "}"), APR_EINVAL, 0, "oct" },
    { "Ed25519 private key", SET("{" ED(X1) ",\"d\":\"" X2 "\"}"), APR_EINVAL, 0, "\"d\"" },
    { "RSA private key beside Ed25519",
      SET("{" ED(X1) "},{" RSA ",\"d\":\"AA\",\"p\":\"AA\",\"q\":\"AA\"}"), APR_EINVAL, 0,
      "private" },
    { "RSA with only qi", SET("{" ED(X1) "},{" RSA ",\"qi\":\"AA\"}"), APR_EINVAL, 0, "\"qi\"" },
    { "k on an OKP key", SET("{" ED(X1) ",\"k\":\"AA\"}"), APR_EINVAL, 0, "\"k\"" },
    { "no kty", SET("{" ED(X1) "},{\"crv\":\"Ed25519\",\"x\":\"" X2 "\"}"), APR_EINVAL, 0,
      "key 1 has no kty" },
    { "unknown kty", SET("{" ED(X1) "},{\"kty\":\"XYZ\"}"), APR_EINVAL, 0, "unknown kty" },
    { "control bytes in kty", SET("{\"kty\":\"A\\u0001\\n\"}"), APR_EINVAL, 0, "kty \"A??\"" },
    { "RSA without n", SET("{" ED(X1) "},{\"kty\":\"RSA\",\"e\":\"AQAB\"}"), APR_EINVAL, 0,
      "\"n\"" },
    { "EC without y", SET("{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"AA\"},{" ED(X1) "}"),
      APR_EINVAL, 0, "\"y\"" },
    { "Ed25519 without x", SET("{\"kty\":\"OKP\",\"crv\":\"Ed25519\"}"), APR_EINVAL, 0, "\"x\"" },
    { "Ed25519 x too short", SET("{" ED("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcH") "}"),
      APR_EINVAL, 0, "32 bytes" },
    { "Ed25519 x with stray bits", SET("{" ED("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURp") "}"),
      APR_EINVAL, 0, "key 0 public key x" },
    { "kid not a string", SET("{" ED(X1) ",\"kid\":7}"), APR_EINVAL, 0, "kid" },
    { "use not a string", SET("{" ED(X1) ",\"use\":1}"), APR_EINVAL, 0, "use or alg" },
    { "duplicate Ed25519 kid", SET("{" ED(X1) ",\"kid\":\"a\"},{" ED(X2) ",\"kid\":\"a\"}"),
      APR_EINVAL, 0, "two Ed25519 keys" },
};

START_TEST(test_jwks_parse_applies_content_rules)
{
    const set_case_t *c = &set_cases[_i];
    apr_array_header_t *keys = NULL;
    const char *errstr = NULL;
    apr_status_t rv;

    rv = aa_jwks_parse(pool, c->json, strlen(c->json), &keys, &errstr);
    ck_assert_msg(rv == c->rv, "%s: status %d, expected %d (%s)", c->name, rv, c->rv,
                  errstr ? errstr : "no error");
    if (rv == APR_SUCCESS) {
        ck_assert_int_eq(keys->nelts, c->nkeys);
        return;
    }
    ck_assert_ptr_nonnull(errstr);
    if (c->error)
        ck_assert_msg(strstr(errstr, c->error) != NULL, "%s: \"%s\" lacks \"%s\"", c->name,
                      errstr, c->error);
}
END_TEST

START_TEST(test_jwks_find_matches_kid_only)
{
    const char *json = SET("{" ED(X1) ",\"kid\":\"a\"},{" ED(X2) ",\"kid\":\"b\"},{" ED(X3) "}");
    apr_array_header_t *keys;
    const aa_jwk_t *jwk;
    const char *errstr;

    ck_assert_int_eq(aa_jwks_parse(pool, json, strlen(json), &keys, &errstr), APR_SUCCESS);
    jwk = aa_jwks_find(keys, "b");
    ck_assert_ptr_nonnull(jwk);
    ck_assert_str_eq(jwk->x, X2);
    ck_assert_ptr_nonnull(jwk->thumbprint);
    ck_assert_ptr_null(aa_jwks_find(keys, "c"));
    ck_assert_ptr_null(aa_jwks_find(keys, ""));
    ck_assert_ptr_null(aa_jwks_find(keys, NULL));
    ck_assert_ptr_null(aa_jwks_find(NULL, "a"));
}
END_TEST

static const char *numbered_set(int n)
{
    char *json = apr_pstrdup(pool, "{\"keys\":[");
    int i;

    for (i = 0; i < n; i++)
        json = apr_psprintf(pool, "%s%s{" ED(X1) ",\"kid\":\"k%d\"}", json, i ? "," : "", i);
    return apr_pstrcat(pool, json, "]}", NULL);
}

START_TEST(test_jwks_parse_takes_20_keys_and_refuses_21)
{
    const char *json, *errstr = NULL;
    apr_array_header_t *keys;

    json = numbered_set(AA_JWKS_MAX_KEYS);
    ck_assert_int_eq(aa_jwks_parse(pool, json, strlen(json), &keys, &errstr), APR_SUCCESS);
    ck_assert_int_eq(keys->nelts, AA_JWKS_MAX_KEYS);
    ck_assert_ptr_nonnull(aa_jwks_find(keys, "k19"));

    json = numbered_set(AA_JWKS_MAX_KEYS + 1);
    ck_assert_int_eq(aa_jwks_parse(pool, json, strlen(json), &keys, &errstr), APR_EINVAL);
    ck_assert_ptr_nonnull(strstr(errstr, "21 keys"));
}
END_TEST

/* ---- fetches that never leave the machine ------------------------------ */

static apr_interval_time_t elapsed_since(apr_time_t start)
{
    return apr_time_now() - start;
}

START_TEST(test_fetch_refuses_loopback_literal_at_once)
{
    const char *body = NULL, *errstr = NULL;
    apr_size_t len = 0;
    apr_time_t start = apr_time_now();
    apr_status_t rv;

    rv = aa_jwks_fetch(pool, "https://127.0.0.1:1/jwks.json", NULL, &body, &len, &errstr);
    ck_assert_int_eq(rv, APR_EINVAL);
    ck_assert_msg(strstr(errstr, "forbidden address") != NULL, "%s", errstr);
    ck_assert_int_lt(elapsed_since(start), apr_time_from_sec(2));

    rv = aa_jwks_fetch(pool, "https://0x7f000001:1/jwks.json", NULL, &body, &len, &errstr);
    ck_assert_int_eq(rv, APR_EINVAL);
    rv = aa_jwks_fetch(pool, "http://127.0.0.1:1/jwks.json", NULL, &body, &len, &errstr);
    ck_assert_int_eq(rv, APR_EINVAL);
}
END_TEST

/* A TCP listener on 127.0.0.1 that never accepts; *port gets its port. */
static int listen_loopback(apr_port_t *port)
{
    struct sockaddr_in sin = { .sin_family = AF_INET };
    socklen_t slen = sizeof(sin);
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    ck_assert_int_ge(fd, 0);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
    ck_assert_int_eq(listen(fd, 8), 0);
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &slen), 0);
    *port = ntohs(sin.sin_port);
    return fd;
}

static int connection_pending(int fd)
{
    struct pollfd p = { .fd = fd, .events = POLLIN };

    return poll(&p, 1, 0) == 1;
}

/* A name from /etc/hosts that maps to loopback yet passes aa_url_check, or NULL. */
static const char *loopback_alias(void)
{
    FILE *hosts = fopen("/etc/hosts", "r");
    char line[512], *save, *addr, *name;
    const char *found = NULL;

    while (hosts && !found && fgets(line, sizeof(line), hosts)) {
        addr = strtok_r(line, " \t\r\n", &save);
        if (addr == NULL || strncmp(addr, "127.", 4) != 0)
            continue;
        while (!found && (name = strtok_r(NULL, " \t\r\n", &save)) != NULL && *name != '#') {
            const char *url = apr_psprintf(pool, "https://%s/", name), *errstr;

            if (aa_url_check(pool, url, NULL, NULL, &errstr) == APR_SUCCESS)
                found = apr_pstrdup(pool, name);
        }
    }
    if (hosts)
        fclose(hosts);
    return found;
}

START_TEST(test_fetch_refuses_forbidden_address_at_connect_time)
{
    const char *alias = loopback_alias(), *url, *body, *errstr = NULL;
    apr_size_t len;
    apr_port_t port;
    apr_status_t rv;
    int fd;

    if (alias == NULL) {
        fprintf(stderr, "test_jwks: no /etc/hosts alias of 127.0.0.1 passes aa_url_check; "
                        "connect-time refusal not exercised\n");
        return;
    }
    fd = listen_loopback(&port);

    /* The name passes the URL check; only the resolved address betrays it. */
    url = apr_psprintf(pool, "https://%s:%u/jwks.json", alias, port);
    rv = aa_jwks_fetch(pool, url, NULL, &body, &len, &errstr);
    ck_assert_msg(rv == APR_EACCES, "%s: %d %s", url, rv, errstr);
    ck_assert_msg(strstr(errstr, "forbidden address 127.0.0.1") != NULL, "%s", errstr);
    ck_assert_msg(!connection_pending(fd), "a connection reached the listener");
    close(fd);
}
END_TEST

START_TEST(test_fetch_with_loopback_allowed_does_connect)
{
    aa_jwks_fetch_opts_t opts = { .timeout = apr_time_from_msec(300),
                                  .insecure_allow_loopback = 1 };
    const char *body, *errstr = NULL;
    apr_size_t len;
    apr_port_t port;
    apr_status_t rv;
    int fd = listen_loopback(&port);

    /* The listener never answers the TLS hello, so the fetch must time out. */
    rv = aa_jwks_fetch(pool, apr_psprintf(pool, "https://127.0.0.1:%u/", port), &opts, &body,
                       &len, &errstr);
    ck_assert_msg(rv == APR_TIMEUP, "%d %s", rv, errstr);
    ck_assert_msg(connection_pending(fd), "the allowed connection never arrived");
    close(fd);
}
END_TEST

/* ---- a local HTTPS server (python3 + openssl), for the fetch path ------ */

static const char server_py[] =
    "import http.server, socketserver, ssl, sys, time\n"
    "JWKS = sys.argv[3].encode()\n"
    "class H(http.server.BaseHTTPRequestHandler):\n"
    "    def log_message(self, *a): pass\n"
    "    def reply(self, code, body=b'', hdrs=()):\n"
    "        self.send_response(code)\n"
    "        for k, v in hdrs: self.send_header(k, v)\n"
    "        self.end_headers()\n"
    "        try: self.wfile.write(body)\n"
    "        except OSError: pass\n"
    "    def go(self, loc): self.reply(302, b'', [('Location', loc)])\n"
    "    def do_GET(self):\n"
    "        p, port = self.path, self.server.server_address[1]\n"
    "        if p == '/jwks.json':\n"
    "            self.reply(200, JWKS, [('Content-Type', 'application/json'),\n"
    "                                   ('Content-Length', str(len(JWKS)))])\n"
    "        elif p.startswith('/chain/'):\n"
    "            n = int(p[7:])\n"
    "            self.go('/jwks.json' if n <= 1 else '/chain/%d' % (n - 1))\n"
    "        elif p == '/to-http': self.go('http://127.0.0.1:%d/jwks.json' % port)\n"
    "        elif p == '/to-zero': self.go('https://0.0.0.0:%d/jwks.json' % port)\n"
    "        elif p == '/to-user': self.go('https://u@127.0.0.1:%d/jwks.json' % port)\n"
    "        elif p == '/big':\n"
    "            self.reply(200, b' ' * 2097152, [('Content-Length', '2097152')])\n"
    "        elif p == '/stream':\n"
    "            self.reply(200, b' ' * 2097152)\n"
    "        elif p == '/slow':\n"
    "            time.sleep(3); self.reply(200, JWKS)\n"
    "        else: self.reply(404, b'no')\n"
    "class S(socketserver.ThreadingMixIn, http.server.HTTPServer):\n"
    "    daemon_threads = True\n"
    "srv = S(('127.0.0.1', 0), H)\n"
    "ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)\n"
    "ctx.load_cert_chain(sys.argv[1], sys.argv[2])\n"
    "srv.socket = ctx.wrap_socket(srv.socket, server_side=True)\n"
    "sys.stdout.write('%d\\n' % srv.server_address[1]); sys.stdout.flush()\n"
    "srv.serve_forever()\n";

static const char server_jwks[] = SET("{" ED(X1) ",\"kid\":\"host-1\"}");

static char server_dir[] = "/tmp/aa-jwks-XXXXXX";
static char server_cert[64], server_key[64];
static pid_t server_pid = -1;
static unsigned server_port;

static int run_quietly(char *const argv[])
{
    int status;
    pid_t pid = fork();

    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);

        dup2(null, 1);
        dup2(null, 2);
        execvp(argv[0], argv);
        _exit(127);
    }
    return pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status)
           && WEXITSTATUS(status) == 0;
}

static int make_certificate(void)
{
    char *const argv[] = {
        "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
        "-nodes", "-keyout", server_key, "-out", server_cert, "-days", "2", "-subj", "/CN=localhost",
        "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
        "-addext", "basicConstraints=critical,CA:FALSE",
        "-addext", "extendedKeyUsage=serverAuth", NULL
    };

    return run_quietly(argv);
}

/* The read end stays open until teardown so the server never meets a closed pipe. */
static int server_out = -1;

/* Reads the port line the server prints; 0 when none came within 10 s. */
static unsigned read_port(int fd)
{
    char line[16] = "";
    apr_size_t got = 0;
    struct pollfd p = { .fd = fd, .events = POLLIN };
    apr_time_t deadline = apr_time_now() + apr_time_from_sec(10);

    while (got < sizeof(line) - 1 && !strchr(line, '\n')) {
        ssize_t n;

        if (poll(&p, 1, (int)apr_time_as_msec(deadline - apr_time_now())) != 1)
            return 0;
        n = read(fd, line + got, sizeof(line) - 1 - got);
        if (n <= 0)
            return 0;
        got += (apr_size_t)n;
    }
    return (unsigned)atoi(line);
}

/* Starts the server; 0 when it did not come up. */
static int start_server(void)
{
    int out[2];

    if (pipe(out) != 0)
        return 0;
    server_pid = fork();
    if (server_pid == 0) {
        dup2(out[1], 1);
        close(out[0]);
        execlp("python3", "python3", "-c", server_py, server_cert, server_key, server_jwks,
               (char *)NULL);
        _exit(127);
    }
    close(out[1]);

    server_out = out[0];
    server_port = read_port(server_out);
    return server_port != 0;
}

static void server_setup(void)
{
    aa_jwks_global_init();
    if (mkdtemp(server_dir) == NULL)
        return;
    snprintf(server_cert, sizeof(server_cert), "%s/cert.pem", server_dir);
    snprintf(server_key, sizeof(server_key), "%s/key.pem", server_dir);
    if (!make_certificate() || !start_server())
        fprintf(stderr, "test_jwks: no openssl or python3; local HTTPS fetches not exercised\n");
}

static void server_teardown(void)
{
    if (server_pid > 0) {
        kill(server_pid, SIGTERM);
        waitpid(server_pid, NULL, 0);
    }
    if (server_out >= 0)
        close(server_out);
    unlink(server_cert);
    unlink(server_key);
    rmdir(server_dir);
}

typedef struct {
    const char *path;
    apr_status_t rv;
    const char *error; /* a substring of the error, or NULL */
} fetch_case_t;

static const fetch_case_t fetch_cases[] = {
    { "/jwks.json", APR_SUCCESS, NULL },
    { "/chain/1", APR_SUCCESS, NULL },
    { "/chain/3", APR_SUCCESS, NULL },
    { "/chain/4", APR_EGENERAL, "more than 3 redirects" },
    { "/to-http", APR_EINVAL, "redirect target http://" },
    { "/to-zero", APR_EINVAL, "forbidden address" },
    { "/to-user", APR_EINVAL, "user name" },
    { "/missing", APR_EGENERAL, "HTTP status 404" },
    { "/big", APR_ENOSPC, "larger than" },
    { "/stream", APR_ENOSPC, "larger than" },
};

START_TEST(test_fetch_from_local_server)
{
    const fetch_case_t *c = &fetch_cases[_i];
    aa_jwks_fetch_opts_t opts = { .ca_file = server_cert, .insecure_allow_loopback = 1 };
    const char *url, *body = NULL, *errstr = NULL;
    apr_size_t len = 0;
    apr_status_t rv;

    if (server_port == 0)
        return;
    url = apr_psprintf(pool, "https://127.0.0.1:%u%s", server_port, c->path);
    rv = aa_jwks_fetch(pool, url, &opts, &body, &len, &errstr);
    ck_assert_msg(rv == c->rv, "%s: status %d, expected %d (%s)", c->path, rv, c->rv,
                  errstr ? errstr : "no error");
    if (rv == APR_SUCCESS) {
        ck_assert_uint_eq(len, strlen(server_jwks));
        ck_assert_str_eq(body, server_jwks);
        return;
    }
    ck_assert_msg(strstr(errstr, c->error) != NULL, "%s: \"%s\" lacks \"%s\"", c->path, errstr,
                  c->error);
}
END_TEST

START_TEST(test_load_returns_parsed_keys)
{
    aa_jwks_fetch_opts_t opts = { .ca_file = server_cert, .insecure_allow_loopback = 1 };
    apr_array_header_t *keys;
    const char *errstr = NULL;

    if (server_port == 0)
        return;
    ck_assert_msg(aa_jwks_load(pool, apr_psprintf(pool, "https://localhost:%u/jwks.json",
                                                  server_port), &opts, &keys, &errstr)
                      == APR_SUCCESS, "%s", errstr);
    ck_assert_ptr_nonnull(aa_jwks_find(keys, "host-1"));
}
END_TEST

START_TEST(test_fetch_verifies_the_certificate)
{
    aa_jwks_fetch_opts_t opts = { .insecure_allow_loopback = 1 };
    const char *body, *errstr = NULL;
    apr_size_t len;

    if (server_port == 0)
        return;
    ck_assert_int_eq(aa_jwks_fetch(pool, apr_psprintf(pool, "https://127.0.0.1:%u/jwks.json",
                                                      server_port), &opts, &body, &len, &errstr),
                     APR_EGENERAL);
    ck_assert_ptr_nonnull(errstr);
}
END_TEST

START_TEST(test_fetch_times_out)
{
    aa_jwks_fetch_opts_t opts = { .ca_file = server_cert, .insecure_allow_loopback = 1,
                                  .timeout = apr_time_from_msec(300) };
    const char *body, *errstr = NULL;
    apr_time_t start = apr_time_now();
    apr_size_t len;

    if (server_port == 0)
        return;
    ck_assert_int_eq(aa_jwks_fetch(pool, apr_psprintf(pool, "https://127.0.0.1:%u/slow",
                                                      server_port), &opts, &body, &len, &errstr),
                     APR_TIMEUP);
    ck_assert_int_lt(elapsed_since(start), apr_time_from_sec(2));
}
END_TEST

START_TEST(test_fetch_without_test_flag_refuses_local_server)
{
    aa_jwks_fetch_opts_t opts = { .ca_file = server_cert };
    const char *body, *errstr = NULL;
    apr_size_t len;

    if (server_port == 0)
        return;
    ck_assert_int_eq(aa_jwks_fetch(pool, apr_psprintf(pool, "https://127.0.0.1:%u/jwks.json",
                                                      server_port), &opts, &body, &len, &errstr),
                     APR_EINVAL);
    ck_assert_ptr_nonnull(strstr(errstr, "forbidden address"));
}
END_TEST

#define N(table) ((int)(sizeof(table) / sizeof(table[0])))

static Suite *make_suite(void)
{
    Suite *s = suite_create("jwks");
    TCase *filter = tcase_create("filter"), *parse = tcase_create("parse");
    TCase *offline = tcase_create("offline"), *server = tcase_create("server");

    tcase_add_checked_fixture(filter, pool_setup, pool_teardown);
    tcase_add_loop_test(filter, test_addr_filter_judges_each_range, 0, N(addr_cases));
    tcase_add_loop_test(filter, test_apr_addr_filter_agrees_with_sockaddr_filter, 0,
                        N(addr_cases));
    tcase_add_test(filter, test_addr_filter_refuses_other_families_and_null);
    tcase_add_loop_test(filter, test_url_check_accepts_and_refuses, 0, N(url_cases));
    tcase_add_test(filter, test_url_check_limits_length_to_2048);
    suite_add_tcase(s, filter);

    tcase_add_checked_fixture(parse, pool_setup, pool_teardown);
    tcase_add_loop_test(parse, test_jwks_parse_applies_content_rules, 0, N(set_cases));
    tcase_add_test(parse, test_jwks_find_matches_kid_only);
    tcase_add_test(parse, test_jwks_parse_takes_20_keys_and_refuses_21);
    suite_add_tcase(s, parse);

    tcase_add_checked_fixture(offline, pool_setup, pool_teardown);
    tcase_add_test(offline, test_fetch_refuses_loopback_literal_at_once);
    tcase_add_test(offline, test_fetch_refuses_forbidden_address_at_connect_time);
    tcase_add_test(offline, test_fetch_with_loopback_allowed_does_connect);
    suite_add_tcase(s, offline);

    tcase_add_unchecked_fixture(server, server_setup, server_teardown);
    tcase_add_checked_fixture(server, pool_setup, pool_teardown);
    tcase_add_loop_test(server, test_fetch_from_local_server, 0, N(fetch_cases));
    tcase_add_test(server, test_load_returns_parsed_keys);
    tcase_add_test(server, test_fetch_verifies_the_certificate);
    tcase_add_test(server, test_fetch_times_out);
    tcase_add_test(server, test_fetch_without_test_flag_refuses_local_server);
    suite_add_tcase(s, server);
    return s;
}

AA_CHECK_MAIN(make_suite)
