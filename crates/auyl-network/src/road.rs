//! Road graph (placeholder, filled in next).
