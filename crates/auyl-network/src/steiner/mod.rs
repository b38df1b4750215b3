//! The Steiner tree problem in graphs: instance, solution, validation and the solver.
//!
//! [`solve`] runs, in order:
//! 1. **Reductions** ([`reduce`]): parallel edges, non-terminal leaves, degree-1 terminals (their
//!    edge is fixed), degree-2 Steiner-node path contraction, and the least-cost (shortest-path)
//!    edge test. Each preserves an optimal solution, so the lower bound stays valid.
//! 2. **Lower bound**: dual ascent (Wong 1984) on the bidirected cut formulation ([`dual`]).
//! 3. **Upper bound** ([`heuristic`]): shortest-path heuristic (Takahashi–Matsuyama) from several
//!    roots and from deterministically perturbed costs, each followed by MST + pruning and local
//!    search (Steiner-vertex insertion, key-path exchange, key-vertex elimination), and finally
//!    the same on the union of the best trees.
//! 4. The tree is mapped back to the caller's edges and checked with [`validate_tree`].
//!
//! **Multi-root variant.** When many existing fibre nodes may each be the start of a branch,
//! [`SteinerInstance::with_super_root`] adds one artificial terminal joined by zero-cost edges
//! to every fibre node. A Steiner tree of that instance, minus the artificial edges, is a forest
//! in which every tree hangs from at least one fibre node, and its cost is the cheapest such
//! forest (the fibre nodes themselves are not required terminals).
//!
//! ```
//! use auyl_network::steiner::{solve, SteinerEdge, SteinerInstance};
//! use auyl_network::Unlimited;
//! // Three villages: one shared trench through the junction (node 3) beats two direct links.
//! let e = |u, v, cost| SteinerEdge { u, v, cost };
//! let inst = SteinerInstance {
//!     node_count: 4,
//!     edges: vec![e(0, 3, 1.0), e(1, 3, 1.0), e(2, 3, 1.0), e(0, 1, 1.8), e(1, 2, 1.8)],
//!     terminals: vec![0, 1, 2],
//! };
//! let sol = solve(&inst, &Unlimited)?;
//! assert_eq!((sol.cost, sol.edges.clone()), (3.0, vec![0, 1, 2]));
//! assert!(sol.lower_bound <= sol.cost);
//! # Ok::<(), auyl_network::NetworkError>(())
//! ```
//!
//! Work is counted, not timed: restarts stop after a fixed number of work units (heap operations,
//! edge scans), so with an [`crate::Unlimited`] budget the same input always gives the same tree.

pub mod dual;
pub mod heuristic;
pub mod reduce;

use crate::budget::Budget;
use crate::error::{NetworkError, Result};
use serde::{Deserialize, Serialize};

/// One undirected edge of an instance.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SteinerEdge {
    /// One end (0-based node index).
    pub u: usize,
    /// The other end (0-based node index).
    pub v: usize,
    /// Non-negative cost (any unit: money, metres, STP weight).
    pub cost: f64,
}

/// A Steiner tree problem in graphs: an undirected graph with edge costs and a terminal set.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SteinerInstance {
    /// Number of nodes; nodes are `0..node_count`.
    pub node_count: usize,
    /// Edges; a solution names them by index into this vector.
    pub edges: Vec<SteinerEdge>,
    /// Nodes the tree must span (0-based, no duplicates needed: duplicates are ignored).
    pub terminals: Vec<usize>,
}

impl SteinerInstance {
    /// Checks indices and costs, so later code may index freely.
    pub fn check(&self) -> Result<()> {
        for (i, e) in self.edges.iter().enumerate() {
            for node in [e.u, e.v] {
                if node >= self.node_count {
                    return Err(NetworkError::NodeOutOfRange {
                        edge: i,
                        node,
                        node_count: self.node_count,
                    });
                }
            }
            if !e.cost.is_finite() || e.cost < 0.0 {
                return Err(NetworkError::BadCost {
                    edge: i,
                    cost: e.cost,
                });
            }
        }
        for &t in &self.terminals {
            if t >= self.node_count {
                return Err(NetworkError::TerminalOutOfRange {
                    terminal: t,
                    node_count: self.node_count,
                });
            }
        }
        Ok(())
    }

    /// The multi-root variant: a copy with one extra node (the *super-root*, returned) that is a
    /// terminal and is joined by a zero-cost edge to each of `roots`. The new edges are the last
    /// `roots.len()` edges, in the order of `roots`. Removing them from a solution leaves a
    /// forest where every tree contains at least one root (see the module docs).
    pub fn with_super_root(&self, roots: &[usize]) -> Result<(SteinerInstance, usize)> {
        let mut out = self.clone();
        let s = self.node_count;
        out.node_count += 1;
        for &r in roots {
            if r >= self.node_count {
                return Err(NetworkError::TerminalOutOfRange {
                    terminal: r,
                    node_count: self.node_count,
                });
            }
            out.edges.push(SteinerEdge {
                u: s,
                v: r,
                cost: 0.0,
            });
        }
        out.terminals.push(s);
        Ok((out, s))
    }

    /// Distinct terminals in ascending order.
    pub fn distinct_terminals(&self) -> Vec<usize> {
        let mut t = self.terminals.clone();
        t.sort_unstable();
        t.dedup();
        t
    }
}

/// A tree found by [`solve`], with its lower bound.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SteinerSolution {
    /// Sum of the costs of `edges`.
    pub cost: f64,
    /// A proven lower bound on the optimal cost (dual ascent after reductions).
    pub lower_bound: f64,
    /// Indices into [`SteinerInstance::edges`], ascending.
    pub edges: Vec<usize>,
    /// Wall-clock seconds, filled in by [`solve_with_time_limit`] (0 from [`solve`]).
    pub time_s: f64,
    /// True when the budget ran out before the planned work was done.
    pub budget_exhausted: bool,
    /// Size of the instance after reductions, for reports: (nodes, edges, terminals).
    pub reduced_size: (usize, usize, usize),
}

impl SteinerSolution {
    /// Relative gap `(cost − lower_bound) / cost`; 0 when the cost is 0.
    pub fn gap(&self) -> f64 {
        if self.cost <= 0.0 {
            0.0
        } else {
            ((self.cost - self.lower_bound) / self.cost).max(0.0)
        }
    }
}

/// Sum of the costs of `edges`, in the given order.
pub fn tree_cost(instance: &SteinerInstance, edges: &[usize]) -> f64 {
    edges.iter().map(|&e| instance.edges[e].cost).sum()
}

/// Checks that `edges` form a tree (connected, acyclic, no repeated edge) that spans every
/// terminal, and returns its cost. Used on every solution [`solve`] returns and in tests.
pub fn validate_tree(instance: &SteinerInstance, edges: &[usize]) -> Result<f64> {
    instance.check()?;
    let terms = instance.distinct_terminals();
    let mut seen = vec![false; instance.edges.len()];
    let mut parent: Vec<usize> = (0..instance.node_count).collect();
    fn find(p: &mut [usize], mut x: usize) -> usize {
        while p[x] != x {
            p[x] = p[p[x]];
            x = p[x];
        }
        x
    }
    let mut touched = vec![false; instance.node_count];
    for &e in edges {
        if e >= instance.edges.len() {
            return Err(NetworkError::InvalidTree(format!(
                "edge index {e} out of range"
            )));
        }
        if seen[e] {
            return Err(NetworkError::InvalidTree(format!("edge {e} repeated")));
        }
        seen[e] = true;
        let SteinerEdge { u, v, .. } = instance.edges[e];
        touched[u] = true;
        touched[v] = true;
        let (a, b) = (find(&mut parent, u), find(&mut parent, v));
        if a == b {
            return Err(NetworkError::InvalidTree(format!(
                "edge {e} closes a cycle"
            )));
        }
        parent[a] = b;
    }
    if terms.len() <= 1 {
        if !edges.is_empty() {
            // A non-empty tree with at most one terminal is valid but wasteful; still connected?
            let r = find(&mut parent, instance.edges[edges[0]].u);
            for &e in edges {
                if find(&mut parent, instance.edges[e].u) != r {
                    return Err(NetworkError::InvalidTree("not connected".into()));
                }
            }
        }
        return Ok(tree_cost(instance, edges));
    }
    let root = find(&mut parent, terms[0]);
    for &t in &terms {
        if find(&mut parent, t) != root {
            return Err(NetworkError::InvalidTree(format!(
                "terminal {t} is not connected to terminal {}",
                terms[0]
            )));
        }
    }
    for &e in edges {
        if find(&mut parent, instance.edges[e].u) != root {
            return Err(NetworkError::InvalidTree(format!(
                "edge {e} is not connected to the terminals"
            )));
        }
    }
    Ok(tree_cost(instance, edges))
}

/// Checks that all terminals lie in one connected component.
fn check_connected(instance: &SteinerInstance, terms: &[usize]) -> Result<()> {
    if terms.len() <= 1 {
        return Ok(());
    }
    let mut parent: Vec<usize> = (0..instance.node_count).collect();
    fn find(p: &mut [usize], mut x: usize) -> usize {
        while p[x] != x {
            p[x] = p[p[x]];
            x = p[x];
        }
        x
    }
    for e in &instance.edges {
        let (a, b) = (find(&mut parent, e.u), find(&mut parent, e.v));
        if a != b {
            parent[a] = b;
        }
    }
    let r = find(&mut parent, terms[0]);
    for &t in terms {
        if find(&mut parent, t) != r {
            return Err(NetworkError::Disconnected { a: terms[0], b: t });
        }
    }
    Ok(())
}

/// Solves an instance within `budget`: the best tree found, its lower bound, and the gap.
///
/// The work is planned from the instance size alone; `budget` only cuts it short. The returned
/// tree always passes [`validate_tree`] (an internal failure is reported as
/// [`NetworkError::InvalidTree`] rather than returned).
pub fn solve(instance: &SteinerInstance, budget: &dyn Budget) -> Result<SteinerSolution> {
    instance.check()?;
    let terms = instance.distinct_terminals();
    check_connected(instance, &terms)?;
    let reduced = reduce::Reduced::new(instance, &terms);
    let fixed_cost: f64 = reduced.fixed.iter().map(|&e| instance.edges[e].cost).sum();
    let mut budget_exhausted = false;
    let (mut edges, lower_bound) = if reduced.terminals.len() <= 1 {
        (reduced.fixed.clone(), fixed_cost)
    } else {
        let g = heuristic::Csr::from_reduced(&reduced);
        let terms_local = reduced.terminals_local(&g);
        let (lb, guides) = dual::dual_ascent_with_guides(&g, &terms_local, 4, budget);
        // With integer costs no tree costs less than the bound rounded up.
        let integral = g.ew.iter().all(|w| w.fract() == 0.0 && *w < 9.0e15);
        let stop_at = if integral {
            (lb - 1e-6).ceil()
        } else {
            lb * (1.0 + 1e-12)
        };
        let out = heuristic::improve(&g, &terms_local, &guides, stop_at, budget);
        budget_exhausted = out.budget_exhausted;
        let mut edges = reduced.fixed.clone();
        for &le in &out.edges {
            edges.extend_from_slice(&reduced.edge_orig[g.edge_ref[le as usize] as usize]);
        }
        (edges, lb + fixed_cost)
    };
    edges.sort_unstable();
    edges.dedup();
    let cost = validate_tree(instance, &edges)?;
    // Rounding can push an exact bound a hair above an optimal cost; never report lb > cost.
    let lower_bound = lower_bound.min(cost);
    let reduced_size = reduced.size();
    Ok(SteinerSolution {
        cost,
        lower_bound,
        edges,
        time_s: 0.0,
        budget_exhausted,
        reduced_size,
    })
}

/// [`solve`] with a wall-clock limit, filling in [`SteinerSolution::time_s`]. For the edge of
/// a program (CLI, benchmark); library code should pass its own [`Budget`] to [`solve`].
pub fn solve_with_time_limit(
    instance: &SteinerInstance,
    time_limit: std::time::Duration,
) -> Result<SteinerSolution> {
    let start = std::time::Instant::now();
    let deadline = crate::budget::WallClockDeadline::at(start + time_limit);
    let mut sol = solve(instance, &deadline)?;
    sol.time_s = start.elapsed().as_secs_f64();
    Ok(sol)
}

/// The classic 2-approximation baseline (shortest-path heuristic from the first terminal,
/// then MST of the tree's nodes and pruning), without reductions or local search. Returned as
/// edge indices of `instance`; used by benchmarks as the baseline ratio.
pub fn shortest_path_heuristic(instance: &SteinerInstance) -> Result<Vec<usize>> {
    instance.check()?;
    let terms = instance.distinct_terminals();
    check_connected(instance, &terms)?;
    if terms.len() <= 1 {
        return Ok(Vec::new());
    }
    let g = heuristic::Csr::from_instance(instance);
    let local: Vec<u32> = terms.iter().map(|&t| t as u32).collect();
    let tree = heuristic::baseline_sph(&g, &local);
    let mut edges: Vec<usize> = tree
        .iter()
        .map(|&e| g.edge_ref[e as usize] as usize)
        .collect();
    edges.sort_unstable();
    Ok(edges)
}

/// A Dijkstra heap entry (distance, node), ordered so that `BinaryHeap` pops the nearest first
/// and, on equal distance, the lowest node: shared by the reductions and the heuristics.
#[derive(PartialEq)]
pub(crate) struct Item(pub(crate) f64, pub(crate) u32);
impl Eq for Item {}
impl Ord for Item {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        o.0.total_cmp(&self.0).then_with(|| o.1.cmp(&self.1))
    }
}
impl PartialOrd for Item {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
