/* SPDX-License-Identifier: Apache-2.0 */
/*
 * aa_replay: "never accept a jti twice" across every child process, kept in
 * an httpd socache (shmcb by default; memcache or redis when several httpd
 * nodes share one database). NB: one cache serves all virtual hosts, set by
 * AgentAuthReplayCache in the main server; keys carry the issuer.
 */
#include "aa_module.h"

#include "http_log.h"
#include "util_mutex.h"
#include "ap_provider.h"

#include "apr_strings.h"

#include "core/aa_crypto.h"

APLOG_USE_MODULE(agent_auth);

#define AA_REPLAY_MUTEX "agent-auth-replay"
#define AA_REPLAY_KEY_LEN 32

static ap_socache_provider_t *replay_provider;
static ap_socache_instance_t *replay_cache;
static apr_global_mutex_t *replay_mutex;

void aa_replay_register_mutex(apr_pool_t *pconf)
{
    ap_mutex_register(pconf, AA_REPLAY_MUTEX, NULL, APR_LOCK_DEFAULT, 0);
}

static apr_status_t replay_destroy(void *data)
{
    server_rec *s = data;

    if (replay_cache && replay_provider)
        replay_provider->destroy(replay_cache, s);
    replay_cache = NULL;
    return APR_SUCCESS;
}

apr_status_t aa_replay_post_config(apr_pool_t *pconf, apr_pool_t *ptemp, server_rec *s)
{
    aa_srv_conf_t *conf = aa_srv_conf(s);
    struct ap_socache_hints hints = { AA_REPLAY_KEY_LEN, 1, apr_time_from_sec(120) };
    const char *spec = conf->replay_spec ? conf->replay_spec : "shmcb";
    const char *sep = ap_strchr_c(spec, ':');
    const char *name = sep ? apr_pstrmemdup(ptemp, spec, sep - spec) : spec;
    const char *err;
    apr_status_t rv;

    replay_provider = ap_lookup_provider(AP_SOCACHE_PROVIDER_GROUP, name,
                                         AP_SOCACHE_PROVIDER_VERSION);
    if (!replay_provider) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, AALOGNO(00001)
                     "AgentAuthReplayCache: socache provider \"%s\" is not loaded "
                     "(LoadModule socache_%s_module)", name, name);
        return APR_EGENERAL;
    }
    err = replay_provider->create(&replay_cache, sep ? sep + 1 : NULL, ptemp, pconf);
    if (err) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, AALOGNO(00002)
                     "AgentAuthReplayCache: %s", err);
        return APR_EGENERAL;
    }
    rv = ap_global_mutex_create(&replay_mutex, NULL, AA_REPLAY_MUTEX, NULL, s, pconf, 0);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, AALOGNO(00003)
                     "cannot create the replay cache mutex");
        return rv;
    }
    rv = replay_provider->init(replay_cache, "agent-auth-replay", &hints, s, pconf);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, AALOGNO(00004)
                     "cannot initialise the replay cache %s", spec);
        return rv;
    }
    apr_pool_cleanup_register(pconf, s, replay_destroy, apr_pool_cleanup_null);
    return APR_SUCCESS;
}

void aa_replay_child_init(apr_pool_t *pchild, server_rec *s)
{
    apr_status_t rv;

    if (!replay_mutex)
        return;
    rv = apr_global_mutex_child_init(&replay_mutex, apr_global_mutex_lockfile(replay_mutex),
                                     pchild);
    if (rv != APR_SUCCESS)
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, AALOGNO(00005)
                     "cannot reopen the replay cache mutex in a child");
}

apr_status_t aa_replay_check(request_rec *r, const char *scope, const char *jti,
                             apr_int64_t expires)
{
    const aa_srv_conf_t *conf = aa_srv_conf(r->server);
    unsigned char key[AA_REPLAY_KEY_LEN];
    unsigned char seen[4];
    unsigned int seenlen = sizeof(seen);
    const char *material, *digest;
    unsigned char *raw;
    apr_size_t rawlen;
    apr_status_t rv;

    if (!replay_cache || !replay_mutex)
        return APR_EGENERAL;

    /* Fixed-size keys: a hash of issuer, scope and jti. */
    material = apr_pstrcat(r->pool, conf->issuer, "\n", scope, "\n", jti, NULL);
    digest = aa_sha256_b64url(r->pool, material, strlen(material));
    if (aa_b64url_decode(r->pool, digest, strlen(digest), &raw, &rawlen) != APR_SUCCESS)
        return APR_EGENERAL;
    memcpy(key, raw, sizeof(key));

    rv = apr_global_mutex_lock(replay_mutex);
    if (rv != APR_SUCCESS)
        return rv;
    rv = replay_provider->retrieve(replay_cache, r->server, key, sizeof(key), seen, &seenlen,
                                   r->pool);
    if (rv == APR_SUCCESS) {
        rv = APR_EEXIST;
    }
    else {
        seen[0] = 1;
        rv = replay_provider->store(replay_cache, r->server, key, sizeof(key),
                                    apr_time_from_sec(expires), seen, 1, r->pool);
    }
    apr_global_mutex_unlock(replay_mutex);
    return rv;
}
