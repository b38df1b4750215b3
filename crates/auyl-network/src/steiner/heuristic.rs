//! Upper bounds: shortest-path heuristic, MST + pruning, and local search.
//!
//! - **SPH** (Takahashi & Matsuyama 1980): grow a tree from a root, each time adding the
//!   cheapest path to the nearest terminal not yet in the tree (incremental Dijkstra).
//! - **MST + pruning**: replace a tree by the minimum spanning tree of the subgraph induced by
//!   its nodes and delete non-terminal leaves until none is left.
//! - **Steiner-vertex insertion**: add a node outside the tree when the MST of the enlarged node
//!   set is cheaper.
//! - **Key-path exchange / key-vertex elimination** (Uchoa & Werneck 2010, Verhoeven et al.):
//!   remove a key path, or a Steiner node of tree-degree ≥ 3 with its key paths, and reconnect
//!   the pieces by shortest paths (a bounded multi-source Dijkstra whose Voronoi regions give
//!   the cheapest connections between pieces, joined by Kruskal) when that is cheaper.
//! - **Multi-start**: SPH from several terminals and from deterministically perturbed costs, and
//!   finally the same on the union of the best trees found (solution merging).
//!
//! All loops visit nodes and edges in index order and break ties by index, so results are
//! deterministic; the budget is only polled between moves.

use super::Item;
use super::SteinerInstance;
use super::reduce::Reduced;
use crate::budget::Budget;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

const NONE: u32 = u32::MAX;

/// A compact adjacency (CSR) graph with local node numbers, used by the hot loops.
#[derive(Debug, Clone)]
pub struct Csr {
    /// Number of local nodes.
    pub n: usize,
    off: Vec<u32>,
    nbr: Vec<u32>,
    inc: Vec<u32>,
    /// First end of each edge (local).
    pub eu: Vec<u32>,
    /// Second end of each edge (local).
    pub ev: Vec<u32>,
    /// Cost of each edge.
    pub ew: Vec<f64>,
    /// What each edge stands for in the caller's numbering (reduced edge or instance edge).
    pub edge_ref: Vec<u32>,
    local: Vec<u32>,
    /// Edges sorted by (cost, index), for Kruskal.
    sorted: Vec<u32>,
}

impl Csr {
    fn build(global_n: usize, edges: &[(usize, usize, f64)], keep_nodes: &[usize]) -> Csr {
        let mut local = vec![NONE; global_n];
        let mut used = vec![false; global_n];
        for &(u, v, _) in edges {
            used[u] = true;
            used[v] = true;
        }
        for &t in keep_nodes {
            used[t] = true;
        }
        let mut n = 0u32;
        for (v, &u) in used.iter().enumerate() {
            if u {
                local[v] = n;
                n += 1;
            }
        }
        let n = n as usize;
        let m = edges.len();
        let mut deg = vec![0u32; n + 1];
        let (mut eu, mut ev, mut ew) = (
            Vec::with_capacity(m),
            Vec::with_capacity(m),
            Vec::with_capacity(m),
        );
        for &(u, v, w) in edges {
            let (a, b) = (local[u], local[v]);
            eu.push(a);
            ev.push(b);
            ew.push(w);
            deg[a as usize] += 1;
            deg[b as usize] += 1;
        }
        let mut off = vec![0u32; n + 1];
        for i in 0..n {
            off[i + 1] = off[i] + deg[i];
        }
        let mut fill = off.clone();
        let mut nbr = vec![0u32; 2 * m];
        let mut inc = vec![0u32; 2 * m];
        for e in 0..m {
            let (a, b) = (eu[e], ev[e]);
            let p = fill[a as usize] as usize;
            nbr[p] = b;
            inc[p] = e as u32;
            fill[a as usize] += 1;
            let p = fill[b as usize] as usize;
            nbr[p] = a;
            inc[p] = e as u32;
            fill[b as usize] += 1;
        }
        let mut sorted: Vec<u32> = (0..m as u32).collect();
        sorted.sort_by(|&a, &b| ew[a as usize].total_cmp(&ew[b as usize]).then(a.cmp(&b)));
        Csr {
            n,
            off,
            nbr,
            inc,
            eu,
            ev,
            ew,
            edge_ref: (0..m as u32).collect(),
            local,
            sorted,
        }
    }

    /// The reduced graph, edges referring to [`Reduced::edges`].
    pub fn from_reduced(r: &Reduced) -> Csr {
        Csr::build(r.node_count, &r.edges, &r.terminals)
    }

    /// The whole instance, edges referring to [`SteinerInstance::edges`]; nodes keep their index.
    pub fn from_instance(inst: &SteinerInstance) -> Csr {
        let edges: Vec<(usize, usize, f64)> =
            inst.edges.iter().map(|e| (e.u, e.v, e.cost)).collect();
        let all: Vec<usize> = (0..inst.node_count).collect();
        Csr::build(inst.node_count, &edges, &all)
    }

    /// Local index of an original node, if it is in the graph.
    pub fn local_of(&self, v: usize) -> Option<u32> {
        self.local.get(v).copied().filter(|&x| x != NONE)
    }

    #[inline]
    pub(crate) fn adj(&self, v: u32) -> impl Iterator<Item = (u32, u32)> + '_ {
        let (a, b) = (
            self.off[v as usize] as usize,
            self.off[v as usize + 1] as usize,
        );
        self.nbr[a..b]
            .iter()
            .copied()
            .zip(self.inc[a..b].iter().copied())
    }

    #[inline]
    fn other(&self, e: u32, v: u32) -> u32 {
        if self.eu[e as usize] == v {
            self.ev[e as usize]
        } else {
            self.eu[e as usize]
        }
    }

    fn cost(&self, edges: &[u32]) -> f64 {
        edges.iter().map(|&e| self.ew[e as usize]).sum()
    }
}

/// A key path: (edges, inner nodes, one end, other end, cost).
type KeyPath = (Vec<u32>, Vec<u32>, u32, u32, f64);

/// Reusable arrays sized to the graph.
struct Scratch {
    dist: Vec<f64>,
    pred: Vec<u32>,
    mark: Vec<bool>,
    mark2: Vec<bool>,
    label: Vec<u32>,
    uf: Vec<u32>,
    deg: Vec<u32>,
    tadj: Vec<Vec<u32>>,
    padj: Vec<Vec<u32>>,
    /// DFS entry number of tree nodes (key-path moves).
    tin: Vec<u32>,
    /// DFS exit number (end of the node's subtree in DFS order).
    tout: Vec<u32>,
    /// Node is in the current tree and not removed by the move being tried.
    active: Vec<bool>,
    /// Per-edge flags: removed edges in `reconnect`, pruned edges in `prune`.
    emark: Vec<bool>,
    /// Per-edge flags: edges already on an enumerated key path.
    emark2: Vec<bool>,
    heap: BinaryHeap<Item>,
}

impl Scratch {
    fn new(n: usize, m: usize) -> Scratch {
        Scratch {
            dist: vec![f64::INFINITY; n],
            pred: vec![NONE; n],
            mark: vec![false; n],
            mark2: vec![false; n],
            label: vec![NONE; n],
            uf: (0..n as u32).collect(),
            deg: vec![0; n],
            tadj: vec![Vec::new(); n],
            padj: vec![Vec::new(); n],
            emark: vec![false; m],
            tin: vec![0; n],
            tout: vec![0; n],
            active: vec![false; n],
            emark2: vec![false; m],
            heap: BinaryHeap::new(),
        }
    }
}

fn find(uf: &mut [u32], mut x: u32) -> u32 {
    while uf[x as usize] != x {
        let p = uf[uf[x as usize] as usize];
        uf[x as usize] = p;
        x = p;
    }
    x
}

/// Shortest-path heuristic from `root` with costs `w`; returns tree edges (before pruning).
fn sph(
    work: &mut u64,
    g: &Csr,
    w: &[f64],
    root: u32,
    is_term: &[bool],
    terms: &[u32],
    s: &mut Scratch,
) -> Vec<u32> {
    s.dist.fill(f64::INFINITY);
    s.pred.fill(NONE);
    s.mark.fill(false);
    let mut tree = Vec::new();
    s.mark[root as usize] = true;
    s.dist[root as usize] = 0.0;
    s.heap.clear();
    s.heap.push(Item(0.0, root));
    let mut remaining = terms.iter().filter(|&&t| t != root).count();
    let _ = is_term;
    loop {
        while let Some(Item(d, v)) = s.heap.pop() {
            if d > s.dist[v as usize] {
                continue;
            }
            *work += 4;
            for (x, e) in g.adj(v) {
                let nd = d + w[e as usize];
                if nd < s.dist[x as usize] {
                    s.dist[x as usize] = nd;
                    s.pred[x as usize] = e;
                    s.heap.push(Item(nd, x));
                }
            }
        }
        if remaining == 0 {
            break;
        }
        let mut best = NONE;
        let mut bd = f64::INFINITY;
        for &t in terms {
            if !s.mark[t as usize] && s.dist[t as usize] < bd {
                bd = s.dist[t as usize];
                best = t;
            }
        }
        if best == NONE {
            break; // disconnected: cannot happen for checked instances
        }
        let mut v = best;
        while !s.mark[v as usize] {
            s.mark[v as usize] = true;
            if is_term[v as usize] {
                remaining -= 1;
            }
            let e = s.pred[v as usize];
            tree.push(e);
            s.dist[v as usize] = 0.0;
            s.heap.push(Item(0.0, v));
            v = g.other(e, v);
        }
    }
    s.mark.fill(false);
    s.dist.fill(f64::INFINITY);
    s.pred.fill(NONE);
    tree
}

/// Nodes of a set of edges (each once, in order of appearance).
fn nodes_of(g: &Csr, edges: &[u32], mark: &mut [bool]) -> Vec<u32> {
    let mut out = Vec::new();
    for &e in edges {
        for v in [g.eu[e as usize], g.ev[e as usize]] {
            if !mark[v as usize] {
                mark[v as usize] = true;
                out.push(v);
            }
        }
    }
    for &v in &out {
        mark[v as usize] = false;
    }
    out
}

/// MST of the subgraph induced by `nodes`, then repeated removal of non-terminal leaves.
fn mst_prune(g: &Csr, nodes: &[u32], is_term: &[bool], s: &mut Scratch) -> Vec<u32> {
    for &v in nodes {
        s.mark[v as usize] = true;
        s.uf[v as usize] = v;
        s.deg[v as usize] = 0;
    }
    let mut tree = Vec::with_capacity(nodes.len());
    let want = nodes.len().saturating_sub(1);
    for &e in &g.sorted {
        if tree.len() == want {
            break;
        }
        let (u, v) = (g.eu[e as usize], g.ev[e as usize]);
        if s.mark[u as usize] && s.mark[v as usize] {
            let (a, b) = (find(&mut s.uf, u), find(&mut s.uf, v));
            if a != b {
                s.uf[a as usize] = b;
                tree.push(e);
            }
        }
    }
    for &v in nodes {
        s.mark[v as usize] = false;
        s.uf[v as usize] = v;
    }
    prune(g, tree, is_term, s)
}

/// Removes non-terminal leaves until none is left.
fn prune(g: &Csr, tree: Vec<u32>, is_term: &[bool], s: &mut Scratch) -> Vec<u32> {
    for &e in &tree {
        s.deg[g.eu[e as usize] as usize] = 0;
        s.deg[g.ev[e as usize] as usize] = 0;
        s.padj[g.eu[e as usize] as usize].clear();
        s.padj[g.ev[e as usize] as usize].clear();
    }
    for &e in &tree {
        for v in [g.eu[e as usize], g.ev[e as usize]] {
            s.deg[v as usize] += 1;
            s.padj[v as usize].push(e);
        }
    }
    let mut stack: Vec<u32> = Vec::new();
    for &e in &tree {
        for v in [g.eu[e as usize], g.ev[e as usize]] {
            if s.deg[v as usize] == 1 && !is_term[v as usize] {
                stack.push(v);
            }
        }
    }
    while let Some(v) = stack.pop() {
        if s.deg[v as usize] != 1 {
            continue;
        }
        let Some(&e) = s.padj[v as usize].iter().find(|&&e| !s.emark[e as usize]) else {
            continue;
        };
        s.emark[e as usize] = true;
        s.deg[v as usize] = 0;
        let x = g.other(e, v);
        s.deg[x as usize] -= 1;
        if s.deg[x as usize] == 1 && !is_term[x as usize] {
            stack.push(x);
        }
    }
    let mut out: Vec<u32> = Vec::with_capacity(tree.len());
    for e in tree {
        if s.emark[e as usize] {
            s.emark[e as usize] = false;
        } else {
            out.push(e);
        }
    }
    out.sort_unstable();
    out
}

/// The classic baseline: SPH from the first terminal, MST + pruning.
pub fn baseline_sph(g: &Csr, terms: &[u32]) -> Vec<u32> {
    let mut s = Scratch::new(g.n, g.eu.len());
    let mut is_term = vec![false; g.n];
    for &t in terms {
        is_term[t as usize] = true;
    }
    let tree = sph(&mut 0, g, &g.ew, terms[0], &is_term, terms, &mut s);
    let nodes = nodes_of(g, &tree, &mut s.mark);
    mst_prune(g, &nodes, &is_term, &mut s)
}

/// What [`improve`] returns.
pub struct Improved {
    /// Best tree, as local edge indices.
    pub edges: Vec<u32>,
    /// True when the budget stopped the search early.
    pub budget_exhausted: bool,
}

struct Search<'a> {
    g: &'a Csr,
    is_term: Vec<bool>,
    s: Scratch,
    budget: &'a dyn Budget,
    out_of_time: bool,
    /// Work done so far, in rough units of heap operations: the restart plan stops on this
    /// count (never on the clock), so the result does not depend on machine speed.
    work: u64,
    /// Work count at which the current phase (a local search, a restart loop) stops.
    cap: u64,
    /// Set once the best tree meets the lower bound.
    proven: bool,
    proven_at: f64,
}

impl Search<'_> {
    fn stop(&mut self) -> bool {
        if self.proven || self.work > self.cap {
            return true;
        }
        if !self.out_of_time && self.budget.exhausted() {
            self.out_of_time = true;
        }
        self.out_of_time
    }

    fn eps(cost: f64) -> f64 {
        1e-9 * (1.0 + cost.abs())
    }

    fn clean(&mut self, edges: &[u32]) -> Vec<u32> {
        self.work += (self.g.sorted.len() / 8 + edges.len()) as u64;
        let nodes = nodes_of(self.g, edges, &mut self.s.mark2);
        mst_prune(self.g, &nodes, &self.is_term, &mut self.s)
    }

    /// Local search until no move improves (or the budget runs out).
    fn local_search(&mut self, mut tree: Vec<u32>) -> Vec<u32> {
        loop {
            let before = self.g.cost(&tree);
            tree = self.vertex_insertion(tree);
            tree = self.key_path_moves(tree, false);
            tree = self.key_path_moves(tree, true);
            let after = self.g.cost(&tree);
            if after >= before - Self::eps(before) || self.stop() {
                return tree;
            }
        }
    }

    /// Steiner-vertex insertion: first-improvement over nodes in index order.
    fn vertex_insertion(&mut self, mut tree: Vec<u32>) -> Vec<u32> {
        let g = self.g;
        let mut start = 0usize;
        'outer: loop {
            if self.stop() {
                return tree;
            }
            let cost = g.cost(&tree);
            let nodes = nodes_of(g, &tree, &mut self.s.mark2);
            if nodes.is_empty() {
                return tree;
            }
            for &v in &nodes {
                self.s.mark[v as usize] = true;
            }
            let induced: Vec<u32> = g
                .sorted
                .iter()
                .copied()
                .filter(|&e| {
                    self.s.mark[g.eu[e as usize] as usize] && self.s.mark[g.ev[e as usize] as usize]
                })
                .collect();
            let mut found = None;
            let mut cand_edges: Vec<u32> = Vec::new();
            let mut chosen: Vec<u32> = Vec::new();
            for i in 0..g.n {
                let v = ((start + i) % g.n) as u32;
                if self.s.mark[v as usize] {
                    continue;
                }
                if i % 64 == 0 && self.stop() {
                    break;
                }
                self.work += 1;
                cand_edges.clear();
                cand_edges.extend(
                    g.adj(v)
                        .filter(|&(x, _)| self.s.mark[x as usize])
                        .map(|(_, e)| e),
                );
                if cand_edges.len() < 2 {
                    continue;
                }
                cand_edges.sort_by(|&a, &b| {
                    g.ew[a as usize]
                        .total_cmp(&g.ew[b as usize])
                        .then(a.cmp(&b))
                });
                // Kruskal over induced ∪ cand_edges (both sorted).
                for &x in &nodes {
                    self.s.uf[x as usize] = x;
                }
                self.s.uf[v as usize] = v;
                let want = nodes.len();
                let (mut i1, mut i2, mut taken, mut total) = (0, 0, 0, 0.0);
                // Ties pass too: pruning a leaf the new node makes redundant can still gain.
                let bound = cost + Self::eps(cost);
                chosen.clear();
                while taken < want && total < bound {
                    let e = match (induced.get(i1), cand_edges.get(i2)) {
                        (Some(&a), Some(&b)) => {
                            if g.ew[a as usize]
                                .total_cmp(&g.ew[b as usize])
                                .then(a.cmp(&b))
                                == Ordering::Less
                            {
                                i1 += 1;
                                a
                            } else {
                                i2 += 1;
                                b
                            }
                        }
                        (Some(&a), None) => {
                            i1 += 1;
                            a
                        }
                        (None, Some(&b)) => {
                            i2 += 1;
                            b
                        }
                        (None, None) => break,
                    };
                    let (a, b) = (
                        find(&mut self.s.uf, g.eu[e as usize]),
                        find(&mut self.s.uf, g.ev[e as usize]),
                    );
                    if a != b {
                        self.s.uf[a as usize] = b;
                        taken += 1;
                        total += g.ew[e as usize];
                        chosen.push(e);
                    }
                }
                for &x in &nodes {
                    self.s.uf[x as usize] = x;
                }
                self.s.uf[v as usize] = v;
                self.work += ((i1 + i2) / 4) as u64;
                if taken == want && total < bound {
                    let pruned = prune(g, std::mem::take(&mut chosen), &self.is_term, &mut self.s);
                    self.work += pruned.len() as u64;
                    if g.cost(&pruned) < cost - Self::eps(cost) {
                        found = Some((v, pruned));
                        break;
                    }
                }
            }
            for &x in &nodes {
                self.s.mark[x as usize] = false;
            }
            match found {
                Some((v, new_tree)) => {
                    tree = new_tree;
                    start = v as usize + 1;
                    continue 'outer;
                }
                None => return tree,
            }
        }
    }

    /// Builds tree adjacency in scratch; returns the tree's nodes.
    fn build_tadj(&mut self, tree: &[u32]) -> Vec<u32> {
        let g = self.g;
        let nodes = nodes_of(g, tree, &mut self.s.mark2);
        for &v in &nodes {
            self.s.tadj[v as usize].clear();
        }
        for &e in tree {
            self.s.tadj[g.eu[e as usize] as usize].push(e);
            self.s.tadj[g.ev[e as usize] as usize].push(e);
        }
        nodes
    }

    /// Key-path exchange (`vertex_mode == false`) or key-vertex elimination (`true`).
    ///
    /// The tree is rooted at a terminal and numbered in DFS order once per accepted move, so
    /// every piece left by a removal is a subtree or "everything outside a subtree": a node's
    /// piece is an O(1) interval test, and only the smaller pieces are searched from.
    fn key_path_moves(&mut self, mut tree: Vec<u32>, vertex_mode: bool) -> Vec<u32> {
        let g = self.g;
        let mut start = 0usize;
        'outer: loop {
            if self.stop() {
                return tree;
            }
            let cost = g.cost(&tree);
            let nodes = self.build_tadj(&tree);
            self.work += 4 * nodes.len() as u64;
            let Some(&root) = nodes.iter().find(|&&v| self.is_term[v as usize]) else {
                return tree;
            };
            // DFS numbering: order, tin (position in order), tout (end of subtree), parent edge.
            let mut order: Vec<u32> = Vec::with_capacity(nodes.len());
            {
                let s = &mut self.s;
                let mut stack: Vec<(u32, u32, usize)> = vec![(root, NONE, 0)];
                s.tin[root as usize] = 0;
                order.push(root);
                while let Some(top) = stack.last_mut() {
                    let (v, pe, i) = *top;
                    if i < s.tadj[v as usize].len() {
                        top.2 += 1;
                        let e = s.tadj[v as usize][i];
                        if e == pe {
                            continue;
                        }
                        let x = g.other(e, v);
                        s.tin[x as usize] = order.len() as u32;
                        order.push(x);
                        stack.push((x, e, 0));
                    } else {
                        s.tout[v as usize] = order.len() as u32;
                        stack.pop();
                    }
                }
                for &v in &nodes {
                    s.active[v as usize] = true;
                    s.dist[v as usize] = 0.0;
                }
            }
            let is_key = |s: &Scratch, is_term: &[bool], v: u32| {
                is_term[v as usize] || s.tadj[v as usize].len() >= 3
            };
            // Key paths: (edges, inner nodes, end a, end b, cost).
            let mut paths: Vec<KeyPath> = Vec::new();
            for &k in &order {
                if !is_key(&self.s, &self.is_term, k) {
                    continue;
                }
                for &e0 in &self.s.tadj[k as usize] {
                    if self.s.emark2[e0 as usize] {
                        continue;
                    }
                    let (mut pe, mut pin) = (vec![e0], Vec::new());
                    self.s.emark2[e0 as usize] = true;
                    let mut v = g.other(e0, k);
                    let mut prev = e0;
                    while !is_key(&self.s, &self.is_term, v) {
                        let Some(&nx) = self.s.tadj[v as usize].iter().find(|&&f| f != prev) else {
                            break;
                        };
                        pin.push(v);
                        self.s.emark2[nx as usize] = true;
                        pe.push(nx);
                        prev = nx;
                        v = g.other(nx, v);
                    }
                    let c = g.cost(&pe);
                    paths.push((pe, pin, k, v, c));
                }
            }
            for &e in &tree {
                self.s.emark2[e as usize] = false;
            }
            // Moves: (removed key vertex or NONE, key paths removed).
            let moves: Vec<(u32, Vec<usize>)> = if vertex_mode {
                let mut by_node: Vec<(u32, Vec<usize>)> = Vec::new();
                let mut idx = std::collections::HashMap::new();
                for (i, p) in paths.iter().enumerate() {
                    for end in [p.2, p.3] {
                        if !self.is_term[end as usize] && self.s.tadj[end as usize].len() >= 3 {
                            let slot = *idx.entry(end).or_insert_with(|| {
                                by_node.push((end, Vec::new()));
                                by_node.len() - 1
                            });
                            by_node[slot].1.push(i);
                        }
                    }
                }
                by_node
            } else {
                (0..paths.len()).map(|i| (NONE, vec![i])).collect()
            };
            let nm = moves.len();
            let mut improved = None;
            for j in 0..nm {
                if self.stop() {
                    break;
                }
                let (center, mv) = &moves[(start + j) % nm];
                let removed_cost: f64 = mv.iter().map(|&i| paths[i].4).sum();
                if removed_cost <= Self::eps(cost) {
                    continue;
                }
                let mut removed_edges: Vec<u32> = Vec::new();
                let mut removed_nodes: Vec<u32> = Vec::new();
                let mut pieces: Vec<Piece> = Vec::new();
                for &i in mv {
                    removed_edges.extend_from_slice(&paths[i].0);
                    removed_nodes.extend_from_slice(&paths[i].1);
                }
                let below = |s: &Scratch, a: u32, b: u32| s.tin[a as usize] > s.tin[b as usize];
                if vertex_mode {
                    removed_nodes.push(*center);
                    for &i in mv {
                        let p = &paths[i];
                        let other = if p.2 == *center { p.3 } else { p.2 };
                        if below(&self.s, other, *center) {
                            pieces.push(Piece::Subtree(other));
                        }
                    }
                    pieces.push(Piece::Outside(*center));
                } else {
                    let p = &paths[mv[0]];
                    let low = if below(&self.s, p.3, p.2) { p.3 } else { p.2 };
                    pieces.push(Piece::Subtree(low));
                    pieces.push(Piece::Outside(low));
                }
                if let Some(new_tree) = self.reconnect(
                    &tree,
                    &order,
                    &removed_edges,
                    &removed_nodes,
                    &pieces,
                    removed_cost,
                ) {
                    let new_tree = self.clean(&new_tree);
                    if g.cost(&new_tree) < cost - Self::eps(cost) {
                        improved = Some((new_tree, j));
                        break;
                    }
                }
            }
            for &v in &nodes {
                self.s.active[v as usize] = false;
                self.s.dist[v as usize] = f64::INFINITY;
            }
            match improved {
                Some((new_tree, j)) => {
                    tree = new_tree;
                    start = (start + j + 1) % nm.max(1);
                    continue 'outer;
                }
                None => return tree,
            }
        }
    }

    /// Removes edges/nodes from the tree (whose pieces are `pieces`) and joins the pieces by
    /// shortest paths if that costs less than `bound`. Expects `active`/`dist == 0` set on the
    /// tree's nodes and DFS numbers in `tin`/`tout`.
    fn reconnect(
        &mut self,
        tree: &[u32],
        order: &[u32],
        removed_edges: &[u32],
        removed_nodes: &[u32],
        pieces: &[Piece],
        bound: f64,
    ) -> Option<Vec<u32>> {
        let g = self.g;
        let s = &mut self.s;
        for &e in removed_edges {
            s.emark[e as usize] = true;
        }
        for &v in removed_nodes {
            s.active[v as usize] = false;
            s.dist[v as usize] = f64::INFINITY;
        }
        let inside = |s: &Scratch, a: u32, x: u32| {
            s.tin[a as usize] <= s.tin[x as usize] && s.tin[x as usize] < s.tout[a as usize]
        };
        let piece_of = |s: &Scratch, x: u32| -> u32 {
            if s.label[x as usize] != NONE {
                return s.label[x as usize];
            }
            if !s.active[x as usize] {
                return NONE;
            }
            for (i, p) in pieces.iter().enumerate() {
                match *p {
                    Piece::Subtree(a) if inside(s, a, x) => return i as u32,
                    Piece::Outside(a) if !inside(s, a, x) => return i as u32,
                    _ => {}
                }
            }
            NONE
        };
        let size = |s: &Scratch, p: &Piece| match *p {
            Piece::Subtree(a) => (s.tout[a as usize] - s.tin[a as usize]) as usize,
            Piece::Outside(a) => order.len() - (s.tout[a as usize] - s.tin[a as usize]) as usize,
        };
        let k = pieces.len() as u32;
        let largest = (0..pieces.len())
            .max_by_key(|&c| (size(s, &pieces[c]), std::cmp::Reverse(c)))
            .unwrap_or(0);
        // Sources: every active node of the other pieces (DFS order ranges).
        let mut sources: Vec<u32> = Vec::new();
        for (i, p) in pieces.iter().enumerate() {
            if i == largest {
                continue;
            }
            match *p {
                Piece::Subtree(a) => {
                    let r = s.tin[a as usize] as usize..s.tout[a as usize] as usize;
                    sources.extend(order[r].iter().copied().filter(|&v| s.active[v as usize]));
                }
                Piece::Outside(a) => {
                    let (lo, hi) = (s.tin[a as usize] as usize, s.tout[a as usize] as usize);
                    sources.extend(
                        order[..lo]
                            .iter()
                            .chain(&order[hi..])
                            .copied()
                            .filter(|&v| s.active[v as usize]),
                    );
                }
            }
        }
        let mut touched: Vec<u32> = Vec::new();
        s.heap.clear();
        // Sources sit at distance 0: relax their edges directly instead of popping them.
        for &v in &sources {
            let lv = piece_of(s, v);
            for (x, e) in g.adj(v) {
                let nd = g.ew[e as usize];
                if nd <= bound && nd < s.dist[x as usize] {
                    if s.dist[x as usize].is_infinite() {
                        touched.push(x);
                    }
                    s.dist[x as usize] = nd;
                    s.pred[x as usize] = e;
                    s.label[x as usize] = lv;
                    s.heap.push(Item(nd, x));
                }
            }
        }
        let mut pops = 0usize;
        while let Some(Item(d, v)) = s.heap.pop() {
            pops += 1;
            if d > s.dist[v as usize] {
                continue;
            }
            let lv = piece_of(s, v);
            for (x, e) in g.adj(v) {
                let nd = d + g.ew[e as usize];
                if nd <= bound && nd < s.dist[x as usize] {
                    if s.dist[x as usize].is_infinite() {
                        touched.push(x);
                    }
                    s.dist[x as usize] = nd;
                    s.pred[x as usize] = e;
                    s.label[x as usize] = lv;
                    s.heap.push(Item(nd, x));
                }
            }
        }
        // Boundary edges between regions (duplicates are harmless for Kruskal).
        let mut cands: Vec<(f64, u32)> = Vec::new();
        for &v in sources.iter().chain(&touched) {
            let lv = piece_of(s, v);
            for (x, e) in g.adj(v) {
                let lx = piece_of(s, x);
                if lx != NONE && lx != lv && !s.emark[e as usize] {
                    let c = s.dist[v as usize] + g.ew[e as usize] + s.dist[x as usize];
                    if c <= bound {
                        cands.push((c, e));
                    }
                }
            }
        }
        self.work += (2 * sources.len() + 4 * pops + cands.len() + 8) as u64;
        let s = &mut self.s;
        cands.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let mut uf: Vec<u32> = (0..k).collect();
        let mut chosen = Vec::new();
        let mut total = 0.0;
        for &(c, e) in &cands {
            let (a, b) = (
                find(&mut uf, piece_of(s, g.eu[e as usize])),
                find(&mut uf, piece_of(s, g.ev[e as usize])),
            );
            if a != b {
                uf[a as usize] = b;
                chosen.push(e);
                total += c;
                if chosen.len() as u32 == k - 1 || total > bound {
                    break;
                }
            }
        }
        // Ties pass: the caller keeps the result only if MST + pruning makes it cheaper.
        let ok = chosen.len() as u32 == k - 1 && total <= bound;
        let mut result = None;
        if ok {
            let mut new_tree: Vec<u32> = tree
                .iter()
                .copied()
                .filter(|&e| !s.emark[e as usize])
                .collect();
            let mut seen: std::collections::HashSet<u32> = new_tree.iter().copied().collect();
            for &e in &chosen {
                if seen.insert(e) {
                    new_tree.push(e);
                }
                for mut v in [g.eu[e as usize], g.ev[e as usize]] {
                    while s.pred[v as usize] != NONE {
                        let pe = s.pred[v as usize];
                        if seen.insert(pe) {
                            new_tree.push(pe);
                        }
                        v = g.other(pe, v);
                    }
                }
            }
            result = Some(new_tree);
        }
        for &e in removed_edges {
            s.emark[e as usize] = false;
        }
        for &v in &touched {
            s.dist[v as usize] = f64::INFINITY;
            s.pred[v as usize] = NONE;
            s.label[v as usize] = NONE;
        }
        for &v in removed_nodes {
            s.active[v as usize] = true;
            s.dist[v as usize] = 0.0;
        }
        result
    }
}

/// A piece of a tree after a removal: the subtree under a node, or everything outside it.
#[derive(Clone, Copy)]
enum Piece {
    Subtree(u32),
    Outside(u32),
}

/// Deterministic xorshift generator for cost perturbation (seeded by the restart number).
struct XorShift(u64);
impl XorShift {
    fn next_f64(&mut self) -> f64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        (x >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Multi-start SPH + local search + solution merging; returns the best tree found.
///
/// Stops early once a tree costs at most `proven_optimal_at` (a lower bound: such a tree is
/// optimal).
///
/// `guides` are (root, edge mask) pairs, e.g. the saturated edges of dual ascent: SPH restricted
/// to each mask gives extra starting trees.
pub fn improve(
    g: &Csr,
    terms: &[u32],
    guides: &[(u32, Vec<bool>)],
    proven_optimal_at: f64,
    budget: &dyn Budget,
) -> Improved {
    let mut is_term = vec![false; g.n];
    for &t in terms {
        is_term[t as usize] = true;
    }
    let mut sr = Search {
        g,
        is_term,
        s: Scratch::new(g.n, g.eu.len()),
        budget,
        out_of_time: false,
        proven: false,
        proven_at: proven_optimal_at,
        work: 0,
        cap: WORK_LIMIT / 8,
    };
    let m = g.eu.len().max(1);
    let t = terms.len();
    // Work plan: phases end on the deterministic work count, never on the clock.
    let n_roots = t.min(16);
    let n_ls = 3;
    let mut pool: Vec<(f64, Vec<u32>)> = Vec::new();
    let add = |pool: &mut Vec<(f64, Vec<u32>)>, tree: Vec<u32>| {
        let c = g.cost(&tree);
        if !pool.iter().any(|(_, t)| *t == tree) {
            pool.push((c, tree));
            pool.sort_by(|a, b| a.0.total_cmp(&b.0));
        }
    };
    // 1. SPH from evenly spread terminals.
    let mut starts: Vec<(f64, Vec<u32>)> = Vec::new();
    for i in 0..n_roots {
        if i > 0 && sr.stop() {
            break;
        }
        let root = terms[i * t / n_roots];
        let tree = sph(&mut sr.work, g, &g.ew, root, &sr.is_term, terms, &mut sr.s);
        let tree = sr.clean(&tree);
        let c = g.cost(&tree);
        if !starts.iter().any(|(_, x)| *x == tree) {
            starts.push((c, tree));
        }
    }
    for (root, mask) in guides {
        if sr.stop() {
            break;
        }
        let wg: Vec<f64> = (0..g.eu.len())
            .map(|e| if mask[e] { g.ew[e] } else { f64::INFINITY })
            .collect();
        let tree = sph(&mut sr.work, g, &wg, *root, &sr.is_term, terms, &mut sr.s);
        let nodes = nodes_of(g, &tree, &mut sr.s.mark2);
        let spans = terms.iter().all(|t| nodes.contains(t)) || terms.len() <= 1;
        if spans {
            let tree = sr.clean(&tree);
            let c = g.cost(&tree);
            if !starts.iter().any(|(_, x)| *x == tree) {
                starts.push((c, tree));
            }
        }
    }
    starts.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut best: Vec<u32> = starts[0].1.clone();
    sr.proven |= g.cost(&best) <= sr.proven_at;
    for (i, (_, tree)) in starts.into_iter().take(n_ls).enumerate() {
        // Each of these local searches may use a sixth of the work limit.
        sr.cap = sr.work.max(WORK_LIMIT / 8) + WORK_LIMIT / 6;
        if sr.stop() || (i > 0 && sr.work > WORK_LIMIT / 2) {
            break;
        }
        let tree = sr.local_search(tree);
        if g.cost(&tree) < g.cost(&best) {
            best = tree.clone();
        }
        sr.proven |= g.cost(&best) <= sr.proven_at;
        add(&mut pool, tree);
    }
    // 2. Perturbed restarts.
    let mut w = g.ew.clone();
    sr.cap = WORK_LIMIT * 9 / 10;
    for r in 0..MAX_RESTARTS {
        if sr.stop() {
            break;
        }
        let mut rng =
            XorShift(0x9E37_79B9_7F4A_7C15 ^ (r as u64 + 1).wrapping_mul(0x2545_F491_4F6C_DD1D));
        // Alternate mild and strong noise: mild stays near good trees, strong explores.
        let amp = [0.25, 0.5, 1.0][r % 3];
        for (e, we) in w.iter_mut().enumerate() {
            *we = g.ew[e] * (1.0 + amp * rng.next_f64());
        }
        if r % 2 == 1 {
            // Steer away from the best tree so the next one differs where it matters.
            for &e in &best {
                w[e as usize] *= 1.0 + rng.next_f64();
            }
        }
        let root = terms[(r * 7919) % t];
        let tree = sph(&mut sr.work, g, &w, root, &sr.is_term, terms, &mut sr.s);
        let tree = sr.clean(&tree);
        let tree = sr.local_search(tree);
        if g.cost(&tree) < g.cost(&best) {
            best = tree.clone();
        }
        sr.proven |= g.cost(&best) <= sr.proven_at;
        add(&mut pool, tree);
    }
    // 3. Solution merging: SPH restricted to the union of the best trees.
    if !sr.proven && !sr.out_of_time && pool.len() >= 2 {
        let mut wu = vec![f64::INFINITY; m];
        for (_, tr) in pool.iter().take(8) {
            for &e in tr {
                wu[e as usize] = g.ew[e as usize];
            }
        }
        sr.cap = sr.work.max(WORK_LIMIT * 9 / 10) + WORK_LIMIT / 10;
        for i in 0..n_roots.min(6) {
            if sr.stop() {
                break;
            }
            let root = terms[i * t / n_roots.min(6)];
            let tree = sph(&mut sr.work, g, &wu, root, &sr.is_term, terms, &mut sr.s);
            let tree = sr.clean(&tree);
            let tree = sr.local_search(tree);
            if g.cost(&tree) < g.cost(&best) {
                best = tree;
            }
        }
    }
    Improved {
        edges: best,
        budget_exhausted: sr.out_of_time,
    }
}

/// Work units (see `Search::work`) after which no new restart begins: ≈ 2–4 s in release.
const WORK_LIMIT: u64 = 100_000_000;
/// Upper limit on perturbed restarts (small instances stop here, or at a proven optimum).
const MAX_RESTARTS: usize = 300;
