//! Errors of the resilience crate.

use thiserror::Error;

/// Result alias for this crate.
pub type Result<T, E = ResilienceError> = std::result::Result<T, E>;

/// What can go wrong when building a network model or analysing it.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ResilienceError {
    /// Two elements were given the same id.
    #[error("element id {id:?} is used twice")]
    DuplicateId {
        /// The id.
        id: String,
    },
    /// An element index is outside the model.
    #[error("element {index} is outside the model of {count} elements")]
    NoSuchElement {
        /// The offending index.
        index: usize,
        /// Number of elements.
        count: usize,
    },
    /// An element was used in a role it cannot play (a link as a link end, a node as a power supply…).
    #[error("element {id:?} ({kind}) cannot be {role}")]
    WrongKind {
        /// The element's id.
        id: String,
        /// Its kind.
        kind: &'static str,
        /// The role it was asked to play.
        role: &'static str,
    },
    /// A parameter is out of range.
    #[error("parameter {name}: {message}")]
    BadParameter {
        /// The parameter.
        name: &'static str,
        /// What is wrong with it.
        message: String,
    },
    /// Neither backbone nodes in the registry nor a plan: no network to analyse.
    #[error(
        "the registry has no backbone nodes and no plan was given: nothing to analyse (import backbone_nodes or give a plan)"
    )]
    NothingToAnalyse,
    /// The road graph failed (ring closures follow roads).
    #[error("road graph: {0}")]
    Network(#[from] auyl_network::NetworkError),
}
