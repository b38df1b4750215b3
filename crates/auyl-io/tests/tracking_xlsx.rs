//! The operator workbook round trip: a template read back unchanged is no edit; filled cells
//! become edits from the template's version; every bad cell is named by sheet, row and column;
//! the weekly report is written with its charts.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the report

use auyl_io::tracking_xlsx::*;
use auyl_model::Plan;
use auyl_track::*;
use calamine::{Data, Reader};
use std::collections::HashMap;
use std::path::Path;
use time::{Date, Month};

fn generated() -> Generated {
    let plan: Plan = serde_json::from_str(include_str!(
        "../../auyl-track/tests/fixtures/plan_small.json"
    ))
    .unwrap();
    generate(&plan, &Durations::default(), &|_| Some("100000000".into())).unwrap()
}

fn day(m: u8, d: u8) -> Date {
    Date::from_calendar_date(2026, Month::try_from(m).unwrap(), d).unwrap()
}

fn template(dir: &Path, org: &str) -> (std::path::PathBuf, Vec<Work>) {
    let works: Vec<Work> = generated()
        .works
        .into_iter()
        .filter(|w| w.responsible_id.as_str() == org)
        .collect();
    let rows: Vec<TemplateRow> = works
        .iter()
        .map(|w| TemplateRow {
            work: w.clone(),
            settlement_names: "Абралы".into(),
            region: "Abay".into(),
        })
        .collect();
    let path = dir.join("kcell.xlsx");
    let meta = TemplateMeta {
        organisation_id: org.into(),
        organisation_name: "Kcell".into(),
        made_at: "2026-04-01T09:00:00Z".into(),
    };
    write_operator_template(&path, &meta, &rows).unwrap();
    (path, works)
}

/// Saves a copy of `src` with some cells of the Works sheet replaced, as an operator's Excel would.
fn refill(src: &Path, dst: &Path, edits: &[(u32, &str, &str)]) {
    let mut wb = calamine::open_workbook_auto(src).unwrap();
    let mut out = rust_xlsxwriter::Workbook::new();
    for sheet in [WORKS_SHEET, INSTRUCTIONS_SHEET] {
        let range = wb.worksheet_range(sheet).unwrap();
        let header: Vec<String> = range
            .rows()
            .next()
            .unwrap()
            .iter()
            .map(|c| c.to_string())
            .collect();
        let ws = out.add_worksheet();
        ws.set_name(sheet).unwrap();
        for (r, row) in range.rows().enumerate() {
            for (c, v) in row.iter().enumerate() {
                let edited = edits.iter().find(|(er, h, _)| {
                    sheet == WORKS_SHEET && *er as usize == r + 1 && r > 0 && header[c] == *h
                });
                match (edited, v) {
                    (Some((_, _, nv)), _) => ws.write_string(r as u32, c as u16, *nv).unwrap(),
                    (None, Data::Float(x)) => ws.write_number(r as u32, c as u16, *x).unwrap(),
                    (None, Data::Empty) => ws,
                    (None, v) => ws.write_string(r as u32, c as u16, v.to_string()).unwrap(),
                };
            }
        }
    }
    out.save(dst).unwrap();
}

#[test]
fn template_is_protected_with_dropdowns_and_hidden_versions() {
    let dir = tempfile::tempdir().unwrap();
    let (path, works) = template(dir.path(), "kcell");
    assert!(!works.is_empty());
    // The sheet XML carries the protection, the validations and the hidden columns.
    let f = std::fs::File::open(&path).unwrap();
    let xml = zip_entry(f, "xl/worksheets/sheet1.xml");
    assert!(xml.contains("<sheetProtection"), "sheet protection");
    assert!(xml.contains("<dataValidation "), "drop-downs");
    assert!(xml.contains("hidden=\"1\""), "hidden version columns");
    // Editable columns are unlocked, key columns are not.
    let styles = zip_entry(std::fs::File::open(&path).unwrap(), "xl/styles.xml");
    assert!(styles.contains("locked=\"0\""), "unlocked editable cells");
    // Read back untouched: every row, none changed, versions from the works.
    let wbk = read_operator_workbook(&path, day(4, 2)).unwrap();
    assert_eq!(wbk.organisation_id, "kcell");
    assert_eq!(wbk.rows.len(), works.len());
    assert_eq!(wbk.changed().count(), 0);
    for (r, w) in wbk.rows.iter().zip(&works) {
        assert_eq!(
            (r.update.work_id.clone(), r.update.expected_version),
            (w.id.clone(), w.version)
        );
    }
}

/// The text of one entry of the XLSX (a zip archive).
fn zip_entry(f: std::fs::File, name: &str) -> String {
    let mut z = zip::ZipArchive::new(f).unwrap();
    let mut s = String::new();
    std::io::Read::read_to_string(&mut z.by_name(name).unwrap(), &mut s).unwrap();
    s
}

#[test]
fn filled_rows_become_edits_from_the_template_version() {
    let dir = tempfile::tempdir().unwrap();
    let (path, works) = template(dir.path(), "kcell");
    // Spreadsheet rows: the header is row 1, work i is on row i + 2.
    let row_of = |kind: WorkKind| works.iter().position(|w| w.kind == kind).unwrap() as u32 + 2;
    let mast = row_of(WorkKind::MastConstruction);
    let fibre = row_of(WorkKind::FibreLine);
    let filled = dir.path().join("filled.xlsx");
    refill(
        &path,
        &filled,
        &[
            (mast, "status", "blocked"),
            (mast, "blocker_reason", "electricity"),
            (mast, "blocker_who", "akimat:100000000"),
            (mast, "comment", "no power line yet"),
            (fibre, "status", "в работе"),
            (fibre, "actual_start", "15.04.2026"),
        ],
    );
    let wbk = read_operator_workbook(&filled, day(5, 1)).unwrap();
    let changed: Vec<&WorkbookRow> = wbk.changed().collect();
    assert_eq!(changed.len(), 2);
    let m = changed.iter().find(|r| r.row == mast).unwrap();
    assert_eq!(m.update.status, Some(Status::Blocked));
    let b = m.update.blocker.clone().unwrap();
    assert_eq!(
        (b.reason, b.who_must_act.as_str(), b.since),
        (BlockerReason::Electricity, "akimat:100000000", day(5, 1))
    );
    let f = changed.iter().find(|r| r.row == fibre).unwrap();
    assert_eq!(
        (f.update.status, f.update.actual_start),
        (Some(Status::InProgress), Some(day(4, 15)))
    );
    // Applied to the works as they were when the template was made, the edits pass.
    let mut l = Ledger::new(generated().works);
    let ctx = EditContext {
        who: "kcell".into(),
        at: "2026-05-01T10:00:00Z".into(),
        on: day(5, 1),
    };
    let ups: Vec<WorkUpdate> = changed.iter().map(|r| r.update.clone()).collect();
    l.apply_batch(&ups, &ctx).unwrap();
}

#[test]
fn every_bad_cell_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let (path, works) = template(dir.path(), "kcell");
    assert!(works.len() >= 3);
    let bad = dir.path().join("bad.xlsx");
    refill(
        &path,
        &bad,
        &[
            (2, "status", "finished-ish"),
            (3, "status", "blocked"),
            (4, "actual_start", "2026-13-45"),
            (4, "version", "x"),
        ],
    );
    let e = read_operator_workbook(&bad, day(5, 1)).unwrap_err();
    let errors = match e {
        WorkbookError::Invalid { errors, .. } => errors,
        e => panic!("{e}"),
    };
    let at: HashMap<(u32, String), String> = errors
        .iter()
        .map(|e| ((e.row, e.column.clone()), e.reason.clone()))
        .collect();
    assert!(errors.iter().all(|e| e.sheet == WORKS_SHEET));
    assert!(at.contains_key(&(2, "I (status)".into())), "{errors:?}");
    assert!(
        at.contains_key(&(3, "L (blocker_reason)".into())),
        "{errors:?}"
    );
    assert!(at.contains_key(&(4, "P (version)".into())), "{errors:?}");
    // A file that is not a workbook is a file error naming it.
    let junk = dir.path().join("junk.xlsx");
    std::fs::write(&junk, b"not a zip").unwrap();
    let e = read_operator_workbook(&junk, day(5, 1)).unwrap_err();
    assert!(
        matches!(e, WorkbookError::File(_)) && e.to_string().contains("junk.xlsx"),
        "{e}"
    );
}

#[test]
fn weekly_report_has_charts_and_the_simulated_label() {
    let g = generated();
    let sim = simulate(&g.works, &SimParams::year_from(day(3, 2), 1)).unwrap();
    let as_of = day(11, 30);
    let kpis = compute_kpis(&g.settlements, &sim.works, as_of);
    let burn = burn_up(&g.settlements, &sim.works, day(3, 2), as_of);
    let out = outlooks(
        &g.settlements,
        &sim.works,
        as_of,
        &ForecastParams::default(),
    );
    let names = HashMap::from([("100000000".to_string(), "Abay".to_string())]);
    let head = ChainHead::default();
    let r = WeeklyReport {
        kpis: &kpis,
        burn_up: &burn,
        outlooks: &out,
        region_names: &names,
        org_names: &HashMap::new(),
        simulated: true,
        audit_head: &head,
        made_at: "2026-11-30T18:00:00Z",
        resilience: None,
    };
    let dir = tempfile::tempdir().unwrap();
    let (x, h) = write_weekly_report(dir.path(), &r).unwrap();
    let html = std::fs::read_to_string(&h).unwrap();
    assert_eq!(html.matches("<svg").count(), 2, "burn-up and region bars");
    assert!(html.contains("SIMULATED PROGRESS"));
    assert!(html.contains("Abay"));
    assert!(
        html.contains("not assessed: no plan is stored"),
        "without a plan the report says resilience was not assessed"
    );
    let mut wb = calamine::open_workbook_auto(&x).unwrap();
    let names = wb.sheet_names();
    for s in [
        "Summary",
        "Regions",
        "Operators",
        "Forecast",
        "Waiting",
        "Overdue",
        "BurnUp",
    ] {
        assert!(names.iter().any(|n| n == s), "{s}");
    }
    let summary = wb.worksheet_range("Summary").unwrap();
    assert!(
        summary
            .get_value((0, 0))
            .unwrap()
            .to_string()
            .starts_with("SIMULATED")
    );
}

#[test]
fn weekly_report_has_a_resilience_section_by_region() {
    let g = generated();
    let as_of = day(11, 30);
    let kpis = compute_kpis(&g.settlements, &g.works, as_of);
    let burn = burn_up(&g.settlements, &g.works, day(3, 2), as_of);
    let out = outlooks(&g.settlements, &g.works, as_of, &ForecastParams::default());
    let names = HashMap::from([("100000000".to_string(), "Abay".to_string())]);
    let head = ChainHead::default();
    let risk = auyl_model::RiskSummary {
        plan: "central@3".into(),
        settlements: 40,
        people: 9_000,
        unreachable_settlements: 1,
        unreachable_people: 70,
        single_points: 12,
        settlements_at_risk: 30,
        people_at_risk: 6_000,
        settlements_at_risk_shared: 20,
        people_at_risk_shared: 4_500,
        worst: vec![
            auyl_model::RiskElement {
                id: "pop:abay-101".into(),
                kind: "pop".into(),
                settlements: 14,
                people: 3_100,
                regions: vec!["100000000".into()],
                after_h: None,
                assumed: true,
            },
            auyl_model::RiskElement {
                id: "substation-7".into(),
                kind: "power_grid".into(),
                settlements: 9,
                people: 2_400,
                regions: vec!["100000000".into(), "110000000".into()],
                after_h: Some(4.0),
                assumed: false,
            },
        ],
        by_region: vec![auyl_model::RegionRisk {
            region_code: "100000000".into(),
            settlements: 25,
            people: 6_000,
            settlements_at_risk: 20,
            people_at_risk: 4_000,
            settlements_at_risk_shared: 12,
            people_at_risk_shared: 3_100,
            worst: Some(("pop:abay-101".into(), 3_100)),
        }],
        assumptions: vec!["all 3 backbone nodes stand in as core".into()],
    };
    let r = WeeklyReport {
        kpis: &kpis,
        burn_up: &burn,
        outlooks: &out,
        region_names: &names,
        org_names: &HashMap::new(),
        simulated: false,
        audit_head: &head,
        made_at: "2026-11-30T18:00:00Z",
        resilience: Some(&risk),
    };
    let dir = tempfile::tempdir().unwrap();
    let (x, h) = write_weekly_report(dir.path(), &r).unwrap();
    let html = std::fs::read_to_string(&h).unwrap();
    assert!(html.contains("Resilience of plan central@3"), "{html}");
    assert!(html.contains("12 single points of failure"));
    assert!(html.contains("all 3 backbone nodes stand in as core"));
    assert!(!html.contains("not assessed"));
    let mut wb = calamine::open_workbook_auto(&x).unwrap();
    let worst = wb.worksheet_range("Resilience").unwrap();
    let rows: Vec<Vec<String>> = worst
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
    assert_eq!(rows.len(), 3, "header and two elements: {rows:?}");
    assert_eq!(rows[1][0], "pop:abay-101");
    assert_eq!(rows[1][3], "3100");
    assert_eq!(rows[2][4], "Abay (100000000); 110000000");
    assert_eq!(rows[2][5], "4");
    let regions = wb.worksheet_range("ResilienceRegions").unwrap();
    let row: Vec<String> = regions
        .rows()
        .nth(1)
        .unwrap()
        .iter()
        .map(|c| c.to_string())
        .collect();
    assert_eq!(row[0], "Abay (100000000)");
    assert_eq!(row[4], "4000");
    assert_eq!(row[5], "67 %");
    assert_eq!(row[8], "pop:abay-101");
    let summary = wb.worksheet_range("Summary").unwrap();
    assert!(
        summary
            .rows()
            .any(|r| r[0] == "resilience" && r[1].to_string().contains("6000 people")),
        "the summary sheet names the people at risk"
    );
}
