//! parapet-sim
