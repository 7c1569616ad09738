/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mod_agent_auth: an Agent Auth Protocol server inside Apache httpd.
 * This file holds the module record and the hooks that set everything up.
 */
#include "aa_module.h"

#include "http_config.h"
#include "http_log.h"
#include "http_request.h"
#include "mod_auth.h"

#include "core/aa_crypto.h"
#include "core/aa_jwks.h"


static int aa_pre_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp)
{
    (void)plog;
    (void)ptemp;
    aa_replay_register_mutex(pconf);
    return OK;
}

static int aa_post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                          server_rec *s)
{
    server_rec *vs;
    int configured = 0;

    (void)plog;
    if (aa_crypto_init() != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, AALOGNO(00027)
                     "libsodium failed to initialise");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    for (vs = s; vs; vs = vs->next) {
        aa_srv_conf_t *conf = aa_srv_conf(vs);
        const char *err;

        if (!conf->issuer)
            continue;
        err = aa_config_finalize(pconf, vs, conf);
        if (err) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, 0, vs, AALOGNO(00028) "%s", err);
            return HTTP_INTERNAL_SERVER_ERROR;
        }
        if (aa_dbd_post_config(pconf, vs) != APR_SUCCESS)
            return HTTP_INTERNAL_SERVER_ERROR;
        configured = 1;
    }
    if (!configured)
        return OK;
    if (aa_jwks_global_init() != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, AALOGNO(00043)
                     "libcurl failed to initialise (or lacks https)");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    if (aa_replay_post_config(pconf, ptemp, s) != APR_SUCCESS)
        return HTTP_INTERNAL_SERVER_ERROR;
    return OK;
}

static void aa_child_init(apr_pool_t *pchild, server_rec *s)
{
    aa_replay_child_init(pchild, s);
    aa_keys_child_init(pchild, s);
}

static void register_hooks(apr_pool_t *pool)
{
    /* Statements must be registered before mod_dbd opens its pools. */
    static const char *const before_dbd[] = { "mod_dbd.c", NULL };

    ap_hook_pre_config(aa_pre_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_config(aa_post_config, NULL, before_dbd, APR_HOOK_MIDDLE);
    ap_hook_child_init(aa_child_init, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_map_to_storage(aa_map_to_storage, NULL, NULL, APR_HOOK_FIRST);
    ap_hook_header_parser(aa_scrub_area_headers, NULL, NULL, APR_HOOK_FIRST);
    ap_hook_force_authn(aa_force_authn, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_check_authn(aa_check_authn, NULL, NULL, APR_HOOK_MIDDLE,
                        AP_AUTH_INTERNAL_PER_CONF);
    ap_hook_type_checker(aa_type_checker, NULL, NULL, APR_HOOK_FIRST);
    ap_hook_handler(aa_handler, NULL, NULL, APR_HOOK_MIDDLE);
    aa_execute_register_filters();
    aa_authz_register(pool);
}

AP_DECLARE_MODULE(agent_auth) = {
    STANDARD20_MODULE_STUFF,
    aa_create_dir_conf, /* per-directory config */
    aa_merge_dir_conf,  /* merge per-directory */
    aa_create_srv_conf, /* per-server config */
    aa_merge_srv_conf,  /* merge per-server */
    aa_cmds,            /* directives */
    register_hooks,     /* hooks */
    AP_MODULE_FLAG_NONE
};
