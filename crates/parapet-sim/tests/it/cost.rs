//! The bills: legacy CUR and FOCUS files in their layouts, manifests naming files that exist,
//! the same spend in both (exactly), steady spend that never spikes, month-start charges,
//! commitments, and the two planted spikes in `truth.jsonl` and in the bills.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use parapet_sim::{SimConfig, SimSource};
use serde_json::Value;

use crate::support::{files, gunzip, run, small};

/// 1e-10 USD.
const USD: i128 = 10_000_000_000;

const CUR_HEADER: &[&str] = &[
    "identity/LineItemId",
    "identity/TimeInterval",
    "bill/InvoiceId",
    "bill/BillingEntity",
    "bill/BillType",
    "bill/PayerAccountId",
    "bill/BillingPeriodStartDate",
    "bill/BillingPeriodEndDate",
    "lineItem/UsageAccountId",
    "lineItem/LineItemType",
    "lineItem/UsageStartDate",
    "lineItem/UsageEndDate",
    "lineItem/ProductCode",
    "lineItem/UsageType",
    "lineItem/Operation",
    "lineItem/AvailabilityZone",
    "lineItem/ResourceId",
    "lineItem/UsageAmount",
    "lineItem/CurrencyCode",
    "lineItem/UnblendedRate",
    "lineItem/UnblendedCost",
    "lineItem/BlendedRate",
    "lineItem/BlendedCost",
    "lineItem/LineItemDescription",
    "product/ProductName",
    "product/region",
    "pricing/unit",
    "pricing/publicOnDemandCost",
    "reservation/ReservationARN",
    "reservation/EffectiveCost",
    "reservation/UnusedAmortizedUpfrontFeeForBillingPeriod",
    "reservation/UnusedRecurringFee",
    "savingsPlan/SavingsPlanARN",
    "savingsPlan/SavingsPlanEffectiveCost",
    "savingsPlan/TotalCommitmentToDate",
    "savingsPlan/UsedCommitment",
    "resourceTags/user:team",
    "resourceTags/user:env",
];

const FOCUS_HEADER: &[&str] = &[
    "BillingAccountId",
    "BillingAccountName",
    "SubAccountId",
    "SubAccountName",
    "BillingPeriodStart",
    "BillingPeriodEnd",
    "ChargePeriodStart",
    "ChargePeriodEnd",
    "ChargeCategory",
    "ChargeClass",
    "ChargeFrequency",
    "ChargeDescription",
    "ProviderName",
    "PublisherName",
    "InvoiceIssuerName",
    "ServiceName",
    "ServiceCategory",
    "RegionId",
    "AvailabilityZone",
    "ResourceId",
    "SkuId",
    "PricingUnit",
    "ConsumedQuantity",
    "ConsumedUnit",
    "BilledCost",
    "EffectiveCost",
    "ListCost",
    "ContractedCost",
    "BillingCurrency",
    "CommitmentDiscountId",
    "CommitmentDiscountStatus",
    "CommitmentDiscountType",
    "Tags",
];

/// Splits RFC 4180 CSV text into records of fields.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => quoted = false,
                _ => field.push(c),
            }
            continue;
        }
        match c {
            '"' if field.is_empty() => quoted = true,
            ',' => record.push(std::mem::take(&mut field)),
            '\r' => {}
            '\n' => {
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
            }
            _ => field.push(c),
        }
    }
    assert!(!quoted, "unterminated quote");
    if !field.is_empty() || !record.is_empty() {
        record.push(field);
        records.push(record);
    }
    records
}

/// A decimal with at most ten places as units of 1e-10; empty is zero.
fn units(s: &str) -> i128 {
    if s.is_empty() {
        return 0;
    }
    assert!(!s.contains(['e', 'E']), "scientific notation: {s}");
    let (neg, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    assert!(frac.len() <= 10, "more than ten decimals: {s}");
    assert!(
        !int.is_empty() && int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()),
        "not a decimal: {s}"
    );
    let v = int.parse::<i128>().unwrap() * USD + format!("{frac:0<10}").parse::<i128>().unwrap();
    if neg {
        -v
    } else {
        v
    }
}

/// Rows of one CSV file as header name → value.
type Row = BTreeMap<String, String>;

fn rows(path: &Path, header: &[&str]) -> Vec<Row> {
    let text = String::from_utf8(gunzip(path)).unwrap();
    let mut records = parse_csv(&text).into_iter();
    let head = records.next().unwrap();
    assert_eq!(head, header, "{}", path.display());
    records
        .map(|r| {
            assert_eq!(r.len(), head.len(), "{}: {r:?}", path.display());
            head.iter().cloned().zip(r).collect()
        })
        .collect()
}

/// Epoch day of `2024-09-01T00:00:00Z`.
fn day_of(time: &str) -> i64 {
    parapet_model::time::parse_rfc3339_ms(time).unwrap() / 86_400_000
}

fn day_string(day: i64) -> String {
    let (y, m, d) = parapet_model::time::civil_from_days(day);
    format!("{y:04}-{m:02}-{d:02}")
}

/// AWS's amortised cost of a CUR line.
fn amortized(r: &Row) -> i128 {
    let u = |c: &str| units(&r[c]);
    match r["lineItem/LineItemType"].as_str() {
        "SavingsPlanCoveredUsage" => u("savingsPlan/SavingsPlanEffectiveCost"),
        "SavingsPlanRecurringFee" => u("savingsPlan/TotalCommitmentToDate") - u("savingsPlan/UsedCommitment"),
        "SavingsPlanNegation" => 0,
        "DiscountedUsage" => u("reservation/EffectiveCost"),
        "RIFee" => {
            u("reservation/UnusedAmortizedUpfrontFeeForBillingPeriod") + u("reservation/UnusedRecurringFee")
        }
        _ => u("lineItem/UnblendedCost"),
    }
}

struct Bills {
    cur: Vec<Row>,
    focus: Vec<Row>,
    /// Billing periods (`YYYY-MM`) of each report.
    cur_periods: BTreeSet<String>,
    focus_periods: BTreeSet<String>,
}

/// Reads every report through its manifests, checking that they name files that exist and
/// that no data file is left unnamed.
fn read_bills(out: &Path) -> Bills {
    let root = out.join("billing");
    let keys = files(&root);
    let mut named = BTreeSet::new();
    let mut bills = Bills {
        cur: Vec::new(),
        focus: Vec::new(),
        cur_periods: BTreeSet::new(),
        focus_periods: BTreeSet::new(),
    };
    for key in keys.iter().filter(|k| k.ends_with("-Manifest.json")) {
        let m: Value = serde_json::from_slice(&std::fs::read(root.join(key)).unwrap()).unwrap();
        let parts: Vec<&str> = key.split('/').collect();
        if key.starts_with("cur/") {
            // cur/parapet-cur/<YYYYMMDD>-<YYYYMMDD>/parapet-cur-Manifest.json
            assert_eq!(parts.len(), 4, "{key}");
            assert_eq!(parts[..2], ["cur", "parapet-cur"]);
            assert_eq!(parts[3], "parapet-cur-Manifest.json");
            let folder = parts[2];
            let start = &m["billingPeriod"]["start"];
            assert_eq!(start.as_str().unwrap(), format!("{}T000000.000Z", &folder[..8]));
            assert_eq!(
                m["billingPeriod"]["end"].as_str().unwrap(),
                format!("{}T000000.000Z", &folder[9..])
            );
            assert_eq!(m["reportName"], "parapet-cur");
            assert_eq!(m["compression"], "GZIP");
            assert_eq!(m["bucket"], "parapet-sim-billing");
            let columns: Vec<String> = m["columns"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| {
                    format!(
                        "{}/{}",
                        c["category"].as_str().unwrap(),
                        c["name"].as_str().unwrap()
                    )
                })
                .collect();
            assert_eq!(columns, CUR_HEADER);
            let assembly = m["assemblyId"].as_str().unwrap();
            assert_eq!(assembly.len(), 36);
            let report_keys = m["reportKeys"].as_array().unwrap();
            assert_eq!(report_keys.len(), 1);
            for k in report_keys {
                let k = k.as_str().unwrap();
                assert_eq!(
                    k,
                    format!("cur/parapet-cur/{folder}/{assembly}/parapet-cur-1.csv.gz")
                );
                assert!(keys.iter().any(|x| x == k), "{key} names a missing {k}");
                named.insert(k.to_string());
                bills.cur.extend(rows(&root.join(k), CUR_HEADER));
            }
            bills
                .cur_periods
                .insert(format!("{}-{}", &folder[..4], &folder[4..6]));
        } else {
            // focus/parapet-focus/metadata/BILLING_PERIOD=YYYY-MM/parapet-focus-Manifest.json
            assert_eq!(parts.len(), 5, "{key}");
            assert_eq!(parts[..3], ["focus", "parapet-focus", "metadata"]);
            let period = parts[3].strip_prefix("BILLING_PERIOD=").unwrap();
            assert_eq!(
                m["billingPeriod"]["start"].as_str().unwrap(),
                format!("{period}-01T00:00:00.000Z")
            );
            assert_eq!(m["exportName"], "parapet-focus");
            assert!(m["exportArn"]
                .as_str()
                .unwrap()
                .starts_with("arn:aws:bcm-data-exports:us-east-1:"));
            assert_eq!(m["executionId"].as_str().unwrap().len(), 36);
            let columns: Vec<&str> = m["columns"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["name"].as_str().unwrap())
                .collect();
            assert_eq!(columns, FOCUS_HEADER);
            for uri in m["dataFiles"].as_array().unwrap() {
                let k = uri
                    .as_str()
                    .unwrap()
                    .strip_prefix("s3://parapet-sim-billing/")
                    .unwrap();
                assert_eq!(
                    k,
                    format!("focus/parapet-focus/data/BILLING_PERIOD={period}/parapet-focus-00001.csv.gz")
                );
                assert!(keys.iter().any(|x| x == k), "{key} names a missing {k}");
                named.insert(k.to_string());
                bills.focus.extend(rows(&root.join(k), FOCUS_HEADER));
            }
            bills.focus_periods.insert(period.to_string());
        }
    }
    let data: BTreeSet<String> = keys.iter().filter(|k| k.ends_with(".csv.gz")).cloned().collect();
    assert_eq!(data, named, "every data file is named by a manifest");
    bills
}

fn cost_config(seed: u64) -> SimConfig {
    SimConfig {
        start_day: "20240920".into(),
        sources: vec![SimSource::Cost],
        ..small(6, 2, 30, seed)
    }
}

fn truth(out: &Path) -> Vec<Value> {
    std::fs::read_to_string(out.join("truth.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn bills_are_deterministic() {
    let cfg = cost_config(5);
    let (a, sa) = run(&cfg);
    let (b, sb) = run(&cfg);
    assert_eq!(sa, sb);
    let fa = files(&a.path().join("billing"));
    assert_eq!(fa, files(&b.path().join("billing")));
    assert_eq!(
        fa.len(),
        12,
        "3 periods × (CUR data + manifest, FOCUS data + manifest): {fa:?}"
    );
    for f in &fa {
        let x = std::fs::read(a.path().join("billing").join(f)).unwrap();
        let y = std::fs::read(b.path().join("billing").join(f)).unwrap();
        assert!(x == y, "{f} differs between runs");
    }
    let (c, _) = run(&cost_config(6));
    let focus = "focus/parapet-focus/data/BILLING_PERIOD=2024-09/parapet-focus-00001.csv.gz";
    assert_ne!(
        gunzip(&a.path().join("billing").join(focus)),
        gunzip(&c.path().join("billing").join(focus))
    );
    assert_eq!(SimSource::from_table("cost"), Some(SimSource::Cost));
    assert!(SimSource::ALL.contains(&SimSource::Cost));
}

#[test]
fn cur_and_focus_describe_the_same_spend() {
    let cfg = cost_config(21);
    let (dir, summary) = run(&cfg);
    let bills = read_bills(dir.path());
    let periods: BTreeSet<String> = ["2024-07", "2024-08", "2024-09"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(bills.cur_periods, periods);
    assert_eq!(bills.focus_periods, periods);
    let c = summary.sources["cost"];
    assert_eq!(c.records, (bills.cur.len() + bills.focus.len()) as u64);
    assert_eq!(c.files, 6);
    // FOCUS has every line but the negations.
    let negations = bills
        .cur
        .iter()
        .filter(|r| r["lineItem/LineItemType"] == "SavingsPlanNegation")
        .count();
    assert!(negations > 0);
    assert_eq!(bills.focus.len(), bills.cur.len() - negations);

    let csv = std::fs::read_to_string(dir.path().join("accounts.csv")).unwrap();
    let directory = parapet_model::AccountDirectory::from_csv(&csv).unwrap();
    let org: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("organization.json")).unwrap())
            .unwrap();
    let mgmt = org["organization"]["managementAccountId"]
        .as_str()
        .unwrap()
        .to_string();

    // 60 days ending on the last simulated day (2024-09-21), July's a partial period.
    let daily: Vec<i64> = bills
        .cur
        .iter()
        .filter(|r| r["lineItem/LineItemType"] == "Usage")
        .map(|r| day_of(&r["lineItem/UsageStartDate"]))
        .collect();
    let (first, last) = (*daily.iter().min().unwrap(), *daily.iter().max().unwrap());
    assert_eq!(day_string(last), "2024-09-21");
    assert_eq!(day_string(first), "2024-07-24");
    assert_eq!(last - first + 1, 60);

    let mut cur_unblended: BTreeMap<String, i128> = BTreeMap::new();
    let mut cur_amortized: BTreeMap<String, i128> = BTreeMap::new();
    let mut ids = BTreeSet::new();
    for r in &bills.cur {
        let account = r["lineItem/UsageAccountId"].clone();
        assert_eq!(r["bill/PayerAccountId"], mgmt);
        assert_eq!(r["lineItem/CurrencyCode"], "USD");
        assert!(
            ids.insert(r["identity/LineItemId"].clone()),
            "line item ids are unique"
        );
        assert_eq!(
            r["identity/TimeInterval"],
            format!("{}/{}", r["lineItem/UsageStartDate"], r["lineItem/UsageEndDate"])
        );
        let start = day_of(&r["lineItem/UsageStartDate"]);
        let end = day_of(&r["lineItem/UsageEndDate"]);
        let period_start = day_of(&r["bill/BillingPeriodStartDate"]);
        let period_end = day_of(&r["bill/BillingPeriodEndDate"]);
        assert!(start >= period_start && end <= period_end, "{r:?}");
        if end - start > 1 {
            assert_eq!(
                (start, end),
                (period_start, period_end),
                "month-long lines: {r:?}"
            );
        } else {
            assert_eq!(end - start, 1);
            assert!(r["lineItem/UsageStartDate"].ends_with("T00:00:00Z"));
        }
        let tagged = !r["resourceTags/user:team"].is_empty();
        if r["lineItem/LineItemType"] == "Usage" {
            let a = directory.get_str(&account).unwrap();
            assert_eq!(r["resourceTags/user:team"], a.team);
            assert_eq!(r["resourceTags/user:env"], a.env);
        } else if matches!(
            r["lineItem/LineItemType"].as_str(),
            "Fee" | "Tax" | "Credit" | "Refund" | "RIFee" | "SavingsPlanRecurringFee"
        ) {
            assert!(!tagged, "{r:?}");
        }
        // Rate × quantity is the cost, exactly.
        if r["lineItem/LineItemType"] == "Usage" {
            let q = units(&r["lineItem/UsageAmount"]);
            let rate = units(&r["lineItem/UnblendedRate"]);
            assert_eq!(q * rate / USD, units(&r["lineItem/UnblendedCost"]), "{r:?}");
        }
        assert_eq!(r["lineItem/BlendedCost"], r["lineItem/UnblendedCost"]);
        *cur_unblended.entry(account.clone()).or_default() += units(&r["lineItem/UnblendedCost"]);
        *cur_amortized.entry(account).or_default() += amortized(r);
    }
    let mut billed: BTreeMap<String, i128> = BTreeMap::new();
    let mut effective: BTreeMap<String, i128> = BTreeMap::new();
    for r in &bills.focus {
        let account = r["SubAccountId"].clone();
        let a = directory.get_str(&account).unwrap();
        assert_eq!(r["SubAccountName"], a.name);
        assert_eq!(r["BillingAccountId"], mgmt);
        assert_eq!(r["ProviderName"], "AWS");
        assert_eq!(r["BillingCurrency"], "USD");
        assert!(
            ["Usage", "Purchase", "Tax", "Credit"].contains(&r["ChargeCategory"].as_str()),
            "{r:?}"
        );
        if !r["Tags"].is_empty() {
            let tags: Value = serde_json::from_str(&r["Tags"]).unwrap();
            assert_eq!(tags["user:team"], a.team.as_str());
            assert_eq!(tags["user:env"], a.env.as_str());
        }
        if r["ChargeFrequency"] == "Usage-Based" {
            assert_eq!(day_of(&r["ChargePeriodEnd"]) - day_of(&r["ChargePeriodStart"]), 1);
        }
        units(&r["ListCost"]);
        units(&r["ContractedCost"]);
        units(&r["ConsumedQuantity"]);
        *billed.entry(account.clone()).or_default() += units(&r["BilledCost"]);
        *effective.entry(account).or_default() += units(&r["EffectiveCost"]);
    }
    assert_eq!(
        cur_unblended, billed,
        "CUR unblended = FOCUS BilledCost, per account"
    );
    assert_eq!(
        cur_amortized, effective,
        "CUR amortised = FOCUS EffectiveCost, per account"
    );
    // The commitments make the two measures differ.
    assert_ne!(cur_unblended, cur_amortized);

    // Every account is billed.
    let billed_accounts: BTreeSet<&str> = bills
        .cur
        .iter()
        .map(|r| r["lineItem/UsageAccountId"].as_str())
        .collect();
    let all: BTreeSet<&str> = directory.accounts().iter().map(|a| a.id.as_str()).collect();
    assert_eq!(billed_accounts, all);
    let focus_accounts: BTreeSet<&str> = bills.focus.iter().map(|r| r["SubAccountId"].as_str()).collect();
    assert_eq!(focus_accounts, all);
}

#[test]
fn month_start_charges_and_commitments() {
    let cfg = cost_config(33);
    let (dir, _) = run(&cfg);
    let bills = read_bills(dir.path());
    let mgmt = bills.cur[0]["bill/PayerAccountId"].clone();
    let of = |t: &str| -> Vec<&Row> {
        bills
            .cur
            .iter()
            .filter(|r| r["lineItem/LineItemType"] == t)
            .collect()
    };
    // The 1sts of the bills: 2024-08-01 and 2024-09-01.
    for first in ["2024-08-01T00:00:00Z", "2024-09-01T00:00:00Z"] {
        let on = |r: &&Row| r["lineItem/UsageStartDate"] == first;
        let support: Vec<&Row> = of("Fee").into_iter().filter(on).collect();
        assert_eq!(support.len(), 1, "{first}");
        assert_eq!(support[0]["lineItem/UsageAccountId"], mgmt);
        assert_eq!(support[0]["lineItem/ProductCode"], "AWSSupportBusiness");
        assert_eq!(support[0]["product/ProductName"], "AWS Support (Business)");
        assert!(units(&support[0]["lineItem/UnblendedCost"]) >= 100 * USD);
        assert!(
            of("Tax").into_iter().filter(on).count() >= 6,
            "a tax line per account and service"
        );
        assert_eq!(of("RIFee").into_iter().filter(on).count(), 1);
        let credit: Vec<&Row> = of("Credit").into_iter().filter(on).collect();
        assert_eq!(credit.len(), 1);
        assert_eq!(units(&credit[0]["lineItem/UnblendedCost"]), -25 * USD);
        for r in of("Tax").into_iter().chain(of("RIFee")).filter(on) {
            assert!(r["lineItem/UsageEndDate"].ends_with("-01T00:00:00Z"));
            assert!(units(&r["lineItem/UnblendedCost"]) > 0);
        }
    }
    let zones: Vec<&Row> = bills
        .cur
        .iter()
        .filter(|r| r["lineItem/UsageType"] == "HostedZone")
        .collect();
    for z in &zones {
        assert_eq!(z["lineItem/LineItemType"], "Usage");
        assert_eq!(z["lineItem/ProductCode"], "AmazonRoute53");
        assert_eq!(z["lineItem/UsageStartDate"][8..10], *"01");
        assert_eq!(z["lineItem/UsageEndDate"][8..], *"01T00:00:00Z");
    }
    let refunds = of("Refund");
    assert_eq!(refunds.len(), 1);
    assert!(units(&refunds[0]["lineItem/UnblendedCost"]) < 0);
    assert_ne!(refunds[0]["lineItem/UsageAccountId"], mgmt);
    let f = bills
        .focus
        .iter()
        .find(|r| r["ChargeClass"] == "Correction")
        .unwrap();
    assert_eq!(f["ChargeCategory"], "Credit");

    // Savings Plan: 70 % effective, negated, commitment never exceeded.
    let covered = of("SavingsPlanCoveredUsage");
    assert!(covered.len() >= 60);
    for r in &covered {
        assert_eq!(r["lineItem/ProductCode"], "AmazonEC2");
        let u = units(&r["lineItem/UnblendedCost"]);
        assert_eq!(units(&r["savingsPlan/SavingsPlanEffectiveCost"]), u * 7 / 10);
        let negation = of("SavingsPlanNegation")
            .into_iter()
            .find(|n| {
                n["lineItem/UsageStartDate"] == r["lineItem/UsageStartDate"]
                    && n["lineItem/ResourceId"] == r["lineItem/ResourceId"]
            })
            .unwrap();
        assert_eq!(units(&negation["lineItem/UnblendedCost"]), -u);
    }
    let fees = of("SavingsPlanRecurringFee");
    assert_eq!(fees.len(), 60);
    for r in &fees {
        let total = units(&r["savingsPlan/TotalCommitmentToDate"]);
        assert_eq!(total, units(&r["lineItem/UnblendedCost"]));
        let used = units(&r["savingsPlan/UsedCommitment"]);
        assert!(used > 0 && used <= total, "{r:?}");
        let day_effective: i128 = covered
            .iter()
            .filter(|c| c["lineItem/UsageStartDate"] == r["lineItem/UsageStartDate"])
            .map(|c| units(&c["savingsPlan/SavingsPlanEffectiveCost"]))
            .sum();
        assert_eq!(used, day_effective);
    }
    for r in of("DiscountedUsage") {
        assert_eq!(r["lineItem/ProductCode"], "AmazonRDS");
        assert_eq!(units(&r["lineItem/UnblendedCost"]), 0);
        assert!(units(&r["reservation/EffectiveCost"]) > 0);
        assert!(r["reservation/ReservationARN"].starts_with("arn:aws:rds:"));
    }
    assert_eq!(of("DiscountedUsage").len() % 60, 0);
}

#[test]
fn spikes_are_planted_and_steady_spend_is_not() {
    let cfg = cost_config(47);
    let (dir, _) = run(&cfg);
    let bills = read_bills(dir.path());
    let lines: Vec<Value> = truth(dir.path())
        .into_iter()
        .filter(|l| l["table"] == "cost")
        .collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    let spike = lines.iter().find(|l| l["scenario"] == "cost_spike").unwrap();
    let new = lines
        .iter()
        .find(|l| l["scenario"] == "cost_new_service")
        .unwrap();
    assert_ne!(spike["account_id"], new["account_id"]);
    let mgmt = bills.cur[0]["bill/PayerAccountId"].clone();
    for l in [spike, new] {
        assert_ne!(l["account_id"].as_str().unwrap(), mgmt);
        assert!(l["event_ids"].as_array().unwrap().is_empty());
        let day = l["indicator"].as_str().unwrap();
        assert_eq!(l["time"].as_str().unwrap(), format!("{day}T00:00:00Z"));
    }
    assert_eq!(spike["indicator"], "2024-09-21");
    assert_eq!(spike["actor"], "Amazon Elastic Compute Cloud");
    assert_eq!(new["indicator"], "2024-09-11");
    assert_eq!(new["actor"], "Amazon SageMaker");
    assert_eq!(new["records"], 450);

    // Daily usage per account × service × day.
    let mut series: BTreeMap<(String, String), BTreeMap<i64, i128>> = BTreeMap::new();
    let mut regions: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    for r in bills.cur.iter().filter(|r| {
        r["lineItem/LineItemType"] == "Usage"
            && day_of(&r["lineItem/UsageEndDate"]) - day_of(&r["lineItem/UsageStartDate"]) == 1
    }) {
        let key = (
            r["lineItem/UsageAccountId"].clone(),
            r["product/ProductName"].clone(),
        );
        *series
            .entry(key.clone())
            .or_default()
            .entry(day_of(&r["lineItem/UsageStartDate"]))
            .or_default() += units(&r["lineItem/UnblendedCost"]);
        regions
            .entry(key)
            .or_default()
            .insert(r["product/region"].clone());
    }
    let last = day_of("2024-09-21T00:00:00Z");
    let key = |l: &Value| {
        (
            l["account_id"].as_str().unwrap().to_string(),
            l["actor"].as_str().unwrap().to_string(),
        )
    };
    // The SageMaker day is the account's only one, at $450.
    let sagemaker = &series[&key(new)];
    assert_eq!(sagemaker.len(), 1);
    assert_eq!(sagemaker[&(last - 10)], 450 * USD);
    assert!(regions[&key(new)].contains(new["region"].as_str().unwrap()));
    // The spike: 6 × the usual, at least $300 more, what the truth line says.
    let ec2 = &series[&key(spike)];
    let today = ec2[&last];
    let usual = today / 6;
    assert_eq!(usual * 6, today);
    assert!(today - usual >= 300 * USD);
    let extra = spike["records"].as_i64().unwrap() as i128;
    assert!((extra * USD - (today - usual)).abs() <= USD / 2);
    assert!(regions[&key(spike)].contains(spike["region"].as_str().unwrap()));

    // Everything else is steady: weekday-adjusted spend stays within ±5 % of one level.
    let weekend = |d: i64| (d + 3).rem_euclid(7) >= 5;
    for ((account, service), days) in &series {
        if (account.as_str(), service.as_str()) == (new["account_id"].as_str().unwrap(), "Amazon SageMaker") {
            continue;
        }
        assert_eq!(days.len(), 60, "{account} {service}: usage every day");
        let spiked = (account.as_str(), service.as_str())
            == (
                spike["account_id"].as_str().unwrap(),
                "Amazon Elastic Compute Cloud",
            );
        let normalised: Vec<i128> = days
            .iter()
            .filter(|(d, _)| !(spiked && **d == last))
            .map(|(d, v)| if weekend(*d) { v * 10 / 7 } else { *v })
            .collect();
        let (lo, hi) = (
            *normalised.iter().min().unwrap(),
            *normalised.iter().max().unwrap(),
        );
        assert!(hi * 95 <= lo * 105 + USD / 100, "{account} {service}: {lo}..{hi}");
    }
}

#[test]
fn the_smallest_org_still_gets_both_spikes_in_member_accounts() {
    let cfg = SimConfig {
        accounts: 4,
        days: 1,
        ..cost_config(3)
    };
    let (dir, _) = run(&cfg);
    let bills = read_bills(dir.path());
    let mgmt = bills.cur[0]["bill/PayerAccountId"].clone();
    let lines: Vec<Value> = truth(dir.path())
        .into_iter()
        .filter(|l| l["table"] == "cost")
        .collect();
    let accounts: BTreeSet<&str> = lines.iter().map(|l| l["account_id"].as_str().unwrap()).collect();
    assert_eq!(accounts.len(), 2, "{lines:?}");
    assert!(!accounts.contains(mgmt.as_str()));
    let days: BTreeSet<&str> = lines.iter().map(|l| l["indicator"].as_str().unwrap()).collect();
    assert_eq!(days, BTreeSet::from(["2024-09-10", "2024-09-20"]));
    for l in &lines {
        let (account, day) = (
            l["account_id"].as_str().unwrap(),
            l["indicator"].as_str().unwrap(),
        );
        assert!(bills.cur.iter().any(|r| r["lineItem/UsageAccountId"] == account
            && r["lineItem/LineItemType"] == "Usage"
            && r["product/ProductName"] == l["actor"].as_str().unwrap()
            && r["lineItem/UsageStartDate"] == format!("{day}T00:00:00Z")));
    }
}
