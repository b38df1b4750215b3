//! The cached analysis against brute force (remove each element, search from the core) on random
//! networks: what each element cuts off (whole and restricted to part of the settlements), which
//! failures cut each settlement off, who is at risk, and the report summary's totals.
#![allow(clippy::unwrap_used, clippy::expect_used)]
// tests: a panic is the report
// Element indices address several parallel tables (model, brute force, analysis) at once.
#![allow(clippy::needless_range_loop)]

mod common;
use auyl_resilience::{Analysis, NetworkModel, Role};
use common::{Spec, build};
use proptest::prelude::*;
use std::collections::{BTreeSet, VecDeque};

fn spec() -> impl Strategy<Value = Spec> {
    common::spec(common::Bounds {
        nodes: 2..30,
        cores: 1..3,
        settlement_weight: 0.6,
        people: 1..1000,
        supplies: 0..5,
    })
}

/// Nodes reached from the working cores with `down` elements failed (plain search, no index).
fn reached(m: &NetworkModel, down: &BTreeSet<usize>) -> Vec<bool> {
    let els = m.elements();
    let mut seen = vec![false; els.len()];
    let mut q: VecDeque<usize> = VecDeque::new();
    for (i, e) in els.iter().enumerate() {
        if e.core && e.kind.role() == Role::Node && !down.contains(&i) {
            seen[i] = true;
            q.push_back(i);
        }
    }
    while let Some(v) = q.pop_front() {
        for (l, e) in els.iter().enumerate() {
            let Some((a, b)) = e.ends else { continue };
            if down.contains(&l) {
                continue;
            }
            for (x, y) in [(a, b), (b, a)] {
                if x == v && !down.contains(&y) && !seen[y] {
                    seen[y] = true;
                    q.push_back(y);
                }
            }
        }
    }
    seen
}

/// The settlements element `x` cuts off (a supply: with everything it feeds), by brute force.
fn brute_cut(m: &NetworkModel, x: usize) -> BTreeSet<usize> {
    let els = m.elements();
    let base = reached(m, &BTreeSet::new());
    let down: BTreeSet<usize> = if els[x].kind.role() == Role::Power {
        (0..els.len())
            .filter(|&v| els[v].power == Some(x))
            .collect()
    } else {
        BTreeSet::from([x])
    };
    let after = reached(m, &down);
    (0..els.len())
        .filter(|&v| els[v].demand.is_some() && base[v] && !after[v])
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn cut_sets_and_restricted_counts_equal_brute_force(s in spec(), parity in 0usize..2) {
        let m = build(&s);
        let a = Analysis::new(m.clone());
        let keep = |v: usize| v % 2 == parity;
        let restricted = a.impacts_where(&keep);
        for x in 0..m.len() {
            let want = brute_cut(&m, x);
            let got: BTreeSet<usize> = a.cut_off_by(x).into_iter().collect();
            prop_assert_eq!(&got, &want, "element {}", x);
            let people = |set: &BTreeSet<usize>| set.iter().map(|&v| m.elements()[v].people()).sum::<u64>();
            prop_assert_eq!(a.cut(x), (want.len() as u64, people(&want)));
            let kept: BTreeSet<usize> = want.iter().copied().filter(|&v| keep(v)).collect();
            prop_assert_eq!(restricted[x], (kept.len() as u64, people(&kept)), "element {} restricted", x);
        }
    }

    #[test]
    fn failures_of_a_settlement_and_its_risk_equal_brute_force(s in spec()) {
        let m = build(&s);
        let a = Analysis::new(m.clone());
        let base = reached(&m, &BTreeSet::new());
        let cuts: Vec<BTreeSet<usize>> = (0..m.len()).map(|x| brute_cut(&m, x)).collect();
        for v in 0..m.len() {
            if m.elements()[v].demand.is_none() || !base[v] {
                prop_assert!(a.failures_cutting(v).is_empty());
                prop_assert!(a.settlement_risk(v).is_none());
                continue;
            }
            let want: BTreeSet<usize> = (0..m.len()).filter(|&x| x != v && cuts[x].contains(&v)).collect();
            let got = a.failures_cutting(v);
            prop_assert_eq!(got.iter().copied().collect::<BTreeSet<_>>(), want.clone(), "settlement {}", v);
            // Most people cut off first.
            prop_assert!(got.windows(2).all(|w| a.cut(w[0]).1 >= a.cut(w[1]).1));
            let r = a.settlement_risk(v).unwrap();
            prop_assert_eq!(r.at_risk, !want.is_empty());
            let shared = want.iter().any(|&x| cuts[x].len() >= 2);
            prop_assert_eq!(r.shared, shared, "settlement {}", v);
            let worst = want.iter().map(|&x| a.cut(x).1).max();
            prop_assert_eq!(r.worst.map(|w| w.1), worst);
            if let Some((x, p)) = r.worst {
                prop_assert!(want.contains(&x));
                prop_assert_eq!(a.cut(x).1, p);
            }
        }
    }

    #[test]
    fn the_summary_adds_up(s in spec()) {
        let m = build(&s);
        let a = Analysis::new(m.clone());
        // Two "regions": even and odd element indices.
        let sum = a.risk_summary("t@1", &|id| {
            let i: usize = id[1..].parse().unwrap();
            Some(if i.is_multiple_of(2) { "even" } else { "odd" }.to_string())
        }, 5);
        let (mut rs, mut rp, mut ns, mut np) = (0, 0, 0, 0);
        for v in 0..m.len() {
            if let Some(r) = a.settlement_risk(v) {
                let p = m.elements()[v].people();
                if r.at_risk { rs += 1; rp += p; }
                if r.shared { ns += 1; np += p; }
            }
        }
        prop_assert_eq!((sum.settlements_at_risk, sum.people_at_risk), (rs, rp));
        prop_assert_eq!((sum.settlements_at_risk_shared, sum.people_at_risk_shared), (ns, np));
        prop_assert_eq!(sum.by_region.iter().map(|r| r.people_at_risk).sum::<u64>(), rp);
        prop_assert_eq!(
            sum.by_region.iter().map(|r| r.settlements).sum::<u64>(),
            sum.settlements - sum.unreachable_settlements
        );
        prop_assert!(sum.worst.len() <= 5);
        prop_assert!(sum.worst.windows(2).all(|w| w[0].people >= w[1].people));
        // No settlement's own access node, failing alone, counts as a single point of failure.
        for w in &sum.worst {
            let e = m.find(&w.id).unwrap();
            prop_assert!(!(m.elements()[e].demand.is_some() && w.settlements == 1));
        }
        prop_assert_eq!(sum.single_points as usize, a.single_points().count());
        for r in &sum.by_region {
            if let Some((id, people)) = &r.worst {
                // The region's worst failure cuts off that many of the region's people.
                let e = m.find(id).unwrap();
                let region_people: u64 = a.cut_off_by(e).into_iter()
                    .filter(|&v| (v % 2 == 0) == (r.region_code == "even"))
                    .map(|v| m.elements()[v].people()).sum();
                prop_assert_eq!(region_people, *people);
            }
        }
    }
}
