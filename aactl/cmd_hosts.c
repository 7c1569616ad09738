/* SPDX-License-Identifier: Apache-2.0 */
/* aactl hosts add | link | unlink | defaults | revoke. */
#include "aactl.h"

#include "../mod_agent_auth/core/aa_jwk.h"
#include "../mod_agent_auth/core/aa_jwks.h"
#include "../mod_agent_auth/core/aa_ops.h"
#include "../mod_agent_auth/core/aa_time.h"

#include <apr_file_io.h>
#include <apr_strings.h>

#include <stdio.h>
#include <string.h>

/* A JWK is a few hundred bytes; anything near this is not one. */
#define AACTL_MAX_JWK_FILE 16384

/*
 * The result of a host change: {host_id, status, ...details} for scripts,
 * text for people. status is one word: active, linked, unlinked, revoked
 * or updated.
 */
static aa_json_t *host_change(aactl_ctx_t *ctx, const char *host_id, const char *status)
{
    aa_json_t *doc = aa_json_object(ctx->pool);

    aa_json_set_str(ctx->pool, doc, "host_id", host_id);
    aa_json_set_str(ctx->pool, doc, "status", status);
    return doc;
}

static void print_change(aactl_ctx_t *ctx, aa_json_t *doc, const char *text)
{
    if (ctx->json)
        aactl_print_json(ctx, doc);
    else
        printf("%s\n", text);
}

/* The host id: the only positional argument. */
static int one_host(aactl_ctx_t *ctx, const char *cmd, int argc, const char *const *argv,
                    aactl_opt_t *opts, const char **host_id)
{
    const char *pos[1];
    int rc, npos;

    if ((rc = aactl_parse(ctx, cmd, argc, argv, opts, pos, 1, &npos)) != AACTL_OK)
        return rc;
    if (npos != 1) {
        ctx->errstr = apr_psprintf(ctx->pool, "%s: which host? (see aactl %s --help)", cmd,
                                   cmd);
        return AACTL_USAGE;
    }
    *host_id = pos[0];
    return AACTL_OK;
}

static int host_exists(aactl_ctx_t *ctx, const char *host_id)
{
    const char *errstr = NULL;
    apr_status_t rv;

    rv = aa_store_host_get(ctx->pool, &ctx->db, host_id, &(aa_host_t *){ NULL }, &errstr);
    if (rv == APR_NOTFOUND)
        errstr = apr_psprintf(ctx->pool, "no host %s", host_id);
    return aactl_exit_for(ctx, rv, errstr);
}

static int read_jwk_file(aactl_ctx_t *ctx, const char *path, const char **text)
{
    char buf[AACTL_MAX_JWK_FILE], err[120];
    apr_size_t n = 0;
    apr_file_t *f;
    apr_status_t rv;

    rv = apr_file_open(&f, path, APR_FOPEN_READ, APR_OS_DEFAULT, ctx->pool);
    if (rv == APR_SUCCESS) {
        /* Pipes (--jwk-file <(...)) deliver in pieces: read to the end. */
        rv = apr_file_read_full(f, buf, sizeof(buf) - 1, &n);
        apr_file_close(f);
        if (rv == APR_EOF)
            rv = APR_SUCCESS;
    }
    if (rv != APR_SUCCESS) {
        ctx->errstr = apr_psprintf(ctx->pool, "hosts add: cannot read --jwk-file %s: %s", path,
                                   apr_strerror(rv, err, sizeof(err)));
        return AACTL_USAGE;
    }
    if (n == sizeof(buf) - 1) {
        ctx->errstr = apr_psprintf(ctx->pool, "hosts add: --jwk-file %s is too large for a "
                                   "JWK", path);
        return AACTL_USAGE;
    }
    buf[n] = '\0';
    *text = apr_pstrdup(ctx->pool, buf);
    return AACTL_OK;
}

/* The host's current key: the one named kid at its JWKS URL (§8.7). */
static int fetch_jwk(aactl_ctx_t *ctx, const char *url, const char *kid, aa_jwk_t **jwk)
{
    apr_array_header_t *keys;
    const aa_jwk_t *found;
    const char *errstr = NULL;

    if (aa_jwks_global_init() != APR_SUCCESS
        || aa_jwks_load(ctx->pool, url, NULL, &keys, &errstr) != APR_SUCCESS) {
        ctx->errstr = apr_psprintf(ctx->pool, "hosts add: %s", errstr ? errstr : "libcurl");
        return AACTL_FAILURE;
    }
    found = aa_jwks_find(keys, kid);
    if (!found) {
        ctx->errstr = apr_psprintf(ctx->pool, "hosts add: no key %s at %s", kid, url);
        return AACTL_NOT_FOUND;
    }
    *jwk = (aa_jwk_t *)found;
    return AACTL_OK;
}

static int parse_jwk(aactl_ctx_t *ctx, const char *source, const char *text, aa_jwk_t **jwk)
{
    const char *errstr = NULL;
    aa_json_t *obj;

    if (aa_json_parse(ctx->pool, text, strlen(text), 1, &obj, &errstr) != APR_SUCCESS) {
        ctx->errstr = apr_psprintf(ctx->pool, "hosts add: %s is not a JSON object (%s)",
                                   source, errstr);
        return AACTL_USAGE;
    }
    if (aa_jwk_parse(ctx->pool, obj, jwk, &errstr) != APR_SUCCESS) {
        ctx->errstr = apr_psprintf(ctx->pool, "hosts add: %s is not a usable public key: %s",
                                   source, errstr);
        return AACTL_USAGE;
    }
    return AACTL_OK;
}

/* The key of hosts add, from exactly one of --jwk, --jwk-file, --jwks-url. */
static int host_key(aactl_ctx_t *ctx, aactl_opt_t *opts, aa_jwk_t **jwk)
{
    aactl_opt_t *inline_jwk = aactl_opt(opts, "--jwk"), *file = aactl_opt(opts, "--jwk-file");
    aactl_opt_t *url = aactl_opt(opts, "--jwks-url"), *kid = aactl_opt(opts, "--kid");
    const char *text;
    int rc;

    if (inline_jwk->set + file->set + url->set != 1 || kid->set != url->set) {
        ctx->errstr = "hosts add: give the host's public key with one of --jwk, --jwk-file, "
                      "or --jwks-url with --kid";
        return AACTL_USAGE;
    }
    if (url->set)
        return fetch_jwk(ctx, url->value, kid->value, jwk);
    if (inline_jwk->set)
        return parse_jwk(ctx, "--jwk", inline_jwk->value, jwk);
    if ((rc = read_jwk_file(ctx, file->value, &text)) != AACTL_OK)
        return rc;
    return parse_jwk(ctx, apr_pstrcat(ctx->pool, "--jwk-file ", file->value, NULL), text, jwk);
}

/* aactl hosts add --jwk JSON|--jwk-file PATH|--jwks-url URL --kid KID [--user U] [--name N] */
int aactl_hosts_add(aactl_ctx_t *ctx, int argc, const char *const *argv)
{
    aactl_opt_t opts[] = { { "--jwk", 1, NULL, 0 },      { "--jwk-file", 1, NULL, 0 },
                           { "--jwks-url", 1, NULL, 0 }, { "--kid", 1, NULL, 0 },
                           { "--user", 1, NULL, 0 },     { "--name", 1, NULL, 0 },
                           { NULL, 0, NULL, 0 } };
    const char *pos[1], *user, *errstr = NULL;
    apr_int64_t now = aa_now();
    aa_json_t *doc;
    aa_host_t host;
    aa_jwk_t *jwk;
    apr_status_t rv;
    int rc, npos;

    if ((rc = aactl_parse(ctx, "hosts add", argc, argv, opts, pos, 0, &npos)) != AACTL_OK
        || (rc = host_key(ctx, opts, &jwk)) != AACTL_OK)
        return rc;
    user = opts[4].set ? opts[4].value : "";

    memset(&host, 0, sizeof(host));
    host.id = jwk->thumbprint;
    host.name = opts[5].set ? opts[5].value : "";
    host.public_key = aa_jwk_canonical(ctx->pool, jwk);
    host.key_thumbprint = jwk->thumbprint;
    host.kid = jwk->kid ? jwk->kid : "";
    host.jwks_url = opts[2].set ? opts[2].value : "";
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

    doc = host_change(ctx, host.id, AA_ST_ACTIVE);
    aa_json_set(doc, "user_id", aa_json_string(ctx->pool, *user ? user : NULL));
    aa_json_set(doc, "name", aa_json_string(ctx->pool, *host.name ? host.name : NULL));
    print_change(ctx, doc, apr_psprintf(ctx->pool, "host %s added, active%s%s", host.id,
                                        *user ? ", linked to " : "", user));
    return AACTL_OK;
}

/* aactl hosts link HOST-ID --user USER */
int aactl_hosts_link(aactl_ctx_t *ctx, int argc, const char *const *argv)
{
    aactl_opt_t opts[] = { { "--user", 1, NULL, 0 }, { NULL, 0, NULL, 0 } };
    const char *host_id, *errstr = NULL;
    aa_json_t *doc;
    apr_status_t rv;
    int rc, claimed = 0;

    if ((rc = one_host(ctx, "hosts link", argc, argv, opts, &host_id)) != AACTL_OK)
        return rc;
    if (!opts[0].set || !*opts[0].value) {
        ctx->errstr = "hosts link: for which user? (hosts link HOST-ID --user USER)";
        return AACTL_USAGE;
    }
    rv = aa_ops_host_link(ctx->pool, &ctx->db, host_id, opts[0].value, aa_now(), &claimed,
                          &errstr);
    if (rv != APR_SUCCESS)
        return aactl_exit_for(ctx, rv, errstr);
    doc = host_change(ctx, host_id, "linked");
    aa_json_set_str(ctx->pool, doc, "user_id", opts[0].value);
    aa_json_set_int(ctx->pool, doc, "agents_claimed", claimed);
    print_change(ctx, doc, apr_psprintf(ctx->pool, "host %s is now linked to %s (%d "
                                        "autonomous agent(s) claimed)", host_id,
                                        opts[0].value, claimed));
    return AACTL_OK;
}

/* aactl hosts revoke HOST-ID */
int aactl_hosts_revoke(aactl_ctx_t *ctx, int argc, const char *const *argv)
{
    aactl_opt_t opts[] = { { NULL, 0, NULL, 0 } };
    const char *host_id, *errstr = NULL;
    aa_json_t *doc;
    apr_status_t rv;
    int rc, revoked = 0;

    if ((rc = one_host(ctx, "hosts revoke", argc, argv, opts, &host_id)) != AACTL_OK
        || (rc = host_exists(ctx, host_id)) != AACTL_OK)
        return rc;
    rv = aa_ops_host_revoke(ctx->pool, &ctx->db, host_id, aa_now(), &revoked, &errstr);
    if (rv != APR_SUCCESS)
        return aactl_exit_for(ctx, rv, errstr);
    doc = host_change(ctx, host_id, AA_ST_REVOKED);
    aa_json_set_int(ctx->pool, doc, "agents_revoked", revoked);
    print_change(ctx, doc, apr_psprintf(ctx->pool, "host %s is now revoked (%d agent(s) "
                                        "revoked)", host_id, revoked));
    return AACTL_OK;
}

/* aactl hosts unlink HOST-ID: the delegated agents lose their user, and are revoked. */
int aactl_hosts_unlink(aactl_ctx_t *ctx, int argc, const char *const *argv)
{
    aactl_opt_t opts[] = { { NULL, 0, NULL, 0 } };
    const char *host_id, *errstr = NULL;
    aa_json_t *doc;
    apr_status_t rv;
    int rc, revoked = 0;

    if ((rc = one_host(ctx, "hosts unlink", argc, argv, opts, &host_id)) != AACTL_OK
        || (rc = host_exists(ctx, host_id)) != AACTL_OK)
        return rc;
    rv = aa_ops_host_unlink(ctx->pool, &ctx->db, host_id, aa_now(), &revoked, &errstr);
    if (rv != APR_SUCCESS)
        return aactl_exit_for(ctx, rv, errstr);
    doc = host_change(ctx, host_id, "unlinked");
    aa_json_set_int(ctx->pool, doc, "agents_revoked", revoked);
    print_change(ctx, doc, apr_psprintf(ctx->pool, "host %s is now unlinked (%d delegated "
                                        "agent(s) revoked)", host_id, revoked));
    return AACTL_OK;
}

/*
 * The names of hosts defaults: "a,b" "c" split and deduplicated like
 * approve --capabilities; "none" alone is the empty list.
 */
static int default_names(aactl_ctx_t *ctx, const char *const *args, int n,
                         apr_array_header_t **names)
{
    int i;

    *names = aactl_split_names(ctx->pool, args, n);
    if (!*names) {
        ctx->errstr = "hosts defaults: an empty capability name";
        return AACTL_USAGE;
    }
    for (i = 0; i < (*names)->nelts; i++) {
        if (strcmp(APR_ARRAY_IDX(*names, i, const char *), "none") != 0)
            continue;
        if ((*names)->nelts > 1) {
            ctx->errstr = "hosts defaults: \"none\" stands alone (no default capabilities)";
            return AACTL_USAGE;
        }
        apr_array_clear(*names);
    }
    return aactl_caps_check(ctx, "hosts defaults", (const char *const *)(*names)->elts,
                            (*names)->nelts);
}

/* aactl hosts defaults HOST-ID CAP... | none | --server */
int aactl_hosts_defaults(aactl_ctx_t *ctx, int argc, const char *const *argv)
{
    aactl_opt_t opts[] = { { "--server", 0, NULL, 0 }, { NULL, 0, NULL, 0 } };
    const char **pos = apr_palloc(ctx->pool, sizeof(char *) * (argc + 1));
    aa_json_t *list = aa_json_array(ctx->pool), *doc;
    apr_array_header_t *names = NULL;
    const char *errstr = NULL, *text;
    apr_status_t rv;
    int i, rc, npos;

    if ((rc = aactl_parse(ctx, "hosts defaults", argc, argv, opts, pos, argc, &npos))
        != AACTL_OK)
        return rc;
    if (npos < 1 || (npos == 1) != opts[0].set) {
        ctx->errstr = "hosts defaults: usage: hosts defaults HOST-ID CAPABILITY...|none | "
                      "HOST-ID --server";
        return AACTL_USAGE;
    }
    if (npos > 1 && (rc = default_names(ctx, pos + 1, npos - 1, &names)) != AACTL_OK)
        return rc;
    if ((rc = host_exists(ctx, pos[0])) != AACTL_OK)
        return rc;
    for (i = 0; names && i < names->nelts; i++)
        aa_json_append_str(ctx->pool, list, APR_ARRAY_IDX(names, i, const char *));

    /* "" hands the host back to the server's AgentAuthHostDefaultCapabilities. */
    rv = aa_store_host_set_defaults(ctx->pool, &ctx->db, pos[0],
                                    names ? aa_json_dump(ctx->pool, list) : "", aa_now(),
                                    &errstr);
    if (rv != APR_SUCCESS)
        return aactl_exit_for(ctx, rv, errstr);
    doc = host_change(ctx, pos[0], "updated");
    aa_json_set(doc, "default_capabilities", names ? list : NULL);
    if (!names)
        text = "the server's default capabilities";
    else if (names->nelts == 0)
        text = "no default capabilities";
    else
        text = apr_pstrcat(ctx->pool, "default capabilities ",
                           apr_array_pstrcat(ctx->pool, names, ','), NULL);
    print_change(ctx, doc, apr_psprintf(ctx->pool, "host %s now uses %s", pos[0], text));
    return AACTL_OK;
}
