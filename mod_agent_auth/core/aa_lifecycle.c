/* SPDX-License-Identifier: Apache-2.0 */
/*
 * aa_lifecycle: the agent lifetime clocks (§2.4), reactivation (§5.6),
 * revocation of agents and hosts, host linking and unlinking (§2.9, §2.10)
 * and the periodic maintenance. Each state change is one transaction.
 */
#include "aa_ops.h"
#include "aa_ops_int.h"
#include "aa_crypto.h"

#include <apr_strings.h>

#include <string.h>


apr_status_t aa_ops_host_link(apr_pool_t *pool, aa_db_t *db, const char *host_id,
                              const char *user_id, apr_int64_t now, int *claimed,
                              const char **errstr)
{
    aa_host_t *host;
    apr_status_t rv;

    *claimed = 0;
    rv = aa_store_begin(pool, db, errstr);
    if (rv != APR_SUCCESS)
        return rv;
    rv = aa_store_host_get(pool, db, host_id, &host, errstr);
    if (rv == APR_NOTFOUND)
        *errstr = "no such host";
    if (rv == APR_SUCCESS && *host->user_id) {
        *errstr = apr_psprintf(pool, "the host is already linked to %s", host->user_id);
        rv = strcmp(host->user_id, user_id) == 0 ? APR_SUCCESS : AA_ECONFLICT;
    }
    else if (rv == APR_SUCCESS && strcmp(host->status, AA_ST_REVOKED) == 0) {
        *errstr = "the host is revoked";
        rv = AA_ECONFLICT;
    }
    else if (rv == APR_SUCCESS) {
        rv = aa_ops_link_and_claim(pool, db, host, user_id, now, claimed, errstr);
    }
    return aa_ops_finish(pool, db, rv, errstr);
}

aa_clock_e aa_clock_check(const aa_agent_t *a, const aa_lifetimes_t *lt, apr_int64_t now)
{
    apr_int64_t last = a->last_used_at > a->activated_at ? a->last_used_at : a->activated_at;

    if (lt->absolute_lifetime > 0 && a->created_at + lt->absolute_lifetime <= now)
        return AA_CLOCK_DEAD;
    if (strcmp(a->status, AA_ST_ACTIVE) != 0)
        return AA_CLOCK_LIVE;
    if (lt->session_ttl > 0 && last > 0 && last + lt->session_ttl <= now)
        return AA_CLOCK_EXPIRED;
    if (lt->max_lifetime > 0 && a->activated_at > 0 && a->activated_at + lt->max_lifetime <= now)
        return AA_CLOCK_EXPIRED;
    return AA_CLOCK_LIVE;
}

apr_int64_t aa_clock_expires_at(const aa_agent_t *a, const aa_lifetimes_t *lt,
                                apr_int64_t last_used)
{
    apr_int64_t end = 0;

    if (lt->session_ttl > 0)
        end = last_used + lt->session_ttl;
    if (lt->max_lifetime > 0 && a->activated_at > 0
        && (!end || a->activated_at + lt->max_lifetime < end))
        end = a->activated_at + lt->max_lifetime;
    if (lt->absolute_lifetime > 0 && (!end || a->created_at + lt->absolute_lifetime < end))
        end = a->created_at + lt->absolute_lifetime;
    return end;
}

static apr_status_t revoke_agent_in_txn(apr_pool_t *pool, aa_db_t *db, aa_agent_t *a,
                                        apr_int64_t now, const char **errstr)
{
    const char *from = a->status;
    apr_status_t rv;
    int ignored;

    a->status = AA_ST_REVOKED;
    rv = aa_store_agent_set_status(pool, db, a, from, now, errstr);
    if (rv == APR_NOTFOUND) {
        *errstr = "the agent changed state meanwhile";
        rv = AA_ECONFLICT;
    }
    if (rv == APR_SUCCESS)
        rv = aa_store_grant_revoke_agent(pool, db, a->id, now, &ignored, errstr);
    if (rv == APR_SUCCESS)
        rv = aa_store_approval_supersede(pool, db, a->id, now, errstr);
    return rv;
}

apr_status_t aa_ops_apply_clock(apr_pool_t *pool, aa_db_t *db, aa_agent_t *agent,
                                const aa_lifetimes_t *lt, apr_int64_t now, aa_clock_e *state,
                                const char **errstr)
{
    apr_status_t rv;

    *state = aa_clock_check(agent, lt, now);
    if (*state == AA_CLOCK_LIVE)
        return APR_SUCCESS;
    if (*state == AA_CLOCK_DEAD) {
        if (strcmp(agent->status, AA_ST_REVOKED) == 0 || strcmp(agent->status, AA_ST_CLAIMED) == 0
            || strcmp(agent->status, AA_ST_REJECTED) == 0)
            return APR_SUCCESS;
        rv = aa_store_begin(pool, db, errstr);
        if (rv == APR_SUCCESS)
            rv = revoke_agent_in_txn(pool, db, agent, now, errstr);
        rv = aa_ops_finish(pool, db, rv, errstr);
        /* Lost a race with another process doing the same: fine. */
        return rv == AA_ECONFLICT ? APR_SUCCESS : rv;
    }
    agent->status = AA_ST_EXPIRED;
    rv = aa_store_agent_set_status(pool, db, agent, AA_ST_ACTIVE, now, errstr);
    return rv == APR_NOTFOUND ? APR_SUCCESS : rv;
}

apr_status_t aa_ops_agent_revoke(apr_pool_t *pool, aa_db_t *db, const char *agent_id,
                                 apr_int64_t now, const char **errstr)
{
    aa_agent_t *agent;
    apr_status_t rv;

    rv = aa_store_begin(pool, db, errstr);
    if (rv != APR_SUCCESS)
        return rv;
    rv = aa_store_agent_get(pool, db, agent_id, &agent, errstr);
    if (rv == APR_NOTFOUND)
        *errstr = "no such agent";
    if (rv == APR_SUCCESS && strcmp(agent->status, AA_ST_REVOKED) == 0) {
        *errstr = "the agent is already revoked";
        rv = AA_ECONFLICT;
    }
    if (rv == APR_SUCCESS)
        rv = revoke_agent_in_txn(pool, db, agent, now, errstr);
    return aa_ops_finish(pool, db, rv, errstr);
}

apr_status_t aa_ops_host_revoke(apr_pool_t *pool, aa_db_t *db, const char *host_id,
                                apr_int64_t now, int *agents_revoked, const char **errstr)
{
    apr_status_t rv;
    int grants = 0;

    *agents_revoked = 0;
    rv = aa_store_begin(pool, db, errstr);
    if (rv != APR_SUCCESS)
        return rv;
    rv = aa_store_host_revoke(pool, db, host_id, now, errstr);
    if (rv == APR_NOTFOUND) {
        *errstr = "the host is already revoked or does not exist";
        rv = AA_ECONFLICT;
    }
    /* Grants first: the statement finds them through the host's agents. */
    if (rv == APR_SUCCESS)
        rv = aa_store_grant_revoke_host(pool, db, host_id, now, &grants, errstr);
    if (rv == APR_SUCCESS)
        rv = aa_store_agent_revoke_host(pool, db, host_id, now, agents_revoked, errstr);
    if (rv == APR_SUCCESS)
        rv = aa_store_approval_supersede_host(pool, db, host_id, now, errstr);
    return aa_ops_finish(pool, db, rv, errstr);
}

apr_status_t aa_ops_reactivate(apr_pool_t *pool, aa_db_t *db, aa_agent_t *agent,
                               const apr_array_header_t *defaults, int auto_approve,
                               const aa_lifetimes_t *lt, const aa_approval_policy_t *policy,
                               apr_int64_t now, aa_approval_t **approval,
                               const char **user_code, const char **errstr)
{
    apr_status_t rv;
    int i, ignored;

    *approval = NULL;
    rv = aa_store_grant_revoke_agent(pool, db, agent->id, now, &ignored, errstr);
    for (i = 0; rv == APR_SUCCESS && i < defaults->nelts; i++) {
        aa_grant_t *g = apr_pcalloc(pool, sizeof(*g));

        g->id = aa_random_id(pool, "grt_", 16);
        g->agent_id = agent->id;
        g->capability = APR_ARRAY_IDX(defaults, i, const char *);
        g->status = auto_approve ? AA_ST_ACTIVE : AA_ST_PENDING;
        g->constraints = "";
        g->granted_by = auto_approve ? agent->user_id : "";
        g->denied_by = "";
        g->reason = "reactivation";
        g->created_at = g->updated_at = now;
        rv = aa_store_grant_insert(pool, db, g, errstr);
    }
    if (rv != APR_SUCCESS)
        return rv;

    agent->status = auto_approve ? AA_ST_ACTIVE : AA_ST_PENDING;
    agent->activated_at = auto_approve ? now : 0;
    agent->last_used_at = auto_approve ? now : 0;
    agent->expires_at = auto_approve ? aa_clock_expires_at(agent, lt, now) : 0;
    rv = aa_store_agent_set_status(pool, db, agent, AA_ST_EXPIRED, now, errstr);
    if (rv == APR_NOTFOUND) {
        *errstr = "the agent changed state meanwhile";
        return AA_ECONFLICT;
    }
    if (rv == APR_SUCCESS && !auto_approve)
        rv = aa_ops_approval_open(pool, db, agent, "reactivation", policy, now, approval,
                                  user_code, errstr);
    return rv;
}

static apr_status_t apply_all_clocks(apr_pool_t *pool, aa_db_t *db, const aa_lifetimes_t *lt,
                                     apr_int64_t now, aa_maintenance_t *out,
                                     const char **errstr)
{
    apr_array_header_t *agents;
    apr_status_t rv;
    int i;

    rv = aa_store_agent_list(pool, db, &agents, errstr);
    for (i = 0; rv == APR_SUCCESS && i < agents->nelts; i++) {
        aa_agent_t *a = APR_ARRAY_IDX(agents, i, aa_agent_t *);
        const char *before = a->status;
        aa_clock_e state;

        rv = aa_ops_apply_clock(pool, db, a, lt, now, &state, errstr);
        if (rv == APR_SUCCESS && strcmp(before, a->status) != 0) {
            out->expired += state == AA_CLOCK_EXPIRED;
            out->revoked += state == AA_CLOCK_DEAD;
        }
    }
    return rv;
}

apr_status_t aa_ops_maintenance(apr_pool_t *pool, aa_db_t *db, const aa_lifetimes_t *lt,
                                apr_int64_t pending_age, apr_int64_t approval_age,
                                apr_int64_t now, aa_maintenance_t *out, const char **errstr)
{
    apr_status_t rv;
    int ignored = 0;

    memset(out, 0, sizeof(*out));
    rv = apply_all_clocks(pool, db, lt, now, out, errstr);
    if (rv == APR_SUCCESS)
        rv = aa_store_exec_times(pool, db, "aa_approval_expire_due", 2, now, now,
                                 &out->approvals_expired, errstr);
    if (rv == APR_SUCCESS && pending_age > 0) {
        apr_int64_t before = now - pending_age;

        /* One transaction: an agent approved meanwhile is no longer pending. */
        rv = aa_store_begin(pool, db, errstr);
        if (rv == APR_SUCCESS)
            rv = aa_store_exec_times(pool, db, "aa_agent_purge_pending_grants", 1, before, 0,
                                     &ignored, errstr);
        if (rv == APR_SUCCESS)
            rv = aa_store_exec_times(pool, db, "aa_agent_purge_pending_approvals", 1, before,
                                     0, &ignored, errstr);
        if (rv == APR_SUCCESS)
            rv = aa_store_exec_times(pool, db, "aa_agent_purge_pending", 1, before, 0,
                                     &out->pending_agents, errstr);
        if (rv == APR_SUCCESS)
            rv = aa_store_exec_times(pool, db, "aa_host_purge_pending", 1, before, 0,
                                     &out->pending_hosts, errstr);
        rv = aa_ops_finish(pool, db, rv, errstr);
    }
    if (rv == APR_SUCCESS && approval_age > 0)
        rv = aa_store_exec_times(pool, db, "aa_approval_purge", 1, now - approval_age, 0,
                                 &out->approvals_purged, errstr);
    return rv;
}

apr_status_t aa_ops_host_unlink(apr_pool_t *pool, aa_db_t *db, const char *host_id,
                                apr_int64_t now, int *agents_revoked, const char **errstr)
{
    apr_status_t rv;
    int linked = 0, grants = 0;

    *agents_revoked = 0;
    rv = aa_store_begin(pool, db, errstr);
    if (rv != APR_SUCCESS)
        return rv;
    rv = aa_store_exec_host(pool, db, "aa_host_unlink", host_id, now, &linked, errstr);
    if (rv == APR_SUCCESS && linked == 0) {
        *errstr = "the host is not linked to a user";
        rv = AA_ECONFLICT;
    }
    if (rv == APR_SUCCESS)
        rv = aa_store_exec_host(pool, db, "aa_grant_revoke_delegated", host_id, now, &grants,
                                errstr);
    if (rv == APR_SUCCESS)
        rv = aa_store_exec_host(pool, db, "aa_agent_revoke_delegated", host_id, now,
                                agents_revoked, errstr);
    /* Their open requests go too: nothing is left to approve. */
    if (rv == APR_SUCCESS)
        rv = aa_store_exec_host(pool, db, "aa_approval_supersede_delegated", host_id, now,
                                NULL, errstr);
    return aa_ops_finish(pool, db, rv, errstr);
}
