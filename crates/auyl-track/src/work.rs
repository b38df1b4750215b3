//! Works, their statuses and blockers: the vocabulary of tracking.

use auyl_model::Id;
use serde::{Deserialize, Serialize};
use time::Date;

time::serde::format_description!(pub(crate) iso_date, Date, "[year]-[month]-[day]");

/// Formats a date as `YYYY-MM-DD` (the form used in files, the database and the audit log).
pub fn format_date(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// Parses `YYYY-MM-DD`.
pub fn parse_date(s: &str) -> Option<Date> {
    let mut it = s.trim().splitn(3, '-');
    let y: i32 = it.next()?.parse().ok()?;
    let m: u8 = it.next()?.parse().ok()?;
    let d: u8 = it.next()?.parse().ok()?;
    Date::from_calendar_date(y, time::Month::try_from(m).ok()?, d).ok()
}

/// What a work builds or does. Only those the chosen option needs are generated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WorkKind {
    /// The akimat allots the land plot for a new mast or line.
    LandAllotment,
    /// Electricity is brought to the site (grid connection or a new supply).
    PowerConnection,
    /// A new mast is built.
    MastConstruction,
    /// A fibre line is laid (access or backhaul).
    FibreLine,
    /// Radio, optical or satellite equipment is installed.
    EquipmentInstallation,
    /// The service is switched on in the settlement: from here people have access.
    Commissioning,
    /// The ministry's commission accepts the settlement as connected.
    Acceptance,
}

impl WorkKind {
    /// Every kind, in the order they are usually done.
    pub const ALL: [WorkKind; 7] = [
        WorkKind::LandAllotment,
        WorkKind::PowerConnection,
        WorkKind::MastConstruction,
        WorkKind::FibreLine,
        WorkKind::EquipmentInstallation,
        WorkKind::Commissioning,
        WorkKind::Acceptance,
    ];

    /// The snake-case name used in files and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            WorkKind::LandAllotment => "land_allotment",
            WorkKind::PowerConnection => "power_connection",
            WorkKind::MastConstruction => "mast_construction",
            WorkKind::FibreLine => "fibre_line",
            WorkKind::EquipmentInstallation => "equipment_installation",
            WorkKind::Commissioning => "commissioning",
            WorkKind::Acceptance => "acceptance",
        }
    }

    /// Parses the snake-case name.
    pub fn parse(s: &str) -> Option<WorkKind> {
        WorkKind::ALL.into_iter().find(|k| k.as_str() == s.trim())
    }

    /// Whether the akimat (not the operator) is responsible for this kind of work.
    pub fn is_akimat_work(self) -> bool {
        matches!(self, WorkKind::LandAllotment | WorkKind::PowerConnection)
    }
}

/// Where a work stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Not started.
    Planned,
    /// Started.
    InProgress,
    /// Cannot go on until someone acts (see the work's [`Blocker`]).
    Blocked,
    /// Finished by the responsible organisation.
    Done,
    /// Finished and accepted by the ministry; final.
    Accepted,
}

impl Status {
    /// Every status.
    pub const ALL: [Status; 5] = [
        Status::Planned,
        Status::InProgress,
        Status::Blocked,
        Status::Done,
        Status::Accepted,
    ];

    /// The snake-case name used in files and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Planned => "planned",
            Status::InProgress => "in_progress",
            Status::Blocked => "blocked",
            Status::Done => "done",
            Status::Accepted => "accepted",
        }
    }

    /// Parses the snake-case name, spaces for underscores, and the Russian and Kazakh words the
    /// operator workbook offers.
    pub fn parse(s: &str) -> Option<Status> {
        let t = s.trim().to_lowercase().replace(' ', "_");
        Some(match t.as_str() {
            "planned" | "запланировано" | "жоспарланған" => {
                Status::Planned
            }
            "in_progress" | "в_работе" | "орындалуда" => Status::InProgress,
            "blocked" | "заблокировано" | "тоқтатылған" => Status::Blocked,
            "done" | "выполнено" | "орындалды" => Status::Done,
            "accepted" | "принято" | "қабылданды" => Status::Accepted,
            _ => return None,
        })
    }

    /// Whether the work is finished (done or accepted): what dependants wait for.
    pub fn is_finished(self) -> bool {
        matches!(self, Status::Done | Status::Accepted)
    }

    /// The statuses a work may move to from this one. Staying the same is always allowed.
    ///
    /// Planned → in progress or blocked; in progress → blocked or done; blocked → planned or
    /// in progress; done → accepted, or back to in progress when a defect is found; accepted is
    /// final.
    pub fn next(self) -> &'static [Status] {
        match self {
            Status::Planned => &[Status::InProgress, Status::Blocked],
            Status::InProgress => &[Status::Blocked, Status::Done],
            Status::Blocked => &[Status::Planned, Status::InProgress],
            Status::Done => &[Status::Accepted, Status::InProgress],
            Status::Accepted => &[],
        }
    }

    /// Whether moving from `self` to `to` is allowed.
    pub fn can_become(self, to: Status) -> bool {
        self == to || self.next().contains(&to)
    }
}

/// Why a work is blocked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BlockerReason {
    /// The land plot is not allotted.
    Land,
    /// No electricity at the site.
    Electricity,
    /// A permit is missing.
    Permits,
    /// Equipment has not arrived.
    Equipment,
    /// Weather stops the works.
    Weather,
    /// Money is not there.
    Financing,
}

impl BlockerReason {
    /// Every reason.
    pub const ALL: [BlockerReason; 6] = [
        BlockerReason::Land,
        BlockerReason::Electricity,
        BlockerReason::Permits,
        BlockerReason::Equipment,
        BlockerReason::Weather,
        BlockerReason::Financing,
    ];

    /// The snake-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            BlockerReason::Land => "land",
            BlockerReason::Electricity => "electricity",
            BlockerReason::Permits => "permits",
            BlockerReason::Equipment => "equipment",
            BlockerReason::Weather => "weather",
            BlockerReason::Financing => "financing",
        }
    }

    /// Parses the snake-case name.
    pub fn parse(s: &str) -> Option<BlockerReason> {
        let t = s.trim().to_lowercase();
        BlockerReason::ALL.into_iter().find(|r| r.as_str() == t)
    }
}

/// What stops a blocked work: the reason, who must act, since when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Blocker {
    /// Category.
    pub reason: BlockerReason,
    /// The organisation that must act (an akimat for land and electricity, usually).
    pub who_must_act: Id,
    /// The day the work was blocked.
    #[serde(with = "iso_date")]
    pub since: Date,
    /// Free text from whoever reported it.
    pub note: String,
}

impl Blocker {
    /// One line for the audit log and reports: `land by akimat:110000000 since 2026-03-02: note`.
    pub fn describe(&self) -> String {
        let mut s = format!(
            "{} by {} since {}",
            self.reason.as_str(),
            self.who_must_act,
            format_date(self.since)
        );
        if !self.note.is_empty() {
            s.push_str(": ");
            s.push_str(&self.note);
        }
        s
    }
}

/// One work: a thing one organisation must do for one or more settlements.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Work {
    /// Stable id: `{element}/{kind}`, e.g. `site:12/mast_construction`,
    /// `settlement:osm:n1/commissioning`.
    pub id: Id,
    /// What it is.
    pub kind: WorkKind,
    /// The settlements it serves (a shared mast serves several).
    pub settlement_ids: Vec<Id>,
    /// The organisation responsible (the operator, or the akimat for land and electricity).
    pub responsible_id: Id,
    /// Planned start.
    #[serde(with = "iso_date")]
    pub planned_start: Date,
    /// Planned finish.
    #[serde(with = "iso_date")]
    pub planned_finish: Date,
    /// Where it stands.
    pub status: Status,
    /// Works that must be finished before this one starts.
    pub depends_on: Vec<Id>,
    /// What blocks it (exactly when the status is blocked).
    pub blocker: Option<Blocker>,
    /// Day it actually started.
    #[serde(with = "iso_date::option")]
    pub actual_start: Option<Date>,
    /// Day it actually finished.
    #[serde(with = "iso_date::option")]
    pub actual_finish: Option<Date>,
    /// Last remark of the responsible organisation.
    pub comment: String,
    /// Optimistic version: 1 when generated, +1 on each change. An edit must name the version it
    /// was made from.
    pub version: i64,
}

impl Work {
    /// A short fingerprint of the fields an organisation edits (status, blocker reason, who and
    /// since, actual dates, comment): an exchanged row whose values still match it was not
    /// edited, and is not an edit at all.
    pub fn fingerprint(&self) -> String {
        let b = self.blocker.as_ref();
        fingerprint(&[
            self.status.as_str(),
            b.map_or("", |b| b.reason.as_str()),
            b.map_or("", |b| b.who_must_act.as_str()),
            &b.map(|b| format_date(b.since)).unwrap_or_default(),
            &self.actual_start.map(format_date).unwrap_or_default(),
            &self.actual_finish.map(format_date).unwrap_or_default(),
            self.comment.trim(),
        ])
    }

    /// Whether it is late on `as_of`: not finished and its planned finish is past.
    pub fn is_overdue(&self, as_of: Date) -> bool {
        !self.status.is_finished() && self.planned_finish < as_of
    }
}

/// A planned settlement as tracking sees it: where it is, who serves it, how many people.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrackedSettlement {
    /// The settlement (registry id).
    pub settlement_id: Id,
    /// Region code (KATO), `unknown` when the registry has none.
    pub region_code: String,
    /// Responsible operator.
    pub operator_id: Id,
    /// Akimat for land and electricity, if any.
    pub akimat_id: Option<Id>,
    /// People it connects.
    pub people: u64,
    /// Access technology (`fibre`, `lte`, …).
    pub technology: String,
    /// The planned day the service is on (its commissioning's planned finish).
    #[serde(with = "iso_date")]
    pub target_date: Date,
}

/// The fingerprint of editable values in the order of [`Work::fingerprint`] (status, blocker
/// reason, who must act, blocker since, actual start, actual finish, comment; dates `YYYY-MM-DD`,
/// empty for none): the first 16 hex digits of their SHA-256, each value length-prefixed.
pub fn fingerprint(values: &[&str; 7]) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for v in values {
        h.update((v.len() as u64).to_le_bytes());
        h.update(v.as_bytes());
    }
    hex::encode(&h.finalize()[..8])
}
