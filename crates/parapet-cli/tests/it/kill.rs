//! The ingest process killed with SIGKILL at many points, then run to the end: every record is
//! in the lake exactly once, and the ledger and the disk agree.

use std::time::{Duration, Instant};

use crate::support::{event_ids, ok, parapet, query, simulate};

#[test]
fn sigkill_at_random_points_still_gives_exactly_once() {
    let tmp = tempfile::tempdir().expect("tmp");
    let logs = simulate(&tmp.path().join("bucket"), 8, 1, 1500);
    let expected = event_ids(&logs).len() as u64;
    // A 1 MiB buffer makes many checkpoints, so kills land before, inside and after commits.
    let config = tmp.path().join("parapet.toml");
    std::fs::write(&config, "version = 1\n[ingest]\nbuffer_mb = 1\nworkers = 2\n").expect("config");

    // Calibrate: a whole run, and a run with nothing left to do (start-up, recovery, listing).
    let calibration = tmp.path().join("calibration");
    let timed = || {
        let started = Instant::now();
        ok(parapet()
            .arg("--config")
            .arg(&config)
            .arg("--data-dir")
            .arg(&calibration)
            .args(["--quiet", "ingest"])
            .arg(&logs));
        started.elapsed()
    };
    let full = timed();
    let fixed = timed();
    let work = full.saturating_sub(fixed).max(Duration::from_millis(100));

    let data = tmp.path().join("data");
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut interrupted = 0;
    for _ in 0..16 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        // Anywhere from start-up to a tenth of the work: each run resumes, so kills must come
        // early enough that most runs are still working when they land.
        let delay = (fixed + work / 10).mul_f64((seed % 1000) as f64 / 1000.0);
        let mut child = parapet()
            .arg("--config")
            .arg(&config)
            .arg("--data-dir")
            .arg(&data)
            .args(["--quiet", "ingest"])
            .arg(&logs)
            .spawn()
            .expect("spawns");
        std::thread::sleep(delay);
        if child.try_wait().expect("status").is_none() {
            interrupted += 1;
        }
        child.kill().expect("SIGKILL");
        child.wait().expect("reaped");
    }
    assert!(
        interrupted >= 8,
        "only {interrupted} of 16 runs were killed mid-way; the test would prove little"
    );

    // The kills landed mid-ingest: some checkpoints were committed, not all.
    let partial: serde_json::Value = serde_json::from_str(&ok(parapet()
        .arg("--data-dir")
        .arg(&data)
        .args(["lake", "stats", "--json"])))
    .expect("json");
    let done = partial["records_ingested"].as_u64().unwrap_or(0);
    assert!(
        done > 0 && done < expected,
        "after the kills {done} of {expected} records were committed"
    );
    let rows = query(
        &data,
        "SELECT count(*) AS n, count(DISTINCT eventid) AS d FROM cloudtrail",
    );
    assert_eq!(
        rows[0]["n"].as_u64(),
        Some(done),
        "the lake holds exactly what the ledger committed"
    );
    assert_eq!(rows[0]["d"].as_u64(), Some(done));

    // The last run goes to the end and must leave exactly-once.
    ok(parapet()
        .arg("--config")
        .arg(&config)
        .arg("--data-dir")
        .arg(&data)
        .args(["--quiet", "ingest"])
        .arg(&logs));
    let rows = query(
        &data,
        "SELECT count(*) AS n, count(DISTINCT eventid) AS d FROM cloudtrail",
    );
    assert_eq!(
        rows[0]["n"].as_u64(),
        Some(expected),
        "duplicates or gaps after kills"
    );
    assert_eq!(rows[0]["d"].as_u64(), Some(expected));

    // Ledger and disk agree: every live file exists, no other parquet files, no staged debris.
    let stats: serde_json::Value = serde_json::from_str(&ok(parapet()
        .arg("--data-dir")
        .arg(&data)
        .args(["lake", "stats", "--json"])))
    .expect("json");
    let mut on_disk = 0;
    let mut stack = vec![data.join("lake/cloudtrail")];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "parquet") {
                on_disk += 1;
            }
        }
    }
    assert_eq!(stats["tables"][0]["files"].as_u64(), Some(on_disk));
    assert_eq!(stats["records_ingested"].as_u64(), Some(expected));
    assert_eq!(
        std::fs::read_dir(data.join("lake/_staging"))
            .expect("staging")
            .count(),
        0
    );
}
