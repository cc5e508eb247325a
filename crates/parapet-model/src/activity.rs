//! One API call as the lake stores it: CloudTrail's record mapped onto OCSF API Activity (6003).
//!
//! Strings borrow from the decoded input where they can (`Cow`), so mapping a record costs no
//! allocation unless the JSON escaped something. Nested CloudTrail objects whose shape varies per
//! API (`requestParameters`, `responseElements`, …) stay JSON text.

use std::borrow::Cow;
use std::fmt;

/// OCSF class of API Activity.
pub const API_ACTIVITY_CLASS_UID: i32 = 6003;
/// OCSF category "Application Activity".
pub const APPLICATION_CATEGORY_UID: i32 = 6;
/// The OCSF schema version the lake's rows follow (`metadata_version`).
pub const OCSF_VERSION: &str = "1.1.0";

#[derive(Clone, Debug, Default, PartialEq)]
pub struct ApiActivity<'a> {
    /// Event time, epoch milliseconds UTC.
    pub time_ms: i64,
    pub event_uid: Option<Cow<'a, str>>,
    pub event_version: Option<Cow<'a, str>>,
    pub event_type: Option<Cow<'a, str>>,
    pub event_category: Option<Cow<'a, str>>,
    pub operation: Option<Cow<'a, str>>,
    pub service: Option<Cow<'a, str>>,
    pub request_uid: Option<Cow<'a, str>>,
    pub api_version: Option<Cow<'a, str>>,
    pub error_code: Option<Cow<'a, str>>,
    pub error_message: Option<Cow<'a, str>>,
    pub actor_type: Option<Cow<'a, str>>,
    /// The principal's ARN.
    pub actor_uid: Option<Cow<'a, str>>,
    /// The principal id (`AIDA…`, `AROA…:session`).
    pub actor_uid_alt: Option<Cow<'a, str>>,
    pub actor_name: Option<Cow<'a, str>>,
    pub actor_account: Option<Cow<'a, str>>,
    pub actor_credential: Option<Cow<'a, str>>,
    pub actor_session_issuer: Option<Cow<'a, str>>,
    pub actor_mfa: Option<bool>,
    pub actor_invoked_by: Option<Cow<'a, str>>,
    pub src_ip: Option<Cow<'a, str>>,
    /// `sourceIPAddress` when it is a service name rather than an address.
    pub src_domain: Option<Cow<'a, str>>,
    pub user_agent: Option<Cow<'a, str>>,
    pub region: Option<Cow<'a, str>>,
    pub recipient_account: Option<Cow<'a, str>>,
    pub read_only: Option<bool>,
    pub management_event: Option<bool>,
    pub shared_event_id: Option<Cow<'a, str>>,
    pub vpc_endpoint_id: Option<Cow<'a, str>>,
    /// JSON text of `requestParameters`.
    pub request_data: Option<&'a str>,
    /// JSON text of `responseElements`.
    pub response_data: Option<&'a str>,
    pub additional_data: Option<&'a str>,
    pub service_event_details: Option<&'a str>,
    /// JSON text of `resources`.
    pub resources: Option<&'a str>,
    /// The original record, exactly as read.
    pub raw: &'a str,
}

impl ApiActivity<'_> {
    pub fn is_failure(&self) -> bool {
        self.error_code.is_some()
    }

    /// OCSF `activity_id` derived from the operation's verb.
    pub fn activity(&self) -> Activity {
        Activity::from_operation(self.operation.as_deref().unwrap_or(""))
    }
}

/// OCSF API Activity `activity_id`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Activity {
    Create = 1,
    Read = 2,
    Update = 3,
    Delete = 4,
    Other = 99,
}

impl Activity {
    pub fn from_operation(op: &str) -> Activity {
        const READ: &[&str] = &[
            "Get", "List", "Describe", "Head", "Lookup", "Search", "Scan", "Query", "BatchGet", "Select",
            "View", "Check", "Estimate", "Preview", "Test", "Validate", "Verify",
        ];
        const CREATE: &[&str] = &[
            "Create", "Add", "Run", "Allocate", "Import", "Register", "Upload", "Copy", "Issue", "Request",
            "Launch", "Invite", "Accept",
        ];
        const DELETE: &[&str] = &[
            "Delete",
            "Remove",
            "Terminate",
            "Detach",
            "Disassociate",
            "Deregister",
            "Release",
            "Cancel",
            "Purge",
            "Destroy",
            "Revoke",
            "Schedule",
            "Reject",
            "Leave",
        ];
        const UPDATE: &[&str] = &[
            "Update",
            "Put",
            "Modify",
            "Set",
            "Change",
            "Attach",
            "Associate",
            "Enable",
            "Disable",
            "Start",
            "Stop",
            "Reboot",
            "Authorize",
            "Tag",
            "Untag",
            "Replace",
            "Reset",
            "Rotate",
            "Restore",
            "Apply",
            "Assign",
            "Unassign",
            "Move",
            "Rename",
            "Upgrade",
            "Edit",
        ];
        let starts = |list: &[&str]| {
            list.iter().any(|p| {
                op.strip_prefix(p)
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with(|c: char| c.is_ascii_uppercase()))
            })
        };
        if starts(READ) {
            Activity::Read
        } else if starts(CREATE) {
            Activity::Create
        } else if starts(DELETE) {
            Activity::Delete
        } else if starts(UPDATE) {
            Activity::Update
        } else {
            Activity::Other
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Activity::Create => "Create",
            Activity::Read => "Read",
            Activity::Update => "Update",
            Activity::Delete => "Delete",
            Activity::Other => "Other",
        }
    }
}

/// Where a row lives in the lake: `region=<r>/accountId=<a>/eventDay=<YYYYMMDD>/`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PartitionKey {
    pub region: String,
    pub account_id: String,
    pub event_day: u32,
}

impl PartitionKey {
    /// The relative directory of this partition, as Amazon Security Lake lays it out.
    pub fn path(&self) -> String {
        format!(
            "region={}/accountId={}/eventDay={}",
            self.region, self.account_id, self.event_day
        )
    }

    /// Parses the value back from [`Self::path`].
    pub fn from_path(path: &str) -> Option<PartitionKey> {
        let mut parts = path.trim_matches('/').split('/');
        let region = parts.next()?.strip_prefix("region=")?;
        let account = parts.next()?.strip_prefix("accountId=")?;
        let day = parts.next()?.strip_prefix("eventDay=")?.parse().ok()?;
        if parts.next().is_some() {
            return None;
        }
        Some(PartitionKey {
            region: region.to_string(),
            account_id: account.to_string(),
            event_day: day,
        })
    }
}

impl fmt::Display for PartitionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.path())
    }
}

/// True when a partition value is safe as one path segment (no separators or dot-dot).
pub fn is_safe_partition_value(v: &str) -> bool {
    !v.is_empty()
        && v.len() <= 64
        && v.bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn activities_from_verbs() {
        assert_eq!(Activity::from_operation("DescribeInstances"), Activity::Read);
        assert_eq!(Activity::from_operation("CreateUser"), Activity::Create);
        assert_eq!(Activity::from_operation("DeleteTrail"), Activity::Delete);
        assert_eq!(Activity::from_operation("PutBucketPolicy"), Activity::Update);
        assert_eq!(Activity::from_operation("StopLogging"), Activity::Update);
        assert_eq!(Activity::from_operation("ConsoleLogin"), Activity::Other);
        // A verb must end at a word boundary: "Settle" is not "Set".
        assert_eq!(Activity::from_operation("Settle"), Activity::Other);
        assert_eq!(Activity::from_operation("AssumeRole"), Activity::Other);
    }

    #[test]
    fn partition_paths() {
        let k = PartitionKey {
            region: "eu-west-1".into(),
            account_id: "123456789012".into(),
            event_day: 20230710,
        };
        assert_eq!(
            k.path(),
            "region=eu-west-1/accountId=123456789012/eventDay=20230710"
        );
        assert_eq!(PartitionKey::from_path(&k.path()), Some(k));
        assert!(is_safe_partition_value("us-east-1"));
        assert!(!is_safe_partition_value("../etc"));
        assert!(!is_safe_partition_value(""));
    }
}
