//! Digital elevation models: tiles decoded from bytes, elevation at a point, path profiles.
//!
//! - Formats, decoded from bytes: SRTM `.hgt` ([`Tile::from_hgt_bytes`]), GeoTIFF
//!   ([`Tile::from_geotiff_bytes`]), raw grids with an ESRI `.hdr` ([`Tile::from_ehdr_bytes`]);
//!   `.gz`/`.xz` wrapping is undone by [`compress::decompress`].
//! - [`DemSet`]: sources layered by resolution (the finest covering source answers; its voids
//!   are filled from coarser ones), lazily decoded into a byte-bounded LRU cache, thread-safe.
//!   [`DemSet::elevation`], [`DemSet::profile`] along a great circle, [`DemSet::sample_radial`]
//!   for coverage sweeps.
//! - [`folder`]: the file edge (scan folders, read headers, load tiles).
//!
//! Voids: a bilinear value that needs a void post is a void (`None`, never zero). With the
//! default [`VoidPolicy::FillFromCoarser`] the next coarser source answers there (SRTM voids from
//! the national grid); voids left on a profile or radial are interpolated linearly along the path
//! between the nearest valid samples and counted ([`Profile::filled_voids`]); a path with no valid
//! sample is [`TerrainError::AllVoid`].
//!
//! Many threads: share one `&DemSet`; for hot loops give each thread a [`Sampler`]
//! (`par_iter().map_init(|| dem.sampler(), …)`), which keeps its tiles in hand instead of asking
//! the shared cache for every sample. Tiles held by samplers stay alive after eviction until the
//! sampler drops them (at most four per sampler).
//!
//! Heights are metres, positions WGS84 degrees ([`auyl_model::LonLat`]), distances metres on
//! the sphere of [`geodesy::EARTH_RADIUS_M`]. A point no source covers is
//! [`TerrainError::MissingTile`] naming the tile (`N51E071.hgt`), never a silent zero.
//!
//! ```no_run
//! use auyl_model::LonLat;
//! use auyl_terrain::{DemSet, ProfileSpacing};
//! let dem = DemSet::open_folders(&["data/demo/terrain"], 256 << 20)?;
//! let almaty = LonLat::new(76.945, 43.238).unwrap();
//! let h = dem.elevation_m(almaty)?;
//! let p = dem.profile(almaty, LonLat::new(77.2, 43.5).unwrap(), ProfileSpacing::MaxStepM(90.0))?;
//! println!("{h} m; {} samples from {}", p.elevations_m.len(), p.sources[0].name);
//! # Ok::<(), auyl_terrain::TerrainError>(())
//! ```

mod cache;
pub mod compress;
mod demset;
pub mod ehdr;
mod error;
pub mod folder;
pub mod geodesy;
pub mod geotiff;
pub mod hgt;
mod tile;

pub use cache::CacheStats;
pub use demset::{
    DEFAULT_CACHE_BUDGET_BYTES, DemSet, PathSummary, PointElevation, Profile, ProfileSpacing,
    Sampler, SourceInfo, SourceUse, TileFormat, TileLoader, VoidPolicy, fill_voids_linear,
};
pub use error::TerrainError;
pub use tile::{Bounds, GridGeometry, Registration, Tile};
