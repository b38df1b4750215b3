//! SteinLib `.stp` instances (STP format 1.0) and the PACE 2018 dialect, parsed from text.
//!
//! Reads `SECTION Graph` (`Nodes`, `Edges`, `E u v w`, also `A u v w` arcs read as edges) and
//! `SECTION Terminals` (`T v`); other sections are skipped. Keywords are case-insensitive, `#`
//! starts a comment, and the magic line is optional (PACE files lack it). Nodes are numbered
//! from 1 in the file and from 0 in the returned [`SteinerInstance`].

use crate::error::{NetworkError, Result};
use crate::steiner::{SteinerEdge, SteinerInstance};

/// An instance read from STP text.
#[derive(Debug, Clone, PartialEq)]
pub struct StpInstance {
    /// The `Name` of the `Comment` section, if any.
    pub name: Option<String>,
    /// The graph and terminals, 0-based.
    pub instance: SteinerInstance,
}

fn syntax(line: usize, message: impl Into<String>) -> NetworkError {
    NetworkError::StpSyntax {
        line,
        message: message.into(),
    }
}

/// Parses STP text. Declared node/edge/terminal counts are checked against the lines present.
pub fn parse_stp(text: &str) -> Result<StpInstance> {
    let mut section = String::new();
    let mut name = None;
    let mut nodes: Option<usize> = None;
    let mut declared_edges: Option<usize> = None;
    let mut declared_terms: Option<usize> = None;
    let mut edges = Vec::new();
    let mut terminals = Vec::new();
    let num = |tok: Option<&str>, line: usize, what: &str| -> Result<usize> {
        tok.ok_or_else(|| syntax(line, format!("missing {what}")))?
            .parse::<usize>()
            .map_err(|_| syntax(line, format!("bad {what}")))
    };
    for (i, raw) in text.lines().enumerate() {
        let ln = i + 1;
        let line = raw.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let mut it = line.split_whitespace();
        let Some(key) = it.next() else { continue };
        let key_l = key.to_ascii_lowercase();
        match key_l.as_str() {
            "section" => {
                section = it.next().unwrap_or("").to_ascii_lowercase();
                continue;
            }
            "end" => {
                section.clear();
                continue;
            }
            "eof" => break,
            _ => {}
        }
        match section.as_str() {
            "comment" if key_l == "name" => {
                let rest = line[key.len()..].trim().trim_matches('"');
                name = Some(rest.to_string());
            }
            "graph" => match key_l.as_str() {
                "nodes" => nodes = Some(num(it.next(), ln, "node count")?),
                "edges" | "arcs" => declared_edges = Some(num(it.next(), ln, "edge count")?),
                "e" | "a" => {
                    let n = nodes.ok_or_else(|| syntax(ln, "edge before Nodes"))?;
                    let u = num(it.next(), ln, "edge end")?;
                    let v = num(it.next(), ln, "edge end")?;
                    let w: f64 = it
                        .next()
                        .ok_or_else(|| syntax(ln, "missing edge weight"))?
                        .parse()
                        .map_err(|_| syntax(ln, "bad edge weight"))?;
                    if u == 0 || v == 0 || u > n || v > n {
                        return Err(syntax(ln, format!("edge end out of 1..={n}")));
                    }
                    if !w.is_finite() || w < 0.0 {
                        return Err(syntax(ln, "edge weight must be finite and non-negative"));
                    }
                    edges.push(SteinerEdge {
                        u: u - 1,
                        v: v - 1,
                        cost: w,
                    });
                }
                _ => {}
            },
            "terminals" => match key_l.as_str() {
                "terminals" => declared_terms = Some(num(it.next(), ln, "terminal count")?),
                "t" => {
                    let n = nodes.ok_or_else(|| syntax(ln, "terminal before Nodes"))?;
                    let t = num(it.next(), ln, "terminal")?;
                    if t == 0 || t > n {
                        return Err(syntax(ln, format!("terminal out of 1..={n}")));
                    }
                    terminals.push(t - 1);
                }
                _ => {}
            },
            _ => {}
        }
    }
    let node_count = nodes.ok_or_else(|| syntax(0, "no Nodes line"))?;
    if let Some(d) = declared_edges
        && d != edges.len()
    {
        return Err(syntax(
            0,
            format!("declared {d} edges, found {}", edges.len()),
        ));
    }
    if let Some(d) = declared_terms
        && d != terminals.len()
    {
        return Err(syntax(
            0,
            format!("declared {d} terminals, found {}", terminals.len()),
        ));
    }
    Ok(StpInstance {
        name,
        instance: SteinerInstance {
            node_count,
            edges,
            terminals,
        },
    })
}
