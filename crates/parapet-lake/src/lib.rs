//! parapet-lake
