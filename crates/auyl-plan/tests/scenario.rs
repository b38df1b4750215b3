//! Scenario files: the shipped default file equals the built-in default; bad files give errors
//! that name the file, the key and the reason.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test/benchmark driver: a panic is the report

use auyl_plan::{Mode, Scenario, ScenarioError};

fn central_file() -> String {
    let p = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../data/scenarios/central.toml"
    );
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("this test needs {p}: {e}"))
}

#[test]
fn shipped_central_file_equals_the_builtin_default() {
    let s = Scenario::from_toml_str(&central_file(), "central.toml").unwrap();
    assert_eq!(s, Scenario::default());
    assert_eq!(s, Scenario::preset("central").unwrap());
}

#[test]
fn presets_bracket_central_and_round_trip() {
    let low = Scenario::preset("low").unwrap();
    let mid = Scenario::preset("central").unwrap();
    let high = Scenario::preset("high").unwrap();
    assert!(low.fibre.trench_unpaved_usd_per_km < mid.fibre.trench_unpaved_usd_per_km);
    assert!(mid.fibre.trench_unpaved_usd_per_km < high.fibre.trench_unpaved_usd_per_km);
    assert!(low.satellite.service_usd_per_month < high.satellite.service_usd_per_month);
    for s in [&low, &mid, &high] {
        let text = s.to_toml_string().unwrap();
        let back = Scenario::from_toml_str(&text, "roundtrip.toml").unwrap();
        assert_eq!(&back, s);
    }
    assert!(matches!(
        Scenario::preset("extreme"),
        Err(ScenarioError::UnknownPreset(_))
    ));
}

#[test]
fn a_partial_file_keeps_the_other_defaults() {
    let s = Scenario::from_toml_str(
        "mode = \"max_people\"\n[fibre]\ntrench_unpaved_usd_per_km = 6000.0\n",
        "partial.toml",
    )
    .unwrap();
    assert_eq!(s.mode, Mode::MaxPeople);
    assert_eq!(s.fibre.trench_unpaved_usd_per_km, 6000.0);
    assert_eq!(
        s.fibre.aerial_usd_per_km,
        Scenario::default().fibre.aerial_usd_per_km
    );
    assert_eq!(s.lte, Scenario::default().lte);
}

fn err(text: &str) -> String {
    Scenario::from_toml_str(text, "bad.toml")
        .unwrap_err()
        .to_string()
}

#[test]
fn unknown_key_is_rejected_with_file_line_and_key() {
    let e = err("[fibre]\ntrench_usd_per_km = 1.0\n");
    assert!(e.starts_with("bad.toml:2:"), "{e}");
    assert!(e.contains("trench_usd_per_km"), "{e}");
    assert!(e.contains("unknown field"), "{e}");
}

#[test]
fn negative_cost_names_the_key() {
    let e = err("[satellite]\nterminal_usd = -5.0\n");
    assert!(e.contains("bad.toml"), "{e}");
    assert!(e.contains("satellite.terminal_usd"), "{e}");
    assert!(e.contains("≥ 0"), "{e}");
}

#[test]
fn wrong_type_and_bad_values_are_explained() {
    let e = err("[finance]\nhorizon_years = \"ten\"\n");
    assert!(
        e.contains("bad.toml:2:") && e.contains("horizon_years"),
        "{e}"
    );
    let e = err("[demand]\nadoption = 90.0\n");
    assert!(
        e.contains("demand.adoption") && e.contains("fraction"),
        "{e}"
    );
    let e = err("[finance]\ndiscount_rate = 5.0\n");
    assert!(
        e.contains("finance.discount_rate") && e.contains("percent"),
        "{e}"
    );
    let e = err("base_year = 2030\ntarget_year = 2027\n");
    assert!(e.contains("target_year") && e.contains("before"), "{e}");
    let e = err("mode = \"cheapest\"\n");
    assert!(e.contains("bad.toml:1:") && e.contains("mode"), "{e}");
    let e = err("[lte]\nnew_mast_heights_m = [45.0]\n");
    assert!(e.contains("45 m mast"), "{e}");
    let e = err("[targets]\nkinds = [\"metropolis\"]\n");
    assert!(
        e.contains("targets.kinds") && e.contains("metropolis"),
        "{e}"
    );
    let e = err("[fibre\n");
    assert!(e.starts_with("bad.toml:1:"), "{e}");
}

#[test]
fn lifetimes_and_budget_basis_are_read_and_checked() {
    let e = err("[lifetimes]\nmast_years = 0\n");
    assert!(
        e.contains("bad.toml") && e.contains("lifetimes.mast_years") && e.contains("1..=200"),
        "{e}"
    );
    let e = err("[lifetimes]\nsatellite_terminal_years = -3\n");
    assert!(
        e.contains("bad.toml:2:") && e.contains("satellite_terminal_years"),
        "{e}"
    );
    let e = err("[finance]\nbudget_basis = \"cash\"\n");
    assert!(
        e.contains("bad.toml:2:") && e.contains("budget_basis"),
        "{e}"
    );
    let s = Scenario::from_toml_str(
        "[finance]\nbudget_basis = \"capex\"\n[lifetimes]\nolt_ont_years = 4\n",
        "ok.toml",
    )
    .unwrap();
    assert_eq!(s.finance.budget_basis, auyl_plan::BudgetBasis::Capex);
    assert_eq!(s.lifetimes.olt_ont_years, 4);
    assert_eq!(
        s.lifetimes.mast_years,
        Scenario::default().lifetimes.mast_years
    );
    // Replacement inside the horizon (10 years): an OLT of 4 years is replaced at 4 and 8.
    let r = s.finance.discount_rate;
    let expect = 1_000.0 * ((1.0 + r).powi(-4) + (1.0 + r).powi(-8));
    assert!((s.replacement_pv_usd(1_000.0, 4) - expect).abs() < 1e-9);
    // Nothing is replaced when the life reaches the horizon.
    assert_eq!(s.replacement_pv_usd(1_000.0, s.finance.horizon_years), 0.0);
    // Low costs come with long lives.
    let low = Scenario::preset("low").unwrap();
    let high = Scenario::preset("high").unwrap();
    assert!(low.lifetimes.satellite_terminal_years > high.lifetimes.satellite_terminal_years);
}
