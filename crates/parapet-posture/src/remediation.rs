//! From failures to remediation actions: which playbook fixes which check, what exactly it
//! changes (and keeps, to undo it), and where it may run. Pure: `parapet-aws` applies the
//! actions, the store logs them.

use parapet_model::inventory::{AccountInventory, IpRule};
use parapet_model::posture::{PostureConfig, Verdict};
use parapet_model::remediation::{
    Action, Change, Mode, RemediateConfig, BLOCK_BUCKET_PUBLIC_ACCESS, CLEAR_DEFAULT_SECURITY_GROUP,
    DEACTIVATE_ACCESS_KEY, DETACH_TRAIL_TAMPERING_POLICY, REVOKE_OPEN_INGRESS, START_CLOUDTRAIL_LOGGING,
};
use parapet_model::{AccountDirectory, AccountId};

use crate::checks::risky_world_rule;

/// An access key a finding says is exposed (AWS Health `AWS_RISK_CREDENTIALS_EXPOSED`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExposedKey {
    pub account_id: AccountId,
    pub key_id: String,
    /// The finding's rule id, recorded as the action's reason.
    pub rule: String,
}

/// The playbook that fixes a check's failures, if any.
pub fn playbook_for(check: &str) -> Option<&'static str> {
    Some(match check {
        "ec2.sg_open_ssh" | "ec2.sg_open_rdp" | "ec2.sg_open_all_ports" | "ec2.sg_open_high_risk_port" => {
            REVOKE_OPEN_INGRESS
        }
        "ec2.default_sg_closed" => CLEAR_DEFAULT_SECURITY_GROUP,
        "cloudtrail.trail_logging" => START_CLOUDTRAIL_LOGGING,
        "s3.bucket_not_public" => BLOCK_BUCKET_PUBLIC_ACCESS,
        "iam.access_key_rotated" | "iam.credentials_unused" => DEACTIVATE_ACCESS_KEY,
        "cloudtrail.tamper_permissions" => DETACH_TRAIL_TAMPERING_POLICY,
        _ => return None,
    })
}

/// Whether `account` is inside `[remediate]`'s scopes.
pub fn in_scope(config: &RemediateConfig, account: AccountId, accounts: &AccountDirectory) -> bool {
    let by_id = config.accounts.is_empty() || config.accounts.iter().any(|a| a == account.as_str());
    let by_ou = config.ous.is_empty()
        || accounts.get(&account).is_some_and(|a| {
            config.ous.iter().any(|ou| {
                let ou = ou.trim_end_matches('/');
                a.ou == ou || a.ou.starts_with(&format!("{ou}/"))
            })
        });
    by_id && by_ou
}

/// A planned action and how it may run.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Planned {
    pub action: Action,
    pub mode: Mode,
}

/// The actions that fix the failures of `verdicts` and deactivate the `exposed` keys (exempt
/// resources, accounts out of scope and playbooks that are off are left alone), one per
/// resource and playbook.
pub fn plan(
    inventories: &[AccountInventory],
    verdicts: &[Verdict],
    exposed: &[ExposedKey],
    posture: &PostureConfig,
    config: &RemediateConfig,
    accounts: &AccountDirectory,
) -> Vec<Planned> {
    let mut out: Vec<Planned> = Vec::new();
    let allowed = |playbook: &str, account: AccountId| {
        config.mode(playbook) != Mode::Off && in_scope(config, account, accounts)
    };
    let mut add = |playbook: &str,
                   check: &str,
                   region: Option<&str>,
                   account: AccountId,
                   resource: String,
                   change: Change| {
        let seen = out.iter().any(|p| {
            p.action.playbook == playbook && p.action.account_id == account && p.action.resource == resource
        });
        if !seen {
            out.push(Planned {
                action: Action {
                    playbook: playbook.to_string(),
                    check: check.to_string(),
                    account_id: account,
                    region: region.map(String::from),
                    resource,
                    change,
                },
                mode: config.mode(playbook),
            });
        }
    };
    for v in verdicts.iter().filter(|v| v.counts_as_failed()) {
        let Some(playbook) = playbook_for(&v.check) else {
            continue;
        };
        if !allowed(playbook, v.account_id) {
            continue;
        }
        let Some(inv) = inventories.iter().find(|i| i.account_id == v.account_id) else {
            continue;
        };
        for (resource, change) in changes(inv, v, playbook, posture) {
            add(
                playbook,
                &v.check,
                v.region.as_deref(),
                v.account_id,
                resource,
                change,
            );
        }
    }
    for e in exposed {
        if !allowed(DEACTIVATE_ACCESS_KEY, e.account_id) {
            continue;
        }
        let Some(iam) = inventories
            .iter()
            .find(|i| i.account_id == e.account_id)
            .and_then(|i| read(&i.iam))
        else {
            continue;
        };
        let owner = iam
            .users
            .iter()
            .find(|u| u.access_keys.iter().any(|k| k.id == e.key_id && k.active));
        if let Some(u) = owner.filter(|u| !exempt(&u.tags, posture)) {
            let change = Change::DeactivateAccessKey {
                user: u.name.clone(),
                key_id: e.key_id.clone(),
            };
            let resource = format!("{}/access-key/{}", u.arn, e.key_id);
            add(
                DEACTIVATE_ACCESS_KEY,
                &e.rule,
                None,
                e.account_id,
                resource,
                change,
            );
        }
    }
    out
}

fn exempt(tags: &parapet_model::inventory::Tags, posture: &PostureConfig) -> bool {
    tags.get(&posture.exempt_tag)
        .is_some_and(|v| !v.eq_ignore_ascii_case("false"))
}

fn read<T>(p: &parapet_model::baseline::Probe<T>) -> Option<&T> {
    match p {
        parapet_model::baseline::Probe::Read(v) => Some(v),
        _ => None,
    }
}

/// The changes (with the resource each acts on) for one failure.
fn changes(
    inv: &AccountInventory,
    v: &Verdict,
    playbook: &str,
    posture: &PostureConfig,
) -> Vec<(String, Change)> {
    if v.check == "iam.credentials_unused" {
        // Each active key unused past the limit (a console password is left to a person).
        let Some(user) = read(&inv.iam).and_then(|i| i.users.iter().find(|u| u.arn == v.resource)) else {
            return Vec::new();
        };
        let limit = posture.unused_days * 86_400_000;
        return user
            .access_keys
            .iter()
            .filter(|k| k.active && inv.collected_ms - k.last_used_ms.unwrap_or(k.created_ms) > limit)
            .map(|k| {
                (
                    format!("{}/access-key/{}", user.arn, k.id),
                    Change::DeactivateAccessKey {
                        user: user.name.clone(),
                        key_id: k.id.clone(),
                    },
                )
            })
            .collect();
    }
    change(inv, v, playbook, posture)
        .map(|c| (v.resource.clone(), c))
        .into_iter()
        .collect()
}

/// The change for one failure, from what the inventory holds about its resource.
fn change(inv: &AccountInventory, v: &Verdict, playbook: &str, posture: &PostureConfig) -> Option<Change> {
    let region = inv
        .regions
        .iter()
        .find(|r| Some(r.region.as_str()) == v.region.as_deref());
    match playbook {
        REVOKE_OPEN_INGRESS => {
            let g = read(&region?.security_groups)?
                .iter()
                .find(|g| g.id == v.resource)?;
            // Only the world ranges of the risky rules go; narrower sources on the same rule stay.
            let rules: Vec<IpRule> = g
                .ingress
                .iter()
                .filter(|r| risky_world_rule(r, &posture.high_risk_ports))
                .map(|r| IpRule {
                    ipv4_ranges: r
                        .ipv4_ranges
                        .iter()
                        .filter(|c| *c == "0.0.0.0/0")
                        .cloned()
                        .collect(),
                    ipv6_ranges: r.ipv6_ranges.iter().filter(|c| *c == "::/0").cloned().collect(),
                    sources: Vec::new(),
                    ..r.clone()
                })
                .collect();
            (!rules.is_empty()).then(|| Change::RevokeIngress {
                group_id: g.id.clone(),
                rules,
            })
        }
        CLEAR_DEFAULT_SECURITY_GROUP => {
            let g = read(&region?.security_groups)?
                .iter()
                .find(|g| g.id == v.resource)?;
            Some(Change::ClearSecurityGroup {
                group_id: g.id.clone(),
                ingress: g.ingress.clone(),
                egress: g.egress.clone(),
            })
        }
        START_CLOUDTRAIL_LOGGING => Some(Change::StartLogging {
            trail: v.resource.clone(),
        }),
        BLOCK_BUCKET_PUBLIC_ACCESS => {
            let name = v.resource.strip_prefix("arn:aws:s3:::")?;
            let b = read(&inv.buckets)?.iter().find(|b| b.name == name)?;
            Some(Change::BlockBucketPublicAccess {
                bucket: b.name.clone(),
                before: b.block_public_access,
            })
        }
        DETACH_TRAIL_TAMPERING_POLICY => {
            let p = read(&inv.iam)?.policies.iter().find(|p| p.arn == v.resource)?;
            (!p.attached_to.is_empty()).then(|| Change::DetachPolicy {
                policy_arn: p.arn.clone(),
                principals: p.attached_to.clone(),
            })
        }
        DEACTIVATE_ACCESS_KEY => {
            let (user_arn, key_id) = v.resource.split_once("/access-key/")?;
            let user = read(&inv.iam)?.users.iter().find(|u| u.arn == user_arn)?;
            Some(Change::DeactivateAccessKey {
                user: user.name.clone(),
                key_id: key_id.to_string(),
            })
        }
        _ => None,
    }
}
