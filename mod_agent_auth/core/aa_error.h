/* SPDX-License-Identifier: Apache-2.0 */
/* aa_error: the protocol's error codes, their HTTP status and default text. */
#ifndef AA_ERROR_H
#define AA_ERROR_H

typedef enum {
    AA_ERR_NONE = 0,
    AA_ERR_INVALID_REQUEST,
    AA_ERR_INVALID_JWT,
    AA_ERR_UNAUTHORIZED,
    AA_ERR_AUTHENTICATION_REQUIRED,
    AA_ERR_AGENT_NOT_FOUND,
    AA_ERR_HOST_NOT_FOUND,
    AA_ERR_CAPABILITY_NOT_FOUND,
    AA_ERR_CAPABILITY_NOT_GRANTED,
    AA_ERR_INVALID_CAPABILITIES,
    AA_ERR_UNSUPPORTED_MODE,
    AA_ERR_UNSUPPORTED_ALGORITHM,
    AA_ERR_INVALID_PUBLIC_KEY,
    AA_ERR_AGENT_EXISTS,
    AA_ERR_AGENT_REVOKED,
    AA_ERR_AGENT_EXPIRED,
    AA_ERR_AGENT_PENDING,
    AA_ERR_AGENT_REJECTED,
    AA_ERR_AGENT_CLAIMED,
    AA_ERR_ABSOLUTE_LIFETIME_EXCEEDED,
    AA_ERR_HOST_REVOKED,
    AA_ERR_HOST_PENDING,
    AA_ERR_HOST_REJECTED,
    AA_ERR_ALREADY_GRANTED,
    AA_ERR_CONSTRAINT_VIOLATED,
    AA_ERR_UNKNOWN_CONSTRAINT_OPERATOR,
    AA_ERR_JTI_REPLAY,
    AA_ERR_METHOD_NOT_ALLOWED,
    AA_ERR_NOT_FOUND,
    AA_ERR_PAYLOAD_TOO_LARGE,
    AA_ERR_UNSUPPORTED_MEDIA_TYPE,
    AA_ERR_RATE_LIMITED,
    AA_ERR_BACKEND_ERROR,
    AA_ERR_TEMPORARILY_UNAVAILABLE,
    AA_ERR_INTERNAL,
    AA_ERR__COUNT
} aa_err_e;

/* The snake_case code sent as "error". */
const char *aa_err_name(aa_err_e err);

/* The HTTP status that goes with err. */
int aa_err_status(aa_err_e err);

/* A default human-readable message for err. */
const char *aa_err_message(aa_err_e err);

#endif
