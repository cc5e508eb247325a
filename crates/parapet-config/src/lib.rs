//! parapet-config
