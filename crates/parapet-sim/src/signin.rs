//! Console sign-in events (`signin.amazonaws.com` `ConsoleLogin`, eventType `AwsConsoleSignIn`).

use std::fmt::Write as _;

use crate::record::{write_record, Record};

/// The user name CloudTrail writes when a failed sign-in names no known user.
pub(crate) const HIDDEN_USER: &str = "HIDDEN_DUE_TO_SECURITY_REASONS";

/// One sign-in attempt.
pub(crate) struct Login<'a> {
    pub identity: &'a str,
    pub time: i64,
    pub ip: &'a str,
    pub agent: &'a str,
    pub account: &'a str,
    pub success: bool,
    pub mfa_used: bool,
    /// The MFA device ARN, written for IAM users who used MFA.
    pub mfa_device: Option<&'a str>,
    pub event_id: &'a str,
}

/// `userIdentity` of a failed attempt: no principal id or ARN for an unknown user.
pub(crate) fn failed_identity(account: &str, user: &str, principal_id: Option<&str>) -> String {
    match principal_id {
        Some(pid) => format!(
            "{{\"type\":\"IAMUser\",\"principalId\":\"{pid}\",\"accountId\":\"{account}\",\"accessKeyId\":\"\",\"userName\":\"{user}\"}}"
        ),
        None => format!(
            "{{\"type\":\"IAMUser\",\"accountId\":\"{account}\",\"accessKeyId\":\"\",\"userName\":\"{user}\"}}"
        ),
    }
}

/// `userIdentity` of the root user signing in.
pub(crate) fn root_identity(account: &str) -> String {
    format!(
        "{{\"type\":\"Root\",\"principalId\":\"{account}\",\"arn\":\"arn:aws:iam::{account}:root\",\"accountId\":\"{account}\",\"accessKeyId\":\"\"}}"
    )
}

/// `userIdentity` of an IAM user signing in with a password.
pub(crate) fn iam_user_login_identity(account: &str, user: &str, principal_id: &str) -> String {
    format!(
        "{{\"type\":\"IAMUser\",\"principalId\":\"{principal_id}\",\"arn\":\"arn:aws:iam::{account}:user/{user}\",\"accountId\":\"{account}\",\"accessKeyId\":\"\",\"userName\":\"{user}\"}}"
    )
}

/// Appends the `ConsoleLogin` record.
pub(crate) fn write_login(out: &mut String, l: &Login<'_>) {
    let mut additional = String::with_capacity(200);
    additional.push_str("{\"LoginTo\":\"https://console.aws.amazon.com/console/home?hashArgs=%23&isauthcode=true&state=hashArgsFromTB_us-east-1_");
    let _ = write!(
        additional,
        "{}\",\"MobileVersion\":\"No\"",
        &l.event_id[..16.min(l.event_id.len())].replace('-', "")
    );
    if let Some(device) = l.mfa_device {
        let _ = write!(additional, ",\"MFAIdentifier\":\"{device}\"");
    }
    let _ = write!(
        additional,
        ",\"MFAUsed\":\"{}\"}}",
        if l.mfa_used { "Yes" } else { "No" }
    );
    write_record(
        out,
        &Record {
            version: "1.09",
            identity: l.identity,
            time: l.time,
            source: "signin.amazonaws.com",
            name: "ConsoleLogin",
            region: "us-east-1",
            source_ip: l.ip,
            user_agent: l.agent,
            // Failed sign-ins carry an errorMessage and no errorCode.
            error: (!l.success).then_some(("", "Failed authentication")),
            request: None,
            response: Some(if l.success {
                "{\"ConsoleLogin\":\"Success\"}"
            } else {
                "{\"ConsoleLogin\":\"Failure\"}"
            }),
            additional: Some(&additional),
            request_id: "",
            event_id: l.event_id,
            read_only: false,
            resources: None,
            event_type: "AwsConsoleSignIn",
            recipient: l.account,
            shared_event_id: None,
            service_event_details: None,
            tls_host: Some("signin.aws.amazon.com"),
            console_session: false,
        },
    );
}
