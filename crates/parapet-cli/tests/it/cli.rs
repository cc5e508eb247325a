//! Small commands and errors a user sees: init, config errors, read-only SQL, exit codes.

use crate::support::{ok, parapet, run};

#[test]
fn init_writes_a_config_that_loads_and_refuses_to_overwrite() {
    let tmp = tempfile::tempdir().expect("tmp");
    let path = tmp.path().join("parapet.toml");
    ok(parapet().args(["--quiet", "init"]).arg(&path));
    assert!(std::fs::read_to_string(&path)
        .expect("written")
        .contains("[ingest]"));
    let out = run(parapet().arg("init").arg(&path));
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("already exists"));
    // The written config is used: its data dir is relative to the file.
    let stats = ok(parapet()
        .arg("--config")
        .arg(&path)
        .args(["lake", "stats", "--json"]));
    assert!(
        stats.contains(&tmp.path().join("parapet-data/lake").display().to_string()),
        "{stats}"
    );
}

#[test]
fn config_errors_name_the_file_and_key() {
    let tmp = tempfile::tempdir().expect("tmp");
    let path = tmp.path().join("bad.toml");
    std::fs::write(&path, "version = 1\n[ingest]\nbuffer_mb = 0\n").expect("write");
    let out = run(parapet().arg("--config").arg(&path).args(["lake", "stats"]));
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.toml") && err.contains("ingest.buffer_mb"),
        "{err}"
    );
}

#[test]
fn queries_are_read_only_and_errors_are_clear() {
    let tmp = tempfile::tempdir().expect("tmp");
    let data = tmp.path().join("data");
    for sql in [
        "CREATE TABLE t AS SELECT 1",
        "INSERT INTO cloudtrail_ocsf SELECT * FROM cloudtrail_ocsf",
        "DROP VIEW cloudtrail",
    ] {
        let out = run(parapet().arg("--data-dir").arg(&data).args(["query", sql]));
        assert_eq!(out.status.code(), Some(1), "{sql}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("only reading queries are allowed"),
            "{sql}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let out = run(parapet()
        .arg("--data-dir")
        .arg(&data)
        .args(["query", "SELECT nosuchcolumn FROM cloudtrail"]));
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nosuchcolumn"));
    // An empty lake answers, it does not fail.
    let out = ok(parapet().arg("--data-dir").arg(&data).args([
        "query",
        "--format",
        "csv",
        "SELECT count(*) AS n FROM cloudtrail",
    ]));
    assert_eq!(out, "n\n0\n");
}

#[test]
fn partial_ingest_exits_with_code_3_and_says_why() {
    let tmp = tempfile::tempdir().expect("tmp");
    let src = tmp.path().join("src");
    std::fs::create_dir_all(&src).expect("mkdir");
    std::fs::write(src.join("broken.json"), "{\"Records\": [").expect("write");
    std::fs::copy(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../testdata/cloudtrail/otrf/ec2_proxy_s3_exfiltration_2020-09-14011940.json"),
        src.join("good.json"),
    )
    .expect("copy");
    let out = run(parapet()
        .arg("--data-dir")
        .arg(tmp.path().join("data"))
        .arg("ingest")
        .arg(&src));
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("broken.json: invalid JSON at line 1 column 13"),
        "{err}"
    );
    assert!(err.contains("ingested 1 objects, 103 records"), "{err}");
    let q = ok(parapet()
        .arg("--data-dir")
        .arg(tmp.path().join("data"))
        .args(["quarantine"]));
    assert!(
        q.contains("broken.json") && q.contains("reason: invalid JSON"),
        "{q}"
    );
}

#[test]
fn demo_runs_the_whole_pipeline_and_finds_the_planted_root_login() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("demo");
    let demo = || {
        ok(parapet()
            .args([
                "--quiet",
                "demo",
                "--once",
                "--accounts",
                "4",
                "--days",
                "1",
                "--events-per-account-day",
                "200",
                "--dir",
            ])
            .arg(&dir))
    };
    let out = demo();
    assert!(
        out.contains("Events per account, with the account's name and team"),
        "{out}"
    );
    // The simulator plants a root console sign-in; the demo's query shows it with the account name.
    let truth = std::fs::read_to_string(dir.join("bucket/truth.jsonl")).expect("truth");
    let root = truth
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("json"))
        .find(|v| v["scenario"] == "root_console_login")
        .expect("a planted root sign-in");
    let csv = std::fs::read_to_string(dir.join("bucket/accounts.csv")).expect("csv");
    let directory = parapet_model::AccountDirectory::from_csv(&csv).expect("csv");
    let name = &directory
        .get_str(root["account_id"].as_str().expect("id"))
        .expect("account")
        .name;
    let section = out
        .split("Root console sign-ins:")
        .nth(1)
        .expect("section")
        .split("\n\n")
        .next()
        .expect("table");
    assert!(section.contains(name.as_str()), "{name} missing from:\n{section}");
    // A second demo reuses the bucket and adds nothing.
    let again = demo();
    let rows = |s: &str| {
        s.lines()
            .find(|l| l.starts_with("cloudtrail "))
            .map(str::to_string)
    };
    assert_eq!(rows(&out), rows(&again));
}

#[test]
fn lake_recover_reports_what_it_did() {
    let tmp = tempfile::tempdir().expect("tmp");
    let out = ok(parapet()
        .arg("--data-dir")
        .arg(tmp.path())
        .args(["lake", "recover", "--json"]));
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["batches_finished"].as_u64(), Some(0));
    assert_eq!(v["debris_removed"].as_u64(), Some(0));
    // Debris from a run that died before its commit is removed.
    std::fs::write(tmp.path().join("lake/_staging/123-dead.parquet.tmp"), b"partial").expect("write");
    let out = ok(parapet()
        .arg("--data-dir")
        .arg(tmp.path())
        .args(["lake", "recover", "--json"]));
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["debris_removed"].as_u64(), Some(1));
}

#[test]
fn ingest_follow_picks_up_objects_that_arrive_later() {
    use std::io::BufRead;
    let tmp = tempfile::tempdir().expect("tmp");
    let src = tmp.path().join("src");
    std::fs::create_dir_all(&src).expect("mkdir");
    let stratus = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/cloudtrail/stratus");
    let mut files: Vec<_> = std::fs::read_dir(&stratus)
        .expect("testdata")
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    std::fs::copy(&files[0], src.join("first.json")).expect("copy");
    let mut child = parapet()
        .arg("--data-dir")
        .arg(tmp.path().join("data"))
        .args(["ingest", "--follow", "--interval", "1", "--rounds", "3", "--json"])
        .arg(&src)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("starts");
    let mut lines = std::io::BufReader::new(child.stdout.take().expect("stdout")).lines();
    let first: serde_json::Value =
        serde_json::from_str(&lines.next().expect("a line").expect("text")).expect("json");
    assert_eq!(first["objects_ingested"], 1);
    // A new object appears whole (renamed in), as the help asks.
    std::fs::copy(&files[1], tmp.path().join("second.tmp")).expect("copy");
    std::fs::rename(tmp.path().join("second.tmp"), src.join("second.json")).expect("rename");
    let rest: Vec<serde_json::Value> = lines
        .map(|l| serde_json::from_str(&l.expect("text")).expect("json"))
        .collect();
    assert!(child.wait().expect("exits").success());
    assert_eq!(rest.len(), 2, "one report per round: {rest:?}");
    let later: u64 = rest
        .iter()
        .map(|r| r["objects_ingested"].as_u64().expect("n"))
        .sum();
    assert_eq!(later, 1, "the second file once, in a later round: {rest:?}");
    let expected: usize = files[..2]
        .iter()
        .map(|f| {
            serde_json::from_slice::<Vec<serde_json::Value>>(&std::fs::read(f).expect("read"))
                .expect("array")
                .len()
        })
        .sum();
    let out = ok(parapet().arg("--data-dir").arg(tmp.path().join("data")).args([
        "query",
        "-f",
        "csv",
        "SELECT count(*) AS n FROM cloudtrail",
    ]));
    assert_eq!(out, format!("n\n{expected}\n"));
}

#[test]
fn lake_tables_lists_every_source_table() {
    let out = ok(parapet().args(["lake", "tables", "--json"]));
    let tables: Vec<serde_json::Value> = serde_json::from_str(&out).expect("json");
    let names: Vec<&str> = tables.iter().map(|t| t["name"].as_str().expect("name")).collect();
    for expected in [
        "cloudtrail",
        "cloudtrail_insights",
        "config_history",
        "vpc_flow",
        "route53_resolver",
        "cost",
    ] {
        assert!(names.contains(&expected), "{expected} in {names:?}");
    }
    let config = tables
        .iter()
        .find(|t| t["name"] == "config_history")
        .expect("config");
    assert_eq!(config["views"], serde_json::json!(["config_inventory"]));
}
