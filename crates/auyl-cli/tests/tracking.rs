//! `auyl tracking`, `auyl audit verify` and `auyl report weekly` end to end on SQLite and
//! PostgreSQL: a filled operator workbook applied, a malformed one and a stale row rejected with
//! nothing applied, two concurrent imports of the same work (one wins), a tampered audit log
//! detected, and a SIGKILL in the middle of an import leaving nothing half-applied.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the report

mod common;
use auyl_model::plan::{Plan, PlanTotals, SettlementPlan};
use auyl_model::{Id, Technology};
use auyl_testkit::{TestDb, both_backends, repo_root};
use calamine::{Data, Reader};
use common::{failing, ok_json};
use std::path::{Path, PathBuf};
use std::process::Command;

fn fixture_plan() -> PathBuf {
    repo_root().join("crates/auyl-track/tests/fixtures/plan_small.json")
}

/// Saves a copy of workbook `src` with cells of the Works sheet replaced (row as shown, header).
fn refill(src: &Path, dst: &Path, edits: &[(u32, &str, &str)]) {
    let mut wb = calamine::open_workbook_auto(src).unwrap();
    let mut out = rust_xlsxwriter::Workbook::new();
    for sheet in ["Works", "Instructions"] {
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
                let e = edits.iter().find(|(er, h, _)| {
                    sheet == "Works"
                        && (*er == 0 || *er as usize == r + 1)
                        && r > 0
                        && header[c] == *h
                });
                match (e, v) {
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

/// The spreadsheet row of a work in a template.
fn row_of(template: &Path, work_id: &str) -> u32 {
    let mut wb = calamine::open_workbook_auto(template).unwrap();
    let range = wb.worksheet_range("Works").unwrap();
    range.rows().position(|r| r[0] == *work_id).unwrap() as u32 + 1
}

/// Tracks the fixture plan and writes operator `kcell`'s workbook into `dir`: its path.
fn generate_and_template(db: &TestDb, dir: &Path) -> PathBuf {
    ok_json(
        db,
        &[
            "tracking",
            "generate",
            "--plan",
            fixture_plan().to_str().unwrap(),
        ],
    );
    let t = dir.join("kcell.xlsx");
    ok_json(
        db,
        &[
            "tracking",
            "template",
            "--operator",
            "kcell",
            "-o",
            t.to_str().unwrap(),
        ],
    );
    t
}

fn audit_entries(db: &TestDb) -> u64 {
    ok_json(db, &["audit", "verify"])["entries"]
        .as_u64()
        .unwrap()
}

#[test]
fn workbook_round_trip_kpis_report_and_audit_on_both_backends() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    for db in rt.block_on(both_backends()) {
        let dir = tempfile::tempdir().unwrap();
        let g = ok_json(
            &db,
            &[
                "tracking",
                "generate",
                "--plan",
                fixture_plan().to_str().unwrap(),
            ],
        );
        assert_eq!(g["settlements"], 6);
        let t = dir.path().join("kcell.xlsx");
        let tj = ok_json(
            &db,
            &[
                "tracking",
                "template",
                "--operator",
                "kcell",
                "-o",
                t.to_str().unwrap(),
            ],
        );
        assert!(tj["works"].as_u64().unwrap() >= 4);
        // An untouched template changes nothing.
        let r = ok_json(
            &db,
            &[
                "tracking",
                "import",
                t.to_str().unwrap(),
                "--user",
                "kcell.a",
                "--date",
                "2026-04-10",
            ],
        );
        assert_eq!(r["rows_changed"], 0);
        // The fibre line starts; the mast is blocked on the akimat.
        let filled = dir.path().join("filled.xlsx");
        let fibre = row_of(&t, "route:abay-r1/fibre_line");
        let mast = row_of(&t, "site:abay-1/mast_construction");
        refill(
            &t,
            &filled,
            &[
                (fibre, "status", "in_progress"),
                (fibre, "actual_start", "2026-04-08"),
                (mast, "status", "blocked"),
                (mast, "blocker_reason", "land"),
                (mast, "blocker_who", "akimat:100000000"),
                (mast, "blocker_since", "2026-04-01"),
            ],
        );
        let r = ok_json(
            &db,
            &[
                "tracking",
                "import",
                filled.to_str().unwrap(),
                "--user",
                "kcell.a",
                "--date",
                "2026-04-10",
            ],
        );
        assert_eq!(r["rows_changed"], 2, "{}", db.backend);
        assert!(
            r["changes"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c["field"] == "blocker")
        );
        let w = ok_json(
            &db,
            &[
                "tracking",
                "waiting",
                "--akimat",
                "akimat:100000000",
                "--date",
                "2026-05-01",
            ],
        );
        assert_eq!(w["works"][0]["work_id"], "site:abay-1/mast_construction");
        assert_eq!(w["works"][0]["days_waiting"], 30);
        let k = ok_json(&db, &["tracking", "kpis", "--date", "2026-09-01"]);
        assert_eq!(k["kpis"]["total"]["settlements_planned"], 6);
        assert_eq!(k["outlooks"][0]["region_code"], "*");
        let rep = dir.path().join("report");
        let rj = ok_json(
            &db,
            &[
                "report",
                "weekly",
                "--date",
                "2026-09-01",
                "-o",
                rep.to_str().unwrap(),
            ],
        );
        let html = std::fs::read_to_string(rj["html"].as_str().unwrap()).unwrap();
        assert_eq!(html.matches("<svg").count(), 2);
        // The works came from a plan file: no plan is stored, so no resilience to report.
        assert!(rj["resilience"].is_null(), "{rj}");
        assert!(html.contains("Resilience") && html.contains("not assessed"));
        assert!(Path::new(rj["xlsx"].as_str().unwrap()).exists());
        let v = ok_json(&db, &["audit", "verify"]);
        assert_eq!(v["ok"], true);
        // The published head verifies too.
        let head = v["head"].as_str().unwrap().to_string();
        ok_json(&db, &["audit", "verify", "--head", &head]);
    }
}

#[test]
fn malformed_and_stale_workbooks_apply_nothing_on_both_backends() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    for db in rt.block_on(both_backends()) {
        let dir = tempfile::tempdir().unwrap();
        let t = generate_and_template(&db, dir.path());
        let before = audit_entries(&db);
        // Malformed: one good row, one bad status, one bad date: nothing is applied, each named.
        let bad = dir.path().join("bad.xlsx");
        let fibre = row_of(&t, "route:abay-r1/fibre_line");
        let mast = row_of(&t, "site:abay-1/mast_construction");
        let acceptance = row_of(&t, "settlement:osm:n534085272/acceptance");
        refill(
            &t,
            &bad,
            &[
                (fibre, "status", "in_progress"),
                (mast, "status", "almost"),
                (acceptance, "actual_start", "31.02.2026"),
            ],
        );
        let e = failing(
            &db,
            &[
                "tracking",
                "import",
                bad.to_str().unwrap(),
                "--user",
                "x",
                "--date",
                "2026-04-10",
            ],
        );
        assert!(e.contains("nothing was applied"), "{e}");
        assert!(
            e.contains(&format!("sheet Works, row {mast}, column I (status)")),
            "{e}"
        );
        assert!(
            e.contains(&format!("row {acceptance}, column J (actual_start)")),
            "{e}"
        );
        assert_eq!(audit_entries(&db), before);
        // Not a workbook at all.
        let junk = dir.path().join("junk.xlsx");
        std::fs::write(&junk, "id;status\n").unwrap();
        let e = failing(
            &db,
            &["tracking", "import", junk.to_str().unwrap(), "--user", "x"],
        );
        assert!(e.contains("junk.xlsx"), "{e}");
        // Stale: someone else edits the fibre line after the template was made.
        let first = dir.path().join("first.xlsx");
        refill(&t, &first, &[(fibre, "comment", "crew on site")]);
        ok_json(
            &db,
            &[
                "tracking",
                "import",
                first.to_str().unwrap(),
                "--user",
                "kcell.a",
                "--date",
                "2026-04-10",
            ],
        );
        let after_first = audit_entries(&db);
        let stale = dir.path().join("stale.xlsx");
        refill(
            &t,
            &stale,
            &[
                (mast, "comment", "waiting for the plot"),
                (fibre, "status", "in_progress"),
            ],
        );
        let e = failing(
            &db,
            &[
                "tracking",
                "import",
                stale.to_str().unwrap(),
                "--user",
                "kcell.b",
                "--date",
                "2026-04-11",
            ],
        );
        assert!(
            e.contains(&format!("row {fibre}")) && e.contains("stale"),
            "{}: {e}",
            db.backend
        );
        assert_eq!(
            audit_entries(&db),
            after_first,
            "the good row of a stale workbook is not applied either"
        );
    }
}

#[test]
fn concurrent_imports_of_one_work_one_wins_on_both_backends() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    for db in rt.block_on(both_backends()) {
        let dir = tempfile::tempdir().unwrap();
        let t = generate_and_template(&db, dir.path());
        let fibre = row_of(&t, "route:abay-r1/fibre_line");
        let a = dir.path().join("a.xlsx");
        let b = dir.path().join("b.xlsx");
        refill(&t, &a, &[(fibre, "comment", "from A")]);
        refill(&t, &b, &[(fibre, "comment", "from B")]);
        let spawn = |f: &Path, u: &str| {
            Command::new(env!("CARGO_BIN_EXE_auyl"))
                .args([
                    "--database",
                    &db.url,
                    "tracking",
                    "import",
                    f.to_str().unwrap(),
                    "--user",
                    u,
                ])
                .output()
                .unwrap()
        };
        let (ra, rb) = std::thread::scope(|s| {
            let ha = s.spawn(|| spawn(&a, "a"));
            let hb = s.spawn(|| spawn(&b, "b"));
            (ha.join().unwrap(), hb.join().unwrap())
        });
        let wins = [ra.status.success(), rb.status.success()];
        assert_eq!(
            wins.iter().filter(|x| **x).count(),
            1,
            "{}: exactly one import wins",
            db.backend
        );
        let loser = if wins[0] { &rb } else { &ra };
        let e = String::from_utf8_lossy(&loser.stderr);
        assert!(
            e.contains("stale") && e.contains("nothing was applied"),
            "{e}"
        );
        assert_eq!(ok_json(&db, &["audit", "verify"])["ok"], true);
    }
}

#[test]
fn a_tampered_audit_log_is_detected_on_both_backends() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    for db in rt.block_on(both_backends()) {
        let dir = tempfile::tempdir().unwrap();
        let t = generate_and_template(&db, dir.path());
        let f = dir.path().join("f.xlsx");
        refill(&t, &f, &[(0, "comment", "checked")]);
        ok_json(
            &db,
            &[
                "tracking",
                "import",
                f.to_str().unwrap(),
                "--user",
                "kcell.a",
            ],
        );
        let n = audit_entries(&db);
        assert!(n > 3);
        rt.block_on(async {
            let store = auyl_store::Store::open(&db.url).await.unwrap();
            sqlx::query("UPDATE audit_log SET who = 'someone else' WHERE seq = 3")
                .execute(store.pool())
                .await
                .unwrap();
            store.close().await;
        });
        let e = failing(&db, &["audit", "verify"]);
        assert!(e.contains("entry 3"), "{}: {e}", db.backend);
    }
}

/// A plan of `n` settlements served by fibre by one operator (4 works each, none shared).
fn big_plan(n: usize) -> Plan {
    Plan {
        scenario: "big".into(),
        mode: "min_cost".into(),
        base_year: 2026,
        settlements: (0..n)
            .map(|i| SettlementPlan {
                settlement_id: Id::new(format!("s{i}")),
                technology: Technology::Fibre,
                people: 100 + i as u64 % 900,
                demand_mbps: 10.0,
                capacity_mbps: 1000.0,
                site_id: None,
                route_id: None,
                hop_ids: vec![],
                operator_id: Some(Id::new("kazakhtelecom")),
                akimat_id: Some(Id::new("akimat:110000000")),
                needs_land: false,
                needs_power: false,
                year: 2026,
                capex_usd: 1.0,
                opex_usd_per_year: 1.0,
                reason: String::new(),
                assumptions: vec![],
            })
            .collect(),
        unserved: vec![],
        sites: vec![],
        routes: vec![],
        hops: vec![],
        totals: PlanTotals::default(),
        assumptions: vec![],
    }
}

#[test]
fn sigkill_in_the_middle_of_a_workbook_import_applies_nothing_on_both_backends() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    for db in rt.block_on(both_backends()) {
        let dir = tempfile::tempdir().unwrap();
        let plan = dir.path().join("plan.json");
        std::fs::write(&plan, serde_json::to_vec(&big_plan(6000)).unwrap()).unwrap();
        ok_json(
            &db,
            &["tracking", "generate", "--plan", plan.to_str().unwrap()],
        );
        let t = dir.path().join("kt.xlsx");
        ok_json(
            &db,
            &[
                "tracking",
                "template",
                "--operator",
                "kazakhtelecom",
                "-o",
                t.to_str().unwrap(),
            ],
        );
        let filled = dir.path().join("filled.xlsx");
        // Every row commented: 24,000 edits in one transaction.
        refill(
            &t,
            &filled,
            &[(
                0,
                "comment",
                "a long enough remark to make the transaction write a lot of pages",
            )],
        );
        let before = audit_entries(&db);
        let mut child = Command::new(env!("CARGO_BIN_EXE_auyl"))
            .args([
                "--database",
                &db.url,
                "tracking",
                "import",
                filled.to_str().unwrap(),
                "--user",
                "kt",
            ])
            .spawn()
            .unwrap();
        let start = std::time::Instant::now();
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                panic!(
                    "{}: the import finished ({status}) before it could be killed",
                    db.backend
                );
            }
            if rt.block_on(writing(&db)) {
                child.kill().unwrap(); // SIGKILL on Unix
                child.wait().unwrap();
                break;
            }
            assert!(
                start.elapsed().as_secs() < 300,
                "the import never started writing"
            );
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        assert_eq!(
            audit_entries(&db),
            before,
            "{}: nothing of the import remains",
            db.backend
        );
        let k = ok_json(&db, &["tracking", "kpis", "--date", "2026-06-01"]);
        assert_eq!(k["kpis"]["works_by_status"]["planned"], 24_000);
        // The same workbook imports completely afterwards.
        let r = ok_json(
            &db,
            &[
                "tracking",
                "import",
                filled.to_str().unwrap(),
                "--user",
                "kt",
            ],
        );
        assert_eq!(r["rows_changed"], 24_000);
    }
}

/// Whether an import's transaction is writing: the SQLite write-ahead log grew past 1 MB, or a
/// PostgreSQL backend holds a row lock on the audit head.
async fn writing(db: &TestDb) -> bool {
    if db.backend == "sqlite" {
        let wal = format!("{}-wal", db.url.trim_start_matches("sqlite://"));
        return std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0) > 1_000_000;
    }
    use sqlx::Connection;
    let mut c = sqlx::PgConnection::connect(&db.url).await.unwrap();
    let (n,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM pg_locks l JOIN pg_class c ON l.relation = c.oid WHERE c.relname = 'works' AND l.mode = 'RowExclusiveLock'",
    )
    .fetch_one(&mut c)
    .await
    .unwrap();
    c.close().await.ok();
    n > 0
}
