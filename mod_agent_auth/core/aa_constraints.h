/* SPDX-License-Identifier: Apache-2.0 */
/*
 * aa_constraints: scoped grants (§2.13). A constraints object maps top-level
 * argument names to either an exact value (string, number, boolean) or an
 * object of operators: min, max (numbers), in, not_in (arrays of values).
 */
#ifndef AA_CONSTRAINTS_H
#define AA_CONSTRAINTS_H

#include "aa_json.h"

/*
 * Check the shape of a constraints object. Operators outside min, max, in
 * and not_in are collected into *unknown (a JSON array of names, in pool) and
 * the call returns APR_ENOTIMPL; any other malformation (not an object, min
 * not a number, in not an array, a nested object as exact value...) returns
 * APR_EINVAL with *errstr. APR_SUCCESS when valid. NULL constraints are valid.
 */
apr_status_t aa_constraints_check(apr_pool_t *pool, const aa_json_t *constraints,
                                  aa_json_t **unknown, const char **errstr);

/*
 * The effective constraints: the intersection of what the agent proposed and
 * what the server imposes, never wider than either (either may be NULL).
 * Exact values win over ranges when they satisfy them; min takes the larger,
 * max the smaller, in is intersected, not_in is united. When the two cannot
 * both hold (an exact value outside the server's range, disjoint "in"
 * lists), the result cannot be satisfied by any argument: in: []. Returns a
 * new object in pool, or NULL when both are NULL.
 */
aa_json_t *aa_constraints_intersect(apr_pool_t *pool, const aa_json_t *proposed,
                                    const aa_json_t *imposed);

/*
 * Evaluate arguments (a JSON object, or NULL for none) against constraints.
 * Returns APR_SUCCESS when all hold; APR_EGENERAL with *violations set to a
 * JSON array of {"field", "constraint", "actual"} objects (actual omitted
 * when the field is missing); APR_ENOTIMPL with *unknown set when the
 * constraints use unknown operators. A missing field or a value of the wrong
 * type violates its constraint.
 */
apr_status_t aa_constraints_evaluate(apr_pool_t *pool, const aa_json_t *constraints,
                                     const aa_json_t *arguments, aa_json_t **violations,
                                     aa_json_t **unknown);

/* 1 when granted (may be NULL: unconstrained) is at least as wide as wanted. */
int aa_constraints_cover(const aa_json_t *granted, const aa_json_t *wanted);

#endif
