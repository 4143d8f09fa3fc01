//! The integration suite: the real server on a random port, a fresh database per test —
//! SQLite by default, PostgreSQL when `TEST_DATABASE_URL` points at a server (each test
//! then creates its own database there).

#![expect(clippy::expect_used, clippy::unwrap_used, reason = "a test fails loudly where it cannot continue")]

mod auth;
mod bad_input;
mod binary;
mod crash;
mod exams;
mod face;
mod helpers;
mod integration;
mod jurisdiction;
mod learning;
mod liveness;
mod openapi;
mod ops;
mod organizations;
mod proctoring;
mod registration;
mod reports;
mod schedule;
mod security;
mod staff_accounts;
mod workers;
