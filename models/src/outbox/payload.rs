//! What each event carries, read from the rows it tells of, inside the transaction that
//! changed them.

use diesel::prelude::*;
use exam::integration::{EnterpriseRef, EventData, EventKind, ExamResult, FirstResult, PlanRef, WorkerRecord};
use exam::plan::PlanKind;
use exam::proctoring::CandidateState;

use crate::attempt::Attempt;
use crate::plan::Rules;
use crate::schema::exam_candidates as c;
use crate::worker::{self, Status};
use crate::{Cipher, DbConn, DbError, PlanId, WorkerId};

/// The record as the platform is sent it, and the path of its enterprise.
pub(crate) fn worker_record(
    conn: &mut DbConn,
    cipher: &Cipher,
    id: &WorkerId,
) -> Result<(WorkerRecord, String), DbError> {
    let (w, enterprise) = worker::get_with_enterprise(conn, cipher, id)?;
    let (enterprise, path) = enterprise_ref(enterprise);
    let record = WorkerRecord {
        worker_id: w.id.to_string(),
        name: w.name,
        resident_id: w.resident_id.expose().to_owned(),
        phone: w.phone.map(|p| p.expose().to_owned()),
        role: w.role,
        position: w.position,
        enterprise,
        status: match w.status {
            Status::PreRegistered => "pre_registered".into(),
            Status::Registered => "registered".into(),
        },
        active: w.active,
        verification: w.verification,
    };
    Ok((record, path))
}

/// Records `worker.registered` or `worker.changed` for the record as it now is, unless it
/// reads as it did (`before`, `None` for a new record): a change the platform does not see
/// (a face enrollment, a consent) sends nothing.
pub(crate) fn record_worker(
    conn: &mut DbConn,
    cipher: &Cipher,
    id: &WorkerId,
    before: Option<&WorkerRecord>,
) -> Result<(), DbError> {
    let (now, path) = worker_record(conn, cipher, id)?;
    if before == Some(&now) {
        return Ok(());
    }
    let registered = now.status == "registered" && before.is_none_or(|b| b.status != "registered");
    let kind = if registered { EventKind::WorkerRegistered } else { EventKind::WorkerChanged };
    super::record(conn, cipher, kind, id.as_str(), &path, &EventData::Worker(now))?;
    Ok(())
}

/// Records the result of a finished attempt of `plan`: `attempt.voided` for cheating, else
/// `makeup.graded` in a makeup, else `attempt.graded`. One read (the worker and the
/// enterprise) and one insert, more for a makeup: this runs in every hand-in.
pub(crate) fn record_attempt(
    conn: &mut DbConn,
    cipher: &Cipher,
    attempt: &Attempt,
    plan: PlanRef,
) -> Result<(), DbError> {
    let kind = match (attempt.voided(), plan.kind) {
        (true, _) => EventKind::AttemptVoided,
        (false, PlanKind::Makeup) => EventKind::MakeupGraded,
        (false, _) => EventKind::AttemptGraded,
    };
    let (mut result, path) = result_of(conn, cipher, &attempt.worker_id, plan)?;
    result.attempt_id = Some(attempt.id.to_string());
    result.score = attempt.score;
    result.passed = attempt.passed.unwrap_or(false);
    result.finish_reason = attempt.finish_reason.clone();
    result.finished_at = attempt.finished_at.map(|t| t.and_utc());
    result.remark = attempt.voided().then(|| CandidateState::Cheating.label_zh().to_owned());
    super::record(conn, cipher, kind, attempt.id.as_str(), &path, &EventData::Result(result))?;
    Ok(())
}

/// Records `candidate.absent` (缺考) for each of these candidates of `plan`.
pub(crate) fn record_absentees(
    conn: &mut DbConn,
    cipher: &Cipher,
    plan: &PlanId,
    workers: &[WorkerId],
) -> Result<(), DbError> {
    let plan = plan_ref(conn, plan)?;
    for id in workers {
        let (mut result, path) = result_of(conn, cipher, id, plan.clone())?;
        result.remark = Some(CandidateState::Absent.label_zh().to_owned());
        super::record(conn, cipher, EventKind::CandidateAbsent, id.as_str(), &path, &EventData::Result(result))?;
    }
    Ok(())
}

/// A worker's result in `plan` with nothing decided yet (no attempt, no score, not passed),
/// the original exam's for a makeup, and the path of the worker's enterprise.
fn result_of(
    conn: &mut DbConn,
    cipher: &Cipher,
    worker: &WorkerId,
    plan: PlanRef,
) -> Result<(ExamResult, String), DbError> {
    let (w, enterprise) = worker::get_with_enterprise(conn, cipher, worker)?;
    let (enterprise, path) = enterprise_ref(enterprise);
    let first = first_result(conn, &plan, &w.id)?;
    let result = ExamResult {
        attempt_id: None,
        worker_id: w.id.to_string(),
        name: w.name,
        resident_id: w.resident_id.expose().to_owned(),
        role: w.role,
        position: w.position,
        enterprise,
        plan,
        score: None,
        passed: false,
        finish_reason: None,
        finished_at: None,
        remark: None,
        first,
    };
    Ok((result, path))
}

/// The enterprise as events name it, and its path.
fn enterprise_ref((id, name, credit_code, path): worker::EnterpriseColumns) -> (EnterpriseRef, String) {
    (EnterpriseRef { id, name, credit_code }, path)
}

/// The plan as events name it, from the rules its caller holds already.
pub(crate) fn plan_ref_of(rules: &Rules) -> PlanRef {
    PlanRef {
        id: rules.id.to_string(),
        kind: rules.kind,
        name: rules.name.clone(),
        original_plan_id: rules.original_plan_id.as_ref().map(ToString::to_string),
    }
}

/// The plan as events name it, read.
pub(crate) fn plan_ref(conn: &mut DbConn, id: &PlanId) -> Result<PlanRef, DbError> {
    Ok(plan_ref_of(&crate::plan::rules(conn, id)?))
}

/// For a makeup, the worker's result in the original exam: its attempt's, or 缺考.
fn first_result(conn: &mut DbConn, plan: &PlanRef, worker: &WorkerId) -> Result<Option<FirstResult>, DbError> {
    let Some(original) = plan.original_plan_id.as_deref() else { return Ok(None) };
    let original = PlanId::from_db(original.to_owned());
    let first = match crate::attempt::find(conn, &original, worker)? {
        Some(a) => FirstResult {
            plan_id: original.to_string(),
            attempt_id: Some(a.id.to_string()),
            score: a.score,
            passed: a.passed.unwrap_or(false),
            remark: a.voided().then(|| CandidateState::Cheating.label_zh().to_owned()),
        },
        None => {
            let absent: Option<bool> =
                c::table.find((original.as_str(), worker.as_str())).select(c::absent).get_result(conn).optional()?;
            FirstResult {
                plan_id: original.to_string(),
                attempt_id: None,
                score: None,
                passed: false,
                remark: (absent == Some(true)).then(|| CandidateState::Absent.label_zh().to_owned()),
            }
        }
    };
    Ok(Some(first))
}
