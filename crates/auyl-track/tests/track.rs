//! Tracking on a small real plan (tests/fixtures/plan_small.json): works, edits, audit, KPIs,
//! forecasts and the simulation; property tests for the rules that must hold for any input.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the report

use auyl_model::{Id, Plan};
use auyl_track::*;
use proptest::prelude::*;
use std::collections::HashMap;
use time::{Date, Month};

fn plan() -> Plan {
    serde_json::from_str(include_str!("fixtures/plan_small.json")).unwrap()
}

fn region(id: &Id) -> Option<String> {
    // The registry's region of each fixture settlement (data/demo/settlements.csv).
    let akmola = ["osm:n3234576060", "osm:n2599328505"];
    Some(
        if akmola.contains(&id.as_str()) {
            "110000000"
        } else {
            "100000000"
        }
        .into(),
    )
}

fn gen_() -> Generated {
    generate(&plan(), &Durations::default(), &region).unwrap()
}

fn day(y: i32, m: u8, d: u8) -> Date {
    Date::from_calendar_date(y, Month::try_from(m).unwrap(), d).unwrap()
}

fn ctx(on: Date) -> EditContext {
    EditContext {
        who: "tester".into(),
        at: format!("{}T09:00:00Z", format_date(on)),
        on,
    }
}

fn by_id(works: &[Work]) -> HashMap<String, &Work> {
    works.iter().map(|w| (w.id.to_string(), w)).collect()
}

#[test]
fn works_follow_each_option() {
    let plan = plan();
    let g = gen_();
    let w = by_id(&g.works);
    assert_eq!(g.settlements.len(), plan.settlements.len());
    for sp in &plan.settlements {
        let mine: Vec<&Work> = g
            .works
            .iter()
            .filter(|w| w.settlement_ids.contains(&sp.settlement_id))
            .collect();
        let has = |k: WorkKind| mine.iter().any(|w| w.kind == k);
        assert_eq!(
            has(WorkKind::LandAllotment),
            sp.needs_land,
            "{}",
            sp.settlement_id
        );
        assert_eq!(
            has(WorkKind::PowerConnection),
            sp.needs_power,
            "{}",
            sp.settlement_id
        );
        assert!(
            has(WorkKind::EquipmentInstallation)
                && has(WorkKind::Commissioning)
                && has(WorkKind::Acceptance)
        );
        assert_eq!(
            has(WorkKind::FibreLine),
            sp.route_id.is_some() || sp.technology == auyl_model::Technology::Fibre
        );
        for x in &mine {
            let expected = if x.kind.is_akimat_work() {
                sp.akimat_id.clone()
            } else {
                sp.operator_id.clone()
            };
            assert_eq!(Some(x.responsible_id.clone()), expected, "{}", x.id);
            assert!(x.planned_start.year() >= sp.year);
        }
    }
    // The new mast is shared by the two villages it serves, and waits for land and power.
    let mast = w["site:abay-1/mast_construction"];
    assert_eq!(mast.settlement_ids.len(), 2);
    assert!(
        mast.depends_on
            .contains(&Id::new("site:abay-1/land_allotment"))
    );
    assert!(
        mast.depends_on
            .contains(&Id::new("site:abay-1/power_connection"))
    );
    // The existing mast and the satellite terminal need no construction.
    assert!(!w.contains_key("site:mast:akm-77/mast_construction"));
    assert!(!w.contains_key("settlement:osm:n6423672314/mast_construction"));
    // Dependants start after their dependencies finish; each work's id is unique.
    for x in &g.works {
        for d in &x.depends_on {
            assert!(
                w[d.as_str()].planned_finish <= x.planned_start,
                "{} after {}",
                x.id,
                d
            );
        }
    }
    assert_eq!(w.len(), g.works.len());
    // Fibre duration grows with the route length (11 km vs 14 km of trench).
    let f1 = w["route:abay-r1/fibre_line"];
    let f2 = w["route:abay-r2/fibre_line"];
    assert!(f1.planned_finish - f1.planned_start > f2.planned_finish - f2.planned_start);
    // The target date is the commissioning's planned finish.
    for s in &g.settlements {
        assert_eq!(
            s.target_date,
            w[commissioning_id(&s.settlement_id).as_str()].planned_finish
        );
    }
}

#[test]
fn missing_organisations_are_named() {
    let mut p = plan();
    p.settlements[2].operator_id = None;
    let e = generate(&p, &Durations::default(), &region).unwrap_err();
    assert!(
        matches!(e, Error::NoOperator { ref settlement_id } if settlement_id.as_str() == "osm:n534085218")
    );
    let mut p = plan();
    p.settlements[5].akimat_id = None;
    let e = generate(&p, &Durations::default(), &region).unwrap_err();
    assert!(
        matches!(
            e,
            Error::NoAkimat {
                kind: WorkKind::LandAllotment,
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn workflow_versions_and_dependencies() {
    let g = gen_();
    let mut l = Ledger::new(g.works.clone());
    let c = ctx(day(2026, 4, 10));
    let mast = Id::new("site:abay-1/mast_construction");
    let land = Id::new("site:abay-1/land_allotment");
    let power = Id::new("site:abay-1/power_connection");
    // The mast cannot start before land and power are done.
    let e = l
        .apply(&WorkUpdate::status(mast.clone(), 1, Status::InProgress), &c)
        .unwrap_err();
    assert!(
        matches!(e, Error::DependencyNotFinished { ref depends_on, .. } if *depends_on == land || *depends_on == power),
        "{e}"
    );
    // Planned cannot jump to done.
    let e = l
        .apply(&WorkUpdate::status(land.clone(), 1, Status::Done), &c)
        .unwrap_err();
    assert!(matches!(
        e,
        Error::Transition {
            from: Status::Planned,
            to: Status::Done,
            ..
        }
    ));
    // Blocked needs a blocker.
    let e = l
        .apply(&WorkUpdate::status(land.clone(), 1, Status::Blocked), &c)
        .unwrap_err();
    assert!(matches!(e, Error::Blocker { .. }));
    let mut u = WorkUpdate::status(land.clone(), 1, Status::Blocked);
    u.blocker = Some(Blocker {
        reason: BlockerReason::Land,
        who_must_act: Id::new("akimat:100000000"),
        since: c.on,
        note: "plot under dispute".into(),
    });
    let a = l.apply(&u, &c).unwrap();
    assert_eq!(a.work.version, 2);
    assert_eq!(
        a.changes
            .iter()
            .map(|c| c.field.as_str())
            .collect::<Vec<_>>(),
        ["status", "blocker"]
    );
    // A stale edit (made from version 1) is a conflict naming both versions.
    let e = l
        .apply(&WorkUpdate::status(land.clone(), 1, Status::InProgress), &c)
        .unwrap_err();
    assert_eq!(
        e,
        Error::Conflict {
            work_id: land.clone(),
            expected: 1,
            actual: 2
        }
    );
    // Unblocking clears the blocker and starts the work on the edit's day.
    let a = l
        .apply(&WorkUpdate::status(land.clone(), 2, Status::InProgress), &c)
        .unwrap();
    assert_eq!(
        (a.work.blocker.clone(), a.work.actual_start),
        (None, Some(c.on))
    );
    // An edit that changes nothing keeps the version and logs nothing.
    let a = l
        .apply(&WorkUpdate::status(land.clone(), 3, Status::InProgress), &c)
        .unwrap();
    assert_eq!((a.work.version, a.changes.len()), (3, 0));
    // Finish before start is refused.
    let mut u = WorkUpdate::status(land.clone(), 3, Status::Done);
    u.actual_finish = Some(day(2026, 4, 1));
    assert!(matches!(l.apply(&u, &c).unwrap_err(), Error::Dates { .. }));
    // Accepted is final.
    l.apply(&WorkUpdate::status(land.clone(), 3, Status::Done), &c)
        .unwrap();
    l.apply(&WorkUpdate::status(land.clone(), 4, Status::Accepted), &c)
        .unwrap();
    let e = l
        .apply(&WorkUpdate::status(land.clone(), 5, Status::InProgress), &c)
        .unwrap_err();
    assert!(matches!(
        e,
        Error::Transition {
            from: Status::Accepted,
            ..
        }
    ));
}

#[test]
fn batch_is_all_or_nothing_and_sees_earlier_rows() {
    let g = gen_();
    let mut l = Ledger::new(g.works.clone());
    let c = ctx(day(2026, 5, 1));
    let land = Id::new("site:abay-1/land_allotment");
    let power = Id::new("site:abay-1/power_connection");
    let mast = Id::new("site:abay-1/mast_construction");
    let ok = [
        WorkUpdate::status(land.clone(), 1, Status::InProgress),
        WorkUpdate::status(land.clone(), 2, Status::Done),
        WorkUpdate::status(power.clone(), 1, Status::InProgress),
        WorkUpdate::status(power.clone(), 2, Status::Done),
        WorkUpdate::status(mast.clone(), 1, Status::InProgress),
    ];
    let mut bad = ok.to_vec();
    bad.push(WorkUpdate::status(Id::new("nope"), 1, Status::Done));
    let before: Vec<Work> = l.works().cloned().collect();
    let e = l.apply_batch(&bad, &c).unwrap_err();
    assert!(matches!(e, Error::Batch { index: 5, .. }), "{e}");
    assert_eq!(
        l.works().cloned().collect::<Vec<_>>(),
        before,
        "a failed batch changes nothing"
    );
    let applied = l.apply_batch(&ok, &c).unwrap();
    assert_eq!(applied.len(), 5);
    assert_eq!(l.get(&mast).unwrap().status, Status::InProgress);
}

fn chain_of(n: usize) -> Vec<AuditEntry> {
    let mut h = ChainHead::default();
    (0..n)
        .map(|i| {
            h.append(
                &format!("2026-05-{:02}T10:00:00Z", i % 28 + 1),
                "op",
                &format!("w{i}"),
                "status",
                "planned",
                "in_progress",
            )
        })
        .collect()
}

#[test]
fn audit_chain_detects_each_kind_of_tampering() {
    let log = chain_of(6);
    let head = verify_chain(&log, None).unwrap();
    assert_eq!(head.seq, 6);
    assert_eq!(head.hash, log[5].hash);
    let mut t = log.clone();
    t[3].new = "done".into();
    assert_eq!(
        verify_chain(&t, None).unwrap_err(),
        ChainBreak {
            seq: 4,
            kind: BreakKind::ContentChanged
        }
    );
    let mut t = log.clone();
    t.remove(2);
    assert_eq!(
        verify_chain(&t, None).unwrap_err(),
        ChainBreak {
            seq: 3,
            kind: BreakKind::SequenceGap
        }
    );
    let mut t = log.clone();
    t.swap(1, 2);
    assert_eq!(verify_chain(&t, None).unwrap_err().seq, 2);
    // Rewriting an entry and rehashing it still breaks the next link.
    let mut t = log.clone();
    t[2].who = "intruder".into();
    t[2].hash = entry_hash(
        &t[2].prev_hash,
        3,
        [
            &t[2].at,
            &t[2].who,
            &t[2].entity,
            &t[2].field,
            &t[2].old,
            &t[2].new,
        ],
    );
    assert_eq!(
        verify_chain(&t, None).unwrap_err(),
        ChainBreak {
            seq: 4,
            kind: BreakKind::BrokenLink
        }
    );
    // Cutting entries off the end is caught against a published head.
    assert_eq!(
        verify_chain(&log[..4], Some(&head)).unwrap_err().kind,
        BreakKind::Truncated
    );
    assert!(
        verify_chain(
            &log,
            Some(&ChainHead {
                seq: 3,
                hash: log[2].hash.clone()
            })
        )
        .is_ok()
    );
}

#[test]
fn kpis_blockers_and_burn_up() {
    let g = gen_();
    let mut l = Ledger::new(g.works.clone());
    let c = ctx(day(2026, 4, 2));
    let block = |id: &str, v, who: &str, since| {
        let mut u = WorkUpdate::status(Id::new(id), v, Status::Blocked);
        u.blocker = Some(Blocker {
            reason: BlockerReason::Electricity,
            who_must_act: Id::new(who),
            since,
            note: String::new(),
        });
        u
    };
    l.apply(
        &block(
            "site:abay-1/power_connection",
            1,
            "akimat:100000000",
            day(2026, 4, 2),
        ),
        &c,
    )
    .unwrap();
    l.apply(
        &block(
            "settlement:osm:n6423672314/power_connection",
            1,
            "akimat:100000000",
            day(2026, 3, 20),
        ),
        &c,
    )
    .unwrap();
    // Connect the existing-mast village: equipment, commissioning.
    let eq = Id::new("site:mast:akm-77/equipment_installation");
    let cm = commissioning_id(&Id::new("osm:n3234576060"));
    for (id, v, s) in [
        (&eq, 1, Status::InProgress),
        (&eq, 2, Status::Done),
        (&cm, 1, Status::InProgress),
        (&cm, 2, Status::Done),
    ] {
        l.apply(
            &WorkUpdate::status(id.clone(), v, s),
            &ctx(day(2026, 4, 20)),
        )
        .unwrap();
    }
    let works: Vec<Work> = l.into_works();
    let as_of = day(2026, 9, 1);
    let k = compute_kpis(&g.settlements, &works, as_of);
    assert_eq!(k.total.settlements_planned, 6);
    assert_eq!(k.total.settlements_connected, 1);
    assert_eq!(k.total.people_connected, 333);
    assert_eq!(k.by_region["110000000"].settlements_connected, 1);
    assert_eq!(k.by_operator["beeline_kz"].people_connected, 333);
    assert_eq!(
        k.by_region.values().map(|p| p.people_planned).sum::<u64>(),
        k.total.people_planned
    );
    // Everything due by September 2026 except the connected village is late.
    let due_2026 = g
        .settlements
        .iter()
        .filter(|s| s.target_date <= as_of)
        .count() as u64;
    assert_eq!(k.total.settlements_due, due_2026);
    assert!(
        k.overdue
            .iter()
            .all(|o| o.planned_finish < as_of && !o.status.is_finished())
    );
    assert!(
        k.overdue
            .windows(2)
            .all(|w| w[0].days_late >= w[1].days_late)
    );
    // Both blockers wait on the Abay akimat, the older first.
    assert_eq!(k.waiting.len(), 1);
    assert_eq!(k.waiting[0].who_must_act.as_str(), "akimat:100000000");
    assert_eq!(
        k.waiting[0]
            .works
            .iter()
            .map(|w| w.since)
            .collect::<Vec<_>>(),
        [day(2026, 3, 20), day(2026, 4, 2)]
    );
    assert_eq!(
        k.waiting[0].works[0].days_waiting,
        (as_of - day(2026, 3, 20)).whole_days()
    );
    let b = burn_up(&g.settlements, &works, day(2026, 4, 1), as_of);
    assert_eq!(b.last().unwrap().week_end, as_of);
    assert_eq!(b.last().unwrap().connected, 1);
    assert!(
        b.windows(2)
            .all(|w| w[0].planned <= w[1].planned && w[0].connected <= w[1].connected)
    );
}

#[test]
fn forecast_with_a_steady_pace_is_exact() {
    let as_of = day(2026, 6, 1);
    let f = forecast(&[5, 5, 5, 5], 23, as_of, &ForecastParams::default());
    // 23 settlements at 5 a week: 5 weeks, whatever the draws.
    let five = as_of + time::Duration::weeks(5);
    assert_eq!((f.p10, f.p50, f.p90), (Some(five), Some(five), Some(five)));
    let none = forecast(&[0, 0, 0], 10, as_of, &ForecastParams::default());
    assert_eq!(none.p50, None);
    let done = forecast(&[], 0, as_of, &ForecastParams::default());
    assert_eq!(done.p90, Some(as_of));
}

#[test]
fn simulated_year_is_seeded_labelled_and_replays() {
    let g = gen_();
    let p = SimParams::year_from(day(2026, 3, 2), 42);
    let a = simulate(&g.works, &p).unwrap();
    let b = simulate(&g.works, &p).unwrap();
    assert_eq!(a, b, "same seed, same history");
    assert!(!a.edits.is_empty());
    assert!(
        a.edits.iter().all(|e| e.ctx.who == SIMULATED_USER
            && e.update.comment.as_deref() == Some(SIMULATED_COMMENT))
    );
    let c = simulate(&g.works, &SimParams { seed: 43, ..p }).unwrap();
    assert_ne!(a.edits, c.edits);
    // Replaying the edits through a ledger (as the store does) gives the same end state.
    let mut l = Ledger::new(g.works.clone());
    let mut head = ChainHead::default();
    let mut log = Vec::new();
    for e in &a.edits {
        let applied = l.apply(&e.update, &e.ctx).unwrap();
        log.extend(head.append_changes(&e.ctx, &applied.changes));
    }
    let mut end = a.works.clone();
    end.sort_by(|x, y| x.id.cmp(&y.id));
    assert_eq!(l.into_works(), end);
    assert_eq!(verify_chain(&log, Some(&head)).unwrap(), head);
    let k = compute_kpis(&g.settlements, &a.works, day(2027, 3, 1));
    assert!(
        k.total.settlements_connected > 0,
        "a year of simulated work connects someone"
    );
    let o = outlooks(
        &g.settlements,
        &a.works,
        day(2026, 12, 1),
        &ForecastParams::default(),
    );
    assert_eq!(o[0].region_code, "*");
    assert_eq!(o.len(), 3);
}

fn arb_status() -> impl Strategy<Value = Status> {
    prop::sample::select(Status::ALL.to_vec())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Any sequence of edits keeps the invariants: blocked exactly when a blocker is set,
    /// versions count the effective edits, finish never before start, and the audit of the
    /// changes verifies.
    #[test]
    fn any_edit_sequence_keeps_invariants(edits in prop::collection::vec((0usize..40, arb_status(), any::<bool>(), 0i64..3), 0..120)) {
        let g = gen_();
        let ids: Vec<Id> = g.works.iter().map(|w| w.id.clone()).collect();
        let mut l = Ledger::new(g.works.clone());
        let mut head = ChainHead::default();
        let mut log = Vec::new();
        let mut effective: HashMap<Id, i64> = HashMap::new();
        for (i, (pick, status, with_blocker, stale)) in edits.into_iter().enumerate() {
            let id = &ids[pick % ids.len()];
            let w = l.get(id).unwrap().clone();
            let mut u = WorkUpdate::status(id.clone(), w.version - stale, status);
            if with_blocker {
                u.blocker = Some(Blocker { reason: BlockerReason::Permits, who_must_act: w.responsible_id.clone(), since: day(2026, 4, 1), note: String::new() });
            }
            let c = ctx(day(2026, 4, 1) + time::Duration::days(i as i64));
            match l.apply(&u, &c) {
                Ok(a) => {
                    prop_assert_eq!(stale, 0);
                    if !a.changes.is_empty() { *effective.entry(id.clone()).or_default() += 1; }
                    log.extend(head.append_changes(&c, &a.changes));
                }
                Err(Error::Conflict { expected, actual, .. }) => { prop_assert!(stale > 0); prop_assert_eq!(expected + stale, actual); }
                Err(_) => {}
            }
        }
        for w in l.works() {
            prop_assert_eq!(w.status == Status::Blocked, w.blocker.is_some());
            prop_assert_eq!(w.version, 1 + effective.get(&w.id).copied().unwrap_or(0));
            if let (Some(s), Some(f)) = (w.actual_start, w.actual_finish) { prop_assert!(s <= f); }
            if w.status.is_finished() { prop_assert!(w.actual_finish.is_some()); }
        }
        prop_assert!(verify_chain(&log, Some(&head)).is_ok());
    }

    /// Changing any field of any entry is caught at that entry.
    #[test]
    fn any_tampered_entry_is_pinpointed(n in 1usize..40, at in 0usize..40, field in 0usize..6) {
        let mut log = chain_of(n);
        let i = at % n;
        let e = &mut log[i];
        match field {
            0 => e.at.push('x'),
            1 => e.who.push('x'),
            2 => e.entity.push('x'),
            3 => e.field.push('x'),
            4 => e.old.push('x'),
            _ => e.new.push('x'),
        }
        prop_assert_eq!(verify_chain(&log, None).unwrap_err(), ChainBreak { seq: i as i64 + 1, kind: BreakKind::ContentChanged });
    }

    /// The band is ordered and no faster than the best observed week allows.
    #[test]
    fn forecast_band_is_ordered(history in prop::collection::vec(0u32..30, 1..20), remaining in 1u64..500, seed in any::<u64>()) {
        let as_of = day(2026, 6, 1);
        let p = ForecastParams { runs: 300, seed, ..ForecastParams::default() };
        let f = forecast(&history, remaining, as_of, &p);
        if history.iter().any(|&x| x > 0) {
            let (a, b, c) = (f.p10.unwrap(), f.p50.unwrap(), f.p90.unwrap());
            prop_assert!(a <= b && b <= c && a > as_of);
            // No future can beat the best week every week.
            let best = u64::from(*history.iter().max().unwrap());
            let fastest = as_of + time::Duration::weeks(remaining.div_ceil(best) as i64);
            prop_assert!(a >= fastest);
        } else {
            prop_assert_eq!(f.p50, None);
        }
    }
}
