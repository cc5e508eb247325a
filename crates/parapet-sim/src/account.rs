//! Everything the generators need to know about the one account they are writing.

use crate::inventory::Inventory;
use crate::org::{region_utc_offset, Organization, SimAccount, HOME_REGION, TRAIL_NAME};
use crate::principals::Principals;

/// One account's fixed context for a whole run.
pub(crate) struct AccountCtx<'a> {
    pub org: &'a Organization,
    pub acct: &'a SimAccount,
    /// The 12-digit id.
    pub id: &'a str,
    /// Regions that get files: the account's regions, then us-east-1 if not among them.
    pub regions: Vec<&'static str>,
    /// Index of us-east-1 in `regions` (global services log there).
    pub global_region: u8,
    pub principals: Principals,
    pub inv: Inventory,
    /// UTC offset of the account's people, hours.
    pub utc_offset: i32,
    pub is_management: bool,
    /// ARN of the organisation trail.
    pub trail_arn: String,
}

impl<'a> AccountCtx<'a> {
    pub(crate) fn new(org: &'a Organization, index: usize, seed: u64) -> AccountCtx<'a> {
        let acct = &org.accounts[index];
        let mut regions = acct.regions.clone();
        if !regions.contains(&HOME_REGION) {
            regions.push(HOME_REGION);
        }
        let global_region = regions.iter().position(|r| *r == HOME_REGION).unwrap_or(0) as u8;
        let inv = Inventory::build(org, index, seed);
        let principals = Principals::build(org, index, &inv, seed);
        AccountCtx {
            org,
            acct,
            id: acct.account.id.as_str(),
            regions,
            global_region,
            principals,
            inv,
            utc_offset: region_utc_offset(acct.home_region),
            is_management: index == 0,
            trail_arn: format!(
                "arn:aws:cloudtrail:{HOME_REGION}:{}:trail/{TRAIL_NAME}",
                org.management_account_id
            ),
        }
    }

    /// Index of a region the account runs resources in: the home region most of the time.
    pub(crate) fn pick_region(&self, rng: &mut crate::rng::Rng) -> u8 {
        let n = self.acct.regions.len();
        if n <= 1 || rng.chance(0.7) {
            0
        } else {
            (1 + rng.index(n - 1)) as u8
        }
    }
}
