//! Cost: one normalised line of a bill (legacy CUR, CUR 2.0 or FOCUS), exact money, and the
//! `[cost]` config types.
//!
//! Money is kept exact: an `i128` count of 1e-12 of the currency unit, finer than any bill
//! carries (CUR costs have up to 10 decimal places, the FOCUS sample 11). Sums of millions of lines stay exact, so
//! totals reconcile to the cent with any independent computation over the same files.

use std::fmt;

use crate::time::{civil_from_days, days_from_civil, days_in_month};

/// Decimal places [`Money`] keeps.
pub const MONEY_SCALE: u32 = 12;
const UNIT: i128 = 1_000_000_000_000;

/// An exact amount of money, in units of 1e-12 (of the line's currency).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Money(pub i128);

/// Why a decimal string is not an amount.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a decimal number")]
pub struct MoneyError(pub String);

impl Money {
    pub const ZERO: Money = Money(0);

    /// Parses a decimal as bills write it: `12`, `-0.0000004`, `1.5E-7`, `+3.`, `.5`.
    /// Digits past the twelfth decimal place are rounded half to even.
    pub fn parse(s: &str) -> Result<Money, MoneyError> {
        let err = || MoneyError(s.to_string());
        let t = s.trim();
        let (mantissa, exp) = match t.find(['e', 'E']) {
            Some(i) => {
                let e: i32 = t[i + 1..].parse().map_err(|_| err())?;
                (&t[..i], e)
            }
            None => (t, 0),
        };
        let (neg, digits) = match mantissa.as_bytes().first() {
            Some(b'-') => (true, &mantissa[1..]),
            Some(b'+') => (false, &mantissa[1..]),
            _ => (false, mantissa),
        };
        let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
        if int.is_empty() && frac.is_empty()
            || !int.bytes().all(|c| c.is_ascii_digit())
            || !frac.bytes().all(|c| c.is_ascii_digit())
        {
            return Err(err());
        }
        // All significant digits as one integer, and where the decimal point sits.
        let all = format!("{int}{frac}");
        let all = all.trim_start_matches('0');
        let point = frac.len() as i32 - exp; // digits after the point
        if all.len() > 36 || point < -20 {
            return Err(err());
        }
        let mut value: i128 = if all.is_empty() {
            0
        } else {
            all.parse().map_err(|_| err())?
        };
        let shift = MONEY_SCALE as i32 - point;
        if shift >= 0 {
            value = value
                .checked_mul(10i128.checked_pow(shift as u32).ok_or_else(err)?)
                .ok_or_else(err)?;
        } else {
            let div = 10i128.checked_pow((-shift) as u32).unwrap_or(i128::MAX);
            let (q, r) = (value / div, value % div);
            let twice = r.saturating_mul(2);
            value = if twice > div || (twice == div && q % 2 == 1) {
                q + 1
            } else {
                q
            };
        }
        Ok(Money(if neg { -value } else { value }))
    }

    /// The amount as a float (for ratios and charts, never for sums).
    pub fn to_f64(self) -> f64 {
        self.0 as f64 / UNIT as f64
    }

    /// Rounded to whole cents, half away from zero.
    pub fn cents(self) -> i128 {
        let per_cent = UNIT / 100;
        let half = per_cent / 2;
        if self.0 >= 0 {
            (self.0 + half) / per_cent
        } else {
            -((-self.0 + half) / per_cent)
        }
    }

    /// `1234.57`: rounded to cents.
    pub fn to_cents_string(self) -> String {
        let c = self.cents();
        let sign = if c < 0 { "-" } else { "" };
        format!("{sign}{}.{:02}", c.abs() / 100, c.abs() % 100)
    }

    /// `1,234.57`: rounded to cents, with thousands separators.
    pub fn display(self) -> String {
        let c = self.cents();
        let sign = if c < 0 { "-" } else { "" };
        let whole = (c.abs() / 100).to_string();
        let mut grouped = String::new();
        for (i, ch) in whole.chars().enumerate() {
            if i > 0 && (whole.len() - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(ch);
        }
        format!("{sign}{grouped}.{:02}", c.abs() % 100)
    }

    /// Whole units (dollars).
    pub const fn whole(v: i128) -> Money {
        Money(v * UNIT)
    }

    pub fn from_f64(v: f64) -> Money {
        Money((v * UNIT as f64).round() as i128)
    }

    pub fn abs(self) -> Money {
        Money(self.0.abs())
    }
}

impl fmt::Display for Money {
    /// Every digit kept: `-0.0000004`, `12`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let v = self.0.unsigned_abs();
        let unit = UNIT as u128;
        let frac = format!("{:012}", v % unit);
        let frac = frac.trim_end_matches('0');
        if frac.is_empty() {
            write!(f, "{sign}{}", v / unit)
        } else {
            write!(f, "{sign}{}.{frac}", v / unit)
        }
    }
}

impl std::ops::Add for Money {
    type Output = Money;
    fn add(self, o: Money) -> Money {
        Money(self.0 + o.0)
    }
}

impl std::ops::AddAssign for Money {
    fn add_assign(&mut self, o: Money) {
        self.0 += o.0;
    }
}

impl std::ops::Sub for Money {
    type Output = Money;
    fn sub(self, o: Money) -> Money {
        Money(self.0 - o.0)
    }
}

impl std::ops::Neg for Money {
    type Output = Money;
    fn neg(self) -> Money {
        Money(-self.0)
    }
}

impl std::iter::Sum for Money {
    fn sum<I: Iterator<Item = Money>>(iter: I) -> Money {
        iter.fold(Money::ZERO, |a, b| a + b)
    }
}

/// The bill a line came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CostFormat {
    /// Legacy Cost and Usage Report (`lineItem/UnblendedCost` in CSV, snake_case in Parquet).
    Cur1,
    /// CUR 2.0 from Data Exports (snake_case, tags and product as maps).
    Cur2,
    /// FinOps FOCUS 1.x.
    Focus,
}

impl CostFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            CostFormat::Cur1 => "cur1",
            CostFormat::Cur2 => "cur2",
            CostFormat::Focus => "focus",
        }
    }
}

/// FOCUS's charge categories; CUR line item types map onto them ([`ChargeCategory::from_cur`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum ChargeCategory {
    Usage,
    Purchase,
    Tax,
    Credit,
    Adjustment,
}

impl ChargeCategory {
    pub fn as_str(self) -> &'static str {
        match self {
            ChargeCategory::Usage => "Usage",
            ChargeCategory::Purchase => "Purchase",
            ChargeCategory::Tax => "Tax",
            ChargeCategory::Credit => "Credit",
            ChargeCategory::Adjustment => "Adjustment",
        }
    }

    pub fn parse(s: &str) -> Option<ChargeCategory> {
        [
            ChargeCategory::Usage,
            ChargeCategory::Purchase,
            ChargeCategory::Tax,
            ChargeCategory::Credit,
            ChargeCategory::Adjustment,
        ]
        .into_iter()
        .find(|c| c.as_str().eq_ignore_ascii_case(s.trim()))
    }

    /// A legacy CUR / CUR 2.0 `line_item_type`, as AWS's own FOCUS export maps it: usage of any
    /// kind (also covered by a commitment, and the Savings Plan negation that cancels covered
    /// usage in the unblended view) is Usage; fees and commitment fees are Purchase; credits,
    /// refunds and discounts are Credit; anything unknown is Adjustment.
    pub fn from_cur(line_item_type: &str) -> ChargeCategory {
        match line_item_type {
            "Usage" | "DiscountedUsage" | "SavingsPlanCoveredUsage" | "SavingsPlanNegation" => {
                ChargeCategory::Usage
            }
            "Fee" | "RIFee" | "SavingsPlanUpfrontFee" | "SavingsPlanRecurringFee" => ChargeCategory::Purchase,
            "Tax" => ChargeCategory::Tax,
            "Credit"
            | "Refund"
            | "BundledDiscount"
            | "Discount"
            | "EdpDiscount"
            | "PrivateRateDiscount"
            | "SppDiscount"
            | "DistributorDiscount" => ChargeCategory::Credit,
            _ => ChargeCategory::Adjustment,
        }
    }
}

/// The four ways AWS counts a line's cost.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Costs {
    /// What the line is billed at, before commitments are spread (CUR `UnblendedCost`, FOCUS
    /// `BilledCost`).
    pub unblended: Money,
    /// Commitments spread over the usage they cover (AWS's amortised cost, FOCUS
    /// `EffectiveCost`).
    pub amortized: Money,
    /// Unblended after negotiated discounts (CUR `NetUnblendedCost`, else unblended).
    pub net_unblended: Money,
    /// Amortised after negotiated discounts (CUR's `Net…` columns, else amortised).
    pub net_amortized: Money,
}

/// Which of [`Costs`] a report counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CostMeasure {
    #[default]
    Unblended,
    Amortized,
    NetUnblended,
    NetAmortized,
}

impl CostMeasure {
    pub const ALL: [CostMeasure; 4] = [
        CostMeasure::Unblended,
        CostMeasure::Amortized,
        CostMeasure::NetUnblended,
        CostMeasure::NetAmortized,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CostMeasure::Unblended => "unblended",
            CostMeasure::Amortized => "amortized",
            CostMeasure::NetUnblended => "net-unblended",
            CostMeasure::NetAmortized => "net-amortized",
        }
    }

    /// The lake's column holding this measure.
    pub fn column(self) -> &'static str {
        match self {
            CostMeasure::Unblended => "unblended_cost",
            CostMeasure::Amortized => "amortized_cost",
            CostMeasure::NetUnblended => "net_unblended_cost",
            CostMeasure::NetAmortized => "net_amortized_cost",
        }
    }

    pub fn parse(s: &str) -> Option<CostMeasure> {
        let s = s.trim().to_ascii_lowercase().replace('_', "-");
        let s = s.replace("amortised", "amortized");
        CostMeasure::ALL.into_iter().find(|m| m.as_str() == s)
    }

    pub fn of(self, c: &Costs) -> Money {
        match self {
            CostMeasure::Unblended => c.unblended,
            CostMeasure::Amortized => c.amortized,
            CostMeasure::NetUnblended => c.net_unblended,
            CostMeasure::NetAmortized => c.net_amortized,
        }
    }
}

/// One line of a bill, whatever format it came in.
#[derive(Clone, Debug, PartialEq)]
pub struct CostLine {
    pub format: CostFormat,
    /// `identity/LineItemId` or FOCUS's `Id`, when the bill has one.
    pub line_id: Option<String>,
    /// `YYYY-MM`.
    pub billing_period: String,
    pub charge_start_ms: i64,
    pub charge_end_ms: i64,
    /// `AWS` for CUR; FOCUS's `ProviderName`.
    pub provider: String,
    /// The payer (CUR `bill/PayerAccountId`, FOCUS `BillingAccountId`).
    pub billing_account_id: String,
    /// The account that used it (CUR `lineItem/UsageAccountId`, FOCUS `SubAccountId`).
    pub account_id: String,
    /// The account's name when the bill carries it (CUR 2.0, FOCUS); legacy CUR has none.
    pub account_name: Option<String>,
    /// The product's name (`product/ProductName`, FOCUS `ServiceName`), else its code.
    pub service: String,
    pub service_code: Option<String>,
    pub region: Option<String>,
    pub usage_type: Option<String>,
    pub operation: Option<String>,
    pub resource_id: Option<String>,
    pub category: ChargeCategory,
    /// FOCUS `ChargeClass` (`Correction`), or `Correction` for a CUR `Refund`.
    pub charge_class: Option<String>,
    /// The source's own type: CUR `LineItemType`, or FOCUS `ChargeCategory`.
    pub line_item_type: String,
    /// FOCUS `ChargeFrequency` (`One-Time`, `Recurring`, `Usage-Based`); for CUR, `Recurring`
    /// when the line spans more than a day, else `Usage-Based` (usage) or `One-Time` (the rest).
    pub charge_frequency: String,
    pub description: Option<String>,
    pub costs: Costs,
    /// Public on-demand cost (`pricing/publicOnDemandCost`, FOCUS `ListCost`).
    pub list_cost: Option<Money>,
    pub currency: String,
    pub usage_quantity: Option<f64>,
    pub usage_unit: Option<String>,
    /// Cost allocation tags, sorted by key (`user:team`, `aws:createdBy`, FOCUS tag names).
    pub tags: Vec<(String, String)>,
}

const MS_PER_DAY: i64 = 86_400_000;

impl CostLine {
    /// The UTC day (days since 1970-01-01) the line is counted on: its charge period's start.
    pub fn day(&self) -> i64 {
        self.charge_start_ms.div_euclid(MS_PER_DAY)
    }

    /// Usage that accrues day by day, the only kind anomalies are looked for in: monthly
    /// charges, fees, taxes and credits come on fixed days and would look like spikes.
    pub fn is_daily_usage(&self) -> bool {
        self.category == ChargeCategory::Usage
            && self.charge_frequency == "Usage-Based"
            && self.charge_end_ms - self.charge_start_ms <= MS_PER_DAY + 3_600_000
    }
}

/// A calendar day, as a day number since 1970-01-01 (UTC).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(into = "String")]
pub struct Day(pub i64);

impl Day {
    pub fn from_ymd(y: i64, m: u32, d: u32) -> Day {
        Day(days_from_civil(y, m, d))
    }

    /// `YYYY-MM-DD` or `YYYYMMDD`.
    pub fn parse(s: &str) -> Option<Day> {
        let s = s.trim();
        let digits: String = s.chars().filter(|c| *c != '-').collect();
        if digits.len() != 8 || !digits.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        if s.len() == 10 && (s.as_bytes()[4] != b'-' || s.as_bytes()[7] != b'-') {
            return None;
        }
        let y: i64 = digits[0..4].parse().ok()?;
        let m: u32 = digits[4..6].parse().ok()?;
        let d: u32 = digits[6..8].parse().ok()?;
        if !(1..=12).contains(&m) || d == 0 || i64::from(d) > days_in_month(y, m) {
            return None;
        }
        Some(Day::from_ymd(y, m, d))
    }

    pub fn from_ms(ms: i64) -> Day {
        Day(ms.div_euclid(MS_PER_DAY))
    }

    pub fn start_ms(self) -> i64 {
        self.0 * MS_PER_DAY
    }

    pub fn ymd(self) -> (i64, u32, u32) {
        civil_from_days(self.0)
    }

    pub fn plus(self, days: i64) -> Day {
        Day(self.0 + days)
    }

    /// The first day of this day's month.
    pub fn month_start(self) -> Day {
        let (y, m, _) = self.ymd();
        Day::from_ymd(y, m, 1)
    }

    pub fn days_in_month(self) -> i64 {
        let (y, m, _) = self.ymd();
        days_in_month(y, m)
    }

    /// The same day of the previous month, clamped to its last day (31 March → 29 February).
    pub fn month_earlier(self) -> Day {
        let (y, m, d) = self.ymd();
        let (py, pm) = if m == 1 { (y - 1, 12) } else { (y, m - 1) };
        Day::from_ymd(py, pm, d.min(days_in_month(py, pm) as u32))
    }

    /// Monday of this day's ISO week.
    pub fn week_start(self) -> Day {
        // 1970-01-01 was a Thursday.
        Day(self.0 - (self.0 + 3).rem_euclid(7))
    }

    /// 0 = Monday … 6 = Sunday.
    pub fn weekday(self) -> u32 {
        (self.0 + 3).rem_euclid(7) as u32
    }

    /// `YYYY-MM`.
    pub fn month_label(self) -> String {
        let (y, m, _) = self.ymd();
        format!("{y:04}-{m:02}")
    }
}

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = self.ymd();
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

impl From<Day> for String {
    fn from(d: Day) -> String {
        d.to_string()
    }
}

/// `[cost.anomaly]`: when a day's spend of one account on one service is a spike.
#[derive(Clone, Debug, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct AnomalyConfig {
    /// Days before the judged day that form its baseline.
    pub window_days: u32,
    /// A series needs this many days of history (days the account was billed) to be judged.
    pub min_history_days: u32,
    /// The increase over the baseline's median must be at least this much money …
    pub min_increase: f64,
    /// … and at least this share of the median …
    pub min_increase_ratio: f64,
    /// … and at least this many robust standard deviations (1.4826 × MAD).
    pub mad_threshold: f64,
    /// Increases of at least this much are high severity; of half of it, medium; else low.
    pub high_increase: f64,
}

impl Default for AnomalyConfig {
    fn default() -> Self {
        AnomalyConfig {
            window_days: 28,
            min_history_days: 14,
            min_increase: 50.0,
            min_increase_ratio: 0.5,
            mad_threshold: 6.0,
            high_increase: 1000.0,
        }
    }
}

/// `[cost]`: where bills come from, which cost reports count, the daily report, anomalies.
#[derive(Clone, Debug, Default, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct CostConfig {
    /// Where `parapet cost ingest` reads bills when not told: a folder or `s3://bucket/prefix`
    /// (legacy CUR, CUR 2.0 or FOCUS exports, with or without their manifests).
    pub source: Option<String>,
    /// The cost reports and anomalies count: unblended (Cost Explorer's default), amortized,
    /// net-unblended or net-amortized.
    pub measure: CostMeasure,
    pub report: CostReportConfig,
    pub anomaly: AnomalyConfig,
}

/// `[cost.report]`: the daily report in chat.
#[derive(Clone, Debug, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct CostReportConfig {
    /// The local time (`notify.timezone`) after which yesterday's report is queued; unset: only
    /// `parapet cost report --send` sends it.
    pub at: Option<crate::clock::ClockTime>,
    /// Channels that receive the organisation's report.
    pub channels: Vec<String>,
    /// Each team's channel receives its team's report (its accounts).
    pub teams: bool,
}

impl Default for CostReportConfig {
    fn default() -> Self {
        CostReportConfig {
            at: None,
            channels: Vec::new(),
            teams: true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_money_exactly() {
        assert_eq!(Money::parse("0.00000080000").unwrap(), Money(800_000));
        assert_eq!(Money::parse("-0.0000004").unwrap(), Money(-400_000));
        assert_eq!(Money::parse("12").unwrap(), Money::whole(12));
        assert_eq!(Money::parse("1.5E-7").unwrap(), Money(150_000));
        assert_eq!(Money::parse("2e3").unwrap(), Money::whole(2000));
        assert_eq!(Money::parse(".5").unwrap(), Money(500_000_000_000));
        assert_eq!(Money::parse("0.53707392473").unwrap(), Money(537_073_924_730));
        assert_eq!(Money::parse("0").unwrap(), Money(0));
        // Past twelve places: half to even.
        assert_eq!(Money::parse("0.0000000000005").unwrap(), Money(0));
        assert_eq!(Money::parse("0.0000000000015").unwrap(), Money(2));
        assert_eq!(Money::parse("0.00000000000151").unwrap(), Money(2));
        for bad in ["", "-", "1.2.3", "abc", "1e", "NULL", "1,5"] {
            assert!(Money::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn shows_money() {
        let m = Money::parse("1234567.005").unwrap();
        assert_eq!(m.to_cents_string(), "1234567.01");
        assert_eq!(m.display(), "1,234,567.01");
        assert_eq!(Money::parse("-0.004").unwrap().to_cents_string(), "0.00");
        assert_eq!(Money::parse("-12.345").unwrap().display(), "-12.35");
        assert_eq!(Money::parse("-0.0000004").unwrap().to_string(), "-0.0000004");
        assert_eq!(Money::parse("12.50").unwrap().to_string(), "12.5");
    }

    #[test]
    fn days() {
        let d = Day::parse("2024-03-31").unwrap();
        assert_eq!(d.month_earlier().to_string(), "2024-02-29");
        assert_eq!(d.month_start().to_string(), "2024-03-01");
        assert_eq!(
            Day::parse("20240318").unwrap().week_start().to_string(),
            "2024-03-18"
        );
        assert_eq!(
            Day::parse("2024-03-24").unwrap().week_start().to_string(),
            "2024-03-18"
        );
        assert_eq!(Day::parse("2024-03-18").unwrap().weekday(), 0);
        assert!(Day::parse("2024-02-30").is_none());
        assert_eq!(
            ChargeCategory::from_cur("SavingsPlanNegation"),
            ChargeCategory::Usage
        );
        assert_eq!(
            CostMeasure::parse("net_amortised"),
            Some(CostMeasure::NetAmortized)
        );
    }
}
