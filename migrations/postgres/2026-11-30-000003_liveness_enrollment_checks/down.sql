ALTER TABLE exam_plans DROP COLUMN liveness_in_checks;
DROP INDEX liveness_challenges_face_check_idx;
ALTER TABLE liveness_challenges DROP COLUMN face_check_id;
DROP INDEX liveness_challenges_frames_idx;
ALTER TABLE liveness_challenges DROP COLUMN frames_enc;
