/* SPDX-License-Identifier: Apache-2.0 */
/* aa_store_db: statements, retries after reconnects, rows, schema, transactions. */
#include "aa_store.h"
#include "aa_store_int.h"
#include "aa_sql.h"

#include <apr_strings.h>

#include <string.h>


const char *aa_store_db_error(apr_pool_t *pool, const aa_db_t *db, int rc, const char *label)
{
    const char *text = apr_dbd_error(db->driver, db->handle, rc);

    /* mysql often leaves the text empty; the number still helps. */
    return apr_psprintf(pool, "%s: %s (driver code %d)", label,
                        text && *text ? text : "database error", rc);
}

apr_status_t aa_store_prepare_all(aa_db_t *db, const char **errstr)
{
    const aa_sql_stmt_t *s;

    for (s = aa_sql_statements; s->label; s++) {
        apr_dbd_prepared_t *stmt = NULL;
        int rc = apr_dbd_prepare(db->driver, db->pool, db->handle, s->sql, s->label, &stmt);

        if (rc != 0) {
            *errstr = aa_store_db_error(db->pool, db, rc, s->label);
            return APR_EGENERAL;
        }
        apr_hash_set(db->prepared, s->label, APR_HASH_KEY_STRING, stmt);
    }
    return APR_SUCCESS;
}

/*
 * After a database restart the drivers reconnect silently but lose the
 * server-side statements (pgsql: "prepared statement ... does not exist";
 * mysql: an empty message or "Unknown prepared statement"). Only then is
 * the failed statement prepared again: any other error (a unique key, a
 * lock) would otherwise cost a round trip and connection-pool memory.
 */
static int statement_lost(const aa_db_t *db, int rc)
{
    const char *text = apr_dbd_error(db->driver, db->handle, rc);

    if (strcmp(apr_dbd_name(db->driver), "sqlite3") == 0)
        return 0;
    return !text || !*text || strstr(text, "prepared statement")
           || strstr(text, "Unknown prepared");
}

static apr_dbd_prepared_t *reprepare(aa_db_t *db, const char *label)
{
    const aa_sql_stmt_t *s;
    apr_dbd_prepared_t *stmt = NULL;

    for (s = aa_sql_statements; s->label; s++) {
        if (strcmp(s->label, label) != 0)
            continue;
        if (apr_dbd_prepare(db->driver, db->pool, db->handle, s->sql, s->label, &stmt) != 0)
            return NULL;
        apr_hash_set(db->prepared, s->label, APR_HASH_KEY_STRING, stmt);
        return stmt;
    }
    return NULL;
}

static int run_once(apr_pool_t *pool, aa_db_t *db, apr_dbd_prepared_t *stmt, int nargs,
                    const char **args, int *nrows, apr_dbd_results_t **res)
{
    if (res) {
        *res = NULL;
        return apr_dbd_pselect(db->driver, pool, db->handle, res, stmt, 1, nargs, args);
    }
    return apr_dbd_pquery(db->driver, pool, db->handle, nrows, stmt, nargs, args);
}

apr_status_t aa_store_run(apr_pool_t *pool, aa_db_t *db, const char *label, int nargs,
                        const char **args, int *nrows, apr_dbd_results_t **res,
                        const char **errstr)
{
    apr_dbd_prepared_t *stmt = apr_hash_get(db->prepared, label, APR_HASH_KEY_STRING);
    int rc, ignored = 0;

    if (!stmt) {
        *errstr = apr_psprintf(pool, "statement %s was not prepared", label);
        return APR_EGENERAL;
    }
    if (!nrows)
        nrows = &ignored;
    rc = run_once(pool, db, stmt, nargs, args, nrows, res);
    if (rc == 0)
        return APR_SUCCESS;

    /* Inside a transaction a retry would run outside its atomicity. */
    if (!db->txn && statement_lost(db, rc)
        && apr_dbd_check_conn(db->driver, pool, db->handle) == APR_SUCCESS
        && (stmt = reprepare(db, label)) != NULL) {
        rc = run_once(pool, db, stmt, nargs, args, nrows, res);
        if (rc == 0)
            return APR_SUCCESS;
    }
    *errstr = aa_store_db_error(pool, db, rc, label);
    return APR_EGENERAL;
}

apr_status_t aa_store_select_rows(apr_pool_t *pool, aa_db_t *db, const char *label, int nargs,
                                const char **args, row_mapper_fn map,
                                apr_array_header_t **out, const char **errstr)
{
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    apr_array_header_t *rows;
    apr_status_t rv;
    int i, n;

    rv = aa_store_run(pool, db, label, nargs, args, NULL, &res, errstr);
    if (rv != APR_SUCCESS)
        return rv;
    n = apr_dbd_num_tuples(db->driver, res);
    rows = apr_array_make(pool, n > 0 ? n : 1, sizeof(void *));
    /* Explicit 1-based row numbers: the only form all three drivers honour. */
    for (i = 1; i <= n; i++) {
        if (apr_dbd_get_row(db->driver, pool, res, &row, i) != 0)
            break;
        APR_ARRAY_PUSH(rows, void *) = map(pool, db, row);
    }
    *out = rows;
    return APR_SUCCESS;
}

apr_status_t aa_store_select_one(apr_pool_t *pool, aa_db_t *db, const char *label, int nargs,
                               const char **args, row_mapper_fn map, void **out,
                               const char **errstr)
{
    apr_array_header_t *rows;
    apr_status_t rv = aa_store_select_rows(pool, db, label, nargs, args, map, &rows, errstr);

    if (rv != APR_SUCCESS)
        return rv;
    if (rows->nelts == 0)
        return APR_NOTFOUND;
    *out = APR_ARRAY_IDX(rows, 0, void *);
    return APR_SUCCESS;
}

apr_status_t aa_store_exec_rows(apr_pool_t *pool, aa_db_t *db, const char *label, int nargs,
                              const char **args, int *nrows, const char **errstr)
{
    int ignored = 0;

    return aa_store_run(pool, db, label, nargs, args, nrows ? nrows : &ignored, NULL, errstr);
}

/* Copy: the mysql driver reuses its row buffers on the next fetch. */
const char *aa_store_col(apr_pool_t *pool, const aa_db_t *db, apr_dbd_row_t *row, int i)
{
    const char *v = apr_dbd_get_entry(db->driver, row, i);

    return v ? apr_pstrdup(pool, v) : "";
}

apr_int64_t aa_store_col_i64(const aa_db_t *db, apr_dbd_row_t *row, int i)
{
    const char *v = apr_dbd_get_entry(db->driver, row, i);

    return v ? apr_atoi64(v) : 0;
}

static void *map_version(apr_pool_t *pool, const aa_db_t *db, apr_dbd_row_t *row)
{
    int *v = apr_palloc(pool, sizeof(*v));

    *v = (int)aa_store_col_i64(db, row, 0);
    return v;
}

apr_status_t aa_store_schema_create(apr_pool_t *pool, aa_db_t *db, const char **errstr)
{
    const char *const *ddl = aa_sql_schema(apr_dbd_name(db->driver));
    char *version_row;
    int nrows = 0, rc;

    if (!ddl) {
        *errstr = apr_psprintf(pool, "no schema for driver %s", apr_dbd_name(db->driver));
        return APR_ENOTIMPL;
    }
    for (; *ddl; ddl++) {
        rc = apr_dbd_query(db->driver, db->handle, &nrows, *ddl);
        if (rc != 0) {
            *errstr = aa_store_db_error(pool, db, rc, "schema");
            return APR_EGENERAL;
        }
    }
    version_row = apr_psprintf(pool, "INSERT INTO aa_schema_version (version) VALUES (%d)",
                               AA_SCHEMA_VERSION);
    rc = apr_dbd_query(db->driver, db->handle, &nrows, version_row);
    if (rc != 0) {
        *errstr = aa_store_db_error(pool, db, rc, "schema version");
        return APR_EGENERAL;
    }
    return APR_SUCCESS;
}

apr_status_t aa_store_schema_version(apr_pool_t *pool, aa_db_t *db, int *version,
                                     const char **errstr)
{
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    int rc;

    /* Unprepared: the version table may not exist yet. */
    rc = apr_dbd_select(db->driver, pool, db->handle, &res,
                        "SELECT version FROM aa_schema_version", 1);
    if (rc != 0) {
        *errstr = aa_store_db_error(pool, db, rc, "schema version");
        return APR_NOTFOUND;
    }
    if (apr_dbd_num_tuples(db->driver, res) < 1
        || apr_dbd_get_row(db->driver, pool, res, &row, 1) != 0) {
        *errstr = "the schema version table is empty";
        return APR_NOTFOUND;
    }
    *version = *(int *)map_version(pool, db, row);
    return APR_SUCCESS;
}

apr_status_t aa_store_begin(apr_pool_t *pool, aa_db_t *db, const char **errstr)
{
    int rc = apr_dbd_transaction_start(db->driver, pool, db->handle, &db->txn);

    if (rc != 0) {
        db->txn = NULL;
        *errstr = aa_store_db_error(pool, db, rc, "begin");
        return APR_EGENERAL;
    }
    return APR_SUCCESS;
}

apr_status_t aa_store_end(apr_pool_t *pool, aa_db_t *db, int ok, const char **errstr)
{
    apr_dbd_transaction_t *txn = db->txn;
    int rc;

    if (!txn)
        return APR_SUCCESS;
    db->txn = NULL;
    if (!ok)
        apr_dbd_transaction_mode_set(db->driver, txn, APR_DBD_TRANSACTION_ROLLBACK);
    rc = apr_dbd_transaction_end(db->driver, pool, txn);
    if (rc != 0) {
        *errstr = aa_store_db_error(pool, db, rc, ok ? "commit" : "rollback");
        return APR_EGENERAL;
    }
    return APR_SUCCESS;
}
