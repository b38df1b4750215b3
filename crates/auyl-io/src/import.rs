//! From a [`RawTable`] to registry records, with every bad row reported by file, row and field.

use crate::columns::ColumnMap;
use crate::error::{Error, Result, RowError};
use crate::read::{Cell, RawRow, RawTable, read_table};
use crate::text::{normalise_header, parse_bool, parse_integer, parse_real};
use auyl_model::{FieldType, GeometryKind, Layer, Record, Value};
use geo_types::Geometry;
use std::collections::HashMap;
use std::path::Path;

/// How to import.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// Explicit `(field, column)` pairs from `--map FIELD=COLUMN`.
    pub overrides: Vec<(String, String)>,
    /// Keep the valid rows and report the invalid ones instead of rejecting the whole file.
    pub skip_invalid: bool,
}

/// The result of reading a file as a layer.
#[derive(Debug, Clone)]
pub struct Import {
    /// The layer.
    pub layer: Layer,
    /// How the file was read.
    pub format: String,
    /// Valid records, with their row numbers, in file order.
    pub records: Vec<(usize, Record)>,
    /// Invalid rows (only with `skip_invalid`; otherwise they are an error).
    pub rejects: Vec<RowError>,
    /// Which column fed which field, for the user.
    pub mapping: Vec<(String, String)>,
}

/// Reads `path` as `layer`.
pub fn import_file(path: &Path, layer: Layer, opts: &ImportOptions) -> Result<Import> {
    let table = read_table(path, Some(layer.as_str()))?;
    import_table(&table, layer, opts)
}

const WKT_COLUMNS: [&str; 5] = ["wkt", "geometry", "geom", "the_geom", "shape"];

/// Interprets a table as `layer`.
pub fn import_table(table: &RawTable, layer: Layer, opts: &ImportOptions) -> Result<Import> {
    let kind = layer.geometry_kind();
    let wkt_col = (kind != GeometryKind::None)
        .then(|| {
            table
                .columns
                .iter()
                .position(|c| WKT_COLUMNS.contains(&normalise_header(c).as_str()))
        })
        .flatten();
    let has_geometry = table.rows.iter().any(|r| r.geometry.is_some()) || wkt_col.is_some();
    let map = ColumnMap::resolve(
        &table.path,
        layer,
        &table.columns,
        &opts.overrides,
        kind == GeometryKind::Point && has_geometry,
    )?;
    let fields = layer.fields();
    let mapping = fields
        .iter()
        .zip(&map.columns)
        .filter_map(|(f, c)| c.map(|c| (f.name.to_string(), table.columns[c].clone())))
        .collect();
    let id_from_code = layer
        .field_index("id")
        .is_some_and(|i| map.columns[i].is_none());

    let mut records = Vec::with_capacity(table.rows.len());
    let mut errors = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::with_capacity(table.rows.len());
    for raw in &table.rows {
        let row_err = |field: &str, message: String| RowError {
            path: table.path.clone(),
            row: raw.row,
            field: field.to_string(),
            message,
        };
        match convert_row(table, layer, &map, raw, wkt_col, id_from_code) {
            Err((field, message)) => errors.push(row_err(&field, message)),
            Ok(rec) => {
                let key = rec.key().as_str().to_string();
                if let Some(first) = seen.get(&key) {
                    let field = fields.first().map_or("id", |f| f.name);
                    errors.push(row_err(
                        field,
                        format!("duplicate key `{key}`, first seen at row {first}"),
                    ));
                } else {
                    seen.insert(key, raw.row);
                    records.push((raw.row, rec));
                }
            }
        }
    }
    if !errors.is_empty() && !opts.skip_invalid {
        return Err(Error::InvalidRows { errors });
    }
    Ok(Import {
        layer,
        format: table.format.clone(),
        records,
        rejects: errors,
        mapping,
    })
}

fn convert_row(
    table: &RawTable,
    layer: Layer,
    map: &ColumnMap,
    raw: &RawRow,
    wkt_col: Option<usize>,
    id_from_code: bool,
) -> std::result::Result<Record, (String, String)> {
    let fields = layer.fields();
    let mut values = Vec::with_capacity(fields.len());
    for (spec, col) in fields.iter().zip(&map.columns) {
        let cell = col.and_then(|c| raw.cells.get(c)).unwrap_or(&Cell::Empty);
        let column = col.map_or(spec.name, |c| table.columns[c].as_str());
        let v = typed(cell, spec.ty, table.decimal_comma)
            .map_err(|m| (spec.name.to_string(), format!("{m} (column `{column}`)")))?;
        values.push(v);
    }
    if let (true, Some(id), Some(code)) = (
        id_from_code,
        layer.field_index("id"),
        layer.field_index("official_code"),
    ) {
        values[id] = values[code].clone();
    }
    let geometry = match (&raw.geometry, wkt_col) {
        (Some(Ok(g)), _) => Some(g.clone()),
        (Some(Err(e)), _) => return Err(("geometry".into(), e.clone())),
        (None, Some(c)) => match raw.cells.get(c) {
            Some(Cell::Text(t)) => Some(parse_wkt(t).map_err(|e| ("geometry".to_string(), e))?),
            _ => None,
        },
        (None, None) => None,
    };
    Record::from_values(layer, &values, geometry).map_err(|e| (e.field.to_string(), e.message))
}

fn parse_wkt(text: &str) -> std::result::Result<Geometry<f64>, String> {
    let w: wkt::Wkt<f64> = text
        .trim()
        .parse()
        .map_err(|e| format!("invalid WKT: {e}"))?;
    Geometry::try_from(w).map_err(|e| format!("invalid WKT geometry: {e}"))
}

fn typed(cell: &Cell, ty: FieldType, decimal_comma: bool) -> std::result::Result<Value, String> {
    Ok(match (cell, ty) {
        (Cell::Empty, _) => Value::Null,
        (Cell::Text(s), FieldType::Text) => Value::Text(s.trim().to_string()),
        (Cell::Number(x), FieldType::Text) => Value::Text(if x.fract() == 0.0 && x.abs() < 1e15 {
            format!("{}", *x as i64)
        } else {
            x.to_string()
        }),
        (Cell::Bool(b), FieldType::Text) => Value::Text(b.to_string()),
        (Cell::Number(x), FieldType::Real) => Value::Real(*x),
        (Cell::Text(s), FieldType::Real) => Value::Real(
            parse_real(s).ok_or_else(|| format!("expected a number, got `{}`", s.trim()))?,
        ),
        (Cell::Number(x), FieldType::Integer) if x.fract() == 0.0 => Value::Integer(*x as i64),
        (Cell::Text(s), FieldType::Integer) => Value::Integer(
            parse_integer(s, decimal_comma)
                .ok_or_else(|| format!("expected a whole number, got `{}`", s.trim()))?,
        ),
        (Cell::Bool(b), FieldType::Bool) => Value::Bool(*b),
        (Cell::Number(x), FieldType::Bool) => Value::Bool(*x != 0.0),
        (Cell::Text(s), FieldType::Bool) => Value::Bool(
            parse_bool(s).ok_or_else(|| format!("expected yes/no, got `{}`", s.trim()))?,
        ),
        (c, t) => return Err(format!("expected {t:?}, got {c:?}")),
    })
}
