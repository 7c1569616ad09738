/* SPDX-License-Identifier: Apache-2.0 */
/* aa_json: the only json-c user. Values are pool-owned; getters borrow. */
#ifndef AA_JSON_H
#define AA_JSON_H

#include <apr_pools.h>
#include <apr_errno.h>

typedef struct json_object aa_json_t;

typedef enum {
    AA_JSON_NULL,
    AA_JSON_BOOL,
    AA_JSON_NUMBER,
    AA_JSON_STRING,
    AA_JSON_ARRAY,
    AA_JSON_OBJECT
} aa_json_type_e;

/* Nesting deeper than this is refused by aa_json_parse. */
#define AA_JSON_MAX_DEPTH 32

/*
 * Parse len bytes of JSON text. The whole input must be one JSON value
 * (trailing garbage is an error). When dup_check is set and the value is an
 * object, a key that appears twice at the top level is an error too.
 * *value is owned by pool. Returns APR_SUCCESS or APR_EINVAL with a short
 * reason in *errstr.
 */
apr_status_t aa_json_parse(apr_pool_t *pool, const char *text, apr_size_t len,
                           int dup_check, aa_json_t **value, const char **errstr);

/* Constructors; every new value is released with pool. */
aa_json_t *aa_json_object(apr_pool_t *pool);
aa_json_t *aa_json_array(apr_pool_t *pool);
aa_json_t *aa_json_string(apr_pool_t *pool, const char *s);
aa_json_t *aa_json_int(apr_pool_t *pool, apr_int64_t n);
aa_json_t *aa_json_double(apr_pool_t *pool, double d);
aa_json_t *aa_json_bool(apr_pool_t *pool, int b);

/* Setters add a reference to value; value may be NULL (JSON null). */
void aa_json_set(aa_json_t *obj, const char *key, aa_json_t *value);
void aa_json_set_str(apr_pool_t *pool, aa_json_t *obj, const char *key, const char *s);
void aa_json_set_int(apr_pool_t *pool, aa_json_t *obj, const char *key, apr_int64_t n);
void aa_json_set_bool(apr_pool_t *pool, aa_json_t *obj, const char *key, int b);
void aa_json_append(aa_json_t *arr, aa_json_t *value);
void aa_json_append_str(apr_pool_t *pool, aa_json_t *arr, const char *s);

aa_json_type_e aa_json_type(const aa_json_t *value);
int aa_json_is(const aa_json_t *value, aa_json_type_e type);

/*
 * Borrow the member key of obj. Returns APR_NOTFOUND when obj is not an
 * object or has no such key (a JSON null member counts as present).
 */
apr_status_t aa_json_get(const aa_json_t *obj, const char *key, aa_json_t **value);

/*
 * Typed member getters: APR_SUCCESS, APR_NOTFOUND (absent), or APR_EINVAL
 * (present with another type). Strings are borrowed from obj.
 */
apr_status_t aa_json_get_str(const aa_json_t *obj, const char *key, const char **s);
apr_status_t aa_json_get_int(const aa_json_t *obj, const char *key, apr_int64_t *n);
apr_status_t aa_json_get_number(const aa_json_t *obj, const char *key, double *d);
apr_status_t aa_json_get_bool(const aa_json_t *obj, const char *key, int *b);
apr_status_t aa_json_get_obj(const aa_json_t *obj, const char *key, aa_json_t **value);
apr_status_t aa_json_get_arr(const aa_json_t *obj, const char *key, aa_json_t **value);

/* Value accessors (no type conversion: callers check the type first). */
const char *aa_json_str(const aa_json_t *value);
double aa_json_num(const aa_json_t *value);
int aa_json_is_integer(const aa_json_t *value);
apr_int64_t aa_json_i64(const aa_json_t *value);
int aa_json_truth(const aa_json_t *value);
apr_size_t aa_json_len(const aa_json_t *value);  /* array or object size */
aa_json_t *aa_json_at(const aa_json_t *arr, apr_size_t i);

/* Iterate an object's members in insertion order; returns 0 at the end. */
typedef struct {
    void *opaque_entry;
} aa_json_iter_t;
void aa_json_iter_init(const aa_json_t *obj, aa_json_iter_t *it);
int aa_json_iter_next(aa_json_iter_t *it, const char **key, aa_json_t **value);

/* Structural equality (numbers compared by value). */
int aa_json_equal(const aa_json_t *a, const aa_json_t *b);

/* Serialise compactly into pool. NULL value gives "null". */
const char *aa_json_dump(apr_pool_t *pool, const aa_json_t *value);

/* Deep copy into pool. */
aa_json_t *aa_json_copy(apr_pool_t *pool, const aa_json_t *value);

#endif
