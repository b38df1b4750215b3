//! Writing layers to files. Every write goes to a temporary file beside the target and is renamed
//! into place, so a crash never leaves a half-written file.

use crate::error::{Error, Result, RowError, io_err};
use crate::features::{Feature, FeatureTable};
use auyl_model::{FieldType, GeometryKind, Layer, Record, Value};
use std::io::Write;
use std::path::Path;

/// Excel's limit on the characters of one cell.
const XLSX_CELL_MAX_CHARS: usize = 32_767;

/// Writes `path` atomically: `fill` writes into a temporary file in the same folder, which then
/// replaces `path`.
pub(crate) fn atomic_write(path: &Path, fill: impl FnOnce(&Path) -> Result<()>) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let tmp = tempfile::Builder::new()
        .prefix(".auyl-")
        .suffix(".partial")
        .tempfile_in(dir)
        .map_err(io_err(path))?;
    fill(tmp.path())?;
    // Temporary files are created owner-only (0600); an exported file is for others to read too.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o644))
            .map_err(io_err(path))?;
    }
    tmp.persist(path).map_err(|e| Error::Io {
        path: path.to_path_buf(),
        source: e.error,
    })?;
    Ok(())
}

/// Writes records of `layer` to `path`; the format comes from the extension (`.geojson`,
/// `.json`, `.gpkg`, `.csv`, `.xlsx`).
pub fn export_file(path: &Path, layer: Layer, records: &[Record]) -> Result<()> {
    export_tables(path, &[FeatureTable::from_records(layer, records)])
}

/// Writes feature tables to `path`, atomically; the format comes from the extension. A
/// GeoPackage holds one table per [`FeatureTable`], a workbook one sheet each; GeoJSON holds them
/// in one collection with a `layer` property; CSV holds exactly one table.
pub fn export_tables(path: &Path, tables: &[FeatureTable]) -> Result<()> {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "geojson" | "json" => atomic_write(path, |tmp| write_geojson(tmp, path, tables)),
        "csv" => match tables {
            [t] => atomic_write(path, |tmp| write_csv(tmp, path, t)),
            _ => Err(Error::Malformed {
                path: path.to_path_buf(),
                message: format!(
                    "a CSV file holds one table, not {}: export to .gpkg, .xlsx or .geojson",
                    tables.len()
                ),
            }),
        },
        "xlsx" => atomic_write(path, |tmp| write_xlsx(tmp, path, tables)),
        "gpkg" => atomic_write(path, |tmp| crate::gpkg::write(tmp, path, tables)),
        _ => Err(Error::UnsupportedFormat {
            path: path.to_path_buf(),
            ext,
            known: "geojson, json, gpkg, csv, xlsx",
        }),
    }
}

fn json_value(v: &Value) -> serde_json::Value {
    match v {
        Value::Null => serde_json::Value::Null,
        Value::Text(s) => s.clone().into(),
        Value::Integer(i) => (*i).into(),
        Value::Real(x) => {
            serde_json::Number::from_f64(*x).map_or(serde_json::Value::Null, Into::into)
        }
        Value::Bool(b) => (*b).into(),
    }
}

fn write_geojson(tmp: &Path, path: &Path, tables: &[FeatureTable]) -> Result<()> {
    let file = std::fs::File::create(tmp).map_err(io_err(path))?;
    let mut w = std::io::BufWriter::new(file);
    let wr =
        |w: &mut std::io::BufWriter<std::fs::File>, s: &[u8]| w.write_all(s).map_err(io_err(path));
    wr(&mut w, b"{\"type\":\"FeatureCollection\",\"features\":[\n")?;
    let mut first = true;
    for t in tables {
        for f in &t.features {
            let mut props: serde_json::Map<String, serde_json::Value> = t
                .fields
                .iter()
                .zip(&f.values)
                .map(|((name, _), v)| (name.clone(), json_value(v)))
                .collect();
            if tables.len() > 1 {
                props.insert("layer".into(), t.name.clone().into());
            }
            let feature = geojson::Feature {
                bbox: None,
                geometry: f.geometry.as_ref().map(geojson::Geometry::from),
                id: None,
                properties: Some(props),
                foreign_members: None,
            };
            if !first {
                wr(&mut w, b",\n")?;
            }
            first = false;
            serde_json::to_writer(&mut w, &feature).map_err(|e| Error::Io {
                path: path.to_path_buf(),
                source: e.into(),
            })?;
        }
    }
    wr(&mut w, b"\n]}\n")?;
    w.flush().map_err(io_err(path))
}

/// WKT of lines and areas (points are in lon/lat columns already).
fn wkt_of(t: &FeatureTable, f: &Feature) -> Option<String> {
    use wkt::ToWkt;
    if has_wkt(t) {
        f.geometry.as_ref().map(|g| g.wkt_string())
    } else {
        None
    }
}

fn text_of(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::Text(s) => s.clone(),
        Value::Integer(i) => i.to_string(),
        Value::Real(x) => x.to_string(),
        Value::Bool(b) => b.to_string(),
    }
}

/// Lines and areas get a WKT column in CSV and workbooks; points of the registry carry lon/lat
/// columns, and tables without them get WKT too.
fn has_wkt(t: &FeatureTable) -> bool {
    match t.kind {
        GeometryKind::Line | GeometryKind::Area => true,
        GeometryKind::Point => !t.fields.iter().any(|(n, _)| n == "lon"),
        GeometryKind::None => false,
    }
}

fn write_csv(tmp: &Path, path: &Path, t: &FeatureTable) -> Result<()> {
    let mut file = std::fs::File::create(tmp).map_err(io_err(path))?;
    // A BOM makes Excel read the file as UTF-8 (Cyrillic names); every reader here skips it.
    file.write_all(b"\xEF\xBB\xBF").map_err(io_err(path))?;
    let mut w = csv::Writer::from_writer(std::io::BufWriter::new(file));
    let csv_err = |e: csv::Error| Error::Io {
        path: path.to_path_buf(),
        source: std::io::Error::other(e),
    };
    let mut header: Vec<&str> = t.fields.iter().map(|(n, _)| n.as_str()).collect();
    if has_wkt(t) {
        header.push("wkt");
    }
    w.write_record(&header).map_err(csv_err)?;
    for f in &t.features {
        let mut row: Vec<String> = f.values.iter().map(text_of).collect();
        if has_wkt(t) {
            row.push(wkt_of(t, f).unwrap_or_default());
        }
        w.write_record(&row).map_err(csv_err)?;
    }
    w.flush().map_err(io_err(path))
}

fn write_xlsx(tmp: &Path, path: &Path, tables: &[FeatureTable]) -> Result<()> {
    use rust_xlsxwriter::Workbook;
    let x = |e: rust_xlsxwriter::XlsxError| Error::Xlsx {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    let mut wb = Workbook::new();
    for t in tables {
        let ws = wb.add_worksheet();
        write_sheet(ws, t).map_err(x)?;
    }
    wb.save(tmp).map_err(x)
}

/// Excel allows 31 characters in a sheet name and none of `[]:*?/\`.
pub(crate) fn sheet_name(name: &str) -> String {
    name.chars()
        .map(|c| if "[]:*?/\\".contains(c) { '_' } else { c })
        .take(31)
        .collect()
}

fn write_sheet(
    ws: &mut rust_xlsxwriter::Worksheet,
    t: &FeatureTable,
) -> std::result::Result<(), rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::Format;
    ws.set_name(sheet_name(&t.name))?;
    let bold = Format::new().set_bold();
    for (c, (name, _)) in t.fields.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, name, &bold)?;
    }
    let wkt_c = t.fields.len() as u16;
    if has_wkt(t) {
        ws.write_string_with_format(0, wkt_c, "wkt", &bold)?;
    }
    for (i, f) in t.features.iter().enumerate() {
        let row = i as u32 + 1;
        for (c, (v, (_, ty))) in f.values.iter().zip(&t.fields).enumerate() {
            let c = c as u16;
            match v {
                Value::Null => {}
                Value::Text(s) => {
                    ws.write_string(row, c, s)?;
                }
                // Codes stay text so Excel does not turn 110000000 into 1.1E+08.
                Value::Integer(i) if *ty == FieldType::Text => {
                    ws.write_string(row, c, i.to_string())?;
                }
                Value::Integer(i) => {
                    ws.write_number(row, c, *i as f64)?;
                }
                Value::Real(v) => {
                    ws.write_number(row, c, *v)?;
                }
                Value::Bool(b) => {
                    ws.write_boolean(row, c, *b)?;
                }
            }
        }
        if let Some(w) = wkt_of(t, f) {
            let text = if w.len() <= XLSX_CELL_MAX_CHARS {
                w
            } else {
                "(geometry longer than an Excel cell holds: export to GeoJSON or GeoPackage)".into()
            };
            ws.write_string(row, wkt_c, text)?;
        }
    }
    ws.set_freeze_panes(1, 0)?;
    if !t.features.is_empty() && !t.fields.is_empty() {
        ws.autofilter(0, 0, t.features.len() as u32, t.fields.len() as u16 - 1)?;
    }
    Ok(())
}

/// Writes any serde-serialisable rows as CSV (header from the field names), atomically.
pub fn write_csv_rows<T: serde::Serialize>(path: &Path, rows: &[T]) -> Result<()> {
    atomic_write(path, |tmp| {
        let mut w = csv::Writer::from_path(tmp).map_err(|e| Error::Io {
            path: path.to_path_buf(),
            source: std::io::Error::other(e),
        })?;
        for r in rows {
            w.serialize(r).map_err(|e| Error::Io {
                path: path.to_path_buf(),
                source: std::io::Error::other(e),
            })?;
        }
        w.flush().map_err(io_err(path))
    })
}

/// Writes a rejects report (one line per invalid row: row, field, message) as CSV.
pub fn write_rejects(path: &Path, rejects: &[RowError]) -> Result<()> {
    atomic_write(path, |tmp| {
        let file = std::fs::File::create(tmp).map_err(io_err(path))?;
        let mut w = csv::Writer::from_writer(file);
        let csv_err = |e: csv::Error| Error::Io {
            path: path.to_path_buf(),
            source: std::io::Error::other(e),
        };
        w.write_record(["file", "row", "field", "message"])
            .map_err(csv_err)?;
        for r in rejects {
            w.write_record([
                r.path.display().to_string(),
                r.row.to_string(),
                r.field.clone(),
                r.message.clone(),
            ])
            .map_err(csv_err)?;
        }
        w.flush().map_err(io_err(path))
    })
}
