//! The `auyl` command end to end, on SQLite and PostgreSQL: imports as offices write files,
//! bad input, idempotent re-imports, exports that GDAL opens, a crash in the middle of an import.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the report

mod common;
use auyl_testkit::{TestDb, both_backends, fixture, sqlite_db};
use common::{auyl, demo_file, failing, ok_json};
use serde_json::Value;
use std::path::Path;
use std::process::Command;

fn count(db: &TestDb, layer: &str) -> u64 {
    let tmp = tempfile::tempdir().unwrap();
    let f = tmp.path().join("x.csv");
    ok_json(db, &["export", layer, f.to_str().unwrap()])["records"]
        .as_u64()
        .unwrap()
}

#[tokio::test]
async fn windows_1251_semicolon_decimal_comma_csv_with_region_names() {
    for db in both_backends().await {
        ok_json(&db, &["import", "regions", &demo_file("regions.geojson")]);
        ok_json(
            &db,
            &["import", "districts", &demo_file("districts.geojson")],
        );
        let f = fixture("registry/akmola_district_cp1251.csv");
        let r = ok_json(&db, &["import", "settlements", f.to_str().unwrap()]);
        assert_eq!(r["added"], 37, "{}", db.backend);
        assert!(
            r["format"].as_str().unwrap().contains("Windows-1251"),
            "{r}"
        );
        assert!(r["format"].as_str().unwrap().contains("';'"), "{r}");
        assert_eq!(
            r["areas_by_name"], 74,
            "37 regions and 37 districts given by name: {r}"
        );
        assert_eq!(r["unknown_areas"], serde_json::json!([]));

        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("s.geojson");
        ok_json(&db, &["export", "settlements", out.to_str().unwrap()]);
        let gj: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
        let f0 = gj["features"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["properties"]["id"] == "osm:n3234575114")
            .unwrap();
        assert_eq!(f0["properties"]["name"], "Акколь");
        assert_eq!(f0["properties"]["population"], 1140);
        assert_eq!(f0["properties"]["lon"], 69.596649);
        assert_eq!(f0["properties"]["region_code"], "110000000");
        assert_eq!(f0["properties"]["district_code"], "115600000");
        assert_eq!(f0["properties"]["kind"], "village");

        // The same villages from a UTF-8 file with English headers and no areas: placed by location,
        // and the same content as before except the names' source columns, so nothing is added.
        let f = fixture("registry/akmola_district_utf8.csv");
        let r = ok_json(
            &db,
            &["import", "settlements", f.to_str().unwrap(), "--dry-run"],
        );
        assert_eq!(
            (r["added"].as_u64(), r["read"].as_u64()),
            (Some(0), Some(37)),
            "{r}"
        );
        assert_eq!(r["areas_by_location"], 74, "{r}");
    }
}

#[tokio::test]
async fn reimport_is_idempotent_and_dry_run_writes_nothing() {
    for db in both_backends().await {
        let f = demo_file("power.csv");
        let r = ok_json(&db, &["import", "power", &f, "--dry-run"]);
        assert_eq!(r["added"], 144);
        assert_eq!(count(&db, "power"), 0, "dry run wrote on {}", db.backend);
        let r = ok_json(&db, &["import", "power", &f]);
        assert_eq!(
            (r["added"].as_u64(), r["changed"].as_u64()),
            (Some(144), Some(0))
        );
        let r = ok_json(&db, &["import", "power", &f]);
        assert_eq!(
            (
                r["added"].as_u64(),
                r["changed"].as_u64(),
                r["unchanged"].as_u64()
            ),
            (Some(0), Some(0), Some(144))
        );
        // One changed value is one change.
        let tmp = tempfile::tempdir().unwrap();
        let edited = tmp.path().join("power.csv");
        let text = std::fs::read_to_string(&f).unwrap().replacen(
            "Akmola CHP 1,plant,Hard Coal,22.0",
            "Akmola CHP 1,plant,Hard Coal,25.5",
            1,
        );
        std::fs::write(&edited, text).unwrap();
        let r = ok_json(&db, &["import", "power", edited.to_str().unwrap()]);
        assert_eq!(
            (r["changed"].as_u64(), r["unchanged"].as_u64()),
            (Some(1), Some(143)),
            "{r}"
        );
        assert_eq!(r["changed_examples"], serde_json::json!(["pypsa_kz:0"]));
    }
}

/// Writes `text` to a file in a temp dir and returns both.
fn file(name: &str, text: &str) -> (tempfile::TempDir, String) {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join(name);
    std::fs::write(&p, text).unwrap();
    let s = p.display().to_string();
    (d, s)
}

#[tokio::test]
async fn bad_input_names_file_row_and_field_and_changes_nothing() {
    for db in both_backends().await {
        ok_json(&db, &["import", "power", &demo_file("power.csv")]);
        let before = count(&db, "power");
        let h = "id;name;lon;lat;population\n";
        let cases: Vec<(&str, String, Vec<&str>)> = vec![
            (
                "wrong type",
                format!("{h}a;A;71,1;51,1;12\nb;B;71,2;51,2;много\n"),
                vec!["row 3", "`population`", "много"],
            ),
            (
                "missing required field",
                format!("{h}a;A;71,1;51,1;12\nb;B;;51,2;3\n"),
                vec!["row 3", "`lon`", "required"],
            ),
            (
                "swapped lon/lat",
                format!("{h}a;A;51,1;171,1;12\n"),
                vec!["row 2", "`lat`", "swapped"],
            ),
            (
                "out of range",
                format!("{h}a;A;191,1;51,1;12\n"),
                vec!["row 2", "`lon`", "191.1"],
            ),
            (
                "duplicate key",
                format!("{h}a;A;71,1;51,1;12\nb;B;71,2;51,2;3\na;C;71,3;51,3;4\n"),
                vec!["row 4", "duplicate key `a`", "row 2"],
            ),
            ("empty file", String::new(), vec!["empty"]),
            ("header only", h.to_string(), vec!["empty"]),
            (
                "no id column",
                "name;lon;lat\nA;71;51\n".to_string(),
                vec!["required field `id`", "--map id=COLUMN"],
            ),
        ];
        for (what, text, needles) in cases {
            let (_d, p) = file("bad.csv", &text);
            let err = failing(&db, &["import", "settlements", &p]);
            assert!(err.contains("bad.csv"), "{what}: no file name in: {err}");
            for n in needles {
                assert!(err.contains(n), "{what}: `{n}` not in: {err}");
            }
        }
        // An invalid geometry in GeoJSON.
        let (_d, p) = file(
            "bad.geojson",
            r#"{"type":"FeatureCollection","features":[
                {"type":"Feature","properties":{"code":"1"},"geometry":{"type":"Polygon","coordinates":[[[70,50],[71,50],[70,50]]]}}]}"#,
        );
        let err = failing(&db, &["import", "regions", &p]);
        assert!(
            err.contains("bad.geojson") && err.contains("row 1") && err.contains("`geometry`"),
            "{err}"
        );
        let (_d, p) = file(
            "bad.geojson",
            r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":"x"},"geometry":{"type":"Point","coordinates":[70,95]}}]}"#,
        );
        let err = failing(&db, &["import", "masts", &p]);
        assert!(err.contains("row 1") && err.contains("`lat`"), "{err}");
        // A truncated workbook.
        let tmp = tempfile::tempdir().unwrap();
        let xlsx = tmp.path().join("p.xlsx");
        ok_json(&db, &["export", "power", xlsx.to_str().unwrap()]);
        let bytes = std::fs::read(&xlsx).unwrap();
        let cut = tmp.path().join("cut.xlsx");
        std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
        let err = failing(&db, &["import", "power", cut.to_str().unwrap()]);
        assert!(
            err.contains("cut.xlsx") && err.contains("workbook"),
            "{err}"
        );
        assert_eq!(
            count(&db, "power"),
            before,
            "a failed import changed the database on {}",
            db.backend
        );
        assert_eq!(count(&db, "settlements"), 0);
    }
}

#[tokio::test]
async fn skip_invalid_keeps_good_rows_and_reports_the_rest() {
    let db = sqlite_db();
    let (d, p) = file(
        "mixed.csv",
        "id,lon,lat,population\na,71.1,51.1,12\nb,71.2,x,3\nc,71.3,51.3,-4\nd,71.4,51.4,5\n",
    );
    let r = ok_json(&db, &["import", "settlements", &p, "--skip-invalid"]);
    assert_eq!(
        (r["added"].as_u64(), r["rejected"].as_u64()),
        (Some(2), Some(2)),
        "{r}"
    );
    let report = std::fs::read_to_string(d.path().join("mixed.csv.rejects.csv")).unwrap();
    assert!(
        report.contains(",3,lat,") && report.contains(",4,population,"),
        "{report}"
    );
}

#[tokio::test]
async fn column_mapping_can_be_overridden() {
    let db = sqlite_db();
    let (_d, p) = file(
        "sites.csv",
        "site code,E,N,mast height (m),tech\nKC-001,71.1,51.1,\"42,5\",4G/3G\n",
    );
    let err = failing(&db, &["import", "masts", &p]);
    assert!(err.contains("--map"), "{err}");
    let r = ok_json(
        &db,
        &[
            "import",
            "masts",
            &p,
            "--map",
            "id=site code",
            "--map",
            "lon=E",
            "--map",
            "lat=N",
        ],
    );
    assert_eq!(r["added"], 1, "{r}");
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("m.csv");
    ok_json(&db, &["export", "masts", out.to_str().unwrap()]);
    let text = std::fs::read_to_string(out).unwrap();
    assert!(
        text.contains("KC-001,,71.1,51.1,42.5,lte;umts,,false"),
        "{text}"
    );
}

#[tokio::test]
async fn every_layer_exports_to_every_format_and_round_trips() {
    let db = sqlite_db();
    for (layer, f) in [
        ("organisations", "organisations.csv"),
        ("regions", "regions.geojson"),
        ("districts", "districts.geojson"),
        ("settlements", "settlements.csv"),
        ("roads", "roads.geojson"),
        ("power", "power.csv"),
    ] {
        ok_json(&db, &["import", layer, &demo_file(f)]);
    }
    let tmp = tempfile::tempdir().unwrap();
    for layer in [
        "organisations",
        "regions",
        "districts",
        "settlements",
        "roads",
        "power",
        "masts",
        "backbone_nodes",
        "fibre_routes",
    ] {
        let n = count(&db, layer);
        for ext in ["geojson", "gpkg", "csv", "xlsx"] {
            // Excel cells cannot hold national boundaries: areas round-trip through the other formats.
            if ext == "xlsx" && matches!(layer, "regions" | "districts") {
                continue;
            }
            let out = tmp.path().join(format!("{layer}.{ext}"));
            let r = ok_json(&db, &["export", layer, out.to_str().unwrap()]);
            assert_eq!(r["records"].as_u64(), Some(n));
            if n == 0 {
                continue;
            }
            // Re-importing the export into the same database changes nothing.
            let r = ok_json(&db, &["import", layer, out.to_str().unwrap(), "--dry-run"]);
            assert_eq!(
                (
                    r["added"].as_u64(),
                    r["changed"].as_u64(),
                    r["unchanged"].as_u64()
                ),
                (Some(0), Some(0), Some(n)),
                "{layer}.{ext} does not round-trip: {r}"
            );
        }
        if n > 0 && layer != "organisations" {
            ogrinfo_counts(&tmp.path().join(format!("{layer}.gpkg")), layer, n);
        }
    }
}

fn ogrinfo_counts(gpkg: &Path, layer: &str, n: u64) {
    let out = Command::new("ogrinfo")
        .args(["-so", "-al"])
        .arg(gpkg)
        .output()
        .unwrap_or_else(|e| panic!("this test needs GDAL's ogrinfo (Debian package gdal-bin; scripts/test installs it): {e}"));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "ogrinfo failed on {}: {}",
        gpkg.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains(&format!("Layer name: {layer}")), "{text}");
    assert!(text.contains(&format!("Feature Count: {n}")), "{text}");
    assert!(text.contains("EPSG") || text.contains("WGS 84"), "{text}");
}

#[test]
fn sigkill_in_the_middle_of_an_import_leaves_the_database_intact() {
    let db = sqlite_db();
    let first = ok_json(&db, &["import", "power", &demo_file("power.csv")]);
    assert_eq!(first["added"], 144);
    // A large import: 300,000 settlements.
    let tmp = tempfile::tempdir().unwrap();
    let big = tmp.path().join("big.csv");
    let mut text = String::from("id,name,lon,lat,population\n");
    for i in 0..300_000 {
        text.push_str(&format!(
            "s{i},Village {i},{:.5},{:.5},{}\n",
            50.0 + (i % 3000) as f64 * 0.01,
            41.0 + (i / 3000) as f64 * 0.1,
            i % 5000
        ));
    }
    std::fs::write(&big, text).unwrap();
    let db_path = db.url.trim_start_matches("sqlite://").to_string();
    let wal = format!("{db_path}-wal");
    let mut child = Command::new(env!("CARGO_BIN_EXE_auyl"))
        .args([
            "--database",
            &db.url,
            "import",
            "settlements",
            big.to_str().unwrap(),
        ])
        .spawn()
        .unwrap();
    // Kill it once it is writing (the write-ahead log grows past 2 MB), never after it finished.
    let start = std::time::Instant::now();
    let killed_while_writing;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            panic!(
                "the import finished ({status}) before it could be killed; make the file larger"
            );
        }
        if std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0) > 2_000_000 {
            child.kill().unwrap(); // SIGKILL on Unix
            child.wait().unwrap();
            killed_while_writing = true;
            break;
        }
        assert!(
            start.elapsed().as_secs() < 120,
            "the import never started writing"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    assert!(killed_while_writing);
    // The database opens, is consistent, and holds exactly what it held before.
    assert_eq!(count(&db, "settlements"), 0);
    assert_eq!(count(&db, "power"), 144);
    let check = Command::new(env!("CARGO_BIN_EXE_auyl"))
        .args(["--database", &db.url, "summary", "--json"])
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        use sqlx::Connection;
        let mut c = sqlx::SqliteConnection::connect(&db.url).await.unwrap();
        let (r,): (String,) = sqlx::query_as("PRAGMA integrity_check")
            .fetch_one(&mut c)
            .await
            .unwrap();
        assert_eq!(r, "ok");
    });
}

#[test]
fn demo_loads_the_real_registry_and_sets_it_against_the_programme() {
    let tmp = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_auyl"))
        .current_dir(tmp.path())
        .env_remove("AUYL_DATABASE")
        .args(["demo", "--no-serve", "--no-plan", "--json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(tmp.path().join("auyl-demo.db").exists());
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let s = &v["summary"];
    let rows = std::fs::read_to_string(auyl_testkit::repo_root().join("data/demo/settlements.csv"))
        .unwrap()
        .lines()
        .count() as u64
        - 1;
    assert_eq!(s["total"]["settlements"].as_u64(), Some(rows));
    assert_eq!(
        s["regions"].as_array().unwrap().len(),
        20,
        "every settlement lies in one of the 20 regions"
    );
    assert_eq!(v["layers"]["districts"], 224);
    assert_eq!(s["targets"]["settlements"], 5163);
    let est = s["total"]["rural_people_estimated"].as_u64().unwrap();
    let rep = s["total"]["rural_people_reported"].as_u64().unwrap();
    assert!(
        est > 0 && rep > 3_000_000,
        "reported {rep}, estimated {est}"
    );
    assert!(
        s["gaps"]
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g.as_str().unwrap().contains("No masts"))
    );
    // Running it again gives a fresh database with the same summary.
    let again = Command::new(env!("CARGO_BIN_EXE_auyl"))
        .current_dir(tmp.path())
        .env_remove("AUYL_DATABASE")
        .args(["demo", "--no-serve", "--no-plan", "--json"])
        .output()
        .unwrap();
    let v2: Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(v2["summary"]["total"], s["total"]);
}

#[test]
fn errors_go_to_stderr_with_a_non_zero_exit() {
    let db = sqlite_db();
    let out = auyl(&db, &["import", "villages2", "x.csv"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown layer `villages2`"));
    assert!(out.stdout.is_empty());
    let out = auyl(&db, &["import", "settlements", "/nonexistent/x.csv"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/x.csv"));
}

#[test]
fn demo_plans_tracks_a_simulated_year_and_reports_the_week() {
    let tmp = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_auyl"))
        .current_dir(tmp.path())
        .env_remove("AUYL_DATABASE")
        .args(["demo", "--no-serve", "--json", "--out-dir", "out"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // One JSON document per stage: summary, plan, works, simulation, KPIs, weekly report.
    let docs: Vec<Value> = serde_json::Deserializer::from_slice(&out.stdout)
        .into_iter::<Value>()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(docs.len(), 6, "{docs:#?}");
    let planned = docs[1]["settlements_served"].as_u64().unwrap();
    let works = &docs[2];
    assert_eq!(works["settlements"].as_u64(), Some(planned), "{works}");
    assert!(works["works_added"].as_u64().unwrap() >= planned);
    let sim = &docs[3];
    assert_eq!(sim["simulated"], true);
    assert_eq!(sim["weeks"], 52);
    let finished = sim["works_finished"].as_u64().unwrap();
    assert!(finished > 0 && finished < works["works_added"].as_u64().unwrap());
    // The KPIs say they come from a simulation, and a year of it connected somebody.
    let kpis = &docs[4];
    assert_eq!(kpis["simulated"], true);
    let total = &kpis["kpis"]["total"];
    assert!(
        total["settlements_connected"].as_u64().unwrap() > 0,
        "{total}"
    );
    assert!(
        total["settlements_connected"].as_u64().unwrap()
            <= total["settlements_planned"].as_u64().unwrap()
    );
    let report = &docs[5];
    assert_eq!(report["simulated"], true);
    for k in ["xlsx", "html"] {
        let p = tmp.path().join(report[k].as_str().unwrap());
        assert!(p.exists(), "{} missing", p.display());
    }
    let html = std::fs::read_to_string(tmp.path().join(report["html"].as_str().unwrap())).unwrap();
    assert!(html.to_lowercase().contains("simulated"));
    // The audit chain over the whole simulated year holds.
    let verify = Command::new(env!("CARGO_BIN_EXE_auyl"))
        .current_dir(tmp.path())
        .args([
            "--database",
            "sqlite://auyl-demo.db",
            "--json",
            "audit",
            "verify",
        ])
        .output()
        .unwrap();
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stderr)
    );
}

/// Output into a pipe nobody reads any more (`auyl … | head -1`) ends the command as Unix tools
/// end, by SIGPIPE, without a panic on stderr.
#[test]
fn a_closed_output_pipe_ends_the_command_quietly() {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_auyl"))
        .args(["layers"])
        .stdout(writer)
        .stderr(std::process::Stdio::piped())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(out.status.signal(), Some(13), "{:?} {stderr}", out.status);
}
