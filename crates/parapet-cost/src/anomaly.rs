//! Spend anomalies: a day's usage of one account on one service far above its own recent days.
//!
//! The baseline of day `d` is the account's billed days among the `window_days` before it
//! (a day the service cost nothing counts as zero, so a service that appears from nowhere is
//! judged too). Median and median absolute deviation make it robust: one earlier spike does not
//! raise the bar, and a weekly rhythm (quiet weekends) does not lower it. A day is an anomaly
//! when its spend exceeds the median by at least `min_increase`, by at least
//! `min_increase_ratio` of the median, and by at least `mad_threshold` × 1.4826 × MAD.
//!
//! Only usage that accrues day by day is judged: monthly charges, fees, taxes and credits come
//! on fixed days (the 1st) and would all look like spikes.

use std::collections::{BTreeMap, BTreeSet};

use parapet_model::cost::{AnomalyConfig, Day, Money};
use parapet_model::Severity;

use crate::rollup::money_text;
use crate::spend::DailySpend;

/// One account × service × day judged a spike.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Anomaly {
    pub day: Day,
    pub account_id: String,
    pub service: String,
    pub currency: String,
    #[serde(serialize_with = "money_text")]
    pub amount: Money,
    /// The baseline's median.
    #[serde(serialize_with = "money_text")]
    pub median: Money,
    #[serde(serialize_with = "money_text")]
    pub mad: Money,
    /// `amount - median`.
    #[serde(serialize_with = "money_text")]
    pub increase: Money,
    /// The spend above which the day is an anomaly.
    #[serde(serialize_with = "money_text")]
    pub threshold: Money,
    pub history_days: u32,
    pub severity: Severity,
}

fn median(sorted: &[i128]) -> i128 {
    let n = sorted.len();
    if n == 0 {
        0
    } else if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2
    }
}

/// The anomalies of days `[from, to]`, by day then increase.
pub fn find_anomalies(rows: &[DailySpend], from: Day, to: Day, config: &AnomalyConfig) -> Vec<Anomaly> {
    // Days each account was billed for anything (its history), and its daily usage series.
    let mut billed: BTreeMap<&str, BTreeSet<Day>> = BTreeMap::new();
    type SeriesKey<'a> = (&'a str, &'a str, &'a str);
    let mut series: BTreeMap<SeriesKey<'_>, BTreeMap<Day, Money>> = BTreeMap::new();
    for r in rows {
        billed.entry(&r.account_id).or_default().insert(r.day);
        if r.daily_usage {
            *series
                .entry((&r.account_id, &r.service, &r.currency))
                .or_default()
                .entry(r.day)
                .or_default() += r.amount;
        }
    }
    let window = i64::from(config.window_days.max(1));
    let unit = Money::from_f64(1.0).0 as f64;
    let mut out = Vec::new();
    for ((account, service, currency), days) in &series {
        let Some(history) = billed.get(account) else {
            continue;
        };
        for (&day, &amount) in days.range(from..=to) {
            let past: Vec<Day> = history.range(day.plus(-window)..day).copied().collect();
            if past.len() < config.min_history_days as usize {
                continue;
            }
            let mut values: Vec<i128> = past
                .iter()
                .map(|d| days.get(d).map(|m| m.0).unwrap_or(0))
                .collect();
            values.sort_unstable();
            let med = median(&values);
            let mut dev: Vec<i128> = values.iter().map(|v| (v - med).abs()).collect();
            dev.sort_unstable();
            let mad = median(&dev);
            let margin = (config.min_increase * unit)
                .max(config.min_increase_ratio * med as f64)
                .max(config.mad_threshold * 1.4826 * mad as f64);
            let threshold = Money(med + margin.round() as i128);
            if amount <= threshold {
                continue;
            }
            let increase = Money(amount.0 - med);
            let severity = if increase.to_f64() >= config.high_increase {
                Severity::High
            } else if increase.to_f64() >= config.high_increase / 2.0 {
                Severity::Medium
            } else {
                Severity::Low
            };
            out.push(Anomaly {
                day,
                account_id: account.to_string(),
                service: service.to_string(),
                currency: currency.to_string(),
                amount,
                median: Money(med),
                mad: Money(mad),
                increase,
                threshold,
                history_days: past.len() as u32,
                severity,
            });
        }
    }
    out.sort_by(|a, b| a.day.cmp(&b.day).then(b.increase.cmp(&a.increase)));
    out
}

#[cfg(test)]
mod tests {
    use parapet_model::cost::ChargeCategory;

    use super::*;

    fn usage(day: Day, service: &str, dollars: f64, daily: bool) -> DailySpend {
        DailySpend {
            day,
            account_id: "111111111111".into(),
            bill_account_name: None,
            service: service.into(),
            category: ChargeCategory::Usage,
            daily_usage: daily,
            region: None,
            tags: Vec::new(),
            currency: "USD".into(),
            amount: Money::from_f64(dollars),
        }
    }

    /// 60 days of steady spend with quiet weekends and ±5 % noise, a monthly charge on each 1st.
    fn steady() -> Vec<DailySpend> {
        let start = Day::parse("2024-08-01").unwrap();
        let mut rows = Vec::new();
        let mut noise: u64 = 7;
        for i in 0..60 {
            let day = start.plus(i);
            noise = noise
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let jitter = 0.95 + (noise >> 33) as f64 / (1u64 << 31) as f64 * 0.10;
            let weekend = if day.weekday() >= 5 { 0.7 } else { 1.0 };
            rows.push(usage(day, "EC2", 200.0 * weekend * jitter, true));
            if day.ymd().2 == 1 {
                rows.push(usage(day, "Route 53", 900.0, false));
            }
        }
        rows
    }

    #[test]
    fn steady_spend_and_month_starts_do_not_alarm() {
        let rows = steady();
        let found = find_anomalies(
            &rows,
            Day::parse("2024-08-01").unwrap(),
            Day::parse("2024-09-29").unwrap(),
            &AnomalyConfig::default(),
        );
        assert!(found.is_empty(), "{found:#?}");
    }

    #[test]
    fn spikes_and_new_services_alarm() {
        let mut rows = steady();
        let spike = Day::parse("2024-09-20").unwrap();
        rows.iter_mut()
            .filter(|r| r.day == spike && r.service == "EC2")
            .for_each(|r| r.amount = Money::from_f64(1300.0));
        let new = Day::parse("2024-09-10").unwrap();
        rows.push(usage(new, "SageMaker", 450.0, true));
        // A small new service stays under the absolute floor.
        rows.push(usage(new, "KMS", 3.0, true));
        let found = find_anomalies(
            &rows,
            Day::parse("2024-08-01").unwrap(),
            Day::parse("2024-09-29").unwrap(),
            &AnomalyConfig::default(),
        );
        let got: Vec<(String, &str, Severity)> = found
            .iter()
            .map(|a| (a.day.to_string(), a.service.as_str(), a.severity))
            .collect();
        assert_eq!(
            got,
            vec![
                ("2024-09-10".to_string(), "SageMaker", Severity::Low),
                ("2024-09-20".to_string(), "EC2", Severity::High),
            ]
        );
        assert_eq!(found[0].median, Money::ZERO);
        assert!(found[1].history_days >= 14);
    }
}
