/* SPDX-License-Identifier: Apache-2.0 */
/* aa_types: the records kept in the database. Absent text is "", absent time 0. */
#ifndef AA_TYPES_H
#define AA_TYPES_H

#include <apr.h>

/* Host, agent and grant states as stored (the spec's names). */
#define AA_ST_PENDING "pending"
#define AA_ST_ACTIVE "active"
#define AA_ST_EXPIRED "expired"
#define AA_ST_REVOKED "revoked"
#define AA_ST_REJECTED "rejected"
#define AA_ST_CLAIMED "claimed"
#define AA_ST_DENIED "denied"
/* Grants only: withdrawn by revocation or reactivation. */
#define AA_ST_GRANT_REVOKED "revoked"

/* Approval request states. */
#define AA_AP_PENDING "pending"
#define AA_AP_APPROVED "approved"
#define AA_AP_DENIED "denied"
#define AA_AP_EXPIRED "expired"
#define AA_AP_SUPERSEDED "superseded"

#define AA_MODE_DELEGATED "delegated"
#define AA_MODE_AUTONOMOUS "autonomous"

#define AA_METHOD_DEVICE "device_authorization"
#define AA_METHOD_CIBA "ciba"
/* Approval request ids, which aactl also accepts in place of a user code. */
#define AA_DEVICE_ID_PREFIX "dc_"
#define AA_CIBA_ID_PREFIX "ciba_"

typedef struct {
    const char *id; /* thumbprint of the key it registered with; never changes */
    const char *name;
    const char *public_key;     /* JWK JSON */
    const char *key_thumbprint; /* of the current key: the iss of its JWTs */
    const char *kid;
    const char *jwks_url;
    const char *user_id; /* "" while unlinked */
    const char *status;
    const char *default_capabilities; /* JSON array, or "" for the server's */
    apr_int64_t created_at;
    apr_int64_t updated_at;
    apr_int64_t activated_at;
    apr_int64_t last_used_at;
} aa_host_t;

typedef struct {
    const char *id;
    const char *host_id;
    const char *name;
    const char *mode;
    const char *status;
    const char *user_id;
    const char *public_key; /* JWK JSON */
    const char *key_thumbprint;
    const char *jwks_url;
    const char *kid;
    apr_int64_t created_at;
    apr_int64_t updated_at;
    apr_int64_t activated_at;
    apr_int64_t last_used_at;
    apr_int64_t expires_at;
} aa_agent_t;

typedef struct {
    const char *id;
    const char *agent_id;
    const char *capability;
    const char *status;
    const char *constraints; /* JSON object, or "" */
    const char *granted_by;
    const char *denied_by;
    const char *reason;
    apr_int64_t expires_at; /* 0: no expiry */
    apr_int64_t created_at;
    apr_int64_t updated_at;
} aa_grant_t;

typedef struct {
    const char *id; /* also the device_code */
    const char *agent_id;
    const char *host_id;
    const char *method;
    const char *kind; /* registration, capability, reactivation */
    const char *user_code_hash;
    const char *status;
    const char *capabilities; /* JSON array of names awaiting approval */
    const char *binding_message;
    apr_int64_t created_at;
    apr_int64_t expires_at;
    apr_int64_t resolved_at;
    const char *resolved_by;
} aa_approval_t;

#endif
