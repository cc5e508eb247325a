//! The standing configuration of one account that more than one service shows: AWS Config
//! records it, Security Hub judges it. Both derive it from here, so a control that fails in
//! Security Hub fails for a reason the Config items show (a default security group that allows
//! traffic, a bucket without an SSL-only policy), and one that passes has nothing to show.

use crate::account::AccountCtx;
use crate::rng::Rng;

pub(crate) struct Posture {
    /// The default security group has had its rules removed (EC2.2 passes).
    pub default_sg_closed: bool,
    /// Per bucket of the inventory: its policy denies requests without TLS (S3.5 passes).
    pub bucket_ssl_only: Vec<bool>,
    /// Per bucket: versioning enabled.
    pub bucket_versioned: Vec<bool>,
    /// Per KMS key of the inventory: automatic rotation on (KMS.4 passes).
    pub key_rotation: Vec<bool>,
    /// Per region index: EBS encryption by default (EC2.7 passes).
    pub ebs_default_encryption: Vec<bool>,
    /// The root user has a hardware MFA device (IAM.6 passes).
    pub root_hardware_mfa: bool,
    /// The root user has an access key (IAM.4 fails).
    pub root_access_key: bool,
}

impl Posture {
    /// The posture of account `index`.
    pub(crate) fn build(ctx: &AccountCtx<'_>, index: usize, seed: u64) -> Posture {
        let mut rng = Rng::derive(seed, &[0x9057, index as u64]);
        let inv = &ctx.inv;
        Posture {
            default_sg_closed: rng.chance(0.5),
            bucket_ssl_only: inv.buckets.iter().map(|_| rng.chance(0.7)).collect(),
            bucket_versioned: inv.buckets.iter().map(|_| rng.chance(0.6)).collect(),
            key_rotation: inv.kms_keys.iter().map(|_| rng.chance(0.6)).collect(),
            ebs_default_encryption: ctx.regions.iter().map(|_| rng.chance(0.75)).collect(),
            root_hardware_mfa: rng.chance(0.4),
            root_access_key: rng.chance(0.05),
        }
    }
}

/// The names of the inventory's four security groups: the VPC's default one, then the load
/// balancer's, the application's and the database's.
pub(crate) fn sg_name(app: &str, i: usize) -> String {
    match i {
        0 => "default".to_string(),
        1 => format!("{app}-alb"),
        2 => format!("{app}-app"),
        3 => format!("{app}-db"),
        n => format!("{app}-sg-{n}"),
    }
}
