/* SPDX-License-Identifier: Apache-2.0 */
/*
 * aa_ops: state changes shared by the module and aactl. Each runs as one
 * transaction: after any failure the records are as they were.
 */
#ifndef AA_OPS_H
#define AA_OPS_H

#include "aa_store.h"

/* Whether approving links (trusts) the host for the approving user. */
#define AA_TRUST_NO 0
#define AA_TRUST_YES 1
/* §2.9: approving a delegated agent's first registration links its new host. */
#define AA_TRUST_DEFAULT 2

/* Returned when the record is no longer in a state that allows the change. */
#define AA_ECONFLICT APR_EEXIST

/* How to open an approval; what clients are told comes from the config. */
typedef struct {
    const char *method;          /* AA_METHOD_DEVICE or AA_METHOD_CIBA */
    const char *binding_message; /* CIBA: what the user is asked to confirm */
    apr_int64_t ttl;             /* seconds until the approval expires */
    int keep_older;              /* a plain retry: the agent's live codes stay valid */
} aa_approval_policy_t;

/* The three lifetime clocks of §2.4, in seconds; 0 disables a clock. */
typedef struct {
    apr_int64_t session_ttl;       /* sliding, from the last request */
    apr_int64_t max_lifetime;      /* from the last activation */
    apr_int64_t absolute_lifetime; /* from creation; past it the agent is revoked */
} aa_lifetimes_t;

typedef enum {
    AA_CLOCK_LIVE,    /* no clock has run out */
    AA_CLOCK_EXPIRED, /* session TTL or max lifetime ran out */
    AA_CLOCK_DEAD     /* absolute lifetime ran out */
} aa_clock_e;

/* What the clocks say about agent at now (its stored status aside). */
aa_clock_e aa_clock_check(const aa_agent_t *agent, const aa_lifetimes_t *lt, apr_int64_t now);

/* When the agent's session ends if it was last used at last_used; 0 never. */
apr_int64_t aa_clock_expires_at(const aa_agent_t *agent, const aa_lifetimes_t *lt,
                                apr_int64_t last_used);

/*
 * Write what the clocks decided: an active agent past its session TTL or max
 * lifetime becomes expired; any agent past its absolute lifetime becomes
 * revoked with its grants. agent->status is updated; *state says which.
 */
apr_status_t aa_ops_apply_clock(apr_pool_t *pool, aa_db_t *db, aa_agent_t *agent,
                                const aa_lifetimes_t *lt, apr_int64_t now, aa_clock_e *state,
                                const char **errstr);

/*
 * Revoke an agent and withdraw its grants. AA_ECONFLICT when it is already
 * revoked, APR_NOTFOUND when there is no such agent.
 */
apr_status_t aa_ops_agent_revoke(apr_pool_t *pool, aa_db_t *db, const char *agent_id,
                                 apr_int64_t now, const char **errstr);

/*
 * Revoke a host and, in the same transaction, every agent under it and
 * their grants. *agents_revoked counts the agents. AA_ECONFLICT when the
 * host was already revoked.
 */
apr_status_t aa_ops_host_revoke(apr_pool_t *pool, aa_db_t *db, const char *host_id,
                                apr_int64_t now, int *agents_revoked, const char **errstr);

/*
 * Link an unlinked host to user_id (§2.9) and claim its active or expired
 * autonomous agents (§2.10): they become claimed and lose their grants.
 * *claimed counts them. AA_ECONFLICT when the host is linked to someone else.
 */
apr_status_t aa_ops_host_link(apr_pool_t *pool, aa_db_t *db, const char *host_id,
                              const char *user_id, apr_int64_t now, int *claimed,
                              const char **errstr);

/*
 * Reactivate an expired agent (§5.6) inside the caller's transaction: its
 * grants are withdrawn and the host's defaults granted again, active at
 * once when auto_approve is set, else pending behind a new approval
 * (*approval and *user_code set). Clocks restart except the absolute one.
 */
apr_status_t aa_ops_reactivate(apr_pool_t *pool, aa_db_t *db, aa_agent_t *agent,
                               const apr_array_header_t *defaults, int auto_approve,
                               const aa_lifetimes_t *lt, const aa_approval_policy_t *policy,
                               apr_int64_t now, aa_approval_t **approval,
                               const char **user_code, const char **errstr);

/*
 * Unlink a host from its user (§2.9): its delegated agents, whose authority
 * came from that user, are revoked with their grants. AA_ECONFLICT when the
 * host is not linked.
 */
apr_status_t aa_ops_host_unlink(apr_pool_t *pool, aa_db_t *db, const char *host_id,
                                apr_int64_t now, int *agents_revoked, const char **errstr);

typedef struct {
    int expired;           /* active agents whose session or max lifetime ran out */
    int revoked;           /* agents past their absolute lifetime */
    int approvals_expired; /* pending approvals past their expiry */
    int pending_agents;    /* pending agents deleted (§10.9) */
    int pending_hosts;     /* pending hosts left without agents, deleted */
    int approvals_purged;  /* resolved approvals deleted */
} aa_maintenance_t;

/*
 * The periodic clean-up, safe to run at any time alongside httpd: apply the
 * clocks to every agent, expire overdue approvals, delete agents still
 * pending after pending_age seconds (and their hosts when left empty), and
 * delete resolved approvals older than approval_age seconds (0 skips either).
 */
apr_status_t aa_ops_maintenance(apr_pool_t *pool, aa_db_t *db, const aa_lifetimes_t *lt,
                                apr_int64_t pending_age, apr_int64_t approval_age,
                                apr_int64_t now, aa_maintenance_t *out, const char **errstr);

typedef struct {
    aa_approval_t *approval;
    aa_agent_t *agent;
    aa_host_t *host;
    int grants_changed;
} aa_resolution_t;

/*
 * Open an approval for agent listing every grant of the agent still
 * pending: an approval approves exactly what it shows. Older pending
 * approvals of the agent are superseded, unless policy->keep_older says
 * nothing changed since they were opened (a retried registration), so the
 * code a person already holds keeps working. *user_code is the code to
 * show the human (NULL for CIBA); only its hash is stored. Runs inside the
 * caller's transaction.
 */
apr_status_t aa_ops_approval_open(apr_pool_t *pool, aa_db_t *db, const aa_agent_t *agent,
                                  const char *kind, const aa_approval_policy_t *policy,
                                  apr_int64_t now,
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
 * active, a pending agent becomes active (clocks start now), a pending host
 * becomes active, and
 * with trust_host the host is linked to user_id so that its next agents get
 * the default capabilities at once. Returns APR_SUCCESS, APR_NOTFOUND, or
 * AA_ECONFLICT when the approval is already resolved or has expired.
 */
apr_status_t aa_ops_approve(apr_pool_t *pool, aa_db_t *db, const char *typed,
                            const char *user_id, int trust_host, const aa_lifetimes_t *lt,
                            apr_int64_t now, aa_resolution_t *out, const char **errstr);

/*
 * Partial approval: like aa_ops_approve, but only the pending grants named in
 * only (const char *) become active; the others are denied with reason.
 * A name that is not pending gives APR_NOTFOUND.
 */
apr_status_t aa_ops_approve_some(apr_pool_t *pool, aa_db_t *db, const char *typed,
                                 const char *user_id, int trust_host,
                                 const apr_array_header_t *only, const char *reason,
                                 const aa_lifetimes_t *lt, apr_int64_t now,
                                 aa_resolution_t *out, const char **errstr);

/*
 * Deny a pending approval: pending grants become denied with reason, and a
 * pending agent becomes rejected. Same returns as aa_ops_approve.
 */
apr_status_t aa_ops_deny(apr_pool_t *pool, aa_db_t *db, const char *typed, const char *user_id,
                         const char *reason, apr_int64_t now, aa_resolution_t *out,
                         const char **errstr);

#endif
