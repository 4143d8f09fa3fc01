-- The provincial platform integration (成绩上传).
--
-- The outbox: every result and registry change is written here in the same transaction
-- as the change itself. Rows are inserted without a position; one sequencer at a time
-- (an advisory lock on PostgreSQL, the write lock on SQLite) gives committed rows the
-- next positions in id order, so a reader going by position never skips a row that
-- commits late. The content is personal data, encrypted like every such column.
CREATE TABLE integration_events (
    id BIGSERIAL PRIMARY KEY,
    -- The event's UUID: stable, the receiver's idempotency key.
    event_id TEXT NOT NULL UNIQUE,
    -- attempt.graded | makeup.graded | attempt.voided | candidate.absent |
    -- worker.registered | worker.changed
    kind TEXT NOT NULL,
    -- The attempt, or the worker (registry events and absentees).
    subject_id TEXT NOT NULL,
    -- The materialized path of the worker's enterprise, for subtree scoping.
    org_path TEXT NOT NULL,
    -- JSON, AES-256-GCM.
    payload_enc BYTEA NOT NULL,
    created_at TIMESTAMP NOT NULL,
    -- 1, 2, 3 … once sequenced; gapless.
    position BIGINT UNIQUE
);
CREATE INDEX integration_events_unsequenced_idx ON integration_events (id) WHERE position IS NULL;

-- Where the platform wants events pushed, per integration client (whose organization's
-- subtree bounds what it is sent), and how far delivery has come.
CREATE TABLE integration_webhooks (
    id TEXT PRIMARY KEY NOT NULL,
    client_account_id TEXT NOT NULL REFERENCES accounts (id),
    url TEXT NOT NULL,
    -- The signing secret, encrypted; shown once when the webhook is created.
    secret_enc BYTEA NOT NULL,
    active BOOLEAN NOT NULL,
    created_by TEXT REFERENCES accounts (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    -- The position up to which every event is delivered or dead-lettered.
    delivered_through BIGINT NOT NULL DEFAULT 0,
    -- Failed tries of the next event, when the next try is due, and why the last failed.
    tries INTEGER NOT NULL DEFAULT 0,
    next_try_at TIMESTAMP,
    last_error TEXT,
    last_delivered_at TIMESTAMP,
    -- The server delivering for this webhook, until when.
    lease_owner TEXT,
    lease_until TIMESTAMP
);

-- Events a webhook gave up on after the bounded tries (or age); delivery went on without
-- them. A province admin may send one again (status retrying, then delivered or dead).
CREATE TABLE integration_dead_letters (
    id TEXT PRIMARY KEY NOT NULL,
    webhook_id TEXT NOT NULL REFERENCES integration_webhooks (id),
    event_seq BIGINT NOT NULL REFERENCES integration_events (id),
    -- dead | retrying | delivered
    status TEXT NOT NULL,
    tries INTEGER NOT NULL,
    last_error TEXT NOT NULL,
    dead_at TIMESTAMP NOT NULL,
    next_try_at TIMESTAMP,
    retried_at TIMESTAMP,
    retried_by TEXT REFERENCES accounts (id),
    delivered_at TIMESTAMP,
    UNIQUE (webhook_id, event_seq)
);
CREATE INDEX integration_dead_letters_status_idx ON integration_dead_letters (status, next_try_at);
