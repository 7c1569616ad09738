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

int aactl_db_open(aactl_ctx_t *ctx, int create)
{
    const apr_dbd_driver_t *driver = NULL;
    apr_dbd_t *handle = NULL;
    const char *error = NULL;
    const char *errstr = NULL;
    int nrows, rc;

    if (apr_dbd_init(ctx->pool) != APR_SUCCESS
        || apr_dbd_get_driver(ctx->pool, ctx->conf.driver, &driver) != APR_SUCCESS) {
        ctx->errstr = apr_psprintf(ctx->pool, "the apr_dbd driver \"%s\" is not available "
                                   "(install libaprutil1-dbd-%s)", ctx->conf.driver,
                                   ctx->conf.driver);
        return AACTL_DB_UNAVAILABLE;
    }
    if (strcmp(ctx->conf.driver, "sqlite3") == 0
        && (rc = become_sqlite_owner(ctx, ctx->conf.params)) != AACTL_OK)
        return rc;
    if (apr_dbd_open_ex(driver, ctx->pool, ctx->conf.params, &handle, &error) != APR_SUCCESS) {
        /* The driver's message may quote DBDParams; it is not repeated. */
        ctx->errstr = apr_psprintf(ctx->pool, "cannot connect to the %s database named in %s",
                                   ctx->conf.driver, ctx->conf.path);
        return AACTL_DB_UNAVAILABLE;
    }
    ctx->db.driver = driver;
    ctx->db.handle = handle;
    ctx->db.pool = ctx->pool;
    ctx->db.prepared = apr_hash_make(ctx->pool);
    if (strcmp(ctx->conf.driver, "sqlite3") == 0) {
        /* WAL lets httpd read while aactl writes; busy_timeout waits for locks. */
        apr_dbd_query(driver, handle, &nrows, "PRAGMA busy_timeout = 5000");
        if (create)
            apr_dbd_query(driver, handle, &nrows, "PRAGMA journal_mode = WAL");
    }
    if (create)
        return AACTL_OK;
    if (aa_store_prepare_all(&ctx->db, &errstr) != APR_SUCCESS) {
        ctx->errstr = apr_psprintf(ctx->pool, "the database is not ready (%s); run "
                                   "\"aactl schema create\" first", errstr);
        return AACTL_DB_UNAVAILABLE;
    }
    return AACTL_OK;
}
