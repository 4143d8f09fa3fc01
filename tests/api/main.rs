#![expect(clippy::expect_used, reason = "a test fails loudly where a helper cannot continue")]

//! The integration suite: the real server on a random port, a fresh database per test —
//! SQLite by default, PostgreSQL when `TEST_DATABASE_URL` points at a server (each test
//! then creates its own database there).

mod auth;
mod bad_input;
mod helpers;
mod jurisdiction;
mod openapi;
mod organizations;
mod ops;
mod staff_accounts;
