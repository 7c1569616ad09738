/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Approval requests as clients see them (§7): which method serves a
 * request, the approval object of the replies, and the announcement of a
 * CIBA request to whoever approves it.
 *
 * Device authorization (§7.1) is always offered. CIBA (§7.2) is chosen
 * when the client prefers it, AgentAuthApprovalMethods offers it and the
 * server already knows the user: the host is linked to one. login_hint is
 * accepted but never names the approver, since the client chooses it.
 * This server has no notification channel of its own: a CIBA request is
 * logged, listed by `aactl approvals list`, and POSTed as JSON to the
 * AgentAuthCIBANotify URI, where the operator's handler reaches the user.
 */
#include "aa_module.h"

#include "http_log.h"
#include "http_protocol.h"

#include "apr_strings.h"

#include "core/aa_json.h"

APLOG_USE_MODULE(agent_auth);

#define AA_MAX_BINDING_MESSAGE 500
#define AA_MAX_HINT 256
/* Prompts one user receives per minute at most. */
#define AA_MAX_NOTIFY_PER_MINUTE 5
/* A notification handler's reply is only logged, never kept. */
#define AA_MAX_NOTIFY_REPLY 65536

/* Bytes of the UTF-8 control or layout character at p (C1 controls, line
 * and paragraph separators, bidirectional overrides), else 0. */
static int layout_char(const unsigned char *p)
{
    if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
        return 2;
    if (p[0] == 0xd8 && p[1] == 0x9c)
        return 2;
    if (p[0] == 0xe2 && p[1] == 0x80
        && ((p[2] >= 0x8e && p[2] <= 0x8f) || (p[2] >= 0xa8 && p[2] <= 0xae)))
        return 3;
    if (p[0] == 0xe2 && p[1] == 0x81 && p[2] >= 0xa6 && p[2] <= 0xa9)
        return 3;
    return 0;
}

/*
 * Text shown to an approver (§8.8) keeps no control characters and none
 * that reorder or break lines, so it cannot disguise what follows it.
 */
const char *aa_display_text(apr_pool_t *pool, const char *text)
{
    char *copy = apr_palloc(pool, strlen(text) + 1), *w = copy;
    const unsigned char *p = (const unsigned char *)text;

    while (*p) {
        int n = layout_char(p);

        if (n) {
            *w++ = ' ';
            p += n;
        }
        else {
            *w++ = (*p < 0x20 || *p == 0x7f) ? ' ' : (char)*p;
            p++;
        }
    }
    *w = '\0';
    return copy;
}

int aa_approval_hints(request_rec *r, const aa_json_t *body, aa_approval_hints_t *hints)
{
    const char *login_hint;
    int status;

    memset(hints, 0, sizeof(*hints));
    if (!body)
        return OK;
    if ((status = aa_optional_string(r, body, "preferred_method", 64,
                                  &hints->preferred_method)) != OK
        || (status = aa_optional_string(r, body, "binding_message", AA_MAX_BINDING_MESSAGE,
                                     &hints->binding_message)) != OK
        || (status = aa_optional_string(r, body, "login_hint", AA_MAX_HINT, &login_hint)) != OK)
        return status;
    return OK;
}

void aa_approval_choose(request_rec *r, const aa_host_t *host, const aa_agent_t *agent,
                        const aa_approval_hints_t *hints, aa_approval_policy_t *policy)
{
    const aa_srv_conf_t *conf = aa_srv_conf(r->server);

    aa_approval_policy(conf, policy);
    if (!conf->ciba || !hints || !hints->preferred_method
        || strcmp(hints->preferred_method, AA_METHOD_CIBA) != 0 || !*host->user_id)
        return;
    policy->method = AA_METHOD_CIBA;
    if (hints->binding_message && *hints->binding_message)
        policy->binding_message = aa_display_text(r->pool, hints->binding_message);
    else
        policy->binding_message = apr_psprintf(r->pool, "Approve agent \"%s\"",
                                               aa_display_text(r->pool, agent->name));
}

aa_json_t *aa_approval_json(request_rec *r, const aa_approval_t *ap, const char *code)
{
    const aa_srv_conf_t *conf = aa_srv_conf(r->server);
    aa_json_t *obj = aa_json_object(r->pool);

    aa_json_set_str(r->pool, obj, "method", ap->method);
    if (strcmp(ap->method, AA_METHOD_CIBA) == 0) {
        aa_json_set_str(r->pool, obj, "binding_message", ap->binding_message);
    }
    else {
        aa_json_set_str(r->pool, obj, "device_code", ap->id);
        aa_json_set_str(r->pool, obj, "verification_uri", conf->approval_uri);
        aa_json_set_str(r->pool, obj, "verification_uri_complete",
                        apr_pstrcat(r->pool, conf->approval_uri,
                                    ap_strchr_c(conf->approval_uri, '?') ? "&" : "?",
                                    "user_code=", code, NULL));
        aa_json_set_str(r->pool, obj, "user_code", code);
    }
    aa_json_set_int(r->pool, obj, "expires_in", ap->expires_at - ap->created_at);
    aa_json_set_int(r->pool, obj, "interval", conf->approval_interval);
    return obj;
}

void aa_approval_announce(request_rec *r, const aa_approval_t *ap, const aa_agent_t *agent,
                          const aa_host_t *host)
{
    const aa_srv_conf_t *conf = aa_srv_conf(r->server);
    aa_buf_t *out;
    aa_json_t *doc, *caps;
    const char *errstr;
    int status, sub_status = 0, retry_after;

    if (!ap || strcmp(ap->method, AA_METHOD_CIBA) != 0)
        return;
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, AALOGNO(00048)
                  "CIBA approval request %s for user %s: agent %s asks for %s", ap->id,
                  host->user_id, agent->id, ap->capabilities);
    if (!conf->ciba_notify)
        return;
    /* CIBA Core §14: no flood of prompts. Past the limit a request is only
     * logged and listed; the user is not prompted again this minute. */
    if (aa_rate_check(r, apr_pstrcat(r->pool, "notify:", host->user_id, NULL),
                      AA_MAX_NOTIFY_PER_MINUTE, &retry_after) != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, AALOGNO(00054)
                      "CIBA notification of %s for user %s not sent: more than %d a minute",
                      ap->id, host->user_id, AA_MAX_NOTIFY_PER_MINUTE);
        return;
    }

    doc = aa_json_object(r->pool);
    aa_json_set_str(r->pool, doc, "approval_id", ap->id);
    aa_json_set_str(r->pool, doc, "method", ap->method);
    aa_json_set_str(r->pool, doc, "kind", ap->kind);
    aa_json_set_str(r->pool, doc, "user_id", host->user_id);
    aa_json_set_str(r->pool, doc, "binding_message", ap->binding_message);
    aa_json_set_str(r->pool, doc, "agent_id", agent->id);
    aa_json_set_str(r->pool, doc, "agent_name", aa_display_text(r->pool, agent->name));
    aa_json_set_str(r->pool, doc, "host_id", host->id);
    aa_json_set_str(r->pool, doc, "host_name", aa_display_text(r->pool, host->name));
    if (aa_json_parse(r->pool, ap->capabilities, strlen(ap->capabilities), 0, &caps, &errstr)
        == APR_SUCCESS)
        aa_json_set(doc, "capabilities", caps);
    aa_json_set_int(r->pool, doc, "expires_at", ap->expires_at);

    /* The request is committed; a failed notice leaves it for aactl. */
    out = apr_pcalloc(r->pool, sizeof(*out));
    if (aa_backend_is_url(conf->ciba_notify))
        status = aa_backend_http_post(r, conf->ciba_notify, aa_json_dump(r->pool, doc),
                                      apr_table_make(r->pool, 1), AA_MAX_NOTIFY_REPLY, out,
                                      &sub_status);
    else
        status = aa_subreq_post(r, conf->ciba_notify, aa_json_dump(r->pool, doc), NULL, NULL,
                                out, &sub_status);
    if (status != OK || !ap_is_HTTP_SUCCESS(sub_status))
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, AALOGNO(00049)
                      "CIBA notification of %s to %s failed with status %d", ap->id,
                      conf->ciba_notify, sub_status);
}
