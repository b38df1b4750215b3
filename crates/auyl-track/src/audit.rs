//! The audit log: append-only, hash-chained. Each entry's hash covers its content and the hash
//! of the entry before it, so changing, removing or reordering any entry breaks every hash from
//! there on, and [`verify_chain`] names the first entry that does not fit.
//!
//! Cutting entries off the end leaves a valid shorter chain; publishing the head hash (the weekly
//! report prints it) and passing it as `expected_head` detects that too.

use crate::edit::{EditContext, FieldChange};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The `prev_hash` of the first entry.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One line of the audit log: who changed which field of which entity, when, from what to what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Position in the log, from 1, without gaps.
    pub seq: i64,
    /// When (RFC 3339).
    pub at: String,
    /// Who.
    pub who: String,
    /// What (`work:…` ids, `plan:…`).
    pub entity: String,
    /// Which field.
    pub field: String,
    /// Old value as text.
    pub old: String,
    /// New value as text.
    pub new: String,
    /// Hash of the previous entry (hex SHA-256; [`GENESIS_HASH`] for the first).
    pub prev_hash: String,
    /// Hash of this entry (hex SHA-256 over `prev_hash` and every field above).
    pub hash: String,
}

/// The hash an entry must carry: SHA-256 over the previous hash and each field, every text
/// length-prefixed so that no two different entries hash the same input.
///
/// `fields` are `[at, who, entity, field, old, new]`.
pub fn entry_hash(prev_hash: &str, seq: i64, fields: [&str; 6]) -> String {
    let mut h = Sha256::new();
    h.update(b"auyl-audit-v1");
    h.update(seq.to_le_bytes());
    h.update((prev_hash.len() as u64).to_le_bytes());
    h.update(prev_hash.as_bytes());
    for s in fields {
        h.update((s.len() as u64).to_le_bytes());
        h.update(s.as_bytes());
    }
    hex::encode(h.finalize())
}

/// The end of a chain: what the next entry links to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainHead {
    /// Sequence number of the last entry (0 for an empty log).
    pub seq: i64,
    /// Its hash ([`GENESIS_HASH`] for an empty log).
    pub hash: String,
}

impl Default for ChainHead {
    fn default() -> Self {
        ChainHead {
            seq: 0,
            hash: GENESIS_HASH.to_string(),
        }
    }
}

impl ChainHead {
    /// Appends one entry after this head and moves the head to it.
    pub fn append(
        &mut self,
        at: &str,
        who: &str,
        entity: &str,
        field: &str,
        old: &str,
        new: &str,
    ) -> AuditEntry {
        let seq = self.seq + 1;
        let hash = entry_hash(&self.hash, seq, [at, who, entity, field, old, new]);
        let e = AuditEntry {
            seq,
            at: at.to_string(),
            who: who.to_string(),
            entity: entity.to_string(),
            field: field.to_string(),
            old: old.to_string(),
            new: new.to_string(),
            prev_hash: std::mem::replace(&mut self.hash, hash.clone()),
            hash,
        };
        self.seq = seq;
        e
    }

    /// Appends the changes of one edit (all with the edit's who and when).
    pub fn append_changes(
        &mut self,
        ctx: &EditContext,
        changes: &[FieldChange],
    ) -> Vec<AuditEntry> {
        changes
            .iter()
            .map(|c| self.append(&ctx.at, &ctx.who, &c.entity, &c.field, &c.old, &c.new))
            .collect()
    }
}

/// How an entry fails to fit the chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BreakKind {
    /// Its sequence number is not the previous one plus 1 (an entry removed or inserted).
    SequenceGap,
    /// Its `prev_hash` is not the previous entry's hash (removed, reordered or rewritten before).
    BrokenLink,
    /// Its content does not match its own hash (the entry was edited).
    ContentChanged,
    /// The chain is valid but ends before the head published earlier (entries cut off the end).
    Truncated,
}

/// The first entry that does not fit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("audit log broken at entry {seq}: {}", describe(*.kind))]
pub struct ChainBreak {
    /// Sequence number of the first bad entry (the stored one, or the expected one when missing).
    pub seq: i64,
    /// What is wrong with it.
    pub kind: BreakKind,
}

fn describe(k: BreakKind) -> &'static str {
    match k {
        BreakKind::SequenceGap => "sequence gap (an entry was removed or inserted)",
        BreakKind::BrokenLink => {
            "does not link to the entry before (removed, reordered or rewritten)"
        }
        BreakKind::ContentChanged => "content does not match its hash (the entry was edited)",
        BreakKind::Truncated => "entries after it were cut off the end of the log",
    }
}

/// Checks a whole log in sequence order and returns its head; the error names the first entry
/// that does not fit. With `expected_head` (a head published earlier), a log that ends before it
/// or has a different hash at that position is reported as well.
pub fn verify_chain(
    entries: &[AuditEntry],
    expected_head: Option<&ChainHead>,
) -> Result<ChainHead, ChainBreak> {
    let mut head = ChainHead::default();
    let mut published_ok = expected_head.is_none_or(|h| h.seq == 0);
    for e in entries {
        if e.seq != head.seq + 1 {
            return Err(ChainBreak {
                seq: head.seq + 1,
                kind: BreakKind::SequenceGap,
            });
        }
        if e.prev_hash != head.hash {
            return Err(ChainBreak {
                seq: e.seq,
                kind: BreakKind::BrokenLink,
            });
        }
        let h = entry_hash(
            &e.prev_hash,
            e.seq,
            [&e.at, &e.who, &e.entity, &e.field, &e.old, &e.new],
        );
        if h != e.hash {
            return Err(ChainBreak {
                seq: e.seq,
                kind: BreakKind::ContentChanged,
            });
        }
        head = ChainHead {
            seq: e.seq,
            hash: h,
        };
        if let Some(p) = expected_head
            && p.seq == head.seq
        {
            if p.hash != head.hash {
                return Err(ChainBreak {
                    seq: e.seq,
                    kind: BreakKind::BrokenLink,
                });
            }
            published_ok = true;
        }
    }
    if !published_ok {
        return Err(ChainBreak {
            seq: head.seq,
            kind: BreakKind::Truncated,
        });
    }
    Ok(head)
}
