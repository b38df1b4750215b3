//! Writing layers to files. Every write goes to a temporary file beside the target and is renamed
//! into place, so a crash never leaves a half-written file.

use crate::error::{Error, Result, RowError, io_err};
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
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "geojson" | "json" => atomic_write(path, |tmp| write_geojson(tmp, path, layer, records)),
        "csv" => atomic_write(path, |tmp| write_csv(tmp, path, layer, records)),
        "xlsx" => atomic_write(path, |tmp| write_xlsx(tmp, path, layer, records)),
        "gpkg" => atomic_write(path, |tmp| crate::gpkg::write(tmp, path, layer, records)),
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

fn write_geojson(tmp: &Path, path: &Path, layer: Layer, records: &[Record]) -> Result<()> {
    let file = std::fs::File::create(tmp).map_err(io_err(path))?;
    let mut w = std::io::BufWriter::new(file);
    let fields = layer.fields();
    let wr =
        |w: &mut std::io::BufWriter<std::fs::File>, s: &[u8]| w.write_all(s).map_err(io_err(path));
    wr(&mut w, b"{\"type\":\"FeatureCollection\",\"features\":[\n")?;
    for (i, r) in records.iter().enumerate() {
        let props: serde_json::Map<String, serde_json::Value> = fields
            .iter()
            .zip(r.to_values())
            .map(|(f, v)| (f.name.to_string(), json_value(&v)))
            .collect();
        let feature = geojson::Feature {
            bbox: None,
            geometry: r.geometry().as_ref().map(geojson::Geometry::from),
            id: None,
            properties: Some(props),
            foreign_members: None,
        };
        if i > 0 {
            wr(&mut w, b",\n")?;
        }
        serde_json::to_writer(&mut w, &feature).map_err(|e| Error::Io {
            path: path.to_path_buf(),
            source: e.into(),
        })?;
    }
    wr(&mut w, b"\n]}\n")?;
    w.flush().map_err(io_err(path))
}

/// WKT of lines and areas (points are in lon/lat columns already).
fn wkt_of(layer: Layer, r: &Record) -> Option<String> {
    use wkt::ToWkt;
    match layer.geometry_kind() {
        GeometryKind::Line | GeometryKind::Area => r.geometry().map(|g| g.wkt_string()),
        _ => None,
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

fn has_wkt(layer: Layer) -> bool {
    matches!(
        layer.geometry_kind(),
        GeometryKind::Line | GeometryKind::Area
    )
}

fn write_csv(tmp: &Path, path: &Path, layer: Layer, records: &[Record]) -> Result<()> {
    let mut file = std::fs::File::create(tmp).map_err(io_err(path))?;
    // A BOM makes Excel read the file as UTF-8 (Cyrillic names); every reader here skips it.
    file.write_all(b"\xEF\xBB\xBF").map_err(io_err(path))?;
    let mut w = csv::Writer::from_writer(std::io::BufWriter::new(file));
    let csv_err = |e: csv::Error| Error::Io {
        path: path.to_path_buf(),
        source: std::io::Error::other(e),
    };
    let mut header: Vec<&str> = layer.fields().iter().map(|f| f.name).collect();
    if has_wkt(layer) {
        header.push("wkt");
    }
    w.write_record(&header).map_err(csv_err)?;
    for r in records {
        let mut row: Vec<String> = r.to_values().iter().map(text_of).collect();
        if has_wkt(layer) {
            row.push(wkt_of(layer, r).unwrap_or_default());
        }
        w.write_record(&row).map_err(csv_err)?;
    }
    w.flush().map_err(io_err(path))
}

fn write_xlsx(tmp: &Path, path: &Path, layer: Layer, records: &[Record]) -> Result<()> {
    use rust_xlsxwriter::{Format, Workbook};
    let x = |e: rust_xlsxwriter::XlsxError| Error::Xlsx {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name(layer.as_str()).map_err(x)?;
    let bold = Format::new().set_bold();
    let fields = layer.fields();
    for (c, f) in fields.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, f.name, &bold)
            .map_err(x)?;
    }
    let wkt_c = fields.len() as u16;
    if has_wkt(layer) {
        ws.write_string_with_format(0, wkt_c, "wkt", &bold)
            .map_err(x)?;
    }
    for (i, r) in records.iter().enumerate() {
        let row = i as u32 + 1;
        for (c, (v, f)) in r.to_values().iter().zip(fields).enumerate() {
            let c = c as u16;
            match v {
                Value::Null => {}
                Value::Text(s) => {
                    ws.write_string(row, c, s).map_err(x)?;
                }
                // Codes stay text so Excel does not turn 110000000 into 1.1E+08.
                Value::Integer(i) if f.ty == FieldType::Text => {
                    ws.write_string(row, c, i.to_string()).map_err(x)?;
                }
                Value::Integer(i) => {
                    ws.write_number(row, c, *i as f64).map_err(x)?;
                }
                Value::Real(v) => {
                    ws.write_number(row, c, *v).map_err(x)?;
                }
                Value::Bool(b) => {
                    ws.write_boolean(row, c, *b).map_err(x)?;
                }
            }
        }
        if let Some(w) = wkt_of(layer, r) {
            let text = if w.len() <= XLSX_CELL_MAX_CHARS {
                w
            } else {
                "(geometry longer than an Excel cell holds: export to GeoJSON or GeoPackage)".into()
            };
            ws.write_string(row, wkt_c, text).map_err(x)?;
        }
    }
    ws.set_freeze_panes(1, 0).map_err(x)?;
    if !records.is_empty() {
        ws.autofilter(0, 0, records.len() as u32, fields.len() as u16 - 1)
            .map_err(x)?;
    }
    wb.save(tmp).map_err(x)
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
