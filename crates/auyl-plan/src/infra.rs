//! Existing infrastructure the plan starts from, and the documented assumption used when the
//! registry has none.
//!
//! Kazakhstan publishes no open data on existing fibre or masts. When the registry holds no
//! backbone node, [`assume_pops`] places a fibre point of presence (PoP) at every district
//! centre and regional centre, taken as the largest settlement of the district (region): the
//! highest-ranked kind (city, town, village, …) and then the largest population. Kazakhtelecom's
//! network reaches every district centre, which is why the programme's fibre extends from there;
//! the exact sites are not published, so every node made here has `assumed = true`, and every
//! settlement served from one carries the assumption. Importing real backbone nodes replaces it.

use auyl_model::{BackboneNode, Id, NodeKind, Settlement, SettlementKind};
use std::collections::BTreeMap;

/// Rank of a kind for choosing a centre: lower is more central.
fn kind_rank(k: SettlementKind) -> u8 {
    match k {
        SettlementKind::City => 0,
        SettlementKind::Town => 1,
        SettlementKind::Village => 2,
        SettlementKind::Hamlet => 3,
        SettlementKind::IsolatedDwelling => 5,
        _ => 4,
    }
}

/// The assumed backbone: one PoP per district centre and regional centre (deduplicated).
///
/// `operator_id` is recorded as the node's operator. Returns the nodes (ids `assumed-pop:<settlement
/// id>`, sorted by id) and one assumption sentence for the plan.
pub fn assume_pops(settlements: &[Settlement], operator_id: &str) -> (Vec<BackboneNode>, String) {
    let better = |a: &Settlement, b: &Settlement| {
        let pa = a.population.as_ref().map_or(0, |p| p.people);
        let pb = b.population.as_ref().map_or(0, |p| p.people);
        (kind_rank(a.kind), std::cmp::Reverse(pa), &a.id)
            < (kind_rank(b.kind), std::cmp::Reverse(pb), &b.id)
    };
    let mut by_district: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    let mut by_region: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, s) in settlements.iter().enumerate() {
        if let Some(r) = s.region_code.as_deref() {
            let slot = by_region.entry(r).or_insert(i);
            if better(s, &settlements[*slot]) {
                *slot = i;
            }
            if let Some(d) = s.district_code.as_deref() {
                let slot = by_district.entry((r, d)).or_insert(i);
                if better(s, &settlements[*slot]) {
                    *slot = i;
                }
            }
        }
    }
    let mut chosen: Vec<usize> = by_district
        .values()
        .chain(by_region.values())
        .copied()
        .collect();
    chosen.sort_unstable();
    chosen.dedup();
    let mut nodes: Vec<BackboneNode> = chosen
        .iter()
        .map(|&i| {
            let s = &settlements[i];
            BackboneNode {
                id: Id::new(format!("assumed-pop:{}", s.id.as_str())),
                names: s.names.clone(),
                kind: NodeKind::Pop,
                location: s.location,
                operator_id: Some(Id::new(operator_id)),
                assumed: true,
            }
        })
        .collect();
    nodes.sort_by(|a, b| a.id.cmp(&b.id));
    let note = format!(
        "backbone assumed: no backbone nodes in the registry, so a fibre PoP of {operator_id} is \
         assumed at each of {} district centres and {} regional centres ({} distinct places; the \
         largest settlement of each area by kind, then population); import real backbone nodes \
         to replace it",
        by_district.len(),
        by_region.len(),
        nodes.len()
    );
    (nodes, note)
}
