//! `auyl serve` (the web application and HTTP API) and `auyl users` (accounts).

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
}

/// Serves until Ctrl-C or SIGTERM, then lets open requests finish.
pub async fn run(args: ServeArgs, database: &str, json: bool) -> Result<()> {
    let store = Store::open(database)
        .await
        .with_context(|| format!("opening {database}"))?;
    let accounts = store.user_count().await?;
    let app = auyl_server::app(
        store.clone(),
        Config {
            secure_cookies: !args.insecure_cookies,
            ..Config::default()
        },
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
