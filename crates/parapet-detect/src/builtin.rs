//! The built-in pack: governance alarms in the Sigma format (`rules/*.yml`), compiled into the
//! binary. Thresholds are written into the texts before they are read; allow-lists come in as
//! `%placeholders%` (`[detect.placeholders]`), and a rule whose placeholder is not configured is
//! inactive rather than wrong.

pub use parapet_model::detection::{Threshold, Thresholds};

/// The rule files, by name.
pub const FILES: &[(&str, &str)] = &[
    (
        "root_account_usage.yml",
        include_str!("../rules/root_account_usage.yml"),
    ),
    (
        "unauthorized_api_calls.yml",
        include_str!("../rules/unauthorized_api_calls.yml"),
    ),
    (
        "console_login_without_mfa.yml",
        include_str!("../rules/console_login_without_mfa.yml"),
    ),
    (
        "iam_policy_changes.yml",
        include_str!("../rules/iam_policy_changes.yml"),
    ),
    (
        "cloudtrail_changes.yml",
        include_str!("../rules/cloudtrail_changes.yml"),
    ),
    (
        "console_auth_failures.yml",
        include_str!("../rules/console_auth_failures.yml"),
    ),
    (
        "kms_key_disabled_or_deleted.yml",
        include_str!("../rules/kms_key_disabled_or_deleted.yml"),
    ),
    (
        "s3_bucket_policy_changes.yml",
        include_str!("../rules/s3_bucket_policy_changes.yml"),
    ),
    ("config_changes.yml", include_str!("../rules/config_changes.yml")),
    (
        "security_group_changes.yml",
        include_str!("../rules/security_group_changes.yml"),
    ),
    ("nacl_changes.yml", include_str!("../rules/nacl_changes.yml")),
    (
        "network_gateway_changes.yml",
        include_str!("../rules/network_gateway_changes.yml"),
    ),
    (
        "route_table_changes.yml",
        include_str!("../rules/route_table_changes.yml"),
    ),
    ("vpc_changes.yml", include_str!("../rules/vpc_changes.yml")),
    (
        "organizations_changes.yml",
        include_str!("../rules/organizations_changes.yml"),
    ),
    (
        "access_key_created.yml",
        include_str!("../rules/access_key_created.yml"),
    ),
    (
        "root_access_key_created.yml",
        include_str!("../rules/root_access_key_created.yml"),
    ),
    (
        "iam_identity_changes.yml",
        include_str!("../rules/iam_identity_changes.yml"),
    ),
    (
        "root_console_login.yml",
        include_str!("../rules/root_console_login.yml"),
    ),
    (
        "console_login_failures_burst.yml",
        include_str!("../rules/console_login_failures_burst.yml"),
    ),
    (
        "console_login_outside_allowed_networks.yml",
        include_str!("../rules/console_login_outside_allowed_networks.yml"),
    ),
    (
        "console_login_outside_allowed_countries.yml",
        include_str!("../rules/console_login_outside_allowed_countries.yml"),
    ),
    (
        "cloudtrail_tampering.yml",
        include_str!("../rules/cloudtrail_tampering.yml"),
    ),
    (
        "trail_bucket_policy_changed.yml",
        include_str!("../rules/trail_bucket_policy_changed.yml"),
    ),
    (
        "guardduty_disabled.yml",
        include_str!("../rules/guardduty_disabled.yml"),
    ),
    (
        "securityhub_disabled.yml",
        include_str!("../rules/securityhub_disabled.yml"),
    ),
    (
        "config_disabled.yml",
        include_str!("../rules/config_disabled.yml"),
    ),
    (
        "access_denied_burst.yml",
        include_str!("../rules/access_denied_burst.yml"),
    ),
    (
        "s3_public_access_block_removed.yml",
        include_str!("../rules/s3_public_access_block_removed.yml"),
    ),
    (
        "ssh_brute_force.yml",
        include_str!("../rules/ssh_brute_force.yml"),
    ),
    ("dns_tunneling.yml", include_str!("../rules/dns_tunneling.yml")),
    (
        "crypto_mining_pool_dns.yml",
        include_str!("../rules/crypto_mining_pool_dns.yml"),
    ),
    (
        "crypto_mining_port.yml",
        include_str!("../rules/crypto_mining_port.yml"),
    ),
];

/// The rule texts with the thresholds written in.
pub fn texts(t: &Thresholds) -> Vec<(&'static str, String)> {
    FILES
        .iter()
        .map(|(name, text)| {
            let mut text = text.to_string();
            for (key, v) in t.named() {
                text = text
                    .replace(&format!("${{{key}.count}}"), &v.count.to_string())
                    .replace(&format!("${{{key}.minutes}}"), &v.minutes.to_string());
            }
            (*name, text)
        })
        .collect()
}
