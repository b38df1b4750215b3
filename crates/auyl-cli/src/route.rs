//! `auyl route …`: Steiner trees for fibre that shares trenches.

use anyhow::{Context, Result};
use auyl_network::steiner::{self, SteinerSolution};
use auyl_network::stp::parse_stp;
use serde::Serialize;
use std::path::PathBuf;
use std::time::Duration;

#[derive(clap::Args, Debug)]
pub struct RouteArgs {
    #[command(subcommand)]
    command: RouteCommand,
}

#[derive(clap::Subcommand, Debug)]
enum RouteCommand {
    /// Solve a Steiner tree instance in SteinLib (.stp) format, PACE 2018 included.
    Steiner {
        /// The instance.
        file: PathBuf,
        /// Stop improving after this many seconds and return the best tree found.
        #[arg(long, default_value_t = 10.0)]
        time_limit_s: f64,
    },
}

/// One tree edge, with the file's 1-based node numbers.
#[derive(Serialize)]
struct EdgeOut {
    u: usize,
    v: usize,
    cost: f64,
}

#[derive(Serialize)]
struct SteinerOut {
    instance: String,
    nodes: usize,
    edges_in_graph: usize,
    terminals: usize,
    cost: f64,
    lower_bound: f64,
    gap: f64,
    time_s: f64,
    time_limit_hit: bool,
    baseline_cost: f64,
    edges: Vec<EdgeOut>,
}

pub async fn run(args: RouteArgs, json: bool) -> Result<()> {
    match args.command {
        RouteCommand::Steiner { file, time_limit_s } => {
            steiner_file(file, time_limit_s, json).await
        }
    }
}

async fn steiner_file(file: PathBuf, time_limit_s: f64, json: bool) -> Result<()> {
    if !(time_limit_s.is_finite() && time_limit_s > 0.0) {
        anyhow::bail!("--time-limit-s must be a positive number of seconds, got {time_limit_s}");
    }
    let text =
        std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
    let stp = parse_stp(&text)
        .with_context(|| format!("{}: not a valid SteinLib file", file.display()))?;
    let inst = stp.instance;
    let limit = Duration::from_secs_f64(time_limit_s);
    // The solver runs on a blocking thread: it is CPU-bound for up to the time limit.
    let inst2 = inst.clone();
    let (sol, baseline): (SteinerSolution, Vec<usize>) = tokio::task::spawn_blocking(move || {
        let sol = steiner::solve_with_time_limit(&inst2, limit)?;
        let baseline = steiner::shortest_path_heuristic(&inst2)?;
        Ok::<_, auyl_network::NetworkError>((sol, baseline))
    })
    .await
    .context("the solver thread failed")?
    .with_context(|| format!("solving {}", file.display()))?;
    // Never report a tree that is not one.
    let checked = steiner::validate_tree(&inst, &sol.edges)
        .context("the solver returned an invalid tree (a bug)")?;
    let out = SteinerOut {
        instance: stp.name.unwrap_or_else(|| file.display().to_string()),
        nodes: inst.node_count,
        edges_in_graph: inst.edges.len(),
        terminals: inst.distinct_terminals().len(),
        cost: checked,
        lower_bound: sol.lower_bound,
        gap: sol.gap(),
        time_s: sol.time_s,
        time_limit_hit: sol.budget_exhausted,
        baseline_cost: steiner::tree_cost(&inst, &baseline),
        edges: sol
            .edges
            .iter()
            .map(|&e| {
                let ed = &inst.edges[e];
                EdgeOut {
                    u: ed.u + 1,
                    v: ed.v + 1,
                    cost: ed.cost,
                }
            })
            .collect(),
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        println!(
            "{}: {} nodes, {} edges, {} terminals\n  cost {}  lower bound {}  gap {:.3} %  time {:.2} s{}\n  shortest-path baseline {} ({:.3}× the tree)\n  tree: {} edges",
            out.instance,
            out.nodes,
            out.edges_in_graph,
            out.terminals,
            out.cost,
            out.lower_bound,
            100.0 * out.gap,
            out.time_s,
            if out.time_limit_hit {
                " (time limit hit: best tree so far)"
            } else {
                ""
            },
            out.baseline_cost,
            out.baseline_cost / out.cost.max(f64::MIN_POSITIVE),
            out.edges.len()
        );
    }
    Ok(())
}
