/* SPDX-License-Identifier: Apache-2.0 */
/* aa_caps: the operator's capabilities file. */
#ifndef AA_CAPS_H
#define AA_CAPS_H

#include "aa_json.h"

#include <apr_hash.h>
#include <apr_tables.h>

typedef struct {
    const char *name;
    const char *description;
    const char *input;       /* JSON Schema text, or NULL */
    const char *output;      /* JSON Schema text, or NULL */
    const char *location;    /* public execution URL advertised to clients, or NULL */
    const char *backend;     /* local URI inside httpd, or http(s) URL, that executes it */
    const char *constraints; /* server-imposed constraints JSON, or NULL */
} aa_cap_t;

typedef struct {
    apr_array_header_t *list; /* aa_cap_t *, in file order */
    apr_hash_t *by_name;
} aa_caps_t;

/*
 * Load a capabilities file: a JSON array of capability objects, or an object
 * with a "capabilities" array. Each needs a unique name (letters, digits and
 * "_.:-"), a description and a backend (a URI starting with "/", or an
 * http:// or https:// URL); input, output
 * and constraints must be objects when present. NB: schemas are kept as text
 * and parsed per use, because json-c reference counts are not thread-safe.
 * Returns APR_SUCCESS or APR_EINVAL with *errstr naming the problem.
 */
apr_status_t aa_caps_load(apr_pool_t *pool, const char *path, aa_caps_t **caps,
                          const char **errstr);

/* Same, from text already in memory (tests). */
apr_status_t aa_caps_parse(apr_pool_t *pool, const char *text, apr_size_t len,
                           aa_caps_t **caps, const char **errstr);

/* The capability called name, or NULL. */
const aa_cap_t *aa_caps_find(const aa_caps_t *caps, const char *name);

/* 1 when names (const char *; NULL: none) holds name. */
int aa_caps_listed(const apr_array_header_t *names, const char *name);

/* 1 when name is a syntactically valid capability name. */
int aa_caps_name_valid(const char *name);

#endif
