//! Errors of tracking: each names the work or settlement it is about.

use crate::{Status, WorkKind};
use auyl_model::Id;

/// What went wrong.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A planned settlement has no operator, so nobody would be responsible for its works.
    #[error("settlement `{settlement_id}`: the plan names no operator")]
    NoOperator {
        /// The settlement.
        settlement_id: Id,
    },
    /// Land or power is needed but the plan names no akimat to provide it.
    #[error("settlement `{settlement_id}`: {kind:?} is needed but the plan names no akimat")]
    NoAkimat {
        /// The settlement.
        settlement_id: Id,
        /// The akimat work without an akimat.
        kind: WorkKind,
    },
    /// A plan year outside the calendar this crate handles.
    #[error("settlement `{settlement_id}`: year {year} cannot be scheduled")]
    BadYear {
        /// The settlement.
        settlement_id: Id,
        /// The year.
        year: i32,
    },
    /// An edit names a work that does not exist.
    #[error("work `{work_id}` does not exist")]
    UnknownWork {
        /// The work.
        work_id: Id,
    },
    /// The work changed since the editor read it: the edit would overwrite someone else's.
    #[error(
        "work `{work_id}` was changed by someone else: the edit was made from version {expected}, it is now at version {actual}; reload and edit again"
    )]
    Conflict {
        /// The work.
        work_id: Id,
        /// The version the edit was made from.
        expected: i64,
        /// The version stored.
        actual: i64,
    },
    /// A status change the workflow does not allow.
    #[error("work `{work_id}`: status cannot go from {} to {}", from.as_str(), to.as_str())]
    Transition {
        /// The work.
        work_id: Id,
        /// Current status.
        from: Status,
        /// Requested status.
        to: Status,
    },
    /// A work cannot start or finish before the works it depends on are finished.
    #[error("work `{work_id}` cannot be {} while `{depends_on}` is {}", to.as_str(), status.as_str())]
    DependencyNotFinished {
        /// The work.
        work_id: Id,
        /// The requested status.
        to: Status,
        /// The unfinished dependency.
        depends_on: Id,
        /// Its status.
        status: Status,
    },
    /// Blocked without saying why, or a blocker on a work that is not blocked.
    #[error("work `{work_id}`: {message}")]
    Blocker {
        /// The work.
        work_id: Id,
        /// What is wrong.
        message: String,
    },
    /// Dates that contradict each other or the status.
    #[error("work `{work_id}`: {message}")]
    Dates {
        /// The work.
        work_id: Id,
        /// What is wrong.
        message: String,
    },
    /// One edit of a batch failed: the whole batch is refused.
    #[error("edit {index} of the batch: {source}")]
    Batch {
        /// 0-based position of the failing edit.
        index: usize,
        /// Why it failed.
        source: Box<Error>,
    },
}

/// Tracking's result.
pub type Result<T, E = Error> = std::result::Result<T, E>;
