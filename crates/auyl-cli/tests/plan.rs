//! `auyl plan` end to end on SQLite and PostgreSQL: a real district of the demo registry is
//! planned, stored as versioned scenarios, exported in every format (GDAL opens the GeoPackage)
//! and compared; bad scenarios and selectors give clear errors.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the report

mod common;
use auyl_testkit::{TestDb, both_backends, fixture, sqlite_db};
use common::{auyl, demo_file, ok_json};
use serde_json::Value;
use std::process::Command;

/// 37 real villages of one Akmola district, with the regions, districts, roads and power of the
/// demo registry around them.
fn load_district(db: &TestDb) {
    for (layer, file) in [
        ("organisations", "organisations.csv"),
        ("regions", "regions.geojson"),
        ("districts", "districts.geojson"),
        ("roads", "roads.geojson"),
        ("power", "power.csv"),
    ] {
        ok_json(db, &["import", layer, &demo_file(file)]);
    }
    let f = fixture("registry/akmola_district_utf8.csv");
    ok_json(db, &["import", "settlements", f.to_str().unwrap()]);
}

#[tokio::test(flavor = "multi_thread")]
async fn plan_store_export_and_compare_on_both_backends() {
    for db in both_backends().await {
        load_district(&db);
        let a = ok_json(
            &db,
            &["plan", "run", "--no-terrain", "--time-limit-s", "20"],
        );
        assert_eq!(a["plan"], "central@1", "{a}");
        let served = a["settlements_served"].as_u64().unwrap();
        let unserved = a["settlements_unserved"].as_u64().unwrap();
        assert!(served > 0, "{a}");
        assert!(served + unserved <= 37, "{a}");
        let by_tech: u64 = a["totals"]["settlements_by_technology"]
            .as_object()
            .unwrap()
            .values()
            .map(|v| v.as_u64().unwrap())
            .sum();
        assert_eq!(by_tech, served, "{a}");
        assert!(a["totals"]["capex_usd"].as_f64().unwrap() > 0.0, "{a}");

        // A second run under another mode is another scenario; the same name again is v2.
        let b = ok_json(
            &db,
            &[
                "plan",
                "run",
                "--no-terrain",
                "--time-limit-s",
                "20",
                "--mode",
                "max_people",
                "--name",
                "phased",
            ],
        );
        assert_eq!(b["plan"], "phased@1", "{b}");
        let again = ok_json(
            &db,
            &["plan", "run", "--no-terrain", "--time-limit-s", "20"],
        );
        assert_eq!(again["plan"], "central@2", "{again}");
        // Same inputs, same plan.
        assert_eq!(
            again["totals"]["settlements_by_technology"],
            a["totals"]["settlements_by_technology"]
        );

        let list = ok_json(&db, &["plan", "list"]);
        assert_eq!(list.as_array().unwrap().len(), 3, "{list}");
        let shown = ok_json(&db, &["plan", "show", "central@1"]);
        assert_eq!(shown["totals"], a["totals"], "stored totals reload equal");
        assert_eq!(shown["settlements_served"], a["settlements_served"]);

        let dir = tempfile::tempdir().unwrap();
        let files: Vec<String> = ["plan.gpkg", "plan.geojson", "plan.xlsx", "plan.html"]
            .iter()
            .map(|f| dir.path().join(f).display().to_string())
            .collect();
        let mut args = vec!["plan", "export", "central@1"];
        for f in &files {
            args.push("-o");
            args.push(f);
        }
        ok_json(&db, &args);
        let info = Command::new("ogrinfo")
            .args(["-ro", "-so", "-al", &files[0]])
            .output()
            .expect("ogrinfo (Debian gdal-bin) is needed: scripts/test installs it");
        let text = String::from_utf8_lossy(&info.stdout);
        assert!(
            info.status.success(),
            "{}",
            String::from_utf8_lossy(&info.stderr)
        );
        assert!(text.contains("Layer name: plan_settlements"), "{text}");
        assert!(
            text.contains(&format!("Feature Count: {served}")),
            "plan_settlements holds every served settlement: {text}"
        );
        let gj: Value = serde_json::from_str(&std::fs::read_to_string(&files[1]).unwrap()).unwrap();
        let n_settlements = gj["features"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["properties"]["layer"] == "plan_settlements")
            .count() as u64;
        assert_eq!(n_settlements, served);
        let html = std::fs::read_to_string(&files[3]).unwrap();
        assert!(html.contains("<svg") && html.contains("People connected per year"));
        let mut wb: calamine::Xlsx<_> = calamine::open_workbook(&files[2]).unwrap();
        use calamine::{DataType, Reader};
        let sheets = wb.sheet_names();
        assert!(sheets.iter().any(|s| s == "By region"), "{sheets:?}");
        assert!(
            sheets.len() > 4,
            "one sheet per operator after the summaries: {sheets:?}"
        );
        let by_tech = wb.worksheet_range("By technology").unwrap();
        let sum: f64 = by_tech
            .rows()
            .skip(1)
            .map(|r| r[1].get_float().unwrap_or(0.0))
            .sum();
        assert_eq!(sum as u64, served);

        let cmp = ok_json(&db, &["plan", "compare", "central@1", "phased"]);
        assert_eq!(cmp["a"], "central@1");
        assert!(cmp["totals"]["capex_usd"].is_array(), "{cmp}");
        let same = ok_json(&db, &["plan", "compare", "central@1", "central@2"]);
        assert_eq!(same["technology_changed"], serde_json::json!([]), "{same}");
    }
}

#[test]
fn bad_scenarios_and_selectors_are_named() {
    let db = sqlite_db();
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "name = \"x\"\nno_such_key = 3\n").unwrap();
    let out = auyl(
        &db,
        &[
            "plan",
            "run",
            "--no-terrain",
            "--scenario",
            bad.to_str().unwrap(),
        ],
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.toml") && err.contains("no_such_key"),
        "{err}"
    );

    let out = auyl(&db, &["plan", "show", "nope@3"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("nope@3") && err.contains("auyl plan run"),
        "{err}"
    );

    let out = auyl(&db, &["plan", "run", "--no-terrain"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no settlements"));

    // A written scenario reads back.
    let sc = dir.path().join("central.toml");
    let out = auyl(&db, &["plan", "scenario", "-o", sc.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        std::fs::read_to_string(&sc)
            .unwrap()
            .contains("discount_rate")
    );
}
