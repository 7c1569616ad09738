/* SPDX-License-Identifier: Apache-2.0 */
/*
 * aactl: administer mod_agent_auth's database from a shell or cron.
 *
 *   aactl [-c HTTPD_CONF] [--vhost NAME] [--json] COMMAND [ARGS]
 *
 * Exit codes: 0 ok, 1 unexpected failure, 2 usage, 3 not found,
 * 4 conflict (already approved, denied, expired...), 5 database unavailable.
 */
#include "aactl.h"

#include "../mod_agent_auth/core/aa_crypto.h"

#include <apr_general.h>
#include <apr_strings.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define AACTL_DEFAULT_CONF "/etc/apache2/apache2.conf"

static const aactl_cmd_t aactl_cmds[] = {
    { "approve", NULL, aactl_approve, 1,
      "CODE [--user USER] [--trust|--no-trust] [--capabilities A,B [--reason TEXT]]",
      "approve a request by its user code or its id (a CIBA request has only an\n"
      "      id: see approvals list). Approving a delegated agent of a new host links the\n"
      "      host to USER (its next agents get the defaults at once) unless --no-trust;\n"
      "      --trust links an already known host too. --capabilities approves only\n"
      "      those, denying the rest" },
    { "deny", NULL, aactl_deny, 1, "CODE [--user USER] [--reason TEXT]",
      "deny a request (user code or id): pending grants denied, a pending agent\n"
      "      rejected" },
    { "approvals", "list", aactl_approvals_list, 1, "[--json]",
      "list pending approval requests" },
    { "approvals", "show", aactl_approvals_show, 1, "CODE", "show one approval request" },
    { "agents", "list", aactl_agents_list, 1,
      "[--status S] [--host ID] [--user U] [--mode M] [--capability C] [--idle DUR] [--json]",
      "list agents, optionally filtered" },
    { "agents", "show", aactl_agents_show, 1, "AGENT-ID", "show an agent with its grants" },
    { "agents", "revoke", aactl_agents_revoke, 1, "AGENT-ID... | FILTERS [--yes]",
      "revoke agents and their grants; a filter asks first unless --yes" },
    { "grants", "list", aactl_grants_list, 1,
      "[--agent ID] [--status S] [--capability C] [--json]", "list grants" },
    { "grants", "add", aactl_grants_add, 1,
      "AGENT-ID CAPABILITY [--constraints JSON] [--expires DUR] [--user USER]",
      "grant a capability directly" },
    { "grants", "revoke", aactl_grants_revoke, 1, "AGENT-ID CAPABILITY",
      "revoke one capability of an agent" },
    { "hosts", "list", aactl_hosts_list, 1, "[--status S] [--user U] [--json]", "list hosts" },
    { "hosts", "show", aactl_hosts_show, 1, "HOST-ID", "show a host and its agents" },
    { "hosts", "add", aactl_hosts_add, 1,
      "--jwk JSON|--jwk-file PATH|--jwks-url URL --kid KID [--user USER] [--name NAME]",
      "pre-register an active host from its public JWK or JWKS URL;\n"
      "      --user links (trusts) it" },
    { "hosts", "link", aactl_hosts_link, 1, "HOST-ID --user USER",
      "link (trust) a host for USER; its autonomous agents are claimed" },
    { "hosts", "trust", aactl_hosts_link, 1, "HOST-ID --user USER", "same as hosts link" },
    { "hosts", "unlink", aactl_hosts_unlink, 1, "HOST-ID",
      "unlink a host; its delegated agents are revoked" },
    { "hosts", "defaults", aactl_hosts_defaults, 1, "HOST-ID CAPABILITY...|none | --server",
      "set a host's own default capabilities, or return it to the server's" },
    { "hosts", "revoke", aactl_hosts_revoke, 1, "HOST-ID",
      "revoke a host and every agent under it" },
    { "maintenance", "run", aactl_maintenance_run, 1,
      "[--pending-older-than DUR] [--approvals-older-than DUR] [--json]",
      "expire and revoke agents by their clocks, delete stale pending agents (7d)\n"
      "      and hosts, purge resolved approvals (30d); safe from cron" },
    { "stats", NULL, aactl_stats, 1, "[--json]",
      "counts by status and mode, approvals waiting, oldest pending" },
    { "schema", "create", aactl_schema_create, 2, "",
      "create the tables (idempotent; run before starting httpd)" },
    { "schema", "version", aactl_schema_version, 2, "[--json]",
      "show the schema version; exit 4 when it is not the current one" },
    { "schema", "migrate", aactl_schema_migrate, 2, "",
      "bring the schema to the current version (idempotent)" },
    { NULL, NULL, NULL, 0, NULL, NULL }
};

static void usage(FILE *out)
{
    const aactl_cmd_t *c;

    fprintf(out, "usage: aactl [-c HTTPD_CONF] [--vhost NAME] [--json] COMMAND [ARGS]\n\n"
                 "Commands:\n");
    for (c = aactl_cmds; c->noun; c++)
        fprintf(out, "  %s%s%s %s\n      %s\n", c->noun, c->verb ? " " : "",
                c->verb ? c->verb : "", c->synopsis, c->summary);
    fprintf(out, "\nThe database is the one httpd uses: DBDriver and DBDParams are read from\n"
                 "HTTPD_CONF (default: $AACTL_CONFIG, then " AACTL_DEFAULT_CONF ").\n"
                 "Example: aactl -c /etc/apache2/apache2.conf approve ABCD-EFGH --user alice\n"
                 "Exit codes: 0 ok, 1 failure, 2 usage, 3 not found, 4 conflict,"
                 " 5 database unavailable.\n");
}

static const aactl_cmd_t *find_cmd(int argc, const char *const *argv, int *used)
{
    const aactl_cmd_t *c;

    for (c = aactl_cmds; c->noun; c++) {
        if (strcmp(argv[0], c->noun) != 0)
            continue;
        if (!c->verb) {
            *used = 1;
            return c;
        }
        if (argc > 1 && strcmp(argv[1], c->verb) == 0) {
            *used = 2;
            return c;
        }
    }
    return NULL;
}

/* Global options may appear anywhere; they are removed from argv. */
static int take_globals(aactl_ctx_t *ctx, int *argc, const char **argv, const char **conf,
                        const char **vhost)
{
    int i, o = 0;

    for (i = 0; i < *argc; i++) {
        if ((strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "--config") == 0) && i + 1 < *argc)
            *conf = argv[++i];
        else if (strcmp(argv[i], "--vhost") == 0 && i + 1 < *argc)
            *vhost = argv[++i];
        else if (strcmp(argv[i], "--json") == 0)
            ctx->json = 1;
        else if ((strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) && o == 0)
            return -1;
        else
            argv[o++] = argv[i];
    }
    *argc = o;
    return 0;
}

static int run(aactl_ctx_t *ctx, int argc, const char **argv)
{
    const char *conf = getenv("AACTL_CONFIG"), *vhost = NULL;
    const aactl_cmd_t *cmd;
    int used = 0, rc;

    if (!conf || !*conf)
        conf = AACTL_DEFAULT_CONF;
    if (take_globals(ctx, &argc, argv, &conf, &vhost) != 0 || argc == 0
        || strcmp(argv[0], "help") == 0) {
        usage(argc == 0 ? stderr : stdout);
        return argc == 0 ? AACTL_USAGE : AACTL_OK;
    }
    cmd = find_cmd(argc, argv, &used);
    if (cmd && argc > used && (strcmp(argv[used], "--help") == 0
                               || strcmp(argv[used], "-h") == 0)) {
        printf("usage: aactl %s%s%s %s\n    %s\n", cmd->noun, cmd->verb ? " " : "",
               cmd->verb ? cmd->verb : "", cmd->synopsis, cmd->summary);
        return AACTL_OK;
    }
    if (!cmd) {
        ctx->errstr = apr_psprintf(ctx->pool, "unknown command \"%s\"; see aactl help",
                                   argv[0]);
        return AACTL_USAGE;
    }
    rc = aactl_conf_read(ctx->pool, conf, vhost, &ctx->conf, &ctx->errstr);
    if (rc == AACTL_OK)
        rc = aactl_db_open(ctx, cmd->needs_db == 2);
    if (rc == AACTL_OK)
        rc = cmd->handler(ctx, argc - used, argv + used);
    return rc;
}

int main(int argc, const char *const *argv)
{
    aactl_ctx_t ctx;
    const char **args;
    int i, rc;

    apr_app_initialize(&argc, &argv, NULL);
    atexit(apr_terminate);
    memset(&ctx, 0, sizeof(ctx));
    apr_pool_create(&ctx.pool, NULL);
    if (aa_crypto_init() != APR_SUCCESS) {
        fprintf(stderr, "aactl: libsodium failed to initialise\n");
        return AACTL_FAILURE;
    }
    args = apr_palloc(ctx.pool, sizeof(char *) * (argc + 1));
    for (i = 1; i < argc; i++)
        args[i - 1] = argv[i];

    rc = run(&ctx, argc - 1, args);
    if (rc != AACTL_OK && ctx.errstr)
        fprintf(stderr, "aactl: %s\n", ctx.errstr);
    if (ctx.db.handle)
        apr_dbd_close(ctx.db.driver, ctx.db.handle);
    return rc;
}
