//! `auyl serve` (the web application and HTTP API), `auyl users` (accounts), and the serving
//! end of `auyl demo` ([`serve_demo`]: one account per role, printed, then the same server).

use anyhow::{Context, Result, bail};
use auyl_server::{Config, CreateUser, RoleName};
use auyl_store::{Role, Store};
use std::io::{BufRead, Write};
use std::net::SocketAddr;

/// Arguments of `auyl serve`.
#[derive(clap::Args, Debug)]
pub struct ServeArgs {
    /// Address and port to listen on (port 0: any free port, printed at start).
    #[arg(long, default_value = "127.0.0.1:8080")]
    bind: SocketAddr,
    /// Send cookies without the `Secure` flag: only for plain HTTP on a trusted network other
    /// than this machine (browsers accept secure cookies from localhost anyway).
    #[arg(long)]
    insecure_cookies: bool,
    /// Create one account per role with fresh passwords and print them (demos and trials;
    /// accounts of the same names are replaced).
    #[arg(long)]
    demo_accounts: bool,
    #[command(flatten)]
    options: ServerOptions,
}

/// What the served application can use beyond the database: terrain for coverage overlays and
/// an online base map (both `auyl serve` and `auyl demo`).
#[derive(clap::Args, Debug, Clone)]
pub struct ServerOptions {
    #[command(flatten)]
    dem: crate::radio::DemArgs,
    /// An online base map under the map's own layers: an XYZ tile URL with {z}, {x} and {y}
    /// (e.g. https://tile.openstreetmap.org/{z}/{x}/{y}.png). Without it the map works offline
    /// on the shipped boundaries.
    #[arg(long, env = "AUYL_BASE_TILES", value_name = "URL")]
    base_tiles: Option<String>,
    /// Attribution the map shows for the base map (its provider's terms usually require one).
    #[arg(long, default_value = "", value_name = "TEXT")]
    base_tiles_attribution: String,
    /// Largest zoom level the base map's server provides.
    #[arg(long, default_value_t = 19)]
    base_tiles_max_zoom: u8,
}

impl ServerOptions {
    /// The server's settings; terrain that cannot be opened leaves coverage off, with a warning.
    fn config(&self, secure_cookies: bool, json: bool) -> Result<Config> {
        let base_map = match &self.base_tiles {
            Some(url) => Some(
                auyl_server::BaseMap::new(
                    url,
                    &self.base_tiles_attribution,
                    self.base_tiles_max_zoom,
                )
                .map_err(|e| anyhow::anyhow!("--base-tiles: {e}"))?,
            ),
            None => None,
        };
        let terrain = match crate::radio::open_dem(&self.dem) {
            Ok((dem, _)) => Some(std::sync::Arc::new(dem)),
            Err(e) => {
                tracing::warn!("no coverage overlays: {e:#}");
                if !json {
                    eprintln!("auyl: coverage overlays are off: {e:#}");
                }
                None
            }
        };
        Ok(Config {
            secure_cookies,
            terrain,
            base_map,
            ..Config::default()
        })
    }
}

/// Serves until Ctrl-C or SIGTERM, then lets open requests finish.
pub async fn run(args: ServeArgs, database: &str, json: bool) -> Result<()> {
    let store = Store::open(database)
        .await
        .with_context(|| format!("opening {database}"))?;
    if args.demo_accounts {
        let r = serve_demo(store.clone(), &args.bind.to_string(), &args.options, json).await;
        store.close().await;
        return r;
    }
    let accounts = store.user_count().await?;
    let app = auyl_server::app(
        store.clone(),
        args.options.config(!args.insecure_cookies, json)?,
    );
    let listener = tokio::net::TcpListener::bind(args.bind)
        .await
        .with_context(|| format!("listening on {}", args.bind))?;
    let addr = listener.local_addr()?;
    if json {
        println!(
            "{}",
            serde_json::json!({ "url": format!("http://{addr}/"), "accounts": accounts })
        );
    } else {
        println!(
            "auyl: serving http://{addr}/ (API description: http://{addr}/api/docs); Ctrl-C stops"
        );
        if accounts == 0 {
            println!(
                "no accounts yet: create the first administrator with `auyl users add NAME --role administrator`"
            );
        }
    }
    std::io::stdout().flush().ok();
    auyl_server::serve(listener, app.router, shutdown_signal())
        .await
        .context("serving")?;
    store.close().await;
    if !json {
        println!("auyl: stopped");
    }
    Ok(())
}

/// The demo's accounts: (login name, role, what the role is for).
const DEMO_ACCOUNTS: [(&str, Role); 5] = [
    ("demo-admin", Role::Administrator),
    ("demo-analyst", Role::MinistryAnalyst),
    ("demo-operator", Role::OperatorEngineer),
    ("demo-akimat", Role::AkimatOfficer),
    ("demo-viewer", Role::Viewer),
];

/// The operator and the region the demo's operator engineer and akimat officer get: the
/// operator responsible for the most tracked works, and the region whose akimat has the most
/// works waiting on it (else the most tracked settlements); without tracking, the registry's
/// first operator and first region.
async fn demo_scope(store: &Store) -> Result<(String, String)> {
    use auyl_model::{Layer, OrgKind, Record};
    use std::collections::BTreeMap;
    let orgs: Vec<auyl_model::Organisation> = store
        .load(Layer::Organisations)
        .await?
        .into_iter()
        .filter_map(|r| match r {
            Record::Org(o) => Some(o),
            _ => None,
        })
        .collect();
    let operators: Vec<&str> = orgs
        .iter()
        .filter(|o| o.kind == OrgKind::Operator)
        .map(|o| o.id.as_str())
        .collect();
    let region_of_akimat: BTreeMap<&str, &str> = orgs
        .iter()
        .filter(|o| o.kind == OrgKind::Akimat)
        .filter_map(|o| o.region_code.as_deref().map(|r| (o.id.as_str(), r)))
        .collect();
    let works = store.load_works().await?;
    let mut per_operator: BTreeMap<&str, usize> = BTreeMap::new();
    let mut waiting: BTreeMap<&str, usize> = BTreeMap::new();
    for w in &works {
        if operators.contains(&w.responsible_id.as_str()) {
            *per_operator.entry(w.responsible_id.as_str()).or_default() += 1;
        }
        if let Some(b) = &w.blocker
            && let Some(r) = region_of_akimat.get(b.who_must_act.as_str())
        {
            *waiting.entry(*r).or_default() += 1;
        }
    }
    let tracked = store.load_tracked_settlements().await?;
    let mut per_region: BTreeMap<&str, usize> = BTreeMap::new();
    for t in &tracked {
        *per_region.entry(t.region_code.as_str()).or_default() += 1;
    }
    let most = |m: &BTreeMap<&str, usize>| {
        m.iter()
            .max_by_key(|(k, n)| (**n, std::cmp::Reverse(**k)))
            .map(|(k, _)| k.to_string())
    };
    let operator = most(&per_operator)
        .or_else(|| operators.first().map(|s| s.to_string()))
        .ok_or_else(|| anyhow::anyhow!("the registry has no operator organisation"))?;
    let regions: Vec<String> = store
        .load(Layer::Regions)
        .await?
        .into_iter()
        .filter_map(|r| r.into_area().map(|a| a.code.0))
        .collect();
    let region = most(&waiting)
        .or_else(|| most(&per_region).filter(|r| regions.contains(r)))
        .or_else(|| regions.first().cloned())
        .ok_or_else(|| anyhow::anyhow!("the registry has no region"))?;
    Ok((operator, region))
}

/// Serves the demo: creates one account per role (administrator, analyst, an operator engineer
/// of the operator with the most works, an akimat officer of the region with the most works
/// waiting on its akimat, a viewer) with fresh passwords, prints them and the URL, and serves
/// `store` on `bind` until Ctrl-C or SIGTERM. Accounts of an earlier demo run are replaced.
pub(crate) async fn serve_demo(
    store: Store,
    bind: &str,
    options: &ServerOptions,
    json: bool,
) -> Result<()> {
    let bind: SocketAddr = bind
        .parse()
        .with_context(|| format!("`{bind}` is not an address and port (127.0.0.1:8080)"))?;
    let (operator, region) = demo_scope(&store).await?;
    let mut accounts = Vec::new();
    for (name, role) in DEMO_ACCOUNTS {
        store.delete_user(name).await?;
        let password = auyl_server::auth::random_password();
        let user = auyl_server::create_user(
            &store,
            &CreateUser {
                name: name.to_string(),
                password: password.clone(),
                role: RoleName::from(role),
                organisation_id: (role == Role::OperatorEngineer).then(|| operator.clone()),
                region_code: (role == Role::AkimatOfficer).then(|| region.clone()),
            },
            auyl_server::auth::now_s(),
        )
        .await
        .map_err(|e| anyhow::anyhow!("creating the demo account {name}: {}", e.message))?;
        accounts.push((user, password));
    }
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .with_context(|| format!("listening on {bind}"))?;
    let addr = listener.local_addr()?;
    // Browsers keep Secure cookies from http://127.0.0.1 and localhost; on another address the
    // demo is plain HTTP, so its cookies cannot be Secure.
    let app = auyl_server::app(
        store.clone(),
        options.config(addr.ip().is_loopback(), json)?,
    );
    if json {
        let v: Vec<_> = accounts
            .iter()
            .map(|(u, p)| {
                serde_json::json!({ "name": u.name, "role": u.role.as_str(), "password": p,
                "organisation_id": u.organisation_id, "region_code": u.region_code })
            })
            .collect();
        println!(
            "{}",
            serde_json::json!({ "url": format!("http://{addr}/"), "accounts": v })
        );
    } else {
        println!("\ndemo accounts (passwords made for this run):");
        for (u, p) in &accounts {
            let scope = u
                .organisation_id
                .clone()
                .or(u.region_code.clone().map(|r| format!("region {r}")))
                .unwrap_or_default();
            println!("  {:<14} {:<20} {p}  {scope}", u.name, u.role.as_str());
        }
        println!(
            "\nauyl: serving http://{addr}/ (API description: http://{addr}/api/docs); Ctrl-C stops"
        );
    }
    std::io::stdout().flush().ok();
    auyl_server::serve(listener, app.router, shutdown_signal())
        .await
        .context("serving")?;
    if !json {
        println!("auyl: stopped");
    }
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}

/// Arguments of `auyl users`.
#[derive(clap::Args, Debug)]
pub struct UsersArgs {
    #[command(subcommand)]
    command: UsersCommand,
}

#[derive(clap::Subcommand, Debug)]
enum UsersCommand {
    /// Create an account. The password is read from stdin with --password-stdin, else one is
    /// generated and printed once.
    Add {
        /// Login name (a-z, 0-9, `.`, `_`, `-`, `@`).
        name: String,
        /// administrator, ministry_analyst, operator_engineer, akimat_officer or viewer.
        #[arg(long)]
        role: String,
        /// Operator organisation id (operator engineers), e.g. `kazakhtelecom`.
        #[arg(long)]
        org: Option<String>,
        /// Region code (akimat officers), e.g. `110000000`.
        #[arg(long)]
        region: Option<String>,
        /// Read the password from the first line of stdin.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List the accounts.
    List,
    /// Delete an account and its sessions.
    Delete {
        /// Login name.
        name: String,
    },
}

/// Runs `auyl users …`.
pub async fn users(args: UsersArgs, database: &str, json: bool) -> Result<()> {
    let store = Store::open(database)
        .await
        .with_context(|| format!("opening {database}"))?;
    let result = users_inner(args, &store, json).await;
    store.close().await;
    result
}

async fn users_inner(args: UsersArgs, store: &Store, json: bool) -> Result<()> {
    match args.command {
        UsersCommand::Add {
            name,
            role,
            org,
            region,
            password_stdin,
        } => {
            let role: Role = role.parse()?;
            let (password, generated) = if password_stdin {
                let mut line = String::new();
                std::io::stdin()
                    .lock()
                    .read_line(&mut line)
                    .context("reading the password from stdin")?;
                (line.trim_end_matches(['\r', '\n']).to_string(), false)
            } else {
                (auyl_server::auth::random_password(), true)
            };
            let user = auyl_server::create_user(
                store,
                &CreateUser {
                    name,
                    password: password.clone(),
                    role: RoleName::from(role),
                    organisation_id: org,
                    region_code: region,
                },
                auyl_server::auth::now_s(),
            )
            .await
            .map_err(|e| anyhow::anyhow!("{}", e.message))?;
            if json {
                let mut v = serde_json::json!({ "name": user.name, "role": user.role.as_str(),
                    "organisation_id": user.organisation_id, "region_code": user.region_code });
                if generated {
                    v["password"] = serde_json::Value::String(password);
                }
                println!("{v}");
            } else {
                println!("account {} ({}) created", user.name, user.role);
                if generated {
                    println!("password: {password}  (shown once; keep it safe)");
                }
            }
            Ok(())
        }
        UsersCommand::List => {
            let users = store.users().await?;
            if json {
                let v: Vec<_> = users
                    .iter()
                    .map(|u| {
                        serde_json::json!({ "name": u.name, "role": u.role.as_str(),
                        "organisation_id": u.organisation_id, "region_code": u.region_code,
                        "created_at_s": u.created_at_s })
                    })
                    .collect();
                println!("{}", serde_json::Value::Array(v));
            } else {
                for u in users {
                    let scope = u.organisation_id.or(u.region_code).unwrap_or_default();
                    println!("{:<24} {:<18} {scope}", u.name, u.role.as_str());
                }
            }
            Ok(())
        }
        UsersCommand::Delete { name } => {
            if !store.delete_user(&name).await? {
                bail!("no account named `{name}`");
            }
            if !json {
                println!("account {name} deleted");
            }
            Ok(())
        }
    }
}
