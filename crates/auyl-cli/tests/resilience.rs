//! `auyl resilience …` end to end on the real demo registry (regions, districts, settlements,
//! power plants) with a small assumed backbone: one core at Astana, PoPs at Karaganda and
//! Pavlodar joined by fibre, and a plan adding a fibre ring.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the report

mod common;
use auyl_model::{Id, Plan, PlanTotals, PlannedRoute};
use auyl_testkit::{TestDb, sqlite_db};
use common::{auyl, demo_file, ok_json};
use serde_json::{Value, json};

const NODES: &str = "id,name,kind,lon,lat,assumed
core:astana,Astana,core,71.4460,51.1801,true
pop:karaganda,Karaganda,pop,73.1022,49.8047,true
pop:pavlodar,Pavlodar,pop,76.9674,52.2873,true
";

const FIBRE: &str = r#"{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"id":"f:ast-kar","assumed":true},"geometry":{"type":"LineString","coordinates":[[71.4460,51.1801],[72.3,50.5],[73.1022,49.8047]]}},
{"type":"Feature","properties":{"id":"f:ast-pav","assumed":true},"geometry":{"type":"LineString","coordinates":[[71.4460,51.1801],[74.2,51.8],[76.9674,52.2873]]}}
]}"#;

fn setup() -> (TestDb, tempfile::TempDir) {
    let db = sqlite_db();
    for (layer, f) in [
        ("regions", "regions.geojson"),
        ("districts", "districts.geojson"),
        ("settlements", "settlements.csv"),
        ("power", "power.csv"),
        ("roads", "roads.geojson"),
    ] {
        ok_json(&db, &["import", layer, &demo_file(f)]);
    }
    let dir = tempfile::tempdir().unwrap();
    let nodes = dir.path().join("nodes.csv");
    std::fs::write(&nodes, NODES).unwrap();
    ok_json(&db, &["import", "backbone_nodes", nodes.to_str().unwrap()]);
    let fibre = dir.path().join("fibre.geojson");
    std::fs::write(&fibre, FIBRE).unwrap();
    ok_json(&db, &["import", "fibre_routes", fibre.to_str().unwrap()]);
    (db, dir)
}

fn impact<'a>(r: &'a Value, id: &str) -> &'a Value {
    r["spof"]["impacts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == id)
        .unwrap_or_else(|| panic!("no element {id}"))
}

#[test]
fn spof_scenarios_and_redundancy_on_the_demo_registry() {
    let (db, dir) = setup();
    // Existing infrastructure only: settlements within 30 km of a backbone node are attached.
    let r = ok_json(&db, &["resilience", "spof"]);
    let total = r["spof"]["total_people"].as_u64().unwrap();
    assert!(
        total > 1_000_000,
        "Astana, Karaganda, Pavlodar and their surroundings: {total}"
    );
    let kar = impact(&r, "pop:karaganda");
    let ast_kar = impact(&r, "f:ast-kar#0");
    assert_eq!(
        kar["people"], ast_kar["people"],
        "the PoP and its only fibre cut off the same people"
    );
    assert!(kar["settlements"].as_u64().unwrap() > 1);
    assert_eq!(
        impact(&r, "core:astana")["people"].as_u64().unwrap(),
        total,
        "the only core cuts everything"
    );
    let people: Vec<u64> = r["spof"]["impacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["people"].as_u64().unwrap())
        .collect();
    assert!(people.windows(2).all(|w| w[0] >= w[1]), "ranked");
    assert!(
        r["network"]["assumptions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a
                .as_str()
                .unwrap()
                .contains("attached to the nearest backbone node"))
    );

    // A plan closing a ring Karaganda–Pavlodar: neither PoP's fibre is a single point of failure any more.
    let plan = Plan {
        scenario: "ring".into(),
        mode: "min_cost".into(),
        base_year: 2026,
        settlements: Vec::new(),
        unserved: Vec::new(),
        sites: Vec::new(),
        routes: vec![PlannedRoute {
            id: Id::new("r:kar-pav"),
            from_node_id: Id::new("pop:karaganda"),
            geometry: serde_json::from_value(json!([
                {"x": 73.1022, "y": 49.8047},
                {"x": 75.0, "y": 51.0},
                {"x": 76.9674, "y": 52.2873}
            ]))
            .unwrap(),
            length_m_by_class: Default::default(),
            approximated_m: 0.0,
            serves: Vec::new(),
            operator_id: None,
            capex_usd: 0.0,
            year: 2026,
        }],
        hops: Vec::new(),
        totals: PlanTotals::default(),
        assumptions: Vec::new(),
    };
    let pf = dir.path().join("plan.json");
    std::fs::write(&pf, serde_json::to_string(&plan).unwrap()).unwrap();
    let pfs = pf.to_str().unwrap();
    let r2 = ok_json(
        &db,
        &["resilience", "spof", "--plan", pfs, "--attach-km", "30"],
    );
    assert_eq!(impact(&r2, "f:ast-kar#0")["people"], 0);
    assert_eq!(impact(&r2, "r:kar-pav#0")["people"], 0);
    assert_eq!(
        impact(&r2, "pop:karaganda")["people"],
        kar["people"],
        "the PoP itself still carries its villages"
    );

    // A 12 h power cut over the Karaganda region (KATO 350000000): nodes on 4 h batteries go down.
    let p = ok_json(
        &db,
        &[
            "resilience",
            "scenario",
            "power",
            "--area",
            "350000000",
            "--hours",
            "12",
        ],
    );
    let res = &p["result"];
    assert!(res["people_cut_off"].as_u64().unwrap() >= kar["people"].as_u64().unwrap());
    assert_eq!(
        res["longest_h"].as_f64().unwrap(),
        8.0,
        "12 h cut − 4 h battery"
    );
    // Batteries outlast a 3 h cut.
    let p = ok_json(
        &db,
        &[
            "resilience",
            "scenario",
            "power",
            "--area",
            "350000000",
            "--hours",
            "3",
        ],
    );
    assert_eq!(p["result"]["people_cut_off"], 0);

    // A flood across the Astana–Karaganda fibre (a circle around its middle vertex).
    let h = ok_json(
        &db,
        &[
            "resilience",
            "scenario",
            "hazard",
            "--circle",
            "72.3,50.5,5",
            "--repair-hours",
            "36",
        ],
    );
    assert_eq!(h["result"]["people_cut_off"], kar["people"]);
    assert_eq!(h["result"]["longest_h"].as_f64().unwrap(), 36.0);
    // The same flood drawn as a GeoJSON polygon.
    let flood = dir.path().join("flood.geojson");
    std::fs::write(
        &flood,
        r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":[[[72.25,50.46],[72.35,50.46],[72.35,50.54],[72.25,50.54],[72.25,50.46]]]}}]}"#,
    )
    .unwrap();
    let hp = ok_json(
        &db,
        &[
            "resilience",
            "scenario",
            "hazard",
            "--polygon",
            flood.to_str().unwrap(),
            "--repair-hours",
            "36",
        ],
    );
    assert_eq!(hp["result"], h["result"]);
    let point = dir.path().join("point.geojson");
    std::fs::write(&point, r#"{"type":"Point","coordinates":[72.3,50.5]}"#).unwrap();
    let out = auyl(
        &db,
        &[
            "resilience",
            "scenario",
            "hazard",
            "--polygon",
            point.to_str().unwrap(),
        ],
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("point.geojson") && err.contains("Point"),
        "{err}"
    );

    // Monte Carlo: seeded, so two runs agree; the interval brackets the mean.
    let args = [
        "resilience",
        "scenario",
        "random",
        "--k",
        "2",
        "--trials",
        "300",
        "--seed",
        "5",
    ];
    let a = ok_json(&db, &args);
    let b = ok_json(&db, &args);
    assert_eq!(a["result"], b["result"]);
    let e = &a["result"]["people"];
    assert!(e["ci95_low"].as_f64().unwrap() <= e["mean"].as_f64().unwrap());
    assert!(e["mean"].as_f64().unwrap() <= e["ci95_high"].as_f64().unwrap());

    // Redundancy for settlements of ≥ 20,000 people, along the demo roads.
    let red = ok_json(&db, &["resilience", "redundancy", "--min-people", "20000"]);
    let plan = &red["redundancy"];
    assert!(plan["targets"].as_u64().unwrap() >= 3);
    assert!(red["roads"].as_bool().unwrap());
    let cost = plan["cost_usd"].as_f64().unwrap();
    let bound = plan["lower_bound_usd"].as_f64().unwrap();
    assert!(
        bound <= cost + 1e-6 && bound > 0.0,
        "bound {bound}, cost {cost}"
    );
    assert!(plan["curve"].as_array().unwrap().len() >= 2);
    // The only core stays a single point of failure nobody can fix by adding links.
    assert_eq!(plan["protected_after"], 0);
    let unprotected = plan["unprotected"].as_array().unwrap();
    assert_eq!(unprotected.len() as u64, plan["targets"].as_u64().unwrap());
    assert!(unprotected.iter().all(|u| u["still_cut_by"].is_string()));

    // Human output works too.
    let out = auyl(&db, &["resilience", "spof", "--top", "5"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("single points of failure"));
    // No area: a clear error.
    let out = auyl(&db, &["resilience", "scenario", "hazard"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--circle"));
}

/// The weekly report carries the latest stored plan's resilience: its worst single points of
/// failure as `auyl resilience spof --plan latest` ranks them, and people at risk by region.
#[test]
fn the_weekly_report_has_the_latest_plans_resilience() {
    let (db, dir) = setup();
    ok_json(
        &db,
        &["import", "organisations", &demo_file("organisations.csv")],
    );
    // The tracking fixture: six demo settlements; its Akmola mast is fibred to the Astana core.
    let plan: Plan = serde_json::from_slice(
        &std::fs::read(
            auyl_testkit::repo_root().join("crates/auyl-track/tests/fixtures/plan_small.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let store = auyl_store::Store::open(&db.url).await.unwrap();
        store
            .save_plan(
                &plan,
                &auyl_store::PlanMeta {
                    created_at: "2026-01-02T00:00:00Z",
                    created_by: Some("test"),
                    scenario_text: None,
                },
            )
            .await
            .unwrap();
        store.close().await;
    });
    ok_json(&db, &["tracking", "generate"]);
    let out = dir.path().join("report");
    let r = ok_json(
        &db,
        &[
            "report",
            "weekly",
            "--date",
            "2026-06-01",
            "-o",
            out.to_str().unwrap(),
        ],
    );
    let risk = &r["resilience"];
    assert_eq!(risk["plan"], "fixture-small@1", "{r}");
    let spof = ok_json(&db, &["resilience", "spof", "--plan", "latest"]);
    // Single points of failure as the spof command ranks them, without a settlement's own
    // access node (it cuts off only itself).
    let ranked: Vec<&Value> = spof["spof"]["impacts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["people"].as_u64().unwrap() > 0)
        .filter(|i| !(i["kind"] == "settlement" && i["settlements"] == 1))
        .collect();
    assert!(!ranked.is_empty());
    let worst = risk["worst"].as_array().unwrap();
    assert_eq!(worst.len(), ranked.len().min(20));
    for (w, s) in worst.iter().zip(&ranked) {
        assert_eq!(w["id"], s["id"]);
        assert_eq!(w["people"], s["people"]);
    }
    assert_eq!(
        risk["single_points"].as_u64().unwrap() as usize,
        ranked.len()
    );
    assert_eq!(risk["single_points"], spof["single_points"]);
    assert_eq!(risk["people_at_risk"], spof["people_at_risk"]);
    assert_eq!(
        risk["unreachable_people"],
        spof["spof"]["unreachable_people"]
    );
    // Taytobe (333, Akmola) hangs off the Astana core through mast akm-77: at risk.
    assert!(
        worst
            .iter()
            .any(|w| w["id"] == "core:astana" && w["people"] == 333)
    );
    let by_region = risk["by_region"].as_array().unwrap();
    let akmola = by_region
        .iter()
        .find(|g| g["region_code"] == "110000000")
        .unwrap();
    assert!(akmola["people_at_risk"].as_u64().unwrap() >= 333);
    assert_eq!(
        by_region
            .iter()
            .map(|g| g["people_at_risk"].as_u64().unwrap())
            .sum::<u64>(),
        risk["people_at_risk"].as_u64().unwrap()
    );
    let html = std::fs::read_to_string(r["html"].as_str().unwrap()).unwrap();
    assert!(html.contains("Resilience of plan fixture-small@1"));
    assert!(html.contains(worst[0]["id"].as_str().unwrap()));
    let mut wb = calamine::open_workbook_auto(r["xlsx"].as_str().unwrap()).unwrap();
    use calamine::Reader;
    let sheet = wb.worksheet_range("Resilience").unwrap();
    assert_eq!(
        sheet.get_value((1, 0)).unwrap().to_string(),
        worst[0]["id"].as_str().unwrap()
    );
    let regions = wb.worksheet_range("ResilienceRegions").unwrap();
    assert_eq!(regions.rows().count(), by_region.len() + 1);
}
