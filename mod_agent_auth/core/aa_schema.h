/* SPDX-License-Identifier: Apache-2.0 */
/*
 * aa_schema: the JSON Schema subset capability inputs use: type (string,
 * number, integer, boolean, object, array, null, or an array of these),
 * required, properties, enum, minimum, maximum, minLength, maxLength, items.
 * Other keywords are ignored, so schemas written for richer validators
 * still load; they are simply not enforced here. That includes
 * additionalProperties (members without a property schema always pass) and
 * the tuple form of items (only a single schema for every element is
 * enforced). "integer" is a number without a fraction (1.0 counts); string
 * lengths count UTF-8 code points; minimum, maximum, minLength and maxLength
 * apply only to values of their own type, as in JSON Schema. A true schema
 * accepts anything and a false one nothing. A malformed subset keyword that
 * the value reaches (minimum "zero", required not an array...) is an error.
 */
#ifndef AA_SCHEMA_H
#define AA_SCHEMA_H

#include "aa_json.h"

/* Subschemas nested deeper than this are refused instead of recursed into. */
#define AA_SCHEMA_MAX_DEPTH 32

/*
 * Validate value against schema. APR_SUCCESS, or APR_EINVAL with *errstr
 * naming the first offending path, e.g. "amount: expected number",
 * "address.country: is required", "items[2]: expected string"; an error
 * about the top-level value itself is named "value". *errstr lives in pool.
 * A NULL schema accepts anything.
 */
apr_status_t aa_schema_validate(apr_pool_t *pool, const aa_json_t *schema,
                                const aa_json_t *value, const char **errstr);

/*
 * As aa_schema_validate, with every path prefixed by name: "arguments" gives
 * "arguments.amount: expected number" and "arguments: expected object".
 * A NULL name behaves like aa_schema_validate.
 */
apr_status_t aa_schema_validate_named(apr_pool_t *pool, const aa_json_t *schema,
                                      const aa_json_t *value, const char *name,
                                      const char **errstr);

#endif
