//! Lower bound by dual ascent (Wong 1984) on the bidirected cut formulation.
//!
//! Every undirected edge becomes two arcs with the edge's cost. For a root terminal `r` and
//! any node set `W` holding a terminal but not `r`, some arc must enter `W`. Dual ascent keeps
//! reduced costs: it repeatedly takes the smallest set `W(t)` of nodes that reach an active
//! terminal `t` through zero-reduced-cost arcs, raises the bound by the cheapest reduced cost
//! of an arc entering `W(t)`, and lowers those arcs by that amount. A terminal stops being
//! active once the root or another *active* terminal reaches it through zero-reduced-cost
//! arcs: that terminal's own set is inside `W(t)`, and once it is reached from the root so is
//! `t` (reduced costs only fall). Every raise is a valid dual step, so stopping early (the budget)
//! still leaves a valid bound. The sum of raises is a lower bound on the optimal tree cost.

use super::heuristic::Csr;
use crate::budget::Budget;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Dual-ascent lower bound on the cost of any Steiner tree of `g` spanning `terms` (local ids).
///
/// Runs the ascent with up to `roots` different root terminals (evenly spread) and returns the
/// best bound; each run is a valid bound on its own.
pub fn dual_ascent(g: &Csr, terms: &[u32], roots: usize, budget: &dyn Budget) -> f64 {
    dual_ascent_with_guides(g, terms, roots, budget).0
}

/// [`dual_ascent`], also returning for each run (its root, the edges with a saturated arc):
/// the terminals are connected through those edges, a good place to look for a cheap tree.
pub fn dual_ascent_with_guides(
    g: &Csr,
    terms: &[u32],
    roots: usize,
    budget: &dyn Budget,
) -> (f64, Vec<(u32, Vec<bool>)>) {
    let mut guides = Vec::new();
    if terms.len() <= 1 {
        return (0.0, guides);
    }
    let k = roots.clamp(1, terms.len().max(1));
    let mut best = 0.0f64;
    for i in 0..k {
        if i > 0 && budget.exhausted() {
            break;
        }
        let r = i * terms.len() / k;
        let mut order: Vec<u32> = Vec::with_capacity(terms.len());
        order.push(terms[r]);
        order.extend(terms.iter().copied().filter(|&t| t != terms[r]));
        let (lb, rc) = dual_ascent_rooted(g, &order, budget);
        best = best.max(lb);
        let saturated = (0..g.eu.len())
            .map(|e| rc[2 * e] == 0.0 || rc[2 * e + 1] == 0.0)
            .collect();
        guides.push((terms[r], saturated));
    }
    (best, guides)
}

/// One dual ascent with root `terms[0]`.
fn dual_ascent_rooted(g: &Csr, terms: &[u32], budget: &dyn Budget) -> (f64, Vec<f64>) {
    let m = g.eu.len();
    let maxw = g.ew.iter().copied().fold(0.0f64, f64::max);
    let tol = 1e-12 * maxw.max(1.0);
    // Arc 2e is eu→ev, 2e+1 is ev→eu.
    let mut rc: Vec<f64> = Vec::with_capacity(2 * m);
    for &w in &g.ew {
        rc.push(w);
        rc.push(w);
    }
    let root = terms[0];
    let mut is_term = vec![false; g.n];
    for &t in terms {
        is_term[t as usize] = true;
    }
    // Active: still raised. A terminal stops when the root or another active terminal reaches it.
    let mut active = is_term.clone();
    active[root as usize] = false;
    let mut iterations = 0usize;
    let mut stamp = vec![0u32; g.n];
    let mut cur = 0u32;
    let mut heap: BinaryHeap<Reverse<(usize, u32)>> =
        terms[1..].iter().map(|&t| Reverse((1, t))).collect();
    let mut lb = 0.0;
    let mut comp: Vec<u32> = Vec::new();
    let mut entering: Vec<usize> = Vec::new();
    while let Some(Reverse((_, t))) = heap.pop() {
        iterations += 1;
        if iterations.is_multiple_of(64) && budget.exhausted() {
            break;
        }
        cur += 1;
        comp.clear();
        comp.push(t);
        stamp[t as usize] = cur;
        let mut i = 0;
        let mut reaches_root = false;
        while i < comp.len() {
            let w = comp[i];
            i += 1;
            for (u, e) in g.adj(w) {
                let arc = if g.eu[e as usize] == u {
                    2 * e as usize
                } else {
                    2 * e as usize + 1
                };
                if rc[arc] <= tol && stamp[u as usize] != cur {
                    stamp[u as usize] = cur;
                    if u == root || (is_term[u as usize] && active[u as usize]) {
                        reaches_root = true;
                        break;
                    }
                    comp.push(u);
                }
            }
            if reaches_root {
                break;
            }
        }
        if reaches_root {
            active[t as usize] = false;
            continue;
        }
        if let Some(&Reverse((next, _))) = heap.peek()
            && comp.len() > next
        {
            heap.push(Reverse((comp.len(), t)));
            continue;
        }
        entering.clear();
        let mut delta = f64::INFINITY;
        for &w in &comp {
            for (u, e) in g.adj(w) {
                if stamp[u as usize] != cur {
                    let arc = if g.eu[e as usize] == u {
                        2 * e as usize
                    } else {
                        2 * e as usize + 1
                    };
                    entering.push(arc);
                    if rc[arc] < delta {
                        delta = rc[arc];
                    }
                }
            }
        }
        if !delta.is_finite() {
            break; // no arc enters: the root is unreachable (cannot happen for checked input)
        }
        lb += delta;
        for &a in &entering {
            rc[a] -= delta;
            if rc[a] <= tol {
                rc[a] = 0.0;
            }
        }
        heap.push(Reverse((comp.len(), t)));
    }
    (lb, rc)
}
