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
