//! From a bill's columns to [`CostLine`]s: which format a header is, where each field sits, and
//! how AWS defines each cost of a line.
//!
//! One code path serves CSV and Parquet: a reader hands over the header's names and, per row,
//! the cells as text ([`Cells`]); Parquet map columns (CUR 2.0's `resource_tags`, `product`)
//! arrive as JSON objects.

use parapet_model::cost::{ChargeCategory, CostFormat, CostLine, Costs, Money};
use parapet_model::time::parse_rfc3339_ms;

/// The cells of one row, by column index. Empty cells and the literal `NULL` (FOCUS sample
/// files) are missing values.
pub trait Cells {
    fn raw(&self, i: usize) -> Option<&str>;

    fn cell(&self, i: usize) -> Option<&str> {
        self.raw(i)
            .map(str::trim)
            .filter(|v| !v.is_empty() && *v != "NULL")
    }
}

impl Cells for csv::StringRecord {
    fn raw(&self, i: usize) -> Option<&str> {
        self.get(i)
    }
}

impl Cells for [Option<String>] {
    fn raw(&self, i: usize) -> Option<&str> {
        self.get(i).and_then(|c| c.as_deref())
    }
}

impl Cells for Vec<Option<String>> {
    fn raw(&self, i: usize) -> Option<&str> {
        self.as_slice().raw(i)
    }
}

/// The fields parapet reads, each with the names it goes by: legacy CUR CSV
/// (`category/Name`), legacy CUR Parquet and CUR 2.0 (snake_case), FOCUS (PascalCase).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum F {
    LineId,
    Payer,
    PeriodStart,
    Account,
    AccountName,
    Type,
    Start,
    End,
    ProductCode,
    ProductName,
    Region,
    UsageType,
    Operation,
    Resource,
    Unblended,
    NetUnblended,
    Currency,
    UsageAmount,
    Unit,
    Description,
    PublicCost,
    SpEffective,
    SpNetEffective,
    SpTotalCommitment,
    SpUsedCommitment,
    RiEffective,
    RiNetEffective,
    RiUnusedUpfront,
    RiNetUnusedUpfront,
    RiUnusedRecurring,
    RiNetUnusedRecurring,
    RiArn,
    TagsMap,
    ProductMap,
    // FOCUS
    FocusId,
    BillingAccount,
    SubAccount,
    SubAccountName,
    BillingPeriodStart,
    ChargeStart,
    ChargeEnd,
    ChargeCategory,
    ChargeClass,
    ChargeFrequency,
    ChargeDescription,
    Provider,
    ServiceName,
    RegionId,
    ResourceId,
    BilledCost,
    EffectiveCost,
    ListCost,
    BillingCurrency,
    ConsumedQuantity,
    ConsumedUnit,
    PricingUnit,
    Tags,
    XServiceCode,
    XUsageType,
    XOperation,
}

const NAMES: &[(F, &[&str])] = &[
    (F::LineId, &["identity/LineItemId", "identity_line_item_id"]),
    (F::Payer, &["bill/PayerAccountId", "bill_payer_account_id"]),
    (
        F::PeriodStart,
        &["bill/BillingPeriodStartDate", "bill_billing_period_start_date"],
    ),
    (
        F::Account,
        &["lineItem/UsageAccountId", "line_item_usage_account_id"],
    ),
    (F::AccountName, &["line_item_usage_account_name"]),
    (F::Type, &["lineItem/LineItemType", "line_item_line_item_type"]),
    (
        F::Start,
        &["lineItem/UsageStartDate", "line_item_usage_start_date"],
    ),
    (F::End, &["lineItem/UsageEndDate", "line_item_usage_end_date"]),
    (
        F::ProductCode,
        &["lineItem/ProductCode", "line_item_product_code"],
    ),
    (F::ProductName, &["product/ProductName", "product_product_name"]),
    (
        F::Region,
        &[
            "product/region",
            "product_region",
            "product/regionCode",
            "product_region_code",
        ],
    ),
    (F::UsageType, &["lineItem/UsageType", "line_item_usage_type"]),
    (F::Operation, &["lineItem/Operation", "line_item_operation"]),
    (F::Resource, &["lineItem/ResourceId", "line_item_resource_id"]),
    (
        F::Unblended,
        &["lineItem/UnblendedCost", "line_item_unblended_cost"],
    ),
    (
        F::NetUnblended,
        &["lineItem/NetUnblendedCost", "line_item_net_unblended_cost"],
    ),
    (F::Currency, &["lineItem/CurrencyCode", "line_item_currency_code"]),
    (
        F::UsageAmount,
        &["lineItem/UsageAmount", "line_item_usage_amount"],
    ),
    (F::Unit, &["pricing/unit", "pricing_unit"]),
    (
        F::Description,
        &["lineItem/LineItemDescription", "line_item_line_item_description"],
    ),
    (
        F::PublicCost,
        &["pricing/publicOnDemandCost", "pricing_public_on_demand_cost"],
    ),
    (
        F::SpEffective,
        &[
            "savingsPlan/SavingsPlanEffectiveCost",
            "savings_plan_savings_plan_effective_cost",
        ],
    ),
    (
        F::SpNetEffective,
        &[
            "savingsPlan/NetSavingsPlanEffectiveCost",
            "savings_plan_net_savings_plan_effective_cost",
        ],
    ),
    (
        F::SpTotalCommitment,
        &[
            "savingsPlan/TotalCommitmentToDate",
            "savings_plan_total_commitment_to_date",
        ],
    ),
    (
        F::SpUsedCommitment,
        &["savingsPlan/UsedCommitment", "savings_plan_used_commitment"],
    ),
    (
        F::RiEffective,
        &["reservation/EffectiveCost", "reservation_effective_cost"],
    ),
    (
        F::RiNetEffective,
        &["reservation/NetEffectiveCost", "reservation_net_effective_cost"],
    ),
    (
        F::RiUnusedUpfront,
        &[
            "reservation/UnusedAmortizedUpfrontFeeForBillingPeriod",
            "reservation_unused_amortized_upfront_fee_for_billing_period",
        ],
    ),
    (
        F::RiNetUnusedUpfront,
        &[
            "reservation/NetUnusedAmortizedUpfrontFeeForBillingPeriod",
            "reservation_net_unused_amortized_upfront_fee_for_billing_period",
        ],
    ),
    (
        F::RiUnusedRecurring,
        &[
            "reservation/UnusedRecurringFee",
            "reservation_unused_recurring_fee",
        ],
    ),
    (
        F::RiNetUnusedRecurring,
        &[
            "reservation/NetUnusedRecurringFee",
            "reservation_net_unused_recurring_fee",
        ],
    ),
    (
        F::RiArn,
        &[
            "reservation/ReservationARN",
            "reservation_reservation_a_r_n",
            "reservation_reservation_arn",
        ],
    ),
    (F::TagsMap, &["resource_tags"]),
    (F::ProductMap, &["product"]),
    (F::FocusId, &["Id"]),
    (F::BillingAccount, &["BillingAccountId"]),
    (F::SubAccount, &["SubAccountId"]),
    (F::SubAccountName, &["SubAccountName"]),
    (F::BillingPeriodStart, &["BillingPeriodStart"]),
    (F::ChargeStart, &["ChargePeriodStart"]),
    (F::ChargeEnd, &["ChargePeriodEnd"]),
    (F::ChargeCategory, &["ChargeCategory"]),
    (F::ChargeClass, &["ChargeClass"]),
    (F::ChargeFrequency, &["ChargeFrequency"]),
    (F::ChargeDescription, &["ChargeDescription"]),
    (F::Provider, &["ProviderName", "ServiceProviderName"]),
    (F::ServiceName, &["ServiceName"]),
    (F::RegionId, &["RegionId", "Region"]),
    (F::ResourceId, &["ResourceId"]),
    (F::BilledCost, &["BilledCost"]),
    (F::EffectiveCost, &["EffectiveCost"]),
    (F::ListCost, &["ListCost"]),
    (F::BillingCurrency, &["BillingCurrency"]),
    (F::ConsumedQuantity, &["ConsumedQuantity"]),
    (F::ConsumedUnit, &["ConsumedUnit"]),
    (F::PricingUnit, &["PricingUnit"]),
    (F::Tags, &["Tags"]),
    (F::XServiceCode, &["x_ServiceCode"]),
    (F::XUsageType, &["x_UsageType"]),
    (F::XOperation, &["x_Operation"]),
];

/// Why a header is not a bill parapet can read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    #[error("not a cost report: the header has none of `lineItem/UnblendedCost` (legacy CUR), `line_item_unblended_cost` (CUR 2.0 / legacy CUR Parquet) or `BilledCost` (FOCUS)")]
    Unknown,
    #[error("a {format} report without the column{} {}", if .missing.len() > 1 { "s" } else { "" }, .missing.join(", "))]
    Missing {
        format: &'static str,
        missing: Vec<String>,
    },
}

/// Where each field of one header sits.
#[derive(Clone, Debug)]
pub struct Columns {
    pub format: CostFormat,
    at: Vec<Option<usize>>,
    /// Legacy CUR's one-column-per-tag: (index, tag key).
    tag_columns: Vec<(usize, String)>,
}

fn slot(f: F) -> usize {
    f as usize
}

impl Columns {
    /// Recognises a header. Names match case-insensitively, surrounding spaces and a byte-order
    /// mark ignored.
    pub fn detect<S: AsRef<str>>(header: &[S]) -> Result<Columns, HeaderError> {
        let names: Vec<String> = header
            .iter()
            .map(|h| h.as_ref().trim().trim_start_matches('\u{feff}').to_string())
            .collect();
        let mut at = vec![None; NAMES.len()];
        for (f, aliases) in NAMES {
            at[slot(*f)] = aliases
                .iter()
                .find_map(|a| names.iter().position(|n| n.eq_ignore_ascii_case(a)));
        }
        let mut tag_columns = Vec::new();
        for (i, n) in names.iter().enumerate() {
            if let Some(key) = n.strip_prefix("resourceTags/") {
                tag_columns.push((i, key.to_string()));
            } else if let Some(key) = n.strip_prefix("resource_tags_") {
                // Athena's spelling of legacy CUR Parquet: `resource_tags_user_team`.
                let key = match key.split_once('_') {
                    Some((scope @ ("user" | "aws"), rest)) => format!("{scope}:{rest}"),
                    _ => key.to_string(),
                };
                tag_columns.push((i, key));
            }
        }
        let has = |f: F| at[slot(f)].is_some();
        let format = if has(F::BilledCost) {
            CostFormat::Focus
        } else if has(F::Unblended) {
            let cur2 = has(F::TagsMap) || has(F::ProductMap) || has(F::AccountName);
            if cur2 {
                CostFormat::Cur2
            } else {
                CostFormat::Cur1
            }
        } else {
            return Err(HeaderError::Unknown);
        };
        let required: &[(F, &str)] = match format {
            CostFormat::Focus => &[
                (F::BilledCost, "BilledCost"),
                (F::ChargeStart, "ChargePeriodStart"),
                (F::ChargeCategory, "ChargeCategory"),
                (F::BillingAccount, "BillingAccountId"),
            ],
            _ => &[
                (F::Unblended, "line item unblended cost"),
                (F::Account, "usage account id"),
                (F::Start, "usage start date"),
                (F::Type, "line item type"),
            ],
        };
        let missing: Vec<String> = required
            .iter()
            .filter(|(f, _)| !has(*f))
            .map(|(_, n)| n.to_string())
            .collect();
        if !missing.is_empty() {
            let format = match format {
                CostFormat::Focus => "FOCUS",
                CostFormat::Cur1 => "legacy CUR",
                CostFormat::Cur2 => "CUR 2.0",
            };
            return Err(HeaderError::Missing { format, missing });
        }
        Ok(Columns {
            format,
            at,
            tag_columns,
        })
    }

    fn get<'r>(&self, row: &'r (impl Cells + ?Sized), f: F) -> Option<&'r str> {
        self.at[slot(f)].and_then(|i| row.cell(i))
    }

    fn money(&self, row: &(impl Cells + ?Sized), f: F) -> Result<Option<Money>, String> {
        match self.get(row, f) {
            None => Ok(None),
            Some(v) => Money::parse(v)
                .map(Some)
                .map_err(|_| format!("{}: `{}` is not a decimal number", self.name(f), clip(v))),
        }
    }

    fn name(&self, f: F) -> &'static str {
        NAMES
            .iter()
            .find(|(g, _)| *g == f)
            .map(|(_, a)| a[0])
            .unwrap_or("?")
    }

    fn time(&self, row: &(impl Cells + ?Sized), f: F) -> Result<Option<i64>, String> {
        match self.get(row, f) {
            None => Ok(None),
            Some(v) => parse_time(v)
                .map(Some)
                .ok_or_else(|| format!("{}: `{}` is not a time", self.name(f), clip(v))),
        }
    }

    /// One row as a normalised line, or why it cannot be one (the message names the column).
    pub fn line(&self, row: &(impl Cells + ?Sized)) -> Result<CostLine, String> {
        match self.format {
            CostFormat::Focus => self.focus_line(row),
            _ => self.cur_line(row),
        }
    }

    fn cur_line(&self, row: &(impl Cells + ?Sized)) -> Result<CostLine, String> {
        let s = |f: F| self.get(row, f).map(str::to_string);
        let account_id = s(F::Account).ok_or("line_item_usage_account_id: missing")?;
        let line_type = s(F::Type).ok_or("line_item_line_item_type: missing")?;
        let start = self
            .time(row, F::Start)?
            .ok_or("line_item_usage_start_date: missing")?;
        let end = self.time(row, F::End)?.unwrap_or(start);
        let unblended = self.money(row, F::Unblended)?.unwrap_or_default();
        let m = |f: F| self.money(row, f);
        let zero = Money::ZERO;
        // AWS's amortised cost of a line (as the CUR query library defines it), and the same
        // with each `Net…` column where the report has it.
        let amortized_with = |net: bool| -> Result<Money, String> {
            let pick = |gross: F, net_f: F| -> Result<Money, String> {
                let g = m(gross)?.unwrap_or_default();
                Ok(if net { m(net_f)?.unwrap_or(g) } else { g })
            };
            let base = if net {
                m(F::NetUnblended)?.unwrap_or(unblended)
            } else {
                unblended
            };
            Ok(match line_type.as_str() {
                "SavingsPlanCoveredUsage" => pick(F::SpEffective, F::SpNetEffective)?,
                "SavingsPlanRecurringFee" => {
                    m(F::SpTotalCommitment)?.unwrap_or_default() - m(F::SpUsedCommitment)?.unwrap_or_default()
                }
                "SavingsPlanNegation" | "SavingsPlanUpfrontFee" => zero,
                "DiscountedUsage" => pick(F::RiEffective, F::RiNetEffective)?,
                "RIFee" => {
                    pick(F::RiUnusedUpfront, F::RiNetUnusedUpfront)?
                        + pick(F::RiUnusedRecurring, F::RiNetUnusedRecurring)?
                }
                "Fee" if self.get(row, F::RiArn).is_some() => zero,
                _ => base,
            })
        };
        let costs = Costs {
            unblended,
            amortized: amortized_with(false)?,
            net_unblended: m(F::NetUnblended)?.unwrap_or(unblended),
            net_amortized: amortized_with(true)?,
        };
        let category = ChargeCategory::from_cur(&line_type);
        let mut tags: Vec<(String, String)> = self
            .tag_columns
            .iter()
            .filter_map(|(i, k)| row.cell(*i).map(|v| (k.clone(), v.to_string())))
            .collect();
        if let Some(map) = self.get(row, F::TagsMap) {
            tags.extend(json_pairs(map).map_err(|e| format!("resource_tags: {e}"))?);
        }
        tags.sort();
        tags.dedup_by(|a, b| a.0 == b.0);
        let product_map_name = match self.get(row, F::ProductMap) {
            Some(p) => json_pairs(p)
                .map_err(|e| format!("product: {e}"))?
                .into_iter()
                .find(|(k, _)| k == "product_name" || k == "ProductName")
                .map(|(_, v)| v),
            None => None,
        };
        let service_code = s(F::ProductCode);
        let service = s(F::ProductName)
            .or(product_map_name)
            .or_else(|| service_code.clone())
            .unwrap_or_else(|| "(no service)".into());
        let billing_period = match self.time(row, F::PeriodStart)? {
            Some(ms) => month_label(ms),
            None => month_label(start),
        };
        let charge_frequency = if end - start > 25 * 3_600_000 {
            "Recurring"
        } else if category == ChargeCategory::Usage {
            "Usage-Based"
        } else {
            "One-Time"
        };
        Ok(CostLine {
            format: self.format,
            line_id: s(F::LineId),
            billing_period,
            charge_start_ms: start,
            charge_end_ms: end,
            provider: "AWS".into(),
            billing_account_id: s(F::Payer).unwrap_or_else(|| account_id.clone()),
            account_name: s(F::AccountName),
            account_id,
            service,
            service_code,
            region: s(F::Region),
            usage_type: s(F::UsageType),
            operation: s(F::Operation),
            resource_id: s(F::Resource),
            category,
            charge_class: (line_type == "Refund").then(|| "Correction".to_string()),
            charge_frequency: charge_frequency.into(),
            line_item_type: line_type,
            description: s(F::Description),
            costs,
            list_cost: m(F::PublicCost)?,
            currency: s(F::Currency).unwrap_or_else(|| "USD".into()),
            usage_quantity: self.get(row, F::UsageAmount).and_then(|v| v.parse().ok()),
            usage_unit: s(F::Unit),
            tags,
        })
    }

    fn focus_line(&self, row: &(impl Cells + ?Sized)) -> Result<CostLine, String> {
        let s = |f: F| self.get(row, f).map(str::to_string);
        let billed = self.money(row, F::BilledCost)?.unwrap_or_default();
        let effective = self.money(row, F::EffectiveCost)?.unwrap_or(billed);
        let billing_account = s(F::BillingAccount).ok_or("BillingAccountId: missing")?;
        let start = self
            .time(row, F::ChargeStart)?
            .ok_or("ChargePeriodStart: missing")?;
        let end = self.time(row, F::ChargeEnd)?.unwrap_or(start);
        let category_text = s(F::ChargeCategory).ok_or("ChargeCategory: missing")?;
        let category = ChargeCategory::parse(&category_text).ok_or_else(|| {
            format!(
                "ChargeCategory: `{}` is none of Usage, Purchase, Tax, Credit, Adjustment",
                clip(&category_text)
            )
        })?;
        let mut tags = match self.get(row, F::Tags) {
            Some(t) => json_pairs(t).map_err(|e| format!("Tags: {e}"))?,
            None => Vec::new(),
        };
        tags.sort();
        let billing_period = match self.time(row, F::BillingPeriodStart)? {
            Some(ms) => month_label(ms),
            None => month_label(start),
        };
        let frequency = s(F::ChargeFrequency).unwrap_or_else(|| {
            if end - start > 25 * 3_600_000 {
                "Recurring".into()
            } else if category == ChargeCategory::Usage {
                "Usage-Based".into()
            } else {
                "One-Time".into()
            }
        });
        Ok(CostLine {
            format: CostFormat::Focus,
            line_id: s(F::FocusId),
            billing_period,
            charge_start_ms: start,
            charge_end_ms: end,
            provider: s(F::Provider).unwrap_or_else(|| "(unknown)".into()),
            account_id: s(F::SubAccount).unwrap_or_else(|| billing_account.clone()),
            billing_account_id: billing_account,
            account_name: s(F::SubAccountName),
            service: s(F::ServiceName).unwrap_or_else(|| "(no service)".into()),
            service_code: s(F::XServiceCode),
            region: s(F::RegionId),
            usage_type: s(F::XUsageType),
            operation: s(F::XOperation),
            resource_id: s(F::ResourceId),
            category,
            charge_class: s(F::ChargeClass),
            line_item_type: category_text,
            charge_frequency: frequency,
            description: s(F::ChargeDescription),
            // FOCUS's BilledCost is already what the invoice says, negotiated discounts
            // included; it has no separate net figures.
            costs: Costs {
                unblended: billed,
                amortized: effective,
                net_unblended: billed,
                net_amortized: effective,
            },
            list_cost: self.money(row, F::ListCost)?,
            currency: s(F::BillingCurrency).unwrap_or_else(|| "USD".into()),
            usage_quantity: self.get(row, F::ConsumedQuantity).and_then(|v| v.parse().ok()),
            usage_unit: s(F::ConsumedUnit).or_else(|| s(F::PricingUnit)),
            tags,
        })
    }
}

fn clip(v: &str) -> String {
    if v.chars().count() > 60 {
        format!("{}…", v.chars().take(60).collect::<String>())
    } else {
        v.to_string()
    }
}

/// Times as bills write them: RFC 3339 (`2023-11-01T00:00:00.000Z`), FOCUS samples'
/// `2024-09-18 22:00:00` (UTC), or legacy manifests' `20231101T000000.000Z`.
pub fn parse_time(v: &str) -> Option<i64> {
    parse_rfc3339_ms(v).or_else(|| {
        let b = v.as_bytes();
        if b.len() >= 15 && b[8] == b'T' && b[..8].iter().all(u8::is_ascii_digit) {
            let iso = format!(
                "{}-{}-{}T{}:{}:{}Z",
                &v[0..4],
                &v[4..6],
                &v[6..8],
                &v[9..11],
                &v[11..13],
                &v[13..15]
            );
            parse_rfc3339_ms(&iso)
        } else if b.len() == 10 {
            parse_rfc3339_ms(&format!("{v}T00:00:00Z"))
        } else {
            None
        }
    })
}

fn month_label(ms: i64) -> String {
    parapet_model::cost::Day::from_ms(ms).month_label()
}

/// A JSON object of string values (tags, CUR 2.0 maps) as pairs; non-string values are kept
/// as their JSON text.
fn json_pairs(text: &str) -> Result<Vec<(String, String)>, String> {
    let v: serde_json::Value = serde_json::from_str(text).map_err(|e| format!("not a JSON object ({e})"))?;
    match v {
        serde_json::Value::Object(map) => Ok(map
            .into_iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| {
                let v = match v {
                    serde_json::Value::String(s) => s,
                    other => other.to_string(),
                };
                (k, v)
            })
            .collect()),
        serde_json::Value::Null => Ok(Vec::new()),
        _ => Err("not a JSON object".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(cells: &[&str]) -> Vec<Option<String>> {
        cells.iter().map(|c| Some(c.to_string())).collect()
    }

    #[test]
    fn cur_amortised_cost_follows_aws() {
        let header = [
            "lineItem/UsageAccountId",
            "lineItem/LineItemType",
            "lineItem/UsageStartDate",
            "lineItem/UnblendedCost",
            "savingsPlan/SavingsPlanEffectiveCost",
            "savingsPlan/TotalCommitmentToDate",
            "savingsPlan/UsedCommitment",
            "reservation/EffectiveCost",
            "reservation/UnusedAmortizedUpfrontFeeForBillingPeriod",
            "reservation/UnusedRecurringFee",
            "reservation/ReservationARN",
            "resourceTags/user:team",
        ];
        let c = Columns::detect(&header).unwrap();
        assert_eq!(c.format, CostFormat::Cur1);
        let amortized = |t: &str, cells: [&str; 8]| {
            let mut r = vec!["111122223333", t, "2024-09-01T00:00:00Z"];
            r.extend(cells);
            r.push("payments");
            let line = c.line(&row(&r)).unwrap();
            (line.costs.unblended.to_string(), line.costs.amortized.to_string())
        };
        let none = ["", "", "", "", "", "", "", ""];
        let mut usage = none;
        usage[0] = "10.5";
        assert_eq!(amortized("Usage", usage), ("10.5".into(), "10.5".into()));
        assert_eq!(
            amortized("SavingsPlanCoveredUsage", ["10", "7", "", "", "", "", "", ""]),
            ("10".into(), "7".into())
        );
        assert_eq!(
            amortized("SavingsPlanNegation", ["-10", "", "", "", "", "", "", ""]),
            ("-10".into(), "0".into())
        );
        assert_eq!(
            amortized("SavingsPlanRecurringFee", ["24", "", "24", "21", "", "", "", ""]),
            ("24".into(), "3".into())
        );
        assert_eq!(
            amortized("DiscountedUsage", ["0", "", "", "", "1.25", "", "", ""]),
            ("0".into(), "1.25".into())
        );
        assert_eq!(
            amortized("RIFee", ["300", "", "", "", "", "2", "3", ""]),
            ("300".into(), "5".into())
        );
        assert_eq!(
            amortized("Fee", ["1000", "", "", "", "", "", "", "arn:aws:ec2:ri"]),
            ("1000".into(), "0".into())
        );
        let tagged = c
            .line(&row(&[
                "111122223333",
                "Usage",
                "2024-09-01T00:00:00Z",
                "1",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "payments",
            ]))
            .unwrap();
        assert_eq!(tagged.tags, vec![("user:team".into(), "payments".into())]);
        assert_eq!(tagged.billing_period, "2024-09");
    }

    #[test]
    fn errors_name_the_column() {
        let c = Columns::detect(&[
            "BilledCost",
            "ChargePeriodStart",
            "ChargeCategory",
            "BillingAccountId",
        ])
        .unwrap();
        let e = c
            .line(&row(&["12,5", "2024-09-01 00:00:00", "Usage", "1"]))
            .unwrap_err();
        assert_eq!(e, "BilledCost: `12,5` is not a decimal number");
        let e = c.line(&row(&["1", "yesterday", "Usage", "1"])).unwrap_err();
        assert_eq!(e, "ChargePeriodStart: `yesterday` is not a time");
        let e = c
            .line(&row(&["1", "2024-09-01 00:00:00", "Fees", "1"]))
            .unwrap_err();
        assert!(e.starts_with("ChargeCategory: `Fees`"), "{e}");
        assert_eq!(Columns::detect(&["a", "b"]).unwrap_err(), HeaderError::Unknown);
        assert_eq!(
            Columns::detect(&["BilledCost"]).unwrap_err().to_string(),
            "a FOCUS report without the columns ChargePeriodStart, ChargeCategory, BillingAccountId"
        );
        assert_eq!(
            parse_time("20240901T000000.000Z"),
            parse_time("2024-09-01T00:00:00Z")
        );
    }

    #[test]
    fn cur2_maps() {
        let c = Columns::detect(&[
            "line_item_usage_account_id",
            "line_item_usage_account_name",
            "line_item_line_item_type",
            "line_item_usage_start_date",
            "line_item_unblended_cost",
            "resource_tags",
            "product",
            "line_item_product_code",
        ])
        .unwrap();
        assert_eq!(c.format, CostFormat::Cur2);
        let line = c
            .line(&row(&[
                "111122223333",
                "Payments Prod",
                "Usage",
                "2024-09-01T00:00:00",
                "1.2E-3",
                r#"{"user_team":"payments"}"#,
                r#"{"product_name":"Amazon Simple Storage Service","region":"us-east-1"}"#,
                "AmazonS3",
            ]))
            .unwrap();
        assert_eq!(line.account_name.as_deref(), Some("Payments Prod"));
        assert_eq!(line.service, "Amazon Simple Storage Service");
        assert_eq!(line.costs.unblended.to_string(), "0.0012");
        assert_eq!(line.tags, vec![("user_team".into(), "payments".into())]);
    }
}
