//! The file edge: scan folders for DEM files, read their headers cheaply, and decode a tile from
//! its file when the [`DemSet`] first needs it. Everything else in the crate works on bytes.
//!
//! Recognised (case-insensitive), each optionally compressed as `.gz` or `.xz`:
//! - `N43E076.hgt` — SRTM; resolution from the (uncompressed) size;
//! - `*.tif`, `*.tiff` — GeoTIFF (not compressed outside: TIFF compresses inside);
//! - `NAME.hdr` — an ESRI header; its data is the sibling `NAME.*` file (`.bil`, `.flt`,
//!   `.i16le.gz`, …). 8-bit grids are masks or class codes (such as the national grid's
//!   `_source` map), not heights, and are skipped.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use crate::compress::{Compression, decompress, gzip_uncompressed_len, xz_uncompressed_len};
use crate::demset::{DemSet, SourceInfo, TileFormat, TileLoader};
use crate::ehdr::{EhdrHeader, EhdrSample};
use crate::geotiff::GeoTiffHeader;
use crate::hgt::{hgt_geometry, hgt_side, parse_hgt_name};
use crate::{TerrainError, Tile};

fn io_err(path: &Path) -> impl Fn(std::io::Error) -> TerrainError + '_ {
    move |source| TerrainError::Io {
        path: path.to_owned(),
        source,
    }
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// A tile file found by a scan, decoded on [`TileLoader::load`].
#[derive(Debug, Clone)]
pub struct FileTile {
    /// The file holding the samples.
    pub path: PathBuf,
    /// Its format.
    pub format: TileFormat,
    /// The parsed header of an EHdr grid.
    header: Option<EhdrHeader>,
}

impl TileLoader for FileTile {
    fn load(&self) -> Result<Tile, TerrainError> {
        let name = file_name(&self.path);
        let bytes = std::fs::read(&self.path).map_err(io_err(&self.path))?;
        let raw = match Compression::from_name(&name) {
            Compression::None => bytes,
            _ => decompress(&name, &bytes)?,
        };
        match (self.format, &self.header) {
            (TileFormat::Hgt, _) => Tile::from_hgt_bytes(&name, &raw),
            (TileFormat::GeoTiff, _) => Tile::from_geotiff_bytes(&name, &raw),
            (TileFormat::EsriHdr, Some(h)) => Tile::from_ehdr_bytes(&name, h, &raw),
            _ => Err(TerrainError::format(&name, "no decoder for this file")),
        }
    }
}

/// The uncompressed length of a file, reading only its end for `.gz`/`.xz`.
fn uncompressed_len(path: &Path, name: &str) -> Result<usize, TerrainError> {
    let mut f = File::open(path).map_err(io_err(path))?;
    let len = f.metadata().map_err(io_err(path))?.len();
    let compression = Compression::from_name(name);
    if compression == Compression::None {
        return Ok(len as usize);
    }
    let tail_len = len.min(64 * 1024);
    f.seek(SeekFrom::Start(len - tail_len))
        .map_err(io_err(path))?;
    let mut tail = Vec::with_capacity(tail_len as usize);
    f.take(tail_len)
        .read_to_end(&mut tail)
        .map_err(io_err(path))?;
    let from_tail = match compression {
        Compression::Gzip => gzip_uncompressed_len(&tail),
        _ => xz_uncompressed_len(&tail),
    };
    match from_tail {
        Some(n) => Ok(n),
        // Multi-stream or unusual files: decompress once to learn the size.
        None => Ok(decompress(name, &std::fs::read(path).map_err(io_err(path))?)?.len()),
    }
}

/// Describe one DEM file without decoding its samples. `Ok(None)` for files that are not DEMs.
pub fn inspect_file(path: &Path) -> Result<Option<(SourceInfo, FileTile)>, TerrainError> {
    let name = file_name(path);
    let lower = name.to_ascii_lowercase();
    let inner = Compression::from_name(&lower).strip(&lower).to_owned();
    if inner.ends_with(".hgt") {
        let (lon, lat) = parse_hgt_name(&name).ok_or_else(|| {
            TerrainError::format(
                &name,
                "an .hgt name must start with its south-west corner, e.g. N43E076",
            )
        })?;
        let len = uncompressed_len(path, &name)?;
        let side = hgt_side(len).ok_or_else(|| {
            TerrainError::format(&name, format!("{len} bytes is not a square .hgt grid"))
        })?;
        let info = SourceInfo {
            name,
            format: TileFormat::Hgt,
            geometry: hgt_geometry(lon, lat, side),
        };
        return Ok(Some((
            info,
            FileTile {
                path: path.to_owned(),
                format: TileFormat::Hgt,
                header: None,
            },
        )));
    }
    if lower.ends_with(".tif") || lower.ends_with(".tiff") {
        let f = File::open(path).map_err(io_err(path))?;
        let h = GeoTiffHeader::read(&name, BufReader::new(f))?;
        let info = SourceInfo {
            name,
            format: TileFormat::GeoTiff,
            geometry: h.geometry,
        };
        return Ok(Some((
            info,
            FileTile {
                path: path.to_owned(),
                format: TileFormat::GeoTiff,
                header: None,
            },
        )));
    }
    if lower.ends_with(".hdr") {
        let text = std::fs::read_to_string(path).map_err(io_err(path))?;
        let header = EhdrHeader::parse(&name, &text)?;
        if header.sample == EhdrSample::U8 {
            return Ok(None);
        }
        let data = ehdr_data_file(path)?;
        let info = SourceInfo {
            name: file_name(&data),
            format: TileFormat::EsriHdr,
            geometry: header.geometry,
        };
        return Ok(Some((
            info,
            FileTile {
                path: data,
                format: TileFormat::EsriHdr,
                header: Some(header),
            },
        )));
    }
    Ok(None)
}

/// The data file of `NAME.hdr`: the sibling whose name is `NAME.` + anything but a known
/// side-car (`.hdr`, `.prj`, `.aux.xml`, `.stx`, `.xml`, `.txt`, `.md`).
fn ehdr_data_file(hdr: &Path) -> Result<PathBuf, TerrainError> {
    let dir = hdr.parent().unwrap_or(Path::new("."));
    let stem = hdr
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let prefix = format!("{stem}.");
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(io_err(dir))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            let n = file_name(p);
            let l = n.to_ascii_lowercase();
            n.starts_with(&prefix)
                && ![
                    ".hdr", ".prj", ".aux.xml", ".stx", ".xml", ".txt", ".md", ".sha256",
                ]
                .iter()
                .any(|s| l.ends_with(s))
        })
        .collect();
    found.sort();
    found.into_iter().next().ok_or_else(|| {
        TerrainError::format(
            &file_name(hdr),
            format!(
                "no data file {prefix}* (e.g. {stem}.bil or {stem}.i16le.gz) beside the header"
            ),
        )
    })
}

/// Read and decode one DEM file (any supported format) completely.
pub fn read_tile(path: &Path) -> Result<Tile, TerrainError> {
    match inspect_file(path)? {
        Some((_, f)) => f.load(),
        None => Err(TerrainError::format(
            &file_name(path),
            "not a DEM file this crate reads",
        )),
    }
}

/// Every DEM file under `folder` (recursively, sorted by path), described but not decoded.
pub fn scan_folder(folder: &Path) -> Result<Vec<(SourceInfo, FileTile)>, TerrainError> {
    let mut files = Vec::new();
    let mut stack = vec![folder.to_owned()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).map_err(io_err(&dir))? {
            let path = entry.map_err(io_err(&dir))?.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    let mut out = Vec::new();
    for f in files {
        if let Some(found) = inspect_file(&f)? {
            out.push(found);
        }
    }
    Ok(out)
}

impl DemSet {
    /// Add every DEM file under `folder` as a lazily decoded source. Returns how many were added;
    /// a folder with none is [`TerrainError::NoTiles`].
    pub fn add_folder(&mut self, folder: &Path) -> Result<usize, TerrainError> {
        let found = scan_folder(folder)?;
        if found.is_empty() {
            return Err(TerrainError::NoTiles(folder.to_owned()));
        }
        let n = found.len();
        for (info, file) in found {
            self.add_lazy(info, Box::new(file));
        }
        Ok(n)
    }

    /// A set of all DEM files under the given folders (layered: the finest covering source
    /// answers each point), with a cache of `cache_budget_bytes`.
    pub fn open_folders<P: AsRef<Path>>(
        folders: &[P],
        cache_budget_bytes: usize,
    ) -> Result<DemSet, TerrainError> {
        let mut set = DemSet::new(cache_budget_bytes);
        for f in folders {
            set.add_folder(f.as_ref())?;
        }
        Ok(set)
    }
}
