DROP TABLE throttles; DROP TABLE refresh_tokens; DROP TABLE sessions; DROP TABLE accounts; DROP TABLE organizations;
