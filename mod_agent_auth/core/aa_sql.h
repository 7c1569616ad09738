/* SPDX-License-Identifier: Apache-2.0 */
/* aa_sql: statement labels, their SQL (one text for every driver) and the schema. */
#ifndef AA_SQL_H
#define AA_SQL_H

#define AA_SCHEMA_VERSION 1

typedef struct {
    const char *label; /* aa_<object>_<verb>; also the PostgreSQL statement name */
    const char *sql;   /* apr_dbd placeholders: %s text, %lld bigint */
} aa_sql_stmt_t;

/* All prepared statements, terminated by a {NULL, NULL} row. */
extern const aa_sql_stmt_t aa_sql_statements[];

/*
 * The schema for driver ("sqlite3", "pgsql" or "mysql") as a NULL-terminated
 * list of DDL statements, or NULL for an unknown driver. The files under sql/
 * hold the same text for administrators.
 */
const char *const *aa_sql_schema(const char *driver);

#endif
