/* SPDX-License-Identifier: Apache-2.0 */
/* aactl hosts add | link | revoke, aactl agents revoke. */
#include "aactl.h"

#include "../mod_agent_auth/core/aa_jwk.h"
#include "../mod_agent_auth/core/aa_jwks.h"
#include "../mod_agent_auth/core/aa_ops.h"
#include "../mod_agent_auth/core/aa_time.h"

#include <apr_file_io.h>
#include <apr_strings.h>

#include <stdio.h>
#include <string.h>


static const char *read_text_file(aactl_ctx_t *ctx, const char *path)
{
    apr_file_t *f;
    char buf[16384];
    apr_size_t n = 0;
    apr_status_t rv;

    if (apr_file_open(&f, path, APR_FOPEN_READ, APR_OS_DEFAULT, ctx->pool) != APR_SUCCESS)
        return NULL;
    /* Pipes (--jwk-file <(...)) deliver in pieces: read to the end. */
    rv = apr_file_read_full(f, buf, sizeof(buf) - 1, &n);
    apr_file_close(f);
    if (rv != APR_SUCCESS && rv != APR_EOF)
        return NULL;
    buf[n] = '\0';
    return apr_pstrdup(ctx->pool, buf);
}

static void print_change(aactl_ctx_t *ctx, const char *what, const char *id, const char *state,
                         const char *extra_key, apr_int64_t extra)
{
    if (ctx->json) {
        aa_json_t *doc = aa_json_object(ctx->pool);

        aa_json_set_str(ctx->pool, doc, what, id);
        aa_json_set_str(ctx->pool, doc, "status", state);
        if (extra_key)
            aa_json_set_int(ctx->pool, doc, extra_key, extra);
        aactl_print_json(ctx, doc);
        return;
    }
    if (extra_key)
        printf("%s %s is now %s (%s: %d)\n", what, id, state, extra_key, (int)extra);
    else
        printf("%s %s is now %s\n", what, id, state);
}

/* aactl hosts add --jwk JSON|--jwk-file PATH [--user USER] [--name NAME] */
int aactl_hosts_add(aactl_ctx_t *ctx, int argc, const char *const *argv)
{
    const char *jwk_text = NULL, *user = "", *name = "", *errstr = NULL;
    const char *jwks_url = NULL, *kid = NULL;
    apr_int64_t now = aa_now();
    aa_host_t host;
    aa_jwk_t *jwk;
    apr_status_t rv;
    int i;

    for (i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--jwk") == 0 && i + 1 < argc)
            jwk_text = argv[++i];
        else if (strcmp(argv[i], "--jwk-file") == 0 && i + 1 < argc)
            jwk_text = read_text_file(ctx, argv[++i]);
        else if (strcmp(argv[i], "--user") == 0 && i + 1 < argc)
            user = argv[++i];
        else if (strcmp(argv[i], "--name") == 0 && i + 1 < argc)
            name = argv[++i];
        else if (strcmp(argv[i], "--jwks-url") == 0 && i + 1 < argc)
            jwks_url = argv[++i];
        else if (strcmp(argv[i], "--kid") == 0 && i + 1 < argc)
            kid = argv[++i];
        else {
            ctx->errstr = apr_psprintf(ctx->pool, "hosts add: unexpected argument %s", argv[i]);
            return AACTL_USAGE;
        }
    }
    if (jwks_url) {
        /* §8.7: the host's current key is the one named kid at its JWKS URL. */
        apr_array_header_t *keys;
        const aa_jwk_t *found;

        if (jwk_text || !kid) {
            ctx->errstr = "hosts add: --jwks-url needs --kid, and excludes --jwk";
            return AACTL_USAGE;
        }
        if (aa_jwks_global_init() != APR_SUCCESS
            || aa_jwks_load(ctx->pool, jwks_url, NULL, &keys, &errstr) != APR_SUCCESS) {
            ctx->errstr = apr_psprintf(ctx->pool, "hosts add: %s", errstr ? errstr : "libcurl");
            return AACTL_FAILURE;
        }
        found = aa_jwks_find(keys, kid);
        if (!found) {
            ctx->errstr = apr_psprintf(ctx->pool, "hosts add: no key %s at %s", kid, jwks_url);
            return AACTL_NOT_FOUND;
        }
        jwk = (aa_jwk_t *)found;
    }
    else if (!jwk_text) {
        ctx->errstr = "hosts add: give the host's public key with --jwk, a readable --jwk-file, "
                      "or --jwks-url with --kid";
        return AACTL_USAGE;
    }
    else if (aa_jwk_parse_text(ctx->pool, jwk_text, &jwk, &errstr) != APR_SUCCESS) {
        ctx->errstr = apr_psprintf(ctx->pool, "hosts add: %s", errstr);
        return AACTL_USAGE;
    }

    memset(&host, 0, sizeof(host));
    host.id = jwk->thumbprint;
    host.name = name;
    host.public_key = aa_jwk_canonical(ctx->pool, jwk);
    host.key_thumbprint = jwk->thumbprint;
    host.kid = jwk->kid ? jwk->kid : "";
    host.jwks_url = jwks_url ? jwks_url : "";
    host.user_id = user;
    host.status = AA_ST_ACTIVE;
    host.default_capabilities = "";
    host.created_at = host.updated_at = host.activated_at = now;
    if (aa_store_host_find_iss(ctx->pool, &ctx->db, jwk->thumbprint, &(aa_host_t *){ NULL },
                               &errstr) == APR_SUCCESS) {
        ctx->errstr = apr_psprintf(ctx->pool, "host %s already exists", jwk->thumbprint);
        return AACTL_CONFLICT;
    }
    rv = aa_store_host_insert(ctx->pool, &ctx->db, &host, &errstr);
    if (rv != APR_SUCCESS)
        return aactl_exit_for(ctx, rv, errstr);
    print_change(ctx, "host_id", host.id, *user ? "active, linked" : "active", NULL, 0);
    return AACTL_OK;
}

/* aactl hosts link HOST-ID --user USER */
int aactl_hosts_link(aactl_ctx_t *ctx, int argc, const char *const *argv)
{
    const char *host_id = NULL, *user = NULL, *errstr = NULL;
    apr_status_t rv;
    int i, claimed = 0;

    for (i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--user") == 0 && i + 1 < argc)
            user = argv[++i];
        else if (!host_id)
            host_id = argv[i]; /* thumbprints may start with "-" */
        else {
            ctx->errstr = apr_psprintf(ctx->pool, "hosts link: unexpected argument %s",
                                       argv[i]);
            return AACTL_USAGE;
        }
    }
    if (!host_id || !user) {
        ctx->errstr = "hosts link: usage: hosts link HOST-ID --user USER";
        return AACTL_USAGE;
    }
    rv = aa_ops_host_link(ctx->pool, &ctx->db, host_id, user, aa_now(), &claimed, &errstr);
    if (rv != APR_SUCCESS)
        return aactl_exit_for(ctx, rv, errstr);
    print_change(ctx, "host_id", host_id, apr_pstrcat(ctx->pool, "linked to ", user, NULL),
                 "agents_claimed", claimed);
    return AACTL_OK;
}

/* aactl hosts revoke HOST-ID */
int aactl_hosts_revoke(aactl_ctx_t *ctx, int argc, const char *const *argv)
{
    const char *errstr = NULL;
    apr_status_t rv;
    int revoked = 0;

    if (argc != 1) {
        ctx->errstr = "hosts revoke: usage: hosts revoke HOST-ID";
        return AACTL_USAGE;
    }
    if (aa_store_host_get(ctx->pool, &ctx->db, argv[0], &(aa_host_t *){ NULL }, &errstr)
        == APR_NOTFOUND) {
        ctx->errstr = apr_psprintf(ctx->pool, "no host %s", argv[0]);
        return AACTL_NOT_FOUND;
    }
    rv = aa_ops_host_revoke(ctx->pool, &ctx->db, argv[0], aa_now(), &revoked, &errstr);
    if (rv != APR_SUCCESS)
        return aactl_exit_for(ctx, rv, errstr);
    print_change(ctx, "host_id", argv[0], "revoked", "agents_revoked", revoked);
    return AACTL_OK;
}

/* aactl hosts unlink HOST-ID: the delegated agents lose their user, and are revoked. */
int aactl_hosts_unlink(aactl_ctx_t *ctx, int argc, const char *const *argv)
{
    aactl_opt_t opts[] = { { NULL, 0, NULL, 0 } };
    const char *pos[1], *errstr = NULL;
    apr_status_t rv;
    int rc, npos, revoked = 0;

    if ((rc = aactl_parse(ctx, "hosts unlink", argc, argv, opts, pos, 1, &npos)) != AACTL_OK)
        return rc;
    if (npos != 1) {
        ctx->errstr = "hosts unlink: usage: hosts unlink HOST-ID";
        return AACTL_USAGE;
    }
    if (aa_store_host_get(ctx->pool, &ctx->db, pos[0], &(aa_host_t *){ NULL }, &errstr)
        == APR_NOTFOUND)
        return aactl_exit_for(ctx, APR_NOTFOUND, apr_psprintf(ctx->pool, "no host %s", pos[0]));
    rv = aa_ops_host_unlink(ctx->pool, &ctx->db, pos[0], aa_now(), &revoked, &errstr);
    if (rv != APR_SUCCESS)
        return aactl_exit_for(ctx, rv, errstr);
    print_change(ctx, "host_id", pos[0], "unlinked", "agents_revoked", revoked);
    return AACTL_OK;
}

/* aactl hosts defaults HOST-ID CAP... | --server */
int aactl_hosts_defaults(aactl_ctx_t *ctx, int argc, const char *const *argv)
{
    aactl_opt_t opts[] = { { "--server", 0, NULL, 0 }, { NULL, 0, NULL, 0 } };
    const char *pos[65], *errstr = NULL;
    aa_json_t *list = aa_json_array(ctx->pool);
    apr_status_t rv;
    int i, rc, npos;

    if ((rc = aactl_parse(ctx, "hosts defaults", argc, argv, opts, pos, 65, &npos))
        != AACTL_OK)
        return rc;
    if (npos < 1 || (npos == 1 && !opts[0].set) || (npos > 1 && opts[0].set)) {
        ctx->errstr = "hosts defaults: usage: hosts defaults HOST-ID CAPABILITY... | --server";
        return AACTL_USAGE;
    }
    if (aa_store_host_get(ctx->pool, &ctx->db, pos[0], &(aa_host_t *){ NULL }, &errstr)
        == APR_NOTFOUND)
        return aactl_exit_for(ctx, APR_NOTFOUND, apr_psprintf(ctx->pool, "no host %s", pos[0]));
    for (i = 1; i < npos; i++) {
        if (strcmp(pos[i], "none") == 0)
            continue;
        if ((rc = aactl_caps_check(ctx, "hosts defaults", &pos[i], 1)) != AACTL_OK)
            return rc;
        aa_json_append_str(ctx->pool, list, pos[i]);
    }
    /* "" hands the host back to the server's AgentAuthHostDefaultCapabilities. */
    rv = aa_store_host_set_defaults(ctx->pool, &ctx->db, pos[0],
                                    opts[0].set ? "" : aa_json_dump(ctx->pool, list), aa_now(),
                                    &errstr);
    if (rv != APR_SUCCESS)
        return aactl_exit_for(ctx, rv, errstr);
    print_change(ctx, "host_id", pos[0],
                 opts[0].set ? "using the server's default capabilities"
                             : apr_pstrcat(ctx->pool, "defaults ", aa_json_dump(ctx->pool, list),
                                           NULL), NULL, 0);
    return AACTL_OK;
}
