/* SPDX-License-Identifier: Apache-2.0 */
/* Discovery, capability listing and description, agent status. */
#include "aa_module.h"

#include "http_log.h"
#include "http_protocol.h"
#include "util_script.h"

#include "apr_strings.h"

#include "core/aa_time.h"

APLOG_USE_MODULE(agent_auth);

/* Listing pages: the default and the cap on "limit". */
#define AA_LIST_DEFAULT_LIMIT 100
#define AA_LIST_MAX_LIMIT 500

static const char *const aa_endpoint_names[][2] = {
    { "register", "/agent/register" },
    { "capabilities", "/capability/list" },
    { "describe_capability", "/capability/describe" },
    { "execute", "/capability/execute" },
    { "status", "/agent/status" },
    { "request_capability", "/agent/request-capability" },
    { "reactivate", "/agent/reactivate" },
    { "revoke", "/agent/revoke" },
    { "revoke_host", "/host/revoke" },
    { "rotate_key", "/agent/rotate-key" },
    { "rotate_host_key", "/host/rotate-key" },
    { NULL, NULL }
};

int aa_handle_discovery(request_rec *r)
{
    const aa_srv_conf_t *conf = aa_srv_conf(r->server);
    aa_json_t *doc = aa_json_object(r->pool);
    aa_json_t *list, *endpoints;
    int i;

    aa_json_set_str(r->pool, doc, "version", "1.0-draft");
    aa_json_set_str(r->pool, doc, "provider_name", conf->provider_name);
    aa_json_set_str(r->pool, doc, "description", conf->description);
    aa_json_set_str(r->pool, doc, "issuer", conf->issuer);
    aa_json_set_str(r->pool, doc, "default_location", aa_default_location(r->pool, conf));

    list = aa_json_array(r->pool);
    aa_json_append_str(r->pool, list, "Ed25519");
    aa_json_set(doc, "algorithms", list);

    list = aa_json_array(r->pool);
    if (aa_mode_supported(conf, AA_MODE_DELEGATED))
        aa_json_append_str(r->pool, list, AA_MODE_DELEGATED);
    if (aa_mode_supported(conf, AA_MODE_AUTONOMOUS))
        aa_json_append_str(r->pool, list, AA_MODE_AUTONOMOUS);
    aa_json_set(doc, "modes", list);

    list = aa_json_array(r->pool);
    aa_json_append_str(r->pool, list, AA_METHOD_DEVICE);
    if (conf->ciba)
        aa_json_append_str(r->pool, list, AA_METHOD_CIBA);
    aa_json_set(doc, "approval_methods", list);

    /* Only what this server really offers is advertised. */
    endpoints = aa_json_object(r->pool);
    for (i = 0; aa_endpoint_names[i][0]; i++)
        aa_json_set_str(r->pool, endpoints, aa_endpoint_names[i][0], aa_endpoint_names[i][1]);
    if (conf->introspection_secret)
        aa_json_set_str(r->pool, endpoints, "introspect", "/agent/introspect");
    aa_json_set(doc, "endpoints", endpoints);

    apr_table_setn(r->headers_out, "Cache-Control", "public, max-age=3600");
    return aa_reply_json(r, HTTP_OK, doc);
}

/* Capability names with an active, unexpired grant for the caller. */
static apr_hash_t *granted_names(request_rec *r, const aa_agent_t *agent)
{
    apr_hash_t *names = apr_hash_make(r->pool);
    apr_array_header_t *grants;
    const char *errstr = NULL;
    aa_db_t *db = aa_dbd_acquire(r);
    apr_int64_t now = aa_now();
    int i;

    if (!db || aa_store_grant_list(r->pool, db, agent->id, &grants, &errstr) != APR_SUCCESS)
        return NULL;
    for (i = 0; i < grants->nelts; i++) {
        const aa_grant_t *g = APR_ARRAY_IDX(grants, i, const aa_grant_t *);

        if (strcmp(g->status, AA_ST_ACTIVE) == 0 && (!g->expires_at || g->expires_at > now))
            apr_hash_set(names, g->capability, APR_HASH_KEY_STRING, "");
    }
    return names;
}

static int query_int(request_rec *r, const char *name, int dflt, int *out)
{
    apr_table_t *args = NULL;
    const char *v;

    ap_args_to_table(r, &args);
    v = apr_table_get(args, name);
    *out = dflt;
    if (!v)
        return OK;
    if (!*v || strspn(v, "0123456789") != strlen(v) || strlen(v) > 9)
        return HTTP_BAD_REQUEST;
    *out = atoi(v);
    return OK;
}

static const char *query_str(request_rec *r, const char *name)
{
    apr_table_t *args = NULL;

    ap_args_to_table(r, &args);
    return apr_table_get(args, name);
}

static int matches_query(const aa_cap_t *cap, const char *query)
{
    if (!query || !*query)
        return 1;
    return ap_strcasestr(cap->name, query) || ap_strcasestr(cap->description, query);
}

int aa_handle_cap_list(request_rec *r)
{
    const aa_srv_conf_t *conf = aa_srv_conf(r->server);
    aa_req_t *req = aa_req(r);
    const char *query = query_str(r, "query");
    apr_hash_t *granted = NULL;
    aa_json_t *doc, *list;
    int i, cursor, limit, skipped = 0, shown = 0, more = 0;

    if (query_int(r, "cursor", 0, &cursor) != OK || query_int(r, "limit",
                                                               AA_LIST_DEFAULT_LIMIT, &limit)
                                                        != OK || limit < 1)
        return aa_reply_error(r, AA_ERR_INVALID_REQUEST,
                              "cursor and limit must be non-negative integers");
    if (limit > AA_LIST_MAX_LIMIT)
        limit = AA_LIST_MAX_LIMIT;
    if (req->agent && !(granted = granted_names(r, req->agent)))
        return aa_reply_error(r, AA_ERR_TEMPORARILY_UNAVAILABLE, NULL);

    list = aa_json_array(r->pool);
    for (i = 0; i < conf->caps->list->nelts; i++) {
        const aa_cap_t *cap = APR_ARRAY_IDX(conf->caps->list, i, const aa_cap_t *);
        aa_json_t *entry;

        if (!matches_query(cap, query))
            continue;
        if (skipped++ < cursor)
            continue;
        if (shown == limit) {
            more = 1;
            break;
        }
        entry = aa_json_object(r->pool);
        aa_json_set_str(r->pool, entry, "name", cap->name);
        aa_json_set_str(r->pool, entry, "description", cap->description);
        if (cap->location)
            aa_json_set_str(r->pool, entry, "location", cap->location);
        if (granted)
            aa_json_set_str(r->pool, entry, "grant_status",
                            apr_hash_get(granted, cap->name, APR_HASH_KEY_STRING)
                                ? "granted" : "not_granted");
        aa_json_append(list, entry);
        shown++;
    }

    doc = aa_json_object(r->pool);
    aa_json_set(doc, "capabilities", list);
    aa_json_set_bool(r->pool, doc, "has_more", more);
    aa_json_set(doc, "next_cursor",
                more ? aa_json_string(r->pool, apr_itoa(r->pool, cursor + shown)) : NULL);
    apr_table_setn(r->headers_out, "Cache-Control",
                   req->agent ? "private, max-age=300" : "public, max-age=300");
    return aa_reply_json(r, HTTP_OK, doc);
}

aa_json_t *aa_parse_stored(request_rec *r, const char *text)
{
    const char *errstr;
    aa_json_t *v = NULL;

    if (!text || !*text)
        return NULL;
    if (aa_json_parse(r->pool, text, strlen(text), 0, &v, &errstr) != APR_SUCCESS)
        return NULL;
    return v;
}

int aa_handle_cap_describe(request_rec *r)
{
    const aa_srv_conf_t *conf = aa_srv_conf(r->server);
    aa_req_t *req = aa_req(r);
    const char *name = query_str(r, "name");
    const aa_cap_t *cap;
    aa_json_t *doc;

    if (!name || !*name)
        return aa_reply_error(r, AA_ERR_INVALID_REQUEST, "The name query parameter is required");
    cap = aa_caps_find(conf->caps, name);
    if (!cap)
        return aa_reply_error(r, AA_ERR_CAPABILITY_NOT_FOUND,
                              apr_psprintf(r->pool, "Capability \"%s\" does not exist",
                                           ap_escape_html(r->pool, name)));

    doc = aa_json_object(r->pool);
    aa_json_set_str(r->pool, doc, "name", cap->name);
    aa_json_set_str(r->pool, doc, "description", cap->description);
    if (cap->location)
        aa_json_set_str(r->pool, doc, "location", cap->location);
    if (cap->input)
        aa_json_set(doc, "input", aa_parse_stored(r, cap->input));
    if (cap->output)
        aa_json_set(doc, "output", aa_parse_stored(r, cap->output));
    if (req->agent) {
        apr_hash_t *granted = granted_names(r, req->agent);

        if (!granted)
            return aa_reply_error(r, AA_ERR_TEMPORARILY_UNAVAILABLE, NULL);
        aa_json_set_str(r->pool, doc, "grant_status",
                        apr_hash_get(granted, cap->name, APR_HASH_KEY_STRING) ? "granted"
                                                                              : "not_granted");
    }
    apr_table_setn(r->headers_out, "Cache-Control",
                   req->agent ? "private, max-age=300" : "public, max-age=300");
    return aa_reply_json(r, HTTP_OK, doc);
}

/* One grant as §5.3 shows it: details for active ones, reason for denied. */
static aa_json_t *grant_json(request_rec *r, const aa_grant_t *g)
{
    const aa_srv_conf_t *conf = aa_srv_conf(r->server);
    aa_json_t *obj = aa_json_object(r->pool);
    const aa_cap_t *cap = aa_caps_find(conf->caps, g->capability);

    aa_json_set_str(r->pool, obj, "capability", g->capability);
    aa_json_set_str(r->pool, obj, "status", g->status);
    if (strcmp(g->status, AA_ST_ACTIVE) == 0) {
        if (*g->granted_by)
            aa_json_set_str(r->pool, obj, "granted_by", g->granted_by);
        if (*g->constraints)
            aa_json_set(obj, "constraints", aa_parse_stored(r, g->constraints));
        if (g->expires_at)
            aa_json_set_str(r->pool, obj, "expires_at", aa_iso8601(r->pool, g->expires_at));
        if (cap) {
            aa_json_set_str(r->pool, obj, "description", cap->description);
            if (cap->input)
                aa_json_set(obj, "input", aa_parse_stored(r, cap->input));
            if (cap->output)
                aa_json_set(obj, "output", aa_parse_stored(r, cap->output));
        }
    }
    else if (strcmp(g->status, AA_ST_DENIED) == 0 && *g->reason) {
        aa_json_set_str(r->pool, obj, "reason", g->reason);
    }
    return obj;
}

/*
 * A denial is current only while nothing newer stands for the capability:
 * no active or pending grant of it, and no later denial (grants come
 * oldest first).
 */
static int denial_is_history(apr_array_header_t *grants, int at)
{
    const aa_grant_t *denied = APR_ARRAY_IDX(grants, at, const aa_grant_t *);
    int i;

    for (i = 0; i < grants->nelts; i++) {
        const aa_grant_t *g = APR_ARRAY_IDX(grants, i, const aa_grant_t *);

        if (i == at || strcmp(g->capability, denied->capability) != 0)
            continue;
        if (strcmp(g->status, AA_ST_ACTIVE) == 0 || strcmp(g->status, AA_ST_PENDING) == 0
            || (i > at && strcmp(g->status, AA_ST_DENIED) == 0))
            return 1;
    }
    return 0;
}

aa_json_t *aa_grants_json(request_rec *r, apr_array_header_t *grants)
{
    aa_json_t *list = aa_json_array(r->pool);
    int i;

    for (i = 0; i < grants->nelts; i++) {
        const aa_grant_t *g = APR_ARRAY_IDX(grants, i, const aa_grant_t *);

        /* Withdrawn grants and old denials are history, kept for aactl,
         * not protocol state. */
        if (strcmp(g->status, AA_ST_GRANT_REVOKED) == 0
            || (strcmp(g->status, AA_ST_DENIED) == 0 && denial_is_history(grants, i)))
            continue;
        aa_json_append(list, grant_json(r, g));
    }
    return list;
}

static void set_time(request_rec *r, aa_json_t *doc, const char *key, apr_int64_t t)
{
    if (t > 0)
        aa_json_set_str(r->pool, doc, key, aa_iso8601(r->pool, t));
}

aa_json_t *aa_agent_status_json(request_rec *r, const aa_agent_t *agent,
                                apr_array_header_t *grants)
{
    aa_json_t *doc = aa_json_object(r->pool);

    aa_json_set_str(r->pool, doc, "agent_id", agent->id);
    aa_json_set_str(r->pool, doc, "host_id", agent->host_id);
    aa_json_set_str(r->pool, doc, "name", agent->name);
    aa_json_set_str(r->pool, doc, "status", agent->status);
    aa_json_set_str(r->pool, doc, "mode", agent->mode);
    aa_json_set(doc, "agent_capability_grants", aa_grants_json(r, grants));
    if (*agent->user_id)
        aa_json_set_str(r->pool, doc, "user_id", agent->user_id);
    set_time(r, doc, "activated_at", agent->activated_at);
    set_time(r, doc, "created_at", agent->created_at);
    set_time(r, doc, "last_used_at", agent->last_used_at);
    set_time(r, doc, "expires_at", agent->expires_at);
    return doc;
}

int aa_handle_status(request_rec *r)
{
    const aa_srv_conf_t *conf = aa_srv_conf(r->server);
    const char *agent_id = query_str(r, "agent_id");
    const char *errstr = NULL;
    apr_array_header_t *grants;
    aa_lifetimes_t lt;
    aa_clock_e state;
    aa_host_t *host;
    aa_agent_t *agent;
    aa_jwt_t *jwt;
    aa_db_t *db;
    apr_status_t rv;
    int status;

    /* Pending hosts may poll: that is how a client learns of its approval. */
    if ((status = aa_authn_host(r, 0, &host, &jwt, NULL)) != OK
        || (status = aa_host_usable(r, host, AA_HOST_PENDING_OK | AA_HOST_REJECTED_OK))
               != OK)
        return status;
    if (!agent_id || !*agent_id)
        return aa_reply_error(r, AA_ERR_INVALID_REQUEST,
                              "The agent_id query parameter is required");

    db = aa_dbd_acquire(r);
    if (!db)
        return aa_reply_error(r, AA_ERR_TEMPORARILY_UNAVAILABLE, NULL);
    rv = aa_store_agent_get(r->pool, db, agent_id, &agent, &errstr);
    if (rv == APR_NOTFOUND)
        return aa_reply_error(r, AA_ERR_AGENT_NOT_FOUND, NULL);
    if (rv == APR_SUCCESS && strcmp(agent->host_id, host->id) != 0)
        return aa_reply_error(r, AA_ERR_UNAUTHORIZED_OPERATION,
                              "The agent is not registered under this host");
    aa_lifetimes(conf, &lt);
    if (rv == APR_SUCCESS)
        rv = aa_ops_apply_clock(r->pool, db, agent, &lt, aa_now(), &state, &errstr);
    if (rv == APR_SUCCESS)
        rv = aa_store_grant_list(r->pool, db, agent->id, &grants, &errstr);
    if (rv != APR_SUCCESS)
        return aa_reply_db_error(r, errstr);
    return aa_reply_json(r, HTTP_OK, aa_agent_status_json(r, agent, grants));
}

/*
 * The default verification_uri. This server has no login of its own, so the
 * page tells the person what to do instead of pretending to approve: give
 * the code to an administrator, who runs aactl approve CODE (or point
 * AgentAuthApprovalURI at your own approval page on the same database).
 */
int aa_handle_device_page(request_rec *r)
{
    const aa_srv_conf_t *conf = aa_srv_conf(r->server);
    const char *typed = query_str(r, "user_code");
    /* Only a well-formed code is shown: the page also prints it as part of
     * a shell command, where anything else could be a trap. */
    const char *code = typed ? aa_user_code_normalize(r->pool, typed) : NULL;
    const char *page;

    page = apr_pstrcat(r->pool,
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
        "<title>Approve an agent</title></head><body>\n"
        "<h1>Approve an agent for ", ap_escape_html(r->pool, conf->provider_name), "</h1>\n"
        "<p>An AI agent asks for access and showed you this code:</p>\n<p><code>",
        code ? ap_escape_html(r->pool, code) : "XXXX-XXXX", "</code></p>\n"
        "<p>This service is approved by its administrators. Give them the code; "
        "they approve it with:</p>\n<pre>aactl approve ",
        code ? ap_escape_html(r->pool, code) : "CODE", "</pre>\n"
        "<p>Only approve agents you started yourself.</p>\n</body></html>\n", NULL);
    ap_set_content_type(r, "text/html; charset=utf-8");
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    apr_table_setn(r->headers_out, "Content-Security-Policy", "default-src 'none'");
    ap_set_content_length(r, strlen(page));
    if (!r->header_only)
        ap_rputs(page, r);
    return OK;
}
