//! End-to-end test of the web application in a real browser: loads the demo into a fresh
//! database, creates one account per role with `auyl users add`, starts `auyl serve` on a free
//! port, and runs the browser tests in crates/auyl-server/e2e (headless Debian chromium driven
//! by playwright-core). Screenshots land in crates/auyl-server/e2e/test-results/. Then stops
//! the server with SIGTERM and checks it shuts down cleanly.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};

const PASSWORD: &str = "demo password 1";
const AKIMAT_REGION: &str = "100000000";

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn auyl(db: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_auyl"));
    c.arg("--database").arg(db);
    c
}

fn browser() -> PathBuf {
    let p = std::env::var_os("AUYL_CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    assert!(
        p.exists(),
        "the browser tests need Debian's chromium at {} (apt-get install chromium; scripts/test installs it)",
        p.display()
    );
    p
}

#[test]
fn web_ui_in_headless_chromium() {
    let chromium = browser();
    let e2e = repo().join("crates/auyl-server/e2e");
    assert!(
        e2e.join("node_modules/playwright-core").exists(),
        "the browser tests need playwright-core: run `npm ci` in {} (scripts/test does)",
        e2e.display()
    );
    let node = Command::new("node").arg("--version").output();
    assert!(
        node.is_ok_and(|o| o.status.success()),
        "the browser tests need node (apt-get install nodejs; scripts/test installs it)"
    );

    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("demo.db").display());
    let out = auyl(&db).args(["demo", "--no-serve"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let users = [
        ("administrator", "demo-admin", vec![]),
        ("ministry_analyst", "demo-analyst", vec![]),
        (
            "operator_engineer",
            "demo-operator",
            vec!["--org", "kazakhtelecom"],
        ),
        (
            "akimat_officer",
            "demo-akimat",
            vec!["--region", AKIMAT_REGION],
        ),
        ("viewer", "demo-viewer", vec![]),
    ];
    for (role, name, extra) in &users {
        let mut child = auyl(&db)
            .args(["users", "add", name, "--role", role, "--password-stdin"])
            .args(extra)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        writeln!(child.stdin.take().unwrap(), "{PASSWORD}").unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    // Secure cookies: Chromium accepts them from 127.0.0.1 over plain HTTP.
    let mut server = auyl(&db)
        .args(["serve", "--bind", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(server.stdout.as_mut().unwrap())
        .read_line(&mut first)
        .unwrap();
    let url = first
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no URL in {first:?}"))
        .to_string();

    let artifacts = e2e.join("test-results");
    let users_json = serde_json::Value::Object(
        users
            .iter()
            .map(|(r, n, _)| (r.to_string(), serde_json::Value::from(*n)))
            .collect(),
    );
    let result = Command::new("node")
        .args(["--test", "--test-concurrency=1", "tests/"])
        .current_dir(&e2e)
        .env("AUYL_URL", &url)
        .env("AUYL_USERS", users_json.to_string())
        .env("AUYL_PASSWORD", PASSWORD)
        .env("AUYL_AKIMAT_REGION", AKIMAT_REGION)
        .env("AUYL_CHROMIUM", &chromium)
        .env("AUYL_ARTIFACTS", &artifacts)
        .output()
        .unwrap();

    // Graceful stop on SIGTERM: exit status 0.
    let stopped = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .unwrap();
    assert!(stopped.success());
    let status = server.wait().unwrap();

    let report = String::from_utf8_lossy(&result.stdout);
    assert!(
        result.status.success(),
        "browser tests failed (screenshots in {}):\n{report}\n{}",
        artifacts.display(),
        String::from_utf8_lossy(&result.stderr)
    );
    assert!(report.contains("# fail 0"), "{report}");
    assert!(
        status.success(),
        "auyl serve did not stop cleanly: {status}"
    );
}
