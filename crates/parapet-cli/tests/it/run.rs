//! `parapet run` under load: stopped with SIGTERM mid-ingest and started again, the service
//! ends with exactly the events, findings and notifications of a plain `ingest` + `notify send`
//! over the same bucket: nothing lost, nothing doubled.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::{event_ids, ok, parapet, query, simulate};

fn config(dir: &Path, accounts: &Path, notifications: &Path) -> std::path::PathBuf {
    let path = dir.join("parapet.toml");
    std::fs::write(
        &path,
        format!(
            r#"version = 1
[accounts]
csv = "{}"
[[notify.channels]]
name = "local"
kind = "file"
path = "{}"
[[notify.routes]]
min_severity = "low"
to = ["local"]
[run]
sync_minutes = 0
cost_minutes = 0
poll_secs = 1
"#,
            accounts.display(),
            notifications.display()
        ),
    )
    .expect("config");
    path
}

/// (rule, dedup key, distinct events) of every finding.
fn findings(data: &Path) -> BTreeSet<(String, String, i64)> {
    let out = ok(parapet().arg("--data-dir").arg(data).args([
        "findings",
        "list",
        "--json",
        "--limit",
        "1000000",
        "--status",
        "new",
        "--status",
        "acknowledged",
        "--status",
        "resolved",
        "--status",
        "suppressed",
    ]));
    let v: Vec<serde_json::Value> = serde_json::from_str(&out).expect("json");
    v.iter()
        .map(|f| {
            (
                f["rule_id"].as_str().expect("rule").to_string(),
                f["dedup_key"].as_str().expect("key").to_string(),
                f["count"].as_i64().expect("count"),
            )
        })
        .collect()
}

/// The idempotency keys of the messages a file channel received, and how many lines.
fn notifications(path: &Path) -> (BTreeSet<String>, usize) {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let keys: Vec<String> = text
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("a JSON line");
            v["idempotency_key"].as_str().unwrap_or_default().to_string()
        })
        .collect();
    (keys.iter().cloned().collect(), keys.len())
}

fn count(data: &Path) -> (u64, u64) {
    let r = query(
        data,
        "SELECT count(*) AS n, count(DISTINCT metadata_uid) AS d FROM cloudtrail",
    );
    (r[0]["n"].as_u64().unwrap_or(0), r[0]["d"].as_u64().unwrap_or(0))
}

/// The row count while the service runs (`None` while the query cannot run yet, before the
/// service has made the data folder). Queries read the ledger's view, so one that runs while
/// compaction swaps files counts each row once.
fn rows_now(data: &Path) -> Option<u64> {
    let out = parapet()
        .arg("--data-dir")
        .arg(data)
        .args([
            "query",
            "--format",
            "json",
            "SELECT count(*) AS n FROM cloudtrail",
        ])
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let v: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).ok()?;
    v.first()?["n"].as_u64()
}

fn start(config: &Path, data: &Path, logs: &Path) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_parapet"))
        .env_remove("PARAPET_CONFIG")
        .env_remove("PARAPET_DATA_DIR")
        .env("PARAPET_LOG", "warn")
        .arg("--config")
        .arg(config)
        .arg("--data-dir")
        .arg(data)
        .args(["--quiet", "run", "--no-server", "--source"])
        .arg(logs)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("parapet run starts")
}

fn term(child: &mut std::process::Child) -> bool {
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status();
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return status.success();
        }
        assert!(
            Instant::now() < deadline,
            "parapet run did not stop after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn sigterm_under_load_then_restart_loses_and_doubles_nothing() {
    let tmp = tempfile::tempdir().expect("tmp");
    let logs = simulate(&tmp.path().join("bucket"), 6, 2, 3000);
    let accounts = tmp.path().join("bucket/accounts.csv");
    let expected = event_ids(&logs).len() as u64;

    // The reference: one plain ingest and one send.
    let reference = tmp.path().join("reference");
    std::fs::create_dir_all(&reference).expect("mkdir");
    let ref_notes = reference.join("notifications.jsonl");
    let ref_config = config(&reference, &accounts, &ref_notes);
    let ref_data = reference.join("data");
    ok(parapet()
        .arg("--config")
        .arg(&ref_config)
        .arg("--data-dir")
        .arg(&ref_data)
        .args(["--quiet", "ingest"])
        .arg(&logs));
    ok(parapet()
        .arg("--config")
        .arg(&ref_config)
        .arg("--data-dir")
        .arg(&ref_data)
        .args(["--quiet", "notify", "send", "--until-empty"]));
    let ref_findings = findings(&ref_data);
    let (ref_keys, ref_lines) = notifications(&ref_notes);
    assert!(
        ref_findings.len() > 10 && ref_lines > 10,
        "the bucket should raise findings"
    );
    assert_eq!(ref_keys.len(), ref_lines);

    // The service, stopped twice under load, then left to finish.
    let service = tmp.path().join("service");
    std::fs::create_dir_all(&service).expect("mkdir");
    let notes = service.join("notifications.jsonl");
    let cfg = config(&service, &accounts, &notes);
    let data = service.join("data");
    for wait_ms in [1200, 900] {
        let mut child = start(&cfg, &data, &logs);
        std::thread::sleep(Duration::from_millis(wait_ms));
        assert!(term(&mut child), "SIGTERM stops parapet run cleanly");
    }
    let after_stops = count(&data).0;
    let mut child = start(&cfg, &data, &logs);
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let now = rows_now(&data);
        if let Some(n) = now {
            assert!(
                n <= expected,
                "a query saw {n} rows, more than the {expected} there are"
            );
        }
        let done = now == Some(expected) && notifications(&notes).1 >= ref_lines;
        if done {
            break;
        }
        assert!(Instant::now() < deadline, "the service did not catch up");
        std::thread::sleep(Duration::from_millis(500));
    }
    // One more poll round passes with nothing new, then stop.
    std::thread::sleep(Duration::from_millis(1500));
    assert!(term(&mut child));

    let (rows, distinct) = count(&data);
    assert_eq!(
        (rows, distinct),
        (expected, expected),
        "every event once (after the stops: {after_stops})"
    );
    assert_eq!(
        findings(&data),
        ref_findings,
        "the same findings with the same events"
    );
    let (keys, lines) = notifications(&notes);
    assert_eq!(lines, keys.len(), "no message sent twice");
    assert_eq!(lines, ref_lines, "every finding told once");
}

#[test]
fn demo_serves_the_dashboard_while_new_days_arrive() {
    use std::io::BufRead;
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("demo");
    let mut child = Command::new(env!("CARGO_BIN_EXE_parapet"))
        .env_remove("PARAPET_CONFIG")
        .env_remove("PARAPET_DATA_DIR")
        .env("PARAPET_LOG", "warn")
        .args([
            "demo",
            "--accounts",
            "4",
            "--days",
            "1",
            "--events-per-account-day",
            "150",
        ])
        .args(["--every", "1", "--bind", "127.0.0.1:0", "--dir"])
        .arg(&dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("demo starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = std::io::BufReader::new(stdout).lines();
    let port: u16 = loop {
        let line = lines
            .next()
            .expect("the demo prints where it listens")
            .expect("a line");
        if let Some(rest) = line.strip_prefix("listening on http://") {
            break rest
                .trim_end_matches('/')
                .rsplit(':')
                .next()
                .and_then(|p| p.parse().ok())
                .expect("port");
        }
    };
    std::thread::spawn(move || for _ in lines {});
    let data = dir.join("data");
    let before = loop {
        if let Some(n) = rows_now(&data) {
            break n;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let notes = dir.join("notifications.jsonl");
    let deadline = Instant::now() + Duration::from_secs(120);
    while !(rows_now(&data).is_some_and(|n| n > before) && notifications(&notes).1 > 0) {
        assert!(
            Instant::now() < deadline,
            "no new day arrived, or nothing was told"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).expect("the dashboard listens");
    std::io::Write::write_all(
        &mut s,
        b"GET /findings HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .expect("send");
    let mut page = String::new();
    std::io::Read::read_to_string(&mut s, &mut page).expect("read");
    assert!(
        page.starts_with("HTTP/1.1 200"),
        "{}",
        &page[..page.len().min(200)]
    );
    assert!(page.contains("<table id=\"findings\""));
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).expect("the dashboard listens");
    std::io::Write::write_all(
        &mut s,
        b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .expect("send");
    let mut metrics = String::new();
    std::io::Read::read_to_string(&mut s, &mut metrics).expect("read");
    for series in [
        "parapet_ingested_records_total{source=",
        "parapet_lake_lag_seconds{table=\"cloudtrail\"}",
        "parapet_outbox_messages{status=\"sent\"}",
        "parapet_findings_open{severity=",
    ] {
        assert!(metrics.contains(series), "{series} in:\n{metrics}");
    }
    assert!(term(&mut child), "the demo stops cleanly on SIGTERM");
}
