//! Posture: every check judges one kind of resource in an [`AccountInventory`] and gives a
//! [`Verdict`] per resource; [`score`] turns verdicts into Security Hub's score (passed controls
//! / controls with data) per account, OU and organisation.
//!
//! Pure: no I/O. The inventory is read elsewhere (`parapet-aws`), verdicts are stored
//! elsewhere (`parapet-store`). A check without data for an account (its API call failed or was
//! not made, or the account has none of its resources) gives no verdict, so it neither passes
//! nor fails there.

mod checks;
pub mod config_items;
pub mod policy;
pub mod remediation;
pub mod score;

use parapet_model::baseline::{Control, Probe, RegionFacts};
use parapet_model::inventory::{AccountInventory, Tags};
use parapet_model::posture::{PostureConfig, Status, Verdict};
use parapet_model::{Detection, Severity};
use parapet_registry::baseline::Observation;

pub use checks::{open_to_world, CHECKS};
pub use score::{scores, Score, Scores};

/// One check: what it looks at, the controls it stands for, and how to fix a failure.
pub struct Check {
    /// `ec2.sg_open_ssh`: service, then what is checked.
    pub id: &'static str,
    pub title: &'static str,
    pub severity: Severity,
    /// The AWS Config resource type it judges (`AWS::EC2::SecurityGroup`), or `AWS::::Account`.
    pub resource_type: &'static str,
    /// Security Hub FSBP and CIS AWS Foundations control ids.
    pub controls: &'static [&'static str],
    pub next_step: &'static str,
    eval: fn(&Ctx<'_>, &mut Out),
}

impl Check {
    /// The check with this id.
    pub fn get(id: &str) -> Option<&'static Check> {
        CHECKS.iter().find(|c| c.id == id)
    }
}

impl std::fmt::Debug for Check {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Check").field("id", &self.id).finish()
    }
}

/// What a check evaluates against.
pub(crate) struct Ctx<'a> {
    pub inv: &'a AccountInventory,
    pub config: &'a PostureConfig,
    pub now_ms: i64,
    /// The baseline's judgement of this account's services (organisation trails and analyzers
    /// read in other accounts included).
    pub observations: Vec<Observation>,
    /// A logging multi-region organisation trail, read in any account.
    pub org_multi_region_trail: Option<String>,
}

/// The verdicts of one check on one account.
pub(crate) struct Out<'a> {
    check: &'static str,
    inv: &'a AccountInventory,
    exempt_tag: &'a str,
    verdicts: Vec<Verdict>,
}

impl Out<'_> {
    fn push(
        &mut self,
        region: Option<&str>,
        resource: &str,
        tags: Option<&Tags>,
        status: Status,
        reason: String,
    ) {
        // Only a failure is exempted; a passing resource needs no exemption.
        let exempt = status == Status::Failed
            && tags
                .and_then(|t| t.get(self.exempt_tag))
                .is_some_and(|v| !v.eq_ignore_ascii_case("false"));
        self.verdicts.push(Verdict {
            check: self.check.to_string(),
            account_id: self.inv.account_id,
            region: region.map(str::to_string),
            resource: resource.to_string(),
            status,
            reason,
            exempt,
        });
    }

    pub(crate) fn pass(
        &mut self,
        region: Option<&str>,
        resource: &str,
        tags: Option<&Tags>,
        reason: impl Into<String>,
    ) {
        self.push(region, resource, tags, Status::Passed, reason.into());
    }

    pub(crate) fn fail(
        &mut self,
        region: Option<&str>,
        resource: &str,
        tags: Option<&Tags>,
        reason: impl Into<String>,
    ) {
        self.push(region, resource, tags, Status::Failed, reason.into());
    }

    /// Passes when `failure` is `None`, else fails with it.
    pub(crate) fn judge(
        &mut self,
        region: Option<&str>,
        resource: &str,
        tags: Option<&Tags>,
        failure: Option<String>,
        ok: &str,
    ) {
        match failure {
            Some(why) => self.fail(region, resource, tags, why),
            None => self.pass(region, resource, tags, ok),
        }
    }
}

/// Runs every enabled check on every account; verdicts by account, then in check order, then
/// as the inventory lists resources. All the organisation's accounts are judged together, so
/// an organisation trail or analyzer read in one account counts for the others.
pub fn evaluate(inventories: &[AccountInventory], config: &PostureConfig, now_ms: i64) -> Vec<Verdict> {
    let facts: Vec<RegionFacts> = inventories
        .iter()
        .flat_map(|i| i.regions.iter().map(|r| r.services.clone()))
        .collect();
    let observations = parapet_registry::baseline::evaluate(&facts, &Control::ALL);
    let org_multi_region_trail = facts
        .iter()
        .filter_map(|f| match &f.trails {
            Probe::Read(t) => t.iter().find(|t| t.organization && t.multi_region && t.logging),
            _ => None,
        })
        .map(|t| t.name.clone())
        .next();
    let mut all = Vec::new();
    for inv in inventories {
        let ctx = Ctx {
            inv,
            config,
            now_ms,
            observations: observations
                .iter()
                .filter(|o| o.account_id == inv.account_id)
                .cloned()
                .collect(),
            org_multi_region_trail: org_multi_region_trail.clone(),
        };
        for check in CHECKS {
            if config.disabled.iter().any(|d| d == check.id) {
                continue;
            }
            let mut out = Out {
                check: check.id,
                inv,
                exempt_tag: &config.exempt_tag,
                verdicts: Vec::new(),
            };
            (check.eval)(&ctx, &mut out);
            all.extend(out.verdicts);
        }
    }
    all
}

/// The failures (not exempt) as findings: one per check and resource, `posture.<check>`, with
/// the account's name, the controls and what to do.
pub fn findings(
    verdicts: &[Verdict],
    accounts: &parapet_model::AccountDirectory,
    time_ms: i64,
) -> Vec<Detection> {
    verdicts
        .iter()
        .filter(|v| v.counts_as_failed())
        .filter_map(|v| {
            let check = Check::get(&v.check)?;
            let account = parapet_model::account::account_label(
                v.account_id.as_str(),
                accounts.get(&v.account_id).map(|a| a.name.as_str()),
            );
            let region = v.region.as_deref().unwrap_or("global");
            Some(Detection {
                rule_id: format!("posture.{}", check.id),
                dedup_key: format!("posture:{}:{}:{region}:{}", check.id, v.account_id, v.resource),
                severity: check.severity,
                title: check.title.to_string(),
                account_id: Some(v.account_id),
                region: v.region.clone(),
                time_ms,
                summary: format!(
                    "{} in {account}, {region}: {}: {}",
                    check.title, v.resource, v.reason
                ),
                next_step: check.next_step.to_string(),
                evidence: serde_json::json!({
                    "check": check.id,
                    "controls": check.controls,
                    "resource": v.resource,
                    "resource_type": check.resource_type,
                    "region": v.region,
                    "reason": v.reason,
                })
                .to_string(),
            })
        })
        .collect()
}

/// What changed between two scans: failures the later one has that the earlier did not, and
/// failures of the earlier that the later does not have (fixed, or no longer there).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Diff {
    pub new_failures: Vec<Verdict>,
    pub fixed: Vec<Verdict>,
}

/// `(check, account, region, resource)`: a verdict's identity across scans.
fn key(v: &Verdict) -> (&str, parapet_model::AccountId, Option<&str>, &str) {
    (&v.check, v.account_id, v.region.as_deref(), &v.resource)
}

/// The failures that appeared and disappeared from `before` to `now`, only for the accounts
/// `now` has verdicts for (an account not scanned now has not been fixed).
pub fn diff(before: &[Verdict], now: &[Verdict]) -> Diff {
    use std::collections::BTreeSet;
    let failing = |vs: &[Verdict]| -> BTreeSet<(String, parapet_model::AccountId, Option<String>, String)> {
        vs.iter()
            .filter(|v| v.counts_as_failed())
            .map(|v| {
                let (c, a, r, res) = key(v);
                (c.to_string(), a, r.map(String::from), res.to_string())
            })
            .collect()
    };
    let (was, is) = (failing(before), failing(now));
    let scanned: BTreeSet<parapet_model::AccountId> = now.iter().map(|v| v.account_id).collect();
    let has = |set: &BTreeSet<(String, parapet_model::AccountId, Option<String>, String)>, v: &Verdict| {
        let (c, a, r, res) = key(v);
        set.contains(&(c.to_string(), a, r.map(String::from), res.to_string()))
    };
    Diff {
        new_failures: now
            .iter()
            .filter(|v| v.counts_as_failed() && !has(&was, v))
            .cloned()
            .collect(),
        fixed: before
            .iter()
            .filter(|v| v.counts_as_failed() && scanned.contains(&v.account_id) && !has(&is, v))
            .cloned()
            .collect(),
    }
}
