//! Areas given as GeoJSON (the outline of a flood or a fire): polygons and multipolygons, bare,
//! in a feature or in a feature collection (all their polygons together).

use geo_types::{Geometry, MultiPolygon};

/// Why a GeoJSON value is not an area.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("not a GeoJSON area: {message}")]
pub struct AreaError {
    /// What is wrong.
    pub message: String,
}

fn bad(message: impl Into<String>) -> AreaError {
    AreaError {
        message: message.into(),
    }
}

/// The polygons of a GeoJSON value (a Polygon or MultiPolygon geometry, a Feature with one, or
/// a FeatureCollection of them) as one multipolygon in WGS84 lon/lat. Other geometries, empty
/// areas and coordinates outside lon −180…180, lat −90…90 are refused, naming the feature.
pub fn area_from_geojson(value: &serde_json::Value) -> Result<MultiPolygon<f64>, AreaError> {
    let gj: geojson::GeoJson =
        serde_json::from_value(value.clone()).map_err(|e| bad(e.to_string()))?;
    let geometries: Vec<(String, Option<geojson::Geometry>)> = match gj {
        geojson::GeoJson::Geometry(g) => vec![("the geometry".into(), Some(g))],
        geojson::GeoJson::Feature(f) => vec![("the feature".into(), f.geometry)],
        geojson::GeoJson::FeatureCollection(fc) => fc
            .features
            .into_iter()
            .enumerate()
            .map(|(i, f)| (format!("feature {}", i + 1), f.geometry))
            .collect(),
    };
    let mut out = MultiPolygon(Vec::new());
    for (what, g) in geometries {
        let g = g.ok_or_else(|| bad(format!("{what} has no geometry")))?;
        let g: Geometry<f64> = Geometry::try_from(&g).map_err(|e| bad(format!("{what}: {e}")))?;
        match g {
            Geometry::Polygon(p) => out.0.push(p),
            Geometry::MultiPolygon(m) => out.0.extend(m.0),
            other => {
                return Err(bad(format!(
                    "{what} is a {}, not a Polygon or MultiPolygon",
                    geometry_name(&other)
                )));
            }
        }
    }
    if out.0.iter().all(|p| p.exterior().0.len() < 4) {
        return Err(bad("no polygon with at least three corners"));
    }
    for p in &out.0 {
        for c in p
            .exterior()
            .0
            .iter()
            .chain(p.interiors().iter().flat_map(|r| r.0.iter()))
        {
            if !(c.x.is_finite() && c.y.is_finite() && c.x.abs() <= 180.0 && c.y.abs() <= 90.0) {
                return Err(bad(format!(
                    "coordinate ({}, {}) is not WGS84 lon/lat in degrees",
                    c.x, c.y
                )));
            }
        }
    }
    Ok(out)
}

/// Reads an area from a GeoJSON file (see [`area_from_geojson`]); errors name the file.
pub fn read_area_file(path: &std::path::Path) -> crate::Result<MultiPolygon<f64>> {
    let text = std::fs::read_to_string(path).map_err(|e| crate::Error::Io {
        path: path.to_path_buf(),
        source: e,
    })?;
    let malformed = |message: String| crate::Error::Malformed {
        path: path.to_path_buf(),
        message,
    };
    let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| malformed(e.to_string()))?;
    area_from_geojson(&v).map_err(|e| malformed(e.to_string()))
}

fn geometry_name(g: &Geometry<f64>) -> &'static str {
    match g {
        Geometry::Point(_) => "Point",
        Geometry::Line(_) | Geometry::LineString(_) => "LineString",
        Geometry::MultiPoint(_) => "MultiPoint",
        Geometry::MultiLineString(_) => "MultiLineString",
        Geometry::GeometryCollection(_) => "GeometryCollection",
        _ => "geometry of another kind",
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    #[test]
    fn polygons_features_and_collections_are_areas() {
        let ring = json!([[[76.0, 43.0], [77.0, 43.0], [77.0, 44.0], [76.0, 43.0]]]);
        let poly = json!({"type": "Polygon", "coordinates": ring});
        assert_eq!(area_from_geojson(&poly).unwrap().0.len(), 1);
        let feature = json!({"type": "Feature", "properties": {}, "geometry": poly});
        assert_eq!(area_from_geojson(&feature).unwrap().0.len(), 1);
        let fc = json!({"type": "FeatureCollection", "features": [feature, {"type": "Feature", "properties": {},
            "geometry": {"type": "MultiPolygon", "coordinates": [ring, ring]}}]});
        assert_eq!(area_from_geojson(&fc).unwrap().0.len(), 3);
    }

    #[test]
    fn other_geometries_and_bad_coordinates_are_refused() {
        let e = area_from_geojson(&json!({"type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": [76.0, 43.0]}}]}))
        .unwrap_err();
        assert!(e.message.contains("feature 1 is a Point"), "{e}");
        let e = area_from_geojson(&json!({"type": "Polygon",
            "coordinates": [[[7600000.0, 43.0], [77.0, 43.0], [77.0, 44.0], [7600000.0, 43.0]]]}))
        .unwrap_err();
        assert!(e.message.contains("not WGS84"), "{e}");
        assert!(area_from_geojson(&json!({"type": "Nope"})).is_err());
        assert!(area_from_geojson(&json!([1, 2])).is_err());
    }
}
