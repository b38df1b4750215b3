//! The dependency rules of ARCHITECTURE.md, checked on every crate's Cargo.toml.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the report

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

/// Allowed normal dependencies between auyl crates (ARCHITECTURE.md, "Dependencies point one way").
fn allowed() -> BTreeMap<&'static str, &'static [&'static str]> {
    BTreeMap::from([
        ("auyl-model", &[][..]),
        ("auyl-terrain", &["auyl-model"][..]),
        ("auyl-network", &["auyl-model"][..]),
        ("auyl-track", &["auyl-model"][..]),
        ("auyl-radio", &["auyl-terrain", "auyl-model"][..]),
        (
            "auyl-plan",
            &["auyl-radio", "auyl-network", "auyl-terrain", "auyl-model"][..],
        ),
        (
            "auyl-resilience",
            &["auyl-network", "auyl-radio", "auyl-terrain", "auyl-model"][..],
        ),
        ("auyl-io", &["auyl-model", "auyl-terrain", "auyl-track"][..]),
        ("auyl-store", &["auyl-model", "auyl-track"][..]),
        ("auyl-testkit", &[][..]),
        (
            "auyl-server",
            &[
                "auyl-model",
                "auyl-terrain",
                "auyl-radio",
                "auyl-network",
                "auyl-plan",
                "auyl-track",
                "auyl-resilience",
                "auyl-io",
                "auyl-store",
            ][..],
        ),
    ])
}

const ALGORITHM_CRATES: [&str; 7] = [
    "auyl-model",
    "auyl-terrain",
    "auyl-radio",
    "auyl-network",
    "auyl-plan",
    "auyl-track",
    "auyl-resilience",
];
const FORBIDDEN_IN_ALGORITHMS: [&str; 7] = [
    "tokio",
    "sqlx",
    "axum",
    "rusqlite",
    "calamine",
    "rust_xlsxwriter",
    "reqwest",
];

/// The names under `[dependencies]` (not dev- or build-dependencies) of a Cargo.toml.
fn normal_deps(toml: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut in_deps = false;
    for line in toml.lines() {
        let l = line.trim();
        if l.starts_with('[') {
            in_deps = l == "[dependencies]";
            continue;
        }
        if in_deps
            && !l.is_empty()
            && !l.starts_with('#')
            && let Some(name) = l.split(['=', '.', ' ']).next()
        {
            out.insert(name.trim().to_string());
        }
    }
    out
}

#[test]
fn crates_depend_only_as_the_architecture_says() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let allowed = allowed();
    let mut checked = 0;
    for entry in std::fs::read_dir(&root).unwrap() {
        let dir = entry.unwrap().path();
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        let Ok(toml) = std::fs::read_to_string(dir.join("Cargo.toml")) else {
            continue;
        };
        let deps = normal_deps(&toml);
        if ALGORITHM_CRATES.contains(&name.as_str()) {
            for f in FORBIDDEN_IN_ALGORITHMS {
                assert!(
                    !deps.contains(f),
                    "{name} depends on {f}: algorithm crates stay free of I/O frameworks (ARCHITECTURE.md)"
                );
            }
        }
        let Some(ok) = allowed.get(name.as_str()) else {
            // server and cli may depend on every library crate.
            assert!(
                matches!(name.as_str(), "auyl-cli" | "auyl-server"),
                "{name} is not in ARCHITECTURE.md's dependency table"
            );
            continue;
        };
        for d in deps.iter().filter(|d| d.starts_with("auyl-")) {
            assert!(
                ok.contains(&d.as_str()),
                "{name} -> {d} is not an allowed direction (ARCHITECTURE.md)"
            );
        }
        checked += 1;
    }
    assert!(checked >= 6, "only {checked} crates found");
}

#[test]
fn every_module_starts_with_a_doc_comment() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut missing = vec![];
    let mut stack = vec![root];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                if p.file_name().is_some_and(|n| n != "target") {
                    stack.push(p);
                }
            } else if p.extension().is_some_and(|x| x == "rs")
                && p.components().any(|c| c.as_os_str() == "src")
            {
                let text = std::fs::read_to_string(&p).unwrap();
                if !text.trim_start().starts_with("//!") {
                    missing.push(p.display().to_string());
                }
            }
        }
    }
    assert!(
        missing.is_empty(),
        "modules without a leading //! doc comment: {missing:#?}"
    );
}
