-- Face templates (never images), one-time verification ids, re-enrollment approvals and
-- the face audit trail.
CREATE TABLE face_templates (
    worker_id TEXT PRIMARY KEY NOT NULL REFERENCES workers (id),
    -- Which model produced the template: never compared across models.
    model_id TEXT NOT NULL,
    -- AES-256-GCM of the 128 little-endian f32 values.
    template_enc BLOB NOT NULL,
    enrolled_at TIMESTAMP NOT NULL
);

CREATE TABLE face_verifications (
    id TEXT PRIMARY KEY NOT NULL,
    worker_id TEXT NOT NULL REFERENCES workers (id),
    score REAL NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    -- Set when an exam start consumes it: each id is good once.
    used_at TIMESTAMP
);
CREATE INDEX face_verifications_worker_idx ON face_verifications (worker_id);

-- An enterprise admin's approval for one re-enrollment.
CREATE TABLE face_reenrollments (
    id TEXT PRIMARY KEY NOT NULL,
    worker_id TEXT NOT NULL REFERENCES workers (id),
    approved_by TEXT NOT NULL REFERENCES accounts (id),
    approved_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);
CREATE INDEX face_reenrollments_worker_idx ON face_reenrollments (worker_id);

-- Who, when, score, decision, device: no image, no template.
CREATE TABLE face_events (
    id TEXT PRIMARY KEY NOT NULL,
    worker_id TEXT NOT NULL REFERENCES workers (id),
    at TIMESTAMP NOT NULL,
    kind TEXT NOT NULL,
    score REAL,
    threshold REAL,
    decision TEXT NOT NULL,
    device TEXT,
    actor_account_id TEXT REFERENCES accounts (id)
);
CREATE INDEX face_events_worker_idx ON face_events (worker_id);
