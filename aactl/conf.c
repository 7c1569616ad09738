/* SPDX-License-Identifier: Apache-2.0 */
/*
 * conf.c: find the database settings in an httpd configuration, the way
 * httpd 2.4 reads it: Include and IncludeOptional are followed (a directory
 * is read file by file, wildcards may stand in any part of the path), paths
 * are relative to ServerRoot, and <VirtualHost> blocks are told apart.
 * Conditional sections (<IfModule>, <IfDefine>) are read as if true.
 */
#include "aactl.h"

#include <apr_file_info.h>
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

/* A <VirtualHost> block: what --vhost matches, and its settings. */
typedef struct {
    scope_t scope;
    apr_array_header_t *addresses; /* const char *: "*:443", "[::1]:80" */
    const char *server_name;       /* or NULL */
    apr_array_header_t *aliases;   /* const char *: ServerAlias names */
} vhost_t;

typedef struct {
    apr_pool_t *pool;
    const char *server_root;
    scope_t main;
    apr_array_header_t *vhosts; /* vhost_t * */
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

static int read_path(reader_t *rd, const char *path, int optional, int depth);

static const char *join(apr_pool_t *pool, const char *dir, const char *name)
{
    apr_size_t len = strlen(dir);

    return apr_pstrcat(pool, dir, len && dir[len - 1] == '/' ? "" : "/", name, NULL);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * The entries of dir (full paths, sorted as httpd sorts them) whose names
 * match pattern (NULL: all); dirs_only keeps directories. NULL when dir
 * cannot be opened.
 */
static apr_array_header_t *list_dir(reader_t *rd, const char *dir, const char *pattern,
                                    int dirs_only, apr_status_t *rv)
{
    apr_array_header_t *found = apr_array_make(rd->pool, 8, sizeof(const char *));
    apr_finfo_t fi;
    apr_dir_t *d;

    if ((*rv = apr_dir_open(&d, dir, rd->pool)) != APR_SUCCESS)
        return NULL;
    while (apr_dir_read(&fi, APR_FINFO_NAME, d) == APR_SUCCESS) {
        const char *full;

        if (strcmp(fi.name, ".") == 0 || strcmp(fi.name, "..") == 0)
            continue;
        /* As in httpd, a wildcard matches a leading dot only when the pattern has one. */
        if (pattern && apr_fnmatch(pattern, fi.name, APR_FNM_PERIOD) != APR_SUCCESS)
            continue;
        full = join(rd->pool, dir, fi.name);
        if (dirs_only && (apr_stat(&fi, full, APR_FINFO_TYPE, rd->pool) != APR_SUCCESS
                          || fi.filetype != APR_DIR))
            continue;
        APR_ARRAY_PUSH(found, const char *) = full;
    }
    apr_dir_close(d);
    qsort(found->elts, found->nelts, sizeof(const char *), by_name);
    return found;
}

/* Expand rest, a path under dir, one part at a time: a directory part may be a wildcard. */
static int include_glob(reader_t *rd, const char *dir, const char *rest, int optional,
                        int depth)
{
    const char *slash = strchr(rest, '/');
    const char *part = slash ? apr_pstrndup(rd->pool, rest, slash - rest) : rest;
    apr_array_header_t *found;
    apr_status_t rv;
    char err[120];
    int i;

    if (!apr_fnmatch_test(part)) {
        const char *path = join(rd->pool, dir, part);

        return slash ? include_glob(rd, path, slash + 1, optional, depth)
                     : read_path(rd, path, optional, depth);
    }
    found = list_dir(rd, dir, part, slash != NULL, &rv);
    if (!found && optional)
        return 0;
    if (!found) {
        rd->errstr = apr_psprintf(rd->pool, "cannot open the directory %s for the wildcard "
                                  "'%s': %s", dir, part, apr_strerror(rv, err, sizeof(err)));
        return -1;
    }
    if (found->nelts == 0 && !optional) {
        rd->errstr = apr_psprintf(rd->pool, "No matches for the wildcard '%s' in '%s' (httpd "
                                  "fails too; IncludeOptional allows none)", part, dir);
        return -1;
    }
    for (i = 0; i < found->nelts; i++) {
        const char *path = APR_ARRAY_IDX(found, i, const char *);

        if ((slash ? include_glob(rd, path, slash + 1, optional, depth)
                   : read_path(rd, path, optional, depth)) != 0)
            return -1;
    }
    return 0;
}

static int include(reader_t *rd, const char *pattern, int optional, int depth)
{
    const char *full = resolve(rd, pattern);

    if (!apr_fnmatch_test(full))
        return read_path(rd, full, optional, depth);
    if (full[0] == '/')
        return include_glob(rd, "/", full + 1, optional, depth);
    return include_glob(rd, ".", full, optional, depth);
}

static vhost_t *open_vhost(reader_t *rd, apr_array_header_t *w)
{
    vhost_t *vh = apr_pcalloc(rd->pool, sizeof(*vh));
    int i;

    vh->scope.session_ttl = vh->scope.max_lifetime = vh->scope.absolute_lifetime = -1;
    vh->addresses = apr_array_make(rd->pool, 2, sizeof(const char *));
    vh->aliases = apr_array_make(rd->pool, 2, sizeof(const char *));
    for (i = 1; i < w->nelts; i++) {
        char *addr = apr_pstrdup(rd->pool, APR_ARRAY_IDX(w, i, const char *));
        char *gt = strchr(addr, '>');

        if (gt)
            *gt = '\0';
        if (*addr)
            APR_ARRAY_PUSH(vh->addresses, const char *) = addr;
    }
    APR_ARRAY_PUSH(rd->vhosts, vhost_t *) = vh;
    return vh;
}

static void add_names(reader_t *rd, apr_array_header_t *w)
{
    vhost_t *vh = APR_ARRAY_IDX(rd->vhosts, rd->vhosts->nelts - 1, vhost_t *);
    int i;

    if (strcasecmp(APR_ARRAY_IDX(w, 0, const char *), "ServerName") == 0) {
        if (w->nelts > 1)
            vh->server_name = APR_ARRAY_IDX(w, 1, const char *);
        return;
    }
    for (i = 1; i < w->nelts; i++)
        APR_ARRAY_PUSH(vh->aliases, const char *) = APR_ARRAY_IDX(w, i, const char *);
}

static int directive(reader_t *rd, apr_array_header_t *w, int depth)
{
    const char *name = APR_ARRAY_IDX(w, 0, const char *);
    const char *arg = w->nelts > 1 ? APR_ARRAY_IDX(w, 1, const char *) : "";

    if (strcasecmp(name, "ServerRoot") == 0)
        rd->server_root = apr_pstrdup(rd->pool, arg);
    else if (strcasecmp(name, "Include") == 0 || strcasecmp(name, "IncludeOptional") == 0)
        return include(rd, arg, strcasecmp(name, "IncludeOptional") == 0, depth + 1);
    else if (strcasecmp(name, "<VirtualHost") == 0)
        rd->current = &open_vhost(rd, w)->scope;
    else if (strcasecmp(name, "</VirtualHost>") == 0)
        rd->current = &rd->main;
    else if ((strcasecmp(name, "ServerName") == 0 || strcasecmp(name, "ServerAlias") == 0)
             && rd->current != &rd->main)
        add_names(rd, w);
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

static int read_file(reader_t *rd, apr_file_t *f, int depth)
{
    char line[8192];
    char *logical = NULL;

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
        if (words->nelts && directive(rd, words, depth) != 0)
            return -1;
    }
    return 0;
}

static int unreadable(reader_t *rd, const char *path, apr_status_t rv, int optional)
{
    char err[120];

    if (optional && APR_STATUS_IS_ENOENT(rv))
        return 0;
    rd->errstr = apr_psprintf(rd->pool, "cannot read %s: %s", path,
                              apr_strerror(rv, err, sizeof(err)));
    return -1;
}

/* A configuration file, or a directory whose every file (and subdirectory) is read. */
static int read_path(reader_t *rd, const char *path, int optional, int depth)
{
    apr_array_header_t *entries;
    apr_finfo_t fi;
    apr_file_t *f;
    apr_status_t rv;
    int i, rc;

    if (depth > AACTL_MAX_DEPTH) {
        rd->errstr = apr_psprintf(rd->pool, "%s: Include nested too deeply", path);
        return -1;
    }
    rv = apr_stat(&fi, path, APR_FINFO_TYPE, rd->pool);
    if (rv == APR_SUCCESS && fi.filetype == APR_DIR) {
        if (!(entries = list_dir(rd, path, NULL, 0, &rv)))
            return unreadable(rd, path, rv, 0);
        for (i = 0; i < entries->nelts; i++)
            if (read_path(rd, APR_ARRAY_IDX(entries, i, const char *), 0, depth + 1) != 0)
                return -1;
        return 0;
    }
    if (rv == APR_SUCCESS)
        rv = apr_file_open(&f, path, APR_FOPEN_READ, APR_OS_DEFAULT, rd->pool);
    if (rv != APR_SUCCESS)
        return unreadable(rd, path, rv, optional);
    rc = read_file(rd, f, depth);
    apr_file_close(f);
    return rc;
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

/* "https://WWW.example.com:443" -> "www.example.com" and "443" (NULL without a port). */
static void split_host(apr_pool_t *pool, const char *text, char **host, const char **port)
{
    const char *scheme = strstr(text, "://");
    const char *colon;

    if (scheme)
        text = scheme + 3;
    *host = apr_pstrdup(pool, text);
    *port = NULL;
    /* "[::1]:443" has its port after the bracket; a bare "::1" has none. */
    colon = **host == '[' ? strstr(*host, "]:") : strchr(*host, ':');
    if (colon && **host == '[')
        colon++;
    else if (colon && strchr(colon + 1, ':'))
        colon = NULL;
    if (colon) {
        *port = colon + 1;
        (*host)[colon - *host] = '\0';
    }
}

/*
 * Names compare without case. A port in want must equal have's port or,
 * when have gives none (a ServerName without one), a port of the block's
 * addresses (ports is NULL for an address itself).
 */
static int host_matches(apr_pool_t *pool, const char *have, const char *want,
                        const apr_array_header_t *ports)
{
    const char *have_port, *want_port, *port;
    char *have_host, *want_host;
    int i;

    split_host(pool, have, &have_host, &have_port);
    split_host(pool, want, &want_host, &want_port);
    if (strcasecmp(have_host, want_host) != 0)
        return 0;
    if (!want_port || (have_port && strcmp(have_port, want_port) == 0))
        return 1;
    if (have_port || !ports)
        return !have_port;
    for (i = 0; i < ports->nelts; i++) {
        split_host(pool, APR_ARRAY_IDX(ports, i, const char *), &have_host, &port);
        if (!port || strcmp(port, want_port) == 0)
            return 1;
    }
    return 0;
}

static int vhost_matches(apr_pool_t *pool, const vhost_t *vh, const char *want)
{
    int i;

    if (vh->server_name && host_matches(pool, vh->server_name, want, vh->addresses))
        return 1;
    for (i = 0; i < vh->aliases->nelts; i++)
        if (host_matches(pool, APR_ARRAY_IDX(vh->aliases, i, const char *), want,
                         vh->addresses))
            return 1;
    for (i = 0; i < vh->addresses->nelts; i++)
        if (host_matches(pool, APR_ARRAY_IDX(vh->addresses, i, const char *), want, NULL))
            return 1;
    return 0;
}

static int configures_module(const vhost_t *vh)
{
    return vh->scope.has_issuer || vh->scope.driver;
}

/* How messages call a block: its ServerName, else its addresses. */
static const char *vhost_label(apr_pool_t *pool, const vhost_t *vh)
{
    return vh->server_name ? vh->server_name : apr_array_pstrcat(pool, vh->addresses, ' ');
}

static const char *labels(apr_pool_t *pool, const apr_array_header_t *vhosts)
{
    const char *text = "";
    int i;

    for (i = 0; i < vhosts->nelts; i++)
        text = apr_pstrcat(pool, text, i ? ", " : "",
                           vhost_label(pool, APR_ARRAY_IDX(vhosts, i, const vhost_t *)), NULL);
    return text;
}

/*
 * The block aactl takes its settings from: the one --vhost names or, when
 * it names several, the one of them that configures the module; without
 * --vhost, the only block that configures the module. *found stays NULL
 * for the main server.
 */
static int choose_vhost(reader_t *rd, const char *want, const vhost_t **found,
                        const char **errstr)
{
    apr_array_header_t *named = apr_array_make(rd->pool, 2, sizeof(vhost_t *));
    apr_array_header_t *configured = apr_array_make(rd->pool, 2, sizeof(vhost_t *));
    int i;

    *found = NULL;
    for (i = 0; i < rd->vhosts->nelts; i++) {
        vhost_t *vh = APR_ARRAY_IDX(rd->vhosts, i, vhost_t *);

        if (want && !vhost_matches(rd->pool, vh, want))
            continue;
        APR_ARRAY_PUSH(named, vhost_t *) = vh;
        if (configures_module(vh))
            APR_ARRAY_PUSH(configured, vhost_t *) = vh;
    }
    if (want && named->nelts == 0) {
        *errstr = apr_psprintf(rd->pool, "no <VirtualHost> has the name or address %s", want);
        return AACTL_USAGE;
    }
    if (want && named->nelts == 1)
        *found = APR_ARRAY_IDX(named, 0, vhost_t *);
    else if (configured->nelts == 1)
        *found = APR_ARRAY_IDX(configured, 0, vhost_t *);
    else if (configured->nelts > 1 || want) {
        *errstr = apr_psprintf(rd->pool, "several <VirtualHost> blocks %s%s (%s); choose one "
                               "with --vhost NAME:PORT or its address",
                               want ? "match " : "configure the module", want ? want : "",
                               labels(rd->pool, configured->nelts ? configured : named));
        return AACTL_USAGE;
    }
    return AACTL_OK;
}

int aactl_conf_read(apr_pool_t *pool, const char *path, const char *vhost, aactl_conf_t *conf,
                    const char **errstr)
{
    const vhost_t *found;
    reader_t rd;
    int rc;

    memset(&rd, 0, sizeof(rd));
    rd.pool = pool;
    rd.server_root = "/etc/apache2";
    rd.main.session_ttl = rd.main.max_lifetime = rd.main.absolute_lifetime = -1;
    rd.vhosts = apr_array_make(pool, 4, sizeof(vhost_t *));
    rd.current = &rd.main;
    if (read_path(&rd, path, 0, 0) != 0) {
        *errstr = rd.errstr;
        return AACTL_USAGE;
    }
    if ((rc = choose_vhost(&rd, vhost, &found, errstr)) != AACTL_OK)
        return rc;
    conf->path = path;
    conf->vhost = found ? vhost_label(pool, found) : NULL;
    take(conf, found ? &found->scope : &rd.main, &rd.main);
    if (!conf->driver || !conf->params) {
        *errstr = apr_psprintf(pool, "%s sets no DBDriver/DBDParams for the module%s%s%s",
                               path, found ? " (neither in <VirtualHost> " : "",
                               found ? conf->vhost : "", found ? " nor outside)" : "");
        return AACTL_USAGE;
    }
    /* Read now, with the configuration's privileges: opening SQLite may
     * switch aactl to the database owner, who need not reach this file.
     * Only commands that check names care whether it could be read. */
    if (conf->caps_file
        && aa_caps_load(pool, conf->caps_file, &conf->caps, &conf->caps_error) != APR_SUCCESS)
        conf->caps = NULL;
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
    int i;

    /* Without a capabilities file there is nothing to check against. */
    if (!ctx->conf.caps_file)
        return AACTL_OK;
    if (!ctx->conf.caps) {
        ctx->errstr = apr_psprintf(ctx->pool, "%s: cannot read the capabilities file: %s", cmd,
                                   ctx->conf.caps_error);
        return AACTL_FAILURE;
    }
    for (i = 0; i < n; i++) {
        if (!aa_caps_find(ctx->conf.caps, names[i])) {
            ctx->errstr = apr_psprintf(ctx->pool, "%s: no capability %s in %s", cmd, names[i],
                                       ctx->conf.caps_file);
            return AACTL_NOT_FOUND;
        }
    }
    return AACTL_OK;
}
