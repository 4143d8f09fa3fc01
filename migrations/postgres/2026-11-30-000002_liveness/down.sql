ALTER TABLE exam_plans DROP COLUMN liveness_at_start;
DROP TABLE liveness_challenges;
