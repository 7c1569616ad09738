/* SPDX-License-Identifier: Apache-2.0 */
/* aa_ops_int: helpers shared by aa_ops.c and aa_lifecycle.c only. */
#ifndef AA_OPS_INT_H
#define AA_OPS_INT_H

#include "aa_ops.h"

/* End the open transaction: commit when rv is APR_SUCCESS, else roll back. */
apr_status_t aa_ops_finish(apr_pool_t *pool, aa_db_t *db, apr_status_t rv,
                           const char **errstr);

/*
 * Link host to user_id inside a transaction: its autonomous agents are
 * claimed (§2.10), and delegated agents acting for another user revoked.
 */
apr_status_t aa_ops_link_and_claim(apr_pool_t *pool, aa_db_t *db, aa_host_t *host,
                                   const char *user_id, apr_int64_t now, int *claimed,
                                   const char **errstr);

#endif
