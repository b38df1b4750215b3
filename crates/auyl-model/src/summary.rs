//! A registry summary: settlements and people by region, set against a programme's targets, and
//! what the data does not cover.

use crate::{AdminArea, Settlement};
use serde::Serialize;
use std::collections::BTreeMap;

/// A programme's published targets, to set the registry beside.
#[derive(Debug, Clone, Serialize)]
pub struct ProgrammeTargets {
    /// Name of the programme.
    pub name: String,
    /// Settlements to connect.
    pub settlements: u64,
    /// People living in them.
    pub people: u64,
    /// Where the figures come from.
    pub source: String,
}

/// Counts for one region (or for settlements outside every region).
#[derive(Debug, Clone, Default, Serialize)]
pub struct RegionSummary {
    /// Region code, or empty for settlements with no region.
    pub code: String,
    /// Display name (English when known).
    pub name: String,
    /// All settlements.
    pub settlements: u64,
    /// Rural settlements (village, hamlet, isolated dwelling).
    pub rural_settlements: u64,
    /// Rural settlements with a reported population.
    pub rural_with_reported_population: u64,
    /// Rural people, reported figures only.
    pub rural_people_reported: u64,
    /// Rural people, estimated figures only.
    pub rural_people_estimated: u64,
    /// All people (reported and estimated, urban and rural).
    pub people: u64,
}

/// The registry at a glance.
#[derive(Debug, Clone, Serialize)]
pub struct RegistrySummary {
    /// Per region, ordered by code; settlements outside every region last.
    pub regions: Vec<RegionSummary>,
    /// Sums over all regions.
    pub total: RegionSummary,
    /// The targets it is set against, if any.
    pub targets: Option<ProgrammeTargets>,
    /// Rural settlements as a share of the target settlements (1.0 = as many).
    pub settlements_vs_target: Option<f64>,
    /// Rural people (reported + estimated) as a share of the target people.
    pub people_vs_target: Option<f64>,
    /// Plain statements of what the data does not cover.
    pub gaps: Vec<String>,
}

/// Counts of the other layers, for the gaps statement.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct LayerCounts {
    /// Regions.
    pub regions: u64,
    /// Districts.
    pub districts: u64,
    /// Road segments.
    pub roads: u64,
    /// Power plants and substations.
    pub power: u64,
    /// Masts.
    pub masts: u64,
    /// Backbone nodes.
    pub backbone_nodes: u64,
    /// Fibre routes.
    pub fibre_routes: u64,
    /// Organisations.
    pub organisations: u64,
}

/// Summarises settlements by region and states what the registry lacks.
pub fn summarise(
    settlements: &[Settlement],
    regions: &[AdminArea],
    counts: LayerCounts,
    targets: Option<ProgrammeTargets>,
) -> RegistrySummary {
    let mut by: BTreeMap<String, RegionSummary> = regions
        .iter()
        .map(|r| {
            (
                r.code.0.clone(),
                RegionSummary {
                    code: r.code.0.clone(),
                    name: r.names.display("en").unwrap_or(&r.code.0).to_string(),
                    ..Default::default()
                },
            )
        })
        .collect();
    let mut total = RegionSummary {
        name: "Total".into(),
        ..Default::default()
    };
    let mut unnamed = 0u64;
    for s in settlements {
        let code = s.region_code.clone().unwrap_or_default();
        let entry = by.entry(code.clone()).or_insert_with(|| RegionSummary {
            name: if code.is_empty() {
                "(no region)".into()
            } else {
                code.clone()
            },
            code,
            ..Default::default()
        });
        if s.names.display("en").is_none() {
            unnamed += 1;
        }
        for e in [&mut *entry, &mut total] {
            e.settlements += 1;
            let people = s.population.as_ref().map_or(0, |p| u64::from(p.people));
            e.people += people;
            if s.kind.is_rural() {
                e.rural_settlements += 1;
                match &s.population {
                    Some(p) if p.estimated => e.rural_people_estimated += people,
                    Some(_) => {
                        e.rural_with_reported_population += 1;
                        e.rural_people_reported += people;
                    }
                    None => {}
                }
            }
        }
    }
    let mut regions: Vec<RegionSummary> = by.into_values().collect();
    // Settlements outside every region go last.
    regions.sort_by_key(|r| (r.code.is_empty(), r.code.clone()));

    let rural_people = total.rural_people_reported + total.rural_people_estimated;
    let mut gaps = Vec::new();
    let no_pop = total.rural_settlements - total.rural_with_reported_population;
    if no_pop > 0 {
        gaps.push(format!(
            "{} of {} rural settlements ({:.0} %) have no reported population; {} people ({:.0} % of rural people) are estimates (flagged `estimated`).",
            thousands(no_pop),
            thousands(total.rural_settlements),
            pct(no_pop, total.rural_settlements),
            thousands(total.rural_people_estimated),
            pct(total.rural_people_estimated, rural_people),
        ));
    }
    if unnamed > 0 {
        gaps.push(format!("{} settlements have no name (mostly farmsteads and wintering places): probably not programme targets.", thousands(unnamed)));
    }
    if counts.masts == 0 {
        gaps.push("No masts: existing mobile coverage is unknown. Import operators' site lists with `auyl import masts FILE`.".into());
    }
    if counts.backbone_nodes == 0 && counts.fibre_routes == 0 {
        gaps.push("No backbone nodes or fibre routes: existing fibre is unknown. Import them with `auyl import backbone_nodes|fibre_routes FILE`.".into());
    }
    if counts.power == 0 {
        gaps.push("No power plants or substations.".into());
    }
    if counts.roads == 0 {
        gaps.push("No roads: fibre routes cannot follow roads.".into());
    }
    if counts.regions == 0 {
        gaps.push(
            "No regional boundaries: settlements cannot be placed in regions by location.".into(),
        );
    }
    let settlements_vs_target = targets
        .as_ref()
        .filter(|t| t.settlements > 0)
        .map(|t| total.rural_settlements as f64 / t.settlements as f64);
    let people_vs_target = targets
        .as_ref()
        .filter(|t| t.people > 0)
        .map(|t| rural_people as f64 / t.people as f64);
    RegistrySummary {
        regions,
        total,
        targets,
        settlements_vs_target,
        people_vs_target,
        gaps,
    }
}

/// A count with thousands separated by commas (`9,341`), as the programme's reports write them.
pub fn thousands(x: u64) -> String {
    let s = x.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn pct(a: u64, b: u64) -> f64 {
    if b == 0 {
        0.0
    } else {
        100.0 * a as f64 / b as f64
    }
}

#[cfg(test)]
mod tests {
    use super::thousands;

    #[test]
    fn thousands_are_separated() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(7_600_000), "7,600,000");
    }
}
