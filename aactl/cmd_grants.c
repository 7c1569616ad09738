/* SPDX-License-Identifier: Apache-2.0 */
/* aactl grants list | add | revoke. */
#include "aactl.h"

#include "../mod_agent_auth/core/aa_constraints.h"
#include "../mod_agent_auth/core/aa_crypto.h"
#include "../mod_agent_auth/core/aa_time.h"

#include <apr_strings.h>

#include <stdio.h>
#include <string.h>

int aactl_grants_list(aactl_ctx_t *ctx, int argc, const char *const *argv)
{
    static const char *const headers[] = { "AGENT_ID", "CAPABILITY", "STATUS", "CONSTRAINTS",
                                           "GRANTED_BY", "EXPIRES" };
    static const char *const statuses[] = { AA_ST_PENDING, AA_ST_ACTIVE, AA_ST_DENIED,
                                            AA_ST_GRANT_REVOKED, NULL };
    aactl_opt_t opts[] = { { "--agent", 1, NULL, 0 }, { "--status", 1, NULL, 0 },
                           { "--capability", 1, NULL, 0 }, { NULL, 0, NULL, 0 } };
    apr_array_header_t *agents, *rows;
    aa_json_t *list = aa_json_array(ctx->pool);
    const char *pos[1], *errstr = NULL;
    int i, j, rc, npos;

    if ((rc = aactl_parse(ctx, "grants list", argc, argv, opts, pos, 0, &npos)) != AACTL_OK
        || (rc = aactl_opt_oneof(ctx, "grants list", opts, "--status", statuses)) != AACTL_OK)
        return rc;
    if (aa_store_agent_list(ctx->pool, &ctx->db, &agents, &errstr) != APR_SUCCESS)
        return aactl_exit_for(ctx, APR_EGENERAL, errstr);
    rows = apr_array_make(ctx->pool, 16, sizeof(const char **));
    for (i = 0; i < agents->nelts; i++) {
        const aa_agent_t *a = APR_ARRAY_IDX(agents, i, const aa_agent_t *);
        apr_array_header_t *grants;

        if (opts[0].set && strcmp(a->id, opts[0].value) != 0)
            continue;
        if (aa_store_grant_list(ctx->pool, &ctx->db, a->id, &grants, &errstr) != APR_SUCCESS)
            return aactl_exit_for(ctx, APR_EGENERAL, errstr);
        for (j = 0; j < grants->nelts; j++) {
            const aa_grant_t *g = APR_ARRAY_IDX(grants, j, const aa_grant_t *);
            const char **row;

            if ((opts[1].set && strcmp(g->status, opts[1].value) != 0)
                || (opts[2].set && strcmp(g->capability, opts[2].value) != 0))
                continue;
            aa_json_append(list, aactl_grant_json(ctx, g));
            row = apr_palloc(ctx->pool, sizeof(char *) * 6);
            row[0] = g->agent_id;
            row[1] = g->capability;
            row[2] = g->status;
            row[3] = *g->constraints ? g->constraints : "-";
            row[4] = *g->granted_by ? g->granted_by : "-";
            row[5] = g->expires_at ? aa_iso8601(ctx->pool, g->expires_at) : "never";
            APR_ARRAY_PUSH(rows, const char **) = row;
        }
    }
    if (ctx->json)
        aactl_print_json(ctx, list);
    else
        aactl_print_table(ctx, headers, 6, rows);
    return AACTL_OK;
}

/* Whether g, a grant of the same capability, is live and scoped exactly as wanted. */
static int same_live_grant(aactl_ctx_t *ctx, const aa_grant_t *g, const aa_json_t *wanted,
                           apr_int64_t now)
{
    aa_json_t *held = NULL;
    const char *err;

    if (strcmp(g->status, AA_ST_ACTIVE) != 0 || (g->expires_at && g->expires_at <= now))
        return 0;
    if (*g->constraints
        && aa_json_parse(ctx->pool, g->constraints, strlen(g->constraints), 0, &held, &err)
               != APR_SUCCESS)
        return 0;
    if (held && aa_json_len(held) == 0)
        held = NULL;
    return held && wanted ? aa_json_equal(held, wanted) : !held && !wanted;
}

/*
 * AACTL_CONFLICT when the agent cannot take a grant, or already holds this
 * one. NB: checked before the insert, not in its transaction: two adds
 * racing each other may both insert.
 */
static int check_grantable(aactl_ctx_t *ctx, const aa_agent_t *agent, const char *cap,
                           const aa_json_t *constraints, apr_int64_t now)
{
    apr_array_header_t *grants;
    const char *errstr = NULL;
    int i;

    if (strcmp(agent->status, AA_ST_REVOKED) == 0 || strcmp(agent->status, AA_ST_CLAIMED) == 0
        || strcmp(agent->status, AA_ST_REJECTED) == 0) {
        ctx->errstr = apr_psprintf(ctx->pool, "agent %s is %s", agent->id, agent->status);
        return AACTL_CONFLICT;
    }
    if (aa_store_grant_list(ctx->pool, &ctx->db, agent->id, &grants, &errstr) != APR_SUCCESS)
        return aactl_exit_for(ctx, APR_EGENERAL, errstr);
    for (i = 0; i < grants->nelts; i++) {
        const aa_grant_t *g = APR_ARRAY_IDX(grants, i, const aa_grant_t *);

        if (strcmp(g->capability, cap) == 0 && same_live_grant(ctx, g, constraints, now)) {
            ctx->errstr = apr_psprintf(ctx->pool, "agent %s already holds %s with these "
                                       "constraints (grant %s)", agent->id, cap, g->id);
            return AACTL_CONFLICT;
        }
    }
    return AACTL_OK;
}

static int parse_constraints(aactl_ctx_t *ctx, aactl_opt_t *opt, aa_json_t **constraints)
{
    aa_json_t *unknown = NULL;
    const char *errstr = NULL;

    *constraints = NULL;
    if (!opt->set)
        return AACTL_OK;
    if (aa_json_parse(ctx->pool, opt->value, strlen(opt->value), 1, constraints, &errstr)
            != APR_SUCCESS
        || aa_constraints_check(ctx->pool, *constraints, &unknown, &errstr) != APR_SUCCESS) {
        ctx->errstr = apr_psprintf(ctx->pool, "grants add: bad --constraints: %s",
                                   unknown ? aa_json_dump(ctx->pool, unknown) : errstr);
        return AACTL_USAGE;
    }
    /* {} scopes nothing: the same as no constraints. */
    if (aa_json_len(*constraints) == 0)
        *constraints = NULL;
    return AACTL_OK;
}

/* aactl grants add AGENT-ID CAPABILITY [--constraints JSON] [--expires DUR] [--user U] */
int aactl_grants_add(aactl_ctx_t *ctx, int argc, const char *const *argv)
{
    aactl_opt_t opts[] = { { "--constraints", 1, NULL, 0 }, { "--expires", 1, NULL, 0 },
                           { "--user", 1, NULL, 0 }, { NULL, 0, NULL, 0 } };
    const char *pos[2], *errstr = NULL;
    apr_int64_t now = aa_now(), ttl = 0;
    aa_json_t *constraints = NULL;
    aa_agent_t *agent;
    aa_grant_t g;
    apr_status_t rv;
    int rc, npos;

    if ((rc = aactl_parse(ctx, "grants add", argc, argv, opts, pos, 2, &npos)) != AACTL_OK)
        return rc;
    if (npos != 2 || !*pos[1]) {
        ctx->errstr = "grants add: usage: grants add AGENT-ID CAPABILITY [--constraints JSON] "
                      "[--expires DURATION] [--user USER]";
        return AACTL_USAGE;
    }
    if ((rc = aactl_opt_duration(ctx, "grants add", opts, "--expires", &ttl)) != AACTL_OK)
        return rc;
    if (opts[1].set && ttl == 0) {
        ctx->errstr = "grants add: --expires 0 would expire at once; leave it out for never";
        return AACTL_USAGE;
    }
    if ((rc = parse_constraints(ctx, &opts[0], &constraints)) != AACTL_OK
        || (rc = aactl_caps_check(ctx, "grants add", &pos[1], 1)) != AACTL_OK)
        return rc;
    rv = aa_store_agent_get(ctx->pool, &ctx->db, pos[0], &agent, &errstr);
    if (rv == APR_NOTFOUND)
        errstr = apr_psprintf(ctx->pool, "no agent %s", pos[0]);
    if (rv != APR_SUCCESS)
        return aactl_exit_for(ctx, rv, errstr);
    if ((rc = check_grantable(ctx, agent, pos[1], constraints, now)) != AACTL_OK)
        return rc;

    memset(&g, 0, sizeof(g));
    g.id = aa_random_id(ctx->pool, "grt_", 16);
    g.agent_id = agent->id;
    g.capability = pos[1];
    g.status = AA_ST_ACTIVE;
    g.constraints = constraints ? aa_json_dump(ctx->pool, constraints) : "";
    g.granted_by = opts[2].set ? opts[2].value : aactl_default_user();
    g.denied_by = "";
    g.reason = "granted with aactl";
    g.expires_at = ttl ? now + ttl : 0;
    g.created_at = g.updated_at = now;
    rv = aa_store_grant_insert(ctx->pool, &ctx->db, &g, &errstr);
    if (rv != APR_SUCCESS)
        return aactl_exit_for(ctx, rv, errstr);
    if (ctx->json)
        aactl_print_json(ctx, aactl_grant_json(ctx, &g));
    else
        printf("granted %s to agent %s%s%s\n", g.capability, g.agent_id,
               ttl ? ", expiring " : "", ttl ? aa_iso8601(ctx->pool, g.expires_at) : "");
    return AACTL_OK;
}

/* aactl grants revoke AGENT-ID CAPABILITY */
int aactl_grants_revoke(aactl_ctx_t *ctx, int argc, const char *const *argv)
{
    aactl_opt_t opts[] = { { NULL, 0, NULL, 0 } };
    const char *pos[2], *errstr = NULL;
    apr_status_t rv;
    int rc, npos, count = 0;

    if ((rc = aactl_parse(ctx, "grants revoke", argc, argv, opts, pos, 2, &npos)) != AACTL_OK)
        return rc;
    if (npos != 2) {
        ctx->errstr = "grants revoke: usage: grants revoke AGENT-ID CAPABILITY";
        return AACTL_USAGE;
    }
    if (aa_store_agent_get(ctx->pool, &ctx->db, pos[0], &(aa_agent_t *){ NULL }, &errstr)
        == APR_NOTFOUND)
        return aactl_exit_for(ctx, APR_NOTFOUND,
                              apr_psprintf(ctx->pool, "no agent %s", pos[0]));
    rv = aa_store_grant_revoke_one(ctx->pool, &ctx->db, pos[0], pos[1], aa_now(), &count,
                                   &errstr);
    if (rv != APR_SUCCESS)
        return aactl_exit_for(ctx, rv, errstr);
    if (count == 0) {
        ctx->errstr = apr_psprintf(ctx->pool, "agent %s holds no active or pending %s grant",
                                   pos[0], pos[1]);
        return AACTL_CONFLICT;
    }
    if (ctx->json) {
        aa_json_t *doc = aa_json_object(ctx->pool);

        aa_json_set_str(ctx->pool, doc, "agent_id", pos[0]);
        aa_json_set_str(ctx->pool, doc, "capability", pos[1]);
        aa_json_set_str(ctx->pool, doc, "status", "revoked");
        aa_json_set_int(ctx->pool, doc, "count", count);
        aactl_print_json(ctx, doc);
    }
    else {
        printf("revoked %s of agent %s (%d grant%s)\n", pos[1], pos[0], count,
               count == 1 ? "" : "s");
    }
    return AACTL_OK;
}
