/* SPDX-License-Identifier: Apache-2.0 */
/* aa_schema: validate capability input against a small JSON Schema subset. */
#include "aa_schema.h"

#include <apr_strings.h>

#include <stdarg.h>
#include <string.h>

typedef struct {
    apr_pool_t *pool;
    const char *root;       /* how messages name the top-level value */
    const char **errstr;
} schema_ctx_t;

static const struct {
    const char *name;
    aa_json_type_e type;
} type_names[] = {
    { "string", AA_JSON_STRING }, { "number", AA_JSON_NUMBER }, { "boolean", AA_JSON_BOOL },
    { "object", AA_JSON_OBJECT }, { "array", AA_JSON_ARRAY },   { "null", AA_JSON_NULL },
};

static apr_status_t validate(const schema_ctx_t *ctx, const aa_json_t *schema,
                             const aa_json_t *value, const char *path, int depth);

static apr_status_t fail(const schema_ctx_t *ctx, const char *path, const char *fmt, ...)
{
    va_list ap;
    const char *msg;

    va_start(ap, fmt);
    msg = apr_pvsprintf(ctx->pool, fmt, ap);
    va_end(ap);
    *ctx->errstr = apr_pstrcat(ctx->pool, *path ? path : ctx->root, ": ", msg, NULL);
    return APR_EINVAL;
}

static const char *member_path(const schema_ctx_t *ctx, const char *path, const char *key)
{
    return *path ? apr_pstrcat(ctx->pool, path, ".", key, NULL) : key;
}

/* Code points, not bytes: count every byte that does not continue a UTF-8 sequence. */
static apr_size_t utf8_length(const char *s)
{
    apr_size_t n = 0;

    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            n++;
    return n;
}

/* Unknown type names match nothing: a schema demanding "float" admits no value. */
static int type_matches(const char *name, const aa_json_t *value)
{
    apr_size_t i;

    if (strcmp(name, "integer") == 0)
        return aa_json_is(value, AA_JSON_NUMBER) && aa_json_is_integer(value);
    for (i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++)
        if (strcmp(name, type_names[i].name) == 0)
            return aa_json_is(value, type_names[i].type);
    return 0;
}

static apr_status_t check_type(const schema_ctx_t *ctx, const aa_json_t *schema,
                               const aa_json_t *value, const char *path)
{
    aa_json_t *type, *t;
    const char *expected = NULL;
    apr_size_t i, n;

    if (aa_json_get(schema, "type", &type) != APR_SUCCESS)
        return APR_SUCCESS;
    if (aa_json_is(type, AA_JSON_STRING))
        return type_matches(aa_json_str(type), value)
                   ? APR_SUCCESS
                   : fail(ctx, path, "expected %s", aa_json_str(type));
    n = aa_json_len(type);
    if (!aa_json_is(type, AA_JSON_ARRAY) || n == 0)
        return fail(ctx, path, "invalid schema: type must be a name or a list of names");

    for (i = 0; i < n; i++) {
        t = aa_json_at(type, i);
        if (!aa_json_is(t, AA_JSON_STRING))
            return fail(ctx, path, "invalid schema: type must be a name or a list of names");
        if (type_matches(aa_json_str(t), value))
            return APR_SUCCESS;
        expected = expected ? apr_pstrcat(ctx->pool, expected, " or ", aa_json_str(t), NULL)
                            : aa_json_str(t);
    }
    return fail(ctx, path, "expected %s", expected);
}

static apr_status_t check_enum(const schema_ctx_t *ctx, const aa_json_t *schema,
                               const aa_json_t *value, const char *path)
{
    aa_json_t *allowed;
    apr_size_t i, n;

    if (aa_json_get(schema, "enum", &allowed) != APR_SUCCESS)
        return APR_SUCCESS;
    if (!aa_json_is(allowed, AA_JSON_ARRAY))
        return fail(ctx, path, "invalid schema: enum must be an array");

    n = aa_json_len(allowed);
    for (i = 0; i < n; i++)
        if (aa_json_equal(aa_json_at(allowed, i), value))
            return APR_SUCCESS;
    return fail(ctx, path, "not one of the allowed values");
}

/* minimum and maximum, like the length keywords below, apply only to their own type. */
static apr_status_t check_range(const schema_ctx_t *ctx, const aa_json_t *schema,
                                const aa_json_t *value, const char *path)
{
    aa_json_t *min = NULL, *max = NULL;

    if (!aa_json_is(value, AA_JSON_NUMBER))
        return APR_SUCCESS;
    aa_json_get(schema, "minimum", &min);
    aa_json_get(schema, "maximum", &max);
    if ((min && !aa_json_is(min, AA_JSON_NUMBER)) || (max && !aa_json_is(max, AA_JSON_NUMBER)))
        return fail(ctx, path, "invalid schema: minimum and maximum must be numbers");

    if (min && aa_json_num(value) < aa_json_num(min))
        return fail(ctx, path, "must be >= %s", aa_json_dump(ctx->pool, min));
    if (max && aa_json_num(value) > aa_json_num(max))
        return fail(ctx, path, "must be <= %s", aa_json_dump(ctx->pool, max));
    return APR_SUCCESS;
}

/* Fetch a length keyword: 0 when absent, 1 when set in *n, -1 when not a count. */
static int get_count(const aa_json_t *schema, const char *key, apr_size_t *n)
{
    aa_json_t *v;

    if (aa_json_get(schema, key, &v) != APR_SUCCESS)
        return 0;
    if (!aa_json_is(v, AA_JSON_NUMBER) || !aa_json_is_integer(v) || aa_json_num(v) < 0)
        return -1;
    *n = (apr_size_t)aa_json_i64(v);
    return 1;
}

static apr_status_t check_length(const schema_ctx_t *ctx, const aa_json_t *schema,
                                 const aa_json_t *value, const char *path)
{
    apr_size_t len, min = 0, max = 0;
    int has_min, has_max;

    if (!aa_json_is(value, AA_JSON_STRING))
        return APR_SUCCESS;
    has_min = get_count(schema, "minLength", &min);
    has_max = get_count(schema, "maxLength", &max);
    if (has_min < 0 || has_max < 0)
        return fail(ctx, path, "invalid schema: minLength and maxLength must be counts");

    /* NB: a string holding \u0000 is measured up to it; aa_json gives no byte length. */
    len = utf8_length(aa_json_str(value));
    if (has_min && len < min)
        return fail(ctx, path, "must be at least %" APR_SIZE_T_FMT " characters", min);
    if (has_max && len > max)
        return fail(ctx, path, "must be at most %" APR_SIZE_T_FMT " characters", max);
    return APR_SUCCESS;
}

static apr_status_t check_required(const schema_ctx_t *ctx, const aa_json_t *schema,
                                   const aa_json_t *value, const char *path)
{
    aa_json_t *required, *name, *member;
    apr_size_t i, n;

    if (aa_json_get(schema, "required", &required) != APR_SUCCESS)
        return APR_SUCCESS;
    if (!aa_json_is(required, AA_JSON_ARRAY))
        return fail(ctx, path, "invalid schema: required must be an array of names");

    n = aa_json_len(required);
    for (i = 0; i < n; i++) {
        name = aa_json_at(required, i);
        if (!aa_json_is(name, AA_JSON_STRING))
            return fail(ctx, path, "invalid schema: required must be an array of names");
        if (aa_json_get(value, aa_json_str(name), &member) != APR_SUCCESS)
            return fail(ctx, member_path(ctx, path, aa_json_str(name)), "is required");
    }
    return APR_SUCCESS;
}

/*
 * Members the value has are checked against their property schemas. Of
 * additionalProperties only the boolean false is enforced (no member
 * without a property schema); a schema there is not, and such members pass
 * unchecked: the backend must not trust their shape.
 */
static apr_status_t check_properties(const schema_ctx_t *ctx, const aa_json_t *schema,
                                     const aa_json_t *value, const char *path, int depth)
{
    aa_json_t *props, *sub, *member;
    aa_json_iter_t it;
    const char *key;
    apr_status_t rv;
    int additional = 1;

    if (aa_json_get(schema, "properties", &props) != APR_SUCCESS)
        props = NULL;
    else if (!aa_json_is(props, AA_JSON_OBJECT))
        return fail(ctx, path, "invalid schema: properties must be an object");
    if (aa_json_get_bool(schema, "additionalProperties", &additional) == APR_SUCCESS
        && !additional) {
        aa_json_iter_init(value, &it);
        while (aa_json_iter_next(&it, &key, &member))
            if (!props || aa_json_get(props, key, &sub) != APR_SUCCESS)
                return fail(ctx, member_path(ctx, path, key), "is not allowed");
    }
    if (!props)
        return APR_SUCCESS;

    aa_json_iter_init(props, &it);
    while (aa_json_iter_next(&it, &key, &sub)) {
        if (aa_json_get(value, key, &member) != APR_SUCCESS)
            continue;
        rv = validate(ctx, sub, member, member_path(ctx, path, key), depth + 1);
        if (rv != APR_SUCCESS)
            return rv;
    }
    return APR_SUCCESS;
}

/* Only the single-schema form of items; the tuple form (an array) is not enforced. */
static apr_status_t check_items(const schema_ctx_t *ctx, const aa_json_t *schema,
                                const aa_json_t *value, const char *path, int depth)
{
    aa_json_t *items;
    apr_size_t i, n;
    apr_status_t rv;

    if (aa_json_get(schema, "items", &items) != APR_SUCCESS
        || aa_json_is(items, AA_JSON_ARRAY))
        return APR_SUCCESS;

    n = aa_json_len(value);
    for (i = 0; i < n; i++) {
        rv = validate(ctx, items, aa_json_at(value, i),
                      apr_psprintf(ctx->pool, "%s[%" APR_SIZE_T_FMT "]", path, i), depth + 1);
        if (rv != APR_SUCCESS)
            return rv;
    }
    return APR_SUCCESS;
}

static apr_status_t validate(const schema_ctx_t *ctx, const aa_json_t *schema,
                             const aa_json_t *value, const char *path, int depth)
{
    apr_status_t rv;

    if (depth > AA_SCHEMA_MAX_DEPTH)
        return fail(ctx, path, "schema nested too deeply");
    if (aa_json_is(schema, AA_JSON_BOOL))
        return aa_json_truth(schema) ? APR_SUCCESS : fail(ctx, path, "not allowed");
    if (!aa_json_is(schema, AA_JSON_OBJECT))
        return fail(ctx, path, "invalid schema: not an object");

    rv = check_type(ctx, schema, value, path);
    if (rv == APR_SUCCESS)
        rv = check_enum(ctx, schema, value, path);
    if (rv == APR_SUCCESS)
        rv = check_range(ctx, schema, value, path);
    if (rv == APR_SUCCESS)
        rv = check_length(ctx, schema, value, path);
    if (rv != APR_SUCCESS)
        return rv;

    if (aa_json_is(value, AA_JSON_OBJECT)) {
        rv = check_required(ctx, schema, value, path);
        if (rv == APR_SUCCESS)
            rv = check_properties(ctx, schema, value, path, depth);
    } else if (aa_json_is(value, AA_JSON_ARRAY)) {
        rv = check_items(ctx, schema, value, path, depth);
    }
    return rv;
}

apr_status_t aa_schema_validate_named(apr_pool_t *pool, const aa_json_t *schema,
                                      const aa_json_t *value, const char *name,
                                      const char **errstr)
{
    schema_ctx_t ctx = { pool, "value", errstr };

    if (!schema)
        return APR_SUCCESS;
    return validate(&ctx, schema, value, name ? name : "", 0);
}

apr_status_t aa_schema_validate(apr_pool_t *pool, const aa_json_t *schema,
                                const aa_json_t *value, const char **errstr)
{
    return aa_schema_validate_named(pool, schema, value, NULL, errstr);
}
