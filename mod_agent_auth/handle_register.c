/* SPDX-License-Identifier: Apache-2.0 */
/* POST /agent/register (§5.3). */
#include "aa_module.h"

#include "http_log.h"
#include "http_protocol.h"

#include "apr_strings.h"

#include "core/aa_constraints.h"
#include "core/aa_crypto.h"
#include "core/aa_time.h"

APLOG_USE_MODULE(agent_auth);

#define AA_MAX_NAME 200
#define AA_MAX_REASON 500

typedef struct {
    const char *name;
    const char *host_name;
    const char *mode;
    const char *reason;
    aa_approval_hints_t hints;
    int caps_given;
    apr_array_header_t *caps;        /* const char * names, deduplicated */
    apr_array_header_t *constraints; /* const char * JSON text or "", parallel */
} aa_register_req_t;

/*
 * A constraint on a field the capability's input schema rules out
 * (additionalProperties false and not among its properties) could never be
 * met, a missing field being a violation: refuse it now rather than at
 * every execution. A schema that admits other fields admits any.
 */
static int constrained_fields_exist(request_rec *r, const aa_cap_t *cap,
                                    const aa_json_t *proposed)
{
    aa_json_t *schema = aa_parse_stored(r, cap->input), *properties, *ignored;
    aa_json_iter_t it;
    const char *field;
    int additional = 1;

    if (!proposed || !schema
        || aa_json_get_obj(schema, "properties", &properties) != APR_SUCCESS
        || aa_json_get_bool(schema, "additionalProperties", &additional) != APR_SUCCESS
        || additional)
        return OK;
    aa_json_iter_init(proposed, &it);
    while (aa_json_iter_next(&it, &field, &ignored)) {
        if (aa_json_get(properties, field, &ignored) != APR_SUCCESS)
            return aa_reply_error(r, AA_ERR_INVALID_REQUEST,
                                  apr_psprintf(r->pool, "constraints of %s: %s is not an "
                                               "input of this capability", cap->name,
                                               ap_escape_html(r->pool, field)));
    }
    return OK;
}

/*
 * The effective constraints of one requested capability: what the agent
 * proposed, checked, narrowed by what the capabilities file imposes.
 */
static int effective_constraints(request_rec *r, const aa_cap_t *cap, aa_json_t *proposed,
                                 const char **out)
{
    const char *errstr = NULL;
    aa_json_t *unknown = NULL, *merged;
    apr_status_t rv;
    int status;

    if (proposed && aa_json_is(proposed, AA_JSON_NULL))
        proposed = NULL;
    rv = aa_constraints_check(r->pool, proposed, &unknown, &errstr);
    if (rv == APR_ENOTIMPL)
        return aa_reply_error_with(r, AA_ERR_UNKNOWN_CONSTRAINT_OPERATOR,
                                   apr_psprintf(r->pool, "Unknown constraint operator in %s",
                                                cap->name),
                                   "unknown_operators", unknown);
    if (rv != APR_SUCCESS)
        return aa_reply_error(r, AA_ERR_INVALID_REQUEST,
                              apr_psprintf(r->pool, "constraints of %s: %s", cap->name,
                                           errstr));
    if ((status = constrained_fields_exist(r, cap, proposed)) != OK)
        return status;
    merged = aa_constraints_intersect(r->pool, proposed, aa_parse_stored(r, cap->constraints));
    *out = merged ? aa_json_dump(r->pool, merged) : "";
    return OK;
}

int aa_parse_capability_list(request_rec *r, const aa_json_t *list,
                             apr_array_header_t **names, apr_array_header_t **constraints)
{
    const aa_srv_conf_t *conf = aa_srv_conf(r->server);
    aa_json_t *unknown = aa_json_array(r->pool);
    apr_hash_t *seen = apr_hash_make(r->pool);
    apr_size_t i, n = aa_json_len(list);
    int status;

    *names = apr_array_make(r->pool, (int)n + 1, sizeof(const char *));
    *constraints = apr_array_make(r->pool, (int)n + 1, sizeof(const char *));
    for (i = 0; i < n; i++) {
        aa_json_t *item = aa_json_at(list, i), *proposed = NULL;
        const char *name = aa_json_str(item), *effective = "";
        const aa_cap_t *cap;

        if (aa_json_is(item, AA_JSON_OBJECT)) {
            if (aa_json_get_str(item, "name", &name) != APR_SUCCESS)
                name = NULL;
            aa_json_get(item, "constraints", &proposed);
        }
        if (!name)
            return aa_reply_error(r, AA_ERR_INVALID_REQUEST,
                                  "each capability must be a name or an object with a name");
        cap = aa_caps_find(conf->caps, name);
        if (!cap) {
            aa_json_append_str(r->pool, unknown, name);
            continue;
        }
        if ((status = effective_constraints(r, cap, proposed, &effective)) != OK)
            return status;
        if (apr_hash_get(seen, name, APR_HASH_KEY_STRING))
            continue;
        apr_hash_set(seen, name, APR_HASH_KEY_STRING, "");
        APR_ARRAY_PUSH(*names, const char *) = name;
        APR_ARRAY_PUSH(*constraints, const char *) = effective;
    }
    if (aa_json_len(unknown) > 0)
        return aa_reply_error_with(r, AA_ERR_INVALID_CAPABILITIES,
                                   "One or more requested capability names don't exist",
                                   "invalid_capabilities", unknown);
    return OK;
}

static int parse_request(request_rec *r, const aa_json_t *body, aa_register_req_t *req)
{
    const aa_srv_conf_t *conf = aa_srv_conf(r->server);
    aa_json_t *list;
    apr_status_t rv;
    int status;

    if (aa_json_get_str(body, "name", &req->name) != APR_SUCCESS || !*req->name
        || strlen(req->name) > AA_MAX_NAME)
        return aa_reply_error(r, AA_ERR_INVALID_REQUEST,
                              "name is required: a string of 1 to 200 characters");
    if ((status = aa_optional_string(r, body, "host_name", AA_MAX_NAME, &req->host_name)) != OK
        || (status = aa_optional_string(r, body, "mode", 32, &req->mode)) != OK
        || (status = aa_optional_string(r, body, "reason", AA_MAX_REASON, &req->reason)) != OK
        || (status = aa_approval_hints(r, body, &req->hints)) != OK)
        return status;
    if (!req->mode)
        req->mode = AA_MODE_DELEGATED;
    if (!aa_mode_supported(conf, req->mode))
        return aa_reply_error(r, AA_ERR_UNSUPPORTED_MODE,
                              apr_psprintf(r->pool, "Mode \"%s\" is not supported here",
                                           ap_escape_html(r->pool, req->mode)));

    rv = aa_json_get_arr(body, "capabilities", &list);
    if (rv == APR_EINVAL)
        return aa_reply_error(r, AA_ERR_INVALID_REQUEST, "capabilities must be an array");
    req->caps_given = (rv == APR_SUCCESS);
    if (!req->caps_given) {
        /* §5.3: no list, no capabilities; the agent asks later (§5.4). */
        req->caps = apr_array_make(r->pool, 1, sizeof(const char *));
        req->constraints = NULL;
        return OK;
    }
    return aa_parse_capability_list(r, list, &req->caps, &req->constraints);
}

/* The agent's key: inline agent_public_key, or agent_kid at agent_jwks_url. */
static int agent_key(request_rec *r, const aa_jwt_t *jwt, aa_jwk_t **key,
                     const char **jwks_url)
{
    const char *errstr = NULL, *kid = NULL, *host_url = NULL;
    const aa_jwk_t *published;
    aa_json_t *claim;
    apr_status_t rv;

    *jwks_url = NULL;
    if (aa_json_get_str(jwt->claims, "agent_jwks_url", jwks_url) == APR_SUCCESS) {
        if (aa_json_get_str(jwt->claims, "agent_kid", &kid) != APR_SUCCESS || !*kid)
            return aa_reply_error(r, AA_ERR_INVALID_REQUEST,
                                  "agent_jwks_url needs agent_kid, the key's kid");
        aa_json_get_str(jwt->claims, "host_jwks_url", &host_url);
        if (host_url && strcmp(host_url, *jwks_url) == 0)
            return aa_reply_error(r, AA_ERR_INVALID_REQUEST,
                                  "Host and agent JWKS URLs must differ");
        if (!aa_jwks_url_acceptable(r, *jwks_url, "agent_jwks_url",
                                    AA_ERR_INVALID_PUBLIC_KEY))
            return DONE;
        if (aa_keys_jwks_find(r, *jwks_url, kid, NULL, &published) != APR_SUCCESS)
            return aa_reply_error(r, AA_ERR_INVALID_PUBLIC_KEY,
                                  "agent_kid is not published at agent_jwks_url");
        *key = (aa_jwk_t *)published;
        return OK;
    }
    if (aa_json_get_obj(jwt->claims, "agent_public_key", &claim) != APR_SUCCESS)
        return aa_reply_error(r, AA_ERR_INVALID_REQUEST,
                              "The host JWT must carry agent_public_key (a JWK) or "
                              "agent_jwks_url with agent_kid");
    rv = aa_jwk_parse(r->pool, claim, key, &errstr);
    if (rv == APR_ENOTIMPL)
        return aa_reply_error(r, AA_ERR_UNSUPPORTED_ALGORITHM, errstr);
    if (rv != APR_SUCCESS)
        return aa_reply_error(r, AA_ERR_INVALID_PUBLIC_KEY, errstr);
    return OK;
}

static apr_status_t ensure_host(request_rec *r, aa_db_t *db, aa_host_t **host,
                                const aa_jwt_t *jwt, const aa_jwk_t *key,
                                const aa_register_req_t *req, const char **errstr)
{
    aa_host_t *h;
    apr_int64_t now = aa_now();
    apr_status_t rv;

    if (*host)
        return APR_SUCCESS;
    h = apr_pcalloc(r->pool, sizeof(*h));
    h->id = jwt->iss;
    h->name = req->host_name ? req->host_name : "";
    h->public_key = aa_jwk_canonical(r->pool, key);
    h->key_thumbprint = key->thumbprint;
    h->kid = key->kid ? key->kid : "";
    h->jwks_url = "";
    aa_json_get_str(jwt->claims, "host_jwks_url", &h->jwks_url);
    h->user_id = "";
    h->status = AA_ST_PENDING;
    h->default_capabilities = "";
    h->created_at = h->updated_at = now;
    rv = aa_store_host_insert(r->pool, db, h, errstr);
    /* A concurrent first registration of the same host may have won; if
     * not, the insert's own error is the one to report. */
    if (rv != APR_SUCCESS
        && aa_store_host_get(r->pool, db, h->id, host, &(const char *){ NULL }) == APR_SUCCESS)
        return APR_SUCCESS;
    if (rv == APR_SUCCESS) {
        *host = h;
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, AALOGNO(00017)
                      "new host %s registered as pending", h->id);
    }
    return rv;
}

/* Create the agent and its grants; *approval is set when it must wait. */
static apr_status_t create_agent(request_rec *r, aa_db_t *db, const aa_host_t *host,
                                 const aa_jwk_t *key, const char *jwks_url,
                                 aa_register_req_t *req,
                                 aa_agent_t **out, apr_array_header_t **grants,
                                 aa_approval_t **approval, const char **code,
                                 const char **errstr)
{
    const aa_srv_conf_t *conf = aa_srv_conf(r->server);
    apr_int64_t now = aa_now();
    int delegated = strcmp(req->mode, AA_MODE_DELEGATED) == 0;
    /* Defaults apply at once only where a human already vouched for the host. */
    int auto_ok = strcmp(host->status, AA_ST_ACTIVE) == 0
                  && (delegated ? *host->user_id != '\0' : 1);
    aa_agent_t *a = apr_pcalloc(r->pool, sizeof(*a));
    apr_array_header_t *defaults = aa_host_defaults(r, host);
    apr_status_t rv;
    int i, nactive = 0, npending = 0, pending;

    *grants = apr_array_make(r->pool, req->caps->nelts + 1, sizeof(aa_grant_t *));
    for (i = 0; i < req->caps->nelts; i++) {
        aa_grant_t *g = apr_pcalloc(r->pool, sizeof(*g));

        g->id = aa_random_id(r->pool, "grt_", 16);
        g->capability = APR_ARRAY_IDX(req->caps, i, const char *);
        g->status = auto_ok && aa_caps_listed(defaults, g->capability) ? AA_ST_ACTIVE
                                                                 : AA_ST_PENDING;
        g->constraints = req->constraints ? APR_ARRAY_IDX(req->constraints, i, const char *)
                                          : "";
        g->granted_by = strcmp(g->status, AA_ST_ACTIVE) == 0 ? host->user_id : "";
        g->denied_by = "";
        g->reason = req->reason ? req->reason : "";
        g->created_at = g->updated_at = now;
        npending += strcmp(g->status, AA_ST_PENDING) == 0;
        nactive += strcmp(g->status, AA_ST_ACTIVE) == 0;
        APR_ARRAY_PUSH(*grants, aa_grant_t *) = g;
    }
    /* §5.3: active as long as one capability is granted; the others wait. */
    pending = !auto_ok || (npending && !nactive);

    a->id = aa_random_id(r->pool, "agt_", 16);
    a->host_id = host->id;
    a->name = req->name;
    a->mode = req->mode;
    a->status = pending ? AA_ST_PENDING : AA_ST_ACTIVE;
    a->user_id = delegated ? host->user_id : "";
    a->public_key = aa_jwk_canonical(r->pool, key);
    a->key_thumbprint = key->thumbprint;
    a->jwks_url = jwks_url ? jwks_url : "";
    a->kid = key->kid ? key->kid : "";
    a->created_at = a->updated_at = now;
    if (!pending) {
        aa_lifetimes_t lt;

        aa_lifetimes(conf, &lt);
        a->activated_at = a->last_used_at = now;
        a->expires_at = aa_clock_expires_at(a, &lt, now);
    }

    rv = aa_store_agent_insert(r->pool, db, a, errstr);
    for (i = 0; rv == APR_SUCCESS && i < (*grants)->nelts; i++) {
        aa_grant_t *g = APR_ARRAY_IDX(*grants, i, aa_grant_t *);

        g->agent_id = a->id;
        rv = aa_store_grant_insert(r->pool, db, g, errstr);
    }
    if (rv == APR_SUCCESS && (pending || npending)) {
        aa_approval_policy_t policy;

        aa_approval_choose(r, host, a, &req->hints, &policy);
        rv = aa_ops_approval_open(r->pool, db, a, "registration", &policy, now, approval, code,
                                  errstr);
    }
    *out = a;
    return rv;
}

/* A pending agent registering again gets its state and a fresh code. */
static apr_status_t retry_pending(request_rec *r, aa_db_t *db, const aa_host_t *host,
                                  aa_agent_t *agent, const aa_register_req_t *req,
                                  apr_array_header_t **grants, aa_approval_t **approval,
                                  const char **code, const char **errstr)
{
    aa_approval_policy_t policy;
    apr_status_t rv;

    rv = aa_store_grant_list(r->pool, db, agent->id, grants, errstr);
    if (rv != APR_SUCCESS)
        return rv;
    aa_approval_choose(r, host, agent, &req->hints, &policy);
    policy.keep_older = 1;
    return aa_ops_approval_open(r->pool, db, agent, "registration", &policy, aa_now(),
                                approval, code, errstr);
}

static int reply_registered(request_rec *r, const aa_agent_t *a, apr_array_header_t *grants,
                            const aa_approval_t *approval, const char *code)
{
    aa_json_t *doc = aa_json_object(r->pool);

    aa_json_set_str(r->pool, doc, "agent_id", a->id);
    aa_json_set_str(r->pool, doc, "host_id", a->host_id);
    aa_json_set_str(r->pool, doc, "name", a->name);
    aa_json_set_str(r->pool, doc, "mode", a->mode);
    aa_json_set_str(r->pool, doc, "status", a->status);
    aa_json_set(doc, "agent_capability_grants", aa_grants_json(r, grants));
    if (approval)
        aa_json_set(doc, "approval", aa_approval_json(r, approval, code));
    return aa_reply_json(r, HTTP_OK, doc);
}

/* What the host, as read inside the transaction, says against registering. */
static aa_err_e host_refuses(const aa_host_t *host, const char *mode)
{
    if (strcmp(host->status, AA_ST_REVOKED) == 0)
        return AA_ERR_HOST_REVOKED;
    if (strcmp(host->status, AA_ST_REJECTED) == 0)
        return AA_ERR_HOST_REJECTED;
    if (*host->user_id && strcmp(mode, AA_MODE_AUTONOMOUS) == 0)
        return AA_ERR_UNSUPPORTED_MODE;
    return AA_ERR_NONE;
}

/*
 * A revoked or rejected host registers nothing; but the agent whose denial
 * rejected it is told, as any non-pending agent's key is, that it exists.
 */
static int refuse_host(request_rec *r, const aa_host_t *host, const aa_jwk_t *key)
{
    const char *errstr = NULL;
    aa_agent_t *agent;
    aa_db_t *db;

    if (strcmp(host->status, AA_ST_REJECTED) != 0)
        return aa_reply_error(r, AA_ERR_HOST_REVOKED, NULL);
    db = aa_dbd_acquire(r);
    if (db && aa_store_agent_find_key(r->pool, db, host->id, key->thumbprint, &agent, &errstr)
                  == APR_SUCCESS)
        return aa_reply_error(r, AA_ERR_AGENT_EXISTS, NULL);
    return aa_reply_error(r, AA_ERR_HOST_REJECTED, NULL);
}

int aa_handle_register(request_rec *r)
{
    aa_register_req_t req = { 0 };
    const char *errstr = NULL, *code = NULL, *agent_jwks_url = NULL;
    aa_approval_t *approval = NULL;
    apr_array_header_t *grants = NULL;
    aa_host_t *host = NULL;
    aa_agent_t *agent = NULL;
    aa_jwk_t *host_key, *key;
    aa_json_t *body;
    aa_jwt_t *jwt;
    aa_db_t *db;
    aa_err_e changed = AA_ERR_NONE;
    apr_status_t rv;
    int status;

    if ((status = aa_read_json_body(r, &body)) != OK
        || (status = parse_request(r, body, &req)) != OK)
        return status;
    if ((status = aa_authn_host(r, 1, &host, &jwt, &host_key)) != OK
        || (status = agent_key(r, jwt, &key, &agent_jwks_url)) != OK)
        return status;
    if (strcmp(key->thumbprint, host_key->thumbprint) == 0)
        return aa_reply_error(r, AA_ERR_INVALID_PUBLIC_KEY,
                              "The agent key must not be the host key");
    if (host && strcmp(host->status, AA_ST_ACTIVE) != 0
        && strcmp(host->status, AA_ST_PENDING) != 0)
        return refuse_host(r, host, key);
    if (host && *host->user_id && strcmp(req.mode, AA_MODE_AUTONOMOUS) == 0)
        return aa_reply_error(r, AA_ERR_UNSUPPORTED_MODE,
                              "Autonomous agents cannot register under a host linked to a "
                              "user; register a delegated agent");

    db = aa_dbd_acquire(r);
    if (!db)
        return aa_reply_error(r, AA_ERR_TEMPORARILY_UNAVAILABLE, NULL);
    rv = ensure_host(r, db, &host, jwt, host_key, &req, &errstr);
    if (rv == APR_SUCCESS)
        rv = aa_store_begin(r->pool, db, &errstr);
    /* Decide on the host as it is now, its row locked against a concurrent
     * link, unlink or revocation (§2.9, §2.10). */
    if (rv == APR_SUCCESS && (rv = aa_store_host_lock(r->pool, db, host->id, &host, &errstr))
                                 == APR_SUCCESS
        && (changed = host_refuses(host, req.mode)) != AA_ERR_NONE)
        rv = APR_EINVAL;
    if (rv == APR_SUCCESS) {
        rv = aa_store_agent_find_key(r->pool, db, host->id, key->thumbprint, &agent, &errstr);
        if (rv == APR_SUCCESS && strcmp(agent->status, AA_ST_PENDING) != 0)
            rv = APR_EEXIST;
        else if (rv == APR_SUCCESS)
            rv = retry_pending(r, db, host, agent, &req, &grants, &approval, &code, &errstr);
        else if (rv == APR_NOTFOUND)
            rv = create_agent(r, db, host, key, agent_jwks_url, &req, &agent, &grants,
                              &approval, &code, &errstr);
    }
    if (aa_store_end(r->pool, db, rv == APR_SUCCESS, &errstr) != APR_SUCCESS
        && rv == APR_SUCCESS)
        rv = APR_EGENERAL;
    if (changed != AA_ERR_NONE)
        return aa_reply_error(r, changed, NULL);
    /* A concurrent registration of the same key won the unique index. */
    if (rv != APR_SUCCESS && rv != APR_EEXIST && host
        && aa_store_agent_find_key(r->pool, db, host->id, key->thumbprint, &agent,
                                   &(const char *){ NULL }) == APR_SUCCESS)
        rv = APR_EEXIST;
    if (rv == APR_EEXIST)
        return aa_reply_error(r, AA_ERR_AGENT_EXISTS, NULL);
    if (rv != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r, AALOGNO(00018)
                      "registration under host %s failed: %s", jwt->iss, errstr);
        return aa_reply_error(r, AA_ERR_TEMPORARILY_UNAVAILABLE, NULL);
    }
    /* The token's jti now also belongs to a known host: remember it there.
     * Already accepted once, it cannot be refused now; the result is moot. */
    (void)aa_replay_check(r, apr_pstrcat(r->pool, "host:", host->id, NULL), jwt->jti,
                    jwt->exp + aa_srv_conf(r->server)->clock_skew, 1);
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, AALOGNO(00019)
                  "agent %s (%s) registered under host %s: %s", agent->id, agent->mode,
                  host->id, agent->status);
    aa_approval_announce(r, approval, agent, host);
    return reply_registered(r, agent, grants, approval, code);
}
