//! OpenStreetMap `.osm.pbf` files as a `roads` table: one row per highway way, with its class
//! (`highway=*`) and surface (`surface=*`, where tagged).
//!
//! Ways kept (the values a fibre route can follow, with their `_link` ramps): `motorway`,
//! `trunk`, `primary`, `secondary`, `tertiary`, `unclassified`, `residential`, `living_street`,
//! `service`, `track` and `road` (unknown classification). Left out: paths and footways
//! (`path`, `footway`, `cycleway`, `bridleway`, `steps`, `pedestrian`), roads that do not exist
//! yet (`construction`, `proposed`), non-roads (`platform`, `corridor`, `raceway`, `bus_stop`…)
//! and highway areas (`area=yes`). Direction (`oneway`) does not matter for a cable and is
//! ignored. Relations are not read.
//!
//! The file is read in two passes ([`osmpbf::IndexedReader`]): the highway ways, then only the
//! nodes they use, so memory grows with the road network and not with the whole extract.

use crate::error::{Error, Result, io_err};
use crate::read::{Cell, RawRow, RawTable};
use geo_types::{Coord, Geometry, LineString};
use std::collections::HashMap;
use std::path::Path;

/// `highway=*` values kept as roads (each also with a `_link` suffix where OSM uses one).
pub const HIGHWAY_CLASSES: &[&str] = &[
    "motorway",
    "trunk",
    "primary",
    "secondary",
    "tertiary",
    "unclassified",
    "residential",
    "living_street",
    "service",
    "track",
    "road",
];

/// Whether a `highway` value (with the way's `area` tag) is a road a fibre route can follow.
fn is_road(highway: &str, area: Option<&str>) -> bool {
    if area == Some("yes") {
        return false;
    }
    let base = highway.strip_suffix("_link").unwrap_or(highway);
    HIGHWAY_CLASSES.contains(&base)
}

/// One kept way: id, node references, and the tags that become fields.
struct Way {
    id: i64,
    refs: Vec<i64>,
    highway: String,
    surface: Option<String>,
    name: Option<String>,
    road_ref: Option<String>,
}

/// Reads the highway ways of an `.osm.pbf` file as a table with the columns `id` (`osm:w<way
/// id>`), `ref`, `name`, `class` (the `highway` value), `surface`, and a line geometry. A way
/// whose nodes are not all in the file (a clipped extract) or that has fewer than two distinct
/// positions gets a geometry error naming the way, so the import reports it as a bad row.
pub(crate) fn read_roads(path: &Path) -> Result<RawTable> {
    // Report a missing or unreadable file as such, not as a broken PBF.
    std::fs::metadata(path).map_err(io_err(path))?;
    let malformed = |e: osmpbf::Error| Error::Malformed {
        path: path.to_path_buf(),
        message: format!("not a readable OpenStreetMap PBF file: {e}"),
    };
    let mut reader = osmpbf::IndexedReader::from_path(path).map_err(malformed)?;
    let mut ways: Vec<Way> = Vec::new();
    let mut coords: HashMap<i64, Coord<f64>> = HashMap::new();
    reader
        .read_ways_and_deps(
            |way| {
                let mut highway = None;
                let mut area = None;
                for (k, v) in way.tags() {
                    match k {
                        "highway" => highway = Some(v),
                        "area" => area = Some(v),
                        _ => {}
                    }
                }
                highway.is_some_and(|h| is_road(h, area))
            },
            |element| match element {
                osmpbf::Element::Way(w) => {
                    let mut out = Way {
                        id: w.id(),
                        refs: w.refs().collect(),
                        highway: String::new(),
                        surface: None,
                        name: None,
                        road_ref: None,
                    };
                    for (k, v) in w.tags() {
                        let v = v.trim();
                        if v.is_empty() {
                            continue;
                        }
                        match k {
                            "highway" => out.highway = v.to_string(),
                            "surface" => out.surface = Some(v.to_string()),
                            "name" => out.name = Some(v.to_string()),
                            "ref" => out.road_ref = Some(v.to_string()),
                            _ => {}
                        }
                    }
                    ways.push(out);
                }
                osmpbf::Element::Node(n) => {
                    coords.insert(
                        n.id(),
                        Coord {
                            x: n.lon(),
                            y: n.lat(),
                        },
                    );
                }
                osmpbf::Element::DenseNode(n) => {
                    coords.insert(
                        n.id(),
                        Coord {
                            x: n.lon(),
                            y: n.lat(),
                        },
                    );
                }
                osmpbf::Element::Relation(_) => {}
            },
        )
        .map_err(malformed)?;
    // Way order in a PBF is by id; keep it so row numbers are stable.
    ways.sort_by_key(|w| w.id);
    let text = |s: Option<String>| s.map_or(Cell::Empty, Cell::Text);
    let rows = ways
        .into_iter()
        .enumerate()
        .map(|(i, w)| {
            let geometry = way_line(w.id, &w.refs, &coords).map(Geometry::LineString);
            RawRow {
                row: i + 1,
                cells: vec![
                    Cell::Text(format!("osm:w{}", w.id)),
                    text(w.road_ref),
                    text(w.name),
                    Cell::Text(w.highway),
                    text(w.surface),
                ],
                geometry: Some(geometry),
            }
        })
        .collect::<Vec<_>>();
    Ok(RawTable {
        path: path.to_path_buf(),
        format: format!(
            "OpenStreetMap PBF, {} highway ways ({}, with _link)",
            rows.len(),
            HIGHWAY_CLASSES.join(", ")
        ),
        decimal_comma: false,
        columns: ["id", "ref", "name", "class", "surface"]
            .map(String::from)
            .to_vec(),
        rows,
    })
}

/// The line of a way from its node references, or why there is none (naming the way).
fn way_line(
    id: i64,
    refs: &[i64],
    coords: &HashMap<i64, Coord<f64>>,
) -> std::result::Result<LineString<f64>, String> {
    let mut line: Vec<Coord<f64>> = Vec::with_capacity(refs.len());
    for r in refs {
        let c = coords.get(r).ok_or_else(|| {
            format!("OSM way {id}: node {r} is not in the file (an extract clipped mid-way?)")
        })?;
        if line.last() != Some(c) {
            line.push(*c);
        }
    }
    if line.len() < 2 {
        return Err(format!(
            "OSM way {id}: fewer than two distinct node positions"
        ));
    }
    Ok(LineString(line))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kept_classes_follow_the_documented_list() {
        for h in ["primary", "primary_link", "track", "residential", "road"] {
            assert!(is_road(h, None), "{h}");
        }
        for h in [
            "footway",
            "path",
            "cycleway",
            "steps",
            "construction",
            "proposed",
            "platform",
            "pedestrian",
        ] {
            assert!(!is_road(h, None), "{h}");
        }
        assert!(!is_road("service", Some("yes")));
    }

    #[test]
    fn missing_nodes_and_degenerate_ways_name_the_way() {
        let coords: HashMap<i64, Coord<f64>> = [
            (1, Coord { x: 71.0, y: 51.0 }),
            (2, Coord { x: 71.1, y: 51.0 }),
        ]
        .into();
        assert_eq!(way_line(7, &[1, 2], &coords).unwrap().0.len(), 2);
        let e = way_line(7, &[1, 3], &coords).unwrap_err();
        assert!(e.contains("way 7") && e.contains("node 3"), "{e}");
        let e = way_line(8, &[1, 1], &coords).unwrap_err();
        assert!(e.contains("way 8"), "{e}");
    }
}
