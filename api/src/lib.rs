//! Sanda's HTTP layer: routes, authentication, errors and the OpenAPI contract. Domain
//! rules live in `exam`, storage in `models`; a handler extracts, authorizes, calls them
//! and maps the result to a response.

pub mod auth;
pub mod bootstrap;
pub mod cli;
pub mod delivery;
pub mod demo;
pub mod demo_bank;
pub mod error;
pub mod evidence_store;
pub mod extract;
pub mod face_pool;
pub mod keys;
pub mod middleware;
pub mod openapi;
pub mod papers;
pub mod routes;
pub mod settings;
pub mod startup;
pub mod state;
pub mod sweeper;
pub mod telemetry;

pub use settings::Settings;
pub use startup::{Application, Options};
