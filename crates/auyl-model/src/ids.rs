//! Stable identifiers of registry records.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A stable identifier of a registry record, as the source gave it (`osm:n123`, a KATO code, an
/// operator's site code). Re-importing a source with the same ids updates records in place.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Id(pub String);

impl Id {
    /// Wraps a string as an id; surrounding white space is trimmed.
    pub fn new(s: impl AsRef<str>) -> Self {
        Id(s.as_ref().trim().to_string())
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for Id {
    fn from(s: &str) -> Self {
        Id::new(s)
    }
}
