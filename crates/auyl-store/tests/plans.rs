//! Plans as versioned scenarios on both backends: a saved plan loads back equal, a second save
//! is the next version, selectors find them, and a failed save leaves nothing behind.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the report

use auyl_model::{
    Backhaul, Id, LonLat, Plan, PlanTotals, PlannedHop, PlannedRoute, PlannedSite, PowerSupply,
    SettlementPlan, SiteStatus, Technology, Unserved,
};
use auyl_store::{Error, PlanMeta, Store};
use auyl_testkit::both_backends;
use geo_types::LineString;
use std::collections::BTreeMap;

fn settlement(i: usize, tech: Technology) -> SettlementPlan {
    SettlementPlan {
        settlement_id: Id::new(format!("osm:n{i}")),
        technology: tech,
        people: 100 + i as u64,
        demand_mbps: 12.5,
        capacity_mbps: 100.0,
        site_id: (tech == Technology::Lte).then(|| Id::new("site:1")),
        route_id: (tech == Technology::Fibre).then(|| Id::new("route:1")),
        hop_ids: vec![],
        operator_id: Some(Id::new("kazakhtelecom")),
        akimat_id: Some(Id::new("akimat:11")),
        needs_land: tech == Technology::Lte,
        needs_power: false,
        year: 2026 + (i % 2) as i32,
        capex_usd: 1000.0 * i as f64 + 0.25,
        opex_usd_per_year: 10.0,
        reason: format!("runner-up satellite at ${i}"),
        assumptions: vec!["PoP assumed at the district centre".into()],
    }
}

/// A plan with every kind of element; `n` settlements (enough to need several statements).
fn sample(n: usize) -> Plan {
    let p = |lon, lat| LonLat::new(lon, lat).unwrap();
    Plan {
        scenario: "central".into(),
        mode: "min_cost".into(),
        base_year: 2026,
        settlements: (0..n)
            .map(|i| {
                settlement(
                    i,
                    if i % 3 == 0 {
                        Technology::Lte
                    } else {
                        Technology::Fibre
                    },
                )
            })
            .collect(),
        unserved: vec![Unserved {
            settlement_id: Id::new("osm:n999999"),
            people: 12,
            reason: "no option within the budget".into(),
        }],
        sites: vec![PlannedSite {
            id: Id::new("site:1"),
            location: p(71.5, 51.1),
            height_m: 40.0,
            ground_m: 350.0,
            status: SiteStatus::New,
            technology: Technology::Lte,
            power: PowerSupply::SolarBattery { battery_h: 48.0 },
            backhaul: Backhaul::Microwave {
                hop_ids: vec![Id::new("hop:1")],
            },
            serves: vec![Id::new("osm:n0"), Id::new("osm:n3")],
            operator_id: Some(Id::new("beeline")),
            capex_usd: 150_000.0,
            opex_usd_per_year: 7_400.0,
            year: 2026,
        }],
        routes: vec![PlannedRoute {
            id: Id::new("route:1"),
            from_node_id: Id::new("pop:1"),
            geometry: LineString::from(vec![(71.4, 51.0), (71.45, 51.05), (71.5, 51.1)]),
            length_m_by_class: BTreeMap::from([
                ("trench_paved".to_string(), 8_000.5),
                ("last_mile_approx".to_string(), 1_200.0),
            ]),
            approximated_m: 1_200.0,
            serves: vec![Id::new("osm:n1")],
            operator_id: Some(Id::new("kazakhtelecom")),
            capex_usd: 80_000.0,
            year: 2026,
        }],
        hops: vec![PlannedHop {
            id: Id::new("hop:1"),
            a: p(71.5, 51.1),
            b: p(71.6, 51.2),
            heights_m: (40.0, 30.0),
            distance_m: 13_000.0,
            clearance_pct_f1: 82.5,
            freq_mhz: 7_000.0,
            capex_usd: 30_000.0,
            year: 2026,
        }],
        totals: PlanTotals {
            settlements_by_technology: BTreeMap::from([("fibre".into(), 2), ("lte".into(), 1)]),
            capex_usd: 1e6,
            npc_usd: 1.5e6,
            gap: Some(0.004),
            greedy_npc_usd: Some(1.7e6),
            method: "highs MIP by region".into(),
            ..PlanTotals::default()
        },
        assumptions: vec!["backbone PoPs assumed at district centres".into()],
    }
}

fn meta() -> PlanMeta<'static> {
    PlanMeta {
        created_at: "2026-11-25T03:00:00Z",
        created_by: Some("analyst"),
        scenario_text: Some("name = \"central\"\n"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn plans_round_trip_and_version_on_both_backends() {
    for db in both_backends().await {
        let store = Store::open(&db.url).await.unwrap();
        assert!(
            matches!(store.find_plan("latest").await, Err(Error::NotFound { .. })),
            "{}",
            db.backend
        );
        // 2,500 rows: more than one multi-row statement.
        let plan = sample(2_500);
        let r1 = store.save_plan(&plan, &meta()).await.unwrap();
        assert_eq!((r1.scenario.as_str(), r1.version), ("central", 1));
        let mut back = store.load_plan(&r1).await.unwrap();
        let mut want = plan.clone();
        want.settlements
            .sort_by(|a, b| a.settlement_id.cmp(&b.settlement_id));
        back.settlements
            .sort_by(|a, b| a.settlement_id.cmp(&b.settlement_id));
        assert_eq!(back, want, "{}", db.backend);

        let mut second = sample(3);
        second.settlements[1].technology = Technology::Satellite;
        let r2 = store.save_plan(&second, &meta()).await.unwrap();
        assert_eq!(r2.version, 2, "{}", db.backend);
        assert_eq!(store.find_plan("latest").await.unwrap().id, r2.id);
        assert_eq!(store.find_plan("central").await.unwrap().id, r2.id);
        assert_eq!(store.find_plan("central@1").await.unwrap().id, r1.id);
        assert_eq!(store.find_plan(&r1.id.to_string()).await.unwrap().id, r1.id);
        let err = store.find_plan("central@7").await.unwrap_err().to_string();
        assert!(
            err.contains("central@1") && err.contains("central@2"),
            "{err}"
        );
        assert_eq!(store.plans().await.unwrap().len(), 2);
        assert_eq!(
            store.plan_scenario_text(&r1).await.unwrap().as_deref(),
            Some("name = \"central\"\n")
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_save_leaves_nothing_on_both_backends() {
    for db in both_backends().await {
        let store = Store::open(&db.url).await.unwrap();
        let mut plan = sample(10);
        // The same settlement twice violates the primary key half-way through the save.
        plan.settlements.push(plan.settlements[4].clone());
        assert!(
            store.save_plan(&plan, &meta()).await.is_err(),
            "{}",
            db.backend
        );
        assert!(store.plans().await.unwrap().is_empty(), "{}", db.backend);
        let n: i64 = sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM plan_settlements")
            .fetch_one(store.pool())
            .await
            .unwrap();
        assert_eq!(n, 0, "{}", db.backend);
    }
}
