//! What each channel receives for an alert. Every string that came from logs or from another
//! service (titles, summaries, user agents, principal names) is escaped for where it lands:
//! Slack mrkdwn gets `&`, `<` and `>` as entities, so `<!channel>` or `<script>` arrive as text;
//! JSON bodies are serialised by serde. Texts are cut to the channel's limits.

use parapet_model::notify::ChannelKind;
use parapet_model::time::format_rfc3339_secs;
use parapet_model::Account;
use parapet_store::StoredFinding;
use serde_json::{json, Value};

/// Who did it, from where and with what, from a finding's latest event.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Who {
    pub actor: Option<String>,
    pub source_ip: Option<String>,
    /// CloudTrail's `userAgent`: text an attacker chooses, so escaped wherever it lands.
    pub user_agent: Option<String>,
}

/// One finding to tell, with what the message needs besides it.
pub struct Alert<'a> {
    pub finding: &'a StoredFinding,
    pub account: Option<&'a Account>,
    /// 1 for a new finding; more when it was reopened or became more severe.
    pub seq: i64,
    pub who: Who,
    pub idempotency_key: &'a str,
}

impl Alert<'_> {
    fn why(&self) -> &'static str {
        if self.seq <= 1 {
            "new"
        } else {
            "again"
        }
    }

    fn account_label(&self) -> String {
        let id = self.finding.account_id.as_deref().unwrap_or("-");
        parapet_model::account::account_label(id, self.account.map(|a| a.name.as_str()))
    }

    /// The account's team, or `-`.
    fn team(&self) -> &str {
        self.account
            .map(|x| x.team.as_str())
            .filter(|t| !t.is_empty())
            .unwrap_or("-")
    }

    /// "who from where (with what)", from the latest event, or `-`.
    fn who(&self) -> String {
        let w = &self.who;
        let mut out = match (&w.actor, &w.source_ip) {
            (Some(a), Some(ip)) => format!("{a} from {ip}"),
            (Some(a), None) => a.clone(),
            (None, Some(ip)) => format!("from {ip}"),
            (None, None) => "-".into(),
        };
        if let Some(agent) = &w.user_agent {
            out.push_str(&format!(" using {agent}"));
        }
        out
    }

    fn console_url(&self) -> Option<&str> {
        self.finding.evidence.get("console_url").and_then(Value::as_str)
    }
}

/// Slack's limits: header text 150 characters, section text 3000, a field 2000.
const SLACK_HEADER: usize = 150;
const SLACK_SECTION: usize = 3000;
const SLACK_FIELD: usize = 2000;

/// `s` cut to `max` characters, with an ellipsis when cut.
pub fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// Text for Slack mrkdwn: `&`, `<`, `>` as entities (Slack's own rule), so nothing in it can
/// become a mention, a link or markup.
pub fn slack_escape(s: &str) -> String {
    entities(s, false)
}

/// `&`, `<`, `>` (and with `quotes`, `"` and `'`) as HTML entities.
fn entities(s: &str, quotes: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if quotes => out.push_str("&quot;"),
            '\'' if quotes => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn mrkdwn(label: &str, value: &str, max: usize) -> Value {
    // Escape first, then cut, so an entity is never cut into a stray `<`.
    json!({"type": "mrkdwn", "text": truncate(&format!("*{label}*\n{}", slack_escape(value)), max)})
}

/// The body for a channel of `kind`.
pub fn render(kind: ChannelKind, a: &Alert<'_>) -> String {
    match kind {
        ChannelKind::Slack => slack(a).to_string(),
        ChannelKind::Webhook | ChannelKind::File => document(a).to_string(),
        ChannelKind::Email => email(a).to_string(),
    }
}

/// Text for HTML: `&`, `<`, `>`, `"`, `'` as entities.
pub fn html_escape(s: &str) -> String {
    entities(s, true)
}

/// E-mail subject lines: one line, at most 200 characters.
const EMAIL_SUBJECT: usize = 200;
/// E-mail text parts: at most 20,000 characters each.
const EMAIL_TEXT: usize = 20_000;

/// `{"subject", "text", "html"}`: the e-mail's parts (sender and recipients come from the
/// channel's config when it is sent).
fn email(a: &Alert<'_>) -> Value {
    let f = a.finding;
    let severity = f.severity.to_ascii_uppercase();
    let rows = [
        ("Account", a.account_label()),
        ("Team", a.team().to_string()),
        ("Region", f.region.clone().unwrap_or_else(|| "-".into())),
        ("Severity", format!("{severity} ({})", a.why())),
        ("What happened", f.summary.clone()),
        ("Who, from where", a.who()),
        ("What to do", f.next_step.clone()),
        (
            "Finding",
            format!(
                "{} · {} · {} event(s) · key {}",
                f.id, f.rule_id, f.count, a.idempotency_key
            ),
        ),
    ];
    let mut text = format!("[{severity}] {}\n\n", f.title);
    let mut html = format!(
        "<html><body><h2>[{}] {}</h2><table cellpadding=\"4\">",
        html_escape(&severity),
        html_escape(&f.title)
    );
    for (k, v) in &rows {
        text.push_str(&format!("{k}: {v}\n"));
        html.push_str(&format!(
            "<tr><th align=\"left\">{}</th><td>{}</td></tr>",
            html_escape(k),
            html_escape(v)
        ));
    }
    if let Some(url) = a.console_url() {
        text.push_str(&format!("Console: {url}\n"));
        html.push_str(&format!(
            "<tr><th align=\"left\">Console</th><td><a href=\"{0}\">{0}</a></td></tr>",
            html_escape(url)
        ));
    }
    html.push_str("</table></body></html>");
    let subject: String = format!("[{severity}] {} — {}", f.title, a.account_label())
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    json!({
        "subject": truncate(&subject, EMAIL_SUBJECT),
        "text": truncate(&text, EMAIL_TEXT),
        "html": truncate(&html, EMAIL_TEXT),
    })
}

fn slack(a: &Alert<'_>) -> Value {
    let f = a.finding;
    let severity = f.severity.to_ascii_uppercase();
    let (team, who) = (a.team(), a.who());
    let mut blocks = vec![
        json!({"type": "header", "text": {"type": "plain_text", "text": truncate(&format!("[{severity}] {}", f.title), SLACK_HEADER)}}),
        json!({"type": "section", "fields": [
            mrkdwn("Account", &a.account_label(), SLACK_FIELD),
            mrkdwn("Team", team, SLACK_FIELD),
            mrkdwn("Region", f.region.as_deref().unwrap_or("-"), SLACK_FIELD),
            mrkdwn("Severity", &format!("{severity} ({})", a.why()), SLACK_FIELD),
        ]}),
        json!({"type": "section", "text": mrkdwn("What happened", &f.summary, SLACK_SECTION)}),
        json!({"type": "section", "text": mrkdwn("Who, from where", &who, SLACK_SECTION)}),
        json!({"type": "section", "text": mrkdwn("What to do", &f.next_step, SLACK_SECTION)}),
    ];
    if let Some(url) = a.console_url() {
        // A link is the one place `<…|…>` is wanted; the URL is escaped, the label is ours.
        blocks.push(json!({"type": "section", "text": {"type": "mrkdwn", "text": format!("<{}|Open in the console>", slack_escape(url))}}));
    }
    blocks.push(
        json!({"type": "context", "elements": [{"type": "mrkdwn", "text": truncate(&slack_escape(&format!(
        "finding {} · {} · {} event(s) since {} · key {}",
        f.id,
        f.rule_id,
        f.count,
        format_rfc3339_secs(f.first_seen_ms),
        a.idempotency_key
    )), SLACK_FIELD)}]}),
    );
    json!({
        "text": truncate(&slack_escape(&format!("[{severity}] {} — {}", f.title, a.account_label())), SLACK_SECTION),
        "blocks": blocks,
    })
}

/// The alert as a JSON document (webhooks, files).
fn document(a: &Alert<'_>) -> Value {
    let f = a.finding;
    json!({
        "idempotency_key": a.idempotency_key,
        "alert": a.why(),
        "finding": {
            "id": f.id,
            "rule_id": f.rule_id,
            "severity": f.severity,
            "title": f.title,
            "summary": f.summary,
            "next_step": f.next_step,
            "status": f.status,
            "count": f.count,
            "first_seen": format_rfc3339_secs(f.first_seen_ms),
            "last_seen": format_rfc3339_secs(f.last_seen_ms),
            "region": f.region,
            "evidence": f.evidence,
        },
        "account": {
            "id": f.account_id,
            "name": a.account.map(|x| x.name.as_str()),
            "team": a.account.map(|x| x.team.as_str()),
            "ou": a.account.map(|x| x.ou.as_str()),
        },
        "actor": a.who.actor,
        "source_ip": a.who.source_ip,
        "user_agent": a.who.user_agent,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(summary: &str) -> StoredFinding {
        let mut f = crate::test_finding("aws.root_console_login", "critical", "111111111111", summary);
        f.title = "Root <b>sign-in</b>".into();
        f
    }

    #[test]
    fn log_text_reaches_slack_as_text_and_long_text_is_cut() {
        let f = finding("user agent <!channel> <script>alert(1)</script> & more");
        let a = Alert {
            finding: &f,
            account: None,
            seq: 1,
            who: Who {
                actor: Some("<@U123>".into()),
                source_ip: Some("203.0.113.9".into()),
                user_agent: Some("curl <!here>".into()),
            },
            idempotency_key: "f7.a1.c",
        };
        let body = render(ChannelKind::Slack, &a);
        assert!(
            !body.contains("<!channel>")
                && !body.contains("<script>")
                && !body.contains("<@U123>")
                && !body.contains("<!here>"),
            "{body}"
        );
        assert!(
            body.contains("&lt;!channel&gt;") && body.contains("&amp; more"),
            "{body}"
        );
        let long = finding(&"x".repeat(10_000));
        let a = Alert { finding: &long, ..a };
        let v: Value = serde_json::from_str(&render(ChannelKind::Slack, &a)).expect("json");
        for b in v["blocks"].as_array().expect("blocks") {
            if let Some(t) = b["text"]["text"].as_str() {
                assert!(t.chars().count() <= SLACK_SECTION, "{}", t.len());
            }
        }
        // JSON documents carry the text as it is (JSON escapes it).
        let doc: Value = serde_json::from_str(&render(ChannelKind::Webhook, &a)).expect("json");
        assert_eq!(doc["finding"]["title"], "Root <b>sign-in</b>");
        assert_eq!(doc["idempotency_key"], "f7.a1.c");
        assert_eq!(truncate("abcdef", 4), "abc…");
        // E-mail: the HTML part has the log text as text; the subject is one line.
        let f = finding("agent <script>alert(1)</script>\r\nBcc: x@example.com");
        let a = Alert { finding: &f, ..a };
        let mail: Value = serde_json::from_str(&render(ChannelKind::Email, &a)).expect("json");
        let html = mail["html"].as_str().expect("html");
        assert!(
            !html.contains("<script>") && html.contains("&lt;script&gt;"),
            "{html}"
        );
        assert!(!mail["subject"].as_str().expect("subject").contains('\n'));
    }
}
