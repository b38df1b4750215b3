//! Errors of the network crate.

use thiserror::Error;

/// Result alias for this crate.
pub type Result<T, E = NetworkError> = std::result::Result<T, E>;

/// What can go wrong when building graphs, parsing instances or solving Steiner problems.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum NetworkError {
    /// A line of an `.stp` file could not be understood.
    #[error("stp line {line}: {message}")]
    StpSyntax {
        /// 1-based line number.
        line: usize,
        /// What was wrong.
        message: String,
    },
    /// An edge refers to a node that does not exist.
    #[error("edge {edge} refers to node {node}, but the graph has {node_count} nodes")]
    NodeOutOfRange {
        /// Index of the edge.
        edge: usize,
        /// The offending node.
        node: usize,
        /// Number of nodes.
        node_count: usize,
    },
    /// A terminal index is outside the graph.
    #[error("terminal {terminal} is outside the graph of {node_count} nodes")]
    TerminalOutOfRange {
        /// The offending terminal.
        terminal: usize,
        /// Number of nodes.
        node_count: usize,
    },
    /// An edge cost is negative, NaN or infinite.
    #[error("edge {edge} has cost {cost}, which is not a finite non-negative number")]
    BadCost {
        /// Index of the edge.
        edge: usize,
        /// The offending cost.
        cost: f64,
    },
    /// Two terminals are in different connected components, so no tree spans them.
    #[error("terminals {a} and {b} are not connected in the graph")]
    Disconnected {
        /// One terminal.
        a: usize,
        /// A terminal not reachable from `a`.
        b: usize,
    },
    /// A tree failed validation (a solver bug if it comes out of [`crate::steiner::solve`]).
    #[error("invalid Steiner tree: {0}")]
    InvalidTree(String),
    /// A road-graph input is unusable.
    #[error("road input {index}: {message}")]
    BadRoad {
        /// Index of the road in the input.
        index: usize,
        /// What was wrong.
        message: String,
    },
    /// A parameter is out of its domain.
    #[error("parameter {name}: {message}")]
    BadParameter {
        /// Name of the parameter.
        name: &'static str,
        /// What was wrong.
        message: String,
    },
}
