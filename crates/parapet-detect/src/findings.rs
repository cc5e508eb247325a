//! From matches to findings: correlations decided over their stored matches, then one
//! [`FindingEvent`] per (finding, event) with the finding's dedup key, text and suppression.

use std::collections::BTreeMap;

use parapet_model::{
    AccountId, CorrelationEvent, Detection, EventRef, FindingEvent, SuppressRule, Suppression,
};

use crate::engine::{Hit, RuleSet};
use crate::rule::{Body, Rule};

/// A correlation that fired for one group, with the events of its satisfied windows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fired {
    pub rule: usize,
    pub group: Vec<String>,
    pub events: Vec<EventRef>,
}

/// Loads the stored matches of one correlation group in a time range:
/// `(correlation id, group, from ms, to ms)`.
pub type LoadGroup<'a, E> = dyn FnMut(&str, &str, i64, i64) -> Result<Vec<CorrelationEvent>, E> + 'a;

/// Decides the correlations that `new` matches touch. `load(correlation, group, from, to)`
/// must return every stored match of that group with a time in `from..=to` — `new` included,
/// so the caller stores them first. Windows that contain a new match lie in that range, so
/// nothing outside it can change.
pub fn settle<E>(
    set: &RuleSet,
    new: &[CorrelationEvent],
    load: &mut LoadGroup<'_, E>,
) -> Result<Vec<Fired>, E> {
    let mut touched: BTreeMap<(&str, &str), (i64, i64)> = BTreeMap::new();
    for e in new {
        let span = touched
            .entry((e.correlation.as_str(), e.group.as_str()))
            .or_insert((e.event.time_ms, e.event.time_ms));
        span.0 = span.0.min(e.event.time_ms);
        span.1 = span.1.max(e.event.time_ms);
    }
    let mut out = Vec::new();
    for ((cid, group), (lo, hi)) in touched {
        let Some((ci, c)) = set.correlation(cid) else {
            continue;
        };
        let stored = load(
            cid,
            group,
            lo.saturating_sub(c.timespan_ms),
            hi.saturating_add(c.timespan_ms),
        )?;
        let order: Vec<String> = c
            .rules
            .iter()
            .filter_map(|r| set.rules.iter().find(|x| x.answers_to(r)))
            .map(|x| x.id.clone())
            .collect();
        let fire = crate::correlate::firing(c, &order, &stored);
        if fire.is_empty() {
            continue;
        }
        let mut events: Vec<EventRef> = Vec::new();
        for i in fire {
            if !events.iter().any(|e| e.uid == stored[i].event.uid) {
                events.push(stored[i].event.clone());
            }
        }
        events.sort_by(|a, b| (a.time_ms, &a.uid).cmp(&(b.time_ms, &b.uid)));
        out.push(Fired {
            rule: ci,
            group: serde_json::from_str(group).unwrap_or_default(),
            events,
        });
    }
    Ok(out)
}

/// What the finding texts and suppressions need from outside.
pub struct Context<'a> {
    /// An account's name, if the registry knows it.
    pub account_name: &'a dyn Fn(&str) -> Option<String>,
    pub suppress: &'a [SuppressRule],
    pub now_ms: i64,
}

/// One finding event per single-event hit and per event of a fired correlation.
pub fn finding_events(set: &RuleSet, hits: &[Hit], fired: &[Fired], ctx: &Context<'_>) -> Vec<FindingEvent> {
    let mut out = Vec::with_capacity(hits.len());
    for h in hits {
        let rule = &set.rules[h.rule];
        let key = dedup_key(rule, &h.group);
        let group: serde_json::Map<String, serde_json::Value> = set
            .group_names(h.rule)
            .into_iter()
            .zip(&h.group)
            .map(|(k, v)| (k.to_string(), serde_json::Value::String(v.clone())))
            .collect();
        let summary = format!(
            "{} in {}: {} by {}{}",
            rule.title,
            account_label(h.event.account_id.as_deref(), ctx),
            h.event.action.as_deref().unwrap_or("an event"),
            h.event.actor.as_deref().unwrap_or("an unknown principal"),
            h.event
                .region
                .as_deref()
                .map(|r| format!(" in {r}"))
                .unwrap_or_default()
        );
        out.push(finding_event(rule, key, summary, group, &h.event, ctx));
    }
    for f in fired {
        let rule = &set.rules[f.rule];
        let Body::Correlation(c) = &rule.body else {
            continue;
        };
        let key = dedup_key(rule, &f.group);
        let group: serde_json::Map<String, serde_json::Value> = c
            .group_by
            .iter()
            .zip(&f.group)
            .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
            .collect();
        let who = if f.group.iter().all(String::is_empty) {
            String::new()
        } else {
            format!(" for {}", f.group.join(", "))
        };
        for e in &f.events {
            let summary = format!(
                "{} in {}{}: {} matching events within {}",
                rule.title,
                account_label(e.account_id.as_deref(), ctx),
                who,
                f.events.len(),
                human_span(c.timespan_ms)
            );
            out.push(finding_event(rule, key.clone(), summary, group.clone(), e, ctx));
        }
    }
    out
}

fn finding_event(
    rule: &Rule,
    dedup_key: String,
    summary: String,
    group: serde_json::Map<String, serde_json::Value>,
    e: &EventRef,
    ctx: &Context<'_>,
) -> FindingEvent {
    let evidence = serde_json::json!({
        "source": rule.origin.to_string(),
        "controls": rule.controls,
        "tags": rule.tags,
        "group": group,
    });
    let suppression = ctx
        .suppress
        .iter()
        .find(|s| {
            s.covers(
                &rule.id,
                e.account_id.as_deref(),
                e.actor.as_deref(),
                e.region.as_deref(),
                ctx.now_ms,
            )
        })
        .map(|s| Suppression {
            by: "config".into(),
            reason: s.reason.clone(),
            until_ms: s.until_ms(),
        });
    FindingEvent {
        detection: Detection {
            rule_id: rule.id.clone(),
            dedup_key,
            severity: rule.severity,
            title: rule.title.clone(),
            account_id: e.account_id.as_deref().and_then(AccountId::parse),
            region: e.region.clone(),
            time_ms: e.time_ms,
            summary,
            next_step: if rule.next_step.is_empty() {
                "Check with the principal's owner that the activity was intended; if it was, suppress the finding with the reason.".into()
            } else {
                rule.next_step.clone()
            },
            evidence: evidence.to_string(),
        },
        event: e.clone(),
        suppression,
        at_source: None,
    }
}

/// `<rule id>:<group values joined by |>`.
pub fn dedup_key(rule: &Rule, group: &[String]) -> String {
    format!("{}:{}", rule.id, group.join("|"))
}

fn account_label(id: Option<&str>, ctx: &Context<'_>) -> String {
    match id {
        None => "an unknown account".into(),
        Some(id) => parapet_model::account::account_label(id, (ctx.account_name)(id).as_deref()),
    }
}

fn human_span(ms: i64) -> String {
    let s = ms / 1000;
    if s % 86_400 == 0 {
        format!("{} day(s)", s / 86_400)
    } else if s % 3600 == 0 {
        format!("{} hour(s)", s / 3600)
    } else if s % 60 == 0 {
        format!("{} minute(s)", s / 60)
    } else {
        format!("{s} second(s)")
    }
}
