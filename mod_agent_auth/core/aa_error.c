/* SPDX-License-Identifier: Apache-2.0 */
/* aa_error: one table, so no handler invents a status for a code. */
#include "aa_error.h"

typedef struct {
    aa_err_e err;
    const char *name;
    int status;
    const char *message;
} aa_err_row_t;

static const aa_err_row_t aa_err_table[] = {
    { AA_ERR_NONE, "none", 200, "" },
    { AA_ERR_INVALID_REQUEST, "invalid_request", 400, "The request is malformed" },
    { AA_ERR_INVALID_JWT, "invalid_jwt", 401, "The JWT is invalid, expired or badly signed" },
    { AA_ERR_UNAUTHORIZED, "unauthorized", 401, "Authentication is required" },
    { AA_ERR_AUTHENTICATION_REQUIRED, "authentication_required", 401,
      "A host or agent JWT is required" },
    { AA_ERR_AGENT_NOT_FOUND, "agent_not_found", 404, "No such agent" },
    { AA_ERR_HOST_NOT_FOUND, "host_not_found", 404, "No such host" },
    { AA_ERR_CAPABILITY_NOT_FOUND, "capability_not_found", 404, "No such capability" },
    { AA_ERR_CAPABILITY_NOT_GRANTED, "capability_not_granted", 403,
      "The agent has no active grant for this capability" },
    { AA_ERR_INVALID_CAPABILITIES, "invalid_capabilities", 400,
      "One or more requested capability names don't exist" },
    { AA_ERR_UNSUPPORTED_MODE, "unsupported_mode", 400, "This agent mode is not supported" },
    { AA_ERR_UNSUPPORTED_ALGORITHM, "unsupported_algorithm", 400,
      "Only Ed25519 keys (kty OKP, crv Ed25519) are supported" },
    { AA_ERR_INVALID_PUBLIC_KEY, "invalid_public_key", 400, "The public key is malformed" },
    { AA_ERR_AGENT_EXISTS, "agent_exists", 409,
      "An agent with this key is already registered under this host" },
    { AA_ERR_AGENT_REVOKED, "agent_revoked", 403, "The agent has been revoked" },
    { AA_ERR_AGENT_EXPIRED, "agent_expired", 403, "The agent session has expired" },
    { AA_ERR_AGENT_PENDING, "agent_pending", 403, "The agent is still pending approval" },
    { AA_ERR_AGENT_REJECTED, "agent_rejected", 403, "The agent registration was denied" },
    { AA_ERR_AGENT_CLAIMED, "agent_claimed", 403, "The agent has been claimed by a user" },
    { AA_ERR_ABSOLUTE_LIFETIME_EXCEEDED, "absolute_lifetime_exceeded", 403,
      "The agent's absolute lifetime has elapsed" },
    { AA_ERR_HOST_REVOKED, "host_revoked", 403, "The host has been revoked" },
    { AA_ERR_HOST_PENDING, "host_pending", 403, "The host is still pending approval" },
    { AA_ERR_HOST_REJECTED, "host_rejected", 403, "The host was rejected" },
    { AA_ERR_ALREADY_GRANTED, "already_granted", 409,
      "All requested capabilities are already granted" },
    { AA_ERR_CONSTRAINT_VIOLATED, "constraint_violated", 403,
      "Execution arguments violate grant constraints" },
    { AA_ERR_UNKNOWN_CONSTRAINT_OPERATOR, "unknown_constraint_operator", 400,
      "A constraint uses an operator this server does not recognise" },
    { AA_ERR_JTI_REPLAY, "invalid_jwt", 401, "The JWT has already been used" },
    { AA_ERR_METHOD_NOT_ALLOWED, "method_not_allowed", 405,
      "This endpoint does not accept that method" },
    { AA_ERR_NOT_FOUND, "not_found", 404, "No such endpoint" },
    { AA_ERR_PAYLOAD_TOO_LARGE, "invalid_request", 413, "The request body is too large" },
    { AA_ERR_UNSUPPORTED_MEDIA_TYPE, "invalid_request", 415,
      "The request body must be application/json" },
    { AA_ERR_RATE_LIMITED, "rate_limited", 429, "Too many requests" },
    { AA_ERR_BACKEND_ERROR, "internal_error", 502, "The capability backend failed" },
    { AA_ERR_TEMPORARILY_UNAVAILABLE, "internal_error", 503,
      "The service is temporarily unavailable" },
    { AA_ERR_INTERNAL, "internal_error", 500, "Internal server error" },
    { AA_ERR_UNAUTHORIZED_OPERATION, "unauthorized", 403,
      "The caller is not authorized for this operation" },
    { AA_ERR_CONFLICT, "conflict", 409, "The record changed meanwhile; retry" },
};

static const aa_err_row_t *row(aa_err_e err)
{
    if ((unsigned)err >= sizeof(aa_err_table) / sizeof(aa_err_table[0]))
        return &aa_err_table[AA_ERR_INTERNAL];
    return &aa_err_table[err];
}

const char *aa_err_name(aa_err_e err)
{
    return row(err)->name;
}

int aa_err_status(aa_err_e err)
{
    return row(err)->status;
}

const char *aa_err_message(aa_err_e err)
{
    return row(err)->message;
}
