DROP INDEX workers_coverage_idx;
CREATE INDEX attempts_result_idx ON attempts (plan_id, worker_id, status, started_at, passed);
DROP INDEX exam_candidates_organization_idx;
CREATE INDEX exam_candidates_organization_idx ON exam_candidates (organization_id, plan_id, worker_id);
ALTER TABLE exam_candidates DROP COLUMN score;
ALTER TABLE exam_candidates DROP COLUMN result;
ALTER TABLE exam_candidates DROP COLUMN sat_at;
