//! `auyl radio …`: line of sight and link budgets, coverage maps, ITM batch evaluation.
//!
//! Terrain comes from `--dem DIR` (repeatable), else `AUYL_DEM` (folders separated by `:`),
//! else the demo terrain shipped in the repository (`data/demo/terrain`: the national 30″
//! grid and SRTM3 tiles of the Almaty region). Every result names the terrain sources and the
//! resolution it used.

use anyhow::{Context, Result, bail};
use auyl_model::{Layer, LonLat, Record};
use auyl_radio::coverage::{
    self, AntennaPattern, CoverageParams, ItmSettings, Resolution, Roughness,
};
use auyl_radio::{budget, free_space, itm, los};
use auyl_terrain::{DemSet, ProfileSpacing};
use serde::Serialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(clap::Args, Debug)]
pub struct RadioArgs {
    #[command(subcommand)]
    command: RadioCommand,
}

#[derive(clap::Subcommand, Debug)]
enum RadioCommand {
    /// A point-to-point link: terrain profile, LoS and Fresnel clearance, ITM loss, budget, verdict.
    Link(LinkArgs),
    /// A received-power map around a site (ITM over the DEM), as GeoTIFF and PNG overlay, with
    /// the settlements and population covered.
    Coverage(CoverageArgs),
    /// A line-of-sight viewshed around a site (GeoTIFF, 1 visible / 0 hidden).
    Viewshed(ViewshedArgs),
    /// ITM point-to-point for many cases (the columns of itm_p2p_vectors.csv) on all cores.
    ItmBatch(ItmBatchArgs),
}

#[derive(clap::Args, Debug, Clone)]
pub(crate) struct DemArgs {
    /// Folder of DEM tiles (SRTM .hgt, GeoTIFF, ESRI .hdr grids; .gz/.xz); repeatable.
    /// Default: $AUYL_DEM (':'-separated), else the repository's data/demo/terrain.
    #[arg(long = "dem", value_name = "DIR")]
    pub(crate) dirs: Vec<PathBuf>,
    /// Tile cache size, MiB.
    #[arg(long, default_value_t = 512)]
    pub(crate) dem_cache_mib: usize,
}

#[derive(clap::Args, Debug, Clone)]
struct ItmArgs {
    /// ITM radio climate 1–7 (5 continental temperate).
    #[arg(long, default_value_t = 5)]
    climate: i32,
    /// Surface refractivity N_0, N-units.
    #[arg(long, default_value_t = 301.0)]
    n0: f64,
    /// Ground permittivity.
    #[arg(long, default_value_t = 15.0)]
    epsilon: f64,
    /// Ground conductivity, S/m.
    #[arg(long, default_value_t = 0.005)]
    sigma: f64,
    /// Horizontal polarisation (default vertical).
    #[arg(long)]
    horizontal: bool,
    /// Time / location / situation percentage (all three).
    #[arg(long, default_value_t = 50.0)]
    percent: f64,
}

impl ItmArgs {
    fn settings(&self) -> ItmSettings {
        ItmSettings {
            climate: self.climate,
            n_0: self.n0,
            epsilon: self.epsilon,
            sigma: self.sigma,
            pol: if self.horizontal {
                itm::polarization::HORIZONTAL
            } else {
                itm::polarization::VERTICAL
            },
            time_pct: self.percent,
            location_pct: self.percent,
            situation_pct: self.percent,
            ..ItmSettings::default()
        }
    }
}

#[derive(clap::Args, Debug)]
struct LinkArgs {
    /// Transmitter position, LON,LAT (WGS84 degrees).
    #[arg(long, value_parser = parse_lonlat, allow_hyphen_values = true)]
    from: LonLat,
    /// Receiver position, LON,LAT.
    #[arg(long, value_parser = parse_lonlat, allow_hyphen_values = true)]
    to: LonLat,
    /// Transmitter antenna height above ground, m.
    #[arg(long)]
    tx_height_m: f64,
    /// Receiver antenna height above ground, m.
    #[arg(long)]
    rx_height_m: f64,
    /// Frequency, MHz.
    #[arg(long)]
    freq_mhz: f64,
    /// Transmitter power, dBm.
    #[arg(long, default_value_t = 30.0)]
    tx_power_dbm: f64,
    /// Transmit antenna gain, dBi.
    #[arg(long, default_value_t = 0.0)]
    tx_gain_dbi: f64,
    /// Receive antenna gain, dBi.
    #[arg(long, default_value_t = 0.0)]
    rx_gain_dbi: f64,
    /// Cable and other losses, both ends together, dB.
    #[arg(long, default_value_t = 0.0)]
    losses_db: f64,
    /// Receiver sensitivity, dBm.
    #[arg(long, default_value_t = -100.0, allow_hyphen_values = true)]
    sensitivity_dbm: f64,
    /// Profile step, m (default: the finest DEM resolution on the path).
    #[arg(long)]
    step_m: Option<f64>,
    #[command(flatten)]
    itm: ItmArgs,
    #[command(flatten)]
    dem: DemArgs,
}

#[derive(clap::Args, Debug)]
struct CoverageArgs {
    /// Site position, LON,LAT.
    #[arg(long, value_parser = parse_lonlat, allow_hyphen_values = true)]
    site: LonLat,
    /// Antenna height above ground, m.
    #[arg(long)]
    height_m: f64,
    /// Frequency, MHz.
    #[arg(long)]
    freq_mhz: f64,
    /// Radius, km.
    #[arg(long)]
    radius_km: f64,
    /// Pixel size, m (default: the DEM's native resolution at the site).
    #[arg(long)]
    resolution_m: Option<f64>,
    /// EIRP at boresight, dBm (e.g. 43 dBm + 17 dBi − 2 dB = 58 dBm).
    #[arg(long, default_value_t = 58.0, allow_hyphen_values = true)]
    eirp_dbm: f64,
    /// Receiver antenna gain, dBi.
    #[arg(long, default_value_t = 0.0, allow_hyphen_values = true)]
    rx_gain_dbi: f64,
    /// Receiver height above ground, m.
    #[arg(long, default_value_t = 1.5)]
    rx_height_m: f64,
    /// Sector boresight, degrees from north (omni when absent).
    #[arg(long)]
    azimuth_deg: Option<f64>,
    /// Sector half-power beamwidth, degrees.
    #[arg(long, default_value_t = 65.0)]
    beamwidth_deg: f64,
    /// Sector front-to-back ratio, dB.
    #[arg(long, default_value_t = 25.0)]
    front_to_back_db: f64,
    /// Coverage threshold (sensitivity or RSRP-like level), dBm.
    #[arg(long, default_value_t = -100.0, allow_hyphen_values = true)]
    threshold_dbm: f64,
    /// GeoTIFF of received power (float32 dBm, nodata −9999).
    #[arg(short = 'o', long)]
    output: PathBuf,
    /// PNG overlay (transparent below the threshold) with a .json bounds sidecar.
    #[arg(long)]
    png: Option<PathBuf>,
    /// Skip reading settlements from the database.
    #[arg(long)]
    no_settlements: bool,
    /// Compute ITM's terrain irregularity Δh on every pixel's own path, as a point-to-point
    /// call does, instead of interpolating it along and across the radials between exact values
    /// (about 2× slower; the loss differs by under 0.26 dB for 99 % of pixels).
    #[arg(long)]
    exact_roughness: bool,
    #[command(flatten)]
    itm: ItmArgs,
    #[command(flatten)]
    dem: DemArgs,
}

#[derive(clap::Args, Debug)]
struct ViewshedArgs {
    /// Observer position, LON,LAT.
    #[arg(long, value_parser = parse_lonlat, allow_hyphen_values = true)]
    site: LonLat,
    /// Observer height above ground, m.
    #[arg(long)]
    height_m: f64,
    /// Target height above ground, m.
    #[arg(long, default_value_t = 1.5)]
    target_height_m: f64,
    /// Radius, km.
    #[arg(long)]
    radius_km: f64,
    /// Pixel size, m (default: native).
    #[arg(long)]
    resolution_m: Option<f64>,
    /// Effective earth-radius factor.
    #[arg(long, default_value_t = 4.0 / 3.0)]
    k_factor: f64,
    /// GeoTIFF output (byte: 1 visible, 0 hidden, 255 outside).
    #[arg(short = 'o', long)]
    output: PathBuf,
    #[command(flatten)]
    dem: DemArgs,
}

#[derive(clap::Args, Debug)]
struct ItmBatchArgs {
    /// Cases CSV with the input columns of itm_p2p_vectors.csv (extra columns ignored).
    cases: PathBuf,
    /// Profiles, JSON lines with profile_id, resolution_m, elevations_m.
    profiles: PathBuf,
    /// Output CSV (one row per case: rc, warnings, A__db, prop_mode, intermediates).
    #[arg(short = 'o', long)]
    output: PathBuf,
}

fn parse_lonlat(s: &str) -> Result<LonLat, String> {
    let (a, b) = s
        .split_once(',')
        .ok_or_else(|| format!("`{s}`: expected LON,LAT"))?;
    let lon: f64 = a
        .trim()
        .parse()
        .map_err(|e| format!("`{a}`: longitude: {e}"))?;
    let lat: f64 = b
        .trim()
        .parse()
        .map_err(|e| format!("`{b}`: latitude: {e}"))?;
    LonLat::new(lon, lat).map_err(|e| format!("`{s}`: {e}"))
}

pub async fn run(args: RadioArgs, database: &str, json: bool) -> Result<()> {
    match args.command {
        RadioCommand::Link(a) => link(&a, json),
        RadioCommand::Coverage(a) => run_coverage(&a, database, json).await,
        RadioCommand::Viewshed(a) => run_viewshed(&a, json),
        RadioCommand::ItmBatch(a) => itm_batch(&a, json),
    }
}

/// The DEM folders to use, from `--dem`, `AUYL_DEM` or the demo terrain.
fn dem_dirs(args: &DemArgs) -> Result<Vec<PathBuf>> {
    if !args.dirs.is_empty() {
        return Ok(args.dirs.clone());
    }
    if let Some(v) = std::env::var_os("AUYL_DEM").filter(|v| !v.is_empty()) {
        return Ok(std::env::split_paths(&v).collect());
    }
    let demo = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../data/demo/terrain"
    ));
    if demo.is_dir() {
        return Ok(vec![demo.to_path_buf()]);
    }
    bail!(
        "no terrain: pass --dem DIR (a folder of SRTM .hgt / GeoTIFF / .hdr grids) or set AUYL_DEM; \
         the demo terrain {} is not there",
        demo.display()
    )
}

pub(crate) fn open_dem(args: &DemArgs) -> Result<(DemSet, Vec<PathBuf>)> {
    let dirs = dem_dirs(args)?;
    let dem = DemSet::open_folders(&dirs, args.dem_cache_mib << 20).with_context(|| {
        format!(
            "opening DEM folders {}",
            dirs.iter()
                .map(|d| d.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )
    })?;
    if dem.is_empty() {
        bail!("no DEM tiles found in {:?}", dirs);
    }
    Ok((dem, dirs))
}

#[derive(Serialize)]
struct TerrainUse {
    name: String,
    resolution_arcsec: f64,
    resolution_m: f64,
    points: Option<usize>,
}

fn describe_terrain(t: &[TerrainUse]) -> String {
    t.iter()
        .map(|s| {
            format!(
                "{} ({:.0}″ ≈ {:.0} m{})",
                s.name,
                s.resolution_arcsec,
                s.resolution_m,
                s.points.map(|p| format!(", {p} pts")).unwrap_or_default()
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

#[derive(Serialize)]
struct LinkReport {
    from: LonLat,
    to: LonLat,
    distance_m: f64,
    profile_step_m: f64,
    profile_points: usize,
    filled_voids: usize,
    terrain: Vec<TerrainUse>,
    elevation_from_m: f64,
    elevation_to_m: f64,
    highest_ground_m: f64,
    los: los::LosReport,
    itm: ItmSummary,
    free_space_loss_db: f64,
    budget: budget::LinkBudget,
    budget_free_space_rx_power_dbm: f64,
    verdict: String,
}

#[derive(Serialize)]
struct ItmSummary {
    settings: ItmSettings,
    loss_db: f64,
    rc: i32,
    warnings: u32,
    warning_names: Vec<&'static str>,
    prop_mode: u8,
    prop_mode_name: String,
    intermediate: itm::Intermediate,
}

fn warning_names(w: itm::ItmWarnings) -> Vec<&'static str> {
    use itm::ItmWarnings as W;
    [
        (W::TX_TERMINAL_HEIGHT, "tx height outside 1–1000 m"),
        (W::RX_TERMINAL_HEIGHT, "rx height outside 1–1000 m"),
        (W::FREQUENCY, "frequency outside 40–10000 MHz"),
        (W::PATH_DISTANCE_TOO_BIG_1, "path longer than 1000 km"),
        (W::PATH_DISTANCE_TOO_BIG_2, "path longer than 2000 km"),
        (W::PATH_DISTANCE_TOO_SMALL_1, "path shorter than 1 km"),
        (
            W::PATH_DISTANCE_TOO_SMALL_2,
            "path shorter than 1 km (model extrapolated)",
        ),
        (W::TX_HORIZON_ANGLE, "tx horizon angle large"),
        (W::RX_HORIZON_ANGLE, "rx horizon angle large"),
        (W::TX_HORIZON_DISTANCE_1, "tx horizon distance unusual"),
        (W::RX_HORIZON_DISTANCE_1, "rx horizon distance unusual"),
        (
            W::TX_HORIZON_DISTANCE_2,
            "tx horizon distance far out of range",
        ),
        (
            W::RX_HORIZON_DISTANCE_2,
            "rx horizon distance far out of range",
        ),
        (W::EXTREME_VARIABILITIES, "extreme variabilities"),
        (W::SURFACE_REFRACTIVITY, "surface refractivity unusual"),
    ]
    .into_iter()
    .filter(|(f, _)| w.contains(*f))
    .map(|(_, n)| n)
    .collect()
}

fn link(a: &LinkArgs, json: bool) -> Result<()> {
    let (dem, _) = open_dem(&a.dem)?;
    let res_at = |p: LonLat| -> Result<f64> {
        let e = dem
            .elevation(p)
            .with_context(|| format!("terrain at {:.5},{:.5}", p.lon_deg, p.lat_deg))?;
        Ok(dem
            .source(e.source_index)
            .map_or(90.0, auyl_terrain::SourceInfo::resolution_m))
    };
    let step = match a.step_m {
        Some(s) if s.is_finite() && s > 0.0 => s,
        Some(s) => bail!("--step-m must be positive, got {s}"),
        None => res_at(a.from)?.min(res_at(a.to)?),
    };
    let prof = dem
        .profile(a.from, a.to, ProfileSpacing::MaxStepM(step))
        .context("terrain profile between the two ends")?;
    let distance_m = prof.length_m();
    let z = &prof.elevations_m;
    let lp = los::Profile::new(prof.step_m, z.clone()).context("profile for the LoS analysis")?;
    let los_params = los::LosParams::new(a.tx_height_m, a.rx_height_m, a.freq_mhz);
    let los_report = los::report(&lp, &los_params, false).context("line-of-sight analysis")?;
    let settings = a.itm.settings();
    let out = itm::p2p(
        itm::Profile {
            resolution_m: prof.step_m,
            elevations_m: z,
        },
        a.tx_height_m,
        a.rx_height_m,
        &settings.params(a.freq_mhz),
        settings.variability(),
    )
    .context("ITM point-to-point")?;
    let fsl = free_space::free_space_loss_db(distance_m, a.freq_mhz);
    let mk = |path_loss_db: f64| budget::LinkBudgetInput {
        tx_power_dbm: a.tx_power_dbm,
        tx_antenna_gain_dbi: a.tx_gain_dbi,
        tx_cable_loss_db: a.losses_db,
        tx_other_losses_db: 0.0,
        path_loss_db,
        extra_path_losses_db: 0.0,
        rx_antenna_gain_dbi: a.rx_gain_dbi,
        rx_cable_loss_db: 0.0,
        rx_other_losses_db: 0.0,
        rx_sensitivity_dbm: a.sensitivity_dbm,
    };
    let b = budget::link_budget(&mk(out.a_db)).context("link budget")?;
    let b_fs = budget::link_budget(&mk(fsl)).context("link budget (free space)")?;
    let an = &los_report.analysis;
    let verdict = match (b.link_closes, an.fresnel_60_clear, an.line_of_sight) {
        (true, true, _) => format!(
            "OK: link closes with {:.1} dB margin and ≥ 60 % F1 clearance",
            b.fade_margin_db
        ),
        (true, false, true) => format!(
            "MARGINAL: link closes ({:.1} dB margin) but F1 is less than 60 % clear",
            b.fade_margin_db
        ),
        (true, false, false) => format!(
            "NLOS: link closes on ITM ({:.1} dB margin) but the line of sight is blocked",
            b.fade_margin_db
        ),
        (false, _, _) => format!(
            "FAIL: received {:.1} dBm is {:.1} dB below the sensitivity",
            b.rx_power_dbm, -b.fade_margin_db
        ),
    };
    let report = LinkReport {
        from: a.from,
        to: a.to,
        distance_m,
        profile_step_m: prof.step_m,
        profile_points: z.len(),
        filled_voids: prof.filled_voids,
        terrain: prof
            .sources
            .iter()
            .map(|s| TerrainUse {
                name: s.name.clone(),
                resolution_arcsec: s.resolution_arcsec,
                resolution_m: s.resolution_m,
                points: Some(s.points),
            })
            .collect(),
        elevation_from_m: z.first().copied().unwrap_or(f64::NAN),
        elevation_to_m: z.last().copied().unwrap_or(f64::NAN),
        highest_ground_m: z.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        itm: ItmSummary {
            settings,
            loss_db: out.a_db,
            rc: out.rc(),
            warnings: out.warnings.0,
            warning_names: warning_names(out.warnings),
            prop_mode: out.prop_mode.code(),
            prop_mode_name: format!("{:?}", out.prop_mode),
            intermediate: out.intermediate,
        },
        los: los_report,
        free_space_loss_db: fsl,
        budget: b,
        budget_free_space_rx_power_dbm: b_fs.rx_power_dbm,
        verdict,
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    let r = &report;
    println!(
        "Path {:.5},{:.5} → {:.5},{:.5}: {:.2} km, {} points every {:.1} m",
        r.from.lon_deg,
        r.from.lat_deg,
        r.to.lon_deg,
        r.to.lat_deg,
        r.distance_m / 1000.0,
        r.profile_points,
        r.profile_step_m
    );
    println!("Terrain: {}", describe_terrain(&r.terrain));
    if r.filled_voids > 0 {
        println!("  {} void samples interpolated", r.filled_voids);
    }
    println!(
        "Ground: {:.0} m at TX, {:.0} m at RX, highest {:.0} m; antennas {:.1} m / {:.1} m",
        r.elevation_from_m, r.elevation_to_m, r.highest_ground_m, a.tx_height_m, a.rx_height_m
    );
    let an = &r.los.analysis;
    println!(
        "Line of sight: {} (k = {:.2}); 60 % F1 clear: {}; blocked samples: {}",
        if an.line_of_sight { "yes" } else { "NO" },
        an.params.k_factor,
        if an.fresnel_60_clear { "yes" } else { "no" },
        an.blocked_points
    );
    if let Some(w) = &an.worst {
        println!(
            "  worst point {:.2} km from TX: ground {:.0} m, clearance {:.1} m = {:.0} % of F1 ({:.1} m)",
            w.distance_m / 1000.0,
            w.ground_m,
            w.clearance_m,
            w.f1_clearance_percent,
            w.fresnel_radius_m
        );
    }
    println!(
        "  for 60 % F1: RX {:.1} m (TX held), TX {:.1} m (RX held), or both {:.1} m",
        r.los.required_rx_height_60.height_m,
        r.los.required_tx_height_60.height_m,
        r.los.required_equal_heights_60.height_m
    );
    println!(
        "ITM: {:.1} dB, mode {}, rc {}{}",
        r.itm.loss_db,
        r.itm.prop_mode_name,
        r.itm.rc,
        if r.itm.warning_names.is_empty() {
            String::new()
        } else {
            format!(" (warnings: {})", r.itm.warning_names.join(", "))
        }
    );
    println!("Free-space loss: {:.1} dB", r.free_space_loss_db);
    println!(
        "Budget: EIRP {:.1} dBm, received {:.1} dBm (free space {:.1} dBm), sensitivity {:.1} dBm, margin {:.1} dB",
        r.budget.eirp_dbm,
        r.budget.rx_power_dbm,
        r.budget_free_space_rx_power_dbm,
        a.sensitivity_dbm,
        r.budget.fade_margin_db
    );
    println!("Verdict: {}", r.verdict);
    Ok(())
}

fn terrain_list(t: &[coverage::TerrainSourceUsed]) -> Vec<TerrainUse> {
    t.iter()
        .map(|s| TerrainUse {
            name: s.name.clone(),
            resolution_arcsec: s.resolution_arcsec,
            resolution_m: s.resolution_m,
            points: None,
        })
        .collect()
}

#[derive(Serialize)]
struct CoverageReport {
    site: LonLat,
    params: CoverageParams,
    grid: coverage::GeoGrid,
    radials: usize,
    radial_step_m: f64,
    pixel_size_m: [f64; 2],
    terrain: Vec<TerrainUse>,
    itm_evaluations: usize,
    failed_evaluations: usize,
    filled_voids: usize,
    radials_cut: usize,
    /// Evaluations whose Δh was interpolated along the radial (0 with --exact-roughness).
    delta_h_interpolated: usize,
    /// Exact Δh computations (nodes and pixels), and nodes taken from the two neighbouring
    /// radials instead (0 with --exact-roughness).
    delta_h_computed: usize,
    delta_h_nodes_shared: usize,
    seconds: f64,
    geotiff: String,
    png: Option<String>,
    bounds_json: Option<String>,
    settlements_source: String,
    summary: coverage::CoverageSummary,
}

async fn load_settlements(database: &str) -> Result<Vec<coverage::SettlementPoint>> {
    let store = crate::registry::open(database).await?;
    let records = store
        .load(Layer::Settlements)
        .await
        .context("loading settlements")?;
    Ok(records
        .into_iter()
        .filter_map(|r| match r {
            Record::Settlement(s) => Some(coverage::SettlementPoint::from(&s)),
            _ => None,
        })
        .collect())
}

async fn run_coverage(a: &CoverageArgs, database: &str, json: bool) -> Result<()> {
    let (dem, _) = open_dem(&a.dem)?;
    let pattern = match a.azimuth_deg {
        None => AntennaPattern::Omni,
        Some(az) => AntennaPattern::Sector {
            azimuth_deg: az,
            beamwidth_deg: a.beamwidth_deg,
            front_to_back_db: a.front_to_back_db,
        },
    };
    let params = CoverageParams {
        site: a.site,
        tx_height_m: a.height_m,
        rx_height_m: a.rx_height_m,
        freq_mhz: a.freq_mhz,
        eirp_dbm: a.eirp_dbm,
        rx_gain_dbi: a.rx_gain_dbi,
        pattern,
        radius_m: a.radius_km * 1000.0,
        resolution: a
            .resolution_m
            .map_or(Resolution::Native, Resolution::Metres),
        itm: a.itm.settings(),
        roughness: if a.exact_roughness {
            Roughness::Exact
        } else {
            Roughness::default()
        },
    };
    let t0 = Instant::now();
    let map = coverage::coverage(&dem, &params).context("coverage computation")?;
    let seconds = t0.elapsed().as_secs_f64();
    let (settlements, settlements_source) = if a.no_settlements {
        (Vec::new(), "not read (--no-settlements)".to_string())
    } else {
        (
            load_settlements(database).await?,
            format!("database {database}"),
        )
    };
    let summary = coverage::summarize(&map, &settlements, a.threshold_dbm);
    let geo = map.sweep.grid;
    // The GeoTIFF is written on its own thread while the PNG is encoded (a serial deflate).
    let geotiff = || {
        auyl_io::raster::write_geotiff_f32(&a.output, &geo, &map.rx_power_dbm, -9999.0)
            .with_context(|| format!("writing {}", a.output.display()))
    };
    let png_overlay = || -> Result<Option<String>> {
        let Some(png) = &a.png else {
            return Ok(None);
        };
        let max = map
            .rx_power_dbm
            .iter()
            .filter(|v| !v.is_nan())
            .fold(a.threshold_dbm + 1.0, |m, v| m.max(f64::from(*v)))
            .min(a.threshold_dbm + 60.0);
        auyl_io::raster::write_png_overlay(png, &geo, &map.rx_power_dbm, a.threshold_dbm, max, 180)
            .with_context(|| format!("writing {}", png.display()))?;
        let side = png.with_extension("json");
        let name = png
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        let meta = serde_json::json!({
            "unit": "dBm", "quantity": "received power",
            "ramp_min_dbm": a.threshold_dbm, "ramp_max_dbm": max,
            "site": [a.site.lon_deg, a.site.lat_deg], "height_m": a.height_m,
            "freq_mhz": a.freq_mhz,
            "terrain": map.terrain.iter().map(|t| t.name.clone()).collect::<Vec<_>>(),
        });
        auyl_io::raster::write_bounds_json(&side, &auyl_io::raster::bounds_json(&geo, &name, meta))
            .with_context(|| format!("writing {}", side.display()))?;
        Ok(Some(side.display().to_string()))
    };
    let (written, bounds_path) = std::thread::scope(|s| {
        let tiff = s.spawn(geotiff);
        let bounds = png_overlay();
        (tiff.join(), bounds)
    });
    written
        .map_err(|_| anyhow::anyhow!("the thread writing {} panicked", a.output.display()))??;
    let bounds_path = bounds_path?;
    let report = CoverageReport {
        site: a.site,
        params,
        grid: map.sweep.grid,
        radials: map.sweep.radials,
        radial_step_m: map.sweep.radial_step_m,
        pixel_size_m: map.sweep.pixel_size_m,
        terrain: terrain_list(&map.terrain),
        itm_evaluations: map.evaluations,
        failed_evaluations: map.failed_evaluations,
        filled_voids: map.filled_voids,
        radials_cut: map.radials_cut,
        delta_h_interpolated: map.delta_h_interpolated,
        delta_h_computed: map.delta_h_computed,
        delta_h_nodes_shared: map.delta_h_shared,
        seconds,
        geotiff: a.output.display().to_string(),
        png: a.png.as_ref().map(|p| p.display().to_string()),
        bounds_json: bounds_path,
        settlements_source,
        summary,
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    let r = &report;
    println!(
        "Coverage of {:.5},{:.5}: {:.0} m mast, {:.0} MHz, EIRP {:.1} dBm, radius {:.1} km",
        a.site.lon_deg, a.site.lat_deg, a.height_m, a.freq_mhz, a.eirp_dbm, a.radius_km
    );
    println!(
        "Grid {}×{} pixels of {:.1}×{:.1} m ({:.2}″×{:.2}″), {} radials every {:.1} m, {} ITM evaluations in {:.2} s",
        r.grid.width,
        r.grid.height,
        r.pixel_size_m[0],
        r.pixel_size_m[1],
        r.grid.pixel_width_deg * 3600.0,
        r.grid.pixel_height_deg * 3600.0,
        r.radials,
        r.radial_step_m,
        r.itm_evaluations,
        r.seconds
    );
    println!("Terrain: {}", describe_terrain(&r.terrain));
    println!(
        "Terrain irregularity Δh: {}",
        match r.params.roughness {
            Roughness::Exact => "each pixel's own path".to_string(),
            Roughness::Interpolated { .. } => format!(
                "interpolated along the radials for {} of {} evaluations; {} computed exactly (nodes and short windows), {} nodes taken from the neighbouring radials (--exact-roughness: each pixel's own)",
                r.delta_h_interpolated,
                r.itm_evaluations,
                r.delta_h_computed,
                r.delta_h_nodes_shared
            ),
        }
    );
    if r.radials_cut > 0 {
        println!(
            "The terrain ends before the radius on {} of {} radials: no value beyond it (add the DEM tiles around the site)",
            r.radials_cut, r.radials
        );
    }
    let s = &r.summary;
    println!(
        "Covered (≥ {:.1} dBm): {:.1} of {:.1} km²; settlements {} of {} within the radius, population {} of {} ({})",
        s.threshold_dbm,
        s.covered_area_km2,
        s.evaluated_area_km2,
        s.settlements_covered,
        s.settlements.len(),
        s.population_covered,
        s.population_in_radius,
        r.settlements_source
    );
    for st in s.settlements.iter().filter(|s| s.covered).take(20) {
        println!(
            "  {:<28} {:>6.1} km  {:>7.1} dBm  pop {}",
            if st.name.is_empty() { &st.id } else { &st.name },
            st.distance_m / 1000.0,
            st.rx_power_dbm,
            st.population
        );
    }
    println!("Wrote {}", r.geotiff);
    if let (Some(p), Some(b)) = (&r.png, &r.bounds_json) {
        println!("Wrote {p} and {b}");
    }
    Ok(())
}

#[derive(Serialize)]
struct ViewshedReport {
    params: coverage::ViewshedParams,
    grid: coverage::GeoGrid,
    terrain: Vec<TerrainUse>,
    visible_area_km2: f64,
    evaluated_area_km2: f64,
    visible_pixels: usize,
    evaluated_pixels: usize,
    seconds: f64,
    geotiff: String,
}

fn run_viewshed(a: &ViewshedArgs, json: bool) -> Result<()> {
    let (dem, _) = open_dem(&a.dem)?;
    let params = coverage::ViewshedParams {
        site: a.site,
        tx_height_m: a.height_m,
        rx_height_m: a.target_height_m,
        radius_m: a.radius_km * 1000.0,
        resolution: a
            .resolution_m
            .map_or(Resolution::Native, Resolution::Metres),
        k_factor: a.k_factor,
    };
    let t0 = Instant::now();
    let vs = coverage::viewshed(&dem, &params).context("viewshed computation")?;
    let seconds = t0.elapsed().as_secs_f64();
    auyl_io::raster::write_geotiff_u8(
        &a.output,
        &vs.sweep.grid,
        &vs.visible,
        coverage::VIEWSHED_NODATA,
    )
    .with_context(|| format!("writing {}", a.output.display()))?;
    let report = ViewshedReport {
        params,
        grid: vs.sweep.grid,
        terrain: terrain_list(&vs.terrain),
        visible_area_km2: vs.visible_area_km2,
        evaluated_area_km2: vs.evaluated_area_km2,
        visible_pixels: vs.visible.iter().filter(|v| **v == 1).count(),
        evaluated_pixels: vs
            .visible
            .iter()
            .filter(|v| **v != coverage::VIEWSHED_NODATA)
            .count(),
        seconds,
        geotiff: a.output.display().to_string(),
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    println!(
        "Viewshed of {:.5},{:.5} ({:.0} m, targets {:.1} m, k {:.2}), radius {:.1} km: grid {}×{}, {:.2} s",
        a.site.lon_deg,
        a.site.lat_deg,
        a.height_m,
        a.target_height_m,
        a.k_factor,
        a.radius_km,
        report.grid.width,
        report.grid.height,
        seconds
    );
    println!("Terrain: {}", describe_terrain(&report.terrain));
    println!(
        "Visible: {:.1} of {:.1} km² ({} of {} pixels)",
        report.visible_area_km2,
        report.evaluated_area_km2,
        report.visible_pixels,
        report.evaluated_pixels
    );
    println!("Wrote {}", report.geotiff);
    Ok(())
}

#[derive(Serialize)]
struct BatchReport {
    cases: usize,
    profiles: usize,
    ok: usize,
    with_warnings: usize,
    errors: usize,
    threads: usize,
    seconds: f64,
    output: String,
}

fn itm_batch(a: &ItmBatchArgs, json: bool) -> Result<()> {
    let cases: Vec<itm::ItmCase> =
        auyl_io::read_csv_rows(&a.cases).context("reading the ITM cases")?;
    let profiles: HashMap<String, itm::ItmProfile> =
        auyl_io::read_json_lines::<itm::ItmProfile>(&a.profiles)
            .context("reading the ITM profiles")?
            .into_iter()
            .map(|p| (p.profile_id.clone(), p))
            .collect();
    let t0 = Instant::now();
    let results = itm::itm_batch(&cases, &profiles);
    let seconds = t0.elapsed().as_secs_f64();
    let out = &a.output;
    auyl_io::write_csv_rows(out, &results).with_context(|| format!("writing {}", out.display()))?;
    let report = BatchReport {
        cases: results.len(),
        profiles: profiles.len(),
        ok: results.iter().filter(|r| r.rc == 0).count(),
        with_warnings: results.iter().filter(|r| r.rc == 1).count(),
        errors: results.iter().filter(|r| r.rc > 1).count(),
        threads: rayon::current_num_threads(),
        seconds,
        output: out.display().to_string(),
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!(
            "{} cases ({} profiles) on {} threads in {:.3} s: {} ok, {} with warnings, {} input errors → {}",
            report.cases,
            report.profiles,
            report.threads,
            report.seconds,
            report.ok,
            report.with_warnings,
            report.errors,
            report.output
        );
    }
    Ok(())
}
