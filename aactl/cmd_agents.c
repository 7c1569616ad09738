/* SPDX-License-Identifier: Apache-2.0 */
/* aactl agents list | show | revoke, aactl hosts list | show. */
#include "aactl.h"

#include "../mod_agent_auth/core/aa_ops.h"
#include "../mod_agent_auth/core/aa_time.h"

#include <apr_strings.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

int aactl_exit_for(aactl_ctx_t *ctx, apr_status_t rv, const char *errstr)
{
    ctx->errstr = errstr;
    if (rv == APR_SUCCESS)
        return AACTL_OK;
    if (rv == APR_NOTFOUND)
        return AACTL_NOT_FOUND;
    if (rv == AA_ECONFLICT)
        return AACTL_CONFLICT;
    return AACTL_DB_UNAVAILABLE;
}

static void set_time(apr_pool_t *pool, aa_json_t *obj, const char *key, apr_int64_t t)
{
    aa_json_set(obj, key, aa_json_string(pool, aa_iso8601(pool, t)));
}

static void set_opt_str(apr_pool_t *pool, aa_json_t *obj, const char *key, const char *s)
{
    aa_json_set(obj, key, aa_json_string(pool, s && *s ? s : NULL));
}

static const char *or_dash(const char *s)
{
    return s && *s ? s : "-";
}

aa_json_t *aactl_grant_json(aactl_ctx_t *ctx, const aa_grant_t *g)
{
    aa_json_t *obj = aa_json_object(ctx->pool), *constraints = NULL;
    const char *err;

    aa_json_set_str(ctx->pool, obj, "grant_id", g->id);
    aa_json_set_str(ctx->pool, obj, "agent_id", g->agent_id);
    aa_json_set_str(ctx->pool, obj, "capability", g->capability);
    aa_json_set_str(ctx->pool, obj, "status", g->status);
    if (*g->constraints)
        aa_json_parse(ctx->pool, g->constraints, strlen(g->constraints), 0, &constraints, &err);
    aa_json_set(obj, "constraints", constraints);
    set_opt_str(ctx->pool, obj, "granted_by", g->granted_by);
    set_opt_str(ctx->pool, obj, "denied_by", g->denied_by);
    set_opt_str(ctx->pool, obj, "reason", g->reason);
    set_time(ctx->pool, obj, "expires_at", g->expires_at);
    set_time(ctx->pool, obj, "created_at", g->created_at);
    return obj;
}

aa_json_t *aactl_agent_json(aactl_ctx_t *ctx, const aa_agent_t *a, int with_grants)
{
    aa_json_t *obj = aa_json_object(ctx->pool);

    aa_json_set_str(ctx->pool, obj, "agent_id", a->id);
    aa_json_set_str(ctx->pool, obj, "host_id", a->host_id);
    aa_json_set_str(ctx->pool, obj, "name", a->name);
    aa_json_set_str(ctx->pool, obj, "mode", a->mode);
    aa_json_set_str(ctx->pool, obj, "status", a->status);
    set_opt_str(ctx->pool, obj, "user_id", a->user_id);
    aa_json_set_str(ctx->pool, obj, "key_thumbprint", a->key_thumbprint);
    set_time(ctx->pool, obj, "created_at", a->created_at);
    set_time(ctx->pool, obj, "activated_at", a->activated_at);
    set_time(ctx->pool, obj, "last_used_at", a->last_used_at);
    set_time(ctx->pool, obj, "expires_at", a->expires_at);
    if (with_grants) {
        apr_array_header_t *grants;
        aa_json_t *list = aa_json_array(ctx->pool);
        const char *errstr;
        int i;

        if (aa_store_grant_list(ctx->pool, &ctx->db, a->id, &grants, &errstr) == APR_SUCCESS)
            for (i = 0; i < grants->nelts; i++)
                aa_json_append(list,
                               aactl_grant_json(ctx, APR_ARRAY_IDX(grants, i, aa_grant_t *)));
        aa_json_set(obj, "grants", list);
    }
    return obj;
}

aa_json_t *aactl_host_json(aactl_ctx_t *ctx, const aa_host_t *h)
{
    aa_json_t *obj = aa_json_object(ctx->pool), *defaults = NULL;
    const char *err;

    aa_json_set_str(ctx->pool, obj, "host_id", h->id);
    set_opt_str(ctx->pool, obj, "name", h->name);
    aa_json_set_str(ctx->pool, obj, "status", h->status);
    set_opt_str(ctx->pool, obj, "user_id", h->user_id);
    aa_json_set_str(ctx->pool, obj, "key_thumbprint", h->key_thumbprint);
    set_opt_str(ctx->pool, obj, "jwks_url", h->jwks_url);
    if (*h->default_capabilities)
        aa_json_parse(ctx->pool, h->default_capabilities, strlen(h->default_capabilities), 0,
                      &defaults, &err);
    /* null: the server's AgentAuthHostDefaultCapabilities apply. */
    aa_json_set(obj, "default_capabilities", defaults);
    set_time(ctx->pool, obj, "created_at", h->created_at);
    set_time(ctx->pool, obj, "last_used_at", h->last_used_at);
    return obj;
}

typedef struct {
    const char *status, *host, *user, *mode, *capability;
    apr_int64_t idle; /* -1: no filter */
} agent_filter_t;

static int has_grant(aactl_ctx_t *ctx, const aa_agent_t *a, const char *capability)
{
    apr_array_header_t *grants;
    const char *errstr;
    int i;

    if (aa_store_grant_list(ctx->pool, &ctx->db, a->id, &grants, &errstr) != APR_SUCCESS)
        return 0;
    for (i = 0; i < grants->nelts; i++) {
        const aa_grant_t *g = APR_ARRAY_IDX(grants, i, const aa_grant_t *);

        if (strcmp(g->capability, capability) == 0 && strcmp(g->status, AA_ST_ACTIVE) == 0)
            return 1;
    }
    return 0;
}

static int matches(aactl_ctx_t *ctx, const aa_agent_t *a, const agent_filter_t *f,
                   apr_int64_t now)
{
    apr_int64_t seen = a->last_used_at ? a->last_used_at : a->created_at;

    return (!f->status || strcmp(a->status, f->status) == 0)
           && (!f->host || strcmp(a->host_id, f->host) == 0)
           && (!f->user || strcmp(a->user_id, f->user) == 0)
           && (!f->mode || strcmp(a->mode, f->mode) == 0)
           && (f->idle < 0 || now - seen > f->idle)
           && (!f->capability || has_grant(ctx, a, f->capability));
}

static aactl_opt_t *filter_opts(void)
{
    static const aactl_opt_t proto[] = {
        { "--status", 1, NULL, 0 }, { "--host", 1, NULL, 0 }, { "--user", 1, NULL, 0 },
        { "--mode", 1, NULL, 0 },   { "--capability", 1, NULL, 0 },
        { "--idle", 1, NULL, 0 },   { "--yes", 0, NULL, 0 }, { NULL, 0, NULL, 0 }
    };
    static aactl_opt_t opts[sizeof(proto) / sizeof(proto[0])];

    memcpy(opts, proto, sizeof(proto));
    return opts;
}

static int read_filter(aactl_ctx_t *ctx, const char *cmd, aactl_opt_t *opts,
                       agent_filter_t *f, int *any)
{
    static const char *const statuses[] = { AA_ST_PENDING, AA_ST_ACTIVE, AA_ST_EXPIRED,
                                            AA_ST_REVOKED, AA_ST_REJECTED, AA_ST_CLAIMED,
                                            NULL };
    static const char *const modes[] = { AA_MODE_DELEGATED, AA_MODE_AUTONOMOUS, NULL };
    int rc;

    if ((rc = aactl_opt_oneof(ctx, cmd, opts, "--status", statuses)) != AACTL_OK
        || (rc = aactl_opt_oneof(ctx, cmd, opts, "--mode", modes)) != AACTL_OK)
        return rc;
    f->status = aactl_opt(opts, "--status")->value;
    f->host = aactl_opt(opts, "--host")->value;
    f->user = aactl_opt(opts, "--user")->value;
    f->mode = aactl_opt(opts, "--mode")->value;
    f->capability = aactl_opt(opts, "--capability")->value;
    f->idle = -1;
    if ((rc = aactl_opt_duration(ctx, cmd, opts, "--idle", &f->idle)) != AACTL_OK)
        return rc;
    *any = f->status || f->host || f->user || f->mode || f->capability || f->idle >= 0;
    return AACTL_OK;
}

/* Agents a revocation still changes; a filter revocation selects only these. */
static int revocable(const aa_agent_t *a)
{
    return strcmp(a->status, AA_ST_REVOKED) != 0 && strcmp(a->status, AA_ST_REJECTED) != 0
           && strcmp(a->status, AA_ST_CLAIMED) != 0;
}

static int select_agents(aactl_ctx_t *ctx, const agent_filter_t *f, int only_revocable,
                         apr_array_header_t **out)
{
    apr_array_header_t *agents;
    const char *errstr = NULL;
    apr_int64_t now = aa_now();
    int i;

    if (aa_store_agent_list(ctx->pool, &ctx->db, &agents, &errstr) != APR_SUCCESS)
        return aactl_exit_for(ctx, APR_EGENERAL, errstr);
    *out = apr_array_make(ctx->pool, agents->nelts + 1, sizeof(aa_agent_t *));
    for (i = 0; i < agents->nelts; i++) {
        aa_agent_t *a = APR_ARRAY_IDX(agents, i, aa_agent_t *);

        if ((!only_revocable || revocable(a)) && matches(ctx, a, f, now))
            APR_ARRAY_PUSH(*out, aa_agent_t *) = a;
    }
    return AACTL_OK;
}

int aactl_agents_list(aactl_ctx_t *ctx, int argc, const char *const *argv)
{
    static const char *const headers[] = { "AGENT_ID", "HOST_ID", "NAME", "MODE", "STATUS",
                                           "USER", "LAST_USED", "CREATED" };
    aactl_opt_t *opts = filter_opts();
    apr_array_header_t *agents, *rows;
    aa_json_t *list = aa_json_array(ctx->pool);
    apr_int64_t now = aa_now();
    agent_filter_t f;
    const char *pos[1];
    int i, npos, any, rc;

    if ((rc = aactl_parse(ctx, "agents list", argc, argv, opts, pos, 0, &npos)) != AACTL_OK
        || (rc = read_filter(ctx, "agents list", opts, &f, &any)) != AACTL_OK)
        return rc;
    if (aactl_opt(opts, "--yes")->set) {
        ctx->errstr = "agents list: --yes belongs to agents revoke";
        return AACTL_USAGE;
    }
    if ((rc = select_agents(ctx, &f, 0, &agents)) != AACTL_OK)
        return rc;
    rows = apr_array_make(ctx->pool, agents->nelts + 1, sizeof(const char **));
    for (i = 0; i < agents->nelts; i++) {
        const aa_agent_t *a = APR_ARRAY_IDX(agents, i, const aa_agent_t *);
        const char **row = apr_palloc(ctx->pool, sizeof(char *) * 8);

        aa_json_append(list, aactl_agent_json(ctx, a, 1));
        row[0] = a->id;
        row[1] = a->host_id;
        row[2] = a->name;
        row[3] = a->mode;
        row[4] = a->status;
        row[5] = or_dash(a->user_id);
        row[6] = aactl_age(ctx->pool, a->last_used_at, now);
        row[7] = aactl_age(ctx->pool, a->created_at, now);
        APR_ARRAY_PUSH(rows, const char **) = row;
    }
    if (ctx->json)
        aactl_print_json(ctx, list);
    else
        aactl_print_table(ctx, headers, 8, rows);
    return AACTL_OK;
}

int aactl_agents_show(aactl_ctx_t *ctx, int argc, const char *const *argv)
{
    aactl_opt_t opts[] = { { NULL, 0, NULL, 0 } };
    const char *pos[1], *errstr = NULL;
    aa_json_t *doc;
    aa_agent_t *a;
    apr_status_t rv;
    int rc, npos;

    if ((rc = aactl_parse(ctx, "agents show", argc, argv, opts, pos, 1, &npos)) != AACTL_OK)
        return rc;
    if (npos != 1) {
        ctx->errstr = "agents show: which agent? (aactl agents show AGENT-ID)";
        return AACTL_USAGE;
    }
    rv = aa_store_agent_get(ctx->pool, &ctx->db, pos[0], &a, &errstr);
    if (rv == APR_NOTFOUND)
        errstr = apr_psprintf(ctx->pool, "no agent %s", pos[0]);
    if (rv != APR_SUCCESS)
        return aactl_exit_for(ctx, rv, errstr);
    doc = aactl_agent_json(ctx, a, 1);
    /* One shape for people and scripts: the JSON, indented by jq if wanted. */
    aactl_print_json(ctx, doc);
    return AACTL_OK;
}

static int confirm(aactl_ctx_t *ctx, int count)
{
    char answer[16];

    if (!isatty(STDIN_FILENO)) {
        ctx->errstr = "agents revoke: a filter needs --yes when not run from a terminal";
        return 0;
    }
    fprintf(stderr, "Revoke %d agent(s)? [y/N] ", count);
    if (!fgets(answer, sizeof(answer), stdin) || (answer[0] != 'y' && answer[0] != 'Y')) {
        ctx->errstr = "agents revoke: not confirmed; nothing changed";
        return 0;
    }
    return 1;
}

static void print_revoked(aactl_ctx_t *ctx, aa_json_t *list)
{
    aa_json_t *doc = aa_json_object(ctx->pool);

    aa_json_set(doc, "revoked", list);
    aa_json_set_int(ctx->pool, doc, "count", (apr_int64_t)aa_json_len(list));
    aactl_print_json(ctx, doc);
}

static void revoked_one(aactl_ctx_t *ctx, aa_json_t *list, const char *id)
{
    aa_json_append_str(ctx->pool, list, id);
    if (!ctx->json)
        printf("agent %s revoked\n", id);
}

/* Named agents: each must be revocable; the exit code is that of the last failure. */
static int revoke_ids(aactl_ctx_t *ctx, const char *const *ids, int n)
{
    aa_json_t *list = aa_json_array(ctx->pool);
    const char *errstr = NULL;
    int i, last = AACTL_OK;

    for (i = 0; i < n; i++) {
        apr_status_t rv = aa_ops_agent_revoke(ctx->pool, &ctx->db, ids[i], aa_now(), &errstr);

        if (rv == APR_SUCCESS) {
            revoked_one(ctx, list, ids[i]);
            continue;
        }
        last = aactl_exit_for(ctx, rv, apr_psprintf(ctx->pool, "%s: %s", ids[i], errstr));
        if (n > 1)
            fprintf(stderr, "aactl: %s\n", ctx->errstr);
    }
    if (ctx->json)
        print_revoked(ctx, list);
    if (n > 1 && last != AACTL_OK)
        ctx->errstr = NULL; /* each failure was reported above */
    return last;
}

/*
 * Agents a filter selects. One that another process revoked or deleted
 * between the selection and its turn is left out, not an error.
 */
static int revoke_selected(aactl_ctx_t *ctx, const agent_filter_t *f, int yes)
{
    aa_json_t *list = aa_json_array(ctx->pool);
    apr_array_header_t *agents;
    const char *errstr = NULL;
    int i, rc;

    if ((rc = select_agents(ctx, f, 1, &agents)) != AACTL_OK)
        return rc;
    if (agents->nelts == 0 && !ctx->json)
        printf("no agents matched\n");
    if (agents->nelts > 0 && !yes && !confirm(ctx, agents->nelts))
        return AACTL_USAGE;
    for (i = 0; i < agents->nelts && rc == AACTL_OK; i++) {
        const char *id = APR_ARRAY_IDX(agents, i, aa_agent_t *)->id;
        apr_status_t rv = aa_ops_agent_revoke(ctx->pool, &ctx->db, id, aa_now(), &errstr);

        if (rv == APR_SUCCESS)
            revoked_one(ctx, list, id);
        else if (rv == AA_ECONFLICT || rv == APR_NOTFOUND)
            fprintf(stderr, "aactl: agent %s changed meanwhile (%s); left as it is\n", id,
                    errstr);
        else
            rc = aactl_exit_for(ctx, rv, apr_psprintf(ctx->pool, "%s: %s", id, errstr));
    }
    if (ctx->json)
        print_revoked(ctx, list);
    return rc;
}

int aactl_agents_revoke(aactl_ctx_t *ctx, int argc, const char *const *argv)
{
    aactl_opt_t *opts = filter_opts();
    const char **ids = apr_palloc(ctx->pool, sizeof(char *) * (argc + 1));
    agent_filter_t f;
    int nids, any, rc;

    if ((rc = aactl_parse(ctx, "agents revoke", argc, argv, opts, ids, argc, &nids))
            != AACTL_OK
        || (rc = read_filter(ctx, "agents revoke", opts, &f, &any)) != AACTL_OK)
        return rc;
    if (nids > 0 && any) {
        ctx->errstr = "agents revoke: name agents or select them with filters, not both";
        return AACTL_USAGE;
    }
    if (nids == 0 && !any) {
        ctx->errstr = "agents revoke: name agents, or select them with a filter";
        return AACTL_USAGE;
    }
    if (nids > 0)
        return revoke_ids(ctx, ids, nids);
    return revoke_selected(ctx, &f, aactl_opt(opts, "--yes")->set);
}

int aactl_hosts_list(aactl_ctx_t *ctx, int argc, const char *const *argv)
{
    static const char *const headers[] = { "HOST_ID", "NAME", "STATUS", "USER", "CREATED" };
    static const char *const statuses[] = { AA_ST_PENDING, AA_ST_ACTIVE, AA_ST_REVOKED,
                                            AA_ST_REJECTED, NULL };
    aactl_opt_t opts[] = { { "--status", 1, NULL, 0 }, { "--user", 1, NULL, 0 },
                           { NULL, 0, NULL, 0 } };
    apr_array_header_t *hosts, *rows;
    const char *errstr = NULL, *pos[1];
    const char *status, *user;
    aa_json_t *list = aa_json_array(ctx->pool);
    apr_int64_t now = aa_now();
    int i, rc, npos;

    if ((rc = aactl_parse(ctx, "hosts list", argc, argv, opts, pos, 0, &npos)) != AACTL_OK
        || (rc = aactl_opt_oneof(ctx, "hosts list", opts, "--status", statuses)) != AACTL_OK)
        return rc;
    status = opts[0].value;
    user = opts[1].value;
    if (aa_store_host_list(ctx->pool, &ctx->db, &hosts, &errstr) != APR_SUCCESS)
        return aactl_exit_for(ctx, APR_EGENERAL, errstr);
    rows = apr_array_make(ctx->pool, hosts->nelts + 1, sizeof(const char **));
    for (i = 0; i < hosts->nelts; i++) {
        const aa_host_t *h = APR_ARRAY_IDX(hosts, i, const aa_host_t *);
        const char **row;

        if ((status && strcmp(h->status, status) != 0) || (user && strcmp(h->user_id, user)))
            continue;
        row = apr_palloc(ctx->pool, sizeof(char *) * 5);
        aa_json_append(list, aactl_host_json(ctx, h));
        row[0] = h->id;
        row[1] = or_dash(h->name);
        row[2] = h->status;
        row[3] = or_dash(h->user_id);
        row[4] = aactl_age(ctx->pool, h->created_at, now);
        APR_ARRAY_PUSH(rows, const char **) = row;
    }
    if (ctx->json)
        aactl_print_json(ctx, list);
    else
        aactl_print_table(ctx, headers, 5, rows);
    return AACTL_OK;
}

int aactl_hosts_show(aactl_ctx_t *ctx, int argc, const char *const *argv)
{
    aactl_opt_t opts[] = { { NULL, 0, NULL, 0 } };
    const char *pos[1], *errstr = NULL;
    apr_array_header_t *agents;
    aa_json_t *doc, *list;
    aa_host_t *h;
    apr_status_t rv;
    int i, rc, npos;

    if ((rc = aactl_parse(ctx, "hosts show", argc, argv, opts, pos, 1, &npos)) != AACTL_OK)
        return rc;
    if (npos != 1) {
        ctx->errstr = "hosts show: which host? (aactl hosts show HOST-ID)";
        return AACTL_USAGE;
    }
    rv = aa_store_host_get(ctx->pool, &ctx->db, pos[0], &h, &errstr);
    if (rv == APR_NOTFOUND)
        errstr = apr_psprintf(ctx->pool, "no host %s", pos[0]);
    if (rv == APR_SUCCESS)
        rv = aa_store_agent_list_host(ctx->pool, &ctx->db, h->id, &agents, &errstr);
    if (rv != APR_SUCCESS)
        return aactl_exit_for(ctx, rv, errstr);
    doc = aactl_host_json(ctx, h);
    list = aa_json_array(ctx->pool);
    for (i = 0; i < agents->nelts; i++)
        aa_json_append(list, aactl_agent_json(ctx, APR_ARRAY_IDX(agents, i, aa_agent_t *), 0));
    aa_json_set(doc, "agents", list);
    aactl_print_json(ctx, doc);
    return AACTL_OK;
}
