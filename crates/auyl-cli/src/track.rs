//! `auyl tracking …`, `auyl audit verify` and `auyl report weekly`: works from a plan, operator
//! workbooks, KPIs, what waits on each akimat, the audit chain and the ministry's weekly report.

use crate::output::print_json;
use crate::registry::{now_rfc3339, open};
use anyhow::{Context, Result, anyhow, bail};
use auyl_io::tracking_xlsx::{
    TemplateMeta, TemplateRow, WeeklyReport, WorkbookError, read_operator_workbook,
    write_operator_template, write_weekly_report,
};
use auyl_model::{Id, Layer, Plan, Record};
use auyl_store::{Store, TrackError};
use auyl_track::{
    Durations, EditContext, ForecastParams, SIMULATED_USER, SimParams, WorkUpdate, compute_kpis,
    dashboard, format_date, generate, outlooks, parse_date, simulate, verify_chain,
};
use serde_json::json;
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use time::Date;

/// `auyl tracking`.
#[derive(clap::Args, Debug)]
pub struct TrackingArgs {
    #[command(subcommand)]
    command: TrackingCommand,
}

#[derive(clap::Subcommand, Debug)]
enum TrackingCommand {
    /// Generate the works of the latest stored plan (or of a plan JSON file) and store them.
    Generate(GenerateArgs),
    /// Write an organisation's workbook: its works, locked keys, drop-down statuses.
    Template(TemplateArgs),
    /// Apply a filled workbook: every row validated, stale rows rejected, all or nothing.
    Import(ImportArgs),
    /// KPIs as of a date: connected settlements and people against target, overdue works,
    /// blockers by who must act, forecast per region.
    Kpis(KpiArgs),
    /// What is waiting on one organisation (an akimat), oldest first.
    Waiting(WaitingArgs),
    /// Demo only: replay a seeded, simulated year of progress (labelled `simulated` everywhere).
    Simulate(SimulateArgs),
}

#[derive(clap::Args, Debug)]
struct GenerateArgs {
    /// A plan JSON file (auyl_model::Plan); without it, the latest plan stored in the database.
    #[arg(long)]
    plan: Option<PathBuf>,
    /// Who generates (recorded in the audit log).
    #[arg(long, default_value = "auyl")]
    user: String,
}

#[derive(clap::Args, Debug)]
struct TemplateArgs {
    /// The organisation id (`kcell`, `akimat:110000000`).
    #[arg(long)]
    operator: String,
    /// The workbook to write.
    #[arg(short = 'o', long = "output")]
    output: PathBuf,
}

#[derive(clap::Args, Debug)]
struct ImportArgs {
    /// The filled workbook.
    file: PathBuf,
    /// Who reports (recorded in the audit log).
    #[arg(long)]
    user: String,
    /// The day the report is made (default: today, UTC).
    #[arg(long)]
    date: Option<String>,
}

#[derive(clap::Args, Debug)]
struct KpiArgs {
    /// The day (default: today, UTC).
    #[arg(long)]
    date: Option<String>,
    /// Seed of the forecast's Monte Carlo.
    #[arg(long, default_value_t = 7)]
    seed: u64,
}

#[derive(clap::Args, Debug)]
struct WaitingArgs {
    /// The organisation that must act (`akimat:110000000`).
    #[arg(long)]
    akimat: String,
    /// The day (default: today, UTC).
    #[arg(long)]
    date: Option<String>,
}

#[derive(clap::Args, Debug)]
struct SimulateArgs {
    /// First simulated day.
    #[arg(long)]
    from: String,
    /// Weeks to simulate.
    #[arg(long, default_value_t = 52)]
    weeks: u32,
    /// Seed.
    #[arg(long, default_value_t = 7)]
    seed: u64,
}

/// `auyl audit`.
#[derive(clap::Args, Debug)]
pub struct AuditArgs {
    #[command(subcommand)]
    command: AuditCommand,
}

#[derive(clap::Subcommand, Debug)]
enum AuditCommand {
    /// Check the hash chain of the whole audit log; name the first entry that does not fit.
    Verify {
        /// A head published earlier (`SEQ:HASH`, as the weekly report prints it): also detects
        /// entries cut off the end.
        #[arg(long)]
        head: Option<String>,
    },
}

/// `auyl report`.
#[derive(clap::Args, Debug)]
pub struct ReportArgs {
    #[command(subcommand)]
    command: ReportCommand,
}

#[derive(clap::Subcommand, Debug)]
enum ReportCommand {
    /// The ministry's weekly report as XLSX and HTML (burn-up with forecast, by-region bars).
    Weekly {
        /// The report's day.
        #[arg(long)]
        date: String,
        /// Folder to write into.
        #[arg(short = 'o', long = "output", default_value = ".")]
        output: PathBuf,
        /// Seed of the forecast's Monte Carlo.
        #[arg(long, default_value_t = 7)]
        seed: u64,
    },
}

fn today() -> Date {
    time::OffsetDateTime::now_utc().date()
}

fn day_arg(s: Option<&str>) -> Result<Date> {
    match s {
        None => Ok(today()),
        Some(s) => parse_date(s).ok_or_else(|| anyhow!("`{s}` is not a date (YYYY-MM-DD)")),
    }
}

fn ctx(who: &str, on: Date) -> EditContext {
    EditContext {
        who: who.to_string(),
        at: now_rfc3339(),
        on,
    }
}

/// Names from the registry: regions by code, organisations and settlements by id.
struct Names {
    regions: HashMap<String, String>,
    orgs: HashMap<String, String>,
    settlements: HashMap<String, (String, Option<String>)>,
}

async fn names(store: &Store) -> Result<Names> {
    let mut n = Names {
        regions: HashMap::new(),
        orgs: HashMap::new(),
        settlements: HashMap::new(),
    };
    for r in store.load(Layer::Regions).await? {
        if let Some(a) = r.into_area() {
            let name = a.names.display("en").unwrap_or(a.code.as_str()).to_string();
            n.regions.insert(a.code.to_string(), name);
        }
    }
    for r in store.load(Layer::Organisations).await? {
        if let Record::Org(o) = r {
            let name = o.names.display("en").unwrap_or(o.id.as_str()).to_string();
            n.orgs.insert(o.id.to_string(), name);
        }
    }
    for r in store.load(Layer::Settlements).await? {
        if let Some(s) = r.into_settlement() {
            let name = s.names.display("kk").unwrap_or(s.id.as_str()).to_string();
            n.settlements
                .insert(s.id.to_string(), (name, s.region_code.clone()));
        }
    }
    Ok(n)
}

/// Runs `auyl tracking …`.
pub async fn run(args: TrackingArgs, database: &str, json: bool) -> Result<()> {
    let store = open(database).await?;
    let r = match args.command {
        TrackingCommand::Generate(a) => generate_cmd(&store, a, json).await,
        TrackingCommand::Template(a) => template_cmd(&store, a, json).await,
        TrackingCommand::Import(a) => import_cmd(&store, a, json).await,
        TrackingCommand::Kpis(a) => kpis_cmd(&store, a, json).await,
        TrackingCommand::Waiting(a) => waiting_cmd(&store, a, json).await,
        TrackingCommand::Simulate(a) => simulate_cmd(&store, a, json).await,
    };
    store.close().await;
    r
}

async fn load_plan(store: &Store, file: Option<&PathBuf>) -> Result<Plan> {
    if let Some(f) = file {
        let bytes = std::fs::read(f).with_context(|| format!("reading {}", f.display()))?;
        return serde_json::from_slice(&bytes)
            .with_context(|| format!("{}: not a plan (auyl_model::Plan JSON)", f.display()));
    }
    let plans = store.plans().await?;
    let latest = plans.first().ok_or_else(|| {
        anyhow!("no plan is stored yet: run `auyl plan` first, or give --plan FILE.json")
    })?;
    Ok(store.load_plan(latest).await?)
}

async fn generate_cmd(store: &Store, a: GenerateArgs, json: bool) -> Result<()> {
    let plan = load_plan(store, a.plan.as_ref()).await?;
    generate_works(store, &plan, &a.user, json).await
}

/// Generates the works of `plan`, stores them (works already tracked keep their progress) and
/// says what was added.
pub(crate) async fn generate_works(
    store: &Store,
    plan: &Plan,
    user: &str,
    json: bool,
) -> Result<()> {
    let n = names(store).await?;
    let g = generate(plan, &Durations::default(), &|id: &Id| {
        n.settlements.get(id.as_str()).and_then(|(_, r)| r.clone())
    })?;
    let s = store.insert_generated(&g, &ctx(user, today())).await?;
    let unknown = g
        .settlements
        .iter()
        .filter(|s| s.region_code == "unknown")
        .count();
    if json {
        return print_json(&json!({
            "scenario": g.scenario,
            "settlements": s.settlements,
            "works_added": s.works_added,
            "works_kept": s.works_kept,
            "settlements_without_region": unknown,
        }));
    }
    println!(
        "plan `{}`: {} settlements tracked, {} works added, {} already tracked (kept with their progress)",
        g.scenario, s.settlements, s.works_added, s.works_kept
    );
    if unknown > 0 {
        println!("{unknown} settlements are not in the registry: their region is `unknown`");
    }
    Ok(())
}

async fn template_cmd(store: &Store, a: TemplateArgs, json: bool) -> Result<()> {
    let works = store.load_works().await?;
    let n = names(store).await?;
    let tracked = store.load_tracked_settlements().await?;
    let region_of: HashMap<&str, &str> = tracked
        .iter()
        .map(|t| (t.settlement_id.as_str(), t.region_code.as_str()))
        .collect();
    let rows: Vec<TemplateRow> = works
        .into_iter()
        .filter(|w| w.responsible_id.as_str() == a.operator)
        .map(|w| {
            let settlement_names = w
                .settlement_ids
                .iter()
                .map(|s| {
                    n.settlements
                        .get(s.as_str())
                        .map_or(s.to_string(), |(name, _)| name.clone())
                })
                .collect::<Vec<_>>()
                .join("; ");
            let region = w
                .settlement_ids
                .first()
                .and_then(|s| region_of.get(s.as_str()))
                .map(|c| n.regions.get(*c).cloned().unwrap_or_else(|| c.to_string()))
                .unwrap_or_default();
            TemplateRow {
                work: w,
                settlement_names,
                region,
            }
        })
        .collect();
    if rows.is_empty() {
        bail!("`{}` is responsible for no stored work", a.operator);
    }
    let meta = TemplateMeta {
        organisation_id: a.operator.clone(),
        organisation_name: n.orgs.get(&a.operator).cloned().unwrap_or_default(),
        made_at: now_rfc3339(),
    };
    write_operator_template(&a.output, &meta, &rows)?;
    if json {
        return print_json(&json!({"operator": a.operator, "works": rows.len(), "path": a.output}));
    }
    println!(
        "{}: {} works of {}",
        a.output.display(),
        rows.len(),
        a.operator
    );
    Ok(())
}

async fn import_cmd(store: &Store, a: ImportArgs, json: bool) -> Result<()> {
    let on = day_arg(a.date.as_deref())?;
    let wb = match read_operator_workbook(&a.file, on) {
        Ok(wb) => wb,
        Err(e @ WorkbookError::Invalid { .. }) => bail!("nothing was applied. {e}"),
        Err(e) => return Err(e.into()),
    };
    let changed: Vec<_> = wb.changed().collect();
    let ids: Vec<Id> = changed.iter().map(|r| r.update.work_id.clone()).collect();
    let responsible = store.work_responsibles(&ids).await?;
    let mut problems = Vec::new();
    for r in &changed {
        match responsible.get(&r.update.work_id) {
            None => problems.push(format!(
                "sheet Works, row {}, column A (work_id): no work `{}`",
                r.row, r.update.work_id
            )),
            Some(o) if o.as_str() != wb.organisation_id => problems.push(format!(
                "sheet Works, row {}, column A (work_id): `{}` is {}'s work, not {}'s",
                r.row, r.update.work_id, o, wb.organisation_id
            )),
            _ => {}
        }
    }
    if !problems.is_empty() {
        bail!(
            "nothing was applied: {} row(s) refused:\n  {}",
            problems.len(),
            problems.join("\n  ")
        );
    }
    let updates: Vec<WorkUpdate> = changed.iter().map(|r| r.update.clone()).collect();
    let c = ctx(&a.user, on);
    let applied = match store.apply_batch(&updates, &c).await {
        Ok(x) => x,
        Err(TrackError::Rule(auyl_track::Error::Batch { index, source })) => {
            let row = changed.get(index).map_or(0, |r| r.row);
            let why = match *source {
                auyl_track::Error::Conflict {
                    expected, actual, ..
                } => format!(
                    "stale row: the work was changed by someone else since the template was made (template version {expected}, now {actual}); ask for a new template"
                ),
                e => e.to_string(),
            };
            bail!("nothing was applied: sheet Works, row {row}: {why}");
        }
        // Another import changed the same work between our read and our write.
        Err(TrackError::Rule(e @ auyl_track::Error::Conflict { .. })) => {
            bail!("nothing was applied: stale row: {e}; ask for a new template");
        }
        Err(e) => return Err(e.into()),
    };
    let changes: Vec<_> = applied.iter().flat_map(|a| a.changes.iter()).collect();
    if json {
        return print_json(&json!({
            "organisation": wb.organisation_id,
            "rows": wb.rows.len(),
            "rows_changed": changed.len(),
            "fields_changed": changes.len(),
            "changes": changes.iter().map(|c| json!({"work": c.entity, "field": c.field, "old": c.old, "new": c.new})).collect::<Vec<_>>(),
        }));
    }
    println!(
        "{}: {} rows, {} changed, {} fields updated (one transaction)",
        a.file.display(),
        wb.rows.len(),
        changed.len(),
        changes.len()
    );
    for c in changes.iter().take(50) {
        println!("  {} {}: `{}` → `{}`", c.entity, c.field, c.old, c.new);
    }
    if changes.len() > 50 {
        println!("  … and {} more (see the audit log)", changes.len() - 50);
    }
    Ok(())
}

async fn kpis_cmd(store: &Store, a: KpiArgs, json: bool) -> Result<()> {
    print_kpis(store, day_arg(a.date.as_deref())?, a.seed, json).await
}

/// Prints the KPIs as of a day: totals, by region with the forecast outlook, by operator, overdue
/// works and what waits on whom.
pub(crate) async fn print_kpis(store: &Store, as_of: Date, seed: u64, json: bool) -> Result<()> {
    let t0 = std::time::Instant::now();
    let settlements = store.load_tracked_settlements().await?;
    let works = store.load_works().await?;
    tracing::debug!(
        settlements = settlements.len(),
        works = works.len(),
        load_s = t0.elapsed().as_secs_f64(),
        "tracking state loaded"
    );
    let k = compute_kpis(&settlements, &works, as_of);
    let params = ForecastParams {
        seed,
        ..ForecastParams::default()
    };
    let o = outlooks(&settlements, &works, as_of, &params);
    let simulated = is_simulated(store).await?;
    tracing::debug!(
        total_s = t0.elapsed().as_secs_f64(),
        "KPIs and outlooks computed"
    );
    if json {
        #[derive(serde::Serialize)]
        struct Out<'a, K, O> {
            simulated: bool,
            kpis: &'a K,
            outlooks: &'a O,
        }
        return print_json(&Out {
            simulated,
            kpis: &k,
            outlooks: &o,
        });
    }
    if simulated {
        println!("SIMULATED PROGRESS (demo): not reported by operators");
    }
    let t = &k.total;
    println!(
        "{}: {} of {} settlements due are connected ({} planned); {} of {} people due have access ({} planned)",
        format_date(as_of),
        t.settlements_connected,
        t.settlements_due,
        t.settlements_planned,
        t.people_connected,
        t.people_due,
        t.people_planned
    );
    println!(
        "{:<12} {:>9} {:>9} {:>10} {:>12}  outlook",
        "region", "planned", "due", "connected", "people"
    );
    let outlook: BTreeMap<&str, &auyl_track::RegionOutlook> =
        o.iter().map(|x| (x.region_code.as_str(), x)).collect();
    for (code, p) in &k.by_region {
        let ol = outlook.get(code.as_str());
        println!(
            "{:<12} {:>9} {:>9} {:>10} {:>12}  {} (P50 {})",
            code,
            p.settlements_planned,
            p.settlements_due,
            p.settlements_connected,
            p.people_connected,
            ol.map_or("", |x| x.outlook.as_str()),
            ol.and_then(|x| x.forecast.p50)
                .map(format_date)
                .unwrap_or_else(|| "–".into())
        );
    }
    for (op, p) in &k.by_operator {
        println!(
            "operator {op}: {} of {} due connected, {} people",
            p.settlements_connected, p.settlements_due, p.people_connected
        );
    }
    println!("overdue works: {}", k.overdue.len());
    for w in &k.waiting {
        println!(
            "waiting on {}: {} works, oldest since {}",
            w.who_must_act,
            w.works.len(),
            w.works
                .first()
                .map(|x| format_date(x.since))
                .unwrap_or_default()
        );
    }
    if let Some(p) = o.first() {
        println!(
            "forecast completion (programme): P10 {}  P50 {}  P90 {}  ({})",
            p.forecast
                .p10
                .map(format_date)
                .unwrap_or_else(|| "–".into()),
            p.forecast
                .p50
                .map(format_date)
                .unwrap_or_else(|| "–".into()),
            p.forecast
                .p90
                .map(format_date)
                .unwrap_or_else(|| "–".into()),
            p.outlook.as_str()
        );
    }
    Ok(())
}

async fn is_simulated(store: &Store) -> Result<bool> {
    Ok(store.audit_has_user(SIMULATED_USER).await?)
}

async fn waiting_cmd(store: &Store, a: WaitingArgs, json: bool) -> Result<()> {
    let as_of = day_arg(a.date.as_deref())?;
    let settlements = store.load_tracked_settlements().await?;
    let works = store.load_works().await?;
    let k = compute_kpis(&settlements, &works, as_of);
    let mine = k
        .waiting
        .into_iter()
        .find(|w| w.who_must_act.as_str() == a.akimat);
    let items = mine.map(|w| w.works).unwrap_or_default();
    if json {
        return print_json(
            &json!({"who_must_act": a.akimat, "as_of": format_date(as_of), "works": items}),
        );
    }
    println!(
        "{} works wait on {} ({}), oldest first:",
        items.len(),
        a.akimat,
        format_date(as_of)
    );
    for w in &items {
        println!(
            "  {:>4} days  since {}  {:<12} {}  {}",
            w.days_waiting,
            format_date(w.since),
            w.reason.as_str(),
            w.work_id,
            w.note
        );
    }
    Ok(())
}

async fn simulate_cmd(store: &Store, a: SimulateArgs, json: bool) -> Result<()> {
    simulate_progress(store, day_arg(Some(&a.from))?, a.weeks, a.seed, json).await
}

/// Demo only: replays a seeded, simulated stretch of progress over freshly generated works, one
/// transaction per week, by the user `simulated` (so every report labels it).
pub(crate) async fn simulate_progress(
    store: &Store,
    start: Date,
    weeks: u32,
    seed: u64,
    json: bool,
) -> Result<()> {
    let works = store.load_works().await?;
    if works.is_empty() {
        bail!("no works stored: run `auyl tracking generate` first");
    }
    if works.iter().any(|w| w.version > 1) {
        bail!(
            "works already have progress: the simulation only starts from freshly generated works"
        );
    }
    let sim = simulate(
        &works,
        &SimParams {
            weeks,
            ..SimParams::year_from(start, seed)
        },
    )?;
    // One transaction per simulated week, as weekly reports would arrive.
    let mut applied = 0usize;
    let mut i = 0;
    while i < sim.edits.len() {
        let at = &sim.edits[i].ctx;
        let j = sim.edits[i..]
            .iter()
            .position(|e| e.ctx != *at)
            .map_or(sim.edits.len(), |p| i + p);
        let batch: Vec<WorkUpdate> = sim.edits[i..j].iter().map(|e| e.update.clone()).collect();
        store.apply_batch(&batch, at).await?;
        applied += batch.len();
        i = j;
    }
    let done = sim.works.iter().filter(|w| w.status.is_finished()).count();
    if json {
        return print_json(
            &json!({"simulated": true, "user": SIMULATED_USER, "edits": applied, "works_finished": done, "weeks": weeks, "seed": seed}),
        );
    }
    println!(
        "SIMULATED: {applied} edits over {} weeks from {} (seed {}), by user `{SIMULATED_USER}`; {done} of {} works finished",
        weeks,
        format_date(start),
        seed,
        sim.works.len()
    );
    Ok(())
}

/// Runs `auyl audit …`.
pub async fn audit(args: AuditArgs, database: &str, json: bool) -> Result<()> {
    let AuditCommand::Verify { head } = args.command;
    let store = open(database).await?;
    let log = store.audit_log().await?;
    let stored = store.audit_head().await?;
    store.close().await;
    let published = match head {
        Some(h) => {
            let (seq, hash) = h
                .split_once(':')
                .ok_or_else(|| anyhow!("--head is SEQ:HASH"))?;
            Some(auyl_track::ChainHead {
                seq: seq.parse().context("--head: SEQ is a number")?,
                hash: hash.to_string(),
            })
        }
        None => None,
    };
    let checked = verify_chain(&log, published.as_ref())
        .map_err(|e| anyhow!("{e}; the log has {} entries", log.len()))?;
    if checked != stored {
        bail!(
            "audit log ends at entry {} but the stored head says {}: entries were removed from the end or the head was altered",
            checked.seq,
            stored.seq
        );
    }
    if json {
        return print_json(
            &json!({"ok": true, "entries": log.len(), "head": format!("{}:{}", checked.seq, checked.hash)}),
        );
    }
    println!(
        "audit log intact: {} entries, head {}:{}",
        log.len(),
        checked.seq,
        checked.hash
    );
    Ok(())
}

/// Runs `auyl report …`.
pub async fn report(args: ReportArgs, database: &str, json: bool) -> Result<()> {
    let ReportCommand::Weekly { date, output, seed } = args.command;
    let as_of = day_arg(Some(&date))?;
    let store = open(database).await?;
    let r = weekly_report(&store, as_of, &output, seed, json).await;
    store.close().await;
    r
}

/// Writes the ministry's weekly report as of a day into `output` (XLSX and HTML) and prints the
/// audit head to publish with it.
pub(crate) async fn weekly_report(
    store: &Store,
    as_of: Date,
    output: &std::path::Path,
    seed: u64,
    json: bool,
) -> Result<()> {
    let settlements = store.load_tracked_settlements().await?;
    let works = store.load_works().await?;
    if works.is_empty() {
        bail!("no works stored: run `auyl tracking generate` first");
    }
    let n = names(store).await?;
    let head = store.audit_head().await?;
    let simulated = is_simulated(store).await?;
    let d = dashboard(
        &settlements,
        &works,
        as_of,
        &ForecastParams {
            seed,
            ..ForecastParams::default()
        },
    );
    let resilience = crate::resilience::latest_risk_summary(store).await?;
    std::fs::create_dir_all(output).with_context(|| format!("creating {}", output.display()))?;
    let made_at = now_rfc3339();
    let (x, h) = write_weekly_report(
        output,
        &WeeklyReport {
            kpis: &d.kpis,
            burn_up: &d.burn_up,
            outlooks: &d.outlooks,
            region_names: &n.regions,
            org_names: &n.orgs,
            simulated,
            audit_head: &head,
            made_at: &made_at,
            resilience: resilience.as_ref(),
        },
    )?;
    if json {
        return print_json(
            &json!({"xlsx": x, "html": h, "simulated": simulated, "audit_head": format!("{}:{}", head.seq, head.hash), "resilience": resilience}),
        );
    }
    println!("{}\n{}", x.display(), h.display());
    match &resilience {
        Some(r) => println!(
            "resilience of plan {}: {} single points of failure; {} people in {} settlements at risk of one failure",
            r.plan,
            r.single_points,
            crate::output::n(r.people_at_risk),
            r.settlements_at_risk
        ),
        None => println!("resilience: not assessed (no plan stored)"),
    }
    println!(
        "audit head to publish: {}:{}{}",
        head.seq,
        head.hash,
        if simulated {
            "  (SIMULATED progress)"
        } else {
            ""
        }
    );
    Ok(())
}
