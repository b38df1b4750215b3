//! Rollout tracking: from a plan to works, and from reported progress to KPIs and forecasts.
//!
//! - [`generate`] turns an [`auyl_model::Plan`] into [`Work`]s (land allotment, power
//!   connection, mast, fibre line, equipment, commissioning, acceptance: only those the option
//!   needs), each with its responsible organisation, planned dates and dependencies.
//! - [`apply_edit`] and [`Ledger`] enforce the workflow ([`Status::next`]), dependencies, blockers
//!   and optimistic versions (a stale edit is an [`Error::Conflict`]), and say which fields
//!   changed.
//! - [`ChainHead`] appends those changes to a hash-chained audit log; [`verify_chain`] names the
//!   first entry that was altered, removed or reordered.
//! - [`compute_kpis`], [`burn_up`], [`forecast`] and [`outlooks`] answer the weekly questions: how
//!   many settlements and people are connected against the target, by region and operator, what
//!   is late, what waits on whom, and when it will be finished (a seeded Monte Carlo band).
//! - [`simulate`] makes a seeded, labelled, simulated year of progress for the demo.
//!
//! Pure: the caller gives the dates, the edit time and the seeds; nothing here reads a clock or
//! a file.
//!
//! ```
//! use auyl_track::{Durations, compute_kpis, generate};
//! let plan: auyl_model::Plan = serde_json::from_str(include_str!("../tests/fixtures/plan_small.json")).unwrap();
//! let g = generate(&plan, &Durations::default(), &|_| Some("110000000".into())).unwrap();
//! let day = time::Date::from_calendar_date(2026, time::Month::June, 1).unwrap();
//! let kpis = compute_kpis(&g.settlements, &g.works, day);
//! assert_eq!(kpis.total.settlements_connected, 0);
//! ```

mod audit;
mod edit;
mod error;
mod forecast;
mod generate;
mod kpi;
mod simulate;
mod work;

pub use audit::{
    AuditEntry, BreakKind, ChainBreak, ChainHead, GENESIS_HASH, entry_hash, verify_chain,
};
pub use edit::{Applied, EditContext, FieldChange, Ledger, WorkUpdate, apply_edit, diff};
pub use error::{Error, Result};
pub use forecast::{
    Dashboard, Forecast, ForecastParams, Outlook, RegionOutlook, dashboard, forecast, outlooks,
    weekly_throughput,
};
pub use generate::{Durations, Generated, commissioning_id, generate};
pub use kpi::{
    BurnUpPoint, Kpis, OverdueWork, Progress, WaitingOn, WaitingWork, burn_up, compute_kpis,
    connection_days,
};
pub use simulate::{SIMULATED_COMMENT, SIMULATED_USER, SimEdit, SimParams, Simulation, simulate};
pub use work::{
    Blocker, BlockerReason, Status, TrackedSettlement, Work, WorkKind, fingerprint, format_date,
    parse_date,
};
