//! GuardDuty, Security Hub and AWS Health findings become parapet findings at ingest: with the
//! account's name, filtered by `[detect.managed]`, once per update, and resolved when the
//! service closes them.

use std::path::Path;

use crate::support::{ok, parapet, run};

fn findings(data: &Path, config: &Path) -> Vec<serde_json::Value> {
    let out = ok(parapet()
        .arg("-c")
        .arg(config)
        .arg("--data-dir")
        .arg(data)
        .args(["findings", "list", "--json", "--limit", "1000"]));
    serde_json::from_str(&out).expect("findings json")
}

#[test]
fn managed_service_findings_become_findings_with_the_account_name_and_follow_their_state() {
    let tmp = tempfile::tempdir().expect("tmp");
    let testdata = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata");
    std::fs::write(
        tmp.path().join("accounts.csv"),
        "id,name,team,env,owner,ou\n123456789012,payments-prod,payments,prod,pay@example.com,Workloads/Prod\n111111111111,sandbox-lab,platform,dev,plat@example.com,Sandbox\n",
    )
    .expect("csv");
    let config = tmp.path().join("parapet.toml");
    std::fs::write(&config, "version = 1\n[accounts]\ncsv = \"accounts.csv\"\n").expect("config");
    let data = tmp.path().join("data");
    let ingest = |dirs: &[&Path]| {
        let mut cmd = parapet();
        cmd.arg("-c")
            .arg(&config)
            .arg("--data-dir")
            .arg(&data)
            .args(["--quiet", "ingest", "--json"]);
        for d in dirs {
            cmd.arg(d);
        }
        // testdata/securityhub holds one deliberately broken sample: quarantined, exit 3.
        let out = run(&mut cmd);
        assert!(matches!(out.status.code(), Some(0 | 3)), "{out:?}");
        let reports: Vec<serde_json::Value> =
            serde_json::from_str(&String::from_utf8_lossy(&out.stdout)).expect("report");
        reports
    };
    ingest(&[
        &testdata.join("guardduty"),
        &testdata.join("securityhub"),
        &testdata.join("health"),
    ]);
    let all = findings(&data, &config);
    let of = |prefix: &str| -> Vec<&serde_json::Value> {
        all.iter()
            .filter(|f| f["rule_id"].as_str().unwrap_or_default().starts_with(prefix))
            .collect()
    };
    let (gd, sh, health) = (of("guardduty."), of("securityhub."), of("health."));
    assert!(!gd.is_empty() && !sh.is_empty() && !health.is_empty(), "{all:#?}");
    // Each carries its account's name, and nothing is below the configured severities.
    for f in gd.iter().chain(&sh).chain(&health) {
        let summary = f["summary"].as_str().unwrap_or_default();
        match f["account_id"].as_str() {
            Some("123456789012") => assert!(summary.contains("payments-prod"), "{summary}"),
            Some("111111111111") => assert!(summary.contains("sandbox-lab"), "{summary}"),
            _ => {}
        }
        assert!(!f["next_step"].as_str().unwrap_or_default().is_empty());
    }
    let rank = |s: &str| {
        ["info", "low", "medium", "high", "critical"]
            .iter()
            .position(|x| *x == s)
    };
    assert!(gd
        .iter()
        .all(|f| rank(f["severity"].as_str().unwrap_or_default()) >= rank("medium")));
    assert!(sh
        .iter()
        .all(|f| rank(f["severity"].as_str().unwrap_or_default()) >= rank("high")));

    // `detect` over the same lake finds the same updates again and adds nothing.
    let again: serde_json::Value = serde_json::from_str(&ok(parapet()
        .arg("-c")
        .arg(&config)
        .arg("--data-dir")
        .arg(&data)
        .args(["detect", "--json"])))
    .expect("json");
    assert_eq!(
        (again["new_findings"].as_u64(), again["new_events"].as_u64()),
        (Some(0), Some(0)),
        "{again}"
    );
    assert!(again["managed_updates"].as_u64().unwrap_or(0) > 0, "{again}");

    // GuardDuty archives the EC2 finding a day later: parapet resolves it, by GuardDuty.
    let text = std::fs::read_to_string(testdata.join("guardduty/guardduty_ec2_event.json")).expect("sample");
    let mut finding: serde_json::Value = serde_json::from_str(&text).expect("json");
    let id = finding["id"].as_str().expect("id").to_string();
    finding["updatedAt"] = "2017-11-01T23:16:23.824Z".into();
    finding["service"]["archived"] = true.into();
    let later = tmp.path().join("later");
    std::fs::create_dir_all(&later).expect("mkdir");
    std::fs::write(later.join("archived.json"), finding.to_string()).expect("write");
    // Security Hub's copy of a GuardDuty finding (same ASFF, GuardDuty's product) is left to
    // the GuardDuty import.
    let text = std::fs::read_to_string(testdata.join("securityhub/asr/simtest/simdata/afsbp-rds.1.json"))
        .expect("asff");
    let mut copy: serde_json::Value = serde_json::from_str(&text).expect("json");
    copy["Id"] = "arn:aws:guardduty:us-east-1:111111111111:detector/d1/finding/gd-copy".into();
    copy["ProductArn"] = "arn:aws:securityhub:us-east-1::product/aws/guardduty".into();
    copy["UpdatedAt"] = "2024-01-01T00:00:00Z".into();
    std::fs::write(later.join("copy.json"), copy.to_string()).expect("write");
    let r = ingest(&[&later]);
    assert_eq!(r[0]["objects_ingested"], 2, "{}", r[0]);
    assert!(
        !findings(&data, &config)
            .iter()
            .any(|f| f["dedup_key"].as_str().unwrap_or_default().ends_with("gd-copy")),
        "a Security Hub copy of a GuardDuty finding became a finding"
    );
    assert_eq!(r[0]["detection"]["closed_at_source"], 1, "{}", r[0]);
    let closed: Vec<serde_json::Value> = findings(&data, &config)
        .into_iter()
        .filter(|f| f["dedup_key"].as_str().unwrap_or_default().ends_with(&id))
        .collect();
    assert_eq!(closed.len(), 1, "{closed:#?}");
    assert_eq!(closed[0]["status"], "resolved");
    assert_eq!(closed[0]["status_reason"], "closed in guardduty");
    assert_eq!(closed[0]["count"], 2);
}
