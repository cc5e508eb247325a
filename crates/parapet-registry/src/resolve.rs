//! From an Organizations snapshot to [`Account`]s: OU paths from the tree, team / env / owner /
//! channel from tags (the account's own, else the nearest OU's), then the `accounts.csv`
//! overrides on top.

use parapet_model::{Account, AccountDirectory, OrgSnapshot, TagKeys};

fn tag<'a>(tags: &'a std::collections::BTreeMap<String, String>, keys: &[String]) -> Option<&'a str> {
    keys.iter().find_map(|want| {
        tags.iter()
            .find(|(k, v)| k.eq_ignore_ascii_case(want) && !v.trim().is_empty())
            .map(|(_, v)| v.trim())
    })
}

/// Every account of the snapshot, sorted by id.
pub fn accounts_from_snapshot(snapshot: &OrgSnapshot, keys: &TagKeys) -> Vec<Account> {
    let mut out: Vec<Account> = snapshot
        .accounts
        .iter()
        .map(|a| {
            let ancestry = snapshot.ancestry(&a.parent_id);
            let pick = |keys: &[String]| -> String {
                tag(&a.tags, keys)
                    .or_else(|| ancestry.iter().find_map(|u| tag(&u.tags, keys)))
                    .unwrap_or_default()
                    .to_string()
            };
            Account {
                name: a.name.clone(),
                team: pick(&keys.team),
                env: pick(&keys.env),
                owner: pick(&keys.owner),
                ou: snapshot.ou_path(&a.parent_id).unwrap_or_default(),
                channel: pick(&keys.channel),
                email: a.email.clone(),
                status: a.status,
                ou_id: a.parent_id.clone(),
                tags: a.tags.clone(),
                ..Account::new(a.id)
            }
        })
        .collect();
    out.sort_by_key(|a| a.id);
    out
}

/// Applies `accounts.csv` on top: a non-empty field of the override wins; an account only in
/// the override is added (e.g. one outside the organisation whose logs are collected too).
pub fn apply_overrides(mut accounts: Vec<Account>, overrides: &AccountDirectory) -> Vec<Account> {
    for o in overrides.accounts() {
        match accounts.iter_mut().find(|a| a.id == o.id) {
            Some(a) => {
                let fields = [
                    (&mut a.name, &o.name),
                    (&mut a.team, &o.team),
                    (&mut a.env, &o.env),
                    (&mut a.owner, &o.owner),
                    (&mut a.ou, &o.ou),
                    (&mut a.channel, &o.channel),
                ];
                for (mine, theirs) in fields {
                    if !theirs.is_empty() {
                        mine.clone_from(theirs);
                    }
                }
            }
            None => accounts.push(o.clone()),
        }
    }
    accounts.sort_by_key(|a| a.id);
    accounts
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use parapet_model::{AccountId, AccountStatus, OrgAccount, OrgInfo, OrgUnit};

    use super::*;

    fn id(s: &str) -> AccountId {
        AccountId::parse(s).expect("valid id")
    }

    fn tags(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    pub(crate) fn snapshot() -> OrgSnapshot {
        let unit = |i: &str, n: &str, p: Option<&str>, t: &[(&str, &str)]| OrgUnit {
            id: i.into(),
            name: n.into(),
            parent_id: p.map(String::from),
            tags: tags(t),
        };
        let account = |i: &str, n: &str, parent: &str, t: &[(&str, &str)]| OrgAccount {
            id: id(i),
            name: n.into(),
            email: format!("{n}@example.com"),
            status: AccountStatus::Active,
            joined_method: "CREATED".into(),
            joined_ms: None,
            parent_id: parent.into(),
            tags: tags(t),
        };
        OrgSnapshot {
            organization: OrgInfo {
                id: "o-test".into(),
                arn: String::new(),
                feature_set: "ALL".into(),
                management_account_id: id("111111111111"),
                management_account_email: String::new(),
            },
            organizational_units: vec![
                unit("r-1", "Root", None, &[]),
                unit("ou-w", "Workloads", Some("r-1"), &[("Team", "platform")]),
                unit("ou-p", "Prod", Some("ou-w"), &[("environment", "prod")]),
            ],
            accounts: vec![
                account(
                    "222222222222",
                    "payments-prod",
                    "ou-p",
                    &[("TEAM", "payments"), ("Owner", "a@x.io")],
                ),
                account("111111111111", "management", "r-1", &[]),
                account("333333333333", "shared", "ou-w", &[("team", " ")]),
            ],
            delegated_administrators: vec![],
        }
    }

    #[test]
    fn tags_come_from_the_account_then_the_nearest_ou() {
        let accounts = accounts_from_snapshot(&snapshot(), &TagKeys::default());
        let ids: Vec<String> = accounts.iter().map(|a| a.id.to_string()).collect();
        assert_eq!(ids, ["111111111111", "222222222222", "333333333333"]);
        let pay = &accounts[1];
        assert_eq!(
            (
                pay.ou.as_str(),
                pay.team.as_str(),
                pay.env.as_str(),
                pay.owner.as_str()
            ),
            ("Root/Workloads/Prod", "payments", "prod", "a@x.io")
        );
        // A blank tag does not count: the OU's team applies.
        assert_eq!(accounts[2].team, "platform");
        assert_eq!(accounts[2].ou, "Root/Workloads");
        assert_eq!(accounts[0].ou, "Root");
        assert_eq!(accounts[0].team, "");
    }

    #[test]
    fn configured_keys_replace_the_defaults() {
        let keys = TagKeys {
            team: vec!["squad".into()],
            ..TagKeys::default()
        };
        let mut snap = snapshot();
        snap.accounts[0].tags.insert("squad".into(), "blue".into());
        let accounts = accounts_from_snapshot(&snap, &keys);
        assert_eq!(accounts[1].team, "blue");
        assert_eq!(accounts[2].team, "", "`team` is no longer a team key");
    }

    #[test]
    fn overrides_fill_and_add() {
        let accounts = accounts_from_snapshot(&snapshot(), &TagKeys::default());
        let overrides = AccountDirectory::from_csv(
            "id,name,team,channel\n333333333333,,shared-infra,#infra\n444444444444,partner,ext,\n",
        )
        .expect("csv");
        let merged = apply_overrides(accounts, &overrides);
        assert_eq!(merged.len(), 4);
        assert_eq!(merged[2].name, "shared", "an empty override keeps the org's name");
        assert_eq!(
            (merged[2].team.as_str(), merged[2].channel.as_str()),
            ("shared-infra", "#infra")
        );
        assert_eq!(merged[3].name, "partner");
    }
}
