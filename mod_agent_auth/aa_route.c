/* SPDX-License-Identifier: Apache-2.0 */
/*
 * aa_route: the protocol's endpoints live at fixed paths under the issuer.
 * They are claimed by path, without SetHandler, and never mapped to files.
 */
#include "aa_module.h"

#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"

#include "apr_strings.h"

APLOG_USE_MODULE(agent_auth);

typedef struct {
    const char *path;
    aa_endpoint_e endpoint;
} aa_route_t;

static const aa_route_t aa_routes[] = {
    { "/.well-known/agent-configuration", AA_EP_DISCOVERY },
    { "/capability/list", AA_EP_CAP_LIST },
    { "/capability/describe", AA_EP_CAP_DESCRIBE },
    { "/capability/execute", AA_EP_CAP_EXECUTE },
    { "/agent/register", AA_EP_REGISTER },
    { "/agent/status", AA_EP_STATUS },
    { "/agent/request-capability", AA_EP_REQUEST_CAPABILITY },
    { "/agent/reactivate", AA_EP_REACTIVATE },
    { "/agent/revoke", AA_EP_REVOKE },
    { "/agent/rotate-key", AA_EP_ROTATE_KEY },
    { "/agent/introspect", AA_EP_INTROSPECT },
    { "/host/revoke", AA_EP_HOST_REVOKE },
    { "/host/rotate-key", AA_EP_HOST_ROTATE_KEY },
    { NULL, AA_EP_NONE }
};

static aa_endpoint_e match(const aa_srv_conf_t *conf, const char *uri)
{
    apr_size_t plen = strlen(conf->issuer_path);
    const aa_route_t *route;

    /* The default verification page, unless AgentAuthApprovalURI points elsewhere. */
    if (conf->serve_device_page && strncmp(uri, conf->issuer_path, plen) == 0
        && strcmp(uri + plen, "/device") == 0)
        return AA_EP_DEVICE_PAGE;

    /* Discovery also answers at the host root, where clients look first. */
    if (strcmp(uri, "/.well-known/agent-configuration") == 0)
        return AA_EP_DISCOVERY;
    if (strncmp(uri, conf->issuer_path, plen) != 0)
        return AA_EP_NONE;
    for (route = aa_routes; route->path; route++)
        if (strcmp(uri + plen, route->path) == 0)
            return route->endpoint;
    return AA_EP_NONE;
}

aa_endpoint_e aa_route(request_rec *r)
{
    const aa_srv_conf_t *conf = aa_srv_conf(r->server);
    aa_req_t *req = aa_req(r);

    /* Subrequests (our own calls to capability backends) are never ours. */
    if (!req->routed) {
        req->routed = 1;
        req->endpoint = AA_EP_NONE;
        if (conf->issuer && conf->caps && r->uri && !r->main)
            req->endpoint = match(conf, r->uri);
    }
    return req->endpoint;
}

int aa_rate_limit(request_rec *r, const char *subject, int limit, const char *directive)
{
    int retry_after = 60;
    apr_status_t rv = aa_rate_check(r, subject, limit, &retry_after);

    if (rv == APR_SUCCESS)
        return OK;
    if (rv != APR_EAGAIN) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r, AALOGNO(00046)
                      "rate limit cache unavailable; refusing the request");
        return aa_reply_error(r, AA_ERR_TEMPORARILY_UNAVAILABLE, NULL);
    }
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, AALOGNO(00047)
                  "%s over %s (%d per minute)", subject, directive, limit);
    apr_table_setn(r->err_headers_out, "Retry-After", apr_itoa(r->pool, retry_after));
    return aa_reply_error(r, AA_ERR_RATE_LIMITED, NULL);
}

/* §8.13, when AgentAuthRateLimit is set; the reply is sent here. */
static int over_rate_limit(request_rec *r)
{
    const aa_srv_conf_t *conf = aa_srv_conf(r->server);

    if (conf->rate_limit <= 0)
        return 0;
    return aa_rate_limit(r, apr_pstrcat(r->pool, "ip:", r->useragent_ip, NULL),
                         conf->rate_limit, "AgentAuthRateLimit") != OK;
}

int aa_map_to_storage(request_rec *r)
{
    if (aa_route(r) == AA_EP_NONE)
        return DECLINED;
    /* Counted before any JWT is verified, so floods stay cheap to refuse. */
    if (over_rate_limit(r))
        return DONE;
    /* OK skips the filesystem walk, as mod_proxy does for its URLs. */
    return OK;
}

int aa_type_checker(request_rec *r)
{
    if (aa_route(r) == AA_EP_NONE)
        return DECLINED;
    r->handler = AA_HANDLER;
    return OK;
}

static int method_is(request_rec *r, int method)
{
    if (r->method_number == method || (method == M_GET && r->header_only))
        return 1;
    apr_table_setn(r->headers_out, "Allow", method == M_GET ? "GET, HEAD" : "POST");
    return 0;
}

int aa_handler(request_rec *r)
{
    aa_endpoint_e ep;

    if (!r->handler || strcmp(r->handler, AA_HANDLER) != 0)
        return DECLINED;
    ep = aa_route(r);
    switch (ep) {
    case AA_EP_DISCOVERY:
    case AA_EP_CAP_LIST:
    case AA_EP_CAP_DESCRIBE:
    case AA_EP_STATUS:
    case AA_EP_DEVICE_PAGE:
        if (!method_is(r, M_GET))
            return aa_reply_error(r, AA_ERR_METHOD_NOT_ALLOWED, NULL);
        break;
    case AA_EP_INTROSPECT:
        if (!aa_srv_conf(r->server)->introspection_secret)
            return aa_reply_error(r, AA_ERR_NOT_FOUND,
                                  "Introspection is not enabled on this server");
        /* fall through */
    case AA_EP_CAP_EXECUTE:
    case AA_EP_REGISTER:
    case AA_EP_REQUEST_CAPABILITY:
    case AA_EP_REACTIVATE:
    case AA_EP_REVOKE:
    case AA_EP_ROTATE_KEY:
    case AA_EP_HOST_REVOKE:
    case AA_EP_HOST_ROTATE_KEY:
        if (!method_is(r, M_POST))
            return aa_reply_error(r, AA_ERR_METHOD_NOT_ALLOWED, NULL);
        break;
    default:
        return DECLINED;
    }

    switch (ep) {
    case AA_EP_DISCOVERY:
        return aa_handle_discovery(r);
    case AA_EP_CAP_LIST:
        return aa_handle_cap_list(r);
    case AA_EP_CAP_DESCRIBE:
        return aa_handle_cap_describe(r);
    case AA_EP_STATUS:
        return aa_handle_status(r);
    case AA_EP_DEVICE_PAGE:
        return aa_handle_device_page(r);
    case AA_EP_CAP_EXECUTE:
        return aa_handle_execute(r);
    case AA_EP_REGISTER:
        return aa_handle_register(r);
    case AA_EP_REQUEST_CAPABILITY:
        return aa_handle_request_capability(r);
    case AA_EP_REACTIVATE:
        return aa_handle_reactivate(r);
    case AA_EP_REVOKE:
        return aa_handle_revoke(r);
    case AA_EP_ROTATE_KEY:
        return aa_handle_rotate_key(r);
    case AA_EP_HOST_REVOKE:
        return aa_handle_host_revoke(r);
    case AA_EP_HOST_ROTATE_KEY:
        return aa_handle_host_rotate_key(r);
    case AA_EP_INTROSPECT:
        return aa_handle_introspect(r);
    default:
        return DECLINED;
    }
}
