//! End-to-end test of the web application in a real browser: loads the demo into a fresh
//! database, generates its works with a simulated history, starts `auyl serve --demo-accounts`
//! on a free port (one account per role, printed), writes an operator workbook with a bad row,
//! and runs the browser tests in crates/auyl-server/e2e (headless Debian chromium driven by
//! playwright-core). Screenshots land in `$CARGO_TARGET_TMPDIR/e2e-artefacts` (the path is
//! printed). Then stops the server with SIGTERM and checks it shuts down cleanly. A second test
//! drives `auyl users add|list|delete`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use calamine::{Data, Reader};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn auyl(db: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_auyl"));
    c.arg("--database").arg(db);
    c
}

fn run_ok(c: &mut Command) -> String {
    let out = c.output().unwrap();
    assert!(
        out.status.success(),
        "{c:?}: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
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

/// A copy of workbook `src` with one cell of the Works sheet replaced (row as shown, header name).
fn refill(src: &Path, dst: &Path, row: u32, column: &str, value: &str) {
    let mut wb = calamine::open_workbook_auto(src).unwrap();
    let mut out = rust_xlsxwriter::Workbook::new();
    for sheet in ["Works", "Instructions"] {
        let range = wb.worksheet_range(sheet).unwrap();
        let header: Vec<String> = range
            .rows()
            .next()
            .unwrap()
            .iter()
            .map(|c| c.to_string())
            .collect();
        let ws = out.add_worksheet();
        ws.set_name(sheet).unwrap();
        for (r, cells) in range.rows().enumerate() {
            for (c, v) in cells.iter().enumerate() {
                let edit = sheet == "Works" && r + 1 == row as usize && header[c] == column;
                match v {
                    _ if edit => ws.write_string(r as u32, c as u16, value).unwrap(),
                    Data::Float(x) => ws.write_number(r as u32, c as u16, *x).unwrap(),
                    Data::Empty => ws,
                    v => ws.write_string(r as u32, c as u16, v.to_string()).unwrap(),
                };
            }
        }
    }
    out.save(dst).unwrap();
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
    run_ok(
        auyl(&db)
            .args(["demo", "--no-serve", "--out-dir"])
            .arg(dir.path().join("out")),
    );
    // Works of the demo plan, and (unless the demo made one) a simulated history ending today.
    run_ok(auyl(&db).args(["tracking", "generate"]));
    let kpis: serde_json::Value =
        serde_json::from_str(&run_ok(auyl(&db).args(["--json", "tracking", "kpis"]))).unwrap();
    if kpis["simulated"] != true {
        let from = time::OffsetDateTime::now_utc().date() - time::Duration::weeks(30);
        let from = format!(
            "{:04}-{:02}-{:02}",
            from.year(),
            u8::from(from.month()),
            from.day()
        );
        run_ok(auyl(&db).args(["tracking", "simulate", "--from", &from, "--weeks", "30"]));
    }

    // An online base map, served by the browser tests themselves on a free port.
    let tile_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    // Secure cookies: Chromium accepts them from 127.0.0.1 over plain HTTP.
    let mut server = auyl(&db)
        .args([
            "--json",
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--demo-accounts",
            "--base-tiles",
            &format!("http://127.0.0.1:{tile_port}/{{z}}/{{x}}/{{y}}.png"),
            "--base-tiles-attribution",
            "Test tiles",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(server.stdout.as_mut().unwrap())
        .read_line(&mut first)
        .unwrap();
    let started: serde_json::Value = serde_json::from_str(&first)
        .unwrap_or_else(|e| panic!("auyl serve printed {first:?}: {e}"));
    let url = started["url"].as_str().unwrap().to_string();
    let accounts = started["accounts"].as_array().unwrap();
    assert_eq!(accounts.len(), 5, "{started}");
    let field = |role: &str, key: &str| {
        accounts
            .iter()
            .find(|a| a["role"] == role)
            .unwrap_or_else(|| panic!("no {role} account in {started}"))[key]
            .clone()
    };
    let users: serde_json::Map<String, serde_json::Value> = accounts
        .iter()
        .map(|a| (a["role"].as_str().unwrap().to_string(), a["name"].clone()))
        .collect();
    let passwords: serde_json::Map<String, serde_json::Value> = accounts
        .iter()
        .map(|a| {
            (
                a["role"].as_str().unwrap().to_string(),
                a["password"].clone(),
            )
        })
        .collect();
    let operator = field("operator_engineer", "organisation_id");
    let operator = operator.as_str().unwrap();
    let region = field("akimat_officer", "region_code");
    let region = region.as_str().unwrap();

    // The operator's workbook with a status nobody knows in its first work row.
    let template = dir.path().join("template.xlsx");
    run_ok(
        auyl(&db)
            .args(["tracking", "template", "--operator", operator, "-o"])
            .arg(&template),
    );
    let bad = dir.path().join("bad.xlsx");
    refill(&template, &bad, 2, "status", "almost");

    let artefacts = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("e2e-artefacts");
    // Only this run's screenshots.
    match std::fs::remove_dir_all(&artefacts) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            panic!("{}: {e}", artefacts.display())
        }
        _ => {}
    }
    println!("browser screenshots: {}", artefacts.display());
    let result = Command::new("node")
        .args(["--test", "--test-concurrency=1", "tests/"])
        .current_dir(&e2e)
        .env("AUYL_URL", &url)
        .env("AUYL_USERS", serde_json::Value::Object(users).to_string())
        .env(
            "AUYL_PASSWORDS",
            serde_json::Value::Object(passwords).to_string(),
        )
        .env("AUYL_AKIMAT_REGION", region)
        .env("AUYL_OPERATOR", operator)
        .env("AUYL_BAD_WORKBOOK", &bad)
        .env("AUYL_CHROMIUM", &chromium)
        .env("AUYL_ARTIFACTS", &artefacts)
        .env("AUYL_TILE_PORT", tile_port.to_string())
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
        artefacts.display(),
        String::from_utf8_lossy(&result.stderr)
    );
    assert!(report.contains("# fail 0"), "{report}");
    assert!(
        status.success(),
        "auyl serve did not stop cleanly: {status}"
    );
    let shots = std::fs::read_dir(&artefacts).unwrap().count();
    assert!(
        shots >= 10,
        "{shots} screenshots in {}",
        artefacts.display()
    );
}

#[test]
fn users_add_list_delete() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("u.db").display());
    let orgs = repo().join("data/demo/organisations.csv");
    let regions = repo().join("data/demo/regions.geojson");
    run_ok(auyl(&db).args(["import", "organisations"]).arg(&orgs));
    run_ok(auyl(&db).args(["import", "regions"]).arg(&regions));
    // A generated password is printed once.
    let out: serde_json::Value = serde_json::from_str(&run_ok(auyl(&db).args([
        "--json",
        "users",
        "add",
        "chief",
        "--role",
        "administrator",
    ])))
    .unwrap();
    assert_eq!(out["role"], "administrator");
    assert!(out["password"].as_str().unwrap().len() >= 16, "{out}");
    // A password from stdin; scope checked against the registry.
    let mut child = auyl(&db)
        .args([
            "users",
            "add",
            "ops",
            "--role",
            "operator_engineer",
            "--org",
            "kcell",
            "--password-stdin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "a long enough password").unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = auyl(&db)
        .args([
            "users",
            "add",
            "bad",
            "--role",
            "akimat_officer",
            "--region",
            "999",
        ])
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("not a region"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let list: serde_json::Value =
        serde_json::from_str(&run_ok(auyl(&db).args(["--json", "users", "list"]))).unwrap();
    let names: Vec<_> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names, ["chief", "ops"]);
    assert_eq!(list[1]["organisation_id"], "kcell");
    run_ok(auyl(&db).args(["users", "delete", "ops"]));
    let o = auyl(&db).args(["users", "delete", "ops"]).output().unwrap();
    assert!(!o.status.success());
    let list: serde_json::Value =
        serde_json::from_str(&run_ok(auyl(&db).args(["--json", "users", "list"]))).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1);
}
