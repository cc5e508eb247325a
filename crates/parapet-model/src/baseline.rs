//! The organisation's baseline — the services every account × region must have on — and the
//! facts read about one account and region, before they are judged (`parapet-registry`).

use std::fmt;

use crate::AccountId;

/// One service of the baseline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Control {
    /// A trail logs the region: the organisation trail, or a local one.
    Cloudtrail,
    /// An AWS Config recorder is recording.
    ConfigRecorder,
    /// AWS Config has a delivery channel.
    ConfigDeliveryChannel,
    /// An enabled GuardDuty detector.
    Guardduty,
    /// Security Hub is on.
    Securityhub,
    /// Security Hub has at least one standard enabled.
    SecurityhubStandards,
    /// An active IAM Access Analyzer (account or organisation).
    AccessAnalyzer,
    /// EBS encryption by default.
    EbsEncryption,
    /// S3 Block Public Access at account level, all four settings (account-wide, not per region).
    S3BlockPublicAccess,
}

impl Control {
    pub const ALL: [Control; 9] = [
        Control::Cloudtrail,
        Control::ConfigRecorder,
        Control::ConfigDeliveryChannel,
        Control::Guardduty,
        Control::Securityhub,
        Control::SecurityhubStandards,
        Control::AccessAnalyzer,
        Control::EbsEncryption,
        Control::S3BlockPublicAccess,
    ];

    /// The name used in the config (`accounts.baseline.required`), findings and `--json`.
    pub fn as_str(self) -> &'static str {
        match self {
            Control::Cloudtrail => "cloudtrail",
            Control::ConfigRecorder => "config_recorder",
            Control::ConfigDeliveryChannel => "config_delivery_channel",
            Control::Guardduty => "guardduty",
            Control::Securityhub => "securityhub",
            Control::SecurityhubStandards => "securityhub_standards",
            Control::AccessAnalyzer => "access_analyzer",
            Control::EbsEncryption => "ebs_encryption",
            Control::S3BlockPublicAccess => "s3_block_public_access",
        }
    }

    pub fn parse(s: &str) -> Option<Control> {
        Control::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// Account-wide settings are checked once per account, not per region.
    pub fn account_wide(self) -> bool {
        matches!(self, Control::S3BlockPublicAccess)
    }
}

impl fmt::Display for Control {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The outcome of reading one thing from AWS.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case", tag = "outcome", content = "value")]
pub enum Probe<T> {
    Read(T),
    /// The call failed; the message names the API and the error code.
    Failed(String),
    /// Not asked (the control is not required).
    NotChecked,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Trail {
    pub name: String,
    /// `arn:aws:cloudtrail:<region>:<owner account>:trail/<name>`: an organisation trail's ARN
    /// names the management account in every member that lists it.
    #[serde(default)]
    pub arn: Option<String>,
    pub home_region: String,
    pub multi_region: bool,
    pub organization: bool,
    pub logging: bool,
    /// Log file integrity validation (digest files).
    #[serde(default)]
    pub log_file_validation: bool,
    /// The KMS key the logs are encrypted with (SSE-KMS), if any.
    #[serde(default)]
    pub kms_key_id: Option<String>,
    /// The bucket the logs go to.
    #[serde(default)]
    pub bucket: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Recorder {
    pub name: String,
    pub recording: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Detector {
    pub id: String,
    pub enabled: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Analyzer {
    pub name: String,
    /// `ACCOUNT`, `ORGANIZATION`, or an unused-access type.
    pub kind: String,
    pub active: bool,
}

/// Account-level S3 Block Public Access; `None` when the account has no configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BlockPublicAccess {
    pub block_public_acls: bool,
    pub ignore_public_acls: bool,
    pub block_public_policy: bool,
    pub restrict_public_buckets: bool,
}

impl BlockPublicAccess {
    pub fn all_on(&self) -> bool {
        self.block_public_acls
            && self.ignore_public_acls
            && self.block_public_policy
            && self.restrict_public_buckets
    }
}

/// Everything read about one account in one region.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RegionFacts {
    pub account_id: AccountId,
    pub region: String,
    pub trails: Probe<Vec<Trail>>,
    pub config_recorders: Probe<Vec<Recorder>>,
    pub delivery_channels: Probe<Vec<String>>,
    pub guardduty_detectors: Probe<Vec<Detector>>,
    /// The hub's ARN; `None` when Security Hub is not enabled.
    pub securityhub: Probe<Option<String>>,
    /// ARNs of the enabled standards.
    pub securityhub_standards: Probe<Vec<String>>,
    pub access_analyzers: Probe<Vec<Analyzer>>,
    pub ebs_encryption: Probe<bool>,
    pub s3_block_public_access: Probe<Option<BlockPublicAccess>>,
}

impl RegionFacts {
    /// Facts with nothing asked yet.
    pub fn not_checked(account_id: AccountId, region: &str) -> RegionFacts {
        RegionFacts {
            account_id,
            region: region.to_string(),
            trails: Probe::NotChecked,
            config_recorders: Probe::NotChecked,
            delivery_channels: Probe::NotChecked,
            guardduty_detectors: Probe::NotChecked,
            securityhub: Probe::NotChecked,
            securityhub_standards: Probe::NotChecked,
            access_analyzers: Probe::NotChecked,
            ebs_encryption: Probe::NotChecked,
            s3_block_public_access: Probe::NotChecked,
        }
    }

    /// Facts for an account nothing could be read from (every probe failed with `why`).
    pub fn unreadable(account_id: AccountId, region: &str, why: &str) -> RegionFacts {
        fn failed<T>(why: &str) -> Probe<T> {
            Probe::Failed(why.to_string())
        }
        RegionFacts {
            account_id,
            region: region.to_string(),
            trails: failed(why),
            config_recorders: failed(why),
            delivery_channels: failed(why),
            guardduty_detectors: failed(why),
            securityhub: failed(why),
            securityhub_standards: failed(why),
            access_analyzers: failed(why),
            ebs_encryption: failed(why),
            s3_block_public_access: failed(why),
        }
    }
}
