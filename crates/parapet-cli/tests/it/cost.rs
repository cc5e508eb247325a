//! `parapet cost`: bills in, totals that reconcile with an independent sum, Parquet variants,
//! the simulator's bills (spikes found, steady spend and month starts quiet, restatements
//! replacing), the daily report with names and teams, sent to a channel.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::support::{ok, parapet, python, run};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn cur_sample() -> PathBuf {
    repo().join("testdata/cost/cur/sample-anonymous-aws-export-dataset.csv")
}

fn focus_sample() -> PathBuf {
    repo().join("testdata/cost/focus/focus_sample.csv")
}

/// Copies `file` alone into a new folder under `dir` (the folder `cost ingest` reads).
fn folder_with(dir: &Path, name: &str, file: &Path) -> PathBuf {
    let d = dir.join(name);
    std::fs::create_dir_all(&d).expect("mkdir");
    std::fs::copy(file, d.join(file.file_name().expect("name"))).expect("copy");
    d
}

fn cost(data: &Path) -> std::process::Command {
    let mut c = parapet();
    c.arg("--data-dir").arg(data).args(["--quiet", "cost"]);
    c
}

/// Sums per (usage month, account, service, category) as `cost show --format json` prints them:
/// exact decimal strings.
fn shown(data: &Path, measure: &str) -> BTreeMap<(String, String, String, String), String> {
    let out = ok(cost(data).args([
        "show",
        "--by",
        "account,service,category",
        "--period",
        "monthly",
        "--since",
        "2020-01-01",
        "--until",
        "2030-12-31",
        "--measure",
        measure,
        "--format",
        "json",
    ]));
    let rows: Vec<serde_json::Value> = serde_json::from_str(&out).expect("json");
    let mut m = BTreeMap::new();
    for r in rows {
        let s = |k: &str| r[k].as_str().unwrap_or_else(|| panic!("{k} in {r}")).to_string();
        m.insert(
            (s("period"), s("account_id"), s("service"), s("category")),
            s("amount"),
        );
    }
    m
}

/// The independent sum: Python's csv and decimal modules over the raw file, with AWS's
/// definitions written out again (not parapet's code).
const SUM: &str = r#"
import csv, decimal, json, sys
D = decimal.Decimal
path, fmt, measure = sys.argv[1], sys.argv[2], sys.argv[3]
def val(v):
    return None if v in ("", "NULL") else v
def d(v):
    return D(v) if val(v) is not None else D(0)
CATEGORY = {"Usage": "Usage", "DiscountedUsage": "Usage", "SavingsPlanCoveredUsage": "Usage",
            "SavingsPlanNegation": "Usage", "Fee": "Purchase", "RIFee": "Purchase",
            "SavingsPlanUpfrontFee": "Purchase", "SavingsPlanRecurringFee": "Purchase",
            "Tax": "Tax", "Credit": "Credit", "Refund": "Credit"}
sums = {}
for r in csv.DictReader(open(path, newline="", encoding="utf-8-sig")):
    if fmt == "cur":
        t = r["lineItem/LineItemType"]
        month = r["lineItem/UsageStartDate"]
        key = (month[:7], r["lineItem/UsageAccountId"],
               val(r.get("product/ProductName", "")) or val(r.get("lineItem/ProductCode", "")) or "(no service)",
               CATEGORY.get(t, "Adjustment"))
        u = d(r["lineItem/UnblendedCost"])
        if measure == "unblended":
            v = u
        elif t == "SavingsPlanCoveredUsage":
            v = d(r.get("savingsPlan/SavingsPlanEffectiveCost", ""))
        elif t == "SavingsPlanRecurringFee":
            v = d(r.get("savingsPlan/TotalCommitmentToDate", "")) - d(r.get("savingsPlan/UsedCommitment", ""))
        elif t in ("SavingsPlanNegation", "SavingsPlanUpfrontFee"):
            v = D(0)
        elif t == "DiscountedUsage":
            v = d(r.get("reservation/EffectiveCost", ""))
        elif t == "RIFee":
            v = d(r.get("reservation/UnusedAmortizedUpfrontFeeForBillingPeriod", "")) + d(r.get("reservation/UnusedRecurringFee", ""))
        elif t == "Fee" and val(r.get("reservation/ReservationARN", "")):
            v = D(0)
        else:
            v = u
    else:
        month = r["ChargePeriodStart"]
        key = (month[:7], val(r["SubAccountId"]) or r["BillingAccountId"],
               val(r["ServiceName"]) or "(no service)", r["ChargeCategory"])
        billed = d(r["BilledCost"])
        v = billed if measure == "unblended" else (D(r["EffectiveCost"]) if val(r["EffectiveCost"]) else billed)
    sums[key] = sums.get(key, D(0)) + v
print(json.dumps([[list(k), str(v)] for k, v in sums.items()]))
"#;

fn independent(file: &Path, fmt: &str, measure: &str) -> BTreeMap<(String, String, String, String), Dec> {
    let out = python(SUM, &[file.to_str().expect("utf8"), fmt, measure]);
    let rows: Vec<(Vec<String>, String)> = serde_json::from_str(out.trim()).expect("json");
    rows.into_iter()
        .map(|(k, v)| {
            (
                (k[0].clone(), k[1].clone(), k[2].clone(), k[3].clone()),
                Dec::parse(&v),
            )
        })
        .collect()
}

/// An exact decimal for comparing without floats: units of 1e-12.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Dec(i128);

impl Dec {
    /// `-12.5`, `0E-11`, `1.000` → units of 1e-12 (inputs here have at most 12 places).
    pub fn parse(s: &str) -> Dec {
        let s = s.trim();
        let (mant, exp) = match s.find(['e', 'E']) {
            Some(i) => (&s[..i], s[i + 1..].parse::<i32>().expect("exponent")),
            None => (s, 0),
        };
        let neg = mant.starts_with('-');
        let mant = mant.trim_start_matches(['-', '+']);
        let (int, frac) = mant.split_once('.').unwrap_or((mant, ""));
        let digits: i128 = format!("{int}{frac}").parse().unwrap_or(0);
        let shift = 12 - frac.len() as i32 + exp;
        let v = if shift >= 0 {
            digits * 10i128.pow(shift as u32)
        } else {
            let p = 10i128.pow((-shift) as u32);
            assert_eq!(digits % p, 0, "{s} has more than 12 decimal places");
            digits / p
        };
        Dec(if neg { -v } else { v })
    }

    pub fn cents(self) -> i128 {
        let half = 5_000_000_000;
        if self.0 >= 0 {
            (self.0 + half) / 10_000_000_000
        } else {
            -((-self.0 + half) / 10_000_000_000)
        }
    }
}

fn assert_reconciles(data: &Path, file: &Path, fmt: &str, measure: &str, exact: bool) {
    let ours = shown(data, measure);
    let theirs = independent(file, fmt, measure);
    let only_ours: Vec<_> = ours.keys().filter(|k| !theirs.contains_key(*k)).collect();
    let only_theirs: Vec<_> = theirs.keys().filter(|k| !ours.contains_key(*k)).collect();
    assert!(
        only_ours.is_empty() && only_theirs.is_empty(),
        "{fmt} {measure}: groups only parapet has: {only_ours:?}; only the independent sum has: {only_theirs:?}"
    );
    let mut total_ours = 0i128;
    let mut total_theirs = 0i128;
    for (k, v) in &ours {
        let a = Dec::parse(v);
        let b = theirs[k];
        if exact {
            assert_eq!(a, b, "{fmt} {measure} {k:?}: {v} against {b:?}");
        } else {
            assert_eq!(a.cents(), b.cents(), "{fmt} {measure} {k:?}: {v} against {b:?}");
        }
        total_ours += a.0;
        total_theirs += b.0;
    }
    assert_eq!(
        Dec(total_ours).cents(),
        Dec(total_theirs).cents(),
        "{fmt} {measure}: totals"
    );
    assert!(ours.len() > 3, "{fmt}: only {} groups", ours.len());
}

#[test]
fn cur_and_focus_samples_reconcile_exactly_with_an_independent_sum() {
    let tmp = tempfile::tempdir().expect("tmp");
    for (fmt, file, lines) in [("cur", cur_sample(), 1281), ("focus", focus_sample(), 1000)] {
        let data = tmp.path().join(format!("data-{fmt}"));
        let bills = folder_with(tmp.path(), fmt, &file);
        let out = ok(cost(&data).args(["ingest", "--json", "--from"]).arg(&bills));
        let v: serde_json::Value = serde_json::from_str(&out).expect("json");
        let loaded: u64 = v["ingest"]["periods"]
            .as_array()
            .expect("periods")
            .iter()
            .map(|p| {
                assert_eq!(p["status"], "loaded", "{p}");
                assert_eq!(p["rejected"], 0, "{p}");
                p["lines"].as_u64().expect("lines")
            })
            .sum();
        assert_eq!(loaded, lines, "{fmt}: every line is loaded");
        for measure in ["unblended", "amortized"] {
            assert_reconciles(&data, &file, fmt, measure, true);
        }
        // Loading the same bills again changes nothing.
        let again: serde_json::Value =
            serde_json::from_str(&ok(cost(&data).args(["ingest", "--json", "--from"]).arg(&bills)))
                .expect("json");
        assert!(again["ingest"]["periods"]
            .as_array()
            .expect("periods")
            .iter()
            .all(|p| p["status"] == "unchanged"));
        assert_reconciles(&data, &file, fmt, "unblended", true);
    }
}

/// DuckDB writes the samples as the Parquet variants AWS delivers: legacy CUR Parquet
/// (snake_case, one column per tag, DOUBLE costs), CUR 2.0 (maps for tags and product, account
/// names) and FOCUS Parquet.
const TO_PARQUET: &str = r#"
import duckdb, sys
cur, focus, out = sys.argv[1], sys.argv[2], sys.argv[3]
con = duckdb.connect()
con.execute(f"CREATE TABLE cur AS SELECT * FROM read_csv('{cur}', all_varchar = true, header = true)")
def col(name):
    return '"' + name + '"'
con.execute(f"""COPY (SELECT
    {col('identity/LineItemId')} AS identity_line_item_id,
    {col('bill/PayerAccountId')} AS bill_payer_account_id,
    CAST({col('bill/BillingPeriodStartDate')} AS TIMESTAMP) AS bill_billing_period_start_date,
    {col('lineItem/UsageAccountId')} AS line_item_usage_account_id,
    {col('lineItem/LineItemType')} AS line_item_line_item_type,
    CAST({col('lineItem/UsageStartDate')} AS TIMESTAMP) AS line_item_usage_start_date,
    CAST({col('lineItem/UsageEndDate')} AS TIMESTAMP) AS line_item_usage_end_date,
    {col('lineItem/ProductCode')} AS line_item_product_code,
    {col('product/ProductName')} AS product_product_name,
    CAST({col('lineItem/UnblendedCost')} AS DOUBLE) AS line_item_unblended_cost,
    'platform' AS resource_tags_user_team
  FROM cur) TO '{out}/cur1/cur1.snappy.parquet' (FORMAT parquet)""")
con.execute(f"""COPY (SELECT
    {col('identity/LineItemId')} AS identity_line_item_id,
    {col('bill/PayerAccountId')} AS bill_payer_account_id,
    CAST({col('bill/BillingPeriodStartDate')} AS TIMESTAMPTZ) AS bill_billing_period_start_date,
    {col('lineItem/UsageAccountId')} AS line_item_usage_account_id,
    'Sample Workload' AS line_item_usage_account_name,
    {col('lineItem/LineItemType')} AS line_item_line_item_type,
    CAST({col('lineItem/UsageStartDate')} AS TIMESTAMPTZ) AS line_item_usage_start_date,
    CAST({col('lineItem/UsageEndDate')} AS TIMESTAMPTZ) AS line_item_usage_end_date,
    {col('lineItem/ProductCode')} AS line_item_product_code,
    MAP {{'product_name': {col('product/ProductName')}, 'region': {col('product/region')}}} AS product,
    CAST({col('lineItem/UnblendedCost')} AS DECIMAL(38, 10)) AS line_item_unblended_cost,
    MAP {{'user_team': 'platform'}} AS resource_tags
  FROM cur) TO '{out}/cur2/data/BILLING_PERIOD=2023-11/cur2-00001.snappy.parquet' (FORMAT parquet)""")
con.execute(f"""COPY (SELECT * REPLACE (
    CAST(nullif(BilledCost, 'NULL') AS DECIMAL(38, 12)) AS BilledCost,
    CAST(nullif(EffectiveCost, 'NULL') AS DECIMAL(38, 12)) AS EffectiveCost)
  FROM read_csv('{focus}', all_varchar = true, header = true))
  TO '{out}/focus/focus.parquet' (FORMAT parquet)""")
"#;

#[test]
fn parquet_bills_of_every_format_reconcile() {
    let tmp = tempfile::tempdir().expect("tmp");
    let out = tmp.path().join("parquet");
    for d in ["cur1", "cur2/data/BILLING_PERIOD=2023-11", "focus"] {
        std::fs::create_dir_all(out.join(d)).expect("mkdir");
    }
    python(
        TO_PARQUET,
        &[
            cur_sample().to_str().expect("utf8"),
            focus_sample().to_str().expect("utf8"),
            out.to_str().expect("utf8"),
        ],
    );
    // CUR 2.0 comes with its Data Exports manifest.
    let meta = out.join("cur2/metadata/BILLING_PERIOD=2023-11");
    std::fs::create_dir_all(&meta).expect("mkdir");
    std::fs::write(
        meta.join("cur2-Manifest.json"),
        r#"{"executionId": "e-1", "dataFiles": ["s3://billing/exports/cur2/data/BILLING_PERIOD=2023-11/cur2-00001.snappy.parquet"]}"#,
    )
    .expect("manifest");
    for (dir, fmt, file, exact) in [
        ("cur1", "cur1", cur_sample(), false),
        ("cur2", "cur2", cur_sample(), true),
        ("focus", "focus", focus_sample(), true),
    ] {
        let data = tmp.path().join(format!("data-{dir}"));
        let v: serde_json::Value = serde_json::from_str(&ok(cost(&data)
            .args(["ingest", "--json", "--from"])
            .arg(out.join(dir))))
        .expect("json");
        let periods = v["ingest"]["periods"].as_array().expect("periods");
        assert!(
            periods
                .iter()
                .all(|p| p["format"] == fmt && p["status"] == "loaded"),
            "{v}"
        );
        let sample_fmt = if fmt == "focus" { "focus" } else { "cur" };
        assert_reconciles(&data, &file, sample_fmt, "unblended", exact);
        if fmt == "cur2" {
            // The bill's own account name shows where the registry has none, and tags read from
            // the map.
            let rows = crate::support::query(&data, "SELECT DISTINCT account_name, tags FROM cost");
            assert_eq!(rows.len(), 1, "{rows:?}");
            assert_eq!(rows[0]["account_name"], "Sample Workload");
            assert_eq!(rows[0]["tags"], r#"{"user_team":"platform"}"#);
        }
    }
}

#[test]
fn unreadable_bills_are_reported_and_the_rest_loads() {
    let tmp = tempfile::tempdir().expect("tmp");
    let bills = tmp.path().join("bills");
    std::fs::create_dir_all(&bills).expect("mkdir");
    std::fs::write(
        bills.join("good.csv"),
        "BillingAccountId,SubAccountId,ChargePeriodStart,ChargeCategory,BilledCost,ServiceName\n\
         1,111111111111,2024-09-01 00:00:00,Usage,1.25,EC2\n\
         1,111111111111,2024-09-02 00:00:00,Usage,1.2.5,EC2\n\
         1,111111111111,2024-09-03 00:00:00,Usage,2,EC2\n",
    )
    .expect("write");
    std::fs::write(bills.join("notes.csv"), "name,amount\nlunch,12\n").expect("write");
    std::fs::write(bills.join("broken.csv.gz"), b"\x1f\x8bnot really gzip").expect("write");
    let data = tmp.path().join("data");
    let out = run(cost(&data).args(["ingest", "--from"]).arg(&bills));
    assert_eq!(out.status.code(), Some(3), "partial success exits 3");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("good.csv: line 3: BilledCost: `1.2.5` is not a decimal number"),
        "{err}"
    );
    assert!(err.contains("notes.csv: not a cost report"), "{err}");
    assert!(err.contains("broken.csv.gz"), "{err}");
    let rows = crate::support::query(
        &data,
        "SELECT CAST(sum(unblended_cost) AS VARCHAR) AS s, count(*) AS n FROM cost",
    );
    assert_eq!(rows[0]["n"], 2);
    assert!(
        rows[0]["s"].as_str().expect("sum").starts_with("3.25"),
        "{rows:?}"
    );
    // The bill rewritten in place with the same size: a new version, which replaces the old.
    let text = std::fs::read_to_string(bills.join("good.csv")).expect("read");
    std::fs::write(bills.join("good.csv"), text.replace("1.25", "1.35")).expect("write");
    run(cost(&data).args(["ingest", "--from"]).arg(&bills));
    let rows = crate::support::query(
        &data,
        "SELECT CAST(sum(unblended_cost) AS VARCHAR) AS s, count(*) AS n FROM cost",
    );
    assert_eq!(rows[0]["n"], 2);
    assert!(
        rows[0]["s"].as_str().expect("sum").starts_with("3.35"),
        "{rows:?}"
    );
}

/// Today's date (UTC) minus `days`, as `YYYYMMDD` and `YYYY-MM-DD`.
fn days_ago(days: i64) -> (String, String) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64;
    // Howard Hinnant's civil_from_days.
    let z = now.div_euclid(86_400) - days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (format!("{y:04}{m:02}{d:02}"), format!("{y:04}-{m:02}-{d:02}"))
}

/// Unblended per account as `cost show` sums it (exact).
fn per_account(data: &Path, config: &Path, measure: &str) -> BTreeMap<String, Dec> {
    let out = ok(cost(data).arg("--config").arg(config).args([
        "show",
        "--by",
        "account",
        "--period",
        "monthly",
        "--since",
        "2000-01-01",
        "--until",
        "2100-01-01",
        "--measure",
        measure,
        "--format",
        "json",
    ]));
    let mut m = BTreeMap::new();
    for r in serde_json::from_str::<Vec<serde_json::Value>>(&out).expect("json") {
        let e = m
            .entry(r["account_id"].as_str().expect("id").to_string())
            .or_insert(Dec(0));
        e.0 += Dec::parse(r["amount"].as_str().expect("amount")).0;
    }
    m
}

#[test]
fn simulated_bills_spikes_reports_with_names_and_restatements() {
    let tmp = tempfile::tempdir().expect("tmp");
    let sim = tmp.path().join("sim");
    // The bills end yesterday, so the daily report is due today.
    let (start, _) = days_ago(2);
    let (_, yesterday) = days_ago(1);
    ok(parapet()
        .args([
            "--quiet",
            "simulate",
            "--seed",
            "11",
            "--accounts",
            "8",
            "--days",
            "2",
        ])
        .args([
            "--events-per-account-day",
            "1",
            "--sources",
            "cost",
            "--start-day",
            &start,
            "--out",
        ])
        .arg(&sim));
    let receiver = crate::notify::Receiver::start();
    let url = |path: &str| format!("http://127.0.0.1:{}/{path}", receiver.port);
    let config = tmp.path().join("parapet.toml");
    let accounts_csv = sim.join("accounts.csv");
    std::fs::write(
        &config,
        format!(
            r##"version = 1
[accounts]
csv = "{csv}"
[[notify.channels]]
name = "finops"
kind = "webhook"
url = "{finops}"
[[notify.channels]]
name = "#alerts-payments"
kind = "webhook"
url = "{payments}"
[[notify.routes]]
sources = ["cost"]
to = ["finops"]
[cost.report]
at = "00:00"
channels = ["finops"]
"##,
            csv = accounts_csv.display(),
            finops = url("finops"),
            payments = url("payments"),
        ),
    )
    .expect("config");
    let data = tmp.path().join("data");
    let with_config = |c: &mut std::process::Command| {
        c.arg("--config").arg(&config);
    };

    // Load the legacy CUR: every period, then the anomalies of the last week.
    let mut c = cost(&data);
    with_config(&mut c);
    let v: serde_json::Value = serde_json::from_str(&ok(c
        .args(["ingest", "--json", "--from"])
        .arg(sim.join("billing/cur"))))
    .expect("json");
    let periods = v["ingest"]["periods"].as_array().expect("periods");
    assert!(periods.len() >= 3, "60 days of bills span 3 months at least: {v}");
    assert!(
        periods
            .iter()
            .all(|p| p["status"] == "loaded" && p["rejected"] == 0),
        "{v}"
    );

    // Exactly the planted spikes, over every judged day (month starts included).
    let truth: Vec<serde_json::Value> = std::fs::read_to_string(sim.join("truth.jsonl"))
        .expect("truth")
        .lines()
        .map(|l| serde_json::from_str(l).expect("line"))
        .filter(|l: &serde_json::Value| l["table"] == "cost")
        .collect();
    let mut planted: Vec<(String, String, String)> = truth
        .iter()
        .map(|t| {
            (
                t["indicator"].as_str().expect("day").to_string(),
                t["account_id"].as_str().expect("account").to_string(),
                t["actor"].as_str().expect("service").to_string(),
            )
        })
        .collect();
    planted.sort();
    assert_eq!(planted.len(), 2);
    let (_, first_judged) = days_ago(1 + 60 - 15);
    let mut c = cost(&data);
    with_config(&mut c);
    let found: Vec<serde_json::Value> = serde_json::from_str(&ok(c.args([
        "anomalies",
        "--json",
        "--save",
        "--since",
        &first_judged,
    ])))
    .expect("json");
    let mut got: Vec<(String, String, String)> = found
        .iter()
        .map(|a| {
            (
                a["day"].as_str().expect("day").to_string(),
                a["account_id"].as_str().expect("account").to_string(),
                a["service"].as_str().expect("service").to_string(),
            )
        })
        .collect();
    got.sort();
    assert_eq!(got, planted, "anomalies found against those planted: {found:#?}");
    // The 45 days judged hold at least one 1st of a month, with its support fee, hosted zones,
    // taxes, credit and RI fee: none of them is an anomaly.
    let csv = std::fs::read_to_string(&accounts_csv).expect("csv");
    let name_of = |id: &str| {
        csv.lines()
            .find(|l| l.starts_with(id))
            .and_then(|l| l.split(',').nth(1))
            .expect("account in accounts.csv")
            .to_string()
    };
    for a in &found {
        let id = a["account_id"].as_str().expect("id");
        assert_eq!(a["account_name"].as_str(), Some(name_of(id).as_str()));
    }
    // As findings, routed to finops by the `cost` source.
    let findings = ok(parapet()
        .arg("--data-dir")
        .arg(&data)
        .args(["findings", "list", "--json"]));
    let findings: serde_json::Value = serde_json::from_str(&findings).expect("json");
    let spikes: Vec<&serde_json::Value> = findings
        .as_array()
        .expect("list")
        .iter()
        .filter(|f| f["rule_id"] == "cost.anomaly")
        .collect();
    assert_eq!(spikes.len(), 2, "{findings}");

    // The same spend as FOCUS, in another lake: the same totals per account, both measures.
    let data_focus = tmp.path().join("data-focus");
    let mut c = cost(&data_focus);
    with_config(&mut c);
    ok(c.args(["ingest", "--no-anomalies", "--from"])
        .arg(sim.join("billing/focus")));
    for measure in ["unblended", "amortized"] {
        assert_eq!(
            per_account(&data, &config, measure),
            per_account(&data_focus, &config, measure),
            "{measure}: CUR and FOCUS"
        );
    }

    // Rollups by cost allocation tag (weekly, CSV) and by team and OU; the top movers.
    let mut c = cost(&data);
    with_config(&mut c);
    let by_tag = ok(c.args([
        "show",
        "--by",
        "tag:user:team",
        "--period",
        "weekly",
        "--format",
        "csv",
    ]));
    let mut lines = by_tag.lines();
    assert_eq!(
        lines.next(),
        Some("period,tag:user:team,currency,amount,share_pct,previous,change,change_pct")
    );
    let rows: Vec<Vec<String>> = lines.map(split_csv).collect();
    assert!(
        rows.iter().any(|r| r[1] == "payments" && r[0].contains("-W")),
        "{by_tag}"
    );
    // Fees, taxes and credits carry no tags.
    assert!(rows.iter().any(|r| r[1] == "(untagged)"), "{by_tag}");
    let mut c = cost(&data);
    with_config(&mut c);
    let movers: Vec<serde_json::Value> = serde_json::from_str(&ok(c.args([
        "show", "--by", "team,ou", "--period", "daily", "--movers", "2", "--format", "json",
    ])))
    .expect("json");
    assert_eq!(movers.len(), 2);
    // Yesterday's biggest mover is the team of the EC2 spike.
    let spike_team = csv
        .lines()
        .find(|l| {
            l.starts_with(
                planted
                    .iter()
                    .find(|p| p.2.contains("Compute"))
                    .expect("spike")
                    .1
                    .as_str(),
            )
        })
        .and_then(|l| l.split(',').nth(2))
        .expect("team");
    assert_eq!(movers[0]["team"], spike_team, "{movers:?}");
    assert_eq!(movers[0]["period"], yesterday.as_str());

    // The daily report names accounts and teams.
    let mut c = cost(&data);
    with_config(&mut c);
    let report: serde_json::Value =
        serde_json::from_str(&ok(c.args(["report", "--json", "--date", &yesterday]))).expect("json");
    assert_eq!(report["date"], yesterday.as_str());
    for a in report["accounts"].as_array().expect("accounts") {
        let id = a["id"].as_str().expect("id");
        assert_eq!(a["name"].as_str(), Some(name_of(id).as_str()), "{a}");
        assert!(!a["team"].as_str().expect("team").starts_with('('), "{a}");
    }
    assert!(report["teams"]
        .as_array()
        .expect("teams")
        .iter()
        .any(|t| t["id"] == "payments"));
    let mut c = cost(&data);
    with_config(&mut c);
    let team_csv = ok(c.args([
        "report", "--format", "csv", "--team", "payments", "--date", &yesterday,
    ]));
    let rows: Vec<Vec<String>> = team_csv.lines().skip(1).map(split_csv).collect();
    assert_eq!(rows[0][1..3], ["team".to_string(), "payments".to_string()]);
    assert_eq!(rows.len(), 1 + payments_accounts_of(&csv).len(), "{team_csv}");
    assert!(
        rows[1..].iter().all(|r| r[1] == "account" && r[4] == "payments"),
        "{team_csv}"
    );

    // `notify send` queues yesterday's report (its hour has passed) for finops and the
    // payments team's channel, once.
    for _ in 0..2 {
        let mut c = parapet();
        c.arg("--data-dir").arg(&data).arg("--config").arg(&config);
        ok(c.args(["--quiet", "notify", "send"]));
    }
    let got = receiver.received();
    let to = |path: &str| -> Vec<serde_json::Value> {
        got.iter()
            .filter(|r| r.path == format!("/{path}"))
            .filter_map(|r| serde_json::from_str::<serde_json::Value>(&r.body).ok())
            .filter(|b| b["kind"] == "cost_report")
            .collect()
    };
    assert_eq!(to("finops").len(), 1, "one organisation report: {got:#?}");
    assert_eq!(to("payments").len(), 1, "one payments report: {got:#?}");
    let payments = &to("payments")[0];
    let text = payments["text"].as_str().expect("text");
    let payments_accounts = payments_accounts_of(&csv);
    for name in &payments_accounts {
        assert!(text.contains(name.as_str()), "{name} in {text}");
    }
    assert!(!text.contains("log-archive"), "another team's account: {text}");
    assert_eq!(payments["report"]["date"], yesterday.as_str());

    // A restated period: AWS delivers a new version of the last month without the EC2 spike.
    let cur = sim.join("billing/cur/parapet-cur");
    let mut period_dirs: Vec<PathBuf> = std::fs::read_dir(&cur)
        .expect("periods")
        .map(|e| e.expect("entry").path())
        .collect();
    period_dirs.sort();
    let last = period_dirs.last().expect("a period").clone();
    let manifest_path = last.join("parapet-cur-Manifest.json");
    let mut manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&manifest_path).expect("manifest")).expect("json");
    let old_key = manifest["reportKeys"][0].as_str().expect("key").to_string();
    let old_file = sim.join("billing").join(&old_key);
    let mut text = String::new();
    std::io::Read::read_to_string(
        &mut flate2::read::MultiGzDecoder::new(std::fs::File::open(&old_file).expect("open")),
        &mut text,
    )
    .expect("gunzip");
    let spike_account = &planted
        .iter()
        .find(|p| p.2 == "Amazon Elastic Compute Cloud")
        .expect("EC2 spike")
        .1;
    let header = split_csv(text.lines().next().expect("header"));
    let col = |name: &str| header.iter().position(|h| h == name).expect("column");
    let (account_col, start_col, product_col, cost_col) = (
        col("lineItem/UsageAccountId"),
        col("lineItem/UsageStartDate"),
        col("lineItem/ProductCode"),
        col("lineItem/UnblendedCost"),
    );
    let is_spike = |l: &str| {
        let c = split_csv(l);
        c[account_col] == *spike_account
            && c[start_col].starts_with(&yesterday)
            && c[product_col] == "AmazonEC2"
    };
    let kept: Vec<&str> = text
        .lines()
        .enumerate()
        .filter(|(i, l)| *i == 0 || !is_spike(l))
        .map(|(_, l)| l)
        .collect();
    assert!(kept.len() < text.lines().count(), "the spike's lines are dropped");
    let new_key = old_key.replace(manifest["assemblyId"].as_str().expect("id"), "restated-2");
    let new_file = sim.join("billing").join(&new_key);
    std::fs::create_dir_all(new_file.parent().expect("dir")).expect("mkdir");
    let mut gz = flate2::write::GzEncoder::new(
        std::fs::File::create(&new_file).expect("create"),
        flate2::Compression::fast(),
    );
    std::io::Write::write_all(&mut gz, (kept.join("\n") + "\n").as_bytes()).expect("write");
    gz.finish().expect("gzip");
    manifest["assemblyId"] = "restated-2".into();
    manifest["reportKeys"] = serde_json::json!([new_key]);
    std::fs::write(&manifest_path, manifest.to_string()).expect("manifest");
    let before = per_account(&data, &config, "unblended");
    let mut c = cost(&data);
    with_config(&mut c);
    let v: serde_json::Value = serde_json::from_str(&ok(c
        .args(["ingest", "--json", "--no-anomalies", "--from"])
        .arg(sim.join("billing/cur"))))
    .expect("json");
    let statuses: Vec<&str> = v["ingest"]["periods"]
        .as_array()
        .expect("periods")
        .iter()
        .map(|p| p["status"].as_str().expect("status"))
        .collect();
    assert_eq!(statuses.iter().filter(|s| **s == "loaded").count(), 1, "{v}");
    assert_eq!(
        statuses.iter().filter(|s| **s == "unchanged").count(),
        statuses.len() - 1,
        "{v}"
    );
    let after = per_account(&data, &config, "unblended");
    // Only the spike's account changed, by exactly the lines dropped.
    let dropped: i128 = text
        .lines()
        .skip(1)
        .filter(|l| is_spike(l))
        .map(|l| Dec::parse(&split_csv(l)[cost_col]).0)
        .sum();
    assert!(dropped > 0);
    for (id, amount) in &after {
        if id == spike_account {
            assert_eq!(before[id].0 - amount.0, dropped, "the restated account");
        } else {
            assert_eq!(before[id], *amount, "{id} is unchanged");
        }
    }
    // One lake file per period: the old version is gone.
    let files = crate::support::files_under(&data.join("lake/cost"));
    assert_eq!(files.len(), periods.len(), "{files:?}");
}

/// One CSV line's cells (RFC 4180 quoting; no line breaks inside cells here).
fn split_csv(line: &str) -> Vec<String> {
    let mut cells = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                cells.last_mut().expect("cell").push('"');
            }
            ('"', _) => quoted = !quoted,
            (',', false) => cells.push(String::new()),
            (c, _) => cells.last_mut().expect("cell").push(c),
        }
    }
    cells
}

/// The names of the payments team's accounts in a simulated `accounts.csv`.
fn payments_accounts_of(csv: &str) -> Vec<String> {
    csv.lines()
        .skip(1)
        .filter(|l| l.split(',').nth(2) == Some("payments"))
        .map(|l| l.split(',').nth(1).expect("name").to_string())
        .collect()
}
