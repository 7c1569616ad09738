/* SPDX-License-Identifier: Apache-2.0 */
/*
 * "Require agent-capability NAME..." for any location under AuthType
 * AgentAuth: granted when the authenticated agent holds an active,
 * unexpired grant of one of the names that its JWT does not narrow away.
 *
 * A plain HTTP request has no arguments to check constraints against, so
 * a constrained grant (or a capability whose file entry imposes
 * constraints) does not satisfy the requirement: it fails closed. Route
 * such calls through /capability/execute instead.
 *
 * mod_authz_core answers a denial under an AuthType with 401 and an HTML
 * page; an agent is better served by the spec's 403 capability_not_granted
 * in JSON, so an error filter rewrites that one response.
 */
#include "aa_module.h"

#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"
#include "mod_auth.h"
#include "util_filter.h"

#include "apr_strings.h"

#include "core/aa_json.h"
#include "core/aa_time.h"

APLOG_USE_MODULE(agent_auth);

#define AA_AUTHZ_PROVIDER "agent-capability"
#define AA_DENIAL_FILTER "AGENT_AUTH_DENIAL"

static int unconstrained(const char *constraints)
{
    return !constraints || !*constraints || strcmp(constraints, "{}") == 0;
}

/* APR_SUCCESS: granted; APR_NOTFOUND: not granted; else a database error. */
static apr_status_t agent_holds(request_rec *r, const aa_req_t *req, const char *name)
{
    const aa_srv_conf_t *conf = aa_srv_conf(r->server);
    const aa_cap_t *cap = conf->caps ? aa_caps_find(conf->caps, name) : NULL;
    apr_array_header_t *grants;
    const char *errstr = NULL;
    apr_int64_t now = aa_now();
    aa_db_t *db;
    int i;

    if (!aa_jwt_allows(req->jwt, name) || (cap && !unconstrained(cap->constraints)))
        return APR_NOTFOUND;
    db = aa_dbd_acquire(r);
    if (!db || aa_store_grant_active_for(r->pool, db, req->agent->id, name, &grants, &errstr)
                   != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, AALOGNO(00050)
                      "grant lookup for agent %s failed: %s", req->agent->id,
                      errstr ? errstr : "no database connection");
        return APR_EGENERAL;
    }
    for (i = 0; i < grants->nelts; i++) {
        const aa_grant_t *g = APR_ARRAY_IDX(grants, i, const aa_grant_t *);

        if ((!g->expires_at || g->expires_at > now) && unconstrained(g->constraints))
            return APR_SUCCESS;
    }
    return APR_NOTFOUND;
}

static authz_status capability_check(request_rec *r, const char *require_line,
                                     const void *parsed)
{
    aa_req_t *req = aa_req(r);
    const char *line = require_line, *name, *first = NULL;

    (void)parsed;
    if (!r->user)
        return AUTHZ_DENIED_NO_USER;
    /* Someone authenticated by other means is no agent. */
    if (!req->agent)
        return AUTHZ_DENIED;
    while (*(name = ap_getword_conf(r->pool, &line))) {
        apr_status_t rv = agent_holds(r, req, name);

        if (rv == APR_SUCCESS)
            return AUTHZ_GRANTED;
        if (rv != APR_NOTFOUND)
            return AUTHZ_GENERAL_ERROR;
        first = first ? first : name;
    }
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, AALOGNO(00051)
                  "agent %s holds none of the capabilities %s requires", req->agent->id,
                  r->uri);
    req->denied_capability = first;
    return AUTHZ_DENIED;
}

static const char *capability_parse(cmd_parms *cmd, const char *require_line,
                                    const void **parsed)
{
    (void)cmd;
    (void)parsed;
    if (!*require_line)
        return "Require agent-capability needs at least one capability name";
    return NULL;
}

static const authz_provider capability_provider = { &capability_check, &capability_parse };

/* Replaces httpd's 401 page for a refused capability with the spec's body. */
static apr_status_t denial_filter(ap_filter_t *f, apr_bucket_brigade *bb)
{
    request_rec *r = f->r;
    const aa_req_t *req = aa_req(r);
    aa_json_t *doc;
    const char *body;

    /* The page may come in several brigades: the first is replaced, the
     * rest dropped. */
    if (f->ctx) {
        apr_brigade_cleanup(bb);
        return APR_SUCCESS;
    }
    f->ctx = f;
    doc = aa_json_object(r->pool);
    aa_json_set_str(r->pool, doc, "error", "capability_not_granted");
    aa_json_set_str(r->pool, doc, "message",
                    apr_psprintf(r->pool, "This location requires the capability %s",
                                 req->denied_capability));
    body = aa_json_dump(r->pool, doc);

    r->status = HTTP_FORBIDDEN;
    r->status_line = NULL;
    apr_table_unset(r->err_headers_out, "WWW-Authenticate");
    apr_table_unset(r->headers_out, "WWW-Authenticate");
    ap_set_content_type(r, "application/json");
    ap_set_content_length(r, strlen(body));
    apr_brigade_cleanup(bb);
    APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_pool_create(body, strlen(body), r->pool,
                                                       f->c->bucket_alloc));
    APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_eos_create(f->c->bucket_alloc));
    return ap_pass_brigade(f->next, bb);
}

static void insert_denial_filter(request_rec *r)
{
    const aa_req_t *req = ap_get_module_config(r->request_config, &agent_auth_module);

    if (req && req->denied_capability && r->status == HTTP_UNAUTHORIZED)
        ap_add_output_filter(AA_DENIAL_FILTER, NULL, r, r->connection);
}

void aa_authz_register(apr_pool_t *pool)
{
    ap_register_auth_provider(pool, AUTHZ_PROVIDER_GROUP, AA_AUTHZ_PROVIDER,
                              AUTHZ_PROVIDER_VERSION, &capability_provider,
                              AP_AUTH_INTERNAL_PER_CONF);
    ap_register_output_filter(AA_DENIAL_FILTER, denial_filter, NULL, AP_FTYPE_RESOURCE);
    ap_hook_insert_error_filter(insert_denial_filter, NULL, NULL, APR_HOOK_MIDDLE);
}
