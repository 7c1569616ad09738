/* SPDX-License-Identifier: Apache-2.0 */
/* aa_ops: approvals, each in one transaction. */
#include "aa_ops.h"
#include "aa_crypto.h"

#include <apr_strings.h>

#include <string.h>

apr_status_t aa_ops_approval_open(apr_pool_t *pool, aa_db_t *db, const aa_agent_t *agent,
                                  const char *kind, const char *capabilities_json,
                                  const aa_approval_policy_t *policy, apr_int64_t now,
                                  aa_approval_t **out, const char **user_code,
                                  const char **errstr)
{
    aa_approval_t *ap = apr_pcalloc(pool, sizeof(*ap));
    const char *code = aa_user_code_new(pool);
    apr_status_t rv;

    rv = aa_store_approval_supersede(pool, db, agent->id, now, errstr);
    if (rv != APR_SUCCESS)
        return rv;

    ap->id = aa_random_id(pool, "dc_", 24);
    ap->agent_id = agent->id;
    ap->host_id = agent->host_id;
    ap->method = AA_METHOD_DEVICE;
    ap->kind = kind;
    ap->user_code_hash = aa_sha256_b64url(pool, code, strlen(code));
    ap->status = AA_AP_PENDING;
    ap->capabilities = capabilities_json ? capabilities_json : "[]";
    ap->binding_message = "";
    ap->created_at = now;
    ap->expires_at = now + policy->ttl;
    ap->resolved_by = "";
    rv = aa_store_approval_insert(pool, db, ap, errstr);
    if (rv != APR_SUCCESS)
        return rv;
    *out = ap;
    *user_code = code;
    return APR_SUCCESS;
}

apr_status_t aa_ops_approval_lookup(apr_pool_t *pool, aa_db_t *db, const char *typed,
                                    aa_approval_t **approval, const char **errstr)
{
    const char *code = aa_user_code_normalize(pool, typed);
    apr_status_t rv;

    if (code) {
        rv = aa_store_approval_by_code(pool, db, aa_sha256_b64url(pool, code, strlen(code)),
                                       approval, errstr);
        if (rv != APR_NOTFOUND)
            return rv;
    }
    if (strncmp(typed, "dc_", 3) == 0)
        return aa_store_approval_get(pool, db, typed, approval, errstr);
    return APR_NOTFOUND;
}

/* Load the approval and its agent and host, and check it can be resolved. */
static apr_status_t load_pending(apr_pool_t *pool, aa_db_t *db, const char *typed,
                                 apr_int64_t now, aa_resolution_t *out, const char **errstr)
{
    apr_status_t rv;

    rv = aa_ops_approval_lookup(pool, db, typed, &out->approval, errstr);
    if (rv == APR_NOTFOUND)
        *errstr = "no approval request has that code";
    if (rv != APR_SUCCESS)
        return rv;
    if (strcmp(out->approval->status, AA_AP_PENDING) != 0) {
        *errstr = apr_psprintf(pool, "the approval request is already %s",
                               out->approval->status);
        return AA_ECONFLICT;
    }
    if (out->approval->expires_at <= now) {
        *errstr = "the approval request has expired";
        return AA_ECONFLICT;
    }
    rv = aa_store_agent_get(pool, db, out->approval->agent_id, &out->agent, errstr);
    if (rv == APR_SUCCESS)
        rv = aa_store_host_get(pool, db, out->agent->host_id, &out->host, errstr);
    if (rv == APR_NOTFOUND)
        *errstr = "the agent or host of this approval no longer exists";
    return rv;
}

static apr_status_t finish(apr_pool_t *pool, aa_db_t *db, apr_status_t rv,
                           const char **errstr)
{
    const char *end_err = NULL;
    apr_status_t end_rv = aa_store_end(pool, db, rv == APR_SUCCESS, &end_err);

    if (rv == APR_SUCCESS && end_rv != APR_SUCCESS) {
        *errstr = end_err;
        return end_rv;
    }
    return rv;
}

static apr_status_t activate_agent(apr_pool_t *pool, aa_db_t *db, aa_agent_t *agent,
                                   const char *user_id, apr_int64_t session_ttl,
                                   apr_int64_t now, const char **errstr)
{
    apr_status_t rv;

    if (strcmp(agent->status, AA_ST_PENDING) != 0)
        return APR_SUCCESS;
    agent->status = AA_ST_ACTIVE;
    if (strcmp(agent->mode, AA_MODE_DELEGATED) == 0)
        agent->user_id = user_id;
    agent->activated_at = now;
    agent->last_used_at = now;
    agent->expires_at = session_ttl > 0 ? now + session_ttl : 0;
    rv = aa_store_agent_set_status(pool, db, agent, AA_ST_PENDING, now, errstr);
    if (rv == APR_NOTFOUND) {
        *errstr = "the agent changed state meanwhile";
        return AA_ECONFLICT;
    }
    return rv;
}

static apr_status_t approve_host(apr_pool_t *pool, aa_db_t *db, aa_host_t *host,
                                 const char *user_id, int trust, apr_int64_t now,
                                 const char **errstr)
{
    apr_status_t rv = APR_SUCCESS;

    if (strcmp(host->status, AA_ST_PENDING) == 0) {
        rv = aa_store_host_set_status(pool, db, host->id, AA_ST_PENDING, AA_ST_ACTIVE, now,
                                      now, errstr);
        if (rv == APR_NOTFOUND)
            rv = APR_SUCCESS; /* approved meanwhile through another agent */
        host->status = AA_ST_ACTIVE;
    }
    else if (strcmp(host->status, AA_ST_ACTIVE) != 0) {
        *errstr = apr_psprintf(pool, "the host is %s", host->status);
        return AA_ECONFLICT;
    }
    if (rv == APR_SUCCESS && trust && !*host->user_id) {
        rv = aa_store_host_link(pool, db, host->id, user_id, now, errstr);
        host->user_id = user_id;
    }
    return rv;
}

apr_status_t aa_ops_approve(apr_pool_t *pool, aa_db_t *db, const char *typed,
                            const char *user_id, int trust_host, apr_int64_t session_ttl,
                            apr_int64_t now, aa_resolution_t *out, const char **errstr)
{
    apr_status_t rv;

    memset(out, 0, sizeof(*out));
    rv = aa_store_begin(pool, db, errstr);
    if (rv != APR_SUCCESS)
        return rv;

    rv = load_pending(pool, db, typed, now, out, errstr);
    /* The compare-and-set makes two racing approvers see one winner. */
    if (rv == APR_SUCCESS) {
        rv = aa_store_approval_resolve(pool, db, out->approval->id, AA_AP_APPROVED, user_id,
                                       now, errstr);
        if (rv == APR_NOTFOUND) {
            *errstr = "the approval request was resolved meanwhile";
            rv = AA_ECONFLICT;
        }
    }
    if (rv == APR_SUCCESS)
        rv = approve_host(pool, db, out->host, user_id, trust_host, now, errstr);
    if (rv == APR_SUCCESS)
        rv = aa_store_grant_approve_pending(pool, db, out->agent->id, user_id, now,
                                            &out->grants_changed, errstr);
    if (rv == APR_SUCCESS)
        rv = activate_agent(pool, db, out->agent, user_id, session_ttl, now, errstr);
    if (rv == APR_SUCCESS)
        out->approval->status = AA_AP_APPROVED;
    return finish(pool, db, rv, errstr);
}

apr_status_t aa_ops_deny(apr_pool_t *pool, aa_db_t *db, const char *typed, const char *user_id,
                         const char *reason, apr_int64_t now, aa_resolution_t *out,
                         const char **errstr)
{
    apr_status_t rv;

    memset(out, 0, sizeof(*out));
    rv = aa_store_begin(pool, db, errstr);
    if (rv != APR_SUCCESS)
        return rv;

    rv = load_pending(pool, db, typed, now, out, errstr);
    if (rv == APR_SUCCESS) {
        rv = aa_store_approval_resolve(pool, db, out->approval->id, AA_AP_DENIED, user_id,
                                       now, errstr);
        if (rv == APR_NOTFOUND) {
            *errstr = "the approval request was resolved meanwhile";
            rv = AA_ECONFLICT;
        }
    }
    if (rv == APR_SUCCESS)
        rv = aa_store_grant_deny_pending(pool, db, out->agent->id, user_id, reason, now,
                                         &out->grants_changed, errstr);
    if (rv == APR_SUCCESS && strcmp(out->agent->status, AA_ST_PENDING) == 0) {
        out->agent->status = AA_ST_REJECTED;
        rv = aa_store_agent_set_status(pool, db, out->agent, AA_ST_PENDING, now, errstr);
        if (rv == APR_NOTFOUND) {
            *errstr = "the agent changed state meanwhile";
            rv = AA_ECONFLICT;
        }
    }
    if (rv == APR_SUCCESS)
        out->approval->status = AA_AP_DENIED;
    return finish(pool, db, rv, errstr);
}
