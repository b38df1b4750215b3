//! Errors of reading and writing files, each naming the file and, for rows, the row and field.

use std::fmt;
use std::path::PathBuf;

/// A problem with one row (or feature) of an input file.
#[derive(Debug, Clone, PartialEq)]
pub struct RowError {
    /// The file.
    pub path: PathBuf,
    /// The row as a spreadsheet shows it (header = row 1), or the feature number counting from 1.
    pub row: usize,
    /// The canonical field, or the source column, or `geometry`.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: row {}, field `{}`: {}",
            self.path.display(),
            self.row,
            self.field,
            self.message
        )
    }
}

/// Errors of the io crate.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file has no data rows.
    #[error("{}: the file is empty (no header or no data rows)", path.display())]
    Empty {
        /// The file.
        path: PathBuf,
    },
    /// The file's extension is not a known format.
    #[error("{}: unsupported file type `{ext}` (known: {known})", path.display())]
    UnsupportedFormat {
        /// The file.
        path: PathBuf,
        /// Its extension.
        ext: String,
        /// The known extensions.
        known: &'static str,
    },
    /// The file is not well-formed for its format (broken JSON, truncated workbook, bad CSV quoting).
    #[error("{}: {message}", path.display())]
    Malformed {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A required field has no column.
    #[error("{}: no column for required field `{field}` of layer {layer}; columns are: {columns}. Map one with --map {field}=COLUMN", path.display())]
    MissingColumn {
        /// The file.
        path: PathBuf,
        /// The layer.
        layer: String,
        /// The canonical field.
        field: String,
        /// The file's columns.
        columns: String,
    },
    /// A `--map` names a field the layer does not have.
    #[error("--map {field}=…: layer {layer} has no field `{field}`; its fields are: {fields}")]
    UnknownField {
        /// The layer.
        layer: String,
        /// The field named.
        field: String,
        /// The layer's fields.
        fields: String,
    },
    /// A `--map` names a column the file does not have.
    #[error("{}: --map {field}={column}: no column `{column}`; columns are: {columns}", path.display())]
    UnknownColumn {
        /// The file.
        path: PathBuf,
        /// The field.
        field: String,
        /// The column named.
        column: String,
        /// The file's columns.
        columns: String,
    },
    /// Some rows are invalid (all of them are listed).
    #[error("{} invalid row(s){}:\n{}", errors.len(), if errors.len() > 20 { ", the first 20" } else { "" }, errors.iter().take(20).map(|e| format!("  {e}")).collect::<Vec<_>>().join("\n"))]
    InvalidRows {
        /// Every invalid row.
        errors: Vec<RowError>,
    },
    /// A GeoPackage could not be read or written.
    #[error("{}: GeoPackage: {message}", path.display())]
    GeoPackage {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// A workbook could not be written.
    #[error("{}: writing the workbook: {message}", path.display())]
    Xlsx {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
}

/// The io crate's result.
pub type Result<T, E = Error> = std::result::Result<T, E>;

pub(crate) fn io_err(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_path_buf(),
        source,
    }
}
