/* SPDX-License-Identifier: Apache-2.0 */
/* aa_ops: approvals, each in one transaction. */
#include "aa_ops.h"
#include "aa_ops_int.h"
#include "aa_caps.h"
#include "aa_crypto.h"
#include "aa_json.h"

#include <apr_strings.h>

#include <string.h>

apr_status_t aa_ops_approval_open(apr_pool_t *pool, aa_db_t *db, const aa_agent_t *agent,
                                  const char *kind, const aa_approval_policy_t *policy,
                                  apr_int64_t now,
                                  aa_approval_t **out, const char **user_code,
                                  const char **errstr)
{
    aa_approval_t *ap = apr_pcalloc(pool, sizeof(*ap));
    int ciba = strcmp(policy->method, AA_METHOD_CIBA) == 0;
    apr_array_header_t *grants;
    const char *capabilities_json;
    aa_json_t *names;
    apr_status_t rv;
    int i;

    rv = policy->keep_older ? APR_SUCCESS
                            : aa_store_approval_supersede(pool, db, agent->id, now, errstr);
    if (rv == APR_SUCCESS)
        rv = aa_store_grant_list(pool, db, agent->id, &grants, errstr);
    if (rv != APR_SUCCESS)
        return rv;
    /* The new request replaces the old ones, so it must show every pending
     * grant: approving it approves exactly what it lists. */
    names = aa_json_array(pool);
    for (i = 0; i < grants->nelts; i++) {
        const aa_grant_t *g = APR_ARRAY_IDX(grants, i, const aa_grant_t *);

        if (strcmp(g->status, AA_ST_PENDING) == 0)
            aa_json_append_str(pool, names, g->capability);
    }
    capabilities_json = aa_json_dump(pool, names);

    /* A CIBA request has no code: the approver knows it by its id. */
    ap->id = aa_random_id(pool, ciba ? AA_CIBA_ID_PREFIX : AA_DEVICE_ID_PREFIX, 24);
    ap->agent_id = agent->id;
    ap->host_id = agent->host_id;
    ap->method = ciba ? AA_METHOD_CIBA : AA_METHOD_DEVICE;
    ap->kind = kind;
    *user_code = ciba ? NULL : aa_user_code_new(pool);
    ap->user_code_hash = ciba ? "" : aa_sha256_b64url(pool, *user_code, strlen(*user_code));
    ap->status = AA_AP_PENDING;
    ap->capabilities = capabilities_json;
    ap->binding_message = ciba ? policy->binding_message : "";
    ap->created_at = now;
    ap->expires_at = now + policy->ttl;
    ap->resolved_by = "";
    rv = aa_store_approval_insert(pool, db, ap, errstr);
    if (rv != APR_SUCCESS)
        return rv;
    *out = ap;
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
    if (strncmp(typed, AA_DEVICE_ID_PREFIX, strlen(AA_DEVICE_ID_PREFIX)) == 0
        || strncmp(typed, AA_CIBA_ID_PREFIX, strlen(AA_CIBA_ID_PREFIX)) == 0)
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
    if (rv != APR_SUCCESS)
        return rv;
    /* A request outlived by its agent or host must not revive either. */
    if (strcmp(out->agent->status, AA_ST_REVOKED) == 0
        || strcmp(out->agent->status, AA_ST_REJECTED) == 0
        || strcmp(out->agent->status, AA_ST_CLAIMED) == 0) {
        *errstr = apr_psprintf(pool, "the agent is %s", out->agent->status);
        return AA_ECONFLICT;
    }
    if (strcmp(out->host->status, AA_ST_ACTIVE) != 0
        && strcmp(out->host->status, AA_ST_PENDING) != 0) {
        *errstr = apr_psprintf(pool, "the host is %s", out->host->status);
        return AA_ECONFLICT;
    }
    /* §2.10: no autonomous agent works unclaimed under a linked host. */
    if (strcmp(out->agent->mode, AA_MODE_AUTONOMOUS) == 0 && *out->host->user_id) {
        *errstr = "the host is linked to a user; its autonomous agents cannot be approved";
        return AA_ECONFLICT;
    }
    return APR_SUCCESS;
}

/*
 * Decisions on one host's requests take its row first, in one order, so
 * that two live codes of an agent decided at once cannot deadlock; the
 * host is read afresh under the lock.
 */
static apr_status_t lock_host(apr_pool_t *pool, aa_db_t *db, aa_resolution_t *out,
                              const char **errstr)
{
    apr_status_t rv = aa_store_host_lock(pool, db, out->host->id, &out->host, errstr);

    if (rv == APR_NOTFOUND)
        *errstr = "the host of this approval no longer exists";
    return rv;
}

apr_status_t aa_ops_finish(apr_pool_t *pool, aa_db_t *db, apr_status_t rv,
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
                                   const char *user_id, const aa_lifetimes_t *lt,
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
    agent->expires_at = aa_clock_expires_at(agent, lt, now);
    rv = aa_store_agent_set_status(pool, db, agent, AA_ST_PENDING, now, errstr);
    if (rv == APR_NOTFOUND) {
        *errstr = "the agent changed state meanwhile";
        return AA_ECONFLICT;
    }
    return rv;
}

apr_status_t aa_ops_link_and_claim(apr_pool_t *pool, aa_db_t *db, aa_host_t *host,
                                   const char *user_id, apr_int64_t now, int *claimed,
                                   const char **errstr)
{
    apr_array_header_t *agents;
    apr_status_t rv;
    int i, ignored;

    rv = aa_store_host_link(pool, db, host->id, user_id, now, errstr);
    if (rv == APR_NOTFOUND) {
        *errstr = "the host was linked to another user meanwhile";
        rv = AA_ECONFLICT;
    }
    if (rv == APR_SUCCESS)
        rv = aa_store_agent_list_host(pool, db, host->id, &agents, errstr);
    for (i = 0; rv == APR_SUCCESS && i < agents->nelts; i++) {
        aa_agent_t *a = APR_ARRAY_IDX(agents, i, aa_agent_t *);
        const char *from = a->status;

        if (strcmp(from, AA_ST_ACTIVE) != 0 && strcmp(from, AA_ST_EXPIRED) != 0
            && strcmp(from, AA_ST_PENDING) != 0)
            continue;
        /* A delegated agent acting for someone else cannot stay (§2.7). */
        if (strcmp(a->mode, AA_MODE_DELEGATED) == 0) {
            if (!*a->user_id || strcmp(a->user_id, user_id) == 0)
                continue;
            a->status = AA_ST_REVOKED;
            rv = aa_store_approval_supersede(pool, db, a->id, now, errstr);
            if (rv == APR_SUCCESS)
                rv = aa_store_agent_set_status(pool, db, a, from, now, errstr);
            if (rv == APR_SUCCESS)
                rv = aa_store_grant_revoke_agent(pool, db, a->id, now, &ignored, errstr);
            continue;
        }
        /* One that never ran has nothing to hand over: it is rejected. */
        a->status = strcmp(from, AA_ST_PENDING) == 0 ? AA_ST_REJECTED : AA_ST_CLAIMED;
        a->user_id = user_id;
        if (strcmp(from, AA_ST_PENDING) == 0)
            rv = aa_store_approval_supersede(pool, db, a->id, now, errstr);
        if (rv != APR_SUCCESS)
            break;
        rv = aa_store_agent_set_status(pool, db, a, from, now, errstr);
        if (rv == APR_SUCCESS)
            rv = aa_store_grant_revoke_agent(pool, db, a->id, now, &ignored, errstr);
        *claimed += rv == APR_SUCCESS;
    }
    if (rv == APR_SUCCESS)
        host->user_id = user_id;
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
        /* Lost the race: fine if another approval activated it, not if it
         * was revoked or rejected meanwhile. */
        if (rv == APR_NOTFOUND) {
            aa_host_t *now_host;

            rv = aa_store_host_get(pool, db, host->id, &now_host, errstr);
            if (rv == APR_SUCCESS && strcmp(now_host->status, AA_ST_ACTIVE) != 0) {
                *errstr = apr_psprintf(pool, "the host is %s", now_host->status);
                return AA_ECONFLICT;
            }
            if (rv == APR_SUCCESS)
                host->user_id = now_host->user_id;
        }
        host->status = AA_ST_ACTIVE;
    }
    else if (strcmp(host->status, AA_ST_ACTIVE) != 0) {
        *errstr = apr_psprintf(pool, "the host is %s", host->status);
        return AA_ECONFLICT;
    }
    if (rv == APR_SUCCESS && trust && !*host->user_id) {
        int claimed = 0;

        rv = aa_ops_link_and_claim(pool, db, host, user_id, now, &claimed, errstr);
    }
    return rv;
}

/* The capability names an approval request showed the approver. */
static apr_array_header_t *approval_names(apr_pool_t *pool, const aa_approval_t *ap)
{
    apr_array_header_t *names = apr_array_make(pool, 4, sizeof(const char *));
    const char *errstr;
    aa_json_t *list;
    apr_size_t i;

    if (aa_json_parse(pool, ap->capabilities, strlen(ap->capabilities), 0, &list, &errstr)
        != APR_SUCCESS)
        return names;
    for (i = 0; i < aa_json_len(list); i++) {
        const char *name = aa_json_str(aa_json_at(list, i));

        if (name)
            APR_ARRAY_PUSH(names, const char *) = name;
    }
    return names;
}

/*
 * Resolve the pending grants the approval showed: those in only (all of them
 * when only is NULL) become active, the others denied with reason. Pending
 * grants the approval did not show are left alone.
 */
static apr_status_t resolve_grants(apr_pool_t *pool, aa_db_t *db, const aa_approval_t *ap,
                                   const char *user_id, const apr_array_header_t *only,
                                   const char *reason, apr_int64_t now, int *changed,
                                   const char **errstr)
{
    apr_array_header_t *shown = approval_names(pool, ap), *grants;
    apr_status_t rv;
    int i;

    for (i = 0; only && i < only->nelts; i++) {
        if (!aa_caps_listed(shown, APR_ARRAY_IDX(only, i, const char *))) {
            *errstr = "a capability named is not pending approval for this request";
            return APR_NOTFOUND;
        }
    }
    rv = aa_store_grant_list(pool, db, ap->agent_id, &grants, errstr);
    for (i = 0; rv == APR_SUCCESS && i < grants->nelts; i++) {
        aa_grant_t *g = APR_ARRAY_IDX(grants, i, aa_grant_t *);
        int wanted;

        if (strcmp(g->status, AA_ST_PENDING) != 0 || !aa_caps_listed(shown, g->capability))
            continue;
        wanted = !only || aa_caps_listed(only, g->capability);
        g->status = wanted ? AA_ST_ACTIVE : AA_ST_DENIED;
        g->granted_by = wanted ? user_id : "";
        g->denied_by = wanted ? "" : user_id;
        g->reason = wanted ? g->reason : (reason ? reason : "not approved");
        rv = aa_store_grant_set_status(pool, db, g, AA_ST_PENDING, now, errstr);
        *changed += wanted;
    }
    return rv;
}

apr_status_t aa_ops_approve_some(apr_pool_t *pool, aa_db_t *db, const char *typed,
                                 const char *user_id, int trust_host,
                                 const apr_array_header_t *only, const char *reason,
                                 const aa_lifetimes_t *lt, apr_int64_t now,
                                 aa_resolution_t *out, const char **errstr)
{
    apr_status_t rv;

    memset(out, 0, sizeof(*out));
    rv = aa_store_begin(pool, db, errstr);
    if (rv != APR_SUCCESS)
        return rv;

    rv = load_pending(pool, db, typed, now, out, errstr);
    if (rv == APR_SUCCESS)
        rv = lock_host(pool, db, out, errstr);
    /* §2.7, §2.9: a delegated agent's host belongs to that agent's user. */
    if (rv == APR_SUCCESS && trust_host == AA_TRUST_DEFAULT)
        trust_host = strcmp(out->agent->mode, AA_MODE_DELEGATED) == 0
                     && !*out->host->user_id;
    if (rv == APR_SUCCESS && trust_host && strcmp(out->agent->mode, AA_MODE_AUTONOMOUS) == 0) {
        /* Linking claims autonomous agents (§2.10): this one would be claimed. */
        *errstr = "an autonomous agent's approval cannot trust (link) its host";
        rv = AA_ECONFLICT;
    }
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
        rv = resolve_grants(pool, db, out->approval, user_id, only, reason, now,
                            &out->grants_changed, errstr);
    /* A delegated agent acts for its host's user, whoever approved it. */
    if (rv == APR_SUCCESS)
        rv = activate_agent(pool, db, out->agent,
                            *out->host->user_id ? out->host->user_id : user_id, lt, now,
                            errstr);
    /* Other live codes of the agent showed the same grants: now moot. */
    if (rv == APR_SUCCESS)
        rv = aa_store_approval_supersede(pool, db, out->agent->id, now, errstr);
    if (rv == APR_SUCCESS)
        out->approval->status = AA_AP_APPROVED;
    return aa_ops_finish(pool, db, rv, errstr);
}

apr_status_t aa_ops_approve(apr_pool_t *pool, aa_db_t *db, const char *typed,
                            const char *user_id, int trust_host, const aa_lifetimes_t *lt,
                            apr_int64_t now, aa_resolution_t *out, const char **errstr)
{
    return aa_ops_approve_some(pool, db, typed, user_id, trust_host, NULL, NULL, lt, now, out,
                               errstr);
}

/* §2.11: a new host whose only registration was denied is rejected too. */
static apr_status_t reject_lone_pending_host(apr_pool_t *pool, aa_db_t *db, aa_host_t *host,
                                             apr_int64_t now, const char **errstr)
{
    apr_array_header_t *agents;
    apr_status_t rv;
    int i;

    if (strcmp(host->status, AA_ST_PENDING) != 0)
        return APR_SUCCESS;
    rv = aa_store_agent_list_host(pool, db, host->id, &agents, errstr);
    for (i = 0; rv == APR_SUCCESS && i < agents->nelts; i++) {
        const aa_agent_t *a = APR_ARRAY_IDX(agents, i, const aa_agent_t *);

        if (strcmp(a->status, AA_ST_REJECTED) != 0 && strcmp(a->status, AA_ST_REVOKED) != 0)
            return APR_SUCCESS;
    }
    if (rv != APR_SUCCESS)
        return rv;
    rv = aa_store_host_set_status(pool, db, host->id, AA_ST_PENDING, AA_ST_REJECTED, 0, now,
                                  errstr);
    if (rv == APR_SUCCESS)
        host->status = AA_ST_REJECTED;
    return rv == APR_NOTFOUND ? APR_SUCCESS : rv;
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
    if (rv == APR_SUCCESS)
        rv = lock_host(pool, db, out, errstr);
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
        rv = reject_lone_pending_host(pool, db, out->host, now, errstr);
    if (rv == APR_SUCCESS)
        out->approval->status = AA_AP_DENIED;
    return aa_ops_finish(pool, db, rv, errstr);
}
