/* SPDX-License-Identifier: Apache-2.0 */
/* aa_store_int: the statement machinery shared by aa_store.c and aa_store_db.c. */
#ifndef AA_STORE_INT_H
#define AA_STORE_INT_H

#include "aa_store.h"

/* A parameter for a %lld placeholder. */
#define I64(pool, v) apr_psprintf((pool), "%" APR_INT64_T_FMT, (apr_int64_t)(v))

typedef void *(*row_mapper_fn)(apr_pool_t *pool, const aa_db_t *db, apr_dbd_row_t *row);

/* The driver's text for rc, with the statement label, in pool. */
const char *aa_store_db_error(apr_pool_t *pool, const aa_db_t *db, int rc, const char *label);

/*
 * Run the statement label with nargs text arguments: a query (*nrows set)
 * or, with res, a random-access select. After a failure outside a
 * transaction, the connection is checked, statements are prepared again
 * (a reconnect loses them) and the statement retried once.
 */
apr_status_t aa_store_run(apr_pool_t *pool, aa_db_t *db, const char *label, int nargs,
                          const char **args, int *nrows, apr_dbd_results_t **res,
                          const char **errstr);

/* Select every row through map; *out is an array of the mapped records. */
apr_status_t aa_store_select_rows(apr_pool_t *pool, aa_db_t *db, const char *label, int nargs,
                                  const char **args, row_mapper_fn map,
                                  apr_array_header_t **out, const char **errstr);

/* The first row only; APR_NOTFOUND when there is none. */
apr_status_t aa_store_select_one(apr_pool_t *pool, aa_db_t *db, const char *label, int nargs,
                                 const char **args, row_mapper_fn map, void **out,
                                 const char **errstr);

/* A statement without results; *nrows (may be NULL) gets the rows changed. */
apr_status_t aa_store_exec_rows(apr_pool_t *pool, aa_db_t *db, const char *label, int nargs,
                                const char **args, int *nrows, const char **errstr);

/* Column i of row as text ("" for NULL), copied into pool, or as an integer. */
const char *aa_store_col(apr_pool_t *pool, const aa_db_t *db, apr_dbd_row_t *row, int i);
apr_int64_t aa_store_col_i64(const aa_db_t *db, apr_dbd_row_t *row, int i);

#endif
