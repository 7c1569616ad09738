/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_store: the store and the approval operations on a real database. SQLite
 * (in memory) always; PostgreSQL and MySQL/MariaDB when AA_TEST_PGSQL_PARAMS or
 * AA_TEST_MYSQL_PARAMS hold apr_dbd parameters for them.
 */
#include "check_main.h"

#include "aa_crypto.h"
#include "aa_ops.h"
#include "aa_sql.h"
#include "aa_store.h"

#include <apr_dbd.h>
#include <apr_lib.h>
#include <apr_strings.h>

#include <stdlib.h>
#include <string.h>

#define NOW 1710000000LL
#define USER "alice@example.test"

static apr_pool_t *pool;
static aa_db_t *db;
static const char *errstr;

static const aa_lifetimes_t lifetimes = { 3600, 86400, 0 };
static const aa_approval_policy_t policy = { AA_METHOD_DEVICE, "", 600, 0 };

/* --- fixture ----------------------------------------------------------------------------- */

/* apr_dbd_init may run once per process, in a pool that outlives every test. */
static apr_pool_t *dbd_pool(void)
{
    static apr_pool_t *p;

    if (!p) {
        ck_assert_int_eq(apr_pool_create(&p, NULL), APR_SUCCESS);
        ck_assert_int_eq(apr_dbd_init(p), APR_SUCCESS);
    }
    return p;
}

static void drop_tables(void)
{
    static const char *const tables[] = { "aa_hosts", "aa_agents", "aa_grants", "aa_approvals",
                                          "aa_schema_version" };
    int i, nrows;

    for (i = 0; i < 5; i++)
        apr_dbd_query(db->driver, db->handle, &nrows,
                      apr_pstrcat(pool, "DROP TABLE IF EXISTS ", tables[i], NULL));
}

static void open_db(const char *driver_name, const char *params)
{
    const apr_dbd_driver_t *driver = NULL;
    apr_dbd_t *handle = NULL;
    const char *error = NULL;

    ck_assert_int_eq(apr_pool_create(&pool, NULL), APR_SUCCESS);
    ck_assert_int_eq(apr_dbd_get_driver(dbd_pool(), driver_name, &driver), APR_SUCCESS);
    ck_assert_msg(apr_dbd_open_ex(driver, pool, params, &handle, &error) == APR_SUCCESS,
                  "cannot open %s: %s", driver_name, error ? error : "no reason");

    db = apr_pcalloc(pool, sizeof(*db));
    db->driver = driver;
    db->handle = handle;
    db->pool = pool;
    db->prepared = apr_hash_make(pool);
    drop_tables();
    ck_assert_msg(aa_store_schema_create(pool, db, &errstr) == APR_SUCCESS, "%s", errstr);
    ck_assert_msg(aa_store_prepare_all(db, &errstr) == APR_SUCCESS, "%s", errstr);
}

static void setup_sqlite3(void)
{
    open_db("sqlite3", ":memory:");
}

static void setup_pgsql(void)
{
    open_db("pgsql", getenv("AA_TEST_PGSQL_PARAMS"));
}

static void setup_mysql(void)
{
    open_db("mysql", getenv("AA_TEST_MYSQL_PARAMS"));
}

static void teardown(void)
{
    apr_dbd_close(db->driver, db->handle);
    apr_pool_destroy(pool);
}

/* --- records ----------------------------------------------------------------------------- */

static aa_host_t *insert_host(const char *id, const char *status, const char *user_id,
                              apr_int64_t created)
{
    aa_host_t *h = apr_pcalloc(pool, sizeof(*h));

    h->id = id;
    h->name = apr_pstrcat(pool, "host ", id, NULL);
    h->public_key = apr_pstrcat(pool, "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"", id, "\"}",
                                NULL);
    h->key_thumbprint = apr_pstrcat(pool, "tp-", id, NULL);
    h->kid = "";
    h->jwks_url = "";
    h->user_id = user_id;
    h->status = status;
    h->default_capabilities = "[\"weather.get\"]";
    h->created_at = h->updated_at = created;
    ck_assert_msg(aa_store_host_insert(pool, db, h, &errstr) == APR_SUCCESS, "%s", errstr);
    return h;
}

static aa_agent_t *insert_agent(const char *id, const char *host_id, const char *mode,
                                const char *status)
{
    aa_agent_t *a = apr_pcalloc(pool, sizeof(*a));

    a->id = id;
    a->host_id = host_id;
    a->name = apr_pstrcat(pool, "agent ", id, NULL);
    a->mode = mode;
    a->status = status;
    a->user_id = "";
    a->public_key = "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"agent\"}";
    a->key_thumbprint = apr_pstrcat(pool, "tp-", id, NULL);
    a->jwks_url = "";
    a->kid = "k1";
    a->created_at = a->updated_at = NOW - 100;
    ck_assert_msg(aa_store_agent_insert(pool, db, a, &errstr) == APR_SUCCESS, "%s", errstr);
    return a;
}

static void insert_grant(const char *id, const char *agent_id, const char *cap,
                         const char *status, apr_int64_t created)
{
    aa_grant_t *g = apr_pcalloc(pool, sizeof(*g));

    g->id = id;
    g->agent_id = agent_id;
    g->capability = cap;
    g->status = status;
    g->constraints = "";
    g->granted_by = "";
    g->denied_by = "";
    g->reason = "";
    g->created_at = g->updated_at = created;
    ck_assert_msg(aa_store_grant_insert(pool, db, g, &errstr) == APR_SUCCESS, "%s", errstr);
}

static aa_agent_t *get_agent(const char *id)
{
    aa_agent_t *a = NULL;

    ck_assert_msg(aa_store_agent_get(pool, db, id, &a, &errstr) == APR_SUCCESS, "%s", errstr);
    return a;
}

static aa_host_t *get_host(const char *id)
{
    aa_host_t *h = NULL;

    ck_assert_msg(aa_store_host_get(pool, db, id, &h, &errstr) == APR_SUCCESS, "%s", errstr);
    return h;
}

static aa_grant_t *grant_at(const char *agent_id, int i)
{
    apr_array_header_t *grants = NULL;

    ck_assert_int_eq(aa_store_grant_list(pool, db, agent_id, &grants, &errstr), APR_SUCCESS);
    ck_assert_int_gt(grants->nelts, i);
    return APR_ARRAY_IDX(grants, i, aa_grant_t *);
}

/*
 * A pending delegated agent "a1" on a pending, unlinked host "h1", asking for two
 * capabilities, and an open approval for it. Returns the user code.
 */
static const char *open_pending_request(aa_approval_t **approval)
{
    aa_agent_t *agent;
    aa_approval_t *ap = NULL;
    const char *code = NULL;

    insert_host("h1", AA_ST_PENDING, "", NOW - 200);
    agent = insert_agent("a1", "h1", AA_MODE_DELEGATED, AA_ST_PENDING);
    insert_grant("g1", "a1", "weather.get", AA_ST_PENDING, NOW - 100);
    insert_grant("g2", "a1", "files:read", AA_ST_PENDING, NOW - 99);
    ck_assert_msg(aa_ops_approval_open(pool, db, agent, "registration", &policy, NOW, &ap,
                                       &code, &errstr) == APR_SUCCESS,
                  "%s", errstr);
    if (approval)
        *approval = ap;
    return code;
}

/* "ABCD-EFGH" as an operator might type it: "abcdefgh". */
static const char *sloppy(const char *code)
{
    char *s = apr_pstrcat(pool, apr_pstrndup(pool, code, 4), code + 5, NULL);
    char *p;

    for (p = s; *p; p++)
        *p = (char)apr_tolower(*p);
    return s;
}

/* --- schema ------------------------------------------------------------------------------ */

START_TEST(test_schema_version_is_1_after_create)
{
    int version = 0;

    ck_assert_msg(aa_store_schema_version(pool, db, &version, &errstr) == APR_SUCCESS, "%s",
                  errstr);
    ck_assert_int_eq(version, AA_SCHEMA_VERSION);
    ck_assert_int_eq(version, 1);
}
END_TEST

START_TEST(test_schema_version_of_an_empty_database_is_not_found)
{
    int version = -1;

    drop_tables();
    ck_assert_int_eq(aa_store_schema_version(pool, db, &version, &errstr), APR_NOTFOUND);
    ck_assert_int_eq(version, -1);
}
END_TEST

/* --- hosts ------------------------------------------------------------------------------- */

START_TEST(test_host_insert_then_get_returns_every_field)
{
    aa_host_t *in = insert_host("h1", AA_ST_ACTIVE, USER, NOW);
    aa_host_t *out = get_host("h1");

    ck_assert_str_eq(out->id, in->id);
    ck_assert_str_eq(out->name, "host h1");
    ck_assert_str_eq(out->public_key, in->public_key);
    ck_assert_str_eq(out->key_thumbprint, "tp-h1");
    ck_assert_str_eq(out->kid, "");
    ck_assert_str_eq(out->jwks_url, "");
    ck_assert_str_eq(out->user_id, USER);
    ck_assert_str_eq(out->status, AA_ST_ACTIVE);
    ck_assert_str_eq(out->default_capabilities, "[\"weather.get\"]");
    ck_assert_int_eq(out->created_at, NOW);
    ck_assert_int_eq(out->updated_at, NOW);
    ck_assert_int_eq(out->activated_at, 0);
}
END_TEST

START_TEST(test_host_get_of_an_unknown_id_is_not_found)
{
    aa_host_t *h = NULL;

    insert_host("h1", AA_ST_ACTIVE, "", NOW);
    ck_assert_int_eq(aa_store_host_get(pool, db, "h2", &h, &errstr), APR_NOTFOUND);
    ck_assert_ptr_null(h);
}
END_TEST

START_TEST(test_host_insert_with_an_existing_id_fails)
{
    aa_host_t *h = insert_host("h1", AA_ST_ACTIVE, "", NOW);

    errstr = NULL;
    ck_assert_int_eq(aa_store_host_insert(pool, db, h, &errstr), APR_EGENERAL);
    ck_assert_ptr_nonnull(errstr);
    ck_assert_ptr_nonnull(strstr(errstr, "aa_host_insert"));
}
END_TEST

START_TEST(test_host_list_is_in_creation_order)
{
    apr_array_header_t *hosts = NULL;

    insert_host("h-late", AA_ST_ACTIVE, "", NOW + 10);
    insert_host("h-early", AA_ST_PENDING, "", NOW - 10);
    insert_host("h-mid", AA_ST_REVOKED, "", NOW);
    ck_assert_int_eq(aa_store_host_list(pool, db, &hosts, &errstr), APR_SUCCESS);
    ck_assert_int_eq(hosts->nelts, 3);
    ck_assert_str_eq(APR_ARRAY_IDX(hosts, 0, aa_host_t *)->id, "h-early");
    ck_assert_str_eq(APR_ARRAY_IDX(hosts, 1, aa_host_t *)->id, "h-mid");
    ck_assert_str_eq(APR_ARRAY_IDX(hosts, 2, aa_host_t *)->id, "h-late");
    ck_assert_str_eq(APR_ARRAY_IDX(hosts, 2, aa_host_t *)->status, AA_ST_ACTIVE);
}
END_TEST

/* --- agents ------------------------------------------------------------------------------ */

START_TEST(test_agent_insert_then_get_returns_every_field)
{
    aa_agent_t *in, *out;

    insert_host("h1", AA_ST_ACTIVE, "", NOW);
    in = insert_agent("a1", "h1", AA_MODE_AUTONOMOUS, AA_ST_PENDING);
    out = get_agent("a1");
    ck_assert_str_eq(out->id, "a1");
    ck_assert_str_eq(out->host_id, "h1");
    ck_assert_str_eq(out->name, "agent a1");
    ck_assert_str_eq(out->mode, AA_MODE_AUTONOMOUS);
    ck_assert_str_eq(out->status, AA_ST_PENDING);
    ck_assert_str_eq(out->user_id, "");
    ck_assert_str_eq(out->public_key, in->public_key);
    ck_assert_str_eq(out->key_thumbprint, "tp-a1");
    ck_assert_str_eq(out->kid, "k1");
    ck_assert_int_eq(out->created_at, NOW - 100);
    ck_assert_int_eq(out->expires_at, 0);
}
END_TEST

START_TEST(test_agent_find_key_needs_both_host_and_thumbprint)
{
    aa_agent_t *a = NULL;

    insert_host("h1", AA_ST_ACTIVE, "", NOW);
    insert_host("h2", AA_ST_ACTIVE, "", NOW);
    insert_agent("a1", "h1", AA_MODE_DELEGATED, AA_ST_ACTIVE);
    insert_agent("a2", "h2", AA_MODE_DELEGATED, AA_ST_ACTIVE);

    ck_assert_int_eq(aa_store_agent_find_key(pool, db, "h1", "tp-a1", &a, &errstr), APR_SUCCESS);
    ck_assert_str_eq(a->id, "a1");
    a = NULL;
    ck_assert_int_eq(aa_store_agent_find_key(pool, db, "h1", "tp-a2", &a, &errstr), APR_NOTFOUND);
    ck_assert_int_eq(aa_store_agent_find_key(pool, db, "h2", "tp-a1", &a, &errstr), APR_NOTFOUND);
    ck_assert_ptr_null(a);
}
END_TEST

/* --- grants ------------------------------------------------------------------------------ */

START_TEST(test_grant_list_and_active_for)
{
    apr_array_header_t *grants = NULL;

    insert_host("h1", AA_ST_ACTIVE, "", NOW);
    insert_agent("a1", "h1", AA_MODE_DELEGATED, AA_ST_ACTIVE);
    insert_agent("a2", "h1", AA_MODE_DELEGATED, AA_ST_ACTIVE);
    insert_grant("g3", "a1", "weather.get", AA_ST_ACTIVE, NOW + 2);
    insert_grant("g1", "a1", "weather.get", AA_ST_PENDING, NOW);
    insert_grant("g2", "a1", "files:read", AA_ST_ACTIVE, NOW + 1);
    insert_grant("g4", "a2", "weather.get", AA_ST_ACTIVE, NOW);

    ck_assert_int_eq(aa_store_grant_list(pool, db, "a1", &grants, &errstr), APR_SUCCESS);
    ck_assert_int_eq(grants->nelts, 3);
    ck_assert_str_eq(APR_ARRAY_IDX(grants, 0, aa_grant_t *)->id, "g1");
    ck_assert_str_eq(APR_ARRAY_IDX(grants, 1, aa_grant_t *)->id, "g2");
    ck_assert_str_eq(APR_ARRAY_IDX(grants, 2, aa_grant_t *)->id, "g3");
    ck_assert_str_eq(APR_ARRAY_IDX(grants, 0, aa_grant_t *)->status, AA_ST_PENDING);

    ck_assert_int_eq(aa_store_grant_active_for(pool, db, "a1", "weather.get", &grants, &errstr),
                     APR_SUCCESS);
    ck_assert_int_eq(grants->nelts, 1);
    ck_assert_str_eq(APR_ARRAY_IDX(grants, 0, aa_grant_t *)->id, "g3");
    ck_assert_int_eq(aa_store_grant_active_for(pool, db, "a1", "nothing", &grants, &errstr),
                     APR_SUCCESS);
    ck_assert_int_eq(grants->nelts, 0);
}
END_TEST

START_TEST(test_grant_approve_pending_counts_only_pending_rows)
{
    int count = -1;

    insert_host("h1", AA_ST_ACTIVE, "", NOW);
    insert_agent("a1", "h1", AA_MODE_DELEGATED, AA_ST_ACTIVE);
    insert_agent("a2", "h1", AA_MODE_DELEGATED, AA_ST_ACTIVE);
    insert_grant("g1", "a1", "weather.get", AA_ST_PENDING, NOW);
    insert_grant("g2", "a1", "files:read", AA_ST_PENDING, NOW + 1);
    insert_grant("g3", "a1", "mail.send", AA_ST_DENIED, NOW + 2);
    insert_grant("g4", "a2", "weather.get", AA_ST_PENDING, NOW);

    ck_assert_int_eq(aa_store_grant_approve_pending(pool, db, "a1", USER, NOW + 5, &count,
                                                    &errstr),
                     APR_SUCCESS);
    ck_assert_int_eq(count, 2);
    ck_assert_str_eq(grant_at("a1", 0)->status, AA_ST_ACTIVE);
    ck_assert_str_eq(grant_at("a1", 0)->granted_by, USER);
    ck_assert_int_eq(grant_at("a1", 0)->updated_at, NOW + 5);
    ck_assert_str_eq(grant_at("a1", 2)->status, AA_ST_DENIED);
    ck_assert_str_eq(grant_at("a2", 0)->status, AA_ST_PENDING);

    ck_assert_int_eq(aa_store_grant_approve_pending(pool, db, "a1", USER, NOW + 6, &count,
                                                    &errstr),
                     APR_SUCCESS);
    ck_assert_int_eq(count, 0);
}
END_TEST

START_TEST(test_grant_deny_pending_records_who_and_why)
{
    int count = -1;

    insert_host("h1", AA_ST_ACTIVE, "", NOW);
    insert_agent("a1", "h1", AA_MODE_DELEGATED, AA_ST_ACTIVE);
    insert_grant("g1", "a1", "weather.get", AA_ST_PENDING, NOW);
    insert_grant("g2", "a1", "files:read", AA_ST_ACTIVE, NOW + 1);

    ck_assert_int_eq(aa_store_grant_deny_pending(pool, db, "a1", USER, "not today", NOW + 5,
                                                 &count, &errstr),
                     APR_SUCCESS);
    ck_assert_int_eq(count, 1);
    ck_assert_str_eq(grant_at("a1", 0)->status, AA_ST_DENIED);
    ck_assert_str_eq(grant_at("a1", 0)->denied_by, USER);
    ck_assert_str_eq(grant_at("a1", 0)->reason, "not today");
    ck_assert_str_eq(grant_at("a1", 1)->status, AA_ST_ACTIVE);
}
END_TEST

/* --- approvals --------------------------------------------------------------------------- */

START_TEST(test_approval_open_stores_only_the_hash_of_the_user_code)
{
    aa_approval_t *ap = NULL, *stored = NULL;
    const char *code = open_pending_request(&ap);

    ck_assert_ptr_nonnull(aa_user_code_normalize(pool, code));
    ck_assert_str_eq(aa_user_code_normalize(pool, code), code);
    ck_assert_int_eq(strncmp(ap->id, "dc_", 3), 0);
    ck_assert_int_eq(aa_store_approval_get(pool, db, ap->id, &stored, &errstr), APR_SUCCESS);
    ck_assert_str_eq(stored->user_code_hash, aa_sha256_b64url(pool, code, strlen(code)));
    ck_assert_str_ne(stored->user_code_hash, code);
    ck_assert_str_eq(stored->status, AA_AP_PENDING);
    ck_assert_str_eq(stored->agent_id, "a1");
    ck_assert_str_eq(stored->host_id, "h1");
    ck_assert_str_eq(stored->method, AA_METHOD_DEVICE);
    ck_assert_str_eq(stored->kind, "registration");
    ck_assert_str_eq(stored->capabilities, "[\"weather.get\",\"files:read\"]");
    ck_assert_int_eq(stored->created_at, NOW);
    ck_assert_int_eq(stored->expires_at, NOW + policy.ttl);
}
END_TEST

START_TEST(test_approval_lookup_by_code_in_lower_case_without_dash)
{
    aa_approval_t *ap = NULL, *found = NULL;
    const char *code = open_pending_request(&ap);

    ck_assert_int_eq(aa_ops_approval_lookup(pool, db, sloppy(code), &found, &errstr),
                     APR_SUCCESS);
    ck_assert_str_eq(found->id, ap->id);
}
END_TEST

START_TEST(test_approval_lookup_by_device_code)
{
    aa_approval_t *ap = NULL, *found = NULL;

    open_pending_request(&ap);
    ck_assert_int_eq(aa_ops_approval_lookup(pool, db, ap->id, &found, &errstr), APR_SUCCESS);
    ck_assert_str_eq(found->id, ap->id);
}
END_TEST

START_TEST(test_approval_lookup_of_an_unknown_code_is_not_found)
{
    aa_approval_t *found = NULL;

    open_pending_request(NULL);
    ck_assert_int_eq(aa_ops_approval_lookup(pool, db, "ZZZZ-ZZZZ", &found, &errstr),
                     APR_NOTFOUND);
    ck_assert_int_eq(aa_ops_approval_lookup(pool, db, "dc_unknown", &found, &errstr),
                     APR_NOTFOUND);
    ck_assert_ptr_null(found);
}
END_TEST

START_TEST(test_approve_activates_agent_grants_and_host)
{
    aa_resolution_t res;
    aa_approval_t *stored = NULL;
    const char *code = open_pending_request(NULL);
    aa_agent_t *agent;

    ck_assert_msg(aa_ops_approve(pool, db, code, USER, 0, &lifetimes, NOW + 10, &res, &errstr)
                      == APR_SUCCESS,
                  "%s", errstr);
    ck_assert_int_eq(res.grants_changed, 2);

    agent = get_agent("a1");
    ck_assert_str_eq(agent->status, AA_ST_ACTIVE);
    ck_assert_str_eq(agent->user_id, USER);
    ck_assert_int_eq(agent->activated_at, NOW + 10);
    ck_assert_int_eq(agent->expires_at, NOW + 10 + lifetimes.session_ttl);
    ck_assert_str_eq(grant_at("a1", 0)->status, AA_ST_ACTIVE);
    ck_assert_str_eq(grant_at("a1", 1)->status, AA_ST_ACTIVE);
    ck_assert_str_eq(grant_at("a1", 1)->granted_by, USER);
    ck_assert_str_eq(get_host("h1")->status, AA_ST_ACTIVE);
    ck_assert_str_eq(get_host("h1")->user_id, "");

    ck_assert_int_eq(aa_store_approval_get(pool, db, res.approval->id, &stored, &errstr),
                     APR_SUCCESS);
    ck_assert_str_eq(stored->status, AA_AP_APPROVED);
    ck_assert_str_eq(stored->resolved_by, USER);
    ck_assert_int_eq(stored->resolved_at, NOW + 10);
}
END_TEST

START_TEST(test_approve_with_trust_host_links_the_host_to_the_user)
{
    aa_resolution_t res;
    const char *code = open_pending_request(NULL);

    ck_assert_msg(aa_ops_approve(pool, db, sloppy(code), USER, 1, &lifetimes, NOW, &res,
                                 &errstr) == APR_SUCCESS,
                  "%s", errstr);
    ck_assert_str_eq(get_host("h1")->user_id, USER);
    ck_assert_str_eq(get_host("h1")->status, AA_ST_ACTIVE);
    ck_assert_str_eq(get_agent("a1")->status, AA_ST_ACTIVE);
}
END_TEST

START_TEST(test_approving_the_same_code_twice_is_a_conflict)
{
    aa_resolution_t res;
    const char *code = open_pending_request(NULL);

    ck_assert_int_eq(aa_ops_approve(pool, db, code, USER, 0, &lifetimes, NOW, &res, &errstr),
                     APR_SUCCESS);
    ck_assert_int_eq(aa_ops_approve(pool, db, code, USER, 0, &lifetimes, NOW + 1, &res, &errstr),
                     AA_ECONFLICT);
    ck_assert_ptr_nonnull(strstr(errstr, "approved"));
}
END_TEST

START_TEST(test_denying_an_approved_code_is_a_conflict)
{
    aa_resolution_t res;
    const char *code = open_pending_request(NULL);

    ck_assert_int_eq(aa_ops_approve(pool, db, code, USER, 0, &lifetimes, NOW, &res, &errstr),
                     APR_SUCCESS);
    ck_assert_int_eq(aa_ops_deny(pool, db, code, USER, "changed my mind", NOW + 1, &res,
                                 &errstr),
                     AA_ECONFLICT);
    ck_assert_str_eq(get_agent("a1")->status, AA_ST_ACTIVE);
    ck_assert_str_eq(grant_at("a1", 0)->status, AA_ST_ACTIVE);
}
END_TEST

START_TEST(test_approving_an_expired_request_is_a_conflict_and_changes_nothing)
{
    aa_resolution_t res;
    aa_approval_t *ap = NULL, *stored = NULL;
    const char *code = open_pending_request(&ap);

    ck_assert_int_eq(aa_ops_approve(pool, db, code, USER, 1, &lifetimes, ap->expires_at, &res,
                                   &errstr),
                     AA_ECONFLICT);
    ck_assert_ptr_nonnull(strstr(errstr, "expired"));
    ck_assert_str_eq(get_agent("a1")->status, AA_ST_PENDING);
    ck_assert_str_eq(grant_at("a1", 0)->status, AA_ST_PENDING);
    ck_assert_str_eq(get_host("h1")->status, AA_ST_PENDING);
    ck_assert_str_eq(get_host("h1")->user_id, "");
    ck_assert_int_eq(aa_store_approval_get(pool, db, ap->id, &stored, &errstr), APR_SUCCESS);
    ck_assert_str_eq(stored->status, AA_AP_PENDING);
    ck_assert_int_eq(aa_ops_deny(pool, db, code, USER, "late", ap->expires_at + 1, &res,
                                 &errstr),
                     AA_ECONFLICT);
    ck_assert_str_eq(get_agent("a1")->status, AA_ST_PENDING);
}
END_TEST

START_TEST(test_approving_under_a_revoked_host_is_a_conflict_and_changes_nothing)
{
    aa_resolution_t res;
    aa_approval_t *ap = NULL, *stored = NULL;
    const char *code = open_pending_request(&ap);

    ck_assert_int_eq(aa_store_host_set_status(pool, db, "h1", AA_ST_PENDING, AA_ST_REVOKED, 0,
                                              NOW, &errstr),
                     APR_SUCCESS);
    ck_assert_int_eq(aa_ops_approve(pool, db, code, USER, 0, &lifetimes, NOW + 1, &res, &errstr),
                     AA_ECONFLICT);
    ck_assert_int_eq(aa_store_approval_get(pool, db, ap->id, &stored, &errstr), APR_SUCCESS);
    ck_assert_str_eq(stored->status, AA_AP_PENDING);
    ck_assert_str_eq(get_agent("a1")->status, AA_ST_PENDING);
    ck_assert_str_eq(grant_at("a1", 0)->status, AA_ST_PENDING);
}
END_TEST

START_TEST(test_trusting_the_host_of_an_autonomous_agent_is_a_conflict)
{
    aa_resolution_t res;
    aa_agent_t *agent;
    const char *code = NULL;
    aa_approval_t *ap = NULL;

    insert_host("h1", AA_ST_ACTIVE, "", NOW - 200);
    agent = insert_agent("a1", "h1", AA_MODE_AUTONOMOUS, AA_ST_PENDING);
    insert_grant("g1", "a1", "weather.get", AA_ST_PENDING, NOW - 100);
    ck_assert_int_eq(aa_ops_approval_open(pool, db, agent, "registration", &policy, NOW, &ap,
                                          &code, &errstr),
                     APR_SUCCESS);
    ck_assert_int_eq(aa_ops_approve(pool, db, code, USER, 1, &lifetimes, NOW, &res, &errstr),
                     AA_ECONFLICT);
    ck_assert_str_eq(get_host("h1")->user_id, "");
    ck_assert_str_eq(get_agent("a1")->status, AA_ST_PENDING);

    ck_assert_int_eq(aa_ops_approve(pool, db, code, USER, 0, &lifetimes, NOW, &res, &errstr),
                     APR_SUCCESS);
    ck_assert_str_eq(get_agent("a1")->status, AA_ST_ACTIVE);
    ck_assert_str_eq(get_agent("a1")->user_id, "");
    ck_assert_str_eq(get_host("h1")->user_id, "");
}
END_TEST

START_TEST(test_approving_an_unknown_code_is_not_found)
{
    aa_resolution_t res;

    open_pending_request(NULL);
    ck_assert_int_eq(aa_ops_approve(pool, db, "ZZZZ-ZZZZ", USER, 0, &lifetimes, NOW, &res,
                                   &errstr),
                     APR_NOTFOUND);
    ck_assert_int_eq(aa_ops_deny(pool, db, "dc_unknown", USER, "", NOW, &res, &errstr),
                     APR_NOTFOUND);
    ck_assert_str_eq(get_agent("a1")->status, AA_ST_PENDING);
}
END_TEST

START_TEST(test_deny_rejects_the_agent_and_denies_its_grants_with_the_reason)
{
    aa_resolution_t res;
    aa_approval_t *ap = NULL, *stored = NULL;
    const char *code = open_pending_request(&ap);

    ck_assert_msg(aa_ops_deny(pool, db, sloppy(code), USER, "unknown agent", NOW + 3, &res,
                              &errstr) == APR_SUCCESS,
                  "%s", errstr);
    ck_assert_int_eq(res.grants_changed, 2);
    ck_assert_str_eq(get_agent("a1")->status, AA_ST_REJECTED);
    ck_assert_str_eq(grant_at("a1", 0)->status, AA_ST_DENIED);
    ck_assert_str_eq(grant_at("a1", 1)->status, AA_ST_DENIED);
    ck_assert_str_eq(grant_at("a1", 1)->reason, "unknown agent");
    ck_assert_str_eq(grant_at("a1", 1)->denied_by, USER);
    ck_assert_int_eq(aa_store_approval_get(pool, db, ap->id, &stored, &errstr), APR_SUCCESS);
    ck_assert_str_eq(stored->status, AA_AP_DENIED);
    ck_assert_int_eq(aa_ops_approve(pool, db, code, USER, 0, &lifetimes, NOW + 4, &res, &errstr),
                     AA_ECONFLICT);
}
END_TEST

START_TEST(test_a_new_approval_supersedes_the_pending_one)
{
    aa_resolution_t res;
    aa_approval_t *first = NULL, *second = NULL, *stored = NULL;
    const char *code1 = open_pending_request(&first);
    const char *code2 = NULL;

    ck_assert_int_eq(aa_ops_approval_open(pool, db, get_agent("a1"), "registration", &policy,
                                          NOW + 1, &second, &code2, &errstr),
                     APR_SUCCESS);
    ck_assert_str_ne(second->id, first->id);
    ck_assert_int_eq(aa_store_approval_get(pool, db, first->id, &stored, &errstr), APR_SUCCESS);
    ck_assert_str_eq(stored->status, AA_AP_SUPERSEDED);
    ck_assert_int_eq(aa_ops_approve(pool, db, code1, USER, 0, &lifetimes, NOW + 2, &res,
                                   &errstr),
                     AA_ECONFLICT);
    ck_assert_int_eq(aa_ops_approve(pool, db, code2, USER, 0, &lifetimes, NOW + 2, &res,
                                   &errstr),
                     APR_SUCCESS);
}
END_TEST

/* A failure half-way through rolls the whole approval back. */
START_TEST(test_failed_partial_approval_changes_nothing)
{
    apr_array_header_t *only = apr_array_make(pool, 2, sizeof(const char *));
    aa_resolution_t res;
    aa_approval_t *ap = NULL, *stored = NULL;
    const char *code = open_pending_request(&ap);

    APR_ARRAY_PUSH(only, const char *) = "weather.get";
    APR_ARRAY_PUSH(only, const char *) = "not.requested";
    ck_assert_int_eq(aa_ops_approve_some(pool, db, code, USER, 1, only, "partial", &lifetimes,
                                         NOW, &res, &errstr),
                     APR_NOTFOUND);
    ck_assert_int_eq(aa_store_approval_get(pool, db, ap->id, &stored, &errstr), APR_SUCCESS);
    ck_assert_str_eq(stored->status, AA_AP_PENDING);
    ck_assert_str_eq(grant_at("a1", 0)->status, AA_ST_PENDING);
    ck_assert_str_eq(grant_at("a1", 1)->status, AA_ST_PENDING);
    ck_assert_str_eq(get_agent("a1")->status, AA_ST_PENDING);
    ck_assert_str_eq(get_host("h1")->status, AA_ST_PENDING);
    ck_assert_str_eq(get_host("h1")->user_id, "");
}
END_TEST

START_TEST(test_partial_approval_activates_named_grants_and_denies_the_rest)
{
    apr_array_header_t *only = apr_array_make(pool, 1, sizeof(const char *));
    aa_resolution_t res;
    const char *code = open_pending_request(NULL);

    APR_ARRAY_PUSH(only, const char *) = "files:read";
    ck_assert_msg(aa_ops_approve_some(pool, db, code, USER, 0, only, "too broad", &lifetimes,
                                      NOW, &res, &errstr) == APR_SUCCESS,
                  "%s", errstr);
    ck_assert_int_eq(res.grants_changed, 1);
    ck_assert_str_eq(grant_at("a1", 0)->capability, "weather.get");
    ck_assert_str_eq(grant_at("a1", 0)->status, AA_ST_DENIED);
    ck_assert_str_eq(grant_at("a1", 0)->reason, "too broad");
    ck_assert_str_eq(grant_at("a1", 1)->status, AA_ST_ACTIVE);
    ck_assert_str_eq(get_agent("a1")->status, AA_ST_ACTIVE);
}
END_TEST

/* --- suite ------------------------------------------------------------------------------- */

static void add_store_tests(TCase *tc)
{
    tcase_add_test(tc, test_schema_version_is_1_after_create);
    tcase_add_test(tc, test_schema_version_of_an_empty_database_is_not_found);
    tcase_add_test(tc, test_host_insert_then_get_returns_every_field);
    tcase_add_test(tc, test_host_get_of_an_unknown_id_is_not_found);
    tcase_add_test(tc, test_host_insert_with_an_existing_id_fails);
    tcase_add_test(tc, test_host_list_is_in_creation_order);
    tcase_add_test(tc, test_agent_insert_then_get_returns_every_field);
    tcase_add_test(tc, test_agent_find_key_needs_both_host_and_thumbprint);
    tcase_add_test(tc, test_grant_list_and_active_for);
    tcase_add_test(tc, test_grant_approve_pending_counts_only_pending_rows);
    tcase_add_test(tc, test_grant_deny_pending_records_who_and_why);
    tcase_add_test(tc, test_approval_open_stores_only_the_hash_of_the_user_code);
    tcase_add_test(tc, test_approval_lookup_by_code_in_lower_case_without_dash);
    tcase_add_test(tc, test_approval_lookup_by_device_code);
    tcase_add_test(tc, test_approval_lookup_of_an_unknown_code_is_not_found);
    tcase_add_test(tc, test_approve_activates_agent_grants_and_host);
    tcase_add_test(tc, test_approve_with_trust_host_links_the_host_to_the_user);
    tcase_add_test(tc, test_approving_the_same_code_twice_is_a_conflict);
    tcase_add_test(tc, test_denying_an_approved_code_is_a_conflict);
    tcase_add_test(tc, test_approving_an_expired_request_is_a_conflict_and_changes_nothing);
    tcase_add_test(tc, test_approving_under_a_revoked_host_is_a_conflict_and_changes_nothing);
    tcase_add_test(tc, test_trusting_the_host_of_an_autonomous_agent_is_a_conflict);
    tcase_add_test(tc, test_approving_an_unknown_code_is_not_found);
    tcase_add_test(tc, test_deny_rejects_the_agent_and_denies_its_grants_with_the_reason);
    tcase_add_test(tc, test_a_new_approval_supersedes_the_pending_one);
    tcase_add_test(tc, test_failed_partial_approval_changes_nothing);
    tcase_add_test(tc, test_partial_approval_activates_named_grants_and_denies_the_rest);
}

static void add_backend(Suite *s, const char *name, void (*setup)(void))
{
    TCase *tc = tcase_create(name);

    tcase_add_checked_fixture(tc, setup, teardown);
    /* Servers are slower than SQLite in memory: each test rebuilds the schema. */
    tcase_set_timeout(tc, 30);
    add_store_tests(tc);
    suite_add_tcase(s, tc);
}

static Suite *make_suite(void)
{
    Suite *s = suite_create("store");
    const char *pg = getenv("AA_TEST_PGSQL_PARAMS");
    const char *my = getenv("AA_TEST_MYSQL_PARAMS");

    add_backend(s, "sqlite3", setup_sqlite3);
    if (pg && *pg)
        add_backend(s, "pgsql", setup_pgsql);
    if (my && *my)
        add_backend(s, "mysql", setup_mysql);
    return s;
}

AA_CHECK_MAIN(make_suite)
