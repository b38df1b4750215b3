//! One network analysed once, asked many questions: what each element's failure cuts off
//! (counted over all settlements or over a caller's part only), which settlements it cuts off,
//! which single failures cut a settlement off and the worst of them, who is at risk, and the
//! summary a report shows.
//!
//! Built from the dominator tree of [`crate::spof`] plus, for each power supply feeding several
//! nodes, the settlements its failure cuts off (one search each, kept). Everything else is a walk
//! over the tree: a restricted count is one bottom-up pass, the single failures of a settlement
//! are its strict dominators and the supplies that take one of them (or it) down.

use crate::model::{Adjacency, NetworkModel, Role};
use crate::spof::{self, Cut, DominatorTree, SpofReport};
use auyl_model::{RegionRisk, RiskElement, RiskSummary};
use std::collections::{BTreeMap, HashMap};

/// What single failures do to one settlement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SettlementRisk {
    /// Some single failure other than its own access node cuts it off (its own last-mile link
    /// or supply included).
    pub at_risk: bool,
    /// A failure that also cuts off other settlements does (a PoP, a fibre, a mast, a relay, a
    /// supply feeding several nodes): a shared single point of failure, not just its own last mile.
    pub shared: bool,
    /// The failure among those cutting most people off (element index), and how many.
    pub worst: Option<(usize, u64)>,
}

/// A network with its dominator tree and single-failure impacts (see the module docs).
#[derive(Debug, Clone)]
pub struct Analysis {
    model: NetworkModel,
    adj: Adjacency,
    tree: DominatorTree,
    cuts: Vec<Cut>,
    report: SpofReport,
    /// Supplies feeding several nodes: the settlements their failure cuts off (ascending).
    group_cuts: HashMap<u32, Vec<u32>>,
    /// Per element (settlement access nodes only): what single failures do to it.
    risk: Vec<Option<SettlementRisk>>,
}

impl Analysis {
    /// Analyses `model`.
    pub fn new(model: NetworkModel) -> Analysis {
        let adj = model.adjacency();
        let tree = DominatorTree::from_adjacency(&model, &adj);
        let group_cuts = spof::group_cut_sets(&model, &adj, &tree);
        let mut cuts = spof::subtree_cuts(&model, &tree, &|_| true);
        supply_cuts(&model, &adj, &group_cuts, &mut cuts, &|_| true);
        let report = spof::report(&model, &tree, cuts.clone(), &adj);
        let mut a = Analysis {
            model,
            adj,
            tree,
            cuts,
            report,
            group_cuts,
            risk: Vec::new(),
        };
        a.risk = a.settlement_risks();
        a
    }

    /// The network.
    pub fn model(&self) -> &NetworkModel {
        &self.model
    }

    /// Its dominator tree.
    pub fn tree(&self) -> &DominatorTree {
        &self.tree
    }

    /// Every element's impact, ranked (as [`crate::single_failures`] gives it).
    pub fn report(&self) -> &SpofReport {
        &self.report
    }

    /// The single points of failure, ranked: elements cutting someone off other than just
    /// themselves (a settlement's own access node failing cuts off only that settlement and is
    /// not one).
    pub fn single_points(&self) -> impl Iterator<Item = &crate::Impact> {
        self.report
            .single_points()
            .filter(|i| !is_own(&self.model, i.element, &(i.settlements, i.people)))
    }

    /// Settlements and people element `e` cuts off (zeros for an index outside the model).
    pub fn cut(&self, e: usize) -> Cut {
        self.cuts.get(e).copied().unwrap_or((0, 0))
    }

    /// For a power supply feeding something: the shortest battery among the nodes it feeds
    /// (hours before anybody is cut off); `None` for nodes, links and idle supplies.
    pub fn after_h(&self, e: usize) -> Option<f64> {
        let el = self.model.elements().get(e)?;
        if el.kind.role() != Role::Power || self.adj.fed[e].is_empty() {
            return None;
        }
        Some(
            self.adj.fed[e]
                .iter()
                .map(|&v| self.model.elements()[v as usize].battery_h)
                .fold(f64::INFINITY, f64::min),
        )
    }

    /// Every element's impact counting only the settlements (access node indices) `keep`
    /// accepts: an akimat's region, an operator's settlements. Indexed by element.
    pub fn impacts_where(&self, keep: &dyn Fn(usize) -> bool) -> Vec<Cut> {
        let mut cuts = spof::subtree_cuts(&self.model, &self.tree, keep);
        supply_cuts(&self.model, &self.adj, &self.group_cuts, &mut cuts, keep);
        cuts
    }

    /// The settlements (access node indices) element `e` cuts off, as [`Analysis::cut`] counts
    /// them.
    pub fn cut_off_by(&self, e: usize) -> Vec<usize> {
        let Some(el) = self.model.elements().get(e) else {
            return Vec::new();
        };
        let settlements_under = |v: usize| -> Vec<usize> {
            self.tree
                .subtree(v)
                .iter()
                .map(|&x| x as usize)
                .filter(|&x| x < self.model.len() && self.model.elements()[x].demand.is_some())
                .collect()
        };
        if el.kind.role() != Role::Power {
            return settlements_under(e);
        }
        match self.adj.fed[e].as_slice() {
            [] => Vec::new(),
            [one] => settlements_under(*one as usize),
            _ => self
                .group_cuts
                .get(&(e as u32))
                .map_or_else(Vec::new, |s| s.iter().map(|&x| x as usize).collect()),
        }
    }

    /// The elements whose failure alone cuts settlement access node `s` off (its strict
    /// dominators, and the supplies taking it or one of them down), most people cut off first.
    /// Empty when `s` is not a settlement reached by the intact network.
    pub fn failures_cutting(&self, s: usize) -> Vec<usize> {
        if !self.is_reached_settlement(s) {
            return Vec::new();
        }
        let mut out = self.tree.strict_dominators(s);
        for v in std::iter::once(s).chain(self.tree.strict_dominators(s)) {
            if let Some(p) = self.single_supply(v) {
                out.push(p);
            }
        }
        for (&p, set) in &self.group_cuts {
            if set.binary_search(&(s as u32)).is_ok() {
                out.push(p as usize);
            }
        }
        out.sort_by(|&a, &b| self.rank(a).cmp(&self.rank(b)));
        out.dedup();
        out
    }

    /// Order of failures cutting the same settlement: most people, then most settlements, then
    /// nodes and links before the supplies that take them down (the same people), then id.
    fn rank(&self, e: usize) -> (std::cmp::Reverse<u64>, std::cmp::Reverse<u64>, bool, &str) {
        let el = &self.model.elements()[e];
        (
            std::cmp::Reverse(self.cuts[e].1),
            std::cmp::Reverse(self.cuts[e].0),
            el.kind.role() == Role::Power,
            el.id.as_str(),
        )
    }

    /// What single failures do to settlement access node `s` (`None`: not a settlement reached
    /// by the intact network).
    pub fn settlement_risk(&self, s: usize) -> Option<SettlementRisk> {
        self.risk.get(s).copied().flatten()
    }

    fn is_reached_settlement(&self, s: usize) -> bool {
        s < self.model.len() && self.model.elements()[s].demand.is_some() && self.tree.reachable(s)
    }

    /// The supply of node `v` when it feeds `v` alone.
    fn single_supply(&self, v: usize) -> Option<usize> {
        let p = self.model.elements()[v].power?;
        (self.adj.fed[p].len() == 1).then_some(p)
    }

    /// Risk of every settlement: a top-down pass carrying the worst strict dominator and whether
    /// a single-fed supply lies on the chain, then the group supplies.
    fn settlement_risks(&self) -> Vec<Option<SettlementRisk>> {
        let n = self.model.len();
        let root = self.tree.root();
        let better = |a: Option<(usize, u64)>, b: Option<(usize, u64)>| match (a, b) {
            (None, x) | (x, None) => x,
            (Some(x), Some(y)) => Some(if self.rank(y.0) < self.rank(x.0) {
                y
            } else {
                x
            }),
        };
        // chain[v]: over the strict dominators d of v (not the root): the worst of d and of d's
        // single-fed supply, and whether any such supply exists.
        let mut chain: Vec<(Option<(usize, u64)>, bool)> = vec![(None, false); n + 1];
        for &v in self.tree.subtree(root) {
            let v = v as usize;
            if v == root {
                continue;
            }
            let Some(d) = self.tree.immediate_dominator(v) else {
                continue;
            };
            if d == root {
                continue;
            }
            let (worst_d, sup_d) = chain[d];
            let mut w = better(worst_d, Some((d, self.cuts[d].1)));
            let mut sup = sup_d;
            if let Some(p) = self.single_supply_of_node(d) {
                w = better(w, Some((p, self.cuts[p].1)));
                sup = true;
            }
            chain[v] = (w, sup);
        }
        let mut out: Vec<Option<SettlementRisk>> = vec![None; n];
        for s in 0..n {
            if !self.is_reached_settlement(s) {
                continue;
            }
            let (mut worst, mut power) = chain[s];
            if let Some(p) = self.single_supply(s) {
                worst = better(worst, Some((p, self.cuts[p].1)));
                power = true;
            }
            let network = self.tree.immediate_dominator(s) != Some(root);
            out[s] = Some(SettlementRisk {
                at_risk: network || power,
                shared: false,
                worst,
            });
        }
        for (&p, set) in &self.group_cuts {
            let p = p as usize;
            for &s in set {
                if let Some(r) = out[s as usize].as_mut() {
                    r.at_risk = true;
                    r.worst = better(r.worst, Some((p, self.cuts[p].1)));
                }
            }
        }
        // A shared failure cuts off this settlement's people and more (or as many, and more
        // settlements), so it is the worst if there is one.
        for r in out.iter_mut().flatten() {
            r.shared = r.worst.is_some_and(|(e, _)| self.cuts[e].0 >= 2);
        }
        out
    }

    fn single_supply_of_node(&self, v: usize) -> Option<usize> {
        if v >= self.model.len() || self.model.elements()[v].kind.role() != Role::Node {
            return None;
        }
        self.single_supply(v)
    }

    /// The figures a report shows: totals, the `top` worst single points of failure with the
    /// regions they cut off, and settlements and people at risk by region. `region_of` gives a
    /// settlement's region code from its id.
    pub fn risk_summary(
        &self,
        plan: &str,
        region_of: &dyn Fn(&str) -> Option<String>,
        top: usize,
    ) -> RiskSummary {
        let els = self.model.elements();
        let region: Vec<Option<String>> = els
            .iter()
            .map(|e| {
                e.demand
                    .as_ref()
                    .map(|d| region_of(d.settlement_id.as_str()).unwrap_or_default())
            })
            .collect();
        let worst = self
            .single_points()
            .take(top)
            .map(|i| {
                let mut by: BTreeMap<&str, u64> = BTreeMap::new();
                for s in self.cut_off_by(i.element) {
                    if let Some(r) = &region[s] {
                        *by.entry(r.as_str()).or_default() += els[s].people();
                    }
                }
                let mut regions: Vec<(&str, u64)> = by.into_iter().collect();
                regions.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
                RiskElement {
                    id: i.id.clone(),
                    kind: i.kind.as_str().to_string(),
                    settlements: i.settlements,
                    people: i.people,
                    regions: regions.into_iter().map(|(r, _)| r.to_string()).collect(),
                    after_h: i.min_battery_h.filter(|h| h.is_finite()),
                    assumed: els[i.element].assumed,
                }
            })
            .collect();
        let mut by_region: BTreeMap<String, RegionRisk> = BTreeMap::new();
        let mut totals = (0u64, 0u64, 0u64, 0u64);
        for (s, e) in els.iter().enumerate() {
            let (Some(r), Some(risk)) = (&region[s], self.settlement_risk(s)) else {
                continue;
            };
            let row = by_region.entry(r.clone()).or_insert_with(|| RegionRisk {
                region_code: r.clone(),
                settlements: 0,
                people: 0,
                settlements_at_risk: 0,
                people_at_risk: 0,
                settlements_at_risk_shared: 0,
                people_at_risk_shared: 0,
                worst: None,
            });
            row.settlements += 1;
            row.people += e.people();
            if risk.at_risk {
                row.settlements_at_risk += 1;
                row.people_at_risk += e.people();
                totals.0 += 1;
                totals.1 += e.people();
            }
            if risk.shared {
                row.settlements_at_risk_shared += 1;
                row.people_at_risk_shared += e.people();
                totals.2 += 1;
                totals.3 += e.people();
            }
        }
        for row in by_region.values_mut() {
            let code = row.region_code.clone();
            let cuts = self.impacts_where(&|s| region[s].as_deref() == Some(code.as_str()));
            row.worst = cuts
                .iter()
                .enumerate()
                .filter(|(e, c)| c.1 > 0 && !is_own(&self.model, *e, c))
                .min_by(|a, b| {
                    let key = |(e, c): &(usize, &Cut)| {
                        (
                            std::cmp::Reverse(c.1),
                            std::cmp::Reverse(c.0),
                            els[*e].kind.role() == Role::Power,
                            els[*e].id.as_str(),
                        )
                    };
                    key(a).cmp(&key(b))
                })
                .map(|(e, c)| (els[e].id.clone(), c.1));
        }
        let mut by_region: Vec<RegionRisk> = by_region.into_values().collect();
        by_region.sort_by(|a, b| {
            b.people_at_risk
                .cmp(&a.people_at_risk)
                .then(a.region_code.cmp(&b.region_code))
        });
        RiskSummary {
            plan: plan.to_string(),
            settlements: self.report.total_settlements,
            people: self.report.total_people,
            unreachable_settlements: self.report.unreachable_settlements,
            unreachable_people: self.report.unreachable_people,
            single_points: self.single_points().count() as u64,
            settlements_at_risk: totals.0,
            people_at_risk: totals.1,
            settlements_at_risk_shared: totals.2,
            people_at_risk_shared: totals.3,
            worst,
            by_region,
            assumptions: self.model.assumptions.clone(),
        }
    }
}

/// True when element `e` cuts off only itself (a settlement's own access node).
fn is_own(model: &NetworkModel, e: usize, c: &Cut) -> bool {
    c.0 == 1 && model.elements()[e].demand.is_some()
}

/// Fills in supplies: one node fed → that node's figure; several → count over its cut set.
fn supply_cuts(
    model: &NetworkModel,
    adj: &Adjacency,
    group_cuts: &HashMap<u32, Vec<u32>>,
    cuts: &mut [Cut],
    keep: &dyn Fn(usize) -> bool,
) {
    for (p, e) in model.elements().iter().enumerate() {
        if e.kind.role() != Role::Power {
            continue;
        }
        cuts[p] = match adj.fed[p].as_slice() {
            [] => (0, 0),
            [one] => cuts[*one as usize],
            _ => group_cuts.get(&(p as u32)).map_or((0, 0), |set| {
                set.iter()
                    .map(|&s| s as usize)
                    .filter(|&s| keep(s))
                    .fold((0, 0), |acc, s| {
                        (acc.0 + 1, acc.1 + model.elements()[s].people())
                    })
            }),
        };
    }
}
