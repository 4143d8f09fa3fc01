DROP TABLE audit_log; DROP TABLE worker_history; DROP TABLE workers; DROP TABLE registration_codes;
