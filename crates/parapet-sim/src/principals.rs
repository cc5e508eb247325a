//! Who acts in one simulated account: IAM Identity Center users, CI, workloads, AWS services.
//!
//! Each actor carries its `userIdentity` JSON pre-built in pieces, so writing an event only adds
//! the per-session parts (temporary access key, session creation time).

use crate::inventory::Inventory;
use crate::org::{Organization, SimAccount};
use crate::rng::{mix, Rng};

/// What kind of caller an actor is; decides when it is active and which APIs it calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Class {
    /// People, through IAM Identity Center (or a few legacy IAM users). Working hours only.
    Human = 0,
    /// CI/CD and infrastructure-as-code.
    Automation = 1,
    /// Lambda functions, EC2 instances, ECS tasks.
    Workload = 2,
    /// AWS Config and Access Analyzer describing resources through their roles.
    Recorder = 3,
    /// AWS services acting as themselves (`userIdentity.type` `AWSService`).
    Service = 4,
}

pub(crate) const CLASS_COUNT: usize = 5;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    AssumedRole,
    IamUser,
    AwsService,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Runtime {
    Person,
    Ci,
    Lambda,
    Ec2,
    Ecs,
    Config,
    Service,
}

pub(crate) const CONSOLE_AGENT: &str = "AWS Internal";

const CLI_AGENTS: &[&str] = &[
    "aws-cli/2.15.30 md/awscrt#0.19.19 ua/2.0 os/macos#23.4.0 md/arch#arm64 lang/python#3.11.8 md/pyimpl#CPython cfg/retry-mode#standard md/installer#source md/prompt#off",
    "aws-cli/2.17.42 md/awscrt#0.21.2 ua/2.0 os/linux#6.8.0-45-generic md/arch#x86_64 lang/python#3.12.6 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/distrib#ubuntu.24 md/prompt#off",
    "aws-cli/2.22.4 md/awscrt#0.22.0 ua/2.0 os/windows#10 md/arch#amd64 lang/python#3.12.6 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/prompt#off",
];
const TERRAFORM_AGENT: &str = "APN/1.0 HashiCorp/1.0 Terraform/1.9.8 (+https://www.terraform.io) terraform-provider-aws/5.76.0 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.32.4 ua/2.1 os/linux lang/go#1.23.2 md/GOOS#linux md/GOARCH#amd64";
const BOTO3_AGENT: &str = "Boto3/1.35.36 md/Botocore#1.35.36 ua/2.0 os/linux#5.10.227-239.884.amzn2.x86_64 md/arch#x86_64 lang/python#3.12.7 md/pyimpl#CPython exec-env/AWS_Lambda_python3.12 cfg/retry-mode#legacy Botocore/1.35.36";
const NODE_AGENT: &str = "aws-sdk-js/3.682.0 ua/2.1 os/linux#5.10.227-239.884.amzn2.x86_64 lang/js md/nodejs#20.18.0 exec-env/AWS_Lambda_nodejs20.x api/kms#3.682.0";
const SSM_AGENT: &str = "aws-sdk-go/1.55.5 (go1.22.8; linux; amd64) amazon-ssm-agent/3.3.1142.0";
const JAVA_AGENT: &str = "aws-sdk-java/2.29.6 ua/2.1 os/Linux#5.10.227-239.884.amzn2.x86_64 lang/java#21.0.5 md/OpenJDK_64-Bit_Server_VM#21.0.5+11-LTS md/vendor#Amazon.com_Inc. md/en_US exec-env/AWS_ECS_FARGATE m/D,N";

/// Browser user agents for console sign-in.
pub(crate) const BROWSERS: &[&str] = &[
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 Edg/130.0.0.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.7; rv:132.0) Gecko/20100101 Firefox/132.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
];

/// One principal of the account.
#[derive(Clone, Debug)]
pub(crate) struct Actor {
    pub class: Class,
    pub kind: Kind,
    pub runtime: Runtime,
    /// The principal's ARN (the assumed-role session ARN for roles; the service name for
    /// AWS services).
    pub arn: String,
    /// Session name, user name or service name.
    pub name: String,
    /// For roles: the role's ARN (the session issuer).
    pub role_arn: String,
    pub role_name: String,
    head: String,
    mid: String,
    tail: String,
    /// Addresses (or the service host) requests come from.
    pub ips: Vec<String>,
    /// User agents it uses; `AWS Internal` marks a console session.
    pub agents: Vec<&'static str>,
    /// Humans only: may change things (admin or power user).
    pub admin: bool,
    /// Index of the person in [`Organization::people`] for humans.
    pub person: Option<usize>,
    /// For AWS services: the indices of the roles it assumes.
    pub assumes: Vec<u16>,
    /// Workloads: the function or instance it runs as.
    pub resource: String,
    seed: u64,
}

impl Actor {
    /// Appends the `userIdentity` object for a call at `t` (epoch seconds). Role sessions
    /// last an hour and start at an actor-specific minute; each gets its own `ASIA…` key.
    pub(crate) fn write_identity(&self, out: &mut String, t: i64) {
        out.push_str(&self.head);
        if self.kind != Kind::AssumedRole {
            return;
        }
        let offset = (self.seed % 3600) as i64;
        let start = (t - offset).div_euclid(3600) * 3600 + offset;
        out.push_str("ASIA");
        let mut x = mix(self.seed ^ start as u64);
        let mut y = mix(x);
        for i in 0..16 {
            let v = if i < 8 { &mut x } else { &mut y };
            out.push(char::from(
                b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"[(*v & 31) as usize],
            ));
            *v >>= 5;
        }
        out.push_str(&self.mid);
        crate::record::push_time(out, start);
        out.push_str(&self.tail);
    }
}

/// The principals of one account.
#[derive(Clone, Debug)]
pub(crate) struct Principals {
    pub actors: Vec<Actor>,
    /// Actor indices per [`Class`].
    pub by_class: [Vec<u16>; CLASS_COUNT],
    /// Legacy IAM users who sign in to the console (always with MFA in the background).
    pub console_users: Vec<u16>,
}

struct RoleSpec<'a> {
    class: Class,
    runtime: Runtime,
    role_name: &'a str,
    role_path: &'a str,
    session: &'a str,
    invoked_by: Option<&'a str>,
    ips: Vec<String>,
    agents: Vec<&'static str>,
}

fn role_actor(rng: &mut Rng, account: &str, s: RoleSpec<'_>) -> Actor {
    let role_id = format!("AROA{}", rng.upper_alnum(17));
    let role_arn = format!("arn:aws:iam::{account}:role/{}{}", s.role_path, s.role_name);
    let arn = format!(
        "arn:aws:sts::{account}:assumed-role/{}/{}",
        s.role_name, s.session
    );
    let head = format!(
        "{{\"type\":\"AssumedRole\",\"principalId\":\"{role_id}:{}\",\"arn\":\"{arn}\",\"accountId\":\"{account}\",\"accessKeyId\":\"",
        s.session
    );
    let mid = format!(
        "\",\"sessionContext\":{{\"sessionIssuer\":{{\"type\":\"Role\",\"principalId\":\"{role_id}\",\"arn\":\"{role_arn}\",\"accountId\":\"{account}\",\"userName\":\"{}\"}},\"webIdFederationData\":{{}},\"attributes\":{{\"creationDate\":\"",
        s.role_name
    );
    let tail = match s.invoked_by {
        Some(by) => format!("\",\"mfaAuthenticated\":\"false\"}}}},\"invokedBy\":\"{by}\"}}"),
        None => "\",\"mfaAuthenticated\":\"false\"}}}".to_string(),
    };
    Actor {
        class: s.class,
        kind: Kind::AssumedRole,
        runtime: s.runtime,
        arn,
        name: s.session.to_string(),
        role_arn,
        role_name: s.role_name.to_string(),
        head,
        mid,
        tail,
        ips: s.ips,
        agents: s.agents,
        admin: false,
        person: None,
        assumes: Vec::new(),
        resource: String::new(),
        seed: rng.next_u64(),
    }
}

/// An IAM user with a long-term access key.
pub(crate) fn iam_user_identity(account: &str, user: &str, principal_id: &str, key: &str) -> String {
    format!(
        "{{\"type\":\"IAMUser\",\"principalId\":\"{principal_id}\",\"arn\":\"arn:aws:iam::{account}:user/{user}\",\"accountId\":\"{account}\",\"accessKeyId\":\"{key}\",\"userName\":\"{user}\"}}"
    )
}

fn iam_user_actor(
    rng: &mut Rng,
    account: &str,
    class: Class,
    user: &str,
    ips: Vec<String>,
    agents: Vec<&'static str>,
) -> Actor {
    let principal_id = format!("AIDA{}", rng.upper_alnum(17));
    let key = format!("AKIA{}", rng.upper_alnum(16));
    Actor {
        class,
        kind: Kind::IamUser,
        runtime: if class == Class::Human {
            Runtime::Person
        } else {
            Runtime::Ci
        },
        arn: format!("arn:aws:iam::{account}:user/{user}"),
        name: user.to_string(),
        role_arn: String::new(),
        role_name: String::new(),
        head: iam_user_identity(account, user, &principal_id, &key),
        mid: String::new(),
        tail: String::new(),
        ips,
        agents,
        admin: false,
        person: None,
        assumes: Vec::new(),
        resource: principal_id,
        seed: rng.next_u64(),
    }
}

fn service_actor(rng: &mut Rng, service: &'static str) -> Actor {
    Actor {
        class: Class::Service,
        kind: Kind::AwsService,
        runtime: Runtime::Service,
        arn: service.to_string(),
        name: service.to_string(),
        role_arn: String::new(),
        role_name: String::new(),
        head: format!("{{\"type\":\"AWSService\",\"invokedBy\":\"{service}\"}}"),
        mid: String::new(),
        tail: String::new(),
        ips: vec![service.to_string()],
        agents: vec![service],
        admin: false,
        person: None,
        assumes: Vec::new(),
        resource: String::new(),
        seed: rng.next_u64(),
    }
}

/// A person's home address (stable across accounts) and the office egress addresses.
pub(crate) fn person_ips(org_seed: u64, person: usize) -> Vec<String> {
    let h = mix(org_seed ^ 0xB0B0 ^ ((person as u64) << 20));
    vec![
        format!("203.0.113.{}", 10 + h % 4),
        format!("198.51.100.{}", 20 + (h >> 8) % 200),
    ]
}

fn aws_ips(rng: &mut Rng, first: &[u8]) -> Vec<String> {
    (0..2)
        .map(|_| {
            format!(
                "{}.{}.{}.{}",
                rng.pick(first),
                rng.range(1, 254),
                rng.range(1, 254),
                rng.range(1, 254)
            )
        })
        .collect()
}

const PERMISSION_SETS: &[&str] = &["AdministratorAccess", "PowerUserAccess", "ReadOnlyAccess"];

impl Principals {
    pub(crate) fn build(org: &Organization, index: usize, inv: &Inventory, seed: u64) -> Principals {
        let acct: &SimAccount = &org.accounts[index];
        let id = acct.account.id.as_str();
        let mut rng = Rng::derive(seed, &[0xAC7, index as u64]);
        let mut actors = Vec::new();

        // IAM Identity Center users.
        let perm_roles: Vec<String> = PERMISSION_SETS
            .iter()
            .map(|p| format!("AWSReservedSSO_{p}_{}", rng.hex(16)))
            .collect();
        let mut humans: Vec<(usize, usize)> = Vec::new(); // (person, permission set)
        let sandbox = acct.account.env == "sandbox";
        for (pi, p) in org.people.iter().enumerate() {
            let set = if sandbox {
                (acct.account.owner == p.email).then_some(0)
            } else if p.team == "platform" && humans.iter().filter(|h| h.1 == 0).count() < 2 {
                Some(0)
            } else if p.team == "security" && !humans.iter().any(|h| h.1 == 2) {
                Some(2)
            } else if p.team == acct.account.team && humans.len() < 7 {
                Some(if acct.account.env == "prod" { 2 } else { 1 })
            } else {
                None
            };
            if let Some(set) = set {
                humans.push((pi, set));
            }
        }
        if humans.is_empty() {
            humans.push((0, 0));
        }
        for (pi, set) in humans {
            let person = &org.people[pi];
            let cli = CLI_AGENTS[pi % CLI_AGENTS.len()];
            let mut a = role_actor(
                &mut rng,
                id,
                RoleSpec {
                    class: Class::Human,
                    runtime: Runtime::Person,
                    role_name: &perm_roles[set],
                    role_path: "aws-reserved/sso.amazonaws.com/",
                    session: &person.email,
                    invoked_by: None,
                    ips: person_ips(seed, pi),
                    agents: vec![CONSOLE_AGENT, CONSOLE_AGENT, cli],
                },
            );
            a.admin = set < 2;
            a.person = Some(pi);
            actors.push(a);
        }
        let mut console_users = Vec::new();
        if !sandbox && index >= 3 && rng.chance(0.3) {
            if let Some((pi, person)) = org
                .people
                .iter()
                .enumerate()
                .find(|(_, p)| p.team == acct.account.team)
            {
                let mut a = iam_user_actor(
                    &mut rng,
                    id,
                    Class::Human,
                    &person.user,
                    person_ips(seed, pi),
                    vec![CLI_AGENTS[pi % CLI_AGENTS.len()]],
                );
                a.person = Some(pi);
                console_users.push(actors.len() as u16);
                actors.push(a);
            }
        }

        // Automation.
        let runners = aws_ips(&mut rng, &[4, 20, 52]);
        actors.push(role_actor(
            &mut rng,
            id,
            RoleSpec {
                class: Class::Automation,
                runtime: Runtime::Ci,
                role_name: "github-actions-deploy",
                role_path: "",
                session: "GitHubActions",
                invoked_by: None,
                ips: runners,
                agents: vec![TERRAFORM_AGENT, TERRAFORM_AGENT, CLI_AGENTS[1]],
            },
        ));
        if index >= 3 && rng.chance(0.4) {
            actors.push(iam_user_actor(
                &mut rng,
                id,
                Class::Automation,
                "ci-deploy",
                vec!["203.0.113.200".to_string()],
                vec![BOTO3_AGENT, CLI_AGENTS[1]],
            ));
        }

        // Workloads.
        for f in &inv.functions {
            let ips = aws_ips(&mut rng, &[3, 18, 34, 44, 54]);
            let role = format!("{f}-role");
            let agent = if rng.chance(0.6) { BOTO3_AGENT } else { NODE_AGENT };
            let mut a = role_actor(
                &mut rng,
                id,
                RoleSpec {
                    class: Class::Workload,
                    runtime: Runtime::Lambda,
                    role_name: &role,
                    role_path: "service-role/",
                    session: f,
                    invoked_by: None,
                    ips,
                    agents: vec![agent],
                },
            );
            a.resource = f.clone();
            actors.push(a);
        }
        for i in &inv.instances {
            let ips = aws_ips(&mut rng, &[3, 54]);
            let role = format!("{}-ec2-role", acct.app);
            let mut a = role_actor(
                &mut rng,
                id,
                RoleSpec {
                    class: Class::Workload,
                    runtime: Runtime::Ec2,
                    role_name: &role,
                    role_path: "",
                    session: i,
                    invoked_by: None,
                    ips,
                    agents: vec![SSM_AGENT, JAVA_AGENT],
                },
            );
            a.resource = i.clone();
            actors.push(a);
        }
        if index >= 3 && rng.chance(0.5) {
            let ips = aws_ips(&mut rng, &[3, 52]);
            let role = format!("{}-task-role", acct.app);
            let session = rng.hex(32);
            actors.push(role_actor(
                &mut rng,
                id,
                RoleSpec {
                    class: Class::Workload,
                    runtime: Runtime::Ecs,
                    role_name: &role,
                    role_path: "",
                    session: &session,
                    invoked_by: None,
                    ips,
                    agents: vec![JAVA_AGENT],
                },
            ));
        }

        // Config and Access Analyzer.
        for (role, path, session, service) in [
            (
                "aws-controltower-ConfigRecorderRole",
                "",
                "AWSConfig-Describe",
                "config.amazonaws.com",
            ),
            (
                "AWSServiceRoleForAccessAnalyzer",
                "aws-service-role/access-analyzer.amazonaws.com/",
                "access-analyzer",
                "access-analyzer.amazonaws.com",
            ),
        ] {
            actors.push(role_actor(
                &mut rng,
                id,
                RoleSpec {
                    class: Class::Recorder,
                    runtime: Runtime::Config,
                    role_name: role,
                    role_path: path,
                    session,
                    invoked_by: Some(service),
                    ips: vec![service.to_string()],
                    agents: vec![if service.starts_with("config") {
                        "config.amazonaws.com"
                    } else {
                        CONSOLE_AGENT
                    }],
                },
            ));
        }

        // AWS services.
        for (service, runtime) in [
            ("lambda.amazonaws.com", Some(Runtime::Lambda)),
            ("ec2.amazonaws.com", Some(Runtime::Ec2)),
            ("ecs-tasks.amazonaws.com", Some(Runtime::Ecs)),
            ("config.amazonaws.com", Some(Runtime::Config)),
            ("cloudtrail.amazonaws.com", None),
            ("s3.amazonaws.com", None),
            ("logs.amazonaws.com", None),
        ] {
            let assumes: Vec<u16> = match runtime {
                Some(r) => actors
                    .iter()
                    .enumerate()
                    .filter(|(_, a)| a.runtime == r && a.role_name != "AWSServiceRoleForAccessAnalyzer")
                    .map(|(i, _)| i as u16)
                    .collect(),
                None => Vec::new(),
            };
            if runtime.is_some() && assumes.is_empty() {
                continue;
            }
            let mut a = service_actor(&mut rng, service);
            a.assumes = assumes;
            actors.push(a);
        }

        let mut by_class: [Vec<u16>; CLASS_COUNT] = Default::default();
        for (i, a) in actors.iter().enumerate() {
            by_class[a.class as usize].push(i as u16);
        }
        Principals {
            actors,
            by_class,
            console_users,
        }
    }

    /// Identity Center users of this account allowed to change things.
    pub(crate) fn admins(&self) -> Vec<u16> {
        let v: Vec<u16> = self.by_class[Class::Human as usize]
            .iter()
            .copied()
            .filter(|&i| self.actors[usize::from(i)].admin)
            .collect();
        if v.is_empty() {
            self.by_class[Class::Human as usize].clone()
        } else {
            v
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SimConfig;

    #[test]
    fn identities_are_json_and_sessions_rotate_hourly() {
        let cfg = SimConfig {
            accounts: 12,
            ..SimConfig::default()
        };
        let org = Organization::generate(&cfg);
        for idx in 0..org.accounts.len() {
            let inv = Inventory::build(&org, idx, cfg.seed);
            let p = Principals::build(&org, idx, &inv, cfg.seed);
            assert!(!p.by_class[Class::Human as usize].is_empty());
            assert!(!p.by_class[Class::Service as usize].is_empty());
            for a in &p.actors {
                let mut s = String::new();
                a.write_identity(&mut s, 1_793_500_000);
                let v: serde_json::Value = serde_json::from_str(&s).unwrap();
                if a.kind == Kind::AssumedRole {
                    assert_eq!(v["arn"], a.arn.as_str());
                    let key = v["accessKeyId"].as_str().unwrap();
                    assert!(key.starts_with("ASIA") && key.len() == 20, "{key}");
                    let mut later = String::new();
                    a.write_identity(&mut later, 1_793_500_000 + 7200);
                    assert_ne!(s, later);
                }
            }
        }
    }
}
