//! Networks: routable road graphs, shortest paths and Steiner trees for fibre routes that share trenches.
//!
//! The crate has three layers, each usable on its own:
//!
//! - [`steiner`]: the Steiner tree problem in graphs (STPG). [`steiner::solve`] runs graph
//!   reductions, a multi-start shortest-path heuristic (Takahashi–Matsuyama) with local search
//!   (Steiner-vertex insertion, key-path exchange, key-vertex elimination, MST + pruning) and a
//!   dual-ascent lower bound (Wong), and returns a validated tree with its gap.
//! - [`stp`]: the SteinLib `.stp` text format (also the PACE 2018 dialect), parsed from a string.
//! - [`road`]: a routable road graph built from WGS84 line strings with road attributes, plus the
//!   documented last-mile approximation (settlement links, flagged `approximate`), and
//!   [`road::RoadGraph::route_fibre`], which joins settlements to existing fibre nodes with a
//!   multi-root Steiner forest.
//!
//! Algorithms are pure: no clock (time limits come in through a [`Budget`] the caller supplies),
//! no file access, no unseeded randomness.
//!
//! Glossary: *terminal* — a node the tree must reach (a chosen settlement, an existing fibre node);
//! *Steiner node* — any other node the tree may use (a road junction); *key path* — a path of the
//! tree whose inner nodes are Steiner nodes of tree-degree 2; *gap* — `(cost − lower_bound) / cost`.

pub mod budget;
pub mod error;
pub mod road;
pub mod steiner;
pub mod stp;

pub use budget::{Budget, Unlimited, WallClockDeadline};
pub use error::{NetworkError, Result};
