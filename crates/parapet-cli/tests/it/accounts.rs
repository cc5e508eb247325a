//! `parapet accounts`: the registry from a snapshot file and from AWS Organizations on moto,
//! history and findings between syncs, names learned after ingest, assume-role and baseline.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::support::{ok, parapet, query, run, simulate};

fn json(out: &str) -> Value {
    serde_json::from_str(out).unwrap_or_else(|e| panic!("not JSON ({e}): {out}"))
}

/// Data ingested before the registry knew any account shows the names once a sync has run:
/// the views read the registry; the `_ocsf` tables keep what was written.
#[test]
fn names_learned_after_ingest_show_in_queries() {
    let tmp = tempfile::tempdir().expect("tmp");
    let logs = simulate(&tmp.path().join("bucket"), 6, 1, 40);
    let data = tmp.path().join("data");
    ok(parapet()
        .arg("--data-dir")
        .arg(&data)
        .arg("--quiet")
        .arg("ingest")
        .arg(&logs));
    let before = query(
        &data,
        "SELECT count(*) AS n FROM cloudtrail WHERE account_name IS NOT NULL",
    );
    assert_eq!(before[0]["n"], 0, "nothing is known before the sync");

    let snapshot = tmp.path().join("bucket/organization.json");
    let report = json(&ok(parapet()
        .arg("--data-dir")
        .arg(&data)
        .args(["accounts", "sync", "--json", "--from"])
        .arg(&snapshot)));
    assert_eq!(report["accounts"], 6);
    assert_eq!(report["first_sync"], true);
    let org: Value = json(&std::fs::read_to_string(&snapshot).expect("snapshot"));
    let mut expected = BTreeMap::new();
    for a in org["accounts"].as_array().expect("accounts") {
        expected.insert(
            a["id"].as_str().expect("id").to_string(),
            (
                a["name"].as_str().expect("name").to_string(),
                a["tags"]["team"].as_str().unwrap_or("").to_string(),
            ),
        );
    }
    let rows = query(
        &data,
        "SELECT DISTINCT accountid, account_name, account_team, account_channel FROM cloudtrail ORDER BY accountid",
    );
    assert_eq!(rows.len(), 6);
    for r in &rows {
        let (name, team) = &expected[r["accountid"].as_str().expect("id")];
        assert_eq!(r["account_name"].as_str(), Some(name.as_str()));
        assert_eq!(r["account_team"].as_str(), Some(team.as_str()));
        assert!(
            r["account_channel"].as_str().is_some_and(|c| c.starts_with('#')),
            "{r}"
        );
    }
    let frozen = query(
        &data,
        "SELECT count(*) AS n FROM cloudtrail_ocsf WHERE account_name IS NOT NULL",
    );
    assert_eq!(frozen[0]["n"], 0, "the files are not rewritten");
    // The registry table, for joins (also from DuckDB: lake/accounts/accounts.parquet).
    let n = query(&data, "SELECT count(*) AS n FROM accounts WHERE NOT removed");
    assert_eq!(n[0]["n"], 6);

    // list filters and show.
    let list = json(&ok(parapet().arg("--data-dir").arg(&data).args([
        "accounts",
        "list",
        "--json",
        "--ou",
        "Root/Security",
    ])));
    let names: Vec<&str> = list
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|a| a["name"].as_str())
        .collect();
    assert_eq!(names.len(), 2, "{list}");
    assert!(
        names.contains(&"log-archive") && names.contains(&"audit"),
        "{names:?}"
    );
    let shown = json(&ok(parapet()
        .arg("--data-dir")
        .arg(&data)
        .args(["accounts", "show", "AUDIT", "--json"])));
    assert_eq!(shown["account"]["ou"], "Root/Security");
    assert_eq!(shown["history"][0]["change"], "discovered");
    let missing = run(parapet()
        .arg("--data-dir")
        .arg(&data)
        .args(["accounts", "show", "nope"]));
    assert!(!missing.status.success());
    assert!(
        String::from_utf8_lossy(&missing.stderr).contains("no account with id or name \"nope\""),
        "{}",
        String::from_utf8_lossy(&missing.stderr)
    );
}

#[test]
fn a_bad_snapshot_is_named() {
    let tmp = tempfile::tempdir().expect("tmp");
    let bad = tmp.path().join("org.json");
    std::fs::write(&bad, r#"{"organization": {"id": "o-1", "managementAccountId": "12"}, "organizationalUnits": [], "accounts": []}"#)
        .expect("write");
    let out = run(parapet()
        .arg("--data-dir")
        .arg(tmp.path().join("data"))
        .args(["accounts", "sync", "--from"])
        .arg(&bad));
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("org.json: not an organisation snapshot"), "{err}");
    assert!(
        err.contains("expected a 12-digit account id, found \"12\""),
        "{err}"
    );
}

/// `org_fixture.py`: moto with an organisation of 55 accounts, changed on command (see the
/// script's docstring for what it adds to moto and why).
pub(crate) struct OrgFixture {
    child: std::process::Child,
    stdin: std::process::ChildStdin,
    stdout: std::io::BufReader<std::process::ChildStdout>,
    endpoint: String,
    analyzer_endpoint: String,
    _config_dir: tempfile::TempDir,
    config: std::path::PathBuf,
}

impl OrgFixture {
    pub(crate) fn start() -> OrgFixture {
        use std::io::BufRead;
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/it/org_fixture.py");
        let mut child = std::process::Command::new(crate::support::venv_bin().join("python"))
            .args([script, "--port", "0", "--analyzer-port", "0"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("the fixture starts");
        let stdin = child.stdin.take().expect("stdin");
        let mut stdout = std::io::BufReader::new(child.stdout.take().expect("stdout"));
        let mut line = String::new();
        stdout.read_line(&mut line).expect("ready line");
        let ready = json(&line);
        assert_eq!(ready["ready"], true, "{line}");
        let config_dir = tempfile::tempdir().expect("tmp");
        let config = config_dir.path().join("parapet.toml");
        std::fs::write(
            &config,
            "version = 1\n[accounts]\nrole_name = \"ParapetAudit\"\nexternal_id = \"parapet-test\"\n\
             regions = [\"us-east-1\", \"eu-west-1\"]\nconcurrency = 6\n",
        )
        .expect("config");
        OrgFixture {
            child,
            stdin,
            stdout,
            endpoint: format!("http://127.0.0.1:{}", ready["port"]),
            analyzer_endpoint: format!("http://127.0.0.1:{}", ready["analyzer_port"]),
            _config_dir: config_dir,
            config,
        }
    }

    pub(crate) fn cmd(&mut self, command: Value) -> Value {
        use std::io::{BufRead, Write};
        writeln!(self.stdin, "{command}").expect("write command");
        self.stdin.flush().expect("flush");
        let mut line = String::new();
        self.stdout.read_line(&mut line).expect("answer");
        let answer = json(&line);
        assert!(answer.get("error").is_none(), "{command} failed: {line}");
        answer["ok"].clone()
    }

    /// `parapet` as the management account (moto's default credentials), with the fixture's
    /// config and `data` as its data folder.
    pub(crate) fn parapet(&self, data: &std::path::Path) -> std::process::Command {
        let mut cmd = parapet();
        cmd.env("AWS_ENDPOINT_URL", &self.endpoint)
            .env("AWS_ENDPOINT_URL_ACCESSANALYZER", &self.analyzer_endpoint)
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_REGION", "us-east-1")
            .env_remove("AWS_PROFILE")
            .arg("--config")
            .arg(&self.config)
            .arg("--data-dir")
            .arg(data);
        cmd
    }
}

impl Drop for OrgFixture {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn by_id(list: &Value) -> BTreeMap<String, Value> {
    list.as_array()
        .expect("array")
        .iter()
        .map(|a| (a["id"].as_str().expect("id").to_string(), a.clone()))
        .collect()
}

#[test]
fn organizations_sync_on_moto_with_history_and_findings() {
    let mut fx = OrgFixture::start();
    let manifest = fx.cmd(serde_json::json!({"cmd": "build", "accounts": 55}));
    let tmp = tempfile::tempdir().expect("tmp");
    let data = tmp.path().join("data");

    let first = json(&ok(fx.parapet(&data).args(["accounts", "sync", "--json"])));
    assert_eq!(first["accounts"], 55);
    assert_eq!(first["source"], "organizations");
    assert_eq!(first["organization_id"], manifest["organization_id"]);
    let audit = manifest["accounts"]
        .as_array()
        .expect("accounts")
        .iter()
        .find(|a| a["name"] == "audit")
        .expect("audit account");
    assert_eq!(first["delegated_administrators"][0]["accountId"], audit["id"]);
    assert!(first["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .all(|c| c["kind"] == "discovered" || c["kind"] == "owner_missing"));

    // Every account with its name, OU path and the tags that mean team, env, owner, channel
    // (the account's own, else inherited from the nearest OU, keys in any case).
    let listed = by_id(&json(&ok(fx.parapet(&data).args(["accounts", "list", "--json"]))));
    let expected = by_id(&manifest["accounts"]);
    assert_eq!(listed.len(), 55);
    for (id, want) in &expected {
        let got = &listed[id];
        for (field, key) in [
            ("name", "name"),
            ("ou", "ou_path"),
            ("team", "team"),
            ("env", "env"),
            ("owner", "owner"),
            ("channel", "channel"),
            ("email", "email"),
        ] {
            assert_eq!(got[field], want[key], "account {id} field {field}: {got}");
        }
    }
    let no_owner: Vec<&String> = expected
        .iter()
        .filter(|(_, a)| a["owner"] == "")
        .map(|(id, _)| id)
        .collect();
    assert!(no_owner.len() >= 3);
    let mut owner_findings: Vec<&str> = first["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["rule_id"] == "account.owner_missing")
        .filter_map(|f| f["account_id"].as_str())
        .collect();
    owner_findings.sort();
    assert_eq!(
        owner_findings,
        no_owner.iter().map(|s| s.as_str()).collect::<Vec<_>>()
    );

    // Filters: OU subtree, team, tag.
    let prod = json(&ok(fx.parapet(&data).args([
        "accounts",
        "list",
        "--json",
        "--ou",
        "Root/Workloads/Prod",
    ])));
    let want_prod = expected
        .values()
        .filter(|a| {
            a["ou_path"]
                .as_str()
                .is_some_and(|p| p.starts_with("Root/Workloads/Prod"))
        })
        .count();
    assert_eq!(prod.as_array().expect("array").len(), want_prod);
    assert!(want_prod > 5);
    let sandbox = json(&ok(fx.parapet(&data).args([
        "accounts",
        "list",
        "--json",
        "--team",
        "sandbox-team",
    ])));
    let want_sandbox = expected.values().filter(|a| a["team"] == "sandbox-team").count();
    assert_eq!(sandbox.as_array().expect("array").len(), want_sandbox);

    // Between two syncs: one account renamed, one moved, one loses its owner tag, one closed.
    let members: Vec<&Value> = manifest["accounts"].as_array().expect("accounts")[1..]
        .iter()
        .collect();
    let renamed = members
        .iter()
        .find(|a| a["name"] == "payments-prod-01")
        .expect("payments-prod-01");
    let moved = members
        .iter()
        .find(|a| a["name"] == "web-prod-01")
        .expect("web-prod-01");
    let closed = members
        .iter()
        .find(|a| a["name"] == "legacy-01")
        .expect("legacy-01");
    let unowned = members
        .iter()
        .find(|a| {
            a["owner"] != ""
                && a["ou_path"]
                    .as_str()
                    .is_some_and(|p| p.starts_with("Root/Workloads"))
                && a["name"] != "web-prod-01"
                && a["name"] != "payments-prod-01"
        })
        .expect("an owned workload account");
    let id = |a: &Value| a["id"].as_str().expect("id").to_string();
    fx.cmd(serde_json::json!({"cmd": "rename", "id": id(renamed), "name": "payments-prod-primary"}));
    fx.cmd(serde_json::json!({"cmd": "move", "id": id(moved), "ou_path": "Root/Sandbox"}));
    fx.cmd(serde_json::json!({"cmd": "untag", "id": id(unowned), "key": "owner"}));
    fx.cmd(serde_json::json!({"cmd": "untag", "id": id(unowned), "key": "Owner"}));
    fx.cmd(serde_json::json!({"cmd": "close", "id": id(closed)}));

    let second = json(&ok(fx.parapet(&data).args(["accounts", "sync", "--json"])));
    assert_eq!(second["first_sync"], false);
    let changes: Vec<(String, String, String, String)> = second["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .filter(|c| c["kind"] != "team_changed")
        .map(|c| {
            let s = |k: &str| c[k].as_str().unwrap_or_default().to_string();
            (s("account_id"), s("kind"), s("from"), s("to"))
        })
        .collect();
    let mut want = vec![
        (
            id(renamed),
            "renamed".into(),
            "payments-prod-01".into(),
            "payments-prod-primary".into(),
        ),
        (
            id(moved),
            "moved".into(),
            moved["ou_path"].as_str().expect("path").to_string(),
            "Root/Sandbox".into(),
        ),
        (
            id(unowned),
            "owner_missing".into(),
            unowned["owner"].as_str().expect("owner").to_string(),
            String::new(),
        ),
        (id(closed), "closed".into(), "ACTIVE".into(), "CLOSED".into()),
    ];
    want.sort();
    let mut got = changes.clone();
    got.sort();
    assert_eq!(got, want);
    let keys: Vec<&str> = second["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["dedup_key"].as_str())
        .collect();
    for key in [
        format!("account.renamed:{}:payments-prod-primary", id(renamed)),
        format!("account.moved:{}:Root/Sandbox", id(moved)),
        format!("account.closed:{}:CLOSED", id(closed)),
        format!("account.owner_missing:{}", id(unowned)),
    ] {
        assert!(keys.contains(&key.as_str()), "{key} not in {keys:?}");
    }

    // History of the renamed account; its new name in the lake's registry table.
    let history = json(&ok(fx.parapet(&data).args([
        "accounts",
        "history",
        "--json",
        "payments-prod-primary",
    ])));
    let kinds: Vec<&str> = history
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|h| h["change"].as_str())
        .collect();
    assert_eq!(kinds, ["discovered", "renamed"]);
    let rows = query(
        &data,
        &format!(
            "SELECT name, ou, status FROM accounts WHERE id = '{}'",
            id(renamed)
        ),
    );
    assert_eq!(rows[0]["name"], "payments-prod-primary");
    let rows = query(
        &data,
        &format!("SELECT ou, status FROM accounts WHERE id = '{}'", id(closed)),
    );
    assert_eq!(rows[0]["status"], "CLOSED");
    let shown = json(&ok(fx.parapet(&data).args([
        "accounts",
        "show",
        "--json",
        &id(unowned),
    ])));
    let open: Vec<&str> = shown["open_findings"]
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|f| f["rule_id"].as_str())
        .collect();
    assert!(open.contains(&"account.owner_missing"), "{shown}");
}

#[test]
fn baseline_through_assumed_roles_on_moto() {
    let mut fx = OrgFixture::start();
    let manifest = fx.cmd(serde_json::json!({"cmd": "build", "accounts": 55}));
    let tmp = tempfile::tempdir().expect("tmp");
    let data = tmp.path().join("data");
    ok(fx.parapet(&data).args(["--quiet", "accounts", "sync"]));

    let out = run(fx.parapet(&data).args(["accounts", "baseline", "--json"]));
    assert_eq!(
        out.status.code(),
        Some(3),
        "some accounts cannot be entered: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = json(&String::from_utf8_lossy(&out.stdout));
    let missing: Vec<String> = manifest["missing_role"]
        .as_array()
        .expect("missing_role")
        .iter()
        .filter_map(|v| v.as_str().map(String::from))
        .collect();
    assert_eq!(missing.len(), 2);
    // A per-account error for each account without the role; every other account finished.
    let mut errors: Vec<(String, String)> = report["access_errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| {
            (
                e["account_id"].as_str().unwrap_or_default().to_string(),
                e["code"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    errors.sort();
    let mut want_errors: Vec<(String, String)> = missing
        .iter()
        .map(|m| (m.clone(), "AccessDenied".to_string()))
        .collect();
    want_errors.sort();
    assert_eq!(errors, want_errors);
    let err = &report["access_errors"][0];
    assert!(
        err["role_arn"]
            .as_str()
            .is_some_and(|r| r.ends_with(":role/ParapetAudit")),
        "{err}"
    );

    // Every account × region × control with a role agrees with how the fixture set it up —
    // through moto where it has the API, recorded responses where it does not.
    let mut got = BTreeMap::new();
    let mut details = BTreeMap::new();
    for o in report["observations"].as_array().expect("observations") {
        let key = (
            o["account_id"].as_str().unwrap_or_default().to_string(),
            o["region"].as_str().unwrap_or_default().to_string(),
            o["control"].as_str().unwrap_or_default().to_string(),
        );
        got.insert(key.clone(), o["state"].as_str().unwrap_or_default().to_string());
        details.insert(key, o["detail"].as_str().unwrap_or_default().to_string());
    }
    let mut compared = 0;
    for b in manifest["baseline"].as_array().expect("baseline") {
        let key = (
            b["account_id"].as_str().unwrap_or_default().to_string(),
            b["region"].as_str().unwrap_or_default().to_string(),
            b["control"].as_str().unwrap_or_default().to_string(),
        );
        assert_eq!(
            got.get(&key).map(String::as_str),
            b["state"].as_str(),
            "{key:?}: {:?}",
            details.get(&key)
        );
        compared += 1;
    }
    assert!(compared > 50 * 17, "{compared}");
    // An account that cannot be entered is unknown, except where an organisation-wide
    // resource read elsewhere covers it (the organisation trail; the organisation analyzer in
    // us-east-1).
    for ((account, region, control), state) in &got {
        if missing.contains(account) {
            let covered = control == "cloudtrail" || (control == "access_analyzer" && region == "us-east-1");
            assert_eq!(
                state,
                if covered { "on" } else { "unknown" },
                "{account} {region} {control}"
            );
        }
    }
    // One session per member account (the management account uses its own credentials),
    // reused for the second region.
    let members_with_role = manifest["accounts"].as_array().expect("accounts").len() - 1 - missing.len();
    assert_eq!(report["sessions"]["assumed"], members_with_role);
    assert!(report["sessions"]["reused"].as_u64().unwrap_or(0) >= members_with_role as u64);

    // Gaps are findings; the unreadable accounts too.
    let findings = report["findings"].as_array().expect("findings");
    let off = got.values().filter(|s| *s == "off").count();
    assert_eq!(
        findings
            .iter()
            .filter(|f| f["rule_id"] != "baseline.unreadable")
            .count(),
        off
    );
    let unreadable: Vec<&str> = findings
        .iter()
        .filter(|f| f["rule_id"] == "baseline.unreadable")
        .filter_map(|f| f["account_id"].as_str())
        .collect();
    assert_eq!(unreadable.len(), 2);

    // The role disappears from one more account: it fails alone, the others still finish.
    let victim = manifest["accounts"].as_array().expect("accounts")[1..]
        .iter()
        .find(|a| a["has_role"] == true)
        .expect("an account with the role");
    let victim_id = victim["id"].as_str().expect("id").to_string();
    fx.cmd(serde_json::json!({"cmd": "remove_role", "id": victim_id}));
    let out = run(fx
        .parapet(&data)
        .args(["accounts", "baseline", "--json", "--gaps"]));
    assert_eq!(out.status.code(), Some(3));
    let again = json(&String::from_utf8_lossy(&out.stdout));
    let failed: Vec<&str> = again["access_errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["account_id"].as_str())
        .collect();
    assert_eq!(failed.len(), 3);
    assert!(failed.contains(&victim_id.as_str()));
    assert!(
        again["observations"]
            .as_array()
            .expect("obs")
            .iter()
            .all(|o| o["state"] != "on"),
        "--gaps shows only gaps"
    );
    // The last coverage is kept in the state database.
    let last = json(&ok(fx
        .parapet(&data)
        .args(["accounts", "baseline", "--last", "--json"])));
    assert!(last.as_array().expect("rows").len() >= compared);
}

/// `(check, account, resource)` of each verdict in a JSON list.
fn verdict_keys(list: &Value) -> std::collections::BTreeSet<(String, String, String)> {
    list.as_array()
        .expect("list")
        .iter()
        .map(|v| {
            let s = |k: &str| v[k].as_str().unwrap_or_default().to_string();
            (s("check"), s("account_id"), s("resource"))
        })
        .collect()
}

/// The fixture organisation (55 accounts) with the posture resources planted in its first `n`
/// members that have the role: the fixture, those accounts, and what was planted.
fn planted_organization(n: usize) -> (OrgFixture, Vec<String>, Value) {
    let mut fx = OrgFixture::start();
    let manifest = fx.cmd(serde_json::json!({"cmd": "build", "accounts": 55}));
    let management = manifest["management"].as_str().expect("management").to_string();
    let accounts: Vec<String> = manifest["accounts"]
        .as_array()
        .expect("accounts")
        .iter()
        .filter(|a| a["has_role"] == true && a["id"] != management.as_str())
        .take(n)
        .map(|a| a["id"].as_str().expect("id").to_string())
        .collect();
    assert_eq!(accounts.len(), n);
    let planted = fx.cmd(serde_json::json!({"cmd": "plant_posture", "accounts": accounts}));
    (fx, accounts, planted)
}

#[test]
fn posture_on_moto_flags_exactly_the_planted_misconfigurations() {
    let (fx, accounts, planted) = planted_organization(24);
    let mut config = std::fs::read_to_string(&fx.config).expect("config");
    config.push_str("[posture]\nallowed_instance_types = [\"t3.*\"]\n");
    std::fs::write(&fx.config, config).expect("config");
    let tmp = tempfile::tempdir().expect("tmp");
    let data = tmp.path().join("data");
    ok(fx.parapet(&data).args(["--quiet", "accounts", "sync"]));
    let out = run(fx
        .parapet(&data)
        .args([
            "posture",
            "scan",
            "--region",
            "us-east-1",
            "--account",
            &accounts.join(","),
            "--json",
            "--save",
        ])
        .arg(tmp.path().join("inventory.json")));
    let report = json(&String::from_utf8_lossy(&out.stdout));
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{:#}\n{:#}",
        String::from_utf8_lossy(&out.stderr),
        report["unread"],
        report["access_errors"]
    );
    assert_eq!(report["accounts"], 24);

    // Every failure planted in the compared checks, and nothing else there.
    let compared: Vec<String> = planted["compared"]
        .as_array()
        .expect("compared")
        .iter()
        .map(|c| c.as_str().expect("check").to_string())
        .collect();
    let got: std::collections::BTreeSet<_> = verdict_keys(&report["failures"])
        .into_iter()
        .filter(|(c, _, _)| compared.contains(c))
        .collect();
    let want = verdict_keys(&planted["failures"]);
    let missing: Vec<_> = want.difference(&got).collect();
    let extra: Vec<_> = got.difference(&want).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing {missing:#?}\nextra {extra:#?}"
    );
    assert_eq!(verdict_keys(&report["exempt"]), verdict_keys(&planted["exempt"]));
    // Each compared check judged good and bad resources.
    for c in &compared {
        let n = &report["per_check"][c];
        assert!(
            n["passed"].as_u64() > Some(0) && n["failed"].as_u64() > Some(0),
            "{c}: {n}"
        );
    }

    // Scores for every account, its OUs and the organisation; failures became findings.
    assert_eq!(
        report["scores"]["accounts"].as_object().expect("scores").len(),
        24
    );
    assert!(
        report["scores"]["ous"]["Root"]["with_data"].as_u64() > Some(30),
        "{}",
        report["scores"]["ous"]
    );
    let findings: Vec<Value> = serde_json::from_str(&ok(fx.parapet(&data).args([
        "findings", "list", "--json", "--limit", "10000", "--rule", "posture.",
    ])))
    .expect("findings");
    assert_eq!(
        findings.len(),
        report["failures"].as_array().expect("failures").len()
    );
    assert!(findings.iter().all(|f| f["summary"]
        .as_str()
        .is_some_and(|s| s.contains(" (") && s.contains(")"))));

    // The inventories saved are judged the same way again, without AWS.
    let again = json(&ok(fx
        .parapet(&data)
        .args(["posture", "scan", "--json", "--from"])
        .arg(tmp.path().join("inventory.json"))));
    assert_eq!(
        verdict_keys(&again["failures"]),
        verdict_keys(&report["failures"])
    );
}

/// The playbook that fixes a check, as `parapet_posture::remediation::playbook_for` says.
fn playbook(check: &str) -> Option<&'static str> {
    Some(match check {
        "ec2.sg_open_ssh" | "ec2.sg_open_rdp" | "ec2.sg_open_all_ports" | "ec2.sg_open_high_risk_port" => {
            "revoke_open_ingress"
        }
        "ec2.default_sg_closed" => "clear_default_security_group",
        "cloudtrail.trail_logging" => "start_cloudtrail_logging",
        "s3.bucket_not_public" => "block_bucket_public_access",
        "iam.access_key_rotated" => "deactivate_access_key",
        "cloudtrail.tamper_permissions" => "detach_trail_tampering_policy",
        _ => return None,
    })
}

#[test]
fn remediation_on_moto_fixes_what_is_in_scope_once_and_undoes() {
    let (fx, accounts, planted) = planted_organization(8);
    // Six accounts in scope; the last two are not. Alerts go to a file.
    let (scope, outside) = accounts.split_at(6);
    let tmp = tempfile::tempdir().expect("tmp");
    let alerts = tmp.path().join("alerts.jsonl");
    let mut config = std::fs::read_to_string(&fx.config).expect("config");
    config.push_str(&format!(
        "[remediate]\naccounts = {}\n[remediate.playbooks]\ndetach_trail_tampering_policy = \"dry-run\"\n[notify]\nfallback = \"audit\"\n[[notify.channels]]\nname = \"audit\"\nkind = \"file\"\npath = {:?}\n",
        serde_json::json!(scope),
        alerts.display().to_string()
    ));
    std::fs::write(&fx.config, config).expect("config");
    let data = tmp.path().join("data");
    ok(fx.parapet(&data).args(["--quiet", "accounts", "sync"]));
    let ids = accounts.join(",");
    let remediate = |fx: &OrgFixture, extra: &[&str]| -> Value {
        let mut cmd = fx.parapet(&data);
        cmd.args(["remediate", "--region", "us-east-1", "--account", &ids, "--json"])
            .args(extra);
        json(&ok(&mut cmd))
    };
    let failures = |fx: &OrgFixture| -> std::collections::BTreeSet<(String, String, String)> {
        let out = run(fx.parapet(&data).args([
            "posture",
            "scan",
            "--region",
            "us-east-1",
            "--account",
            &ids,
            "--json",
        ]));
        verdict_keys(&json(&String::from_utf8_lossy(&out.stdout))["failures"])
            .into_iter()
            .filter(|(c, _, _)| playbook(c).is_some())
            .collect()
    };
    // What the playbooks should fix: the planted failures they cover, in scope, one action per
    // resource and playbook.
    let want: std::collections::BTreeSet<(String, String, String)> = verdict_keys(&planted["failures"])
        .into_iter()
        .filter_map(|(c, a, r)| Some((playbook(&c)?.to_string(), a, r)))
        .filter(|(_, a, _)| scope.contains(a))
        .collect();
    assert!(want.len() >= 15, "{want:#?}");
    for p in [
        "revoke_open_ingress",
        "clear_default_security_group",
        "start_cloudtrail_logging",
        "block_bucket_public_access",
        "deactivate_access_key",
    ] {
        assert!(want.iter().any(|(x, _, _)| x == p), "no {p} planted in scope");
    }
    let actions = |report: &Value| -> std::collections::BTreeSet<(String, String, String)> {
        report["actions"]
            .as_array()
            .expect("actions")
            .iter()
            .map(|a| {
                let s = |k: &str| a[k].as_str().unwrap_or_default().to_string();
                (s("playbook"), s("account_id"), s("resource"))
            })
            .collect()
    };
    let before = failures(&fx);

    // AWS Health says a fresh key in the second account leaked (the key of user "ci", which no
    // posture check fails): it is deactivated too.
    let saved = tmp.path().join("inventory.json");
    run(fx
        .parapet(&data)
        .args([
            "posture",
            "scan",
            "--region",
            "us-east-1",
            "--account",
            &scope[1],
            "--json",
            "--save",
        ])
        .arg(&saved));
    let inventory: Value =
        serde_json::from_str(&std::fs::read_to_string(&saved).expect("saved")).expect("json");
    let ci = inventory[0]["iam"]["value"]["users"]
        .as_array()
        .expect("users")
        .iter()
        .find(|u| u["name"] == "ci")
        .expect("ci")
        .clone();
    let leaked = ci["access_keys"][0]["id"].as_str().expect("key").to_string();
    let health = tmp.path().join("health");
    std::fs::create_dir_all(&health).expect("mkdir");
    std::fs::write(
        health.join("health-event.json"),
        serde_json::json!({
            "version": "0", "id": "5f2c1a2e-0000-4000-8000-000000000001", "detail-type": "AWS Health Event",
            "source": "aws.health", "account": scope[1], "time": "2026-12-01T10:00:00Z", "region": "us-east-1",
            "resources": [],
            "detail": {
                "eventArn": "arn:aws:health:us-east-1::event/AWS_RISK_CREDENTIALS_EXPOSED_TEST",
                "service": "RISK", "eventTypeCode": "AWS_RISK_CREDENTIALS_EXPOSED", "eventTypeCategory": "issue",
                "startTime": "Tue, 01 Dec 2026 10:00:00 GMT",
                "eventDescription": [{"language": "en_US", "latestDescription": "Your access key was found in a public repository."}],
                "affectedEntities": [{"entityValue": leaked}]
            }
        })
        .to_string(),
    )
    .expect("health event");
    ok(fx.parapet(&data).args(["--quiet", "ingest"]).arg(&health));
    let mut want = want;
    want.insert((
        "deactivate_access_key".to_string(),
        scope[1].clone(),
        format!("{}/access-key/{leaked}", ci["arn"].as_str().expect("arn")),
    ));

    // A dry run plans exactly that and changes nothing.
    let dry = remediate(&fx, &[]);
    assert_eq!(actions(&dry), want);
    assert_eq!(
        (dry["planned"].as_u64(), dry["done"].as_u64()),
        (Some(want.len() as u64), Some(0))
    );
    assert_eq!(failures(&fx), before);

    // Applied: those failures are gone; the exempt group and the accounts out of scope keep theirs.
    let applied = remediate(&fx, &["--apply"]);
    assert_eq!(actions(&applied), want);
    assert_eq!(
        (applied["done"].as_u64(), applied["failed"].as_u64()),
        (Some(want.len() as u64), Some(0)),
        "{applied:#}"
    );
    let after = failures(&fx);
    let fixed_keys: std::collections::BTreeSet<(String, String)> =
        want.iter().map(|(_, a, r)| (a.clone(), r.clone())).collect();
    let expected_after: std::collections::BTreeSet<_> = before
        .iter()
        .filter(|(_, a, r)| !fixed_keys.contains(&(a.clone(), r.clone())))
        .cloned()
        .collect();
    assert_eq!(after, expected_after);
    assert!(
        after.iter().any(|(_, a, _)| outside.contains(a)),
        "out of scope, still failing: {after:#?}"
    );
    let exempt = verdict_keys(&planted["exempt"]);
    assert!(!exempt.is_empty());

    // Again: nothing left to do.
    let again = remediate(&fx, &["--apply"]);
    assert_eq!(again["actions"].as_array().map(Vec::len), Some(0), "{again:#}");

    // Undo a revoked rule: the group fails again, and the log says who undid what.
    let revoke = applied["actions"]
        .as_array()
        .expect("actions")
        .iter()
        .find(|a| a["playbook"] == "revoke_open_ingress")
        .expect("a revoke");
    let id_num = revoke["id"].as_i64().expect("id");
    let id = id_num.to_string();
    ok(fx.parapet(&data).args(["remediate", "undo", &id]));
    let key = (
        revoke["check"].as_str().unwrap_or_default().to_string(),
        revoke["account_id"].as_str().unwrap_or_default().to_string(),
        revoke["resource"].as_str().unwrap_or_default().to_string(),
    );
    assert!(failures(&fx).contains(&key), "{key:?} fails again after the undo");
    let log: Vec<Value> = serde_json::from_str(&ok(fx.parapet(&data).args([
        "remediate",
        "log",
        "--json",
        "--limit",
        "500",
    ])))
    .expect("log");
    let original = log
        .iter()
        .find(|r| r["id"].as_i64() == Some(id_num))
        .expect("logged");
    assert!(original["undone_by"].is_i64(), "{original}");
    assert!(log
        .iter()
        .any(|r| r["undo_of"].as_i64() == Some(id_num) && r["result"] == "done"));
    assert!(log
        .iter()
        .all(|r| r["who"].as_str().is_some_and(|w| !w.is_empty())));
    // Undoing twice is refused.
    let twice = run(fx.parapet(&data).args(["remediate", "undo", &id]));
    assert!(!twice.status.success());

    // The teams were told what was done, with the undo command.
    ok(fx
        .parapet(&data)
        .args(["--quiet", "notify", "send", "--until-empty"]));
    let told = std::fs::read_to_string(&alerts).expect("alerts");
    let remediated = told.lines().filter(|l| l.contains("parapet remediated")).count();
    assert_eq!(remediated, want.len(), "{told}");
    assert!(told.contains("parapet remediate undo"));
}
