//! Human and JSON output.

use crate::registry::ImportReport;
use anyhow::Result;
use auyl_model::{FieldType, Layer, LayerCounts, RegistrySummary};
use std::path::Path;

pub(crate) fn print_json(v: &impl serde::Serialize) -> Result<()> {
    use std::io::Write;
    // Streamed: KPI outputs list every overdue work (tens of MB on a national programme).
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    serde_json::to_writer_pretty(&mut out, v)?;
    writeln!(out)?;
    out.flush()?;
    Ok(())
}

/// A count with thousands separators.
pub fn n(x: u64) -> String {
    auyl_model::thousands(x)
}

pub fn import_report(r: &ImportReport, json: bool) -> Result<()> {
    if json {
        return print_json(r);
    }
    let verb = if r.dry_run { "would be" } else { "were" };
    println!("{} ← {} ({})", r.layer, r.file, r.format);
    println!(
        "  {} read, {} added, {} changed, {} unchanged ({verb} written{})",
        n(r.read),
        n(r.added),
        n(r.changed),
        n(r.unchanged),
        if r.dry_run {
            "; dry run, nothing written"
        } else {
            ""
        }
    );
    if r.not_in_file > 0 {
        println!(
            "  {} stored {} not in this file were kept",
            n(r.not_in_file),
            r.layer
        );
    }
    if !r.added_examples.is_empty() {
        println!("  added e.g. {}", r.added_examples.join(", "));
    }
    if !r.changed_examples.is_empty() {
        println!("  changed e.g. {}", r.changed_examples.join(", "));
    }
    if r.areas_by_name + r.areas_by_location > 0 {
        println!(
            "  areas: {} matched by name, {} placed by location",
            n(r.areas_by_name),
            n(r.areas_by_location)
        );
    }
    if !r.unknown_areas.is_empty() {
        println!("  warning: no area matches {}", r.unknown_areas.join(", "));
    }
    if let Some(p) = &r.rejects_report {
        println!("  {} invalid rows skipped, listed in {p}", n(r.rejected));
    }
    Ok(())
}

pub fn export_report(layer: Layer, path: &Path, count: usize, json: bool) -> Result<()> {
    if json {
        return print_json(
            &serde_json::json!({"layer": layer.as_str(), "file": path.display().to_string(), "records": count}),
        );
    }
    println!("{layer} → {} ({} records)", path.display(), n(count as u64));
    Ok(())
}

pub fn layers(json: bool) {
    if json {
        let v: Vec<_> = Layer::ALL
            .iter()
            .map(|l| {
                serde_json::json!({
                    "layer": l.as_str(),
                    "fields": l.fields().iter().map(|f| serde_json::json!({"name": f.name, "type": format!("{:?}", f.ty).to_lowercase(), "required": f.required})).collect::<Vec<_>>(),
                })
            })
            .collect();
        println!("{}", serde_json::Value::Array(v));
        return;
    }
    for l in Layer::ALL {
        let fields: Vec<String> = l
            .fields()
            .iter()
            .map(|f| {
                let ty = match f.ty {
                    FieldType::Text => "",
                    FieldType::Integer => ":int",
                    FieldType::Real => ":num",
                    FieldType::Bool => ":yes/no",
                };
                format!("{}{ty}{}", f.name, if f.required { "*" } else { "" })
            })
            .collect();
        println!("{:<15} {}", l.as_str(), fields.join(" "));
    }
    println!("(* required; lon/lat may come from a point geometry, id from official_code)");
}

pub fn summary(s: &RegistrySummary, counts: &LayerCounts, json: bool) -> Result<()> {
    if json {
        return print_json(&serde_json::json!({"summary": s, "layers": counts}));
    }
    println!(
        "{:<22} {:>11} {:>7} {:>9} {:>13} {:>13} {:>12}",
        "region", "settlements", "rural", "with pop", "rural people", "of which est.", "all people"
    );
    for r in s.regions.iter().chain(std::iter::once(&s.total)) {
        if std::ptr::eq(r, &s.total) {
            println!("{}", "-".repeat(93));
        }
        println!(
            "{:<22} {:>11} {:>7} {:>9} {:>13} {:>13} {:>12}",
            r.name.chars().take(22).collect::<String>(),
            n(r.settlements),
            n(r.rural_settlements),
            n(r.rural_with_reported_population),
            n(r.rural_people_reported + r.rural_people_estimated),
            n(r.rural_people_estimated),
            n(r.people)
        );
    }
    println!(
        "\nlayers: {} regions, {} districts, {} road segments, {} power sources, {} masts, {} backbone nodes, {} fibre routes, {} organisations",
        n(counts.regions),
        n(counts.districts),
        n(counts.roads),
        n(counts.power),
        n(counts.masts),
        n(counts.backbone_nodes),
        n(counts.fibre_routes),
        n(counts.organisations)
    );
    if let Some(t) = &s.targets {
        println!("\nagainst {} ({}):", t.name, t.source);
        if let Some(r) = s.settlements_vs_target {
            println!(
                "  settlements: {} rural in the registry vs {} in the programme ({:.0} %)",
                n(s.total.rural_settlements),
                n(t.settlements),
                100.0 * r
            );
        }
        if let Some(r) = s.people_vs_target {
            println!(
                "  people:      {} rural in the registry ({} reported + {} estimated) vs {} ({:.0} %)",
                n(s.total.rural_people_reported + s.total.rural_people_estimated),
                n(s.total.rural_people_reported),
                n(s.total.rural_people_estimated),
                n(t.people),
                100.0 * r
            );
        }
    }
    if !s.gaps.is_empty() {
        println!("\nwhat the data does not cover:");
        for g in &s.gaps {
            println!("  - {g}");
        }
    }
    Ok(())
}
