//! An AWS Organization as read at one moment: the organisation, its OU tree, its accounts with
//! their tags, and its delegated administrators.
//!
//! `parapet-aws` reads it from the Organizations API; `parapet simulate` writes it as
//! `organization.json` (the JSON of [`OrgSnapshot`]), which `parapet accounts sync --from` reads,
//! so the registry can be filled without AWS. The registry (`parapet-registry`) turns a snapshot
//! into [`crate::Account`]s.

use std::collections::BTreeMap;

use crate::{AccountId, AccountStatus};

/// The tag keys (on an account, else on its nearest OU) that mean team, env, owner and
/// notification channel; each list is tried in order, keys compare without regard to case.
/// `accounts.tag_keys` in the config.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TagKeys {
    pub team: Vec<String>,
    pub env: Vec<String>,
    pub owner: Vec<String>,
    pub channel: Vec<String>,
}

impl Default for TagKeys {
    fn default() -> Self {
        let v = |keys: &[&str]| keys.iter().map(|k| k.to_string()).collect();
        TagKeys {
            team: v(&["team", "owning-team", "cost-center"]),
            env: v(&["env", "environment", "stage"]),
            owner: v(&["owner", "owner-email", "contact"]),
            channel: v(&["notification-channel", "slack-channel", "channel"]),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrgSnapshot {
    pub organization: OrgInfo,
    /// Every root and OU; a root has no `parent_id`.
    pub organizational_units: Vec<OrgUnit>,
    pub accounts: Vec<OrgAccount>,
    #[serde(default)]
    pub delegated_administrators: Vec<DelegatedAdmin>,
}

/// `DescribeOrganization`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrgInfo {
    /// `o-xxxxxxxxxx`.
    pub id: String,
    #[serde(default)]
    pub arn: String,
    /// `ALL` or `CONSOLIDATED_BILLING`.
    #[serde(default)]
    pub feature_set: String,
    pub management_account_id: AccountId,
    #[serde(default)]
    pub management_account_email: String,
}

/// A root (`r-xxxx`, no parent) or an organisational unit (`ou-xxxx-xxxxxxxx`).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrgUnit {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub parent_id: Option<String>,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
}

/// One member account as Organizations lists it, with its parent and tags.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrgAccount {
    pub id: AccountId,
    pub name: String,
    #[serde(default)]
    pub email: String,
    pub status: AccountStatus,
    /// `INVITED` or `CREATED`.
    #[serde(default)]
    pub joined_method: String,
    /// Milliseconds since the epoch.
    #[serde(default)]
    pub joined_ms: Option<i64>,
    /// The root or OU the account sits in.
    pub parent_id: String,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
}

/// An account registered as delegated administrator, and the services it administers.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DelegatedAdmin {
    pub account_id: AccountId,
    /// Service principals, e.g. `guardduty.amazonaws.com`.
    #[serde(default)]
    pub services: Vec<String>,
}

impl OrgSnapshot {
    /// The path of names from the root to `unit_id`, e.g. `Root/Workloads/Prod`; `None` when the
    /// id is not in the snapshot or the parents loop.
    pub fn ou_path(&self, unit_id: &str) -> Option<String> {
        let mut names = Vec::new();
        let mut cur = Some(unit_id);
        while let Some(id) = cur {
            let unit = self.organizational_units.iter().find(|u| u.id == id)?;
            names.push(unit.name.as_str());
            if names.len() > self.organizational_units.len() {
                return None;
            }
            cur = unit.parent_id.as_deref();
        }
        names.reverse();
        Some(names.join("/"))
    }

    /// The units from `unit_id` up to the root, nearest first.
    pub fn ancestry(&self, unit_id: &str) -> Vec<&OrgUnit> {
        let mut out = Vec::new();
        let mut cur = Some(unit_id);
        while let Some(id) = cur {
            let Some(unit) = self.organizational_units.iter().find(|u| u.id == id) else {
                break;
            };
            if out.len() > self.organizational_units.len() {
                break;
            }
            out.push(unit);
            cur = unit.parent_id.as_deref();
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(id: &str, name: &str, parent: Option<&str>) -> OrgUnit {
        OrgUnit {
            id: id.into(),
            name: name.into(),
            parent_id: parent.map(String::from),
            tags: BTreeMap::new(),
        }
    }

    #[test]
    fn paths_walk_to_the_root_and_survive_loops() {
        let snap = OrgSnapshot {
            organization: OrgInfo {
                id: "o-abc".into(),
                arn: String::new(),
                feature_set: "ALL".into(),
                management_account_id: AccountId::parse("111111111111").expect("id"),
                management_account_email: String::new(),
            },
            organizational_units: vec![
                unit("r-1", "Root", None),
                unit("ou-1", "Workloads", Some("r-1")),
                unit("ou-2", "Prod", Some("ou-1")),
                unit("ou-x", "A", Some("ou-y")),
                unit("ou-y", "B", Some("ou-x")),
            ],
            accounts: vec![],
            delegated_administrators: vec![],
        };
        assert_eq!(snap.ou_path("ou-2").as_deref(), Some("Root/Workloads/Prod"));
        assert_eq!(snap.ou_path("r-1").as_deref(), Some("Root"));
        assert_eq!(snap.ou_path("ou-missing"), None);
        assert_eq!(snap.ou_path("ou-x"), None);
        let names: Vec<&str> = snap.ancestry("ou-2").iter().map(|u| u.name.as_str()).collect();
        assert_eq!(names, ["Prod", "Workloads", "Root"]);
    }
}
