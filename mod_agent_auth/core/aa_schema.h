/* SPDX-License-Identifier: Apache-2.0 */
/*
 * aa_schema: the JSON Schema subset capability inputs use: type (string,
 * number, integer, boolean, object, array, null, or an array of these),
 * required, properties, enum, minimum, maximum, minLength, maxLength, items.
 * Other keywords are ignored, so schemas written for richer validators
 * still load; they are simply not enforced here.
 */
#ifndef AA_SCHEMA_H
#define AA_SCHEMA_H

#include "aa_json.h"

/*
 * Validate value against schema. APR_SUCCESS, or APR_EINVAL with *errstr
 * naming the first offending path, e.g. "arguments.amount: expected number".
 * A NULL schema accepts anything.
 */
apr_status_t aa_schema_validate(apr_pool_t *pool, const aa_json_t *schema,
                                const aa_json_t *value, const char **errstr);

#endif
