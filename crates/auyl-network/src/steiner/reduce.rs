//! Graph reductions that shrink an instance while keeping an optimal solution.
//!
//! - self-loops are dropped, and of parallel edges only the cheapest is kept;
//! - a non-terminal of degree ≤ 1 is deleted (it is never needed);
//! - a terminal of degree 1 forces its edge: the edge is *fixed* (added to every solution) and
//!   its neighbour becomes a terminal;
//! - a non-terminal of degree 2 is contracted: its two edges become one (remembering both
//!   original edges), keeping the cheaper edge if the two neighbours were already joined;
//! - least-cost test: an edge `(u, v, c)` is deleted when another `u`–`v` path costs at most `c`
//!   (two-hop paths on every graph, a bounded Dijkstra on sparse ones); any tree using the edge
//!   can swap it for the path.
//!
//! Every step keeps an optimal solution of the reduced graph plus the fixed edges optimal for
//! the original, so a lower bound for the reduced graph plus the fixed cost is a lower bound for
//! the original.

use super::Item;
use super::SteinerInstance;
use std::collections::BinaryHeap;

/// The reduced instance: original node numbering, merged edges, fixed edges.
#[derive(Debug, Clone)]
pub struct Reduced {
    /// Number of nodes of the original instance.
    pub node_count: usize,
    /// Remaining edges `(u, v, cost)` in original node numbering.
    pub edges: Vec<(usize, usize, f64)>,
    /// For each remaining edge, the original edges it stands for (a contracted path).
    pub edge_orig: Vec<Vec<usize>>,
    /// Original edges that every solution of the reduced graph must be joined with.
    pub fixed: Vec<usize>,
    /// Remaining terminals (original numbering, ascending).
    pub terminals: Vec<usize>,
}

struct Work {
    adj: Vec<Vec<u32>>,
    eu: Vec<u32>,
    ev: Vec<u32>,
    ew: Vec<f64>,
    alive: Vec<bool>,
    orig: Vec<Vec<usize>>,
    is_term: Vec<bool>,
    nterms: usize,
    fixed: Vec<usize>,
}

impl Work {
    fn other(&self, e: u32, v: u32) -> u32 {
        if self.eu[e as usize] == v {
            self.ev[e as usize]
        } else {
            self.eu[e as usize]
        }
    }
    fn compact(&mut self, v: u32) {
        let alive = &self.alive;
        self.adj[v as usize].retain(|&e| alive[e as usize]);
    }
    fn add_edge(&mut self, u: u32, v: u32, w: f64, orig: Vec<usize>) -> u32 {
        let id = self.eu.len() as u32;
        self.eu.push(u);
        self.ev.push(v);
        self.ew.push(w);
        self.alive.push(true);
        self.orig.push(orig);
        self.adj[u as usize].push(id);
        self.adj[v as usize].push(id);
        id
    }
    fn find_edge(&mut self, a: u32, b: u32) -> Option<u32> {
        self.compact(a);
        self.adj[a as usize]
            .iter()
            .copied()
            .find(|&e| self.other(e, a) == b)
    }

    /// Degree-based reductions until nothing changes; `stack` holds nodes to look at.
    fn degree_reductions(&mut self, mut stack: Vec<u32>) {
        while let Some(v) = stack.pop() {
            self.compact(v);
            let deg = self.adj[v as usize].len();
            let vi = v as usize;
            if !self.is_term[vi] {
                if deg == 1 {
                    let e = self.adj[vi][0];
                    self.alive[e as usize] = false;
                    stack.push(self.other(e, v));
                    self.adj[vi].clear();
                } else if deg == 2 {
                    let (e1, e2) = (self.adj[vi][0], self.adj[vi][1]);
                    let (a, b) = (self.other(e1, v), self.other(e2, v));
                    self.alive[e1 as usize] = false;
                    self.alive[e2 as usize] = false;
                    self.adj[vi].clear();
                    if a != b {
                        let w = self.ew[e1 as usize] + self.ew[e2 as usize];
                        match self.find_edge(a, b) {
                            Some(x) if self.ew[x as usize] <= w => {}
                            other => {
                                if let Some(x) = other {
                                    self.alive[x as usize] = false;
                                }
                                let mut o = self.orig[e1 as usize].clone();
                                o.extend_from_slice(&self.orig[e2 as usize]);
                                self.add_edge(a, b, w, o);
                            }
                        }
                    }
                    stack.push(a);
                    stack.push(b);
                }
            } else if deg == 1 && self.nterms > 1 {
                let e = self.adj[vi][0];
                let x = self.other(e, v);
                self.fixed.extend_from_slice(&self.orig[e as usize]);
                self.alive[e as usize] = false;
                self.adj[vi].clear();
                self.is_term[vi] = false;
                if self.is_term[x as usize] {
                    self.nterms -= 1;
                } else {
                    self.is_term[x as usize] = true;
                }
                stack.push(x);
            }
        }
    }

    /// Two-hop least-cost test: edge `(u, v)` goes when some `u–x–v` costs at most as much.
    /// Linear in the degrees, so cheap on dense graphs.
    fn two_hop_test(&mut self, via: &mut [f64]) -> Vec<u32> {
        let mut changed = Vec::new();
        for e in 0..self.eu.len() {
            if !self.alive[e] {
                continue;
            }
            let (u, v, w) = (self.eu[e], self.ev[e], self.ew[e]);
            self.compact(u);
            self.compact(v);
            for &f in &self.adj[u as usize] {
                if f as usize != e {
                    let x = self.other(f, u);
                    via[x as usize] = via[x as usize].min(self.ew[f as usize]);
                }
            }
            let mut found = false;
            for &f in &self.adj[v as usize] {
                if f as usize != e && self.alive[f as usize] {
                    let x = self.other(f, v);
                    if x != u && via[x as usize] + self.ew[f as usize] <= w {
                        found = true;
                        break;
                    }
                }
            }
            for &f in &self.adj[u as usize] {
                via[self.other(f, u) as usize] = f64::INFINITY;
            }
            if found {
                self.alive[e] = false;
                changed.push(u);
                changed.push(v);
            }
        }
        changed
    }

    /// Least-cost test on every live edge; returns the nodes whose degree changed.
    fn least_cost_test(&mut self, dist: &mut [f64], touched: &mut Vec<u32>) -> Vec<u32> {
        const MAX_POPS: usize = 64;
        let mut changed = Vec::new();
        let mut heap = BinaryHeap::new();
        for e in 0..self.eu.len() {
            if !self.alive[e] {
                continue;
            }
            let (s, t, bound) = (self.eu[e], self.ev[e], self.ew[e]);
            heap.clear();
            dist[s as usize] = 0.0;
            touched.push(s);
            heap.push(Item(0.0, s));
            let mut pops = 0;
            let mut found = false;
            while let Some(Item(d, v)) = heap.pop() {
                if d > dist[v as usize] {
                    continue;
                }
                if v == t {
                    found = d <= bound;
                    break;
                }
                pops += 1;
                if pops > MAX_POPS {
                    break;
                }
                for &f in &self.adj[v as usize] {
                    if f as usize == e || !self.alive[f as usize] {
                        continue;
                    }
                    let x = self.other(f, v);
                    let nd = d + self.ew[f as usize];
                    if nd <= bound && nd < dist[x as usize] {
                        if dist[x as usize].is_infinite() {
                            touched.push(x);
                        }
                        dist[x as usize] = nd;
                        heap.push(Item(nd, x));
                    }
                }
            }
            for &x in touched.iter() {
                dist[x as usize] = f64::INFINITY;
            }
            touched.clear();
            if found {
                self.alive[e] = false;
                changed.push(s);
                changed.push(t);
            }
        }
        changed
    }
}

impl Reduced {
    /// Reduces `instance` (already checked) whose distinct terminals are `terms`.
    pub fn new(instance: &SteinerInstance, terms: &[usize]) -> Reduced {
        let n = instance.node_count;
        let mut w = Work {
            adj: vec![Vec::new(); n],
            eu: Vec::new(),
            ev: Vec::new(),
            ew: Vec::new(),
            alive: Vec::new(),
            orig: Vec::new(),
            is_term: vec![false; n],
            nterms: terms.len(),
            fixed: Vec::new(),
        };
        for &t in terms {
            w.is_term[t] = true;
        }
        // Keep the cheapest of parallel edges (ties: lowest index), drop self-loops.
        let mut order: Vec<usize> = (0..instance.edges.len())
            .filter(|&i| instance.edges[i].u != instance.edges[i].v)
            .collect();
        let key = |i: usize| {
            let e = &instance.edges[i];
            (e.u.min(e.v), e.u.max(e.v))
        };
        order.sort_by(|&a, &b| {
            key(a)
                .cmp(&key(b))
                .then(instance.edges[a].cost.total_cmp(&instance.edges[b].cost))
                .then(a.cmp(&b))
        });
        let mut last = None;
        for i in order {
            let k = key(i);
            if last == Some(k) {
                continue;
            }
            last = Some(k);
            w.add_edge(k.0 as u32, k.1 as u32, instance.edges[i].cost, vec![i]);
        }
        let mut dist = vec![f64::INFINITY; n];
        let mut touched = Vec::new();
        w.degree_reductions((0..n as u32).rev().collect());
        for _round in 0..4 {
            if w.nterms <= 1 {
                break;
            }
            let live = w.alive.iter().filter(|&&a| a).count();
            let mut changed = w.two_hop_test(&mut dist);
            if live <= 4 * n {
                // Sparse: a bounded Dijkstra per edge is affordable and finds longer detours.
                w.degree_reductions(std::mem::take(&mut changed));
                changed = w.least_cost_test(&mut dist, &mut touched);
            }
            if changed.is_empty() {
                break;
            }
            w.degree_reductions(changed);
        }
        let mut edges = Vec::new();
        let mut edge_orig = Vec::new();
        for e in 0..w.eu.len() {
            if w.alive[e] {
                edges.push((w.eu[e] as usize, w.ev[e] as usize, w.ew[e]));
                edge_orig.push(std::mem::take(&mut w.orig[e]));
            }
        }
        let terminals: Vec<usize> = (0..n).filter(|&v| w.is_term[v]).collect();
        if terminals.len() <= 1 {
            edges.clear();
            edge_orig.clear();
        }
        Reduced {
            node_count: n,
            edges,
            edge_orig,
            fixed: w.fixed,
            terminals,
        }
    }

    /// (nodes with an edge, edges, terminals) after reduction.
    pub fn size(&self) -> (usize, usize, usize) {
        let mut used = vec![false; self.node_count];
        for &(u, v, _) in &self.edges {
            used[u] = true;
            used[v] = true;
        }
        (
            used.iter().filter(|&&b| b).count(),
            self.edges.len(),
            self.terminals.len(),
        )
    }

    /// The terminals in the local numbering of `g` (built by [`super::heuristic::Csr::from_reduced`]).
    pub fn terminals_local(&self, g: &super::heuristic::Csr) -> Vec<u32> {
        self.terminals
            .iter()
            .filter_map(|&t| g.local_of(t))
            .collect()
    }
}
