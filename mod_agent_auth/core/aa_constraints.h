/* SPDX-License-Identifier: Apache-2.0 */
/*
 * aa_constraints: scoped grants (§2.13). A constraints object maps top-level
 * argument names to either an exact value (string, number, boolean) or an
 * object of operators: min, max (numbers), in, not_in (arrays of values).
 * Bounds are inclusive and numbers compare by value (5 equals 5.0). List
 * members are strings, numbers or booleans. A constrained argument must be
 * present and hold a string, number or boolean; an empty operator object
 * therefore only requires the argument to be there.
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
 * Malformation outranks unknown operators. *unknown is NULL unless the call
 * returns APR_ENOTIMPL; each name appears once, in order of appearance.
 */
apr_status_t aa_constraints_check(apr_pool_t *pool, const aa_json_t *constraints,
                                  aa_json_t **unknown, const char **errstr);

/*
 * The effective constraints: the intersection of what the agent proposed and
 * what the server imposes, never wider than either (either may be NULL).
 * Exact values win over ranges when they satisfy them; min takes the larger,
 * max the smaller, in is intersected, not_in is united. When the two cannot
 * both hold (an exact value outside the server's range, disjoint "in"
 * lists, crossed bounds), that field becomes {"in": []}, which passes
 * aa_constraints_check and which no argument satisfies. "in" members the
 * other operators exclude are dropped; fields named by one side only are kept.
 * Both sides should have passed aa_constraints_check. If not, a field both
 * name that is malformed or uses unknown operators on either side becomes
 * {"in": []}, a bad field only one side names is copied as it is, and a side
 * that is not an object is returned (copied) as the result: whatever is
 * broken keeps failing the check. Returns a new value in pool, or NULL when
 * both are NULL.
 */
aa_json_t *aa_constraints_intersect(apr_pool_t *pool, const aa_json_t *proposed,
                                    const aa_json_t *imposed);

/*
 * Evaluate arguments (a JSON object, or NULL for none) against constraints.
 * Returns APR_SUCCESS when all hold; APR_EGENERAL with *violations set to a
 * JSON array of {"field", "constraint", "actual"} objects (actual omitted
 * when the field is missing); APR_ENOTIMPL with *unknown set when the
 * constraints use unknown operators; APR_EINVAL when they are malformed (see
 * aa_constraints_check). A missing field or a value of the wrong type
 * violates its constraint. Arguments that are not an object count as none.
 * Results live in pool; *violations and *unknown are NULL when not set.
 */
apr_status_t aa_constraints_evaluate(apr_pool_t *pool, const aa_json_t *constraints,
                                     const aa_json_t *arguments, aa_json_t **violations,
                                     aa_json_t **unknown);

/*
 * 1 when granted (may be NULL: unconstrained) is at least as wide as wanted,
 * so every argument wanted admits is admitted by granted. A field granted
 * constrains must be constrained in wanted too. Conservative: 0 whenever
 * either side is malformed or uses unknown operators, and whenever an open
 * range in wanted cannot be shown to lie inside granted (a range never fits
 * a finite "in" list or exact value unless its min equals its max).
 */
int aa_constraints_cover(const aa_json_t *granted, const aa_json_t *wanted);

#endif
