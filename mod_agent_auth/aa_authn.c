/* SPDX-License-Identifier: Apache-2.0 */
/*
 * aa_authn: who is calling. Agent JWTs are verified in check_authn, so the
 * same code protects the protocol's execute endpoint and any <Location> with
 * "AuthType AgentAuth". Host JWTs only ever reach the protocol endpoints,
 * whose handlers call aa_authn_host().
 */
#include "aa_module.h"

#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"

#include "apr_lib.h"
#include "apr_strings.h"

#include "core/aa_netfilter.h"
#include "core/aa_time.h"

APLOG_USE_MODULE(agent_auth);

const char *aa_bearer_token(request_rec *r)
{
    const char *auth = apr_table_get(r->headers_in, "Authorization");

    if (!auth || strncasecmp(auth, "Bearer", 6) != 0 || (auth[6] != ' ' && auth[6] != '\t'))
        return NULL;
    auth += 6;
    while (*auth == ' ' || *auth == '\t')
        auth++;
    return *auth ? auth : NULL;
}

/* Peek at the unverified header typ, only to choose which check to run. */
static const char *peek_typ(request_rec *r, const char *token)
{
    const char *dot = ap_strchr_c(token, '.');
    unsigned char *raw;
    apr_size_t rawlen;
    aa_json_t *header;
    const char *typ = NULL, *err;

    if (!dot || dot - token > 2048)
        return NULL;
    if (aa_b64url_decode(r->pool, token, dot - token, &raw, &rawlen) != APR_SUCCESS)
        return NULL;
    if (aa_json_parse(r->pool, (const char *)raw, rawlen, 0, &header, &err) != APR_SUCCESS)
        return NULL;
    if (aa_json_get_str(header, "typ", &typ) != APR_SUCCESS)
        return NULL;
    return typ;
}

static int is_agent_auth_area(request_rec *r)
{
    const char *type = ap_auth_type(r);

    return type && strcasecmp(type, AA_AUTH_TYPE) == 0;
}

int aa_force_authn(request_rec *r)
{
    aa_endpoint_e ep = aa_route(r);
    const char *token;

    /* These need an agent: a missing token must end in a 401 there. */
    if (ep == AA_EP_CAP_EXECUTE || ep == AA_EP_REQUEST_CAPABILITY)
        return OK;
    if (ep == AA_EP_NONE)
        return DECLINED;
    /* Elsewhere an agent JWT is optional; verify it only when present. */
    token = aa_bearer_token(r);
    if (token && (ep == AA_EP_CAP_LIST || ep == AA_EP_CAP_DESCRIBE)) {
        const char *typ = peek_typ(r, token);

        if (typ && strcmp(typ, AA_JWT_TYP_AGENT) == 0)
            return OK;
    }
    return DECLINED;
}

static const char *expected_audience(request_rec *r, const aa_srv_conf_t *conf,
                                     aa_endpoint_e ep)
{
    const aa_dir_conf_t *dconf = ap_get_module_config(r->per_dir_config, &agent_auth_module);

    if (ep == AA_EP_CAP_EXECUTE)
        return aa_default_location(r->pool, conf);
    if (ep == AA_EP_NONE && dconf && dconf->audience)
        return dconf->audience;
    return conf->issuer;
}

static void export_identity(request_rec *r, const aa_agent_t *agent);

int aa_check_authn(request_rec *r)
{
    const aa_srv_conf_t *conf = aa_srv_conf(r->server);
    aa_endpoint_e ep = aa_route(r);

    if (ep == AA_EP_NONE && !is_agent_auth_area(r))
        return DECLINED;
    if (!conf->issuer) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, AALOGNO(00009)
                      "AuthType AgentAuth used in a server without AgentAuthIssuer");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    if (aa_req(r)->agent) {
        r->user = (char *)aa_req(r)->agent->id;
        return OK;
    }
    /* A subrequest (a backend, mod_dir, SSI) acts for the main request's
     * agent: the token was used once already, and a reply written here
     * would land in the main response. */
    if (r->main) {
        aa_req_t *main_req = ap_get_module_config(r->main->request_config,
                                                  &agent_auth_module);

        if (!main_req || !main_req->agent)
            return HTTP_UNAUTHORIZED;
        aa_req(r)->jwt = main_req->jwt;
        aa_req(r)->agent = main_req->agent;
        aa_req(r)->host = main_req->host;
        export_identity(r, main_req->agent);
        return OK;
    }
    return aa_authn_agent(r, expected_audience(r, conf, ep));
}

static void log_rejection(request_rec *r, const aa_jwt_t *jwt, const char *why)
{
    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, AALOGNO(00010)
                  "rejected JWT (jti %.64s, sub %.64s) from %s: %s", aa_jwt_log_id(jwt),
                  jwt && jwt->sub ? jwt->sub : "-", r->useragent_ip, why);
}

aa_err_e aa_agent_status_error(const char *status)
{
    if (strcmp(status, AA_ST_PENDING) == 0)
        return AA_ERR_AGENT_PENDING;
    if (strcmp(status, AA_ST_EXPIRED) == 0)
        return AA_ERR_AGENT_EXPIRED;
    if (strcmp(status, AA_ST_REJECTED) == 0)
        return AA_ERR_AGENT_REJECTED;
    if (strcmp(status, AA_ST_CLAIMED) == 0)
        return AA_ERR_AGENT_CLAIMED;
    return AA_ERR_AGENT_REVOKED;
}

static aa_err_e host_status_error(const char *status)
{
    if (strcmp(status, AA_ST_PENDING) == 0)
        return AA_ERR_HOST_PENDING;
    if (strcmp(status, AA_ST_REJECTED) == 0)
        return AA_ERR_HOST_REJECTED;
    return AA_ERR_HOST_REVOKED;
}

static apr_status_t check_claims(request_rec *r, const aa_jwt_t *jwt, const char *typ,
                                 const char *const *audiences, int naudiences,
                                 const char **errstr)
{
    const aa_srv_conf_t *conf = aa_srv_conf(r->server);
    aa_jwt_policy_t policy;

    policy.typ = typ;
    policy.audiences = audiences;
    policy.naudiences = naudiences;
    policy.skew = conf->clock_skew;
    policy.max_lifetime = conf->jwt_max_lifetime;
    if (aa_jwt_check_claims(jwt, &policy, aa_now(), errstr) == APR_SUCCESS)
        return APR_SUCCESS;
    /* The expected audience is public (discovery); saying it saves a debugging round. */
    if (strstr(*errstr, " aud "))
        *errstr = apr_psprintf(r->pool, "%s; expected %s", *errstr, audiences[0]);
    return APR_EINVAL;
}

/* Parse and check claims; on failure the 401 is already written. */
static int parse_checked(request_rec *r, const char *typ, const char *audience, aa_jwt_t **out)
{
    const char *token = aa_bearer_token(r);
    const char *errstr = NULL;
    const char *audiences[1];

    *out = NULL;
    if (!token)
        return aa_reply_error(r, AA_ERR_UNAUTHORIZED,
                              apr_psprintf(r->pool, "A %s bearer token is required", typ));
    if (aa_jwt_parse(r->pool, token, out, &errstr) != APR_SUCCESS) {
        log_rejection(r, NULL, errstr);
        return aa_reply_error(r, AA_ERR_INVALID_JWT, errstr);
    }
    audiences[0] = audience;
    if (check_claims(r, *out, typ, audiences, 1, &errstr) != APR_SUCCESS) {
        log_rejection(r, *out, errstr);
        return aa_reply_error(r, AA_ERR_INVALID_JWT, errstr);
    }
    return OK;
}

static int check_replay(request_rec *r, const char *scope, const aa_jwt_t *jwt, int known)
{
    const aa_srv_conf_t *conf = aa_srv_conf(r->server);
    apr_status_t rv = aa_replay_check(r, scope, jwt->jti, jwt->exp + conf->clock_skew, known);

    if (rv == APR_EEXIST) {
        log_rejection(r, jwt, "jti already used");
        return aa_reply_error(r, AA_ERR_JTI_REPLAY, NULL);
    }
    if (rv != APR_SUCCESS) {
        /* Fail closed: without the cache a replay could not be told apart. */
        ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r, AALOGNO(00011)
                      "replay cache unavailable; refusing the request");
        return aa_reply_error(r, AA_ERR_TEMPORARILY_UNAVAILABLE, NULL);
    }
    return OK;
}

int aa_jwks_url_acceptable(request_rec *r, const char *url, const char *what, aa_err_e err)
{
    const aa_srv_conf_t *conf = aa_srv_conf(r->server);
    const char *errstr = NULL;
    aa_net_url_t parsed;

    /* Say why a URL can never be fetched, rather than "key not found". */
    if (aa_net_check_url(r->pool, url, conf->jwks_allow_loopback == 1, &parsed, &errstr)
        == APR_SUCCESS)
        return 1;
    aa_reply_error(r, err, apr_psprintf(r->pool, "%s cannot be used: %s", what, errstr));
    return 0;
}

int aa_reply_db_error(request_rec *r, const char *errstr)
{
    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, AALOGNO(00012)
                  "database error: %s", errstr ? errstr : "unknown");
    return aa_reply_error(r, AA_ERR_TEMPORARILY_UNAVAILABLE, NULL);
}

/* Does a header name start with prefix, taking '_' for '-' as some
 * gateways (CGI, WSGI) do? */
static int has_identity_prefix(const char *name, const char *prefix)
{
    for (; *prefix; name++, prefix++) {
        char a = *name == '_' ? '-' : apr_tolower(*name);
        char b = *prefix == '_' ? '-' : apr_tolower(*prefix);

        if (!*name || a != b)
            return 0;
    }
    return 1;
}

/*
 * Drop client-sent headers that look like ours, so none can be forged.
 * warn: the request is the client's own, not an internal redirect or a
 * subrequest sharing headers in which this module set the identity.
 */
static void scrub_identity_headers(request_rec *r, apr_table_t *headers, int warn)
{
    const aa_srv_conf_t *conf = aa_srv_conf(r->server);
    const apr_array_header_t *arr = apr_table_elts(headers);
    const apr_table_entry_t *e = (const apr_table_entry_t *)arr->elts;
    apr_array_header_t *doomed = apr_array_make(r->pool, 2, sizeof(const char *));
    int i;

    for (i = 0; i < arr->nelts; i++)
        if (e[i].key && has_identity_prefix(e[i].key, conf->header_prefix))
            APR_ARRAY_PUSH(doomed, const char *) = e[i].key;
    for (i = 0; i < doomed->nelts; i++) {
        const char *key = APR_ARRAY_IDX(doomed, i, const char *);

        if (warn)
            ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, AALOGNO(00020)
                          "removed client-sent identity header %s", key);
        apr_table_unset(headers, key);
    }
    /* Nor may the client have a proxy drop ours as hop-by-hop headers. */
    if (apr_table_get(headers, "Connection")) {
        const char *list = apr_table_get(headers, "Connection");
        const char *kept = NULL;
        char *tok, *state = NULL, *copy = apr_pstrdup(r->pool, list);

        for (tok = apr_strtok(copy, ", \t", &state); tok;
             tok = apr_strtok(NULL, ", \t", &state))
            if (!has_identity_prefix(tok, conf->header_prefix))
                kept = kept ? apr_pstrcat(r->pool, kept, ", ", tok, NULL) : tok;
        if (kept)
            apr_table_setn(headers, "Connection", kept);
        else
            apr_table_unset(headers, "Connection");
    }
}

int aa_scrub_area_headers(request_rec *r)
{
    /* Where the module vouches for identity headers (its endpoints and
     * AuthType AgentAuth areas), no client may send them, even when
     * authorization lets a request in without an agent. Done once, here,
     * before authentication sets the real ones. */
    if (aa_route(r) != AA_EP_NONE || is_agent_auth_area(r))
        scrub_identity_headers(r, r->headers_in, !r->prev && !r->main);
    return DECLINED;
}

void aa_identity_set(request_rec *r, apr_table_t *headers, apr_table_t *env,
                     const aa_agent_t *agent, const char *capability)
{
    const aa_srv_conf_t *conf = aa_srv_conf(r->server);
    const char *p = conf->header_prefix;
    const char *values[][3] = {
        { "Agent-Id", "AGENT_AUTH_AGENT_ID", agent->id },
        { "Host-Id", "AGENT_AUTH_HOST_ID", agent->host_id },
        { "User-Id", "AGENT_AUTH_USER_ID", agent->user_id },
        { "Mode", "AGENT_AUTH_MODE", agent->mode },
        { "Capability", "AGENT_AUTH_CAPABILITY", capability },
    };
    apr_size_t i;

    /* headers were scrubbed of lookalikes when read (aa_scrub_area_headers),
     * or are a copy of such, or fresh: setting replaces what is ours. */
    for (i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
        if (!values[i][2])
            continue;
        apr_table_setn(headers, apr_pstrcat(r->pool, p, values[i][0], NULL), values[i][2]);
        apr_table_setn(env, values[i][1], values[i][2]);
    }
}

/* The caller is this agent: for authorization, logs, CGI and proxies. */
static void export_identity(request_rec *r, const aa_agent_t *agent)
{
    r->user = (char *)agent->id;
    r->ap_auth_type = AA_AUTH_TYPE;
    aa_identity_set(r, r->headers_in, r->subprocess_env, agent, NULL);
}

static int jwks_publishes(request_rec *r, const aa_host_t *host, const char *thumbprint)
{
    const aa_jwk_t *key;

    return *host->jwks_url
           && aa_keys_jwks_find(r, host->jwks_url, NULL, thumbprint, &key) == APR_SUCCESS;
}

static aa_err_e db_failure(request_rec *r, const char *errstr, const char **message)
{
    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, AALOGNO(00029)
                  "database error while verifying an agent: %s", errstr ? errstr : "unknown");
    *message = NULL;
    return AA_ERR_TEMPORARILY_UNAVAILABLE;
}

/* The clocks of §2.4, written only when they change the agent's state. */
static aa_err_e apply_clocks(request_rec *r, aa_db_t *db, aa_agent_t *agent,
                             const char **message)
{
    const aa_srv_conf_t *conf = aa_srv_conf(r->server);
    const char *errstr = NULL;
    aa_lifetimes_t lt;
    aa_clock_e state;

    aa_lifetimes(conf, &lt);
    if (aa_ops_apply_clock(r->pool, db, agent, &lt, aa_now(), &state, &errstr) != APR_SUCCESS)
        return db_failure(r, errstr, message);
    if (state == AA_CLOCK_DEAD) {
        *message = NULL;
        return AA_ERR_ABSOLUTE_LIFETIME_EXCEEDED;
    }
    if (state == AA_CLOCK_EXPIRED)
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, AALOGNO(00030)
                      "agent %s expired (session TTL or max lifetime)", agent->id);
    return AA_ERR_NONE;
}

/*
 * Keep the sliding session clock without a write per request: activity is
 * recorded only when the stored value is older than AgentAuthActivityInterval,
 * or a tenth of the session TTL when that is shorter, so that a short TTL
 * still slides. An agent may so expire early by at most that much.
 */
static void record_activity(request_rec *r, aa_db_t *db, aa_agent_t *agent)
{
    const aa_srv_conf_t *conf = aa_srv_conf(r->server);
    apr_int64_t now = aa_now();
    apr_int64_t interval = conf->touch_interval;
    const char *errstr = NULL;
    aa_lifetimes_t lt;

    if (conf->session_ttl > 0 && conf->session_ttl / 10 < interval)
        interval = conf->session_ttl / 10;
    if (now - agent->last_used_at < interval)
        return;
    aa_lifetimes(conf, &lt);
    agent->last_used_at = now;
    agent->expires_at = aa_clock_expires_at(agent, &lt, now);
    if (aa_store_agent_touch(r->pool, db, agent->id, now, agent->expires_at, &errstr)
        != APR_SUCCESS)
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, AALOGNO(00031)
                      "could not record activity of agent %s: %s", agent->id, errstr);
}

aa_err_e aa_verify_agent_token(request_rec *r, const char *token,
                               const char *const *audiences, int naudiences, aa_jwt_t **jwt_out,
                               aa_agent_t **agent_out, aa_host_t **host_out,
                               const char **message)
{
    const char *errstr = NULL;
    aa_agent_t *agent;
    aa_host_t *host;
    aa_jwk_t *key;
    aa_jwt_t *jwt = NULL;
    aa_db_t *db;
    apr_status_t rv;
    aa_err_e err;

    *message = NULL;
    if (aa_jwt_parse(r->pool, token, &jwt, &errstr) != APR_SUCCESS
        || check_claims(r, jwt, AA_JWT_TYP_AGENT, audiences, naudiences, &errstr)
               != APR_SUCCESS) {
        log_rejection(r, jwt, errstr);
        *message = errstr;
        return AA_ERR_INVALID_JWT;
    }
    if (!jwt->sub) {
        log_rejection(r, jwt, "no sub");
        *message = "An agent JWT must carry sub";
        return AA_ERR_INVALID_JWT;
    }
    db = aa_dbd_acquire(r);
    if (!db)
        return AA_ERR_TEMPORARILY_UNAVAILABLE;

    /* By sub: the official SDK leaves iss out of agent JWTs. */
    rv = aa_store_agent_get(r->pool, db, jwt->sub, &agent, &errstr);
    if (rv == APR_NOTFOUND) {
        log_rejection(r, jwt, "unknown agent");
        *message = "The JWT names an unknown agent";
        return AA_ERR_INVALID_JWT;
    }
    if (rv != APR_SUCCESS)
        return db_failure(r, errstr, message);
    rv = aa_store_host_get(r->pool, db, agent->host_id, &host, &errstr);
    if (rv == APR_NOTFOUND) {
        log_rejection(r, jwt, "agent without host");
        return AA_ERR_HOST_REVOKED;
    }
    if (rv != APR_SUCCESS)
        return db_failure(r, errstr, message);
    /* When present, iss is the thumbprint of the host's current key (§4.3;
     * after a rotation the old one is refused), or, for a JWKS host
     * mid-rotation, of any key it publishes (§8.7). */
    if (jwt->iss && strcmp(jwt->iss, host->key_thumbprint) != 0
        && !jwks_publishes(r, host, jwt->iss)) {
        log_rejection(r, jwt, "iss is not the agent's host");
        *message = "The JWT iss is not the agent's host";
        return AA_ERR_INVALID_JWT;
    }

    if (*agent->jwks_url) {
        const aa_jwk_t *published = NULL;

        /* The key named by the JWT, else the one registered; never inline. */
        if (aa_keys_jwks_find(r, agent->jwks_url, jwt->kid ? jwt->kid : agent->kid, NULL,
                              &published) != APR_SUCCESS) {
            log_rejection(r, jwt, "agent key not published at its JWKS URL");
            *message = "The agent's key is not published at its JWKS URL";
            return AA_ERR_INVALID_JWT;
        }
        key = (aa_jwk_t *)published;
    }
    else if (aa_jwk_parse_text(r->pool, agent->public_key, &key, &errstr) != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, AALOGNO(00013)
                      "stored key of agent %s is unusable: %s", agent->id, errstr);
        return AA_ERR_INVALID_JWT;
    }
    if (aa_jwt_verify_signature(jwt, key) != APR_SUCCESS) {
        log_rejection(r, jwt, "bad signature");
        *message = "The JWT signature does not verify";
        return AA_ERR_INVALID_JWT;
    }

    /* Only now, with the key proven, is the agent's state worth telling. */
    if ((err = apply_clocks(r, db, agent, message)) != AA_ERR_NONE)
        return err;
    if (strcmp(agent->status, AA_ST_ACTIVE) != 0)
        return aa_agent_status_error(agent->status);
    if (strcmp(host->status, AA_ST_ACTIVE) != 0)
        return host_status_error(host->status);

    *jwt_out = jwt;
    *agent_out = agent;
    *host_out = host;
    record_activity(r, db, agent);
    return AA_ERR_NONE;
}

int aa_authn_agent(request_rec *r, const char *audience)
{
    const aa_srv_conf_t *conf = aa_srv_conf(r->server);
    aa_req_t *req = aa_req(r);
    const char *token = aa_bearer_token(r);
    const char *audiences[1];
    const char *message = NULL;
    aa_agent_t *agent;
    aa_host_t *host;
    aa_jwt_t *jwt;
    aa_err_e err;
    int status;

    if (!token)
        return aa_reply_error(r, AA_ERR_UNAUTHORIZED, "An agent+jwt bearer token is required");
    audiences[0] = audience;
    err = aa_verify_agent_token(r, token, audiences, 1, &jwt, &agent, &host, &message);
    if (err != AA_ERR_NONE)
        return aa_reply_error(r, err, message);

    status = check_replay(r, apr_pstrcat(r->pool, "agent:", agent->id, NULL), jwt, 1);
    if (status != OK)
        return status;
    if (conf->agent_rate_limit > 0
        && (status = aa_rate_limit(r, apr_pstrcat(r->pool, "agent:", agent->id, NULL),
                                   conf->agent_rate_limit, "AgentAuthAgentRateLimit")) != OK)
        return status;

    req->jwt = jwt;
    req->agent = agent;
    req->host = host;
    req->authn_done = 1;
    export_identity(r, agent);
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, AALOGNO(00014)
                  "agent %s of host %s authenticated (jti %.64s)", agent->id, host->id,
                  jwt->jti);
    return OK;
}

/* Key for an unknown host: the inline host_public_key, bound to iss. */
static int presented_host_key(request_rec *r, const aa_jwt_t *jwt, aa_jwk_t **key)
{
    const char *errstr = NULL;
    aa_json_t *claim;
    apr_status_t rv;

    if (aa_json_get_obj(jwt->claims, "host_public_key", &claim) != APR_SUCCESS) {
        log_rejection(r, jwt, "unknown host without host_public_key");
        return aa_reply_error(r, AA_ERR_INVALID_JWT,
                              "Unknown host: the JWT must carry host_public_key");
    }
    rv = aa_jwk_parse(r->pool, claim, key, &errstr);
    if (rv == APR_ENOTIMPL)
        return aa_reply_error(r, AA_ERR_UNSUPPORTED_ALGORITHM, errstr);
    if (rv != APR_SUCCESS) {
        log_rejection(r, jwt, errstr);
        return aa_reply_error(r, AA_ERR_INVALID_JWT, errstr);
    }
    if (strcmp((*key)->thumbprint, jwt->iss) != 0) {
        log_rejection(r, jwt, "iss is not the thumbprint of host_public_key");
        return aa_reply_error(r, AA_ERR_INVALID_JWT,
                              "The JWT iss is not the thumbprint of host_public_key");
    }
    return OK;
}

/* A JWKS host's signing key: the published key named by kid, bound to iss. */
static int published_host_key(request_rec *r, const aa_jwt_t *jwt, const char *url,
                              aa_jwk_t **key)
{
    const aa_jwk_t *found = NULL;

    if (!jwt->kid) {
        log_rejection(r, jwt, "JWKS host JWT without kid");
        return aa_reply_error(r, AA_ERR_INVALID_JWT, "A JWKS host's JWT must name its kid");
    }
    if (!aa_jwks_url_acceptable(r, url, "host_jwks_url", AA_ERR_INVALID_JWT))
        return DONE;
    if (aa_keys_jwks_find(r, url, jwt->kid, NULL, &found) != APR_SUCCESS) {
        log_rejection(r, jwt, "kid not published at host_jwks_url");
        return aa_reply_error(r, AA_ERR_INVALID_JWT,
                              "No key with that kid is published at the host's JWKS URL");
    }
    if (strcmp(found->thumbprint, jwt->iss) != 0) {
        log_rejection(r, jwt, "iss is not the thumbprint of the published key");
        return aa_reply_error(r, AA_ERR_INVALID_JWT,
                              "The JWT iss is not the thumbprint of its signing key");
    }
    *key = (aa_jwk_t *)found;
    return OK;
}

/* §8.7: a JWKS host that rotated is found by its URL and its iss updated. */
static int rotated_jwks_host(request_rec *r, aa_db_t *db, const aa_jwt_t *jwt, const char *url,
                             aa_host_t **host, aa_jwk_t **key)
{
    const char *errstr = NULL;
    apr_status_t rv;
    int status;

    rv = aa_store_host_by_jwks_url(r->pool, db, url, host, &errstr);
    /* Byte for byte: a database collation must not match another URL. */
    if (rv == APR_NOTFOUND || (rv == APR_SUCCESS && strcmp((*host)->jwks_url, url) != 0)) {
        *host = NULL;
        return OK;
    }
    if (rv != APR_SUCCESS)
        return aa_reply_db_error(r, errstr);
    if ((status = published_host_key(r, jwt, url, key)) != OK)
        return status;
    if (aa_jwt_verify_signature(jwt, *key) != APR_SUCCESS) {
        log_rejection(r, jwt, "bad host signature");
        return aa_reply_error(r, AA_ERR_INVALID_JWT, "The JWT signature does not verify");
    }
    rv = aa_store_host_update_key(r->pool, db, (*host)->id, (*host)->key_thumbprint,
                                  aa_jwk_canonical(r->pool, *key), (*key)->thumbprint,
                                  (*key)->kid ? (*key)->kid : "", aa_now(), &errstr);
    if (rv != APR_SUCCESS && rv != APR_NOTFOUND)
        return aa_reply_db_error(r, errstr);
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, AALOGNO(00044)
                  "JWKS host %s now signs with %s", (*host)->id, (*key)->thumbprint);
    (*host)->key_thumbprint = (*key)->thumbprint;
    return OK;
}

int aa_authn_host(request_rec *r, int allow_unknown, aa_host_t **host_out, aa_jwt_t **jwt_out,
                  aa_jwk_t **key_out)
{
    const aa_srv_conf_t *conf = aa_srv_conf(r->server);
    const char *errstr = NULL, *jwks_url = NULL;
    aa_host_t *host = NULL;
    aa_jwk_t *key = NULL;
    aa_json_t *inline_key;
    aa_jwt_t *jwt;
    aa_db_t *db;
    apr_status_t rv;
    int status, has_inline;

    status = parse_checked(r, AA_JWT_TYP_HOST, conf->issuer, &jwt);
    if (status != OK)
        return status;
    if (!jwt->iss) {
        log_rejection(r, jwt, "no iss");
        return aa_reply_error(r, AA_ERR_INVALID_JWT, "A host JWT must carry iss");
    }
    if (aa_json_get_str(jwt->claims, "host_jwks_url", &jwks_url) == APR_EINVAL)
        return aa_reply_error(r, AA_ERR_INVALID_JWT, "host_jwks_url must be a string");
    has_inline = aa_json_get(jwt->claims, "host_public_key", &inline_key) == APR_SUCCESS;
    if (has_inline && jwks_url) {
        log_rejection(r, jwt, "both host_public_key and host_jwks_url");
        return aa_reply_error(r, AA_ERR_INVALID_JWT,
                              "A host JWT carries host_public_key or host_jwks_url, not both");
    }
    db = aa_dbd_acquire(r);
    if (!db)
        return aa_reply_error(r, AA_ERR_TEMPORARILY_UNAVAILABLE, NULL);

    rv = aa_store_host_find_iss(r->pool, db, jwt->iss, &host, &errstr);
    if (rv != APR_SUCCESS && rv != APR_NOTFOUND)
        return aa_reply_db_error(r, errstr);
    if (rv == APR_SUCCESS) {
        /* §8.7: the key delivery mode chosen at registration is fixed. */
        if ((*host->jwks_url && has_inline) || (!*host->jwks_url && jwks_url)) {
            log_rejection(r, jwt, "key delivery mode differs from registration");
            return aa_reply_error(r, AA_ERR_INVALID_JWT,
                                  "The host's key delivery mode is fixed at registration");
        }
        if (*host->jwks_url)
            status = published_host_key(r, jwt, host->jwks_url, &key);
        else if (aa_jwk_parse_text(r->pool, host->public_key, &key, &errstr) != APR_SUCCESS) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, AALOGNO(00015)
                          "stored key of host %s is unusable: %s", host->id, errstr);
            return aa_reply_error(r, AA_ERR_INVALID_JWT, NULL);
        }
        if (status != OK)
            return status;
    }
    else if (jwks_url) {
        if ((status = rotated_jwks_host(r, db, jwt, jwks_url, &host, &key)) != OK)
            return status;
        if (!host && !allow_unknown) {
            log_rejection(r, jwt, "unknown host");
            return aa_reply_error(r, AA_ERR_INVALID_JWT, "The JWT names an unknown host");
        }
        if (!host && (status = published_host_key(r, jwt, jwks_url, &key)) != OK)
            return status;
    }
    else {
        host = NULL;
        if (!allow_unknown) {
            log_rejection(r, jwt, "unknown host");
            return aa_reply_error(r, AA_ERR_INVALID_JWT, "The JWT names an unknown host");
        }
        status = presented_host_key(r, jwt, &key);
        if (status != OK)
            return status;
    }
    if (aa_jwt_verify_signature(jwt, key) != APR_SUCCESS) {
        log_rejection(r, jwt, "bad host signature");
        return aa_reply_error(r, AA_ERR_INVALID_JWT, "The JWT signature does not verify");
    }
    status = check_replay(r, apr_pstrcat(r->pool, "host:", host ? host->id : jwt->iss, NULL),
                          jwt, host != NULL);
    if (status != OK)
        return status;
    /* As for agents, activity is written at most every activity interval. */
    if (host && aa_now() - host->last_used_at >= conf->touch_interval) {
        host->last_used_at = aa_now();
        if (aa_store_host_touch(r->pool, db, host->id, host->last_used_at, &errstr)
            != APR_SUCCESS)
            ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, AALOGNO(00052)
                          "could not record activity of host %s: %s", host->id, errstr);
    }

    *host_out = host;
    *jwt_out = jwt;
    if (key_out)
        *key_out = key;
    return OK;
}

int aa_host_usable(request_rec *r, const aa_host_t *host, int allow)
{
    if (strcmp(host->status, AA_ST_ACTIVE) == 0)
        return OK;
    if ((allow & AA_HOST_PENDING_OK) && strcmp(host->status, AA_ST_PENDING) == 0)
        return OK;
    if ((allow & AA_HOST_REJECTED_OK) && strcmp(host->status, AA_ST_REJECTED) == 0)
        return OK;
    return aa_reply_error(r, host_status_error(host->status), NULL);
}
