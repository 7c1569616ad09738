/* SPDX-License-Identifier: Apache-2.0 */
/*
 * aa_ops: state changes shared by the module and aactl. Each runs as one
 * transaction: after any failure the records are as they were.
 */
#ifndef AA_OPS_H
#define AA_OPS_H

#include "aa_store.h"

/* Returned when the record is no longer in a state that allows the change. */
#define AA_ECONFLICT APR_EEXIST

typedef struct {
    const char *verification_uri;
    apr_int64_t ttl;      /* seconds until the approval expires */
    apr_int64_t interval; /* polling interval advertised to clients */
} aa_approval_policy_t;

typedef struct {
    aa_approval_t *approval;
    aa_agent_t *agent;
    aa_host_t *host;
    int grants_changed;
} aa_resolution_t;

/*
 * Open a device-authorization approval for agent (superseding its older
 * pending ones). *user_code is the code to show the human; only its hash is
 * stored. Runs inside the caller's transaction, if any.
 */
apr_status_t aa_ops_approval_open(apr_pool_t *pool, aa_db_t *db, const aa_agent_t *agent,
                                  const char *kind, const char *capabilities_json,
                                  const aa_approval_policy_t *policy, apr_int64_t now,
                                  aa_approval_t **approval, const char **user_code,
                                  const char **errstr);

/*
 * Find an approval by what an operator typed: a user code (any case, dash
 * optional) or a device code (approval id). APR_NOTFOUND when neither.
 */
apr_status_t aa_ops_approval_lookup(apr_pool_t *pool, aa_db_t *db, const char *typed,
                                    aa_approval_t **approval, const char **errstr);

/*
 * Approve a pending approval as user_id: its agent's pending grants become
 * active, a pending agent becomes active (session clock from now, expiring
 * after session_ttl seconds unless 0), a pending host becomes active, and
 * with trust_host the host is linked to user_id so that its next agents get
 * the default capabilities at once. Returns APR_SUCCESS, APR_NOTFOUND, or
 * AA_ECONFLICT when the approval is already resolved or has expired.
 */
apr_status_t aa_ops_approve(apr_pool_t *pool, aa_db_t *db, const char *typed,
                            const char *user_id, int trust_host, apr_int64_t session_ttl,
                            apr_int64_t now, aa_resolution_t *out, const char **errstr);

/*
 * Deny a pending approval: pending grants become denied with reason, and a
 * pending agent becomes rejected. Same returns as aa_ops_approve.
 */
apr_status_t aa_ops_deny(apr_pool_t *pool, aa_db_t *db, const char *typed, const char *user_id,
                         const char *reason, apr_int64_t now, aa_resolution_t *out,
                         const char **errstr);

#endif
