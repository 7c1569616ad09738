-- SPDX-License-Identifier: Apache-2.0
-- mod_agent_auth schema for sqlite3 (version 1).
-- aactl schema create runs the same statements.

CREATE TABLE aa_hosts (
    id VARCHAR(64) NOT NULL PRIMARY KEY,
    name VARCHAR(200) NOT NULL,
    public_key TEXT NOT NULL,
    key_thumbprint VARCHAR(64) NOT NULL,
    kid VARCHAR(255) NOT NULL,
    jwks_url VARCHAR(2048) NOT NULL,
    user_id VARCHAR(255) NOT NULL,
    status VARCHAR(16) NOT NULL,
    default_capabilities TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    activated_at BIGINT NOT NULL,
    last_used_at BIGINT NOT NULL
);

CREATE TABLE aa_agents (
    id VARCHAR(64) NOT NULL PRIMARY KEY,
    host_id VARCHAR(64) NOT NULL,
    name VARCHAR(200) NOT NULL,
    mode VARCHAR(16) NOT NULL,
    status VARCHAR(16) NOT NULL,
    user_id VARCHAR(255) NOT NULL,
    public_key TEXT NOT NULL,
    key_thumbprint VARCHAR(64) NOT NULL,
    jwks_url VARCHAR(2048) NOT NULL,
    kid VARCHAR(255) NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    activated_at BIGINT NOT NULL,
    last_used_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE TABLE aa_grants (
    id VARCHAR(64) NOT NULL PRIMARY KEY,
    agent_id VARCHAR(64) NOT NULL,
    capability VARCHAR(255) NOT NULL,
    status VARCHAR(16) NOT NULL,
    constraints TEXT NOT NULL,
    granted_by VARCHAR(255) NOT NULL,
    denied_by VARCHAR(255) NOT NULL,
    reason TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE aa_approvals (
    id VARCHAR(64) NOT NULL PRIMARY KEY,
    agent_id VARCHAR(64) NOT NULL,
    host_id VARCHAR(64) NOT NULL,
    method VARCHAR(32) NOT NULL,
    kind VARCHAR(16) NOT NULL,
    user_code_hash VARCHAR(64) NOT NULL,
    status VARCHAR(16) NOT NULL,
    capabilities TEXT NOT NULL,
    binding_message TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    resolved_at BIGINT NOT NULL,
    resolved_by VARCHAR(255) NOT NULL
);

CREATE INDEX aa_hosts_thumbprint ON aa_hosts (key_thumbprint);

CREATE UNIQUE INDEX aa_agents_host ON aa_agents (host_id, key_thumbprint);

CREATE INDEX aa_grants_agent ON aa_grants (agent_id, capability);

CREATE INDEX aa_approvals_code ON aa_approvals (user_code_hash);

CREATE INDEX aa_approvals_agent ON aa_approvals (agent_id, status);

CREATE TABLE aa_schema_version (version BIGINT NOT NULL);

INSERT INTO aa_schema_version (version) VALUES (1);
