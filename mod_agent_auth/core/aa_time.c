/* SPDX-License-Identifier: Apache-2.0 */
/* aa_time: the protocol's clock and date format. */
#include "aa_time.h"

#include <apr_strings.h>
#include <apr_time.h>

apr_int64_t aa_now(void)
{
    return (apr_int64_t)apr_time_sec(apr_time_now());
}

const char *aa_iso8601(apr_pool_t *pool, apr_int64_t t)
{
    apr_time_exp_t tm;

    if (t <= 0)
        return NULL;
    if (apr_time_exp_gmt(&tm, apr_time_from_sec(t)) != APR_SUCCESS)
        return NULL;
    return apr_psprintf(pool, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
                        tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}
