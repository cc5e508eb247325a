//! The resources one simulated account owns: buckets, keys, instances, VPC pieces, functions.
//!
//! Events name these, so one account's records refer to the same few resources all run long
//! (as a real account's do), which makes the logs look like one place rather than noise.

use crate::org::{Organization, SimAccount};
use crate::rng::Rng;

const FUNCTIONS: &[&str] = &[
    "api",
    "worker",
    "scheduler",
    "ingest",
    "notifier",
    "authorizer",
    "export",
    "resize",
];

/// What one account holds.
#[derive(Clone, Debug)]
pub(crate) struct Inventory {
    pub buckets: Vec<String>,
    /// KMS key ids (UUIDs).
    pub kms_keys: Vec<String>,
    pub functions: Vec<String>,
    pub instances: Vec<String>,
    pub vpcs: Vec<String>,
    pub subnets: Vec<String>,
    pub security_groups: Vec<String>,
    pub route_tables: Vec<String>,
    pub internet_gateways: Vec<String>,
    pub network_acls: Vec<String>,
    pub log_groups: Vec<String>,
    /// Secret names with the six-character suffix Secrets Manager adds.
    pub secrets: Vec<String>,
    pub db_instances: Vec<String>,
    pub amis: Vec<String>,
    /// The GuardDuty detector id.
    pub detector_id: String,
}

fn ids(rng: &mut Rng, prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|_| format!("{prefix}-0{}", rng.hex(16))).collect()
}

impl Inventory {
    pub(crate) fn build(org: &Organization, index: usize, seed: u64) -> Inventory {
        let acct: &SimAccount = &org.accounts[index];
        let mut rng = Rng::derive(seed, &[0x1171, index as u64]);
        let id = acct.account.id.as_str();
        let name = &acct.account.name;
        let mut buckets = vec![
            format!("{name}-artifacts-{id}"),
            format!("{name}-logs-{id}"),
            format!("cdk-hnb659fds-assets-{id}-{}", acct.home_region),
        ];
        if id == org.log_archive_account_id.as_str() {
            buckets.push(org.bucket());
            buckets.push(format!("aws-controltower-s3-access-logs-{id}-us-east-1"));
        }
        let is_core = index < 3;
        let functions: Vec<String> = if is_core {
            let f = match index {
                0 => "account-vending",
                1 => "log-archive-replicator",
                _ => "aws-controltower-NotificationForwarder",
            };
            vec![f.to_string()]
        } else {
            let n = rng.range(2, 5) as usize;
            let start = rng.index(FUNCTIONS.len());
            (0..n)
                .map(|i| format!("{}-{}", acct.app, FUNCTIONS[(start + i) % FUNCTIONS.len()]))
                .collect()
        };
        // Every workload account runs at least one instance (network scenarios happen on one).
        let n_instances = if is_core { 0 } else { rng.range(1, 3) as usize };
        let instances = ids(&mut rng, "i", n_instances);
        let vpcs = ids(&mut rng, "vpc", 2);
        let subnets = ids(&mut rng, "subnet", 4);
        let security_groups = ids(&mut rng, "sg", 4);
        let route_tables = ids(&mut rng, "rtb", 3);
        let internet_gateways = ids(&mut rng, "igw", 1);
        let network_acls = ids(&mut rng, "acl", 2);
        let amis = ids(&mut rng, "ami", 2);
        let mut log_groups: Vec<String> = functions.iter().map(|f| format!("/aws/lambda/{f}")).collect();
        log_groups.push(format!("/ecs/{}", acct.app));
        log_groups.push("aws-controltower/CloudTrailLogs".to_string());
        let secrets = ["db-credentials", "api-key"]
            .iter()
            .map(|s| format!("{}/{}/{s}-{}", acct.app, acct.account.env, rng.alnum(6)))
            .collect();
        let db_instances = vec![format!("{name}-db")];
        let kms_keys = (0..rng.range(2, 3)).map(|_| rng.uuid()).collect();
        Inventory {
            buckets,
            kms_keys,
            functions,
            instances,
            vpcs,
            subnets,
            security_groups,
            route_tables,
            internet_gateways,
            network_acls,
            log_groups,
            secrets,
            db_instances,
            amis,
            detector_id: rng.hex(32),
        }
    }
}
