/* SPDX-License-Identifier: Apache-2.0 */
/*
 * aa_keys: keys delivered by JWKS URL (§4.1, §4.2, §8.7, §8.12), fetched with
 * the protections of core/aa_jwks.c and cached per child process. An entry
 * is refreshed after AgentAuthJWKSCacheTTL, or on a kid miss but at most once
 * per tenth of it (a client cannot make us fetch per request); when a
 * refresh fails the keys already cached stay in use (§10.4).
 */
#include "aa_module.h"

#include "http_log.h"

#include "apr_strings.h"
#include "apr_thread_mutex.h"

#include "core/aa_jwks.h"

APLOG_USE_MODULE(agent_auth);

#define AA_JWKS_CACHE_MAX 1024

typedef struct {
    apr_pool_t *pool;          /* owns keys; destroyed when replaced */
    apr_array_header_t *keys;  /* aa_jwk_t *, or NULL before a first success */
    apr_time_t fetched;        /* last successful fetch */
    apr_time_t attempted;      /* last attempt, successful or not */
} jwks_entry_t;

static apr_pool_t *cache_pool;
static apr_hash_t *cache;
#if APR_HAS_THREADS
static apr_thread_mutex_t *cache_mutex;
#endif

static void lock(void)
{
#if APR_HAS_THREADS
    if (cache_mutex)
        apr_thread_mutex_lock(cache_mutex);
#endif
}

static void unlock(void)
{
#if APR_HAS_THREADS
    if (cache_mutex)
        apr_thread_mutex_unlock(cache_mutex);
#endif
}

void aa_keys_child_init(apr_pool_t *pchild, server_rec *s)
{
    apr_pool_create(&cache_pool, pchild);
    cache = apr_hash_make(cache_pool);
#if APR_HAS_THREADS
    if (apr_thread_mutex_create(&cache_mutex, APR_THREAD_MUTEX_DEFAULT, pchild)
        != APR_SUCCESS)
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, AALOGNO(00040)
                     "cannot create the JWKS cache mutex");
#endif
}

/* A copy in pool, so the cache entry may be replaced while it is in use. */
static const aa_jwk_t *copy_key(apr_pool_t *pool, const aa_jwk_t *key)
{
    aa_jwk_t *copy = apr_pmemdup(pool, key, sizeof(*key));

    copy->x = apr_pstrdup(pool, key->x);
    copy->kid = key->kid ? apr_pstrdup(pool, key->kid) : NULL;
    copy->thumbprint = apr_pstrdup(pool, key->thumbprint);
    return copy;
}

static const aa_jwk_t *lookup(const jwks_entry_t *e, const char *kid, const char *thumbprint)
{
    int i;

    if (!e || !e->keys)
        return NULL;
    if (kid)
        return aa_jwks_find(e->keys, kid);
    for (i = 0; i < e->keys->nelts; i++) {
        const aa_jwk_t *k = APR_ARRAY_IDX(e->keys, i, const aa_jwk_t *);

        if (strcmp(k->thumbprint, thumbprint) == 0)
            return k;
    }
    return NULL;
}

/*
 * Make room, preferring an entry that never held keys (a failed or bogus
 * URL anyone can send), so junk cannot crowd out the keys in use.
 * NB: the hash key and entry stay in cache_pool until the child exits;
 * that is bounded by the number of evictions, which AA_JWKS_CACHE_MAX and
 * the refresh interval keep small.
 */
static void evict_one(void)
{
    apr_hash_index_t *hi;
    const void *victim = NULL;

    for (hi = apr_hash_first(NULL, cache); hi; hi = apr_hash_next(hi)) {
        const void *key;
        void *val;
        jwks_entry_t *e;

        apr_hash_this(hi, &key, NULL, &val);
        e = val;
        if (!victim || !e->keys)
            victim = key;
        if (!e->keys)
            break;
    }
    if (victim) {
        jwks_entry_t *e = apr_hash_get(cache, victim, APR_HASH_KEY_STRING);

        if (e && e->pool)
            apr_pool_destroy(e->pool);
        apr_hash_set(cache, victim, APR_HASH_KEY_STRING, NULL);
    }
}

/* The cache entry of url, created when missing. Called locked. */
static jwks_entry_t *entry_for(const char *url)
{
    jwks_entry_t *e = apr_hash_get(cache, url, APR_HASH_KEY_STRING);

    if (e)
        return e;
    if (apr_hash_count(cache) >= AA_JWKS_CACHE_MAX)
        evict_one();
    e = apr_pcalloc(cache_pool, sizeof(*e));
    apr_hash_set(cache, apr_pstrdup(cache_pool, url), APR_HASH_KEY_STRING, e);
    return e;
}

static void fetch_into_cache(request_rec *r, const char *url)
{
    const aa_srv_conf_t *conf = aa_srv_conf(r->server);
    aa_jwks_fetch_opts_t opts = { 0, conf->jwks_ca_file, conf->jwks_allow_loopback == 1 };
    const char *body = NULL, *errstr = NULL;
    apr_array_header_t *keys = NULL;
    apr_size_t len = 0;
    apr_pool_t *pool;
    jwks_entry_t *e;
    apr_status_t rv;

    /* The fetch runs unlocked: it may take seconds. */
    rv = aa_jwks_fetch(r->pool, url, &opts, &body, &len, &errstr);
    lock();
    e = entry_for(url);
    e->attempted = apr_time_now();
    if (rv == APR_SUCCESS) {
        apr_pool_create(&pool, cache_pool);
        rv = aa_jwks_parse(pool, body, len, &keys, &errstr);
        if (rv == APR_SUCCESS) {
            if (e->pool)
                apr_pool_destroy(e->pool);
            e->pool = pool;
            e->keys = keys;
            e->fetched = e->attempted;
        }
        else {
            apr_pool_destroy(pool);
        }
    }
    unlock();
    if (rv != APR_SUCCESS)
        ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r, AALOGNO(00041)
                      "JWKS %.200s unusable: %s", url, errstr ? errstr : "unknown error");
}

apr_status_t aa_keys_jwks_find(request_rec *r, const char *url, const char *kid,
                               const char *thumbprint, const aa_jwk_t **key)
{
    const aa_srv_conf_t *conf = aa_srv_conf(r->server);
    apr_time_t ttl = apr_time_from_sec(conf->jwks_cache_ttl);
    apr_time_t now = apr_time_now();
    const aa_jwk_t *found;
    jwks_entry_t *e;
    int stale, may_refresh;

    if (!cache)
        return APR_EGENERAL;
    lock();
    e = apr_hash_get(cache, url, APR_HASH_KEY_STRING);
    found = lookup(e, kid, thumbprint);
    stale = !e || now - e->fetched > ttl;
    may_refresh = !e || now - e->attempted > ttl / 10;
    if (found && !stale)
        found = copy_key(r->pool, found);
    /* One fetch per URL at a time: the others use what is cached. */
    else if (may_refresh)
        entry_for(url)->attempted = now;
    unlock();
    if (found && !stale) {
        *key = found;
        return APR_SUCCESS;
    }

    if (may_refresh)
        fetch_into_cache(r, url);
    lock();
    e = apr_hash_get(cache, url, APR_HASH_KEY_STRING);
    found = lookup(e, kid, thumbprint);
    if (found)
        found = copy_key(r->pool, found);
    unlock();
    if (!found)
        return APR_NOTFOUND;
    *key = found;
    return APR_SUCCESS;
}
