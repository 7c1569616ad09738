/* SPDX-License-Identifier: Apache-2.0 */
/* Declarations shared by the files of mod_agent_auth (not by core/ or aactl). */
#ifndef AA_MODULE_H
#define AA_MODULE_H

#include "httpd.h"
#include "http_config.h"
#include "ap_socache.h"
#include "apr_global_mutex.h"

#include "core/aa_buf.h"
#include "core/aa_caps.h"
#include "core/aa_error.h"
#include "core/aa_jwt.h"
#include "core/aa_ops.h"
#include "core/aa_store.h"

/* Log tags: "AA" and five digits, one per call site, never reused. */
#define AALOGNO(n) "AA" #n ": "

#define AA_HANDLER "agent-auth"
#define AA_AUTH_TYPE "AgentAuth"

extern module AP_MODULE_DECLARE_DATA agent_auth_module;

typedef struct {
    const char *issuer;      /* AgentAuthIssuer, no trailing slash */
    const char *issuer_path; /* path part of issuer, "" for the root */
    const char *provider_name;
    const char *description;
    const char *caps_file;
    aa_caps_t *caps;
    apr_array_header_t *default_caps; /* const char * */
    int mode_delegated;               /* -1 unset */
    int mode_autonomous;
    const char *approval_uri;
    int serve_device_page; /* approval_uri is our own default page */
    int ciba;                  /* offer CIBA (§7.2); -1 unset */
    const char *ciba_notify;   /* local URI or http(s) URL told of each CIBA request */
    apr_int64_t backend_timeout; /* seconds an HTTP backend may take */
    apr_int64_t approval_ttl;
    apr_int64_t approval_interval;
    apr_int64_t jwt_max_lifetime;
    apr_int64_t clock_skew;
    apr_int64_t session_ttl;
    apr_int64_t max_lifetime;
    apr_int64_t absolute_lifetime;
    apr_int64_t touch_interval;
    const char *introspection_secret; /* NULL: introspection is off */
    const char *jwks_ca_file;         /* trust anchors for JWKS fetches */
    int jwks_allow_loopback;          /* tests only; -1 unset */
    apr_int64_t jwks_cache_ttl;
    apr_off_t max_body;
    int rate_limit; /* requests per client address and minute; 0 off; -1 unset */
    int agent_rate_limit; /* requests per agent and minute; 0 off; -1 unset */
    const char *header_prefix; /* identity headers sent to backends */
    const char *replay_spec;   /* "provider[:args]" */
} aa_srv_conf_t;

typedef struct {
    const char *audience; /* AgentAuthAudience for AuthType AgentAuth areas */
} aa_dir_conf_t;

typedef enum {
    AA_EP_NONE = 0,
    AA_EP_DISCOVERY,
    AA_EP_CAP_LIST,
    AA_EP_CAP_DESCRIBE,
    AA_EP_CAP_EXECUTE,
    AA_EP_REGISTER,
    AA_EP_STATUS,
    AA_EP_REQUEST_CAPABILITY,
    AA_EP_REACTIVATE,
    AA_EP_REVOKE,
    AA_EP_ROTATE_KEY,
    AA_EP_HOST_REVOKE,
    AA_EP_HOST_ROTATE_KEY,
    AA_EP_INTROSPECT,
    AA_EP_DEVICE_PAGE,
    AA_EP_UNIMPLEMENTED
} aa_endpoint_e;

/* What check_authn established about the caller of one request. */
typedef struct {
    int routed;
    aa_endpoint_e endpoint;
    const char *denied_capability; /* Require agent-capability refused this */
    int authn_done;
    aa_jwt_t *jwt;       /* bearer token as parsed, or NULL */
    aa_agent_t *agent;   /* verified agent, or NULL */
    aa_host_t *host;     /* host of that agent */
    aa_db_t *db;         /* this request's connection, once acquired */
} aa_req_t;

/* aa_config.c */
extern const command_rec aa_cmds[];
void *aa_create_srv_conf(apr_pool_t *pool, server_rec *s);
void *aa_merge_srv_conf(apr_pool_t *pool, void *base, void *add);
void *aa_create_dir_conf(apr_pool_t *pool, char *dir);
void *aa_merge_dir_conf(apr_pool_t *pool, void *base, void *add);
aa_srv_conf_t *aa_srv_conf(const server_rec *s);
const char *aa_default_location(apr_pool_t *pool, const aa_srv_conf_t *conf);
const char *aa_discovery_url(apr_pool_t *pool, const aa_srv_conf_t *conf);
int aa_mode_supported(const aa_srv_conf_t *conf, const char *mode);
void aa_approval_policy(const aa_srv_conf_t *conf, aa_approval_policy_t *policy);
void aa_lifetimes(const aa_srv_conf_t *conf, aa_lifetimes_t *lt);
/* The host's default capabilities: its own list, else the server's. */
apr_array_header_t *aa_host_defaults(request_rec *r, const aa_host_t *host);
const char *aa_config_finalize(apr_pool_t *pool, server_rec *s, aa_srv_conf_t *conf);

/* aa_replay.c */
void aa_replay_register_mutex(apr_pool_t *pconf);
apr_status_t aa_replay_post_config(apr_pool_t *pconf, apr_pool_t *ptemp, server_rec *s);
void aa_replay_child_init(apr_pool_t *pchild, server_rec *s);
/*
 * APR_SUCCESS when first seen (and now recorded), APR_EEXIST on replay.
 * known: the token is from a registered host or agent (else the cache of
 * first registrations, which anyone can fill, is used).
 */
apr_status_t aa_replay_check(request_rec *r, const char *scope, const char *jti,
                             apr_int64_t expires, int known);

/* aa_keys.c: JWKS keys, cached per child. */
void aa_keys_child_init(apr_pool_t *pchild, server_rec *s);
/*
 * The key of the JWKS at url whose kid is kid (or, when kid is NULL, whose
 * thumbprint is thumbprint), copied into r->pool. APR_SUCCESS, APR_NOTFOUND
 * (not published, or the set could not be fetched and none is cached).
 */
apr_status_t aa_keys_jwks_find(request_rec *r, const char *url, const char *kid,
                               const char *thumbprint, const aa_jwk_t **key);

/*
 * Count a request of subject ("ip:ADDRESS", "agent:ID") in the current
 * minute: APR_SUCCESS under limit, APR_EAGAIN over it (*retry_after seconds
 * to wait), else an error from the cache.
 */
apr_status_t aa_rate_check(request_rec *r, const char *subject, int limit, int *retry_after);
/* aa_route.c: OK under limit, else the 429 (or 503) reply already sent. */
int aa_rate_limit(request_rec *r, const char *subject, int limit, const char *directive);

/* aa_dbd.c */
apr_status_t aa_dbd_post_config(apr_pool_t *pconf, server_rec *s);
aa_db_t *aa_dbd_acquire(request_rec *r);

/* aa_reply.c */
aa_req_t *aa_req(request_rec *r);
int aa_reply_json(request_rec *r, int status, aa_json_t *body);
int aa_reply_error(request_rec *r, aa_err_e err, const char *message);
int aa_reply_error_with(request_rec *r, aa_err_e err, const char *message,
                        const char *member, aa_json_t *value);
int aa_read_json_body(request_rec *r, aa_json_t **body);
/* body's member key, a string of at most max bytes, or NULL when absent.
 * OK, or the 400 reply already sent. */
int aa_optional_string(request_rec *r, const aa_json_t *body, const char *key, apr_size_t max,
                       const char **out);

/* aa_authn.c */
int aa_force_authn(request_rec *r);
int aa_check_authn(request_rec *r);
int aa_authn_agent(request_rec *r, const char *audience);
int aa_authn_host(request_rec *r, int allow_unknown, aa_host_t **host, aa_jwt_t **jwt,
                  aa_jwk_t **presented_key);
const char *aa_bearer_token(request_rec *r);
/*
 * Set the agent's identity headers (AgentAuthHeaderPrefix) in headers and
 * the same as AGENT_AUTH_* in env; capability may be NULL. Client-sent
 * lookalikes are gone already: aa_scrub_area_headers removed them.
 */
void aa_identity_set(request_rec *r, apr_table_t *headers, apr_table_t *env,
                     const aa_agent_t *agent, const char *capability);
/* header_parser hook: at the endpoints and under AuthType AgentAuth, drop
 * client-sent identity headers (also spelled with '_', or listed in
 * Connection). */
int aa_scrub_area_headers(request_rec *r);
/* The error that refuses an agent in status (anything but active). */
aa_err_e aa_agent_status_error(const char *status);

/* aa_route.c */
aa_endpoint_e aa_route(request_rec *r);
int aa_map_to_storage(request_rec *r);
int aa_type_checker(request_rec *r);
int aa_handler(request_rec *r);

/* handle_*.c */
int aa_handle_discovery(request_rec *r);
int aa_handle_cap_list(request_rec *r);
int aa_handle_cap_describe(request_rec *r);
int aa_handle_register(request_rec *r);
int aa_handle_status(request_rec *r);
int aa_handle_execute(request_rec *r);
int aa_handle_request_capability(request_rec *r);
int aa_handle_reactivate(request_rec *r);
int aa_handle_revoke(request_rec *r);
int aa_handle_rotate_key(request_rec *r);
int aa_handle_host_revoke(request_rec *r);
int aa_handle_host_rotate_key(request_rec *r);
int aa_handle_introspect(request_rec *r);
int aa_handle_device_page(request_rec *r);
aa_json_t *aa_agent_status_json(request_rec *r, const aa_agent_t *agent,
                                apr_array_header_t *grants);
aa_json_t *aa_parse_stored(request_rec *r, const char *text);
/* Read a capabilities request list: known names, effective constraints. */
int aa_parse_capability_list(request_rec *r, const aa_json_t *list,
                             apr_array_header_t **names, apr_array_header_t **constraints);
int aa_reply_db_error(request_rec *r, const char *errstr);
/* 1 when url may be fetched as a JWKS; else 0, the reply (err, saying why
 * the claim called what cannot be used) already sent. */
int aa_jwks_url_acceptable(request_rec *r, const char *url, const char *what, aa_err_e err);
/*
 * Host JWT endpoints serve active hosts; allow adds pending hosts
 * (AA_HOST_PENDING_OK) and rejected ones (AA_HOST_REJECTED_OK, so that a
 * client can still learn that its agent was rejected). OK, or the error
 * reply already sent.
 */
#define AA_HOST_PENDING_OK 1
#define AA_HOST_REJECTED_OK 2
int aa_host_usable(request_rec *r, const aa_host_t *host, int allow);
/* Verify an agent JWT without replying: AA_ERR_NONE or the error to send. */
aa_err_e aa_verify_agent_token(request_rec *r, const char *token,
                               const char *const *audiences, int naudiences, aa_jwt_t **jwt,
                               aa_agent_t **agent, aa_host_t **host, const char **message);
aa_json_t *aa_grants_json(request_rec *r, apr_array_header_t *grants);

/* handle_execute.c */
void aa_execute_register_filters(void);
/* The JWT's capabilities claim, when present, narrows what it may do. */
int aa_jwt_allows(const aa_jwt_t *jwt, const char *capability);
/*
 * Run uri inside httpd as a POST subrequest with body (JSON) as its body,
 * headers as its request headers (Authorization is dropped; NULL: none) and
 * env added to its environment. The reply is collected in *out, not sent;
 * *sub_status is its HTTP status. OK, or HTTP_BAD_GATEWAY when the
 * subrequest could not be set up.
 */
int aa_subreq_post(request_rec *r, const char *uri, const char *body, apr_table_t *headers,
                   apr_table_t *env, aa_buf_t *out, int *sub_status);

/* aa_authz.c: Require agent-capability, and JSON bodies for its denials. */
void aa_authz_register(apr_pool_t *pool);

/* aa_backend.c: calls to http(s) URLs of the operator's services. */
int aa_backend_is_url(const char *backend);
/*
 * POST body (JSON) to url with the extra request headers, collecting at
 * most limit bytes of the reply in *out (out->overflow past it).
 * *http_status is the reply's status. OK, or HTTP_BAD_GATEWAY (logged)
 * when no reply came.
 */
int aa_backend_http_post(request_rec *r, const char *url, const char *body,
                         apr_table_t *headers, apr_size_t limit, aa_buf_t *out,
                         int *http_status);

/* aa_approval.c: choosing, describing and announcing approval requests. */
typedef struct {
    const char *preferred_method; /* §7.5: a hint, never binding */
    const char *binding_message;  /* CIBA: shown to the approver */
} aa_approval_hints_t;

/* Read the optional hints of a register or request-capability body. OK, or
 * the error reply already sent. */
int aa_approval_hints(request_rec *r, const aa_json_t *body, aa_approval_hints_t *hints);
/* The policy for a request by agent under host: CIBA when the client asks
 * for it, it is offered, and the host's user is known; else device codes. */
void aa_approval_choose(request_rec *r, const aa_host_t *host, const aa_agent_t *agent,
                        const aa_approval_hints_t *hints, aa_approval_policy_t *policy);
aa_json_t *aa_approval_json(request_rec *r, const aa_approval_t *ap, const char *code);
/* text without control, line-breaking or reordering characters (§8.8). */
const char *aa_display_text(apr_pool_t *pool, const char *text);
/* After the commit: tell the approver of a CIBA request (log, notify URI). */
void aa_approval_announce(request_rec *r, const aa_approval_t *ap, const aa_agent_t *agent,
                          const aa_host_t *host);

#endif
