//! GeoPackage (OGC 12-128r18) read and write through SQLite; geometry blobs are the GeoPackage
//! header followed by standard WKB.

use crate::error::{Error, Result};
use crate::features::FeatureTable;
use crate::read::{Cell, RawRow, RawTable};
use auyl_model::{FieldType, GeometryKind, Value};
use geo::BoundingRect;
use geo_types::Geometry;
use geozero::{CoordDimensions, ToGeo, ToWkb};
use rusqlite::{Connection, OpenFlags, params_from_iter, types::ValueRef};
use std::path::Path;

const WGS84_SRS_ID: i32 = 4326;

fn gp_err(path: &Path) -> impl Fn(rusqlite::Error) -> Error + '_ {
    move |e| Error::GeoPackage {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

/// Encodes a GeoPackage geometry blob: `GP`, version 0, flags (little-endian, xy envelope),
/// SRS id, envelope, WKB.
pub(crate) fn encode_blob(g: &Geometry<f64>) -> std::result::Result<Vec<u8>, String> {
    let wkb = g.to_wkb(CoordDimensions::xy()).map_err(|e| e.to_string())?;
    let mut out = Vec::with_capacity(8 + 32 + wkb.len());
    out.extend_from_slice(b"GP");
    out.push(0);
    let rect = g.bounding_rect();
    out.push(if rect.is_some() {
        0b0000_0011
    } else {
        0b0000_0001
    });
    out.extend_from_slice(&WGS84_SRS_ID.to_le_bytes());
    if let Some(r) = rect {
        for v in [r.min().x, r.max().x, r.min().y, r.max().y] {
            out.extend_from_slice(&v.to_le_bytes());
        }
    }
    out.extend_from_slice(&wkb);
    Ok(out)
}

/// Decodes a GeoPackage geometry blob (any envelope, either byte order).
pub(crate) fn decode_blob(b: &[u8]) -> std::result::Result<Geometry<f64>, String> {
    if b.len() < 8 || &b[0..2] != b"GP" {
        return Err("not a GeoPackage geometry blob (no `GP` header)".into());
    }
    let flags = b[3];
    let envelope_len = match (flags >> 1) & 0b111 {
        0 => 0,
        1 => 32,
        2 | 3 => 48,
        4 => 64,
        e => return Err(format!("invalid envelope code {e}")),
    };
    let wkb = b
        .get(8 + envelope_len..)
        .ok_or("geometry blob shorter than its header")?;
    geozero::wkb::Wkb(wkb.to_vec())
        .to_geo()
        .map_err(|e| format!("invalid WKB: {e}"))
}

fn type_name(kind: GeometryKind) -> &'static str {
    match kind {
        GeometryKind::Point => "POINT",
        GeometryKind::Line => "LINESTRING",
        GeometryKind::Area => "MULTIPOLYGON",
        GeometryKind::None => "GEOMETRY",
    }
}

/// Writes feature tables into a new GeoPackage at `tmp` (errors name `path`).
pub(crate) fn write(tmp: &Path, path: &Path, tables: &[FeatureTable]) -> Result<()> {
    let e = gp_err(path);
    // The temp file exists and is empty; SQLite treats an empty file as a new database.
    let mut conn = Connection::open(tmp).map_err(&e)?;
    conn.execute_batch(
        "PRAGMA application_id = 1196444487; PRAGMA user_version = 10300; PRAGMA journal_mode = OFF;
         CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY,
           organization TEXT NOT NULL, organization_coordsys_id INTEGER NOT NULL,
           definition TEXT NOT NULL, description TEXT);
         INSERT INTO gpkg_spatial_ref_sys VALUES
           ('Undefined cartesian SRS', -1, 'NONE', -1, 'undefined', 'undefined cartesian coordinate reference system'),
           ('Undefined geographic SRS', 0, 'NONE', 0, 'undefined', 'undefined geographic coordinate reference system'),
           ('WGS 84 geodetic', 4326, 'EPSG', 4326,
            'GEOGCS[\"WGS 84\",DATUM[\"WGS_1984\",SPHEROID[\"WGS 84\",6378137,298.257223563,AUTHORITY[\"EPSG\",\"7030\"]],AUTHORITY[\"EPSG\",\"6326\"]],PRIMEM[\"Greenwich\",0,AUTHORITY[\"EPSG\",\"8901\"]],UNIT[\"degree\",0.0174532925199433,AUTHORITY[\"EPSG\",\"9122\"]],AXIS[\"Latitude\",NORTH],AXIS[\"Longitude\",EAST],AUTHORITY[\"EPSG\",\"4326\"]]',
            'longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid');
         CREATE TABLE gpkg_contents (table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL,
           identifier TEXT UNIQUE, description TEXT DEFAULT '',
           last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
           min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER,
           CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id));
         CREATE TABLE gpkg_geometry_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL,
           geometry_type_name TEXT NOT NULL, srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL,
           CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name));",
    )
    .map_err(&e)?;
    let tx = conn.transaction().map_err(&e)?;
    for t in tables {
        write_table(&tx, path, t)?;
    }
    tx.commit().map_err(&e)?;
    conn.close().map_err(|(_, err)| e(err))?;
    Ok(())
}

fn write_table(tx: &rusqlite::Transaction<'_>, path: &Path, t: &FeatureTable) -> Result<()> {
    let e = gp_err(path);
    let table = t.name.as_str();
    let kind = t.kind;
    let mut cols = vec!["fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL".to_string()];
    if kind != GeometryKind::None {
        cols.push(format!("geom {}", type_name(kind)));
    }
    for (name, ty) in &t.fields {
        let ty = match ty {
            FieldType::Text => "TEXT",
            FieldType::Integer => "INTEGER",
            FieldType::Real => "DOUBLE",
            FieldType::Bool => "BOOLEAN",
        };
        cols.push(format!("\"{name}\" {ty}"));
    }
    tx.execute(
        &format!("CREATE TABLE \"{table}\" ({})", cols.join(", ")),
        [],
    )
    .map_err(&e)?;
    let mut bounds: Option<geo_types::Rect<f64>> = None;
    {
        let names: Vec<String> = t.fields.iter().map(|(n, _)| format!("\"{n}\"")).collect();
        let (geom_col, geom_ph) = if kind != GeometryKind::None {
            ("geom, ", "?, ")
        } else {
            ("", "")
        };
        let sql = format!(
            "INSERT INTO \"{table}\" ({geom_col}{}) VALUES ({geom_ph}{})",
            names.join(", "),
            vec!["?"; names.len()].join(", ")
        );
        let mut stmt = tx.prepare(&sql).map_err(&e)?;
        for (row, f) in t.features.iter().enumerate() {
            let mut params: Vec<rusqlite::types::Value> = Vec::with_capacity(f.values.len() + 1);
            if kind != GeometryKind::None {
                let blob = match &f.geometry {
                    Some(g) => {
                        if let Some(rect) = g.bounding_rect() {
                            bounds = Some(match bounds {
                                None => rect,
                                Some(b) => geo_types::Rect::new(
                                    (b.min().x.min(rect.min().x), b.min().y.min(rect.min().y)),
                                    (b.max().x.max(rect.max().x), b.max().y.max(rect.max().y)),
                                ),
                            });
                        }
                        rusqlite::types::Value::Blob(encode_blob(g).map_err(|m| {
                            Error::GeoPackage {
                                path: path.to_path_buf(),
                                message: format!("{table}, feature {}: {m}", row + 1),
                            }
                        })?)
                    }
                    None => rusqlite::types::Value::Null,
                };
                params.push(blob);
            }
            for v in &f.values {
                params.push(match v {
                    Value::Null => rusqlite::types::Value::Null,
                    Value::Text(s) => rusqlite::types::Value::Text(s.clone()),
                    Value::Integer(i) => rusqlite::types::Value::Integer(*i),
                    Value::Real(x) => rusqlite::types::Value::Real(*x),
                    Value::Bool(b) => rusqlite::types::Value::Integer((*b).into()),
                });
            }
            stmt.execute(params_from_iter(params)).map_err(&e)?;
        }
    }
    let data_type = if kind == GeometryKind::None {
        "attributes"
    } else {
        "features"
    };
    let (minx, miny, maxx, maxy) = bounds.map_or((None, None, None, None), |b| {
        (
            Some(b.min().x),
            Some(b.min().y),
            Some(b.max().x),
            Some(b.max().y),
        )
    });
    tx.execute(
        "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, min_x, min_y, max_x, max_y, srs_id)
         VALUES (?1, ?2, ?1, ?3, ?4, ?5, ?6, ?7, ?8)",
        rusqlite::params![table, data_type, format!("auyl {table}"), minx, miny, maxx, maxy, WGS84_SRS_ID],
    )
    .map_err(&e)?;
    if kind != GeometryKind::None {
        tx.execute(
            "INSERT INTO gpkg_geometry_columns VALUES (?1, 'geom', ?2, ?3, 0, 0)",
            rusqlite::params![table, type_name(kind), WGS84_SRS_ID],
        )
        .map_err(&e)?;
    }
    Ok(())
}

pub(crate) fn read(path: &Path, prefer: Option<&str>) -> Result<RawTable> {
    let e = gp_err(path);
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY).map_err(&e)?;
    let mut tables: Vec<(String, String)> = conn
        .prepare("SELECT table_name, data_type FROM gpkg_contents ORDER BY table_name")
        .and_then(|mut s| {
            s.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<std::result::Result<_, _>>()
        })
        .map_err(|err| Error::GeoPackage {
            path: path.to_path_buf(),
            message: format!("not a GeoPackage (no readable gpkg_contents): {err}"),
        })?;
    tables.retain(|(_, t)| t == "features" || t == "attributes");
    let (table, _) = prefer
        .and_then(|p| tables.iter().find(|(n, _)| n.eq_ignore_ascii_case(p)))
        .or(tables.first())
        .cloned()
        .ok_or_else(|| Error::Empty {
            path: path.to_path_buf(),
        })?;
    let geom_col: Option<String> = conn
        .query_row(
            "SELECT column_name FROM gpkg_geometry_columns WHERE table_name = ?1",
            [&table],
            |r| r.get(0),
        )
        .ok();
    let mut stmt = conn
        .prepare(&format!("SELECT * FROM \"{}\"", table.replace('"', "\"\"")))
        .map_err(&e)?;
    let all: Vec<String> = stmt.column_names().iter().map(|s| s.to_string()).collect();
    let geom_idx = geom_col
        .as_ref()
        .and_then(|g| all.iter().position(|c| c == g));
    let fid_idx = all.iter().position(|c| c == "fid");
    let keep: Vec<usize> = (0..all.len())
        .filter(|i| Some(*i) != geom_idx && Some(*i) != fid_idx)
        .collect();
    let columns = keep.iter().map(|&i| all[i].clone()).collect();
    let mut rows = Vec::new();
    let mut q = stmt.query([]).map_err(&e)?;
    while let Some(r) = q.next().map_err(&e)? {
        let cells = keep
            .iter()
            .map(|&i| {
                Ok(match r.get_ref(i)? {
                    ValueRef::Null => Cell::Empty,
                    ValueRef::Integer(v) => Cell::Number(v as f64),
                    ValueRef::Real(v) => Cell::Number(v),
                    ValueRef::Text(t) => Cell::Text(String::from_utf8_lossy(t).into_owned()),
                    ValueRef::Blob(_) => Cell::Empty,
                })
            })
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(&e)?;
        let geometry = match geom_idx.map(|g| r.get_ref(g)).transpose().map_err(&e)? {
            Some(ValueRef::Blob(b)) => Some(decode_blob(b)),
            _ => None,
        };
        rows.push(RawRow {
            row: rows.len() + 1,
            cells,
            geometry,
        });
    }
    Ok(RawTable {
        path: path.to_path_buf(),
        format: format!("GeoPackage, table `{table}`"),
        decimal_comma: false,
        columns,
        rows,
    })
}
