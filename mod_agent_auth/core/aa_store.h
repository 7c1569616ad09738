/* SPDX-License-Identifier: Apache-2.0 */
/*
 * aa_store: typed persistence over apr_dbd prepared statements. Used by the
 * module (through mod_dbd's connection) and by aactl (its own connection).
 * Every function returns APR_SUCCESS, APR_NOTFOUND where noted, or an error
 * status with the driver's text in *errstr. Nothing here logs.
 */
#ifndef AA_STORE_H
#define AA_STORE_H

#include "aa_types.h"

#include <apr_dbd.h>
#include <apr_hash.h>
#include <apr_tables.h>

typedef struct {
    const apr_dbd_driver_t *driver;
    apr_dbd_t *handle;
    apr_pool_t *pool;     /* where statements are (re)prepared */
    apr_hash_t *prepared; /* label -> apr_dbd_prepared_t * */
    apr_dbd_transaction_t *txn; /* open transaction, or NULL */
} aa_db_t;


/*
 * Prepare every statement of aa_sql_statements on db->handle into
 * db->prepared (aactl's path; the module lets mod_dbd do this).
 */
apr_status_t aa_store_prepare_all(aa_db_t *db, const char **errstr);

/* Create the schema (tables, indexes, version row) in one go. */
apr_status_t aa_store_schema_create(apr_pool_t *pool, aa_db_t *db, const char **errstr);

/* Read the schema version; APR_NOTFOUND when the tables are missing. */
apr_status_t aa_store_schema_version(apr_pool_t *pool, aa_db_t *db, int *version,
                                     const char **errstr);

/* Transactions: begin, then end with commit (ok != 0) or rollback. */
apr_status_t aa_store_begin(apr_pool_t *pool, aa_db_t *db, const char **errstr);
apr_status_t aa_store_end(apr_pool_t *pool, aa_db_t *db, int ok, const char **errstr);

/* Hosts. */
apr_status_t aa_store_host_get(apr_pool_t *pool, aa_db_t *db, const char *id,
                               aa_host_t **host, const char **errstr);
apr_status_t aa_store_host_list(apr_pool_t *pool, aa_db_t *db, apr_array_header_t **hosts,
                                const char **errstr);
apr_status_t aa_store_host_insert(apr_pool_t *pool, aa_db_t *db, const aa_host_t *host,
                                  const char **errstr);
/*
 * Move host id from status from to status to (stamping activated_at with
 * activated_at). APR_NOTFOUND when the host was not in status from.
 */
apr_status_t aa_store_host_set_status(apr_pool_t *pool, aa_db_t *db, const char *id,
                                      const char *from, const char *to,
                                      apr_int64_t activated_at, apr_int64_t now,
                                      const char **errstr);
/* Link an unlinked host; APR_NOTFOUND when it is linked already. */
/*
 * Inside a transaction: lock the host's row (a no-op write, so that link,
 * unlink and revoke wait for us and we for them) and read it afresh.
 * APR_NOTFOUND when the host is gone.
 */
apr_status_t aa_store_host_lock(apr_pool_t *pool, aa_db_t *db, const char *id,
                                aa_host_t **host, const char **errstr);
/* Record that the host signed a request now (§3.1 last_used_at). */
apr_status_t aa_store_host_touch(apr_pool_t *pool, aa_db_t *db, const char *id,
                                 apr_int64_t now, const char **errstr);
apr_status_t aa_store_host_link(apr_pool_t *pool, aa_db_t *db, const char *id,
                                const char *user_id, apr_int64_t now, const char **errstr);

/* Host by the iss of its JWTs: its current key's thumbprint, else its id. */
apr_status_t aa_store_host_find_iss(apr_pool_t *pool, aa_db_t *db, const char *iss,
                                    aa_host_t **host, const char **errstr);
/* The JWKS host publishing its keys at url; APR_NOTFOUND when none. */
apr_status_t aa_store_host_by_jwks_url(apr_pool_t *pool, aa_db_t *db, const char *url,
                                       aa_host_t **host, const char **errstr);
/* Replace the key, if it is still old_thumbprint's; APR_NOTFOUND otherwise. */
apr_status_t aa_store_host_update_key(apr_pool_t *pool, aa_db_t *db, const char *id,
                                      const char *old_thumbprint, const char *public_key,
                                      const char *thumbprint, const char *kid,
                                      apr_int64_t now, const char **errstr);
/* Revoke a host; APR_NOTFOUND when it was already revoked (or is absent). */
apr_status_t aa_store_host_revoke(apr_pool_t *pool, aa_db_t *db, const char *id,
                                  apr_int64_t now, const char **errstr);
/* Set a host's own default capabilities (JSON array text; "" for the server's). */
apr_status_t aa_store_host_set_defaults(apr_pool_t *pool, aa_db_t *db, const char *id,
                                        const char *caps_json, apr_int64_t now,
                                        const char **errstr);

/* Agents. */
apr_status_t aa_store_agent_list_host(apr_pool_t *pool, aa_db_t *db, const char *host_id,
                                      apr_array_header_t **agents, const char **errstr);
/* Revoke every agent of a host that is not already terminal; *count of them. */
apr_status_t aa_store_agent_revoke_host(apr_pool_t *pool, aa_db_t *db, const char *host_id,
                                        apr_int64_t now, int *count, const char **errstr);
apr_status_t aa_store_agent_update_key(apr_pool_t *pool, aa_db_t *db, const char *id,
                                       const char *public_key, const char *thumbprint,
                                       const char *kid, apr_int64_t now, const char **errstr);
/* Record activity of an active agent: its sliding session clock. */
apr_status_t aa_store_agent_touch(apr_pool_t *pool, aa_db_t *db, const char *id,
                                  apr_int64_t last_used, apr_int64_t expires_at,
                                  const char **errstr);
apr_status_t aa_store_agent_get(apr_pool_t *pool, aa_db_t *db, const char *id,
                                aa_agent_t **agent, const char **errstr);
apr_status_t aa_store_agent_find_key(apr_pool_t *pool, aa_db_t *db, const char *host_id,
                                     const char *thumbprint, aa_agent_t **agent,
                                     const char **errstr);
apr_status_t aa_store_agent_list(apr_pool_t *pool, aa_db_t *db, apr_array_header_t **agents,
                                 const char **errstr);
apr_status_t aa_store_agent_insert(apr_pool_t *pool, aa_db_t *db, const aa_agent_t *agent,
                                   const char **errstr);
/*
 * Compare-and-set the status of agent->id from status from to agent->status,
 * writing user_id, activated_at, last_used_at and expires_at from agent.
 * APR_NOTFOUND when the agent was no longer in status from.
 */
apr_status_t aa_store_agent_set_status(apr_pool_t *pool, aa_db_t *db, const aa_agent_t *agent,
                                       const char *from, apr_int64_t now, const char **errstr);

/* Grants. */
apr_status_t aa_store_grant_list(apr_pool_t *pool, aa_db_t *db, const char *agent_id,
                                 apr_array_header_t **grants, const char **errstr);
/* Active grant rows of one capability, oldest first (expiry is the caller's). */
apr_status_t aa_store_grant_active_for(apr_pool_t *pool, aa_db_t *db, const char *agent_id,
                                       const char *capability, apr_array_header_t **grants,
                                       const char **errstr);
apr_status_t aa_store_grant_insert(apr_pool_t *pool, aa_db_t *db, const aa_grant_t *grant,
                                   const char **errstr);
/* Compare-and-set one grant from status from to g's status, by and reason. */
apr_status_t aa_store_grant_set_status(apr_pool_t *pool, aa_db_t *db, const aa_grant_t *g,
                                       const char *from, apr_int64_t now, const char **errstr);
/* Withdraw the active and pending grants of an agent, or of every agent of a host. */
apr_status_t aa_store_grant_revoke_agent(apr_pool_t *pool, aa_db_t *db, const char *agent_id,
                                         apr_int64_t now, int *count, const char **errstr);
apr_status_t aa_store_grant_revoke_host(apr_pool_t *pool, aa_db_t *db, const char *host_id,
                                        apr_int64_t now, int *count, const char **errstr);
/* Approve or deny every pending grant of an agent; *count gets the rows changed. */
apr_status_t aa_store_grant_approve_pending(apr_pool_t *pool, aa_db_t *db,
                                            const char *agent_id, const char *granted_by,
                                            apr_int64_t now, int *count, const char **errstr);
apr_status_t aa_store_grant_deny_pending(apr_pool_t *pool, aa_db_t *db, const char *agent_id,
                                         const char *denied_by, const char *reason,
                                         apr_int64_t now, int *count, const char **errstr);

/* Approval requests. */
apr_status_t aa_store_approval_get(apr_pool_t *pool, aa_db_t *db, const char *id,
                                   aa_approval_t **approval, const char **errstr);
apr_status_t aa_store_approval_by_code(apr_pool_t *pool, aa_db_t *db, const char *code_hash,
                                       aa_approval_t **approval, const char **errstr);
apr_status_t aa_store_approval_list_pending(apr_pool_t *pool, aa_db_t *db,
                                            apr_array_header_t **approvals,
                                            const char **errstr);
apr_status_t aa_store_approval_insert(apr_pool_t *pool, aa_db_t *db,
                                      const aa_approval_t *approval, const char **errstr);
/* Resolve a pending approval; APR_NOTFOUND when it was no longer pending. */
apr_status_t aa_store_approval_resolve(apr_pool_t *pool, aa_db_t *db, const char *id,
                                       const char *status, const char *by, apr_int64_t now,
                                       const char **errstr);
/* Mark every pending approval of an agent superseded. */
apr_status_t aa_store_approval_supersede(apr_pool_t *pool, aa_db_t *db, const char *agent_id,
                                         apr_int64_t now, const char **errstr);

/* Close every pending approval of a host's agents (the host was revoked). */
apr_status_t aa_store_approval_supersede_host(apr_pool_t *pool, aa_db_t *db,
                                              const char *host_id, apr_int64_t now,
                                              const char **errstr);

/*
 * Run one of the maintenance statements (aa_approval_expire_due,
 * aa_approval_purge, aa_agent_purge_pending*, aa_host_purge_pending), whose
 * parameters are ntimes (1 or 2) times; *count gets the rows affected.
 */
apr_status_t aa_store_exec_times(apr_pool_t *pool, aa_db_t *db, const char *label, int ntimes,
                                 apr_int64_t t1, apr_int64_t t2, int *count,
                                 const char **errstr);

/*
 * Run a statement taking (now, host_id): aa_host_unlink,
 * aa_grant_revoke_delegated, aa_agent_revoke_delegated,
 * aa_approval_supersede_delegated.
 */
apr_status_t aa_store_exec_host(apr_pool_t *pool, aa_db_t *db, const char *label,
                                const char *host_id, apr_int64_t now, int *count,
                                const char **errstr);

/* Withdraw an agent's active or pending grant of one capability. */
apr_status_t aa_store_grant_revoke_one(apr_pool_t *pool, aa_db_t *db, const char *agent_id,
                                       const char *capability, apr_int64_t now, int *count,
                                       const char **errstr);

#endif
