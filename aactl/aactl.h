/* SPDX-License-Identifier: Apache-2.0 */
/* aactl: the administration tool for mod_agent_auth's database. */
#ifndef AACTL_H
#define AACTL_H

#include "../mod_agent_auth/core/aa_caps.h"
#include "../mod_agent_auth/core/aa_json.h"
#include "../mod_agent_auth/core/aa_ops.h"
#include "../mod_agent_auth/core/aa_store.h"

#include <apr_getopt.h>
#include <apr_pools.h>

/* Exit codes: stable, documented in aactl(1). */
#define AACTL_OK 0
#define AACTL_FAILURE 1
#define AACTL_USAGE 2
#define AACTL_NOT_FOUND 3
#define AACTL_CONFLICT 4
#define AACTL_DB_UNAVAILABLE 5

/* Durations above a century are typos; the cap also keeps now + d in range. */
#define AACTL_MAX_DURATION ((apr_int64_t)100 * 365 * 86400)

/* How a command uses the database. */
typedef enum {
    AACTL_DB_USE,     /* the schema must exist; statements are prepared */
    AACTL_DB_INSPECT, /* reads the schema itself; creates nothing */
    AACTL_DB_CREATE   /* may create the SQLite file and the schema */
} aactl_db_mode_e;

/* What aactl learned from the httpd configuration. */
typedef struct {
    const char *path;      /* the main configuration file */
    const char *driver;    /* DBDriver */
    const char *params;    /* DBDParams (may hold a password: never print) */
    const char *vhost;     /* the <VirtualHost> that held the settings, or NULL */
    const char *caps_file; /* AgentAuthCapabilities, or NULL */
    aa_caps_t *caps;       /* that file, read with the configuration */
    const char *caps_error; /* why it could not be read */
    apr_int64_t session_ttl;       /* AgentAuthSessionTTL, -1 when unset */
    apr_int64_t max_lifetime;      /* AgentAuthMaxLifetime, -1 when unset */
    apr_int64_t absolute_lifetime; /* AgentAuthAbsoluteLifetime, -1 when unset */
} aactl_conf_t;

typedef struct {
    apr_pool_t *pool;
    aactl_conf_t conf;
    aa_db_t db;
    int json;
    const char *errstr; /* set by a handler that fails */
} aactl_ctx_t;

typedef int (*aactl_handler_fn)(aactl_ctx_t *ctx, int argc, const char *const *argv);

typedef struct {
    const char *noun;
    const char *verb; /* NULL: the noun is the whole command */
    aactl_handler_fn handler;
    aactl_db_mode_e db_mode;
    const char *synopsis;
    const char *summary;
} aactl_cmd_t;

/* opts.c: options of one command. */
typedef struct {
    const char *name;  /* "--status" */
    int takes_value;
    const char *value; /* set by aactl_parse */
    int set;
} aactl_opt_t;

/*
 * Parse argv into opts (terminated by a {NULL} row) and at most maxpos
 * positional arguments. AACTL_OK or AACTL_USAGE with ctx->errstr set.
 */
int aactl_parse(aactl_ctx_t *ctx, const char *cmd, int argc, const char *const *argv,
                aactl_opt_t *opts, const char **pos, int maxpos, int *npos);
aactl_opt_t *aactl_opt(aactl_opt_t *opts, const char *name);
/* "90", "90s", "15m", "24h", "7d" -> seconds; -1 when malformed or too long. */
int aactl_duration(const char *text, apr_int64_t *secs);
/* Option name as a duration into *secs when set; AACTL_USAGE naming it if bad. */
int aactl_opt_duration(aactl_ctx_t *ctx, const char *cmd, aactl_opt_t *opts, const char *name,
                       apr_int64_t *secs);
/* AACTL_USAGE listing the allowed values when option name is set to another. */
int aactl_opt_oneof(aactl_ctx_t *ctx, const char *cmd, aactl_opt_t *opts, const char *name,
                    const char *const *allowed);
/*
 * Names from arguments such as "a,b" "c": split on commas and spaces, each
 * kept once, in order. NULL when an argument names nothing ("" or ",").
 */
apr_array_header_t *aactl_split_names(apr_pool_t *pool, const char *const *args, int n);
/* The approver when --user is not given: $SUDO_USER, $USER, login, "admin". */
const char *aactl_default_user(void);

/* conf.c: read DBDriver/DBDParams (following Include) from an httpd config. */
/*
 * AACTL_OK when the AgentAuthCapabilities file offers every name (or none is
 * configured); AACTL_NOT_FOUND naming the first it does not; AACTL_FAILURE
 * when the file cannot be read. ctx->errstr says why.
 */
int aactl_caps_check(aactl_ctx_t *ctx, const char *cmd, const char *const *names, int n);
int aactl_conf_read(apr_pool_t *pool, const char *path, const char *vhost, aactl_conf_t *conf,
                    const char **errstr);

/* The module's lifetime clocks, with its defaults where the config is silent. */
void aactl_lifetimes(const aactl_conf_t *conf, aa_lifetimes_t *lt);

/*
 * db.c: connect as mode allows. AACTL_OK, or AACTL_DB_UNAVAILABLE with
 * ctx->errstr (the driver's reason, never DBDParams or a password).
 */
int aactl_db_open(aactl_ctx_t *ctx, aactl_db_mode_e mode);

/* output.c */
void aactl_print_json(aactl_ctx_t *ctx, aa_json_t *doc);
void aactl_print_table(aactl_ctx_t *ctx, const char *const *headers, int ncols,
                       apr_array_header_t *rows);
const char *aactl_age(apr_pool_t *pool, apr_int64_t since, apr_int64_t now);

/* Commands. */
int aactl_schema_create(aactl_ctx_t *ctx, int argc, const char *const *argv);
int aactl_schema_version(aactl_ctx_t *ctx, int argc, const char *const *argv);
int aactl_schema_check(aactl_ctx_t *ctx, int argc, const char *const *argv);
int aactl_approvals_list(aactl_ctx_t *ctx, int argc, const char *const *argv);
int aactl_approve(aactl_ctx_t *ctx, int argc, const char *const *argv);
int aactl_deny(aactl_ctx_t *ctx, int argc, const char *const *argv);
int aactl_agents_list(aactl_ctx_t *ctx, int argc, const char *const *argv);
int aactl_hosts_list(aactl_ctx_t *ctx, int argc, const char *const *argv);
int aactl_hosts_add(aactl_ctx_t *ctx, int argc, const char *const *argv);
int aactl_hosts_link(aactl_ctx_t *ctx, int argc, const char *const *argv);
int aactl_hosts_revoke(aactl_ctx_t *ctx, int argc, const char *const *argv);
int aactl_agents_revoke(aactl_ctx_t *ctx, int argc, const char *const *argv);
int aactl_agents_show(aactl_ctx_t *ctx, int argc, const char *const *argv);
int aactl_hosts_show(aactl_ctx_t *ctx, int argc, const char *const *argv);
int aactl_hosts_unlink(aactl_ctx_t *ctx, int argc, const char *const *argv);
int aactl_hosts_defaults(aactl_ctx_t *ctx, int argc, const char *const *argv);
int aactl_grants_list(aactl_ctx_t *ctx, int argc, const char *const *argv);
int aactl_grants_add(aactl_ctx_t *ctx, int argc, const char *const *argv);
int aactl_grants_revoke(aactl_ctx_t *ctx, int argc, const char *const *argv);
int aactl_approvals_show(aactl_ctx_t *ctx, int argc, const char *const *argv);
int aactl_maintenance_run(aactl_ctx_t *ctx, int argc, const char *const *argv);
int aactl_stats(aactl_ctx_t *ctx, int argc, const char *const *argv);
int aactl_schema_migrate(aactl_ctx_t *ctx, int argc, const char *const *argv);
/* Shared JSON shapes (cmd_agents.c). */
aa_json_t *aactl_grant_json(aactl_ctx_t *ctx, const aa_grant_t *g);
aa_json_t *aactl_agent_json(aactl_ctx_t *ctx, const aa_agent_t *a, int with_grants);
aa_json_t *aactl_host_json(aactl_ctx_t *ctx, const aa_host_t *h);
int aactl_exit_for(aactl_ctx_t *ctx, apr_status_t rv, const char *errstr);

#endif
