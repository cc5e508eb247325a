//! What changed between two syncs, and which changes are findings.

use std::collections::BTreeMap;

use parapet_model::{Account, AccountId, AccountStatus, Detection, Severity};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// Seen by the first sync (history only).
    Discovered,
    Joined,
    /// No longer listed by Organizations.
    Left,
    Moved,
    Renamed,
    Suspended,
    Closed,
    Reactivated,
    OwnerMissing,
    /// An owner appeared (history only; closes the missing-owner finding).
    OwnerSet,
    /// The team changed (history only).
    TeamChanged,
}

impl ChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Discovered => "discovered",
            ChangeKind::Joined => "joined",
            ChangeKind::Left => "left",
            ChangeKind::Moved => "moved",
            ChangeKind::Renamed => "renamed",
            ChangeKind::Suspended => "suspended",
            ChangeKind::Closed => "closed",
            ChangeKind::Reactivated => "reactivated",
            ChangeKind::OwnerMissing => "owner_missing",
            ChangeKind::OwnerSet => "owner_set",
            ChangeKind::TeamChanged => "team_changed",
        }
    }
}

/// One change to one account; `from` and `to` are the old and new value where there is one
/// (OU paths for a move, names for a rename, statuses for a status change).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct AccountChange {
    pub account_id: AccountId,
    pub kind: ChangeKind,
    pub from: String,
    pub to: String,
}

/// The changes from `prev` (the registry before this sync; empty on the first) to `next`.
/// `first_sync` turns arrivals into `Discovered` instead of `Joined`.
pub fn diff(prev: &[Account], next: &[Account], first_sync: bool) -> Vec<AccountChange> {
    let before: BTreeMap<AccountId, &Account> = prev.iter().map(|a| (a.id, a)).collect();
    let after: BTreeMap<AccountId, &Account> = next.iter().map(|a| (a.id, a)).collect();
    let mut out = Vec::new();
    let change = |a: &Account, kind, from: &str, to: &str| AccountChange {
        account_id: a.id,
        kind,
        from: from.to_string(),
        to: to.to_string(),
    };
    for (id, new) in &after {
        let Some(old) = before.get(id) else {
            let kind = if first_sync {
                ChangeKind::Discovered
            } else {
                ChangeKind::Joined
            };
            out.push(change(new, kind, "", &new.ou));
            if new.owner.is_empty() {
                out.push(change(new, ChangeKind::OwnerMissing, "", ""));
            }
            continue;
        };
        if old.ou != new.ou {
            out.push(change(new, ChangeKind::Moved, &old.ou, &new.ou));
        }
        if old.name != new.name {
            out.push(change(new, ChangeKind::Renamed, &old.name, &new.name));
        }
        if old.status != new.status {
            let kind = match new.status {
                AccountStatus::Active => ChangeKind::Reactivated,
                AccountStatus::Suspended => ChangeKind::Suspended,
                AccountStatus::PendingClosure | AccountStatus::Closed => ChangeKind::Closed,
            };
            out.push(change(new, kind, old.status.as_str(), new.status.as_str()));
        }
        match (old.owner.is_empty(), new.owner.is_empty()) {
            (false, true) => out.push(change(new, ChangeKind::OwnerMissing, &old.owner, "")),
            (true, false) => out.push(change(new, ChangeKind::OwnerSet, "", &new.owner)),
            _ => {}
        }
        if old.team != new.team {
            out.push(change(new, ChangeKind::TeamChanged, &old.team, &new.team));
        }
    }
    for (id, old) in &before {
        if !after.contains_key(id) {
            out.push(change(old, ChangeKind::Left, &old.ou, ""));
        }
    }
    out
}

/// The findings of a sync: one per change that needs a person's attention, and one per account
/// still without an owner (the same key every sync, so it stays one finding until fixed).
pub fn detections(
    changes: &[AccountChange],
    next: &[Account],
    prev: &[Account],
    time_ms: i64,
) -> Vec<Detection> {
    let label = |id: AccountId| -> String {
        next.iter()
            .chain(prev)
            .find(|a| a.id == id)
            .filter(|a| !a.name.is_empty())
            .map(|a| format!("{} ({id})", a.name))
            .unwrap_or_else(|| id.to_string())
    };
    let mut out = Vec::new();
    for c in changes {
        let who = label(c.account_id);
        let (severity, title, summary, next_step) = match c.kind {
            ChangeKind::Discovered
            | ChangeKind::OwnerSet
            | ChangeKind::TeamChanged
            | ChangeKind::OwnerMissing => continue,
            ChangeKind::Joined => (
                Severity::Low,
                "Account joined the organisation",
                format!("{who} joined the organisation in {}.", c.to),
                "Check that it has owner and team tags and the baseline (`parapet accounts baseline`).",
            ),
            ChangeKind::Left => (
                Severity::Medium,
                "Account left the organisation",
                format!(
                    "{who} is no longer listed by AWS Organizations (it was in {}).",
                    c.from
                ),
                "Confirm the removal was planned; its logs stop arriving and SCPs no longer apply.",
            ),
            ChangeKind::Moved => (
                Severity::Medium,
                "Account moved to another OU",
                format!("{who} moved from {} to {}.", c.from, c.to),
                "Confirm the move was planned: the account now gets the SCPs and policies of its new OU.",
            ),
            ChangeKind::Renamed => (
                Severity::Low,
                "Account renamed",
                format!(
                    "Account {} was renamed from {:?} to {:?}.",
                    c.account_id, c.from, c.to
                ),
                "Confirm the new name with the account's owner.",
            ),
            ChangeKind::Suspended => (
                Severity::Medium,
                "Account suspended",
                format!("{who} is now {} (was {}).", c.to, c.from),
                "Find out why AWS or an administrator suspended it; its workloads are stopped.",
            ),
            ChangeKind::Closed => (
                Severity::Medium,
                "Account closed",
                format!("{who} is now {} (was {}).", c.to, c.from),
                "Confirm the closure was planned; it can be reopened within 90 days.",
            ),
            ChangeKind::Reactivated => (
                Severity::Info,
                "Account active again",
                format!("{who} is active again (was {}).", c.from),
                "Check its baseline before workloads return.",
            ),
        };
        let rule_id = format!("account.{}", c.kind.as_str());
        let dedup_key = format!("{rule_id}:{}:{}", c.account_id, c.to);
        out.push(Detection {
            rule_id,
            dedup_key,
            severity,
            title: title.to_string(),
            account_id: Some(c.account_id),
            region: None,
            time_ms,
            summary,
            next_step: next_step.to_string(),
            evidence: serde_json::json!({"change": c.kind.as_str(), "from": c.from, "to": c.to}).to_string(),
        });
    }
    for a in next
        .iter()
        .filter(|a| a.owner.is_empty() && a.status == AccountStatus::Active)
    {
        out.push(owner_missing(a, time_ms));
    }
    out
}

/// The rule id of the standing "no owner" finding.
pub const OWNER_MISSING_RULE: &str = "account.owner_missing";

fn owner_missing(a: &Account, time_ms: i64) -> Detection {
    let who = if a.name.is_empty() {
        a.id.to_string()
    } else {
        format!("{} ({})", a.name, a.id)
    };
    Detection {
        rule_id: OWNER_MISSING_RULE.to_string(),
        dedup_key: format!("{OWNER_MISSING_RULE}:{}", a.id),
        severity: Severity::Low,
        title: "Account has no owner".to_string(),
        account_id: Some(a.id),
        region: None,
        time_ms,
        summary: format!("{who} in {} has no owner tag, so its alerts have nobody to go to.", a.ou),
        next_step: "Tag the account with its owner (tag keys: `accounts.tag_keys.owner`), or set `owner` in accounts.csv.".to_string(),
        evidence: serde_json::json!({"ou": a.ou, "tags": a.tags}).to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn acct(id: &str, name: &str, ou: &str, owner: &str) -> Account {
        Account {
            name: name.into(),
            ou: ou.into(),
            owner: owner.into(),
            team: "t".into(),
            ..Account::new(AccountId::parse(id).expect("id"))
        }
    }

    fn kinds(changes: &[AccountChange]) -> Vec<(String, &'static str, String, String)> {
        changes
            .iter()
            .map(|c| {
                (
                    c.account_id.to_string(),
                    c.kind.as_str(),
                    c.from.clone(),
                    c.to.clone(),
                )
            })
            .collect()
    }

    #[test]
    fn first_sync_discovers_and_flags_missing_owners() {
        let next = [
            acct("111111111111", "a", "Root", "o@x"),
            acct("222222222222", "b", "Root/W", ""),
        ];
        let changes = diff(&[], &next, true);
        assert_eq!(
            kinds(&changes),
            [
                ("111111111111".into(), "discovered", "".into(), "Root".into()),
                ("222222222222".into(), "discovered", "".into(), "Root/W".into()),
                ("222222222222".into(), "owner_missing", "".into(), "".into()),
            ]
        );
        let found = detections(&changes, &next, &[], 5);
        let keys: Vec<&str> = found.iter().map(|d| d.dedup_key.as_str()).collect();
        assert_eq!(keys, ["account.owner_missing:222222222222"]);
        assert!(
            found[0].summary.starts_with("b (222222222222) in Root/W"),
            "{}",
            found[0].summary
        );
    }

    #[test]
    fn moves_renames_status_and_departures() {
        let prev = [
            acct("111111111111", "a", "Root/A", "o@x"),
            acct("222222222222", "b", "Root/A", "o@x"),
            acct("333333333333", "c", "Root/A", "o@x"),
            acct("444444444444", "d", "Root/A", ""),
        ];
        let mut next = vec![
            acct("111111111111", "a", "Root/B", "o@x"),
            acct("222222222222", "b2", "Root/A", ""),
            acct("333333333333", "c", "Root/A", "o@x"),
            acct("444444444444", "d", "Root/A", "new@x"),
            acct("555555555555", "e", "Root/A", "o@x"),
        ];
        next[2].status = AccountStatus::Suspended;
        let changes = diff(&prev, &next, false);
        assert_eq!(
            kinds(&changes),
            [
                ("111111111111".into(), "moved", "Root/A".into(), "Root/B".into()),
                ("222222222222".into(), "renamed", "b".into(), "b2".into()),
                ("222222222222".into(), "owner_missing", "o@x".into(), "".into()),
                (
                    "333333333333".into(),
                    "suspended",
                    "ACTIVE".into(),
                    "SUSPENDED".into()
                ),
                ("444444444444".into(), "owner_set", "".into(), "new@x".into()),
                ("555555555555".into(), "joined", "".into(), "Root/A".into()),
            ]
        );
        let found = detections(&changes, &next, &prev, 9);
        let keys: Vec<&str> = found.iter().map(|d| d.dedup_key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "account.moved:111111111111:Root/B",
                "account.renamed:222222222222:b2",
                "account.suspended:333333333333:SUSPENDED",
                "account.joined:555555555555:Root/A",
                "account.owner_missing:222222222222",
            ]
        );
        let renamed = &found[1];
        assert_eq!(
            renamed.summary,
            "Account 222222222222 was renamed from \"b\" to \"b2\"."
        );

        let left = diff(&next, &next[1..], false);
        assert_eq!(
            kinds(&left),
            [("111111111111".into(), "left", "Root/B".into(), "".into())]
        );
        let found = detections(&left, &next[1..], &next, 10);
        assert_eq!(
            found[0].summary,
            "a (111111111111) is no longer listed by AWS Organizations (it was in Root/B)."
        );
    }
}
