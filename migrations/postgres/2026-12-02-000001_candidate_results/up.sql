-- What each candidate's exam came to, kept on the candidate row by the transaction that
-- finishes or voids the attempt, so that the reports count candidates (one covering
-- index) instead of joining each of a province's million candidates to its attempt.
--   sat_at: when the finished attempt started (the reports' dates);
--   result: passed | failed | cheating (作弊); none while not sat (缺考 is `absent`);
--   score: none for 作弊.
ALTER TABLE exam_candidates ADD COLUMN sat_at TIMESTAMP, ADD COLUMN result TEXT, ADD COLUMN score INTEGER;

UPDATE exam_candidates
SET sat_at = a.started_at,
    score = a.score,
    result = CASE WHEN a.finish_reason = 'cheating' THEN 'cheating' WHEN a.passed THEN 'passed' ELSE 'failed' END
FROM attempts a
WHERE a.plan_id = exam_candidates.plan_id AND a.worker_id = exam_candidates.worker_id AND a.status = 'finished';

DROP INDEX exam_candidates_organization_idx;
CREATE INDEX exam_candidates_organization_idx
    ON exam_candidates (organization_id, plan_id, worker_id, result, sat_at, absent, score);
-- Only the reports read it, and they no longer join the attempts: one index less to
-- write at every start and hand-in.
DROP INDEX attempts_result_idx;
-- The registration coverage counts a subtree's workers by enterprise from this alone.
CREATE INDEX workers_coverage_idx ON workers (organization_id, active, face_enrolled, verification);
