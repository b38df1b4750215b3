//! Organisations: operators, akimats, the ministry.

use crate::{Id, Names};
use serde::{Deserialize, Serialize};

/// The role an organisation plays in the programme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum OrgKind {
    /// A telecom operator that builds and runs networks.
    Operator,
    /// A regional or district administration: land allotment, electricity.
    Akimat,
    /// The ministry responsible for the programme.
    Ministry,
    /// Anyone else (power grid company, contractor).
    Other,
}

impl OrgKind {
    /// The snake-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            OrgKind::Operator => "operator",
            OrgKind::Akimat => "akimat",
            OrgKind::Ministry => "ministry",
            OrgKind::Other => "other",
        }
    }

    /// Parses the snake-case name and common Russian/Kazakh words.
    pub fn parse(s: &str) -> Option<OrgKind> {
        Some(match s.trim().to_lowercase().as_str() {
            "operator" | "оператор" => OrgKind::Operator,
            "akimat" | "акимат" | "әкімдік" => OrgKind::Akimat,
            "ministry" | "министерство" | "министрлік" => OrgKind::Ministry,
            "other" | "" => OrgKind::Other,
            _ => return None,
        })
    }
}

/// An operator, administration or ministry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Organisation {
    /// Stable id (`kazakhtelecom`, `akimat:110000000`).
    pub id: Id,
    /// Role.
    pub kind: OrgKind,
    /// Names.
    pub names: Names,
    /// Region code for akimats.
    pub region_code: Option<String>,
}
