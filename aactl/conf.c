/* SPDX-License-Identifier: Apache-2.0 */
/*
 * conf.c: find the database settings in an httpd configuration, the way
 * httpd reads it: Include and IncludeOptional (with wildcards) are followed,
 * paths are relative to ServerRoot, and <VirtualHost> blocks are told apart.
 * Conditional sections (<IfModule>, <IfDefine>) are read as if true.
 */
#include "aactl.h"
#include "../mod_agent_auth/core/aa_caps.h"

#include <apr_file_io.h>
#include <apr_fnmatch.h>
#include <apr_strings.h>
#include <apr_tables.h>

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define AACTL_MAX_DEPTH 16

typedef struct {
    const char *driver;
    const char *params;
    const char *caps_file;
    int has_issuer;
    apr_int64_t session_ttl;
    apr_int64_t max_lifetime;
    apr_int64_t absolute_lifetime;
} scope_t;

typedef struct {
    apr_pool_t *pool;
    const char *server_root;
    scope_t main;
    apr_array_header_t *vhosts; /* scope_t *, with names */
    apr_array_header_t *names;  /* const char * per vhost */
    scope_t *current;
    const char *errstr;
} reader_t;

/* Split one directive line into words, honouring quotes and backslashes. */
static apr_array_header_t *split_words(apr_pool_t *pool, const char *line)
{
    apr_array_header_t *words = apr_array_make(pool, 4, sizeof(const char *));
    const char *p = line;

    while (*p) {
        char *word, *w;

        while (isspace((unsigned char)*p))
            p++;
        if (!*p || *p == '#')
            break;
        word = w = apr_palloc(pool, strlen(p) + 1);
        if (*p == '"' || *p == '\'') {
            char quote = *p++;

            while (*p && *p != quote) {
                if (*p == '\\' && p[1])
                    p++;
                *w++ = *p++;
            }
            if (*p)
                p++;
        }
        else {
            while (*p && !isspace((unsigned char)*p))
                *w++ = *p++;
        }
        *w = '\0';
        APR_ARRAY_PUSH(words, const char *) = word;
    }
    return words;
}

static const char *resolve(reader_t *rd, const char *path)
{
    if (path[0] == '/')
        return path;
    return apr_pstrcat(rd->pool, rd->server_root, "/", path, NULL);
}

static int read_file(reader_t *rd, const char *path, int optional, int depth);

static int include(reader_t *rd, const char *pattern, int optional, int depth)
{
    apr_array_header_t *files = NULL;
    const char *full = resolve(rd, pattern);
    const char *dir;
    int i;

    if (!strpbrk(full, "*?["))
        return read_file(rd, full, optional, depth);
    if (apr_match_glob(full, &files, rd->pool) != APR_SUCCESS)
        return optional ? 0 : -1;
    /* httpd reads wildcard matches in sorted order. */
    qsort(files->elts, files->nelts, sizeof(char *),
          (int (*)(const void *, const void *))strcmp);
    /* apr_match_glob gives bare file names; they live in the pattern's directory. */
    dir = apr_pstrndup(rd->pool, full, strrchr(full, '/') - full);
    for (i = 0; i < files->nelts; i++) {
        const char *name = APR_ARRAY_IDX(files, i, const char *);

        if (read_file(rd, apr_pstrcat(rd->pool, dir, "/", name, NULL), optional, depth) != 0)
            return -1;
    }
    return 0;
}

static int directive(reader_t *rd, apr_array_header_t *w, int depth)
{
    const char *name = APR_ARRAY_IDX(w, 0, const char *);
    const char *arg = w->nelts > 1 ? APR_ARRAY_IDX(w, 1, const char *) : "";

    if (strcasecmp(name, "ServerRoot") == 0)
        rd->server_root = apr_pstrdup(rd->pool, arg);
    else if (strcasecmp(name, "Include") == 0 || strcasecmp(name, "IncludeOptional") == 0)
        return include(rd, arg, strcasecmp(name, "IncludeOptional") == 0, depth + 1);
    else if (strncasecmp(name, "<VirtualHost", 12) == 0) {
        scope_t *scope = apr_pcalloc(rd->pool, sizeof(*scope));
        const char *label = apr_pstrdup(rd->pool, arg);
        char *gt = strchr(label, '>');

        if (gt)
            *gt = '\0';
        scope->session_ttl = scope->max_lifetime = scope->absolute_lifetime = -1;
        APR_ARRAY_PUSH(rd->vhosts, scope_t *) = scope;
        APR_ARRAY_PUSH(rd->names, const char *) = label;
        rd->current = scope;
    }
    else if (strcasecmp(name, "</VirtualHost>") == 0)
        rd->current = &rd->main;
    else if (strcasecmp(name, "ServerName") == 0 && rd->current != &rd->main)
        APR_ARRAY_IDX(rd->names, rd->names->nelts - 1, const char *) =
            apr_pstrdup(rd->pool, arg);
    else if (strcasecmp(name, "DBDriver") == 0)
        rd->current->driver = apr_pstrdup(rd->pool, arg);
    else if (strcasecmp(name, "DBDParams") == 0)
        rd->current->params = apr_pstrdup(rd->pool, arg);
    else if (strcasecmp(name, "AgentAuthCapabilities") == 0)
        rd->current->caps_file = resolve(rd, arg);
    else if (strcasecmp(name, "AgentAuthIssuer") == 0)
        rd->current->has_issuer = 1;
    else if (strcasecmp(name, "AgentAuthSessionTTL") == 0)
        rd->current->session_ttl = apr_atoi64(arg);
    else if (strcasecmp(name, "AgentAuthMaxLifetime") == 0)
        rd->current->max_lifetime = apr_atoi64(arg);
    else if (strcasecmp(name, "AgentAuthAbsoluteLifetime") == 0)
        rd->current->absolute_lifetime = apr_atoi64(arg);
    return 0;
}

static int read_file(reader_t *rd, const char *path, int optional, int depth)
{
    apr_file_t *f;
    char line[8192];
    char *logical = NULL;

    if (depth > AACTL_MAX_DEPTH) {
        rd->errstr = apr_psprintf(rd->pool, "%s: Include nested too deeply", path);
        return -1;
    }
    if (apr_file_open(&f, path, APR_FOPEN_READ, APR_OS_DEFAULT, rd->pool) != APR_SUCCESS) {
        if (optional)
            return 0;
        rd->errstr = apr_psprintf(rd->pool, "cannot read %s", path);
        return -1;
    }
    while (apr_file_gets(line, sizeof(line), f) == APR_SUCCESS) {
        apr_size_t len = strlen(line);
        apr_array_header_t *words;

        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        /* A trailing backslash continues the directive on the next line. */
        if (len && line[len - 1] == '\\') {
            line[len - 1] = ' ';
            logical = apr_pstrcat(rd->pool, logical ? logical : "", line, NULL);
            continue;
        }
        logical = apr_pstrcat(rd->pool, logical ? logical : "", line, NULL);
        words = split_words(rd->pool, logical);
        logical = NULL;
        if (words->nelts && directive(rd, words, depth) != 0) {
            apr_file_close(f);
            return -1;
        }
    }
    apr_file_close(f);
    return 0;
}

/* Settings of a vhost fall back to the main server's, as httpd merges them. */
static void take(aactl_conf_t *conf, const scope_t *scope, const scope_t *main)
{
    conf->driver = scope->driver ? scope->driver : main->driver;
    conf->params = scope->params ? scope->params : main->params;
    conf->caps_file = scope->caps_file ? scope->caps_file : main->caps_file;
    conf->session_ttl = scope->session_ttl >= 0 ? scope->session_ttl : main->session_ttl;
    conf->max_lifetime = scope->max_lifetime >= 0 ? scope->max_lifetime : main->max_lifetime;
    conf->absolute_lifetime = scope->absolute_lifetime >= 0 ? scope->absolute_lifetime
                                                            : main->absolute_lifetime;
}

int aactl_conf_read(apr_pool_t *pool, const char *path, const char *vhost, aactl_conf_t *conf,
                    const char **errstr)
{
    reader_t rd;
    int i, found = -1, candidates = 0;

    memset(&rd, 0, sizeof(rd));
    rd.pool = pool;
    rd.server_root = "/etc/apache2";
    rd.main.session_ttl = rd.main.max_lifetime = rd.main.absolute_lifetime = -1;
    rd.vhosts = apr_array_make(pool, 4, sizeof(scope_t *));
    rd.names = apr_array_make(pool, 4, sizeof(const char *));
    rd.current = &rd.main;
    if (read_file(&rd, path, 0, 0) != 0) {
        *errstr = rd.errstr;
        return AACTL_USAGE;
    }

    for (i = 0; i < rd.vhosts->nelts; i++) {
        const scope_t *s = APR_ARRAY_IDX(rd.vhosts, i, scope_t *);
        const char *name = APR_ARRAY_IDX(rd.names, i, const char *);

        if (vhost ? strcmp(name, vhost) == 0 : (s->has_issuer || s->driver)) {
            found = i;
            candidates++;
        }
    }
    if (vhost && found < 0) {
        *errstr = apr_psprintf(pool, "no <VirtualHost> named %s in %s", vhost, path);
        return AACTL_USAGE;
    }
    if (!vhost && candidates > 1) {
        *errstr = "several <VirtualHost> blocks configure the module; choose one with --vhost";
        return AACTL_USAGE;
    }
    conf->path = path;
    conf->vhost = found >= 0 ? APR_ARRAY_IDX(rd.names, found, const char *) : NULL;
    take(conf, found >= 0 ? APR_ARRAY_IDX(rd.vhosts, found, scope_t *) : &rd.main, &rd.main);
    if (!conf->driver || !conf->params) {
        *errstr = apr_psprintf(pool, "%s sets no DBDriver/DBDParams for the module", path);
        return AACTL_USAGE;
    }
    return AACTL_OK;
}

/* NB: these defaults must match AA_DEFAULT_* in mod_agent_auth/aa_config.c. */
void aactl_lifetimes(const aactl_conf_t *conf, aa_lifetimes_t *lt)
{
    lt->session_ttl = conf->session_ttl >= 0 ? conf->session_ttl : 3600;
    lt->max_lifetime = conf->max_lifetime >= 0 ? conf->max_lifetime : 86400;
    lt->absolute_lifetime = conf->absolute_lifetime >= 0 ? conf->absolute_lifetime
                                                         : 30 * 86400;
}

int aactl_caps_check(aactl_ctx_t *ctx, const char *cmd, const char *const *names, int n)
{
    const char *errstr = NULL;
    aa_caps_t *caps;
    int i;

    /* Without a capabilities file there is nothing to check against. */
    if (!ctx->conf.caps_file)
        return AACTL_OK;
    if (aa_caps_load(ctx->pool, ctx->conf.caps_file, &caps, &errstr) != APR_SUCCESS) {
        ctx->errstr = apr_psprintf(ctx->pool, "%s: cannot read the capabilities file: %s", cmd,
                                   errstr);
        return AACTL_FAILURE;
    }
    for (i = 0; i < n; i++) {
        if (!aa_caps_find(caps, names[i])) {
            ctx->errstr = apr_psprintf(ctx->pool, "%s: no capability %s in %s", cmd, names[i],
                                       ctx->conf.caps_file);
            return AACTL_NOT_FOUND;
        }
    }
    return AACTL_OK;
}
