/* SPDX-License-Identifier: Apache-2.0 */
/* aa_buf: a growable, size-limited byte buffer in a pool (HTTP replies). */
#ifndef AA_BUF_H
#define AA_BUF_H

#include <apr_pools.h>

typedef struct {
    char *data;     /* NUL-terminated after len bytes; NULL while empty */
    apr_size_t len;
    apr_size_t cap;
    int overflow;   /* an append would have passed the limit */
} aa_buf_t;

/*
 * Append n bytes, growing in pool by doubling. APR_SUCCESS, or APR_ENOSPC
 * (and buf->overflow set, nothing appended) when len would pass limit.
 */
apr_status_t aa_buf_append(apr_pool_t *pool, aa_buf_t *buf, const char *data, apr_size_t n,
                           apr_size_t limit);

#endif
