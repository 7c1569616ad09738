/* SPDX-License-Identifier: Apache-2.0 */
/* aa_json: json-c behind pool-owned values and status-returning getters. */
#include "aa_json.h"

#include <apr_strings.h>

#include <json-c/json.h>

#include <math.h>
#include <string.h>

static apr_status_t json_release(void *data)
{
    json_object_put((json_object *)data);
    return APR_SUCCESS;
}

static aa_json_t *own(apr_pool_t *pool, json_object *value)
{
    if (value)
        apr_pool_cleanup_register(pool, value, json_release, apr_pool_cleanup_null);
    return value;
}

/*
 * Count the keys of the top-level object in text by scanning tokens. json-c
 * silently keeps the last of two equal keys; comparing this count with the
 * parsed object's size reveals such duplicates whatever their escaping.
 */
static apr_size_t count_top_level_keys(const char *text, apr_size_t len)
{
    apr_size_t i, keys = 0;
    int depth = 0, in_string = 0, expect_key = 0;

    for (i = 0; i < len; i++) {
        char c = text[i];

        if (in_string) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_string = 0;
            continue;
        }
        switch (c) {
        case '"':
            if (depth == 1 && expect_key)
                keys++;
            expect_key = 0;
            in_string = 1;
            break;
        case '{':
        case '[':
            depth++;
            expect_key = (c == '{' && depth == 1);
            break;
        case '}':
        case ']':
            depth--;
            break;
        case ',':
            expect_key = (depth == 1);
            break;
        default:
            break;
        }
    }
    return keys;
}

/*
 * json-c accepts 'single-quoted' member names even in strict mode. They are
 * not JSON, and count_top_level_keys would not see them as keys.
 */
static int has_single_quote_outside_strings(const char *text, apr_size_t len)
{
    apr_size_t i;
    int in_string = 0;

    for (i = 0; i < len; i++) {
        if (in_string && text[i] == '\\')
            i++;
        else if (text[i] == '"')
            in_string = !in_string;
        else if (!in_string && text[i] == '\'')
            return 1;
    }
    return 0;
}

/*
 * Is there an integer literal outside the int64 range? json-c would clamp
 * it silently, so a constraint would compare, and a backend receive, a
 * number other than the one sent.
 */
static int has_oversized_integer(const char *text, apr_size_t len)
{
    apr_size_t i = 0;
    int in_string = 0;

    while (i < len) {
        apr_size_t start, digits;
        int negative, integral = 1;

        if (in_string) {
            if (text[i] == '\\')
                i++;
            else if (text[i] == '"')
                in_string = 0;
            i++;
            continue;
        }
        if (text[i] == '"') {
            in_string = 1;
            i++;
            continue;
        }
        if (text[i] != '-' && (text[i] < '0' || text[i] > '9')) {
            i++;
            continue;
        }
        negative = text[i] == '-';
        start = i + negative;
        for (i = start; i < len && text[i] >= '0' && text[i] <= '9'; i++)
            ;
        digits = i - start;
        while (i < len && (strchr(".eE+-", text[i]) || (text[i] >= '0' && text[i] <= '9'))) {
            integral = 0;
            i++;
        }
        if (!integral || digits < 19)
            continue;
        if (digits > 19
            || strncmp(text + start, negative ? "9223372036854775808" : "9223372036854775807",
                       19) > 0)
            return 1;
    }
    return 0;
}

/* Strict UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF. */
static int utf8_valid(const unsigned char *p, apr_size_t len)
{
    apr_size_t i = 0;

    while (i < len) {
        unsigned char c = p[i];
        apr_size_t n, k;
        unsigned int cp;

        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF) {
            n = 1;
            cp = c & 0x1F;
        }
        else if (c >= 0xE0 && c <= 0xEF) {
            n = 2;
            cp = c & 0x0F;
        }
        else if (c >= 0xF0 && c <= 0xF4) {
            n = 3;
            cp = c & 0x07;
        }
        else {
            return 0;
        }
        for (k = 1; k <= n; k++) {
            if (i + k >= len || (p[i + k] & 0xC0) != 0x80)
                return 0;
            cp = (cp << 6) | (p[i + k] & 0x3F);
        }
        if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10FFFF
            || (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        i += n + 1;
    }
    return 1;
}

/*
 * What json-c lets through but JSON (RFC 8259) does not, and what the rest
 * of the code must never see: NaN and infinities, and strings with an
 * embedded NUL (every caller reads strings as C strings). Numbers are also
 * set to serialise from their value: what a backend receives is then exactly
 * what the constraints were checked against, not the client's spelling.
 */
static const char *json_unsafe(json_object *v, int depth)
{
    switch (json_object_get_type(v)) {
    case json_type_double:
        if (!isfinite(json_object_get_double(v)))
            return "NaN and Infinity are not JSON";
        json_object_set_serializer(v, NULL, NULL, NULL);
        return NULL;
    case json_type_string:
        if (strlen(json_object_get_string(v)) != (size_t)json_object_get_string_len(v))
            return "strings may not contain NUL characters";
        return NULL;
    case json_type_array: {
        size_t i, n = json_object_array_length(v);

        for (i = 0; i < n; i++) {
            const char *why = json_unsafe(json_object_array_get_idx(v, i), depth + 1);

            if (why)
                return why;
        }
        return NULL;
    }
    case json_type_object: {
        json_object_object_foreach(v, key, member)
        {
            const char *why = json_unsafe(member, depth + 1);

            (void)key;
            if (why)
                return why;
        }
        return NULL;
    }
    default:
        return NULL;
    }
}

apr_status_t aa_json_parse(apr_pool_t *pool, const char *text, apr_size_t len,
                           int dup_check, aa_json_t **value, const char **errstr)
{
    json_tokener *tok;
    json_object *parsed;
    enum json_tokener_error jerr;
    apr_size_t consumed;

    if (len > (apr_size_t)INT32_MAX) {
        *errstr = "document too large";
        return APR_EINVAL;
    }
    if (!utf8_valid((const unsigned char *)text, len)) {
        *errstr = "the text is not valid UTF-8";
        return APR_EINVAL;
    }
    if (has_single_quote_outside_strings(text, len)) {
        *errstr = "single-quoted strings are not JSON";
        return APR_EINVAL;
    }
    if (has_oversized_integer(text, len)) {
        *errstr = "an integer is outside the 64-bit range";
        return APR_EINVAL;
    }
    /* json-c's depth counts one level more than the containers nested. */
    tok = json_tokener_new_ex(AA_JSON_MAX_DEPTH + 1);
    if (!tok) {
        *errstr = "out of memory";
        return APR_ENOMEM;
    }
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
    parsed = json_tokener_parse_ex(tok, text, (int)len);
    jerr = json_tokener_get_error(tok);
    consumed = (apr_size_t)json_tokener_get_parse_end(tok);
    /* A bare number or literal ends only at a terminator: supply one. */
    if (!parsed && jerr == json_tokener_continue && len > 0) {
        parsed = json_tokener_parse_ex(tok, "", 1);
        jerr = json_tokener_get_error(tok);
        consumed = len;
    }
    json_tokener_free(tok);

    if (jerr != json_tokener_success) {
        if (parsed)
            json_object_put(parsed);
        *errstr = jerr == json_tokener_continue ? "truncated JSON"
                                                 : json_tokener_error_desc(jerr);
        return APR_EINVAL;
    }
    while (consumed < len && text[consumed] && strchr(" \t\r\n", text[consumed]))
        consumed++;
    if (consumed != len) {
        json_object_put(parsed);
        *errstr = "trailing data after JSON value";
        return APR_EINVAL;
    }
    if (dup_check && json_object_is_type(parsed, json_type_object)
        && count_top_level_keys(text, len) != (apr_size_t)json_object_object_length(parsed)) {
        json_object_put(parsed);
        *errstr = "duplicate member name";
        return APR_EINVAL;
    }
    {
        const char *why = json_unsafe(parsed, 0);

        if (why) {
            json_object_put(parsed);
            *errstr = why;
            return APR_EINVAL;
        }
    }
    *value = own(pool, parsed);
    return APR_SUCCESS;
}

aa_json_t *aa_json_object(apr_pool_t *pool)
{
    return own(pool, json_object_new_object());
}

aa_json_t *aa_json_array(apr_pool_t *pool)
{
    return own(pool, json_object_new_array());
}

aa_json_t *aa_json_string(apr_pool_t *pool, const char *s)
{
    return s ? own(pool, json_object_new_string(s)) : NULL;
}

aa_json_t *aa_json_int(apr_pool_t *pool, apr_int64_t n)
{
    return own(pool, json_object_new_int64(n));
}

aa_json_t *aa_json_double(apr_pool_t *pool, double d)
{
    return own(pool, json_object_new_double(d));
}

aa_json_t *aa_json_bool(apr_pool_t *pool, int b)
{
    return own(pool, json_object_new_boolean(b ? 1 : 0));
}

void aa_json_set(aa_json_t *obj, const char *key, aa_json_t *value)
{
    json_object_object_add(obj, key, value ? json_object_get(value) : NULL);
}

void aa_json_set_str(apr_pool_t *pool, aa_json_t *obj, const char *key, const char *s)
{
    aa_json_set(obj, key, aa_json_string(pool, s));
}

void aa_json_set_int(apr_pool_t *pool, aa_json_t *obj, const char *key, apr_int64_t n)
{
    aa_json_set(obj, key, aa_json_int(pool, n));
}

void aa_json_set_bool(apr_pool_t *pool, aa_json_t *obj, const char *key, int b)
{
    aa_json_set(obj, key, aa_json_bool(pool, b));
}

void aa_json_append(aa_json_t *arr, aa_json_t *value)
{
    json_object_array_add(arr, value ? json_object_get(value) : NULL);
}

void aa_json_append_str(apr_pool_t *pool, aa_json_t *arr, const char *s)
{
    aa_json_append(arr, aa_json_string(pool, s));
}

aa_json_type_e aa_json_type(const aa_json_t *value)
{
    switch (json_object_get_type(value)) {
    case json_type_boolean:
        return AA_JSON_BOOL;
    case json_type_double:
    case json_type_int:
        return AA_JSON_NUMBER;
    case json_type_string:
        return AA_JSON_STRING;
    case json_type_array:
        return AA_JSON_ARRAY;
    case json_type_object:
        return AA_JSON_OBJECT;
    default:
        return AA_JSON_NULL;
    }
}

int aa_json_is(const aa_json_t *value, aa_json_type_e type)
{
    return aa_json_type(value) == type;
}

apr_status_t aa_json_get(const aa_json_t *obj, const char *key, aa_json_t **value)
{
    json_object *v = NULL;

    if (!json_object_is_type(obj, json_type_object))
        return APR_NOTFOUND;
    if (!json_object_object_get_ex(obj, key, &v))
        return APR_NOTFOUND;
    *value = v;
    return APR_SUCCESS;
}

static apr_status_t get_typed(const aa_json_t *obj, const char *key, aa_json_type_e type,
                              aa_json_t **value)
{
    aa_json_t *v;

    if (aa_json_get(obj, key, &v) != APR_SUCCESS)
        return APR_NOTFOUND;
    if (aa_json_type(v) != type)
        return APR_EINVAL;
    *value = v;
    return APR_SUCCESS;
}

apr_status_t aa_json_get_str(const aa_json_t *obj, const char *key, const char **s)
{
    aa_json_t *v;
    apr_status_t rv = get_typed(obj, key, AA_JSON_STRING, &v);

    if (rv == APR_SUCCESS)
        *s = json_object_get_string((json_object *)v);
    return rv;
}

apr_status_t aa_json_get_number(const aa_json_t *obj, const char *key, double *d)
{
    aa_json_t *v;
    apr_status_t rv = get_typed(obj, key, AA_JSON_NUMBER, &v);

    if (rv == APR_SUCCESS)
        *d = json_object_get_double(v);
    return rv;
}

apr_status_t aa_json_get_int(const aa_json_t *obj, const char *key, apr_int64_t *n)
{
    aa_json_t *v;
    apr_status_t rv = get_typed(obj, key, AA_JSON_NUMBER, &v);

    if (rv != APR_SUCCESS)
        return rv;
    if (json_object_is_type(v, json_type_double)) {
        double d = json_object_get_double(v);

        /* NumericDate may carry a fraction; anything non-finite is bogus. */
        if (!isfinite(d) || d > 9.0e15 || d < -9.0e15)
            return APR_EINVAL;
        *n = (apr_int64_t)d;
        return APR_SUCCESS;
    }
    *n = json_object_get_int64(v);
    return APR_SUCCESS;
}

apr_status_t aa_json_get_bool(const aa_json_t *obj, const char *key, int *b)
{
    aa_json_t *v;
    apr_status_t rv = get_typed(obj, key, AA_JSON_BOOL, &v);

    if (rv == APR_SUCCESS)
        *b = json_object_get_boolean(v);
    return rv;
}

apr_status_t aa_json_get_obj(const aa_json_t *obj, const char *key, aa_json_t **value)
{
    return get_typed(obj, key, AA_JSON_OBJECT, value);
}

apr_status_t aa_json_get_arr(const aa_json_t *obj, const char *key, aa_json_t **value)
{
    return get_typed(obj, key, AA_JSON_ARRAY, value);
}

const char *aa_json_str(const aa_json_t *value)
{
    return json_object_is_type(value, json_type_string)
               ? json_object_get_string((json_object *)value)
                                                         : NULL;
}

double aa_json_num(const aa_json_t *value)
{
    return json_object_get_double(value);
}

int aa_json_is_integer(const aa_json_t *value)
{
    double d;

    if (json_object_is_type(value, json_type_int))
        return 1;
    if (!json_object_is_type(value, json_type_double))
        return 0;
    d = json_object_get_double(value);
    return isfinite(d) && d == floor(d);
}

apr_int64_t aa_json_i64(const aa_json_t *value)
{
    return json_object_get_int64(value);
}

int aa_json_truth(const aa_json_t *value)
{
    return json_object_get_boolean(value);
}

apr_size_t aa_json_len(const aa_json_t *value)
{
    if (json_object_is_type(value, json_type_array))
        return json_object_array_length(value);
    if (json_object_is_type(value, json_type_object))
        return (apr_size_t)json_object_object_length(value);
    return 0;
}

aa_json_t *aa_json_at(const aa_json_t *arr, apr_size_t i)
{
    return json_object_array_get_idx(arr, i);
}

void aa_json_iter_init(const aa_json_t *obj, aa_json_iter_t *it)
{
    it->opaque_entry = json_object_is_type(obj, json_type_object)
                           ? json_object_get_object(obj)->head
                           : NULL;
}

int aa_json_iter_next(aa_json_iter_t *it, const char **key, aa_json_t **value)
{
    struct lh_entry *e = it->opaque_entry;

    if (!e)
        return 0;
    *key = (const char *)lh_entry_k(e);
    *value = (aa_json_t *)lh_entry_v(e);
    it->opaque_entry = lh_entry_next(e);
    return 1;
}

/* An integral double that an int64 holds exactly, as that int64. */
static int as_exact_int(const json_object *v, apr_int64_t *out)
{
    double d;

    if (json_object_is_type(v, json_type_int)) {
        *out = json_object_get_int64(v);
        return 1;
    }
    d = json_object_get_double(v);
    if (!isfinite(d) || d != floor(d) || d > 9.0e15 || d < -9.0e15)
        return 0;
    *out = (apr_int64_t)d;
    return 1;
}

int aa_json_equal(const aa_json_t *a, const aa_json_t *b)
{
    if (aa_json_type(a) == AA_JSON_NUMBER && aa_json_type(b) == AA_JSON_NUMBER) {
        apr_int64_t ia, ib;
        int exact_a = as_exact_int(a, &ia), exact_b = as_exact_int(b, &ib);

        /* Doubles cannot tell 2^53 from 2^53 + 1; integers must compare as integers. */
        if (json_object_is_type(a, json_type_int) || json_object_is_type(b, json_type_int))
            return exact_a && exact_b && ia == ib;
        return json_object_get_double(a) == json_object_get_double(b);
    }
    return json_object_equal((json_object *)a, (json_object *)b);
}

const char *aa_json_dump(apr_pool_t *pool, const aa_json_t *value)
{
    if (!value)
        return "null";
    return apr_pstrdup(pool, json_object_to_json_string_ext(
                                 (json_object *)value,
                                 JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
}

aa_json_t *aa_json_copy(apr_pool_t *pool, const aa_json_t *value)
{
    json_object *copy = NULL;

    if (!value)
        return NULL;
    if (json_object_deep_copy((json_object *)value, &copy, NULL) != 0)
        return NULL;
    return own(pool, copy);
}
