//! `parapet serve`: the dashboard over a real data folder, spoken to over HTTP: escaping of
//! log-derived text everywhere, the token off loopback, CSRF on actions, read-only SQL with
//! limits.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use crate::support::{ok, parapet};

/// A running `parapet serve`, stopped with SIGTERM on drop.
pub(crate) struct Server {
    child: Child,
    pub port: u16,
}

impl Server {
    pub(crate) fn start(mut cmd: Command) -> Server {
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("parapet serve starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("the listening line");
        let port = line
            .trim()
            .trim_end_matches('/')
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("no port in {line:?}"));
        Server { child, port }
    }

    /// Stops it with SIGTERM and returns whether it exited cleanly.
    pub(crate) fn stop(mut self) -> bool {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let ok = self.child.wait().map(|s| s.success()).unwrap_or(false);
        std::mem::forget(self);
        ok
    }

    /// One HTTP/1.1 request; returns status, headers (lower-case names) and body.
    pub(crate) fn request(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Response {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).expect("connect");
        let mut req = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\n",
            self.port
        );
        for (k, v) in headers {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
        if !body.is_empty() || method == "POST" {
            req.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        req.push_str("\r\n");
        req.push_str(body);
        s.write_all(req.as_bytes()).expect("send");
        let mut raw = Vec::new();
        s.read_to_end(&mut raw).expect("read");
        let text = String::from_utf8_lossy(&raw).into_owned();
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
        let mut lines = head.lines();
        let status = lines
            .next()
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
            .collect();
        Response {
            status,
            headers,
            body: body.to_string(),
        }
    }

    pub(crate) fn get(&self, path: &str) -> Response {
        self.request("GET", path, &[], "")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[derive(Debug)]
pub(crate) struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Response {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

const SCRIPT: &str = "<script>alert('ua')</script>";

/// A data folder with one root console sign-in whose user agent is a script tag, ingested
/// with detection (a critical finding).
pub(crate) fn hostile_data(dir: &Path) -> (PathBuf, PathBuf) {
    let src = dir.join("src/AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/10");
    std::fs::create_dir_all(&src).expect("mkdir");
    let record = serde_json::json!({
        "eventVersion": "1.08",
        "userIdentity": {"type": "Root", "principalId": "111122223333", "arn": "arn:aws:iam::111122223333:root", "accountId": "111122223333"},
        "eventTime": "2026-11-10T10:00:00Z",
        "eventSource": "signin.amazonaws.com",
        "eventName": "ConsoleLogin",
        "awsRegion": "us-east-1",
        "sourceIPAddress": "203.0.113.50",
        "userAgent": SCRIPT,
        "requestParameters": null,
        "responseElements": {"ConsoleLogin": "Success"},
        "additionalEventData": {"MFAUsed": "No"},
        "eventID": "0b7a3c1e-0000-4000-8000-000000000001",
        "eventType": "AwsConsoleSignIn",
        "recipientAccountId": "111122223333"
    });
    std::fs::write(
        src.join("111122223333_CloudTrail_us-east-1_20261110T1000Z_a.json"),
        serde_json::json!({"Records": [record]}).to_string(),
    )
    .expect("write");
    let accounts = dir.join("accounts.csv");
    std::fs::write(
        &accounts,
        "id,name,team,env,owner,ou,channel\n111122223333,<b>payments</b>-prod,payments,prod,o@example.com,Root/Workloads,\n",
    )
    .expect("csv");
    let data = dir.join("data");
    ok(parapet()
        .arg("--data-dir")
        .arg(&data)
        .args(["--quiet", "ingest", "--accounts"])
        .arg(&accounts)
        .arg(dir.join("src")));
    (data, accounts)
}

pub(crate) fn serve(data: &Path, accounts: &Path, args: &[&str]) -> Server {
    let config = data.parent().expect("dir").join("parapet.toml");
    std::fs::write(
        &config,
        format!(
            "version = 1\n[accounts]\ncsv = \"{}\"\n[server]\nquery_max_rows = 5\nquery_timeout_secs = 20\n",
            accounts.display()
        ),
    )
    .expect("config");
    let mut c = parapet();
    c.arg("--data-dir")
        .arg(data)
        .arg("--config")
        .arg(&config)
        .args(["--quiet", "serve"])
        .args(args);
    Server::start(c)
}

const PAGES: &[&str] = &[
    "/",
    "/findings",
    "/findings/1",
    "/accounts",
    "/accounts/111122223333",
    "/posture",
    "/cost",
    "/search",
];
const APIS: &[&str] = &[
    "/api/overview",
    "/api/findings",
    "/api/findings/1",
    "/api/accounts",
    "/api/accounts/111122223333/diagrams",
    "/api/cost",
    "/healthz",
    "/metrics",
];

#[test]
fn log_text_is_text_everywhere_and_actions_need_the_csrf_token() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (data, accounts) = hostile_data(tmp.path());
    let server = serve(&data, &accounts, &["--bind", "127.0.0.1:0"]);
    let ua_sql = "/search?sql=SELECT%20useragent%2C%20account_name%20FROM%20cloudtrail";
    for path in PAGES.iter().copied().chain([ua_sql, "/findings?status=all"]) {
        let r = server.get(path);
        assert_eq!(r.status, 200, "{path}: {}", r.body);
        assert!(!r.body.contains("<script"), "{path} carries a live script tag");
        assert!(
            !r.body.contains("<b>payments"),
            "{path} carries live markup from accounts.csv"
        );
        let csp = r.header("content-security-policy").expect("a CSP");
        assert!(csp.starts_with("default-src 'none'"), "{csp}");
    }
    // The escaped text is there, as text.
    let search = server.get(ua_sql);
    assert!(
        search
            .body
            .contains("&lt;script&gt;alert(&#39;ua&#39;)&lt;/script&gt;"),
        "{}",
        search.body
    );
    assert!(
        search.body.contains("&lt;b&gt;payments&lt;/b&gt;-prod"),
        "{}",
        search.body
    );
    let detail = server.get("/findings/1");
    assert!(
        detail.body.contains("&lt;script&gt;"),
        "the excerpt shows the agent: {}",
        detail.body
    );
    for api in APIS {
        assert_eq!(server.get(api).status, 200, "{api}");
    }
    let f: serde_json::Value = serde_json::from_str(&server.get("/api/findings/1").body).expect("json");
    assert!(
        f["rule_id"].as_str().is_some_and(|r| r.starts_with("aws.root_")),
        "{f}"
    );
    assert_eq!(
        f["account_name"], "<b>payments</b>-prod",
        "JSON carries the raw value"
    );

    // Acknowledging: without the page's token refused, with it done, from another site refused.
    let form = "action=acknowledge&reason=expected%20break-glass%20test";
    let no_token = server.request(
        "POST",
        "/findings/1/status",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        form,
    );
    assert_eq!(no_token.status, 403, "{}", no_token.body);
    let page = server.get("/findings/1").body;
    let csrf = page
        .split("name=\"csrf-token\" content=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("the page's CSRF token")
        .to_string();
    let with_token = format!("csrf={csrf}&{form}");
    let cross = server.request(
        "POST",
        "/findings/1/status",
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Origin", "https://evil.example"),
        ],
        &with_token,
    );
    assert_eq!(cross.status, 403, "{}", cross.body);
    let done = server.request(
        "POST",
        "/findings/1/status",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        &with_token,
    );
    assert_eq!(done.status, 303, "{}", done.body);
    let f: serde_json::Value = serde_json::from_str(&server.get("/api/findings/1").body).expect("json");
    assert_eq!(f["status"], "acknowledged");
    assert_eq!(f["actions"][0]["reason"], "expected break-glass test", "{f}");

    // SQL: reading only, limited.
    for bad in [
        "DROP TABLE cloudtrail",
        "CREATE EXTERNAL TABLE x STORED AS CSV LOCATION '/etc/passwd'",
        "COPY (SELECT 1) TO '/tmp/parapet-pwned.csv'",
        "INSERT INTO cloudtrail_ocsf SELECT * FROM cloudtrail_ocsf",
    ] {
        let r = server.request(
            "POST",
            "/api/query",
            &[("Content-Type", "application/json"), ("X-CSRF-Token", &csrf)],
            &serde_json::json!({ "sql": bad }).to_string(),
        );
        assert_eq!(r.status, 400, "{bad}: {}", r.body);
    }
    assert!(!Path::new("/tmp/parapet-pwned.csv").exists());
    let many = server.request(
        "POST",
        "/api/query",
        &[("Content-Type", "application/json"), ("X-CSRF-Token", &csrf)],
        r#"{"sql": "SELECT * FROM generate_series(1, 100)"}"#,
    );
    let v: serde_json::Value = serde_json::from_str(&many.body).expect("json");
    assert_eq!(v["rows"].as_array().map(Vec::len), Some(5), "{v}");
    assert_eq!(v["truncated"], true);
    let csv = server.get("/api/query.csv?sql=SELECT%20eventname%20FROM%20cloudtrail");
    assert_eq!(csv.status, 200);
    assert_eq!(csv.body.trim(), "eventname\nConsoleLogin");

    // Saving a search, then finding it listed.
    let form_post = |path: &str, body: &str| {
        server.request(
            "POST",
            path,
            &[("Content-Type", "application/x-www-form-urlencoded")],
            body,
        )
    };
    let saved = form_post(
        "/search/save",
        &format!("csrf={csrf}&name=agents%20%3Cb%3E&sql=SELECT%20useragent%20FROM%20cloudtrail"),
    );
    assert_eq!(saved.status, 303, "{}", saved.body);
    let list: Vec<serde_json::Value> = serde_json::from_str(&server.get("/api/queries").body).expect("json");
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["name"], "agents <b>");
    let search = server.get("/search");
    assert!(search.body.contains("agents &lt;b&gt;"), "{}", search.body);
    assert_eq!(
        form_post("/search/save", "name=x&sql=SELECT%201").status,
        403,
        "saving needs the CSRF token"
    );

    // A Sigma hunt from the page: the agent is text in the matches.
    let rule = "title: t\nid: hunt.t\nlogsource:\n    product: aws\n    service: cloudtrail\ndetection:\n    selection:\n        eventName: ConsoleLogin\n    condition: selection\n";
    let hunt = form_post(
        "/hunt",
        &format!("csrf={csrf}&days=100000&rule={}", url_encode(rule)),
    );
    assert_eq!(hunt.status, 200, "{}", hunt.body);
    assert!(
        hunt.body.contains("<span id=\"match-count\">1</span>"),
        "{}",
        hunt.body
    );
    assert!(hunt.body.contains("&lt;script&gt;"), "{}", hunt.body);
    assert!(!hunt.body.contains("<script"));
    let broken = form_post("/hunt", &format!("csrf={csrf}&rule=title%3A%20x"));
    assert!(broken.body.contains("id=\"error\""), "{}", broken.body);
    assert!(server.stop(), "SIGTERM stops the server cleanly");
}

fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[test]
fn off_loopback_every_page_and_api_call_needs_the_token() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (data, accounts) = hostile_data(tmp.path());
    // Without a token it does not start.
    let mut c = parapet();
    c.arg("--data-dir")
        .arg(&data)
        .args(["serve", "--bind", "0.0.0.0:0"])
        .env_remove("PARAPET_SERVER_TOKEN");
    let out = c.output().expect("runs");
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("without a token"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = "s3cret-token-for-the-test-0001";
    let server = serve(&data, &accounts, &["--bind", "0.0.0.0:0", "--token", token]);
    for path in PAGES.iter().chain(APIS) {
        let r = server.get(path);
        assert_eq!(r.status, 401, "{path} without the token");
        let wrong = server.request(
            "GET",
            path,
            &[("Authorization", "Bearer s3cret-token-for-the-test-0002")],
            "",
        );
        assert_eq!(wrong.status, 401, "{path} with a wrong token");
        let right = server.request("GET", path, &[("Authorization", &format!("Bearer {token}"))], "");
        assert_eq!(right.status, 200, "{path} with the token: {}", right.body);
    }
    for (path, body) in [
        ("/api/query", r#"{"sql":"SELECT 1"}"#),
        ("/api/findings/1/status", r#"{"action":"resolve","reason":"x"}"#),
    ] {
        let r = server.request("POST", path, &[("Content-Type", "application/json")], body);
        assert_eq!(r.status, 401, "{path}");
    }
    // A browser opens a page once with ?token=, gets a cookie, and is sent on without it.
    let first = server.get(&format!("/findings?token={token}"));
    assert_eq!(first.status, 303);
    let cookie = first.header("set-cookie").expect("cookie");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let pair = cookie.split(';').next().expect("pair");
    assert_eq!(
        server.request("GET", "/findings", &[("Cookie", pair)], "").status,
        200
    );
    // An API client with the bearer token needs no CSRF token.
    let r = server.request(
        "POST",
        "/api/findings/1/status",
        &[
            ("Content-Type", "application/json"),
            ("Authorization", &format!("Bearer {token}")),
        ],
        r#"{"action":"resolve","reason":"checked with the owner","by":"alice"}"#,
    );
    assert_eq!(r.status, 200, "{}", r.body);
}
