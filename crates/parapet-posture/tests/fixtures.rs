//! Data-driven: `fixtures/NAME.json` holds an organisation's inventories (every account, as
//! the collector would read them) and the posture config; `fixtures/NAME.expected` is every
//! verdict and the scores. `UPDATE_EXPECT=1 cargo test -p parapet-posture` rewrites the
//! expectations after a deliberate change; review the diff.

use std::fmt::Write;

use parapet_model::inventory::AccountInventory;
use parapet_model::posture::{PostureConfig, Status};
use parapet_model::AccountDirectory;

#[derive(serde::Deserialize)]
struct Fixture {
    now_ms: i64,
    config: PostureConfig,
    inventories: Vec<AccountInventory>,
}

fn render(name: &str) -> String {
    let path = format!("{}/tests/fixtures/{name}.json", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).expect("fixture");
    let f: Fixture = serde_json::from_str(&text).expect("fixture json");
    let verdicts = parapet_posture::evaluate(&f.inventories, &f.config, f.now_ms);
    let mut out = String::new();
    for v in &verdicts {
        let status = match (v.status, v.exempt) {
            (Status::Passed, _) => "pass",
            (Status::Failed, false) => "FAIL",
            (Status::Failed, true) => "exempt",
        };
        let _ = writeln!(
            out,
            "{status:<6} {:<32} {} {:<9} {} — {}",
            v.check,
            v.account_id,
            v.region.as_deref().unwrap_or("-"),
            v.resource,
            v.reason
        );
    }
    let csv = "id,name,team,env,owner,ou\n111111111111,good,platform,prod,o,Root/Security\n222222222222,bad,payments,dev,o,Root/Workloads/Dev\n333333333333,unread,payments,prod,o,Root/Workloads/Prod\n";
    let accounts = AccountDirectory::from_csv(csv).expect("csv");
    let scores = parapet_posture::scores(&verdicts, &accounts);
    let _ = writeln!(out, "\nscores:");
    let _ = writeln!(
        out,
        "organization {}/{} {}%",
        scores.organization.passed, scores.organization.with_data, scores.organization.percent
    );
    for (ou, s) in &scores.ous {
        let _ = writeln!(out, "ou {ou} {}/{} {}%", s.passed, s.with_data, s.percent);
    }
    for (a, s) in &scores.accounts {
        let _ = writeln!(out, "account {a} {}/{} {}%", s.passed, s.with_data, s.percent);
    }
    out
}

#[test]
fn organization() {
    expect_test::expect_file!["fixtures/organization.expected"].assert_eq(&render("organization"));
}

#[test]
fn remediation_plans_fix_failures_in_scope_and_leave_exempt_resources() {
    use parapet_model::remediation::{Mode, RemediateConfig};
    let path = format!("{}/tests/fixtures/organization.json", env!("CARGO_MANIFEST_DIR"));
    let f: Fixture = serde_json::from_str(&std::fs::read_to_string(path).expect("fixture")).expect("json");
    let verdicts = parapet_posture::evaluate(&f.inventories, &f.config, f.now_ms);
    let csv = "id,name,team,env,owner,ou\n111111111111,good,platform,prod,o,Root/Security\n222222222222,bad,payments,dev,o,Root/Workloads/Dev\n";
    let accounts = AccountDirectory::from_csv(csv).expect("csv");
    // AWS Health says three keys leaked: a good account's (deactivated), the exempt CI user's
    // (left to its owners) and one nobody in the account has (nothing to do).
    let exposed = [
        parapet_posture::remediation::ExposedKey {
            account_id: parapet_model::AccountId::parse("111111111111").expect("id"),
            key_id: "AKIAGOOD".into(),
            rule: "health.AWS_RISK_CREDENTIALS_EXPOSED".into(),
        },
        parapet_posture::remediation::ExposedKey {
            account_id: parapet_model::AccountId::parse("222222222222").expect("id"),
            key_id: "AKIAEXEMPT".into(),
            rule: "health.AWS_RISK_CREDENTIALS_EXPOSED".into(),
        },
        parapet_posture::remediation::ExposedKey {
            account_id: parapet_model::AccountId::parse("222222222222").expect("id"),
            key_id: "AKIANOBODY".into(),
            rule: "health.AWS_RISK_CREDENTIALS_EXPOSED".into(),
        },
    ];
    let plan = |config: &RemediateConfig| -> Vec<String> {
        parapet_posture::remediation::plan(&f.inventories, &verdicts, &exposed, &f.config, config, &accounts)
            .iter()
            .map(|p| {
                format!(
                    "{:?} {} {} ({})",
                    p.mode,
                    p.action.playbook,
                    p.action.change.describe(),
                    p.action.check
                )
            })
            .collect()
    };
    let all = plan(&RemediateConfig::default());
    expect_test::expect![[r#"
        [
            "DryRun revoke_open_ingress revoke inbound tcp/22 from 0.0.0.0/0 on sg-ssh (ec2.sg_open_ssh)",
            "DryRun revoke_open_ingress revoke inbound -1/all from 0.0.0.0/0 on sg-all (ec2.sg_open_ssh)",
            "DryRun revoke_open_ingress revoke inbound tcp/3389 from ::/0 on sg-rdp6 (ec2.sg_open_rdp)",
            "DryRun revoke_open_ingress revoke inbound tcp/3306 from 0.0.0.0/0 on sg-db (ec2.sg_open_high_risk_port)",
            "DryRun clear_default_security_group remove the 1 inbound and 1 outbound rule(s) of default security group sg-default2 (ec2.default_sg_closed)",
            "DryRun block_bucket_public_access turn on all four Block Public Access settings of bucket open (s3.bucket_not_public)",
            "DryRun deactivate_access_key deactivate access key AKIAOLD of bob (iam.access_key_rotated)",
            "DryRun start_cloudtrail_logging start logging on trail local (cloudtrail.trail_logging)",
            "DryRun deactivate_access_key deactivate access key AKIAGOOD of alice (health.AWS_RISK_CREDENTIALS_EXPOSED)",
        ]
    "#]]
    .assert_debug_eq(&all);
    // Scopes: an OU that holds only the good account, or only the good account's id: nothing.
    let ou = RemediateConfig {
        ous: vec!["Root/Security".into()],
        ..RemediateConfig::default()
    };
    assert_eq!(
        plan(&ou),
        ["DryRun deactivate_access_key deactivate access key AKIAGOOD of alice (health.AWS_RISK_CREDENTIALS_EXPOSED)"]
    );
    let by_id = RemediateConfig {
        accounts: vec!["333333333333".into()],
        ..RemediateConfig::default()
    };
    assert!(plan(&by_id).is_empty());
    // Detaching policies is off until configured.
    let mut detach = RemediateConfig::default();
    detach
        .playbooks
        .insert("detach_trail_tampering_policy".into(), Mode::DryRun);
    let planned = plan(&detach);
    assert_eq!(planned.len(), all.len() + 2, "{planned:#?}");
    assert!(planned.contains(
        &"DryRun detach_trail_tampering_policy detach arn:aws:iam::222222222222:policy/cleanup from user/bob (cloudtrail.tamper_permissions)"
            .to_string()
    ));
    // A playbook off is not planned; one on auto says so.
    let mut modes = RemediateConfig::default();
    modes.playbooks.insert("revoke_open_ingress".into(), Mode::Off);
    modes.playbooks.insert("deactivate_access_key".into(), Mode::Auto);
    let planned = plan(&modes);
    assert!(!planned.iter().any(|p| p.contains("revoke_open_ingress")));
    assert!(planned.contains(
        &"Auto deactivate_access_key deactivate access key AKIAOLD of bob (iam.access_key_rotated)"
            .to_string()
    ));
}
