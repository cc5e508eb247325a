//! Rollups: spend per period (day, ISO week, month) by any mix of account, service, team, OU,
//! charge category, region and cost allocation tag, with each row's share of its period and
//! its change from the period before; top movers.

use std::collections::BTreeMap;

use parapet_model::cost::{Day, Money};

use crate::spend::{DailySpend, Names};

/// What a rollup groups by.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Dim {
    Account,
    Service,
    Team,
    Ou,
    Category,
    Region,
    /// A cost allocation tag's value (`user:team`); lines without it count as `(untagged)`.
    Tag(String),
}

impl Dim {
    /// `account`, `service`, `team`, `ou`, `category`, `region`, `tag:KEY`.
    pub fn parse(s: &str) -> Option<Dim> {
        let s = s.trim();
        if let Some(key) = s.strip_prefix("tag:") {
            return (!key.is_empty()).then(|| Dim::Tag(key.to_string()));
        }
        Some(match s.to_ascii_lowercase().as_str() {
            "account" => Dim::Account,
            "service" => Dim::Service,
            "team" => Dim::Team,
            "ou" => Dim::Ou,
            "category" | "charge_category" => Dim::Category,
            "region" => Dim::Region,
            _ => return None,
        })
    }

    pub fn label(&self) -> String {
        match self {
            Dim::Account => "account_id".into(),
            Dim::Service => "service".into(),
            Dim::Team => "team".into(),
            Dim::Ou => "ou".into(),
            Dim::Category => "category".into(),
            Dim::Region => "region".into(),
            Dim::Tag(k) => format!("tag:{k}"),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Period {
    Daily,
    Weekly,
    Monthly,
}

impl Period {
    pub fn parse(s: &str) -> Option<Period> {
        match s.trim().to_ascii_lowercase().as_str() {
            "daily" | "day" => Some(Period::Daily),
            "weekly" | "week" => Some(Period::Weekly),
            "monthly" | "month" => Some(Period::Monthly),
            _ => None,
        }
    }

    /// The first day of the period holding `d`.
    pub fn start(self, d: Day) -> Day {
        match self {
            Period::Daily => d,
            Period::Weekly => d.week_start(),
            Period::Monthly => d.month_start(),
        }
    }

    /// The first day of the period before the one starting at `start`.
    pub fn previous(self, start: Day) -> Day {
        match self {
            Period::Daily => start.plus(-1),
            Period::Weekly => start.plus(-7),
            Period::Monthly => start.plus(-1).month_start(),
        }
    }

    /// How the period starting at `start` is written: `2024-09-18`, `2024-W38`, `2024-09`.
    pub fn label(self, start: Day) -> String {
        match self {
            Period::Daily => start.to_string(),
            Period::Monthly => start.month_label(),
            Period::Weekly => {
                // ISO week: the week's Thursday decides the year.
                let thursday = start.plus(3);
                let (y, _, _) = thursday.ymd();
                let jan4 = Day::from_ymd(y, 1, 4);
                let week = (start.0 - jan4.week_start().0) / 7 + 1;
                format!("{y:04}-W{week:02}")
            }
        }
    }
}

/// One group of one period.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct RollupRow {
    pub period: String,
    pub period_start: Day,
    /// (column, value), in the order asked; an account adds its name (`account_name`).
    pub keys: Vec<(String, String)>,
    pub currency: String,
    #[serde(serialize_with = "money_text")]
    pub amount: Money,
    /// Percent of the period's total (same currency).
    pub share_pct: f64,
    /// The same group's spend in the period before (zero when it had none).
    #[serde(serialize_with = "money_text")]
    pub previous: Money,
    #[serde(serialize_with = "money_text")]
    pub change: Money,
    /// `None` when the period before had nothing.
    pub change_pct: Option<f64>,
}

pub fn money_text<S: serde::Serializer>(m: &Money, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&m.to_string())
}

fn key_of(r: &DailySpend, dims: &[Dim], names: &Names) -> Vec<(String, String)> {
    let mut keys = Vec::with_capacity(dims.len() + 1);
    for d in dims {
        let label = names.get(&r.account_id);
        match d {
            Dim::Account => {
                keys.push((d.label(), r.account_id.clone()));
                keys.push(("account_name".into(), label.name));
            }
            Dim::Service => keys.push((d.label(), r.service.clone())),
            Dim::Team => keys.push((d.label(), label.team)),
            Dim::Ou => keys.push((d.label(), label.ou)),
            Dim::Category => keys.push((d.label(), r.category.as_str().into())),
            Dim::Region => keys.push((d.label(), r.region.clone().unwrap_or_else(|| "(global)".into()))),
            Dim::Tag(k) => keys.push((
                d.label(),
                r.tags
                    .iter()
                    .find(|(tk, _)| tk == k)
                    .map(|(_, v)| v.clone())
                    .unwrap_or_else(|| "(untagged)".into()),
            )),
        }
    }
    keys
}

/// Sums `rows` per period and group. Periods are those starting in `[from, to]` (a period cut
/// by the range counts only its days inside it); the period before the first is read from the
/// rows too when they reach back that far, for `change`.
pub fn rollup(
    rows: &[DailySpend],
    dims: &[Dim],
    period: Period,
    names: &Names,
    from: Day,
    to: Day,
) -> Vec<RollupRow> {
    type Key = (Day, String, Vec<(String, String)>);
    let mut sums: BTreeMap<Key, Money> = BTreeMap::new();
    for r in rows {
        if r.day > to {
            continue;
        }
        let start = period.start(r.day);
        *sums
            .entry((start, r.currency.clone(), key_of(r, dims, names)))
            .or_default() += r.amount;
    }
    let mut totals: BTreeMap<(Day, String), Money> = BTreeMap::new();
    for ((start, currency, _), m) in &sums {
        *totals.entry((*start, currency.clone())).or_default() += *m;
    }
    let first = period.start(from);
    let mut out = Vec::new();
    for ((start, currency, keys), amount) in &sums {
        if *start < first {
            continue;
        }
        let total = totals
            .get(&(*start, currency.clone()))
            .copied()
            .unwrap_or_default();
        let previous = sums
            .get(&(period.previous(*start), currency.clone(), keys.clone()))
            .copied()
            .unwrap_or_default();
        out.push(RollupRow {
            period: period.label(*start),
            period_start: *start,
            keys: keys.clone(),
            currency: currency.clone(),
            amount: *amount,
            share_pct: if total.0 == 0 {
                0.0
            } else {
                amount.to_f64() / total.to_f64() * 100.0
            },
            previous,
            change: *amount - previous,
            change_pct: (previous.0 != 0)
                .then(|| (*amount - previous).to_f64() / previous.abs().to_f64() * 100.0),
        });
    }
    out.sort_by(|a, b| {
        a.period_start
            .cmp(&b.period_start)
            .then(b.amount.cmp(&a.amount))
            .then(a.keys.cmp(&b.keys))
    });
    out
}

/// The rows of the last period with the largest changes either way, most first.
pub fn top_movers(rows: &[RollupRow], n: usize) -> Vec<RollupRow> {
    let Some(last) = rows.iter().map(|r| r.period_start).max() else {
        return Vec::new();
    };
    let mut movers: Vec<RollupRow> = rows
        .iter()
        .filter(|r| r.period_start == last && r.change.0 != 0)
        .cloned()
        .collect();
    movers.sort_by(|a, b| b.change.abs().cmp(&a.change.abs()).then(a.keys.cmp(&b.keys)));
    movers.truncate(n);
    movers
}

#[cfg(test)]
mod tests {
    use parapet_model::cost::ChargeCategory;
    use parapet_model::{Account, AccountDirectory, AccountId};

    use super::*;

    fn spend(day: &str, account: &str, service: &str, cents: i128) -> DailySpend {
        DailySpend {
            day: Day::parse(day).unwrap(),
            account_id: account.into(),
            bill_account_name: None,
            service: service.into(),
            category: ChargeCategory::Usage,
            daily_usage: true,
            region: None,
            tags: vec![("user:team".into(), "payments".into())],
            currency: "USD".into(),
            amount: Money(cents * 10_000_000_000),
        }
    }

    #[test]
    fn weekly_by_team_with_changes() {
        let mut a = Account::new(AccountId::parse("111111111111").unwrap());
        a.name = "Payments Prod".into();
        a.team = "payments".into();
        let dir = AccountDirectory::new([a]);
        let rows = vec![
            spend("2024-09-09", "111111111111", "EC2", 1000),
            spend("2024-09-16", "111111111111", "EC2", 1500),
            spend("2024-09-17", "222222222222", "S3", 300),
        ];
        let names = Names::new(&dir, &rows);
        let out = rollup(
            &rows,
            &[Dim::Team],
            Period::Weekly,
            &names,
            Day::parse("2024-09-16").unwrap(),
            Day::parse("2024-09-22").unwrap(),
        );
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].period, "2024-W38");
        assert_eq!(out[0].keys, vec![("team".to_string(), "payments".to_string())]);
        assert_eq!(out[0].amount.to_cents_string(), "15.00");
        assert_eq!(out[0].change.to_cents_string(), "5.00");
        assert_eq!(out[0].change_pct, Some(50.0));
        assert_eq!(out[1].keys[0].1, "(no team)");
        assert!((out[0].share_pct - 83.333).abs() < 1e-3);
        let by_account = rollup(
            &rows,
            &[Dim::Account, Dim::Tag("user:team".into())],
            Period::Monthly,
            &names,
            Day::parse("2024-09-01").unwrap(),
            Day::parse("2024-09-30").unwrap(),
        );
        assert_eq!(
            by_account[0].keys[1],
            ("account_name".into(), "Payments Prod".into())
        );
        assert_eq!(by_account[0].keys[2], ("tag:user:team".into(), "payments".into()));
        let movers = top_movers(&out, 1);
        assert_eq!(movers[0].keys[0].1, "payments");
        assert_eq!(
            Period::Weekly.label(Day::parse("2024-12-30").unwrap()),
            "2025-W01"
        );
        assert_eq!(
            Period::Weekly.label(Day::parse("2021-01-04").unwrap()),
            "2021-W01"
        );
    }
}
