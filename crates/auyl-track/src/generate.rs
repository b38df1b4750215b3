//! Works from a plan: only the works each settlement's option needs, shared elements (a mast
//! serving several villages, a fibre route) once, scheduled forward from the plan year.

use crate::work::{Status, TrackedSettlement, Work, WorkKind};
use crate::{Error, Result};
use auyl_model::plan::{Plan, SettlementPlan, SiteStatus};
use auyl_model::{Id, Technology};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use time::{Date, Duration, Month};

/// How long each kind of work takes, and when the building season opens: scenario inputs, given
/// by the caller (the defaults are typical Kazakh rural figures, not measurements).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Durations {
    /// Land allotment by the akimat, days.
    pub land_days: i64,
    /// Power connection, days.
    pub power_days: i64,
    /// Mast construction, days.
    pub mast_days: i64,
    /// Fibre line: fixed part (permits, mobilisation), days.
    pub fibre_base_days: i64,
    /// Fibre line: days per kilometre laid.
    pub fibre_days_per_km: f64,
    /// Equipment installation, days.
    pub equipment_days: i64,
    /// Commissioning, days.
    pub commissioning_days: i64,
    /// Acceptance by the ministry's commission, days.
    pub acceptance_days: i64,
    /// Month the building season opens in each plan year (frozen ground before).
    pub season_start_month: u8,
    /// Day of that month.
    pub season_start_day: u8,
}

impl Default for Durations {
    fn default() -> Self {
        Durations {
            land_days: 45,
            power_days: 60,
            mast_days: 30,
            fibre_base_days: 20,
            fibre_days_per_km: 1.5,
            equipment_days: 10,
            commissioning_days: 5,
            acceptance_days: 14,
            season_start_month: 4,
            season_start_day: 1,
        }
    }
}

/// Works and tracked settlements generated from a plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Generated {
    /// The plan's scenario name.
    pub scenario: String,
    /// One per planned settlement, in plan order.
    pub settlements: Vec<TrackedSettlement>,
    /// Works, dependencies before dependants.
    pub works: Vec<Work>,
}

/// Which element a work belongs to, for its id: shared elements get one work.
fn work_id(element: &str, kind: WorkKind) -> Id {
    Id::new(format!("{element}/{}", kind.as_str()))
}

struct Builder<'a> {
    durations: &'a Durations,
    works: BTreeMap<Id, Work>,
    order: Vec<Id>,
    /// The day the season opens in the current settlement's plan year.
    season: Date,
}

impl Builder<'_> {
    /// Adds the work (or, if the element already has it, adds the settlement to it), scheduled to
    /// start when the season opens or its dependencies finish, whichever is later.
    fn add(
        &mut self,
        element: &str,
        kind: WorkKind,
        settlement: &Id,
        responsible: &Id,
        depends_on: &[Id],
        days: i64,
    ) -> Id {
        let id = work_id(element, kind);
        if let Some(w) = self.works.get_mut(&id) {
            if !w.settlement_ids.contains(settlement) {
                w.settlement_ids.push(settlement.clone());
            }
            return id;
        }
        let start = depends_on
            .iter()
            .filter_map(|d| self.works.get(d).map(|w| w.planned_finish))
            .fold(self.season, Date::max);
        let finish = start.saturating_add(Duration::days(days.max(1)));
        self.works.insert(
            id.clone(),
            Work {
                id: id.clone(),
                kind,
                settlement_ids: vec![settlement.clone()],
                responsible_id: responsible.clone(),
                planned_start: start,
                planned_finish: finish,
                status: Status::Planned,
                depends_on: depends_on.to_vec(),
                blocker: None,
                actual_start: None,
                actual_finish: None,
                comment: String::new(),
                version: 1,
            },
        );
        self.order.push(id.clone());
        id
    }
}

fn is_radio(t: Technology) -> bool {
    matches!(
        t,
        Technology::Lte | Technology::Nr | Technology::Umts | Technology::Gsm
    )
}

/// Generates the works of every planned settlement.
///
/// - land allotment and power connection (the akimat) when the plan says land or power is needed;
/// - a mast when the settlement's site is new (or, without a site, when land is needed for one);
/// - a fibre line when a route serves it (access for fibre, backhaul for a site);
/// - equipment installation, commissioning and acceptance always.
///
/// A mast, its land and power, and a route are shared by every settlement they serve. A mast
/// depends on land and power; equipment on the mast (or power) and the fibre line;
/// commissioning on equipment; acceptance on commissioning. Each work starts when the season
/// opens in the settlement's plan year or when its dependencies are planned to finish.
/// `region_of` gives each settlement's region code (from the registry).
pub fn generate(
    plan: &Plan,
    durations: &Durations,
    region_of: &dyn Fn(&Id) -> Option<String>,
) -> Result<Generated> {
    let sites: HashMap<&Id, SiteStatus> = plan.sites.iter().map(|s| (&s.id, s.status)).collect();
    let route_km: HashMap<&Id, f64> = plan
        .routes
        .iter()
        .map(|r| (&r.id, r.length_m_by_class.values().sum::<f64>() / 1000.0))
        .collect();
    let mut b = Builder {
        durations,
        works: BTreeMap::new(),
        order: Vec::new(),
        season: Date::MIN,
    };
    let mut settlements = Vec::with_capacity(plan.settlements.len());
    for sp in &plan.settlements {
        settlements.push(generate_one(&mut b, sp, &sites, &route_km, region_of)?);
    }
    let Builder {
        mut works, order, ..
    } = b;
    let works = order
        .into_iter()
        .filter_map(|id| works.remove(&id))
        .collect();
    Ok(Generated {
        scenario: plan.scenario.clone(),
        settlements,
        works,
    })
}

fn generate_one(
    b: &mut Builder<'_>,
    sp: &SettlementPlan,
    sites: &HashMap<&Id, SiteStatus>,
    route_km: &HashMap<&Id, f64>,
    region_of: &dyn Fn(&Id) -> Option<String>,
) -> Result<TrackedSettlement> {
    let sid = &sp.settlement_id;
    let operator = sp.operator_id.clone().ok_or_else(|| Error::NoOperator {
        settlement_id: sid.clone(),
    })?;
    let season = Date::from_calendar_date(
        sp.year,
        Month::try_from(b.durations.season_start_month).unwrap_or(Month::April),
        b.durations.season_start_day.clamp(1, 28),
    )
    .map_err(|_| Error::BadYear {
        settlement_id: sid.clone(),
        year: sp.year,
    })?;
    b.season = season;
    let akimat = |kind| {
        sp.akimat_id.clone().ok_or_else(|| Error::NoAkimat {
            settlement_id: sid.clone(),
            kind,
        })
    };
    let d = b.durations.clone();
    let own = format!("settlement:{sid}");
    // Radio options hang off their site; everything else is built at the settlement.
    let site_element = match (&sp.site_id, is_radio(sp.technology)) {
        (Some(site), true) => format!("site:{site}"),
        _ => own.clone(),
    };
    let new_mast = match &sp.site_id {
        Some(site) => match sites.get(site) {
            Some(SiteStatus::New) => true,
            Some(SiteStatus::Existing) => false,
            None => sp.needs_land,
        },
        None => sp.needs_land && sp.technology != Technology::Fibre,
    };
    let mut before_mast = Vec::new();
    if sp.needs_land {
        let a = akimat(WorkKind::LandAllotment)?;
        before_mast.push(b.add(
            &site_element,
            WorkKind::LandAllotment,
            sid,
            &a,
            &[],
            d.land_days,
        ));
    }
    if sp.needs_power {
        let a = akimat(WorkKind::PowerConnection)?;
        before_mast.push(b.add(
            &site_element,
            WorkKind::PowerConnection,
            sid,
            &a,
            &[],
            d.power_days,
        ));
    }
    let mut before_equipment = Vec::new();
    if new_mast {
        before_equipment.push(b.add(
            &site_element,
            WorkKind::MastConstruction,
            sid,
            &operator,
            &before_mast,
            d.mast_days,
        ));
    } else {
        before_equipment.extend(before_mast);
    }
    let fibre_needed = sp.technology == Technology::Fibre || sp.route_id.is_some();
    if fibre_needed {
        let (element, km) = match &sp.route_id {
            Some(r) => (
                format!("route:{r}"),
                route_km.get(r).copied().unwrap_or(0.0),
            ),
            None => (own.clone(), 0.0),
        };
        let days = d.fibre_base_days + (d.fibre_days_per_km * km).ceil() as i64;
        before_equipment.push(b.add(&element, WorkKind::FibreLine, sid, &operator, &[], days));
    }
    let equipment = b.add(
        &site_element,
        WorkKind::EquipmentInstallation,
        sid,
        &operator,
        &before_equipment,
        d.equipment_days,
    );
    let commissioning = b.add(
        &own,
        WorkKind::Commissioning,
        sid,
        &operator,
        &[equipment],
        d.commissioning_days,
    );
    let target_date = b
        .works
        .get(&commissioning)
        .map_or(season, |w| w.planned_finish);
    let acceptance_id = b.add(
        &own,
        WorkKind::Acceptance,
        sid,
        &operator,
        std::slice::from_ref(&commissioning),
        d.acceptance_days,
    );
    debug_assert!(b.works.contains_key(&acceptance_id));
    Ok(TrackedSettlement {
        settlement_id: sid.clone(),
        region_code: region_of(sid).unwrap_or_else(|| "unknown".to_string()),
        operator_id: operator,
        akimat_id: sp.akimat_id.clone(),
        people: sp.people,
        technology: sp.technology.as_str().to_string(),
        target_date,
    })
}

/// The id of a settlement's commissioning work (the one that makes it connected).
pub fn commissioning_id(settlement_id: &Id) -> Id {
    work_id(
        &format!("settlement:{settlement_id}"),
        WorkKind::Commissioning,
    )
}
