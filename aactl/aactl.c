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
    { "approve", NULL, aactl_approve, AACTL_DB_USE,
      "CODE [--user USER] [--trust|--no-trust] [--capabilities A,B [--reason TEXT]]",
      "approve a request by its user code or its id (a CIBA request has only an\n"
      "      id: see approvals list). Approving a delegated agent of a host not yet\n"
      "      linked links it to USER (its next agents get the defaults at once; its\n"
      "      autonomous agents are claimed) unless --no-trust. --capabilities\n"
      "      approves only those, denying the rest" },
    { "deny", NULL, aactl_deny, AACTL_DB_USE, "CODE [--user USER] [--reason TEXT]",
      "deny a request (user code or id): pending grants denied, a pending agent\n"
      "      rejected" },
    { "approvals", "list", aactl_approvals_list, AACTL_DB_USE, "[--json]",
      "list pending approval requests, oldest first" },
    { "approvals", "show", aactl_approvals_show, AACTL_DB_USE, "CODE",
      "show one approval request" },
    { "agents", "list", aactl_agents_list, AACTL_DB_USE,
      "[--status S] [--host ID] [--user U] [--mode M] [--capability C] [--idle DUR] [--json]",
      "list agents, optionally filtered" },
    { "agents", "show", aactl_agents_show, AACTL_DB_USE, "AGENT-ID",
      "show an agent with its grants" },
    { "agents", "revoke", aactl_agents_revoke, AACTL_DB_USE,
      "AGENT-ID... | FILTERS [--yes]",
      "revoke agents and their grants; FILTERS (those of agents list) select\n"
      "      the agents still revocable and ask first unless --yes" },
    { "grants", "list", aactl_grants_list, AACTL_DB_USE,
      "[--agent ID] [--status S] [--capability C] [--json]", "list grants" },
    { "grants", "add", aactl_grants_add, AACTL_DB_USE,
      "AGENT-ID CAPABILITY [--constraints JSON] [--expires DUR] [--user USER]",
      "grant a capability directly" },
    { "grants", "revoke", aactl_grants_revoke, AACTL_DB_USE, "AGENT-ID CAPABILITY",
      "revoke one capability of an agent" },
    { "hosts", "list", aactl_hosts_list, AACTL_DB_USE, "[--status S] [--user U] [--json]",
      "list hosts" },
    { "hosts", "show", aactl_hosts_show, AACTL_DB_USE, "HOST-ID",
      "show a host and its agents" },
    { "hosts", "add", aactl_hosts_add, AACTL_DB_USE,
      "--jwk JSON|--jwk-file PATH|--jwks-url URL --kid KID [--user USER] [--name NAME]",
      "pre-register an active host from its public JWK or JWKS URL;\n"
      "      --user links (trusts) it" },
    { "hosts", "link", aactl_hosts_link, AACTL_DB_USE, "HOST-ID --user USER",
      "link (trust) a host for USER; its autonomous agents are claimed" },
    { "hosts", "trust", aactl_hosts_link, AACTL_DB_USE, "HOST-ID --user USER",
      "same as hosts link" },
    { "hosts", "unlink", aactl_hosts_unlink, AACTL_DB_USE, "HOST-ID",
      "unlink a host; its delegated agents are revoked" },
    { "hosts", "defaults", aactl_hosts_defaults, AACTL_DB_USE,
      "HOST-ID CAPABILITY[,CAPABILITY]...|none | HOST-ID --server",
      "set a host's own default capabilities, or return it to the server's" },
    { "hosts", "revoke", aactl_hosts_revoke, AACTL_DB_USE, "HOST-ID",
      "revoke a host and every agent under it" },
    { "maintenance", "run", aactl_maintenance_run, AACTL_DB_USE,
      "[--pending-older-than DUR] [--approvals-older-than DUR] [--json]",
      "expire and revoke agents by their clocks, delete stale pending agents (7d)\n"
      "      and hosts, purge resolved approvals (30d); safe from cron" },
    { "stats", NULL, aactl_stats, AACTL_DB_USE, "[--json]",
      "counts by status and mode, approvals waiting, oldest pending" },
    { "schema", "create", aactl_schema_create, AACTL_DB_CREATE, "[--json]",
      "create the tables (idempotent, safe to run in parallel; before httpd)" },
    { "schema", "version", aactl_schema_version, AACTL_DB_INSPECT, "[--json]",
      "show the schema version; exit 4 when it is not the current one, 5 when\n"
      "      there is no schema" },
    { "schema", "check", aactl_schema_check, AACTL_DB_INSPECT, "[--json]",
      "like schema version, for scripts: exit 0 only at the current version,\n"
      "      1 when older or newer, 5 when there is no schema" },
    { "schema", "migrate", aactl_schema_migrate, AACTL_DB_CREATE, "[--json]",
      "bring the schema to the current version (idempotent)" },
    { NULL, NULL, NULL, AACTL_DB_USE, NULL, NULL }
};

static void print_cmd(FILE *out, const aactl_cmd_t *c, const char *indent)
{
    fprintf(out, "%s%s%s%s %s\n%s    %s\n", indent, c->noun, c->verb ? " " : "",
            c->verb ? c->verb : "", c->synopsis, indent, c->summary);
}

static void usage(FILE *out)
{
    const aactl_cmd_t *c;

    fprintf(out, "usage: aactl [-c HTTPD_CONF] [--vhost NAME] [--json] COMMAND [ARGS]\n\n"
                 "Commands:\n");
    for (c = aactl_cmds; c->noun; c++)
        print_cmd(out, c, "  ");
    fprintf(out, "\nThe database is the one httpd uses: DBDriver and DBDParams are read from\n"
                 "HTTPD_CONF (default: $AACTL_CONFIG, then " AACTL_DEFAULT_CONF ").\n"
                 "Example: aactl -c /etc/apache2/apache2.conf approve ABCD-EFGH --user alice\n"
                 "Exit codes: 0 ok, 1 failure, 2 usage, 3 not found, 4 conflict,"
                 " 5 database unavailable.\n");
}

/* The verbs of one noun: what "aactl agents" was missing. */
static void noun_usage(FILE *out, const char *noun)
{
    const aactl_cmd_t *c;

    fprintf(out, "usage: aactl %s VERB [ARGS]\n\n", noun);
    for (c = aactl_cmds; c->noun; c++)
        if (strcmp(c->noun, noun) == 0)
            print_cmd(out, c, "  ");
}

static int is_noun(const char *word)
{
    const aactl_cmd_t *c;

    for (c = aactl_cmds; c->noun; c++)
        if (strcmp(c->noun, word) == 0)
            return 1;
    return 0;
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

/* Global options may appear anywhere before "--"; they are removed from argv. */
static void take_globals(aactl_ctx_t *ctx, int *argc, const char **argv, const char **conf,
                         const char **vhost)
{
    int i, o = 0, rest = 0;

    for (i = 0; i < *argc; i++) {
        if (rest)
            argv[o++] = argv[i];
        else if ((strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "--config") == 0)
                 && i + 1 < *argc)
            *conf = argv[++i];
        else if (strcmp(argv[i], "--vhost") == 0 && i + 1 < *argc)
            *vhost = argv[++i];
        else if (strcmp(argv[i], "--json") == 0)
            ctx->json = 1;
        else {
            rest = strcmp(argv[i], "--") == 0;
            argv[o++] = argv[i];
        }
    }
    *argc = o;
}

static int is_help(const char *arg)
{
    return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0;
}

/* --help (or -h) anywhere before "--" asks for help instead of running. */
static int wants_help(int argc, const char *const *argv)
{
    int i;

    for (i = 0; i < argc && strcmp(argv[i], "--") != 0; i++)
        if (is_help(argv[i]))
            return 1;
    return 0;
}

/*
 * Help, and commands that cannot run. Returns -1 when cmd should run, else
 * the exit code: help that was asked for goes to stdout (0), help after a
 * mistake to stderr (2).
 */
static int help_or_error(aactl_ctx_t *ctx, int argc, const char *const *argv,
                         const aactl_cmd_t *cmd, int help)
{
    if (!is_noun(argv[0])) {
        if (is_help(argv[0])) {
            usage(stdout);
            return AACTL_OK;
        }
        ctx->errstr = apr_psprintf(ctx->pool, "unknown command \"%s\"; see aactl help",
                                   argv[0]);
        return AACTL_USAGE;
    }
    if (cmd && help) {
        printf("usage: aactl ");
        print_cmd(stdout, cmd, "");
        return AACTL_OK;
    }
    if (cmd)
        return -1;
    noun_usage(help ? stdout : stderr, argv[0]);
    if (help)
        return AACTL_OK;
    if (argc > 1)
        ctx->errstr = apr_psprintf(ctx->pool, "%s: unknown verb \"%s\"", argv[0], argv[1]);
    else
        ctx->errstr = apr_psprintf(ctx->pool, "%s: which verb?", argv[0]);
    return AACTL_USAGE;
}

static int run(aactl_ctx_t *ctx, int argc, const char **argv)
{
    const char *conf = getenv("AACTL_CONFIG"), *vhost = NULL;
    const aactl_cmd_t *cmd;
    int used = 0, help, rc;

    if (!conf || !*conf)
        conf = AACTL_DEFAULT_CONF;
    take_globals(ctx, &argc, argv, &conf, &vhost);
    help = wants_help(argc, argv);
    /* "aactl help agents revoke" is "aactl agents revoke --help". */
    if (argc > 0 && strcmp(argv[0], "help") == 0) {
        help = 1;
        argc--;
        argv++;
    }
    if (argc == 0) {
        usage(help ? stdout : stderr);
        return help ? AACTL_OK : AACTL_USAGE;
    }
    cmd = find_cmd(argc, argv, &used);
    if ((rc = help_or_error(ctx, argc, argv, cmd, help)) >= 0)
        return rc;
    rc = aactl_conf_read(ctx->pool, conf, vhost, &ctx->conf, &ctx->errstr);
    if (rc == AACTL_OK)
        rc = aactl_db_open(ctx, cmd->db_mode);
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
