//! File formats: registry layers in and out of CSV, XLSX, GeoJSON and GeoPackage.
//!
//! Reading is staged: a file becomes a [`RawTable`] (columns, cells, geometry, row numbers as the
//! user sees them), its columns are matched to the layer's canonical fields by [`ColumnMap`]
//! (English, Russian and Kazakh header names, or `--map FIELD=COLUMN`), and each row becomes a
//! [`auyl_model::Record`] or a [`RowError`] naming file, row and field.
//!
//! CSV is read as Kazakh and Russian offices write it: UTF-8 with or without BOM or
//! Windows-1251, comma, semicolon or tab separated, decimal point or decimal comma.
//!
//! Writing picks the format from the extension and is atomic: the file appears whole or not at all.
//!
//! ```no_run
//! use auyl_io::{import_file, ImportOptions};
//! use auyl_model::Layer;
//! let import = import_file("villages.csv".as_ref(), Layer::Settlements, &ImportOptions::default())?;
//! println!("{} records read ({})", import.records.len(), import.format);
//! # Ok::<(), auyl_io::Error>(())
//! ```

mod area;
mod columns;
mod error;
mod features;
mod gpkg;
mod import;
mod osm;
mod plan_export;
pub mod raster;
mod read;
mod text;
pub mod tracking_xlsx;
mod write;

pub use area::{AreaError, area_from_geojson, read_area_file};
pub use columns::ColumnMap;
pub use error::{Error, Result, RowError};
pub use features::{Feature, FeatureTable};
pub use import::{Import, ImportOptions, import_file, import_table};
pub use osm::HIGHWAY_CLASSES;
pub use plan_export::{
    PlanContext, SettlementInfo, export_plan, plan_report_html, plan_tables, plan_workbook_tables,
};
pub use read::{Cell, RawRow, RawTable, read_csv_rows, read_json_lines, read_table};
pub use text::{decode_text, parse_real};
pub use write::{export_file, export_tables, write_csv_rows, write_rejects};
