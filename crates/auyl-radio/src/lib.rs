//! Radio propagation: line of sight and Fresnel clearance, path loss (free space, Okumura-Hata and
//! COST-231, Longley-Rice ITM), link budgets and rain fading.

pub mod budget;
pub mod coverage;
pub mod free_space;
pub mod hata;
pub mod itm;
pub mod los;
pub mod rain;
