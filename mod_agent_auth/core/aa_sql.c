/* SPDX-License-Identifier: Apache-2.0 */
/*
 * aa_sql: every statement the store runs. The same SQL serves SQLite,
 * PostgreSQL and MySQL/MariaDB: no upserts, no dialect functions, integer
 * parameters typed %lld (PostgreSQL declares %s as varchar), and no NULL
 * parameters (the mysql driver cannot bind them), hence "" and 0 for "none".
 */
#include "aa_sql.h"

#include <string.h>

#define HOST_COLS "id, name, public_key, key_thumbprint, kid, jwks_url, user_id, status, " \
                  "default_capabilities, created_at, updated_at, activated_at, last_used_at"
#define AGENT_COLS "id, host_id, name, mode, status, user_id, public_key, key_thumbprint, " \
                   "jwks_url, kid, created_at, updated_at, activated_at, last_used_at, " \
                   "expires_at"
#define GRANT_COLS "id, agent_id, capability, status, constraints, granted_by, denied_by, " \
                   "reason, expires_at, created_at, updated_at"
#define APPROVAL_COLS "id, agent_id, host_id, method, kind, user_code_hash, status, " \
                      "capabilities, binding_message, created_at, expires_at, resolved_at, " \
                      "resolved_by"

const aa_sql_stmt_t aa_sql_statements[] = {
    { "aa_schema_version_get", "SELECT version FROM aa_schema_version" },

    { "aa_host_get", "SELECT " HOST_COLS " FROM aa_hosts WHERE id = %s" },
    { "aa_host_by_thumbprint",
      "SELECT " HOST_COLS " FROM aa_hosts WHERE key_thumbprint = %s" },
    { "aa_host_by_jwks_url",
      "SELECT " HOST_COLS " FROM aa_hosts WHERE jwks_url = %s AND jwks_url <> ''" },
    { "aa_host_update_key",
      "UPDATE aa_hosts SET public_key = %s, key_thumbprint = %s, kid = %s, updated_at = %lld "
      "WHERE id = %s AND key_thumbprint = %s" },
    { "aa_host_revoke",
      "UPDATE aa_hosts SET status = 'revoked', updated_at = %lld "
      "WHERE id = %s AND status <> 'revoked'" },
    { "aa_host_set_defaults",
      "UPDATE aa_hosts SET default_capabilities = %s, updated_at = %lld WHERE id = %s" },
    { "aa_host_list", "SELECT " HOST_COLS " FROM aa_hosts ORDER BY created_at, id" },
    { "aa_host_insert",
      "INSERT INTO aa_hosts (" HOST_COLS ") VALUES "
      "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %lld, %lld, %lld, %lld)" },
    { "aa_host_set_status",
      "UPDATE aa_hosts SET status = %s, activated_at = %lld, updated_at = %lld "
      "WHERE id = %s AND status = %s" },
    { "aa_host_link",
      "UPDATE aa_hosts SET user_id = %s, updated_at = %lld WHERE id = %s AND user_id = ''" },
    { "aa_host_lock",
      "UPDATE aa_hosts SET updated_at = updated_at WHERE id = %s" },
    { "aa_host_touch",
      "UPDATE aa_hosts SET last_used_at = %lld WHERE id = %s" },

    { "aa_agent_get", "SELECT " AGENT_COLS " FROM aa_agents WHERE id = %s" },
    { "aa_agent_find_key",
      "SELECT " AGENT_COLS " FROM aa_agents WHERE host_id = %s AND key_thumbprint = %s" },
    { "aa_agent_list", "SELECT " AGENT_COLS " FROM aa_agents ORDER BY created_at, id" },
    { "aa_agent_insert",
      "INSERT INTO aa_agents (" AGENT_COLS ") VALUES "
      "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %lld, %lld, %lld, %lld, %lld)" },
    { "aa_agent_set_status",
      "UPDATE aa_agents SET status = %s, user_id = %s, activated_at = %lld, "
      "last_used_at = %lld, expires_at = %lld, updated_at = %lld "
      "WHERE id = %s AND status = %s" },
    { "aa_agent_list_host",
      "SELECT " AGENT_COLS " FROM aa_agents WHERE host_id = %s ORDER BY created_at, id" },
    { "aa_agent_revoke_host",
      "UPDATE aa_agents SET status = 'revoked', updated_at = %lld "
      "WHERE host_id = %s AND status NOT IN ('revoked', 'rejected', 'claimed')" },
    { "aa_agent_update_key",
      "UPDATE aa_agents SET public_key = %s, key_thumbprint = %s, kid = %s, updated_at = %lld "
      "WHERE id = %s" },
    { "aa_agent_touch",
      "UPDATE aa_agents SET last_used_at = %lld, expires_at = %lld WHERE id = %s "
      "AND status = 'active'" },

    { "aa_grant_list",
      "SELECT " GRANT_COLS " FROM aa_grants WHERE agent_id = %s ORDER BY created_at, id" },
    { "aa_grant_active_for",
      "SELECT " GRANT_COLS " FROM aa_grants WHERE agent_id = %s AND capability = %s "
      "AND status = 'active' ORDER BY created_at, id" },
    { "aa_grant_insert",
      "INSERT INTO aa_grants (" GRANT_COLS ") VALUES "
      "(%s, %s, %s, %s, %s, %s, %s, %s, %lld, %lld, %lld)" },
    { "aa_grant_approve_pending",
      "UPDATE aa_grants SET status = 'active', granted_by = %s, updated_at = %lld "
      "WHERE agent_id = %s AND status = 'pending'" },
    { "aa_grant_set_status",
      "UPDATE aa_grants SET status = %s, granted_by = %s, denied_by = %s, reason = %s, "
      "updated_at = %lld WHERE id = %s AND status = %s" },
    { "aa_grant_revoke_agent",
      "UPDATE aa_grants SET status = 'revoked', updated_at = %lld "
      "WHERE agent_id = %s AND status IN ('active', 'pending')" },
    { "aa_grant_revoke_host",
      "UPDATE aa_grants SET status = 'revoked', updated_at = %lld "
      "WHERE status IN ('active', 'pending') AND agent_id IN "
      "(SELECT id FROM aa_agents WHERE host_id = %s)" },
    { "aa_grant_deny_pending",
      "UPDATE aa_grants SET status = 'denied', denied_by = %s, reason = %s, "
      "updated_at = %lld WHERE agent_id = %s AND status = 'pending'" },

    { "aa_approval_get", "SELECT " APPROVAL_COLS " FROM aa_approvals WHERE id = %s" },
    { "aa_approval_by_code",
      "SELECT " APPROVAL_COLS " FROM aa_approvals WHERE user_code_hash = %s" },
    { "aa_approval_list_pending",
      "SELECT " APPROVAL_COLS " FROM aa_approvals WHERE status = 'pending' "
      "ORDER BY created_at, id" },
    { "aa_approval_insert",
      "INSERT INTO aa_approvals (" APPROVAL_COLS ") VALUES "
      "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %lld, %lld, %lld, %s)" },
    { "aa_approval_resolve",
      "UPDATE aa_approvals SET status = %s, resolved_at = %lld, resolved_by = %s "
      "WHERE id = %s AND status = 'pending'" },
    { "aa_approval_supersede",
      "UPDATE aa_approvals SET status = 'superseded', resolved_at = %lld "
      "WHERE agent_id = %s AND status = 'pending'" },

    { "aa_approval_expire_due",
      "UPDATE aa_approvals SET status = 'expired', resolved_at = %lld "
      "WHERE status = 'pending' AND expires_at <= %lld" },
    { "aa_approval_purge",
      "DELETE FROM aa_approvals WHERE status <> 'pending' AND created_at < %lld" },
    { "aa_agent_purge_pending_grants",
      "DELETE FROM aa_grants WHERE agent_id IN "
      "(SELECT id FROM aa_agents WHERE status = 'pending' AND updated_at < %lld)" },
    { "aa_agent_purge_pending_approvals",
      "DELETE FROM aa_approvals WHERE agent_id IN "
      "(SELECT id FROM aa_agents WHERE status = 'pending' AND updated_at < %lld)" },
    { "aa_agent_purge_pending",
      "DELETE FROM aa_agents WHERE status = 'pending' AND updated_at < %lld" },
    { "aa_host_purge_pending",
      "DELETE FROM aa_hosts WHERE status = 'pending' AND created_at < %lld "
      "AND id NOT IN (SELECT host_id FROM aa_agents)" },
    { "aa_grant_revoke_one",
      "UPDATE aa_grants SET status = 'revoked', updated_at = %lld "
      "WHERE agent_id = %s AND capability = %s AND status IN ('active', 'pending')" },
    { "aa_host_unlink",
      "UPDATE aa_hosts SET user_id = '', updated_at = %lld WHERE id = %s AND user_id <> ''" },
    { "aa_grant_revoke_delegated",
      "UPDATE aa_grants SET status = 'revoked', updated_at = %lld "
      "WHERE status IN ('active', 'pending') AND agent_id IN "
      "(SELECT id FROM aa_agents WHERE host_id = %s AND mode = 'delegated')" },
    { "aa_agent_revoke_delegated",
      "UPDATE aa_agents SET status = 'revoked', updated_at = %lld "
      "WHERE host_id = %s AND mode = 'delegated' "
      "AND status NOT IN ('revoked', 'rejected', 'claimed')" },
    { "aa_approval_supersede_delegated",
      "UPDATE aa_approvals SET status = 'superseded', resolved_at = %lld "
      "WHERE status = 'pending' AND agent_id IN "
      "(SELECT id FROM aa_agents WHERE host_id = %s AND mode = 'delegated')" },
    { "aa_approval_supersede_host",
      "UPDATE aa_approvals SET status = 'superseded', resolved_at = %lld "
      "WHERE host_id = %s AND status = 'pending'" },

    { NULL, NULL }
};

/*
 * One DDL text serves all three: BIGINT and VARCHAR mean the same to each,
 * and TEXT columns are never indexed (MySQL would need a prefix length).
 * MySQL tables use a binary collation: ids, thumbprints and URLs must
 * compare byte for byte, as they do in SQLite and PostgreSQL.
 */
#define DDL_HOSTS(suffix)                                                      \
    "CREATE TABLE aa_hosts (\n"                                                \
    "    id VARCHAR(64) NOT NULL PRIMARY KEY,\n"                               \
    "    name VARCHAR(200) NOT NULL,\n"                                        \
    "    public_key TEXT NOT NULL,\n"                                          \
    "    key_thumbprint VARCHAR(64) NOT NULL,\n"                               \
    "    kid VARCHAR(255) NOT NULL,\n"                                         \
    "    jwks_url VARCHAR(2048) NOT NULL,\n"                                   \
    "    user_id VARCHAR(255) NOT NULL,\n"                                     \
    "    status VARCHAR(16) NOT NULL,\n"                                       \
    "    default_capabilities TEXT NOT NULL,\n"                                \
    "    created_at BIGINT NOT NULL,\n"                                        \
    "    updated_at BIGINT NOT NULL,\n"                                        \
    "    activated_at BIGINT NOT NULL,\n"                                      \
    "    last_used_at BIGINT NOT NULL\n"                                       \
    ")" suffix

#define DDL_AGENTS(suffix)                                                     \
    "CREATE TABLE aa_agents (\n"                                               \
    "    id VARCHAR(64) NOT NULL PRIMARY KEY,\n"                               \
    "    host_id VARCHAR(64) NOT NULL,\n"                                      \
    "    name VARCHAR(200) NOT NULL,\n"                                        \
    "    mode VARCHAR(16) NOT NULL,\n"                                         \
    "    status VARCHAR(16) NOT NULL,\n"                                       \
    "    user_id VARCHAR(255) NOT NULL,\n"                                     \
    "    public_key TEXT NOT NULL,\n"                                          \
    "    key_thumbprint VARCHAR(64) NOT NULL,\n"                               \
    "    jwks_url VARCHAR(2048) NOT NULL,\n"                                   \
    "    kid VARCHAR(255) NOT NULL,\n"                                         \
    "    created_at BIGINT NOT NULL,\n"                                        \
    "    updated_at BIGINT NOT NULL,\n"                                        \
    "    activated_at BIGINT NOT NULL,\n"                                      \
    "    last_used_at BIGINT NOT NULL,\n"                                      \
    "    expires_at BIGINT NOT NULL\n"                                         \
    ")" suffix

#define DDL_GRANTS(suffix)                                                     \
    "CREATE TABLE aa_grants (\n"                                               \
    "    id VARCHAR(64) NOT NULL PRIMARY KEY,\n"                               \
    "    agent_id VARCHAR(64) NOT NULL,\n"                                     \
    "    capability VARCHAR(255) NOT NULL,\n"                                  \
    "    status VARCHAR(16) NOT NULL,\n"                                       \
    "    constraints TEXT NOT NULL,\n"                                         \
    "    granted_by VARCHAR(255) NOT NULL,\n"                                  \
    "    denied_by VARCHAR(255) NOT NULL,\n"                                   \
    "    reason TEXT NOT NULL,\n"                                              \
    "    expires_at BIGINT NOT NULL,\n"                                        \
    "    created_at BIGINT NOT NULL,\n"                                        \
    "    updated_at BIGINT NOT NULL\n"                                         \
    ")" suffix

#define DDL_APPROVALS(suffix)                                                  \
    "CREATE TABLE aa_approvals (\n"                                            \
    "    id VARCHAR(64) NOT NULL PRIMARY KEY,\n"                               \
    "    agent_id VARCHAR(64) NOT NULL,\n"                                     \
    "    host_id VARCHAR(64) NOT NULL,\n"                                      \
    "    method VARCHAR(32) NOT NULL,\n"                                       \
    "    kind VARCHAR(16) NOT NULL,\n"                                         \
    "    user_code_hash VARCHAR(64) NOT NULL,\n"                               \
    "    status VARCHAR(16) NOT NULL,\n"                                       \
    "    capabilities TEXT NOT NULL,\n"                                        \
    "    binding_message TEXT NOT NULL,\n"                                     \
    "    created_at BIGINT NOT NULL,\n"                                        \
    "    expires_at BIGINT NOT NULL,\n"                                        \
    "    resolved_at BIGINT NOT NULL,\n"                                       \
    "    resolved_by VARCHAR(255) NOT NULL\n"                                  \
    ")" suffix

#define DDL_INDEXES                                                                  \
    "CREATE INDEX aa_hosts_thumbprint ON aa_hosts (key_thumbprint)",                 \
    "CREATE UNIQUE INDEX aa_agents_host ON aa_agents (host_id, key_thumbprint)",     \
    "CREATE INDEX aa_grants_agent ON aa_grants (agent_id, capability)",              \
    "CREATE INDEX aa_approvals_code ON aa_approvals (user_code_hash)",               \
    "CREATE INDEX aa_approvals_agent ON aa_approvals (agent_id, status)",            \
    "CREATE TABLE aa_schema_version (version BIGINT NOT NULL)"

static const char *const schema_generic[] = {
    DDL_HOSTS(""), DDL_AGENTS(""), DDL_GRANTS(""), DDL_APPROVALS(""), DDL_INDEXES, NULL
};

static const char *const schema_mysql[] = {
    DDL_HOSTS(" ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin"),
    DDL_AGENTS(" ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin"),
    DDL_GRANTS(" ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin"),
    DDL_APPROVALS(" ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin"),
    DDL_INDEXES,
    NULL
};

const char *const *aa_sql_schema(const char *driver)
{
    if (strcmp(driver, "sqlite3") == 0 || strcmp(driver, "pgsql") == 0)
        return schema_generic;
    if (strcmp(driver, "mysql") == 0)
        return schema_mysql;
    return NULL;
}
