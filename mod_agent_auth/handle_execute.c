/* SPDX-License-Identifier: Apache-2.0 */
/*
 * POST /capability/execute (§5.11): check the grant, then run the
 * capability's backend URI inside httpd as a POST subrequest whose body is
 * the arguments and whose headers and environment carry the agent's
 * identity. The backend's JSON reply comes back as {"data": ...}.
 */
#include "aa_module.h"

#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"
#include "util_filter.h"

#include "apr_strings.h"

#include "core/aa_constraints.h"
#include "core/aa_schema.h"
#include "core/aa_time.h"

APLOG_USE_MODULE(agent_auth);

#define AA_BODY_FILTER "AGENT_AUTH_BODY"
#define AA_CAPTURE_FILTER "AGENT_AUTH_CAPTURE"
/* A backend reply larger than this is refused, not buffered. */
#define AA_MAX_BACKEND_REPLY (8 * 1024 * 1024)

typedef struct {
    const char *data;
    apr_size_t len;
    apr_size_t offset; /* how much a reader consumed already */
} aa_body_ctx_t;

/*
 * Feeds the subrequest the arguments instead of the client's body: at most
 * readbytes per read, as readers such as ap_get_client_block() expect, and
 * EOS once all of it was consumed.
 */
static apr_status_t body_filter(ap_filter_t *f, apr_bucket_brigade *bb, ap_input_mode_t mode,
                                apr_read_type_e block, apr_off_t readbytes)
{
    aa_body_ctx_t *ctx = f->ctx;
    apr_size_t left = ctx->len - ctx->offset, n;

    (void)block;
    if (mode != AP_MODE_READBYTES && mode != AP_MODE_SPECULATIVE)
        return APR_ENOTIMPL;
    if (left == 0) {
        APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_eos_create(f->c->bucket_alloc));
        return APR_SUCCESS;
    }
    n = readbytes > 0 && (apr_size_t)readbytes < left ? (apr_size_t)readbytes : left;
    /* The data lives in the main request's pool, which outlives us. */
    APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_immortal_create(ctx->data + ctx->offset, n,
                                                           f->c->bucket_alloc));
    if (mode == AP_MODE_READBYTES)
        ctx->offset += n;
    if (n == left)
        APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_eos_create(f->c->bucket_alloc));
    return APR_SUCCESS;
}

/* Collects the backend's reply instead of sending it to the client. */
static apr_status_t capture_filter(ap_filter_t *f, apr_bucket_brigade *bb)
{
    aa_buf_t *ctx = f->ctx;
    apr_pool_t *pool = f->r->main ? f->r->main->pool : f->r->pool;
    apr_bucket *b;

    for (b = APR_BRIGADE_FIRST(bb); b != APR_BRIGADE_SENTINEL(bb); b = APR_BUCKET_NEXT(b)) {
        const char *data;
        apr_size_t n;

        if (APR_BUCKET_IS_METADATA(b))
            continue;
        if (apr_bucket_read(b, &data, &n, APR_BLOCK_READ) != APR_SUCCESS)
            return APR_EGENERAL;
        /* Past the limit the rest is dropped; overflow tells the caller. */
        aa_buf_append(pool, ctx, data, n, AA_MAX_BACKEND_REPLY);
    }
    apr_brigade_cleanup(bb);
    return APR_SUCCESS;
}

void aa_execute_register_filters(void)
{
    ap_register_input_filter(AA_BODY_FILTER, body_filter, NULL, AP_FTYPE_RESOURCE);
    ap_register_output_filter(AA_CAPTURE_FILTER, capture_filter, NULL, AP_FTYPE_RESOURCE);
}

/* Headers the client named hop-by-hop in Connection end at this hop. */
static void unset_connection_listed(apr_table_t *headers, apr_pool_t *pool)
{
    const char *list = apr_table_get(headers, "Connection");
    char *copy, *tok, *state = NULL;

    if (!list)
        return;
    copy = apr_pstrdup(pool, list);
    for (tok = apr_strtok(copy, ", \t", &state); tok; tok = apr_strtok(NULL, ", \t", &state))
        apr_table_unset(headers, tok);
}

int aa_subreq_post(request_rec *r, const char *uri, const char *body, apr_table_t *headers,
                   apr_table_t *env, aa_buf_t *out, int *sub_status)
{
    aa_body_ctx_t *ctx = apr_pcalloc(r->pool, sizeof(*ctx));
    request_rec *rr;
    int rc;

    rr = ap_sub_req_method_uri("POST", uri, r, r->output_filters);
    if (rr->status != HTTP_OK) {
        *sub_status = rr->status;
        ap_destroy_sub_req(rr);
        return HTTP_BAD_GATEWAY;
    }
    ctx->data = body;
    ctx->len = strlen(body);

    rr->headers_in = headers ? headers : apr_table_make(rr->pool, 4);
    apr_table_unset(rr->headers_in, "Authorization");
    /* The body is ours, and no header may name ours as hop-by-hop: a
     * proxying backend would drop the identity headers it lists. */
    apr_table_unset(rr->headers_in, "Transfer-Encoding");
    unset_connection_listed(rr->headers_in, rr->pool);
    apr_table_unset(rr->headers_in, "Connection");
    apr_table_unset(rr->headers_in, "Keep-Alive");
    apr_table_unset(rr->headers_in, "Proxy-Connection");
    apr_table_unset(rr->headers_in, "TE");
    apr_table_unset(rr->headers_in, "Trailer");
    apr_table_unset(rr->headers_in, "Upgrade");
    apr_table_unset(rr->headers_in, "Expect");
    apr_table_setn(rr->headers_in, "Content-Type", "application/json");
    apr_table_setn(rr->headers_in, "Content-Length",
                   apr_psprintf(rr->pool, "%" APR_SIZE_T_FMT, ctx->len));
    if (env)
        apr_table_overlap(rr->subprocess_env, env, APR_OVERLAP_TABLES_SET);
    ap_add_input_filter(AA_BODY_FILTER, ctx, rr, rr->connection);
    ap_add_output_filter(AA_CAPTURE_FILTER, out, rr, rr->connection);

    /* A handler that returns an error leaves rr->status at 200: the
     * subrequest runs no ap_die(), so the return code is the status. */
    rc = ap_run_sub_req(rr);
    *sub_status = rr->status;
    if (rc != OK && rc != DONE && ap_is_HTTP_ERROR(rc))
        *sub_status = rc;
    ap_destroy_sub_req(rr);
    return OK;
}

/*
 * The backend sees the arguments as a JSON POST and the identity, never the
 * JWT. A local URI runs as a subrequest with the client's other headers; a
 * URL gets only the identity headers.
 */
static int run_backend(request_rec *r, const aa_cap_t *cap, const aa_agent_t *agent,
                       const char *args, aa_buf_t *out, int *backend_status)
{
    apr_table_t *env = apr_table_make(r->pool, 8);
    apr_table_t *headers;

    if (aa_backend_is_url(cap->backend)) {
        headers = apr_table_make(r->pool, 8);
        aa_identity_set(r, headers, env, agent, cap->name);
        return aa_backend_http_post(r, cap->backend, args, headers, AA_MAX_BACKEND_REPLY, out,
                                    backend_status);
    }
    headers = apr_table_copy(r->pool, r->headers_in);
    aa_identity_set(r, headers, env, agent, cap->name);
    return aa_subreq_post(r, cap->backend, args, headers, env, out, backend_status);
}

int aa_jwt_allows(const aa_jwt_t *jwt, const char *capability)
{
    aa_json_t *list;
    apr_size_t i, n;

    if (aa_json_get(jwt->claims, "capabilities", &list) != APR_SUCCESS)
        return 1;
    if (!aa_json_is(list, AA_JSON_ARRAY))
        return 0;
    n = aa_json_len(list);
    for (i = 0; i < n; i++) {
        const char *name = aa_json_str(aa_json_at(list, i));

        if (name && strcmp(name, capability) == 0)
            return 1;
    }
    return 0;
}

/*
 * Find a usable grant: active, unexpired, with constraints the arguments
 * satisfy. When grants exist but none is satisfied, the first constrained
 * one explains why (violations or unknown operators).
 */
static int check_grants(request_rec *r, const aa_agent_t *agent, const aa_cap_t *cap,
                        const aa_json_t *args)
{
    const char *capability = cap->name;
    aa_json_t *imposed = aa_parse_stored(r, cap->constraints);
    apr_array_header_t *grants;
    const char *errstr = NULL;
    aa_json_t *violations = NULL, *unknown = NULL;
    aa_db_t *db = aa_dbd_acquire(r);
    apr_int64_t now = aa_now();
    apr_status_t first = APR_SUCCESS;
    int i, usable = 0;

    if (!db || aa_store_grant_active_for(r->pool, db, agent->id, capability, &grants, &errstr)
                   != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, AALOGNO(00021)
                      "grant lookup for agent %s failed: %s", agent->id,
                      errstr ? errstr : "no database connection");
        return aa_reply_error(r, AA_ERR_TEMPORARILY_UNAVAILABLE, NULL);
    }
    for (i = 0; i < grants->nelts; i++) {
        const aa_grant_t *g = APR_ARRAY_IDX(grants, i, const aa_grant_t *);
        aa_json_t *v = NULL, *u = NULL;
        apr_status_t rv;

        if (g->expires_at && g->expires_at <= now)
            continue;
        usable = 1;
        /* What the file imposes holds for every grant, however it was made. */
        rv = aa_constraints_evaluate(r->pool,
                                     aa_constraints_intersect(r->pool,
                                                              aa_parse_stored(r, g->constraints),
                                                              imposed),
                                     args, &v, &u);
        if (rv == APR_SUCCESS)
            return OK;
        if (first == APR_SUCCESS) {
            first = rv;
            violations = v;
            unknown = u;
        }
    }
    if (!usable)
        return aa_reply_error(r, AA_ERR_CAPABILITY_NOT_GRANTED,
                              apr_psprintf(r->pool, "Agent has no active grant for \"%s\"",
                                           capability));
    if (first == APR_ENOTIMPL)
        return aa_reply_error_with(r, AA_ERR_UNKNOWN_CONSTRAINT_OPERATOR, NULL,
                                   "unknown_operators", unknown);
    if (!violations) {
        /* Stored constraints are checked on the way in; fail closed anyway. */
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, AALOGNO(00039)
                      "agent %s: the constraints of its %s grant are malformed", agent->id,
                      capability);
        return aa_reply_error(r, AA_ERR_CONSTRAINT_VIOLATED,
                              "The grant's constraints cannot be evaluated");
    }
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, AALOGNO(00038)
                  "agent %s: arguments violate the constraints of %s", agent->id, capability);
    return aa_reply_error_with(r, AA_ERR_CONSTRAINT_VIOLATED, NULL, "violations", violations);
}

static int check_input(request_rec *r, const aa_cap_t *cap, const aa_json_t *args)
{
    const char *errstr = NULL;
    aa_json_t *schema = aa_parse_stored(r, cap->input);

    if (!schema || aa_schema_validate(r->pool, schema, args, &errstr) == APR_SUCCESS)
        return OK;
    return aa_reply_error(r, AA_ERR_INVALID_REQUEST,
                          apr_psprintf(r->pool, "arguments do not match the input schema of "
                                       "%s: %s", cap->name, errstr));
}

static int reply_backend(request_rec *r, const aa_cap_t *cap, aa_buf_t *out,
                         int backend_status)
{
    const char *errstr = NULL;
    aa_json_t *data = NULL, *doc;

    if (out->overflow) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, AALOGNO(00022)
                      "backend %s of %s replied with more than %d bytes", cap->backend,
                      cap->name, AA_MAX_BACKEND_REPLY);
        return aa_reply_error(r, AA_ERR_BACKEND_ERROR, NULL);
    }
    if (aa_json_parse(r->pool, out->data ? out->data : "", out->len, 0, &data, &errstr)
        != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, AALOGNO(00023)
                      "backend %s of %s (status %d) did not reply JSON: %s", cap->backend,
                      cap->name, backend_status, errstr);
        return aa_reply_error(r, AA_ERR_BACKEND_ERROR, NULL);
    }
    if (!ap_is_HTTP_SUCCESS(backend_status)) {
        const char *code;

        /* A backend may refuse in the spec's own format; pass that on,
         * unless the status would read as the agent's own authentication
         * failing (401, 407) or is one httpd cannot name. */
        if (backend_status >= 400 && backend_status < 500
            && backend_status != HTTP_UNAUTHORIZED
            && backend_status != HTTP_PROXY_AUTHENTICATION_REQUIRED
            && atoi(ap_get_status_line(backend_status)) == backend_status
            && aa_json_get_str(data, "error", &code) == APR_SUCCESS) {
            const char *message;

            if (aa_json_get_str(data, "message", &message) != APR_SUCCESS)
                aa_json_set_str(r->pool, data, "message", "The capability refused the request");
            return aa_reply_json(r, backend_status, data);
        }
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, AALOGNO(00024)
                      "backend %s of %s failed with status %d", cap->backend, cap->name,
                      backend_status);
        return aa_reply_error(r, AA_ERR_BACKEND_ERROR, NULL);
    }
    doc = aa_json_object(r->pool);
    aa_json_set(doc, "data", data);
    return aa_reply_json(r, HTTP_OK, doc);
}

/*
 * §2.12: a capability the agent holds a grant for but the server no longer
 * offers was removed (403); one it never heard of does not exist (404).
 */
static int reply_unknown_capability(request_rec *r, const aa_agent_t *agent, const char *name)
{
    apr_array_header_t *grants;
    const char *errstr = NULL;
    aa_db_t *db = aa_dbd_acquire(r);

    if (!db || aa_store_grant_active_for(r->pool, db, agent->id, name, &grants, &errstr)
                   != APR_SUCCESS)
        return aa_reply_db_error(r, errstr ? errstr : "no database connection");
    if (grants->nelts > 0)
        return aa_reply_error(r, AA_ERR_CAPABILITY_NOT_GRANTED,
                              apr_psprintf(r->pool, "The capability \"%s\" has been removed",
                                           ap_escape_html(r->pool, name)));
    return aa_reply_error(r, AA_ERR_CAPABILITY_NOT_FOUND,
                          apr_psprintf(r->pool, "Capability \"%s\" does not exist",
                                       ap_escape_html(r->pool, name)));
}

int aa_handle_execute(request_rec *r)
{
    const aa_srv_conf_t *conf = aa_srv_conf(r->server);
    aa_req_t *req = aa_req(r);
    aa_buf_t *out = apr_pcalloc(r->pool, sizeof(*out));
    aa_json_t *body, *args = NULL;
    const char *name;
    const aa_cap_t *cap;
    int status, backend_status = 0;

    /* check_authn verified the agent; if the operator's configuration kept
     * it from running, verify here rather than let the call through. */
    if (!req->agent && (status = aa_authn_agent(r, aa_default_location(r->pool, conf))) != OK)
        return status;
    if ((status = aa_read_json_body(r, &body)) != OK)
        return status;
    if (aa_json_get_str(body, "capability", &name) != APR_SUCCESS || !*name)
        return aa_reply_error(r, AA_ERR_INVALID_REQUEST, "capability must be a string");
    if (aa_json_get(body, "arguments", &args) == APR_SUCCESS && !aa_json_is(args, AA_JSON_OBJECT)
        && !aa_json_is(args, AA_JSON_NULL))
        return aa_reply_error(r, AA_ERR_INVALID_REQUEST, "arguments must be an object");

    cap = aa_caps_find(conf->caps, name);
    if (!cap)
        return reply_unknown_capability(r, req->agent, name);
    if (!aa_jwt_allows(req->jwt, cap->name))
        return aa_reply_error(r, AA_ERR_CAPABILITY_NOT_GRANTED,
                              "This JWT's capabilities claim does not include the capability");
    if (!args || !aa_json_is(args, AA_JSON_OBJECT))
        args = aa_json_object(r->pool);
    /* Constraints first: a missing constrained field is a violation (403). */
    if ((status = check_grants(r, req->agent, cap, args)) != OK
        || (status = check_input(r, cap, args)) != OK)
        return status;

    status = run_backend(r, cap, req->agent, aa_json_dump(r->pool, args), out, &backend_status);
    if (status != OK) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, AALOGNO(00025)
                      "backend %s of %s could not be run (status %d)", cap->backend,
                      cap->name, backend_status);
        return aa_reply_error(r, AA_ERR_BACKEND_ERROR, NULL);
    }
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, AALOGNO(00026)
                  "agent %s executed %s (backend status %d)", req->agent->id, cap->name,
                  backend_status);
    return reply_backend(r, cap, out, backend_status);
}
