//! `auyl`: plan, track and harden the rollout of broadband to rural settlements.
//!
//! The only crate that knows the terminal: argument parsing, progress bars, human and JSON
//! output, exit codes. Everything else is a call into the library crates.

mod demo;
mod output;
mod plan;
mod radio;
mod registry;
mod resilience;
mod route;
mod serve;
mod track;

use anyhow::Result;
use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Default database when neither `--database` nor `AUYL_DATABASE` is given.
pub const DEFAULT_DATABASE: &str = "sqlite://auyl.db";

#[derive(Parser, Debug)]
#[command(
    name = "auyl",
    version,
    about = "Plan, track and harden the rollout of broadband to rural settlements"
)]
struct Cli {
    /// Database: a SQLite file (`sqlite://auyl.db`, the default) or `postgres://user@host/db`.
    #[arg(long, global = true, env = "AUYL_DATABASE")]
    database: Option<String>,
    /// Print results as JSON on stdout.
    #[arg(long, global = true)]
    json: bool,
    /// More log output on stderr (-v info, -vv debug); RUST_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Import a registry layer from CSV, XLSX, GeoJSON or GeoPackage (an upsert on the layer's key).
    Import(registry::ImportArgs),
    /// Export a registry layer; the format comes from the extension (.geojson, .gpkg, .csv, .xlsx).
    Export(registry::ExportArgs),
    /// Load the Kazakhstan demo into a fresh database and summarise it.
    Demo(demo::DemoArgs),
    /// Summarise the registry: settlements and people by region, and what the data lacks.
    Summary(registry::SummaryArgs),
    /// List the registry layers and their fields (the names `--map FIELD=COLUMN` accepts).
    Layers,
    /// Fibre routing: Steiner trees (SteinLib instances).
    Route(route::RouteArgs),
    /// Radio planning: link analysis (profile, clearance, ITM loss, budget), coverage maps, ITM batches.
    Radio(radio::RadioArgs),
    /// Planning: least-cost technology per settlement, mast sites, budget phasing, scenarios.
    Plan(plan::PlanArgs),
    /// Rollout tracking: works, blockers, KPIs, operator workbooks, what each akimat has waiting.
    Tracking(track::TrackingArgs),
    /// Reports for the ministry: `report weekly --date …` (XLSX and HTML with charts).
    Report(track::ReportArgs),
    /// The audit log: `audit verify` checks its hash chain.
    Audit(track::AuditArgs),
    /// Resilience: single points of failure, failure scenarios, redundancy proposals.
    Resilience(resilience::ResilienceArgs),
    /// Serve the web application and HTTP API (`--bind ADDR`).
    Serve(serve::ServeArgs),
    /// Accounts of the web application: add (the first administrator), list, delete.
    Users(serve::UsersArgs),
}

fn init_tracing(verbose: u8) {
    use tracing_subscriber::EnvFilter;
    let default = match verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
}

async fn run(cli: Cli) -> Result<()> {
    let json = cli.json;
    match cli.command {
        Command::Import(args) => registry::import(&database(&cli.database), args, json).await,
        Command::Export(args) => registry::export(&database(&cli.database), args, json).await,
        Command::Summary(args) => registry::summary(&database(&cli.database), args, json).await,
        Command::Demo(args) => demo::run(cli.database.as_deref(), args, json).await,
        Command::Radio(args) => radio::run(args, &database(&cli.database), json).await,
        Command::Route(args) => route::run(args, json).await,
        Command::Plan(args) => plan::run(args, &database(&cli.database), json).await,
        Command::Tracking(args) => track::run(args, &database(&cli.database), json).await,
        Command::Report(args) => track::report(args, &database(&cli.database), json).await,
        Command::Audit(args) => track::audit(args, &database(&cli.database), json).await,
        Command::Resilience(args) => resilience::run(args, &database(&cli.database), json).await,
        Command::Serve(args) => serve::run(args, &database(&cli.database), json).await,
        Command::Users(args) => serve::users(args, &database(&cli.database), json).await,
        Command::Layers => {
            output::layers(json);
            Ok(())
        }
    }
}

fn database(given: &Option<String>) -> String {
    given
        .clone()
        .unwrap_or_else(|| DEFAULT_DATABASE.to_string())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let serves = matches!(&cli.command, Command::Serve(_))
        || matches!(&cli.command, Command::Demo(a) if a.serves());
    if !serves {
        // Output piped into `head` or a pager that quits ends the command quietly, as Unix tools
        // do, instead of a panic in `println!` (Rust ignores SIGPIPE by default). Sockets are
        // written with MSG_NOSIGNAL, so database connections are not affected.
        sigpipe::reset();
    }
    init_tracing(cli.verbose);
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let result = rt.block_on(async {
        if serves {
            // The server stops itself on Ctrl-C, letting open requests finish (before the demo
            // serves, Ctrl-C ends it at once; SQLite's journal rolls back any open transaction).
            return run(cli).await;
        }
        tokio::select! {
            r = run(cli) => r,
            // Dropping the running command drops its open transaction: nothing half-written stays.
            _ = tokio::signal::ctrl_c() => Err(anyhow::anyhow!("interrupted: the running transaction was rolled back, nothing was written")),
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
