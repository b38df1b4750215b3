//! `auyl import`, `auyl export`, `auyl summary`.

use crate::output;
use anyhow::{Context, Result, anyhow, bail};
use auyl_io::{ImportOptions, export_file, import_file, write_rejects};
use auyl_model::{
    Layer, LayerCounts, ProgrammeTargets, Record, Settlement, assign_areas, summarise,
};
use auyl_store::{ImportDiff, ImportRun, Store, WriteMode};
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Settlements this far outside every boundary still go to the nearest area (border slivers).
const AREA_TOLERANCE_M: f64 = 5_000.0;

#[derive(clap::Args, Debug)]
pub struct ImportArgs {
    /// Layer: settlements, regions, districts, roads, power, masts, backbone_nodes, fibre_routes, organisations.
    layer: String,
    /// CSV (UTF-8 or Windows-1251; comma, semicolon or tab; .gz too), XLSX, GeoJSON or GeoPackage.
    file: PathBuf,
    /// Take FIELD from COLUMN (repeatable); see `auyl layers` for the fields.
    #[arg(long = "map", value_name = "FIELD=COLUMN")]
    map: Vec<String>,
    /// Show what would be added, changed and unchanged without writing.
    #[arg(long)]
    dry_run: bool,
    /// Import the valid rows and write the invalid ones to a rejects report.
    #[arg(long)]
    skip_invalid: bool,
    /// Where the rejects report goes (default: FILE.rejects.csv).
    #[arg(long, value_name = "FILE")]
    rejects: Option<PathBuf>,
}

#[derive(clap::Args, Debug)]
pub struct ExportArgs {
    /// Layer to export.
    layer: String,
    /// Output file: .geojson, .gpkg, .csv or .xlsx.
    file: PathBuf,
}

#[derive(clap::Args, Debug)]
pub struct SummaryArgs {
    /// Set the registry beside a target number of settlements.
    #[arg(long)]
    target_settlements: Option<u64>,
    /// Set the registry beside a target number of people.
    #[arg(long)]
    target_people: Option<u64>,
}

pub fn parse_layer(s: &str) -> Result<Layer> {
    Layer::parse(s).ok_or_else(|| {
        anyhow!(
            "unknown layer `{s}`; layers are: {}",
            Layer::ALL.map(|l| l.as_str()).join(", ")
        )
    })
}

pub fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| "unknown".into())
}

pub async fn open(url: &str) -> Result<Store> {
    Store::open(url).await.context("opening the database")
}

fn spinner(msg: String) -> ProgressBar {
    let pb = ProgressBar::new_spinner().with_message(msg);
    pb.enable_steady_tick(Duration::from_millis(120));
    pb
}

/// The result of one import, for output.
#[derive(Serialize)]
pub struct ImportReport {
    pub layer: String,
    pub file: String,
    pub format: String,
    pub dry_run: bool,
    pub read: u64,
    pub rejected: u64,
    pub rejects_report: Option<String>,
    pub added: u64,
    pub changed: u64,
    pub unchanged: u64,
    pub not_in_file: u64,
    pub added_examples: Vec<String>,
    pub changed_examples: Vec<String>,
    pub mapping: Vec<(String, String)>,
    pub areas_by_name: u64,
    pub areas_by_location: u64,
    pub unknown_areas: Vec<String>,
}

/// Reads a file as a layer, places settlements in areas, writes it in one transaction.
pub async fn import_layer(
    store: &Store,
    layer: Layer,
    file: &Path,
    opts: ImportOptions,
    mode: WriteMode,
    rejects_path: Option<PathBuf>,
    prepare: impl FnOnce(&mut Vec<Settlement>),
) -> Result<ImportReport> {
    let pb = spinner(format!("reading {}", file.display()));
    let path = file.to_path_buf();
    let skip_invalid = opts.skip_invalid;
    let import = tokio::task::spawn_blocking(move || import_file(&path, layer, &opts))
        .await
        .context("the reader thread failed")?
        .with_context(|| format!("importing {layer} from {}", file.display()))?;
    pb.finish_and_clear();

    let mut records: Vec<Record> = import.records.into_iter().map(|(_, r)| r).collect();
    let mut report = ImportReport {
        layer: layer.to_string(),
        file: file.display().to_string(),
        format: import.format,
        dry_run: mode == WriteMode::DryRun,
        read: records.len() as u64,
        rejected: import.rejects.len() as u64,
        rejects_report: None,
        added: 0,
        changed: 0,
        unchanged: 0,
        not_in_file: 0,
        added_examples: vec![],
        changed_examples: vec![],
        mapping: import.mapping,
        areas_by_name: 0,
        areas_by_location: 0,
        unknown_areas: vec![],
    };
    if skip_invalid && !import.rejects.is_empty() {
        let path = rejects_path.unwrap_or_else(|| {
            let mut p = file.as_os_str().to_owned();
            p.push(".rejects.csv");
            PathBuf::from(p)
        });
        write_rejects(&path, &import.rejects).context("writing the rejects report")?;
        report.rejects_report = Some(path.display().to_string());
    }
    if layer == Layer::Settlements {
        let mut areas = store.load(Layer::Regions).await?;
        areas.extend(store.load(Layer::Districts).await?);
        let areas: Vec<_> = areas.into_iter().filter_map(Record::into_area).collect();
        let mut settlements: Vec<Settlement> = records
            .into_iter()
            .filter_map(Record::into_settlement)
            .collect();
        if !areas.is_empty() {
            let a = assign_areas(&mut settlements, &areas, AREA_TOLERANCE_M);
            report.areas_by_name = a.by_name;
            report.areas_by_location = a.by_location;
            report.unknown_areas = a.unknown;
        }
        prepare(&mut settlements);
        records = settlements.into_iter().map(Record::Settlement).collect();
    }

    let bar = ProgressBar::new(records.len() as u64).with_style(
        ProgressStyle::with_template("{msg} {bar:40} {pos}/{len} ({eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_message(format!("writing {layer}"));
    let source = file.file_name().map_or_else(
        || file.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let at = now_rfc3339();
    let diff: ImportDiff = store
        .import(
            layer,
            &records,
            &ImportRun {
                source: &source,
                at: &at,
                mode,
                progress: &|n| bar.set_position(n),
            },
        )
        .await
        .with_context(|| format!("writing {layer} (nothing was changed)"))?;
    bar.finish_and_clear();
    report.added = diff.added;
    report.changed = diff.changed;
    report.unchanged = diff.unchanged;
    report.not_in_file = diff.not_in_source;
    report.added_examples = diff.added_examples;
    report.changed_examples = diff.changed_examples;
    Ok(report)
}

pub async fn import(db: &str, args: ImportArgs, json: bool) -> Result<()> {
    let layer = parse_layer(&args.layer)?;
    let overrides = args
        .map
        .iter()
        .map(|m| {
            m.split_once('=')
                .map(|(f, c)| (f.trim().to_string(), c.trim().to_string()))
                .ok_or_else(|| anyhow!("--map {m}: expected FIELD=COLUMN"))
        })
        .collect::<Result<Vec<_>>>()?;
    if !args.file.exists() {
        bail!("{}: no such file", args.file.display());
    }
    let store = open(db).await?;
    let mode = if args.dry_run {
        WriteMode::DryRun
    } else {
        WriteMode::Write
    };
    let report = import_layer(
        &store,
        layer,
        &args.file,
        ImportOptions {
            overrides,
            skip_invalid: args.skip_invalid,
        },
        mode,
        args.rejects,
        |_| {},
    )
    .await?;
    store.close().await;
    output::import_report(&report, json)
}

pub async fn export(db: &str, args: ExportArgs, json: bool) -> Result<()> {
    let layer = parse_layer(&args.layer)?;
    let store = open(db).await?;
    let records = store.load(layer).await?;
    store.close().await;
    let path = args.file.clone();
    let n = records.len();
    tokio::task::spawn_blocking(move || export_file(&path, layer, &records))
        .await
        .context("the writer thread failed")?
        .with_context(|| format!("exporting {layer}"))?;
    output::export_report(layer, &args.file, n, json)
}

pub async fn layer_counts(store: &Store) -> Result<LayerCounts> {
    Ok(LayerCounts {
        regions: store.count(Layer::Regions).await?,
        districts: store.count(Layer::Districts).await?,
        roads: store.count(Layer::Roads).await?,
        power: store.count(Layer::Power).await?,
        masts: store.count(Layer::Masts).await?,
        backbone_nodes: store.count(Layer::BackboneNodes).await?,
        fibre_routes: store.count(Layer::FibreRoutes).await?,
        organisations: store.count(Layer::Organisations).await?,
    })
}

pub async fn registry_summary(
    store: &Store,
    targets: Option<ProgrammeTargets>,
) -> Result<(auyl_model::RegistrySummary, LayerCounts)> {
    let settlements: Vec<Settlement> = store
        .load(Layer::Settlements)
        .await?
        .into_iter()
        .filter_map(Record::into_settlement)
        .collect();
    let regions: Vec<_> = store
        .load(Layer::Regions)
        .await?
        .into_iter()
        .filter_map(Record::into_area)
        .collect();
    let counts = layer_counts(store).await?;
    Ok((summarise(&settlements, &regions, counts, targets), counts))
}

pub async fn summary(db: &str, args: SummaryArgs, json: bool) -> Result<()> {
    let store = open(db).await?;
    let targets = (args.target_settlements.is_some() || args.target_people.is_some()).then(|| {
        ProgrammeTargets {
            name: "target".into(),
            settlements: args.target_settlements.unwrap_or(0),
            people: args.target_people.unwrap_or(0),
            source: "command line".into(),
        }
    });
    let (summary, counts) = registry_summary(&store, targets).await?;
    store.close().await;
    output::summary(&summary, &counts, json)
}

/// Registry layers loaded from the store, typed (what the planner and resilience read).
pub type Registry = auyl_model::RegistryLayers;

/// Loads `layers` (the others stay empty).
pub async fn load_registry(store: &Store, layers: &[Layer]) -> Result<Registry> {
    let names: Vec<&str> = layers.iter().map(|l| l.as_str()).collect();
    store
        .load_layers(layers)
        .await
        .with_context(|| format!("loading {}", names.join(", ")))
}
