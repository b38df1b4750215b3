//! Edits of works: the workflow rules, optimistic versions, and the field-by-field changes that
//! go to the audit log.

use crate::work::{Blocker, Status, Work, format_date};
use crate::{Error, Result};
use auyl_model::Id;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use time::Date;

/// The editable state of a work as an editor wants it: what an operator fills in a workbook row
/// or sends through the API. Fields left `None` keep their value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkUpdate {
    /// The work.
    pub work_id: Id,
    /// The version the editor saw; a different stored version is a [`Error::Conflict`].
    pub expected_version: i64,
    /// New status.
    pub status: Option<Status>,
    /// The blocker when the new status is blocked (required then, refused otherwise).
    pub blocker: Option<Blocker>,
    /// Actual start (filled with the edit's day when the work starts without one).
    pub actual_start: Option<Date>,
    /// Actual finish (filled with the edit's day when the work is done without one).
    pub actual_finish: Option<Date>,
    /// New remark.
    pub comment: Option<String>,
}

impl WorkUpdate {
    /// An update that only changes the status.
    pub fn status(work_id: Id, expected_version: i64, status: Status) -> WorkUpdate {
        WorkUpdate {
            work_id,
            expected_version,
            status: Some(status),
            blocker: None,
            actual_start: None,
            actual_finish: None,
            comment: None,
        }
    }
}

/// Who makes an edit and when; given by the caller (tracking never reads a clock).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EditContext {
    /// User name (or `simulated` for the demo's simulated history).
    pub who: String,
    /// Time of the edit, RFC 3339 (recorded in the audit log).
    pub at: String,
    /// Day the edit takes effect (default for actual start and finish dates).
    pub on: Date,
}

/// One field of one work changed by an edit: a line of the audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldChange {
    /// The entity: the work id.
    pub entity: String,
    /// The field name (`status`, `blocker`, `actual_start`, `actual_finish`, `comment`).
    pub field: String,
    /// Value before, as text (empty for none).
    pub old: String,
    /// Value after, as text.
    pub new: String,
}

/// The result of one accepted edit: the work as it now is, and what changed.
#[derive(Debug, Clone, PartialEq)]
pub struct Applied {
    /// The work after the edit (version incremented when anything changed).
    pub work: Work,
    /// Changed fields, in a fixed order; empty when the edit changed nothing.
    pub changes: Vec<FieldChange>,
}

fn opt_date(d: Option<Date>) -> String {
    d.map(format_date).unwrap_or_default()
}

/// Applies `update` to `work`, checking the version, the status workflow (see
/// [`Status::next`]), the dependencies (a work cannot start or finish before every work it
/// depends on is finished; `status_of` gives their current status) and the blocker rule (blocked
/// exactly when there is a blocker). An edit that changes nothing keeps the version.
pub fn apply_edit(
    work: &Work,
    update: &WorkUpdate,
    ctx: &EditContext,
    status_of: &dyn Fn(&Id) -> Option<Status>,
) -> Result<Applied> {
    if update.work_id != work.id {
        return Err(Error::UnknownWork {
            work_id: update.work_id.clone(),
        });
    }
    if update.expected_version != work.version {
        return Err(Error::Conflict {
            work_id: work.id.clone(),
            expected: update.expected_version,
            actual: work.version,
        });
    }
    let id = &work.id;
    let mut next = work.clone();
    let to = update.status.unwrap_or(work.status);
    if !work.status.can_become(to) {
        return Err(Error::Transition {
            work_id: id.clone(),
            from: work.status,
            to,
        });
    }
    if matches!(to, Status::InProgress | Status::Done) && to != work.status {
        for dep in &work.depends_on {
            let s = status_of(dep).ok_or_else(|| Error::UnknownWork {
                work_id: dep.clone(),
            })?;
            if !s.is_finished() {
                return Err(Error::DependencyNotFinished {
                    work_id: id.clone(),
                    to,
                    depends_on: dep.clone(),
                    status: s,
                });
            }
        }
    }
    next.status = to;
    next.blocker = match (to, &update.blocker) {
        (Status::Blocked, Some(b)) => Some(b.clone()),
        (Status::Blocked, None) if work.status == Status::Blocked => work.blocker.clone(),
        (Status::Blocked, None) => {
            return Err(Error::Blocker {
                work_id: id.clone(),
                message: "blocked needs a reason and who must act".into(),
            });
        }
        (_, Some(_)) => {
            return Err(Error::Blocker {
                work_id: id.clone(),
                message: format!(
                    "a blocker is given but the status is {}, not blocked",
                    to.as_str()
                ),
            });
        }
        (_, None) => None,
    };
    if let Some(d) = update.actual_start {
        next.actual_start = Some(d);
    }
    if let Some(d) = update.actual_finish {
        next.actual_finish = Some(d);
    }
    if to == Status::InProgress && next.actual_start.is_none() {
        next.actual_start = Some(ctx.on);
    }
    if to == Status::Done && work.status != Status::Done {
        if next.actual_start.is_none() {
            next.actual_start = Some(ctx.on);
        }
        if update.actual_finish.is_none() {
            next.actual_finish = Some(ctx.on);
        }
    }
    if !to.is_finished() && next.actual_finish.is_some() {
        if update.actual_finish.is_some() {
            return Err(Error::Dates {
                work_id: id.clone(),
                message: format!(
                    "an actual finish is given but the status is {}",
                    to.as_str()
                ),
            });
        }
        // Reopened (done → in progress): the old finish no longer holds.
        next.actual_finish = None;
    }
    if let (Some(s), Some(f)) = (next.actual_start, next.actual_finish)
        && f < s
    {
        return Err(Error::Dates {
            work_id: id.clone(),
            message: format!(
                "actual finish {} is before actual start {}",
                format_date(f),
                format_date(s)
            ),
        });
    }
    if let Some(c) = &update.comment {
        next.comment = c.trim().to_string();
    }
    let changes = diff(work, &next);
    if !changes.is_empty() {
        next.version = work.version + 1;
    }
    Ok(Applied {
        work: next,
        changes,
    })
}

/// The audit lines between two states of a work.
pub fn diff(old: &Work, new: &Work) -> Vec<FieldChange> {
    let mut out = Vec::new();
    let mut push = |field: &str, o: String, n: String| {
        if o != n {
            out.push(FieldChange {
                entity: old.id.to_string(),
                field: field.to_string(),
                old: o,
                new: n,
            });
        }
    };
    push(
        "status",
        old.status.as_str().into(),
        new.status.as_str().into(),
    );
    let blk = |b: &Option<Blocker>| b.as_ref().map(Blocker::describe).unwrap_or_default();
    push("blocker", blk(&old.blocker), blk(&new.blocker));
    push(
        "actual_start",
        opt_date(old.actual_start),
        opt_date(new.actual_start),
    );
    push(
        "actual_finish",
        opt_date(old.actual_finish),
        opt_date(new.actual_finish),
    );
    push("comment", old.comment.clone(), new.comment.clone());
    out
}

/// Works in memory, keyed by id: applies edits one by one or as an all-or-nothing batch. The
/// store does the same inside a transaction; the simulation and tests use this directly.
#[derive(Debug, Clone, Default)]
pub struct Ledger {
    works: BTreeMap<Id, Work>,
}

impl Ledger {
    /// A ledger of these works.
    pub fn new(works: impl IntoIterator<Item = Work>) -> Ledger {
        Ledger {
            works: works.into_iter().map(|w| (w.id.clone(), w)).collect(),
        }
    }

    /// The work with this id.
    pub fn get(&self, id: &Id) -> Option<&Work> {
        self.works.get(id)
    }

    /// Every work, by id.
    pub fn works(&self) -> impl Iterator<Item = &Work> {
        self.works.values()
    }

    /// Consumes the ledger into its works, by id.
    pub fn into_works(self) -> Vec<Work> {
        self.works.into_values().collect()
    }

    /// Applies one edit.
    pub fn apply(&mut self, update: &WorkUpdate, ctx: &EditContext) -> Result<Applied> {
        let work = self
            .works
            .get(&update.work_id)
            .ok_or_else(|| Error::UnknownWork {
                work_id: update.work_id.clone(),
            })?;
        let works = &self.works;
        let applied = apply_edit(work, update, ctx, &|d| works.get(d).map(|w| w.status))?;
        self.works
            .insert(applied.work.id.clone(), applied.work.clone());
        Ok(applied)
    }

    /// Applies every edit in order, or none: on the first failure the ledger is left as it was
    /// and the error says which edit (0-based) failed. Later edits see earlier ones (a land
    /// allotment done in row 3 lets the mast of row 7 start).
    pub fn apply_batch(
        &mut self,
        updates: &[WorkUpdate],
        ctx: &EditContext,
    ) -> Result<Vec<Applied>> {
        let mut touched: HashMap<Id, Work> = HashMap::new();
        let mut out = Vec::with_capacity(updates.len());
        for (index, u) in updates.iter().enumerate() {
            let batch = |e| Error::Batch {
                index,
                source: Box::new(e),
            };
            let current = touched
                .get(&u.work_id)
                .or_else(|| self.works.get(&u.work_id))
                .ok_or_else(|| {
                    batch(Error::UnknownWork {
                        work_id: u.work_id.clone(),
                    })
                })?;
            let status_of = |d: &Id| {
                touched
                    .get(d)
                    .or_else(|| self.works.get(d))
                    .map(|w| w.status)
            };
            let applied = apply_edit(current, u, ctx, &status_of).map_err(batch)?;
            touched.insert(applied.work.id.clone(), applied.work.clone());
            out.push(applied);
        }
        for (id, w) in touched {
            self.works.insert(id, w);
        }
        Ok(out)
    }
}
