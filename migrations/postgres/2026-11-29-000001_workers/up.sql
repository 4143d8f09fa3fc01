-- Registration codes, the worker registry with its history, and the audit log.
CREATE TABLE registration_codes (
    id TEXT PRIMARY KEY NOT NULL,
    code TEXT NOT NULL UNIQUE,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    label TEXT,
    default_role TEXT,
    max_uses INTEGER NOT NULL,
    uses INTEGER NOT NULL DEFAULT 0,
    expires_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP,
    created_by TEXT REFERENCES accounts (id),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX registration_codes_organization_idx ON registration_codes (organization_id);

CREATE TABLE workers (
    id TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    -- Set once the worker has registered in the app (an imported record has none yet).
    account_id TEXT UNIQUE REFERENCES accounts (id),
    name TEXT NOT NULL,
    -- Personal data: AES-256-GCM ciphertext, and a keyed hash for uniqueness and lookup.
    resident_id_enc BYTEA NOT NULL,
    resident_id_index TEXT NOT NULL UNIQUE,
    phone_enc BYTEA,
    phone_index TEXT UNIQUE,
    role TEXT NOT NULL,
    position TEXT,
    status TEXT NOT NULL CHECK (status IN ('pre_registered', 'registered')),
    active BOOLEAN NOT NULL DEFAULT TRUE,
    face_enrolled BOOLEAN NOT NULL DEFAULT FALSE,
    face_consent_version TEXT,
    face_consent_at TIMESTAMP,
    needs_alternative_check BOOLEAN NOT NULL DEFAULT FALSE,
    verification TEXT NOT NULL DEFAULT 'unverified',
    verification_reason TEXT,
    verified_by TEXT REFERENCES accounts (id),
    verified_at TIMESTAMP,
    registered_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX workers_organization_idx ON workers (organization_id);
CREATE INDEX workers_name_idx ON workers (name);

-- Every change of a worker's record: who, when, from where to where, what.
CREATE TABLE worker_history (
    id TEXT PRIMARY KEY NOT NULL,
    worker_id TEXT NOT NULL REFERENCES workers (id),
    at TIMESTAMP NOT NULL,
    actor_account_id TEXT REFERENCES accounts (id),
    kind TEXT NOT NULL,
    from_organization_id TEXT REFERENCES organizations (id),
    to_organization_id TEXT REFERENCES organizations (id),
    -- JSON object of field -> {"from": ..., "to": ...}; personal data only masked.
    changes TEXT NOT NULL
);
CREATE INDEX worker_history_worker_idx ON worker_history (worker_id);

-- Who saw or exported what personal data.
CREATE TABLE audit_log (
    id TEXT PRIMARY KEY NOT NULL,
    at TIMESTAMP NOT NULL,
    actor_account_id TEXT REFERENCES accounts (id),
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    details TEXT NOT NULL
);
CREATE INDEX audit_log_at_idx ON audit_log (at);
