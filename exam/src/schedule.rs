//! The exam schedule a county reports (附件5 考试安排表): for each kind of exam, who sits it,
//! when and where. One line per session (场次), or per exam that has none yet. Bytes out.

use crate::plan::PlanKind;
use crate::WorkerRole;

/// What 考试地点 says of an exam that has no session yet.
pub const UNSCHEDULED: &str = "未安排考点";

/// The columns of the sheet, in order.
pub const HEADERS: [&str; 9] =
    ["序号", "考试类型", "人员类型", "考试时间", "考试地点", "座位数", "已安排人数", "主办单位", "考试名称"];

const WIDTHS: [f64; 9] = [6.0, 18.0, 36.0, 34.0, 48.0, 8.0, 11.0, 26.0, 36.0];

/// Where a session sits: the site (考试点) and its address.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Site {
    pub name: String,
    pub address: Option<String>,
}

/// One line of the schedule.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ScheduleLine {
    /// 考试类型
    pub kind: PlanKind,
    /// 人员类型: the roles the exam admits.
    pub roles: Vec<WorkerRole>,
    /// 考试时间, as the reader's clock shows it (e.g. `2026-09-25 09:00–10:00`).
    pub time: String,
    /// 考试地点; `None` while the exam has no session.
    pub site: Option<Site>,
    /// 座位数
    pub capacity: Option<i32>,
    /// 已安排人数
    pub assigned: Option<i64>,
    /// 主办单位
    pub organizer: String,
    /// 考试名称
    pub name: String,
}

impl ScheduleLine {
    /// 考试类型 as the notice writes it.
    pub fn kind_label(&self) -> &'static str {
        self.kind.label_zh()
    }

    /// 人员类型: the roles in their usual order, joined with 、.
    pub fn roles_label(&self) -> String {
        roles_label(&self.roles)
    }

    /// 考试地点: the site with its address in brackets, or [`UNSCHEDULED`].
    pub fn place(&self) -> String {
        match &self.site {
            None => UNSCHEDULED.to_owned(),
            Some(Site { name, address: None }) => name.clone(),
            Some(Site { name, address: Some(a) }) => format!("{name}（{a}）"),
        }
    }
}

/// The roles in their usual order (主要负责人 first), each once, joined with 、.
pub fn roles_label(roles: &[WorkerRole]) -> String {
    let mut sorted = roles.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    sorted.iter().map(|r| r.label_zh()).collect::<Vec<_>>().join("、")
}

/// The schedule as an XLSX workbook: the title over the columns of [`HEADERS`], one row a
/// line, on a sheet named 附件5.
pub fn schedule_xlsx(title: &str, lines: &[ScheduleLine]) -> Result<Vec<u8>, String> {
    let err = |e: rust_xlsxwriter::XlsxError| e.to_string();
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("附件5").map_err(err)?;
    let heading =
        rust_xlsxwriter::Format::new().set_bold().set_font_size(14).set_align(rust_xlsxwriter::FormatAlign::Center);
    sheet.merge_range(0, 0, 0, HEADERS.len() as u16 - 1, title, &heading).map_err(err)?;
    let bold = rust_xlsxwriter::Format::new().set_bold();
    for (col, head) in HEADERS.iter().enumerate() {
        sheet.write_string_with_format(1, col as u16, *head, &bold).map_err(err)?;
    }
    for (i, l) in lines.iter().enumerate() {
        let row = (i + 2) as u32;
        sheet.write_number(row, 0, (i + 1) as f64).map_err(err)?;
        for (col, text) in [l.kind_label().to_owned(), l.roles_label(), l.time.clone(), l.place()].iter().enumerate() {
            sheet.write_string(row, col as u16 + 1, text.as_str()).map_err(err)?;
        }
        // Blank rather than 0 where the exam has no session: there are no seats to count.
        if let Some(n) = l.capacity {
            sheet.write_number(row, 5, f64::from(n)).map_err(err)?;
        }
        if let Some(n) = l.assigned {
            sheet.write_number(row, 6, n as f64).map_err(err)?;
        }
        sheet.write_string(row, 7, &l.organizer).map_err(err)?;
        sheet.write_string(row, 8, &l.name).map_err(err)?;
    }
    for (col, width) in WIDTHS.iter().enumerate() {
        sheet.set_column_width(col as u16, *width).map_err(err)?;
    }
    book.save_to_buffer().map_err(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines() -> Vec<ScheduleLine> {
        vec![
            ScheduleLine {
                kind: PlanKind::CountyPrincipals,
                roles: vec![WorkerRole::Principal],
                time: "2026-09-25 09:00–10:00".into(),
                site: Some(Site {
                    name: "兰山区应急管理局考试中心".into(),
                    address: Some("临沂市兰山区北城新区1号".into()),
                }),
                capacity: Some(40),
                assigned: Some(12),
                organizer: "兰山区应急管理局".into(),
                name: "2026年兰山区规模以下企业主要负责人考试".into(),
            },
            ScheduleLine {
                kind: PlanKind::EnterpriseAllStaff,
                roles: vec![WorkerRole::OtherStaff, WorkerRole::Principal, WorkerRole::SafetyManager],
                time: "2026-09-01 08:00–2026-09-30 18:00".into(),
                site: None,
                capacity: None,
                assigned: None,
                organizer: "临沂鲁兴化工有限公司".into(),
                name: "全员考试".into(),
            },
        ]
    }

    #[test]
    fn labels_follow_the_notice() {
        let [county, all] = <[ScheduleLine; 2]>::try_from(lines()).unwrap();
        assert_eq!(county.kind_label(), "县级主要负责人考试");
        assert_eq!(county.roles_label(), "主要负责人");
        assert_eq!(county.place(), "兰山区应急管理局考试中心（临沂市兰山区北城新区1号）");
        assert_eq!(all.roles_label(), "主要负责人、安全管理人员、其他从业人员");
        assert_eq!(all.place(), UNSCHEDULED);
        let bare = ScheduleLine { site: Some(Site { name: "考点".into(), address: None }), ..all };
        assert_eq!(bare.place(), "考点");
    }

    #[test]
    fn schedule_workbook_reads_back() {
        let bytes = schedule_xlsx("兰山区应急管理局“大考试”考试安排表", &lines()).unwrap();
        let mut book: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
        assert_eq!(calamine::Reader::sheet_names(&book), ["附件5"]);
        let range = calamine::Reader::worksheet_range_at(&mut book, 0).unwrap().unwrap();
        let rows: Vec<Vec<String>> = range.rows().map(|r| r.iter().map(|d| d.to_string()).collect()).collect();
        assert_eq!(rows.len(), 4);
        assert_eq!(rows[0][0], "兰山区应急管理局“大考试”考试安排表");
        assert_eq!(rows[1], HEADERS);
        assert_eq!(
            rows[2],
            [
                "1",
                "县级主要负责人考试",
                "主要负责人",
                "2026-09-25 09:00–10:00",
                "兰山区应急管理局考试中心（临沂市兰山区北城新区1号）",
                "40",
                "12",
                "兰山区应急管理局",
                "2026年兰山区规模以下企业主要负责人考试",
            ]
        );
        assert_eq!(rows[3][3..7], ["2026-09-01 08:00–2026-09-30 18:00", UNSCHEDULED, "", ""]);
    }
}
