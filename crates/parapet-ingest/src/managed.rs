//! GuardDuty, Security Hub and AWS Health findings as parapet findings: each update of a
//! managed finding (a row of the `guardduty`, `securityhub` or `health` table) is one event of
//! the parapet finding that stands for it, with the account's name, a next step, and the state
//! the service gives it (archived / resolved / closed there resolves it here). Which ones are
//! taken is `[detect.managed]`.

use parapet_lake::arrow::array::{Array, AsArray, RecordBatch};
use parapet_lake::arrow::datatypes::{Float64Type, Int64Type};
use parapet_model::{
    AccountId, Detection, EventRef, FindingEvent, ManagedFindings, Severity, SourceStatus, SuppressRule,
    Suppression,
};
use serde_json::json;

/// The managed-finding tables.
pub const TABLES: [&str; 3] = ["guardduty", "securityhub", "health"];

/// The lake columns the findings are made from (of the three tables together).
pub const COLUMNS: &[&str] = &[
    "time",
    "cloud_account_uid",
    "cloud_region",
    "finding_info_uid",
    "finding_info_title",
    "finding_info_desc",
    "finding_info_types",
    "finding_info_product_uid",
    "severity",
    "severity_score",
    "sample",
    "archived",
    "count",
    "resource_type",
    "resource_uid",
    "workflow_status",
    "record_state",
    "compliance_status",
    "compliance_control",
    "unmapped_generator_id",
    "remediation_desc",
    "remediation_url",
    "event_arn",
    "service",
    "event_type_code",
    "event_type_category",
    "event_scope_code",
    "status_code",
    "start_time",
    "end_time",
    "last_updated_time",
    "message",
    "affected_entities",
];

/// What a row becomes a finding with.
pub struct Managed<'a> {
    pub settings: &'a ManagedFindings,
    pub account_name: &'a dyn Fn(&str) -> Option<String>,
    pub suppress: &'a [SuppressRule],
    pub now_ms: i64,
}

/// Whether `table` is one the settings take findings from.
pub fn reads(s: &ManagedFindings, table: &str) -> bool {
    match table {
        "guardduty" => s.guardduty,
        "securityhub" => s.securityhub,
        "health" => s.health,
        _ => false,
    }
}

/// Column readers of one batch, by name; absent columns read as null.
struct Row<'b> {
    batch: &'b RecordBatch,
    i: usize,
}

impl<'b> Row<'b> {
    fn str(&self, col: &str) -> Option<&'b str> {
        let a = self.batch.column_by_name(col)?.as_string_opt::<i32>()?;
        (!a.is_null(self.i))
            .then(|| a.value(self.i))
            .filter(|s| !s.is_empty())
    }

    fn i64(&self, col: &str) -> Option<i64> {
        let a = self.batch.column_by_name(col)?.as_primitive_opt::<Int64Type>()?;
        (!a.is_null(self.i)).then(|| a.value(self.i))
    }

    fn f64(&self, col: &str) -> Option<f64> {
        let a = self
            .batch
            .column_by_name(col)?
            .as_primitive_opt::<Float64Type>()?;
        (!a.is_null(self.i)).then(|| a.value(self.i))
    }

    fn bool(&self, col: &str) -> Option<bool> {
        let a = self.batch.column_by_name(col)?.as_boolean_opt()?;
        (!a.is_null(self.i)).then(|| a.value(self.i))
    }
}

/// GuardDuty's severity bands: 1.0–3.9 low, 4.0–6.9 medium, 7.0–8.9 high, 9.0 and up critical.
pub fn guardduty_severity(score: f64) -> Severity {
    if score >= 9.0 {
        Severity::Critical
    } else if score >= 7.0 {
        Severity::High
    } else if score >= 4.0 {
        Severity::Medium
    } else {
        Severity::Low
    }
}

/// Whether a Security Hub `ProductArn` (`arn:aws:securityhub:us-east-1::product/aws/guardduty`)
/// is GuardDuty's.
fn from_guardduty(product_arn: &str) -> bool {
    product_arn
        .rsplit_once("::")
        .is_some_and(|(_, p)| p == "product/aws/guardduty")
}

/// The first entry of a JSON list of strings (`["Recon:EC2/PortProbeUnprotectedPort"]`).
fn first_of_list(text: Option<&str>) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(text?).ok()?;
    v.as_array()?.first()?.as_str().map(str::to_string)
}

/// `s` cut to `n` bytes (at a character boundary), with an ellipsis when cut.
fn cut(s: &str, n: usize) -> String {
    if s.len() <= n {
        return s.to_string();
    }
    let mut at = n;
    while !s.is_char_boundary(at) {
        at -= 1;
    }
    format!("{}…", &s[..at])
}

/// One update as a finding event, or `None` when the settings leave it out.
pub fn finding_event(table: &str, batch: &RecordBatch, i: usize, m: &Managed<'_>) -> Option<FindingEvent> {
    let row = Row { batch, i };
    match table {
        "guardduty" if m.settings.guardduty => guardduty(&row, m),
        "securityhub" if m.settings.securityhub => securityhub(&row, m),
        "health" if m.settings.health => health(&row, m),
        _ => None,
    }
}

/// Every update of `batch` (a row of `table`) the settings take, with a `time` in `window`.
pub fn finding_events(
    table: &str,
    batch: &RecordBatch,
    window: (Option<i64>, Option<i64>),
    m: &Managed<'_>,
    out: &mut Vec<FindingEvent>,
) {
    if !reads(m.settings, table) {
        return;
    }
    for i in 0..batch.num_rows() {
        let row = Row { batch, i };
        if let Some(t) = row.i64("time") {
            if window.0.is_some_and(|s| t < s) || window.1.is_some_and(|u| t >= u) {
                continue;
            }
        }
        if let Some(fe) = finding_event(table, batch, i, m) {
            out.push(fe);
        }
    }
}

/// The parts every managed finding is made of.
struct Parts<'r> {
    source: &'static str,
    rule_id: String,
    dedup_key: String,
    severity: Severity,
    title: String,
    account: Option<&'r str>,
    region: Option<&'r str>,
    time_ms: i64,
    /// The managed finding's own id (an update's event id is `<id>@<time>`).
    id: &'r str,
    summary: String,
    next_step: String,
    actor: Option<String>,
    action: Option<String>,
    evidence: serde_json::Value,
    closed: bool,
}

fn assemble(p: Parts<'_>, m: &Managed<'_>) -> FindingEvent {
    let suppression = m
        .suppress
        .iter()
        .find(|s| s.covers(&p.rule_id, p.account, p.actor.as_deref(), p.region, m.now_ms))
        .map(|s| Suppression {
            by: "config".into(),
            reason: s.reason.clone(),
            until_ms: s.until_ms(),
        });
    let evidence = p.evidence.to_string();
    FindingEvent {
        detection: Detection {
            rule_id: p.rule_id,
            dedup_key: p.dedup_key,
            severity: p.severity,
            title: p.title,
            account_id: p.account.and_then(AccountId::parse),
            region: p.region.map(str::to_string),
            time_ms: p.time_ms,
            summary: p.summary,
            next_step: p.next_step,
            evidence: evidence.clone(),
        },
        event: EventRef {
            uid: format!("{}@{}", p.id, p.time_ms),
            time_ms: p.time_ms,
            account_id: p.account.map(str::to_string),
            region: p.region.map(str::to_string),
            actor: p.actor,
            action: p.action,
            excerpt: evidence,
        },
        suppression,
        at_source: Some(SourceStatus {
            source: p.source.into(),
            closed: p.closed,
        }),
    }
}

/// "name (id)", or the id alone when the registry does not know it.
fn account_label(account: Option<&str>, m: &Managed<'_>) -> String {
    match account {
        Some(id) => parapet_model::account::account_label(id, (m.account_name)(id).as_deref()),
        None => "no account (public event)".into(),
    }
}

fn guardduty(r: &Row<'_>, m: &Managed<'_>) -> Option<FindingEvent> {
    let id = r.str("finding_info_uid")?;
    let time_ms = r.i64("time")?;
    if r.bool("sample") == Some(true) && !m.settings.guardduty_samples {
        return None;
    }
    let severity = r
        .f64("severity_score")
        .map(guardduty_severity)
        .or_else(|| r.str("severity").and_then(Severity::parse))?;
    if severity < m.settings.guardduty_min_severity {
        return None;
    }
    let account = r.str("cloud_account_uid");
    let region = r.str("cloud_region");
    let kind = first_of_list(r.str("finding_info_types")).unwrap_or_else(|| "unknown".into());
    let title = r.str("finding_info_title").unwrap_or(&kind).to_string();
    let where_ = region.unwrap_or("us-east-1");
    let console = format!(
        "https://{where_}.console.aws.amazon.com/guardduty/home?region={where_}#/findings?search=id%3D{id}"
    );
    Some(assemble(
        Parts {
            source: "guardduty",
            rule_id: format!("guardduty.{kind}"),
            dedup_key: format!("guardduty:{}:{id}", account.unwrap_or("-")),
            severity,
            summary: format!(
                "GuardDuty in {}, {}: {title}",
                account_label(account, m),
                region.unwrap_or("-")
            ),
            title,
            account,
            region,
            time_ms,
            id,
            next_step: format!(
                "Open the finding in GuardDuty ({console}) and follow its remediation for {kind}; archive it there once handled (parapet resolves it with GuardDuty)."
            ),
            actor: r.str("resource_uid").map(str::to_string),
            action: Some(kind.clone()),
            evidence: json!({
                "source": "guardduty",
                "id": id,
                "type": kind,
                "severity_score": r.f64("severity_score"),
                "resource_type": r.str("resource_type"),
                "resource": r.str("resource_uid"),
                "count": r.i64("count"),
                "description": r.str("finding_info_desc").map(|d| cut(d, 600)),
                "console_url": console,
            }),
            closed: r.bool("archived") == Some(true),
        },
        m,
    ))
}

fn securityhub(r: &Row<'_>, m: &Managed<'_>) -> Option<FindingEvent> {
    let id = r.str("finding_info_uid")?;
    let time_ms = r.i64("time")?;
    let product = r.str("finding_info_product_uid").unwrap_or_default();
    if m.settings.guardduty && from_guardduty(product) {
        return None;
    }
    let severity = r.str("severity").and_then(Severity::parse)?;
    if severity < m.settings.securityhub_min_severity {
        return None;
    }
    let workflow = r.str("workflow_status").unwrap_or("NEW");
    let closed = matches!(workflow, "RESOLVED" | "SUPPRESSED")
        || r.str("record_state") == Some("ARCHIVED")
        || r.str("compliance_status") == Some("PASSED");
    if !closed
        && !m
            .settings
            .securityhub_workflow
            .iter()
            .any(|w| w.eq_ignore_ascii_case(workflow))
    {
        return None;
    }
    let account = r.str("cloud_account_uid");
    let region = r.str("cloud_region");
    let control = r.str("compliance_control");
    let generator = r.str("unmapped_generator_id");
    let rule = control.or(generator).unwrap_or("finding");
    let title = r.str("finding_info_title").unwrap_or(rule).to_string();
    let remediation = match (r.str("remediation_desc"), r.str("remediation_url")) {
        (Some(d), Some(u)) => format!("{} ({u})", cut(d, 400)),
        (Some(d), None) => cut(d, 400),
        (None, Some(u)) => format!("See {u}"),
        (None, None) => "Review the finding in Security Hub".into(),
    };
    Some(assemble(
        Parts {
            source: "securityhub",
            rule_id: format!("securityhub.{rule}"),
            dedup_key: format!("securityhub:{}:{id}", account.unwrap_or("-")),
            severity,
            summary: format!(
                "Security Hub in {}, {}: {title}{}",
                account_label(account, m),
                region.unwrap_or("-"),
                r.str("resource_uid")
                    .map(|x| format!(" ({x})"))
                    .unwrap_or_default()
            ),
            title,
            account,
            region,
            time_ms,
            id,
            next_step: format!(
                "{remediation}; set the workflow to RESOLVED in Security Hub once fixed (parapet follows it)."
            ),
            actor: r.str("resource_uid").map(str::to_string),
            action: Some(rule.to_string()),
            evidence: json!({
                "source": "securityhub",
                "id": id,
                "product": product,
                "control": control,
                "generator": generator,
                "workflow": workflow,
                "record_state": r.str("record_state"),
                "compliance": r.str("compliance_status"),
                "resource_type": r.str("resource_type"),
                "resource": r.str("resource_uid"),
                "remediation_url": r.str("remediation_url"),
            }),
            closed,
        },
        m,
    ))
}

fn health(r: &Row<'_>, m: &Managed<'_>) -> Option<FindingEvent> {
    let arn = r.str("event_arn")?;
    let time_ms = r.i64("last_updated_time").or_else(|| r.i64("time"))?;
    let status = r.str("status_code").unwrap_or("open");
    let category = r.str("event_type_category").unwrap_or("issue");
    let code = r.str("event_type_code").unwrap_or("UNKNOWN");
    let service = r.str("service").unwrap_or("AWS");
    let severity = match category {
        "issue" => Severity::High,
        "scheduledChange" | "investigation" => Severity::Medium,
        _ => Severity::Low,
    };
    let account = r.str("cloud_account_uid");
    let region = r.str("cloud_region");
    let entities: Vec<String> = r
        .str("affected_entities")
        .and_then(|t| serde_json::from_str::<serde_json::Value>(t).ok())
        .and_then(|v| {
            v.as_array().map(|a| {
                a.iter()
                    .filter_map(|e| {
                        e.as_str()
                            .or_else(|| e.get("value")?.as_str())
                            .map(str::to_string)
                    })
                    .collect()
            })
        })
        .unwrap_or_default();
    let message = r.str("message").map(|s| cut(s, 300)).unwrap_or_default();
    let scope = r.str("event_scope_code").unwrap_or("ACCOUNT_SPECIFIC");
    Some(assemble(
        Parts {
            source: "health",
            rule_id: format!("health.{code}"),
            dedup_key: format!("health:{}:{arn}", account.unwrap_or("-")),
            severity,
            title: format!("AWS Health {category}: {code}"),
            summary: format!(
                "AWS Health {category} for {service} in {}, {} ({status}, {}): {code}{}",
                account_label(account, m),
                region.unwrap_or("global"),
                scope.to_ascii_lowercase().replace('_', "-"),
                if message.is_empty() {
                    String::new()
                } else {
                    format!(" — {message}")
                }
            ),
            account,
            region,
            time_ms,
            id: arn,
            next_step: if entities.is_empty() {
                "Read the event in the AWS Health Dashboard (https://health.aws.amazon.com/health/home) and plan for it.".into()
            } else {
                format!(
                    "Read the event in the AWS Health Dashboard (https://health.aws.amazon.com/health/home); affected: {}.",
                    cut(&entities.join(", "), 300)
                )
            },
            actor: entities.first().cloned(),
            action: Some(code.to_string()),
            evidence: json!({
                "source": "health",
                "arn": arn,
                "service": service,
                "category": category,
                "status": status,
                "scope": scope,
                "start": r.i64("start_time"),
                "end": r.i64("end_time"),
                "affected": entities,
            }),
            closed: status == "closed",
        },
        m,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guardduty_scores_fall_in_guardduty_bands() {
        assert_eq!(guardduty_severity(2.0), Severity::Low);
        assert_eq!(guardduty_severity(4.0), Severity::Medium);
        assert_eq!(guardduty_severity(6.9), Severity::Medium);
        assert_eq!(guardduty_severity(8.0), Severity::High);
        assert_eq!(guardduty_severity(9.0), Severity::Critical);
        assert_eq!(
            first_of_list(Some(r#"["Recon:EC2/Portscan"]"#)).as_deref(),
            Some("Recon:EC2/Portscan")
        );
        assert_eq!(cut("abcdef", 3), "abc…");
        assert!(from_guardduty(
            "arn:aws:securityhub:eu-west-1::product/aws/guardduty"
        ));
        assert!(!from_guardduty(
            "arn:aws:securityhub:eu-west-1::product/aws/securityhub"
        ));
        assert!(!from_guardduty(
            "arn:aws:securityhub:eu-west-1::product/aws/guardduty-extra"
        ));
    }
}
