//! Settlements and their names, kinds and populations.

use crate::{Id, LonLat};
use serde::{Deserialize, Serialize};

/// Names of a place in the languages the programme works in. Any may be missing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Names {
    /// The name as the source gives it (often Kazakh or Russian Cyrillic).
    pub local: Option<String>,
    /// Kazakh.
    pub kk: Option<String>,
    /// Russian.
    pub ru: Option<String>,
    /// English or Latin-script.
    pub en: Option<String>,
}

impl Names {
    /// The best name for display in `lang` (`kk`, `ru` or `en`), falling back to any other.
    pub fn display(&self, lang: &str) -> Option<&str> {
        let first = match lang {
            "kk" => &self.kk,
            "ru" => &self.ru,
            _ => &self.en,
        };
        [first, &self.local, &self.ru, &self.kk, &self.en]
            .into_iter()
            .find_map(|n| n.as_deref().filter(|s| !s.is_empty()))
    }
}

/// The kind of a settlement, as far as the source tells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum SettlementKind {
    /// A city.
    City,
    /// A town.
    Town,
    /// A village (*auyl*, *село*).
    Village,
    /// A hamlet.
    Hamlet,
    /// An isolated dwelling, farmstead or wintering place (*kystau*).
    IsolatedDwelling,
    /// Not known.
    Unknown,
}

impl SettlementKind {
    /// All kinds, in order.
    pub const ALL: [SettlementKind; 6] = [
        SettlementKind::City,
        SettlementKind::Town,
        SettlementKind::Village,
        SettlementKind::Hamlet,
        SettlementKind::IsolatedDwelling,
        SettlementKind::Unknown,
    ];

    /// The snake-case name used in files and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            SettlementKind::City => "city",
            SettlementKind::Town => "town",
            SettlementKind::Village => "village",
            SettlementKind::Hamlet => "hamlet",
            SettlementKind::IsolatedDwelling => "isolated_dwelling",
            SettlementKind::Unknown => "unknown",
        }
    }

    /// Parses the usual English, Russian and Kazakh words for settlement types.
    pub fn parse(s: &str) -> Option<SettlementKind> {
        let s = s.trim().to_lowercase();
        Some(match s.as_str() {
            "city" | "город" | "қала" | "kala" | "qala" => SettlementKind::City,
            "town" | "посёлок городского типа" | "поселок городского типа" | "пгт" | "кент" => {
                SettlementKind::Town
            }
            "village" | "село" | "ауыл" | "аул" | "auyl" | "aul" | "поселок" | "посёлок"
            | "станция" => SettlementKind::Village,
            "hamlet" | "хутор" | "деревня" => SettlementKind::Hamlet,
            "isolated_dwelling" | "isolated dwelling" | "зимовка" | "қыстау" | "farm" => {
                SettlementKind::IsolatedDwelling
            }
            "" | "unknown" => SettlementKind::Unknown,
            _ => return None,
        })
    }

    /// Rural by the usual heuristic (village, hamlet, isolated dwelling); not an official status.
    pub fn is_rural(self) -> bool {
        matches!(
            self,
            SettlementKind::Village | SettlementKind::Hamlet | SettlementKind::IsolatedDwelling
        )
    }
}

/// A population figure with where it came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Population {
    /// Number of people.
    pub people: u32,
    /// The year the figure refers to, when known.
    pub year: Option<u16>,
    /// Where the figure came from (`census`, `osm`, `geonames`, or the estimate's method).
    pub source: String,
    /// True when the figure was estimated by auyl rather than reported by a source.
    pub estimated: bool,
}

/// A populated place: the unit the programme connects.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Settlement {
    /// Stable id from the source; the upsert key.
    pub id: Id,
    /// The official code (KATO in Kazakhstan) when the source has one.
    pub official_code: Option<String>,
    /// Names in the programme's languages.
    pub names: Names,
    /// Position (WGS84).
    pub location: LonLat,
    /// Kind of place.
    pub kind: SettlementKind,
    /// Population, reported or estimated.
    pub population: Option<Population>,
    /// Code of the region (first-level administrative area) it lies in.
    pub region_code: Option<String>,
    /// Code of the district (second-level administrative area) it lies in.
    pub district_code: Option<String>,
}
