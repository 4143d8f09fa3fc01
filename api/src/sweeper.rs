//! The background sweeper: finishes attempts whose time ran out with the answers saved so
//! far, flags in-exam face checks left unanswered past their time (so the proctor sees
//! them even when the app has gone silent), records absentees (缺考) once an exam
//! window has closed, and drops the face embeddings kept by enrollment liveness challenges
//! that can no longer be used. Every server runs
//! one; the database decides who does each piece of work (an attempt is finished by a
//! conditional update, so two sweepers, a submit and a lazy finish never grade it twice).

use std::collections::HashMap;
use std::time::Duration;

use models::{attempt, candidate, plan};

use crate::error::ApiError;
use crate::state::AppState;

/// What one pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Swept {
    pub finished: usize,
    pub absentees: usize,
    /// Face checks settled as missed.
    pub missed_checks: usize,
    /// Liveness challenges whose kept frames were dropped, unused.
    pub stale_frames: usize,
}

/// One pass over the overdue attempts (in batches) and closed plans.
pub async fn sweep(state: &AppState) -> Result<Swept, ApiError> {
    let grace = chrono::Duration::seconds(state.settings.answer_grace_secs);
    state
        .db(move |conn, cipher| {
            let mut swept = Swept::default();
            let mut plans = HashMap::new();
            loop {
                let now = models::now();
                let due = attempt::overdue(conn, now - grace, 200)?;
                if due.is_empty() {
                    break;
                }
                let mut progressed = false;
                for a in due {
                    let rules = match plans.get(&a.plan_id) {
                        Some(r) => r,
                        None => plans.entry(a.plan_id.clone()).or_insert(plan::rules(conn, &a.plan_id)?),
                    };
                    if attempt::finish(conn, cipher, &a, "time_up", now, rules)?.is_some() {
                        swept.finished += 1;
                        progressed = true;
                    }
                }
                if !progressed {
                    break;
                }
            }
            let now = models::now();
            for id in models::face_check::with_missed(conn, now, 500)? {
                swept.missed_checks += models::face_check::settle_missed_now(conn, &id, now)?;
            }
            swept.absentees = candidate::record_absentees(conn, cipher, models::now())?;
            let stale = models::now() - crate::routes::face::liveness::PASSED_FOR;
            swept.stale_frames = models::liveness::drop_stale_frames(conn, stale)?;
            Ok(swept)
        })
        .await
}

/// How often the planner's statistics are brought up to date (SQLite; see
/// [`models::db::optimize`]).
const OPTIMIZE_EVERY: Duration = Duration::from_secs(3600);

/// Sweeps every `every` until the process ends; once an hour, also refreshes the
/// planner's statistics.
pub async fn run(state: AppState, every: Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut optimized = tokio::time::Instant::now();
    loop {
        tick.tick().await;
        if optimized.elapsed() >= OPTIMIZE_EVERY {
            optimized = tokio::time::Instant::now();
            if let Err(e) = state.db(|conn, _| Ok(models::db::optimize(conn)?)).await {
                tracing::warn!(error = %e, "refreshing the planner's statistics failed");
            }
        }
        match sweep(&state).await {
            Ok(s) if s.finished + s.absentees + s.missed_checks + s.stale_frames > 0 => {
                tracing::info!(
                    finished = s.finished,
                    absentees = s.absentees,
                    missed_checks = s.missed_checks,
                    stale_frames = s.stale_frames,
                    "sweeper pass"
                );
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "sweeper pass failed"),
        }
    }
}
