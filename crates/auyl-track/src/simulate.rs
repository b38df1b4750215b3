//! A seeded, simulated year of progress for the demo, so dashboards and forecasts have history to
//! show. Every edit it makes is by the user `simulated` with the comment `simulated progress`:
//! it is labelled wherever it appears and can never be mistaken for reported progress.
//!
//! The model is deliberately plain: each week a ready work starts with some probability, lasts
//! its planned duration times a random slowness factor, akimat works are often blocked on land
//! or electricity when they start and unblock slowly, operator works are sometimes blocked
//! (weather in winter, equipment, permits, financing), and finished works are accepted with a
//! weekly probability.

use crate::edit::{EditContext, Ledger, WorkUpdate};
use crate::work::{Blocker, BlockerReason, Status, Work, WorkKind, format_date};
use crate::{Result, Work as W};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use time::{Date, Duration, Month};

/// The user name of simulated edits.
pub const SIMULATED_USER: &str = "simulated";
/// The comment every simulated edit leaves.
pub const SIMULATED_COMMENT: &str = "simulated progress";

/// Settings of the simulation (weekly probabilities).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SimParams {
    /// Seed.
    pub seed: u64,
    /// First simulated day.
    pub start: Date,
    /// Weeks simulated.
    pub weeks: u32,
    /// Chance a ready work starts in a week.
    pub start_prob: f64,
    /// Chance an akimat work is blocked when it starts (land or electricity).
    pub akimat_block_prob: f64,
    /// Weekly chance an operator work in progress is blocked (tripled in winter, as weather).
    pub operator_block_prob: f64,
    /// Weekly chance an akimat blocker is lifted.
    pub akimat_unblock_prob: f64,
    /// Weekly chance an operator blocker is lifted.
    pub operator_unblock_prob: f64,
    /// Weekly chance a done work is accepted.
    pub accept_prob: f64,
    /// Works last their planned duration times a factor drawn between 1 and this.
    pub max_slowness: f64,
}

impl SimParams {
    /// Typical settings for a year from `start`.
    pub fn year_from(start: Date, seed: u64) -> SimParams {
        SimParams {
            seed,
            start,
            weeks: 52,
            start_prob: 0.5,
            akimat_block_prob: 0.3,
            operator_block_prob: 0.02,
            akimat_unblock_prob: 0.1,
            operator_unblock_prob: 0.35,
            accept_prob: 0.25,
            max_slowness: 1.8,
        }
    }
}

/// One simulated edit, in the order it happened.
#[derive(Debug, Clone, PartialEq)]
pub struct SimEdit {
    /// Who (`simulated`) and when.
    pub ctx: EditContext,
    /// What.
    pub update: WorkUpdate,
}

/// The outcome: the edits in order (to replay through the store, which audits them) and the
/// works as they end.
#[derive(Debug, Clone, PartialEq)]
pub struct Simulation {
    /// Every edit, in time order.
    pub edits: Vec<SimEdit>,
    /// The works after the last week.
    pub works: Vec<Work>,
}

fn is_winter(d: Date) -> bool {
    matches!(
        d.month(),
        Month::December | Month::January | Month::February
    )
}

/// Simulates `params.weeks` weeks of progress on `works` (dependencies before dependants, as
/// [`crate::generate`] returns them). The same works and seed give the same edits.
pub fn simulate(works: &[W], params: &SimParams) -> Result<Simulation> {
    let mut rng = ChaCha8Rng::seed_from_u64(params.seed);
    let mut ledger = Ledger::new(works.iter().cloned());
    let order: Vec<_> = works.iter().map(|w| w.id.clone()).collect();
    let mut slowness: HashMap<usize, f64> = HashMap::new();
    let mut edits = Vec::new();
    for week in 0..params.weeks {
        let day = params
            .start
            .saturating_add(Duration::weeks(i64::from(week)));
        let ctx = EditContext {
            who: SIMULATED_USER.to_string(),
            at: format!("{}T12:00:00Z", format_date(day)),
            on: day,
        };
        for (i, id) in order.iter().enumerate() {
            let Some(w) = ledger.get(id) else { continue };
            let mut upd = WorkUpdate::status(w.id.clone(), w.version, w.status);
            upd.comment = Some(SIMULATED_COMMENT.to_string());
            let ready = || {
                w.depends_on
                    .iter()
                    .all(|d| ledger.get(d).is_some_and(|x| x.status.is_finished()))
            };
            let akimat = w.kind.is_akimat_work();
            let blocker = |reason, since| Blocker {
                reason,
                who_must_act: w.responsible_id.clone(),
                since,
                note: SIMULATED_COMMENT.to_string(),
            };
            match w.status {
                Status::Planned => {
                    if day < w.planned_start || !ready() || !rng.random_bool(params.start_prob) {
                        continue;
                    }
                    if akimat && rng.random_bool(params.akimat_block_prob) {
                        let reason = if w.kind == WorkKind::LandAllotment {
                            BlockerReason::Land
                        } else {
                            BlockerReason::Electricity
                        };
                        upd.status = Some(Status::Blocked);
                        upd.blocker = Some(blocker(reason, day));
                    } else {
                        upd.status = Some(Status::InProgress);
                    }
                }
                Status::InProgress => {
                    let f = *slowness
                        .entry(i)
                        .or_insert_with(|| rng.random_range(1.0..=params.max_slowness.max(1.0)));
                    let planned = (w.planned_finish - w.planned_start).whole_days() as f64;
                    let started = w.actual_start.unwrap_or(day);
                    let due = started.saturating_add(Duration::days((planned * f).ceil() as i64));
                    let p_block = if is_winter(day) {
                        params.operator_block_prob * 3.0
                    } else {
                        params.operator_block_prob
                    };
                    if day >= due {
                        upd.status = Some(Status::Done);
                    } else if !akimat && rng.random_bool(p_block.min(1.0)) {
                        let reason = if is_winter(day) {
                            BlockerReason::Weather
                        } else {
                            [
                                BlockerReason::Equipment,
                                BlockerReason::Permits,
                                BlockerReason::Financing,
                            ][rng.random_range(0..3)]
                        };
                        upd.status = Some(Status::Blocked);
                        upd.blocker = Some(blocker(reason, day));
                    } else {
                        continue;
                    }
                }
                Status::Blocked => {
                    let p = if akimat {
                        params.akimat_unblock_prob
                    } else {
                        params.operator_unblock_prob
                    };
                    if !rng.random_bool(p) {
                        continue;
                    }
                    upd.status = Some(Status::InProgress);
                }
                Status::Done => {
                    if !rng.random_bool(params.accept_prob) {
                        continue;
                    }
                    upd.status = Some(Status::Accepted);
                }
                Status::Accepted => continue,
            }
            ledger.apply(&upd, &ctx)?;
            edits.push(SimEdit {
                ctx: ctx.clone(),
                update: upd,
            });
        }
    }
    Ok(Simulation {
        edits,
        works: order
            .iter()
            .filter_map(|id| ledger.get(id).cloned())
            .collect(),
    })
}
