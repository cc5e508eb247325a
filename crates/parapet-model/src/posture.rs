//! `[posture]`: what the posture checks take as given (allowed instance types, ages, the
//! exemption tag), and the verdicts they give.

use crate::AccountId;

/// `[posture]`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PostureConfig {
    /// Regions to read (default: `accounts.baseline.regions`, else the SDK's region).
    pub regions: Vec<String>,
    /// A resource with this tag (any value but `false`) is exempt: its failures do not count.
    pub exempt_tag: String,
    /// Instance types allowed (`*` wildcards: `t3.*`); empty: any (the check has no data).
    pub allowed_instance_types: Vec<String>,
    /// Access keys older than this many days fail.
    pub access_key_max_age_days: i64,
    /// Credentials and roles unused for this many days fail.
    pub unused_days: i64,
    /// Ports that must not be open to the internet (EC2.19), besides SSH and RDP.
    pub high_risk_ports: Vec<i32>,
    /// Customer managed policies (ARN or name, `*` wildcards) allowed to stop, delete or change
    /// trails and to write to or delete the trail buckets; any other attached policy granting
    /// that fails `cloudtrail.tamper_permissions`.
    pub cloudtrail_admin_policies: Vec<String>,
    /// Check ids not to run.
    pub disabled: Vec<String>,
}

impl Default for PostureConfig {
    fn default() -> Self {
        PostureConfig {
            regions: Vec::new(),
            exempt_tag: "parapet:exempt".into(),
            allowed_instance_types: Vec::new(),
            access_key_max_age_days: 90,
            unused_days: 90,
            // Security Hub's EC2.19 list (less SSH and RDP, which have their own checks).
            high_risk_ports: vec![
                20, 21, 23, 25, 110, 135, 143, 445, 1433, 1434, 3000, 3306, 4333, 5000, 5432, 5500, 5601,
                8080, 8088, 8888, 9200, 9300,
            ],
            cloudtrail_admin_policies: Vec::new(),
            disabled: Vec::new(),
        }
    }
}

/// A check's verdict on one resource.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Passed,
    Failed,
}

/// What one check concluded about one resource.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Verdict {
    pub check: String,
    pub account_id: AccountId,
    /// `None` for account-wide resources (IAM, the account itself).
    pub region: Option<String>,
    /// The resource's id or ARN.
    pub resource: String,
    pub status: Status,
    /// Why, in a sentence (what is wrong, or what makes it pass).
    pub reason: String,
    /// A failure on a resource carrying the exemption tag: it does not count.
    pub exempt: bool,
}

impl Verdict {
    /// Failed and not exempt.
    pub fn counts_as_failed(&self) -> bool {
        self.status == Status::Failed && !self.exempt
    }
}
