//! The reports at provincial scale (issue 8): a generator for a whole campaign's data, then
//! each report timed over HTTP.
//!
//!     cargo run -p api --release --example report_bench -- \
//!         [--workers 1000000] [--enterprises 20000] [--database-url URL] [--reps 5] \
//!         [--only REPORT]
//!
//! Runs the server's start-up (migrations, the province and its admin) on a fresh SQLite
//! file in a temporary directory, or on `--database-url`: an empty PostgreSQL database, or a
//! SQLite path to keep the file. Then it seeds straight through diesel, in multi-row
//! inserts, a few thousand workers per transaction: Shandong's 16 cities and 136 counties;
//! the enterprises over them (12 industries, skewed towards commerce and machinery; a
//! quarter above scale); the workers, about 50 per enterprise and skewed (one or two
//! principals, a few safety managers, the rest other staff; ~90% with a face enrolled, ~60%
//! verified), each with a login account, resident ID and phone sealed and indexed as
//! `models::worker` does; and the campaign's exams: an all-staff exam per enterprise, a
//! principals' exam per county (below-scale enterprises), the province's unified exam
//! (above-scale), each with finished attempts (~85% pass, 2% absent, 0.2% voided for
//! cheating) and a makeup for those who did not pass (~70% pass). Not seeded, since no
//! report reads them: papers and answers, question banks, face templates, worker history.
//! The seeding ends with the planner statistics a running server has: `models::db::optimize`
//! on SQLite (what start-up and the sweeper run), `VACUUM ANALYZE` on PostgreSQL (what
//! autovacuum does after such inserts). A database seeded by an earlier run is measured as
//! it is (the data key is fixed for that).
//!
//! Then it starts the real server in-process, logs in as the province admin and times each
//! report `--reps` times for the province, the city with the most enterprises and that
//! city's largest county, and prints median, max and response size (uncompressed). The
//! client shares the machine with the server.

#![expect(clippy::expect_used, clippy::unwrap_used, reason = "a benchmark stops where it cannot continue")]

use std::sync::{mpsc, OnceLock};
use std::time::Instant;

use api::settings::Settings;
use api::startup::{Application, Options};
use base64::Engine as _;
use chrono::{Duration, NaiveDate, NaiveDateTime};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use exam::plan::PlanKind;
use exam::{Industry, MobilePhone, ResidentId, Role, WorkerRole};
use models::schema::workers as w;
use models::schema::{accounts as ac, attempts as a, exam_candidates as c, exam_plans as p, organizations as o};
use models::{AccountId, AttemptId, Backend, Cipher, DbConn, DbError, OrgId, PlanId, WorkerId};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use secrecy::SecretString;
use serde_json::Value;

/// The server binary's allocator, so that the reports are measured as the server runs them.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

const ADMIN_PASSWORD: &str = "Bench-admin-2026";
const PASSWORD: &str = "Worker-pass-2026";
/// Fixed, so that a database seeded by an earlier run still opens.
const DATA_KEY: &[u8; 32] = b"sanda-report-bench-data-key-32b!";
/// The contexts `models::worker` seals a resident ID and a phone with (its constants are private).
const ID_CONTEXT: &str = "workers.resident_id";
const PHONE_CONTEXT: &str = "workers.phone";
/// 1,000 rows of the widest table (workers, 24 columns) stay under SQLite's 32,766 parameters.
const ROWS_PER_INSERT: usize = 1000;
/// About five rows each: the account, the record, candidacies and attempts.
const WORKERS_PER_TRANSACTION: usize = 2000;
const TARGET_MS: f64 = 2000.0;

/// Shandong's cities: name, division code, counties (136 in all).
const CITIES: [(&str, &str, usize); 16] = [
    ("济南市", "3701", 12),
    ("青岛市", "3702", 10),
    ("淄博市", "3703", 8),
    ("枣庄市", "3704", 6),
    ("东营市", "3705", 5),
    ("烟台市", "3706", 11),
    ("潍坊市", "3707", 12),
    ("济宁市", "3708", 11),
    ("泰安市", "3709", 6),
    ("威海市", "3710", 4),
    ("日照市", "3711", 4),
    ("临沂市", "3713", 12),
    ("德州市", "3714", 11),
    ("聊城市", "3715", 8),
    ("滨州市", "3716", 7),
    ("菏泽市", "3717", 9),
];
/// Enterprises per hundred, by industry.
const INDUSTRIES: [(Industry, u32); 12] = [
    (Industry::Commerce, 24),
    (Industry::Machinery, 16),
    (Industry::Other, 14),
    (Industry::LightIndustry, 10),
    (Industry::BuildingMaterials, 8),
    (Industry::HazardousChemicals, 7),
    (Industry::Textile, 7),
    (Industry::Metallurgy, 5),
    (Industry::NonFerrous, 4),
    (Industry::NonCoalMining, 3),
    (Industry::Fireworks, 1),
    (Industry::Tobacco, 1),
];
const SURNAMES: &str = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎潘杜戴夏钟田任姜范方石姚谭邹金陆孔白崔康孟秦";
const GIVEN: &str = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂文辉建华玉红梅志海燕鹏飞国庆春雷晓东";
const PHONE_PREFIXES: [&str; 20] = [
    "138", "139", "137", "135", "150", "151", "152", "158", "159", "186", "187", "188", "131", "132", "155", "156",
    "133", "153", "180", "189",
];

struct Args {
    workers: usize,
    enterprises: usize,
    database_url: Option<String>,
    reps: usize,
    /// Measures only the reports whose label starts with this (`failures xlsx`).
    only: Option<String>,
}

impl Args {
    fn parse() -> Self {
        let mut args = Args { workers: 1_000_000, enterprises: 20_000, database_url: None, reps: 5, only: None };
        let mut it = std::env::args().skip(1);
        while let Some(flag) = it.next() {
            let value = it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
            let number = || value.replace('_', "").parse::<usize>().unwrap_or_else(|_| panic!("{flag}: {value:?}"));
            match flag.as_str() {
                "--workers" => args.workers = number(),
                "--enterprises" => args.enterprises = number(),
                "--reps" => args.reps = number().max(1),
                "--database-url" => args.database_url = Some(value),
                "--only" => args.only = Some(value),
                _ => panic!("unknown argument {flag} (see the top of api/examples/report_bench.rs)"),
            }
        }
        assert!(args.workers >= 3 * args.enterprises, "at least 3 workers per enterprise");
        args
    }
}

// Rows as inserted.
struct OrgRow {
    id: String,
    parent: String,
    level: &'static str,
    name: String,
    path: String,
    division: String,
    credit: Option<String>,
    industry: Option<&'static str>,
    size: Option<&'static str>,
}
struct AccountRow {
    id: String,
    org: String,
    username: String,
    name: String,
    role: Role,
    at: NaiveDateTime,
}
struct WorkerRow {
    id: String,
    org: String,
    account: String,
    name: String,
    resident_id: (Vec<u8>, String),
    phone: (Vec<u8>, String),
    role: WorkerRole,
    position: Option<&'static str>,
    consent: bool,
    face: bool,
    verification: &'static str,
    verified_by: Option<String>,
    /// Levels trained at (bits of `workers.trained_levels`).
    trained: i32,
    at: NaiveDateTime,
}
#[derive(Clone)]
struct PlanRow {
    id: String,
    organizer: String,
    kind: PlanKind,
    name: String,
    original: Option<String>,
    start: NaiveDateTime,
    end: NaiveDateTime,
    filter: String,
    by: String,
    at: NaiveDateTime,
}
struct CandidateRow {
    plan: String,
    worker: String,
    org: String,
    role: WorkerRole,
    absent: bool,
    by: String,
    at: NaiveDateTime,
    /// The outcome, as `models::attempt` writes it when the attempt finishes.
    sat: Option<NaiveDateTime>,
    result: Option<&'static str>,
    score: Option<i32>,
}
struct AttemptRow {
    id: String,
    plan: String,
    worker: String,
    reason: &'static str,
    seed: String,
    started: NaiveDateTime,
    finished: NaiveDateTime,
    score: Option<i32>,
    identity: &'static str,
}

/// What one transaction writes, parents before children.
#[derive(Default)]
struct Batch {
    orgs: Vec<OrgRow>,
    accounts: Vec<AccountRow>,
    workers: Vec<WorkerRow>,
    plans: Vec<PlanRow>,
    candidates: Vec<CandidateRow>,
    attempts: Vec<AttemptRow>,
}

/// Multi-row INSERTs. Diesel's `MultiConnection` has no batch insert (SQLite's VALUES lists
/// take no DEFAULT), so each backend's own connection runs them.
macro_rules! insert_all {
    ($conn:ident, $table:path, $rows:expr, |$r:ident| $values:expr) => {
        for part in $rows.chunks(ROWS_PER_INSERT) {
            match &mut *$conn {
                DbConn::Sqlite(c) => {
                    diesel::insert_into($table).values(part.iter().map(|$r| $values).collect::<Vec<_>>()).execute(c)?
                }
                DbConn::Postgres(c) => {
                    diesel::insert_into($table).values(part.iter().map(|$r| $values).collect::<Vec<_>>()).execute(c)?
                }
            };
        }
    };
}

/// Writes a batch in one transaction: a worker's rows are there all or not at all.
fn write(conn: &mut DbConn, b: &Batch, password_hash: &str, blueprint: &str) -> Result<(), DbError> {
    let pass_mark = i32::from(exam::paper::Blueprint::default().pass_mark);
    let duration = Duration::minutes(exam::paper::Blueprint::default().duration_minutes.into());
    let at = epoch() - Duration::days(60);
    models::db::write_transaction(conn, |conn| {
        insert_all!(conn, o::table, b.orgs, |r| (
            (o::id.eq(&r.id), o::parent_id.eq(&r.parent), o::level.eq(r.level), o::name.eq(&r.name)),
            (o::path.eq(&r.path), o::division_code.eq(&r.division), o::credit_code.eq(&r.credit)),
            (o::industry.eq(r.industry), o::size_class.eq(r.size), o::created_at.eq(at), o::updated_at.eq(at)),
        ));
        insert_all!(conn, ac::table, b.accounts, |r| (
            (ac::id.eq(&r.id), ac::organization_id.eq(&r.org), ac::username.eq(&r.username)),
            (ac::display_name.eq(&r.name), ac::role.eq(r.role.as_str()), ac::password_hash.eq(password_hash)),
            (ac::active.eq(true), ac::token_epoch.eq(0), ac::must_change_password.eq(false)),
            (ac::created_at.eq(r.at), ac::updated_at.eq(r.at)),
        ));
        insert_all!(conn, w::table, b.workers, |r| (
            (w::id.eq(&r.id), w::organization_id.eq(&r.org), w::account_id.eq(&r.account), w::name.eq(&r.name)),
            (w::resident_id_enc.eq(&r.resident_id.0), w::resident_id_index.eq(&r.resident_id.1)),
            (w::phone_enc.eq(&r.phone.0), w::phone_index.eq(&r.phone.1)),
            (w::role.eq(r.role.as_str()), w::position.eq(r.position), w::status.eq("registered"), w::active.eq(true)),
            (w::face_enrolled.eq(r.face), w::face_consent_version.eq(r.consent.then_some("2026-01"))),
            (w::face_consent_at.eq(r.consent.then_some(r.at)), w::needs_alternative_check.eq(!r.consent)),
            (w::verification.eq(r.verification), w::verified_by.eq(&r.verified_by)),
            w::verification_reason.eq((r.verification == "flagged").then_some("姓名与身份证号待核实")),
            w::verified_at.eq(r.verified_by.as_ref().map(|_| r.at + Duration::days(3))),
            w::trained_levels.eq(r.trained),
            (w::registered_at.eq(r.at), w::created_at.eq(r.at), w::updated_at.eq(r.at)),
        ));
        insert_all!(conn, p::table, b.plans, |r| (
            (p::id.eq(&r.id), p::organizer_id.eq(&r.organizer), p::kind.eq(r.kind.as_str()), p::name.eq(&r.name)),
            (p::original_plan_id.eq(&r.original), p::window_start.eq(r.start), p::window_end.eq(r.end)),
            (p::candidate_filter.eq(&r.filter), p::blueprint.eq(blueprint)),
            // As the sweeper records them once the window closed.
            (p::absentees_recorded_at.eq(r.end + Duration::minutes(1)), p::created_by.eq(&r.by)),
            (p::created_at.eq(r.at), p::updated_at.eq(r.at), p::face_checks.eq(2)),
            (p::liveness_at_start.eq(true), p::liveness_in_checks.eq(true)),
        ));
        insert_all!(conn, c::table, b.candidates, |r| (
            (c::plan_id.eq(&r.plan), c::worker_id.eq(&r.worker), c::organization_id.eq(&r.org)),
            (c::role.eq(r.role.as_str()), c::absent.eq(r.absent), c::added_by.eq(&r.by), c::added_at.eq(r.at)),
            (c::sat_at.eq(r.sat), c::result.eq(r.result), c::score.eq(r.score)),
        ));
        insert_all!(conn, a::table, b.attempts, |r| (
            (a::id.eq(&r.id), a::plan_id.eq(&r.plan), a::worker_id.eq(&r.worker), a::status.eq("finished")),
            (a::finish_reason.eq(r.reason), a::seed.eq(&r.seed), a::started_at.eq(r.started)),
            (a::deadline.eq(r.started + duration), a::finished_at.eq(r.finished), a::correct.eq(r.score)),
            (a::score.eq(r.score), a::passed.eq(r.score.is_some_and(|s| s >= pass_mark))),
            (a::updated_at.eq(r.finished), a::identity_method.eq(r.identity), a::extra_minutes.eq(0)),
        ));
        Ok(())
    })
}

/// Eight weeks ago at midnight UTC: the bureaus set up, workers register in the month
/// before, then five weeks of enterprise exams, the principals' exams and the makeups,
/// all over by last week.
fn epoch() -> NaiveDateTime {
    static EPOCH: OnceLock<NaiveDateTime> = OnceLock::new();
    *EPOCH.get_or_init(|| (models::now().date() - Duration::weeks(8)).and_hms_opt(0, 0, 0).unwrap())
}

/// A bureau (city or county) or an enterprise, with the account that acts for it.
struct Unit {
    id: String,
    path: String,
    name: String,
    division: String,
    admin: String,
}

struct Enterprise {
    unit: Unit,
    county: usize,
    above_scale: bool,
    workers: usize,
}

/// A candidate as an exam sees them.
#[derive(Clone)]
struct Sitter {
    worker: String,
    org: String,
    role: WorkerRole,
    face: bool,
}

struct Generator {
    rng: StdRng,
    cipher: Cipher,
    surnames: Vec<char>,
    given: Vec<char>,
    people: usize,
}

impl Generator {
    fn pick<T: Copy>(&mut self, weighted: &[(T, u32)]) -> T {
        let mut n = self.rng.gen_range(0..weighted.iter().map(|(_, w)| w).sum::<u32>());
        for (t, w) in weighted {
            if n < *w {
                return *t;
            }
            n -= w;
        }
        unreachable!()
    }

    fn unit(&mut self, parent: &Unit, level: &'static str, name: String, division: String, out: &mut Batch) -> Unit {
        let id = OrgId::new().to_string();
        let path = format!("{}{id}/", parent.path);
        let admin = AccountId::new().to_string();
        let role = match level {
            "city" => Role::CityAdmin,
            "county" => Role::CountyAdmin,
            _ => Role::EnterpriseAdmin,
        };
        let username = format!("{level}.{}", out.orgs.len());
        let at = epoch() - Duration::days(60);
        out.accounts
            .push(AccountRow { id: admin.clone(), org: id.clone(), username, name: "管理员".into(), role, at });
        out.orgs.push(OrgRow {
            id: id.clone(),
            parent: parent.id.clone(),
            level,
            name: name.clone(),
            path: path.clone(),
            division: division.clone(),
            credit: None,
            industry: None,
            size: None,
        });
        Unit { id, path, name, division, admin }
    }

    /// The cities, counties and enterprises, with each one's admin account.
    fn hierarchy(
        &mut self,
        province: &Unit,
        enterprises: usize,
        workers: usize,
    ) -> (Vec<Unit>, Vec<Enterprise>, Batch) {
        let mut out = Batch::default();
        let mut counties = Vec::new();
        for (city_name, code, n) in CITIES {
            let city = self.unit(province, "city", format!("{city_name}应急管理局"), format!("{code}00"), &mut out);
            for k in 1..=n {
                let name = format!("{city_name}第{k}县区应急管理局");
                counties.push(self.unit(&city, "county", name, format!("{code}{k:02}"), &mut out));
            }
        }
        // Some counties have far more enterprises than others.
        let county_weights: Vec<(usize, u32)> = (0..counties.len()).map(|i| (i, self.rng.gen_range(50..150))).collect();
        let mut list: Vec<Enterprise> = Vec::with_capacity(enterprises);
        let mut weights = Vec::with_capacity(enterprises);
        for i in 0..enterprises {
            let county = self.pick(&county_weights);
            let industry = self.pick(&INDUSTRIES);
            let above_scale = self.rng.gen_bool(0.25);
            let code17 = format!("91{}MA{i:07}", counties[county].division);
            let credit = format!("{code17}{}", exam::credit_code::check_character(code17.as_bytes()).unwrap());
            let city: String = counties[county].name.chars().take(2).collect();
            let name = format!("山东{city}{i:05}号{}有限公司", industry.label_zh());
            let division = counties[county].division.clone();
            let unit = self.unit(&counties[county], "enterprise", name, division, &mut out);
            let row = out.orgs.last_mut().unwrap();
            row.credit = Some(credit);
            row.industry = Some(industry.as_str());
            row.size = Some(if above_scale { "above_scale" } else { "below_scale" });
            weights.push(self.lognormal(0.9) * if above_scale { 3.0 } else { 1.0 });
            list.push(Enterprise { unit, county, above_scale, workers: 3 });
        }
        // At least three each (a principal, a safety manager, one more); the rest by weight.
        let (total, spare) = (weights.iter().sum::<f64>(), (workers - 3 * enterprises) as f64);
        for (e, weight) in list.iter_mut().zip(weights) {
            e.workers += (spare * weight / total) as usize;
        }
        let short = workers - list.iter().map(|e| e.workers).sum::<usize>();
        for k in 0..short {
            list[k % enterprises].workers += 1;
        }
        (counties, list, out)
    }

    fn lognormal(&mut self, sigma: f64) -> f64 {
        let (u, v): (f64, f64) = (self.rng.gen_range(f64::EPSILON..1.0), self.rng.gen());
        (sigma * (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()).exp()
    }

    /// A valid, distinct resident ID (born 1966-2005, in the county) and mobile number.
    fn person(&mut self, region: &str) -> (ResidentId, MobilePhone) {
        let n = self.people;
        self.people += 1;
        let born = NaiveDate::from_ymd_opt(1966, 1, 1).unwrap() + Duration::days((n % 14_600 * 7_919 % 14_600) as i64);
        let body = format!("{region}{}{:03}", born.format("%Y%m%d"), n / 14_600);
        let id = format!("{body}{}", exam::resident_id::check_character(body.as_bytes()).unwrap());
        let phone = format!("{}{:08}", PHONE_PREFIXES[n % 20], (n / 20 * 7_654_321 + 12_345_678) % 100_000_000);
        (ResidentId::parse(&id).unwrap(), MobilePhone::parse(&phone).unwrap())
    }

    fn worker(&mut self, e: &Enterprise, role: WorkerRole, verifier: &str, out: &mut Batch) -> Sitter {
        let (resident_id, phone) = self.person(&e.unit.division);
        let surname = self.surnames[self.rng.gen_range(0..self.surnames.len())];
        let given: String =
            (0..self.rng.gen_range(1..=2)).map(|_| self.given[self.rng.gen_range(0..self.given.len())]).collect();
        let name = format!("{surname}{given}");
        let at = epoch() - Duration::minutes(self.rng.gen_range(0..30 * 24 * 60));
        let consent = self.rng.gen_bool(0.97);
        let face = consent && self.rng.gen_bool(0.93);
        let verification = match self.rng.gen_range(0..100) {
            0..60 => "verified",
            60 => "flagged",
            _ => "unverified",
        };
        let positions: &[&str] = match role {
            WorkerRole::Principal => &["董事长", "总经理", "法定代表人"],
            WorkerRole::SafetyManager => &["安全总监", "安全科长", "专职安全员"],
            WorkerRole::OtherStaff => &["操作工", "电工", "焊工", "叉车司机", "仓库管理员", "销售员", "维修工", ""],
        };
        let position = Some(positions[self.rng.gen_range(0..positions.len())]).filter(|p| !p.is_empty());
        let (id, account) = (WorkerId::new().to_string(), AccountId::new().to_string());
        let username = format!("w.{}", uuid::Uuid::now_v7().simple());
        out.accounts.push(AccountRow {
            id: account.clone(),
            org: e.unit.id.clone(),
            username,
            name: name.clone(),
            role: Role::Worker,
            at,
        });
        out.workers.push(WorkerRow {
            id: id.clone(),
            org: e.unit.id.clone(),
            account,
            name,
            resident_id: (
                self.cipher.encrypt(ID_CONTEXT, resident_id.expose()),
                models::worker::resident_id_index(&self.cipher, &resident_id),
            ),
            phone: (
                self.cipher.encrypt(PHONE_CONTEXT, phone.expose()),
                models::worker::phone_index(&self.cipher, &phone),
            ),
            role,
            position,
            consent,
            face,
            verification,
            verified_by: (verification == "verified").then(|| verifier.to_owned()),
            // Most trained at company level, fewer at workshop and team level.
            trained: [(1, 0.9), (2, 0.75), (4, 0.6)]
                .iter()
                .filter(|(_, p)| self.rng.gen_bool(*p))
                .map(|(bit, _)| bit)
                .sum(),
            at,
        });
        Sitter { worker: id, org: e.unit.id.clone(), role, face }
    }

    /// A plan opened `day` days after the epoch, `from` to `to` hours into the day (UTC).
    fn plan(kind: PlanKind, organizer: &Unit, name: String, day: i64, (from, to): (i64, i64)) -> PlanRow {
        let start = epoch() + Duration::days(day) + Duration::minutes(from * 60 + 30);
        PlanRow {
            id: PlanId::new().to_string(),
            organizer: organizer.id.clone(),
            kind,
            name,
            original: None,
            start,
            end: epoch() + Duration::days(day) + Duration::minutes(to * 60 + 30),
            filter: serde_json::to_string(&kind.default_filter()).unwrap(),
            by: organizer.admin.clone(),
            at: start - Duration::days(14),
        }
    }

    /// The exam with its attempts, and a week later its makeup for those who did not pass.
    fn exam(&mut self, plan: PlanRow, sitters: &[Sitter], out: &mut Batch) {
        let failed = self.sit(&plan, sitters, 0.02, 0.85, out);
        let makeup = PlanRow {
            id: PlanId::new().to_string(),
            kind: PlanKind::Makeup,
            name: format!("{}（补考）", plan.name),
            original: Some(plan.id.clone()),
            start: plan.start + Duration::weeks(1),
            end: plan.end + Duration::weeks(1),
            at: plan.end + Duration::hours(1),
            ..plan.clone()
        };
        out.plans.push(plan);
        if !failed.is_empty() {
            self.sit(&makeup, &failed, 0.03, 0.70, out);
            out.plans.push(makeup);
        }
    }

    /// Seats the candidates with their finished attempts; returns those who did not pass.
    fn sit(&mut self, plan: &PlanRow, sitters: &[Sitter], absent: f64, pass: f64, out: &mut Batch) -> Vec<Sitter> {
        let mut failed = Vec::new();
        let span = (plan.end - plan.start).num_minutes() - 60;
        for s in sitters {
            let r: f64 = self.rng.gen();
            let mut candidate = CandidateRow {
                plan: plan.id.clone(),
                worker: s.worker.clone(),
                org: s.org.clone(),
                role: s.role,
                absent: r < absent,
                by: plan.by.clone(),
                at: plan.at,
                sat: None,
                result: None,
                score: None,
            };
            if r < absent {
                out.candidates.push(candidate);
                failed.push(s.clone());
                continue;
            }
            let started = plan.start + Duration::minutes(self.rng.gen_range(0..span));
            let (reason, score, minutes) = if r < absent + 0.002 {
                ("cheating", None, self.rng.gen_range(10..50))
            } else {
                let score =
                    if self.rng.gen_bool(pass) { self.rng.gen_range(80..=100) } else { self.rng.gen_range(35..80) };
                if self.rng.gen_bool(0.05) {
                    ("time_up", Some(score), 60)
                } else {
                    ("submitted", Some(score), self.rng.gen_range(20..60))
                }
            };
            let passed = score.is_some_and(|s| s >= i32::from(exam::paper::Blueprint::default().pass_mark));
            if !passed {
                failed.push(s.clone());
            }
            candidate.sat = Some(started);
            candidate.score = score;
            candidate.result = Some(match (reason, passed) {
                ("cheating", _) => "cheating",
                (_, true) => "passed",
                (_, false) => "failed",
            });
            out.candidates.push(candidate);
            let seed = self.rng.gen::<[u8; 32]>().iter().map(|b| format!("{b:02x}")).collect();
            out.attempts.push(AttemptRow {
                id: AttemptId::new().to_string(),
                plan: plan.id.clone(),
                worker: s.worker.clone(),
                reason,
                seed,
                started,
                finished: started + Duration::minutes(minutes),
                score,
                identity: if s.face { "face" } else { "manual" },
            });
        }
        failed
    }

    /// Every enterprise's staff and exam, then the principals' exams, in batches.
    fn campaign(mut self, counties: Vec<Unit>, province: Unit, list: Vec<Enterprise>, tx: mpsc::SyncSender<Batch>) {
        let mut out = Batch::default();
        let mut principals: Vec<(usize, Sitter)> = Vec::new();
        let year = epoch().format("%Y");
        for (i, e) in list.iter().enumerate() {
            let verifier = &counties[e.county].admin;
            let heads = if e.workers >= 20 && self.rng.gen_bool(0.3) { 2 } else { 1 };
            let managers = (e.workers / 40).clamp(1, 8);
            let staff: Vec<Sitter> = (0..e.workers)
                .map(|k| {
                    let role = match k {
                        k if k < heads => WorkerRole::Principal,
                        k if k < heads + managers => WorkerRole::SafetyManager,
                        _ => WorkerRole::OtherStaff,
                    };
                    self.worker(e, role, verifier, &mut out)
                })
                .collect();
            principals.extend(staff[..heads].iter().map(|s| (i, s.clone())));
            let name = format!("{}{year}年全员安全生产知识考试", e.unit.name);
            let plan = Self::plan(PlanKind::EnterpriseAllStaff, &e.unit, name, self.rng.gen_range(0..35), (0, 9));
            self.exam(plan, &staff, &mut out);
            if out.workers.len() >= WORKERS_PER_TRANSACTION {
                tx.send(std::mem::take(&mut out)).unwrap();
            }
        }
        for (k, county) in counties.iter().enumerate() {
            let sitters: Vec<Sitter> = principals
                .iter()
                .filter(|(i, _)| list[*i].county == k && !list[*i].above_scale)
                .map(|(_, s)| s.clone())
                .collect();
            if !sitters.is_empty() {
                let name = format!("{}{year}年规模以下企业主要负责人考试", county.name.trim_end_matches("应急管理局"));
                let plan = Self::plan(PlanKind::CountyPrincipals, county, name, 35 + (k % 5) as i64, (1, 4));
                self.exam(plan, &sitters, &mut out);
            }
        }
        let sitters: Vec<Sitter> =
            principals.iter().filter(|(i, _)| list[*i].above_scale).map(|(_, s)| s.clone()).collect();
        let plan = Self::plan(
            PlanKind::ProvinceUnified,
            &province,
            format!("{year}年全省规模以上企业主要负责人统一考试"),
            42,
            (1, 3),
        );
        self.exam(plan, &sitters, &mut out);
        tx.send(out).unwrap();
    }
}

/// Seeds the campaign into an empty database (the province and its admin there).
fn seed(conn: &mut DbConn, cipher: &Cipher, args: &Args) {
    let t = Instant::now();
    let password_hash = api::auth::password::hash(PASSWORD).unwrap();
    let blueprint = serde_json::to_string(&exam::paper::Blueprint::default()).unwrap();
    let (id, path): (String, String) =
        o::table.filter(o::parent_id.is_null()).select((o::id, o::path)).get_result(conn).unwrap();
    let admin: String = ac::table.filter(ac::username.eq("admin")).select(ac::id).get_result(conn).unwrap();
    let province = Unit { id, path, name: String::new(), division: "370000".into(), admin };
    let mut g = Generator {
        rng: StdRng::seed_from_u64(8),
        cipher: cipher.clone(),
        surnames: SURNAMES.chars().collect(),
        given: GIVEN.chars().collect(),
        people: 0,
    };
    let (counties, list, hierarchy) = g.hierarchy(&province, args.enterprises, args.workers);
    // Parents come before their children: transactions in order keep every reference.
    let mut rest = hierarchy;
    while !rest.orgs.is_empty() {
        let n = rest.orgs.len().min(4 * ROWS_PER_INSERT);
        let part = Batch {
            orgs: rest.orgs.drain(..n).collect(),
            accounts: rest.accounts.drain(..n).collect(),
            ..Batch::default()
        };
        write(conn, &part, &password_hash, &blueprint).unwrap();
    }
    println!(
        "seeding: {} cities, {} counties, {} enterprises in {:.1} s",
        CITIES.len(),
        counties.len(),
        list.len(),
        t.elapsed().as_secs_f64()
    );
    let (tx, rx) = mpsc::sync_channel(2);
    // Sealing and hashing run beside the inserts.
    let generator = std::thread::spawn(move || g.campaign(counties, province, list, tx));
    let (mut workers, mut reported) = (0, 0);
    for batch in rx {
        write(conn, &batch, &password_hash, &blueprint).unwrap();
        workers += batch.workers.len();
        if workers >= reported + args.workers / 10 {
            reported = workers;
            println!("seeding: {workers} workers and their exams, {:.0} s", t.elapsed().as_secs_f64());
        }
    }
    generator.join().unwrap();
    println!("seeding: done in {:.1} s", t.elapsed().as_secs_f64());
}

/// The scopes measured: the province, the city with the most enterprises, its largest county.
fn scopes(conn: &mut DbConn, province: &str) -> Vec<(&'static str, String, String)> {
    let parents: Vec<Option<String>> =
        o::table.filter(o::level.eq("enterprise")).select(o::parent_id).load(conn).unwrap();
    let bureaus: Vec<(String, Option<String>, String)> =
        o::table.filter(o::level.eq_any(["city", "county"])).select((o::id, o::parent_id, o::name)).load(conn).unwrap();
    let count = |id: &str| parents.iter().filter(|p| p.as_deref() == Some(id)).count();
    let in_city =
        |city: &str| -> usize { bureaus.iter().filter(|b| b.1.as_deref() == Some(city)).map(|b| count(&b.0)).sum() };
    let city = bureaus.iter().filter(|b| b.1.as_deref() == Some(province)).max_by_key(|b| in_city(&b.0)).unwrap();
    let county = bureaus.iter().filter(|b| b.1.as_deref() == Some(&city.0)).max_by_key(|b| count(&b.0)).unwrap();
    vec![
        ("province", province.to_owned(), "全省".to_owned()),
        ("city", city.0.clone(), format!("{} ({} enterprises)", city.2, in_city(&city.0))),
        ("county", county.0.clone(), format!("{} ({} enterprises)", county.2, count(&county.0))),
    ]
}

fn counts(conn: &mut DbConn) {
    let n = |r: QueryResult<i64>| r.unwrap();
    println!(
        "rows: organizations {}, accounts {}, workers {}, exam_plans {}, exam_candidates {} ({} absent), attempts {} ({} passed, {} voided for cheating)",
        n(o::table.count().get_result(conn)),
        n(ac::table.count().get_result(conn)),
        n(w::table.count().get_result(conn)),
        n(p::table.count().get_result(conn)),
        n(c::table.count().get_result(conn)),
        n(c::table.filter(c::absent).count().get_result(conn)),
        n(a::table.count().get_result(conn)),
        n(a::table.filter(a::passed.eq(true)).count().get_result(conn)),
        n(a::table.filter(a::finish_reason.eq("cheating")).count().get_result(conn)),
    );
    let kinds: Vec<(String, i64)> =
        p::table.group_by(p::kind).select((p::kind, diesel::dsl::count_star())).order(p::kind).load(conn).unwrap();
    println!("plans by kind: {kinds:?}");
}

/// The database's size on disk: the SQLite file and its log, or what PostgreSQL reports.
fn database_bytes(conn: &mut DbConn, url: &models::DbUrl) -> u64 {
    #[derive(QueryableByName)]
    struct Size {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        bytes: i64,
    }
    match url {
        models::DbUrl::Sqlite(path) => {
            let size = |p: String| std::fs::metadata(p).map_or(0, |m| m.len());
            size(path.clone()) + size(format!("{path}-wal"))
        }
        models::DbUrl::Postgres(_) => {
            let size: Size =
                diesel::sql_query("SELECT pg_database_size(current_database()) AS bytes").get_result(conn).unwrap();
            size.bytes as u64
        }
    }
}

fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map_or_else(|_| "n/a".into(), |l| l.split(' ').take(3).collect::<Vec<_>>().join(" "))
}

#[actix_web::main]
async fn main() {
    let args = Args::parse();
    let dir = tempfile::tempdir().unwrap();
    let mut settings = Settings::from_env().expect("settings");
    settings.bind = "127.0.0.1:0".into();
    settings.data_dir = dir.path().to_path_buf();
    settings.database_url =
        args.database_url.clone().unwrap_or_else(|| format!("sqlite://{}", dir.path().join("bench.db").display()));
    settings.admin_password = Some(SecretString::from(ADMIN_PASSWORD));
    settings.data_key = Some(SecretString::from(base64::engine::general_purpose::STANDARD.encode(DATA_KEY)));
    // Tokens outlive the measurement; the sweeper would find nothing to do (every window
    // closed, absentees recorded) and is off, so that only the reports run.
    settings.access_ttl_secs = 12 * 3600;
    settings.sweep_interval_secs = 0;
    let url = models::DbUrl::parse(&settings.database_url);
    let backend = url.backend();
    if std::env::var("SANDA_DB_POOL_SIZE").is_err() && backend == Backend::Postgres {
        settings.db_pool_size = api::settings::DEFAULT_POSTGRES_POOL;
    }
    // The start-up's first half (migrations, the province and its admin) before seeding; the
    // server itself starts after, so that its connections plan with the statistics of the
    // seeded database (a SQLite connection reads them once, when it first loads the schema).
    let (s, o) = (settings.clone(), Options::default());
    let cipher = tokio::task::spawn_blocking(move || api::startup::prepare(&s, &o)).await.unwrap().unwrap().cipher;
    let mut conn = url.connect().unwrap();

    let enterprises: i64 = o::table.filter(o::level.eq("enterprise")).count().get_result(&mut conn).unwrap();
    if enterprises == 0 {
        seed(&mut conn, &cipher, &args);
        let t = Instant::now();
        match backend {
            Backend::Sqlite => models::db::optimize(&mut conn).unwrap(),
            Backend::Postgres => conn.batch_execute("VACUUM ANALYZE").unwrap(),
        }
        println!("planner statistics: {:.1} s", t.elapsed().as_secs_f64());
    } else {
        println!("{enterprises} enterprises already there: measuring the database as it is");
    }
    counts(&mut conn);
    // The personal data opens and is found by its hashes, as models::worker reads it.
    let id: Option<String> = w::table.select(diesel::dsl::max(w::id)).get_result(&mut conn).unwrap();
    let worker = models::worker::get_unscoped(&mut conn, &cipher, &WorkerId::from_db(id.unwrap())).unwrap();
    let by_id = models::worker::find_by_resident_id(&mut conn, &cipher, &worker.resident_id).unwrap().unwrap();
    let by_phone = models::worker::find_by_phone(&mut conn, &cipher, worker.phone.as_ref().unwrap()).unwrap().unwrap();
    assert!(by_id.id == worker.id && by_phone.id == worker.id);
    println!("personal data: a worker decrypted and found again by resident ID and phone hash");
    println!("database: {:.2} GB", database_bytes(&mut conn, &url) as f64 / 1e9);
    let app = Application::build(settings, Options::default()).await.expect("server");

    let http = reqwest::Client::builder().timeout(std::time::Duration::from_secs(600)).build().unwrap();
    let base = format!("http://127.0.0.1:{}", app.port());
    actix_web::rt::spawn(app.run_until_stopped());
    let login = serde_json::json!({"username": "admin", "password": ADMIN_PASSWORD});
    let res: Value =
        http.post(format!("{base}/api/v1/auth/login")).json(&login).send().await.unwrap().json().await.unwrap();
    let token = res["access_token"].as_str().expect("login").to_owned();
    let me: Value =
        http.get(format!("{base}/api/v1/me")).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    let scopes = scopes(&mut conn, me["organization"]["id"].as_str().unwrap());
    let reports = [
        ("execution-summary", ""),
        ("execution-summary", "&format=xlsx"),
        ("failures", ""),
        ("failures", "&format=xlsx"),
        ("publication-list", ""),
        ("coverage", "&group_by=county"),
        ("coverage", "&group_by=enterprise"),
    ];
    let load_before = load();
    let mut rows = Vec::new();
    for (scope, id, label) in &scopes {
        println!("measuring {scope}: {label}");
        for (report, extra) in reports {
            let label = format!("{report}{}", extra.replace("&format=", " ").replace("&group_by=", " by "));
            if args.only.as_ref().is_some_and(|only| !label.starts_with(only.as_str())) {
                continue;
            }
            let path = format!("/api/v1/reports/{report}?organization_id={id}{extra}");
            let mut ms = Vec::new();
            let (mut status, mut bytes) = (0, 0);
            for _ in 0..args.reps {
                let t = Instant::now();
                let res = http.get(format!("{base}{path}")).bearer_auth(&token).send().await.unwrap();
                status = res.status().as_u16();
                let body = res.bytes().await.unwrap();
                ms.push(t.elapsed().as_secs_f64() * 1e3);
                bytes = body.len();
                if status != 200 {
                    println!("  {path}: HTTP {status}: {}", String::from_utf8_lossy(&body[..body.len().min(400)]));
                    break;
                }
            }
            println!(
                "  {label}: {:?} ms, {bytes} bytes, load {}",
                ms.iter().map(|t| t.round()).collect::<Vec<_>>(),
                load()
            );
            ms.sort_by(f64::total_cmp);
            rows.push((label, *scope, status, ms, bytes));
        }
    }
    println!("\nload average before {load_before}, after {}; {} reps each; {backend:?}", load(), args.reps);
    println!("| report | scope | backend | median ms | max ms | bytes |\n|---|---|---|---:|---:|---:|");
    for (report, scope, status, ms, bytes) in rows {
        let (median, max) = (ms[ms.len() / 2], ms[ms.len() - 1]);
        let flag = if status != 200 {
            format!(" (HTTP {status})")
        } else if median > TARGET_MS {
            " (over 2 s)".to_owned()
        } else {
            String::new()
        };
        println!("| {report}{flag} | {scope} | {backend:?} | {median:.0} | {max:.0} | {bytes} |");
    }
}
