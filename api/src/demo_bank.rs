//! The demo question bank (written from the law texts, each question with its legal basis)
//! and a demo exam plan the demo worker can sit.

use exam::bank::Question;
use exam::bank_file;
use exam::plan::PlanKind;
use models::organization::Organization;
use models::plan::PlanContent;
use models::{bank, candidate, plan, AccountId, DbConn};

use crate::error::ApiError;

/// The bank's files, one per category, in the import format.
pub const FILES: &[(&str, &str)] = &[
    ("accident_cases.json", include_str!("../demo/questions/accident_cases.json")),
    ("accident_reporting.json", include_str!("../demo/questions/accident_reporting.json")),
    ("central_opinions_2016.json", include_str!("../demo/questions/central_opinions_2016.json")),
    ("dual_prevention.json", include_str!("../demo/questions/dual_prevention.json")),
    ("hazard_rules.json", include_str!("../demo/questions/hazard_rules.json")),
    ("hazard_standard.json", include_str!("../demo/questions/hazard_standard.json")),
    ("operating_skills.json", include_str!("../demo/questions/operating_skills.json")),
    ("penalty_measures.json", include_str!("../demo/questions/penalty_measures.json")),
    ("risk_grading_standard.json", include_str!("../demo/questions/risk_grading_standard.json")),
    ("safety_knowledge.json", include_str!("../demo/questions/safety_knowledge.json")),
    ("self_rescue.json", include_str!("../demo/questions/self_rescue.json")),
    ("shandong_opinions_2018.json", include_str!("../demo/questions/shandong_opinions_2018.json")),
    ("shandong_regulation.json", include_str!("../demo/questions/shandong_regulation.json")),
    ("shandong_responsibility.json", include_str!("../demo/questions/shandong_responsibility.json")),
    ("shandong_risk_control.json", include_str!("../demo/questions/shandong_risk_control.json")),
    ("work_safety_law.json", include_str!("../demo/questions/work_safety_law.json")),
];

/// The province's bank as the demo loads it.
pub const BANK_NAME: &str = "山东省“三大”活动题库（演示）";
const PLAN_NAME: &str = "2026年度企业全员安全生产考试（演示）";

/// Every demo question, checked by the same rules as an import.
pub fn questions() -> Result<Vec<Question>, String> {
    let mut all = Vec::new();
    for (name, text) in FILES {
        let parsed = bank_file::parse(text.as_bytes()).map_err(|e| format!("{name}: {e:?}"))?;
        all.extend(parsed.into_iter().map(|(_, q)| q));
    }
    Ok(all)
}

/// Loads the bank into the province (again: unchanged questions stay as they are) and, for
/// the demo enterprise, an all-staff exam open for the next 30 days.
pub fn load(
    conn: &mut DbConn,
    province: &Organization,
    enterprise: &Organization,
    by: &AccountId,
) -> Result<(), ApiError> {
    let questions = questions().map_err(|e| ApiError::internal(std::io::Error::other(e)))?;
    let scope = models::Jurisdiction::of(province);
    let existing =
        bank::list_banks(conn, &scope)?.into_iter().find(|b| b.name == BANK_NAME && b.organization_id == province.id);
    let b = match existing {
        Some(b) => b,
        None => bank::create_bank(conn, &province.id, BANK_NAME, None)?,
    };
    bank::import(conn, &b.id, &questions, None)?;
    let plans = plan::list(
        conn,
        &models::Jurisdiction::of(enterprise),
        Some(PlanKind::EnterpriseAllStaff),
        &models::PageRequest { limit: 200, after: None },
    )?;
    if plans.items.iter().any(|p| p.name == PLAN_NAME && p.organizer_id == enterprise.id) {
        return Ok(());
    }
    let now = models::now();
    let content = PlanContent {
        name: PLAN_NAME.into(),
        window_start: now - chrono::Duration::hours(1),
        window_end: now + chrono::Duration::days(30),
        filter: PlanKind::EnterpriseAllStaff.default_filter(),
        blueprint: exam::paper::Blueprint::default(),
        bank_ids: vec![b.id.clone()],
        sessions: Some(Vec::new()),
        face_checks: 2,
        liveness_at_start: true,
        liveness_in_checks: true,
    };
    let created = plan::create(conn, &enterprise.id, PlanKind::EnterpriseAllStaff, None, &content, by)?;
    let candidates = candidate::eligible(conn, &enterprise.path, &content.filter)?;
    candidate::add(conn, &created.id, &candidates, Some(by))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use exam::bank::Category;
    use exam::paper::{Blueprint, Entry};
    use exam::{Industry, WorkerRole};

    use super::*;

    #[test]
    fn the_demo_bank_is_complete_and_fills_the_default_paper_for_everyone() {
        let qs = questions().unwrap_or_else(|e| panic!("{e}"));
        assert!(qs.len() >= 300, "only {} questions", qs.len());
        let categories: HashSet<Category> = qs.iter().map(|q| q.category).collect();
        assert_eq!(categories.len(), Category::ALL.len(), "every category has questions");
        let refs: HashSet<_> = qs.iter().map(|q| q.reference.clone()).collect();
        assert_eq!(refs.len(), qs.len(), "references are unique");
        assert!(qs.iter().all(|q| q.legal_basis.contains('《')), "every basis names the law or standard");
        for role in WorkerRole::ALL {
            for industry in Industry::ALL {
                let pool: Vec<Entry> = qs
                    .iter()
                    .filter(|q| q.suits(*role, Some(*industry)))
                    .map(|q| Entry { category: q.category, kind: q.kind, options: q.options.len() as u8 })
                    .collect();
                assert!(
                    Blueprint::default().check(&pool).is_ok(),
                    "{role:?} in {industry:?}: {} questions",
                    pool.len()
                );
            }
        }
    }
}
