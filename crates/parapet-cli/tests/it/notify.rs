//! Notifications end to end, against a real HTTP receiver on 127.0.0.1 started by the test:
//! findings routed to their team's channel (or the fallback) and to the critical channels,
//! Slack text escaped, webhook bodies signed, a 500 retried, a 429 waited out for its
//! Retry-After, every idempotency key processed exactly once, dead letters retried by hand.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use crate::support::{ok, parapet, run};

/// One request the receiver got.
#[derive(Clone, Debug)]
pub(crate) struct Received {
    pub(crate) path: String,
    headers: HashMap<String, String>,
    pub(crate) body: String,
    at: Instant,
    status: u16,
}

/// An answer: status and extra headers.
type Answer = (u16, Vec<(String, String)>);
/// Per path, the answers to give next.
type Script = Arc<Mutex<HashMap<String, VecDeque<Answer>>>>;

/// A tiny HTTP/1.1 server: answers each path from its script (then 200), records everything.
pub(crate) struct Receiver {
    pub(crate) port: u16,
    log: Arc<Mutex<Vec<Received>>>,
    script: Script,
    /// How long to take over each answer, in ms.
    delay_ms: Arc<std::sync::atomic::AtomicU64>,
}

impl Receiver {
    pub(crate) fn start() -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let log = Arc::new(Mutex::new(Vec::new()));
        let script: Script = Arc::default();
        let delay_ms: Arc<std::sync::atomic::AtomicU64> = Arc::default();
        let (l, s, d) = (log.clone(), script.clone(), delay_ms.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().expect("clone"));
                let mut line = String::new();
                // A connection closed before a whole request (a sender killed mid-write) is
                // not a request.
                if !matches!(reader.read_line(&mut line), Ok(n) if n > 0) {
                    continue;
                }
                let path = line.split_whitespace().nth(1).unwrap_or_default().to_string();
                let mut headers = HashMap::new();
                let mut complete = false;
                loop {
                    let mut h = String::new();
                    if reader.read_line(&mut h).unwrap_or(0) == 0 {
                        break;
                    }
                    if h == "\r\n" {
                        complete = true;
                        break;
                    }
                    if let Some((k, v)) = h.trim_end().split_once(':') {
                        headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
                    }
                }
                if !complete {
                    continue;
                }
                let len: usize = headers
                    .get("content-length")
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0);
                let mut body = vec![0; len];
                if reader.read_exact(&mut body).is_err() {
                    continue;
                }
                let (status, mut extra) = s
                    .lock()
                    .expect("script")
                    .get_mut(&path)
                    .and_then(VecDeque::pop_front)
                    .unwrap_or((200, Vec::new()));
                // `x-test-delay-ms` in a scripted answer: take that long over this one.
                let mut delay = d.load(std::sync::atomic::Ordering::Relaxed);
                extra.retain(|(k, v)| match (k == "x-test-delay-ms", v.parse::<u64>()) {
                    (true, Ok(ms)) => {
                        delay = ms;
                        false
                    }
                    _ => true,
                });
                std::thread::sleep(std::time::Duration::from_millis(delay));
                let mut resp = format!("HTTP/1.1 {status} X\r\ncontent-length: 2\r\nconnection: close\r\n");
                for (k, v) in &extra {
                    resp.push_str(&format!("{k}: {v}\r\n"));
                }
                resp.push_str("\r\nok");
                let _ = stream.write_all(resp.as_bytes());
                l.lock().expect("log").push(Received {
                    path,
                    headers,
                    body: String::from_utf8_lossy(&body).into_owned(),
                    at: Instant::now(),
                    status,
                });
            }
        });
        Receiver {
            port,
            log,
            script,
            delay_ms,
        }
    }

    fn answer(&self, path: &str, answers: Vec<Answer>) {
        self.script
            .lock()
            .expect("script")
            .insert(path.into(), answers.into());
    }

    pub(crate) fn received(&self) -> Vec<Received> {
        self.log.lock().expect("log").clone()
    }
}

fn record(
    account: &str,
    name: &str,
    id: &str,
    secs: u32,
    agent: &str,
    extra: serde_json::Value,
) -> serde_json::Value {
    let mut r = serde_json::json!({
        "eventVersion": "1.08",
        "userIdentity": {"type": "Root", "principalId": account, "arn": format!("arn:aws:iam::{account}:root"), "accountId": account},
        "eventTime": format!("2026-11-10T10:00:{secs:02}Z"),
        "eventSource": "signin.amazonaws.com",
        "eventName": name,
        "awsRegion": "us-east-1",
        "sourceIPAddress": "203.0.113.50",
        "userAgent": agent,
        "requestParameters": null,
        "responseElements": {"ConsoleLogin": "Success"},
        "additionalEventData": {"MFAUsed": "Yes"},
        "eventID": id,
        "eventType": "AwsConsoleSignIn",
        "recipientAccountId": account
    });
    if let (Some(o), Some(e)) = (r.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            o.insert(k.clone(), v.clone());
        }
    }
    r
}

/// A test's folder: its config (`parapet.toml`), `accounts.csv`, CloudTrail files under `src`
/// and the data folder.
struct Setup {
    tmp: tempfile::TempDir,
    config: PathBuf,
    data: PathBuf,
    src: PathBuf,
}

impl Setup {
    fn new() -> Setup {
        let tmp = tempfile::tempdir().expect("tmp");
        let (config, data, src) = (
            tmp.path().join("parapet.toml"),
            tmp.path().join("data"),
            tmp.path().join("src"),
        );
        std::fs::create_dir_all(&src).expect("mkdir");
        Setup {
            tmp,
            config,
            data,
            src,
        }
    }

    fn dir(&self) -> &Path {
        self.tmp.path()
    }

    /// Writes the config: `version = 1` and `text`.
    fn config(&self, text: &str) {
        std::fs::write(&self.config, format!("version = 1\n{text}")).expect("config");
    }

    /// Writes `accounts.csv` with these rows under the header
    /// `id,name,team,env,owner,ou,channel`.
    fn accounts(&self, rows: &[&str]) {
        let mut csv = String::from("id,name,team,env,owner,ou,channel\n");
        for r in rows {
            csv.push_str(r);
            csv.push('\n');
        }
        std::fs::write(self.dir().join("accounts.csv"), csv).expect("csv");
    }

    /// Writes a CloudTrail file of `records` into `src`.
    fn logs(&self, file: &str, records: &[serde_json::Value]) {
        std::fs::write(
            self.src.join(file),
            serde_json::json!({ "Records": records }).to_string(),
        )
        .expect("write");
    }

    /// `base` (parapet, or parapet on moto) with this config and data folder.
    fn on(&self, mut base: Command) -> Command {
        base.arg("-c").arg(&self.config).arg("--data-dir").arg(&self.data);
        base
    }

    fn cli(&self) -> Command {
        self.on(parapet())
    }

    /// The outbox's messages in one state.
    fn outbox(&self, status: &str) -> Vec<serde_json::Value> {
        let out = ok(self
            .cli()
            .args(["notify", "list", "--json", "--limit", "1000", "--status", status]));
        serde_json::from_str(&out).expect("outbox json")
    }
}

#[test]
fn findings_reach_their_team_channels_once_each_through_retries_and_rate_limits() {
    let rx = Receiver::start();
    let st = Setup::new();
    st.accounts(&[
        "111122223333,payments-prod,payments,prod,pay@example.com,Root/Workloads/Prod,pay-alerts",
        "444455556666,lab,research,dev,lab@example.com,Root/Sandbox,no-such-channel",
    ]);
    let base = format!("http://127.0.0.1:{}", rx.port);
    st.config(&format!(
        r#"[accounts]
csv = "accounts.csv"
[notify]
fallback = "sec-info"
max_attempts = 3
retry_base_ms = 200
# Every reopening told (the throttle has its own test).
throttle_minutes = 0
[[notify.channels]]
name = "pay-alerts"
kind = "slack"
url = "{base}/slack/pay"
[[notify.channels]]
name = "sec-info"
kind = "slack"
url = "{base}/slack/info"
[[notify.channels]]
name = "siem"
kind = "webhook"
url = "{base}/hook"
secret = "s3cret"
[[notify.channels]]
name = "audit"
kind = "file"
path = "out/notifications.jsonl"
[[notify.routes]]
min_severity = "medium"
to = ["team"]
[[notify.routes]]
min_severity = "critical"
to = ["siem", "audit"]
"#
    ));
    let agent = "Mozilla/5.0 <!channel> <script>alert(1)</script>";
    let records = vec![
        // Root signs in to payments-prod: critical (team, siem, audit) and root usage (high, team).
        record(
            "111122223333",
            "ConsoleLogin",
            "n-1",
            1,
            agent,
            serde_json::json!({}),
        ),
        // A security group opened in the lab: medium, to the lab's channel, which is not
        // configured: the fallback.
        record(
            "444455556666",
            "AuthorizeSecurityGroupIngress",
            "n-2",
            2,
            "aws-cli/2",
            serde_json::json!({
                "eventSource": "ec2.amazonaws.com",
                "eventType": "AwsApiCall",
                "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::444455556666:user/dev", "accountId": "444455556666", "userName": "dev"},
                "requestParameters": {"groupId": "sg-1"},
                "responseElements": {"_return": true}
            }),
        ),
    ];
    st.logs(
        "111122223333_CloudTrail_us-east-1_20261110T1000Z_n.json",
        &records,
    );
    let cli = || st.cli();
    rx.answer("/slack/pay", vec![(500, vec![])]);
    rx.answer("/hook", vec![(429, vec![("Retry-After".into(), "1".into())])]);
    ok(cli().args(["--quiet", "ingest"]).arg(&st.src));
    // Ingest queued the messages; nothing is sent yet.
    let pending = st.outbox("pending");
    let mut per_channel: BTreeMap<String, usize> = BTreeMap::new();
    for m in &pending {
        *per_channel
            .entry(m["channel"].as_str().unwrap_or_default().into())
            .or_default() += 1;
    }
    assert_eq!(
        per_channel,
        BTreeMap::from([
            ("audit".to_string(), 1),
            ("pay-alerts".to_string(), 2),
            ("sec-info".to_string(), 1),
            ("siem".to_string(), 1)
        ]),
        "{pending:#?}"
    );
    assert!(rx.received().is_empty());

    let out = ok(cli().args(["notify", "send", "--until-empty", "--json"]));
    let report: serde_json::Value = serde_json::from_str(&out).expect("send json");
    assert_eq!(report["delivery"]["pending"], 0, "{report}");
    assert_eq!(report["delivery"]["dead"], 0, "{report}");
    assert_eq!(st.outbox("sent").len(), 5);

    let got = rx.received();
    // Every key was taken (2xx) exactly once, and they are the outbox's keys.
    let mut taken: BTreeMap<String, usize> = BTreeMap::new();
    for r in got.iter().filter(|r| r.status < 300) {
        *taken
            .entry(r.headers.get("idempotency-key").cloned().unwrap_or_default())
            .or_default() += 1;
    }
    let keys: Vec<String> = pending
        .iter()
        .filter(|m| m["channel"] != "audit")
        .map(|m| m["idempotency_key"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(taken.len(), keys.len(), "{taken:?}");
    assert!(taken.values().all(|n| *n == 1), "{taken:?}");
    assert!(keys.iter().all(|k| taken.contains_key(k)));
    // The 500 was retried; the 429 was waited out for its Retry-After.
    let pay: Vec<&Received> = got.iter().filter(|r| r.path == "/slack/pay").collect();
    assert_eq!(pay.iter().map(|r| r.status).filter(|s| *s == 500).count(), 1);
    assert_eq!(pay.len(), 3);
    let hook: Vec<&Received> = got.iter().filter(|r| r.path == "/hook").collect();
    assert_eq!(hook.iter().map(|r| r.status).collect::<Vec<_>>(), [429, 200]);
    assert!(hook[1].at.duration_since(hook[0].at).as_millis() >= 950);
    // The webhook body is signed with the channel's secret.
    {
        use hmac::{KeyInit, Mac};
        let h = hook[1];
        let mut mac = hmac::Hmac::<sha2_011::Sha256>::new_from_slice(b"s3cret").expect("key");
        mac.update(format!("{}.{}", h.headers["x-parapet-timestamp"], h.body).as_bytes());
        let want = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
        assert_eq!(h.headers["x-parapet-signature"], want);
        let doc: serde_json::Value = serde_json::from_str(&h.body).expect("json");
        assert_eq!(doc["account"]["name"], "payments-prod");
        assert_eq!(doc["finding"]["rule_id"], "aws.root_console_login");
    }
    // Slack gets the account's name and team, and log text as text.
    for r in &pay {
        assert!(
            r.body.contains("payments-prod") && r.body.contains("payments"),
            "{}",
            r.body
        );
    }
    let root = pay
        .iter()
        .find(|r| r.body.contains("root_console_login"))
        .expect("root alert");
    assert!(
        !root.body.contains("<!channel>") && !root.body.contains("<script>"),
        "{}",
        root.body
    );
    // The user agent is in the message, as text.
    assert!(
        root.body
            .contains("&lt;!channel&gt; &lt;script&gt;alert(1)&lt;/script&gt;"),
        "{}",
        root.body
    );
    assert!(root.body.contains("203.0.113.50"), "{}", root.body);
    let info: Vec<&Received> = got.iter().filter(|r| r.path == "/slack/info").collect();
    assert_eq!(info.len(), 1);
    assert!(info[0].body.contains("lab (444455556666)"), "{}", info[0].body);
    // The file channel holds the critical alert as a JSON line.
    let lines = std::fs::read_to_string(st.dir().join("out/notifications.jsonl")).expect("file channel");
    assert_eq!(lines.lines().count(), 1);

    // Running again tells nothing new.
    let again: serde_json::Value =
        serde_json::from_str(&ok(cli().args(["notify", "send", "--json"]))).expect("json");
    assert_eq!(again["queued"]["messages"], 0, "{again}");
    assert_eq!(again["delivery"]["sent"], 0, "{again}");

    // A channel that keeps failing: dead after max_attempts, visible, and retried by hand.
    rx.answer("/slack/info", vec![(500, vec![]), (500, vec![]), (500, vec![])]);
    let more = vec![record(
        "444455556666",
        "AuthorizeSecurityGroupIngress",
        "n-3",
        3,
        "aws-cli/2",
        serde_json::json!({
            "eventSource": "ec2.amazonaws.com",
            "eventType": "AwsApiCall",
            "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::444455556666:user/other", "accountId": "444455556666", "userName": "other"},
            "requestParameters": {"groupId": "sg-2"},
            "responseElements": {"_return": true}
        }),
    )];
    // The same finding (grouped by account) gets a new event: nothing new to tell. Resolve it
    // first so the new event reopens it.
    let findings: Vec<serde_json::Value> = serde_json::from_str(&ok(cli().args([
        "findings",
        "list",
        "--json",
        "--rule",
        "aws.security_group_changes",
    ])))
    .expect("json");
    let id = findings[0]["id"].as_i64().expect("id").to_string();
    ok(cli().args(["findings", "resolve", &id, "-m", "closed the group"]));
    st.logs("111122223333_CloudTrail_us-east-1_20261110T1005Z_m.json", &more);
    ok(cli().args(["--quiet", "ingest"]).arg(&st.src));
    let out = run(cli().args(["notify", "send", "--until-empty", "--json"]));
    assert_eq!(
        out.status.code(),
        Some(3),
        "a dead message makes the exit code say so"
    );
    let dead = st.outbox("dead");
    assert_eq!(dead.len(), 1, "{dead:#?}");
    assert_eq!(dead[0]["attempts"], 3);
    assert!(dead[0]["last_error"].as_str().unwrap_or_default().contains("500"));
    assert!(dead[0]["idempotency_key"]
        .as_str()
        .unwrap_or_default()
        .contains(".a2."));
    ok(cli().args(["notify", "retry", "--all"]));
    ok(cli().args(["notify", "send", "--until-empty"]));
    assert!(st.outbox("dead").is_empty());
    assert_eq!(st.outbox("sent").len(), 6);
}

#[test]
fn a_sender_killed_with_messages_in_flight_loses_none_when_started_again() {
    let rx = Receiver::start();
    rx.delay_ms.store(300, std::sync::atomic::Ordering::Relaxed);
    let st = Setup::new();
    st.config(&format!(
        "[notify]\nfallback = \"hook\"\n[[notify.channels]]\nname = \"hook\"\nkind = \"webhook\"\nurl = \"http://127.0.0.1:{}/hook\"\n",
        rx.port
    ));
    // Twelve accounts, a root sign-in each: twelve findings, twelve messages.
    let records: Vec<serde_json::Value> = (0..12)
        .map(|i| {
            let account = format!("1000000000{i:02}");
            record(
                &account,
                "ConsoleLogin",
                &format!("k-{i}"),
                i,
                "Mozilla/5.0",
                serde_json::json!({}),
            )
        })
        .collect();
    st.logs(
        "100000000000_CloudTrail_us-east-1_20261110T1000Z_k.json",
        &records,
    );
    let cli = || st.cli();
    ok(cli().args(["--quiet", "ingest"]).arg(&st.src));
    let queued = st.outbox("pending");
    let keys: std::collections::BTreeSet<String> = queued
        .iter()
        .map(|m| m["idempotency_key"].as_str().unwrap_or_default().to_string())
        .collect();
    assert!(keys.len() >= 12, "{queued:#?}");
    // Start sending, and kill the sender (SIGKILL: no clean-up) after a few deliveries.
    let mut child = cli()
        .args(["--quiet", "notify", "send", "--until-empty"])
        .spawn()
        .expect("spawn");
    let start = Instant::now();
    while rx.received().len() < 3 && start.elapsed().as_secs() < 30 {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.kill().expect("kill");
    let _ = child.wait();
    let before = rx.received().len();
    assert!(before < keys.len(), "the sender finished before it was killed");
    // Started again, it sends the rest.
    rx.delay_ms.store(0, std::sync::atomic::Ordering::Relaxed);
    ok(cli().args(["--quiet", "notify", "send", "--until-empty"]));
    assert!(st.outbox("pending").is_empty());
    // Every key arrived; a receiver that drops repeated keys processes each exactly once, and
    // the only repeats are the messages in flight when the sender died.
    let got = rx.received();
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for r in &got {
        *seen
            .entry(r.headers.get("idempotency-key").cloned().unwrap_or_default())
            .or_default() += 1;
    }
    assert_eq!(
        seen.keys().cloned().collect::<std::collections::BTreeSet<_>>(),
        keys
    );
    let repeats: usize = seen.values().map(|n| n - 1).sum();
    assert!(repeats <= 1, "{seen:?}");
}

/// A real SMTP server (aiosmtpd from the test virtualenv) writing what it receives to a maildir.
struct SmtpServer {
    child: std::process::Child,
    port: u16,
    maildir: std::path::PathBuf,
}

impl SmtpServer {
    fn start(dir: &Path) -> SmtpServer {
        let port = TcpListener::bind("127.0.0.1:0")
            .expect("bind")
            .local_addr()
            .expect("addr")
            .port();
        let maildir = dir.join("maildir");
        let child = std::process::Command::new(crate::support::venv_bin().join("python"))
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}")])
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(&maildir)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("aiosmtpd starts");
        let start = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(start.elapsed().as_secs() < 30, "aiosmtpd did not start");
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        SmtpServer { child, port, maildir }
    }

    /// The raw messages received.
    fn messages(&self) -> Vec<String> {
        let mut out = Vec::new();
        for sub in ["new", "cur"] {
            if let Ok(entries) = std::fs::read_dir(self.maildir.join(sub)) {
                for e in entries.flatten() {
                    out.push(std::fs::read_to_string(e.path()).unwrap_or_default());
                }
            }
        }
        out
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn alerts_reach_a_real_smtp_server_as_text_and_escaped_html() {
    let st = Setup::new();
    let smtp = SmtpServer::start(st.dir());
    st.config(&format!(
        "[notify]\nfallback = \"mail\"\n[[notify.channels]]\nname = \"mail\"\nkind = \"email\"\nurl = \"smtp://127.0.0.1:{}\"\nfrom = \"parapet@example.com\"\nto = [\"secops@example.com\", \"oncall@example.com\"]\n",
        smtp.port
    ));
    // The principal's name carries markup: it is in the finding's summary.
    let records = vec![record(
        "777788889999",
        "ConsoleLogin",
        "m-1",
        1,
        "curl",
        serde_json::json!({
            "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::777788889999:user/<script>alert(1)</script>", "accountId": "777788889999", "userName": "x"},
            "additionalEventData": {"MFAUsed": "No"}
        }),
    )];
    st.logs(
        "777788889999_CloudTrail_us-east-1_20261110T1000Z_m.json",
        &records,
    );
    let cli = || st.cli();
    ok(cli().args(["--quiet", "ingest"]).arg(&st.src));
    ok(cli().args(["--quiet", "notify", "send", "--until-empty"]));
    let sent = st.outbox("sent");
    assert!(!sent.is_empty());
    let start = Instant::now();
    while smtp.messages().len() < sent.len() && start.elapsed().as_secs() < 10 {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let mails = smtp.messages();
    assert_eq!(mails.len(), sent.len(), "one e-mail per queued message");
    for mail in &mails {
        assert!(
            mail.contains("secops@example.com") && mail.contains("oncall@example.com"),
            "{mail}"
        );
        assert!(mail.contains("From: parapet@example.com"), "{mail}");
        assert!(mail.contains("Message-ID: <f"), "{mail}");
        let text = mime_part(mail, "text/plain");
        let html = mime_part(mail, "text/html");
        // The text part says what happened in words; the HTML part holds the principal's
        // markup as text, never as markup.
        assert!(text.contains("<script>alert(1)</script>"), "{text}");
        assert!(
            html.contains("&lt;script&gt;") && !html.contains("<script>"),
            "{html}"
        );
    }
}

/// The decoded body of a message's first MIME part of `content_type` (quoted-printable or
/// plain 7bit, as lettre writes them).
fn mime_part(mail: &str, content_type: &str) -> String {
    let mail = mail.replace("\r\n", "\n");
    let Some(at) = mail.find(&format!("Content-Type: {content_type}")) else {
        return String::new();
    };
    let part = &mail[at..];
    let (head, rest) = part.split_once("\n\n").unwrap_or((part, ""));
    let body = rest.split("\n--").next().unwrap_or_default();
    if !head.contains("quoted-printable") {
        return body.to_string();
    }
    let joined = body.replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&joined[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[test]
fn quiet_hours_digests_throttling_teams_cards_and_timeouts() {
    let rx = Receiver::start();
    let st = Setup::new();
    st.accounts(&["111122223333,payments-prod,payments,prod,pay@example.com,Root/Workloads/Prod,pay-teams"]);
    let base = format!("http://127.0.0.1:{}", rx.port);
    // Quiet hours around the current UTC hour: from an hour ago to two hours ahead.
    let hour = (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs()
        / 3600)
        % 24;
    let quiet = format!("{:02}:00-{:02}:00", (hour + 23) % 24, (hour + 2) % 24);
    st.config(&format!(
        r#"[accounts]
csv = "accounts.csv"
[notify]
timezone = "UTC"
quiet_hours = "{quiet}"
timeout_secs = 1
retry_base_ms = 200
max_attempts = 5
[[notify.channels]]
name = "pay-teams"
kind = "teams"
url = "{base}/teams/pay"
[[notify.channels]]
name = "sec-digest"
kind = "slack"
url = "{base}/slack/digest"
[[notify.routes]]
min_severity = "medium"
to = ["team"]
[[notify.routes]]
max_severity = "low"
to = ["sec-digest"]
digest = "daily"
"#
    ));
    let failed_login = |id: &str, secs: u32| {
        record(
            "111122223333",
            "ConsoleLogin",
            id,
            secs,
            "Mozilla/5.0",
            serde_json::json!({
                "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/alice", "accountId": "111122223333", "userName": "alice"},
                "responseElements": {"ConsoleLogin": "Failure"},
                "errorMessage": "Failed authentication",
                "additionalEventData": {"MFAUsed": "No"}
            }),
        )
    };
    let records = vec![
        // Root signs in: critical, told at once even in quiet hours.
        record(
            "111122223333",
            "ConsoleLogin",
            "q-1",
            1,
            "Mozilla/5.0 [x](http://evil.example)",
            serde_json::json!({}),
        ),
        // A security group opened: medium, held until quiet hours end.
        record(
            "111122223333",
            "AuthorizeSecurityGroupIngress",
            "q-2",
            2,
            "aws-cli/2",
            serde_json::json!({
                "eventSource": "ec2.amazonaws.com",
                "eventType": "AwsApiCall",
                "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/dev", "accountId": "111122223333", "userName": "dev"},
                "requestParameters": {"groupId": "sg-1"},
                "responseElements": {"_return": true}
            }),
        ),
        // A failed sign-in: low, into the daily digest.
        failed_login("q-3", 3),
    ];
    st.logs(
        "111122223333_CloudTrail_us-east-1_20261110T1000Z_q.json",
        &records,
    );
    let cli = || st.cli();
    // Teams takes 1.5 s over the first answer: longer than the 1 s timeout.
    rx.answer(
        "/teams/pay",
        vec![(200, vec![("x-test-delay-ms".into(), "1500".into())])],
    );
    ok(cli().args(["--quiet", "ingest"]).arg(&st.src));
    let out = ok(cli().args(["notify", "send", "--until-empty", "--json"]));
    let report: serde_json::Value = serde_json::from_str(&out).expect("json");
    // Ingest queued them. Held: the root usage (high) and the security group (medium) alerts.
    assert_eq!(report["delivery"]["pending"], 2, "{report}");
    assert_eq!(report["delivery"]["held"], 2, "{report}");
    assert_eq!(report["delivery"]["dead"], 0, "{report}");

    // The critical alert reached Teams as an Adaptive Card, after a timeout and a retry with
    // the same idempotency key.
    let teams: Vec<Received> = rx
        .received()
        .into_iter()
        .filter(|r| r.path == "/teams/pay")
        .collect();
    assert_eq!(teams.len(), 2, "{teams:#?}");
    assert_eq!(
        teams[0].headers["idempotency-key"],
        teams[1].headers["idempotency-key"]
    );
    let sent = st.outbox("sent");
    assert_eq!(sent.len(), 1, "{sent:#?}");
    assert_eq!(sent[0]["attempts"], 2, "one timeout, then taken");
    let card: serde_json::Value = serde_json::from_str(&teams[1].body).expect("json");
    assert_eq!(
        card["attachments"][0]["contentType"],
        "application/vnd.microsoft.card.adaptive"
    );
    let text = card["attachments"][0]["content"]["body"].to_string();
    assert!(
        text.contains("payments-prod") && text.contains("Root console sign-in"),
        "{text}"
    );
    // The user agent's Markdown link arrives escaped, as text.
    assert!(text.contains(r"\\[x\\]\\(http://evil.example\\)"), "{text}");

    // The others wait for the end of quiet hours.
    let pending = st.outbox("pending");
    assert_eq!(pending.len(), 2);
    let end = format!("T{:02}:00:00Z", (hour + 2) % 24);
    for p in &pending {
        assert!(
            p["next_attempt"].as_str().unwrap_or_default().ends_with(&end),
            "{pending:#?}"
        );
        assert_eq!(p["attempts"], 0);
    }

    // The digest goes at 09:00, or now when asked, with the account's name.
    ok(cli().args(["notify", "send", "--digests-now", "--until-empty"]));
    let digests: Vec<Received> = rx
        .received()
        .into_iter()
        .filter(|r| r.path == "/slack/digest")
        .collect();
    assert_eq!(digests.len(), 1);
    let body = &digests[0].body;
    assert!(
        body.contains("daily digest: 1 finding")
            && body.contains("Console sign-in failed")
            && body.contains("payments-prod (111122223333), team payments"),
        "{body}"
    );
    assert!(digests[0].headers["idempotency-key"].starts_with("d.daily."));

    // Root signs in again after the finding was resolved: reopened, but within the hour's
    // throttle and no more severe, so not told again.
    let findings: Vec<serde_json::Value> = serde_json::from_str(&ok(cli().args([
        "findings",
        "list",
        "--json",
        "--rule",
        "aws.root_console_login",
    ])))
    .expect("json");
    let id = findings[0]["id"].as_i64().expect("id").to_string();
    ok(cli().args(["findings", "resolve", &id, "-m", "it was us"]));
    let messages = |cli: &mut std::process::Command| -> usize {
        let out = ok(cli.args(["notify", "list", "--json", "--limit", "1000"]));
        serde_json::from_str::<Vec<serde_json::Value>>(&out)
            .expect("json")
            .len()
    };
    let before = messages(&mut cli());
    st.logs(
        "111122223333_CloudTrail_us-east-1_20261110T1005Z_r.json",
        &[record(
            "111122223333",
            "ConsoleLogin",
            "q-4",
            9,
            "Mozilla/5.0",
            serde_json::json!({}),
        )],
    );
    ok(cli().args(["--quiet", "ingest"]).arg(&st.src));
    // (ingest queues: the reopening was passed over there.)
    assert_eq!(messages(&mut cli()), before);
    let reopened: Vec<serde_json::Value> = serde_json::from_str(&ok(cli().args([
        "findings",
        "list",
        "--json",
        "--rule",
        "aws.root_console_login",
    ])))
    .expect("json");
    assert_eq!(reopened[0]["status"], "new", "{reopened:#?}");
}

/// On moto: an EventBridge rule sends GuardDuty, Security Hub and AWS Health events to a queue,
/// and `PutEvents` publishes one sample of each (prints the queue URL).
const EVENTBRIDGE: &str = r#"
import sys, json, boto3
endpoint, gd, sh, health = sys.argv[1:5]
kw = dict(endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test")
sqs, events = boto3.client("sqs", **kw), boto3.client("events", **kw)
url = sqs.create_queue(QueueName="security-events")["QueueUrl"]
arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
events.put_rule(Name="to-parapet", EventPattern=json.dumps({"source": ["aws.guardduty", "aws.securityhub", "aws.health"]}))
events.put_targets(Rule="to-parapet", Targets=[{"Id": "queue", "Arn": arn}])
health_event = json.loads(open(health).readline())
# moto's EventBridge leaves `account` out of the envelope it delivers; AWS Health's own
# `affectedAccount` names the account as it does in real events.
health_event["detail"].setdefault("affectedAccount", health_event["account"])
r = events.put_events(Entries=[
    {"Source": "aws.guardduty", "DetailType": "GuardDuty Finding", "Detail": open(gd).read()},
    {"Source": "aws.securityhub", "DetailType": "Security Hub Findings - Imported",
     "Detail": json.dumps({"findings": [json.load(open(sh))]})},
    {"Source": "aws.health", "DetailType": "AWS Health Event", "Detail": json.dumps(health_event["detail"])},
])
assert r["FailedEntryCount"] == 0, r
print(url)
"#;

#[test]
fn managed_findings_live_from_eventbridge_reach_their_teams_with_the_account_name() {
    let rx = Receiver::start();
    let moto = crate::support::Moto::start();
    let testdata = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata");
    let sample = |p: &str| testdata.join(p).to_str().expect("utf8").to_string();
    let url = crate::support::python(
        EVENTBRIDGE,
        &[
            &moto.endpoint,
            &sample("guardduty/guardduty_ec2_event.json"),
            &sample("securityhub/asr/simtest/simdata/afsbp-rds.1.json"),
            &sample("health/health_events.ndjson"),
        ],
    )
    .trim()
    .to_string();
    let st = Setup::new();
    st.accounts(&[
        "123456789012,payments-prod,payments,prod,pay@example.com,Root/Workloads/Prod,pay-alerts",
        "111111111111,platform-lab,platform,dev,plat@example.com,Root/Sandbox,plat-alerts",
    ]);
    let base = format!("http://127.0.0.1:{}", rx.port);
    // No routes: the defaults (medium and above to the team; BLEA's `critical` channel).
    st.config(&format!(
        r#"[accounts]
csv = "accounts.csv"
[[notify.channels]]
name = "pay-alerts"
kind = "slack"
url = "{base}/slack/pay"
[[notify.channels]]
name = "plat-alerts"
kind = "webhook"
url = "{base}/hook/plat"
[[notify.channels]]
name = "critical"
kind = "slack"
url = "{base}/slack/critical"
"#
    ));
    let cli = || st.on(moto.parapet());
    let out = ok(cli().args([
        "ingest",
        "--follow",
        "--sqs",
        &url,
        "--wait",
        "2",
        "--visibility",
        "30",
        "--rounds",
        "2",
        "--json",
    ]));
    assert!(
        out.contains("\"deleted\":3") || out.contains("\"deleted\": 3"),
        "{out}"
    );
    let out = ok(cli().args(["notify", "send", "--until-empty", "--json"]));
    let report: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(
        report["delivery"]["sent"],
        4,
        "{report}\n{:#?}",
        rx.received()
            .iter()
            .map(|r| (&r.path, &r.body))
            .collect::<Vec<_>>()
    );

    let got = rx.received();
    let at = |path: &str| -> Vec<String> {
        got.iter()
            .filter(|r| r.path == path)
            .map(|r| r.body.clone())
            .collect()
    };
    // GuardDuty (medium) and Health (issue: high) in payments-prod reach the payments channel.
    let pay = at("/slack/pay");
    assert_eq!(pay.len(), 2, "{pay:#?}");
    assert!(
        pay.iter().all(|b| b.contains("payments-prod (123456789012)")),
        "{pay:#?}"
    );
    assert!(pay.iter().any(|b| b.contains("guardduty.")), "{pay:#?}");
    assert!(
        pay.iter()
            .any(|b| b.contains("AWS_EC2_INSTANCE_STORE_DRIVE_PERFORMANCE_DEGRADED")),
        "{pay:#?}"
    );
    // Security Hub's critical RDS.1 in the platform account: the platform team's webhook, and
    // the BLEA-style critical channel.
    let plat = at("/hook/plat");
    assert_eq!(plat.len(), 1, "{plat:#?}");
    let doc: serde_json::Value = serde_json::from_str(&plat[0]).expect("json");
    assert_eq!(doc["account"]["name"], "platform-lab");
    assert_eq!(doc["account"]["team"], "platform");
    assert_eq!(doc["finding"]["severity"], "critical");
    assert!(
        doc["finding"]["rule_id"]
            .as_str()
            .unwrap_or_default()
            .starts_with("securityhub."),
        "{doc}"
    );
    let critical = at("/slack/critical");
    assert_eq!(critical.len(), 1, "{critical:#?}");
    assert!(
        critical[0].contains("platform-lab (111111111111)"),
        "{}",
        critical[0]
    );
}
