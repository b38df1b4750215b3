//! Transparent estimates of missing populations.

use crate::{Population, Settlement, SettlementKind};
use std::collections::HashMap;

/// One population estimate made by [`estimate_missing_population`].
#[derive(Debug, Clone, PartialEq)]
pub struct PopulationEstimate {
    /// Index of the settlement in the slice given.
    pub index: usize,
    /// Estimated people.
    pub people: u32,
    /// How: the group it was drawn from and its size, e.g. `median of 41 village in region 110000000`.
    pub method: String,
}

fn median(v: &mut [u32]) -> u32 {
    v.sort_unstable();
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        ((u64::from(v[n / 2 - 1]) + u64::from(v[n / 2])) / 2) as u32
    }
}

/// Fills in missing populations transparently from comparable settlements.
///
/// For a settlement without a reported population, the estimate is the median reported
/// population of settlements of the same kind in the same region, when that group has at least
/// `min_group` reported figures; otherwise the median of the same kind nationwide (again with at
/// least `min_group` figures); otherwise no estimate is made. Medians, not means, so that a few
/// large places do not inflate the estimate for hamlets. Only reported figures
/// (`estimated == false`) are used as evidence, so running it twice changes nothing. Every
/// estimate is flagged `estimated` and names its method in `source`.
pub fn estimate_missing_population(
    settlements: &mut [Settlement],
    min_group: usize,
) -> Vec<PopulationEstimate> {
    let mut by_region: HashMap<(Option<&str>, SettlementKind), Vec<u32>> = HashMap::new();
    let mut by_kind: HashMap<SettlementKind, Vec<u32>> = HashMap::new();
    for s in settlements.iter() {
        if let Some(p) = s.population.as_ref().filter(|p| !p.estimated) {
            by_region
                .entry((s.region_code.as_deref(), s.kind))
                .or_default()
                .push(p.people);
            by_kind.entry(s.kind).or_default().push(p.people);
        }
    }
    let min_group = min_group.max(1);
    let region_medians: HashMap<(Option<String>, SettlementKind), (u32, usize)> = by_region
        .into_iter()
        .filter(|(_, v)| v.len() >= min_group)
        .map(|((r, k), mut v)| ((r.map(str::to_string), k), (median(&mut v), v.len())))
        .collect();
    let kind_medians: HashMap<SettlementKind, (u32, usize)> = by_kind
        .into_iter()
        .filter(|(_, v)| v.len() >= min_group)
        .map(|(k, mut v)| (k, (median(&mut v), v.len())))
        .collect();

    let mut out = Vec::new();
    for (index, s) in settlements.iter_mut().enumerate() {
        if s.population.as_ref().is_some_and(|p| !p.estimated) {
            continue;
        }
        let kind = s.kind.as_str();
        let est = match region_medians.get(&(s.region_code.clone(), s.kind)) {
            Some(&(m, n)) => Some((
                m,
                format!(
                    "median of {n} {kind} in region {}",
                    s.region_code.as_deref().unwrap_or("-")
                ),
            )),
            None => kind_medians
                .get(&s.kind)
                .map(|&(m, n)| (m, format!("median of {n} {kind} nationwide"))),
        };
        match est {
            Some((people, method)) => {
                s.population = Some(Population {
                    people,
                    year: None,
                    source: format!("estimate: {method}"),
                    estimated: true,
                });
                out.push(PopulationEstimate {
                    index,
                    people,
                    method,
                });
            }
            None => s.population = None,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Id, LonLat, Names};

    fn s(region: &str, kind: SettlementKind, people: Option<u32>) -> Settlement {
        Settlement {
            id: Id::new(format!("{region}{kind:?}{people:?}")),
            official_code: None,
            names: Names::default(),
            location: LonLat::new(70.0, 50.0).unwrap(),
            kind,
            population: people.map(|people| Population {
                people,
                year: None,
                source: "osm".into(),
                estimated: false,
            }),
            region_code: Some(region.into()),
            district_code: None,
        }
    }

    #[test]
    fn region_median_then_national_then_none() {
        use SettlementKind::*;
        let mut v = vec![
            s("A", Village, Some(100)),
            s("A", Village, Some(300)),
            s("A", Village, Some(200)),
            s("A", Village, None),
            s("B", Village, Some(1000)),
            s("B", Village, None), // B has 1 figure < 2: national median of 4 = (200+300)/2
            s("A", Hamlet, None),  // no hamlet figures anywhere
        ];
        let est = estimate_missing_population(&mut v, 2);
        assert_eq!(est.len(), 2);
        assert_eq!(v[3].population.as_ref().unwrap().people, 200);
        assert!(v[3].population.as_ref().unwrap().estimated);
        assert_eq!(v[5].population.as_ref().unwrap().people, 250);
        assert!(est[1].method.contains("nationwide"), "{}", est[1].method);
        assert!(v[6].population.is_none());
        // Idempotent: estimates are not evidence.
        let again = estimate_missing_population(&mut v, 2);
        assert_eq!(again, est);
    }
}
