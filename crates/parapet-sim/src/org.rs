//! The simulated organisation: ids, OUs, accounts with names and tags, people and regions.
//!
//! Everything here follows from the seed and the account count alone, so the organisation can be
//! rebuilt (for `accounts.csv`, `organization.json` or the ports) without generating any events.

use std::collections::{BTreeMap, BTreeSet};

use parapet_model::org::OrgUnit as OrgUnitInfo;
use parapet_model::{
    Account, AccountDirectory, AccountId, AccountStatus, DelegatedAdmin, OrgAccount, OrgInfo, OrgSnapshot,
};

use crate::rng::Rng;
use crate::SimConfig;

/// The Control Tower home region: the Log Archive bucket and global-service events live here.
pub const HOME_REGION: &str = "us-east-1";
/// The organisation trail Control Tower creates.
pub const TRAIL_NAME: &str = "aws-controltower-BaselineCloudTrail";

/// Regions accounts run in: name, UTC offset of the people who use it (hours), weight as a home.
pub(crate) const REGIONS: &[(&str, i32, u32)] = &[
    ("us-east-1", -5, 30),
    ("eu-west-1", 0, 22),
    ("ap-northeast-1", 9, 30),
    ("us-west-2", -8, 6),
    ("eu-central-1", 1, 5),
    ("ap-southeast-1", 8, 4),
    ("ap-southeast-2", 11, 3),
];

/// UTC offset (hours) of the working day for a region.
pub(crate) fn region_utc_offset(region: &str) -> i32 {
    REGIONS.iter().find(|r| r.0 == region).map(|r| r.1).unwrap_or(0)
}

const TEAMS: &[&str] = &[
    "payments", "identity", "data", "platform", "security", "web", "ml", "search", "mobile",
];

/// Workload applications per team (account names are `<app>-<env>`).
const APPS: &[(&str, &str)] = &[
    ("payments", "payments"),
    ("identity", "identity"),
    ("data", "data-lake"),
    ("web", "storefront"),
    ("ml", "recommendations"),
    ("search", "search"),
    ("mobile", "mobile-api"),
    ("payments", "billing"),
    ("identity", "auth"),
    ("data", "analytics"),
    ("web", "cms"),
    ("ml", "ml-platform"),
    ("payments", "checkout"),
    ("data", "etl"),
    ("web", "web"),
    ("mobile", "push-notifications"),
    ("search", "catalog"),
    ("identity", "user-profile"),
    ("payments", "ledger"),
    ("ml", "forecasting"),
    ("data", "warehouse"),
    ("payments", "fraud-scoring"),
    ("web", "api-gateway"),
    ("ml", "feature-store"),
];

/// Shared infrastructure accounts.
const INFRA: &[(&str, &str)] = &[
    ("platform", "network"),
    ("platform", "shared-services"),
    ("platform", "ci-cd"),
    ("security", "security-tooling"),
    ("platform", "observability"),
    ("platform", "backup"),
    ("platform", "dns"),
    ("platform", "artifacts"),
    ("security", "siem"),
];

const FIRST_NAMES: &[&str] = &[
    "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "ken", "laura",
    "nina", "oscar", "peggy", "quentin", "rupert", "sybil", "trent", "ursula", "victor", "wendy", "yuki",
    "haruto", "sota", "yui", "hina", "ren", "aoi", "mei", "kenji", "takumi", "sakura", "daichi", "emma",
    "liam", "olivia", "noah", "ava", "lucas", "mia", "leo", "sofia", "ethan", "chloe", "omar", "priya",
    "arjun",
];

const LAST_NAMES: &[&str] = &[
    "tanaka",
    "suzuki",
    "sato",
    "takahashi",
    "watanabe",
    "ito",
    "yamamoto",
    "nakamura",
    "kobayashi",
    "kato",
    "smith",
    "jones",
    "garcia",
    "miller",
    "davis",
    "martin",
    "lopez",
    "wilson",
    "moore",
    "taylor",
    "anderson",
    "lee",
    "kim",
    "patel",
    "schmidt",
    "rossi",
];

/// An organisational unit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrgUnit {
    /// `r-xxxx` for the root, `ou-xxxx-xxxxxxxx` otherwise.
    pub id: String,
    pub name: String,
    /// `Root/Workloads/Prod`.
    pub path: String,
}

/// A person of the company: owns accounts, signs in through IAM Identity Center.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Person {
    /// `alice.tanaka`.
    pub user: String,
    pub email: String,
    pub team: String,
}

/// One member account with what the simulator needs beyond [`Account`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimAccount {
    pub account: Account,
    /// The account's root e-mail address.
    pub email: String,
    pub ou_id: String,
    /// Where most of its resources and people are.
    pub home_region: &'static str,
    /// Regions it runs resources in, home first (1–3). Global-service events also go to us-east-1.
    pub regions: Vec<&'static str>,
    /// The application part of the name (`payments` for `payments-prod`).
    pub app: String,
}

/// The simulated AWS Organization.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Organization {
    /// `o-` and ten lowercase letters or digits.
    pub id: String,
    pub root_id: String,
    pub management_account_id: AccountId,
    pub log_archive_account_id: AccountId,
    pub audit_account_id: AccountId,
    /// Root first, then the OUs in path order.
    pub ous: Vec<OrgUnit>,
    /// management, log-archive, audit, then the workload accounts; the index is the account's
    /// stream number in the simulation.
    pub accounts: Vec<SimAccount>,
    pub people: Vec<Person>,
}

impl Organization {
    /// Builds the organisation for `cfg` (only `seed` and `accounts` matter; `accounts` below 4
    /// is raised to 4 — [`crate::simulate`] rejects it before getting here).
    pub fn generate(cfg: &SimConfig) -> Organization {
        let mut rng = Rng::derive(cfg.seed, &[0x0126]);
        let n = cfg.accounts.max(4);
        let id = format!("o-{}", rng.lower_alnum(10));
        let root_suffix = rng.lower_alnum(4);
        let root_id = format!("r-{root_suffix}");
        let ou_paths = [
            ("Security", "Root/Security"),
            ("Infrastructure", "Root/Infrastructure"),
            ("Workloads", "Root/Workloads"),
            ("Prod", "Root/Workloads/Prod"),
            ("NonProd", "Root/Workloads/NonProd"),
            ("Sandbox", "Root/Sandbox"),
        ];
        let mut ous = vec![OrgUnit {
            id: root_id.clone(),
            name: "Root".to_string(),
            path: "Root".to_string(),
        }];
        for (name, path) in ou_paths {
            ous.push(OrgUnit {
                id: format!("ou-{root_suffix}-{}", rng.lower_alnum(8)),
                name: name.to_string(),
                path: path.to_string(),
            });
        }
        let ou_id = |path: &str| -> String {
            ous.iter()
                .find(|o| o.path == path)
                .map(|o| o.id.clone())
                .unwrap_or_default()
        };

        let people = make_people(&mut rng, n);
        let team_owner = |team: &str| -> String {
            people
                .iter()
                .find(|p| p.team == team)
                .map(|p| p.email.clone())
                .unwrap_or_else(|| format!("{team}-owners@example.com"))
        };

        let mut ids = BTreeSet::new();
        let mut next_id = |rng: &mut Rng| -> AccountId {
            loop {
                let v = rng.range(100_000_000_000, 999_999_999_999);
                if ids.insert(v) {
                    if let Some(id) = AccountId::parse(&v.to_string()) {
                        return id;
                    }
                }
            }
        };

        // (name, app, team, env, ou path, owner)
        let mut specs: Vec<(String, String, String, &'static str, &'static str, String)> = vec![
            core("management", "platform", "Root", team_owner("platform")),
            core("log-archive", "security", "Root/Security", team_owner("security")),
            core("audit", "security", "Root/Security", team_owner("security")),
        ];
        let w = n - 3;
        let (infra, sandbox) = if w >= 4 {
            ((w * 10).div_ceil(100).max(1), (w * 15 / 100).max(1))
        } else {
            (0, usize::from(w == 3))
        };
        let apps_total = w - infra - sandbox;
        let prod = if w >= 4 {
            (apps_total * 42).div_ceil(100).max(1)
        } else {
            1
        };
        let nonprod = apps_total - prod;
        for i in 0..infra {
            let (team, app) = INFRA[i % INFRA.len()];
            let app = numbered(app, i / INFRA.len());
            specs.push((
                app.clone(),
                app,
                team.to_string(),
                "shared",
                "Root/Infrastructure",
                team_owner(team),
            ));
        }
        let apps: Vec<(String, String)> = (0..prod)
            .map(|i| {
                let (team, app) = APPS[i % APPS.len()];
                (team.to_string(), numbered(app, i / APPS.len()))
            })
            .collect();
        for (team, app) in &apps {
            specs.push((
                format!("{app}-prod"),
                app.clone(),
                team.clone(),
                "prod",
                "Root/Workloads/Prod",
                team_owner(team),
            ));
        }
        const NONPROD_ENVS: &[&str] = &["staging", "dev", "qa", "test"];
        for j in 0..nonprod {
            let (team, app) = &apps[j % apps.len()];
            let round = j / apps.len();
            let env = NONPROD_ENVS[round % NONPROD_ENVS.len()];
            let name = numbered(&format!("{app}-{env}"), round / NONPROD_ENVS.len());
            specs.push((
                name,
                app.clone(),
                team.clone(),
                env,
                "Root/Workloads/NonProd",
                team_owner(team),
            ));
        }
        for i in 0..sandbox {
            let p = &people[i % people.len()];
            let first = p.user.split('.').next().unwrap_or("user");
            let name = numbered(&format!("sandbox-{first}"), i / people.len());
            specs.push((
                name,
                "sandbox".to_string(),
                p.team.clone(),
                "sandbox",
                "Root/Sandbox",
                p.email.clone(),
            ));
        }

        let secondary = *rng.pick(&["eu-west-1", "ap-northeast-1"]);
        let weights: Vec<u32> = REGIONS.iter().map(|r| r.2).collect();
        let mut accounts = Vec::with_capacity(n);
        for (i, (name, app, team, env, ou, owner)) in specs.into_iter().enumerate() {
            let id = next_id(&mut rng);
            let regions = if i < 3 {
                vec![HOME_REGION, secondary]
            } else {
                let home = REGIONS[rng.weighted(&weights)].0;
                let extra = if env == "sandbox" {
                    0
                } else {
                    [0, 0, 0, 0, 1, 1, 1, 2, 2, 0][rng.index(10)]
                };
                let mut regions = vec![home];
                while regions.len() < 1 + extra {
                    let r = REGIONS[rng.weighted(&weights)].0;
                    if !regions.contains(&r) {
                        regions.push(r);
                    }
                }
                regions
            };
            let channel = if env == "sandbox" {
                "#alerts-sandbox".to_string()
            } else {
                format!("#alerts-{team}")
            };
            let email = format!("aws+{name}@example.com");
            accounts.push(SimAccount {
                email: email.clone(),
                ou_id: ou_id(ou),
                home_region: regions[0],
                regions,
                app,
                account: Account {
                    name,
                    team,
                    env: env.to_string(),
                    owner,
                    ou: ou.to_string(),
                    channel,
                    email,
                    ou_id: ou_id(ou),
                    ..Account::new(id)
                },
            });
        }
        Organization {
            id,
            root_id,
            management_account_id: accounts[0].account.id,
            log_archive_account_id: accounts[1].account.id,
            audit_account_id: accounts[2].account.id,
            ous,
            accounts,
            people,
        }
    }

    /// The accounts as parapet's registry sees them.
    pub fn directory(&self) -> AccountDirectory {
        AccountDirectory::new(self.accounts.iter().map(|a| a.account.clone()))
    }

    /// The Log Archive bucket Control Tower creates.
    pub fn bucket(&self) -> String {
        format!(
            "aws-controltower-logs-{}-{HOME_REGION}",
            self.log_archive_account_id
        )
    }

    /// `organization.json`: the organisation as Organizations and the tag API describe it.
    pub fn to_json(&self) -> Result<String, serde_json::Error> {
        let doc = OrgJson {
            snapshot: self.snapshot(),
            log_archive_account_id: self.log_archive_account_id.as_str(),
            audit_account_id: self.audit_account_id.as_str(),
            home_region: HOME_REGION,
            log_archive_bucket: self.bucket(),
            trail_name: TRAIL_NAME,
            account_regions: self
                .accounts
                .iter()
                .map(|a| (a.account.id.as_str(), a.regions.as_slice()))
                .collect(),
        };
        serde_json::to_string_pretty(&doc)
    }

    /// The organisation as the Organizations API would describe it (what `accounts sync` reads).
    pub fn snapshot(&self) -> OrgSnapshot {
        let mgmt = self.management_account_id;
        let parent_path = |path: &str| -> Option<String> {
            let (parent, _) = path.rsplit_once('/')?;
            self.ous.iter().find(|o| o.path == parent).map(|o| o.id.clone())
        };
        OrgSnapshot {
            organization: OrgInfo {
                id: self.id.clone(),
                arn: format!("arn:aws:organizations::{mgmt}:organization/{}", self.id),
                feature_set: "ALL".into(),
                management_account_id: mgmt,
                management_account_email: self.accounts[0].email.clone(),
            },
            organizational_units: self
                .ous
                .iter()
                .map(|o| OrgUnitInfo {
                    id: o.id.clone(),
                    name: o.name.clone(),
                    parent_id: parent_path(&o.path),
                    tags: BTreeMap::new(),
                })
                .collect(),
            accounts: self
                .accounts
                .iter()
                .map(|a| {
                    let tags = [
                        ("team", &a.account.team),
                        ("env", &a.account.env),
                        ("owner", &a.account.owner),
                        ("notification-channel", &a.account.channel),
                    ];
                    OrgAccount {
                        id: a.account.id,
                        name: a.account.name.clone(),
                        email: a.email.clone(),
                        status: AccountStatus::Active,
                        joined_method: "CREATED".into(),
                        joined_ms: None,
                        parent_id: a.ou_id.clone(),
                        tags: tags
                            .into_iter()
                            .filter(|(_, v)| !v.is_empty())
                            .map(|(k, v)| (k.to_string(), v.clone()))
                            .collect(),
                    }
                })
                .collect(),
            delegated_administrators: vec![DelegatedAdmin {
                account_id: self.audit_account_id,
                services: vec![
                    "guardduty.amazonaws.com".into(),
                    "securityhub.amazonaws.com".into(),
                    "config.amazonaws.com".into(),
                ],
            }],
        }
    }
}

/// `organization.json`: the snapshot, plus what only the simulator knows.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct OrgJson<'a> {
    #[serde(flatten)]
    snapshot: OrgSnapshot,
    log_archive_account_id: &'a str,
    audit_account_id: &'a str,
    home_region: &'static str,
    log_archive_bucket: String,
    trail_name: &'static str,
    /// Regions each account runs resources in, home first.
    account_regions: BTreeMap<&'a str, &'a [&'static str]>,
}

fn core(
    name: &str,
    team: &str,
    ou: &'static str,
    owner: String,
) -> (String, String, String, &'static str, &'static str, String) {
    (
        name.to_string(),
        name.to_string(),
        team.to_string(),
        "shared",
        ou,
        owner,
    )
}

/// `base` for round 0, `base-2`, `base-3`, … after that (keeps names unique in big orgs).
fn numbered(base: &str, round: usize) -> String {
    if round == 0 {
        base.to_string()
    } else {
        format!("{base}-{}", round + 1)
    }
}

fn make_people(rng: &mut Rng, accounts: usize) -> Vec<Person> {
    let count = (8 + accounts / 4).clamp(TEAMS.len() + 3, FIRST_NAMES.len());
    let mut firsts: Vec<&str> = FIRST_NAMES.to_vec();
    // Fisher–Yates with our own stream so the pick is reproducible.
    for i in (1..firsts.len()).rev() {
        let j = rng.index(i + 1);
        firsts.swap(i, j);
    }
    firsts
        .into_iter()
        .take(count)
        .enumerate()
        .map(|(i, first)| {
            let user = format!("{first}.{}", rng.pick(LAST_NAMES));
            Person {
                email: format!("{user}@example.com"),
                user,
                team: TEAMS[i % TEAMS.len()].to_string(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(accounts: usize, seed: u64) -> SimConfig {
        SimConfig {
            accounts,
            seed,
            ..SimConfig::default()
        }
    }

    #[test]
    fn ids_names_and_ous_are_well_formed() {
        for n in [4, 5, 6, 7, 20, 60, 300] {
            let org = Organization::generate(&cfg(n, 9));
            assert_eq!(org.accounts.len(), n);
            assert_eq!(org.id.len(), 12);
            assert!(org.id.starts_with("o-"));
            let names: BTreeSet<&str> = org.accounts.iter().map(|a| a.account.name.as_str()).collect();
            assert_eq!(names.len(), n, "names are unique");
            let ids: BTreeSet<AccountId> = org.accounts.iter().map(|a| a.account.id).collect();
            assert_eq!(ids.len(), n, "ids are unique");
            for a in &org.accounts {
                assert!(!a.account.id.as_str().starts_with('0'));
                assert!(org.ous.iter().any(|o| o.path == a.account.ou && o.id == a.ou_id));
                assert!((1..=3).contains(&a.regions.len()));
                assert!(a.account.channel.starts_with("#alerts-"));
            }
            assert_eq!(org.accounts[1].account.ou, "Root/Security");
        }
    }

    #[test]
    fn same_seed_same_org() {
        assert_eq!(
            Organization::generate(&cfg(30, 1)),
            Organization::generate(&cfg(30, 1))
        );
        assert_ne!(
            Organization::generate(&cfg(30, 1)).id,
            Organization::generate(&cfg(30, 2)).id
        );
    }
}
