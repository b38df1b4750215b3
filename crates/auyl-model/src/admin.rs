//! Administrative areas and finding the one a point lies in.

use crate::{Id, LonLat, Names};
use geo::{BoundingRect, Closest, ClosestPoint, Contains, Distance, Haversine};
use geo_types::{MultiPolygon, Point};
use rstar::{AABB, RTree, RTreeObject};
use serde::{Deserialize, Serialize};

/// The level of an administrative area.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AreaLevel {
    /// First level: oblast and cities of republican significance.
    Region,
    /// Second level: rayon (district) and cities of regional significance.
    District,
}

impl AreaLevel {
    /// `region` or `district`.
    pub fn as_str(self) -> &'static str {
        match self {
            AreaLevel::Region => "region",
            AreaLevel::District => "district",
        }
    }
}

/// A region or district with its boundary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdminArea {
    /// Official code (KATO in Kazakhstan); the upsert key.
    pub code: Id,
    /// Level.
    pub level: AreaLevel,
    /// Code of the parent region, for districts.
    pub parent_code: Option<String>,
    /// Names.
    pub names: Names,
    /// Other code used by sources (ISO 3166-2, COD p-code).
    pub alt_code: Option<String>,
    /// Boundary (WGS84).
    pub boundary: MultiPolygon<f64>,
}

struct Indexed {
    idx: usize,
    envelope: AABB<[f64; 2]>,
}

impl RTreeObject for Indexed {
    type Envelope = AABB<[f64; 2]>;
    fn envelope(&self) -> Self::Envelope {
        self.envelope
    }
}

/// Finds the area that contains a point, fast: an R-tree over bounding boxes, then exact
/// point-in-polygon. Points just outside every area (border slivers, coast) go to the nearest
/// area within a tolerance.
pub struct AreaIndex<'a> {
    areas: &'a [AdminArea],
    tree: RTree<Indexed>,
}

impl<'a> AreaIndex<'a> {
    /// Indexes the given areas (any mix of levels; lookups filter by level).
    pub fn new(areas: &'a [AdminArea]) -> Self {
        let items = areas
            .iter()
            .enumerate()
            .filter_map(|(idx, a)| {
                let r = a.boundary.bounding_rect()?;
                Some(Indexed {
                    idx,
                    envelope: AABB::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]),
                })
            })
            .collect();
        AreaIndex {
            areas,
            tree: RTree::bulk_load(items),
        }
    }

    /// The area of `level` containing `p`, or else the nearest one within `tolerance_m`.
    pub fn locate(&self, p: LonLat, level: AreaLevel, tolerance_m: f64) -> Option<&'a AdminArea> {
        let pt = p.to_point();
        let hit = self
            .tree
            .locate_in_envelope_intersecting(&AABB::from_point([p.lon_deg, p.lat_deg]))
            .map(|i| &self.areas[i.idx])
            .find(|a| a.level == level && a.boundary.contains(&pt));
        if hit.is_some() {
            return hit;
        }
        // Degrees of search box around the point: generous at high latitude.
        let pad_deg = tolerance_m / 111_000.0 / p.lat_deg.to_radians().cos().max(0.2);
        let bbox = AABB::from_corners(
            [p.lon_deg - pad_deg, p.lat_deg - pad_deg],
            [p.lon_deg + pad_deg, p.lat_deg + pad_deg],
        );
        self.tree
            .locate_in_envelope_intersecting(&bbox)
            .map(|i| &self.areas[i.idx])
            .filter(|a| a.level == level)
            .filter_map(|a| {
                let d = nearest_boundary_distance_m(&a.boundary, pt)?;
                (d <= tolerance_m).then_some((d, a))
            })
            .min_by(|x, y| x.0.total_cmp(&y.0))
            .map(|(_, a)| a)
    }
}

fn nearest_boundary_distance_m(mp: &MultiPolygon<f64>, p: Point<f64>) -> Option<f64> {
    match mp.closest_point(&p) {
        Closest::Intersection(_) => Some(0.0),
        Closest::SinglePoint(q) => Some(Haversine.distance(p, q)),
        Closest::Indeterminate => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::polygon;

    fn square(code: &str, x0: f64, level: AreaLevel) -> AdminArea {
        AdminArea {
            code: Id::new(code),
            level,
            parent_code: None,
            names: Names::default(),
            alt_code: None,
            boundary: MultiPolygon(vec![
                polygon![(x: x0, y: 0.0), (x: x0 + 1.0, y: 0.0), (x: x0 + 1.0, y: 1.0), (x: x0, y: 1.0)],
            ]),
        }
    }

    #[test]
    fn locates_inside_and_near() {
        let areas = vec![
            square("A", 0.0, AreaLevel::Region),
            square("B", 1.0, AreaLevel::Region),
            square("a1", 0.0, AreaLevel::District),
        ];
        let idx = AreaIndex::new(&areas);
        let at = |x, y, level| {
            idx.locate(LonLat::new(x, y).unwrap(), level, 5_000.0)
                .map(|a| a.code.as_str())
        };
        assert_eq!(at(0.5, 0.5, AreaLevel::Region), Some("A"));
        assert_eq!(at(1.5, 0.5, AreaLevel::Region), Some("B"));
        assert_eq!(at(0.5, 0.5, AreaLevel::District), Some("a1"));
        // 0.02° (≈2.2 km) outside the west edge: nearest within 5 km.
        assert_eq!(at(-0.02, 0.5, AreaLevel::Region), Some("A"));
        assert_eq!(at(-0.2, 0.5, AreaLevel::Region), None);
    }
}

/// How [`assign_areas`] placed settlements.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AreaAssignment {
    /// Codes given as names (`Акмолинская область`) and replaced by the area's code.
    pub by_name: u64,
    /// Settlements without a region or district placed by their location.
    pub by_location: u64,
    /// Region or district texts that match no area (kept as given).
    pub unknown: Vec<String>,
}

fn name_key(s: &str) -> String {
    let s = s.to_lowercase().replace('ё', "е");
    let mut words: Vec<&str> = s
        .split(|c: char| !c.is_alphanumeric() && c != '-')
        .filter(|w| !w.is_empty())
        .collect();
    const GENERIC: [&str; 12] = [
        "область",
        "обл",
        "облысы",
        "region",
        "oblast",
        "район",
        "р-н",
        "ауданы",
        "district",
        "rayon",
        "г",
        "қ",
    ];
    words.retain(|w| !GENERIC.contains(w));
    words.join(" ")
}

/// Puts settlements into regions and districts: a region or district given by name (in any of
/// the area's languages, with or without words like "область", "ауданы") is replaced by the
/// area's code; a missing one is found by location (within `tolerance_m` of the boundary).
pub fn assign_areas(
    settlements: &mut [crate::Settlement],
    areas: &[AdminArea],
    tolerance_m: f64,
) -> AreaAssignment {
    use std::collections::HashMap;
    let mut by_code: HashMap<(AreaLevel, &str), &AdminArea> = HashMap::new();
    let mut by_name: HashMap<(AreaLevel, String), &AdminArea> = HashMap::new();
    for a in areas {
        by_code.insert((a.level, a.code.as_str()), a);
        let n = &a.names;
        for name in [&n.local, &n.kk, &n.ru, &n.en].into_iter().flatten() {
            by_name.insert((a.level, name_key(name)), a);
        }
        if let Some(alt) = &a.alt_code {
            by_name.insert((a.level, name_key(alt)), a);
        }
    }
    let index = AreaIndex::new(areas);
    let mut out = AreaAssignment::default();
    for s in settlements.iter_mut() {
        for level in [AreaLevel::Region, AreaLevel::District] {
            let slot = match level {
                AreaLevel::Region => &mut s.region_code,
                AreaLevel::District => &mut s.district_code,
            };
            match slot.as_deref() {
                Some(code) if by_code.contains_key(&(level, code)) => {}
                Some(text) => match by_name.get(&(level, name_key(text))) {
                    Some(a) => {
                        *slot = Some(a.code.0.clone());
                        out.by_name += 1;
                    }
                    None => {
                        if !out.unknown.iter().any(|u| u == text) {
                            out.unknown.push(text.to_string());
                        }
                    }
                },
                None => {
                    if let Some(a) = index.locate(s.location, level, tolerance_m) {
                        *slot = Some(a.code.0.clone());
                        out.by_location += 1;
                    }
                }
            }
        }
    }
    out
}
