//! Building the server: settings → database and migrations → first-start data → bind.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{web, App, HttpResponse, HttpServer};
use actix_web_prom::PrometheusMetricsBuilder;
use models::{Cipher, DbUrl};
use tracing_actix_web::TracingLogger;
use utoipa::OpenApi;
use utoipa_scalar::{Scalar, Servable};

use crate::auth::tokens::TokenKeys;
use crate::error::{ApiError, Code};
use crate::settings::Settings;
use crate::state::AppState;
use crate::{bootstrap, demo, keys, middleware, openapi, routes};

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Keys(#[from] keys::KeyError),
    #[error("database {url}: {source}")]
    Database {
        url: String,
        #[source]
        source: models::DbError,
    },
    #[error("first-start set-up failed: {0}")]
    Bootstrap(ApiError),
    #[error("cannot listen on {addr}")]
    Bind {
        addr: String,
        #[source]
        source: std::io::Error,
    },
    #[error("metrics: {0}")]
    Metrics(String),
    #[error("face models: {0}")]
    Face(#[from] face::FaceError),
    #[error("start-up task failed")]
    Join(#[from] tokio::task::JoinError),
}

/// What to do beyond serving.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Load (or refresh) the demo data and print the demo logins.
    pub demo: bool,
    /// A face engine already loaded (tests share one); else it is loaded from
    /// `Settings::face_models_dir`.
    pub face_engine: Option<Arc<face::FaceEngine>>,
}

/// The database and keys, ready.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub pool: models::DbPool,
    pub cipher: Cipher,
    pub tokens: TokenKeys,
}

/// Connects, migrates and performs first-start set-up (and the demo data when asked).
/// Blocking.
pub fn prepare(settings: &Settings, options: &Options) -> Result<Prepared, StartupError> {
    if let Err(e) = std::fs::create_dir_all(&settings.data_dir) {
        tracing::warn!(dir = %settings.data_dir.display(), error = %e, "cannot create the data directory");
    }
    let cipher = Cipher::new(&keys::data_key(&settings.data_dir, settings.data_key.as_ref())?);
    let jwt = keys::jwt_key(&settings.data_dir, settings.jwt_secret.as_ref())?;
    let url = DbUrl::parse(&settings.database_url);
    let db_err = |source| StartupError::Database { url: url.redacted(), source };
    let pool = models::db::pool(&url, settings.db_pool_size, Duration::from_secs(5)).map_err(db_err)?;
    let mut conn = models::db::get(&pool).map_err(db_err)?;
    let applied = models::db::migrate(&mut conn).map_err(db_err)?;
    tracing::info!(database = %url.redacted(), migrations_applied = applied.len(), "database ready");
    if let Some(admin) = bootstrap::first_start(&mut conn, &cipher, settings).map_err(StartupError::Bootstrap)? {
        match &admin.generated_password {
            Some(p) => println!(
                "\nFirst start: created province admin `{}` with one-time password: {p}\n(it must be changed at first login; this is the only time it is shown)\n",
                admin.username
            ),
            None => println!("\nFirst start: created province admin `{}` with the password from SANDA_ADMIN_PASSWORD\n", admin.username),
        }
    }
    if options.demo {
        let loaded = demo::load(&mut conn, &cipher, settings).map_err(StartupError::Bootstrap)?;
        demo::print(&loaded);
    }
    drop(conn);
    Ok(Prepared { pool, cipher, tokens: TokenKeys::new(&jwt, settings.access_ttl_secs, settings.refresh_ttl_secs) })
}

/// The face models: given, or loaded from the configured directory (refusing to start
/// when they are missing or not the expected files). Blocking.
pub fn face_engine(settings: &Settings, options: &Options) -> Result<Arc<face::FaceEngine>, StartupError> {
    if let Some(engine) = &options.face_engine {
        return Ok(engine.clone());
    }
    let started = std::time::Instant::now();
    let engine = Arc::new(face::FaceEngine::load(&settings.face_models_dir)?);
    tracing::info!(
        dir = %settings.face_models_dir.display(),
        ms = started.elapsed().as_millis() as u64,
        model = face::MODEL_ID,
        "face models loaded"
    );
    Ok(engine)
}

/// A bound, not yet running server.
pub struct Application {
    server: Server,
    port: u16,
}

impl std::fmt::Debug for Application {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Application").field("port", &self.port).finish_non_exhaustive()
    }
}

async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::new(Code::RouteNotFound))
}

async fn openapi_yaml() -> HttpResponse {
    HttpResponse::Ok().content_type("application/yaml; charset=utf-8").body(openapi::yaml())
}

impl Application {
    pub async fn build(settings: Settings, options: Options) -> Result<Self, StartupError> {
        let (s, o) = (settings.clone(), options.clone());
        let prepared = tokio::task::spawn_blocking(move || prepare(&s, &o)).await??;
        let s = settings.clone();
        let engine = tokio::task::spawn_blocking(move || face_engine(&s, &options)).await??;
        let state = AppState::new(
            prepared.pool,
            prepared.cipher,
            prepared.tokens,
            Arc::new(settings.clone()),
            crate::face_pool::FacePool::new(engine, settings.face_threads, settings.face_queue),
        );
        let listener = TcpListener::bind(&settings.bind)
            .map_err(|source| StartupError::Bind { addr: settings.bind.clone(), source })?;
        let port =
            listener.local_addr().map_err(|source| StartupError::Bind { addr: settings.bind.clone(), source })?.port();
        if settings.sweep_interval_secs > 0 {
            let every = std::time::Duration::from_secs(settings.sweep_interval_secs);
            tokio::spawn(crate::sweeper::run(state.clone(), every));
        }
        if settings.delivery.interval_ms > 0 {
            let every = std::time::Duration::from_millis(settings.delivery.interval_ms);
            tokio::spawn(crate::delivery::run(state.clone(), every));
        }
        let server = run(listener, state, &settings)?;
        tracing::info!(addr = %settings.bind, port, "listening");
        Ok(Self { server, port })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until SIGINT or SIGTERM, then finishes the requests in flight.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

fn run(listener: TcpListener, state: AppState, settings: &Settings) -> Result<Server, StartupError> {
    let metrics = PrometheusMetricsBuilder::new("sanda")
        .endpoint("/metrics")
        .mask_unmatched_patterns("UNMATCHED")
        .build()
        .map_err(|e| StartupError::Metrics(e.to_string()))?;
    let state = web::Data::new(state);
    let max_body = settings.max_body_bytes;
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .app_data(web::PayloadConfig::new(max_body))
            .wrap(from_fn(middleware::language))
            .wrap(from_fn(middleware::request_id))
            .wrap(TracingLogger::default())
            .wrap(metrics.clone())
            .service(routes::resource("/healthz", "GET").route(web::get().to(routes::health::healthz)))
            .service(routes::resource("/readyz", "GET").route(web::get().to(routes::health::readyz)))
            .service(routes::resource("/openapi.yaml", "GET").route(web::get().to(openapi_yaml)))
            // Answered by the metrics middleware; routed so the request is not logged as unknown.
            .service(routes::resource("/metrics", "GET").route(web::get().to(HttpResponse::NotFound)))
            .service(Scalar::with_url("/docs", openapi::ApiDoc::openapi()))
            .configure(routes::configure)
            .default_service(web::to(not_found))
    })
    .workers(settings.workers.max(1))
    .shutdown_timeout(30)
    .listen(listener)
    .map_err(|source| StartupError::Bind { addr: settings.bind.clone(), source })?
    .run();
    Ok(server)
}
