//! Daily spend, as the lake sums it, and the names it is shown with.

use std::collections::BTreeMap;

use parapet_model::cost::{ChargeCategory, Day, Money};
use parapet_model::AccountDirectory;

/// One day's spend of one account on one service in one charge category (and one region and
/// tag set when a rollup asks for them), summed from the lake's `cost` table.
#[derive(Clone, Debug, PartialEq)]
pub struct DailySpend {
    pub day: Day,
    pub account_id: String,
    /// The name the bill gave the account (CUR 2.0, FOCUS), if any.
    pub bill_account_name: Option<String>,
    pub service: String,
    pub category: ChargeCategory,
    /// Usage that accrues day by day ([`parapet_model::cost::CostLine::is_daily_usage`]).
    pub daily_usage: bool,
    pub region: Option<String>,
    pub tags: Vec<(String, String)>,
    pub currency: String,
    pub amount: Money,
}

/// What an account is called, whose it is and where it sits: the registry first, then the
/// bill's own name, then the id.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct AccountLabel {
    pub id: String,
    pub name: String,
    pub team: String,
    pub ou: String,
    /// The team's channel in the registry (empty when unknown).
    #[serde(skip)]
    pub channel: String,
}

pub const NO_TEAM: &str = "(no team)";
pub const NO_OU: &str = "(no OU)";

/// Labels for every account a set of rows names.
pub struct Names {
    labels: BTreeMap<String, AccountLabel>,
}

impl Names {
    pub fn new(directory: &AccountDirectory, rows: &[DailySpend]) -> Names {
        let mut labels = BTreeMap::new();
        for r in rows {
            if labels.contains_key(&r.account_id) {
                continue;
            }
            let known = directory.get_str(&r.account_id);
            let pick = |s: Option<&String>| s.filter(|s| !s.is_empty()).cloned();
            let label = AccountLabel {
                id: r.account_id.clone(),
                name: pick(known.map(|a| &a.name))
                    .or_else(|| r.bill_account_name.clone())
                    .unwrap_or_else(|| r.account_id.clone()),
                team: pick(known.map(|a| &a.team)).unwrap_or_else(|| NO_TEAM.into()),
                ou: pick(known.map(|a| &a.ou)).unwrap_or_else(|| NO_OU.into()),
                channel: pick(known.map(|a| &a.channel)).unwrap_or_default(),
            };
            labels.insert(r.account_id.clone(), label);
        }
        Names { labels }
    }

    pub fn get(&self, id: &str) -> AccountLabel {
        self.labels.get(id).cloned().unwrap_or_else(|| AccountLabel {
            id: id.to_string(),
            name: id.to_string(),
            team: NO_TEAM.into(),
            ou: NO_OU.into(),
            channel: String::new(),
        })
    }

    pub fn all(&self) -> impl Iterator<Item = &AccountLabel> {
        self.labels.values()
    }
}

/// The currency most of the money is in (reports are in one currency; lines in others are
/// left out and said so).
pub fn main_currency(rows: &[DailySpend]) -> String {
    let mut by: BTreeMap<&str, i128> = BTreeMap::new();
    for r in rows {
        *by.entry(r.currency.as_str()).or_default() += r.amount.0.abs();
    }
    by.into_iter()
        .max_by_key(|(_, v)| *v)
        .map(|(c, _)| c.to_string())
        .unwrap_or_else(|| "USD".into())
}
