/* SPDX-License-Identifier: Apache-2.0 */
/* aa_config: directives, their defaults, create/merge and getters. */
#include "aa_module.h"

#include "ap_provider.h"

#include "http_log.h"

APLOG_USE_MODULE(agent_auth);

#include "apr_strings.h"
#include "apr_uri.h"
#include "apr_lib.h"

#include <stdlib.h>

/* Every default in one place; docs/mod_agent_auth.conf repeats them. */
#define AA_DEFAULT_PROVIDER_NAME "agent-auth"
#define AA_DEFAULT_DESCRIPTION "Agent Auth enabled service"
#define AA_DEFAULT_APPROVAL_TTL 300
#define AA_DEFAULT_APPROVAL_INTERVAL 5
#define AA_DEFAULT_JWT_MAX_LIFETIME 60
#define AA_DEFAULT_CLOCK_SKEW 30
#define AA_DEFAULT_SESSION_TTL 3600
#define AA_DEFAULT_MAX_LIFETIME 86400
#define AA_DEFAULT_ABSOLUTE_LIFETIME (30 * 86400)
#define AA_DEFAULT_TOUCH_INTERVAL 5
#define AA_DEFAULT_JWKS_CACHE_TTL 300
#define AA_DEFAULT_MAX_BODY (64 * 1024)
#define AA_DEFAULT_HEADER_PREFIX "X-Agent-Auth-"
#define AA_DEFAULT_REPLAY_CACHE "shmcb"
#define AA_DEFAULT_BACKEND_TIMEOUT 30
#define AA_UNSET -1

void *aa_create_srv_conf(apr_pool_t *pool, server_rec *s)
{
    aa_srv_conf_t *conf = apr_pcalloc(pool, sizeof(*conf));

    (void)s;
    conf->mode_delegated = AA_UNSET;
    conf->mode_autonomous = AA_UNSET;
    conf->ciba = AA_UNSET;
    conf->backend_timeout = AA_UNSET;
    conf->approval_ttl = AA_UNSET;
    conf->approval_interval = AA_UNSET;
    conf->jwt_max_lifetime = AA_UNSET;
    conf->clock_skew = AA_UNSET;
    conf->session_ttl = AA_UNSET;
    conf->max_lifetime = AA_UNSET;
    conf->absolute_lifetime = AA_UNSET;
    conf->touch_interval = AA_UNSET;
    conf->max_body = AA_UNSET;
    conf->jwks_allow_loopback = AA_UNSET;
    conf->jwks_cache_ttl = AA_UNSET;
    conf->rate_limit = AA_UNSET;
    conf->agent_rate_limit = AA_UNSET;
    return conf;
}

#define MERGE_PTR(f) conf->f = add->f ? add->f : base->f
#define MERGE_NUM(f) conf->f = add->f != AA_UNSET ? add->f : base->f

void *aa_merge_srv_conf(apr_pool_t *pool, void *basev, void *addv)
{
    aa_srv_conf_t *base = basev, *add = addv;
    aa_srv_conf_t *conf = apr_pcalloc(pool, sizeof(*conf));

    MERGE_PTR(issuer);
    MERGE_PTR(issuer_path);
    MERGE_PTR(provider_name);
    MERGE_PTR(description);
    MERGE_PTR(caps_file);
    MERGE_PTR(caps);
    MERGE_PTR(default_caps);
    MERGE_NUM(mode_delegated);
    MERGE_NUM(mode_autonomous);
    MERGE_PTR(approval_uri);
    MERGE_NUM(ciba);
    MERGE_PTR(ciba_notify);
    MERGE_NUM(backend_timeout);
    MERGE_NUM(approval_ttl);
    MERGE_NUM(approval_interval);
    MERGE_NUM(jwt_max_lifetime);
    MERGE_NUM(clock_skew);
    MERGE_NUM(session_ttl);
    MERGE_NUM(max_lifetime);
    MERGE_NUM(absolute_lifetime);
    MERGE_NUM(touch_interval);
    MERGE_PTR(introspection_secret);
    MERGE_PTR(jwks_ca_file);
    MERGE_NUM(jwks_allow_loopback);
    MERGE_NUM(jwks_cache_ttl);
    MERGE_NUM(rate_limit);
    MERGE_NUM(agent_rate_limit);
    MERGE_NUM(max_body);
    MERGE_PTR(header_prefix);
    MERGE_PTR(replay_spec);
    /* The replay caches are shared by all virtual hosts (aa_replay.c). */
    return conf;
}

void *aa_create_dir_conf(apr_pool_t *pool, char *dir)
{
    (void)dir;
    return apr_pcalloc(pool, sizeof(aa_dir_conf_t));
}

void *aa_merge_dir_conf(apr_pool_t *pool, void *basev, void *addv)
{
    aa_dir_conf_t *base = basev, *add = addv;
    aa_dir_conf_t *conf = apr_pcalloc(pool, sizeof(*conf));

    MERGE_PTR(audience);
    return conf;
}

aa_srv_conf_t *aa_srv_conf(const server_rec *s)
{
    return ap_get_module_config(s->module_config, &agent_auth_module);
}

static aa_srv_conf_t *cmd_conf(cmd_parms *cmd)
{
    return aa_srv_conf(cmd->server);
}

static const char *set_issuer(cmd_parms *cmd, void *dummy, const char *arg)
{
    aa_srv_conf_t *conf = cmd_conf(cmd);
    apr_uri_t uri;
    char *issuer;
    apr_size_t len;

    (void)dummy;
    if (apr_uri_parse(cmd->pool, arg, &uri) != APR_SUCCESS || !uri.scheme || !uri.hostname
        || (strcasecmp(uri.scheme, "https") != 0 && strcasecmp(uri.scheme, "http") != 0)
        || uri.query || uri.fragment)
        return "AgentAuthIssuer must be an absolute http(s) URL without query or fragment";
    issuer = apr_pstrdup(cmd->pool, arg);
    len = strlen(issuer);
    while (len > 0 && issuer[len - 1] == '/')
        issuer[--len] = '\0';
    conf->issuer = issuer;
    conf->issuer_path = uri.path ? apr_pstrdup(cmd->pool, uri.path) : "";
    len = strlen(conf->issuer_path);
    while (len > 0 && conf->issuer_path[len - 1] == '/')
        ((char *)conf->issuer_path)[--len] = '\0';
    return NULL;
}

static const char *set_string(cmd_parms *cmd, void *dummy, const char *arg)
{
    aa_srv_conf_t *conf = cmd_conf(cmd);
    const char **slot = (const char **)((char *)conf + (apr_size_t)cmd->info);

    (void)dummy;
    *slot = apr_pstrdup(cmd->pool, arg);
    return NULL;
}

/* Durations with bounds of their own, checked where "apachectl -t" sees them. */
static const struct {
    const char *name;
    apr_int64_t min, max;
} seconds_bounds[] = {
    { "AgentAuthApprovalTTL", 10, 86400 },
    { "AgentAuthBackendTimeout", 1, 3600 },
    { "AgentAuthJWKSCacheTTL", 1, 86400 },
};

static const char *set_seconds(cmd_parms *cmd, void *dummy, const char *arg)
{
    aa_srv_conf_t *conf = cmd_conf(cmd);
    apr_int64_t *slot = (apr_int64_t *)((char *)conf + (apr_size_t)cmd->info);
    char *end = NULL;
    apr_int64_t v = apr_strtoi64(arg, &end, 10);
    apr_size_t i;

    (void)dummy;
    if (!*arg || *end || v < 0 || v > APR_INT64_C(100) * 365 * 86400)
        return apr_psprintf(cmd->pool, "%s needs a number of seconds, not \"%s\"",
                            cmd->cmd->name, arg);
    for (i = 0; i < sizeof(seconds_bounds) / sizeof(seconds_bounds[0]); i++)
        if (strcasecmp(cmd->cmd->name, seconds_bounds[i].name) == 0
            && (v < seconds_bounds[i].min || v > seconds_bounds[i].max))
            return apr_psprintf(cmd->pool, "%s must be between %" APR_INT64_T_FMT " and %"
                                APR_INT64_T_FMT " seconds", cmd->cmd->name,
                                seconds_bounds[i].min, seconds_bounds[i].max);
    *slot = v;
    return NULL;
}

static const char *set_introspection_secret(cmd_parms *cmd, void *dummy, const char *arg)
{
    (void)dummy;
    if (strlen(arg) < 16)
        return "AgentAuthIntrospectionSecret must be at least 16 characters";
    cmd_conf(cmd)->introspection_secret = apr_pstrdup(cmd->pool, arg);
    return NULL;
}

static const char *set_max_body(cmd_parms *cmd, void *dummy, const char *arg)
{
    aa_srv_conf_t *conf = cmd_conf(cmd);
    char *end = NULL;
    apr_int64_t v = apr_strtoi64(arg, &end, 10);

    (void)dummy;
    if (!*arg || *end || v < 1024 || v > 64L * 1024 * 1024)
        return "AgentAuthMaxBodySize must be a byte count between 1024 and 67108864";
    conf->max_body = v;
    return NULL;
}

static const char *set_capabilities(cmd_parms *cmd, void *dummy, const char *arg)
{
    aa_srv_conf_t *conf = cmd_conf(cmd);
    const char *path = ap_server_root_relative(cmd->pool, arg);
    const char *errstr = NULL;

    (void)dummy;
    if (!path)
        return apr_psprintf(cmd->pool, "AgentAuthCapabilities: bad path %s", arg);
    if (aa_caps_load(cmd->pool, path, &conf->caps, &errstr) != APR_SUCCESS)
        return apr_psprintf(cmd->pool, "AgentAuthCapabilities: %s", errstr);
    conf->caps_file = path;
    return NULL;
}

static const char *add_default_cap(cmd_parms *cmd, void *dummy, const char *arg)
{
    aa_srv_conf_t *conf = cmd_conf(cmd);

    (void)dummy;
    if (!aa_caps_name_valid(arg))
        return apr_psprintf(cmd->pool, "AgentAuthHostDefaultCapabilities: bad name \"%s\"",
                            arg);
    if (!conf->default_caps)
        conf->default_caps = apr_array_make(cmd->pool, 4, sizeof(const char *));
    /* "none" states an empty list explicitly, overriding a parent's. */
    if (strcmp(arg, "none") == 0)
        return NULL;
    /* Checked here when the capabilities are known already, so that
     * "apachectl -t" sees it; post_config checks again in any case. */
    if (conf->caps && !aa_caps_find(conf->caps, arg))
        return apr_psprintf(cmd->pool, "AgentAuthHostDefaultCapabilities: %s is not in %s",
                            arg, conf->caps_file);
    APR_ARRAY_PUSH(conf->default_caps, const char *) = apr_pstrdup(cmd->pool, arg);
    return NULL;
}

static const char *add_mode(cmd_parms *cmd, void *dummy, const char *arg)
{
    aa_srv_conf_t *conf = cmd_conf(cmd);

    (void)dummy;
    /* The first mode named resets the inherited pair. */
    if (conf->mode_delegated == AA_UNSET) {
        conf->mode_delegated = 0;
        conf->mode_autonomous = 0;
    }
    if (strcmp(arg, AA_MODE_DELEGATED) == 0)
        conf->mode_delegated = 1;
    else if (strcmp(arg, AA_MODE_AUTONOMOUS) == 0)
        conf->mode_autonomous = 1;
    else
        return "AgentAuthModes accepts delegated and/or autonomous";
    return NULL;
}

static const char *add_approval_method(cmd_parms *cmd, void *dummy, const char *arg)
{
    aa_srv_conf_t *conf = cmd_conf(cmd);

    (void)dummy;
    /* Device authorization is the baseline (§7) and always on. */
    if (conf->ciba == AA_UNSET)
        conf->ciba = 0;
    if (strcmp(arg, AA_METHOD_CIBA) == 0)
        conf->ciba = 1;
    else if (strcmp(arg, AA_METHOD_DEVICE) != 0)
        return "AgentAuthApprovalMethods accepts device_authorization and ciba";
    return NULL;
}

/* One cache pair serves every virtual host, so only the main server may
 * choose it; inside a <VirtualHost> it would silently do nothing. */
static const char *set_replay_cache(cmd_parms *cmd, void *dummy, const char *arg)
{
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);
    const char *sep = ap_strchr_c(arg, ':');
    const char *name = sep ? apr_pstrmemdup(cmd->temp_pool, arg, sep - arg) : arg;

    (void)dummy;
    if (err)
        return err;
    /* Providers register when their module loads: LoadModule comes first. */
    if (!ap_lookup_provider(AP_SOCACHE_PROVIDER_GROUP, name, AP_SOCACHE_PROVIDER_VERSION))
        return apr_psprintf(cmd->pool, "AgentAuthReplayCache: socache provider \"%s\" is not "
                            "loaded (LoadModule socache_%s_module before this line)", name,
                            name);
    cmd_conf(cmd)->replay_spec = apr_pstrdup(cmd->pool, arg);
    return NULL;
}

/* Published as verification_uri: clients need an absolute URL. */
static const char *set_approval_uri(cmd_parms *cmd, void *dummy, const char *arg)
{
    (void)dummy;
    if (strncasecmp(arg, "https://", 8) != 0 && strncasecmp(arg, "http://", 7) != 0)
        return "AgentAuthApprovalURI must be an absolute http:// or https:// URL";
    cmd_conf(cmd)->approval_uri = apr_pstrdup(cmd->pool, arg);
    return NULL;
}

static const char *set_ca_file(cmd_parms *cmd, void *dummy, const char *arg)
{
    const char *path = ap_server_root_relative(cmd->pool, arg);
    apr_finfo_t finfo;

    (void)dummy;
    if (!path || apr_stat(&finfo, path, APR_FINFO_TYPE, cmd->pool) != APR_SUCCESS
        || finfo.filetype != APR_REG)
        return apr_psprintf(cmd->pool, "AgentAuthJWKSCAFile: cannot read %s", arg);
    cmd_conf(cmd)->jwks_ca_file = path;
    return NULL;
}

static const char *set_ciba_notify(cmd_parms *cmd, void *dummy, const char *arg)
{
    aa_srv_conf_t *conf = cmd_conf(cmd);

    (void)dummy;
    if (arg[0] != '/' && !aa_backend_is_url(arg))
        return "AgentAuthCIBANotify must be a local URI path, such as /notify/ciba, "
               "or an http:// or https:// URL";
    conf->ciba_notify = apr_pstrdup(cmd->pool, arg);
    return NULL;
}

static const char *set_header_prefix(cmd_parms *cmd, void *dummy, const char *arg)
{
    aa_srv_conf_t *conf = cmd_conf(cmd);
    const char *p;

    (void)dummy;
    if (!*arg)
        return "AgentAuthHeaderPrefix must not be empty: clients could spoof any header";
    for (p = arg; *p; p++)
        if (!apr_isalnum(*p) && *p != '-')
            return "AgentAuthHeaderPrefix may hold only letters, digits and dashes";
    conf->header_prefix = apr_pstrdup(cmd->pool, arg);
    return NULL;
}

static const char *set_loopback(cmd_parms *cmd, void *dummy, int on)
{
    (void)dummy;
    cmd_conf(cmd)->jwks_allow_loopback = on ? 1 : 0;
    if (on)
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, cmd->server, AALOGNO(00042)
                     "AgentAuthJWKSAllowLoopback is on: JWKS URLs may reach this machine; "
                     "use it in test setups only");
    return NULL;
}

/* cmd->info is the offset of the int to set. */
static const char *set_rate_limit(cmd_parms *cmd, void *dummy, const char *arg)
{
    char *end = NULL;
    apr_int64_t v = apr_strtoi64(arg, &end, 10);

    (void)dummy;
    if (!*arg || *end || v < 0 || v > 1000000)
        return apr_psprintf(cmd->pool, "%s takes a number of requests per minute "
                            "(0 disables)", cmd->cmd->name);
    *(int *)((char *)cmd_conf(cmd) + (apr_size_t)cmd->info) = (int)v;
    return NULL;
}

static const char *set_audience(cmd_parms *cmd, void *dirconf, const char *arg)
{
    aa_dir_conf_t *conf = dirconf;

    if (!ap_is_url(arg))
        return "AgentAuthAudience must be an absolute URL";
    conf->audience = apr_pstrdup(cmd->pool, arg);
    return NULL;
}

#define SRV_OFFSET(f) (void *)APR_OFFSETOF(aa_srv_conf_t, f)

const command_rec aa_cmds[] = {
    AP_INIT_TAKE1("AgentAuthIssuer", set_issuer, NULL, RSRC_CONF,
                  "Set the issuer URL that clients use as the JWT audience"),
    AP_INIT_TAKE1("AgentAuthProviderName", set_string, SRV_OFFSET(provider_name), RSRC_CONF,
                  "Set the provider name published in discovery"),
    AP_INIT_TAKE1("AgentAuthDescription", set_string, SRV_OFFSET(description), RSRC_CONF,
                  "Set the service description published in discovery"),
    AP_INIT_TAKE1("AgentAuthCapabilities", set_capabilities, NULL, RSRC_CONF,
                  "Load the capabilities offered from a JSON file"),
    AP_INIT_ITERATE("AgentAuthHostDefaultCapabilities", add_default_cap, NULL, RSRC_CONF,
                    "Name the capabilities a linked host's agents get without approval"),
    AP_INIT_ITERATE("AgentAuthModes", add_mode, NULL, RSRC_CONF,
                    "Name the agent modes accepted: delegated and/or autonomous"),
    AP_INIT_TAKE1("AgentAuthApprovalURI", set_approval_uri, NULL, RSRC_CONF,
                  "Set the page where humans enter device-authorization codes"),
    AP_INIT_ITERATE("AgentAuthApprovalMethods", add_approval_method, NULL, RSRC_CONF,
                    "Name the approval methods offered: device_authorization and/or ciba"),
    AP_INIT_TAKE1("AgentAuthCIBANotify", set_ciba_notify, NULL, RSRC_CONF,
                  "Set the local URI that is sent each CIBA approval request"),
    AP_INIT_TAKE1("AgentAuthBackendTimeout", set_seconds, SRV_OFFSET(backend_timeout),
                  RSRC_CONF, "Set how many seconds an http(s) backend may take to answer"),
    AP_INIT_TAKE1("AgentAuthApprovalTTL", set_seconds, SRV_OFFSET(approval_ttl), RSRC_CONF,
                  "Set how many seconds an approval request stays valid"),
    AP_INIT_TAKE1("AgentAuthJWTMaxLifetime", set_seconds, SRV_OFFSET(jwt_max_lifetime),
                  RSRC_CONF, "Set the longest JWT lifetime (exp - iat) accepted, in seconds"),
    AP_INIT_TAKE1("AgentAuthClockSkew", set_seconds, SRV_OFFSET(clock_skew), RSRC_CONF,
                  "Set the clock skew tolerated on iat and exp, in seconds"),
    AP_INIT_TAKE1("AgentAuthSessionTTL", set_seconds, SRV_OFFSET(session_ttl), RSRC_CONF,
                  "Set the agent session TTL in seconds; 0 disables it"),
    AP_INIT_TAKE1("AgentAuthMaxLifetime", set_seconds, SRV_OFFSET(max_lifetime), RSRC_CONF,
                  "Set how long an agent stays active after activation; 0 disables it"),
    AP_INIT_TAKE1("AgentAuthAbsoluteLifetime", set_seconds, SRV_OFFSET(absolute_lifetime),
                  RSRC_CONF, "Set the lifetime from creation after which an agent is revoked"),
    AP_INIT_TAKE1("AgentAuthActivityInterval", set_seconds, SRV_OFFSET(touch_interval),
                  RSRC_CONF, "Set how often, at most, agent and host activity is written"),
    AP_INIT_TAKE1("AgentAuthIntrospectionSecret", set_introspection_secret, NULL, RSRC_CONF,
                  "Enable /agent/introspect for callers presenting this bearer secret"),
    AP_INIT_TAKE1("AgentAuthJWKSCAFile", set_ca_file, NULL, RSRC_CONF,
                  "Trust these PEM certificates when fetching JWKS URLs"),
    AP_INIT_TAKE1("AgentAuthJWKSCacheTTL", set_seconds, SRV_OFFSET(jwks_cache_ttl), RSRC_CONF,
                  "Set how long fetched JWKS keys are used before fetching again"),
    AP_INIT_FLAG("AgentAuthJWKSAllowLoopback", set_loopback, NULL, RSRC_CONF,
                 "Let JWKS URLs reach loopback addresses (for test setups only)"),
    AP_INIT_TAKE1("AgentAuthRateLimit", set_rate_limit, SRV_OFFSET(rate_limit), RSRC_CONF,
                  "Limit protocol requests per client address and minute; 0 disables"),
    AP_INIT_TAKE1("AgentAuthAgentRateLimit", set_rate_limit, SRV_OFFSET(agent_rate_limit),
                  RSRC_CONF, "Limit the requests of each agent per minute; 0 disables"),
    AP_INIT_TAKE1("AgentAuthMaxBodySize", set_max_body, NULL, RSRC_CONF,
                  "Set the largest request body accepted by the endpoints, in bytes"),
    AP_INIT_TAKE1("AgentAuthHeaderPrefix", set_header_prefix, NULL, RSRC_CONF,
                  "Set the prefix of the identity headers passed to capability backends"),
    AP_INIT_TAKE1("AgentAuthReplayCache", set_replay_cache, NULL, RSRC_CONF,
                  "Choose the socache provider[:args] that remembers seen JWT ids"),
    AP_INIT_TAKE1("AgentAuthAudience", set_audience, NULL, OR_AUTHCFG,
                  "Set the JWT audience expected where AuthType AgentAuth protects"),
    { NULL }
};

/* Getters apply the defaults, so an unset field never leaks out. */

const char *aa_default_location(apr_pool_t *pool, const aa_srv_conf_t *conf)
{
    return apr_pstrcat(pool, conf->issuer, "/capability/execute", NULL);
}

const char *aa_discovery_url(apr_pool_t *pool, const aa_srv_conf_t *conf)
{
    return apr_pstrcat(pool, conf->issuer, "/.well-known/agent-configuration", NULL);
}

int aa_mode_supported(const aa_srv_conf_t *conf, const char *mode)
{
    if (conf->mode_delegated == AA_UNSET)
        return strcmp(mode, AA_MODE_DELEGATED) == 0 || strcmp(mode, AA_MODE_AUTONOMOUS) == 0;
    if (strcmp(mode, AA_MODE_DELEGATED) == 0)
        return conf->mode_delegated;
    if (strcmp(mode, AA_MODE_AUTONOMOUS) == 0)
        return conf->mode_autonomous;
    return 0;
}

void aa_approval_policy(const aa_srv_conf_t *conf, aa_approval_policy_t *policy)
{
    policy->method = AA_METHOD_DEVICE;
    policy->binding_message = "";
    policy->ttl = conf->approval_ttl;
    policy->keep_older = 0;
}

void aa_lifetimes(const aa_srv_conf_t *conf, aa_lifetimes_t *lt)
{
    lt->session_ttl = conf->session_ttl;
    lt->max_lifetime = conf->max_lifetime;
    lt->absolute_lifetime = conf->absolute_lifetime;
}

/* Called from post_config: fill in every default and check consistency. */
const char *aa_config_finalize(apr_pool_t *pool, server_rec *s, aa_srv_conf_t *conf)
{
    int i;

    (void)s;
    if (!conf->provider_name)
        conf->provider_name = AA_DEFAULT_PROVIDER_NAME;
    if (!conf->description)
        conf->description = AA_DEFAULT_DESCRIPTION;
    if (!conf->approval_uri) {
        conf->approval_uri = apr_pstrcat(pool, conf->issuer, "/device", NULL);
        conf->serve_device_page = 1;
    }
    if (conf->ciba == AA_UNSET)
        conf->ciba = 1;
    if (conf->backend_timeout == AA_UNSET)
        conf->backend_timeout = AA_DEFAULT_BACKEND_TIMEOUT;
    if (conf->backend_timeout < 1)
        return "AgentAuthBackendTimeout must be at least 1 second";
    if (conf->approval_ttl == AA_UNSET)
        conf->approval_ttl = AA_DEFAULT_APPROVAL_TTL;
    if (conf->approval_interval == AA_UNSET)
        conf->approval_interval = AA_DEFAULT_APPROVAL_INTERVAL;
    if (conf->jwt_max_lifetime == AA_UNSET)
        conf->jwt_max_lifetime = AA_DEFAULT_JWT_MAX_LIFETIME;
    if (conf->clock_skew == AA_UNSET)
        conf->clock_skew = AA_DEFAULT_CLOCK_SKEW;
    if (conf->session_ttl == AA_UNSET)
        conf->session_ttl = AA_DEFAULT_SESSION_TTL;
    if (conf->max_lifetime == AA_UNSET)
        conf->max_lifetime = AA_DEFAULT_MAX_LIFETIME;
    if (conf->absolute_lifetime == AA_UNSET)
        conf->absolute_lifetime = AA_DEFAULT_ABSOLUTE_LIFETIME;
    if (conf->jwks_cache_ttl == AA_UNSET)
        conf->jwks_cache_ttl = AA_DEFAULT_JWKS_CACHE_TTL;
    if (conf->jwks_cache_ttl < 1 || conf->jwks_cache_ttl > 86400)
        return "AgentAuthJWKSCacheTTL must be between 1 and 86400 seconds";
    if (conf->touch_interval == AA_UNSET)
        conf->touch_interval = AA_DEFAULT_TOUCH_INTERVAL;
    if (conf->introspection_secret && strlen(conf->introspection_secret) < 16)
        return "AgentAuthIntrospectionSecret must be at least 16 characters";
    if (conf->rate_limit == AA_UNSET)
        conf->rate_limit = 0;
    if (conf->agent_rate_limit == AA_UNSET)
        conf->agent_rate_limit = 0;
    if (conf->max_body == AA_UNSET)
        conf->max_body = AA_DEFAULT_MAX_BODY;
    if (!conf->header_prefix)
        conf->header_prefix = AA_DEFAULT_HEADER_PREFIX;
    if (!conf->replay_spec)
        conf->replay_spec = AA_DEFAULT_REPLAY_CACHE;
    if (!conf->default_caps)
        conf->default_caps = apr_array_make(pool, 1, sizeof(const char *));
    if (!conf->caps)
        return "AgentAuthIssuer is set but AgentAuthCapabilities is not";
    if (conf->approval_ttl < 10)
        return "AgentAuthApprovalTTL must be at least 10 seconds";

    for (i = 0; i < conf->default_caps->nelts; i++) {
        const char *name = APR_ARRAY_IDX(conf->default_caps, i, const char *);

        if (!aa_caps_find(conf->caps, name))
            return apr_psprintf(pool,
                                "AgentAuthHostDefaultCapabilities names %s, which %s "
                                "does not define", name, conf->caps_file);
    }
    return NULL;
}

apr_array_header_t *aa_host_defaults(request_rec *r, const aa_host_t *host)
{
    const aa_srv_conf_t *conf = aa_srv_conf(r->server);
    apr_array_header_t *names;
    const char *errstr;
    aa_json_t *list;
    apr_size_t i, n;

    if (!host || !*host->default_capabilities)
        return conf->default_caps;
    if (aa_json_parse(r->pool, host->default_capabilities, strlen(host->default_capabilities),
                      0, &list, &errstr) != APR_SUCCESS || !aa_json_is(list, AA_JSON_ARRAY))
        return conf->default_caps;
    n = aa_json_len(list);
    names = apr_array_make(r->pool, (int)n + 1, sizeof(const char *));
    /* A host's own list cannot reach beyond what the server offers. */
    for (i = 0; i < n; i++) {
        const char *name = aa_json_str(aa_json_at(list, i));

        if (name && aa_caps_find(conf->caps, name))
            APR_ARRAY_PUSH(names, const char *) = name;
    }
    return names;
}
