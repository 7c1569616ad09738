/* SPDX-License-Identifier: Apache-2.0 */
/* aactl schema create | version */
#include "aactl.h"

#include "../mod_agent_auth/core/aa_sql.h"

#include <apr_strings.h>

#include <stdio.h>

int aactl_schema_create(aactl_ctx_t *ctx, int argc, const char *const *argv)
{
    const char *errstr = NULL;
    int version = 0;

    (void)argc;
    (void)argv;
    if (aa_store_schema_version(ctx->pool, &ctx->db, &version, &errstr) == APR_SUCCESS) {
        printf("schema already at version %d; nothing to do\n", version);
        return AACTL_OK;
    }
    if (aa_store_schema_create(ctx->pool, &ctx->db, &errstr) != APR_SUCCESS) {
        ctx->errstr = errstr;
        return AACTL_FAILURE;
    }
    printf("created schema version %d (%s)\n", AA_SCHEMA_VERSION, ctx->conf.driver);
    return AACTL_OK;
}

int aactl_schema_version(aactl_ctx_t *ctx, int argc, const char *const *argv)
{
    const char *errstr = NULL;
    int version = 0;

    (void)argc;
    (void)argv;
    if (aa_store_schema_version(ctx->pool, &ctx->db, &version, &errstr) != APR_SUCCESS) {
        ctx->errstr = "no schema; run \"aactl schema create\"";
        return AACTL_NOT_FOUND;
    }
    if (ctx->json) {
        aa_json_t *doc = aa_json_object(ctx->pool);

        aa_json_set_int(ctx->pool, doc, "version", version);
        aa_json_set_int(ctx->pool, doc, "current", AA_SCHEMA_VERSION);
        aactl_print_json(ctx, doc);
    }
    else {
        printf("schema version %d (this aactl expects %d)\n", version, AA_SCHEMA_VERSION);
    }
    return version == AA_SCHEMA_VERSION ? AACTL_OK : AACTL_CONFLICT;
}

int aactl_schema_migrate(aactl_ctx_t *ctx, int argc, const char *const *argv)
{
    const char *errstr = NULL;
    int version = 0;

    (void)argc;
    (void)argv;
    if (aa_store_schema_version(ctx->pool, &ctx->db, &version, &errstr) != APR_SUCCESS)
        return aactl_schema_create(ctx, 0, NULL);
    if (version == AA_SCHEMA_VERSION) {
        printf("schema at version %d; nothing to migrate\n", version);
        return AACTL_OK;
    }
    /* Version 1 is the first; later versions add their steps here. */
    ctx->errstr = apr_psprintf(ctx->pool, "schema version %d is not one this aactl can "
                               "migrate from (it knows %d)", version, AA_SCHEMA_VERSION);
    return AACTL_CONFLICT;
}
