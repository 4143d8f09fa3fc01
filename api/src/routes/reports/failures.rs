//! 附件4 不及格人员名单, and the publication list of principals who failed.

use std::sync::mpsc::{sync_channel, Receiver};
use std::sync::Arc;

use actix_web::http::header::ContentType;
use actix_web::{web, HttpResponse};
use exam::plan::PlanKind;
use exam::report::{person_type, Cell, Footer, Outcome, Sheet, SheetWriter};
use exam::WorkerRole;
use futures_util::future::join_all;
use models::report::{Failure, Whom};
use serde::Serialize;
use utoipa::ToSchema;

use super::summary::ReportQuery;
use super::{context_of, read, workbook, xlsx, Bureaus, Context};
use crate::auth::Principal;
use crate::error::{ApiError, ErrorBody};
use crate::extract::Query;
use crate::routes::workers::export_principals::ExportFormat;
use crate::routes::workers::import::RosterFile;
use crate::state::AppState;

/// One line of 附件4: a candidate who did not pass a first exam.
#[derive(Debug, Serialize, ToSchema)]
pub struct FailureLine {
    /// 序号
    pub seq: usize,
    pub worker_id: String,
    /// 姓名
    pub name: String,
    /// 县（市、区）
    pub county: String,
    /// 企业名称
    pub enterprise: String,
    pub role: WorkerRole,
    pub position: Option<String>,
    /// 人员类型, e.g. 主要负责人（总经理）.
    pub person_type: String,
    pub plan_id: String,
    /// 考试: the first exam's name.
    pub exam: String,
    pub exam_kind: PlanKind,
    /// 首次考试成绩: the score, 缺考 or 作弊.
    pub first_result: String,
    /// 补考成绩: the score, 缺考 or 作弊; absent before a makeup lists the candidate or
    /// while it runs.
    pub makeup_result: Option<String>,
    /// Whether the makeup was passed.
    pub passed_makeup: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FailureList {
    /// e.g. 兰山区“大考试”不及格人员名单
    pub title: String,
    pub organization_id: String,
    pub organization_name: String,
    pub period: String,
    pub items: Vec<FailureLine>,
    pub footer: Footer,
}

/// Enterprises read per statement of a failure list: a province's 20,000 in 80 reads of a
/// few thousand lines, so the first lines are written out while the rest are read. Small
/// enough that PostgreSQL looks each candidate's plan up by its key: at 500 it sorted and
/// merged the whole plan table for every read.
const ENTERPRISES_PER_READ: usize = 250;

/// Pooled connections a failure list is read on side by side: on SQLite the statements run
/// on the server's cores, and a province's list takes as long to read as to write out.
const READERS: usize = 2;

/// Lines of 附件4, each with the candidate's sealed ID number.
type Lines = Vec<(FailureLine, Vec<u8>)>;

/// The first exams' failures with their makeup, one line per candidate and first exam
/// (the latest makeup listing them wins), in enterprise and name order; numbered later,
/// by [`InOrder`]. A candidate's rows are never split between two reads: they are all of
/// one enterprise.
fn lines(rows: Vec<Failure>, bureaus: &Bureaus) -> Lines {
    let mut out: Lines = Vec::new();
    let mut last_key: Option<(String, String)> = None;
    // The lines come by enterprise: its county is looked up once, not on every line.
    let mut county: (String, String) = Default::default();
    for r in rows {
        let makeup = Outcome::of(r.makeup_score, r.makeup_finish_reason.as_deref(), r.makeup_absent.unwrap_or(false));
        let key = (r.worker_id.clone(), r.plan_id.clone());
        if last_key.as_ref() == Some(&key) {
            // Another makeup of the same first exam: keep the latest one with an outcome.
            if let (Some(m), Some((line, _))) = (makeup, out.last_mut()) {
                line.makeup_result = Some(m.render());
                line.passed_makeup = r.makeup_passed == Some(true);
            }
            continue;
        }
        last_key = Some(key);
        let Some(first) = Outcome::of(r.score, r.finish_reason.as_deref(), r.absent) else { continue };
        let role = WorkerRole::parse(&r.role).unwrap_or(WorkerRole::OtherStaff);
        if county.0 != r.organization_path {
            let name = bureaus.above(&r.organization_path, "county").map(|(_, n)| n.to_owned()).unwrap_or_default();
            county = (r.organization_path.clone(), name);
        }
        let line = FailureLine {
            seq: 0,
            county: county.1.clone(),
            enterprise: r.organization_name,
            person_type: person_type(role, r.position.as_deref()),
            role,
            position: r.position,
            exam: r.plan_name,
            exam_kind: PlanKind::parse(&r.plan_kind).unwrap_or(PlanKind::EnterpriseAllStaff),
            plan_id: r.plan_id,
            first_result: first.render(),
            makeup_result: makeup.map(Outcome::render),
            passed_makeup: r.makeup_passed == Some(true),
            worker_id: r.worker_id,
            name: r.name,
        };
        out.push((line, r.resident_id_enc));
    }
    out
}

/// The readers' lines in the list's order, numbered as they pass: read `i` (of the
/// subtree's enterprises in path order) comes from reader `i % READERS`. Ends when the
/// reader due next has no more, or stopped (its error is what [`read_failures`] returns).
struct InOrder {
    receivers: Vec<Receiver<Lines>>,
    next: usize,
    seq: usize,
}

impl Iterator for InOrder {
    type Item = Lines;

    fn next(&mut self) -> Option<Lines> {
        let mut lines = self.receivers[self.next % self.receivers.len()].recv().ok()?;
        self.next += 1;
        for (line, _) in &mut lines {
            self.seq += 1;
            line.seq = self.seq;
        }
        Some(lines)
    }
}

/// Reads the lines of 附件4 for `ctx` naming `whom` on [`READERS`] connections side by
/// side, [`ENTERPRISES_PER_READ`] enterprises a statement, while `consume` takes them in
/// order on a blocking thread of its own (it writes the workbook as they come). A failed
/// read fails the whole list: nothing partial is answered.
async fn read_failures<T, F>(state: &AppState, ctx: &Arc<Context>, whom: Whom, consume: F) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce(&mut InOrder) -> Result<T, ApiError> + Send + 'static,
{
    let (bureaus, chunks) = read(state, ctx, |conn, ctx| {
        let bureaus = Bureaus::load(conn, &ctx.scope)?;
        Ok((Arc::new(bureaus), models::report::enterprise_chunks(conn, &ctx.scope, ENTERPRISES_PER_READ)?))
    })
    .await?;
    let readers = READERS.min(chunks.len()).max(1);
    let mut shares = vec![Vec::new(); readers];
    for (i, chunk) in chunks.into_iter().enumerate() {
        shares[i % readers].push(chunk);
    }
    let mut receivers = Vec::with_capacity(readers);
    let reads: Vec<_> = shares
        .into_iter()
        .map(|share| {
            // Two reads ahead at most: a slow consumer holds the readers back.
            let (tx, rx) = sync_channel::<Lines>(2);
            receivers.push(rx);
            let bureaus = Arc::clone(&bureaus);
            read(state, ctx, move |conn, ctx| {
                for chunk in share {
                    let rows = models::report::failures(conn, &chunk, ctx.dates, whom)?;
                    tx.send(lines(rows, &bureaus))
                        .map_err(|_| ApiError::internal(std::io::Error::other("the list's writer stopped")))?;
                }
                Ok(())
            })
        })
        .collect();
    let mut in_order = InOrder { receivers, next: 0, seq: 0 };
    let (reads, consumed) = tokio::join!(join_all(reads), web::block(move || consume(&mut in_order)));
    // The consumer's own error first: readers it left fail only for want of it.
    let out = consumed??;
    reads.into_iter().collect::<Result<Vec<()>, _>>()?;
    Ok(out)
}

fn failures_title(ctx: &Context) -> String {
    format!("{}“大考试”不及格人员名单", ctx.org.name)
}

const FAILURE_HEADERS: [&str; 8] =
    ["序号", "姓名", "县（市、区）", "企业名称", "人员类型", "考试", "首次考试成绩", "补考成绩"];
const FAILURE_WIDTHS: [f64; 8] = [6.0, 10.0, 14.0, 30.0, 22.0, 24.0, 12.0, 10.0];

/// 附件4 不及格人员名单 for a county, a city or the province: every candidate of a first exam
/// (enterprise, county or province exam) opened in the dates given who did not pass it —
/// a failing score, 作弊 or 缺考 written where the score would be — with the makeup's
/// result beside it once a makeup lists them. Name, county, enterprise, 人员类型 (主要负责人
/// with the position, …).
#[utoipa::path(get, path = "/api/v1/reports/failures", operation_id = "reportFailures", tag = "reports",
    security(("bearer" = [])), params(ReportQuery),
    responses(
        (status = 200, description = "The list", content((FailureList = "application/json"), (RosterFile = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(account = %me.account_id))]
pub async fn report_failures(
    state: web::Data<AppState>,
    me: Principal,
    query: Query<ReportQuery>,
) -> Result<HttpResponse, ApiError> {
    me.require(|r| r.may_view_reports())?;
    let (asked, format) = query.0.split();
    let ctx = context_of(&state, me.0, asked).await?;
    let failed = |e: String| ApiError::internal(std::io::Error::other(e));
    let c = Arc::clone(&ctx);
    let (count, response) = match format.unwrap_or_default() {
        ExportFormat::Json => {
            read_failures(&state, &ctx, Whom::Everyone, move |lines| {
                let items: Vec<FailureLine> = lines.flatten().map(|(l, _)| l).collect();
                let count = items.len();
                let list = FailureList {
                    title: failures_title(&c),
                    organization_id: c.org.id.to_string(),
                    organization_name: c.org.name.clone(),
                    period: c.period.clone(),
                    items,
                    footer: c.footer.clone(),
                };
                // Serialized here, off the async workers: a province's list is 85 MB.
                let body = serde_json::to_vec(&list).map_err(ApiError::internal)?;
                Ok((count, body))
            })
            .await
            .map(|(count, body)| (count, HttpResponse::Ok().content_type(ContentType::json()).body(body)))?
        }
        ExportFormat::Xlsx => read_failures(&state, &ctx, Whom::Everyone, move |lines| {
            let mut sheet =
                SheetWriter::new("附件4", &failures_title(&c), &c.period, &FAILURE_HEADERS, &FAILURE_WIDTHS)
                    .map_err(failed)?;
            let mut count = 0;
            for (l, _) in lines.flatten() {
                count += 1;
                sheet
                    .row([
                        Cell::from(l.seq as i64),
                        l.name.into(),
                        l.county.into(),
                        l.enterprise.into(),
                        l.person_type.into(),
                        l.exam.into(),
                        l.first_result.into(),
                        l.makeup_result.unwrap_or_default().into(),
                    ])
                    .map_err(failed)?;
            }
            Ok((count, sheet.finish(Some(&c.footer)).map_err(failed)?))
        })
        .await
        .map(|(count, bytes)| (count, xlsx(bytes, "failures.xlsx")))?,
    };
    tracing::info!(organization = %ctx.org.id, count, "failures reported");
    Ok(response)
}

/// One principal on the publication list.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicationLine {
    pub seq: usize,
    pub name: String,
    /// Masked: 3713**********123X.
    pub resident_id: String,
    pub county: String,
    pub enterprise: String,
    /// 职务
    pub position: Option<String>,
    pub exam: String,
    pub first_result: String,
    pub makeup_result: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PublicationList {
    /// e.g. 兰山区考试不合格企业主要负责人名单（公示）
    pub title: String,
    pub organization_id: String,
    pub organization_name: String,
    pub period: String,
    pub items: Vec<PublicationLine>,
    pub footer: Footer,
}

const PUBLICATION_HEADERS: [&str; 9] =
    ["序号", "姓名", "身份证号", "县（市、区）", "单位名称", "职务", "考试", "首次考试成绩", "补考成绩"];
const PUBLICATION_WIDTHS: [f64; 9] = [6.0, 10.0, 22.0, 14.0, 30.0, 12.0, 24.0, 12.0, 10.0];

/// The publication list (公示名单): the principals (主要负责人) who failed a first exam
/// opened in the dates given and have not passed a makeup since, with their ID numbers
/// masked, for the bureau to announce.
#[utoipa::path(get, path = "/api/v1/reports/publication-list", operation_id = "reportPublicationList", tag = "reports",
    security(("bearer" = [])), params(ReportQuery),
    responses(
        (status = 200, description = "The list", content((PublicationList = "application/json"), (RosterFile = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(account = %me.account_id))]
pub async fn report_publication_list(
    state: web::Data<AppState>,
    me: Principal,
    query: Query<ReportQuery>,
) -> Result<HttpResponse, ApiError> {
    me.require(|r| r.may_view_reports())?;
    let (asked, format) = query.0.split();
    let ctx = context_of(&state, me.0, asked).await?;
    let cipher = state.cipher.clone();
    let items = read_failures(&state, &ctx, Whom::Principals, move |lines| {
        let mut items = Vec::new();
        for (l, sealed) in lines.flatten().filter(|(l, _)| !l.passed_makeup) {
            items.push(PublicationLine {
                seq: items.len() + 1,
                resident_id: models::worker::open_resident_id(&cipher, &sealed)?.masked(),
                name: l.name,
                county: l.county,
                enterprise: l.enterprise,
                position: l.position,
                exam: l.exam,
                first_result: l.first_result,
                makeup_result: l.makeup_result,
            });
        }
        Ok(items)
    })
    .await?;
    let ctx = Arc::unwrap_or_clone(ctx);
    let title = format!("{}考试不合格企业主要负责人名单（公示）", ctx.org.name);
    tracing::info!(organization = %ctx.org.id, count = items.len(), "publication list reported");
    match format.unwrap_or_default() {
        ExportFormat::Json => Ok(HttpResponse::Ok().json(PublicationList {
            title,
            organization_id: ctx.org.id.to_string(),
            organization_name: ctx.org.name,
            period: ctx.period,
            items,
            footer: ctx.footer,
        })),
        ExportFormat::Xlsx => {
            let rows = items
                .into_iter()
                .map(|l| {
                    vec![
                        Cell::from(l.seq as i64),
                        l.name.into(),
                        l.resident_id.into(),
                        l.county.into(),
                        l.enterprise.into(),
                        l.position.unwrap_or_default().into(),
                        l.exam.into(),
                        l.first_result.into(),
                        l.makeup_result.unwrap_or_default().into(),
                    ]
                })
                .collect();
            let sheet = Sheet {
                name: "公示名单",
                title,
                subtitle: ctx.period,
                headers: &PUBLICATION_HEADERS,
                widths: &PUBLICATION_WIDTHS,
                rows,
                footer: Some(ctx.footer),
            };
            Ok(xlsx(workbook(sheet).await?, "publication-list.xlsx"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(name: &str) -> (FailureLine, Vec<u8>) {
        let line = FailureLine {
            seq: 0,
            worker_id: name.to_owned(),
            name: name.to_owned(),
            county: "兰山区".into(),
            enterprise: "临沂某化工有限公司".into(),
            role: WorkerRole::OtherStaff,
            position: None,
            person_type: "其他从业人员".into(),
            plan_id: "plan".into(),
            exam: "全员考试".into(),
            exam_kind: PlanKind::EnterpriseAllStaff,
            first_result: "62".into(),
            makeup_result: None,
            passed_makeup: false,
        };
        (line, Vec::new())
    }

    fn names(batch: &Lines) -> Vec<(usize, &str)> {
        batch.iter().map(|(l, _)| (l.seq, l.name.as_str())).collect()
    }

    #[test]
    fn reads_taken_turn_about_come_out_in_order_and_numbered() {
        let (a, ra) = sync_channel(4);
        let (b, rb) = sync_channel(4);
        // Reader a has reads 0, 2 and 4 (4 found nobody); reader b has 1 and 3.
        a.send(vec![line("甲"), line("乙")]).unwrap();
        a.send(vec![line("丁")]).unwrap();
        a.send(vec![]).unwrap();
        b.send(vec![line("丙")]).unwrap();
        b.send(vec![line("戊"), line("己")]).unwrap();
        drop((a, b));
        let batches: Vec<Lines> = InOrder { receivers: vec![ra, rb], next: 0, seq: 0 }.collect();
        let seen: Vec<Vec<(usize, &str)>> = batches.iter().map(names).collect();
        assert_eq!(
            seen,
            [vec![(1, "甲"), (2, "乙")], vec![(3, "丙")], vec![(4, "丁")], vec![(5, "戊"), (6, "己")], vec![]]
        );
    }

    #[test]
    fn the_lines_end_where_the_reader_due_next_stopped() {
        let (a, ra) = sync_channel(4);
        let (b, rb) = sync_channel(4);
        a.send(vec![line("甲")]).unwrap();
        a.send(vec![line("丙")]).unwrap();
        // Reader b failed before its first read: nothing after read 0 is taken, though
        // reader a had read 2 ready.
        drop(b);
        let batches: Vec<Lines> = InOrder { receivers: vec![ra, rb], next: 0, seq: 0 }.collect();
        assert_eq!(batches.iter().map(names).collect::<Vec<_>>(), [vec![(1, "甲")]]);
        drop(a);
    }
}
