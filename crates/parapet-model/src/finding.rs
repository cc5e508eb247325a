//! A security finding from GuardDuty or Security Hub (ASFF), normalised to what both share,
//! and the mapping of each source's severity to the OCSF `severity_id`.
//!
//! One struct serves both sources; fields one source does not have are `None` (GuardDuty has no
//! compliance or workflow, Security Hub no `service.count`). Values are owned: findings are few
//! and large, and a finding outlives the object it came from when it is routed (SQS).

/// Which service produced a finding; it decides the lake table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FindingSource {
    GuardDuty,
    SecurityHub,
}

/// OCSF 1.1 `severity_id` values.
pub mod severity {
    pub const UNKNOWN: i32 = 0;
    pub const INFORMATIONAL: i32 = 1;
    pub const LOW: i32 = 2;
    pub const MEDIUM: i32 = 3;
    pub const HIGH: i32 = 4;
    pub const CRITICAL: i32 = 5;
}

/// One finding.
#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    pub source: FindingSource,
    /// The product that reported it (`GuardDuty`, or ASFF `ProductName`).
    pub product: String,
    /// Its vendor (`AWS`, or ASFF `CompanyName`).
    pub vendor: String,
    /// The finding's own id (GuardDuty `id`, ASFF `Id`).
    pub uid: String,
    /// GuardDuty: the finding's ARN (`arn`).
    pub arn: Option<String>,
    /// ASFF `ProductArn`.
    pub product_uid: Option<String>,
    /// ASFF `GeneratorId` (the rule or control that produced it).
    pub generator: Option<String>,
    pub title: Option<String>,
    pub description: Option<String>,
    /// GuardDuty `type` (one), ASFF `Types` (several).
    pub types: Vec<String>,
    /// OCSF severity (see [`severity`]).
    pub severity_id: i32,
    /// The source's own label: the GuardDuty band (`Low`, `Medium`, `High`, `Critical`) or ASFF
    /// `Severity.Label` (derived from `Normalized` when absent, as Security Hub does).
    pub severity_label: Option<String>,
    /// The source's number: GuardDuty `severity` (1.0–10.0), ASFF `Severity.Normalized` (0–100).
    pub severity_score: Option<f64>,
    /// ASFF `Confidence` (0–100).
    pub confidence: Option<i32>,
    pub created_ms: Option<i64>,
    /// When the finding was last updated: the row's time.
    pub updated_ms: i64,
    pub first_seen_ms: Option<i64>,
    pub last_seen_ms: Option<i64>,
    pub account_id: Option<String>,
    pub region: Option<String>,
    /// The type of the first resource (GuardDuty `resource.resourceType`, ASFF `Resources[0].Type`).
    pub resource_type: Option<String>,
    /// The ids of the resources the finding is about.
    pub resource_uids: Vec<String>,
    /// The resource section as JSON text (GuardDuty `resource`, ASFF `Resources`).
    pub resources_json: Option<String>,
    /// ASFF `Compliance.Status` (PASSED, WARNING, FAILED, NOT_AVAILABLE).
    pub compliance_status: Option<String>,
    /// ASFF `Compliance.SecurityControlId`, else `ProductFields.ControlId` / `RuleId`.
    pub compliance_control: Option<String>,
    /// ASFF `Workflow.Status` (else the older `WorkflowState`).
    pub workflow_status: Option<String>,
    /// ASFF `RecordState` (ACTIVE, ARCHIVED).
    pub record_state: Option<String>,
    /// GuardDuty `service.count`: how many times the activity was seen.
    pub count: Option<i64>,
    /// GuardDuty `service.archived`; ASFF `RecordState` is ARCHIVED.
    pub archived: Option<bool>,
    /// GuardDuty `service.additionalInfo.sample`: a generated sample finding.
    pub sample: Option<bool>,
    /// ASFF `Remediation.Recommendation.Text` and `.Url`.
    pub remediation_desc: Option<String>,
    pub remediation_url: Option<String>,
    /// The finding as it arrived (inside an EventBridge event: the finding only).
    pub raw: String,
}

/// The OCSF severity and band name of a GuardDuty severity number: Low 1.0–3.9, Medium
/// 4.0–6.9, High 7.0–8.9, Critical 9.0–10.0. Numbers between bands (3.95) belong to the lower
/// one; below 1.0 is Low; anything not a finite positive number is unknown.
pub fn guardduty_severity(score: f64) -> (i32, Option<&'static str>) {
    if !score.is_finite() || score <= 0.0 {
        (severity::UNKNOWN, None)
    } else if score < 4.0 {
        (severity::LOW, Some("Low"))
    } else if score < 7.0 {
        (severity::MEDIUM, Some("Medium"))
    } else if score < 9.0 {
        (severity::HIGH, Some("High"))
    } else {
        (severity::CRITICAL, Some("Critical"))
    }
}

/// The OCSF severity of an ASFF `Severity.Label`, case-insensitive; `None` if it is not one.
pub fn asff_label_severity(label: &str) -> Option<i32> {
    Some(match label.to_ascii_uppercase().as_str() {
        "INFORMATIONAL" => severity::INFORMATIONAL,
        "LOW" => severity::LOW,
        "MEDIUM" => severity::MEDIUM,
        "HIGH" => severity::HIGH,
        "CRITICAL" => severity::CRITICAL,
        _ => return None,
    })
}

/// The ASFF label and OCSF severity of a `Severity.Normalized` score, with Security Hub's own
/// ranges: 0 INFORMATIONAL, 1–39 LOW, 40–69 MEDIUM, 70–89 HIGH, 90–100 CRITICAL.
pub fn asff_normalized_severity(normalized: f64) -> (i32, Option<&'static str>) {
    if !normalized.is_finite() || !(0.0..=100.0).contains(&normalized) {
        (severity::UNKNOWN, None)
    } else if normalized < 1.0 {
        (severity::INFORMATIONAL, Some("INFORMATIONAL"))
    } else if normalized < 40.0 {
        (severity::LOW, Some("LOW"))
    } else if normalized < 70.0 {
        (severity::MEDIUM, Some("MEDIUM"))
    } else if normalized < 90.0 {
        (severity::HIGH, Some("HIGH"))
    } else {
        (severity::CRITICAL, Some("CRITICAL"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guardduty_bands_and_their_edges() {
        assert_eq!(guardduty_severity(1.0), (severity::LOW, Some("Low")));
        assert_eq!(guardduty_severity(3.9), (severity::LOW, Some("Low")));
        assert_eq!(guardduty_severity(4.0), (severity::MEDIUM, Some("Medium")));
        assert_eq!(guardduty_severity(6.9), (severity::MEDIUM, Some("Medium")));
        assert_eq!(guardduty_severity(7.0), (severity::HIGH, Some("High")));
        assert_eq!(guardduty_severity(8.9), (severity::HIGH, Some("High")));
        assert_eq!(guardduty_severity(9.0), (severity::CRITICAL, Some("Critical")));
        assert_eq!(guardduty_severity(10.0), (severity::CRITICAL, Some("Critical")));
        assert_eq!(guardduty_severity(0.0).0, severity::UNKNOWN);
        assert_eq!(guardduty_severity(f64::NAN).0, severity::UNKNOWN);
    }

    #[test]
    fn asff_labels_and_normalized_ranges() {
        assert_eq!(
            asff_label_severity("INFORMATIONAL"),
            Some(severity::INFORMATIONAL)
        );
        assert_eq!(asff_label_severity("critical"), Some(severity::CRITICAL));
        assert_eq!(asff_label_severity("SEVERE"), None);
        assert_eq!(
            asff_normalized_severity(0.0),
            (severity::INFORMATIONAL, Some("INFORMATIONAL"))
        );
        assert_eq!(asff_normalized_severity(39.0).0, severity::LOW);
        assert_eq!(asff_normalized_severity(40.0).0, severity::MEDIUM);
        assert_eq!(asff_normalized_severity(70.0).0, severity::HIGH);
        assert_eq!(asff_normalized_severity(89.0).0, severity::HIGH);
        assert_eq!(asff_normalized_severity(90.0).0, severity::CRITICAL);
        assert_eq!(asff_normalized_severity(101.0).0, severity::UNKNOWN);
    }
}
