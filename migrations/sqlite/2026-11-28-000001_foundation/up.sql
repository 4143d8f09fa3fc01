-- The authority hierarchy, accounts, sessions with rotating refresh tokens, and login throttles.
CREATE TABLE organizations (
    id TEXT PRIMARY KEY NOT NULL,
    parent_id TEXT REFERENCES organizations (id),
    level TEXT NOT NULL CHECK (level IN ('province', 'city', 'county', 'enterprise')),
    name TEXT NOT NULL,
    -- '/<root id>/.../<own id>/': the subtree of an organization is every path starting with its own.
    path TEXT NOT NULL UNIQUE,
    division_code TEXT,
    credit_code TEXT UNIQUE,
    industry TEXT,
    size_class TEXT,
    address TEXT,
    contact_name TEXT,
    contact_phone_enc BLOB,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (parent_id, name)
);
CREATE INDEX organizations_parent_idx ON organizations (parent_id);
-- One root (the province): servers starting at once cannot both create it.
CREATE UNIQUE INDEX organizations_single_root ON organizations ((parent_id IS NULL)) WHERE parent_id IS NULL;

CREATE TABLE accounts (
    id TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    -- Raised on password change and deactivation: access tokens carrying an older epoch are refused.
    token_epoch INTEGER NOT NULL DEFAULT 0,
    must_change_password BOOLEAN NOT NULL DEFAULT FALSE,
    created_by TEXT REFERENCES accounts (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    last_login_at TIMESTAMP
);
CREATE INDEX accounts_organization_idx ON accounts (organization_id);

-- One login on one device: a family of refresh tokens, each usable once.
CREATE TABLE sessions (
    id TEXT PRIMARY KEY NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP,
    user_agent TEXT
);
CREATE INDEX sessions_account_idx ON sessions (account_id);

CREATE TABLE refresh_tokens (
    -- SHA-256 of the token: the token itself is never stored.
    token_hash TEXT PRIMARY KEY NOT NULL,
    session_id TEXT NOT NULL REFERENCES sessions (id),
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);
CREATE INDEX refresh_tokens_session_idx ON refresh_tokens (session_id);

-- Failed-login counters per account and per client address (kept as a keyed hash).
CREATE TABLE throttles (
    key TEXT PRIMARY KEY NOT NULL,
    failures INTEGER NOT NULL,
    window_started_at TIMESTAMP NOT NULL,
    blocked_until TIMESTAMP
);
