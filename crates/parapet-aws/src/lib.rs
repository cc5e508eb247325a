//! parapet-aws
