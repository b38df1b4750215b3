//! Reading a file into a [`RawTable`]: columns, cells and geometry, before any interpretation.

use crate::error::{Error, Result, io_err};
use crate::text::{decode_text, detect_separator};
use calamine::{Data, Reader};
use geo_types::Geometry;
use std::io::Read;
use std::path::{Path, PathBuf};

/// One cell as the file holds it.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Empty.
    Empty,
    /// Text (CSV cells are always text).
    Text(String),
    /// A number (spreadsheets, JSON).
    Number(f64),
    /// A boolean (spreadsheets, JSON).
    Bool(bool),
}

/// One row of a [`RawTable`].
#[derive(Debug, Clone, PartialEq)]
pub struct RawRow {
    /// The row as a spreadsheet shows it (header = 1), or the feature number counting from 1.
    pub row: usize,
    /// Cells in column order.
    pub cells: Vec<Cell>,
    /// The geometry, or why it could not be read.
    pub geometry: Option<std::result::Result<Geometry<f64>, String>>,
}

/// A file read as a table.
#[derive(Debug, Clone, PartialEq)]
pub struct RawTable {
    /// The file.
    pub path: PathBuf,
    /// How it was read, for the user (`CSV, Windows-1251, ';'-separated, decimal comma`).
    pub format: String,
    /// Whether numbers in text cells use a decimal comma (a `;`-separated CSV).
    pub decimal_comma: bool,
    /// Column headers.
    pub columns: Vec<String>,
    /// Data rows.
    pub rows: Vec<RawRow>,
}

const KNOWN: &str = "csv, tsv, txt, xlsx, xlsm, xls, ods, geojson, json, gpkg (csv and geojson may be .gz), osm.pbf (roads)";

fn extension(path: &Path) -> (String, bool) {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let (stem, gz) = match name.strip_suffix(".gz") {
        Some(s) => (s.to_string(), true),
        None => (name, false),
    };
    let ext = Path::new(&stem)
        .extension()
        .map(|e| e.to_string_lossy().to_string())
        .unwrap_or_default();
    (ext, gz)
}

fn read_bytes(path: &Path, gz: bool) -> Result<Vec<u8>> {
    let raw = std::fs::read(path).map_err(io_err(path))?;
    if !gz {
        return Ok(raw);
    }
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(&raw[..])
        .read_to_end(&mut out)
        .map_err(|e| Error::Malformed {
            path: path.to_path_buf(),
            message: format!("not a valid gzip file: {e}"),
        })?;
    Ok(out)
}

/// Reads any supported file into a table; the format comes from the extension.
/// `sheet_or_table` picks a worksheet or a GeoPackage table by name (else the first, or the one
/// named like `prefer`).
pub fn read_table(path: &Path, prefer: Option<&str>) -> Result<RawTable> {
    let (ext, gz) = extension(path);
    let table = match ext.as_str() {
        "csv" | "tsv" | "txt" => read_csv(path, &read_bytes(path, gz)?)?,
        "geojson" | "json" => read_geojson(path, &read_bytes(path, gz)?)?,
        "xlsx" | "xlsm" | "xls" | "xlsb" | "ods" if !gz => read_workbook(path, prefer)?,
        "gpkg" if !gz => crate::gpkg::read(path, prefer)?,
        "pbf" if !gz => match prefer {
            Some(layer) if layer != "roads" => {
                return Err(Error::Malformed {
                    path: path.to_path_buf(),
                    message: format!(
                        "an OpenStreetMap PBF file is read as the roads layer only, not {layer}"
                    ),
                });
            }
            _ => crate::osm::read_roads(path)?,
        },
        _ => {
            return Err(Error::UnsupportedFormat {
                path: path.to_path_buf(),
                ext,
                known: KNOWN,
            });
        }
    };
    if table.columns.is_empty() || table.rows.is_empty() {
        return Err(Error::Empty {
            path: path.to_path_buf(),
        });
    }
    Ok(table)
}

fn read_csv(path: &Path, bytes: &[u8]) -> Result<RawTable> {
    let (text, encoding) = decode_text(bytes);
    let sep = detect_separator(&text);
    // A decimal comma is only possible where the comma is not the separator.
    let decimal_comma = sep != b',';
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(sep)
        .flexible(true)
        .has_headers(true)
        .from_reader(text.as_bytes());
    let malformed = |e: csv::Error| Error::Malformed {
        path: path.to_path_buf(),
        message: format!(
            "CSV {}{e}",
            e.position()
                .map_or(String::new(), |p| format!("row {}: ", p.line()))
        ),
    };
    let columns: Vec<String> = rdr
        .headers()
        .map_err(malformed)?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    let mut rows = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(malformed)?;
        if rec.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let row = rec.position().map_or(rows.len() + 2, |p| p.line() as usize);
        rows.push(RawRow {
            row,
            cells: rec
                .iter()
                .map(|c| {
                    if c.trim().is_empty() {
                        Cell::Empty
                    } else {
                        Cell::Text(c.to_string())
                    }
                })
                .collect(),
            geometry: None,
        });
    }
    let sep_name = match sep {
        b'\t' => "tab".to_string(),
        s => format!("'{}'", s as char),
    };
    Ok(RawTable {
        path: path.to_path_buf(),
        format: format!(
            "CSV, {encoding}, {sep_name}-separated{}",
            if decimal_comma {
                ", decimal comma allowed"
            } else {
                ""
            }
        ),
        decimal_comma,
        columns,
        rows,
    })
}

fn read_workbook(path: &Path, prefer: Option<&str>) -> Result<RawTable> {
    let bad = |e: &dyn std::fmt::Display| Error::Malformed {
        path: path.to_path_buf(),
        message: format!("cannot read the workbook (truncated or not a spreadsheet?): {e}"),
    };
    let mut wb = calamine::open_workbook_auto(path).map_err(|e| bad(&e))?;
    let names = wb.sheet_names().to_vec();
    let sheet = prefer
        .and_then(|p| names.iter().find(|n| n.eq_ignore_ascii_case(p)))
        .or(names.first())
        .cloned()
        .ok_or_else(|| bad(&"the workbook has no sheets"))?;
    let range = wb.worksheet_range(&sheet).map_err(|e| bad(&e))?;
    let (row0, _) = range.start().unwrap_or((0, 0));
    // Office spreadsheets often carry a title and blank rows above the header: take the row among
    // the first few that names the most known fields, else the first non-empty row.
    const HEADER_SEARCH_ROWS: usize = 20;
    let score = |r: &[Data]| {
        r.iter()
            .filter(|c| matches!(c, Data::String(s) if crate::columns::is_known_header(s)))
            .count()
    };
    let first_non_empty = range
        .rows()
        .position(|r| !r.iter().all(|c| matches!(c, Data::Empty)));
    let best = range
        .rows()
        .take(HEADER_SEARCH_ROWS)
        .enumerate()
        .map(|(i, r)| (score(r), i))
        .filter(|(s, _)| *s > 0)
        // Most known names; the earliest row on a tie.
        .max_by_key(|&(s, i)| (s, std::cmp::Reverse(i)))
        .map(|(_, i)| i);
    let Some(header_at) = best.or(first_non_empty) else {
        return Err(Error::Empty {
            path: path.to_path_buf(),
        });
    };
    let mut iter = range.rows().enumerate().skip(header_at);
    let Some((_, header)) = iter.next() else {
        return Err(Error::Empty {
            path: path.to_path_buf(),
        });
    };
    let columns: Vec<String> = header
        .iter()
        .map(|c| {
            cell_of(c, path).map(|c| match c {
                Cell::Text(s) => s.trim().to_string(),
                Cell::Number(x) => x.to_string(),
                Cell::Bool(b) => b.to_string(),
                Cell::Empty => String::new(),
            })
        })
        .collect::<Result<_>>()?;
    let mut rows = Vec::new();
    for (i, r) in iter {
        let cells = r
            .iter()
            .map(|c| cell_of(c, path))
            .collect::<Result<Vec<_>>>()?;
        if cells.iter().all(|c| *c == Cell::Empty) {
            continue;
        }
        rows.push(RawRow {
            row: row0 as usize + i + 1,
            cells,
            geometry: None,
        });
    }
    Ok(RawTable {
        path: path.to_path_buf(),
        format: format!("workbook, sheet `{sheet}`"),
        decimal_comma: true,
        columns,
        rows,
    })
}

fn cell_of(c: &Data, _path: &Path) -> Result<Cell> {
    Ok(match c {
        Data::Empty => Cell::Empty,
        Data::String(s) if s.trim().is_empty() => Cell::Empty,
        Data::String(s) => Cell::Text(s.clone()),
        Data::Float(x) => Cell::Number(*x),
        Data::Int(i) => Cell::Number(*i as f64),
        Data::Bool(b) => Cell::Bool(*b),
        Data::DateTime(d) => Cell::Number(d.as_f64()),
        Data::DateTimeIso(s) | Data::DurationIso(s) => Cell::Text(s.clone()),
        Data::Error(e) => Cell::Text(format!("#{e:?}")),
    })
}

fn read_geojson(path: &Path, bytes: &[u8]) -> Result<RawTable> {
    let (text, _) = decode_text(bytes);
    let gj: geojson::GeoJson = text.parse().map_err(|e| Error::Malformed {
        path: path.to_path_buf(),
        message: format!("not valid GeoJSON: {e}"),
    })?;
    let features = match gj {
        geojson::GeoJson::FeatureCollection(fc) => fc.features,
        geojson::GeoJson::Feature(f) => vec![f],
        geojson::GeoJson::Geometry(_) => {
            return Err(Error::Malformed {
                path: path.to_path_buf(),
                message: "a bare geometry has no attributes: expected a FeatureCollection".into(),
            });
        }
    };
    let mut columns: Vec<String> = Vec::new();
    let mut index = std::collections::HashMap::new();
    for f in &features {
        for k in f.properties.iter().flat_map(|p| p.keys()) {
            if !index.contains_key(k) {
                index.insert(k.clone(), columns.len());
                columns.push(k.clone());
            }
        }
        if f.id.is_some() && !index.contains_key("id") {
            index.insert("id".to_string(), columns.len());
            columns.push("id".into());
        }
    }
    let rows = features
        .into_iter()
        .enumerate()
        .map(|(i, f)| {
            let mut cells = vec![Cell::Empty; columns.len()];
            if let Some(id) = &f.id {
                let v = match id {
                    geojson::feature::Id::String(s) => Cell::Text(s.clone()),
                    geojson::feature::Id::Number(n) => Cell::Text(n.to_string()),
                };
                if let Some(&ci) = index.get("id") {
                    cells[ci] = v;
                }
            }
            for (k, v) in f.properties.iter().flatten() {
                if let Some(&ci) = index.get(k) {
                    cells[ci] = match v {
                        serde_json::Value::Null => Cell::Empty,
                        serde_json::Value::Bool(b) => Cell::Bool(*b),
                        serde_json::Value::Number(n) => {
                            n.as_f64().map_or(Cell::Empty, Cell::Number)
                        }
                        serde_json::Value::String(s) if s.trim().is_empty() => Cell::Empty,
                        serde_json::Value::String(s) => Cell::Text(s.clone()),
                        other => Cell::Text(other.to_string()),
                    };
                }
            }
            let geometry = f.geometry.map(|g| {
                Geometry::<f64>::try_from(g).map_err(|e| format!("invalid geometry: {e}"))
            });
            RawRow {
                row: i + 1,
                cells,
                geometry,
            }
        })
        .collect();
    Ok(RawTable {
        path: path.to_path_buf(),
        format: "GeoJSON".into(),
        decimal_comma: false,
        columns,
        rows,
    })
}

/// Reads a CSV file into typed rows by column name (extra columns are ignored). An error names
/// the file and the row as a spreadsheet shows it.
pub fn read_csv_rows<T: serde::de::DeserializeOwned>(path: &Path) -> Result<Vec<T>> {
    let (ext, gz) = extension(path);
    let bytes = read_bytes(path, gz && ext == "csv")?;
    let (text, _) = decode_text(&bytes);
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(detect_separator(&text))
        .from_reader(text.as_bytes());
    rdr.deserialize()
        .enumerate()
        .map(|(i, row)| {
            row.map_err(|e| Error::Malformed {
                path: path.to_path_buf(),
                message: format!("row {}: {e}", i + 2),
            })
        })
        .collect()
}

/// Reads a JSON Lines file (one JSON object per line; blank lines skipped) into typed values.
/// An error names the file and the line.
pub fn read_json_lines<T: serde::de::DeserializeOwned>(path: &Path) -> Result<Vec<T>> {
    let (_, gz) = extension(path);
    let (text, _) = decode_text(&read_bytes(path, gz)?);
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l).map_err(|e| Error::Malformed {
                path: path.to_path_buf(),
                message: format!("line {}: {e}", i + 1),
            })
        })
        .collect()
}
