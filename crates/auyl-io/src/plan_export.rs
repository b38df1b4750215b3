//! A plan in files: GeoPackage/GeoJSON layers for QGIS, a workbook for the ministry and each
//! operator, and a self-contained HTML report with a map and charts.

use crate::error::{Error, Result, io_err};
use crate::features::FeatureTable;
use crate::write::{atomic_write, export_tables};
use auyl_model::{AreaLevel, FieldType, GeometryKind, Id, LonLat, Plan, RegistryLayers, Value};
use geo_types::{Geometry, LineString, Point};
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::path::Path;

/// What a reader of the plan needs beside it: names, regions and where settlements are.
#[derive(Debug, Clone, Default)]
pub struct PlanContext {
    /// Settlement id → its name, region and location.
    pub settlements: HashMap<Id, SettlementInfo>,
    /// Organisation id → its name.
    pub organisations: HashMap<Id, String>,
    /// Region code → its name.
    pub regions: BTreeMap<String, String>,
    /// Report title.
    pub title: String,
    /// When the report was made (shown, not computed here).
    pub generated_at: String,
    /// Lines setting the plan beside published figures (`label`, `figure`, `comment`).
    pub benchmarks: Vec<(String, String, String)>,
}

impl PlanContext {
    /// Names, regions and locations from the registry (settlements, regions and organisations
    /// are read; other layers may be empty), made at `generated_at` (RFC 3339).
    pub fn from_registry(reg: &RegistryLayers, generated_at: &str) -> PlanContext {
        let settlements = reg
            .settlements
            .iter()
            .map(|s| {
                (
                    s.id.clone(),
                    SettlementInfo {
                        name: s
                            .names
                            .display("kk")
                            .or_else(|| s.names.display("ru"))
                            .or_else(|| s.names.display("en"))
                            .unwrap_or(s.id.as_str())
                            .to_string(),
                        region_code: s.region_code.clone(),
                        location: s.location,
                    },
                )
            })
            .collect();
        let organisations = reg
            .organisations
            .iter()
            .map(|o| {
                (
                    o.id.clone(),
                    o.names
                        .display("en")
                        .or_else(|| o.names.display("ru"))
                        .unwrap_or(o.id.as_str())
                        .to_string(),
                )
            })
            .collect();
        let regions = reg
            .areas
            .iter()
            .filter(|a| a.level == AreaLevel::Region)
            .map(|a| {
                (
                    a.code.to_string(),
                    a.names
                        .display("en")
                        .or_else(|| a.names.display("ru"))
                        .unwrap_or(a.code.as_str())
                        .to_string(),
                )
            })
            .collect();
        PlanContext {
            settlements,
            organisations,
            regions,
            title: String::new(),
            generated_at: generated_at.to_string(),
            benchmarks: Vec::new(),
        }
    }
}

/// A settlement as the plan's outputs show it.
#[derive(Debug, Clone, PartialEq)]
pub struct SettlementInfo {
    /// Display name.
    pub name: String,
    /// Region code.
    pub region_code: Option<String>,
    /// Where.
    pub location: LonLat,
}

impl PlanContext {
    fn name(&self, id: &Id) -> String {
        self.settlements
            .get(id)
            .map_or_else(|| id.to_string(), |s| s.name.clone())
    }
    fn region(&self, id: &Id) -> String {
        let code = self.settlements.get(id).and_then(|s| s.region_code.clone());
        match code {
            Some(c) => self.regions.get(&c).cloned().unwrap_or(c),
            None => "(no region)".into(),
        }
    }
    fn org(&self, id: Option<&Id>) -> String {
        match id {
            Some(id) => self
                .organisations
                .get(id)
                .cloned()
                .unwrap_or_else(|| id.to_string()),
            None => "(unassigned)".into(),
        }
    }
    fn point(&self, id: &Id) -> Option<Geometry<f64>> {
        self.settlements
            .get(id)
            .map(|s| Point::new(s.location.lon_deg, s.location.lat_deg).into())
    }
}

fn text(s: impl Into<String>) -> Value {
    Value::Text(s.into())
}
fn opt_text(s: Option<&Id>) -> Value {
    s.map_or(Value::Null, |s| Value::Text(s.to_string()))
}
fn int(i: impl TryInto<i64>) -> Value {
    i.try_into().map_or(Value::Null, Value::Integer)
}
fn ids(v: &[Id]) -> Value {
    Value::Text(v.iter().map(Id::as_str).collect::<Vec<_>>().join(";"))
}
fn line(a: LonLat, b: LonLat) -> Geometry<f64> {
    LineString::from(vec![(a.lon_deg, a.lat_deg), (b.lon_deg, b.lat_deg)]).into()
}

/// The plan as feature tables: `plan_settlements`, `plan_unserved`, `plan_sites`, `plan_routes`,
/// `plan_hops` (the layers QGIS shows).
pub fn plan_tables(plan: &Plan, ctx: &PlanContext) -> Vec<FeatureTable> {
    use FieldType::{Bool, Integer, Real, Text};
    let mut settlements = FeatureTable::new(
        "plan_settlements",
        GeometryKind::Point,
        &[
            ("settlement_id", Text),
            ("name", Text),
            ("region", Text),
            ("technology", Text),
            ("year", Integer),
            ("people", Integer),
            ("demand_mbps", Real),
            ("capacity_mbps", Real),
            ("capex_usd", Real),
            ("opex_usd_per_year", Real),
            ("operator", Text),
            ("akimat", Text),
            ("site_id", Text),
            ("route_id", Text),
            ("hop_ids", Text),
            ("needs_land", Bool),
            ("needs_power", Bool),
            ("reason", Text),
            ("assumptions", Text),
        ],
    );
    for s in &plan.settlements {
        settlements.push(
            ctx.point(&s.settlement_id),
            vec![
                text(s.settlement_id.as_str()),
                text(ctx.name(&s.settlement_id)),
                text(ctx.region(&s.settlement_id)),
                text(s.technology.as_str()),
                int(s.year),
                int(s.people),
                Value::Real(s.demand_mbps),
                Value::Real(s.capacity_mbps),
                Value::Real(s.capex_usd),
                Value::Real(s.opex_usd_per_year),
                text(ctx.org(s.operator_id.as_ref())),
                opt_text(s.akimat_id.as_ref()),
                opt_text(s.site_id.as_ref()),
                opt_text(s.route_id.as_ref()),
                ids(&s.hop_ids),
                Value::Bool(s.needs_land),
                Value::Bool(s.needs_power),
                text(s.reason.clone()),
                text(s.assumptions.join("; ")),
            ],
        );
    }
    let mut unserved = FeatureTable::new(
        "plan_unserved",
        GeometryKind::Point,
        &[
            ("settlement_id", Text),
            ("name", Text),
            ("region", Text),
            ("people", Integer),
            ("reason", Text),
        ],
    );
    for u in &plan.unserved {
        unserved.push(
            ctx.point(&u.settlement_id),
            vec![
                text(u.settlement_id.as_str()),
                text(ctx.name(&u.settlement_id)),
                text(ctx.region(&u.settlement_id)),
                int(u.people),
                text(u.reason.clone()),
            ],
        );
    }
    let mut sites = FeatureTable::new(
        "plan_sites",
        GeometryKind::Point,
        &[
            ("site_id", Text),
            ("status", Text),
            ("technology", Text),
            ("height_m", Real),
            ("ground_m", Real),
            ("power", Text),
            ("battery_h", Real),
            ("backhaul", Text),
            ("serves", Text),
            ("operator", Text),
            ("year", Integer),
            ("capex_usd", Real),
            ("opex_usd_per_year", Real),
        ],
    );
    for s in &plan.sites {
        let power = match s.power {
            auyl_model::PowerSupply::Grid { extension_m, .. } => {
                format!("grid (+{:.1} km line)", extension_m / 1000.0)
            }
            auyl_model::PowerSupply::SolarBattery { .. } => "solar+battery".into(),
        };
        let backhaul = match &s.backhaul {
            auyl_model::Backhaul::Fibre { .. } => "fibre".to_string(),
            auyl_model::Backhaul::Microwave { hop_ids } => {
                format!("microwave ({} hops)", hop_ids.len())
            }
            auyl_model::Backhaul::Satellite => "satellite".into(),
        };
        sites.push(
            Some(Point::new(s.location.lon_deg, s.location.lat_deg).into()),
            vec![
                text(s.id.as_str()),
                text(match s.status {
                    auyl_model::SiteStatus::Existing => "existing",
                    auyl_model::SiteStatus::New => "new",
                }),
                text(s.technology.as_str()),
                Value::Real(s.height_m),
                Value::Real(s.ground_m),
                text(power),
                Value::Real(s.power.battery_h()),
                text(backhaul),
                ids(&s.serves),
                text(ctx.org(s.operator_id.as_ref())),
                int(s.year),
                Value::Real(s.capex_usd),
                Value::Real(s.opex_usd_per_year),
            ],
        );
    }
    let mut routes = FeatureTable::new(
        "plan_routes",
        GeometryKind::Line,
        &[
            ("route_id", Text),
            ("from_node_id", Text),
            ("length_m", Real),
            ("length_by_class", Text),
            ("approximated_m", Real),
            ("serves", Text),
            ("operator", Text),
            ("year", Integer),
            ("capex_usd", Real),
        ],
    );
    for r in &plan.routes {
        let by_class = r
            .length_m_by_class
            .iter()
            .map(|(k, v)| format!("{k}={:.0}", v))
            .collect::<Vec<_>>()
            .join("; ");
        routes.push(
            Some(r.geometry.clone().into()),
            vec![
                text(r.id.as_str()),
                text(r.from_node_id.as_str()),
                Value::Real(r.length_m_by_class.values().sum()),
                text(by_class),
                Value::Real(r.approximated_m),
                ids(&r.serves),
                text(ctx.org(r.operator_id.as_ref())),
                int(r.year),
                Value::Real(r.capex_usd),
            ],
        );
    }
    let mut hops = FeatureTable::new(
        "plan_hops",
        GeometryKind::Line,
        &[
            ("hop_id", Text),
            ("distance_m", Real),
            ("height_a_m", Real),
            ("height_b_m", Real),
            ("clearance_pct_f1", Real),
            ("freq_mhz", Real),
            ("year", Integer),
            ("capex_usd", Real),
        ],
    );
    for h in &plan.hops {
        hops.push(
            Some(line(h.a, h.b)),
            vec![
                text(h.id.as_str()),
                Value::Real(h.distance_m),
                Value::Real(h.heights_m.0),
                Value::Real(h.heights_m.1),
                Value::Real(h.clearance_pct_f1),
                Value::Real(h.freq_mhz),
                int(h.year),
                Value::Real(h.capex_usd),
            ],
        );
    }
    vec![settlements, unserved, sites, routes, hops]
}

/// Sums by a key: settlements, people and capex.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Tally {
    settlements: u64,
    people: u64,
    capex_usd: f64,
}

fn tally_by<K: Ord>(
    plan: &Plan,
    key: impl Fn(&auyl_model::SettlementPlan) -> K,
) -> BTreeMap<K, Tally> {
    let mut out: BTreeMap<K, Tally> = BTreeMap::new();
    for s in &plan.settlements {
        let t = out.entry(key(s)).or_default();
        t.settlements += 1;
        t.people += s.people;
        t.capex_usd += s.capex_usd;
    }
    out
}

fn summary_table(name: &str, key_name: &str, rows: &BTreeMap<String, Tally>) -> FeatureTable {
    use FieldType::{Integer, Real, Text};
    let mut t = FeatureTable::new(
        name,
        GeometryKind::None,
        &[
            (key_name, Text),
            ("settlements", Integer),
            ("people", Integer),
            ("capex_usd", Real),
            ("capex_usd_per_person", Real),
        ],
    );
    for (k, v) in rows {
        t.push(
            None,
            vec![
                text(k.clone()),
                int(v.settlements),
                int(v.people),
                Value::Real(v.capex_usd),
                Value::Real(if v.people > 0 {
                    v.capex_usd / v.people as f64
                } else {
                    0.0
                }),
            ],
        );
    }
    t
}

/// The workbook tables: totals by technology, region, operator and year, then one sheet per
/// operator with its settlements (what each operator is handed).
pub fn plan_workbook_tables(plan: &Plan, ctx: &PlanContext) -> Vec<FeatureTable> {
    let by_tech = tally_by(plan, |s| s.technology.as_str().to_string());
    let by_region = tally_by(plan, |s| ctx.region(&s.settlement_id));
    let by_operator = tally_by(plan, |s| ctx.org(s.operator_id.as_ref()));
    let by_year = tally_by(plan, |s| s.year.to_string());
    let mut out = vec![
        summary_table("By technology", "technology", &by_tech),
        summary_table("By region", "region", &by_region),
        summary_table("By operator", "operator", &by_operator),
        summary_table("By year", "year", &by_year),
    ];
    let all = plan_tables(plan, ctx);
    if let Some(settlements) = all.into_iter().next() {
        let operator_col = settlements
            .fields
            .iter()
            .position(|(n, _)| n == "operator")
            .unwrap_or(0);
        let mut per_op: BTreeMap<String, FeatureTable> = BTreeMap::new();
        for f in &settlements.features {
            let op = match &f.values[operator_col] {
                Value::Text(s) => s.clone(),
                _ => "(unassigned)".into(),
            };
            per_op
                .entry(op.clone())
                .or_insert_with(|| FeatureTable {
                    name: op,
                    kind: GeometryKind::None,
                    fields: settlements.fields.clone(),
                    features: Vec::new(),
                })
                .features
                .push(crate::features::Feature {
                    geometry: None,
                    values: f.values.clone(),
                });
        }
        out.extend(per_op.into_values());
    }
    out
}

/// Writes the plan to `path`: `.gpkg`/`.geojson` (layers), `.xlsx` (summaries and one sheet per
/// operator) or `.html` (report with a map and charts).
pub fn export_plan(path: &Path, plan: &Plan, ctx: &PlanContext) -> Result<()> {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "gpkg" | "geojson" | "json" => export_tables(path, &plan_tables(plan, ctx)),
        "xlsx" => export_tables(path, &plan_workbook_tables(plan, ctx)),
        "html" | "htm" => {
            let html = plan_report_html(plan, ctx).map_err(|message| Error::Malformed {
                path: path.to_path_buf(),
                message,
            })?;
            atomic_write(path, |tmp| {
                std::fs::write(tmp, html.as_bytes()).map_err(io_err(path))
            })
        }
        _ => Err(Error::UnsupportedFormat {
            path: path.to_path_buf(),
            ext,
            known: "gpkg, geojson, xlsx, html",
        }),
    }
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn usd(x: f64) -> String {
    if x.abs() >= 1e9 {
        format!("${:.2} bn", x / 1e9)
    } else if x.abs() >= 1e6 {
        format!("${:.1} M", x / 1e6)
    } else {
        format!("${}", auyl_model::thousands(x.round() as u64))
    }
}

/// Colours per technology, shared by the map and the charts.
fn colour(tech: &str) -> plotters::style::RGBColor {
    use plotters::style::RGBColor;
    match tech {
        "fibre" => RGBColor(31, 119, 180),
        "lte" => RGBColor(44, 160, 44),
        "microwave" => RGBColor(255, 127, 14),
        "satellite" => RGBColor(214, 39, 40),
        _ => RGBColor(127, 127, 127),
    }
}

fn bar_chart(title: &str, y_label: &str, bars: &[(String, f64, String)]) -> Result<String, String> {
    use plotters::prelude::*;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (560, 300)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let max = bars.iter().map(|b| b.1).fold(0.0_f64, f64::max).max(1e-9) * 1.1;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 18))
            .margin(10)
            .x_label_area_size(30)
            .y_label_area_size(70)
            .build_cartesian_2d((0..bars.len()).into_segmented(), 0.0..max)
            .map_err(|e| e.to_string())?;
        let labels: Vec<String> = bars.iter().map(|b| b.0.clone()).collect();
        chart
            .configure_mesh()
            .disable_x_mesh()
            .y_desc(y_label)
            .x_label_formatter(&|v| match v {
                SegmentValue::CenterOf(i) => labels.get(*i).cloned().unwrap_or_default(),
                _ => String::new(),
            })
            .draw()
            .map_err(|e| e.to_string())?;
        chart
            .draw_series(bars.iter().enumerate().map(|(i, b)| {
                let c = colour(&b.2);
                let mut r = Rectangle::new(
                    [
                        (SegmentValue::Exact(i), 0.0),
                        (SegmentValue::Exact(i + 1), b.1),
                    ],
                    c.filled(),
                );
                r.set_margin(0, 0, 6, 6);
                r
            }))
            .map_err(|e| e.to_string())?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(svg)
}

fn map_svg(plan: &Plan, ctx: &PlanContext) -> Result<String, String> {
    use plotters::prelude::*;
    let pts: Vec<(f64, f64, &str)> = plan
        .settlements
        .iter()
        .filter_map(|s| {
            ctx.settlements.get(&s.settlement_id).map(|i| {
                (
                    i.location.lon_deg,
                    i.location.lat_deg,
                    s.technology.as_str(),
                )
            })
        })
        .collect();
    let unserved: Vec<(f64, f64)> = plan
        .unserved
        .iter()
        .filter_map(|u| ctx.settlements.get(&u.settlement_id))
        .map(|i| (i.location.lon_deg, i.location.lat_deg))
        .collect();
    let all = pts
        .iter()
        .map(|p| (p.0, p.1))
        .chain(unserved.iter().copied());
    let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for (x, y) in all {
        x0 = x0.min(x);
        x1 = x1.max(x);
        y0 = y0.min(y);
        y1 = y1.max(y);
    }
    if x0 > x1 {
        return Ok(String::new());
    }
    let (pad_x, pad_y) = ((x1 - x0) * 0.03 + 0.01, (y1 - y0) * 0.03 + 0.01);
    // Equirectangular at the mid latitude keeps shapes recognisable.
    let aspect = ((y1 - y0) + 2.0 * pad_y)
        / (((x1 - x0) + 2.0 * pad_x) * ((y0 + y1) / 2.0).to_radians().cos());
    let w = 860u32;
    let h = ((w as f64 * aspect) as u32).clamp(200, 900);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (w, h)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let mut chart = ChartBuilder::on(&root)
            .margin(5)
            .build_cartesian_2d(x0 - pad_x..x1 + pad_x, y0 - pad_y..y1 + pad_y)
            .map_err(|e| e.to_string())?;
        for r in &plan.routes {
            chart
                .draw_series(LineSeries::new(
                    r.geometry.coords().map(|c| (c.x, c.y)),
                    colour("fibre").stroke_width(1),
                ))
                .map_err(|e| e.to_string())?;
        }
        for h in &plan.hops {
            chart
                .draw_series(LineSeries::new(
                    [(h.a.lon_deg, h.a.lat_deg), (h.b.lon_deg, h.b.lat_deg)],
                    colour("microwave").stroke_width(1),
                ))
                .map_err(|e| e.to_string())?;
        }
        chart
            .draw_series(
                pts.iter()
                    .map(|(x, y, t)| Circle::new((*x, *y), 2, colour(t).filled())),
            )
            .map_err(|e| e.to_string())?;
        chart
            .draw_series(
                unserved
                    .iter()
                    .map(|(x, y)| Cross::new((*x, *y), 3, BLACK.stroke_width(1))),
            )
            .map_err(|e| e.to_string())?;
        chart
            .draw_series(plan.sites.iter().map(|s| {
                TriangleMarker::new((s.location.lon_deg, s.location.lat_deg), 3, BLACK.filled())
            }))
            .map_err(|e| e.to_string())?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(svg)
}

/// The HTML report: totals, the plan beside the published figures, a map, and charts of people
/// connected per year, cost per person and cost by technology. Self-contained (inline SVG).
pub fn plan_report_html(plan: &Plan, ctx: &PlanContext) -> Result<String, String> {
    let t = &plan.totals;
    let by_tech = tally_by(plan, |s| s.technology.as_str().to_string());
    let by_year = tally_by(plan, |s| s.year);
    let by_region = tally_by(plan, |s| ctx.region(&s.settlement_id));
    let mut h = String::new();
    let title = if ctx.title.is_empty() {
        format!("Plan {}", plan.scenario)
    } else {
        ctx.title.clone()
    };
    let _ = write!(
        h,
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{}</title><style>\
         body{{font-family:sans-serif;max-width:1000px;margin:2em auto;color:#222}}\
         table{{border-collapse:collapse;margin:1em 0}}td,th{{border:1px solid #ccc;padding:3px 8px;text-align:right}}\
         th{{background:#f3f3f3}}td:first-child,th:first-child{{text-align:left}}.note{{color:#666;font-size:90%}}\
         .chips span{{display:inline-block;margin-right:1em}}</style></head><body>",
        esc(&title)
    );
    let served: u64 = plan.settlements.len() as u64;
    let people: u64 = plan.settlements.iter().map(|s| s.people).sum();
    let _ = write!(
        h,
        "<h1>{}</h1><p class=\"note\">Scenario <b>{}</b>, mode {}, base year {}; generated {}. Method: {}{}{}.</p>",
        esc(&title),
        esc(&plan.scenario),
        esc(&plan.mode),
        plan.base_year,
        esc(&ctx.generated_at),
        esc(&t.method),
        t.gap
            .map(|g| format!(", optimality gap {:.2} %", g * 100.0))
            .unwrap_or_default(),
        t.solve_s
            .map(|s| format!(", solved in {s:.1} s"))
            .unwrap_or_default(),
    );
    let _ = write!(
        h,
        "<h2>Totals</h2><table><tr><th>settlements served</th><td>{}</td></tr>\
         <tr><th>people connected</th><td>{}</td></tr><tr><th>capital cost</th><td>{}</td></tr>\
         <tr><th>net present cost</th><td>{}</td></tr><tr><th>cost per person</th><td>{}</td></tr>\
         <tr><th>fibre to build</th><td>{} km</td></tr><tr><th>new masts</th><td>{}</td></tr>\
         <tr><th>microwave hops</th><td>{}</td></tr><tr><th>left unserved</th><td>{} settlements, {} people</td></tr>{}</table>",
        auyl_model::thousands(served),
        auyl_model::thousands(people),
        usd(t.capex_usd),
        usd(t.npc_usd),
        usd(if people > 0 {
            t.capex_usd / people as f64
        } else {
            0.0
        }),
        auyl_model::thousands((t.fibre_m / 1000.0).round() as u64),
        t.new_masts,
        t.microwave_hops,
        plan.unserved.len(),
        auyl_model::thousands(plan.unserved.iter().map(|u| u.people).sum()),
        t.greedy_npc_usd
            .map(|g| format!(
                "<tr><th>greedy baseline (same run)</th><td>{} ({:.3}× the plan)</td></tr>",
                usd(g),
                if t.npc_usd > 0.0 { g / t.npc_usd } else { 0.0 }
            ))
            .unwrap_or_default(),
    );
    if !ctx.benchmarks.is_empty() {
        h.push_str("<h2>Beside the programme's published figures</h2><table><tr><th>figure</th><th>published</th><th>this plan</th></tr>");
        for (label, figure, comment) in &ctx.benchmarks {
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{}</td><td style=\"text-align:left\">{}</td></tr>",
                esc(label),
                esc(figure),
                esc(comment)
            );
        }
        h.push_str("</table>");
    }
    h.push_str("<h2>Map</h2><p class=\"chips\">");
    for tech in by_tech.keys() {
        let c = colour(tech);
        let _ = write!(
            h,
            "<span><svg width=\"10\" height=\"10\"><circle cx=\"5\" cy=\"5\" r=\"4\" fill=\"rgb({},{},{})\"/></svg> {}</span>",
            c.0,
            c.1,
            c.2,
            esc(tech)
        );
    }
    h.push_str("<span>▲ mast</span><span>✕ unserved</span></p>");
    h.push_str(&map_svg(plan, ctx)?);
    let year_bars: Vec<(String, f64, String)> = by_year
        .iter()
        .map(|(y, v)| (y.to_string(), v.people as f64, String::new()))
        .collect();
    h.push_str("<h2>People connected per year</h2>");
    h.push_str(&bar_chart(
        "People connected per year",
        "people",
        &year_bars,
    )?);
    let cost_bars: Vec<(String, f64, String)> = by_tech
        .iter()
        .map(|(k, v)| (k.clone(), v.capex_usd / 1e6, k.clone()))
        .collect();
    h.push_str("<h2>Cost by technology</h2>");
    h.push_str(&bar_chart(
        "Capital cost by technology",
        "US$ M",
        &cost_bars,
    )?);
    let cpp_bars: Vec<(String, f64, String)> = by_tech
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                if v.people > 0 {
                    v.capex_usd / v.people as f64
                } else {
                    0.0
                },
                k.clone(),
            )
        })
        .collect();
    h.push_str("<h2>Cost per person</h2>");
    h.push_str(&bar_chart(
        "Capital cost per person connected",
        "US$ / person",
        &cpp_bars,
    )?);
    h.push_str("<h2>By technology</h2><table><tr><th>technology</th><th>settlements</th><th>people</th><th>capex</th><th>per person</th></tr>");
    for (k, v) in &by_tech {
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(k),
            auyl_model::thousands(v.settlements),
            auyl_model::thousands(v.people),
            usd(v.capex_usd),
            usd(if v.people > 0 {
                v.capex_usd / v.people as f64
            } else {
                0.0
            })
        );
    }
    h.push_str("</table><h2>By region</h2><table><tr><th>region</th><th>settlements</th><th>people</th><th>capex</th><th>per person</th></tr>");
    for (k, v) in &by_region {
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(k),
            auyl_model::thousands(v.settlements),
            auyl_model::thousands(v.people),
            usd(v.capex_usd),
            usd(if v.people > 0 {
                v.capex_usd / v.people as f64
            } else {
                0.0
            })
        );
    }
    h.push_str("</table>");
    if !plan.assumptions.is_empty() {
        h.push_str("<h2>Assumptions</h2><ul>");
        for a in &plan.assumptions {
            let _ = write!(h, "<li>{}</li>", esc(a));
        }
        h.push_str("</ul>");
    }
    if !plan.unserved.is_empty() {
        let mut reasons: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
        for u in &plan.unserved {
            let e = reasons.entry(u.reason.as_str()).or_default();
            e.0 += 1;
            e.1 += u.people;
        }
        h.push_str("<h2>Unserved, by reason</h2><table><tr><th>reason</th><th>settlements</th><th>people</th></tr>");
        for (r, (n, p)) in reasons {
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(r),
                auyl_model::thousands(n),
                auyl_model::thousands(p)
            );
        }
        h.push_str("</table>");
    }
    h.push_str("</body></html>\n");
    Ok(h)
}
