DROP TABLE face_events; DROP TABLE face_reenrollments; DROP TABLE face_verifications; DROP TABLE face_templates;
