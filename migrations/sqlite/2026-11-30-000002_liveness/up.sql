-- Active liveness (活体检测): a random sequence of head movements the worker must follow
-- on camera, passed once for enrollment or for an exam start.
CREATE TABLE liveness_challenges (
    id TEXT PRIMARY KEY NOT NULL,
    worker_id TEXT NOT NULL REFERENCES workers (id),
    -- enroll | exam_start
    purpose TEXT NOT NULL,
    -- The movements, comma-separated (turn_left, turn_right, look_up, look_down).
    steps TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    -- open | passed | failed
    status TEXT NOT NULL,
    -- JSON: the failures, the lowest similarity, the frames' poses; no image, no template.
    outcome TEXT,
    -- Set when an enrollment or exam start used the passed challenge.
    used_at TIMESTAMP
);
CREATE INDEX liveness_challenges_worker_idx ON liveness_challenges (worker_id);

-- Whether the exam start needs a passed liveness challenge besides the face match.
ALTER TABLE exam_plans ADD COLUMN liveness_at_start BOOLEAN NOT NULL DEFAULT TRUE;
