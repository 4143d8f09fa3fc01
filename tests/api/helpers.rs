//! `TestApp`: a running server and request helpers.

use std::sync::atomic::{AtomicU32, Ordering};

use api::{Application, Options, Settings};
use reqwest::{Method, StatusCode};
use secrecy::SecretString;
use serde_json::{json, Value};

pub const ADMIN: &str = "admin";
pub const ADMIN_PASSWORD: &str = "Province-admin-2026";
pub const STAFF_PASSWORD: &str = "Changed-pass-2026";
pub const JWT_SECRET_B64: &str = "c2FuZGEtdGVzdC1qd3Qtc2VjcmV0LTMyLWJ5dGVzISE=";

static SEQ: AtomicU32 = AtomicU32::new(0);

/// A running server with its own database.
pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub dir: tempfile::TempDir,
    pub database_url: String,
    pub admin_token: String,
}

/// A response: status, headers and JSON body (`Null` when empty or not JSON).
#[derive(Debug)]
pub struct Res {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Res {
    /// Asserts the status and returns the body.
    #[track_caller]
    pub fn expect(self, status: u16) -> Value {
        assert_eq!(self.status.as_u16(), status, "unexpected status; body: {}", self.body);
        self.body
    }

    /// Asserts an error response with this status and code, and returns the body.
    #[track_caller]
    pub fn expect_error(self, status: u16, code: &str) -> Value {
        let body = self.expect(status);
        assert_eq!(body["code"], code, "body: {body}");
        assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()), "no message: {body}");
        body
    }
}

pub fn test_settings(dir: &std::path::Path, database_url: String) -> Settings {
    Settings {
        bind: "127.0.0.1:0".into(),
        data_dir: dir.to_path_buf(),
        evidence_dir: dir.join("evidence"),
        database_url,
        db_pool_size: 4,
        db_burst_connections: 1,
        jwt_secret: Some(SecretString::from(JWT_SECRET_B64)),
        data_key: None,
        access_ttl_secs: 900,
        refresh_ttl_secs: 3600,
        admin_username: ADMIN.into(),
        admin_password: Some(SecretString::from(ADMIN_PASSWORD)),
        province_name: "山东省应急管理厅".into(),
        trust_forwarded_for: true,
        max_body_bytes: 64 * 1024,
        workers: 2,
        face_models_dir: models_dir(),
        face_threshold: api::settings::DEFAULT_FACE_THRESHOLD,
        face_threads: 2,
        face_queue: 8,
        face_verification_ttl_secs: 300,
        answer_grace_secs: 2,
        sweep_interval_secs: 1,
        // Two steps: the shared photos hold a genuine two-step sequence, not a three-step one.
        liveness_steps: 2,
        // Most tests enroll from one photo; the enrollment-liveness tests turn it on.
        liveness_at_enrollment: false,
        // Every second, as the sweeper; the integration tests go faster.
        delivery: api::settings::DeliverySettings {
            interval_ms: 1000,
            timeout_ms: 2000,
            backoff_ms: 200,
            backoff_max_ms: 1000,
            max_tries: 3,
            max_age_secs: 3600,
            lease_secs: 5,
            ca_file: None,
        },
    }
}

/// Where `scripts/fetch-face-models` put the models (`SANDA_FACE_MODELS`, else `data/models`).
pub fn models_dir() -> std::path::PathBuf {
    std::env::var_os("SANDA_FACE_MODELS")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/models"))
}

/// One face engine for the whole suite: loading it takes a while.
pub fn engine() -> std::sync::Arc<face::FaceEngine> {
    static ENGINE: std::sync::OnceLock<std::sync::Arc<face::FaceEngine>> = std::sync::OnceLock::new();
    ENGINE
        .get_or_init(|| {
            std::sync::Arc::new(
                face::FaceEngine::load(&models_dir()).unwrap_or_else(|e| panic!("{e}: run scripts/fetch-face-models")),
            )
        })
        .clone()
}

/// Options that share the suite's face engine.
pub fn options() -> Options {
    Options { demo: false, face_engine: Some(engine()) }
}

/// Drops, once per run, the databases that earlier runs of the suite left behind (named
/// after a process that is gone): every test creates one and keeps it for a post-mortem,
/// and a developer's PostgreSQL would otherwise fill up by a gigabyte a run.
fn drop_leftover_databases(base: &str) {
    use diesel::connection::SimpleConnection;
    use diesel::{Connection, RunQueryDsl};

    #[derive(diesel::QueryableByName)]
    struct Database {
        #[diesel(sql_type = diesel::sql_types::Text)]
        datname: String,
    }

    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let Ok(mut conn) = diesel::PgConnection::establish(base) else { return };
        let Ok(databases) = diesel::sql_query("SELECT datname FROM pg_database WHERE datname LIKE 'sanda\\_t\\_%'")
            .load::<Database>(&mut conn)
        else {
            return;
        };
        for Database { datname } in databases {
            let pid = datname.split('_').nth(2).and_then(|p| p.parse::<u32>().ok());
            let alive = pid.is_some_and(|p| std::path::Path::new(&format!("/proc/{p}")).exists());
            if pid.is_some() && !alive {
                conn.batch_execute(&format!("DROP DATABASE IF EXISTS \"{datname}\" WITH (FORCE)")).ok();
            }
        }
    });
}

/// A fresh database URL: a SQLite file in `dir`, or a new PostgreSQL database.
pub fn fresh_database(dir: &std::path::Path) -> String {
    match std::env::var("TEST_DATABASE_URL").ok().filter(|u| !u.is_empty()) {
        Some(base) => {
            drop_leftover_databases(&base);
            let name = format!("sanda_t_{}_{}", std::process::id(), SEQ.fetch_add(1, Ordering::SeqCst));
            models::db::create_postgres_database(&base, &name).expect("create test database");
            let (prefix, _) = base.rsplit_once('/').expect("TEST_DATABASE_URL needs a database path");
            format!("{prefix}/{name}")
        }
        None => format!("sqlite://{}", dir.join("sanda.db").display()),
    }
}

/// What [`TestApp::two_cities`] creates: 临沂市/兰山区/兰山甲公司 and 济南市/历下区/历下丙公司.
pub struct TwoCities {
    pub province: String,
    pub city_a: String,
    pub county_a: String,
    pub ent_a: String,
    pub city_b: String,
    pub county_b: String,
    pub ent_b: String,
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    pub async fn spawn_with(tweak: impl FnOnce(&mut Settings)) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let database_url = fresh_database(dir.path());
        let mut settings = test_settings(dir.path(), database_url.clone());
        tweak(&mut settings);
        let app = Application::build(settings, options()).await.expect("server starts");
        let base = format!("http://127.0.0.1:{}", app.port());
        actix_web::rt::spawn(app.run_until_stopped());
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
        let mut app = Self { base, client, dir, database_url, admin_token: String::new() };
        app.admin_token =
            app.login(ADMIN, ADMIN_PASSWORD).await.expect(200)["access_token"].as_str().expect("token").to_owned();
        app
    }

    /// The server's cipher (its data key, generated into the data directory), for tests
    /// that call `models` directly.
    pub fn cipher(&self) -> models::Cipher {
        models::Cipher::new(&api::keys::data_key(self.dir.path(), None).expect("data key"))
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Sends a request; `token` as bearer, `body` as JSON.
    pub async fn send(&self, method: Method, path: &str, token: Option<&str>, body: Option<Value>) -> Res {
        let mut req = self.client.request(method, self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        Self::finish(req).await
    }

    pub async fn finish(req: reqwest::RequestBuilder) -> Res {
        let res = req.send().await.expect("request sent");
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.bytes().await.expect("body");
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Res { status, headers, body }
    }

    pub async fn get(&self, path: &str, token: &str) -> Res {
        self.send(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Res {
        self.send(Method::POST, path, Some(token), Some(body)).await
    }

    pub async fn patch(&self, path: &str, token: &str, body: Value) -> Res {
        self.send(Method::PATCH, path, Some(token), Some(body)).await
    }

    pub async fn put(&self, path: &str, token: &str, body: Value) -> Res {
        self.send(Method::PUT, path, Some(token), Some(body)).await
    }

    pub async fn login(&self, username: &str, password: &str) -> Res {
        self.send(Method::POST, "/api/v1/auth/login", None, Some(json!({"username": username, "password": password})))
            .await
    }

    pub async fn province_id(&self) -> String {
        self.get("/api/v1/me", &self.admin_token).await.expect(200)["organization"]["id"]
            .as_str()
            .expect("id")
            .to_owned()
    }

    /// Creates a bureau (city or county) under `parent`; returns its id.
    pub async fn bureau(&self, token: &str, parent: &str, name: &str) -> String {
        let body =
            self.post("/api/v1/organizations", token, json!({"parent_id": parent, "name": name})).await.expect(201);
        body["id"].as_str().expect("id").to_owned()
    }

    /// 临沂市 under the province and 兰山区 under it, created by the province admin; returns
    /// the county's id.
    pub async fn lanshan(&self) -> String {
        let province = self.province_id().await;
        let city = self.bureau(&self.admin_token, &province, "临沂市应急管理局").await;
        self.bureau(&self.admin_token, &city, "兰山区应急管理局").await
    }

    /// Two cities of the province, each with a county and an enterprise, created by the
    /// province admin.
    pub async fn two_cities(&self) -> TwoCities {
        let t = &self.admin_token;
        let province = self.province_id().await;
        let city_a = self.bureau(t, &province, "临沂市应急管理局").await;
        let county_a = self.bureau(t, &city_a, "兰山区应急管理局").await;
        let ent_a = self.enterprise(t, &county_a, "兰山甲公司").await;
        let city_b = self.bureau(t, &province, "济南市应急管理局").await;
        let county_b = self.bureau(t, &city_b, "历下区应急管理局").await;
        let ent_b = self.enterprise(t, &county_b, "历下丙公司").await;
        TwoCities { province, city_a, county_a, ent_a, city_b, county_b, ent_b }
    }

    /// Creates an enterprise under a county; returns its id.
    pub async fn enterprise(&self, token: &str, county: &str, name: &str) -> String {
        let body = self
            .post(
                "/api/v1/organizations",
                token,
                json!({"parent_id": county, "name": name, "credit_code": credit_code(),
                       "industry": "hazardous_chemicals", "size_class": "above_scale",
                       "contact_name": "李四", "contact_phone": "13805391234"}),
            )
            .await
            .expect(201);
        body["id"].as_str().expect("id").to_owned()
    }

    /// An access token of an integration client.
    pub async fn client_token(&self, client_id: &str, secret: &str) -> String {
        let body = json!({"client_id": client_id, "client_secret": secret});
        let tokens = self.send(Method::POST, "/api/v1/auth/client-token", None, Some(body)).await.expect(200);
        tokens["access_token"].as_str().expect("token").to_owned()
    }

    /// The provincial platform as the province admin admits it: its account id and a token.
    pub async fn platform(&self) -> (String, String) {
        let created = self
            .post("/api/v1/integration-clients", &self.admin_token, json!({"name": "省考试平台"}))
            .await
            .expect(201);
        let (client_id, secret) =
            (created["client_id"].as_str().expect("id"), created["client_secret"].as_str().expect("secret"));
        (created["id"].as_str().expect("id").to_owned(), self.client_token(client_id, secret).await)
    }

    /// An integration client in `org`: the API admits them only at the province, so one
    /// further down is written directly, to hold the role to the same jurisdiction rule.
    /// Its account id and a token.
    pub async fn client_in(&self, org: &str) -> (String, String) {
        let (username, secret) = (format!("ic-{}", uuid::Uuid::new_v4().simple()), "Client-secret-2026-abcdef");
        let mut conn = models::DbUrl::parse(&self.database_url).connect().expect("database");
        let new = models::account::NewAccount {
            organization_id: models::OrgId::parse(org).expect("org id"),
            username: username.clone(),
            display_name: "市级对接平台".into(),
            role: exam::Role::IntegrationClient,
            password_hash: api::auth::password::hash(secret).expect("hash"),
            must_change_password: false,
            created_by: None,
        };
        let account = models::account::create(&mut conn, new).expect("account");
        (account.id.to_string(), self.client_token(&username, secret).await)
    }

    /// Creates a staff account, changes its initial password, and returns an access token.
    pub async fn staff(&self, creator: &str, org: &str, role: &str) -> String {
        let username = format!("u{}-{}", SEQ.fetch_add(1, Ordering::SeqCst), role.replace('_', "-"));
        let created = self
            .post(
                "/api/v1/staff-accounts",
                creator,
                json!({"organization_id": org, "username": username, "display_name": "测试员", "role": role}),
            )
            .await
            .expect(201);
        let initial = created["initial_password"].as_str().expect("generated password").to_owned();
        let first = self.login(&username, &initial).await.expect(200);
        assert_eq!(first["must_change_password"], true);
        let changed = self
            .post(
                "/api/v1/me/password",
                first["access_token"].as_str().expect("token"),
                json!({"current_password": initial, "new_password": STAFF_PASSWORD}),
            )
            .await
            .expect(200);
        changed["access_token"].as_str().expect("token").to_owned()
    }
}

/// A fresh, valid unified social credit code.
pub fn credit_code() -> String {
    const A: &[u8] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
    let n = SEQ.fetch_add(1, Ordering::SeqCst) as usize + std::process::id() as usize * 7;
    let mut body = b"91371302MA3".to_vec();
    let mut x = n;
    for _ in 0..6 {
        body.push(A[x % 31]);
        x /= 31;
    }
    let check = exam::credit_code::check_character(&body).expect("alphabet");
    format!("{}{check}", String::from_utf8(body).expect("ascii"))
}

/// A fresh valid resident ID number (born 1990-01-01 in 兰山区, unique per call).
pub fn resident_id() -> String {
    let n = SEQ.fetch_add(1, Ordering::SeqCst) + std::process::id() % 500;
    let body = format!("3713021990{:02}{:02}{:03}", 1 + n / 28 % 12, 1 + n % 28, n % 1000);
    format!("{body}{}", exam::resident_id::check_character(body.as_bytes()).expect("digits"))
}

/// A fresh valid mobile number.
pub fn phone() -> String {
    format!("139{:08}", SEQ.fetch_add(1, Ordering::SeqCst) * 7919 % 100_000_000)
}

pub const WORKER_PASSWORD: &str = "Worker-pass-2026";

impl TestApp {
    /// Issues a registration code for an enterprise; returns it as typed.
    pub async fn code(&self, token: &str, enterprise: &str) -> String {
        let body = self
            .post(
                "/api/v1/registration-codes",
                token,
                json!({"organization_id": enterprise, "label": "测试", "default_role": "other_staff"}),
            )
            .await
            .expect(201);
        body["code"].as_str().expect("code").to_owned()
    }

    /// Registers a worker; returns the raw response.
    pub async fn register(&self, code: &str, name: &str, id: &str, phone: &str, password: &str) -> Res {
        self.send(
            Method::POST,
            "/api/v1/workers/register",
            None,
            Some(json!({"code": code, "name": name, "resident_id": id, "phone": phone, "password": password,
                        "position": "操作工", "face_consent": {"version": "2026-01", "accepted": true}})),
        )
        .await
    }

    /// A registered worker in `enterprise`: (worker id, access token, resident id, phone).
    pub async fn worker(&self, token: &str, enterprise: &str, name: &str) -> (String, String, String, String) {
        let code = self.code(token, enterprise).await;
        let (id, phone) = (resident_id(), phone());
        let body = self.register(&code, name, &id, &phone, WORKER_PASSWORD).await.expect(201);
        (
            body["worker"]["id"].as_str().expect("id").to_owned(),
            body["tokens"]["access_token"].as_str().expect("token").to_owned(),
            id,
            phone,
        )
    }
}
