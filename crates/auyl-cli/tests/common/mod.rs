//! What every `auyl` end-to-end test does: run the binary on a test database, read its JSON,
//! expect a failure, find a demo file.
#![allow(dead_code)] // each test file uses its own subset

use auyl_testkit::TestDb;
use serde_json::Value;
use std::process::{Command, Output};

pub fn auyl(db: &TestDb, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_auyl"))
        .arg("--database")
        .arg(&db.url)
        .args(args)
        .output()
        .expect("run auyl")
}

pub fn ok_json(db: &TestDb, args: &[&str]) -> Value {
    let mut a = args.to_vec();
    a.push("--json");
    let out = auyl(db, &a);
    assert!(
        out.status.success(),
        "auyl {args:?} on {} failed:\n{}",
        db.backend,
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

pub fn failing(db: &TestDb, args: &[&str]) -> String {
    let out = auyl(db, args);
    assert!(
        !out.status.success(),
        "auyl {args:?} should fail on {}",
        db.backend
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

pub fn demo_file(name: &str) -> String {
    auyl_testkit::repo_root()
        .join("data/demo")
        .join(name)
        .display()
        .to_string()
}
