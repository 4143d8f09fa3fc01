use actix_web::{web, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use exam::plan::PlanKind;
use exam::report::{Cell, Outcome, Sheet};
use exam::training::{ProviderKind, TrainingLevel};
use models::{organization, WorkerId};
use serde::Serialize;
use utoipa::ToSchema;

use super::{hours, ArchiveQuery};
use crate::auth::Principal;
use crate::error::{ApiError, ErrorBody};
use crate::extract::Query;
use crate::routes::workers::{HistoryEntryResponse, WorkerResponse};
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct LessonRecord {
    pub course_id: String,
    pub course_title: String,
    pub lesson_id: String,
    pub lesson_title: String,
    pub duration_secs: i32,
    /// Seconds credited.
    pub seconds: i32,
    pub started_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LearningRecord {
    pub lessons: Vec<LessonRecord>,
    /// Study time credited in all.
    pub total_seconds: i64,
    pub completed_lessons: usize,
    /// Practice quizzes started and the questions in them.
    pub practice_quizzes: i64,
    pub practice_questions: i64,
    pub last_practice_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TrainingAttended {
    pub session_id: String,
    pub held_on: NaiveDate,
    pub level: TrainingLevel,
    pub topic: String,
    pub trainer: String,
    pub hours: f64,
    pub provider: ProviderKind,
    pub provider_name: Option<String>,
    pub key_position: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TrainingRecord {
    pub sessions: Vec<TrainingAttended>,
    /// 学时 by level, and in all.
    pub company_hours: f64,
    pub workshop_hours: f64,
    pub team_hours: f64,
    pub total_hours: f64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ExamOutcome {
    pub plan_id: String,
    pub plan_name: String,
    pub window_start: DateTime<Utc>,
    pub window_end: DateTime<Utc>,
    pub sat_at: Option<DateTime<Utc>>,
    pub score: Option<i32>,
    pub passed: bool,
    /// 缺考: recorded absent once the window closed.
    pub absent: bool,
    /// 作弊: voided by a proctor.
    pub cheating: bool,
    /// The score, 缺考 or 作弊 as the notice writes it; absent while not decided.
    pub result: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ExamEntry {
    pub kind: PlanKind,
    #[serde(flatten)]
    pub first: ExamOutcome,
    /// The makeups that listed the worker, the latest last.
    pub makeups: Vec<ExamOutcome>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FaceRecord {
    pub enrolled: bool,
    /// The consent text's version the worker agreed to, and when.
    pub consent_version: Option<String>,
    pub consent_at: Option<DateTime<Utc>>,
    /// Refused face processing: identity is checked by other means.
    pub needs_alternative_identity_check: bool,
}

/// 一人一档: a worker's record, its changes, face enrollment (never the template), learning,
/// training and every exam.
#[derive(Debug, Serialize, ToSchema)]
pub struct WorkerArchive {
    pub worker: WorkerResponse,
    pub organization_name: String,
    pub history: Vec<HistoryEntryResponse>,
    pub face: FaceRecord,
    pub learning: LearningRecord,
    pub training: TrainingRecord,
    pub exams: Vec<ExamEntry>,
}

fn outcome(r: &models::candidate::ExamRecord) -> ExamOutcome {
    let cheating = r.result.as_deref() == Some("cheating");
    let result = Outcome::of(r.score, cheating.then_some("cheating"), r.absent && r.result.is_none());
    ExamOutcome {
        plan_id: r.plan_id.to_string(),
        plan_name: r.plan_name.clone(),
        window_start: r.window_start.and_utc(),
        window_end: r.window_end.and_utc(),
        sat_at: r.sat_at.map(|t| t.and_utc()),
        score: if cheating { None } else { r.score },
        passed: r.result.as_deref() == Some("passed"),
        absent: r.absent && r.result.is_none(),
        cheating,
        result: result.map(Outcome::render),
    }
}

/// The exams, each first exam with its makeups.
fn exams(records: Vec<models::candidate::ExamRecord>) -> Vec<ExamEntry> {
    let mut entries: Vec<(Option<String>, ExamEntry)> = Vec::new();
    let mut makeups = Vec::new();
    for r in records {
        let kind = PlanKind::parse(&r.kind).unwrap_or(PlanKind::EnterpriseAllStaff);
        if kind == PlanKind::Makeup {
            makeups.push(r);
        } else {
            entries.push((Some(r.plan_id.to_string()), ExamEntry { kind, first: outcome(&r), makeups: Vec::new() }));
        }
    }
    for m in makeups {
        let original = m.original_plan_id.as_ref().map(|p| p.to_string());
        match entries.iter_mut().find(|(id, _)| id.is_some() && *id == original) {
            Some((_, e)) => e.makeups.push(outcome(&m)),
            // A makeup whose first exam did not list the worker: on its own.
            None => entries.push((None, ExamEntry { kind: PlanKind::Makeup, first: outcome(&m), makeups: Vec::new() })),
        }
    }
    entries.into_iter().map(|(_, e)| e).collect()
}

/// The archive's sheets: 基本信息, 信息变更, 学习, 培训, 考试.
fn sheets(a: WorkerArchive) -> Vec<Sheet> {
    let w = &a.worker;
    let title = format!("{}（{}）从业人员安全生产学习培训考试档案", w.name, a.organization_name);
    let yes = |b: bool| if b { "是" } else { "否" };
    let date = |t: Option<DateTime<Utc>>| {
        t.map(|t| (t + chrono::Duration::hours(8)).format("%Y-%m-%d %H:%M").to_string()).unwrap_or_default()
    };
    let info = vec![
        vec!["姓名".into(), w.name.clone().into()],
        vec!["身份证号码".into(), w.resident_id.clone().into()],
        vec!["手机号码".into(), w.phone.clone().unwrap_or_default().into()],
        vec!["单位".into(), a.organization_name.clone().into()],
        vec!["人员类别".into(), exam::report::person_type(w.role, w.position.as_deref()).into()],
        vec!["在职".into(), yes(w.active).into()],
        vec!["注册时间".into(), date(w.registered_at).into()],
        vec!["已采集人脸".into(), yes(a.face.enrolled).into()],
        vec!["学习时长（小时）".into(), Cell::Number(hours(a.learning.total_seconds / 60))],
        vec!["完成课时".into(), Cell::from(a.learning.completed_lessons as i64)],
        vec!["练习次数".into(), Cell::from(a.learning.practice_quizzes)],
        vec!["培训学时".into(), Cell::Number(a.training.total_hours)],
    ];
    let history = a
        .history
        .iter()
        .map(|h| vec![date(Some(h.at)).into(), h.kind.clone().into(), h.changes.to_string().into()])
        .collect();
    let lessons = a
        .learning
        .lessons
        .iter()
        .map(|l| {
            vec![
                l.course_title.clone().into(),
                l.lesson_title.clone().into(),
                Cell::Number(hours(i64::from(l.duration_secs) / 60)),
                Cell::Number(hours(i64::from(l.seconds) / 60)),
                yes(l.completed_at.is_some()).into(),
            ]
        })
        .collect();
    let training = a
        .training
        .sessions
        .iter()
        .map(|s| {
            vec![
                s.held_on.to_string().into(),
                s.level.label_zh().into(),
                s.topic.clone().into(),
                s.trainer.clone().into(),
                Cell::Number(s.hours),
                s.provider_name.clone().unwrap_or_else(|| s.provider.label_zh().to_owned()).into(),
                yes(s.key_position).into(),
            ]
        })
        .collect();
    let exams = a
        .exams
        .iter()
        .map(|e| {
            let last = e.makeups.last();
            vec![
                e.first.plan_name.clone().into(),
                e.kind.label_zh().into(),
                date(Some(e.first.window_start)).into(),
                e.first.result.clone().unwrap_or_default().into(),
                yes(e.first.passed).into(),
                last.and_then(|m| m.result.clone()).unwrap_or_default().into(),
                last.map(|m| yes(m.passed)).unwrap_or("").into(),
            ]
        })
        .collect();
    vec![
        Sheet {
            name: "基本信息",
            title: title.clone(),
            subtitle: String::new(),
            headers: &["项目", "内容"],
            widths: &[16.0, 40.0],
            rows: info,
            footer: None,
        },
        Sheet {
            name: "信息变更",
            title: title.clone(),
            subtitle: String::new(),
            headers: &["时间", "变更", "内容"],
            widths: &[18.0, 14.0, 60.0],
            rows: history,
            footer: None,
        },
        Sheet {
            name: "学习",
            title: title.clone(),
            subtitle: String::new(),
            headers: &["课程", "课时", "时长（小时）", "已学（小时）", "完成"],
            widths: &[30.0, 30.0, 12.0, 12.0, 8.0],
            rows: lessons,
            footer: None,
        },
        Sheet {
            name: "培训",
            title: title.clone(),
            subtitle: String::new(),
            headers: &["日期", "级别", "主题", "授课人", "学时", "培训方式/单位", "重点岗位"],
            widths: &[12.0, 12.0, 30.0, 12.0, 8.0, 24.0, 10.0],
            rows: training,
            footer: None,
        },
        Sheet {
            name: "考试",
            title,
            subtitle: String::new(),
            headers: &["考试", "类型", "开考", "首次成绩", "合格", "补考成绩", "补考合格"],
            widths: &[30.0, 16.0, 18.0, 10.0, 8.0, 10.0, 10.0],
            rows: exams,
            footer: None,
        },
    ]
}

/// 一人一档: a worker's archive — registration and every change since, face enrollment
/// (whether and when consented; never the template), learning (lessons and time credited,
/// practice), training attended with hours by level, and every exam with its score,
/// pass or fail, 缺考 or 作弊, and makeup. For the worker's enterprise and the bureaus above
/// it; JSON, or a workbook to print.
#[utoipa::path(get, path = "/api/v1/workers/{id}/archive", operation_id = "getWorkerArchive", tag = "archives",
    security(("bearer" = [])), params(("id" = uuid::Uuid, Path, description = "Worker id"), ArchiveQuery),
    responses(
        (status = 200, description = "The archive", content((WorkerArchive = "application/json"), (crate::routes::workers::import::RosterFile = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(account = %me.account_id))]
pub async fn get_worker_archive(
    state: web::Data<AppState>,
    me: Principal,
    id: web::Path<String>,
    query: Query<ArchiveQuery>,
) -> Result<HttpResponse, ApiError> {
    let id = WorkerId::parse(&id).ok_or_else(ApiError::not_found)?;
    let format = query.0.format.unwrap_or_default();
    let archive = state
        .db(move |conn, cipher| {
            let w = models::worker::find_in(conn, cipher, me.scope(), &id)?;
            let org = organization::find_in(conn, cipher, me.scope(), &w.organization_id)?;
            if !me.role.may_read_archives(me.relation(&org)?) {
                return Err(ApiError::forbidden());
            }
            let history = models::worker::history(conn, &w.id)?.into_iter().map(HistoryEntryResponse::from).collect();
            let lessons = models::learning::progress_of(conn, &w.id)?;
            let practice = models::learning::practice_of(conn, &w.id)?;
            let attended = models::training::sessions_attended(conn, &w.id)?;
            let records = models::candidate::of_worker(conn, &w.id)?;
            let by_level = |level: TrainingLevel| {
                hours(attended.iter().filter(|s| s.level == level).map(|s| i64::from(s.minutes)).sum())
            };
            let training = TrainingRecord {
                company_hours: by_level(TrainingLevel::Company),
                workshop_hours: by_level(TrainingLevel::Workshop),
                team_hours: by_level(TrainingLevel::Team),
                total_hours: hours(attended.iter().map(|s| i64::from(s.minutes)).sum()),
                sessions: attended
                    .into_iter()
                    .map(|s| TrainingAttended {
                        session_id: s.id.to_string(),
                        held_on: s.held_on,
                        level: s.level,
                        topic: s.topic,
                        trainer: s.trainer,
                        hours: f64::from(s.minutes) / 60.0,
                        provider: s.provider,
                        provider_name: s.provider_name,
                        key_position: s.key_position,
                    })
                    .collect(),
            };
            let learning = LearningRecord {
                total_seconds: lessons.iter().map(|l| i64::from(l.seconds)).sum(),
                completed_lessons: lessons.iter().filter(|l| l.completed_at.is_some()).count(),
                practice_quizzes: practice.quizzes,
                practice_questions: practice.questions,
                last_practice_at: practice.last_at.map(|t| t.and_utc()),
                lessons: lessons
                    .into_iter()
                    .map(|l| LessonRecord {
                        course_id: l.course_id.to_string(),
                        course_title: l.course_title,
                        lesson_id: l.lesson_id.to_string(),
                        lesson_title: l.lesson_title,
                        duration_secs: l.duration_secs,
                        seconds: l.seconds,
                        started_at: l.started_at.and_utc(),
                        updated_at: l.updated_at.and_utc(),
                        completed_at: l.completed_at.map(|t| t.and_utc()),
                    })
                    .collect(),
            };
            let face = FaceRecord {
                enrolled: w.face_enrolled,
                consent_version: w.face_consent_version.clone(),
                consent_at: w.face_consent_at.map(|t| t.and_utc()),
                needs_alternative_identity_check: w.needs_alternative_check,
            };
            Ok(WorkerArchive {
                worker: WorkerResponse::from(w),
                organization_name: org.name,
                history,
                face,
                learning,
                training,
                exams: exams(records),
            })
        })
        .await?;
    super::respond(format, archive, sheets, "worker-archive.xlsx").await
}
