/* SPDX-License-Identifier: Apache-2.0 */
/* aa_time: seconds since the epoch, and their ISO 8601 form. */
#ifndef AA_TIME_H
#define AA_TIME_H

#include <apr_pools.h>

/* The current time in whole seconds since the epoch. */
apr_int64_t aa_now(void);

/* "2026-02-25T10:00:00Z" in pool, or NULL for 0 (never). */
const char *aa_iso8601(apr_pool_t *pool, apr_int64_t t);

#endif
