//! The operator workbook: the XLSX an operator (or akimat) fills in with the progress of its
//! works, and reading it back.
//!
//! The template has a protected `Works` sheet: key columns (work, settlements, planned dates) are
//! locked, status and blocker reason are drop-downs, and two hidden, locked columns carry the
//! work's version and a fingerprint of its editable values when the template was made. A row
//! whose values still match its fingerprint was not edited and is not an edit; an edited row is
//! an edit *from that version*, so a work changed by someone else since the template was made is
//! detected as stale when the edit is applied. The `Instructions` sheet explains all of it in
//! Kazakh, Russian and English and names the organisation and the time the template was made.
//!
//! Reading validates every row and reports every problem with sheet, row, column and reason.

use crate::write::atomic_write;
use crate::{Error, Result};
use auyl_model::Id;
use auyl_track::{
    Blocker, BlockerReason, Status, Work, WorkUpdate, fingerprint, format_date, parse_date,
};
use calamine::{Data, Reader};
use rust_xlsxwriter::{DataValidation, Format, ProtectionOptions, Workbook};
use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use time::{Date, Duration};

/// The works sheet.
pub const WORKS_SHEET: &str = "Works";
/// The instructions sheet.
pub const INSTRUCTIONS_SHEET: &str = "Instructions";

/// Columns of the works sheet, in order: (header, editable).
const COLUMNS: [(&str, bool); 17] = [
    ("work_id", false),
    ("kind", false),
    ("settlement_ids", false),
    ("settlements", false),
    ("region", false),
    ("responsible", false),
    ("planned_start", false),
    ("planned_finish", false),
    ("status", true),
    ("actual_start", true),
    ("actual_finish", true),
    ("blocker_reason", true),
    ("blocker_who", true),
    ("blocker_since", true),
    ("comment", true),
    ("version", false),
    ("fingerprint", false),
];

fn col(name: &str) -> usize {
    COLUMNS.iter().position(|(h, _)| *h == name).unwrap_or(0)
}

/// The spreadsheet letter of a 0-based column (A, B, …, Z, AA…).
fn letter(mut c: usize) -> String {
    let mut s = Vec::new();
    loop {
        s.push(b'A' + (c % 26) as u8);
        if c < 26 {
            break;
        }
        c = c / 26 - 1;
    }
    s.reverse();
    String::from_utf8_lossy(&s).into_owned()
}

/// One row of a template: a work and what a reader needs to recognise it.
#[derive(Debug, Clone, PartialEq)]
pub struct TemplateRow {
    /// The work as stored.
    pub work: Work,
    /// Settlement names, for people (`Абралы; Алғабас`).
    pub settlement_names: String,
    /// Region name or code.
    pub region: String,
}

/// Who the template is for and when it was made (written to the instructions sheet).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateMeta {
    /// The organisation's id (`kcell`, `akimat:110000000`).
    pub organisation_id: String,
    /// Its name.
    pub organisation_name: String,
    /// When the template was made (RFC 3339, from the caller).
    pub made_at: String,
}

const INSTRUCTIONS: [(&str, &str); 9] = [
    (
        "Қазақша",
        "Бұл кітапта сіздің ұйымыңыздың жұмыстары берілген. Тек ақ бағандарды толтырыңыз: мәртебе (тізімнен), нақты басталу және аяқталу күні (ЖЖЖЖ-АА-КК), тоқтату себебі, кім әрекет етуі керек, қашаннан бері және түсініктеме. Сұр бағандар мен жасырын бағандарды өзгертпеңіз, жолдарды басқа кітаптан көшірмеңіз. Мәртебе «blocked» болса, себеп пен жауапты ұйымды көрсетіңіз. Жұмыс үлгі жасалғаннан кейін басқа біреу өзгерткен болса, жол ескірген деп қабылданбайды: жаңа үлгі алыңыз. Кітап толығымен қабылданады немесе толығымен қабылданбайды.",
    ),
    (
        "Русский",
        "В этой книге — работы вашей организации. Заполняйте только белые столбцы: статус (из списка), фактические даты начала и окончания (ГГГГ-ММ-ДД), причину блокировки, кто должен действовать, с какого числа, и комментарий. Не меняйте серые и скрытые столбцы и не копируйте строки из других книг. Для статуса «blocked» укажите причину и ответственную организацию. Если работу изменил кто-то другой после создания шаблона, строка устарела и будет отклонена: запросите новый шаблон. Книга принимается целиком или не принимается вовсе.",
    ),
    (
        "English",
        "This workbook lists your organisation's works. Fill in only the white columns: status (from the list), actual start and finish (YYYY-MM-DD), blocker reason, who must act, since when, and a comment. Do not change the grey or hidden columns and do not copy rows from other workbooks. For status \"blocked\" give the reason and the organisation that must act. If someone else changed a work after this template was made, its row is stale and is rejected: ask for a new template. The workbook is applied whole or not at all.",
    ),
    (
        "status",
        "planned | in_progress | blocked | done | accepted",
    ),
    (
        "blocker_reason",
        "land | electricity | permits | equipment | weather | financing",
    ),
    (
        "workflow",
        "planned → in_progress | blocked; in_progress → blocked | done; blocked → planned | in_progress; done → accepted | in_progress",
    ),
    ("organisation", ""),
    ("organisation_name", ""),
    ("made_at", ""),
];

fn xerr(path: &Path) -> impl Fn(rust_xlsxwriter::XlsxError) -> Error + '_ {
    move |e| Error::Xlsx {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

/// Writes the template for one organisation's works (atomically).
pub fn write_operator_template(
    path: &Path,
    meta: &TemplateMeta,
    rows: &[TemplateRow],
) -> Result<()> {
    atomic_write(path, |tmp| {
        let x = xerr(path);
        let mut wb = Workbook::new();
        let header = Format::new()
            .set_bold()
            .set_background_color("#D9D9D9")
            .set_text_wrap();
        let locked = Format::new().set_background_color("#EDEDED");
        let open = Format::new().set_unlocked();
        let ws = wb.add_worksheet();
        ws.set_name(WORKS_SHEET).map_err(&x)?;
        for (c, (h, editable)) in COLUMNS.iter().enumerate() {
            let c = c as u16;
            ws.write_string_with_format(0, c, *h, &header).map_err(&x)?;
            let width = match *h {
                "work_id" | "settlements" | "settlement_ids" | "comment" => 32.0,
                _ => 15.0,
            };
            if *editable {
                ws.set_column_format(c, &open).map_err(&x)?;
            }
            ws.set_column_width(c, width).map_err(&x)?;
        }
        ws.set_column_hidden(col("version") as u16).map_err(&x)?;
        ws.set_column_hidden(col("fingerprint") as u16)
            .map_err(&x)?;
        for (i, r) in rows.iter().enumerate() {
            let row = i as u32 + 1;
            let w = &r.work;
            let b = w.blocker.as_ref();
            let values: [String; 17] = [
                w.id.to_string(),
                w.kind.as_str().to_string(),
                w.settlement_ids
                    .iter()
                    .map(Id::as_str)
                    .collect::<Vec<_>>()
                    .join("; "),
                r.settlement_names.clone(),
                r.region.clone(),
                w.responsible_id.to_string(),
                format_date(w.planned_start),
                format_date(w.planned_finish),
                w.status.as_str().to_string(),
                w.actual_start.map(format_date).unwrap_or_default(),
                w.actual_finish.map(format_date).unwrap_or_default(),
                b.map(|b| b.reason.as_str().to_string()).unwrap_or_default(),
                b.map(|b| b.who_must_act.to_string()).unwrap_or_default(),
                b.map(|b| format_date(b.since)).unwrap_or_default(),
                w.comment.clone(),
                w.version.to_string(),
                w.fingerprint(),
            ];
            for (c, v) in values.iter().enumerate() {
                let f = if COLUMNS[c].1 { &open } else { &locked };
                if c == col("version") {
                    ws.write_number_with_format(row, c as u16, w.version as f64, f)
                        .map_err(&x)?;
                } else {
                    ws.write_string_with_format(row, c as u16, v, f)
                        .map_err(&x)?;
                }
            }
        }
        let last = (rows.len() as u32).max(1);
        let statuses: Vec<&str> = Status::ALL.iter().map(|s| s.as_str()).collect();
        let dv = DataValidation::new()
            .allow_list_strings(&statuses)
            .map_err(&x)?
            .set_error_message("planned, in_progress, blocked, done or accepted")
            .map_err(&x)?;
        let s = col("status") as u16;
        ws.add_data_validation(1, s, last, s, &dv).map_err(&x)?;
        let reasons: Vec<&str> = BlockerReason::ALL.iter().map(|r| r.as_str()).collect();
        let dv = DataValidation::new()
            .allow_list_strings(&reasons)
            .map_err(&x)?
            .set_error_message("land, electricity, permits, equipment, weather or financing")
            .map_err(&x)?;
        let r = col("blocker_reason") as u16;
        ws.add_data_validation(1, r, last, r, &dv).map_err(&x)?;
        ws.set_freeze_panes(1, 1).map_err(&x)?;
        ws.protect_with_options(&ProtectionOptions {
            format_columns: false,
            sort: true,
            use_autofilter: true,
            ..ProtectionOptions::default()
        });

        let ins = wb.add_worksheet();
        ins.set_name(INSTRUCTIONS_SHEET).map_err(&x)?;
        ins.set_column_width(0, 20).map_err(&x)?;
        ins.set_column_width(1, 120).map_err(&x)?;
        let wrap = Format::new().set_text_wrap();
        for (i, (k, v)) in INSTRUCTIONS.iter().enumerate() {
            let v = match *k {
                "organisation" => meta.organisation_id.as_str(),
                "organisation_name" => meta.organisation_name.as_str(),
                "made_at" => meta.made_at.as_str(),
                _ => v,
            };
            ins.write_string_with_format(i as u32, 0, *k, &header)
                .map_err(&x)?;
            ins.write_string_with_format(i as u32, 1, v, &wrap)
                .map_err(&x)?;
        }
        ins.protect();
        wb.save(tmp).map_err(&x)
    })
}

/// A problem with one cell (or row) of a workbook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CellError {
    /// The sheet.
    pub sheet: String,
    /// The row as the spreadsheet shows it (header = 1).
    pub row: u32,
    /// The column: letter and header (`I (status)`), or empty for the whole row.
    pub column: String,
    /// What is wrong.
    pub reason: String,
}

impl fmt::Display for CellError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sheet {}, row {}", self.sheet, self.row)?;
        if !self.column.is_empty() {
            write!(f, ", column {}", self.column)?;
        }
        write!(f, ": {}", self.reason)
    }
}

/// Why an operator workbook cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WorkbookError {
    /// The file cannot be opened or is not a workbook.
    #[error(transparent)]
    File(#[from] Error),
    /// Cells are invalid: every one is listed.
    #[error("{}: {} invalid cell(s){}:\n{}", path.display(), errors.len(), if errors.len() > 30 { ", the first 30" } else { "" }, errors.iter().take(30).map(|e| format!("  {e}")).collect::<Vec<_>>().join("\n"))]
    Invalid {
        /// The file.
        path: PathBuf,
        /// Every problem found.
        errors: Vec<CellError>,
    },
}

/// One row read back.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkbookRow {
    /// The row as the spreadsheet shows it.
    pub row: u32,
    /// Whether the organisation changed the row (its values differ from the fingerprint).
    pub changed: bool,
    /// The edit the row asks for, from the version the template was made at.
    pub update: WorkUpdate,
}

/// A filled operator workbook.
#[derive(Debug, Clone, PartialEq)]
pub struct OperatorWorkbook {
    /// The organisation the template was made for.
    pub organisation_id: String,
    /// When the template was made.
    pub made_at: String,
    /// Every work row, in sheet order.
    pub rows: Vec<WorkbookRow>,
}

impl OperatorWorkbook {
    /// The rows the organisation changed.
    pub fn changed(&self) -> impl Iterator<Item = &WorkbookRow> {
        self.rows.iter().filter(|r| r.changed)
    }
}

fn text(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::String(s) => s.trim().to_string(),
        Data::Float(x) if x.fract() == 0.0 => format!("{x:.0}"),
        Data::Float(x) => x.to_string(),
        Data::Int(i) => i.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(d) => d.as_f64().to_string(),
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Error(e) => format!("#{e:?}"),
    }
}

/// A date cell: an Excel date, `YYYY-MM-DD`, or `DD.MM.YYYY` (as Russian and Kazakh offices type it).
fn date_cell(d: &Data) -> std::result::Result<Option<Date>, String> {
    let serial = match d {
        Data::Empty => return Ok(None),
        Data::DateTime(x) => Some(x.as_f64()),
        Data::Float(x) => Some(*x),
        Data::Int(i) => Some(*i as f64),
        _ => None,
    };
    if let Some(s) = serial {
        // Excel's 1900 date system: day 1 is 1900-01-01, counted from 1899-12-30 because of
        // the 1900 leap-year bug.
        let base =
            Date::from_calendar_date(1899, time::Month::December, 30).map_err(|e| e.to_string())?;
        if !(1.0..2_958_466.0).contains(&s) {
            return Err(format!("{s} is not a date"));
        }
        return Ok(Some(base.saturating_add(Duration::days(s.floor() as i64))));
    }
    let t = text(d);
    if t.is_empty() {
        return Ok(None);
    }
    let t = t.split(['T', ' ']).next().unwrap_or("");
    if let Some(x) = parse_date(t) {
        return Ok(Some(x));
    }
    let p: Vec<&str> = t.split('.').collect();
    if let [dd, mm, yy] = p[..]
        && let Some(x) = parse_date(&format!("{yy}-{mm}-{dd}"))
    {
        return Ok(Some(x));
    }
    Err(format!("`{t}` is not a date (YYYY-MM-DD or DD.MM.YYYY)"))
}

/// Reads a filled operator workbook and validates every row. `today` is the blocker's `since`
/// when a row marks a work blocked without one. Every problem is collected; any problem rejects
/// the workbook.
pub fn read_operator_workbook(
    path: &Path,
    today: Date,
) -> std::result::Result<OperatorWorkbook, WorkbookError> {
    let bad = |m: String| {
        WorkbookError::File(Error::Malformed {
            path: path.to_path_buf(),
            message: m,
        })
    };
    let mut wb = calamine::open_workbook_auto(path)
        .map_err(|e| bad(format!("not a readable workbook: {e}")))?;
    let ins = wb.worksheet_range(INSTRUCTIONS_SHEET).map_err(|e| {
        bad(format!(
            "no `{INSTRUCTIONS_SHEET}` sheet: {e}; is this an auyl tracking template?"
        ))
    })?;
    let meta = |key: &str| {
        ins.rows()
            .find(|r| r.first().map(text).as_deref() == Some(key))
            .and_then(|r| r.get(1).map(text))
            .unwrap_or_default()
    };
    let organisation_id = meta("organisation");
    let made_at = meta("made_at");
    let range = wb.worksheet_range(WORKS_SHEET).map_err(|e| {
        bad(format!(
            "no `{WORKS_SHEET}` sheet: {e}; is this an auyl tracking template?"
        ))
    })?;
    let mut errors = Vec::new();
    let mut rows_iter = range.rows();
    let header: Vec<String> = rows_iter
        .next()
        .map(|r| r.iter().map(text).collect())
        .unwrap_or_default();
    // Columns by header, so a template whose columns were moved still reads.
    let mut at: HashMap<&str, usize> = HashMap::new();
    for (h, _) in COLUMNS {
        match header.iter().position(|x| x == h) {
            Some(i) => {
                at.insert(h, i);
            }
            None => errors.push(CellError {
                sheet: WORKS_SHEET.into(),
                row: 1,
                column: String::new(),
                reason: format!("no column `{h}`: the header row was changed"),
            }),
        }
    }
    if organisation_id.is_empty() {
        errors.push(CellError {
            sheet: INSTRUCTIONS_SHEET.into(),
            row: 7,
            column: "B (organisation)".into(),
            reason: "the organisation is missing: the template was altered".into(),
        });
    }
    if !errors.is_empty() {
        return Err(WorkbookError::Invalid {
            path: path.to_path_buf(),
            errors,
        });
    }
    let empty = Data::Empty;
    let mut rows = Vec::new();
    let mut seen: HashMap<String, u32> = HashMap::new();
    for (i, r) in rows_iter.enumerate() {
        let row = range.start().map_or(0, |(r0, _)| r0) + i as u32 + 2;
        let cell = |h: &str| at.get(h).and_then(|&c| r.get(c)).unwrap_or(&empty);
        if r.iter().all(|c| text(c).is_empty()) {
            continue;
        }
        let mut err = |h: &str, reason: String| {
            let c = at.get(h).copied().unwrap_or(0);
            errors.push(CellError {
                sheet: WORKS_SHEET.into(),
                row,
                column: format!("{} ({h})", letter(c)),
                reason,
            });
        };
        let work_id = text(cell("work_id"));
        if work_id.is_empty() {
            err("work_id", "empty: every row must keep its work id".into());
            continue;
        }
        if let Some(first) = seen.insert(work_id.clone(), row) {
            err(
                "work_id",
                format!("`{work_id}` is also on row {first}: each work once"),
            );
        }
        let version = match cell("version") {
            Data::Float(x) if x.fract() == 0.0 && *x >= 1.0 => Some(*x as i64),
            Data::Int(i) if *i >= 1 => Some(*i),
            Data::String(s) => s.trim().parse::<i64>().ok().filter(|v| *v >= 1),
            _ => None,
        };
        let Some(version) = version else {
            err(
                "version",
                "the hidden version is missing or altered: rows must come from an auyl template"
                    .into(),
            );
            continue;
        };
        let fp = text(cell("fingerprint"));
        let status_text = text(cell("status"));
        let status = match Status::parse(&status_text) {
            Some(s) => s,
            None => {
                err(
                    "status",
                    format!(
                        "`{status_text}` is not a status (planned, in_progress, blocked, done, accepted)"
                    ),
                );
                continue;
            }
        };
        let mut date = |h: &str| match date_cell(cell(h)) {
            Ok(d) => d,
            Err(m) => {
                err(h, m);
                None
            }
        };
        let actual_start = date("actual_start");
        let actual_finish = date("actual_finish");
        let since = date("blocker_since");
        let reason_text = text(cell("blocker_reason"));
        let who = text(cell("blocker_who"));
        let comment = text(cell("comment"));
        let mut err = |h: &str, reason: String| {
            let c = at.get(h).copied().unwrap_or(0);
            errors.push(CellError {
                sheet: WORKS_SHEET.into(),
                row,
                column: format!("{} ({h})", letter(c)),
                reason,
            });
        };
        if let (Some(s), Some(f)) = (actual_start, actual_finish)
            && f < s
        {
            err(
                "actual_finish",
                format!(
                    "{} is before the actual start {}",
                    format_date(f),
                    format_date(s)
                ),
            );
        }
        if let Some(f) = actual_finish
            && f > today
        {
            err(
                "actual_finish",
                format!("{} is in the future", format_date(f)),
            );
        }
        let reason = if reason_text.is_empty() {
            None
        } else {
            match BlockerReason::parse(&reason_text) {
                Some(r) => Some(r),
                None => {
                    err(
                        "blocker_reason",
                        format!(
                            "`{reason_text}` is not a reason (land, electricity, permits, equipment, weather, financing)"
                        ),
                    );
                    None
                }
            }
        };
        let blocker = if status == Status::Blocked {
            match (reason, who.is_empty()) {
                (Some(reason), false) => Some(Blocker {
                    reason,
                    who_must_act: Id::new(&who),
                    since: since.unwrap_or(today),
                    note: comment.clone(),
                }),
                (None, _) => {
                    if reason_text.is_empty() {
                        err(
                            "blocker_reason",
                            "status is blocked: give the reason".into(),
                        );
                    }
                    None
                }
                (_, true) => {
                    err("blocker_who", "status is blocked: say who must act".into());
                    None
                }
            }
        } else {
            None
        };
        let now = fingerprint(&[
            status.as_str(),
            if status == Status::Blocked {
                reason.map_or("", |r| r.as_str())
            } else {
                reason_text.as_str()
            },
            &who,
            &since.map(format_date).unwrap_or_default(),
            &actual_start.map(format_date).unwrap_or_default(),
            &actual_finish.map(format_date).unwrap_or_default(),
            &comment,
        ]);
        rows.push(WorkbookRow {
            row,
            changed: now != fp,
            update: WorkUpdate {
                work_id: Id::new(&work_id),
                expected_version: version,
                status: Some(status),
                blocker,
                actual_start,
                actual_finish,
                comment: Some(comment),
            },
        });
    }
    if !errors.is_empty() {
        return Err(WorkbookError::Invalid {
            path: path.to_path_buf(),
            errors,
        });
    }
    Ok(OperatorWorkbook {
        organisation_id,
        made_at,
        rows,
    })
}

/// What the weekly report shows: the KPIs of the day, the burn-up, the forecasts.
#[derive(Debug, Clone)]
pub struct WeeklyReport<'a> {
    /// The KPIs.
    pub kpis: &'a auyl_track::Kpis,
    /// Weekly planned and connected settlements up to the KPI date.
    pub burn_up: &'a [auyl_track::BurnUpPoint],
    /// The programme (`*`, first) and each region.
    pub outlooks: &'a [auyl_track::RegionOutlook],
    /// Region names by code (codes are shown where a name is missing).
    pub region_names: &'a HashMap<String, String>,
    /// Organisation names by id.
    pub org_names: &'a HashMap<String, String>,
    /// Whether the progress is (partly) simulated: then every page and sheet says so.
    pub simulated: bool,
    /// Head of the audit chain on the report date (published so truncation can be detected).
    pub audit_head: &'a auyl_track::ChainHead,
    /// When the report was made (RFC 3339).
    pub made_at: &'a str,
    /// Single points of failure and people at risk of the latest plan (`None`: no plan stored,
    /// the report says resilience was not assessed).
    pub resilience: Option<&'a auyl_model::RiskSummary>,
}

const SIMULATED_BANNER: &str = "SIMULATED PROGRESS: the history in this report was generated by the demo simulation, not reported by operators";

fn name<'a>(names: &'a HashMap<String, String>, id: &'a str) -> &'a str {
    names.get(id).map_or(id, String::as_str)
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn pct(a: u64, b: u64) -> String {
    if b == 0 {
        "–".into()
    } else {
        format!("{:.0} %", 100.0 * a as f64 / b as f64)
    }
}

fn opt_day(d: Option<Date>) -> String {
    d.map(format_date)
        .unwrap_or_else(|| "beyond horizon".into())
}

/// The report's tables: (sheet name, header, rows). The XLSX has one sheet per table; the HTML
/// shows them under the charts.
/// One table of the report: sheet name, header, rows.
type Table = (&'static str, Vec<String>, Vec<Vec<String>>);

fn report_tables(r: &WeeklyReport<'_>) -> Vec<Table> {
    let k = r.kpis;
    let h = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let progress_row = |label: String, p: &auyl_track::Progress| {
        vec![
            label,
            p.settlements_planned.to_string(),
            p.settlements_due.to_string(),
            p.settlements_connected.to_string(),
            pct(p.settlements_connected, p.settlements_due),
            p.people_planned.to_string(),
            p.people_due.to_string(),
            p.people_connected.to_string(),
        ]
    };
    let ph = h(&[
        "",
        "settlements planned",
        "settlements due",
        "settlements connected",
        "connected / due",
        "people planned",
        "people due",
        "people with access",
    ]);
    let mut summary = vec![progress_row("programme".into(), &k.total)];
    summary.push(vec![
        "works by status".into(),
        k.works_by_status
            .iter()
            .map(|(s, n)| format!("{s}: {n}"))
            .collect::<Vec<_>>()
            .join(", "),
    ]);
    summary.push(vec!["overdue works".into(), k.overdue.len().to_string()]);
    summary.push(vec![
        "audit head".into(),
        format!("#{} {}", r.audit_head.seq, r.audit_head.hash),
    ]);
    summary.push(vec!["report made".into(), r.made_at.to_string()]);
    if r.simulated {
        summary.insert(0, vec![SIMULATED_BANNER.into()]);
    }
    let regions = k
        .by_region
        .iter()
        .map(|(c, p)| progress_row(format!("{} ({c})", name(r.region_names, c)), p))
        .collect();
    let operators = k
        .by_operator
        .iter()
        .map(|(c, p)| progress_row(name(r.org_names, c).to_string(), p))
        .collect();
    let outlook = r
        .outlooks
        .iter()
        .map(|o| {
            vec![
                if o.region_code == "*" {
                    "programme".to_string()
                } else {
                    format!(
                        "{} ({})",
                        name(r.region_names, &o.region_code),
                        o.region_code
                    )
                },
                o.outlook.as_str().to_string(),
                o.forecast.remaining.to_string(),
                format!("{:.1}", o.forecast.mean_per_week),
                format_date(o.deadline),
                opt_day(o.forecast.p10),
                opt_day(o.forecast.p50),
                opt_day(o.forecast.p90),
            ]
        })
        .collect();
    let waiting = k
        .waiting
        .iter()
        .flat_map(|w| {
            w.works.iter().map(move |x| {
                vec![
                    name(r.org_names, w.who_must_act.as_str()).to_string(),
                    x.work_id.to_string(),
                    x.kind.as_str().to_string(),
                    x.reason.as_str().to_string(),
                    format_date(x.since),
                    x.days_waiting.to_string(),
                    x.note.clone(),
                ]
            })
        })
        .collect();
    let overdue = k
        .overdue
        .iter()
        .map(|o| {
            vec![
                o.work_id.to_string(),
                o.kind.as_str().to_string(),
                name(r.org_names, o.responsible_id.as_str()).to_string(),
                format_date(o.planned_finish),
                o.days_late.to_string(),
                o.status.as_str().to_string(),
            ]
        })
        .collect();
    let burn = r
        .burn_up
        .iter()
        .map(|b| {
            vec![
                format_date(b.week_end),
                b.planned.to_string(),
                b.connected.to_string(),
            ]
        })
        .collect();
    summary.push(vec![
        "resilience".into(),
        match r.resilience {
            Some(x) => resilience_sentence(x),
            None => NO_RESILIENCE.into(),
        },
    ]);
    let mut tables = vec![
        ("Summary", ph.clone(), summary),
        ("Regions", ph.clone(), regions),
        ("Operators", ph, operators),
        (
            "Forecast",
            h(&[
                "region",
                "outlook",
                "settlements remaining",
                "connected per week (recent mean)",
                "deadline",
                "P10 finish",
                "P50 finish",
                "P90 finish",
            ]),
            outlook,
        ),
        (
            "Waiting",
            h(&[
                "who must act",
                "work",
                "kind",
                "reason",
                "since",
                "days waiting",
                "note",
            ]),
            waiting,
        ),
        (
            "Overdue",
            h(&[
                "work",
                "kind",
                "responsible",
                "planned finish",
                "days late",
                "status",
            ]),
            overdue,
        ),
        ("BurnUp", h(&["week end", "planned", "connected"]), burn),
    ];
    if let Some(x) = r.resilience {
        tables.extend(resilience_tables(r, x));
    }
    tables
}

const NO_RESILIENCE: &str =
    "not assessed: no plan is stored (run `auyl plan run`, then `auyl resilience spof`)";

fn resilience_sentence(x: &auyl_model::RiskSummary) -> String {
    format!(
        "plan {}: {} single points of failure; {} people in {} of {} settlements would lose service from one failure other than of their own equipment ({}), {} people in {} settlements from a failure shared with other settlements (a point of presence, a fibre, a mast, a power supply once the batteries run out); {} people in {} settlements not reached even with everything working",
        x.plan,
        x.single_points,
        x.people_at_risk,
        x.settlements_at_risk,
        x.settlements,
        pct(x.people_at_risk, x.people),
        x.people_at_risk_shared,
        x.settlements_at_risk_shared,
        x.unreachable_people,
        x.unreachable_settlements,
    )
}

/// The resilience sheets: the worst single points of failure, and who is at risk by region.
fn resilience_tables(r: &WeeklyReport<'_>, x: &auyl_model::RiskSummary) -> Vec<Table> {
    let h = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let region = |c: &str| match r.region_names.get(c) {
        _ if c.is_empty() => "no region".to_string(),
        Some(n) => format!("{n} ({c})"),
        None => c.to_string(),
    };
    let worst = x
        .worst
        .iter()
        .map(|e| {
            vec![
                e.id.clone(),
                e.kind.clone(),
                e.settlements.to_string(),
                e.people.to_string(),
                e.regions
                    .iter()
                    .map(|c| region(c))
                    .collect::<Vec<_>>()
                    .join("; "),
                e.after_h.map_or(String::new(), |h| format!("{h:.1}")),
                if e.assumed { "assumed" } else { "" }.to_string(),
            ]
        })
        .collect();
    let regions = x
        .by_region
        .iter()
        .map(|g| {
            vec![
                region(&g.region_code),
                g.settlements.to_string(),
                g.people.to_string(),
                g.settlements_at_risk.to_string(),
                g.people_at_risk.to_string(),
                pct(g.people_at_risk, g.people),
                g.settlements_at_risk_shared.to_string(),
                g.people_at_risk_shared.to_string(),
                g.worst.as_ref().map_or(String::new(), |w| w.0.clone()),
                g.worst.as_ref().map_or(String::new(), |w| w.1.to_string()),
            ]
        })
        .collect();
    vec![
        (
            "Resilience",
            h(&[
                "single point of failure",
                "kind",
                "settlements cut off",
                "people cut off",
                "regions",
                "cut off after (battery hours)",
                "assumption",
            ]),
            worst,
        ),
        (
            "ResilienceRegions",
            h(&[
                "region",
                "settlements",
                "people",
                "settlements at risk",
                "people at risk",
                "people at risk / people",
                "settlements at risk of a shared failure",
                "people at risk of a shared failure",
                "worst single failure",
                "people it cuts off in the region",
            ]),
            regions,
        ),
    ]
}

fn burn_up_svg(r: &WeeklyReport<'_>) -> std::result::Result<String, String> {
    use plotters::prelude::*;
    let mut svg = String::new();
    let Some(first) = r.burn_up.first() else {
        return Ok(svg);
    };
    let programme = r.outlooks.iter().find(|o| o.region_code == "*");
    let total = r.kpis.total.settlements_planned;
    let as_of = r.kpis.as_of;
    let x0 = first.week_end.to_julian_day();
    let mut x1 = as_of.to_julian_day();
    for d in programme
        .iter()
        .flat_map(|o| [o.forecast.p90, Some(o.deadline)])
        .flatten()
    {
        x1 = x1.max(d.to_julian_day());
    }
    {
        let root = SVGBackend::with_string(&mut svg, (860, 380)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let title = if r.simulated {
            "Settlements connected (SIMULATED progress) vs plan, with forecast band"
        } else {
            "Settlements connected vs plan, with forecast band"
        };
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 16))
            .margin(10)
            .x_label_area_size(30)
            .y_label_area_size(60)
            .build_cartesian_2d(x0..x1.max(x0 + 1), 0u64..total.max(1) + total / 20 + 1)
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .x_label_formatter(&|j| {
                Date::from_julian_day(*j)
                    .map(format_date)
                    .unwrap_or_default()
            })
            .y_desc("settlements")
            .draw()
            .map_err(|e| e.to_string())?;
        let blue = RGBColor(31, 119, 180);
        let grey = RGBColor(127, 127, 127);
        let orange = RGBColor(255, 127, 14);
        chart
            .draw_series(LineSeries::new(
                r.burn_up
                    .iter()
                    .map(|b| (b.week_end.to_julian_day(), b.planned)),
                grey.stroke_width(2),
            ))
            .map_err(|e| e.to_string())?
            .label("planned")
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 18, y)], grey.stroke_width(2)));
        chart
            .draw_series(LineSeries::new(
                r.burn_up
                    .iter()
                    .map(|b| (b.week_end.to_julian_day(), b.connected)),
                blue.stroke_width(3),
            ))
            .map_err(|e| e.to_string())?
            .label(if r.simulated {
                "connected (simulated)"
            } else {
                "connected"
            })
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 18, y)], blue.stroke_width(3)));
        if let Some(o) = programme {
            let now = (as_of.to_julian_day(), r.kpis.total.settlements_connected);
            if let (Some(p10), Some(p90)) = (o.forecast.p10, o.forecast.p90) {
                let band = vec![
                    now,
                    (p10.to_julian_day(), total),
                    (p90.to_julian_day(), total),
                ];
                chart
                    .draw_series(std::iter::once(Polygon::new(
                        band,
                        orange.mix(0.25).filled(),
                    )))
                    .map_err(|e| e.to_string())?
                    .label("forecast P10–P90")
                    .legend(move |(x, y)| {
                        Rectangle::new([(x, y - 5), (x + 18, y + 5)], orange.mix(0.25).filled())
                    });
            }
            if let Some(p50) = o.forecast.p50 {
                chart
                    .draw_series(LineSeries::new(
                        [now, (p50.to_julian_day(), total)],
                        orange.stroke_width(2),
                    ))
                    .map_err(|e| e.to_string())?
                    .label("forecast median")
                    .legend(move |(x, y)| {
                        PathElement::new([(x, y), (x + 18, y)], orange.stroke_width(2))
                    });
            }
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .position(SeriesLabelPosition::UpperLeft)
            .draw()
            .map_err(|e| e.to_string())?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(svg)
}

fn region_bars_svg(r: &WeeklyReport<'_>) -> std::result::Result<String, String> {
    use plotters::prelude::*;
    let regions: Vec<(&String, &auyl_track::Progress)> = r.kpis.by_region.iter().collect();
    let mut svg = String::new();
    if regions.is_empty() {
        return Ok(svg);
    }
    {
        let root = SVGBackend::with_string(&mut svg, (860, 420)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let max = regions
            .iter()
            .map(|(_, p)| p.settlements_planned)
            .max()
            .unwrap_or(1)
            .max(1);
        let mut chart = ChartBuilder::on(&root)
            .caption(
                "Settlements by region: planned, due, connected",
                ("sans-serif", 16),
            )
            .margin(10)
            .x_label_area_size(90)
            .y_label_area_size(60)
            .build_cartesian_2d(
                (0..regions.len()).into_segmented(),
                0u64..max + max / 10 + 1,
            )
            .map_err(|e| e.to_string())?;
        let labels: Vec<String> = regions
            .iter()
            .map(|(c, _)| name(r.region_names, c).chars().take(14).collect())
            .collect();
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(regions.len())
            .x_label_style(
                ("sans-serif", 11)
                    .into_font()
                    .transform(FontTransform::Rotate90),
            )
            .x_label_formatter(&|v| match v {
                SegmentValue::CenterOf(i) => labels.get(*i).cloned().unwrap_or_default(),
                _ => String::new(),
            })
            .y_desc("settlements")
            .draw()
            .map_err(|e| e.to_string())?;
        type Series = (
            RGBColor,
            fn(&auyl_track::Progress) -> u64,
            u32,
            u32,
            &'static str,
        );
        let series: [Series; 3] = [
            (
                RGBColor(200, 200, 200),
                |p| p.settlements_planned,
                4,
                4,
                "planned",
            ),
            (
                RGBColor(255, 187, 120),
                |p| p.settlements_due,
                10,
                10,
                "due",
            ),
            (
                RGBColor(31, 119, 180),
                |p| p.settlements_connected,
                16,
                16,
                "connected",
            ),
        ];
        for (c, f, m1, m2, label) in series {
            chart
                .draw_series(regions.iter().enumerate().map(|(i, (_, p))| {
                    let mut rect = Rectangle::new(
                        [
                            (SegmentValue::Exact(i), 0),
                            (SegmentValue::Exact(i + 1), f(p)),
                        ],
                        c.filled(),
                    );
                    rect.set_margin(0, 0, m1, m2);
                    rect
                }))
                .map_err(|e| e.to_string())?
                .label(label)
                .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 18, y + 5)], c.filled()));
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .position(SeriesLabelPosition::UpperRight)
            .draw()
            .map_err(|e| e.to_string())?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(svg)
}

/// Writes `weekly-YYYY-MM-DD.xlsx` and `weekly-YYYY-MM-DD.html` (with an SVG burn-up with the
/// forecast band and by-region bars) into `dir`, atomically each, and returns both paths.
pub fn write_weekly_report(dir: &Path, r: &WeeklyReport<'_>) -> Result<(PathBuf, PathBuf)> {
    let day = format_date(r.kpis.as_of);
    let xlsx = dir.join(format!("weekly-{day}.xlsx"));
    let html = dir.join(format!("weekly-{day}.html"));
    let tables = report_tables(r);
    atomic_write(&xlsx, |tmp| {
        let x = xerr(&xlsx);
        let mut wb = Workbook::new();
        let bold = Format::new().set_bold();
        for (sheet, header, rows) in &tables {
            let ws = wb.add_worksheet();
            ws.set_name(*sheet).map_err(&x)?;
            let mut r0 = 0u32;
            if r.simulated {
                ws.write_string_with_format(0, 0, SIMULATED_BANNER, &bold)
                    .map_err(&x)?;
                r0 = 2;
            }
            for (c, h) in header.iter().enumerate() {
                ws.write_string_with_format(r0, c as u16, h, &bold)
                    .map_err(&x)?;
            }
            for (i, row) in rows.iter().enumerate() {
                for (c, v) in row.iter().enumerate() {
                    let at = r0 + 1 + i as u32;
                    match v.parse::<f64>() {
                        Ok(n) if !v.is_empty() && !v.contains('-') => {
                            ws.write_number(at, c as u16, n).map_err(&x)?
                        }
                        _ => ws.write_string(at, c as u16, v).map_err(&x)?,
                    };
                }
            }
            ws.set_column_width(0, 28).map_err(&x)?;
        }
        wb.save(tmp).map_err(&x)
    })?;
    let chart_err = |m: String| Error::Malformed {
        path: html.clone(),
        message: format!("drawing a chart: {m}"),
    };
    let burn = burn_up_svg(r).map_err(chart_err)?;
    let bars = region_bars_svg(r).map_err(chart_err)?;
    let mut out = String::new();
    out.push_str(&format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Weekly rollout report {day}</title>\n<style>body{{font-family:sans-serif;margin:2em;max-width:1100px}}table{{border-collapse:collapse;margin:1em 0}}td,th{{border:1px solid #ccc;padding:3px 6px;font-size:13px}}th{{background:#eee}}.sim{{background:#fff3cd;border:2px solid #d39e00;padding:.6em;font-weight:bold}}td.n{{text-align:right}}</style></head><body>\n<h1>Weekly rollout report, {day}</h1>\n"
    ));
    if r.simulated {
        out.push_str(&format!("<p class=\"sim\">{}</p>\n", esc(SIMULATED_BANNER)));
    }
    let t = &r.kpis.total;
    out.push_str(&format!(
        "<p>{} of {} settlements due by {day} are connected ({}); {} people have access out of {} due and {} planned. {} works are overdue.</p>\n",
        t.settlements_connected, t.settlements_due, pct(t.settlements_connected, t.settlements_due),
        t.people_connected, t.people_due, t.people_planned, r.kpis.overdue.len()
    ));
    out.push_str(&burn);
    out.push('\n');
    out.push_str(&bars);
    out.push('\n');
    for (sheet, header, rows) in &tables {
        if *sheet == "BurnUp" {
            continue;
        }
        match (*sheet, r.resilience) {
            ("Resilience", Some(x)) => {
                out.push_str(&format!(
                    "<h2 id=\"resilience\">Resilience of plan {}</h2>\n<p>{}.</p>\n<p>A single point of failure is an element whose failure alone cuts settlements off from the core network; a power supply cuts off what it feeds once their batteries run out. A settlement is at risk when some single failure other than its own equipment cuts it off. The worst {} single points of failure:</p>\n",
                    esc(&x.plan),
                    esc(&resilience_sentence(x)),
                    x.worst.len()
                ));
                if !x.assumptions.is_empty() {
                    out.push_str(
                        "<details><summary>Assumptions of the network model</summary><ul>",
                    );
                    for a in &x.assumptions {
                        out.push_str(&format!("<li>{}</li>", esc(a)));
                    }
                    out.push_str("</ul></details>\n");
                }
                out.push_str("<table><tr>");
            }
            ("ResilienceRegions", _) => {
                out.push_str("<h3>Settlements and people at risk from a single failure, by region</h3>\n<table><tr>");
            }
            _ => out.push_str(&format!("<h2>{}</h2>\n<table><tr>", esc(sheet))),
        }
        for h in header {
            out.push_str(&format!("<th>{}</th>", esc(h)));
        }
        out.push_str("</tr>\n");
        let shown = if *sheet == "Overdue" || *sheet == "Waiting" {
            200
        } else {
            usize::MAX
        };
        for row in rows.iter().take(shown) {
            out.push_str("<tr>");
            for v in row {
                let class = if v.parse::<f64>().is_ok() {
                    " class=\"n\""
                } else {
                    ""
                };
                out.push_str(&format!("<td{class}>{}</td>", esc(v)));
            }
            out.push_str("</tr>\n");
        }
        out.push_str("</table>\n");
        if rows.len() > shown {
            out.push_str(&format!(
                "<p>… and {} more (all of them in the workbook).</p>\n",
                rows.len() - shown
            ));
        }
    }
    if r.resilience.is_none() {
        out.push_str(&format!(
            "<h2 id=\"resilience\">Resilience</h2>\n<p>{}.</p>\n",
            esc(NO_RESILIENCE)
        ));
    }
    out.push_str(&format!(
        "<p>Audit log head: entry {} <code>{}</code>. Made {}.</p>\n</body></html>\n",
        r.audit_head.seq,
        r.audit_head.hash,
        esc(r.made_at)
    ));
    atomic_write(&html, |tmp| {
        std::fs::write(tmp, out.as_bytes()).map_err(|e| Error::Io {
            path: html.clone(),
            source: e,
        })
    })?;
    Ok((xlsx, html))
}
