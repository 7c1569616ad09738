/* SPDX-License-Identifier: Apache-2.0 */
/*
 * aa_replay: "never accept a jti twice" across every child process, kept in
 * an httpd socache (shmcb by default; memcache or redis when several httpd
 * nodes share one database).
 *
 * Two caches, so that unauthenticated traffic cannot push out what matters:
 * one for tokens of known hosts and agents, one for the host JWTs of first
 * registrations, which anyone can mint. NB: a cache that is full drops its
 * oldest entries; size it (AgentAuthReplayCache) for the tokens of a 90 s
 * window. Both caches live in the process pool and survive graceful
 * restarts, so a restart never makes a used token valid again; changing
 * AgentAuthReplayCache takes a full restart. One pair serves all virtual
 * hosts; keys carry the issuer.
 */
#include "aa_module.h"

#include "http_log.h"
#include "util_mutex.h"
#include "ap_provider.h"
#include "ap_mpm.h"

#include "apr_strings.h"

#include "core/aa_crypto.h"

APLOG_USE_MODULE(agent_auth);

#define AA_REPLAY_MUTEX "agent-auth-replay"
#define AA_REPLAY_RETAINED "mod_agent_auth-replay"
#define AA_REPLAY_KEY_LEN 32
/* Room for well over 100,000 jtis in each cache. */
#define AA_REPLAY_DEFAULT_SIZE 8388608

typedef struct {
    apr_pool_t *pool; /* child of the process pool: outlives restarts */
    const char *spec;
    ap_socache_instance_t *cache[2];
    apr_global_mutex_t *mutex;
} aa_replay_retained_t;

static ap_socache_provider_t *replay_provider;
static aa_replay_retained_t *retained;

void aa_replay_register_mutex(apr_pool_t *pconf)
{
    ap_mutex_register(pconf, AA_REPLAY_MUTEX, NULL, APR_LOCK_DEFAULT, 0);
}

static const char *provider_args(apr_pool_t *pool, const char *name, const char *args,
                                 const char *suffix)
{
    if (args)
        return apr_pstrcat(pool, args, NULL);
    if (strcmp(name, "shmcb") != 0)
        return NULL;
    return apr_psprintf(pool, "%s(%d)",
                        ap_runtime_dir_relative(pool,
                                                apr_pstrcat(pool, "agent-auth-replay", suffix,
                                                            NULL)),
                        AA_REPLAY_DEFAULT_SIZE);
}

static apr_status_t create_caches(server_rec *s, apr_pool_t *ptemp, const char *name,
                                  const char *args)
{
    struct ap_socache_hints hints = { AA_REPLAY_KEY_LEN, 1, apr_time_from_sec(120) };
    static const char *const names[2] = { "agent-auth-replay", "agent-auth-replay-new" };
    apr_status_t rv;
    int i;

    for (i = 0; i < 2; i++) {
        const char *arg = provider_args(retained->pool, name, args, i ? "-new" : "");
        const char *err;

        err = replay_provider->create(&retained->cache[i], arg, ptemp, retained->pool);
        if (err) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, AALOGNO(00002)
                         "AgentAuthReplayCache: %s", err);
            return APR_EGENERAL;
        }
        rv = replay_provider->init(retained->cache[i], names[i], &hints, s, retained->pool);
        if (rv != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, AALOGNO(00004)
                         "cannot initialise the replay cache %s", retained->spec);
            return rv;
        }
    }
    return APR_SUCCESS;
}

apr_status_t aa_replay_post_config(apr_pool_t *pconf, apr_pool_t *ptemp, server_rec *s)
{
    aa_srv_conf_t *conf = aa_srv_conf(s);
    const char *spec = conf->replay_spec ? conf->replay_spec : "shmcb";
    const char *sep = ap_strchr_c(spec, ':');
    const char *name = sep ? apr_pstrmemdup(ptemp, spec, sep - spec) : spec;
    apr_status_t rv;

    (void)pconf;
    replay_provider = ap_lookup_provider(AP_SOCACHE_PROVIDER_GROUP, name,
                                         AP_SOCACHE_PROVIDER_VERSION);
    if (!replay_provider) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, AALOGNO(00001)
                     "AgentAuthReplayCache: socache provider \"%s\" is not loaded "
                     "(LoadModule socache_%s_module)", name, name);
        return APR_EGENERAL;
    }

    retained = ap_retained_data_get(AA_REPLAY_RETAINED);
    if (!retained)
        retained = ap_retained_data_create(AA_REPLAY_RETAINED, sizeof(*retained));
    if (retained->pool && strcmp(retained->spec, spec) == 0)
        return APR_SUCCESS; /* a graceful restart: keep what was seen */
    if (retained->pool) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, AALOGNO(00045)
                     "AgentAuthReplayCache changed from %s to %s; the new cache starts "
                     "empty", retained->spec, spec);
        apr_pool_destroy(retained->pool);
    }

    apr_pool_create(&retained->pool, s->process->pool);
    retained->spec = apr_pstrdup(retained->pool, spec);
    rv = ap_global_mutex_create(&retained->mutex, NULL, AA_REPLAY_MUTEX, NULL, s,
                                retained->pool, 0);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, AALOGNO(00003)
                     "cannot create the replay cache mutex");
        return rv;
    }
    rv = create_caches(s, ptemp, name, sep ? sep + 1 : NULL);
    if (rv != APR_SUCCESS) {
        apr_pool_destroy(retained->pool);
        retained->pool = NULL;
    }
    return rv;
}

void aa_replay_child_init(apr_pool_t *pchild, server_rec *s)
{
    apr_status_t rv;

    if (!retained || !retained->mutex)
        return;
    rv = apr_global_mutex_child_init(&retained->mutex,
                                     apr_global_mutex_lockfile(retained->mutex), pchild);
    if (rv != APR_SUCCESS)
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, AALOGNO(00005)
                     "cannot reopen the replay cache mutex in a child");
}

apr_status_t aa_replay_check(request_rec *r, const char *scope, const char *jti,
                             apr_int64_t expires, int known)
{
    const aa_srv_conf_t *conf = aa_srv_conf(r->server);
    ap_socache_instance_t *cache;
    unsigned char seen[4];
    unsigned int seenlen = sizeof(seen);
    const char *material, *digest;
    unsigned char *key;
    apr_size_t keylen;
    apr_status_t rv;

    if (!retained || !retained->pool || !replay_provider)
        return APR_EGENERAL;
    cache = retained->cache[known ? 0 : 1];

    /* Fixed-size keys: a hash of issuer, scope and jti. */
    material = apr_pstrcat(r->pool, conf->issuer, "\n", scope, "\n", jti, NULL);
    digest = aa_sha256_b64url(r->pool, material, strlen(material));
    if (aa_b64url_decode(r->pool, digest, strlen(digest), &key, &keylen) != APR_SUCCESS
        || keylen != AA_REPLAY_KEY_LEN)
        return APR_EGENERAL;

    rv = apr_global_mutex_lock(retained->mutex);
    if (rv != APR_SUCCESS)
        return rv;
    rv = replay_provider->retrieve(cache, r->server, key, (unsigned int)keylen, seen, &seenlen,
                                   r->pool);
    /* A first registration's token, seen while its host was unknown, is in
     * the other cache: it must not pass once that host exists. */
    if (rv != APR_SUCCESS && known) {
        seenlen = sizeof(seen);
        rv = replay_provider->retrieve(retained->cache[1], r->server, key,
                                       (unsigned int)keylen, seen, &seenlen, r->pool);
    }
    if (rv == APR_SUCCESS) {
        rv = APR_EEXIST;
    }
    else {
        seen[0] = 1;
        rv = replay_provider->store(cache, r->server, key, (unsigned int)keylen,
                                    apr_time_from_sec(expires), seen, 1, r->pool);
    }
    apr_global_mutex_unlock(retained->mutex);
    return rv;
}

apr_status_t aa_rate_check(request_rec *r, const char *subject, int limit, int *retry_after)
{
    const apr_time_t window = apr_time_from_sec(60);
    apr_time_t now = apr_time_now();
    apr_int64_t slot = now / window;
    unsigned char count[4] = { 0, 0, 0, 0 };
    unsigned int countlen = sizeof(count);
    const char *material, *digest;
    unsigned char *key;
    apr_size_t keylen;
    apr_uint32_t n;
    apr_status_t rv;

    if (!retained || !retained->pool || !replay_provider)
        return APR_EGENERAL;
    /* One counter per subject and minute, in the anonymous cache. */
    material = apr_psprintf(r->pool, "rate\n%s\n%" APR_INT64_T_FMT, subject,
                            (apr_int64_t)slot);
    digest = aa_sha256_b64url(r->pool, material, strlen(material));
    if (aa_b64url_decode(r->pool, digest, strlen(digest), &key, &keylen) != APR_SUCCESS)
        return APR_EGENERAL;

    rv = apr_global_mutex_lock(retained->mutex);
    if (rv != APR_SUCCESS)
        return rv;
    if (replay_provider->retrieve(retained->cache[1], r->server, key, (unsigned int)keylen,
                                  count, &countlen, r->pool) != APR_SUCCESS
        || countlen != sizeof(count))
        memset(count, 0, sizeof(count));
    memcpy(&n, count, sizeof(n));
    n++;
    memcpy(count, &n, sizeof(n));
    rv = replay_provider->store(retained->cache[1], r->server, key, (unsigned int)keylen,
                                (slot + 1) * window, count, sizeof(count), r->pool);
    apr_global_mutex_unlock(retained->mutex);
    *retry_after = (int)apr_time_sec((slot + 1) * window - now) + 1;
    if (rv != APR_SUCCESS)
        return rv;
    return n > (apr_uint32_t)limit ? APR_EAGAIN : APR_SUCCESS;
}
