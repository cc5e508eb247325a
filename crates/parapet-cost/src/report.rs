//! The daily report: for the organisation, each team and each account, the day's spend, the day
//! before, the change, month to date, the same part of last month and a forecast for the
//! month's end.
//!
//! Forecast = month to date + the days left × the mean of the last seven days. The 1st of a
//! month is left out of that mean: monthly charges, taxes and fees land on it.

use std::collections::BTreeMap;

use parapet_model::cost::{CostMeasure, Day, Money};

use crate::rollup::money_text;
use crate::spend::{DailySpend, Names};

/// The figures of one scope.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct Figures {
    #[serde(serialize_with = "money_text")]
    pub day: Money,
    #[serde(serialize_with = "money_text")]
    pub day_before: Money,
    /// `None` when the day before had nothing.
    pub change_pct: Option<f64>,
    #[serde(serialize_with = "money_text")]
    pub month_to_date: Money,
    /// Last month from its 1st to the same day of the month (clamped to its end).
    #[serde(serialize_with = "money_text")]
    pub last_month_same_period: Money,
    #[serde(serialize_with = "money_text")]
    pub forecast_month_end: Money,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ServiceSpend {
    pub service: String,
    #[serde(serialize_with = "money_text")]
    pub amount: Money,
    #[serde(serialize_with = "money_text")]
    pub change: Money,
}

/// One scope's report.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ScopeReport {
    /// `organization`, `team` or `account`.
    pub scope: &'static str,
    /// The account id, the team's name, or `organization`.
    pub id: String,
    pub name: String,
    /// The account's team (accounts only).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub team: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub ou: String,
    /// The team's channel in the registry (teams and accounts; empty when unknown).
    #[serde(skip)]
    pub channel: String,
    pub figures: Figures,
    /// The day's largest services, with their change from the day before.
    pub top_services: Vec<ServiceSpend>,
    /// Accounts in a team or the organisation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accounts: Option<usize>,
}

/// The whole report of one day.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct DailyReport {
    pub date: Day,
    pub measure: &'static str,
    pub currency: String,
    pub organization: ScopeReport,
    pub teams: Vec<ScopeReport>,
    pub accounts: Vec<ScopeReport>,
    /// Money in other currencies left out, per currency.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub other_currencies: BTreeMap<String, String>,
}

/// The first day a report for `date` needs rows from.
pub fn report_start(date: Day) -> Day {
    date.month_earlier().month_start().min(date.plus(-8))
}

#[derive(Default)]
struct Acc {
    by_day: BTreeMap<Day, Money>,
    services_day: BTreeMap<String, Money>,
    services_before: BTreeMap<String, Money>,
}

fn figures(acc: &Acc, date: Day) -> Figures {
    let sum = |from: Day, to: Day| -> Money { acc.by_day.range(from..=to).map(|(_, m)| *m).sum() };
    let day = sum(date, date);
    let day_before = sum(date.plus(-1), date.plus(-1));
    let month_to_date = sum(date.month_start(), date);
    let last = date.month_earlier();
    let last_month_same_period = sum(last.month_start(), last);
    let run: Vec<Money> = (0..7)
        .map(|i| date.plus(-i))
        .filter(|d| d.ymd().2 != 1)
        .map(|d| sum(d, d))
        .collect();
    let rate = if run.is_empty() {
        Money::ZERO
    } else {
        Money(run.iter().map(|m| m.0).sum::<i128>() / run.len() as i128)
    };
    let left = date.days_in_month() - i64::from(date.ymd().2);
    Figures {
        day,
        day_before,
        change_pct: (day_before.0 != 0)
            .then(|| (day - day_before).to_f64() / day_before.abs().to_f64() * 100.0),
        month_to_date,
        last_month_same_period,
        forecast_month_end: month_to_date + Money(rate.0 * i128::from(left)),
    }
}

fn top(acc: &Acc, n: usize) -> Vec<ServiceSpend> {
    let mut v: Vec<ServiceSpend> = acc
        .services_day
        .iter()
        .map(|(s, m)| ServiceSpend {
            service: s.clone(),
            amount: *m,
            change: *m - acc.services_before.get(s).copied().unwrap_or_default(),
        })
        .collect();
    v.sort_by(|a, b| b.amount.cmp(&a.amount).then(a.service.cmp(&b.service)));
    v.truncate(n);
    v
}

/// Builds the report of `date` from rows reaching back to [`report_start`].
pub fn daily_report(
    rows: &[DailySpend],
    date: Day,
    names: &Names,
    measure: CostMeasure,
    currency: &str,
) -> DailyReport {
    let mut org = Acc::default();
    let mut teams: BTreeMap<String, Acc> = BTreeMap::new();
    let mut accounts: BTreeMap<String, Acc> = BTreeMap::new();
    let mut other: BTreeMap<String, Money> = BTreeMap::new();
    for r in rows.iter().filter(|r| r.day <= date) {
        if r.currency != currency {
            *other.entry(r.currency.clone()).or_default() += r.amount;
            continue;
        }
        let label = names.get(&r.account_id);
        for acc in [
            &mut org,
            teams.entry(label.team.clone()).or_default(),
            accounts.entry(r.account_id.clone()).or_default(),
        ] {
            *acc.by_day.entry(r.day).or_default() += r.amount;
            if r.day == date {
                *acc.services_day.entry(r.service.clone()).or_default() += r.amount;
            } else if r.day == date.plus(-1) {
                *acc.services_before.entry(r.service.clone()).or_default() += r.amount;
            }
        }
    }
    let mut team_accounts: BTreeMap<String, usize> = BTreeMap::new();
    let account_reports: Vec<ScopeReport> = accounts
        .iter()
        .map(|(id, acc)| {
            let label = names.get(id);
            *team_accounts.entry(label.team.clone()).or_default() += 1;
            ScopeReport {
                scope: "account",
                id: id.clone(),
                name: label.name,
                team: label.team,
                ou: label.ou,
                channel: label.channel,
                figures: figures(acc, date),
                top_services: top(acc, 3),
                accounts: None,
            }
        })
        .collect();
    let team_reports = teams
        .iter()
        .map(|(team, acc)| ScopeReport {
            scope: "team",
            id: team.clone(),
            name: team.clone(),
            team: String::new(),
            ou: String::new(),
            channel: names
                .all()
                .find(|l| &l.team == team && !l.channel.is_empty())
                .map(|l| l.channel.clone())
                .unwrap_or_default(),
            figures: figures(acc, date),
            top_services: top(acc, 5),
            accounts: team_accounts.get(team).copied(),
        })
        .collect();
    let mut account_reports = account_reports;
    account_reports.sort_by(|a, b| {
        b.figures
            .month_to_date
            .cmp(&a.figures.month_to_date)
            .then(a.id.cmp(&b.id))
    });
    DailyReport {
        date,
        measure: measure.as_str(),
        currency: currency.to_string(),
        organization: ScopeReport {
            scope: "organization",
            id: "organization".into(),
            name: "Organization".into(),
            team: String::new(),
            ou: String::new(),
            channel: String::new(),
            figures: figures(&org, date),
            top_services: top(&org, 5),
            accounts: Some(accounts.len()),
        },
        teams: team_reports,
        accounts: account_reports,
        other_currencies: other.into_iter().map(|(c, m)| (c, m.to_cents_string())).collect(),
    }
}

fn pct(p: Option<f64>) -> String {
    match p {
        Some(p) => format!("{p:+.1}%"),
        None => "new".into(),
    }
}

/// The report of one scope and the accounts under it, as fixed-width text (chat code blocks,
/// terminals, e-mail).
pub fn render_text(report: &DailyReport, scope: &ScopeReport) -> String {
    let c = &report.currency;
    let f = &scope.figures;
    let mut out = String::new();
    out.push_str(&format!(
        "{} on {} ({}, {})\n",
        scope.name, report.date, report.measure, c
    ));
    out.push_str(&format!(
        "  day {}  ({} the day before, {})\n  month to date {}  (last month by this day {})\n  forecast for the month {}\n",
        f.day.display(),
        f.day_before.display(),
        pct(f.change_pct),
        f.month_to_date.display(),
        f.last_month_same_period.display(),
        f.forecast_month_end.display(),
    ));
    if !scope.top_services.is_empty() {
        out.push_str("  top services:");
        for s in &scope.top_services {
            out.push_str(&format!(
                " {} {} ({}{});",
                s.service,
                s.amount.display(),
                if s.change.0 >= 0 { "+" } else { "" },
                s.change.display()
            ));
        }
        out.pop();
        out.push('\n');
    }
    let accounts: Vec<&ScopeReport> = report
        .accounts
        .iter()
        .filter(|a| match scope.scope {
            "team" => a.team == scope.id,
            "account" => false,
            _ => true,
        })
        .collect();
    if !accounts.is_empty() {
        let width = accounts
            .iter()
            .map(|a| a.name.chars().count())
            .max()
            .unwrap_or(7)
            .clamp(7, 32);
        out.push_str(&format!(
            "\n{:<width$} {:>12} {:>12} {:>8} {:>13} {:>13}\n",
            "account", "day", "day before", "change", "month to date", "forecast"
        ));
        for a in accounts {
            let name: String = a.name.chars().take(width).collect();
            out.push_str(&format!(
                "{:<width$} {:>12} {:>12} {:>8} {:>13} {:>13}\n",
                name,
                a.figures.day.display(),
                a.figures.day_before.display(),
                pct(a.figures.change_pct),
                a.figures.month_to_date.display(),
                a.figures.forecast_month_end.display(),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use parapet_model::cost::ChargeCategory;
    use parapet_model::{Account, AccountDirectory, AccountId};

    use super::*;

    fn spend(day: Day, account: &str, dollars: i128) -> DailySpend {
        DailySpend {
            day,
            account_id: account.into(),
            bill_account_name: Some("Billed Name".into()),
            service: "EC2".into(),
            category: ChargeCategory::Usage,
            daily_usage: true,
            region: None,
            tags: Vec::new(),
            currency: "USD".into(),
            amount: Money::whole(dollars),
        }
    }

    #[test]
    fn figures_of_a_day() {
        let mut a = Account::new(AccountId::parse("111111111111").unwrap());
        a.name = "Payments Prod".into();
        a.team = "payments".into();
        let dir = AccountDirectory::new([a]);
        let date = Day::parse("2024-09-10").unwrap();
        let mut rows = Vec::new();
        for i in 0..=70 {
            let d = report_start(date).plus(i);
            if d > date {
                break;
            }
            // $10 a day, $110 on the 1st (a monthly charge), $20 on the report's day.
            let v = if d == date {
                20
            } else if d.ymd().2 == 1 {
                110
            } else {
                10
            };
            rows.push(spend(d, "111111111111", v));
            rows.push(spend(d, "222222222222", 1));
        }
        let names = Names::new(&dir, &rows);
        let r = daily_report(&rows, date, &names, CostMeasure::Unblended, "USD");
        let acc = &r.accounts[0];
        assert_eq!(
            (acc.name.as_str(), acc.team.as_str()),
            ("Payments Prod", "payments")
        );
        assert_eq!(acc.figures.day.to_cents_string(), "20.00");
        assert_eq!(acc.figures.change_pct, Some(100.0));
        // 1st: 110, 2nd–9th: 8 × 10, 10th: 20.
        assert_eq!(acc.figures.month_to_date.to_cents_string(), "210.00");
        // 1 August: 110, 2nd–10th: 9 × 10.
        assert_eq!(acc.figures.last_month_same_period.to_cents_string(), "200.00");
        // Mean of the 4th–10th (no 1st among them): (6 × 10 + 20) / 7 = 11.43; 20 days left.
        assert_eq!(acc.figures.forecast_month_end.to_cents_string(), "438.57");
        assert_eq!(r.accounts[1].name, "Billed Name");
        assert_eq!(r.organization.accounts, Some(2));
        let text = render_text(&r, &r.teams[1]);
        assert!(
            text.starts_with("payments on 2024-09-10 (unblended, USD)"),
            "{text}"
        );
        assert!(text.contains("Payments Prod"), "{text}");
        assert!(!text.contains("Billed Name"), "{text}");
    }
}
