/* SPDX-License-Identifier: Apache-2.0 */
/* aa_buf: a growable, size-limited byte buffer in a pool. */
#include "aa_buf.h"

#include <string.h>

#define AA_BUF_FIRST 8192

apr_status_t aa_buf_append(apr_pool_t *pool, aa_buf_t *buf, const char *data, apr_size_t n,
                           apr_size_t limit)
{
    if (n > limit - buf->len) {
        buf->overflow = 1;
        return APR_ENOSPC;
    }
    if (buf->len + n + 1 > buf->cap) {
        apr_size_t cap = buf->cap ? buf->cap : AA_BUF_FIRST;
        char *grown;

        while (cap < buf->len + n + 1)
            cap *= 2;
        grown = apr_palloc(pool, cap);
        if (buf->len)
            memcpy(grown, buf->data, buf->len);
        buf->data = grown;
        buf->cap = cap;
    }
    memcpy(buf->data + buf->len, data, n);
    buf->len += n;
    buf->data[buf->len] = '\0';
    return APR_SUCCESS;
}
