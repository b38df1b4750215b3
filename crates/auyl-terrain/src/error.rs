//! The one error type of the crate: every failure names the tile, file or point it concerns.

use std::path::PathBuf;

/// Why terrain could not be read or sampled.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TerrainError {
    /// A file or folder could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The bytes of a tile are not what its format requires.
    #[error("tile {name}: {reason}")]
    Format {
        /// Name of the tile or file.
        name: String,
        /// What is wrong, in words.
        reason: String,
    },
    /// The TIFF decoder rejected a GeoTIFF.
    #[error("GeoTIFF {name}: {source}")]
    Tiff {
        /// Name of the tile or file.
        name: String,
        /// The decoder's error.
        #[source]
        source: tiff::TiffError,
    },
    /// No source of the set covers the point: the tile that would cover it is missing.
    #[error(
        "no terrain covers lon {lon_deg:.6} lat {lat_deg:.6}: tile {tile} is missing (no source of the DEM set covers this point)"
    )]
    MissingTile {
        /// The SRTM-style name of the 1° tile that would cover the point, e.g. `N51E071.hgt`.
        tile: String,
        /// Longitude of the point, degrees.
        lon_deg: f64,
        /// Latitude of the point, degrees.
        lat_deg: f64,
    },
    /// Every source covering the point has a void there.
    #[error("void (no data) at lon {lon_deg:.6} lat {lat_deg:.6} in {source_name}")]
    Void {
        /// Longitude of the point, degrees.
        lon_deg: f64,
        /// Latitude of the point, degrees.
        lat_deg: f64,
        /// The last (coarsest) source tried.
        source_name: String,
    },
    /// A profile or radial has no valid sample at all, so its voids cannot be interpolated.
    #[error(
        "all {points} samples of the path are voids ({source_name}); nothing to interpolate from"
    )]
    AllVoid {
        /// Number of samples requested.
        points: usize,
        /// The source of the first sample.
        source_name: String,
    },
    /// A point outside a single tile was asked of that tile.
    #[error("lon {lon_deg:.6} lat {lat_deg:.6} is outside tile {name}")]
    OutsideTile {
        /// The tile.
        name: String,
        /// Longitude of the point, degrees.
        lon_deg: f64,
        /// Latitude of the point, degrees.
        lat_deg: f64,
    },
    /// An argument is out of its domain (non-finite coordinate, non-positive spacing, …).
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// A folder holds no DEM file that this crate can read.
    #[error("no DEM tiles (.hgt, .hgt.gz, .hgt.xz, .tif, .hdr grids) found under {0}")]
    NoTiles(PathBuf),
}

impl TerrainError {
    pub(crate) fn format(name: &str, reason: impl Into<String>) -> Self {
        TerrainError::Format {
            name: name.to_owned(),
            reason: reason.into(),
        }
    }
}
