//! KPIs as of a date: settlements connected and people with access against the target, by region
//! and operator; overdue works; blockers grouped by who must act, oldest first; a weekly burn-up.
//!
//! A settlement is *connected* on a day when its commissioning work is finished (done or
//! accepted) with an actual finish on or before that day. It is *due* when its target date
//! (the commissioning's planned finish) is on or before the day. Statuses are the current ones;
//! dates decide what counted on an earlier day.

use crate::generate::commissioning_id;
use crate::work::{BlockerReason, Status, TrackedSettlement, Work, WorkKind, iso_date};
use auyl_model::Id;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use time::{Date, Duration};

/// Settlements and people: planned in total, due by the date, connected by the date.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    /// Settlements in the plan.
    pub settlements_planned: u64,
    /// Settlements whose target date is on or before the date.
    pub settlements_due: u64,
    /// Settlements connected by the date.
    pub settlements_connected: u64,
    /// People in the plan.
    pub people_planned: u64,
    /// People in settlements due by the date.
    pub people_due: u64,
    /// People with access by the date.
    pub people_connected: u64,
}

impl Progress {
    fn add(&mut self, people: u64, due: bool, connected: bool) {
        self.settlements_planned += 1;
        self.people_planned += people;
        if due {
            self.settlements_due += 1;
            self.people_due += people;
        }
        if connected {
            self.settlements_connected += 1;
            self.people_connected += people;
        }
    }

    /// Connected settlements as a share of those due (1 when none is due yet).
    pub fn share_of_due(&self) -> f64 {
        if self.settlements_due == 0 {
            1.0
        } else {
            self.settlements_connected as f64 / self.settlements_due as f64
        }
    }
}

/// A work past its planned finish and not finished.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OverdueWork {
    /// The work.
    pub work_id: Id,
    /// Its kind.
    pub kind: WorkKind,
    /// Who is responsible.
    pub responsible_id: Id,
    /// Settlements it serves.
    pub settlement_ids: Vec<Id>,
    /// Planned finish.
    #[serde(with = "iso_date")]
    pub planned_finish: Date,
    /// Days past the planned finish.
    pub days_late: i64,
    /// Current status.
    pub status: Status,
}

/// A blocked work waiting on an organisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaitingWork {
    /// The work.
    pub work_id: Id,
    /// Its kind.
    pub kind: WorkKind,
    /// Settlements it serves.
    pub settlement_ids: Vec<Id>,
    /// Who is responsible for the work itself.
    pub responsible_id: Id,
    /// Why it is blocked.
    pub reason: BlockerReason,
    /// Since when.
    #[serde(with = "iso_date")]
    pub since: Date,
    /// Days waiting on the KPI date.
    pub days_waiting: i64,
    /// The blocker's note.
    pub note: String,
}

/// Everything waiting on one organisation, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaitingOn {
    /// The organisation that must act.
    pub who_must_act: Id,
    /// Blocked works, oldest blocker first.
    pub works: Vec<WaitingWork>,
}

/// The KPIs of one day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Kpis {
    /// The day.
    #[serde(with = "iso_date")]
    pub as_of: Date,
    /// The whole programme.
    pub total: Progress,
    /// By region code.
    pub by_region: BTreeMap<String, Progress>,
    /// By operator id.
    pub by_operator: BTreeMap<String, Progress>,
    /// Works by current status.
    pub works_by_status: BTreeMap<String, u64>,
    /// Overdue works, most late first.
    pub overdue: Vec<OverdueWork>,
    /// Blocked works by who must act; the organisation with the oldest blocker first.
    pub waiting: Vec<WaitingOn>,
}

/// The day each settlement was connected (aligned with `settlements`), if it was.
pub fn connection_days(settlements: &[TrackedSettlement], works: &[Work]) -> Vec<Option<Date>> {
    let commissioning: HashMap<&Id, &Work> = works
        .iter()
        .filter(|w| w.kind == WorkKind::Commissioning)
        .map(|w| (&w.id, w))
        .collect();
    settlements
        .iter()
        .map(|s| {
            commissioning
                .get(&commissioning_id(&s.settlement_id))
                .and_then(|w| connected_day(w))
        })
        .collect()
}

/// The day a commissioning work made its settlement connected, if it did.
pub(crate) fn connected_day(w: &Work) -> Option<Date> {
    if w.status.is_finished() {
        w.actual_finish
            .or(w.actual_start)
            .or(Some(w.planned_finish))
    } else {
        None
    }
}

/// Computes every KPI for `as_of`.
pub fn compute_kpis(settlements: &[TrackedSettlement], works: &[Work], as_of: Date) -> Kpis {
    let days = connection_days(settlements, works);
    let mut total = Progress::default();
    let mut by_region: BTreeMap<String, Progress> = BTreeMap::new();
    let mut by_operator: BTreeMap<String, Progress> = BTreeMap::new();
    for (s, day) in settlements.iter().zip(&days) {
        let due = s.target_date <= as_of;
        let connected = day.is_some_and(|d| d <= as_of);
        total.add(s.people, due, connected);
        by_region
            .entry(s.region_code.clone())
            .or_default()
            .add(s.people, due, connected);
        by_operator
            .entry(s.operator_id.to_string())
            .or_default()
            .add(s.people, due, connected);
    }
    let mut works_by_status: BTreeMap<String, u64> = BTreeMap::new();
    let mut overdue = Vec::new();
    let mut waiting: HashMap<&Id, Vec<WaitingWork>> = HashMap::new();
    for w in works {
        *works_by_status
            .entry(w.status.as_str().to_string())
            .or_default() += 1;
        if w.is_overdue(as_of) {
            overdue.push(OverdueWork {
                work_id: w.id.clone(),
                kind: w.kind,
                responsible_id: w.responsible_id.clone(),
                settlement_ids: w.settlement_ids.clone(),
                planned_finish: w.planned_finish,
                days_late: (as_of - w.planned_finish).whole_days(),
                status: w.status,
            });
        }
        if let (Status::Blocked, Some(b)) = (w.status, &w.blocker)
            && b.since <= as_of
        {
            waiting
                .entry(&b.who_must_act)
                .or_default()
                .push(WaitingWork {
                    work_id: w.id.clone(),
                    kind: w.kind,
                    settlement_ids: w.settlement_ids.clone(),
                    responsible_id: w.responsible_id.clone(),
                    reason: b.reason,
                    since: b.since,
                    days_waiting: (as_of - b.since).whole_days(),
                    note: b.note.clone(),
                });
        }
    }
    overdue.sort_by(|a, b| {
        b.days_late
            .cmp(&a.days_late)
            .then_with(|| a.work_id.cmp(&b.work_id))
    });
    let mut waiting: Vec<WaitingOn> = waiting
        .into_iter()
        .map(|(who, mut works)| {
            works.sort_by(|a, b| {
                a.since
                    .cmp(&b.since)
                    .then_with(|| a.work_id.cmp(&b.work_id))
            });
            WaitingOn {
                who_must_act: who.clone(),
                works,
            }
        })
        .collect();
    waiting.sort_by(|a, b| {
        let oldest = |x: &WaitingOn| x.works.first().map(|w| w.since);
        oldest(a)
            .cmp(&oldest(b))
            .then_with(|| a.who_must_act.cmp(&b.who_must_act))
    });
    Kpis {
        as_of,
        total,
        by_region,
        by_operator,
        works_by_status,
        overdue,
        waiting,
    }
}

/// One week of the burn-up chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BurnUpPoint {
    /// Last day of the week.
    #[serde(with = "iso_date")]
    pub week_end: Date,
    /// Settlements due by that day (the plan's line).
    pub planned: u64,
    /// Settlements connected by that day.
    pub connected: u64,
}

/// Planned and connected settlements at the end of each week from `from` to `to` (inclusive;
/// the last point is `to` itself).
pub fn burn_up(
    settlements: &[TrackedSettlement],
    works: &[Work],
    from: Date,
    to: Date,
) -> Vec<BurnUpPoint> {
    let mut targets: Vec<Date> = settlements.iter().map(|s| s.target_date).collect();
    targets.sort_unstable();
    let mut connected: Vec<Date> = connection_days(settlements, works)
        .into_iter()
        .flatten()
        .collect();
    connected.sort_unstable();
    let mut out = Vec::new();
    let mut day = from.saturating_add(Duration::days(6));
    loop {
        let end = day.min(to);
        out.push(BurnUpPoint {
            week_end: end,
            planned: targets.partition_point(|d| *d <= end) as u64,
            connected: connected.partition_point(|d| *d <= end) as u64,
        });
        if end >= to {
            break;
        }
        day = day.saturating_add(Duration::days(7));
    }
    out
}
