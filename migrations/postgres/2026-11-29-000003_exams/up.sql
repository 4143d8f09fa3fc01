-- Question banks with versioned questions, exam plans, candidates, attempts and answers.
CREATE TABLE question_banks (
    id TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    name TEXT NOT NULL,
    created_by TEXT REFERENCES accounts (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (organization_id, name)
);

-- A question's identity; its content lives in versions, and papers point at a version.
CREATE TABLE questions (
    id TEXT PRIMARY KEY NOT NULL,
    bank_id TEXT NOT NULL REFERENCES question_banks (id),
    reference TEXT,
    current_version_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    active BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (bank_id, reference)
);
CREATE INDEX questions_bank_idx ON questions (bank_id, active);

CREATE TABLE question_versions (
    id TEXT PRIMARY KEY NOT NULL,
    question_id TEXT NOT NULL REFERENCES questions (id),
    version INTEGER NOT NULL,
    kind TEXT NOT NULL,
    category TEXT NOT NULL,
    stem TEXT NOT NULL,
    -- JSON array of the options in canonical order.
    options TEXT NOT NULL,
    -- Canonical key: letters ("ACD") or "true"/"false".
    answer TEXT NOT NULL,
    -- Comma-separated codes.
    roles TEXT NOT NULL,
    industries TEXT NOT NULL,
    difficulty TEXT NOT NULL,
    explanation TEXT NOT NULL,
    legal_basis TEXT NOT NULL,
    created_by TEXT REFERENCES accounts (id),
    created_at TIMESTAMP NOT NULL,
    UNIQUE (question_id, version)
);

CREATE TABLE exam_plans (
    id TEXT PRIMARY KEY NOT NULL,
    organizer_id TEXT NOT NULL REFERENCES organizations (id),
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    original_plan_id TEXT REFERENCES exam_plans (id),
    window_start TIMESTAMP NOT NULL,
    window_end TIMESTAMP NOT NULL,
    -- JSON: the registry filter the candidate list was generated from.
    candidate_filter TEXT NOT NULL,
    -- JSON: question count, quotas, points, duration, pass mark.
    blueprint TEXT NOT NULL,
    -- Set once candidates without an attempt were recorded absent (缺考).
    absentees_recorded_at TIMESTAMP,
    created_by TEXT REFERENCES accounts (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX exam_plans_organizer_idx ON exam_plans (organizer_id);
CREATE INDEX exam_plans_original_idx ON exam_plans (original_plan_id);
CREATE INDEX exam_plans_window_idx ON exam_plans (window_end);

CREATE TABLE exam_plan_banks (
    plan_id TEXT NOT NULL REFERENCES exam_plans (id),
    bank_id TEXT NOT NULL REFERENCES question_banks (id),
    PRIMARY KEY (plan_id, bank_id)
);

-- 考试点 and 场次.
CREATE TABLE exam_sessions (
    id TEXT PRIMARY KEY NOT NULL,
    plan_id TEXT NOT NULL REFERENCES exam_plans (id),
    site_name TEXT NOT NULL,
    address TEXT,
    starts_at TIMESTAMP NOT NULL,
    capacity INTEGER NOT NULL
);
CREATE INDEX exam_sessions_plan_idx ON exam_sessions (plan_id);

CREATE TABLE exam_candidates (
    plan_id TEXT NOT NULL REFERENCES exam_plans (id),
    worker_id TEXT NOT NULL REFERENCES workers (id),
    -- The worker's enterprise when added: decides who may see the row.
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    role TEXT NOT NULL,
    absent BOOLEAN NOT NULL,
    added_by TEXT REFERENCES accounts (id),
    added_at TIMESTAMP NOT NULL,
    PRIMARY KEY (plan_id, worker_id)
);
CREATE INDEX exam_candidates_worker_idx ON exam_candidates (worker_id);

CREATE TABLE attempts (
    id TEXT PRIMARY KEY NOT NULL,
    plan_id TEXT NOT NULL REFERENCES exam_plans (id),
    worker_id TEXT NOT NULL REFERENCES workers (id),
    -- in_progress | finished
    status TEXT NOT NULL,
    -- submitted | time_up
    finish_reason TEXT,
    -- Hex of the 32-byte draw seed: the paper can be drawn again from it.
    seed TEXT NOT NULL,
    verification_id TEXT,
    started_at TIMESTAMP NOT NULL,
    deadline TIMESTAMP NOT NULL,
    finished_at TIMESTAMP,
    correct INTEGER,
    score INTEGER,
    passed BOOLEAN,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (plan_id, worker_id)
);
CREATE INDEX attempts_open_idx ON attempts (status, deadline);
CREATE INDEX attempts_worker_idx ON attempts (worker_id);

CREATE TABLE attempt_items (
    attempt_id TEXT NOT NULL REFERENCES attempts (id),
    position INTEGER NOT NULL,
    question_version_id TEXT NOT NULL REFERENCES question_versions (id),
    -- The canonical option shown at each position, as digits ("2031").
    option_order TEXT NOT NULL,
    PRIMARY KEY (attempt_id, position)
);

CREATE TABLE answers (
    attempt_id TEXT NOT NULL REFERENCES attempts (id),
    position INTEGER NOT NULL,
    -- Letters as the candidate saw them; empty when cleared.
    answer TEXT NOT NULL,
    client_seq BIGINT NOT NULL,
    saved_at TIMESTAMP NOT NULL,
    PRIMARY KEY (attempt_id, position)
);
