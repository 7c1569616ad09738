/* SPDX-License-Identifier: Apache-2.0 */
/* aa_dbd: mod_dbd glue: statement preparation and the per-request handle. */
#include "aa_module.h"

#include "http_log.h"
#include "mod_dbd.h"

#include "core/aa_sql.h"

APLOG_USE_MODULE(agent_auth);

static APR_OPTIONAL_FN_TYPE(ap_dbd_prepare) *dbd_prepare;
static APR_OPTIONAL_FN_TYPE(ap_dbd_acquire) *dbd_acquire;

/* How often to ask mod_dbd again when a pooled connection proves dead. */
#define AA_DBD_ACQUIRE_TRIES 3

/*
 * NB: must run before mod_dbd's own post_config, which opens the pools and
 * prepares what was registered here on every new connection.
 */
apr_status_t aa_dbd_post_config(apr_pool_t *pconf, server_rec *s)
{
    const aa_sql_stmt_t *stmt;

    (void)pconf;
    dbd_prepare = APR_RETRIEVE_OPTIONAL_FN(ap_dbd_prepare);
    dbd_acquire = APR_RETRIEVE_OPTIONAL_FN(ap_dbd_acquire);
    if (!dbd_prepare || !dbd_acquire) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, AALOGNO(00006)
                     "mod_agent_auth needs mod_dbd: LoadModule dbd_module and set "
                     "DBDriver/DBDParams");
        return APR_EGENERAL;
    }
    for (stmt = aa_sql_statements; stmt->label; stmt++)
        dbd_prepare(s, stmt->sql, stmt->label);
    return APR_SUCCESS;
}

aa_db_t *aa_dbd_acquire(request_rec *r)
{
    ap_dbd_t *dbd = NULL;
    aa_req_t *req;
    aa_db_t *db;
    int tries;

    /* A NULL is not cached: asking again hands out another connection. */
    for (tries = 0; !dbd && tries < AA_DBD_ACQUIRE_TRIES; tries++)
        dbd = dbd_acquire ? dbd_acquire(r) : NULL;
    if (!dbd) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, AALOGNO(00007)
                      "no database connection from mod_dbd (is the schema created, with "
                      "aactl schema create? for SQLite, may httpd's User write the "
                      "database's directory? see mod_dbd's errors above)");
        return NULL;
    }
    /* mod_dbd hands a request one connection; one aa_db_t for it lets
     * every caller see the same open transaction. */
    req = aa_req(r);
    if (req->db && req->db->handle == dbd->handle)
        return req->db;
    db = apr_pcalloc(r->pool, sizeof(*db));
    db->driver = dbd->driver;
    db->handle = dbd->handle;
    db->pool = dbd->pool;
    db->prepared = dbd->prepared;
    req->db = db;
    return db;
}
