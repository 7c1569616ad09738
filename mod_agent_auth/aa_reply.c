/* SPDX-License-Identifier: Apache-2.0 */
/* aa_reply: request context, JSON responses, the spec's error body, bodies in. */
#include "aa_module.h"

#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"
#include "util_filter.h"

#include "apr_strings.h"

APLOG_USE_MODULE(agent_auth);

aa_req_t *aa_req(request_rec *r)
{
    aa_req_t *req = ap_get_module_config(r->request_config, &agent_auth_module);

    if (!req) {
        req = apr_pcalloc(r->pool, sizeof(*req));
        ap_set_module_config(r->request_config, &agent_auth_module, req);
    }
    return req;
}

int aa_reply_json(request_rec *r, int status, aa_json_t *body)
{
    const char *text = aa_json_dump(r->pool, body);

    r->status = status;
    ap_set_content_type(r, "application/json");
    if (!apr_table_get(r->headers_out, "Cache-Control"))
        apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    ap_set_content_length(r, strlen(text));
    if (!r->header_only)
        ap_rwrite(text, (int)strlen(text), r);
    /* DONE: the response is complete; httpd must not add an error page. */
    return DONE;
}

int aa_reply_error_with(request_rec *r, aa_err_e err, const char *message,
                        const char *member, aa_json_t *value)
{
    const aa_srv_conf_t *conf = aa_srv_conf(r->server);
    aa_json_t *body = aa_json_object(r->pool);
    int status = aa_err_status(err);

    aa_json_set_str(r->pool, body, "error", aa_err_name(err));
    aa_json_set_str(r->pool, body, "message", message ? message : aa_err_message(err));
    if (member)
        aa_json_set(body, member, value);

    /* §5.14: point agents that failed authentication at discovery. */
    if (status == HTTP_UNAUTHORIZED && conf->issuer)
        apr_table_setn(r->err_headers_out, "WWW-Authenticate",
                       apr_psprintf(r->pool, "AgentAuth discovery=\"%s\"",
                                    aa_discovery_url(r->pool, conf)));
    if (status == HTTP_REQUEST_ENTITY_TOO_LARGE)
        r->connection->keepalive = AP_CONN_CLOSE;
    return aa_reply_json(r, status, body);
}

int aa_reply_error(request_rec *r, aa_err_e err, const char *message)
{
    return aa_reply_error_with(r, err, message, NULL, NULL);
}

/*
 * Read the whole body, refusing more than limit bytes. Memory grows with
 * what arrives, not with the limit, so small requests stay small.
 */
static int read_body(request_rec *r, apr_off_t limit, char **out, apr_size_t *outlen)
{
    apr_bucket_brigade *bb = apr_brigade_create(r->pool, r->connection->bucket_alloc);
    apr_bucket_brigade *all = apr_brigade_create(r->pool, r->connection->bucket_alloc);
    apr_off_t total = 0;
    apr_bucket *b;
    int seen_eos = 0;

    do {
        apr_status_t rv = ap_get_brigade(r->input_filters, bb, AP_MODE_READBYTES,
                                         APR_BLOCK_READ, HUGE_STRING_LEN);

        if (rv != APR_SUCCESS) {
            ap_log_rerror(APLOG_MARK, APLOG_DEBUG, rv, r, AALOGNO(00008)
                          "reading the request body failed");
            return ap_map_http_request_error(rv, HTTP_BAD_REQUEST);
        }
        /* Filters may reuse their buffers: keep the data in the request pool. */
        for (b = APR_BRIGADE_FIRST(bb); b != APR_BRIGADE_SENTINEL(bb); b = APR_BUCKET_NEXT(b)) {
            seen_eos |= APR_BUCKET_IS_EOS(b);
            if (apr_bucket_setaside(b, r->pool) != APR_SUCCESS)
                return HTTP_BAD_REQUEST;
        }
        APR_BRIGADE_CONCAT(all, bb);
        if (apr_brigade_length(all, 1, &total) != APR_SUCCESS)
            return HTTP_BAD_REQUEST;
        if (total > limit)
            return HTTP_REQUEST_ENTITY_TOO_LARGE;
    } while (!seen_eos);

    if (apr_brigade_pflatten(all, out, outlen, r->pool) != APR_SUCCESS)
        return HTTP_BAD_REQUEST;
    /* NUL-terminated for the parser's convenience. */
    *out = apr_pstrmemdup(r->pool, *out, *outlen);
    apr_brigade_destroy(all);
    return OK;
}

int aa_read_json_body(request_rec *r, aa_json_t **body)
{
    const aa_srv_conf_t *conf = aa_srv_conf(r->server);
    const char *clen = apr_table_get(r->headers_in, "Content-Length");
    const char *errstr = NULL;
    char *text = NULL;
    apr_size_t len = 0;
    int status;

    /* Refuse an announced oversize body before reading any of it. */
    if (clen && apr_atoi64(clen) > conf->max_body)
        return aa_reply_error(r, AA_ERR_PAYLOAD_TOO_LARGE, NULL);
    status = read_body(r, conf->max_body, &text, &len);
    /* An input filter already answered (a limit of httpd's own). */
    if (status == AP_FILTER_ERROR)
        return status;
    if (status == HTTP_REQUEST_ENTITY_TOO_LARGE)
        return aa_reply_error(r, AA_ERR_PAYLOAD_TOO_LARGE, NULL);
    if (status != OK)
        return aa_reply_error(r, AA_ERR_INVALID_REQUEST, "The request body could not be read");
    if (len == 0)
        return aa_reply_error(r, AA_ERR_INVALID_REQUEST, "A JSON request body is required");
    if (aa_json_parse(r->pool, text, len, 1, body, &errstr) != APR_SUCCESS)
        return aa_reply_error(r, AA_ERR_INVALID_REQUEST,
                              apr_psprintf(r->pool, "The body is not valid JSON: %s", errstr));
    if (!aa_json_is(*body, AA_JSON_OBJECT))
        return aa_reply_error(r, AA_ERR_INVALID_REQUEST, "The body must be a JSON object");
    return OK;
}

int aa_optional_string(request_rec *r, const aa_json_t *body, const char *key, apr_size_t max,
                       const char **out)
{
    apr_status_t rv = aa_json_get_str(body, key, out);

    if (rv == APR_NOTFOUND) {
        *out = NULL;
        return OK;
    }
    if (rv != APR_SUCCESS || strlen(*out) > max)
        return aa_reply_error(r, AA_ERR_INVALID_REQUEST,
                              apr_psprintf(r->pool, "%s must be a string of at most %d bytes",
                                           key, (int)max));
    return OK;
}
