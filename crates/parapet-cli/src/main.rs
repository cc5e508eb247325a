//! parapet-cli
fn main() {}
