/* SPDX-License-Identifier: Apache-2.0 */
/* aa_caps: parse and index the capabilities file. */
#include "aa_caps.h"

#include <apr_file_io.h>
#include <apr_strings.h>

#include <ctype.h>
#include <string.h>
#include <strings.h>

/* A capabilities file larger than this is surely a mistake. */
#define AA_CAPS_MAX_FILE (4 * 1024 * 1024)

int aa_caps_name_valid(const char *name)
{
    const char *p;

    if (!name || !*name || strlen(name) > 128)
        return 0;
    for (p = name; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr("_.:-", *p))
            return 0;
    return 1;
}

static apr_status_t optional_object_text(apr_pool_t *pool, const aa_json_t *def,
                                         const char *member, const char *name,
                                         const char **out, const char **errstr)
{
    aa_json_t *v;

    *out = NULL;
    switch (aa_json_get_obj(def, member, &v)) {
    case APR_SUCCESS:
        *out = aa_json_dump(pool, v);
        return APR_SUCCESS;
    case APR_NOTFOUND:
        return APR_SUCCESS;
    default:
        *errstr = apr_psprintf(pool, "capability %s: %s must be an object", name, member);
        return APR_EINVAL;
    }
}

static apr_status_t parse_one(apr_pool_t *pool, const aa_json_t *def, aa_cap_t **out,
                              const char **errstr)
{
    aa_cap_t *cap = apr_pcalloc(pool, sizeof(*cap));

    if (!aa_json_is(def, AA_JSON_OBJECT)) {
        *errstr = "each capability must be a JSON object";
        return APR_EINVAL;
    }
    if (aa_json_get_str(def, "name", &cap->name) != APR_SUCCESS
        || !aa_caps_name_valid(cap->name)) {
        *errstr = "a capability has a missing or invalid name";
        return APR_EINVAL;
    }
    cap->name = apr_pstrdup(pool, cap->name);
    if (aa_json_get_str(def, "description", &cap->description) != APR_SUCCESS) {
        *errstr = apr_psprintf(pool, "capability %s: description is required", cap->name);
        return APR_EINVAL;
    }
    cap->description = apr_pstrdup(pool, cap->description);
    if (aa_json_get_str(def, "backend", &cap->backend) != APR_SUCCESS
        || (cap->backend[0] != '/' && strncasecmp(cap->backend, "http://", 7) != 0
            && strncasecmp(cap->backend, "https://", 8) != 0)) {
        *errstr = apr_psprintf(pool, "capability %s: backend must be a local URI starting "
                               "with / or an http:// or https:// URL", cap->name);
        return APR_EINVAL;
    }
    cap->backend = apr_pstrdup(pool, cap->backend);
    if (aa_json_get_str(def, "location", &cap->location) == APR_EINVAL) {
        *errstr = apr_psprintf(pool, "capability %s: location must be a string", cap->name);
        return APR_EINVAL;
    }
    if (cap->location)
        cap->location = apr_pstrdup(pool, cap->location);
    if (optional_object_text(pool, def, "input", cap->name, &cap->input, errstr)
            != APR_SUCCESS
        || optional_object_text(pool, def, "output", cap->name, &cap->output, errstr)
               != APR_SUCCESS
        || optional_object_text(pool, def, "constraints", cap->name, &cap->constraints,
                                errstr) != APR_SUCCESS)
        return APR_EINVAL;
    *out = cap;
    return APR_SUCCESS;
}

apr_status_t aa_caps_parse(apr_pool_t *pool, const char *text, apr_size_t len,
                           aa_caps_t **out, const char **errstr)
{
    aa_json_t *doc, *list;
    aa_caps_t *caps;
    apr_size_t i, n;

    if (aa_json_parse(pool, text, len, 1, &doc, errstr) != APR_SUCCESS)
        return APR_EINVAL;
    list = doc;
    if (aa_json_is(doc, AA_JSON_OBJECT)
        && aa_json_get_arr(doc, "capabilities", &list) != APR_SUCCESS) {
        *errstr = "the file must hold an array or an object with a \"capabilities\" array";
        return APR_EINVAL;
    }
    if (!aa_json_is(list, AA_JSON_ARRAY)) {
        *errstr = "the file must hold an array of capabilities";
        return APR_EINVAL;
    }

    caps = apr_pcalloc(pool, sizeof(*caps));
    n = aa_json_len(list);
    caps->list = apr_array_make(pool, n ? (int)n : 1, sizeof(aa_cap_t *));
    caps->by_name = apr_hash_make(pool);
    for (i = 0; i < n; i++) {
        aa_cap_t *cap;

        if (parse_one(pool, aa_json_at(list, i), &cap, errstr) != APR_SUCCESS)
            return APR_EINVAL;
        if (apr_hash_get(caps->by_name, cap->name, APR_HASH_KEY_STRING)) {
            *errstr = apr_psprintf(pool, "capability %s is defined twice", cap->name);
            return APR_EINVAL;
        }
        APR_ARRAY_PUSH(caps->list, aa_cap_t *) = cap;
        apr_hash_set(caps->by_name, cap->name, APR_HASH_KEY_STRING, cap);
    }
    *out = caps;
    return APR_SUCCESS;
}

apr_status_t aa_caps_load(apr_pool_t *pool, const char *path, aa_caps_t **caps,
                          const char **errstr)
{
    apr_file_t *f;
    apr_finfo_t finfo;
    char *buf;
    apr_size_t len;
    apr_status_t rv;

    rv = apr_file_open(&f, path, APR_FOPEN_READ, APR_OS_DEFAULT, pool);
    if (rv == APR_SUCCESS)
        rv = apr_file_info_get(&finfo, APR_FINFO_SIZE, f);
    if (rv != APR_SUCCESS) {
        *errstr = apr_psprintf(pool, "cannot read %s", path);
        return rv;
    }
    if (finfo.size > AA_CAPS_MAX_FILE) {
        apr_file_close(f);
        *errstr = apr_psprintf(pool, "%s is larger than 4 MB", path);
        return APR_EINVAL;
    }
    len = (apr_size_t)finfo.size;
    buf = apr_palloc(pool, len + 1);
    rv = apr_file_read_full(f, buf, len, &len);
    apr_file_close(f);
    if (rv != APR_SUCCESS && rv != APR_EOF) {
        *errstr = apr_psprintf(pool, "cannot read %s", path);
        return rv;
    }
    buf[len] = '\0';
    rv = aa_caps_parse(pool, buf, len, caps, errstr);
    if (rv != APR_SUCCESS)
        *errstr = apr_psprintf(pool, "%s: %s", path, *errstr);
    return rv;
}

const aa_cap_t *aa_caps_find(const aa_caps_t *caps, const char *name)
{
    if (!caps || !name)
        return NULL;
    return apr_hash_get(caps->by_name, name, APR_HASH_KEY_STRING);
}

int aa_caps_listed(const apr_array_header_t *names, const char *name)
{
    int i;

    for (i = 0; names && i < names->nelts; i++)
        if (strcmp(APR_ARRAY_IDX(names, i, const char *), name) == 0)
            return 1;
    return 0;
}
