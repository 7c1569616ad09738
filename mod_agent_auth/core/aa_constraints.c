/* SPDX-License-Identifier: Apache-2.0 */
/* aa_constraints: check, evaluate, intersect and compare scoped-grant constraints. */
#include "aa_constraints.h"

#include <apr_strings.h>

#include <math.h>
#include <string.h>

static const char *const known_ops[] = { "min", "max", "in", "not_in", NULL };

static int op_known(const char *op)
{
    int i;

    for (i = 0; known_ops[i]; i++)
        if (strcmp(op, known_ops[i]) == 0)
            return 1;
    return 0;
}

/* Exact values, list members and constrained arguments are all of these kinds. */
static int is_primitive(const aa_json_t *v)
{
    aa_json_type_e t = aa_json_type(v);

    return t == AA_JSON_STRING || t == AA_JSON_NUMBER || t == AA_JSON_BOOL;
}

static int is_finite_number(const aa_json_t *v)
{
    return aa_json_is(v, AA_JSON_NUMBER) && isfinite(aa_json_num(v));
}

static int is_primitive_list(const aa_json_t *v)
{
    apr_size_t i, n;

    if (!aa_json_is(v, AA_JSON_ARRAY))
        return 0;
    n = aa_json_len(v);
    for (i = 0; i < n; i++)
        if (!is_primitive(aa_json_at(v, i)))
            return 0;
    return 1;
}

/*
 * Compare two numbers by value. Integral values well inside the int64 range compare as
 * integers, because doubles lose precision above 2^53 (ids, amounts in minor units).
 */
static int num_cmp(const aa_json_t *a, const aa_json_t *b)
{
    double x = aa_json_num(a), y = aa_json_num(b);
    apr_int64_t i, j;

    if (aa_json_is_integer(a) && aa_json_is_integer(b) && x < 9.0e18 && x > -9.0e18
        && y < 9.0e18 && y > -9.0e18) {
        i = aa_json_i64(a);
        j = aa_json_i64(b);
        return (i > j) - (i < j);
    }
    return (x > y) - (x < y);
}

static int list_has(const aa_json_t *list, const aa_json_t *v)
{
    apr_size_t i, n = aa_json_len(list);

    for (i = 0; i < n; i++)
        if (aa_json_equal(aa_json_at(list, i), v))
            return 1;
    return 0;
}

/* Unknown operators never hold, so a caller that skipped the check still fails closed. */
static int op_holds(const char *op, const aa_json_t *operand, const aa_json_t *v)
{
    if (strcmp(op, "min") == 0)
        return is_finite_number(v) && num_cmp(v, operand) >= 0;
    if (strcmp(op, "max") == 0)
        return is_finite_number(v) && num_cmp(v, operand) <= 0;
    if (strcmp(op, "in") == 0)
        return list_has(operand, v);
    if (strcmp(op, "not_in") == 0)
        return !list_has(operand, v);
    return 0;
}

/*
 * 1 when the value v satisfies the field constraint c (an exact value or an operator
 * object). Objects, arrays and null never satisfy a constraint: they are the wrong type.
 */
static int satisfies(const aa_json_t *c, const aa_json_t *v)
{
    aa_json_iter_t it;
    const char *op;
    aa_json_t *operand;

    if (!is_primitive(v))
        return 0;
    if (!aa_json_is(c, AA_JSON_OBJECT))
        return aa_json_equal(c, v);

    aa_json_iter_init(c, &it);
    while (aa_json_iter_next(&it, &op, &operand))
        if (!op_holds(op, operand, v))
            return 0;
    return 1;
}

/* The reason a field constraint is malformed (naming the operator in *op), or NULL. */
static const char *field_problem(const aa_json_t *c, const char **op)
{
    aa_json_iter_t it;
    aa_json_t *operand;

    *op = NULL;
    if (is_primitive(c))
        return NULL;
    if (!aa_json_is(c, AA_JSON_OBJECT))
        return "must be a string, number, boolean or operator object";

    aa_json_iter_init(c, &it);
    while (aa_json_iter_next(&it, op, &operand)) {
        if ((strcmp(*op, "min") == 0 || strcmp(*op, "max") == 0)
            && !is_finite_number(operand))
            return "must be a number";
        if ((strcmp(*op, "in") == 0 || strcmp(*op, "not_in") == 0)
            && !is_primitive_list(operand))
            return "must be an array of strings, numbers or booleans";
    }
    *op = NULL;
    return NULL;
}

static int field_has_unknown(const aa_json_t *c)
{
    aa_json_iter_t it;
    const char *op;
    aa_json_t *operand;

    aa_json_iter_init(c, &it);
    while (aa_json_iter_next(&it, &op, &operand))
        if (!op_known(op))
            return 1;
    return 0;
}

/* Well formed and free of unknown operators: the only kind this file reasons about. */
static int field_sound(const aa_json_t *c)
{
    const char *op;

    return field_problem(c, &op) == NULL && !field_has_unknown(c);
}

static int constraints_sound(const aa_json_t *constraints)
{
    aa_json_iter_t it;
    const char *field;
    aa_json_t *c;

    if (!constraints)
        return 1;
    if (!aa_json_is(constraints, AA_JSON_OBJECT))
        return 0;

    aa_json_iter_init(constraints, &it);
    while (aa_json_iter_next(&it, &field, &c))
        if (!field_sound(c))
            return 0;
    return 1;
}

/* Each unknown operator name once, in order of first appearance. */
static aa_json_t *collect_unknown(apr_pool_t *pool, const aa_json_t *constraints)
{
    aa_json_t *names = aa_json_array(pool), *c, *operand;
    aa_json_iter_t fields, ops;
    const char *field, *op;

    aa_json_iter_init(constraints, &fields);
    while (aa_json_iter_next(&fields, &field, &c)) {
        aa_json_iter_init(c, &ops);
        while (aa_json_iter_next(&ops, &op, &operand)) {
            aa_json_t *name;

            if (op_known(op))
                continue;
            name = aa_json_string(pool, op);
            if (!list_has(names, name))
                aa_json_append(names, name);
        }
    }
    return names;
}

apr_status_t aa_constraints_check(apr_pool_t *pool, const aa_json_t *constraints,
                                  aa_json_t **unknown, const char **errstr)
{
    aa_json_iter_t it;
    const char *field, *reason, *op;
    aa_json_t *c, *names;

    *unknown = NULL;
    if (!constraints)
        return APR_SUCCESS;
    if (!aa_json_is(constraints, AA_JSON_OBJECT)) {
        *errstr = "constraints must be a JSON object";
        return APR_EINVAL;
    }

    /* Malformation outranks unknown operators: such a request is broken either way. */
    aa_json_iter_init(constraints, &it);
    while (aa_json_iter_next(&it, &field, &c)) {
        reason = field_problem(c, &op);
        if (!reason)
            continue;
        *errstr = op ? apr_psprintf(pool, "constraint on %s: %s %s", field, op, reason)
                     : apr_psprintf(pool, "constraint on %s %s", field, reason);
        return APR_EINVAL;
    }

    names = collect_unknown(pool, constraints);
    if (aa_json_len(names) == 0)
        return APR_SUCCESS;
    *unknown = names;
    return APR_ENOTIMPL;
}

/* The canonical unsatisfiable field constraint: no value is a member of an empty list. */
static aa_json_t *unsatisfiable(apr_pool_t *pool)
{
    aa_json_t *c = aa_json_object(pool);

    aa_json_set(c, "in", aa_json_array(pool));
    return c;
}

/* Keep the tighter of two bounds: the larger min (sign 1) or the smaller max (sign -1). */
static void merge_bound(apr_pool_t *pool, aa_json_t *out, const char *op,
                        const aa_json_t *p, const aa_json_t *i, int sign)
{
    aa_json_t *a = NULL, *b = NULL, *keep;

    aa_json_get(p, op, &a);
    aa_json_get(i, op, &b);
    if (!a && !b)
        return;

    keep = !b || (a && num_cmp(a, b) * sign >= 0) ? a : b;
    aa_json_set(out, op, aa_json_copy(pool, keep));
}

/* Both lists: the proposed members the imposed list also has, in the proposed order. */
static void merge_in(apr_pool_t *pool, aa_json_t *out, const aa_json_t *p, const aa_json_t *i)
{
    aa_json_t *a = NULL, *b = NULL, *both;
    apr_size_t k, n;

    aa_json_get(p, "in", &a);
    aa_json_get(i, "in", &b);
    if (!a || !b) {
        if (a || b)
            aa_json_set(out, "in", aa_json_copy(pool, a ? a : b));
        return;
    }

    both = aa_json_array(pool);
    n = aa_json_len(a);
    for (k = 0; k < n; k++)
        if (list_has(b, aa_json_at(a, k)))
            aa_json_append(both, aa_json_copy(pool, aa_json_at(a, k)));
    aa_json_set(out, "in", both);
}

static void append_missing(apr_pool_t *pool, aa_json_t *all, const aa_json_t *list)
{
    apr_size_t k, n = aa_json_len(list);

    for (k = 0; k < n; k++)
        if (!list_has(all, aa_json_at(list, k)))
            aa_json_append(all, aa_json_copy(pool, aa_json_at(list, k)));
}

static void merge_not_in(apr_pool_t *pool, aa_json_t *out, const aa_json_t *p,
                         const aa_json_t *i)
{
    aa_json_t *a = NULL, *b = NULL, *all;

    aa_json_get(p, "not_in", &a);
    aa_json_get(i, "not_in", &b);
    if (!a && !b)
        return;

    all = aa_json_array(pool);
    append_missing(pool, all, a);
    append_missing(pool, all, b);
    aa_json_set(out, "not_in", all);
}

/*
 * Drop "in" members the other operators exclude, so that a field nothing can satisfy
 * (crossed bounds, an emptied list) shows as the canonical unsatisfiable form.
 */
static aa_json_t *prune(apr_pool_t *pool, aa_json_t *ops)
{
    aa_json_t *min, *max, *in, *kept;
    apr_size_t k, n;

    if (aa_json_get(ops, "min", &min) == APR_SUCCESS
        && aa_json_get(ops, "max", &max) == APR_SUCCESS && num_cmp(min, max) > 0)
        return unsatisfiable(pool);
    if (aa_json_get(ops, "in", &in) != APR_SUCCESS)
        return ops;

    kept = aa_json_array(pool);
    n = aa_json_len(in);
    for (k = 0; k < n; k++)
        if (satisfies(ops, aa_json_at(in, k)))
            aa_json_append(kept, aa_json_at(in, k));
    if (aa_json_len(kept) == 0)
        return unsatisfiable(pool);
    aa_json_set(ops, "in", kept);
    return ops;
}

static aa_json_t *intersect_field(apr_pool_t *pool, const aa_json_t *p, const aa_json_t *i)
{
    aa_json_t *out;

    /* Nothing sound can be said about a broken or unknown side; the empty set is safe. */
    if (!field_sound(p) || !field_sound(i))
        return unsatisfiable(pool);
    if (!aa_json_is(p, AA_JSON_OBJECT))
        return satisfies(i, p) ? aa_json_copy(pool, p) : unsatisfiable(pool);
    if (!aa_json_is(i, AA_JSON_OBJECT))
        return satisfies(p, i) ? aa_json_copy(pool, i) : unsatisfiable(pool);

    out = aa_json_object(pool);
    merge_bound(pool, out, "min", p, i, 1);
    merge_bound(pool, out, "max", p, i, -1);
    merge_in(pool, out, p, i);
    merge_not_in(pool, out, p, i);
    return prune(pool, out);
}

aa_json_t *aa_constraints_intersect(apr_pool_t *pool, const aa_json_t *proposed,
                                    const aa_json_t *imposed)
{
    aa_json_iter_t it;
    const char *field;
    aa_json_t *out, *c, *other;

    if (!proposed || !imposed)
        return aa_json_copy(pool, proposed ? proposed : imposed);
    /* A side that is not an object is passed on, so the result fails the check too. */
    if (!aa_json_is(proposed, AA_JSON_OBJECT))
        return aa_json_copy(pool, proposed);
    if (!aa_json_is(imposed, AA_JSON_OBJECT))
        return aa_json_copy(pool, imposed);

    out = aa_json_object(pool);
    aa_json_iter_init(proposed, &it);
    while (aa_json_iter_next(&it, &field, &c)) {
        if (aa_json_get(imposed, field, &other) == APR_SUCCESS)
            aa_json_set(out, field, intersect_field(pool, c, other));
        else
            aa_json_set(out, field, aa_json_copy(pool, c));
    }

    aa_json_iter_init(imposed, &it);
    while (aa_json_iter_next(&it, &field, &c))
        if (aa_json_get(proposed, field, &other) != APR_SUCCESS)
            aa_json_set(out, field, aa_json_copy(pool, c));
    return out;
}

static void append_violation(apr_pool_t *pool, aa_json_t *violations, const char *field,
                             const aa_json_t *constraint, const aa_json_t *actual,
                             int has_actual)
{
    aa_json_t *v = aa_json_object(pool);

    aa_json_set_str(pool, v, "field", field);
    aa_json_set(v, "constraint", aa_json_copy(pool, constraint));
    if (has_actual)
        aa_json_set(v, "actual", aa_json_copy(pool, actual));
    aa_json_append(violations, v);
}

apr_status_t aa_constraints_evaluate(apr_pool_t *pool, const aa_json_t *constraints,
                                     const aa_json_t *arguments, aa_json_t **violations,
                                     aa_json_t **unknown)
{
    aa_json_iter_t it;
    const char *field, *errstr;
    aa_json_t *c, *actual, *found;
    apr_status_t rv;

    *violations = NULL;
    rv = aa_constraints_check(pool, constraints, unknown, &errstr);
    if (rv != APR_SUCCESS)
        return rv;

    found = aa_json_array(pool);
    aa_json_iter_init(constraints, &it);
    while (aa_json_iter_next(&it, &field, &c)) {
        if (aa_json_get(arguments, field, &actual) != APR_SUCCESS)
            append_violation(pool, found, field, c, NULL, 0);
        else if (!satisfies(c, actual))
            append_violation(pool, found, field, c, actual, 1);
    }
    if (aa_json_len(found) == 0)
        return APR_SUCCESS;
    *violations = found;
    return APR_EGENERAL;
}

/* Wanted admits only finitely many values: each one it admits must be granted. */
static int members_covered(const aa_json_t *g, const aa_json_t *w, const aa_json_t *members)
{
    apr_size_t k, n = aa_json_len(members);

    for (k = 0; k < n; k++)
        if (satisfies(w, aa_json_at(members, k)) && !satisfies(g, aa_json_at(members, k)))
            return 0;
    return 1;
}

/* Wanted admits a range without an "in" list: each granted operator must be implied. */
static int ops_implied(const aa_json_t *g, const aa_json_t *w)
{
    aa_json_iter_t it;
    const char *op;
    aa_json_t *operand, *bound;
    apr_size_t k, n;
    int sign;

    aa_json_iter_init(g, &it);
    while (aa_json_iter_next(&it, &op, &operand)) {
        if (strcmp(op, "min") == 0 || strcmp(op, "max") == 0) {
            sign = strcmp(op, "min") == 0 ? 1 : -1;
            if (aa_json_get(w, op, &bound) != APR_SUCCESS || num_cmp(bound, operand) * sign < 0)
                return 0;
        } else if (strcmp(op, "not_in") == 0) {
            n = aa_json_len(operand);
            for (k = 0; k < n; k++)
                if (satisfies(w, aa_json_at(operand, k)))
                    return 0;
        } else {
            return 0;
        }
    }
    return 1;
}

/*
 * 1 when every value w admits is admitted by g. Finite sets (an exact value, an "in"
 * list, min equal to max) are checked member by member; open ranges only by comparing
 * operators, so whatever cannot be shown this way counts as not covered.
 */
static int field_covered(const aa_json_t *g, const aa_json_t *w)
{
    aa_json_t *in, *min, *max;

    if (!aa_json_is(w, AA_JSON_OBJECT))
        return satisfies(g, w);
    if (aa_json_get(w, "in", &in) == APR_SUCCESS)
        return members_covered(g, w, in);
    if (aa_json_get(w, "min", &min) == APR_SUCCESS
        && aa_json_get(w, "max", &max) == APR_SUCCESS && num_cmp(min, max) >= 0)
        return !satisfies(w, min) || satisfies(g, min);
    if (!aa_json_is(g, AA_JSON_OBJECT))
        return 0;
    return ops_implied(g, w);
}

int aa_constraints_cover(const aa_json_t *granted, const aa_json_t *wanted)
{
    aa_json_iter_t it;
    const char *field;
    aa_json_t *g, *w;

    if (!granted)
        return 1;
    if (!constraints_sound(granted) || !constraints_sound(wanted))
        return 0;

    aa_json_iter_init(granted, &it);
    while (aa_json_iter_next(&it, &field, &g))
        if (aa_json_get(wanted, field, &w) != APR_SUCCESS || !field_covered(g, w))
            return 0;
    return 1;
}
