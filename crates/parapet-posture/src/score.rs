//! Scores, as Security Hub computes its security score: the controls that passed divided by
//! the controls with data. Here a control is a check; in a scope (an account, an OU and the
//! OUs above it, the organisation) it has data when it gave any verdict there, and it passed
//! when none of those verdicts failed (exempt resources do not fail).

use std::collections::BTreeMap;

use parapet_model::posture::Verdict;
use parapet_model::{AccountDirectory, AccountId};

/// One scope's score.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Score {
    pub passed: usize,
    pub with_data: usize,
    /// 0 to 100 (100 with no data: nothing failed).
    pub percent: f64,
    /// The checks that failed here.
    pub failed_checks: Vec<String>,
}

/// The organisation's, each OU's (every level of each account's OU path) and each account's.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Scores {
    pub organization: Score,
    pub ous: BTreeMap<String, Score>,
    pub accounts: BTreeMap<AccountId, Score>,
}

/// Per check: (failed anywhere in scope).
#[derive(Default)]
struct Tally(BTreeMap<String, bool>);

impl Tally {
    fn add(&mut self, v: &Verdict) {
        *self.0.entry(v.check.clone()).or_default() |= v.counts_as_failed();
    }

    fn score(&self) -> Score {
        let with_data = self.0.len();
        let failed_checks: Vec<String> = self
            .0
            .iter()
            .filter(|(_, f)| **f)
            .map(|(c, _)| c.clone())
            .collect();
        let passed = with_data - failed_checks.len();
        let percent = if with_data == 0 {
            100.0
        } else {
            (passed as f64 * 1000.0 / with_data as f64).round() / 10.0
        };
        Score {
            passed,
            with_data,
            percent,
            failed_checks,
        }
    }
}

/// The OU path and each path above it: `Root/Workloads/Prod` → `Root`, `Root/Workloads`,
/// `Root/Workloads/Prod`.
fn ou_levels(ou: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut path = String::new();
    for part in ou.split('/').filter(|p| !p.is_empty()) {
        if !path.is_empty() {
            path.push('/');
        }
        path.push_str(part);
        out.push(path.clone());
    }
    out
}

/// Scores for every scope; accounts not in the registry count for the organisation only.
pub fn scores(verdicts: &[Verdict], accounts: &AccountDirectory) -> Scores {
    let mut org = Tally::default();
    let mut ous: BTreeMap<String, Tally> = BTreeMap::new();
    let mut per_account: BTreeMap<AccountId, Tally> = BTreeMap::new();
    for v in verdicts {
        org.add(v);
        per_account.entry(v.account_id).or_default().add(v);
        if let Some(a) = accounts.get(&v.account_id) {
            for level in ou_levels(&a.ou) {
                ous.entry(level).or_default().add(v);
            }
        }
    }
    Scores {
        organization: org.score(),
        ous: ous.into_iter().map(|(k, t)| (k, t.score())).collect(),
        accounts: per_account.into_iter().map(|(k, t)| (k, t.score())).collect(),
    }
}

#[cfg(test)]
mod tests {
    use parapet_model::posture::Status;

    use super::*;

    fn v(check: &str, account: &str, status: Status, exempt: bool) -> Verdict {
        Verdict {
            check: check.into(),
            account_id: AccountId::parse(account).expect("id"),
            region: None,
            resource: "r".into(),
            status,
            reason: String::new(),
            exempt,
        }
    }

    #[test]
    fn passed_controls_over_controls_with_data_per_scope() {
        let csv = "id,name,team,env,owner,ou\n111111111111,a,t,prod,o,Root/Workloads/Prod\n222222222222,b,t,dev,o,Root/Workloads/Dev\n";
        let accounts = AccountDirectory::from_csv(csv).expect("csv");
        let verdicts = [
            v("c1", "111111111111", Status::Passed, false),
            v("c1", "111111111111", Status::Failed, false),
            v("c2", "111111111111", Status::Passed, false),
            v("c3", "111111111111", Status::Failed, true),
            v("c1", "222222222222", Status::Passed, false),
            v("c4", "222222222222", Status::Passed, false),
        ];
        let s = scores(&verdicts, &accounts);
        let a = &s.accounts[&AccountId::parse("111111111111").expect("id")];
        assert_eq!(
            (a.passed, a.with_data, a.failed_checks.clone()),
            (2, 3, vec!["c1".to_string()])
        );
        assert_eq!(a.percent, 66.7);
        let b = &s.accounts[&AccountId::parse("222222222222").expect("id")];
        assert_eq!((b.passed, b.with_data, b.percent), (2, 2, 100.0));
        // c1 failed in one account: it fails for the OU above both and for the organisation.
        assert_eq!(
            (s.ous["Root/Workloads"].passed, s.ous["Root/Workloads"].with_data),
            (3, 4)
        );
        assert_eq!(s.ous["Root/Workloads/Dev"].percent, 100.0);
        assert_eq!(s.organization.percent, 75.0);
        assert_eq!(
            ou_levels("Root/Workloads/Prod"),
            ["Root", "Root/Workloads", "Root/Workloads/Prod"]
        );
    }
}
