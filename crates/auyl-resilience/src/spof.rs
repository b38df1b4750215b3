//! Single points of failure: for every element, who is cut off from the core when it fails.
//!
//! **Method (exact, one pass for the whole network).** The undirected network becomes a directed
//! graph in which every link is *subdivided* by a vertex of its own (`a ↔ link ↔ b`), so links
//! and nodes are both vertices; a virtual super-root has an arc to every core node. A vertex `x`
//! *dominates* `v` when every path from the root to `v` passes `x`; so the settlements cut off when
//! `x` fails are exactly those it dominates (itself included). One dominator tree
//! (Cooper–Harvey–Kennedy, petgraph's `simple_fast`) gives all of them at once: the impact of `x`
//! is the sum over its dominator subtree, computed bottom-up.
//!
//! **Power** is a failure group (see [`crate::model`]): a supply feeding one node has that node's
//! impact; a supply feeding several nodes is answered by one search with all of them removed.
//! The single-failure figures assume the outage outlasts the batteries; `min_battery_h` says how
//! long nobody is cut off.
//!
//! [`brute_force`] removes each element in turn and searches: the reference the property tests
//! and the benchmark compare against.

use crate::model::{Adjacency, NetworkModel, Role, reach};
use petgraph::algo::dominators::simple_fast;
use petgraph::graph::{DiGraph, NodeIndex};
use serde::{Deserialize, Serialize};

/// The dominator tree of a network (vertices = elements, plus the virtual root).
#[derive(Debug, Clone)]
pub struct DominatorTree {
    /// Immediate dominator of each element (`None`: not reachable from the core, or a supply);
    /// `Some(root)` where `root == element count` is the virtual root.
    idom: Vec<Option<u32>>,
    /// Pre-order entry time in the tree, and one past the last time in its subtree.
    tin: Vec<u32>,
    tout: Vec<u32>,
    /// Depth (root = 0).
    depth: Vec<u32>,
    /// Elements in pre-order.
    order: Vec<u32>,
}

impl DominatorTree {
    /// Builds the dominator tree of `model` (see the module docs).
    pub fn new(model: &NetworkModel) -> DominatorTree {
        let adj = model.adjacency();
        DominatorTree::from_adjacency(model, &adj)
    }

    pub(crate) fn from_adjacency(model: &NetworkModel, adj: &Adjacency) -> DominatorTree {
        let n = model.len();
        let mut g: DiGraph<(), ()> = DiGraph::with_capacity(n + 1, 4 * n + adj.cores.len());
        for _ in 0..=n {
            g.add_node(());
        }
        let root = NodeIndex::new(n);
        for &c in &adj.cores {
            g.add_edge(root, NodeIndex::new(c as usize), ());
        }
        for (i, e) in model.elements().iter().enumerate() {
            if let Some((a, b)) = e.ends {
                let l = NodeIndex::new(i);
                let (a, b) = (NodeIndex::new(a), NodeIndex::new(b));
                g.add_edge(a, l, ());
                g.add_edge(l, a, ());
                g.add_edge(b, l, ());
                g.add_edge(l, b, ());
            }
        }
        let doms = simple_fast(&g, root);
        let mut idom = vec![None; n + 1];
        let mut children: Vec<Vec<u32>> = vec![Vec::new(); n + 1];
        for (v, slot) in idom.iter_mut().enumerate().take(n) {
            if let Some(d) = doms.immediate_dominator(NodeIndex::new(v)) {
                *slot = Some(d.index() as u32);
                children[d.index()].push(v as u32);
            }
        }
        // Pre-order walk from the root (iterative).
        let mut tin = vec![u32::MAX; n + 1];
        let mut tout = vec![u32::MAX; n + 1];
        let mut depth = vec![0u32; n + 1];
        let mut order = Vec::with_capacity(n + 1);
        let mut stack: Vec<(u32, usize)> = vec![(n as u32, 0)];
        tin[n] = 0;
        order.push(n as u32);
        while let Some(&mut (v, ref mut k)) = stack.last_mut() {
            let kids = &children[v as usize];
            if *k < kids.len() {
                let c = kids[*k];
                *k += 1;
                tin[c as usize] = order.len() as u32;
                depth[c as usize] = depth[v as usize] + 1;
                order.push(c);
                stack.push((c, 0));
            } else {
                tout[v as usize] = order.len() as u32;
                stack.pop();
            }
        }
        DominatorTree {
            idom,
            tin,
            tout,
            depth,
            order,
        }
    }

    /// The virtual root's index (= the model's element count).
    pub fn root(&self) -> usize {
        self.idom.len() - 1
    }

    /// True when `v` is reachable from a core node in the intact network.
    pub fn reachable(&self, v: usize) -> bool {
        v < self.tin.len() && self.tin[v] != u32::MAX
    }

    /// Immediate dominator of `v` (the root index for elements only the root dominates).
    pub fn immediate_dominator(&self, v: usize) -> Option<usize> {
        self.idom.get(v).copied().flatten().map(|d| d as usize)
    }

    /// True when `d` dominates `v` (every path from the core to `v` passes `d`); `d == v` counts.
    pub fn dominates(&self, d: usize, v: usize) -> bool {
        self.reachable(d)
            && self.reachable(v)
            && self.tin[d] <= self.tin[v]
            && self.tin[v] < self.tout[d]
    }

    /// Depth in the tree (the root is 0).
    pub fn depth(&self, v: usize) -> usize {
        self.depth[v] as usize
    }

    /// The strict dominators of `v` other than the root, nearest first.
    pub fn strict_dominators(&self, v: usize) -> Vec<usize> {
        let mut out = Vec::new();
        let root = self.root();
        let mut cur = self.immediate_dominator(v);
        while let Some(d) = cur {
            if d == root {
                break;
            }
            out.push(d);
            cur = self.immediate_dominator(d);
        }
        out
    }

    /// Elements in the subtree of `v` (those it dominates, itself first), in pre-order.
    pub fn subtree(&self, v: usize) -> &[u32] {
        if !self.reachable(v) {
            return &[];
        }
        &self.order[self.tin[v] as usize..self.tout[v] as usize]
    }

    /// Pre-order position of `v` (for interval tests).
    pub(crate) fn interval(&self, v: usize) -> (u32, u32) {
        (self.tin[v], self.tout[v])
    }
}

/// What one failure cuts off.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Impact {
    /// Element index in the model.
    pub element: usize,
    /// Its id.
    pub id: String,
    /// Its kind.
    pub kind: crate::ElementKind,
    /// Settlements cut off from the core.
    pub settlements: u64,
    /// People in them.
    pub people: u64,
    /// For power supplies: the shortest battery among the nodes it feeds (hours nobody is cut
    /// off); `None` for nodes and links.
    pub min_battery_h: Option<f64>,
}

/// Every element's single-failure impact.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpofReport {
    /// Impact of every element (nodes, links, supplies), ranked: most people first, then most
    /// settlements, then id. Elements cutting nobody off are included (with zeros).
    pub impacts: Vec<Impact>,
    /// Settlements and people the intact network already fails to reach.
    pub unreachable_settlements: u64,
    /// People in them.
    pub unreachable_people: u64,
    /// Settlement access nodes in the model.
    pub total_settlements: u64,
    /// People over all settlement access nodes.
    pub total_people: u64,
}

impl SpofReport {
    /// The single points of failure: elements cutting at least one settlement off, ranked.
    pub fn single_points(&self) -> impl Iterator<Item = &Impact> {
        self.impacts.iter().filter(|i| i.settlements > 0)
    }
}

/// Settlements and people cut off (among those reachable before) per element, indexed by element.
pub type Cut = (u64, u64);

/// The exact single-failure impact of every element (see the module docs).
pub fn single_failures(model: &NetworkModel) -> SpofReport {
    let adj = model.adjacency();
    let tree = DominatorTree::from_adjacency(model, &adj);
    let cuts = impacts_from_tree(model, &adj, &tree);
    report(model, &tree, cuts, &adj)
}

/// Per-element (settlements, people) cut off, from the dominator tree (supplies by search).
pub(crate) fn impacts_from_tree(
    model: &NetworkModel,
    adj: &Adjacency,
    tree: &DominatorTree,
) -> Vec<Cut> {
    let mut sub = subtree_cuts(model, tree, &|_| true);
    power_impacts(model, adj, tree, &mut sub);
    sub
}

/// Per element: the settlements it dominates that `keep` accepts, and their people (supplies
/// are left at zero).
pub(crate) fn subtree_cuts(
    model: &NetworkModel,
    tree: &DominatorTree,
    keep: &dyn Fn(usize) -> bool,
) -> Vec<Cut> {
    let n = model.len();
    let mut sub = vec![(0u64, 0u64); n + 1];
    // Reverse pre-order: children before parents.
    for &v in tree.order.iter().rev() {
        let v = v as usize;
        if v < n
            && let Some(d) = &model.elements()[v].demand
            && keep(v)
        {
            sub[v].0 += 1;
            sub[v].1 += d.people;
        }
        if let Some(p) = tree.immediate_dominator(v) {
            sub[p].0 += sub[v].0;
            sub[p].1 += sub[v].1;
        }
    }
    sub.truncate(n);
    sub
}

/// For each supply feeding several nodes: the settlements (reached by the intact network) its
/// failure cuts off, ascending. One search per such supply.
pub(crate) fn group_cut_sets(
    model: &NetworkModel,
    adj: &Adjacency,
    tree: &DominatorTree,
) -> std::collections::HashMap<u32, Vec<u32>> {
    let n = model.len();
    let mut failed = vec![false; n];
    let mut seen = vec![false; n];
    let mut queue = Vec::new();
    let mut out = std::collections::HashMap::new();
    for (p, e) in model.elements().iter().enumerate() {
        if e.kind.role() != Role::Power || adj.fed[p].len() < 2 {
            continue;
        }
        let fed = &adj.fed[p];
        for &v in fed {
            failed[v as usize] = true;
        }
        reach(adj, &failed, &mut seen, &mut queue);
        for &v in fed {
            failed[v as usize] = false;
        }
        let set: Vec<u32> = (0..n)
            .filter(|&v| model.elements()[v].demand.is_some() && tree.reachable(v) && !seen[v])
            .map(|v| v as u32)
            .collect();
        out.insert(p as u32, set);
    }
    out
}

/// Fills in the impact of power supplies: one node fed → that node's impact; more → one search.
fn power_impacts(model: &NetworkModel, adj: &Adjacency, tree: &DominatorTree, sub: &mut [Cut]) {
    let n = model.len();
    let mut failed = vec![false; n];
    let mut seen = vec![false; n];
    let mut queue = Vec::new();
    for (p, e) in model.elements().iter().enumerate() {
        if e.kind.role() != Role::Power {
            continue;
        }
        let fed = &adj.fed[p];
        sub[p] = match fed.len() {
            0 => (0, 0),
            1 => sub[fed[0] as usize],
            _ => {
                for &v in fed {
                    failed[v as usize] = true;
                }
                reach(adj, &failed, &mut seen, &mut queue);
                for &v in fed {
                    failed[v as usize] = false;
                }
                lost(model, tree, &seen)
            }
        };
    }
}

/// Settlements reachable in the intact network (per `tree`) but not in `seen`.
fn lost(model: &NetworkModel, tree: &DominatorTree, seen: &[bool]) -> Cut {
    let mut out = (0, 0);
    for (v, e) in model.elements().iter().enumerate() {
        if let Some(d) = &e.demand
            && tree.reachable(v)
            && !seen[v]
        {
            out.0 += 1;
            out.1 += d.people;
        }
    }
    out
}

pub(crate) fn report(
    model: &NetworkModel,
    tree: &DominatorTree,
    cuts: Vec<Cut>,
    adj: &Adjacency,
) -> SpofReport {
    let mut impacts: Vec<Impact> = model
        .elements()
        .iter()
        .enumerate()
        .map(|(i, e)| Impact {
            element: i,
            id: e.id.clone(),
            kind: e.kind,
            settlements: cuts[i].0,
            people: cuts[i].1,
            min_battery_h: (e.kind.role() == Role::Power).then(|| {
                adj.fed[i]
                    .iter()
                    .map(|&v| model.elements()[v as usize].battery_h)
                    .fold(f64::INFINITY, f64::min)
            }),
        })
        .collect();
    impacts.sort_by(|a, b| {
        b.people
            .cmp(&a.people)
            .then(b.settlements.cmp(&a.settlements))
            .then(a.id.cmp(&b.id))
    });
    let (mut us, mut up, mut ts, mut tp) = (0, 0, 0, 0);
    for (v, e) in model.elements().iter().enumerate() {
        if let Some(d) = &e.demand {
            ts += 1;
            tp += d.people;
            if !tree.reachable(v) {
                us += 1;
                up += d.people;
            }
        }
    }
    SpofReport {
        impacts,
        unreachable_settlements: us,
        unreachable_people: up,
        total_settlements: ts,
        total_people: tp,
    }
}

/// The reference method: remove each element in turn (a supply with every node it feeds) and
/// search from the core. Same figures as [`single_failures`], one search per element.
pub fn brute_force(model: &NetworkModel) -> Vec<Cut> {
    let adj = model.adjacency();
    let n = model.len();
    let mut failed = vec![false; n];
    let mut seen = vec![false; n];
    let mut queue = Vec::new();
    reach(&adj, &failed, &mut seen, &mut queue);
    let base = seen.clone();
    let mut out = Vec::with_capacity(n);
    for x in 0..n {
        let group: Vec<usize> = if model.elements()[x].kind.role() == Role::Power {
            adj.fed[x].iter().map(|&v| v as usize).collect()
        } else {
            vec![x]
        };
        for &g in &group {
            failed[g] = true;
        }
        reach(&adj, &failed, &mut seen, &mut queue);
        for &g in &group {
            failed[g] = false;
        }
        let mut cut = (0, 0);
        for (v, e) in model.elements().iter().enumerate() {
            if let Some(d) = &e.demand
                && base[v]
                && !seen[v]
            {
                cut.0 += 1;
                cut.1 += d.people;
            }
        }
        out.push(cut);
    }
    out
}

/// [`single_failures`] per element index (unranked), for comparison with [`brute_force`].
pub fn dominator_cuts(model: &NetworkModel) -> Vec<Cut> {
    let adj = model.adjacency();
    let tree = DominatorTree::from_adjacency(model, &adj);
    impacts_from_tree(model, &adj, &tree)
}

/// The settlements (element indices) cut off when `element` fails, exactly as counted in the
/// report (a supply: by search).
pub fn cut_off_by(model: &NetworkModel, tree: &DominatorTree, element: usize) -> Vec<usize> {
    let Some(e) = model.elements().get(element) else {
        return Vec::new();
    };
    if e.kind.role() == Role::Power {
        let adj = model.adjacency();
        let n = model.len();
        let mut failed = vec![false; n];
        for &v in &adj.fed[element] {
            failed[v as usize] = true;
        }
        let mut seen = vec![false; n];
        reach(&adj, &failed, &mut seen, &mut Vec::new());
        return (0..n)
            .filter(|&v| model.elements()[v].demand.is_some() && tree.reachable(v) && !seen[v])
            .collect();
    }
    tree.subtree(element)
        .iter()
        .map(|&v| v as usize)
        .filter(|&v| v < model.len() && model.elements()[v].demand.is_some())
        .collect()
}
