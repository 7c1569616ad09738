/* SPDX-License-Identifier: Apache-2.0 */
/* db.c: aactl's own apr_dbd connection, from the same DBDriver/DBDParams. */
#include "aactl.h"

#include <apr_strings.h>

#include <errno.h>
#include <libgen.h>
#include <string.h>
#include <sys/stat.h>
#include <grp.h>
#include <unistd.h>

/* What separates key=value pairs in DBDParams, for every driver. */
#define AACTL_PARAM_SEPS " \t\r\n,;|"

/*
 * NB: SQLite creates its -wal and -shm files as whoever opens the database.
 * Run as root, aactl would leave files httpd's workers cannot write, so
 * root becomes the owner of the database (or of its directory) first.
 */
static int become_sqlite_owner(aactl_ctx_t *ctx, const char *path)
{
    struct stat st;
    char *dir = apr_pstrdup(ctx->pool, path);

    if (geteuid() != 0)
        return AACTL_OK;
    if (stat(path, &st) != 0 && stat(dirname(dir), &st) != 0)
        return AACTL_OK;
    if (st.st_uid == 0)
        return AACTL_OK;
    /* Drop root's supplementary groups too, or the files could still be its. */
    if (setgroups(0, NULL) != 0 || setgid(st.st_gid) != 0 || setuid(st.st_uid) != 0) {
        ctx->errstr = apr_psprintf(ctx->pool, "cannot switch to the owner of %s: %s", path,
                                   strerror(errno));
        return AACTL_FAILURE;
    }
    return AACTL_OK;
}

/*
 * The values of password-like keys in DBDParams ("password=..." for
 * PostgreSQL, "pass=..." for MySQL), single quotes honoured.
 */
static apr_array_header_t *secrets_of(apr_pool_t *pool, const char *params)
{
    apr_array_header_t *secrets = apr_array_make(pool, 2, sizeof(const char *));
    const char *p = params;

    while (*p) {
        const char *key = p, *eq;
        char *value, *w;

        while (*p && *p != '=' && !strchr(AACTL_PARAM_SEPS, *p))
            p++;
        eq = p;
        if (*p != '=') {
            p += *p != '\0';
            continue;
        }
        value = w = apr_palloc(pool, strlen(++p) + 1);
        if (*p == '\'') {
            for (p++; *p && *p != '\''; p++)
                *w++ = *p == '\\' && p[1] ? *++p : *p;
            p += *p != '\0';
        }
        else {
            while (*p && !strchr(AACTL_PARAM_SEPS, *p))
                *w++ = *p++;
        }
        *w = '\0';
        if (*value && ((eq - key == 8 && strncmp(key, "password", 8) == 0)
                       || (eq - key == 4 && strncmp(key, "pass", 4) == 0)))
            APR_ARRAY_PUSH(secrets, const char *) = value;
    }
    return secrets;
}

/* The driver's reason for a failed connection, with DBDParams and passwords cut out. */
static const char *scrubbed(aactl_ctx_t *ctx, const char *reason)
{
    apr_array_header_t *secrets = secrets_of(ctx->pool, ctx->conf.params);
    char *text = apr_pstrdup(ctx->pool, reason ? reason : "no reason given");
    int i;

    APR_ARRAY_PUSH(secrets, const char *) = ctx->conf.params;
    for (i = 0; i < secrets->nelts; i++) {
        const char *secret = APR_ARRAY_IDX(secrets, i, const char *);
        char *hit;

        while (*secret && (hit = strstr(text, secret)) != NULL)
            text = apr_pstrcat(ctx->pool, apr_pstrndup(ctx->pool, text, hit - text), "***",
                               hit + strlen(secret), NULL);
    }
    /* Drivers end their messages with a newline; the caller adds its own. */
    for (i = (int)strlen(text); i > 0 && (text[i - 1] == '\n' || text[i - 1] == ' '); i--)
        text[i - 1] = '\0';
    return text;
}

/*
 * NB: apr_dbd's SQLite driver creates a missing database file. Only the
 * commands that may create the schema get to do that; the others would
 * leave an empty file, perhaps owned by root, where httpd expects one.
 */
static int sqlite_file_exists(aactl_ctx_t *ctx, aactl_db_mode_e mode)
{
    struct stat st;

    if (mode == AACTL_DB_CREATE || strcmp(ctx->conf.params, ":memory:") == 0
        || stat(ctx->conf.params, &st) == 0)
        return AACTL_OK;
    ctx->errstr = apr_psprintf(ctx->pool, "no SQLite database %s (%s); run \"aactl schema "
                               "create\" first", ctx->conf.params, strerror(errno));
    return AACTL_DB_UNAVAILABLE;
}

int aactl_db_open(aactl_ctx_t *ctx, aactl_db_mode_e mode)
{
    const apr_dbd_driver_t *driver = NULL;
    apr_dbd_t *handle = NULL;
    const char *error = NULL;
    const char *errstr = NULL;
    int is_sqlite = strcmp(ctx->conf.driver, "sqlite3") == 0;
    int nrows, rc;

    if (apr_dbd_init(ctx->pool) != APR_SUCCESS
        || apr_dbd_get_driver(ctx->pool, ctx->conf.driver, &driver) != APR_SUCCESS) {
        ctx->errstr = apr_psprintf(ctx->pool, "the apr_dbd driver \"%s\" is not available "
                                   "(install libaprutil1-dbd-%s)", ctx->conf.driver,
                                   ctx->conf.driver);
        return AACTL_DB_UNAVAILABLE;
    }
    if (is_sqlite && ((rc = sqlite_file_exists(ctx, mode)) != AACTL_OK
                      || (rc = become_sqlite_owner(ctx, ctx->conf.params)) != AACTL_OK))
        return rc;
    if (apr_dbd_open_ex(driver, ctx->pool, ctx->conf.params, &handle, &error) != APR_SUCCESS) {
        ctx->errstr = apr_psprintf(ctx->pool, "cannot connect to the %s database named in %s: "
                                   "%s", ctx->conf.driver, ctx->conf.path,
                                   scrubbed(ctx, error));
        return AACTL_DB_UNAVAILABLE;
    }
    ctx->db.driver = driver;
    ctx->db.handle = handle;
    ctx->db.pool = ctx->pool;
    ctx->db.prepared = apr_hash_make(ctx->pool);
    if (is_sqlite) {
        /* WAL lets httpd read while aactl writes; busy_timeout waits for locks. */
        apr_dbd_query(driver, handle, &nrows, "PRAGMA busy_timeout = 5000");
        if (mode == AACTL_DB_CREATE)
            apr_dbd_query(driver, handle, &nrows, "PRAGMA journal_mode = WAL");
    }
    if (mode != AACTL_DB_USE)
        return AACTL_OK;
    if (aa_store_prepare_all(&ctx->db, &errstr) != APR_SUCCESS) {
        ctx->errstr = apr_psprintf(ctx->pool, "the database is not ready (%s); run "
                                   "\"aactl schema create\" first", errstr);
        return AACTL_DB_UNAVAILABLE;
    }
    return AACTL_OK;
}
