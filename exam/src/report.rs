//! The bureaus' reports as the campaign notice lays them out: 附件3 执行情况汇总表 (per
//! industry: enterprises, participants, and for each exam level the number examined,
//! passed and failed), 附件4 不及格人员名单 (with first and makeup scores, 缺考 and 作弊
//! written in), the publication list of principals who failed, and the coverage tables.
//! Pure: the numbers come in, tables and workbooks go out.

use serde::Serialize;

use crate::org::Industry;
use crate::plan::PlanKind;
pub use crate::sheet::{workbook, workbook_of, Cell, Sheet, SheetWriter};
use crate::WorkerRole;

/// The three exam levels, in the notice's column order.
pub const LEVELS: [PlanKind; 3] = [PlanKind::EnterpriseAllStaff, PlanKind::CountyPrincipals, PlanKind::ProvinceUnified];

/// The level a plan kind counts under (a makeup counts under its original's kind).
pub fn level_index(kind: PlanKind) -> Option<usize> {
    LEVELS.iter().position(|k| *k == kind)
}

/// Examined, passed and failed at one level.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LevelCounts {
    pub examined: i64,
    pub passed: i64,
    pub failed: i64,
}

/// One row of 附件3: an industry, or 合计 (`industry` absent).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SummaryRow {
    pub industry: Option<Industry>,
    /// 非煤矿山 … 其他, or 合计.
    pub label: String,
    /// 企业数
    pub enterprises: i64,
    /// 参与人数: registered workers.
    pub participants: i64,
    /// 企业全员考试
    pub enterprise_exam: LevelCounts,
    /// 县级主要负责人考试
    pub county_exam: LevelCounts,
    /// 全省大统考
    pub province_exam: LevelCounts,
}

impl SummaryRow {
    fn new(industry: Option<Industry>) -> Self {
        SummaryRow {
            industry,
            label: industry.map_or("合计", |i| i.label_zh()).to_owned(),
            enterprises: 0,
            participants: 0,
            enterprise_exam: LevelCounts::default(),
            county_exam: LevelCounts::default(),
            province_exam: LevelCounts::default(),
        }
    }

    fn level_mut(&mut self, i: usize) -> &mut LevelCounts {
        match i {
            0 => &mut self.enterprise_exam,
            1 => &mut self.county_exam,
            _ => &mut self.province_exam,
        }
    }

    fn levels(&self) -> [LevelCounts; 3] {
        [self.enterprise_exam, self.county_exam, self.province_exam]
    }
}

/// Sums enterprises into the 附件3 rows: one per industry (an enterprise without one counts
/// under 其他), then 合计. `enterprises` gives each enterprise's industry and registered
/// workers; `results` each (industry, level, examined, passed).
pub fn summary_rows(
    enterprises: impl IntoIterator<Item = (Option<Industry>, i64)>,
    results: impl IntoIterator<Item = (Option<Industry>, PlanKind, i64, i64)>,
) -> Vec<SummaryRow> {
    let mut rows: Vec<SummaryRow> = Industry::ALL.iter().map(|i| SummaryRow::new(Some(*i))).collect();
    let index = |i: Option<Industry>| {
        let i = i.unwrap_or(Industry::Other);
        Industry::ALL.iter().position(|x| *x == i).unwrap_or(Industry::ALL.len() - 1)
    };
    for (industry, workers) in enterprises {
        let row = &mut rows[index(industry)];
        row.enterprises += 1;
        row.participants += workers;
    }
    for (industry, kind, examined, passed) in results {
        let Some(level) = level_index(kind) else { continue };
        let counts = rows[index(industry)].level_mut(level);
        counts.examined += examined;
        counts.passed += passed;
    }
    let mut total = SummaryRow::new(None);
    for row in &mut rows {
        for level in 0..LEVELS.len() {
            let counts = row.level_mut(level);
            counts.failed = counts.examined - counts.passed;
            let sum = total.level_mut(level);
            sum.examined += counts.examined;
            sum.passed += counts.passed;
            sum.failed += counts.failed;
        }
        total.enterprises += row.enterprises;
        total.participants += row.participants;
    }
    rows.push(total);
    rows
}

/// The signature block under a report: 填报单位, 审核人, 填报人, 联系电话.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Footer {
    /// 填报单位: the requesting account's organization.
    pub unit: String,
    /// 审核人, when given.
    pub reviewer: Option<String>,
    /// 填报人: the requesting account's name.
    pub filled_by: String,
    /// 联系电话: the organization's contact phone, when on record.
    pub phone: Option<String>,
}

impl Footer {
    pub(crate) fn line(&self) -> String {
        format!(
            "填报单位：{}    审核人：{}    填报人：{}    联系电话：{}",
            self.unit,
            self.reviewer.as_deref().unwrap_or(""),
            self.filled_by,
            self.phone.as_deref().unwrap_or("")
        )
    }
}

/// How a candidate came out of one exam, as 附件4 writes it: a score, 缺考 or 作弊.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Score(i32),
    Absent,
    Cheating,
}

impl Outcome {
    /// From what the attempt and the candidate list say: voided for cheating wins, then a
    /// score, then absent; `None` while nothing is decided (a makeup still open).
    pub fn of(score: Option<i32>, finish_reason: Option<&str>, absent: bool) -> Option<Self> {
        match (finish_reason, score) {
            (Some("cheating"), _) => Some(Outcome::Cheating),
            (_, Some(s)) => Some(Outcome::Score(s)),
            _ if absent => Some(Outcome::Absent),
            _ => None,
        }
    }

    pub fn render(self) -> String {
        match self {
            Outcome::Score(s) => s.to_string(),
            Outcome::Absent => "缺考".to_owned(),
            Outcome::Cheating => "作弊".to_owned(),
        }
    }
}

/// 人员类型 as 附件4 writes it: the role, with the position for principals and safety
/// managers (主要负责人（总经理）).
pub fn person_type(role: WorkerRole, position: Option<&str>) -> String {
    match position.map(str::trim).filter(|p| !p.is_empty()) {
        Some(p) if role != WorkerRole::OtherStaff => format!("{}（{p}）", role.label_zh()),
        _ => role.label_zh().to_owned(),
    }
}

/// 附件3's column headers: two header rows folded into one (the level over its three counts).
pub const SUMMARY_HEADERS: [&str; 12] = [
    "行业",
    "企业数",
    "参与人数",
    "企业全员考试\n参考人数",
    "企业全员考试\n合格人数",
    "企业全员考试\n不合格人数",
    "县级主要负责人考试\n参考人数",
    "县级主要负责人考试\n合格人数",
    "县级主要负责人考试\n不合格人数",
    "全省大统考\n参考人数",
    "全省大统考\n合格人数",
    "全省大统考\n不合格人数",
];
pub const SUMMARY_WIDTHS: [f64; 12] = [12.0, 9.0, 10.0, 11.0, 11.0, 11.0, 13.0, 13.0, 13.0, 11.0, 11.0, 11.0];

/// 附件3's rows as cells.
pub fn summary_cells(rows: &[SummaryRow]) -> Vec<Vec<Cell>> {
    rows.iter()
        .map(|r| {
            let mut cells = vec![Cell::from(r.label.as_str()), r.enterprises.into(), r.participants.into()];
            for l in r.levels() {
                cells.extend([l.examined.into(), l.passed.into(), l.failed.into()]);
            }
            cells
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn industries_sum_to_the_total_and_failures_are_the_rest() {
        let rows = summary_rows(
            [(Some(Industry::Commerce), 40), (Some(Industry::Commerce), 10), (None, 7), (Some(Industry::Fireworks), 3)],
            [
                (Some(Industry::Commerce), PlanKind::EnterpriseAllStaff, 45, 40),
                (Some(Industry::Fireworks), PlanKind::CountyPrincipals, 1, 0),
                (None, PlanKind::ProvinceUnified, 2, 2),
                (Some(Industry::Commerce), PlanKind::Makeup, 9, 9),
            ],
        );
        assert_eq!(rows.len(), 13);
        assert_eq!(
            rows[..12].iter().map(|r| r.label.as_str()).collect::<Vec<_>>()[..3],
            ["非煤矿山", "危险化学品", "烟花爆竹"]
        );
        let commerce = rows.iter().find(|r| r.industry == Some(Industry::Commerce)).unwrap();
        assert_eq!((commerce.enterprises, commerce.participants), (2, 50));
        assert_eq!(commerce.enterprise_exam, LevelCounts { examined: 45, passed: 40, failed: 5 });
        let other = rows.iter().find(|r| r.industry == Some(Industry::Other)).unwrap();
        assert_eq!((other.enterprises, other.province_exam.passed), (1, 2));
        let total = rows.last().unwrap();
        assert_eq!((total.label.as_str(), total.enterprises, total.participants), ("合计", 4, 60));
        assert_eq!(total.enterprise_exam, LevelCounts { examined: 45, passed: 40, failed: 5 });
        assert_eq!(total.county_exam, LevelCounts { examined: 1, passed: 0, failed: 1 });
        assert_eq!(total.province_exam.examined, 2);
    }

    #[test]
    fn outcomes_and_person_types_read_as_the_notice_writes_them() {
        assert_eq!(Outcome::of(Some(62), Some("submitted"), false).map(Outcome::render).as_deref(), Some("62"));
        assert_eq!(Outcome::of(None, Some("cheating"), false).map(Outcome::render).as_deref(), Some("作弊"));
        assert_eq!(Outcome::of(None, None, true).map(Outcome::render).as_deref(), Some("缺考"));
        assert_eq!(Outcome::of(None, None, false), None);
        assert_eq!(person_type(WorkerRole::Principal, Some("总经理")), "主要负责人（总经理）");
        assert_eq!(person_type(WorkerRole::SafetyManager, Some(" ")), "安全管理人员");
        assert_eq!(person_type(WorkerRole::OtherStaff, Some("焊工")), "其他从业人员");
    }

    #[test]
    fn a_summary_workbook_reads_back() {
        let rows = summary_rows(
            [(Some(Industry::Machinery), 12)],
            [(Some(Industry::Machinery), PlanKind::EnterpriseAllStaff, 12, 11)],
        );
        let footer = Footer {
            unit: "兰山区应急管理局".into(),
            reviewer: None,
            filled_by: "王科长".into(),
            phone: Some("0539-8888888".into()),
        };
        let bytes = workbook(Sheet {
            name: "附件3",
            title: "兰山区“大学习、大培训、大考试”执行情况汇总表".into(),
            subtitle: "统计时间：2026-09-01 至 2026-09-30".into(),
            headers: &SUMMARY_HEADERS,
            widths: &SUMMARY_WIDTHS,
            rows: summary_cells(&rows),
            footer: Some(footer),
        })
        .unwrap();
        use calamine::{Reader, Xlsx};
        let mut book: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
        let range = book.worksheet_range("附件3").unwrap();
        let text = |r: usize, c: usize| range.get((r, c)).map(|d| d.to_string()).unwrap_or_default();
        assert!(text(0, 0).contains("执行情况汇总表"));
        assert_eq!(text(2, 3), "企业全员考试\n参考人数");
        let machinery = (3..16).find(|r| text(*r, 0) == "机械").unwrap();
        assert_eq!(
            (text(machinery, 1), text(machinery, 2), text(machinery, 4), text(machinery, 5)),
            ("1".into(), "12".into(), "11".into(), "1".into())
        );
        assert_eq!(text(15, 0), "合计");
        assert!(text(17, 0).contains("填报人：王科长"));
    }
}
