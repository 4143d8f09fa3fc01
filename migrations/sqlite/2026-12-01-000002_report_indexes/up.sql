-- The reports drive from the enterprises of a subtree to their candidates, and from each
-- candidate to its attempt; both lookups read only these indexes.
CREATE INDEX exam_candidates_organization_idx ON exam_candidates (organization_id, plan_id, worker_id);
CREATE INDEX attempts_result_idx ON attempts (plan_id, worker_id, status, started_at, passed);
