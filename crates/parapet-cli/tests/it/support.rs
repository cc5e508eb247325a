//! Helpers: run the binary, count simulated events independently, find the test tools that
//! `scripts/test-deps` installs (moto, duckdb), start moto.

use std::collections::HashSet;
use std::io::Read;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub fn parapet() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_parapet"));
    c.env_remove("PARAPET_CONFIG")
        .env_remove("PARAPET_DATA_DIR")
        .env("PARAPET_LOG", "warn");
    c
}

pub fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("parapet runs")
}

pub fn ok(cmd: &mut Command) -> String {
    let out = run(cmd);
    assert!(
        out.status.success(),
        "{:?} failed ({}):\n{}\n{}",
        cmd,
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf8 stdout")
}

/// Runs a query and returns the JSON rows.
pub fn query(data: &Path, sql: &str) -> Vec<serde_json::Value> {
    let out = ok(parapet()
        .arg("--data-dir")
        .arg(data)
        .args(["query", "--format", "json", sql]));
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("query output is not JSON ({e}): {out}"))
}

/// Simulates a small organisation's CloudTrail (only) into `dir` and returns the logs folder.
pub fn simulate(dir: &Path, accounts: usize, days: u32, events: u32) -> PathBuf {
    simulate_sources(dir, accounts, days, events, "cloudtrail");
    dir.join("logs")
}

/// Simulates `sources` (`--sources`) into `dir` and returns the simulator's JSON summary.
pub fn simulate_sources(
    dir: &Path,
    accounts: usize,
    days: u32,
    events: u32,
    sources: &str,
) -> serde_json::Value {
    let out = ok(parapet()
        .args([
            "--quiet",
            "simulate",
            "--json",
            "--seed",
            "7",
            "--sources",
            sources,
        ])
        .args([
            "--accounts",
            &accounts.to_string(),
            "--days",
            &days.to_string(),
            "--events-per-account-day",
            &events.to_string(),
            "--out",
        ])
        .arg(dir));
    serde_json::from_str(&out).expect("simulate --json prints JSON")
}

/// Every file under `dir`, in path order.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).expect("dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else {
                out.push(p);
            }
        }
    }
    let mut files = Vec::new();
    walk(dir, &mut files);
    files.sort();
    files
}

/// The eventIDs of every CloudTrail log file under `dir`, read with flate2 and serde_json only.
pub fn event_ids(dir: &Path) -> Vec<String> {
    let mut ids = Vec::new();
    for f in files_under(dir) {
        let s = f.to_string_lossy();
        if !s.contains("/CloudTrail/") || !s.ends_with(".json.gz") {
            continue;
        }
        let mut text = String::new();
        flate2::read::MultiGzDecoder::new(std::fs::File::open(&f).expect("open"))
            .read_to_string(&mut text)
            .expect("gunzip");
        let v: serde_json::Value = serde_json::from_str(&text).expect("json");
        for r in v["Records"].as_array().expect("Records") {
            ids.push(r["eventID"].as_str().expect("eventID").to_string());
        }
    }
    let unique: HashSet<&String> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "the simulator must not repeat eventIDs");
    ids
}

/// The bin folder of the test virtualenv (moto_server, python with duckdb and boto3).
pub fn venv_bin() -> PathBuf {
    let bin = std::env::var_os("PARAPET_TEST_VENV_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var("HOME").unwrap_or_default()).join(".cache/parapet-venv/bin")
        });
    assert!(
        bin.join("python").exists(),
        "the test tools are missing: run `scripts/test` (or `scripts/test-deps`) first; looked in {}",
        bin.display()
    );
    bin
}

pub fn python(script: &str, args: &[&str]) -> String {
    let out = Command::new(venv_bin().join("python"))
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .expect("python runs");
    assert!(
        out.status.success(),
        "python failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf8")
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

/// A moto server on a free loopback port, stopped on drop.
pub struct Moto {
    child: Child,
    pub endpoint: String,
}

impl Moto {
    pub fn start() -> Moto {
        let port = free_port();
        let child = Command::new(venv_bin().join("moto_server"))
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("moto_server starts");
        let endpoint = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "moto did not start on port {port}");
            std::thread::sleep(Duration::from_millis(100));
        }
        Moto { child, endpoint }
    }
}

impl Moto {
    /// `parapet` pointed at this moto with test credentials (and no profile from the host).
    pub fn parapet(&self) -> Command {
        let mut cmd = parapet();
        cmd.env("AWS_ENDPOINT_URL", &self.endpoint)
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_REGION", "us-east-1")
            .env_remove("AWS_PROFILE");
        cmd
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
