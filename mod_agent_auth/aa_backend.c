/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Calls to an operator's HTTP service (a capability backend or the CIBA
 * notification handler given as an http:// or https:// URL), made by the
 * module itself with libcurl.
 *
 * Why not a subrequest to a ProxyPass location: mod_proxy never forwards a
 * subrequest's body, so the arguments would not arrive. The URL comes from
 * the operator's configuration, so unlike JWKS URLs it is not filtered for
 * private addresses; redirects are not followed and only HTTP(S) is spoken.
 */
#include "aa_module.h"

#include "http_log.h"

#include "apr_strings.h"

#include <curl/curl.h>

APLOG_USE_MODULE(agent_auth);

#define AA_BACKEND_CONNECT_TIMEOUT 5L

typedef struct {
    aa_buf_t *out;
    apr_pool_t *pool;
    apr_size_t limit;
} reply_ctx_t;

/* Collects the reply in out; past limit, notes the overflow and stops. */
static size_t collect(char *data, size_t size, size_t nmemb, void *userdata)
{
    reply_ctx_t *ctx = userdata;
    apr_size_t n = size * nmemb;

    /* Any count but n makes libcurl abort the transfer. */
    return aa_buf_append(ctx->pool, ctx->out, data, n, ctx->limit) == APR_SUCCESS ? n : 0;
}

int aa_backend_is_url(const char *backend)
{
    return strncasecmp(backend, "http://", 7) == 0 || strncasecmp(backend, "https://", 8) == 0;
}

int aa_backend_http_post(request_rec *r, const char *url, const char *body,
                         apr_table_t *headers, apr_size_t limit, aa_buf_t *out,
                         int *http_status)
{
    const aa_srv_conf_t *conf = aa_srv_conf(r->server);
    const apr_array_header_t *arr = apr_table_elts(headers);
    const apr_table_entry_t *e = (const apr_table_entry_t *)arr->elts;
    reply_ctx_t ctx = { out, r->pool, limit };
    struct curl_slist *list = NULL;
    char errbuf[CURL_ERROR_SIZE] = "";
    long code = 0;
    CURLcode rc;
    CURL *curl;
    int i;

    *http_status = 0;
    curl = curl_easy_init();
    if (!curl)
        return HTTP_BAD_GATEWAY;
    list = curl_slist_append(list, "Content-Type: application/json");
    list = curl_slist_append(list, "Accept: application/json");
    /* No "Expect: 100-continue" round trip for a small body. */
    list = curl_slist_append(list, "Expect:");
    for (i = 0; i < arr->nelts; i++)
        if (e[i].key)
            list = curl_slist_append(list, apr_pstrcat(r->pool, e[i].key, ": ", e[i].val,
                                                       NULL));

    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, AA_BACKEND_CONNECT_TIMEOUT);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, (long)conf->backend_timeout);
    curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "mod_agent_auth");
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &ctx);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);

    rc = curl_easy_perform(curl);
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
    curl_slist_free_all(list);
    curl_easy_cleanup(curl);

    if (rc != CURLE_OK && !out->overflow) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, AALOGNO(00053)
                      "HTTP backend %s failed: %s", url, *errbuf ? errbuf
                                                              : curl_easy_strerror(rc));
        return HTTP_BAD_GATEWAY;
    }
    *http_status = (int)code;
    return OK;
}
