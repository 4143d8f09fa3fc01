-- 大学习 and 大培训: the course catalogue, enterprises' learning plans, lesson progress and
-- practice quizzes; training sessions with their attendees and evidence files.

-- Courses kept by a bureau (the province, a city or a county) for the enterprises below it.
-- roles / industries: comma-separated codes they suit; empty for all.
CREATE TABLE courses (
    id TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    title TEXT NOT NULL,
    description TEXT,
    roles TEXT NOT NULL,
    industries TEXT NOT NULL,
    created_by TEXT NOT NULL REFERENCES accounts (id),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX courses_organization_idx ON courses (organization_id);

CREATE TABLE lessons (
    id TEXT PRIMARY KEY NOT NULL,
    course_id TEXT NOT NULL REFERENCES courses (id),
    position INTEGER NOT NULL,
    title TEXT NOT NULL,
    kind TEXT NOT NULL,
    url TEXT NOT NULL,
    duration_secs INTEGER NOT NULL,
    UNIQUE (course_id, position)
);

-- Time credited to a worker on a lesson: never more than the lesson lasts, nor than the
-- time that passed on the server's clock between the worker's reports.
CREATE TABLE lesson_progress (
    worker_id TEXT NOT NULL REFERENCES workers (id),
    lesson_id TEXT NOT NULL REFERENCES lessons (id),
    seconds INTEGER NOT NULL,
    started_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    completed_at TIMESTAMP,
    PRIMARY KEY (worker_id, lesson_id)
);

-- When each worker last reported learning time, on any lesson: the next report is credited
-- at most the time since.
CREATE TABLE learning_clocks (
    worker_id TEXT PRIMARY KEY NOT NULL REFERENCES workers (id),
    reported_at TIMESTAMP NOT NULL
);

CREATE TABLE learning_plans (
    id TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    title TEXT NOT NULL,
    starts_on DATE NOT NULL,
    ends_on DATE NOT NULL,
    created_by TEXT NOT NULL REFERENCES accounts (id),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX learning_plans_organization_idx ON learning_plans (organization_id, starts_on);

-- content: course (course_id), law (law: a category code of the bank's laws) or material
-- (the enterprise's own: title and link). roles and focus: comma-separated codes.
CREATE TABLE learning_plan_items (
    plan_id TEXT NOT NULL REFERENCES learning_plans (id),
    position INTEGER NOT NULL,
    content TEXT NOT NULL,
    course_id TEXT REFERENCES courses (id),
    law TEXT,
    material_title TEXT,
    material_url TEXT,
    roles TEXT NOT NULL,
    focus TEXT NOT NULL,
    starts_on DATE NOT NULL,
    ends_on DATE NOT NULL,
    PRIMARY KEY (plan_id, position)
);

CREATE TABLE practice_sessions (
    id TEXT PRIMARY KEY NOT NULL,
    worker_id TEXT NOT NULL REFERENCES workers (id),
    category TEXT,
    question_count INTEGER NOT NULL,
    started_at TIMESTAMP NOT NULL
);
CREATE INDEX practice_sessions_worker_idx ON practice_sessions (worker_id, started_at);

-- level: company (厂级/公司级) | workshop (车间级) | team (班组级). provider: own | other_enterprise
-- | agency, provider_name naming the other. source: entered | upload (an offline record).
CREATE TABLE training_sessions (
    id TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    level TEXT NOT NULL,
    key_position BOOLEAN NOT NULL,
    topic TEXT NOT NULL,
    trainer TEXT NOT NULL,
    held_on DATE NOT NULL,
    minutes INTEGER NOT NULL,
    provider TEXT NOT NULL,
    provider_name TEXT,
    source TEXT NOT NULL,
    created_by TEXT NOT NULL REFERENCES accounts (id),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX training_sessions_organization_idx ON training_sessions (organization_id, held_on);

CREATE TABLE training_attendees (
    session_id TEXT NOT NULL REFERENCES training_sessions (id),
    worker_id TEXT NOT NULL REFERENCES workers (id),
    PRIMARY KEY (session_id, worker_id)
);
CREATE INDEX training_attendees_worker_idx ON training_attendees (worker_id);

-- Photos and scans of a session, sealed in the evidence store under store_key.
CREATE TABLE training_evidence (
    id TEXT PRIMARY KEY NOT NULL,
    session_id TEXT NOT NULL REFERENCES training_sessions (id),
    file_name TEXT NOT NULL,
    kind TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    store_key TEXT NOT NULL,
    uploaded_by TEXT NOT NULL REFERENCES accounts (id),
    uploaded_at TIMESTAMP NOT NULL
);
CREATE INDEX training_evidence_session_idx ON training_evidence (session_id);

-- The levels each worker has been trained at by their present enterprise (bit 1 厂级/公司级,
-- 2 车间级, 4 班组级), set with their attendance and cleared when they move to another
-- enterprise: the coverage report counts the trained from the covering index alone, as it
-- counts the registered, instead of looking up every attendance of a province's workers.
ALTER TABLE workers ADD COLUMN trained_levels INTEGER NOT NULL DEFAULT 0;
DROP INDEX workers_coverage_idx;
CREATE INDEX workers_coverage_idx ON workers (organization_id, active, face_enrolled, verification, trained_levels);
