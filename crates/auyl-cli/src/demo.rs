//! `auyl demo`: the real Kazakhstan registry in a fresh database, summarised.
//!
//! The demo dataset (data/demo/, derived from open data, see its README) is embedded in the
//! binary, so the command works from any folder. It goes through exactly the path of
//! `auyl import`, file by file. Later stages (plan, tracking, web UI) extend this command.

use crate::output;
use crate::registry::{import_layer, open, registry_summary};
use anyhow::{Context, Result};
use auyl_io::ImportOptions;
use auyl_model::{Layer, ProgrammeTargets, estimate_missing_population};
use auyl_store::WriteMode;

/// The demo's own database, used unless `--database` is given; it is recreated on each run.
pub const DEMO_DATABASE: &str = "auyl-demo.db";

/// Settlements of the same kind in the same region needed before their median stands in for a
/// missing population (else the national median of the kind is used).
const MIN_GROUP_FOR_ESTIMATE: usize = 5;

/// The demo files, in import order (areas before the settlements placed in them).
const FILES: &[(Layer, &str, &[u8])] = &[
    (
        Layer::Organisations,
        "organisations.csv",
        include_bytes!("../../../data/demo/organisations.csv"),
    ),
    (
        Layer::Regions,
        "regions.geojson",
        include_bytes!("../../../data/demo/regions.geojson"),
    ),
    (
        Layer::Districts,
        "districts.geojson",
        include_bytes!("../../../data/demo/districts.geojson"),
    ),
    (
        Layer::Settlements,
        "settlements.csv",
        include_bytes!("../../../data/demo/settlements.csv"),
    ),
    (
        Layer::Roads,
        "roads.geojson",
        include_bytes!("../../../data/demo/roads.geojson"),
    ),
    (
        Layer::Power,
        "power.csv",
        include_bytes!("../../../data/demo/power.csv"),
    ),
];

/// Kazakhstan's programme figures the demo is set against.
pub fn kazakhstan_targets() -> ProgrammeTargets {
    ProgrammeTargets {
        name: "the rural broadband programme".into(),
        settlements: 5_163,
        people: 7_600_000,
        source: "programme brief: 5,163 villages, 7.6 M people in one year".into(),
    }
}

#[derive(clap::Args, Debug)]
pub struct DemoArgs {
    /// Print the summary and exit (the web UI is not part of this release yet).
    #[arg(long)]
    no_serve: bool,
}

pub async fn run(database: Option<&str>, args: DemoArgs, json: bool) -> Result<()> {
    let url = match database {
        Some(db) => db.to_string(),
        None => {
            for suffix in ["", "-wal", "-shm"] {
                let p = format!("{DEMO_DATABASE}{suffix}");
                match std::fs::remove_file(&p) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => {
                        return Err(e)
                            .with_context(|| format!("removing the old demo database {p}"));
                    }
                }
            }
            format!("sqlite://{DEMO_DATABASE}")
        }
    };
    let store = open(&url).await?;
    let dir = tempfile::tempdir().context("creating a temporary folder for the demo files")?;
    let mut reports = Vec::new();
    for (layer, name, bytes) in FILES {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))?;
        let report = import_layer(
            &store,
            *layer,
            &path,
            ImportOptions::default(),
            WriteMode::Write,
            None,
            |settlements| {
                estimate_missing_population(settlements, MIN_GROUP_FOR_ESTIMATE);
            },
        )
        .await?;
        if !json {
            println!(
                "loaded {:<14} {:>6} records from {name}",
                layer.as_str(),
                output::n(report.read)
            );
        }
        reports.push(report);
    }
    let (summary, counts) = registry_summary(&store, Some(kazakhstan_targets())).await?;
    store.close().await;
    if !json {
        println!("\ndatabase: {url}\n");
    }
    output::summary(&summary, &counts, json)?;
    if !json {
        println!(
            "\nData: © OpenStreetMap contributors (ODbL 1.0), GeoNames (CC BY 4.0), geokz by Alexander Rodionov (CC BY 4.0) from OCHA/UNHCR COD-AB, pypsa-kz-data authors (CC BY 4.0)."
        );
        if !args.no_serve {
            println!("(The web UI is not built yet; the demo prints its summary and exits.)");
        }
    }
    Ok(())
}
