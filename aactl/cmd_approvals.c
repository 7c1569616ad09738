/* SPDX-License-Identifier: Apache-2.0 */
/* aactl approvals list, aactl approve CODE, aactl deny CODE. */
#include "aactl.h"

#include "../mod_agent_auth/core/aa_ops.h"
#include "../mod_agent_auth/core/aa_time.h"

#include <apr_strings.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*
 * What the approver needs to judge a request: the agent's name and mode,
 * and for each pending grant its proposed constraints and stated reason.
 */
static void add_request_details(aactl_ctx_t *ctx, const aa_approval_t *a, aa_json_t *obj)
{
    apr_array_header_t *grants;
    aa_json_t *pending = aa_json_array(ctx->pool);
    const char *errstr = NULL, *err;
    aa_agent_t *agent;
    int i;

    if (aa_store_agent_get(ctx->pool, &ctx->db, a->agent_id, &agent, &errstr) == APR_SUCCESS) {
        aa_json_set_str(ctx->pool, obj, "agent_name", agent->name);
        aa_json_set_str(ctx->pool, obj, "mode", agent->mode);
    }
    if (aa_store_grant_list(ctx->pool, &ctx->db, a->agent_id, &grants, &errstr) != APR_SUCCESS)
        return;
    for (i = 0; i < grants->nelts; i++) {
        const aa_grant_t *g = APR_ARRAY_IDX(grants, i, const aa_grant_t *);
        aa_json_t *item, *constraints = NULL;

        if (strcmp(g->status, AA_ST_PENDING) != 0)
            continue;
        item = aa_json_object(ctx->pool);
        aa_json_set_str(ctx->pool, item, "capability", g->capability);
        if (*g->constraints)
            aa_json_parse(ctx->pool, g->constraints, strlen(g->constraints), 0, &constraints,
                          &err);
        aa_json_set(item, "constraints", constraints);
        aa_json_set(item, "reason", aa_json_string(ctx->pool, *g->reason ? g->reason : NULL));
        aa_json_append(pending, item);
    }
    aa_json_set(obj, "pending_grants", pending);
}

/* "transfer_funds{"amount":{"max":100}},echo": what a person approves. */
static const char *pending_summary(aactl_ctx_t *ctx, aa_json_t *obj, const char *fallback)
{
    aa_json_t *pending, *constraints;
    const char *text = "";
    apr_size_t i;

    if (aa_json_get_arr(obj, "pending_grants", &pending) != APR_SUCCESS)
        return fallback;
    for (i = 0; i < aa_json_len(pending); i++) {
        aa_json_t *item = aa_json_at(pending, i);
        const char *name = "?";

        aa_json_get_str(item, "capability", &name);
        text = apr_pstrcat(ctx->pool, text, i ? "," : "", name, NULL);
        if (aa_json_get_obj(item, "constraints", &constraints) == APR_SUCCESS)
            text = apr_pstrcat(ctx->pool, text, aa_json_dump(ctx->pool, constraints), NULL);
    }
    return *text ? text : fallback;
}

static aa_json_t *approval_json(aactl_ctx_t *ctx, const aa_approval_t *a, apr_int64_t now)
{
    aa_json_t *obj = aa_json_object(ctx->pool), *caps = NULL;
    const char *err;

    aa_json_set_str(ctx->pool, obj, "device_code", a->id);
    aa_json_set_str(ctx->pool, obj, "agent_id", a->agent_id);
    aa_json_set_str(ctx->pool, obj, "host_id", a->host_id);
    aa_json_set_str(ctx->pool, obj, "method", a->method);
    aa_json_set_str(ctx->pool, obj, "kind", a->kind);
    if (*a->binding_message)
        aa_json_set_str(ctx->pool, obj, "binding_message", a->binding_message);
    if (aa_json_parse(ctx->pool, a->capabilities, strlen(a->capabilities), 0, &caps, &err)
        == APR_SUCCESS)
        aa_json_set(obj, "capabilities", caps);
    add_request_details(ctx, a, obj);
    aa_json_set_str(ctx->pool, obj, "created_at", aa_iso8601(ctx->pool, a->created_at));
    aa_json_set_str(ctx->pool, obj, "expires_at", aa_iso8601(ctx->pool, a->expires_at));
    aa_json_set_int(ctx->pool, obj, "age_seconds", now - a->created_at);
    return obj;
}

/* Names are chosen by clients: long ones are cut so that the table stays readable. */
static const char *cell(apr_pool_t *pool, const char *text, apr_size_t max)
{
    if (!text || !*text)
        return "-";
    if (strlen(text) <= max)
        return text;
    return apr_pstrcat(pool, apr_pstrndup(pool, text, max - 3), "...", NULL);
}

int aactl_approvals_list(aactl_ctx_t *ctx, int argc, const char *const *argv)
{
    /* The host's id is 43 characters: it is in --json and approvals show. */
    static const char *const headers[] = { "REQUEST", "AGENT", "NAME", "MODE", "KIND",
                                           "CAPABILITIES", "AGE", "EXPIRES_IN" };
    aactl_opt_t opts[] = { { NULL, 0, NULL, 0 } };
    apr_array_header_t *approvals, *rows;
    const char *errstr = NULL, *pos[1];
    apr_int64_t now = aa_now();
    aa_json_t *list = aa_json_array(ctx->pool);
    int i, rc, npos;

    if ((rc = aactl_parse(ctx, "approvals list", argc, argv, opts, pos, 0, &npos)) != AACTL_OK)
        return rc;
    if (aa_store_approval_list_pending(ctx->pool, &ctx->db, &approvals, &errstr)
        != APR_SUCCESS)
        return aactl_exit_for(ctx, APR_EGENERAL, errstr);
    /* The store lists them oldest first: the longest waiting come first. */
    rows = apr_array_make(ctx->pool, approvals->nelts + 1, sizeof(const char **));
    for (i = 0; i < approvals->nelts; i++) {
        const aa_approval_t *a = APR_ARRAY_IDX(approvals, i, const aa_approval_t *);
        const char **row = apr_palloc(ctx->pool, sizeof(char *) * 8);
        const char *name = NULL, *mode = NULL;
        aa_json_t *obj;

        if (a->expires_at <= now)
            continue;
        obj = approval_json(ctx, a, now);
        aa_json_append(list, obj);
        aa_json_get_str(obj, "agent_name", &name);
        aa_json_get_str(obj, "mode", &mode);
        row[0] = a->id;
        row[1] = a->agent_id;
        row[2] = cell(ctx->pool, name, 24);
        row[3] = cell(ctx->pool, mode, 16);
        row[4] = strcmp(a->method, AA_METHOD_CIBA) == 0
                     ? apr_pstrcat(ctx->pool, a->kind, "/ciba", NULL) : a->kind;
        row[5] = pending_summary(ctx, obj, a->capabilities);
        row[6] = aactl_age(ctx->pool, a->created_at, now);
        row[7] = aactl_age(ctx->pool, now, a->expires_at);
        APR_ARRAY_PUSH(rows, const char **) = row;
    }
    if (ctx->json)
        aactl_print_json(ctx, list);
    else
        aactl_print_table(ctx, headers, 8, rows);
    return AACTL_OK;
}

static int status_to_exit(aactl_ctx_t *ctx, apr_status_t rv, const char *errstr)
{
    ctx->errstr = errstr;
    if (rv == APR_NOTFOUND)
        return AACTL_NOT_FOUND;
    if (rv == AA_ECONFLICT)
        return AACTL_CONFLICT;
    return AACTL_DB_UNAVAILABLE;
}

/* The ids of the agent's pending grants, before a decision changes them. */
static apr_hash_t *pending_before(aactl_ctx_t *ctx, const char *typed)
{
    apr_hash_t *ids = apr_hash_make(ctx->pool);
    apr_array_header_t *grants;
    aa_approval_t *a;
    const char *errstr = NULL;
    int i;

    if (aa_ops_approval_lookup(ctx->pool, &ctx->db, typed, &a, &errstr) != APR_SUCCESS
        || aa_store_grant_list(ctx->pool, &ctx->db, a->agent_id, &grants, &errstr)
               != APR_SUCCESS)
        return ids;
    for (i = 0; i < grants->nelts; i++) {
        const aa_grant_t *g = APR_ARRAY_IDX(grants, i, const aa_grant_t *);

        if (strcmp(g->status, AA_ST_PENDING) == 0)
            apr_hash_set(ids, g->id, APR_HASH_KEY_STRING, g);
    }
    return ids;
}

/* Capabilities of the grants that were pending and now have status. */
static aa_json_t *decided(aactl_ctx_t *ctx, const aa_resolution_t *res, apr_hash_t *before,
                          const char *status)
{
    aa_json_t *names = aa_json_array(ctx->pool);
    apr_array_header_t *grants;
    const char *errstr = NULL;
    int i;

    if (aa_store_grant_list(ctx->pool, &ctx->db, res->agent->id, &grants, &errstr)
        != APR_SUCCESS)
        return names;
    for (i = 0; i < grants->nelts; i++) {
        const aa_grant_t *g = APR_ARRAY_IDX(grants, i, const aa_grant_t *);

        if (apr_hash_get(before, g->id, APR_HASH_KEY_STRING) && strcmp(g->status, status) == 0)
            aa_json_append_str(ctx->pool, names, g->capability);
    }
    return names;
}

/* "echo, check_balance" for people; "none" for an empty list. */
static const char *names_text(aactl_ctx_t *ctx, const aa_json_t *names)
{
    const char *text = "";
    apr_size_t i;

    for (i = 0; i < aa_json_len(names); i++)
        text = apr_pstrcat(ctx->pool, text, i ? ", " : "", aa_json_str(aa_json_at(names, i)),
                           NULL);
    return *text ? text : "none";
}

static void report(aactl_ctx_t *ctx, const char *verb, const aa_resolution_t *res,
                   const char *user, apr_hash_t *before)
{
    aa_json_t *approved = decided(ctx, res, before, AA_ST_ACTIVE);
    aa_json_t *denied = decided(ctx, res, before, AA_ST_DENIED);

    if (ctx->json) {
        aa_json_t *doc = aa_json_object(ctx->pool);

        aa_json_set_str(ctx->pool, doc, "device_code", res->approval->id);
        aa_json_set_str(ctx->pool, doc, "status", res->approval->status);
        aa_json_set_str(ctx->pool, doc, "agent_id", res->agent->id);
        aa_json_set_str(ctx->pool, doc, "agent_status", res->agent->status);
        aa_json_set_str(ctx->pool, doc, "host_id", res->host->id);
        aa_json_set_str(ctx->pool, doc, "host_status", res->host->status);
        aa_json_set(doc, "host_user_id",
                    aa_json_string(ctx->pool, *res->host->user_id ? res->host->user_id : NULL));
        aa_json_set_str(ctx->pool, doc, "by", user);
        aa_json_set_int(ctx->pool, doc, "grants_changed", res->grants_changed);
        aa_json_set(doc, "grants_approved", approved);
        aa_json_set(doc, "grants_denied", denied);
        aactl_print_json(ctx, doc);
        return;
    }
    printf("%s %s: agent %s is now %s; host %s is %s%s%s\n", verb, res->approval->id,
           res->agent->id, res->agent->status, res->host->id, res->host->status,
           *res->host->user_id ? ", linked to " : "", res->host->user_id);
    if (aa_json_len(approved))
        printf("  approved: %s\n", names_text(ctx, approved));
    if (aa_json_len(denied))
        printf("  denied: %s\n", names_text(ctx, denied));
}

/*
 * A CIBA request asks one person, the host's user: it is approved as that
 * user (the default), and --user naming someone else is a conflict rather
 * than a silent substitution.
 */
static int ciba_approver(aactl_ctx_t *ctx, const char *typed, int user_given,
                         const char **user)
{
    const char *errstr = NULL;
    aa_approval_t *ap;
    aa_host_t *host;

    if (aa_ops_approval_lookup(ctx->pool, &ctx->db, typed, &ap, &errstr) != APR_SUCCESS
        || strcmp(ap->method, AA_METHOD_CIBA) != 0
        || aa_store_host_get(ctx->pool, &ctx->db, ap->host_id, &host, &errstr) != APR_SUCCESS
        || !*host->user_id)
        return AACTL_OK; /* approve itself reports what is wrong */
    if (!user_given) {
        *user = host->user_id;
        return AACTL_OK;
    }
    if (strcmp(*user, host->user_id) != 0) {
        ctx->errstr = apr_psprintf(ctx->pool, "approve: this CIBA request asks %s, not %s",
                                   host->user_id, *user);
        return AACTL_CONFLICT;
    }
    return AACTL_OK;
}

int aactl_approve(aactl_ctx_t *ctx, int argc, const char *const *argv)
{
    aactl_opt_t opts[] = { { "--user", 1, NULL, 0 },         { "--trust", 0, NULL, 0 },
                           { "--no-trust", 0, NULL, 0 },     { "--capabilities", 1, NULL, 0 },
                           { "--reason", 1, NULL, 0 },       { NULL, 0, NULL, 0 } };
    const char *pos[1], *user, *errstr = NULL;
    apr_array_header_t *only = NULL;
    apr_hash_t *before;
    aa_lifetimes_t lt;
    aa_resolution_t res;
    apr_status_t rv;
    int rc, npos, trust = AA_TRUST_DEFAULT;

    if ((rc = aactl_parse(ctx, "approve", argc, argv, opts, pos, 1, &npos)) != AACTL_OK)
        return rc;
    if (npos != 1) {
        ctx->errstr = "approve: which code? (a user code, or a request id from approvals list)";
        return AACTL_USAGE;
    }
    if (opts[1].set && opts[2].set) {
        ctx->errstr = "approve: --trust and --no-trust contradict each other";
        return AACTL_USAGE;
    }
    trust = opts[1].set ? AA_TRUST_YES : opts[2].set ? AA_TRUST_NO : trust;
    if (opts[3].set && !(only = aactl_split_names(ctx->pool, &opts[3].value, 1))) {
        ctx->errstr = "approve: --capabilities names none; to refuse them all, use deny";
        return AACTL_USAGE;
    }
    if (opts[4].set && !only) {
        ctx->errstr = "approve: --reason explains the capabilities --capabilities leaves out";
        return AACTL_USAGE;
    }
    user = opts[0].set ? opts[0].value : aactl_default_user();
    if ((rc = ciba_approver(ctx, pos[0], opts[0].set, &user)) != AACTL_OK)
        return rc;
    aactl_lifetimes(&ctx->conf, &lt);
    before = pending_before(ctx, pos[0]);
    rv = aa_ops_approve_some(ctx->pool, &ctx->db, pos[0], user, trust, only, opts[4].value,
                             &lt, aa_now(), &res, &errstr);
    if (rv != APR_SUCCESS)
        return status_to_exit(ctx, rv, errstr);
    report(ctx, "approved", &res, user, before);
    return AACTL_OK;
}

int aactl_deny(aactl_ctx_t *ctx, int argc, const char *const *argv)
{
    aactl_opt_t opts[] = { { "--user", 1, NULL, 0 }, { "--reason", 1, NULL, 0 },
                           { NULL, 0, NULL, 0 } };
    const char *pos[1], *user, *errstr = NULL;
    apr_hash_t *before;
    aa_resolution_t res;
    apr_status_t rv;
    int rc, npos;

    if ((rc = aactl_parse(ctx, "deny", argc, argv, opts, pos, 1, &npos)) != AACTL_OK)
        return rc;
    if (npos != 1) {
        ctx->errstr = "deny: which code? (a user code, or a request id from approvals list)";
        return AACTL_USAGE;
    }
    user = opts[0].set ? opts[0].value : aactl_default_user();
    before = pending_before(ctx, pos[0]);
    rv = aa_ops_deny(ctx->pool, &ctx->db, pos[0], user, opts[1].set ? opts[1].value : "",
                     aa_now(), &res, &errstr);
    if (rv != APR_SUCCESS)
        return status_to_exit(ctx, rv, errstr);
    report(ctx, "denied", &res, user, before);
    return AACTL_OK;
}

int aactl_approvals_show(aactl_ctx_t *ctx, int argc, const char *const *argv)
{
    aactl_opt_t opts[] = { { NULL, 0, NULL, 0 } };
    const char *pos[1], *errstr = NULL, *err;
    aa_approval_t *a;
    aa_agent_t *agent;
    aa_json_t *doc, *caps = NULL;
    apr_status_t rv;
    int rc, npos;

    if ((rc = aactl_parse(ctx, "approvals show", argc, argv, opts, pos, 1, &npos)) != AACTL_OK)
        return rc;
    if (npos != 1) {
        ctx->errstr = "approvals show: which code?";
        return AACTL_USAGE;
    }
    rv = aa_ops_approval_lookup(ctx->pool, &ctx->db, pos[0], &a, &errstr);
    if (rv == APR_NOTFOUND)
        errstr = "no approval request has that code";
    if (rv != APR_SUCCESS)
        return aactl_exit_for(ctx, rv, errstr);
    doc = aa_json_object(ctx->pool);
    aa_json_set_str(ctx->pool, doc, "device_code", a->id);
    aa_json_set_str(ctx->pool, doc, "method", a->method);
    aa_json_set_str(ctx->pool, doc, "kind", a->kind);
    if (*a->binding_message)
        aa_json_set_str(ctx->pool, doc, "binding_message", a->binding_message);
    aa_json_set_str(ctx->pool, doc, "status",
                    strcmp(a->status, AA_AP_PENDING) == 0 && a->expires_at <= aa_now()
                        ? AA_AP_EXPIRED : a->status);
    if (aa_json_parse(ctx->pool, a->capabilities, strlen(a->capabilities), 0, &caps, &err)
        == APR_SUCCESS)
        aa_json_set(doc, "capabilities", caps);
    aa_json_set_str(ctx->pool, doc, "created_at", aa_iso8601(ctx->pool, a->created_at));
    aa_json_set_str(ctx->pool, doc, "expires_at", aa_iso8601(ctx->pool, a->expires_at));
    if (aa_store_agent_get(ctx->pool, &ctx->db, a->agent_id, &agent, &errstr) == APR_SUCCESS)
        aa_json_set(doc, "agent", aactl_agent_json(ctx, agent, 1));
    aactl_print_json(ctx, doc);
    return AACTL_OK;
}
