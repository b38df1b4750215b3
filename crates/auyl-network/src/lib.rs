//! Networks: routable road graphs, shortest paths and Steiner trees for fibre routes.
