//! Feature tables: the shape every export takes on its way to a file. A registry layer, a plan's
//! sites or a set of fibre routes all become named tables of typed columns plus a geometry, so
//! each format has one writer.

use auyl_model::{FieldType, GeometryKind, Layer, Record, Value};
use geo_types::Geometry;

/// One row of a [`FeatureTable`]: a geometry (optional) and one value per column.
#[derive(Debug, Clone, PartialEq)]
pub struct Feature {
    /// The geometry, WGS84.
    pub geometry: Option<Geometry<f64>>,
    /// One value per column of the table, in order.
    pub values: Vec<Value>,
}

/// A named table of features with typed columns (a GeoPackage table, a GeoJSON collection, a
/// workbook sheet).
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureTable {
    /// Table name (`plan_sites`); also the sheet name in workbooks.
    pub name: String,
    /// The kind of geometry its features carry.
    pub kind: GeometryKind,
    /// Column names and types.
    pub fields: Vec<(String, FieldType)>,
    /// The rows.
    pub features: Vec<Feature>,
}

impl FeatureTable {
    /// An empty table with the given columns.
    pub fn new(name: impl Into<String>, kind: GeometryKind, fields: &[(&str, FieldType)]) -> Self {
        FeatureTable {
            name: name.into(),
            kind,
            fields: fields.iter().map(|(n, t)| (n.to_string(), *t)).collect(),
            features: Vec::new(),
        }
    }

    /// A registry layer as a table: the canonical fields in order.
    pub fn from_records(layer: Layer, records: &[Record]) -> Self {
        FeatureTable {
            name: layer.as_str().to_string(),
            kind: layer.geometry_kind(),
            fields: layer
                .fields()
                .iter()
                .map(|f| (f.name.to_string(), f.ty))
                .collect(),
            features: records
                .iter()
                .map(|r| Feature {
                    geometry: r.geometry(),
                    values: r.to_values(),
                })
                .collect(),
        }
    }

    /// Appends a row. Values beyond the columns are ignored and missing ones are null, so a
    /// caller's mistake shows as an empty cell rather than a shifted table.
    pub fn push(&mut self, geometry: Option<Geometry<f64>>, mut values: Vec<Value>) {
        values.resize(self.fields.len(), Value::Null);
        self.features.push(Feature { geometry, values });
    }
}
