//! Test helpers: the demo registry of `data/demo` (real Kazakhstan data, see its README), read
//! with the csv and geojson crates (tests only; the library never reads files).
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers: a panic is the report

use auyl_model::{
    BackboneNode, Id, LonLat, Names, NodeKind, OrgKind, Organisation, Population, PowerKind,
    PowerSource, Road, Settlement, SettlementKind,
};
use geo_types::LineString;

pub(crate) fn demo_path(name: &str) -> String {
    format!("{}/../../data/demo/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn read(name: &str) -> String {
    let p = demo_path(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("this test needs {p}: {e}"))
}

pub(crate) fn settlements() -> Vec<Settlement> {
    let text = read("settlements.csv");
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    let h = rdr.headers().unwrap().clone();
    let col = |n: &str| h.iter().position(|x| x == n).unwrap();
    let (ci, cn, cx, cy, ck, cp, cr, cd) = (
        col("id"),
        col("name_en"),
        col("lon"),
        col("lat"),
        col("kind"),
        col("population"),
        col("region_code"),
        col("district_code"),
    );
    let opt = |s: &str| (!s.is_empty()).then(|| s.to_string());
    rdr.records()
        .map(|r| {
            let r = r.unwrap();
            Settlement {
                id: Id::new(&r[ci]),
                official_code: None,
                names: Names {
                    en: opt(&r[cn]),
                    ..Names::default()
                },
                location: LonLat::new(r[cx].parse().unwrap(), r[cy].parse().unwrap()).unwrap(),
                kind: SettlementKind::parse(&r[ck]).unwrap_or(SettlementKind::Unknown),
                population: r[cp].parse::<u32>().ok().map(|people| Population {
                    people,
                    year: None,
                    source: "osm".into(),
                    estimated: false,
                }),
                region_code: opt(&r[cr]),
                district_code: opt(&r[cd]),
            }
        })
        .collect()
}

pub(crate) fn roads() -> Vec<Road> {
    let gj: geojson::GeoJson = read("roads.geojson").parse().unwrap();
    let geojson::GeoJson::FeatureCollection(fc) = gj else {
        panic!("roads.geojson: not a FeatureCollection")
    };
    fc.features
        .into_iter()
        .map(|f| {
            let ls: LineString<f64> = LineString::try_from(f.geometry.unwrap().value).unwrap();
            let p = f.properties.unwrap_or_default();
            let s = |k: &str| p.get(k).and_then(|v| v.as_str()).map(String::from);
            let length_m = geo::Length::length(&geo::Geodesic, &ls);
            Road {
                id: Id::new(s("id").unwrap()),
                road_ref: s("ref"),
                name: s("name"),
                class: s("class"),
                surface: None,
                geometry: ls,
                length_m,
            }
        })
        .collect()
}

pub(crate) fn power() -> Vec<PowerSource> {
    let text = read("power.csv");
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    rdr.records()
        .map(|r| {
            let r = r.unwrap();
            PowerSource {
                id: Id::new(&r[0]),
                name: Some(r[1].to_string()),
                kind: PowerKind::Plant,
                fuel: Some(r[3].to_string()),
                capacity_mw: r[4].parse().ok(),
                voltage_kv: None,
                location: LonLat::new(r[5].parse().unwrap(), r[6].parse().unwrap()).unwrap(),
            }
        })
        .collect()
}

pub(crate) fn organisations() -> Vec<Organisation> {
    let text = read("organisations.csv");
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    rdr.records()
        .map(|r| {
            let r = r.unwrap();
            Organisation {
                id: Id::new(&r[0]),
                kind: OrgKind::parse(&r[1]).unwrap(),
                names: Names {
                    en: Some(r[2].to_string()),
                    ..Names::default()
                },
                region_code: (!r[5].is_empty()).then(|| r[5].to_string()),
            }
        })
        .collect()
}

/// Settlements of the demo inside a lon/lat box.
pub(crate) fn settlements_in(lon: (f64, f64), lat: (f64, f64)) -> Vec<Settlement> {
    settlements()
        .into_iter()
        .filter(|s| {
            (lon.0..=lon.1).contains(&s.location.lon_deg)
                && (lat.0..=lat.1).contains(&s.location.lat_deg)
        })
        .collect()
}

/// Roads with any vertex inside a lon/lat box.
pub(crate) fn roads_in(lon: (f64, f64), lat: (f64, f64)) -> Vec<Road> {
    roads()
        .into_iter()
        .filter(|r| {
            r.geometry
                .0
                .iter()
                .any(|c| (lon.0..=lon.1).contains(&c.x) && (lat.0..=lat.1).contains(&c.y))
        })
        .collect()
}

/// A registry backbone node at a place.
pub(crate) fn node_at(id: &str, at: LonLat) -> BackboneNode {
    BackboneNode {
        id: Id::new(id),
        names: Names::default(),
        kind: NodeKind::Pop,
        location: at,
        operator_id: Some(Id::new("kazakhtelecom")),
        assumed: false,
    }
}

/// The demo DEM (national 30″ grid and the Almaty SRTM3 tiles).
pub(crate) fn demo_dem() -> auyl_terrain::DemSet {
    let dir = demo_path("terrain");
    auyl_terrain::DemSet::open_folders(&[dir.as_str()], 256 << 20)
        .unwrap_or_else(|e| panic!("this test needs the demo terrain in {dir}: {e}"))
}
