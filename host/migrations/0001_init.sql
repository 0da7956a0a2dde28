-- Portable between SQLite and PostgreSQL: text, bigint (unix seconds, 0/1 flags), base64 for bytes.

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE tokens (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
);

CREATE TABLE plugins (
    connector_type TEXT PRIMARY KEY,
    sha256 TEXT NOT NULL,
    component TEXT NOT NULL,
    spec TEXT NOT NULL,
    builtin BIGINT NOT NULL,
    approved BIGINT NOT NULL,
    signer TEXT,
    installed_by TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE connectors (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    connector_type TEXT NOT NULL,
    auth_method TEXT NOT NULL,
    resource_type TEXT,
    resource_id TEXT,
    config TEXT NOT NULL,
    description TEXT NOT NULL,
    labels TEXT NOT NULL,
    expiration_seconds BIGINT,
    expires_at BIGINT,
    expires_skew_tolerance BIGINT,
    owner_id TEXT NOT NULL REFERENCES users (id),
    shared BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE secrets (
    connector_id TEXT NOT NULL REFERENCES connectors (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    key_id TEXT NOT NULL,
    sealed TEXT NOT NULL,
    PRIMARY KEY (connector_id, name)
);

CREATE TABLE leases (
    id TEXT PRIMARY KEY,
    connector_id TEXT NOT NULL REFERENCES connectors (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    resource_type TEXT NOT NULL,
    resource_id TEXT,
    scope TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    credential_expires_at BIGINT,
    revoked BIGINT NOT NULL,
    key_id TEXT NOT NULL,
    sealed TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX leases_scope ON leases (scope, revoked, expires_at);

CREATE TABLE audit (
    id TEXT PRIMARY KEY,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    outcome TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX audit_at ON audit (at);
