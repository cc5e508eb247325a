//! Anomalies as findings: one per account × service × day, `cost.anomaly`, naming the account
//! and saying what to look at.

use parapet_model::account::account_label;
use parapet_model::{AccountId, Detection, EventRef, FindingEvent};

use crate::anomaly::Anomaly;
use crate::spend::Names;

pub const RULE_ID: &str = "cost.anomaly";

/// The findings of `anomalies`, each with the day's spend as its one event.
pub fn anomaly_findings(anomalies: &[Anomaly], names: &Names) -> Vec<FindingEvent> {
    anomalies
        .iter()
        .map(|a| {
            let label = names.get(&a.account_id);
            let who = account_label(&a.account_id, Some(&label.name));
            let team = if label.team.starts_with('(') {
                String::new()
            } else {
                format!(", team {}", label.team)
            };
            let key = format!("{RULE_ID}:{}:{}:{}", a.account_id, a.service, a.day);
            let time_ms = a.day.start_ms();
            let evidence = serde_json::json!({
                "day": a.day,
                "service": a.service,
                "currency": a.currency,
                "amount": a.amount.to_cents_string(),
                "baseline_median": a.median.to_cents_string(),
                "baseline_mad": a.mad.to_cents_string(),
                "increase": a.increase.to_cents_string(),
                "threshold": a.threshold.to_cents_string(),
                "history_days": a.history_days,
            });
            FindingEvent {
                detection: Detection {
                    rule_id: RULE_ID.into(),
                    dedup_key: key.clone(),
                    severity: a.severity,
                    title: format!("Spend spike: {} in {}", a.service, label.name),
                    account_id: AccountId::parse(&a.account_id),
                    region: None,
                    time_ms,
                    summary: format!(
                        "{who}{team} spent {} {} on {} on {}, against a usual {} a day (median of {} days); {} more.",
                        a.amount.display(),
                        a.currency,
                        a.service,
                        a.day,
                        a.median.display(),
                        a.history_days,
                        a.increase.display(),
                    ),
                    next_step: format!(
                        "Open Cost Explorer for account {} on {}, filtered to {} and grouped by usage type, then by resource: look for new or resized resources, a runaway job or data transfer. If the spend is expected, acknowledge this finding with the reason.",
                        a.account_id, a.day, a.service
                    ),
                    evidence: evidence.to_string(),
                },
                event: EventRef {
                    uid: key,
                    time_ms,
                    account_id: Some(a.account_id.clone()),
                    region: None,
                    actor: None,
                    action: Some(a.service.clone()),
                    excerpt: evidence.to_string(),
                },
                suppression: None,
                at_source: None,
            }
        })
        .collect()
}
