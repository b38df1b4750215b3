//! `.osm.pbf` roads: real PBF files made by osmium from the OSM XML fixtures (fixtures/osm),
//! read by auyl and, as the reference, by GDAL's OSM driver (`ogr2ogr … lines`).
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the report

use auyl_io::{Error, ImportOptions, import_file};
use auyl_model::{Layer, Record};
use std::path::{Path, PathBuf};
use std::process::Command;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/osm")
        .join(name)
}

/// Runs a tool the test needs; a missing tool fails the test naming its Debian package.
fn run(tool: &str, package: &str, args: &[&std::ffi::OsStr]) {
    let out = Command::new(tool).args(args).output().unwrap_or_else(|e| {
        panic!("this test needs `{tool}` (Debian package {package}; scripts/test installs it): {e}")
    });
    assert!(
        out.status.success(),
        "{tool} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The fixture `name.osm` as a real `.osm.pbf` in `dir`.
fn pbf(dir: &Path, name: &str) -> PathBuf {
    let out = dir.join(format!("{name}.osm.pbf"));
    run(
        "osmium",
        "osmium-tool",
        &[
            "cat".as_ref(),
            fixture(&format!("{name}.osm")).as_os_str(),
            "--overwrite".as_ref(),
            "-o".as_ref(),
            out.as_os_str(),
        ],
    );
    out
}

/// GDAL's reading of the PBF's linear ways: (way id, highway, name, other tags, coordinates).
struct RefWay {
    id: String,
    highway: String,
    name: Option<String>,
    tags: Vec<(String, String)>,
    coords: Vec<(f64, f64)>,
}

fn gdal_lines(dir: &Path, pbf: &Path) -> Vec<RefWay> {
    let out = dir.join("gdal_lines.geojson");
    run(
        "ogr2ogr",
        "gdal-bin",
        &[
            "-f".as_ref(),
            "GeoJSON".as_ref(),
            out.as_os_str(),
            pbf.as_os_str(),
            "lines".as_ref(),
        ],
    );
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    v["features"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["properties"]["highway"].is_string())
        .map(|f| {
            let p = &f["properties"];
            // other_tags is an hstore literal: "k"=>"v","k2"=>"v2"
            let tags = p["other_tags"]
                .as_str()
                .unwrap_or("")
                .split("\",\"")
                .filter_map(|kv| {
                    let (k, v) = kv.split_once("\"=>\"")?;
                    Some((
                        k.trim_matches('"').to_string(),
                        v.trim_matches('"').to_string(),
                    ))
                })
                .collect();
            RefWay {
                id: p["osm_id"].as_str().unwrap().to_string(),
                highway: p["highway"].as_str().unwrap().to_string(),
                name: p["name"].as_str().map(String::from),
                tags,
                coords: f["geometry"]["coordinates"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|c| (c[0].as_f64().unwrap(), c[1].as_f64().unwrap()))
                    .collect(),
            }
        })
        .collect()
}

#[test]
fn highway_ways_match_gdals_reading_of_the_same_pbf() {
    let dir = tempfile::tempdir().unwrap();
    let file = pbf(dir.path(), "akkol_roads");
    let import = import_file(&file, Layer::Roads, &ImportOptions::default()).unwrap();
    assert!(
        import.format.contains("OpenStreetMap PBF"),
        "{}",
        import.format
    );
    let roads: Vec<_> = import
        .records
        .iter()
        .map(|(_, r)| match r {
            Record::Road(r) => r.clone(),
            other => panic!("not a road: {other:?}"),
        })
        .collect();

    let kept = |h: &str| auyl_io::HIGHWAY_CLASSES.contains(&h.strip_suffix("_link").unwrap_or(h));
    let reference: Vec<RefWay> = gdal_lines(dir.path(), &file)
        .into_iter()
        .filter(|w| kept(&w.highway))
        .collect();
    // GDAL lists footways and construction sites too (and puts area=yes into polygons): the
    // reader keeps exactly the road classes it documents.
    let all = gdal_lines(dir.path(), &file);
    assert!(all.iter().any(|w| w.highway == "footway"));
    assert!(all.iter().any(|w| w.highway == "construction"));
    assert!(!reference.is_empty());
    assert_eq!(
        roads.iter().map(|r| r.id.0.clone()).collect::<Vec<_>>(),
        reference
            .iter()
            .map(|w| format!("osm:w{}", w.id))
            .collect::<Vec<_>>()
    );
    for (r, w) in roads.iter().zip(&reference) {
        let tag = |k: &str| {
            w.tags
                .iter()
                .find(|(tk, _)| tk == k)
                .map(|(_, v)| v.clone())
        };
        assert_eq!(r.class.as_deref(), Some(w.highway.as_str()), "{}", r.id);
        assert_eq!(r.surface, tag("surface"), "{}", r.id);
        assert_eq!(r.road_ref, tag("ref"), "{}", r.id);
        assert_eq!(r.name, w.name, "{}", r.id);
        assert_eq!(r.geometry.0.len(), w.coords.len(), "{}", r.id);
        for (c, (x, y)) in r.geometry.0.iter().zip(&w.coords) {
            // PBF stores 100-nanodegree integers: both readers decode the same numbers.
            assert!((c.x - x).abs() < 1e-7 && (c.y - y).abs() < 1e-7, "{}", r.id);
        }
        assert!(r.length_m > 0.0);
    }
    // The same file reads the same way twice.
    let again = import_file(&file, Layer::Roads, &ImportOptions::default()).unwrap();
    assert_eq!(again.records, import.records);
}

#[test]
fn a_way_with_a_missing_node_is_a_row_error_naming_file_way_node_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let file = pbf(dir.path(), "clipped_way");
    let err = import_file(&file, Layer::Roads, &ImportOptions::default()).unwrap_err();
    let Error::InvalidRows { errors } = &err else {
        panic!("expected invalid rows, got {err}")
    };
    assert_eq!(errors.len(), 1, "{err}");
    let e = &errors[0];
    assert_eq!(e.path, file);
    assert_eq!(e.field, "geometry");
    assert!(
        e.message.contains("way 301") && e.message.contains("node 999"),
        "{e}"
    );
    assert!(err.to_string().contains("clipped_way.osm.pbf"), "{err}");

    let skip = import_file(
        &file,
        Layer::Roads,
        &ImportOptions {
            skip_invalid: true,
            ..ImportOptions::default()
        },
    )
    .unwrap();
    assert_eq!(skip.records.len(), 1);
    assert_eq!(skip.records[0].1.key().as_str(), "osm:w302");
    assert_eq!(skip.rejects.len(), 1);
}

#[test]
fn a_pbf_is_only_a_road_layer_and_garbage_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = pbf(dir.path(), "akkol_roads");
    let err = import_file(&file, Layer::Settlements, &ImportOptions::default()).unwrap_err();
    assert!(err.to_string().contains("roads layer only"), "{err}");

    let junk = dir.path().join("junk.osm.pbf");
    std::fs::write(&junk, b"this is not a protocol buffer").unwrap();
    let err = import_file(&junk, Layer::Roads, &ImportOptions::default()).unwrap_err();
    assert!(
        matches!(err, Error::Malformed { .. }) && err.to_string().contains("junk.osm.pbf"),
        "{err}"
    );
    let missing = dir.path().join("missing.osm.pbf");
    let err = import_file(&missing, Layer::Roads, &ImportOptions::default()).unwrap_err();
    assert!(matches!(err, Error::Io { .. }), "{err}");
}
