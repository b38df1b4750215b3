//! `auyl route …`: Steiner trees for fibre that shares trenches, and fibre routes over the stored
//! road graph (`auyl route fibre`, see [`fibre`]).

use anyhow::{Context, Result};
use auyl_network::steiner::{self, SteinerSolution};
use auyl_network::stp::parse_stp;
use serde::Serialize;
use std::path::PathBuf;
use std::time::Duration;

mod fibre;

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
    /// Fibre routes from existing fibre nodes to settlements over the stored road graph.
    ///
    /// Reads the roads, backbone_nodes and settlements layers of the database, builds the road
    /// graph, joins settlements and nodes to it with the last-mile approximation (straight links
    /// to the nearest road and to neighbouring settlements, times a detour factor, flagged in
    /// every output: import real local roads to replace them), and finds the cheapest forest
    /// joining every selected settlement to one of the selected nodes (a multi-root Steiner
    /// tree: trenches are shared). Prints length by cost class, cost, the lower bound and gap,
    /// and the settlements no node can reach with the reason; writes one feature per branch to
    /// -o (.geojson or .gpkg) and stores the run for the planner.
    ///
    /// Selectors (repeat a flag to narrow: a settlement or node must match every one):
    ///
    ///   --from-nodes: all | kind=pop|core | operator=ID[,ID] | ids=ID[,ID] | ID[,ID]
    ///
    ///   --to-settlements: all | region=CODE[,CODE] | district=CODE[,CODE] | kind=village[,hamlet] |
    ///   min-population=N (known population only) | unconnected (no fibre node within
    ///   --connected-within-m) | ids=ID[,ID] | ID[,ID]
    #[command(verbatim_doc_comment)]
    Fibre(crate::route::fibre::FibreArgs),
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
        RouteCommand::Fibre(args) => fibre::run(args, json).await,
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
