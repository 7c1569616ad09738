/* SPDX-License-Identifier: Apache-2.0 */
/* aa_store: rows in, records out, through labelled prepared statements. */
#include "aa_store.h"
#include "aa_store_int.h"

#include <apr_strings.h>

#include <string.h>

static void *map_host(apr_pool_t *pool, const aa_db_t *db, apr_dbd_row_t *row)
{
    aa_host_t *h = apr_pcalloc(pool, sizeof(*h));

    h->id = aa_store_col(pool, db, row, 0);
    h->name = aa_store_col(pool, db, row, 1);
    h->public_key = aa_store_col(pool, db, row, 2);
    h->key_thumbprint = aa_store_col(pool, db, row, 3);
    h->kid = aa_store_col(pool, db, row, 4);
    h->jwks_url = aa_store_col(pool, db, row, 5);
    h->user_id = aa_store_col(pool, db, row, 6);
    h->status = aa_store_col(pool, db, row, 7);
    h->default_capabilities = aa_store_col(pool, db, row, 8);
    h->created_at = aa_store_col_i64(db, row, 9);
    h->updated_at = aa_store_col_i64(db, row, 10);
    h->activated_at = aa_store_col_i64(db, row, 11);
    h->last_used_at = aa_store_col_i64(db, row, 12);
    return h;
}

static void *map_agent(apr_pool_t *pool, const aa_db_t *db, apr_dbd_row_t *row)
{
    aa_agent_t *a = apr_pcalloc(pool, sizeof(*a));

    a->id = aa_store_col(pool, db, row, 0);
    a->host_id = aa_store_col(pool, db, row, 1);
    a->name = aa_store_col(pool, db, row, 2);
    a->mode = aa_store_col(pool, db, row, 3);
    a->status = aa_store_col(pool, db, row, 4);
    a->user_id = aa_store_col(pool, db, row, 5);
    a->public_key = aa_store_col(pool, db, row, 6);
    a->key_thumbprint = aa_store_col(pool, db, row, 7);
    a->jwks_url = aa_store_col(pool, db, row, 8);
    a->kid = aa_store_col(pool, db, row, 9);
    a->created_at = aa_store_col_i64(db, row, 10);
    a->updated_at = aa_store_col_i64(db, row, 11);
    a->activated_at = aa_store_col_i64(db, row, 12);
    a->last_used_at = aa_store_col_i64(db, row, 13);
    a->expires_at = aa_store_col_i64(db, row, 14);
    return a;
}

static void *map_grant(apr_pool_t *pool, const aa_db_t *db, apr_dbd_row_t *row)
{
    aa_grant_t *g = apr_pcalloc(pool, sizeof(*g));

    g->id = aa_store_col(pool, db, row, 0);
    g->agent_id = aa_store_col(pool, db, row, 1);
    g->capability = aa_store_col(pool, db, row, 2);
    g->status = aa_store_col(pool, db, row, 3);
    g->constraints = aa_store_col(pool, db, row, 4);
    g->granted_by = aa_store_col(pool, db, row, 5);
    g->denied_by = aa_store_col(pool, db, row, 6);
    g->reason = aa_store_col(pool, db, row, 7);
    g->expires_at = aa_store_col_i64(db, row, 8);
    g->created_at = aa_store_col_i64(db, row, 9);
    g->updated_at = aa_store_col_i64(db, row, 10);
    return g;
}

static void *map_approval(apr_pool_t *pool, const aa_db_t *db, apr_dbd_row_t *row)
{
    aa_approval_t *a = apr_pcalloc(pool, sizeof(*a));

    a->id = aa_store_col(pool, db, row, 0);
    a->agent_id = aa_store_col(pool, db, row, 1);
    a->host_id = aa_store_col(pool, db, row, 2);
    a->method = aa_store_col(pool, db, row, 3);
    a->kind = aa_store_col(pool, db, row, 4);
    a->user_code_hash = aa_store_col(pool, db, row, 5);
    a->status = aa_store_col(pool, db, row, 6);
    a->capabilities = aa_store_col(pool, db, row, 7);
    a->binding_message = aa_store_col(pool, db, row, 8);
    a->created_at = aa_store_col_i64(db, row, 9);
    a->expires_at = aa_store_col_i64(db, row, 10);
    a->resolved_at = aa_store_col_i64(db, row, 11);
    a->resolved_by = aa_store_col(pool, db, row, 12);
    return a;
}

/*
 * NB: MariaDB's PAD SPACE collations find "id " for "id"; every lookup by an
 * identifier is confirmed byte for byte, as SQLite and PostgreSQL compare.
 */
static apr_status_t same_id(apr_status_t rv, const char *found, const char *wanted)
{
    if (rv == APR_SUCCESS && strcmp(found, wanted) != 0)
        return APR_NOTFOUND;
    return rv;
}

apr_status_t aa_store_host_get(apr_pool_t *pool, aa_db_t *db, const char *id,
                               aa_host_t **host, const char **errstr)
{
    const char *args[] = { id };
    apr_status_t rv = aa_store_select_one(pool, db, "aa_host_get", 1, args, map_host, (void **)host,
                                 errstr);

    return same_id(rv, rv == APR_SUCCESS ? (*host)->id : "", id);
}

apr_status_t aa_store_host_list(apr_pool_t *pool, aa_db_t *db, apr_array_header_t **hosts,
                                const char **errstr)
{
    return aa_store_select_rows(pool, db, "aa_host_list", 0, NULL, map_host, hosts, errstr);
}

apr_status_t aa_store_host_insert(apr_pool_t *pool, aa_db_t *db, const aa_host_t *h,
                                  const char **errstr)
{
    const char *args[] = { h->id, h->name, h->public_key, h->key_thumbprint, h->kid,
                           h->jwks_url, h->user_id, h->status, h->default_capabilities,
                           I64(pool, h->created_at), I64(pool, h->updated_at),
                           I64(pool, h->activated_at), I64(pool, h->last_used_at) };

    return aa_store_exec_rows(pool, db, "aa_host_insert", 13, args, NULL, errstr);
}

apr_status_t aa_store_host_set_status(apr_pool_t *pool, aa_db_t *db, const char *id,
                                      const char *from, const char *to,
                                      apr_int64_t activated_at, apr_int64_t now,
                                      const char **errstr)
{
    const char *args[] = { to, I64(pool, activated_at), I64(pool, now), id, from };
    int nrows = 0;
    apr_status_t rv = aa_store_exec_rows(pool, db, "aa_host_set_status", 5, args, &nrows, errstr);

    if (rv == APR_SUCCESS && nrows == 0)
        return APR_NOTFOUND;
    return rv;
}

apr_status_t aa_store_host_link(apr_pool_t *pool, aa_db_t *db, const char *id,
                                const char *user_id, apr_int64_t now, const char **errstr)
{
    const char *args[] = { user_id, I64(pool, now), id };
    int nrows = 0;
    apr_status_t rv = aa_store_exec_rows(pool, db, "aa_host_link", 3, args, &nrows, errstr);

    if (rv == APR_SUCCESS && nrows == 0)
        return APR_NOTFOUND;
    return rv;
}

apr_status_t aa_store_host_lock(apr_pool_t *pool, aa_db_t *db, const char *id,
                                aa_host_t **host, const char **errstr)
{
    const char *args[] = { id };
    /* Rows "changed" by a no-op write differ by driver (mysql says 0):
     * the read says whether the host exists. */
    apr_status_t rv = aa_store_exec_rows(pool, db, "aa_host_lock", 1, args, NULL, errstr);

    if (rv != APR_SUCCESS)
        return rv;
    return aa_store_host_get(pool, db, id, host, errstr);
}

apr_status_t aa_store_host_touch(apr_pool_t *pool, aa_db_t *db, const char *id,
                                 apr_int64_t now, const char **errstr)
{
    const char *args[] = { I64(pool, now), id };

    return aa_store_exec_rows(pool, db, "aa_host_touch", 2, args, NULL, errstr);
}

apr_status_t aa_store_agent_get(apr_pool_t *pool, aa_db_t *db, const char *id,
                                aa_agent_t **agent, const char **errstr)
{
    const char *args[] = { id };
    apr_status_t rv = aa_store_select_one(pool, db, "aa_agent_get", 1, args, map_agent,
                                 (void **)agent, errstr);

    return same_id(rv, rv == APR_SUCCESS ? (*agent)->id : "", id);
}

apr_status_t aa_store_agent_find_key(apr_pool_t *pool, aa_db_t *db, const char *host_id,
                                     const char *thumbprint, aa_agent_t **agent,
                                     const char **errstr)
{
    const char *args[] = { host_id, thumbprint };
    apr_status_t rv = aa_store_select_one(pool, db, "aa_agent_find_key", 2, args, map_agent,
                                 (void **)agent, errstr);

    return same_id(rv, rv == APR_SUCCESS ? (*agent)->key_thumbprint : "", thumbprint);
}

apr_status_t aa_store_agent_list(apr_pool_t *pool, aa_db_t *db, apr_array_header_t **agents,
                                 const char **errstr)
{
    return aa_store_select_rows(pool, db, "aa_agent_list", 0, NULL, map_agent, agents, errstr);
}

apr_status_t aa_store_agent_insert(apr_pool_t *pool, aa_db_t *db, const aa_agent_t *a,
                                   const char **errstr)
{
    const char *args[] = { a->id, a->host_id, a->name, a->mode, a->status, a->user_id,
                           a->public_key, a->key_thumbprint, a->jwks_url, a->kid,
                           I64(pool, a->created_at), I64(pool, a->updated_at),
                           I64(pool, a->activated_at), I64(pool, a->last_used_at),
                           I64(pool, a->expires_at) };

    return aa_store_exec_rows(pool, db, "aa_agent_insert", 15, args, NULL, errstr);
}

apr_status_t aa_store_agent_set_status(apr_pool_t *pool, aa_db_t *db, const aa_agent_t *a,
                                       const char *from, apr_int64_t now, const char **errstr)
{
    const char *args[] = { a->status, a->user_id, I64(pool, a->activated_at),
                           I64(pool, a->last_used_at), I64(pool, a->expires_at),
                           I64(pool, now), a->id, from };
    int nrows = 0;
    apr_status_t rv = aa_store_exec_rows(pool, db, "aa_agent_set_status", 8, args, &nrows, errstr);

    if (rv == APR_SUCCESS && nrows == 0)
        return APR_NOTFOUND;
    return rv;
}

apr_status_t aa_store_grant_list(apr_pool_t *pool, aa_db_t *db, const char *agent_id,
                                 apr_array_header_t **grants, const char **errstr)
{
    const char *args[] = { agent_id };

    return aa_store_select_rows(pool, db, "aa_grant_list", 1, args, map_grant, grants, errstr);
}

apr_status_t aa_store_grant_active_for(apr_pool_t *pool, aa_db_t *db, const char *agent_id,
                                       const char *capability, apr_array_header_t **grants,
                                       const char **errstr)
{
    const char *args[] = { agent_id, capability };

    return aa_store_select_rows(pool, db, "aa_grant_active_for", 2, args, map_grant, grants,
                                errstr);
}

apr_status_t aa_store_grant_insert(apr_pool_t *pool, aa_db_t *db, const aa_grant_t *g,
                                   const char **errstr)
{
    const char *args[] = { g->id, g->agent_id, g->capability, g->status, g->constraints,
                           g->granted_by, g->denied_by, g->reason, I64(pool, g->expires_at),
                           I64(pool, g->created_at), I64(pool, g->updated_at) };

    return aa_store_exec_rows(pool, db, "aa_grant_insert", 11, args, NULL, errstr);
}

apr_status_t aa_store_grant_approve_pending(apr_pool_t *pool, aa_db_t *db,
                                            const char *agent_id, const char *granted_by,
                                            apr_int64_t now, int *count, const char **errstr)
{
    const char *args[] = { granted_by, I64(pool, now), agent_id };

    return aa_store_exec_rows(pool, db, "aa_grant_approve_pending", 3, args, count, errstr);
}

apr_status_t aa_store_grant_deny_pending(apr_pool_t *pool, aa_db_t *db, const char *agent_id,
                                         const char *denied_by, const char *reason,
                                         apr_int64_t now, int *count, const char **errstr)
{
    const char *args[] = { denied_by, reason, I64(pool, now), agent_id };

    return aa_store_exec_rows(pool, db, "aa_grant_deny_pending", 4, args, count, errstr);
}

apr_status_t aa_store_approval_get(apr_pool_t *pool, aa_db_t *db, const char *id,
                                   aa_approval_t **approval, const char **errstr)
{
    const char *args[] = { id };
    apr_status_t rv = aa_store_select_one(pool, db, "aa_approval_get", 1, args, map_approval,
                                 (void **)approval, errstr);

    return same_id(rv, rv == APR_SUCCESS ? (*approval)->id : "", id);
}

apr_status_t aa_store_approval_by_code(apr_pool_t *pool, aa_db_t *db, const char *code_hash,
                                       aa_approval_t **approval, const char **errstr)
{
    const char *args[] = { code_hash };

    return aa_store_select_one(pool, db, "aa_approval_by_code", 1, args, map_approval,
                      (void **)approval, errstr);
}

apr_status_t aa_store_approval_list_pending(apr_pool_t *pool, aa_db_t *db,
                                            apr_array_header_t **approvals,
                                            const char **errstr)
{
    return aa_store_select_rows(pool, db, "aa_approval_list_pending", 0, NULL, map_approval,
                       approvals, errstr);
}

apr_status_t aa_store_approval_insert(apr_pool_t *pool, aa_db_t *db, const aa_approval_t *a,
                                      const char **errstr)
{
    const char *args[] = { a->id, a->agent_id, a->host_id, a->method, a->kind,
                           a->user_code_hash, a->status, a->capabilities,
                           a->binding_message, I64(pool, a->created_at),
                           I64(pool, a->expires_at), I64(pool, a->resolved_at),
                           a->resolved_by };

    return aa_store_exec_rows(pool, db, "aa_approval_insert", 13, args, NULL, errstr);
}

apr_status_t aa_store_approval_resolve(apr_pool_t *pool, aa_db_t *db, const char *id,
                                       const char *status, const char *by, apr_int64_t now,
                                       const char **errstr)
{
    const char *args[] = { status, I64(pool, now), by, id };
    int nrows = 0;
    apr_status_t rv = aa_store_exec_rows(pool, db, "aa_approval_resolve", 4, args, &nrows, errstr);

    if (rv == APR_SUCCESS && nrows == 0)
        return APR_NOTFOUND;
    return rv;
}

apr_status_t aa_store_approval_supersede(apr_pool_t *pool, aa_db_t *db, const char *agent_id,
                                         apr_int64_t now, const char **errstr)
{
    const char *args[] = { I64(pool, now), agent_id };

    return aa_store_exec_rows(pool, db, "aa_approval_supersede", 2, args, NULL, errstr);
}

apr_status_t aa_store_host_find_iss(apr_pool_t *pool, aa_db_t *db, const char *iss,
                                    aa_host_t **host, const char **errstr)
{
    const char *args[] = { iss };
    apr_status_t rv;

    /* The current key's thumbprint first: after a rotation, id is the old one. */
    rv = aa_store_select_one(pool, db, "aa_host_by_thumbprint", 1, args, map_host, (void **)host,
                    errstr);
    rv = same_id(rv, rv == APR_SUCCESS ? (*host)->key_thumbprint : "", iss);
    if (rv != APR_NOTFOUND)
        return rv;
    return aa_store_host_get(pool, db, iss, host, errstr);
}

apr_status_t aa_store_host_update_key(apr_pool_t *pool, aa_db_t *db, const char *id,
                                      const char *old_thumbprint, const char *public_key,
                                      const char *thumbprint, const char *kid,
                                      apr_int64_t now, const char **errstr)
{
    const char *args[] = { public_key, thumbprint, kid, I64(pool, now), id, old_thumbprint };
    int nrows = 0;
    apr_status_t rv = aa_store_exec_rows(pool, db, "aa_host_update_key", 6, args, &nrows, errstr);

    if (rv == APR_SUCCESS && nrows == 0)
        return APR_NOTFOUND;
    return rv;
}

apr_status_t aa_store_host_revoke(apr_pool_t *pool, aa_db_t *db, const char *id,
                                  apr_int64_t now, const char **errstr)
{
    const char *args[] = { I64(pool, now), id };
    int nrows = 0;
    apr_status_t rv = aa_store_exec_rows(pool, db, "aa_host_revoke", 2, args, &nrows, errstr);

    if (rv == APR_SUCCESS && nrows == 0)
        return APR_NOTFOUND;
    return rv;
}

apr_status_t aa_store_host_set_defaults(apr_pool_t *pool, aa_db_t *db, const char *id,
                                        const char *caps_json, apr_int64_t now,
                                        const char **errstr)
{
    const char *args[] = { caps_json, I64(pool, now), id };

    return aa_store_exec_rows(pool, db, "aa_host_set_defaults", 3, args, NULL, errstr);
}

apr_status_t aa_store_agent_list_host(apr_pool_t *pool, aa_db_t *db, const char *host_id,
                                      apr_array_header_t **agents, const char **errstr)
{
    const char *args[] = { host_id };

    return aa_store_select_rows(pool, db, "aa_agent_list_host", 1, args, map_agent, agents, errstr);
}

apr_status_t aa_store_agent_revoke_host(apr_pool_t *pool, aa_db_t *db, const char *host_id,
                                        apr_int64_t now, int *count, const char **errstr)
{
    const char *args[] = { I64(pool, now), host_id };

    return aa_store_exec_rows(pool, db, "aa_agent_revoke_host", 2, args, count, errstr);
}

apr_status_t aa_store_agent_update_key(apr_pool_t *pool, aa_db_t *db, const char *id,
                                       const char *public_key, const char *thumbprint,
                                       const char *kid, apr_int64_t now, const char **errstr)
{
    const char *args[] = { public_key, thumbprint, kid, I64(pool, now), id };

    return aa_store_exec_rows(pool, db, "aa_agent_update_key", 5, args, NULL, errstr);
}

apr_status_t aa_store_agent_touch(apr_pool_t *pool, aa_db_t *db, const char *id,
                                  apr_int64_t last_used, apr_int64_t expires_at,
                                  const char **errstr)
{
    const char *args[] = { I64(pool, last_used), I64(pool, expires_at), id };

    return aa_store_exec_rows(pool, db, "aa_agent_touch", 3, args, NULL, errstr);
}

apr_status_t aa_store_grant_set_status(apr_pool_t *pool, aa_db_t *db, const aa_grant_t *g,
                                       const char *from, apr_int64_t now, const char **errstr)
{
    const char *args[] = { g->status, g->granted_by, g->denied_by, g->reason, I64(pool, now),
                           g->id, from };
    int nrows = 0;
    apr_status_t rv = aa_store_exec_rows(pool, db, "aa_grant_set_status", 7, args, &nrows, errstr);

    if (rv == APR_SUCCESS && nrows == 0)
        return APR_NOTFOUND;
    return rv;
}

apr_status_t aa_store_grant_revoke_agent(apr_pool_t *pool, aa_db_t *db, const char *agent_id,
                                         apr_int64_t now, int *count, const char **errstr)
{
    const char *args[] = { I64(pool, now), agent_id };

    return aa_store_exec_rows(pool, db, "aa_grant_revoke_agent", 2, args, count, errstr);
}

apr_status_t aa_store_grant_revoke_host(apr_pool_t *pool, aa_db_t *db, const char *host_id,
                                        apr_int64_t now, int *count, const char **errstr)
{
    const char *args[] = { I64(pool, now), host_id };

    return aa_store_exec_rows(pool, db, "aa_grant_revoke_host", 2, args, count, errstr);
}

apr_status_t aa_store_approval_supersede_host(apr_pool_t *pool, aa_db_t *db,
                                              const char *host_id, apr_int64_t now,
                                              const char **errstr)
{
    const char *args[] = { I64(pool, now), host_id };

    return aa_store_exec_rows(pool, db, "aa_approval_supersede_host", 2, args, NULL, errstr);
}

/* Runs a maintenance statement whose only parameters are times. */
apr_status_t aa_store_exec_times(apr_pool_t *pool, aa_db_t *db, const char *label, int ntimes,
                                 apr_int64_t t1, apr_int64_t t2, int *count,
                                 const char **errstr)
{
    const char *args[] = { I64(pool, t1), I64(pool, t2) };

    return aa_store_exec_rows(pool, db, label, ntimes, args, count, errstr);
}

apr_status_t aa_store_grant_revoke_one(apr_pool_t *pool, aa_db_t *db, const char *agent_id,
                                       const char *capability, apr_int64_t now, int *count,
                                       const char **errstr)
{
    const char *args[] = { I64(pool, now), agent_id, capability };

    return aa_store_exec_rows(pool, db, "aa_grant_revoke_one", 3, args, count, errstr);
}

apr_status_t aa_store_exec_host(apr_pool_t *pool, aa_db_t *db, const char *label,
                                const char *host_id, apr_int64_t now, int *count,
                                const char **errstr)
{
    const char *args[] = { I64(pool, now), host_id };

    return aa_store_exec_rows(pool, db, label, 2, args, count, errstr);
}

apr_status_t aa_store_host_by_jwks_url(apr_pool_t *pool, aa_db_t *db, const char *url,
                                       aa_host_t **host, const char **errstr)
{
    const char *args[] = { url };

    return aa_store_select_one(pool, db, "aa_host_by_jwks_url", 1, args, map_host, (void **)host,
                      errstr);
}
