-- Proctoring: random face checks during the exam, sessions (场次) that candidates are assigned to and proctors watch, the
-- proctor's identity check by ID card in place of the face, flags raised on attempts,
-- every proctor action with who, when and why, and attempts voided for cheating (作弊).

-- A session ends at this time; absent on sessions made before: start + the exam's duration.
ALTER TABLE exam_sessions ADD COLUMN ends_at TIMESTAMP;

CREATE TABLE session_proctors (
    session_id TEXT NOT NULL REFERENCES exam_sessions (id),
    account_id TEXT NOT NULL REFERENCES accounts (id),
    assigned_by TEXT REFERENCES accounts (id),
    assigned_at TIMESTAMP NOT NULL,
    PRIMARY KEY (session_id, account_id)
);
CREATE INDEX session_proctors_account_idx ON session_proctors (account_id);

ALTER TABLE exam_candidates ADD COLUMN session_id TEXT REFERENCES exam_sessions (id);
CREATE INDEX exam_candidates_session_idx ON exam_candidates (session_id);
-- A proctor checked the ID card on site: good for one start without a face check.
ALTER TABLE exam_candidates ADD COLUMN manual_identity_at TIMESTAMP;
ALTER TABLE exam_candidates ADD COLUMN manual_identity_by TEXT REFERENCES accounts (id);
ALTER TABLE exam_candidates ADD COLUMN manual_identity_used_at TIMESTAMP;

-- face | manual: how the candidate's identity was checked at the start.
ALTER TABLE attempts ADD COLUMN identity_method TEXT NOT NULL DEFAULT 'face';
-- Minutes granted beyond the paper's duration for documented device failures.
ALTER TABLE attempts ADD COLUMN extra_minutes INTEGER NOT NULL DEFAULT 0;

-- Something a proctor must look at: a failed or missed face check during the exam.
CREATE TABLE attempt_flags (
    id TEXT PRIMARY KEY NOT NULL,
    attempt_id TEXT NOT NULL REFERENCES attempts (id),
    kind TEXT NOT NULL,
    -- JSON: scores, thresholds, times.
    evidence TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    resolved_at TIMESTAMP,
    resolved_by TEXT REFERENCES accounts (id),
    -- dismissed | confirmed
    resolution TEXT,
    note TEXT
);
CREATE INDEX attempt_flags_attempt_idx ON attempt_flags (attempt_id);

CREATE TABLE proctor_actions (
    id TEXT PRIMARY KEY NOT NULL,
    plan_id TEXT NOT NULL REFERENCES exam_plans (id),
    session_id TEXT REFERENCES exam_sessions (id),
    worker_id TEXT NOT NULL REFERENCES workers (id),
    attempt_id TEXT REFERENCES attempts (id),
    -- identity_confirmed | flag_resolved | cheating | extra_time | moved
    action TEXT NOT NULL,
    reason TEXT NOT NULL,
    -- JSON: what the action changed.
    details TEXT NOT NULL,
    actor_account_id TEXT NOT NULL REFERENCES accounts (id),
    at TIMESTAMP NOT NULL
);
CREATE INDEX proctor_actions_worker_idx ON proctor_actions (plan_id, worker_id);

-- How many random face checks each attempt gets during the exam (0: none).
ALTER TABLE exam_plans ADD COLUMN face_checks INTEGER NOT NULL DEFAULT 2;
-- The earliest face check not yet settled: the save path sees it without a query.
ALTER TABLE attempts ADD COLUMN next_check_at TIMESTAMP;

CREATE TABLE attempt_face_checks (
    id TEXT PRIMARY KEY NOT NULL,
    attempt_id TEXT NOT NULL REFERENCES attempts (id),
    due_at TIMESTAMP NOT NULL,
    -- When the app was first told; it must answer by answer_by.
    notified_at TIMESTAMP,
    answer_by TIMESTAMP,
    answered_at TIMESTAMP,
    -- passed | mismatch | missed | cancelled; null while open.
    outcome TEXT,
    score DOUBLE PRECISION
);
CREATE INDEX attempt_face_checks_attempt_idx ON attempt_face_checks (attempt_id, due_at);
CREATE INDEX attempt_face_checks_answer_by_idx ON attempt_face_checks (outcome, answer_by);
