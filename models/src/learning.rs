//! 大学习: the course catalogue kept by the bureaus, enterprises' learning plans, the time
//! workers spend on lessons (credited on the server's clock) and the practice quizzes they
//! take.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use exam::bank::Category;
use exam::learning::{ContentKind, Focus, LessonKind};
use exam::{Industry, WorkerRole};

use crate::bank::{join, list_of};
use crate::schema::{
    courses as c, learning_clocks as k, learning_plan_items as i, learning_plans as p, lesson_progress as g,
    lessons as l, organizations as o, practice_sessions as s,
};
use crate::{
    AccountId, CourseId, DbConn, DbError, Jurisdiction, LearningPlanId, LessonId, OrgId, PracticeId, WorkerId,
};

/// A course to add to the catalogue.
#[derive(Debug, Clone)]
pub struct NewCourse {
    /// The bureau keeping it.
    pub organization_id: OrgId,
    pub title: String,
    pub description: Option<String>,
    /// Who it suits; empty for everyone.
    pub roles: Vec<WorkerRole>,
    /// Which industries it suits; empty for all.
    pub industries: Vec<Industry>,
    pub lessons: Vec<NewLesson>,
    pub created_by: AccountId,
}

#[derive(Debug, Clone)]
pub struct NewLesson {
    pub title: String,
    pub kind: LessonKind,
    pub url: String,
    pub duration_secs: i32,
}

#[derive(Debug, Clone)]
pub struct Course {
    pub id: CourseId,
    pub organization_id: OrgId,
    pub organization_name: String,
    pub title: String,
    pub description: Option<String>,
    pub roles: Vec<WorkerRole>,
    pub industries: Vec<Industry>,
    pub lessons: Vec<Lesson>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone)]
pub struct Lesson {
    pub id: LessonId,
    pub course_id: CourseId,
    pub position: i32,
    pub title: String,
    pub kind: LessonKind,
    pub url: String,
    pub duration_secs: i32,
}

fn corrupt(what: &str) -> DbError {
    DbError::Corrupt(what.to_owned())
}

type LessonRow = (String, String, i32, String, String, String, i32);

fn lesson_of(r: LessonRow) -> Result<Lesson, DbError> {
    let (id, course_id, position, title, kind, url, duration_secs) = r;
    Ok(Lesson {
        kind: LessonKind::parse(&kind).map_err(|_| corrupt("lessons.kind"))?,
        id: LessonId::from_db(id),
        course_id: CourseId::from_db(course_id),
        position,
        title,
        url,
        duration_secs,
    })
}

macro_rules! lesson_columns {
    () => {
        (l::id, l::course_id, l::position, l::title, l::kind, l::url, l::duration_secs)
    };
}

/// Adds a course and its lessons, in their order.
pub fn create_course(conn: &mut DbConn, new: NewCourse) -> Result<CourseId, DbError> {
    let id = CourseId::new();
    conn.transaction(|conn| {
        diesel::insert_into(c::table)
            .values((
                c::id.eq(id.as_str()),
                c::organization_id.eq(new.organization_id.as_str()),
                c::title.eq(&new.title),
                c::description.eq(new.description.as_deref()),
                c::roles.eq(join(&new.roles, WorkerRole::as_str)),
                c::industries.eq(join(&new.industries, Industry::as_str)),
                c::created_by.eq(new.created_by.as_str()),
                c::created_at.eq(crate::now()),
            ))
            .execute(conn)?;
        for (n, lesson) in new.lessons.iter().enumerate() {
            diesel::insert_into(l::table)
                .values((
                    l::id.eq(LessonId::new().as_str()),
                    l::course_id.eq(id.as_str()),
                    l::position.eq(n as i32 + 1),
                    l::title.eq(&lesson.title),
                    l::kind.eq(lesson.kind.as_str()),
                    l::url.eq(&lesson.url),
                    l::duration_secs.eq(lesson.duration_secs),
                ))
                .execute(conn)?;
        }
        Ok::<_, DbError>(())
    })?;
    Ok(id)
}

type CourseRow = (String, String, String, String, Option<String>, String, String, NaiveDateTime);

/// The courses a caller sees: kept by its own organization, the bureaus above it (a
/// worker's county, city and province) or, for a bureau, those below it; by title. With
/// their lessons in order.
pub fn list_courses(conn: &mut DbConn, scope: &Jurisdiction) -> Result<Vec<Course>, DbError> {
    let rows: Vec<CourseRow> = c::table
        .inner_join(o::table)
        .filter(o::path.like(scope.like_pattern()).or(o::id.eq_any(scope.ancestor_ids())))
        .order((c::title, c::id))
        .select((c::id, c::organization_id, o::name, c::title, c::description, c::roles, c::industries, c::created_at))
        .load(conn)?;
    courses_of(conn, rows)
}

/// Courses by id, whoever keeps them (a plan's items name them), with their lessons.
pub fn courses_by_id(conn: &mut DbConn, ids: &[CourseId]) -> Result<Vec<Course>, DbError> {
    let ids: Vec<&str> = ids.iter().map(CourseId::as_str).collect();
    let rows: Vec<CourseRow> = c::table
        .inner_join(o::table)
        .filter(c::id.eq_any(ids))
        .select((c::id, c::organization_id, o::name, c::title, c::description, c::roles, c::industries, c::created_at))
        .load(conn)?;
    courses_of(conn, rows)
}

fn courses_of(conn: &mut DbConn, rows: Vec<CourseRow>) -> Result<Vec<Course>, DbError> {
    let ids: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
    let mut lessons: std::collections::HashMap<String, Vec<Lesson>> = std::collections::HashMap::new();
    for chunk in ids.chunks(500) {
        let found: Vec<LessonRow> = l::table
            .filter(l::course_id.eq_any(chunk))
            .order((l::course_id, l::position))
            .select(lesson_columns!())
            .load(conn)?;
        for row in found {
            let lesson = lesson_of(row)?;
            lessons.entry(lesson.course_id.as_str().to_owned()).or_default().push(lesson);
        }
    }
    rows.into_iter()
        .map(|(id, organization_id, organization_name, title, description, roles, industries, created_at)| {
            Ok(Course {
                lessons: lessons.remove(&id).unwrap_or_default(),
                roles: list_of(&roles, WorkerRole::parse).ok_or_else(|| corrupt("courses.roles"))?,
                industries: list_of(&industries, Industry::parse).ok_or_else(|| corrupt("courses.industries"))?,
                id: CourseId::from_db(id),
                organization_id: OrgId::from_db(organization_id),
                organization_name,
                title,
                description,
                created_at,
            })
        })
        .collect()
}

/// A lesson and the path of the organization keeping its course (to tell whether a worker
/// sees it).
pub fn lesson(conn: &mut DbConn, id: &LessonId) -> Result<(Lesson, String), DbError> {
    let (row, path): (LessonRow, String) = l::table
        .inner_join(c::table.inner_join(o::table))
        .filter(l::id.eq(id.as_str()))
        .select((lesson_columns!(), o::path))
        .get_result(conn)?;
    Ok((lesson_of(row)?, path))
}

/// A worker's time on a lesson after a report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    /// Seconds of this report that counted.
    pub credited: i32,
    /// Seconds credited on the lesson in all.
    pub seconds: i32,
    pub completed_at: Option<NaiveDateTime>,
}

/// Records a report of `claimed` seconds spent on `lesson`, crediting what
/// [`exam::learning::creditable`] allows against the worker's learning clock (the time of
/// their last report on any lesson), which it then sets to `now`. Two reports of one
/// worker at the same moment: the second finds the clock moved and fails with
/// [`DbError::Conflict`], crediting nothing.
pub fn record_progress(
    conn: &mut DbConn,
    worker: &WorkerId,
    lesson: &Lesson,
    claimed: i32,
    now: NaiveDateTime,
) -> Result<Progress, DbError> {
    crate::db::write_transaction(conn, |conn| {
        let last: Option<NaiveDateTime> =
            k::table.find(worker.as_str()).select(k::reported_at).get_result(conn).optional()?;
        let before: Option<(i32, Option<NaiveDateTime>)> = g::table
            .find((worker.as_str(), lesson.id.as_str()))
            .select((g::seconds, g::completed_at))
            .get_result(conn)
            .optional()?;
        let already = before.map_or(0, |b| b.0);
        let since = last.map(|t| (now - t).num_seconds());
        let credited = exam::learning::creditable(claimed, since, lesson.duration_secs, already);
        let moved = match last {
            None => diesel::insert_into(k::table)
                .values((k::worker_id.eq(worker.as_str()), k::reported_at.eq(now)))
                .execute(conn)?,
            Some(last) => diesel::update(k::table.find(worker.as_str()).filter(k::reported_at.eq(last)))
                .set(k::reported_at.eq(now))
                .execute(conn)?,
        };
        if moved == 0 {
            return Err(DbError::Conflict { what: "learning_clocks.reported_at".into() });
        }
        let seconds = already + credited;
        let completed_at = match before.and_then(|b| b.1) {
            Some(at) => Some(at),
            None if seconds >= lesson.duration_secs => Some(now),
            None => None,
        };
        match before {
            None => diesel::insert_into(g::table)
                .values((
                    g::worker_id.eq(worker.as_str()),
                    g::lesson_id.eq(lesson.id.as_str()),
                    g::seconds.eq(seconds),
                    g::started_at.eq(now),
                    g::updated_at.eq(now),
                    g::completed_at.eq(completed_at),
                ))
                .execute(conn)?,
            Some(_) => diesel::update(g::table.find((worker.as_str(), lesson.id.as_str())))
                .set((g::seconds.eq(seconds), g::updated_at.eq(now), g::completed_at.eq(completed_at)))
                .execute(conn)?,
        };
        Ok(Progress { credited, seconds, completed_at })
    })
}

/// A worker's time on one lesson, for the archive.
#[derive(Debug, Clone)]
pub struct LessonTime {
    pub course_id: CourseId,
    pub course_title: String,
    pub lesson_id: LessonId,
    pub lesson_title: String,
    pub duration_secs: i32,
    pub seconds: i32,
    pub started_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub completed_at: Option<NaiveDateTime>,
}

/// Every lesson a worker has studied, by course and lesson order.
pub fn progress_of(conn: &mut DbConn, worker: &WorkerId) -> Result<Vec<LessonTime>, DbError> {
    type Row = (String, String, String, String, i32, i32, NaiveDateTime, NaiveDateTime, Option<NaiveDateTime>);
    let rows: Vec<Row> = g::table
        .inner_join(l::table.inner_join(c::table))
        .filter(g::worker_id.eq(worker.as_str()))
        .order((c::title, c::id, l::position))
        .select((
            c::id,
            c::title,
            l::id,
            l::title,
            l::duration_secs,
            g::seconds,
            g::started_at,
            g::updated_at,
            g::completed_at,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(cid, course_title, lid, lesson_title, duration_secs, seconds, started_at, updated_at, completed_at)| {
            LessonTime {
                course_id: CourseId::from_db(cid),
                course_title,
                lesson_id: LessonId::from_db(lid),
                lesson_title,
                duration_secs,
                seconds,
                started_at,
                updated_at,
                completed_at,
            }
        })
        .collect())
}

/// What a plan item is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Content {
    Course(CourseId),
    Law(Category),
    /// The enterprise's own material: a title and, where it is online, a link.
    Material {
        title: String,
        url: Option<String>,
    },
}

impl Content {
    pub fn kind(&self) -> ContentKind {
        match self {
            Content::Course(_) => ContentKind::Course,
            Content::Law(_) => ContentKind::Law,
            Content::Material { .. } => ContentKind::Material,
        }
    }
}

#[derive(Debug, Clone)]
pub struct PlanItem {
    pub content: Content,
    /// Who studies it; empty for everyone.
    pub roles: Vec<WorkerRole>,
    pub focus: Vec<Focus>,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
}

#[derive(Debug, Clone)]
pub struct NewPlan {
    pub organization_id: OrgId,
    pub title: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub items: Vec<PlanItem>,
    pub created_by: AccountId,
}

#[derive(Debug, Clone)]
pub struct Plan {
    pub id: LearningPlanId,
    pub organization_id: OrgId,
    pub title: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub items: Vec<PlanItem>,
    pub created_by: AccountId,
    pub created_at: NaiveDateTime,
}

/// Adds an enterprise's learning plan with its items, in their order.
pub fn create_plan(conn: &mut DbConn, new: NewPlan) -> Result<Plan, DbError> {
    let id = LearningPlanId::new();
    let now = crate::now();
    conn.transaction(|conn| {
        diesel::insert_into(p::table)
            .values((
                p::id.eq(id.as_str()),
                p::organization_id.eq(new.organization_id.as_str()),
                p::title.eq(&new.title),
                p::starts_on.eq(new.starts_on),
                p::ends_on.eq(new.ends_on),
                p::created_by.eq(new.created_by.as_str()),
                p::created_at.eq(now),
            ))
            .execute(conn)?;
        for (n, item) in new.items.iter().enumerate() {
            let (course, law, material_title, material_url) = match &item.content {
                Content::Course(c) => (Some(c.as_str()), None, None, None),
                Content::Law(category) => (None, Some(category.as_str()), None, None),
                Content::Material { title, url } => (None, None, Some(title.as_str()), url.as_deref()),
            };
            diesel::insert_into(i::table)
                .values((
                    i::plan_id.eq(id.as_str()),
                    i::position.eq(n as i32 + 1),
                    i::content.eq(item.content.kind().as_str()),
                    i::course_id.eq(course),
                    i::law.eq(law),
                    i::material_title.eq(material_title),
                    i::material_url.eq(material_url),
                    i::roles.eq(join(&item.roles, WorkerRole::as_str)),
                    i::focus.eq(join(&item.focus, Focus::as_str)),
                    i::starts_on.eq(item.starts_on),
                    i::ends_on.eq(item.ends_on),
                ))
                .execute(conn)?;
        }
        Ok::<_, DbError>(())
    })?;
    Ok(Plan {
        id,
        organization_id: new.organization_id,
        title: new.title,
        starts_on: new.starts_on,
        ends_on: new.ends_on,
        items: new.items,
        created_by: new.created_by,
        created_at: now,
    })
}

/// An enterprise's learning plans, the latest first, with their items in order.
pub fn plans_of(conn: &mut DbConn, org: &OrgId) -> Result<Vec<Plan>, DbError> {
    type PlanRow = (String, String, NaiveDate, NaiveDate, String, NaiveDateTime);
    type ItemRow = (
        String,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        String,
        String,
        NaiveDate,
        NaiveDate,
    );
    let rows: Vec<PlanRow> = p::table
        .filter(p::organization_id.eq(org.as_str()))
        .order((p::starts_on.desc(), p::created_at.desc()))
        .select((p::id, p::title, p::starts_on, p::ends_on, p::created_by, p::created_at))
        .load(conn)?;
    let ids: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
    let items: Vec<ItemRow> = i::table
        .filter(i::plan_id.eq_any(&ids))
        .order((i::plan_id, i::position))
        .select((
            i::plan_id,
            i::content,
            i::course_id,
            i::law,
            i::material_title,
            i::material_url,
            i::roles,
            i::focus,
            i::starts_on,
            i::ends_on,
        ))
        .load(conn)?;
    let mut by_plan: std::collections::HashMap<String, Vec<PlanItem>> = std::collections::HashMap::new();
    for (plan, content, course, law, material_title, material_url, roles, focus, starts_on, ends_on) in items {
        let bad = || corrupt("learning_plan_items");
        let content = match (ContentKind::parse(&content).map_err(|_| bad())?, course, law, material_title) {
            (ContentKind::Course, Some(c), _, _) => Content::Course(CourseId::from_db(c)),
            (ContentKind::Law, _, Some(l), _) => Content::Law(Category::parse(&l).map_err(|_| bad())?),
            (ContentKind::Material, _, _, Some(title)) => Content::Material { title, url: material_url },
            _ => return Err(bad()),
        };
        by_plan.entry(plan).or_default().push(PlanItem {
            content,
            roles: list_of(&roles, WorkerRole::parse).ok_or_else(bad)?,
            focus: list_of(&focus, Focus::parse).ok_or_else(bad)?,
            starts_on,
            ends_on,
        });
    }
    Ok(rows
        .into_iter()
        .map(|(id, title, starts_on, ends_on, created_by, created_at)| Plan {
            items: by_plan.remove(&id).unwrap_or_default(),
            id: LearningPlanId::from_db(id),
            organization_id: org.clone(),
            title,
            starts_on,
            ends_on,
            created_by: AccountId::from_db(created_by),
            created_at,
        })
        .collect())
}

/// Notes a practice quiz a worker started (practice is not scored; the archive counts it).
pub fn record_practice(
    conn: &mut DbConn,
    worker: &WorkerId,
    category: Option<Category>,
    questions: usize,
) -> Result<PracticeId, DbError> {
    let id = PracticeId::new();
    diesel::insert_into(s::table)
        .values((
            s::id.eq(id.as_str()),
            s::worker_id.eq(worker.as_str()),
            s::category.eq(category.map(Category::as_str)),
            s::question_count.eq(questions as i32),
            s::started_at.eq(crate::now()),
        ))
        .execute(conn)?;
    Ok(id)
}

/// A worker's practice so far: quizzes started, questions in them, the latest start.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PracticeSummary {
    pub quizzes: i64,
    pub questions: i64,
    pub last_at: Option<NaiveDateTime>,
}

pub fn practice_of(conn: &mut DbConn, worker: &WorkerId) -> Result<PracticeSummary, DbError> {
    let (quizzes, questions, last_at): (i64, Option<i64>, Option<NaiveDateTime>) = s::table
        .filter(s::worker_id.eq(worker.as_str()))
        .select((diesel::dsl::count_star(), diesel::dsl::sum(s::question_count), diesel::dsl::max(s::started_at)))
        .get_result(conn)?;
    Ok(PracticeSummary { quizzes, questions: questions.unwrap_or(0), last_at })
}
