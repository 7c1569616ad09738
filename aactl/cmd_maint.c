/* SPDX-License-Identifier: Apache-2.0 */
/* aactl maintenance run, aactl stats: what cron runs. */
#include "aactl.h"

#include "../mod_agent_auth/core/aa_ops.h"
#include "../mod_agent_auth/core/aa_time.h"

#include <apr_strings.h>

#include <stdio.h>
#include <string.h>

#define AACTL_DEFAULT_PENDING_AGE (7 * 86400)
#define AACTL_DEFAULT_APPROVAL_AGE (30 * 86400)

int aactl_maintenance_run(aactl_ctx_t *ctx, int argc, const char *const *argv)
{
    aactl_opt_t opts[] = { { "--pending-older-than", 1, NULL, 0 },
                           { "--approvals-older-than", 1, NULL, 0 }, { NULL, 0, NULL, 0 } };
    apr_int64_t pending_age = AACTL_DEFAULT_PENDING_AGE;
    apr_int64_t approval_age = AACTL_DEFAULT_APPROVAL_AGE;
    const char *pos[1], *errstr = NULL;
    aa_maintenance_t done;
    aa_lifetimes_t lt;
    apr_status_t rv;
    int rc, npos;

    /* A zero duration skips that step. */
    if ((rc = aactl_parse(ctx, "maintenance run", argc, argv, opts, pos, 0, &npos)) != AACTL_OK
        || (rc = aactl_opt_duration(ctx, "maintenance run", opts, "--pending-older-than",
                                    &pending_age)) != AACTL_OK
        || (rc = aactl_opt_duration(ctx, "maintenance run", opts, "--approvals-older-than",
                                    &approval_age)) != AACTL_OK)
        return rc;
    aactl_lifetimes(&ctx->conf, &lt);
    rv = aa_ops_maintenance(ctx->pool, &ctx->db, &lt, pending_age, approval_age, aa_now(),
                            &done, &errstr);
    if (rv != APR_SUCCESS)
        return aactl_exit_for(ctx, rv, errstr);
    if (ctx->json) {
        aa_json_t *doc = aa_json_object(ctx->pool);

        aa_json_set_int(ctx->pool, doc, "agents_expired", done.expired);
        aa_json_set_int(ctx->pool, doc, "agents_revoked", done.revoked);
        aa_json_set_int(ctx->pool, doc, "approvals_expired", done.approvals_expired);
        aa_json_set_int(ctx->pool, doc, "pending_agents_deleted", done.pending_agents);
        aa_json_set_int(ctx->pool, doc, "pending_hosts_deleted", done.pending_hosts);
        aa_json_set_int(ctx->pool, doc, "approvals_purged", done.approvals_purged);
        aactl_print_json(ctx, doc);
        return AACTL_OK;
    }
    printf("expired %d agent(s) past their session TTL or max lifetime\n"
           "revoked %d agent(s) past their absolute lifetime\n"
           "expired %d overdue approval request(s)\n"
           "deleted %d pending agent(s) and %d pending host(s)\n"
           "purged %d resolved approval request(s)\n",
           done.expired, done.revoked, done.approvals_expired, done.pending_agents,
           done.pending_hosts, done.approvals_purged);
    return AACTL_OK;
}

static void count_into(aactl_ctx_t *ctx, aa_json_t *obj, const char *key)
{
    apr_int64_t n = 0;
    aa_json_t *v;

    if (aa_json_get(obj, key, &v) == APR_SUCCESS)
        n = aa_json_i64(v);
    aa_json_set_int(ctx->pool, obj, key, n + 1);
}

int aactl_stats(aactl_ctx_t *ctx, int argc, const char *const *argv)
{
    aactl_opt_t opts[] = { { NULL, 0, NULL, 0 } };
    apr_array_header_t *agents, *hosts, *approvals;
    aa_json_t *doc, *by_status, *by_mode, *host_status;
    const char *pos[1], *errstr = NULL;
    apr_int64_t now = aa_now(), oldest = 0;
    int i, rc, npos, waiting = 0;

    if ((rc = aactl_parse(ctx, "stats", argc, argv, opts, pos, 0, &npos)) != AACTL_OK)
        return rc;
    if (aa_store_agent_list(ctx->pool, &ctx->db, &agents, &errstr) != APR_SUCCESS
        || aa_store_host_list(ctx->pool, &ctx->db, &hosts, &errstr) != APR_SUCCESS
        || aa_store_approval_list_pending(ctx->pool, &ctx->db, &approvals, &errstr)
               != APR_SUCCESS)
        return aactl_exit_for(ctx, APR_EGENERAL, errstr);

    by_status = aa_json_object(ctx->pool);
    by_mode = aa_json_object(ctx->pool);
    for (i = 0; i < agents->nelts; i++) {
        const aa_agent_t *a = APR_ARRAY_IDX(agents, i, const aa_agent_t *);

        count_into(ctx, by_status, a->status);
        count_into(ctx, by_mode, a->mode);
    }
    host_status = aa_json_object(ctx->pool);
    for (i = 0; i < hosts->nelts; i++)
        count_into(ctx, host_status, APR_ARRAY_IDX(hosts, i, const aa_host_t *)->status);
    for (i = 0; i < approvals->nelts; i++) {
        const aa_approval_t *a = APR_ARRAY_IDX(approvals, i, const aa_approval_t *);

        if (a->expires_at <= now)
            continue;
        waiting++;
        if (!oldest || a->created_at < oldest)
            oldest = a->created_at;
    }

    doc = aa_json_object(ctx->pool);
    aa_json_set_int(ctx->pool, doc, "agents", agents->nelts);
    aa_json_set(doc, "agents_by_status", by_status);
    aa_json_set(doc, "agents_by_mode", by_mode);
    aa_json_set_int(ctx->pool, doc, "hosts", hosts->nelts);
    aa_json_set(doc, "hosts_by_status", host_status);
    aa_json_set_int(ctx->pool, doc, "approvals_waiting", waiting);
    aa_json_set(doc, "oldest_waiting_since",
                aa_json_string(ctx->pool, aa_iso8601(ctx->pool, oldest)));
    if (ctx->json) {
        aactl_print_json(ctx, doc);
        return AACTL_OK;
    }
    printf("agents:    %d  by status %s  by mode %s\n", agents->nelts,
           aa_json_dump(ctx->pool, by_status), aa_json_dump(ctx->pool, by_mode));
    printf("hosts:     %d  by status %s\n", hosts->nelts, aa_json_dump(ctx->pool, host_status));
    printf("approvals: %d waiting%s%s\n", waiting, oldest ? ", oldest for " : "",
           oldest ? aactl_age(ctx->pool, oldest, now) : "");
    return AACTL_OK;
}
