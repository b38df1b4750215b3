//! `auyl radio …` end to end: ITM batches against the vendored NTIA reference vectors, a link
//! on a real Almaty path, a coverage map that GDAL opens and that covers a nearby village.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the report

use serde_json::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn auyl(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_auyl"))
        .env_remove("AUYL_DEM")
        .args(args)
        .output()
        .expect("run auyl")
}

fn ok_json(args: &[&str]) -> Value {
    let mut a = args.to_vec();
    a.push("--json");
    let out = auyl(&a);
    assert!(
        out.status.success(),
        "auyl {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

fn read_csv(path: &Path) -> Vec<HashMap<String, String>> {
    let mut r = csv::Reader::from_path(path).unwrap();
    let headers = r.headers().unwrap().clone();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            headers
                .iter()
                .zip(rec.iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

#[test]
fn itm_batch_reproduces_the_reference_vectors() {
    let cases = repo().join("fixtures/radio/itm_p2p_vectors.csv");
    let profiles = repo().join("fixtures/radio/itm_profiles.jsonl");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.csv");
    let report = ok_json(&[
        "radio",
        "itm-batch",
        cases.to_str().unwrap(),
        profiles.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    let reference = read_csv(&cases);
    let got = read_csv(&out);
    assert_eq!(report["cases"].as_u64(), Some(reference.len() as u64));
    assert_eq!(got.len(), reference.len());
    assert!(reference.len() > 10);
    let num = |m: &HashMap<String, String>, k: &str| m[k].parse::<f64>().ok();
    for (e, g) in reference.iter().zip(&got) {
        let id = &e["case_id"];
        assert_eq!(&g["case_id"], id);
        assert_eq!(g["rc"], e["rc"], "{id}: rc");
        assert_eq!(g["warnings"], e["warnings"], "{id}: warnings");
        assert_eq!(num(g, "prop_mode"), num(e, "prop_mode"), "{id}: prop_mode");
        match (num(e, "A__db"), num(g, "A__db")) {
            (Some(a), Some(b)) => assert!((a - b).abs() <= 0.05, "{id}: A__db {b} vs {a}"),
            (None, None) => {}
            (a, b) => panic!("{id}: A__db {b:?} vs reference {a:?}"),
        }
        for k in ["A_fs__db", "d__km", "N_s", "delta_h__meter"] {
            if let (Some(a), Some(b)) = (num(e, k), num(g, k)) {
                assert!(
                    (a - b).abs() <= 1e-3 * a.abs().max(1.0),
                    "{id}: {k} {b} vs {a}"
                );
            }
        }
    }
}

#[test]
fn link_on_an_almaty_path_reports_terrain_clearance_itm_and_budget() {
    // From the northern edge of Almaty up the slope to the foothills (SRTM3 tiles N43E076/77).
    let r = ok_json(&[
        "radio",
        "link",
        "--from",
        "76.95,43.35",
        "--to",
        "77.05,43.18",
        "--tx-height-m",
        "40",
        "--rx-height-m",
        "10",
        "--freq-mhz",
        "900",
        "--tx-power-dbm",
        "43",
        "--tx-gain-dbi",
        "17",
        "--rx-gain-dbi",
        "3",
        "--losses-db",
        "2",
        "--sensitivity-dbm",
        "-100",
    ]);
    let d = r["distance_m"].as_f64().unwrap();
    assert!((19_000.0..22_000.0).contains(&d), "{d}");
    let terrain = r["terrain"].as_array().unwrap();
    assert!(
        terrain
            .iter()
            .any(|t| t["name"].as_str().unwrap().starts_with("N43E0")
                && (t["resolution_arcsec"].as_f64().unwrap() - 3.0).abs() < 1e-9),
        "{terrain:?}"
    );
    // The ground rises toward the mountains.
    assert!(r["elevation_to_m"].as_f64().unwrap() > r["elevation_from_m"].as_f64().unwrap());
    let itm_loss = r["itm"]["loss_db"].as_f64().unwrap();
    let fsl = r["free_space_loss_db"].as_f64().unwrap();
    assert!(
        itm_loss.is_finite() && itm_loss > fsl - 6.0,
        "{itm_loss} vs {fsl}"
    );
    let rx = r["budget"]["rx_power_dbm"].as_f64().unwrap();
    assert!((rx - (43.0 + 17.0 - 2.0 + 3.0 - itm_loss)).abs() < 1e-6);
    let los = &r["los"]["analysis"];
    if los["line_of_sight"].as_bool().unwrap() {
        assert_eq!(los["blocked_points"].as_u64(), Some(0));
    }
    assert!(
        r["los"]["required_equal_heights_60"]["height_m"]
            .as_f64()
            .unwrap()
            >= 0.0
    );
    assert!(!r["verdict"].as_str().unwrap().is_empty());
    // Human output names the terrain and gives a verdict.
    let out = auyl(&[
        "radio",
        "link",
        "--from",
        "76.95,43.35",
        "--to",
        "77.05,43.18",
        "--tx-height-m",
        "40",
        "--rx-height-m",
        "10",
        "--freq-mhz",
        "900",
    ]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Terrain: N43E0") && text.contains("Verdict:"),
        "{text}"
    );
}

#[test]
fn link_with_a_missing_dem_folder_is_a_clear_error() {
    let out = auyl(&[
        "radio",
        "link",
        "--from",
        "76.95,43.35",
        "--to",
        "77.05,43.18",
        "--tx-height-m",
        "40",
        "--rx-height-m",
        "10",
        "--freq-mhz",
        "900",
        "--dem",
        "/nonexistent/dem",
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("/nonexistent/dem"), "{err}");
}

#[test]
fn coverage_writes_a_geotiff_gdal_opens_and_covers_a_nearby_village() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("r.db").display());
    // Three real places from the demo registry near the site: Pervomayka (2.8 km), Kurmysh
    // (2.7 km) and Burunday (7.7 km, outside a 5 km radius).
    let src = std::fs::read_to_string(repo().join("data/demo/settlements.csv")).unwrap();
    let mut lines = src.lines();
    let mut csv_text = format!("{}\n", lines.next().unwrap());
    for l in lines.filter(|l| {
        l.starts_with("gn:1520208,")
            || l.starts_with("osm:n10138383373,")
            || l.starts_with("gn:1524958,")
    }) {
        csv_text.push_str(l);
        csv_text.push('\n');
    }
    assert_eq!(csv_text.lines().count(), 4, "{csv_text}");
    let f = dir.path().join("s.csv");
    std::fs::write(&f, csv_text).unwrap();
    let imp = auyl(&[
        "--database",
        &db,
        "import",
        "settlements",
        f.to_str().unwrap(),
    ]);
    assert!(
        imp.status.success(),
        "{}",
        String::from_utf8_lossy(&imp.stderr)
    );

    let tif = dir.path().join("cov.tif");
    let png = dir.path().join("cov.png");
    let r = ok_json(&[
        "--database",
        &db,
        "radio",
        "coverage",
        "--site",
        "76.95,43.35",
        "--height-m",
        "40",
        "--freq-mhz",
        "900",
        "--radius-km",
        "5",
        "--eirp-dbm",
        "58",
        "-o",
        tif.to_str().unwrap(),
        "--png",
        png.to_str().unwrap(),
    ]);
    let s = &r["summary"];
    let names: Vec<&str> = s["settlements"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["covered"].as_bool().unwrap())
        .map(|x| x["id"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"gn:1520208"), "{s}");
    assert!(
        !names.contains(&"gn:1524958"),
        "Burunday is outside 5 km: {s}"
    );
    assert!(s["population_covered"].as_u64().is_some());
    assert!(
        r["terrain"][0]["name"]
            .as_str()
            .unwrap()
            .starts_with("N43E076")
    );
    assert!(png.exists() && png.with_extension("json").exists());

    let info = Command::new("gdalinfo")
        .arg("-json")
        .arg(&tif)
        .output()
        .expect("gdalinfo (Debian gdal-bin) must be installed");
    assert!(
        info.status.success(),
        "{}",
        String::from_utf8_lossy(&info.stderr)
    );
    let info: Value = serde_json::from_slice(&info.stdout).unwrap();
    let g = &r["grid"];
    assert_eq!(info["size"][0], g["width"]);
    assert_eq!(info["size"][1], g["height"]);
    let gt: Vec<f64> = info["geoTransform"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert!((gt[0] - g["west_deg"].as_f64().unwrap()).abs() < 1e-9);
    assert!((gt[3] - g["north_deg"].as_f64().unwrap()).abs() < 1e-9);
    assert!(
        (gt[1] * 3600.0 - 3.0).abs() < 1e-6,
        "native 3″ pixels: {gt:?}"
    );
    // The site lies inside the bounds, and 5 km spans about ±0.062° of longitude.
    let east = gt[0] + gt[1] * g["width"].as_f64().unwrap();
    assert!(gt[0] < 76.95 && east > 76.95 && gt[0] > 76.85 && east < 77.05);
    assert_eq!(info["bands"][0]["noDataValue"].as_f64(), Some(-9999.0));
}

/// From windows of 120 profile points (paths of about 9 km at the native 3″ here) the sweep
/// by default interpolates each path's Δh along the radials and shares it across them;
/// `--exact-roughness` gives every pixel its own. Both runs cover the same pixels, and their
/// received power differs by a fraction of a dB.
#[test]
fn coverage_interpolates_roughness_unless_asked_for_each_pixels_own() {
    let dir = tempfile::tempdir().unwrap();
    let run = |extra: &[&str], name: &str| {
        let tif = dir.path().join(name);
        let mut args = vec![
            "radio",
            "coverage",
            "--site",
            "76.95,43.35",
            "--height-m",
            "40",
            "--freq-mhz",
            "900",
            "--radius-km",
            "20",
            "--no-settlements",
            "-o",
            tif.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        (ok_json(&args), tif)
    };
    let (fast, fast_tif) = run(&[], "fast.tif");
    let (exact, exact_tif) = run(&["--exact-roughness"], "exact.tif");
    assert_eq!(fast["params"]["roughness"]["kind"], "interpolated");
    assert_eq!(exact["params"]["roughness"]["kind"], "exact");
    assert_eq!(exact["delta_h_interpolated"], 0);
    let interpolated = fast["delta_h_interpolated"].as_u64().unwrap();
    let evaluations = fast["itm_evaluations"].as_u64().unwrap();
    assert!(
        interpolated > 0 && interpolated < evaluations,
        "{interpolated} of {evaluations}"
    );
    assert_eq!(fast["itm_evaluations"], exact["itm_evaluations"]);
    // The rasters, read back through GDAL as text.
    let values = |tif: &Path| -> Vec<f64> {
        let out = Command::new("gdal_translate")
            .args(["-q", "-of", "AAIGrid"])
            .arg(tif)
            .arg("/vsistdout/")
            .output()
            .expect("gdal_translate (Debian gdal-bin) must be installed");
        assert!(out.status.success());
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|l| !l.starts_with(|c: char| c.is_ascii_alphabetic()))
            .flat_map(|l| l.split_whitespace().map(|v| v.parse::<f64>().unwrap()))
            .collect()
    };
    let (a, b) = (values(&fast_tif), values(&exact_tif));
    assert_eq!(a.len(), b.len());
    let mut d: Vec<f64> = a
        .iter()
        .zip(&b)
        .filter(|(x, y)| **x != -9999.0 && **y != -9999.0)
        .map(|(x, y)| (x - y).abs())
        .collect();
    d.sort_by(f64::total_cmp);
    assert!(d.len() > 10_000, "{} pixels", d.len());
    assert!(d[d.len() / 2] < 0.05, "median {} dB", d[d.len() / 2]);
    assert!(
        d[d.len() * 99 / 100] < 1.0,
        "P99 {} dB",
        d[d.len() * 99 / 100]
    );
}
