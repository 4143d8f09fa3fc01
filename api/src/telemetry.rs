//! Logging set-up: human-readable by default, one JSON object per line with
//! `LOG_FORMAT=json`, on standard error. Standard output is kept for what the console
//! must show a person once (a first admin's one-time password, the demo logins), so the
//! two can be routed apart. Request ids come from the request span, so every line logged while
//! serving a request carries it.

use tracing_subscriber::{fmt, prelude::*, EnvFilter};

/// Installs the global subscriber once; later calls (tests) are ignored.
pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let json = std::env::var("LOG_FORMAT").is_ok_and(|v| v.eq_ignore_ascii_case("json"));
    let registry = tracing_subscriber::registry().with(filter);
    let _ = if json {
        registry
            .with(fmt::layer().json().with_current_span(true).with_span_list(true).with_writer(std::io::stderr))
            .try_init()
    } else {
        registry.with(fmt::layer().with_writer(std::io::stderr)).try_init()
    };
}
