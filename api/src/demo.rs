//! Demo data: Shandong province, 临沂市 with its real counties, districts and development
//! zones, a handful of (fictional) enterprises across industries and both size classes,
//! and one account per role. Loading twice changes nothing but the demo passwords, which
//! are drawn afresh and printed at every start.

use exam::credit_code::check_character;
use exam::{ContactPhone, CreditCode, Industry, MobilePhone, OrgName, ResidentId, Role, SizeClass, WorkerRole};
use models::account::{self, NewAccount};
use models::organization::{self, NewOrganization, Organization};
use models::registration_code::{self, NewCode};
use models::worker::{self, HistoryKind, NewWorker, Status};
use models::{Cipher, DbConn};

use crate::auth::password;
use crate::bootstrap;
use crate::error::ApiError;
use crate::settings::Settings;

/// 临沂市's counties and districts with their division codes, then its development zones.
const LINYI_COUNTIES: &[(&str, Option<&str>)] = &[
    ("兰山区应急管理局", Some("371302")),
    ("罗庄区应急管理局", Some("371311")),
    ("河东区应急管理局", Some("371312")),
    ("沂南县应急管理局", Some("371321")),
    ("郯城县应急管理局", Some("371322")),
    ("沂水县应急管理局", Some("371323")),
    ("兰陵县应急管理局", Some("371324")),
    ("费县应急管理局", Some("371325")),
    ("平邑县应急管理局", Some("371326")),
    ("莒南县应急管理局", Some("371327")),
    ("蒙阴县应急管理局", Some("371328")),
    ("临沭县应急管理局", Some("371329")),
    ("临沂高新技术产业开发区应急管理局", None),
    ("临沂经济技术开发区应急管理局", None),
    ("临沂临港经济开发区应急管理局", None),
];

struct DemoEnterprise {
    county: &'static str,
    name: &'static str,
    /// The first 17 characters of its credit code; the check character is computed.
    code17: &'static str,
    industry: Industry,
    size: SizeClass,
    address: &'static str,
}

const ENTERPRISES: &[DemoEnterprise] = &[
    DemoEnterprise {
        county: "罗庄区应急管理局",
        name: "临沂鲁兴化工有限公司",
        code17: "91371311MA3C2H7K1",
        industry: Industry::HazardousChemicals,
        size: SizeClass::AboveScale,
        address: "临沂市罗庄区化工园区纬一路8号",
    },
    DemoEnterprise {
        county: "兰山区应急管理局",
        name: "临沂金盾烟花爆竹经营有限公司",
        code17: "91371302MA3D4F2N5",
        industry: Industry::Fireworks,
        size: SizeClass::BelowScale,
        address: "临沂市兰山区金雀山路66号",
    },
    DemoEnterprise {
        county: "兰山区应急管理局",
        name: "临沂华盛商贸有限公司",
        code17: "91371302MA3E8K6P2",
        industry: Industry::Commerce,
        size: SizeClass::BelowScale,
        address: "临沂市兰山区通达路19号",
    },
    DemoEnterprise {
        county: "沂水县应急管理局",
        name: "沂水石岭矿业有限公司",
        code17: "91371323MA3F1G9Q7",
        industry: Industry::NonCoalMining,
        size: SizeClass::AboveScale,
        address: "临沂市沂水县许家湖镇石岭村",
    },
    DemoEnterprise {
        county: "河东区应急管理局",
        name: "临沂钢联冶金有限公司",
        code17: "91371312MA3G5T3R4",
        industry: Industry::Metallurgy,
        size: SizeClass::AboveScale,
        address: "临沂市河东区工业园区钢城路1号",
    },
    DemoEnterprise {
        county: "费县应急管理局",
        name: "费县新型建材有限公司",
        code17: "91371325MA3H7W8U6",
        industry: Industry::BuildingMaterials,
        size: SizeClass::AboveScale,
        address: "临沂市费县探沂镇建材路3号",
    },
    DemoEnterprise {
        county: "临沂高新技术产业开发区应急管理局",
        name: "临沂恒达机械制造有限公司",
        code17: "91371300MA3J2X5Y8",
        industry: Industry::Machinery,
        size: SizeClass::BelowScale,
        address: "临沂高新区科技大道88号",
    },
];

/// A demo account and its freshly drawn password.
#[derive(Debug)]
pub struct DemoLogin {
    pub role: Role,
    pub username: String,
    pub password: String,
    pub organization: String,
}

fn org_name(s: &str) -> Result<OrgName, ApiError> {
    OrgName::parse(s).map_err(|e| ApiError::invalid("name", e))
}

fn child(
    conn: &mut DbConn,
    cipher: &Cipher,
    parent: &Organization,
    new: NewOrganization,
) -> Result<Organization, ApiError> {
    if let Some(existing) = organization::child_named(conn, cipher, &parent.id, new.name.as_str())? {
        return Ok(existing);
    }
    Ok(organization::create_child(conn, cipher, parent, new)?)
}

fn login(
    conn: &mut DbConn,
    org: &Organization,
    role: Role,
    username: &str,
    display: &str,
) -> Result<DemoLogin, ApiError> {
    let secret =
        if role == Role::IntegrationClient { crate::auth::tokens::new_client_secret() } else { password::generate(12) };
    let hash = password::hash(&secret)?;
    match account::find_by_username(conn, username)? {
        Some(existing) => account::set_password(conn, &existing.id, &hash, false)?,
        None => {
            account::create(
                conn,
                NewAccount {
                    organization_id: org.id.clone(),
                    username: username.to_owned(),
                    display_name: display.to_owned(),
                    role,
                    password_hash: hash,
                    must_change_password: false,
                    created_by: None,
                },
            )?;
        }
    }
    Ok(DemoLogin { role, username: username.to_owned(), password: secret, organization: org.name.clone() })
}

/// Loads the demo data and returns the demo logins and a registration code.
pub fn load(conn: &mut DbConn, cipher: &Cipher, settings: &Settings) -> Result<Demo, ApiError> {
    models::db::write_transaction(conn, |conn| {
        let province = bootstrap::ensure_province(conn, cipher, settings)?;
        let mut city = NewOrganization::named(org_name("临沂市应急管理局")?);
        city.division_code = Some("371300".into());
        city.address = Some("临沂市兰山区北京路1号".into());
        let city = child(conn, cipher, &province, city)?;
        let mut counties = Vec::new();
        for (name, code) in LINYI_COUNTIES {
            let mut c = NewOrganization::named(org_name(name)?);
            c.division_code = code.map(str::to_owned);
            counties.push(child(conn, cipher, &city, c)?);
        }
        let county = |name: &str| counties.iter().find(|c| c.name == name).cloned().ok_or_else(ApiError::not_found);
        let mut enterprises = Vec::new();
        for (i, e) in ENTERPRISES.iter().enumerate() {
            let check = check_character(e.code17.as_bytes()).ok_or_else(ApiError::not_found)?;
            let mut new = NewOrganization::named(org_name(e.name)?);
            new.credit_code = Some(
                CreditCode::parse(&format!("{}{check}", e.code17))
                    .map_err(|err| ApiError::invalid("credit_code", err))?,
            );
            new.industry = Some(e.industry);
            new.size_class = Some(e.size);
            new.address = Some(e.address.into());
            new.contact_name = Some("安全员".into());
            new.contact_phone = Some(
                ContactPhone::parse(&format!("1380539{:04}", 1001 + i))
                    .map_err(|err| ApiError::invalid("contact_phone", err))?,
            );
            enterprises.push(child(conn, cipher, &county(e.county)?, new)?);
        }
        let lanshan = county("兰山区应急管理局")?;
        let luozhuang = county("罗庄区应急管理局")?;
        let huasheng =
            enterprises.iter().find(|e| e.name == "临沂华盛商贸有限公司").cloned().ok_or_else(ApiError::not_found)?;
        let logins = vec![
            login(conn, &province, Role::ProvinceAdmin, "demo.province", "省厅演示管理员")?,
            login(conn, &city, Role::CityAdmin, "demo.city", "临沂市演示管理员")?,
            login(conn, &lanshan, Role::CountyAdmin, "demo.lanshan", "兰山区演示管理员")?,
            login(conn, &luozhuang, Role::CountyAdmin, "demo.luozhuang", "罗庄区演示管理员")?,
            login(conn, &huasheng, Role::EnterpriseAdmin, "demo.enterprise", "华盛商贸安全管理员")?,
            login(conn, &lanshan, Role::Proctor, "demo.proctor", "兰山区考点监考员")?,
            login(conn, &huasheng, Role::Worker, "demo.worker", "王小明")?,
            login(conn, &province, Role::IntegrationClient, "ic-demo-platform", "省安全生产考试平台（演示）")?,
        ];
        demo_worker_record(conn, cipher, &huasheng)?;
        let admin = account::find_by_username(conn, "demo.enterprise")?.ok_or_else(ApiError::not_found)?;
        crate::demo_bank::load(conn, &province, &huasheng, &admin.id)?;
        demo_learning(conn, &province, &lanshan, &huasheng)?;
        let code = demo_code(conn, &huasheng)?;
        Ok(Demo { logins, code, code_enterprise: huasheng.name.clone() })
    })
}

/// The registry record of `demo.worker`: registered, consent given, face not yet enrolled.
fn demo_worker_record(conn: &mut DbConn, cipher: &Cipher, org: &Organization) -> Result<(), ApiError> {
    let acc = account::find_by_username(conn, "demo.worker")?.ok_or_else(ApiError::not_found)?;
    if worker::find_by_account(conn, cipher, &acc.id)?.is_some() {
        return Ok(());
    }
    let body = "37130219900101001";
    let check = exam::resident_id::check_character(body.as_bytes()).ok_or_else(ApiError::not_found)?;
    let resident_id = ResidentId::parse(&format!("{body}{check}")).map_err(|e| ApiError::invalid("resident_id", e))?;
    let phone = MobilePhone::parse("13805390000").map_err(|e| ApiError::invalid("phone", e))?;
    let record = worker::insert(
        conn,
        cipher,
        NewWorker {
            organization_id: org.id.clone(),
            account_id: Some(acc.id.clone()),
            name: acc.display_name.clone(),
            resident_id,
            phone: Some(phone),
            role: WorkerRole::OtherStaff,
            position: Some("仓库管理员".into()),
            status: Status::Registered,
            face_consent_version: Some("2026-01".into()),
        },
    )?;
    worker::record_history(conn, &record.id, None, HistoryKind::Registered, None, &serde_json::json!({"demo": true}))?;
    Ok(())
}

/// Demo material for 大学习 (links under `.invalid`, which never resolves): a course kept by
/// the province for everyone and one kept by 兰山区 for other staff, and 华盛商贸's learning
/// plan naming them and a law. Loaded once.
fn demo_learning(
    conn: &mut DbConn,
    province: &Organization,
    lanshan: &Organization,
    huasheng: &Organization,
) -> Result<(), ApiError> {
    use exam::learning::{Focus, LessonKind};
    use models::learning::{Content, NewCourse, NewLesson, NewPlan, PlanItem};
    let existing = models::learning::list_courses(conn, &models::Jurisdiction::of(province))?;
    if existing.iter().any(|c| c.title == "《中华人民共和国安全生产法》解读") {
        return Ok(());
    }
    let mut by = |name: &str| -> Result<models::AccountId, ApiError> {
        Ok(account::find_by_username(conn, name)?.ok_or_else(ApiError::not_found)?.id)
    };
    let (province_admin, county_admin, enterprise_admin) =
        (by("demo.province")?, by("demo.lanshan")?, by("demo.enterprise")?);
    let lesson = |title: &str, kind: LessonKind, minutes: i32, path: &str| NewLesson {
        title: title.to_owned(),
        kind,
        url: format!("https://study.demo.sanda.invalid/{path}"),
        duration_secs: minutes * 60,
    };
    let law = models::learning::create_course(
        conn,
        NewCourse {
            organization_id: province.id.clone(),
            title: "《中华人民共和国安全生产法》解读".into(),
            description: Some(
                "2021年修正的安全生产法：生产经营单位的安全生产保障、从业人员的权利和义务、法律责任。".into(),
            ),
            roles: Vec::new(),
            industries: Vec::new(),
            lessons: vec![
                lesson("总则与安全生产责任制", LessonKind::Video, 30, "wsl/1"),
                lesson("生产经营单位的安全生产保障", LessonKind::Video, 40, "wsl/2"),
                lesson("从业人员的安全生产权利义务", LessonKind::Document, 20, "wsl/3.pdf"),
            ],
            created_by: province_admin,
        },
    )?;
    let storage = models::learning::create_course(
        conn,
        NewCourse {
            organization_id: lanshan.id.clone(),
            title: "商贸仓储消防与应急处置".into(),
            description: Some("仓库用火用电、消防器材使用、初起火灾扑救和疏散。".into()),
            roles: vec![WorkerRole::OtherStaff],
            industries: Vec::new(),
            lessons: vec![
                lesson("仓库防火检查要点", LessonKind::Video, 25, "storage/1"),
                lesson("灭火器和消火栓的使用", LessonKind::Video, 15, "storage/2"),
            ],
            created_by: county_admin,
        },
    )?;
    let (start, end) = (chrono::NaiveDate::from_ymd_opt(2026, 7, 1), chrono::NaiveDate::from_ymd_opt(2026, 8, 20));
    let (Some(starts_on), Some(ends_on)) = (start, end) else { return Err(ApiError::not_found()) };
    let item =
        |content, roles: Vec<WorkerRole>, focus: Vec<Focus>| PlanItem { content, roles, focus, starts_on, ends_on };
    models::learning::create_plan(
        conn,
        NewPlan {
            organization_id: huasheng.id.clone(),
            title: "2026年“大学习”计划".into(),
            starts_on,
            ends_on,
            items: vec![
                item(
                    Content::Law(exam::bank::Category::WorkSafetyLaw),
                    vec![WorkerRole::Principal, WorkerRole::SafetyManager],
                    vec![Focus::LawsRules, Focus::Management],
                ),
                item(Content::Course(law), Vec::new(), vec![Focus::LawsRules]),
                item(
                    Content::Course(storage),
                    vec![WorkerRole::OtherStaff],
                    vec![Focus::OperatingRules, Focus::EmergencyHandling],
                ),
            ],
            created_by: enterprise_admin,
        },
    )?;
    Ok(())
}

/// A fresh registration code for the demo enterprise, valid 30 days.
fn demo_code(conn: &mut DbConn, org: &Organization) -> Result<String, ApiError> {
    let creator = account::find_by_username(conn, "demo.enterprise")?.ok_or_else(ApiError::not_found)?;
    let mut bytes = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut bytes);
    let code = exam::RegCode::from_random(bytes).ok_or_else(ApiError::not_found)?;
    let created = registration_code::create(
        conn,
        NewCode {
            code,
            organization_id: org.id.clone(),
            label: Some("演示注册码".into()),
            default_role: Some(WorkerRole::OtherStaff),
            max_uses: 100,
            expires_at: models::now() + chrono::Duration::days(30),
            created_by: creator.id,
        },
    )?;
    Ok(created.code.display())
}

/// What the demo data gives a person to try.
#[derive(Debug)]
pub struct Demo {
    pub logins: Vec<DemoLogin>,
    /// A registration code for registering workers in the app.
    pub code: String,
    pub code_enterprise: String,
}

/// Prints the demo logins to the console (never to the log).
pub fn print(demo: &Demo) {
    let logins = &demo.logins;
    println!("\nDemo data loaded. Demo logins (passwords are new at every start):");
    println!("  {:<20} {:<18} {:<18} organization", "role", "username", "password");
    for l in logins {
        println!("  {:<20} {:<18} {:<18} {}", l.role.as_str(), l.username, l.password, l.organization);
    }
    println!("  (the integration client logs in at /api/v1/auth/client-token with client_id/client_secret;");
    println!("   demo.worker also logs in with phone 13805390000)");
    println!(
        "  Registration code for {}: {} (workers register at /api/v1/workers/register)",
        demo.code_enterprise, demo.code
    );
    println!(
        "  The province holds the demo question bank ({}); {} runs an all-staff exam open for 30 days:\n  \
         demo.worker enrolls a face (POST /api/v1/me/face), verifies it and starts from GET /api/v1/me/exams.\n",
        crate::demo_bank::BANK_NAME,
        demo.code_enterprise
    );
}
