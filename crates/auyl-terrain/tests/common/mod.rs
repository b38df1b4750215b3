//! Paths of the reference data the tests read: large files from `../shared`, small ones vendored.
#![allow(dead_code, missing_docs, clippy::unwrap_used)]

use std::path::PathBuf;

/// `<repo>/../shared/terrain/<rel>`; panics naming the file when it is absent.
pub fn shared(rel: &str) -> PathBuf {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/terrain")
        .join(rel);
    assert!(
        p.exists(),
        "this test needs the reference file {} (shared/terrain/{rel} beside the repository)",
        p.display()
    );
    p
}

/// `<repo>/data/demo/terrain/<rel>`; panics naming the file when it is absent.
pub fn demo(rel: &str) -> PathBuf {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../data/demo/terrain")
        .join(rel);
    assert!(p.exists(), "this test needs the demo file {}", p.display());
    p
}

/// `<repo>/fixtures/terrain/<rel>`.
pub fn fixture(rel: &str) -> PathBuf {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/terrain")
        .join(rel);
    assert!(p.exists(), "this test needs the fixture {}", p.display());
    p
}

/// One row of a sample-point CSV (`srtm3_sample_points.csv` or `kz_dem30s_sample_points.csv`).
#[derive(Debug, Clone)]
pub struct SamplePoint {
    pub kind: String,
    pub file: String,
    pub row: Option<usize>,
    pub col: Option<usize>,
    pub lat: f64,
    pub lon: f64,
    pub value_m: f64,
}

pub fn sample_points(name: &str) -> Vec<SamplePoint> {
    let mut rdr = csv::Reader::from_path(fixture(name)).unwrap();
    let headers = rdr.headers().unwrap().clone();
    let col = |h: &str| {
        headers
            .iter()
            .position(|x| x == h)
            .unwrap_or_else(|| panic!("column {h} in {name}"))
    };
    let (k, f, r, c, la, lo, v) = (
        col("kind"),
        if name.starts_with("srtm") {
            col("tile")
        } else {
            col("file")
        },
        col("row"),
        col("col"),
        col("lat"),
        col("lon"),
        col("value_m"),
    );
    rdr.records()
        .map(|rec| {
            let rec = rec.unwrap();
            SamplePoint {
                kind: rec[k].to_owned(),
                file: rec[f].to_owned(),
                row: rec[r].parse().ok(),
                col: rec[c].parse().ok(),
                lat: rec[la].parse().unwrap(),
                lon: rec[lo].parse().unwrap(),
                value_m: rec[v].parse().unwrap(),
            }
        })
        .collect()
}
