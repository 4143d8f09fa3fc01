-- Liveness for enrollment and for the random checks during an exam.

-- An enrollment challenge keeps its frames' face embeddings (encrypted, like templates)
-- from the verdict until an enrollment uses it, so the enrolled photo can be checked to be
-- of the person who passed; cleared when used, and by the sweeper once stale.
ALTER TABLE liveness_challenges ADD COLUMN frames_enc BYTEA;
-- The sweeper finds the stale ones through this.
CREATE INDEX liveness_challenges_frames_idx ON liveness_challenges (created_at) WHERE frames_enc IS NOT NULL;
-- A challenge drawn for an in-exam face check answers that check.
ALTER TABLE liveness_challenges ADD COLUMN face_check_id TEXT REFERENCES attempt_face_checks (id);
CREATE INDEX liveness_challenges_face_check_idx ON liveness_challenges (face_check_id);

-- Whether the in-exam face checks are liveness challenges rather than single photos.
ALTER TABLE exam_plans ADD COLUMN liveness_in_checks BOOLEAN NOT NULL DEFAULT TRUE;
