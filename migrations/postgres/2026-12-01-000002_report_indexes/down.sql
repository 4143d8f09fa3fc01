DROP INDEX attempts_result_idx;
DROP INDEX exam_candidates_organization_idx;
