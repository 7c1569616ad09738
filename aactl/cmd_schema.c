/* SPDX-License-Identifier: Apache-2.0 */
/* aactl schema create | version | check | migrate */
#include "aactl.h"

#include "../mod_agent_auth/core/aa_sql.h"

#include <apr_strings.h>
#include <apr_time.h>

#include <stdio.h>

/* How long a "schema create" that lost a race waits for the winner to finish. */
#define AACTL_SCHEMA_WAIT_STEPS 100
#define AACTL_SCHEMA_WAIT_STEP apr_time_from_msec(100)

/* {status, version, current}; version is null when there is no schema. */
static void print_schema(aactl_ctx_t *ctx, const char *status, int version, const char *text)
{
    aa_json_t *doc;

    if (!ctx->json) {
        printf("%s\n", text);
        return;
    }
    doc = aa_json_object(ctx->pool);
    aa_json_set_str(ctx->pool, doc, "status", status);
    aa_json_set(doc, "version", version ? aa_json_int(ctx->pool, version) : NULL);
    aa_json_set_int(ctx->pool, doc, "current", AA_SCHEMA_VERSION);
    aactl_print_json(ctx, doc);
}

static int no_arguments(aactl_ctx_t *ctx, const char *cmd, int argc, const char *const *argv)
{
    aactl_opt_t opts[] = { { NULL, 0, NULL, 0 } };
    const char *pos[1];
    int npos;

    return aactl_parse(ctx, cmd, argc, argv, opts, pos, 0, &npos);
}

/* Whether the first table of the schema is there, whatever state the rest is in. */
static int any_table_exists(aactl_ctx_t *ctx)
{
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;

    if (apr_dbd_select(ctx->db.driver, ctx->pool, ctx->db.handle, &res,
                       "SELECT COUNT(*) FROM aa_hosts", 0) != 0)
        return 0;
    /* Read to the end, or the connection stays busy. */
    while (apr_dbd_get_row(ctx->db.driver, ctx->pool, res, &row, -1) == 0)
        ;
    return 1;
}

/*
 * Another aactl may be creating the schema right now: on MySQL its tables
 * appear one by one (each CREATE commits), its version row last.
 */
static int wait_for_version(aactl_ctx_t *ctx, int *version)
{
    const char *errstr = NULL;
    int i;

    for (i = 0; i < AACTL_SCHEMA_WAIT_STEPS; i++) {
        if (aa_store_schema_version(ctx->pool, &ctx->db, version, &errstr) == APR_SUCCESS)
            return 1;
        apr_sleep(AACTL_SCHEMA_WAIT_STEP);
    }
    return 0;
}

static int create_schema(aactl_ctx_t *ctx)
{
    const char *errstr = NULL, *ignored = NULL;
    apr_status_t rv;
    int version = 0;

    /* One transaction: PostgreSQL and SQLite then create all or nothing. */
    rv = aa_store_begin(ctx->pool, &ctx->db, &errstr);
    if (rv == APR_SUCCESS) {
        apr_status_t end;

        rv = aa_store_schema_create(ctx->pool, &ctx->db, &errstr);
        end = aa_store_end(ctx->pool, &ctx->db, rv == APR_SUCCESS,
                           rv == APR_SUCCESS ? &errstr : &ignored);
        if (rv == APR_SUCCESS)
            rv = end;
    }
    if (rv == APR_SUCCESS) {
        print_schema(ctx, "created", AA_SCHEMA_VERSION,
                     apr_psprintf(ctx->pool, "created schema version %d (%s)",
                                  AA_SCHEMA_VERSION, ctx->conf.driver));
        return AACTL_OK;
    }
    if (!any_table_exists(ctx)) {
        ctx->errstr = apr_psprintf(ctx->pool, "schema create: %s", errstr);
        return AACTL_FAILURE;
    }
    if (wait_for_version(ctx, &version)) {
        print_schema(ctx, "unchanged", version,
                     apr_psprintf(ctx->pool, "schema already at version %d (another aactl "
                                  "created it meanwhile)", version));
        return AACTL_OK;
    }
    ctx->errstr = apr_psprintf(ctx->pool, "schema create: the database holds part of the "
                               "schema but no version: an earlier schema create was "
                               "interrupted. Drop the aa_* tables (those of sql/%s.sql), then "
                               "run aactl schema create again. (%s)", ctx->conf.driver,
                               errstr);
    return AACTL_FAILURE;
}

int aactl_schema_create(aactl_ctx_t *ctx, int argc, const char *const *argv)
{
    const char *errstr = NULL;
    int rc, version = 0;

    if ((rc = no_arguments(ctx, "schema create", argc, argv)) != AACTL_OK)
        return rc;
    if (aa_store_schema_version(ctx->pool, &ctx->db, &version, &errstr) == APR_SUCCESS) {
        print_schema(ctx, "unchanged", version,
                     apr_psprintf(ctx->pool, "schema already at version %d; nothing to do",
                                  version));
        return AACTL_OK;
    }
    return create_schema(ctx);
}

/* schema version and schema check: same output, different exit for a mismatch. */
static int show_version(aactl_ctx_t *ctx, const char *cmd, int argc, const char *const *argv,
                        int mismatch)
{
    const char *errstr = NULL, *status;
    int rc, version = 0;

    if ((rc = no_arguments(ctx, cmd, argc, argv)) != AACTL_OK)
        return rc;
    if (aa_store_schema_version(ctx->pool, &ctx->db, &version, &errstr) != APR_SUCCESS) {
        if (ctx->json)
            print_schema(ctx, "missing", 0, NULL);
        ctx->errstr = "no schema in the database; run \"aactl schema create\"";
        return AACTL_DB_UNAVAILABLE;
    }
    status = version == AA_SCHEMA_VERSION ? "current"
             : version < AA_SCHEMA_VERSION ? "older" : "newer";
    print_schema(ctx, status, version,
                 apr_psprintf(ctx->pool, "schema version %d (this aactl expects %d)", version,
                              AA_SCHEMA_VERSION));
    return version == AA_SCHEMA_VERSION ? AACTL_OK : mismatch;
}

int aactl_schema_version(aactl_ctx_t *ctx, int argc, const char *const *argv)
{
    return show_version(ctx, "schema version", argc, argv, AACTL_CONFLICT);
}

int aactl_schema_check(aactl_ctx_t *ctx, int argc, const char *const *argv)
{
    return show_version(ctx, "schema check", argc, argv, AACTL_FAILURE);
}

int aactl_schema_migrate(aactl_ctx_t *ctx, int argc, const char *const *argv)
{
    const char *errstr = NULL;
    int rc, version = 0;

    if ((rc = no_arguments(ctx, "schema migrate", argc, argv)) != AACTL_OK)
        return rc;
    if (aa_store_schema_version(ctx->pool, &ctx->db, &version, &errstr) != APR_SUCCESS)
        return create_schema(ctx);
    if (version == AA_SCHEMA_VERSION) {
        print_schema(ctx, "unchanged", version,
                     apr_psprintf(ctx->pool, "schema at version %d; nothing to migrate",
                                  version));
        return AACTL_OK;
    }
    /* Version 1 is the first; later versions add their steps here. */
    ctx->errstr = apr_psprintf(ctx->pool, "schema version %d is not one this aactl can "
                               "migrate from (it knows %d)", version, AA_SCHEMA_VERSION);
    return AACTL_CONFLICT;
}
