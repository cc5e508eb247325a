//! `accounts.csv` and `organization.json` describe the same organisation.

use parapet_model::AccountDirectory;

use crate::support::{run, small};

#[test]
fn accounts_csv_has_core_accounts_and_ous() {
    let cfg = small(20, 1, 20, 3);
    let (dir, summary) = run(&cfg);
    let text = std::fs::read_to_string(dir.path().join("accounts.csv")).unwrap();
    assert!(text.starts_with("id,name,team,env,owner,ou,channel\n"));
    let directory = AccountDirectory::from_csv(&text).unwrap();
    assert_eq!(directory.len(), 20);
    assert_eq!(summary.accounts, 20);
    assert_eq!(text, parapet_sim::organization(&cfg).directory().to_csv());
    let accounts = directory.accounts();
    let by_name = |n: &str| {
        accounts
            .iter()
            .find(|a| a.name == n)
            .unwrap_or_else(|| panic!("no {n}"))
    };
    assert_eq!(by_name("management").ou, "Root");
    assert_eq!(by_name("log-archive").ou, "Root/Security");
    assert_eq!(by_name("audit").ou, "Root/Security");
    let allowed = [
        "Root",
        "Root/Security",
        "Root/Infrastructure",
        "Root/Workloads/Prod",
        "Root/Workloads/NonProd",
        "Root/Sandbox",
    ];
    for ou in &allowed[2..] {
        assert!(accounts.iter().any(|a| a.ou == *ou), "no account in {ou}");
    }
    for a in &accounts {
        assert!(allowed.contains(&a.ou.as_str()), "{}", a.ou);
        assert!(a.owner.contains('@') && a.channel.starts_with('#') && !a.team.is_empty());
    }

    let org: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("organization.json")).unwrap()).unwrap();
    assert_eq!(org["organization"]["id"], summary.org_id.as_str());
    assert_eq!(
        org["organization"]["managementAccountId"],
        by_name("management").id.as_str()
    );
    assert_eq!(org["accounts"].as_array().unwrap().len(), 20);
    assert!(org["organizationalUnits"]
        .as_array()
        .unwrap()
        .iter()
        .any(|o| o["name"] == "Prod"));
    // The file is the snapshot `accounts sync --from` reads.
    let snapshot: parapet_model::OrgSnapshot =
        serde_json::from_slice(&std::fs::read(dir.path().join("organization.json")).unwrap()).unwrap();
    for a in &snapshot.accounts {
        let csv = directory.get(&a.id).unwrap();
        assert_eq!(snapshot.ou_path(&a.parent_id).as_deref(), Some(csv.ou.as_str()));
    }
    for a in org["accounts"].as_array().unwrap() {
        let csv = directory.get_str(a["id"].as_str().unwrap()).unwrap();
        assert_eq!(a["tags"]["team"], csv.team.as_str());
        assert_eq!(a["tags"]["notification-channel"], csv.channel.as_str());
        assert!(a["email"].as_str().unwrap().contains('@'));
    }
}
