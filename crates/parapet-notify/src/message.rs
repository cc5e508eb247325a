//! What each channel receives for an alert. Every string that came from logs or from another
//! service (titles, summaries, user agents, principal names) is escaped for where it lands:
//! Slack mrkdwn gets `&`, `<` and `>` as entities, so `<!channel>` or `<script>` arrive as text;
//! Teams Adaptive Cards get Markdown's characters backslash-escaped; JSON bodies are serialised
//! by serde. Texts are cut to the channel's limits, and a body larger than its channel takes
//! drops its evidence and cuts its texts until it fits.

use parapet_model::notify::{Channel, ChannelKind};
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

/// The body for `channel`.
pub fn render(channel: &Channel, a: &Alert<'_>) -> String {
    match channel.kind {
        ChannelKind::Slack => slack(a).to_string(),
        ChannelKind::Webhook | ChannelKind::File => fit(channel.max_bytes(), |cut| document(a, cut)),
        ChannelKind::Email => email(a).to_string(),
        ChannelKind::Teams => fit(channel.max_bytes(), |cut| teams(a, cut)),
    }
}

/// How much of a body's texts to keep: everything, or the evidence dropped and each text cut
/// to this many characters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Cut {
    None,
    To(usize),
}

impl Cut {
    fn text(self, s: &str) -> String {
        match self {
            Cut::None => s.to_string(),
            Cut::To(n) => truncate(s, n),
        }
    }
}

/// The body `build` makes, cut until it is at most `max_bytes` long (or as short as it gets).
fn fit(max_bytes: usize, build: impl Fn(Cut) -> Value) -> String {
    let full = build(Cut::None).to_string();
    if full.len() <= max_bytes {
        return full;
    }
    let mut n = 4000;
    loop {
        let body = build(Cut::To(n)).to_string();
        if body.len() <= max_bytes || n <= 50 {
            return body;
        }
        n /= 2;
    }
}

/// What `parapet notify test` sends to a channel of `kind`.
pub fn test_message(kind: ChannelKind, text: &str) -> String {
    match kind {
        ChannelKind::Slack => json!({"text": text}).to_string(),
        ChannelKind::Webhook | ChannelKind::File => json!({"test": true, "text": text}).to_string(),
        ChannelKind::Email => {
            json!({"subject": "parapet test message", "text": text, "html": format!("<p>{}</p>", html_escape(text))})
                .to_string()
        }
        ChannelKind::Teams => card(vec![json!({"type": "TextBlock", "text": teams_escape(text), "wrap": true})], None).to_string(),
    }
}

/// Text for Teams Markdown: its characters backslash-escaped, so nothing in it becomes a
/// link, emphasis or code. (Adaptive Cards render no HTML: `<script>` shows as text.)
pub fn teams_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '\\' | '*' | '_' | '[' | ']' | '(' | ')' | '~' | '`') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A Teams workflow message holding one Adaptive Card.
fn card(body: Vec<Value>, url: Option<&str>) -> Value {
    let mut content = json!({
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "msteams": {"width": "Full"},
        "body": body,
    });
    if let Some(url) = url {
        content["actions"] = json!([{"type": "Action.OpenUrl", "title": "Open in the console", "url": url}]);
    }
    json!({
        "type": "message",
        "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": null, "content": content}],
    })
}

fn teams(a: &Alert<'_>, cut: Cut) -> Value {
    let f = a.finding;
    let severity = f.severity.to_ascii_uppercase();
    let text = |s: &str| teams_escape(&cut.text(s));
    let fact = |title: &str, value: &str| json!({"title": title, "value": text(value)});
    let color = match f.severity.as_str() {
        "critical" | "high" => "Attention",
        "medium" => "Warning",
        _ => "Default",
    };
    let body = vec![
        json!({"type": "TextBlock", "text": text(&format!("[{severity}] {}", f.title)), "weight": "Bolder", "size": "Medium", "color": color, "wrap": true}),
        json!({"type": "FactSet", "facts": [
            fact("Account", &a.account_label()),
            fact("Team", a.team()),
            fact("Region", f.region.as_deref().unwrap_or("-")),
            fact("Severity", &format!("{severity} ({})", a.why())),
            fact("Who, from where", &a.who()),
        ]}),
        json!({"type": "TextBlock", "text": format!("**What happened**\n\n{}", text(&f.summary)), "wrap": true}),
        json!({"type": "TextBlock", "text": format!("**What to do**\n\n{}", text(&f.next_step)), "wrap": true}),
        json!({"type": "TextBlock", "text": teams_escape(&format!(
            "finding {} · {} · {} event(s) since {} · key {}",
            f.id, f.rule_id, f.count, format_rfc3339_secs(f.first_seen_ms), a.idempotency_key
        )), "isSubtle": true, "size": "Small", "wrap": true}),
    ];
    card(body, a.console_url())
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
fn document(a: &Alert<'_>, cut: Cut) -> Value {
    let f = a.finding;
    let mut doc = json!({
        "idempotency_key": a.idempotency_key,
        "alert": a.why(),
        "finding": {
            "id": f.id,
            "rule_id": f.rule_id,
            "severity": f.severity,
            "title": cut.text(&f.title),
            "summary": cut.text(&f.summary),
            "next_step": cut.text(&f.next_step),
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
        "actor": a.who.actor.as_deref().map(|s| cut.text(s)),
        "source_ip": a.who.source_ip,
        "user_agent": a.who.user_agent.as_deref().map(|s| cut.text(s)),
    });
    if cut != Cut::None {
        doc["finding"]["evidence"] =
            json!({"omitted": "too large for the channel; see `parapet findings show`"});
        doc["truncated"] = true.into();
    }
    doc
}

/// A digest: the findings a channel collected over an hour or a day, told together.
pub struct DigestView<'a> {
    /// `hourly` or `daily`.
    pub period: &'a str,
    /// When it was due.
    pub due_ms: i64,
    pub idempotency_key: &'a str,
    /// Oldest first.
    pub entries: Vec<DigestEntry<'a>>,
}

/// One finding of a digest.
pub struct DigestEntry<'a> {
    pub finding: &'a StoredFinding,
    pub account: Option<&'a Account>,
}

impl DigestEntry<'_> {
    /// `[LOW] title — name (id), team T · status · finding N` (unescaped).
    fn line(&self) -> String {
        let f = self.finding;
        let id = f.account_id.as_deref().unwrap_or("-");
        let account = parapet_model::account::account_label(id, self.account.map(|a| a.name.as_str()));
        let team = self
            .account
            .map(|a| a.team.as_str())
            .filter(|t| !t.is_empty())
            .map(|t| format!(", team {t}"))
            .unwrap_or_default();
        format!(
            "[{}] {} — {account}{team} · {} · finding {}",
            f.severity.to_ascii_uppercase(),
            f.title,
            f.status,
            f.id
        )
    }
}

/// Findings a chat digest lists; the rest are counted.
const DIGEST_LINES: usize = 40;

/// The body of a digest for `channel`.
pub fn render_digest(channel: &Channel, d: &DigestView<'_>) -> String {
    let n = d.entries.len();
    let head = format!(
        "parapet {} digest: {n} finding{} (until {})",
        d.period,
        if n == 1 { "" } else { "s" },
        format_rfc3339_secs(d.due_ms)
    );
    let shown = d.entries.len().min(DIGEST_LINES);
    let more = (n > shown).then(|| format!("and {} more: `parapet findings list`", n - shown));
    match channel.kind {
        ChannelKind::Slack => {
            let mut blocks = vec![
                json!({"type": "header", "text": {"type": "plain_text", "text": truncate(&head, SLACK_HEADER)}}),
            ];
            for chunk in d.entries[..shown].chunks(10) {
                let text: Vec<String> = chunk
                    .iter()
                    .map(|e| format!("• {}", slack_escape(&e.line())))
                    .collect();
                blocks.push(json!({"type": "section", "text": {"type": "mrkdwn", "text": truncate(&text.join("\n"), SLACK_SECTION)}}));
            }
            let footer = match &more {
                Some(m) => format!("{} · key {}", slack_escape(m), d.idempotency_key),
                None => format!("key {}", d.idempotency_key),
            };
            blocks.push(json!({"type": "context", "elements": [{"type": "mrkdwn", "text": footer}]}));
            json!({"text": head, "blocks": blocks}).to_string()
        }
        ChannelKind::Teams => fit(channel.max_bytes(), |cut| {
            let mut body = vec![
                json!({"type": "TextBlock", "text": teams_escape(&head), "weight": "Bolder", "size": "Medium", "wrap": true}),
            ];
            for e in &d.entries[..shown] {
                body.push(json!({"type": "TextBlock", "text": teams_escape(&cut.text(&e.line())), "wrap": true, "spacing": "Small"}));
            }
            let footer = match &more {
                Some(m) => format!("{m} · key {}", d.idempotency_key),
                None => format!("key {}", d.idempotency_key),
            };
            body.push(json!({"type": "TextBlock", "text": teams_escape(&footer), "isSubtle": true, "size": "Small", "wrap": true}));
            card(body, None)
        }),
        ChannelKind::Webhook | ChannelKind::File => {
            // Whole findings while they fit; then fewer, counted as omitted.
            let doc = |entries: &[DigestEntry<'_>], cut: Cut| {
                let findings: Vec<Value> = entries
                    .iter()
                    .map(|e| {
                        let f = e.finding;
                        json!({
                            "id": f.id,
                            "rule_id": f.rule_id,
                            "severity": f.severity,
                            "title": cut.text(&f.title),
                            "summary": cut.text(&f.summary),
                            "status": f.status,
                            "count": f.count,
                            "first_seen": format_rfc3339_secs(f.first_seen_ms),
                            "last_seen": format_rfc3339_secs(f.last_seen_ms),
                            "region": f.region,
                            "account": {
                                "id": f.account_id,
                                "name": e.account.map(|x| x.name.as_str()),
                                "team": e.account.map(|x| x.team.as_str()),
                            },
                        })
                    })
                    .collect();
                json!({
                    "idempotency_key": d.idempotency_key,
                    "digest": d.period,
                    "until": format_rfc3339_secs(d.due_ms),
                    "count": n,
                    "omitted": n - entries.len(),
                    "findings": findings,
                })
            };
            let mut keep = n;
            loop {
                let body = fit(channel.max_bytes(), |cut| doc(&d.entries[..keep], cut));
                if body.len() <= channel.max_bytes() || keep == 0 {
                    return body;
                }
                keep /= 2;
            }
        }
        ChannelKind::Email => {
            let mut text = format!("{head}\n\n");
            let mut html = format!("<html><body><h2>{}</h2><ul>", html_escape(&head));
            for e in &d.entries {
                let line = e.line();
                text.push_str(&format!("- {line}\n"));
                html.push_str(&format!("<li>{}</li>", html_escape(&line)));
            }
            html.push_str(&format!(
                "</ul><p><small>key {}</small></p></body></html>",
                html_escape(d.idempotency_key)
            ));
            json!({
                "subject": truncate(&head, EMAIL_SUBJECT),
                "text": truncate(&text, EMAIL_TEXT),
                "html": truncate(&html, EMAIL_TEXT),
            })
            .to_string()
        }
    }
}

/// A report for people rather than a finding (the daily cost report): a title, fixed-width
/// text, and the same as data for webhooks and files.
pub struct Notice<'a> {
    /// `cost_report`.
    pub kind: &'a str,
    pub title: &'a str,
    /// Fixed-width text (a table), shown as a code block where the channel has one.
    pub text: &'a str,
    pub data: &'a Value,
    pub idempotency_key: &'a str,
}

/// The body of a notice for `channel`. Its texts are escaped for each channel like findings'.
pub fn render_notice(channel: &Channel, n: &Notice<'_>) -> String {
    match channel.kind {
        ChannelKind::Slack => {
            // A code block: only `&`, `<`, `>` are special in it; three backquotes would end it.
            let body = slack_escape(&n.text.replace("```", "'''"));
            let mut blocks = vec![
                json!({"type": "header", "text": {"type": "plain_text", "text": truncate(n.title, SLACK_HEADER)}}),
            ];
            // Sections of whole lines, each under Slack's limit.
            let mut chunk = String::new();
            for line in body.lines() {
                if chunk.len() + line.len() + 8 > SLACK_SECTION - 8 && !chunk.is_empty() {
                    blocks.push(json!({"type": "section", "text": {"type": "mrkdwn", "text": format!("```{chunk}```")}}));
                    chunk.clear();
                }
                chunk.push_str(&truncate(line, SLACK_SECTION - 16));
                chunk.push('\n');
            }
            if !chunk.is_empty() {
                blocks.push(
                    json!({"type": "section", "text": {"type": "mrkdwn", "text": format!("```{chunk}```")}}),
                );
            }
            blocks.truncate(48);
            blocks.push(json!({"type": "context", "elements": [{"type": "mrkdwn", "text": format!("key {}", n.idempotency_key)}]}));
            json!({"text": truncate(n.title, SLACK_HEADER), "blocks": blocks}).to_string()
        }
        ChannelKind::Teams => fit(channel.max_bytes(), |cut| {
            let body = vec![
                json!({"type": "TextBlock", "text": teams_escape(n.title), "weight": "Bolder", "size": "Medium", "wrap": true}),
                json!({"type": "TextBlock", "text": teams_escape(&cut.text(n.text)), "fontType": "Monospace", "wrap": true}),
                json!({"type": "TextBlock", "text": teams_escape(&format!("key {}", n.idempotency_key)), "isSubtle": true, "size": "Small", "wrap": true}),
            ];
            card(body, None)
        }),
        ChannelKind::Email => json!({
            "subject": truncate(n.title, 200),
            "text": n.text,
            "html": format!("<h3>{}</h3><pre>{}</pre>", html_escape(n.title), html_escape(n.text)),
        })
        .to_string(),
        ChannelKind::Webhook | ChannelKind::File => fit(channel.max_bytes(), |cut| {
            let mut doc = json!({
                "kind": n.kind,
                "title": n.title,
                "idempotency_key": n.idempotency_key,
                "text": cut.text(n.text),
            });
            if cut == Cut::None {
                doc["report"] = n.data.clone();
            }
            doc
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn channel(kind: ChannelKind) -> Channel {
        Channel {
            name: "c".into(),
            kind,
            ..Channel::default()
        }
    }

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
        let body = render(&channel(ChannelKind::Slack), &a);
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
        let v: Value = serde_json::from_str(&render(&channel(ChannelKind::Slack), &a)).expect("json");
        for b in v["blocks"].as_array().expect("blocks") {
            if let Some(t) = b["text"]["text"].as_str() {
                assert!(t.chars().count() <= SLACK_SECTION, "{}", t.len());
            }
        }
        // JSON documents carry the text as it is (JSON escapes it).
        let doc: Value = serde_json::from_str(&render(&channel(ChannelKind::Webhook), &a)).expect("json");
        assert_eq!(doc["finding"]["title"], "Root <b>sign-in</b>");
        assert_eq!(doc["idempotency_key"], "f7.a1.c");
        assert_eq!(truncate("abcdef", 4), "abc…");
        // E-mail: the HTML part has the log text as text; the subject is one line.
        let f = finding("agent <script>alert(1)</script>\r\nBcc: x@example.com");
        let a = Alert { finding: &f, ..a };
        let mail: Value = serde_json::from_str(&render(&channel(ChannelKind::Email), &a)).expect("json");
        let html = mail["html"].as_str().expect("html");
        assert!(
            !html.contains("<script>") && html.contains("&lt;script&gt;"),
            "{html}"
        );
        assert!(!mail["subject"].as_str().expect("subject").contains('\n'));
    }

    #[test]
    fn teams_cards_escape_markdown_and_every_body_fits_its_channel() {
        let f = finding("see [this](http://evil.example) *now* <script>alert(1)</script>");
        let a = Alert {
            finding: &f,
            account: None,
            seq: 2,
            who: Who {
                actor: Some("`rm -rf`".into()),
                ..Who::default()
            },
            idempotency_key: "f7.a2.c",
        };
        let body = render(&channel(ChannelKind::Teams), &a);
        let v: Value = serde_json::from_str(&body).expect("json");
        assert_eq!(v["type"], "message");
        let card = &v["attachments"][0];
        assert_eq!(card["contentType"], "application/vnd.microsoft.card.adaptive");
        assert_eq!(card["content"]["type"], "AdaptiveCard");
        let text = card["content"]["body"].to_string();
        assert!(
            text.contains(r"\\[this\\]\\(http://evil.example\\) \\*now\\*"),
            "{text}"
        );
        assert!(text.contains(r"\\`rm -rf\\`"), "{text}");
        // A finding too large for Teams' 28 KB, or for a webhook's max_bytes, is cut to fit,
        // dropping the evidence.
        let mut big = finding(&"y".repeat(100_000));
        big.evidence = serde_json::json!({"records": "z".repeat(100_000)});
        let a = Alert { finding: &big, ..a };
        let teams = render(&channel(ChannelKind::Teams), &a);
        assert!(teams.len() <= 28_000, "{}", teams.len());
        let hook = Channel {
            max_bytes: Some(10_000),
            ..channel(ChannelKind::Webhook)
        };
        let doc = render(&hook, &a);
        assert!(doc.len() <= 10_000, "{}", doc.len());
        let v: Value = serde_json::from_str(&doc).expect("json");
        assert_eq!(v["truncated"], true);
        assert!(v["finding"]["evidence"]["omitted"].is_string());
        // Small enough: whole.
        let small = finding("fine");
        let a = Alert { finding: &small, ..a };
        let v: Value = serde_json::from_str(&render(&hook, &a)).expect("json");
        assert!(v.get("truncated").is_none());
    }

    #[test]
    fn digests_list_their_findings_escaped_and_count_what_does_not_fit() {
        let fs: Vec<StoredFinding> = (0..55)
            .map(|i| {
                let mut f = finding("s");
                f.id = i;
                f.severity = "low".into();
                f.title = format!("<!channel> finding {i}");
                f
            })
            .collect();
        let view = DigestView {
            period: "hourly",
            due_ms: 0,
            idempotency_key: "d.hourly.0.c",
            entries: fs
                .iter()
                .map(|f| DigestEntry {
                    finding: f,
                    account: None,
                })
                .collect(),
        };
        let slack = render_digest(&channel(ChannelKind::Slack), &view);
        assert!(
            !slack.contains("<!channel>") && slack.contains("&lt;!channel&gt; finding 39"),
            "{slack}"
        );
        assert!(
            !slack.contains("finding 40 ") && slack.contains("and 15 more"),
            "{slack}"
        );
        let v: Value = serde_json::from_str(&slack).expect("json");
        assert!(v["blocks"].as_array().expect("blocks").len() <= 50);
        let mail: Value =
            serde_json::from_str(&render_digest(&channel(ChannelKind::Email), &view)).expect("json");
        assert!(mail["subject"].as_str().expect("subject").contains("55 findings"));
        assert!(mail["html"]
            .as_str()
            .expect("html")
            .contains("&lt;!channel&gt; finding 54"));
        let hook = Channel {
            max_bytes: Some(4_000),
            ..channel(ChannelKind::Webhook)
        };
        let doc: Value = serde_json::from_str(&render_digest(&hook, &view)).expect("json");
        let listed = doc["findings"].as_array().expect("findings").len();
        assert_eq!(doc["count"], 55);
        assert_eq!(doc["omitted"].as_u64(), Some(55 - listed as u64));
        assert!(listed > 0 && listed < 55, "{listed}");
        let teams = render_digest(&channel(ChannelKind::Teams), &view);
        assert!(teams.contains("and 15 more"), "{teams}");
    }

    #[test]
    fn notices_escape_what_they_quote() {
        let data = json!({"accounts": ["<script>"]});
        let notice = Notice {
            kind: "cost_report",
            title: "Cost of <b>ops</b> on 2024-09-20",
            text: "acct <script>alert(1)</script> 1,234.00\n```",
            data: &data,
            idempotency_key: "cost.2024-09-20.org.finops",
        };
        let slack = render_notice(&channel(ChannelKind::Slack), &notice);
        assert!(slack.contains("&lt;script&gt;"), "{slack}");
        assert!(!slack.contains("<script>"), "{slack}");
        // The code block is not closed early by the text.
        assert_eq!(slack.matches("```").count(), 2, "{slack}");
        let mail = render_notice(&channel(ChannelKind::Email), &notice);
        let v: Value = serde_json::from_str(&mail).unwrap();
        assert!(v["html"]
            .as_str()
            .unwrap()
            .contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        let hook = render_notice(&channel(ChannelKind::Webhook), &notice);
        let v: Value = serde_json::from_str(&hook).unwrap();
        assert_eq!(v["kind"], "cost_report");
        assert_eq!(v["report"], data);
    }
}
