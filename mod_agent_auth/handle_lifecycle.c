/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The lifecycle endpoints: request-capability (§5.4), reactivate (§5.6),
 * revoke (§5.7), rotate-key (§5.8), host rotate-key (§5.9), host revoke
 * (§5.10) and introspect (§5.12). Every state change is one transaction.
 */
#include "aa_module.h"

#include "http_log.h"
#include "http_protocol.h"

#include "apr_strings.h"

#include "core/aa_constraints.h"
#include "core/aa_crypto.h"
#include "core/aa_time.h"

APLOG_USE_MODULE(agent_auth);

/* Host JWT, then the body's agent_id, which must be one of the host's. */
static int owned_agent(request_rec *r, int allow_hosts, aa_host_t **host,
                       aa_json_t **body, aa_db_t **db, aa_agent_t **agent)
{
    const char *agent_id, *errstr = NULL;
    aa_jwt_t *jwt;
    apr_status_t rv;
    int status;

    if ((status = aa_read_json_body(r, body)) != OK
        || (status = aa_authn_host(r, 0, host, &jwt, NULL)) != OK
        || (status = aa_host_usable(r, *host, allow_hosts)) != OK)
        return status;
    if (aa_json_get_str(*body, "agent_id", &agent_id) != APR_SUCCESS || !*agent_id)
        return aa_reply_error(r, AA_ERR_INVALID_REQUEST, "agent_id must be a string");
    *db = aa_dbd_acquire(r);
    if (!*db)
        return aa_reply_error(r, AA_ERR_TEMPORARILY_UNAVAILABLE, NULL);
    rv = aa_store_agent_get(r->pool, *db, agent_id, agent, &errstr);
    if (rv == APR_NOTFOUND)
        return aa_reply_error(r, AA_ERR_AGENT_NOT_FOUND, NULL);
    if (rv != APR_SUCCESS)
        return aa_reply_db_error(r, errstr);
    if (strcmp((*agent)->host_id, (*host)->id) != 0)
        return aa_reply_error(r, AA_ERR_UNAUTHORIZED_OPERATION,
                              "The agent is not registered under this host");
    return OK;
}

/* Defaults apply at once only where a human already vouched for the host. */
static int host_auto_approves(const aa_host_t *host, const aa_agent_t *agent)
{
    if (strcmp(host->status, AA_ST_ACTIVE) != 0)
        return 0;
    return strcmp(agent->mode, AA_MODE_DELEGATED) == 0 ? *host->user_id != '\0' : 1;
}

/*
 * §5.6 step 4: reactivation grants the defaults at once only under a linked
 * host. An autonomous agent's host is never linked, so a person (or an
 * administrator with aactl) approves each of its reactivations.
 */
static int reactivation_auto_approves(const aa_host_t *host)
{
    return strcmp(host->status, AA_ST_ACTIVE) == 0 && *host->user_id != '\0';
}

static int finish_txn(request_rec *r, aa_db_t *db, apr_status_t rv, const char *errstr)
{
    const char *end_err = NULL;

    if (aa_store_end(r->pool, db, rv == APR_SUCCESS, &end_err) != APR_SUCCESS
        && rv == APR_SUCCESS) {
        rv = APR_EGENERAL;
        errstr = end_err;
    }
    if (rv == AA_ECONFLICT)
        return aa_reply_error(r, AA_ERR_CONFLICT, errstr);
    if (rv != APR_SUCCESS)
        return aa_reply_db_error(r, errstr);
    return OK;
}

/* --- request-capability ------------------------------------------------- */

/* Is capability already held, actively and at least as widely? */
static int already_active(request_rec *r, apr_array_header_t *grants, const char *name,
                          const char *constraints)
{
    aa_json_t *wanted = aa_parse_stored(r, constraints);
    apr_int64_t now = aa_now();
    int i;

    for (i = 0; i < grants->nelts; i++) {
        const aa_grant_t *g = APR_ARRAY_IDX(grants, i, const aa_grant_t *);

        if (strcmp(g->capability, name) != 0 || strcmp(g->status, AA_ST_ACTIVE) != 0
            || (g->expires_at && g->expires_at <= now))
            continue;
        if (aa_constraints_cover(aa_parse_stored(r, g->constraints), wanted))
            return 1;
    }
    return 0;
}

/*
 * Was capability ever decided for this agent (granted, denied, revoked)?
 * A default is then no longer automatic: auto-granting it again would undo
 * a human's denial or an administrator's revocation, or widen constraints
 * that someone approved (§2.13).
 */
static int decided_before(apr_array_header_t *grants, const char *name)
{
    int i;

    for (i = 0; i < grants->nelts; i++) {
        const aa_grant_t *g = APR_ARRAY_IDX(grants, i, const aa_grant_t *);

        if (strcmp(g->capability, name) == 0 && strcmp(g->status, AA_ST_PENDING) != 0)
            return 1;
    }
    return 0;
}

static aa_grant_t *pending_twin(apr_array_header_t *grants, const char *name,
                                const char *constraints)
{
    int i;

    for (i = 0; i < grants->nelts; i++) {
        aa_grant_t *g = APR_ARRAY_IDX(grants, i, aa_grant_t *);

        if (strcmp(g->status, AA_ST_PENDING) == 0 && strcmp(g->capability, name) == 0
            && strcmp(g->constraints, constraints) == 0)
            return g;
    }
    return NULL;
}

/*
 * A new request for a capability replaces the agent's older pending
 * requests for it: only one scope per capability waits for approval, so an
 * approval can never carry an older, wider scope along with the one shown.
 */
static apr_status_t replace_pending(request_rec *r, aa_db_t *db, apr_array_header_t *existing,
                                    const aa_grant_t *fresh, const char **errstr)
{
    apr_status_t rv = APR_SUCCESS;
    int i;

    for (i = 0; rv == APR_SUCCESS && i < existing->nelts; i++) {
        aa_grant_t *g = APR_ARRAY_IDX(existing, i, aa_grant_t *);

        if (g == fresh || strcmp(g->status, AA_ST_PENDING) != 0
            || strcmp(g->capability, fresh->capability) != 0)
            continue;
        g->status = AA_ST_REVOKED;
        g->reason = "replaced by a newer request";
        rv = aa_store_grant_set_status(r->pool, db, g, AA_ST_PENDING, aa_now(), errstr);
        if (rv == APR_NOTFOUND)
            rv = APR_SUCCESS; /* resolved meanwhile */
    }
    return rv;
}

static aa_grant_t *new_grant(request_rec *r, const aa_agent_t *agent, const char *name,
                             const char *constraints, int active, const char *granted_by,
                             const char *reason)
{
    aa_grant_t *g = apr_pcalloc(r->pool, sizeof(*g));

    g->id = aa_random_id(r->pool, "grt_", 16);
    g->agent_id = agent->id;
    g->capability = name;
    g->status = active ? AA_ST_ACTIVE : AA_ST_PENDING;
    g->constraints = constraints;
    g->granted_by = active ? granted_by : "";
    g->denied_by = "";
    g->reason = reason ? reason : "";
    g->created_at = g->updated_at = aa_now();
    return g;
}

int aa_handle_request_capability(request_rec *r)
{
    const aa_srv_conf_t *conf = aa_srv_conf(r->server);
    aa_req_t *req = aa_req(r);
    apr_array_header_t *names, *constraints, *existing, *fresh, *defaults;
    const char *reason = NULL, *errstr = NULL, *code = NULL;
    aa_host_t *host = NULL;
    aa_approval_t *approval = NULL;
    aa_json_t *body, *list, *doc;
    aa_approval_hints_t hints;
    aa_approval_policy_t policy;
    apr_status_t rv;
    aa_db_t *db;
    int i, status, auto_ok, npending = 0;

    if (!req->agent && (status = aa_authn_agent(r, conf->issuer)) != OK)
        return status;
    if ((status = aa_read_json_body(r, &body)) != OK)
        return status;
    if (aa_json_get_arr(body, "capabilities", &list) != APR_SUCCESS || aa_json_len(list) == 0)
        return aa_reply_error(r, AA_ERR_INVALID_REQUEST,
                              "capabilities must be a non-empty array");
    if (aa_json_get_str(body, "reason", &reason) == APR_EINVAL)
        return aa_reply_error(r, AA_ERR_INVALID_REQUEST, "reason must be a string");
    if ((status = aa_approval_hints(r, body, &hints)) != OK)
        return status;
    if ((status = aa_parse_capability_list(r, list, &names, &constraints)) != OK)
        return status;

    db = aa_dbd_acquire(r);
    if (!db)
        return aa_reply_error(r, AA_ERR_TEMPORARILY_UNAVAILABLE, NULL);
    /* The host row locked, grants and host read afresh: concurrent requests
     * of its agents, and a link or unlink, wait for this one. */
    rv = aa_store_begin(r->pool, db, &errstr);
    if (rv == APR_SUCCESS)
        rv = aa_store_host_lock(r->pool, db, req->host->id, &host, &errstr);
    if (rv == APR_SUCCESS)
        rv = aa_store_grant_list(r->pool, db, req->agent->id, &existing, &errstr);
    if (rv != APR_SUCCESS)
        return finish_txn(r, db, rv, errstr);

    defaults = aa_host_defaults(r, host);
    auto_ok = host_auto_approves(host, req->agent);
    fresh = apr_array_make(r->pool, names->nelts, sizeof(aa_grant_t *));
    for (i = 0; i < names->nelts; i++) {
        const char *name = APR_ARRAY_IDX(names, i, const char *);
        const char *c = APR_ARRAY_IDX(constraints, i, const char *);
        int active = auto_ok && aa_caps_listed(defaults, name) && !decided_before(existing, name);
        aa_grant_t *g;

        if (already_active(r, existing, name, c))
            continue;
        /* Asked again while still pending: the same grant, not a second one. */
        if ((g = pending_twin(existing, name, c))) {
            APR_ARRAY_PUSH(fresh, aa_grant_t *) = g;
            npending++;
            continue;
        }
        g = new_grant(r, req->agent, name, c, active, host->user_id, reason);
        APR_ARRAY_PUSH(fresh, aa_grant_t *) = g;
        npending += !active;
    }
    if (fresh->nelts == 0) {
        aa_store_end(r->pool, db, 0, &errstr);
        return aa_reply_error(r, AA_ERR_ALREADY_GRANTED, NULL);
    }

    for (i = 0; rv == APR_SUCCESS && i < fresh->nelts; i++) {
        aa_grant_t *g = APR_ARRAY_IDX(fresh, i, aa_grant_t *);

        if (pending_twin(existing, g->capability, g->constraints))
            continue;
        rv = replace_pending(r, db, existing, g, &errstr);
        if (rv == APR_SUCCESS)
            rv = aa_store_grant_insert(r->pool, db, g, &errstr);
    }
    aa_approval_choose(r, host, req->agent, &hints, &policy);
    if (rv == APR_SUCCESS && npending)
        rv = aa_ops_approval_open(r->pool, db, req->agent, "capability", &policy, aa_now(),
                                  &approval, &code, &errstr);
    if ((status = finish_txn(r, db, rv, errstr)) != OK)
        return status;

    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, AALOGNO(00032)
                  "agent %s requested %d capabilities, %d awaiting approval", req->agent->id,
                  fresh->nelts, npending);
    aa_approval_announce(r, approval, req->agent, host);
    doc = aa_json_object(r->pool);
    aa_json_set_str(r->pool, doc, "agent_id", req->agent->id);
    aa_json_set(doc, "agent_capability_grants", aa_grants_json(r, fresh));
    if (approval)
        aa_json_set(doc, "approval", aa_approval_json(r, approval, code));
    return aa_reply_json(r, HTTP_OK, doc);
}

/* --- reactivate --------------------------------------------------------- */

int aa_handle_reactivate(request_rec *r)
{
    const aa_srv_conf_t *conf = aa_srv_conf(r->server);
    const char *errstr = NULL, *code = NULL;
    aa_approval_t *approval = NULL;
    apr_array_header_t *grants;
    aa_approval_hints_t hints;
    aa_approval_policy_t policy;
    aa_lifetimes_t lt;
    aa_clock_e state;
    aa_host_t *host;
    aa_agent_t *agent;
    aa_json_t *body, *doc;
    aa_db_t *db;
    apr_status_t rv;
    int status;

    /* Under a rejected host, the answer is the agent's own state. */
    if ((status = owned_agent(r, AA_HOST_REJECTED_OK, &host, &body, &db, &agent)) != OK
        || (status = aa_approval_hints(r, body, &hints)) != OK)
        return status;
    aa_lifetimes(conf, &lt);
    rv = aa_ops_apply_clock(r->pool, db, agent, &lt, aa_now(), &state, &errstr);
    if (rv != APR_SUCCESS)
        return aa_reply_db_error(r, errstr);
    /* The absolute clock is never reset: past it, only a new agent helps. */
    if (state == AA_CLOCK_DEAD)
        return aa_reply_error(r, AA_ERR_ABSOLUTE_LIFETIME_EXCEEDED, NULL);

    if (strcmp(agent->status, AA_ST_EXPIRED) == 0) {
        aa_approval_choose(r, host, agent, &hints, &policy);
        rv = aa_store_begin(r->pool, db, &errstr);
        if (rv == APR_SUCCESS)
            rv = aa_store_host_lock(r->pool, db, host->id, &host, &errstr);
        if (rv == APR_SUCCESS)
            rv = aa_ops_reactivate(r->pool, db, agent, aa_host_defaults(r, host),
                                   reactivation_auto_approves(host), &lt, &policy, aa_now(),
                                   &approval, &code, &errstr);
        if ((status = finish_txn(r, db, rv, errstr)) != OK)
            return status;
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, AALOGNO(00033)
                      "agent %s reactivated: %s", agent->id, agent->status);
        aa_approval_announce(r, approval, agent, host);
    }
    else if (strcmp(agent->status, AA_ST_ACTIVE) != 0) {
        return aa_reply_error(r, aa_agent_status_error(agent->status), NULL);
    }

    if (aa_store_grant_list(r->pool, db, agent->id, &grants, &errstr) != APR_SUCCESS)
        return aa_reply_db_error(r, errstr);
    doc = aa_agent_status_json(r, agent, grants);
    if (approval)
        aa_json_set(doc, "approval", aa_approval_json(r, approval, code));
    return aa_reply_json(r, HTTP_OK, doc);
}

/* --- revoke --------------------------------------------------------------- */

int aa_handle_revoke(request_rec *r)
{
    const char *errstr = NULL;
    aa_host_t *host;
    aa_agent_t *agent;
    aa_json_t *body, *doc;
    aa_db_t *db;
    apr_status_t rv;
    int status;

    if ((status = owned_agent(r, 0, &host, &body, &db, &agent)) != OK)
        return status;
    rv = aa_ops_agent_revoke(r->pool, db, agent->id, aa_now(), &errstr);
    /* Revoking twice is no error: the agent is revoked either way. */
    if (rv != APR_SUCCESS && rv != AA_ECONFLICT)
        return aa_reply_db_error(r, errstr);
    if (rv == APR_SUCCESS)
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, AALOGNO(00034)
                      "agent %s revoked by its host %s", agent->id, host->id);
    doc = aa_json_object(r->pool);
    aa_json_set_str(r->pool, doc, "agent_id", agent->id);
    aa_json_set_str(r->pool, doc, "status", AA_ST_REVOKED);
    return aa_reply_json(r, HTTP_OK, doc);
}

int aa_handle_host_revoke(request_rec *r)
{
    const char *errstr = NULL;
    aa_host_t *host;
    aa_jwt_t *jwt;
    aa_json_t *doc;
    aa_db_t *db;
    apr_status_t rv;
    int status, revoked = 0;

    /* A key that proves itself but names no host: §5.13 host_not_found. */
    if ((status = aa_authn_host(r, 1, &host, &jwt, NULL)) != OK)
        return status;
    if (!host)
        return aa_reply_error(r, AA_ERR_HOST_NOT_FOUND, NULL);
    /* §4.5.1: a pending host may only register (and poll its status). */
    if ((status = aa_host_usable(r, host, 0)) != OK)
        return status;
    db = aa_dbd_acquire(r);
    if (!db)
        return aa_reply_error(r, AA_ERR_TEMPORARILY_UNAVAILABLE, NULL);
    rv = aa_ops_host_revoke(r->pool, db, host->id, aa_now(), &revoked, &errstr);
    if (rv == AA_ECONFLICT)
        return aa_reply_error(r, AA_ERR_HOST_REVOKED, NULL);
    if (rv != APR_SUCCESS)
        return aa_reply_db_error(r, errstr);
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, AALOGNO(00035)
                  "host %s revoked itself and %d agents", host->id, revoked);
    doc = aa_json_object(r->pool);
    aa_json_set_str(r->pool, doc, "host_id", host->id);
    aa_json_set_str(r->pool, doc, "status", AA_ST_REVOKED);
    aa_json_set_int(r->pool, doc, "agents_revoked", revoked);
    return aa_reply_json(r, HTTP_OK, doc);
}

/* --- key rotation ----------------------------------------------------------- */

static int new_public_key(request_rec *r, const aa_json_t *body, aa_jwk_t **key)
{
    const char *errstr = NULL;
    aa_json_t *jwk;
    apr_status_t rv;

    if (aa_json_get_obj(body, "public_key", &jwk) != APR_SUCCESS)
        return aa_reply_error(r, AA_ERR_INVALID_REQUEST, "public_key must be a JWK object");
    rv = aa_jwk_parse(r->pool, jwk, key, &errstr);
    if (rv == APR_ENOTIMPL)
        return aa_reply_error(r, AA_ERR_UNSUPPORTED_ALGORITHM, errstr);
    if (rv != APR_SUCCESS)
        return aa_reply_error(r, AA_ERR_INVALID_PUBLIC_KEY, errstr);
    return OK;
}

int aa_handle_rotate_key(request_rec *r)
{
    const char *errstr = NULL;
    aa_host_t *host;
    aa_agent_t *agent, *other;
    aa_jwk_t *key;
    aa_json_t *body, *doc;
    aa_db_t *db;
    apr_status_t rv;
    int status;

    if ((status = owned_agent(r, 0, &host, &body, &db, &agent)) != OK
        || (status = new_public_key(r, body, &key)) != OK)
        return status;
    if (strcmp(agent->status, AA_ST_ACTIVE) != 0 && strcmp(agent->status, AA_ST_EXPIRED) != 0
        && strcmp(agent->status, AA_ST_PENDING) != 0)
        return aa_reply_error(r, aa_agent_status_error(agent->status), NULL);
    if (*agent->jwks_url)
        return aa_reply_error(r, AA_ERR_INVALID_REQUEST,
                              "JWKS agents rotate by publishing a new key at their JWKS URL");
    if (strcmp(key->thumbprint, host->key_thumbprint) == 0)
        return aa_reply_error(r, AA_ERR_INVALID_PUBLIC_KEY,
                              "The agent key must not be the host key");
    rv = aa_store_agent_find_key(r->pool, db, host->id, key->thumbprint, &other, &errstr);
    if (rv == APR_SUCCESS)
        return aa_reply_error(r, AA_ERR_AGENT_EXISTS,
                              "An agent of this host already uses that key");
    if (rv != APR_NOTFOUND)
        return aa_reply_db_error(r, errstr);
    rv = aa_store_agent_update_key(r->pool, db, agent->id, aa_jwk_canonical(r->pool, key),
                                   key->thumbprint, key->kid ? key->kid : "", aa_now(),
                                   &errstr);
    if (rv != APR_SUCCESS)
        return aa_reply_db_error(r, errstr);
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, AALOGNO(00036)
                  "agent %s rotated its key to %s", agent->id, key->thumbprint);
    doc = aa_json_object(r->pool);
    aa_json_set_str(r->pool, doc, "agent_id", agent->id);
    aa_json_set_str(r->pool, doc, "status", agent->status);
    return aa_reply_json(r, HTTP_OK, doc);
}

int aa_handle_host_rotate_key(request_rec *r)
{
    const char *errstr = NULL;
    aa_host_t *host, *other;
    aa_jwk_t *key;
    aa_jwt_t *jwt;
    aa_json_t *body, *doc;
    aa_db_t *db;
    apr_status_t rv;
    int status;

    if ((status = aa_read_json_body(r, &body)) != OK
        || (status = aa_authn_host(r, 0, &host, &jwt, NULL)) != OK
        || (status = aa_host_usable(r, host, 0)) != OK
        || (status = new_public_key(r, body, &key)) != OK)
        return status;
    if (*host->jwks_url)
        return aa_reply_error(r, AA_ERR_INVALID_REQUEST,
                              "JWKS hosts rotate by publishing a new key at their JWKS URL");
    db = aa_dbd_acquire(r);
    if (!db)
        return aa_reply_error(r, AA_ERR_TEMPORARILY_UNAVAILABLE, NULL);
    rv = aa_store_host_find_iss(r->pool, db, key->thumbprint, &other, &errstr);
    if (rv == APR_SUCCESS)
        return aa_reply_error(r, AA_ERR_INVALID_PUBLIC_KEY,
                              "That key already identifies a host");
    if (rv != APR_NOTFOUND)
        return aa_reply_db_error(r, errstr);
    rv = aa_store_host_update_key(r->pool, db, host->id, host->key_thumbprint,
                                  aa_jwk_canonical(r->pool, key), key->thumbprint,
                                  key->kid ? key->kid : "", aa_now(), &errstr);
    if (rv == APR_NOTFOUND)
        return aa_reply_error(r, AA_ERR_CONFLICT, "The host key changed meanwhile");
    if (rv != APR_SUCCESS)
        return aa_reply_db_error(r, errstr);
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, AALOGNO(00037)
                  "host %s rotated its key to %s", host->id, key->thumbprint);
    doc = aa_json_object(r->pool);
    aa_json_set_str(r->pool, doc, "host_id", host->id);
    aa_json_set_str(r->pool, doc, "status", host->status);
    return aa_reply_json(r, HTTP_OK, doc);
}

/* --- introspect ----------------------------------------------------------- */

static int caller_is_trusted(request_rec *r, const aa_srv_conf_t *conf)
{
    const char *given = aa_bearer_token(r);
    apr_size_t len = strlen(conf->introspection_secret);

    return given && strlen(given) == len
           && aa_memcmp_const(given, conf->introspection_secret, len) == 0;
}

static const char *const *introspect_audiences(request_rec *r, const aa_srv_conf_t *conf,
                                               int *n)
{
    const char **aud = apr_palloc(r->pool, sizeof(char *) * (conf->caps->list->nelts + 2));
    int i;

    aud[0] = conf->issuer;
    aud[1] = aa_default_location(r->pool, conf);
    *n = 2;
    /* A resource server at a capability's own location introspects its tokens. */
    for (i = 0; i < conf->caps->list->nelts; i++) {
        const aa_cap_t *cap = APR_ARRAY_IDX(conf->caps->list, i, const aa_cap_t *);

        if (cap->location)
            aud[(*n)++] = cap->location;
    }
    return aud;
}

static int reply_inactive(request_rec *r)
{
    aa_json_t *doc = aa_json_object(r->pool);

    aa_json_set_bool(r->pool, doc, "active", 0);
    return aa_reply_json(r, HTTP_OK, doc);
}

static aa_json_t *compact_grants(request_rec *r, const aa_jwt_t *jwt,
                                 apr_array_header_t *grants)
{
    aa_json_t *list = aa_json_array(r->pool), *only = NULL;
    apr_int64_t now = aa_now();
    int i;

    if (aa_json_get_arr(jwt->claims, "capabilities", &only) != APR_SUCCESS)
        only = NULL;
    for (i = 0; i < grants->nelts; i++) {
        const aa_grant_t *g = APR_ARRAY_IDX(grants, i, const aa_grant_t *);
        aa_json_t *obj;
        apr_size_t j;
        int listed = !only;

        if (strcmp(g->status, AA_ST_ACTIVE) != 0 || (g->expires_at && g->expires_at <= now))
            continue;
        for (j = 0; only && j < aa_json_len(only); j++) {
            const char *name = aa_json_str(aa_json_at(only, j));

            listed |= name && strcmp(name, g->capability) == 0;
        }
        if (!listed)
            continue;
        obj = aa_json_object(r->pool);
        aa_json_set_str(r->pool, obj, "capability", g->capability);
        aa_json_set_str(r->pool, obj, "status", g->status);
        aa_json_append(list, obj);
    }
    return list;
}

int aa_handle_introspect(request_rec *r)
{
    const aa_srv_conf_t *conf = aa_srv_conf(r->server);
    const char *token, *message = NULL, *errstr = NULL;
    const char *const *audiences;
    apr_array_header_t *grants;
    aa_agent_t *agent;
    aa_host_t *host;
    aa_jwt_t *jwt;
    aa_json_t *body, *doc;
    aa_db_t *db;
    aa_err_e err;
    int status, naud;

    if (!caller_is_trusted(r, conf))
        return aa_reply_error(r, AA_ERR_UNAUTHORIZED,
                              "Introspection needs the server-to-server credential");
    if ((status = aa_read_json_body(r, &body)) != OK)
        return status;
    if (aa_json_get_str(body, "token", &token) != APR_SUCCESS || !*token)
        return aa_reply_error(r, AA_ERR_INVALID_REQUEST, "token must be a string");

    audiences = introspect_audiences(r, conf, &naud);
    err = aa_verify_agent_token(r, token, audiences, naud, &jwt, &agent, &host, &message);
    if (err == AA_ERR_TEMPORARILY_UNAVAILABLE)
        return aa_reply_error(r, err, NULL);
    if (err != AA_ERR_NONE)
        return reply_inactive(r);
    /* Same jti scope as the API: a token is good for one use anywhere. */
    if (aa_replay_check(r, apr_pstrcat(r->pool, "agent:", agent->id, NULL), jwt->jti,
                        jwt->exp + conf->clock_skew, 1) != APR_SUCCESS)
        return reply_inactive(r);

    db = aa_dbd_acquire(r);
    if (!db || aa_store_grant_list(r->pool, db, agent->id, &grants, &errstr) != APR_SUCCESS)
        return aa_reply_db_error(r, errstr);
    doc = aa_json_object(r->pool);
    aa_json_set_bool(r->pool, doc, "active", 1);
    aa_json_set_str(r->pool, doc, "agent_id", agent->id);
    aa_json_set_str(r->pool, doc, "host_id", agent->host_id);
    if (*agent->user_id)
        aa_json_set_str(r->pool, doc, "user_id", agent->user_id);
    aa_json_set(doc, "agent_capability_grants", compact_grants(r, jwt, grants));
    aa_json_set_str(r->pool, doc, "mode", agent->mode);
    if (agent->expires_at)
        aa_json_set_str(r->pool, doc, "expires_at", aa_iso8601(r->pool, agent->expires_at));
    return aa_reply_json(r, HTTP_OK, doc);
}
