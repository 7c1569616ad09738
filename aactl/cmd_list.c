/* SPDX-License-Identifier: Apache-2.0 */
/* aactl agents list, aactl hosts list. */
#include "aactl.h"

#include "../mod_agent_auth/core/aa_time.h"

#include <apr_strings.h>

#include <stdio.h>
#include <string.h>

static void set_time(apr_pool_t *pool, aa_json_t *obj, const char *key, apr_int64_t t)
{
    aa_json_set(obj, key, aa_json_string(pool, aa_iso8601(pool, t)));
}

static const char *or_dash(const char *s)
{
    return s && *s ? s : "-";
}

static aa_json_t *grants_of(aactl_ctx_t *ctx, const char *agent_id, const char **summary)
{
    apr_array_header_t *grants;
    const char *errstr = NULL;
    aa_json_t *list = aa_json_array(ctx->pool);
    const char *text = "";
    int i;

    *summary = "-";
    if (aa_store_grant_list(ctx->pool, &ctx->db, agent_id, &grants, &errstr) != APR_SUCCESS)
        return list;
    for (i = 0; i < grants->nelts; i++) {
        const aa_grant_t *g = APR_ARRAY_IDX(grants, i, const aa_grant_t *);
        aa_json_t *obj = aa_json_object(ctx->pool);

        aa_json_set_str(ctx->pool, obj, "capability", g->capability);
        aa_json_set_str(ctx->pool, obj, "status", g->status);
        aa_json_append(list, obj);
        text = apr_psprintf(ctx->pool, "%s%s%s:%s", text, *text ? "," : "", g->capability,
                            g->status);
    }
    if (*text)
        *summary = text;
    return list;
}

int aactl_agents_list(aactl_ctx_t *ctx, int argc, const char *const *argv)
{
    static const char *const headers[] = { "AGENT_ID", "HOST_ID", "NAME", "MODE", "STATUS",
                                           "USER", "GRANTS", "CREATED" };
    apr_array_header_t *agents, *rows;
    const char *errstr = NULL;
    aa_json_t *list = aa_json_array(ctx->pool);
    apr_int64_t now = aa_now();
    int i;

    (void)argc;
    (void)argv;
    if (aa_store_agent_list(ctx->pool, &ctx->db, &agents, &errstr) != APR_SUCCESS) {
        ctx->errstr = errstr;
        return AACTL_DB_UNAVAILABLE;
    }
    rows = apr_array_make(ctx->pool, agents->nelts + 1, sizeof(const char **));
    for (i = 0; i < agents->nelts; i++) {
        const aa_agent_t *a = APR_ARRAY_IDX(agents, i, const aa_agent_t *);
        const char **row = apr_palloc(ctx->pool, sizeof(char *) * 8);
        aa_json_t *obj = aa_json_object(ctx->pool);
        const char *summary;

        aa_json_set_str(ctx->pool, obj, "agent_id", a->id);
        aa_json_set_str(ctx->pool, obj, "host_id", a->host_id);
        aa_json_set_str(ctx->pool, obj, "name", a->name);
        aa_json_set_str(ctx->pool, obj, "mode", a->mode);
        aa_json_set_str(ctx->pool, obj, "status", a->status);
        aa_json_set(obj, "user_id", aa_json_string(ctx->pool, *a->user_id ? a->user_id : NULL));
        aa_json_set(obj, "grants", grants_of(ctx, a->id, &summary));
        set_time(ctx->pool, obj, "created_at", a->created_at);
        set_time(ctx->pool, obj, "activated_at", a->activated_at);
        set_time(ctx->pool, obj, "last_used_at", a->last_used_at);
        set_time(ctx->pool, obj, "expires_at", a->expires_at);
        aa_json_append(list, obj);

        row[0] = a->id;
        row[1] = a->host_id;
        row[2] = a->name;
        row[3] = a->mode;
        row[4] = a->status;
        row[5] = or_dash(a->user_id);
        row[6] = summary;
        row[7] = aactl_age(ctx->pool, a->created_at, now);
        APR_ARRAY_PUSH(rows, const char **) = row;
    }
    if (ctx->json)
        aactl_print_json(ctx, list);
    else
        aactl_print_table(ctx, headers, 8, rows);
    return AACTL_OK;
}

int aactl_hosts_list(aactl_ctx_t *ctx, int argc, const char *const *argv)
{
    static const char *const headers[] = { "HOST_ID", "NAME", "STATUS", "USER", "CREATED" };
    apr_array_header_t *hosts, *rows;
    const char *errstr = NULL;
    aa_json_t *list = aa_json_array(ctx->pool);
    apr_int64_t now = aa_now();
    int i;

    (void)argc;
    (void)argv;
    if (aa_store_host_list(ctx->pool, &ctx->db, &hosts, &errstr) != APR_SUCCESS) {
        ctx->errstr = errstr;
        return AACTL_DB_UNAVAILABLE;
    }
    rows = apr_array_make(ctx->pool, hosts->nelts + 1, sizeof(const char **));
    for (i = 0; i < hosts->nelts; i++) {
        const aa_host_t *h = APR_ARRAY_IDX(hosts, i, const aa_host_t *);
        const char **row = apr_palloc(ctx->pool, sizeof(char *) * 5);
        aa_json_t *obj = aa_json_object(ctx->pool);

        aa_json_set_str(ctx->pool, obj, "host_id", h->id);
        aa_json_set_str(ctx->pool, obj, "name", h->name);
        aa_json_set_str(ctx->pool, obj, "status", h->status);
        aa_json_set(obj, "user_id", aa_json_string(ctx->pool, *h->user_id ? h->user_id : NULL));
        set_time(ctx->pool, obj, "created_at", h->created_at);
        set_time(ctx->pool, obj, "last_used_at", h->last_used_at);
        aa_json_append(list, obj);

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
