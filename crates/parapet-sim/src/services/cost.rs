//! The organisation's bills: the management (payer) account's Cost and Usage Report, once as a
//! legacy CUR 1.0 (CSV, gzip) and once as a FOCUS 1.0 Data Export (CSV, gzip), describing the
//! same line items.
//!
//! The bills cover the [`crate::COST_HISTORY_DAYS`] days ending on the last simulated day, whatever the
//! run's length (spend anomalies need weeks of history), one billing period per calendar month.
//!
//! Spend model, per account (each from its own random streams):
//! - 3–8 services of [`CATALOG`] (the Log Archive account stores, the audit account runs
//!   GuardDuty, Security Hub and Config), each with a daily base between $0.50 and $400 split
//!   into 1–3 line items (usage types, resources); a day's amount is the base × 1.0 on
//!   weekdays or 0.7 on weekends × up to ±4.5 % noise, so steady spend never looks like a spike;
//! - on the 1st of each month: AWS Support (Business) (`Fee`, management account, 10 % of the
//!   previous month's usage of the organisation, $100 at least), the Route 53 hosted zones
//!   (`Usage` over the whole month), a `Tax` line per account and service (8 % of the month's
//!   usage so far, over the whole month), a promotional `Credit` of -$25 (management account);
//! - the first workload account has a Compute Savings Plan (daily `SavingsPlanCoveredUsage`
//!   EC2 lines at 70 % effective cost, their `SavingsPlanNegation`, a daily
//!   `SavingsPlanRecurringFee`) and an RDS Reserved Instance (daily `DiscountedUsage`, a
//!   monthly `RIFee`);
//! - one `Refund` in a workload account, 30 days into the bills;
//! - two planted spikes, each a truth line of table `cost`: on the last day one workload
//!   account's EC2 costs 6 × its base (`cost_spike`), and 10 days before it another starts (and
//!   stops) using Amazon SageMaker at $450 (`cost_new_service`).
//!
//! Amounts are integers in units of 1e-10 USD (quantities in thousandths), so every cost is
//! rate × quantity exactly and every total is exact. FOCUS rows map the CUR lines one to one,
//! except that a covered usage row is billed 0 and the negation lines are left out: FOCUS
//! `BilledCost` totals equal CUR `UnblendedCost` totals and FOCUS `EffectiveCost` totals equal
//! the CUR's amortised cost, per account and per tag.
//!
//! Files, under `billing/` (the bucket the reports are delivered to):
//! - `cur/parapet-cur/<YYYYMMDD>-<YYYYMMDD>/<assemblyId>/parapet-cur-1.csv.gz` and its period
//!   manifest `cur/parapet-cur/<YYYYMMDD>-<YYYYMMDD>/parapet-cur-Manifest.json`;
//! - `focus/parapet-focus/data/BILLING_PERIOD=<YYYY-MM>/parapet-focus-00001.csv.gz` and
//!   `focus/parapet-focus/metadata/BILLING_PERIOD=<YYYY-MM>/parapet-focus-Manifest.json`.

use std::collections::BTreeMap;
use std::path::Path;

use parapet_model::time::{civil_from_days, days_from_civil};
use serde_json::json;

use super::SourceCount;
use crate::error::SimError;
use crate::inventory::Inventory;
use crate::org::Organization;
use crate::record::time_string;
use crate::rng::Rng;
use crate::scenarios::Truth;
use crate::sink::FileSink;
use crate::SimConfig;

pub(crate) const TABLE: &str = "cost";
/// Days the bills cover, ending on the last simulated day.
const HISTORY_DAYS: i64 = crate::COST_HISTORY_DAYS as i64;
const BUCKET: &str = "parapet-sim-billing";
const CUR_REPORT: &str = "parapet-cur";
const CUR_PREFIX: &str = "cur";
const FOCUS_EXPORT: &str = "parapet-focus";
const FOCUS_PREFIX: &str = "focus";

pub(crate) const SCENARIO_SPIKE: &str = "cost_spike";
pub(crate) const SCENARIO_NEW_SERVICE: &str = "cost_new_service";
/// How many times its base the spiked account's EC2 costs on the last day.
const SPIKE_FACTOR: i64 = 6;
/// Days before the last day the new service is used.
const NEW_SERVICE_DAYS_BEFORE: i64 = 10;

/// One US dollar in amount units (1e-10 USD).
const USD: i64 = 10_000_000_000;
const CENT: i64 = USD / 100;
/// Quantities are in thousandths.
const QTY: i64 = 1000;
const DAY: i64 = 86_400;

/// A decimal dollar amount in units of 1e-10 USD, at compile time.
const fn usd(s: &str) -> i64 {
    let b = s.as_bytes();
    let mut i = 0;
    let mut v: i64 = 0;
    let mut places: i32 = -1;
    while i < b.len() {
        if b[i] == b'.' {
            places = 0;
        } else {
            v = v * 10 + (b[i] - b'0') as i64;
            if places >= 0 {
                places += 1;
            }
        }
        i += 1;
    }
    if places < 0 {
        places = 0;
    }
    while places < 10 {
        v *= 10;
        places += 1;
    }
    v
}

/// What a line item's resource id is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Res {
    None,
    Instance,
    Volume,
    Bucket,
    Db,
    Function,
    Table,
    Key,
    LogGroup,
    Zone,
    Endpoint,
}

/// A line item a service bills every day.
struct Tpl {
    /// `{}` is replaced by the variant's name.
    usage: &'static str,
    operation: &'static str,
    unit: &'static str,
    /// Price per unit, 1e-10 USD (a variant's when there are variants).
    rate: i64,
    /// Its share of the service's daily base.
    share: i64,
    res: Res,
    /// The line names an availability zone.
    az: bool,
    /// The quantity is a whole number (requests, events, items).
    count: bool,
    variants: &'static [(&'static str, i64)],
}

const fn tpl(
    usage: &'static str,
    operation: &'static str,
    unit: &'static str,
    rate: i64,
    share: i64,
    res: Res,
) -> Tpl {
    Tpl {
        usage,
        operation,
        unit,
        rate,
        share,
        res,
        az: false,
        count: false,
        variants: &[],
    }
}

/// A whole-number line (requests, events).
const fn counted(
    usage: &'static str,
    operation: &'static str,
    unit: &'static str,
    rate: i64,
    share: i64,
    res: Res,
) -> Tpl {
    Tpl {
        count: true,
        ..tpl(usage, operation, unit, rate, share, res)
    }
}

/// An instance line: in an availability zone, of one of `variants` (type, hourly rate).
const fn instance(
    usage: &'static str,
    operation: &'static str,
    share: i64,
    res: Res,
    variants: &'static [(&'static str, i64)],
) -> Tpl {
    Tpl {
        az: true,
        variants,
        ..tpl(usage, operation, "Hrs", 0, share, res)
    }
}

/// An AWS product as the bills name it.
pub(crate) struct Product {
    pub name: &'static str,
    pub code: &'static str,
    /// FOCUS `ServiceCategory`.
    category: &'static str,
    /// Daily base range, cents.
    base: (i64, i64),
    /// Billed in region `global` (Route 53).
    global: bool,
    lines: &'static [Tpl],
}

const EC2: usize = 0;
const S3: usize = 1;
const RDS: usize = 2;
const LAMBDA: usize = 3;
const CLOUDWATCH: usize = 4;
const DYNAMODB: usize = 5;
const VPC: usize = 6;
const KMS: usize = 7;
const CLOUDTRAIL: usize = 8;
const GUARDDUTY: usize = 9;
const CONFIG: usize = 10;
const ROUTE53: usize = 11;
const SECURITYHUB: usize = 12;

const EC2_TYPES: &[(&str, i64)] = &[
    ("m5.xlarge", usd("0.192")),
    ("m5.large", usd("0.096")),
    ("c5.2xlarge", usd("0.34")),
    ("r5.large", usd("0.126")),
    ("t3.medium", usd("0.0416")),
];
const RDS_TYPES: &[(&str, i64)] = &[
    ("db.r5.large", usd("0.25")),
    ("db.m5.large", usd("0.171")),
    ("db.t3.medium", usd("0.068")),
];

/// The services accounts use, indexed by the constants above.
pub(crate) static CATALOG: &[Product] = &[
    Product {
        name: "Amazon Elastic Compute Cloud",
        code: "AmazonEC2",
        category: "Compute",
        base: (2_000, 40_000),
        global: false,
        lines: &[
            instance("BoxUsage:{}", "RunInstances", 70, Res::Instance, EC2_TYPES),
            Tpl {
                az: true,
                ..tpl(
                    "EBS:VolumeUsage.gp3",
                    "CreateVolume-Gp3",
                    "GB-Mo",
                    usd("0.08"),
                    20,
                    Res::Volume,
                )
            },
            tpl(
                "DataTransfer-Out-Bytes",
                "RunInstances",
                "GB",
                usd("0.09"),
                10,
                Res::Instance,
            ),
        ],
    },
    Product {
        name: "Amazon Simple Storage Service",
        code: "AmazonS3",
        category: "Storage",
        base: (100, 15_000),
        global: false,
        lines: &[
            tpl(
                "TimedStorage-ByteHrs",
                "StandardStorage",
                "GB-Mo",
                usd("0.023"),
                80,
                Res::Bucket,
            ),
            counted(
                "Requests-Tier1",
                "PutObject",
                "Requests",
                usd("0.000005"),
                12,
                Res::Bucket,
            ),
            counted(
                "Requests-Tier2",
                "GetObject",
                "Requests",
                usd("0.0000004"),
                8,
                Res::Bucket,
            ),
        ],
    },
    Product {
        name: "Amazon Relational Database Service",
        code: "AmazonRDS",
        category: "Databases",
        base: (1_000, 30_000),
        global: false,
        lines: &[
            instance(
                "InstanceUsage:{}",
                "CreateDBInstance:0002",
                75,
                Res::Db,
                RDS_TYPES,
            ),
            tpl(
                "RDS:GP2-Storage",
                "CreateDBInstance:0002",
                "GB-Mo",
                usd("0.115"),
                25,
                Res::Db,
            ),
        ],
    },
    Product {
        name: "AWS Lambda",
        code: "AWSLambda",
        category: "Compute",
        base: (50, 6_000),
        global: false,
        lines: &[
            counted(
                "Lambda-GB-Second",
                "Invoke",
                "Lambda-GB-Second",
                usd("0.0000166667"),
                85,
                Res::Function,
            ),
            counted(
                "Request",
                "Invoke",
                "Requests",
                usd("0.0000002"),
                15,
                Res::Function,
            ),
        ],
    },
    Product {
        name: "AmazonCloudWatch",
        code: "AmazonCloudWatch",
        category: "Management and Governance",
        base: (50, 5_000),
        global: false,
        lines: &[
            tpl(
                "DataProcessing-Bytes",
                "PutLogEvents",
                "GB",
                usd("0.5"),
                45,
                Res::LogGroup,
            ),
            tpl(
                "CW:MetricMonitorUsage",
                "MetricStorage",
                "Metrics",
                usd("0.01"),
                40,
                Res::None,
            ),
            tpl(
                "TimedStorage-ByteHrs",
                "HourlyStorageMetering",
                "GB-Mo",
                usd("0.03"),
                15,
                Res::LogGroup,
            ),
        ],
    },
    Product {
        name: "Amazon DynamoDB",
        code: "AmazonDynamoDB",
        category: "Databases",
        base: (100, 12_000),
        global: false,
        lines: &[
            counted(
                "WriteRequestUnits",
                "PayPerRequestThroughput",
                "WriteRequestUnits",
                usd("0.00000125"),
                50,
                Res::Table,
            ),
            counted(
                "ReadRequestUnits",
                "PayPerRequestThroughput",
                "ReadRequestUnits",
                usd("0.00000025"),
                30,
                Res::Table,
            ),
            tpl(
                "TimedStorage-ByteHrs",
                "StandardStorage",
                "GB-Mo",
                usd("0.25"),
                20,
                Res::Table,
            ),
        ],
    },
    Product {
        name: "Amazon Virtual Private Cloud",
        code: "AmazonVPC",
        category: "Networking",
        base: (100, 6_000),
        global: false,
        lines: &[
            tpl(
                "VpcEndpoint-Hours",
                "VpcEndpoint",
                "Hrs",
                usd("0.01"),
                50,
                Res::Endpoint,
            ),
            tpl(
                "PublicIPv4:InUseAddress",
                "AssociateAddressVPC",
                "Hrs",
                usd("0.005"),
                30,
                Res::None,
            ),
            tpl(
                "VpcEndpoint-Bytes",
                "VpcEndpoint",
                "GB",
                usd("0.01"),
                20,
                Res::Endpoint,
            ),
        ],
    },
    Product {
        name: "AWS Key Management Service",
        code: "awskms",
        category: "Security",
        base: (50, 1_500),
        global: false,
        lines: &[
            tpl("KMS-Keys", "CreateKey", "Keys", usd("1"), 60, Res::Key),
            counted(
                "KMS-Requests",
                "GenerateDataKey",
                "Requests",
                usd("0.000003"),
                40,
                Res::Key,
            ),
        ],
    },
    Product {
        name: "AWS CloudTrail",
        code: "AWSCloudTrail",
        category: "Management and Governance",
        base: (50, 4_000),
        global: false,
        lines: &[
            counted(
                "PaidEventsRecorded",
                "None",
                "Events",
                usd("0.00002"),
                70,
                Res::None,
            ),
            counted(
                "DataEventsRecorded",
                "None",
                "Events",
                usd("0.000001"),
                30,
                Res::None,
            ),
        ],
    },
    Product {
        name: "Amazon GuardDuty",
        code: "AmazonGuardDuty",
        category: "Security",
        base: (100, 12_000),
        global: false,
        lines: &[
            counted(
                "PaidEventsAnalyzed",
                "None",
                "Events",
                usd("0.000004"),
                40,
                Res::None,
            ),
            tpl("PaidVPCFlowLogsAnalyzed", "None", "GB", usd("1"), 35, Res::None),
            counted(
                "PaidS3DataEventsAnalyzed",
                "None",
                "Events",
                usd("0.0000008"),
                25,
                Res::None,
            ),
        ],
    },
    Product {
        name: "AWS Config",
        code: "AWSConfig",
        category: "Management and Governance",
        base: (200, 5_000),
        global: false,
        lines: &[
            counted(
                "ConfigurationItemRecorded",
                "None",
                "ConfigurationItem",
                usd("0.003"),
                70,
                Res::None,
            ),
            counted(
                "ConfigRuleEvaluations",
                "None",
                "ConfigRuleEvaluations",
                usd("0.001"),
                30,
                Res::None,
            ),
        ],
    },
    Product {
        name: "Amazon Route 53",
        code: "AmazonRoute53",
        category: "Networking",
        base: (50, 2_000),
        global: true,
        lines: &[counted(
            "DNS-Queries",
            "Query",
            "Queries",
            usd("0.0000004"),
            100,
            Res::Zone,
        )],
    },
    Product {
        name: "AWS Security Hub",
        code: "AWSSecurityHub",
        category: "Security",
        base: (100, 8_000),
        global: false,
        lines: &[
            counted(
                "PaidComplianceCheck",
                "None",
                "Checks",
                usd("0.001"),
                80,
                Res::None,
            ),
            counted(
                "PaidEventsIngested",
                "None",
                "Findings",
                usd("0.00003"),
                20,
                Res::None,
            ),
        ],
    },
];

static SAGEMAKER: Product = Product {
    name: "Amazon SageMaker",
    code: "AmazonSageMaker",
    category: "AI and Machine Learning",
    base: (0, 0),
    global: false,
    lines: &[],
};
/// The new service's usage: 120 hours at $3.75, $450.
const SAGEMAKER_RATE: i64 = usd("3.75");
const SAGEMAKER_HOURS: i64 = 120;
static SUPPORT: Product = Product {
    name: "AWS Support (Business)",
    code: "AWSSupportBusiness",
    category: "Other",
    base: (0, 0),
    global: false,
    lines: &[],
};
static SAVINGS_PLANS: Product = Product {
    name: "Savings Plans for AWS Compute usage",
    code: "ComputeSavingsPlans",
    category: "Compute",
    base: (0, 0),
    global: false,
    lines: &[],
};

/// Instance groups the Savings Plan covers: type, on-demand hourly rate.
const SP_COVERED: &[(&str, i64)] = &[("c5.2xlarge", usd("0.34")), ("m5.large", usd("0.096"))];
/// The Reserved Instance: type, on-demand, amortised upfront and recurring hourly rates.
const RI_TYPE: &str = "db.r5.large";
const RI_ON_DEMAND: i64 = usd("0.25");
const RI_UPFRONT: i64 = usd("0.07");
const RI_RECURRING: i64 = usd("0.09");

/// `EUW1-`: the region's prefix of usage types (none in us-east-1 and for global services).
fn usage_prefix(region: &str) -> &'static str {
    match region {
        "us-west-2" => "USW2-",
        "eu-west-1" => "EUW1-",
        "eu-central-1" => "EUC1-",
        "ap-northeast-1" => "APN1-",
        "ap-southeast-1" => "APS1-",
        "ap-southeast-2" => "APS2-",
        _ => "",
    }
}

fn is_weekend(day: i64) -> bool {
    // 1970-01-01 was a Thursday; 0 = Monday.
    (day + 3).rem_euclid(7) >= 5
}

fn month_start(day: i64) -> i64 {
    let (y, m, _) = civil_from_days(day);
    days_from_civil(y, m, 1)
}

fn next_month(day: i64) -> i64 {
    let (y, m, _) = civil_from_days(day);
    if m == 12 {
        days_from_civil(y + 1, 1, 1)
    } else {
        days_from_civil(y, m + 1, 1)
    }
}

/// `2024-09-21`.
fn iso_day(day: i64) -> String {
    let (y, m, d) = civil_from_days(day);
    format!("{y:04}-{m:02}-{d:02}")
}

/// `20240921`.
fn compact_day(day: i64) -> String {
    let (y, m, d) = civil_from_days(day);
    format!("{y:04}{m:02}{d:02}")
}

/// `12.3400000000`: ten decimals, never an exponent.
fn money(v: i64) -> String {
    let sign = if v < 0 { "-" } else { "" };
    let a = v.unsigned_abs();
    let unit = USD as u64;
    format!("{sign}{}.{:010}", a / unit, a % unit)
}

/// `0.192`: dollars with the trailing zeros dropped, for descriptions.
fn dollars(v: i64) -> String {
    let m = money(v);
    m.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// `21.713`: a quantity in thousandths, trailing zeros dropped.
fn quantity(v: i64) -> String {
    let sign = if v < 0 { "-" } else { "" };
    let a = v.unsigned_abs();
    let (int, frac) = (a / QTY as u64, a % QTY as u64);
    if frac == 0 {
        format!("{sign}{int}")
    } else {
        let f = format!("{frac:03}");
        format!("{sign}{int}.{}", f.trim_end_matches('0'))
    }
}

/// One billed line item of a service, fixed for the run.
struct SvcLine {
    usage_type: String,
    operation: &'static str,
    unit: &'static str,
    rate: i64,
    /// Quantities are multiples of this (thousandths).
    quantum: i64,
    /// Quantity on a weekday without noise, thousandths.
    base_qty: i64,
    resource: String,
    az: String,
}

/// A service one account uses.
struct Svc {
    product: &'static Product,
    region: &'static str,
    lines: Vec<SvcLine>,
}

impl Svc {
    /// Daily base on a weekday without noise, 1e-10 USD.
    #[cfg(test)]
    fn base(&self) -> i64 {
        self.lines.iter().map(|l| cost_of(l.rate, l.base_qty)).sum()
    }
}

/// One account's spend profile.
struct Acct {
    index: usize,
    id: String,
    name: String,
    team: String,
    env: String,
    home: &'static str,
    services: Vec<Svc>,
    /// Route 53 hosted zones billed on the 1st.
    zones: i64,
    zone_arn: String,
}

/// Cost of `qty` thousandths at `rate`.
fn cost_of(rate: i64, qty: i64) -> i64 {
    (i128::from(rate) * i128::from(qty) / i128::from(QTY)) as i64
}

fn shuffle(rng: &mut Rng, v: &mut [usize]) {
    for i in (1..v.len()).rev() {
        let j = rng.index(i + 1);
        v.swap(i, j);
    }
}

impl Acct {
    fn build(org: &Organization, index: usize, seed: u64, plan: &Plan) -> Acct {
        let sim = &org.accounts[index];
        let a = &sim.account;
        let id = a.id.as_str().to_string();
        let inv = Inventory::build(org, index, seed);
        let mut rng = Rng::derive(seed, &[0xC057, index as u64]);
        let all = vec![
            EC2, S3, RDS, LAMBDA, CLOUDWATCH, DYNAMODB, VPC, KMS, CLOUDTRAIL, GUARDDUTY, CONFIG, ROUTE53,
        ];
        let (mut chosen, pool): (Vec<usize>, Vec<usize>) = match index {
            0 => (
                vec![CLOUDTRAIL, CONFIG, S3],
                vec![KMS, CLOUDWATCH, LAMBDA, ROUTE53, GUARDDUTY, SECURITYHUB],
            ),
            1 => (
                vec![S3, KMS, CLOUDTRAIL],
                vec![CLOUDWATCH, CONFIG, GUARDDUTY, LAMBDA],
            ),
            2 => (
                vec![GUARDDUTY, SECURITYHUB, CONFIG],
                vec![CLOUDWATCH, KMS, LAMBDA, S3, CLOUDTRAIL],
            ),
            _ => {
                let mut forced = Vec::new();
                if index == plan.spike || index == plan.commitments {
                    forced.push(EC2);
                }
                if index == plan.commitments {
                    forced.push(RDS);
                }
                (forced, all)
            }
        };
        let n = rng.range(3, 8) as usize;
        let mut pool = pool;
        shuffle(&mut rng, &mut pool);
        for p in pool {
            if chosen.len() >= n {
                break;
            }
            if !chosen.contains(&p) {
                chosen.push(p);
            }
        }
        chosen.sort_unstable();
        let mut services = Vec::with_capacity(chosen.len());
        for p in chosen {
            let product = &CATALOG[p];
            let region = if product.global {
                "global"
            } else if sim.regions.len() > 1 && rng.chance(0.3) {
                sim.regions[1 + rng.index(sim.regions.len() - 1)]
            } else {
                sim.home_region
            };
            let (lo, hi) = match p {
                S3 if index == 1 => (15_000, 40_000),
                EC2 if index == plan.spike => (10_000, 40_000),
                _ => product.base,
            };
            // Skewed towards the low end: most services cost little.
            let r = rng.below(1001) as i64;
            let base = (lo + (hi - lo) * r * r / 1_000_000) * CENT;
            let k = rng.range(1, product.lines.len() as u64) as usize;
            let used = &product.lines[..k];
            let shares: i64 = used.iter().map(|t| t.share).sum();
            let az = format!("{region}{}", ["a", "b", "c"][rng.index(3)]);
            let mut lines = Vec::with_capacity(k);
            for t in used {
                let (usage, rate) = if t.variants.is_empty() {
                    (t.usage.to_string(), t.rate)
                } else {
                    let (name, rate) = *rng.pick(t.variants);
                    (t.usage.replace("{}", name), rate)
                };
                let quantum = if t.count || rate % QTY != 0 { QTY } else { 1 };
                let line_base = i128::from(base) * i128::from(t.share) / i128::from(shares);
                let base_qty = (line_base * i128::from(QTY) / i128::from(rate)) as i64;
                lines.push(SvcLine {
                    usage_type: format!("{}{usage}", usage_prefix(region)),
                    operation: t.operation,
                    unit: t.unit,
                    rate,
                    quantum,
                    base_qty,
                    resource: resource(t.res, &mut rng, &inv, org, index, region),
                    az: if t.az { az.clone() } else { String::new() },
                });
            }
            services.push(Svc {
                product,
                region,
                lines,
            });
        }
        Acct {
            index,
            id,
            name: a.name.clone(),
            team: a.team.clone(),
            env: a.env.clone(),
            home: sim.home_region,
            services,
            zones: rng.range(1, 4) as i64,
            zone_arn: format!("arn:aws:route53:::hostedzone/Z{}", rng.upper_alnum(13)),
        }
    }

    /// Quantities (thousandths) of every service line on `day`, without spikes.
    fn quantities(&self, seed: u64, day: i64) -> Vec<Vec<i64>> {
        let mut rng = Rng::derive(seed, &[0xC05D, self.index as u64, day as u64]);
        let factor: i128 = if is_weekend(day) { 700 } else { 1000 };
        self.services
            .iter()
            .map(|svc| {
                svc.lines
                    .iter()
                    .map(|l| {
                        // ±4.5 %, in basis points.
                        let noise = rng.range(0, 900) as i128 - 450;
                        let q = i128::from(l.base_qty) * factor * (10_000 + noise) / 10_000_000;
                        let quantum = i128::from(l.quantum);
                        let q = (q + quantum / 2) / quantum * quantum;
                        q.max(quantum) as i64
                    })
                    .collect()
            })
            .collect()
    }
}

/// A resource id of `res` for a line of account `index`.
fn resource(
    res: Res,
    rng: &mut Rng,
    inv: &Inventory,
    org: &Organization,
    index: usize,
    region: &str,
) -> String {
    let id = org.accounts[index].account.id.as_str();
    let first = |v: &[String], fallback: String| v.first().cloned().unwrap_or(fallback);
    match res {
        Res::None => String::new(),
        Res::Instance => {
            let fallback = format!("i-0{}", rng.hex(16));
            first(&inv.instances, fallback)
        }
        Res::Volume => format!("vol-0{}", rng.hex(16)),
        Res::Bucket => {
            if index == 1 {
                org.bucket()
            } else {
                let fallback = format!("{}-data-{id}", org.accounts[index].account.name);
                first(&inv.buckets, fallback)
            }
        }
        Res::Db => {
            let fallback = format!("{}-db", org.accounts[index].account.name);
            format!(
                "arn:aws:rds:{region}:{id}:db:{}",
                first(&inv.db_instances, fallback)
            )
        }
        Res::Function => {
            let fallback = format!("{}-api", org.accounts[index].app);
            format!(
                "arn:aws:lambda:{region}:{id}:function:{}",
                first(&inv.functions, fallback)
            )
        }
        Res::Table => format!(
            "arn:aws:dynamodb:{region}:{id}:table/{}-{}",
            org.accounts[index].app,
            rng.pick(&["orders", "sessions", "events", "profiles"])
        ),
        Res::Key => format!(
            "arn:aws:kms:{region}:{id}:key/{}",
            first(&inv.kms_keys, rng.uuid())
        ),
        Res::LogGroup => format!(
            "arn:aws:logs:{region}:{id}:log-group:{}",
            first(&inv.log_groups, "/aws/lambda/default".to_string())
        ),
        Res::Zone => format!("arn:aws:route53:::hostedzone/Z{}", rng.upper_alnum(13)),
        Res::Endpoint => format!("vpce-0{}", rng.hex(16)),
    }
}

/// Who gets the spikes, the commitments and the refund.
struct Plan {
    /// Account whose EC2 spikes on the last day.
    spike: usize,
    /// Account that starts using SageMaker.
    new_service: usize,
    /// The account with the Savings Plan and the Reserved Instance.
    commitments: usize,
    refund: usize,
    refund_amount: i64,
}

impl Plan {
    fn choose(seed: u64, accounts: usize) -> Plan {
        let mut rng = Rng::derive(seed, &[0xC05A]);
        let workloads = accounts.saturating_sub(3).max(1);
        let spike = 3 + rng.index(workloads);
        // Another workload account; with a single one, the audit account (a member too).
        let new_service = if workloads >= 2 {
            3 + (spike - 3 + 1 + rng.index(workloads - 1)) % workloads
        } else {
            2
        };
        let refund = 3 + rng.index(workloads);
        Plan {
            spike,
            new_service,
            commitments: 3,
            refund,
            refund_amount: rng.range(20, 120) as i64 * USD,
        }
    }
}

/// The CUR line item type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Usage,
    SpCovered,
    SpNegation,
    RiDiscounted,
    SpFee,
    RiFee,
    Fee,
    Tax,
    Credit,
    Refund,
}

impl Kind {
    fn cur(self) -> &'static str {
        match self {
            Kind::Usage => "Usage",
            Kind::SpCovered => "SavingsPlanCoveredUsage",
            Kind::SpNegation => "SavingsPlanNegation",
            Kind::RiDiscounted => "DiscountedUsage",
            Kind::SpFee => "SavingsPlanRecurringFee",
            Kind::RiFee => "RIFee",
            Kind::Fee => "Fee",
            Kind::Tax => "Tax",
            Kind::Credit => "Credit",
            Kind::Refund => "Refund",
        }
    }

    fn focus_category(self) -> &'static str {
        match self {
            Kind::Usage | Kind::SpCovered | Kind::SpNegation | Kind::RiDiscounted => "Usage",
            Kind::SpFee | Kind::RiFee | Kind::Fee => "Purchase",
            Kind::Tax => "Tax",
            Kind::Credit | Kind::Refund => "Credit",
        }
    }

    fn is_usage(self) -> bool {
        self.focus_category() == "Usage"
    }
}

/// One line item of the bill.
struct Line {
    account: usize,
    kind: Kind,
    /// Usage period, epoch seconds.
    start: i64,
    end: i64,
    product: &'static Product,
    region: &'static str,
    usage_type: String,
    operation: &'static str,
    az: String,
    resource: String,
    /// Thousandths.
    quantity: Option<i64>,
    unit: &'static str,
    rate: Option<i64>,
    /// Unblended cost, 1e-10 USD.
    cost: i64,
    public: Option<i64>,
    description: String,
    /// Savings Plan or reservation ARN.
    arn: String,
    sp_effective: Option<i64>,
    sp_commitment: Option<i64>,
    sp_used: Option<i64>,
    ri_effective: Option<i64>,
    ri_unused_upfront: Option<i64>,
    ri_unused_recurring: Option<i64>,
    tagged: bool,
    id: String,
}

impl Line {
    fn new(account: usize, kind: Kind, day: i64, product: &'static Product, region: &'static str) -> Line {
        Line {
            account,
            kind,
            start: day * DAY,
            end: (day + 1) * DAY,
            product,
            region,
            usage_type: String::new(),
            operation: "",
            az: String::new(),
            resource: String::new(),
            quantity: None,
            unit: "",
            rate: None,
            cost: 0,
            public: None,
            description: String::new(),
            arn: String::new(),
            sp_effective: None,
            sp_commitment: None,
            sp_used: None,
            ri_effective: None,
            ri_unused_upfront: None,
            ri_unused_recurring: None,
            tagged: kind.is_usage(),
            id: String::new(),
        }
    }

    /// Over the whole month starting on `day`.
    fn monthly(mut self, day: i64) -> Line {
        self.start = day * DAY;
        self.end = next_month(day) * DAY;
        self
    }

    fn priced(
        mut self,
        usage_type: String,
        operation: &'static str,
        unit: &'static str,
        rate: i64,
        qty: i64,
    ) -> Line {
        self.usage_type = usage_type;
        self.operation = operation;
        self.unit = unit;
        self.rate = Some(rate);
        self.quantity = Some(qty);
        self.cost = cost_of(rate, qty);
        self
    }

    /// AWS's amortised cost of the line (what FOCUS calls `EffectiveCost`).
    fn amortized(&self) -> i64 {
        match self.kind {
            Kind::SpCovered => self.sp_effective.unwrap_or_default(),
            Kind::SpFee => self.sp_commitment.unwrap_or_default() - self.sp_used.unwrap_or_default(),
            Kind::SpNegation => 0,
            Kind::RiDiscounted => self.ri_effective.unwrap_or_default(),
            Kind::RiFee => {
                self.ri_unused_upfront.unwrap_or_default() + self.ri_unused_recurring.unwrap_or_default()
            }
            _ => self.cost,
        }
    }

    fn sort_key(&self) -> (i64, usize, Kind, &str, &str, &str, i64) {
        (
            self.start,
            self.account,
            self.kind,
            self.product.code,
            &self.usage_type,
            &self.resource,
            self.cost,
        )
    }
}

/// Per-day usage lines of an account (spikes included).
fn usage_lines(acct: &Acct, seed: u64, day: i64, last: i64, plan: &Plan, out: &mut Vec<Line>) {
    let qtys = acct.quantities(seed, day);
    for (svc, qs) in acct.services.iter().zip(qtys) {
        let spiked = acct.index == plan.spike && day == last && svc.product.code == CATALOG[EC2].code;
        for (l, q) in svc.lines.iter().zip(qs) {
            let q = if spiked { q * SPIKE_FACTOR } else { q };
            let mut line = Line::new(acct.index, Kind::Usage, day, svc.product, svc.region).priced(
                l.usage_type.clone(),
                l.operation,
                l.unit,
                l.rate,
                q,
            );
            line.az = l.az.clone();
            line.resource = l.resource.clone();
            line.public = Some(line.cost);
            line.description = format!(
                "${} per {} for {} in {}",
                dollars(l.rate),
                l.unit,
                l.usage_type,
                svc.region
            );
            out.push(line);
        }
    }
    if acct.index == plan.new_service && day == last - NEW_SERVICE_DAYS_BEFORE {
        let region = acct.home;
        let mut line = Line::new(acct.index, Kind::Usage, day, &SAGEMAKER, region).priced(
            format!("{}Train:ml.p3.2xlarge", usage_prefix(region)),
            "CreateTrainingJob",
            "Hrs",
            SAGEMAKER_RATE,
            SAGEMAKER_HOURS * QTY,
        );
        line.resource = format!(
            "arn:aws:sagemaker:{region}:{}:training-job/{}-experiment",
            acct.id, acct.name
        );
        line.public = Some(line.cost);
        line.description = format!("$3.75 per Training ml.p3.2xlarge hour in {region}");
        out.push(line);
    }
}

/// Instances the Savings Plan covers.
struct Covered {
    usage_type: String,
    /// On-demand hourly rate.
    rate: i64,
    /// Hours a day, thousandths.
    hours: i64,
    resource: String,
    az: String,
}

/// The Savings Plan and Reserved Instance of the commitments account.
struct Commitments {
    account: usize,
    region: &'static str,
    sp_arn: String,
    account_id: String,
    covered: Vec<Covered>,
    /// The Savings Plan's hourly commitment.
    sp_hourly: i64,
    ri_arn: String,
    ri_dbs: Vec<String>,
    ri_az: String,
}

impl Commitments {
    fn build(acct: &Acct, seed: u64) -> Commitments {
        let mut rng = Rng::derive(seed, &[0xC0317, acct.index as u64]);
        let region = acct
            .services
            .iter()
            .find(|s| s.product.code == CATALOG[EC2].code)
            .map(|s| s.region)
            .unwrap_or(acct.home);
        let az = format!("{region}{}", ["a", "b", "c"][rng.index(3)]);
        let covered: Vec<Covered> = SP_COVERED
            .iter()
            .map(|(kind, rate)| Covered {
                usage_type: format!("{}BoxUsage:{kind}", usage_prefix(region)),
                rate: *rate,
                hours: 24 * rng.range(1, 4) as i64 * QTY,
                resource: format!("i-0{}", rng.hex(16)),
                az: az.clone(),
            })
            .collect();
        let effective: i64 = covered.iter().map(|c| cost_of(c.rate, c.hours) * 7 / 10).sum();
        // The commitment covers the effective cost, rounded up to the cent, plus 5 cents an hour.
        let hourly = (effective / 24 + CENT - 1) / CENT * CENT + 5 * CENT;
        let n_ri = rng.range(1, 2) as usize;
        Commitments {
            account: acct.index,
            account_id: acct.id.clone(),
            region,
            sp_arn: format!("arn:aws:savingsplans::{}:savingsplan/{}", acct.id, rng.uuid()),
            covered,
            sp_hourly: hourly,
            ri_arn: format!(
                "arn:aws:rds:{region}:{}:ri:{}-ri-{}",
                acct.id,
                acct.name,
                rng.hex(8)
            ),
            ri_dbs: (0..n_ri)
                .map(|i| {
                    format!(
                        "arn:aws:rds:{region}:{}:db:{}-reserved-{}",
                        acct.id,
                        acct.name,
                        i + 1
                    )
                })
                .collect(),
            ri_az: az,
        }
    }

    fn daily(&self, day: i64, out: &mut Vec<Line>) {
        let mut used = 0;
        for Covered {
            usage_type,
            rate,
            hours,
            resource,
            az,
        } in &self.covered
        {
            let mut covered = Line::new(self.account, Kind::SpCovered, day, &CATALOG[EC2], self.region)
                .priced(usage_type.clone(), "RunInstances", "Hrs", *rate, *hours);
            covered.az = az.clone();
            covered.resource = resource.clone();
            covered.public = Some(covered.cost);
            let effective = covered.cost * 7 / 10;
            covered.sp_effective = Some(effective);
            covered.arn = self.sp_arn.clone();
            covered.description = format!(
                "{} covered by the Compute Savings Plan {}",
                usage_type,
                self.sp_arn.rsplit('/').next().unwrap_or_default()
            );
            used += effective;
            let mut negation = Line::new(self.account, Kind::SpNegation, day, &CATALOG[EC2], self.region);
            negation.usage_type = usage_type.clone();
            negation.operation = "RunInstances";
            negation.unit = "Hrs";
            negation.az = az.clone();
            negation.resource = resource.clone();
            negation.rate = Some(-*rate);
            negation.cost = -covered.cost;
            negation.arn = self.sp_arn.clone();
            negation.description = format!(
                "SavingsPlanNegation used by AccountId : {} and UsageSku : {}",
                self.account_id,
                sku(CATALOG[EC2].code, usage_type)
            );
            out.push(covered);
            out.push(negation);
        }
        let mut fee = Line::new(self.account, Kind::SpFee, day, &SAVINGS_PLANS, "").priced(
            "ComputeSP:1yrNoUpfront".to_string(),
            "",
            "Hrs",
            self.sp_hourly,
            24 * QTY,
        );
        fee.sp_commitment = Some(fee.cost);
        fee.sp_used = Some(used.min(fee.cost));
        fee.arn = self.sp_arn.clone();
        fee.description = format!(
            "1 year No Upfront Compute Savings Plan with ${}/hour commitment",
            dollars(self.sp_hourly)
        );
        out.push(fee);
        for db in &self.ri_dbs {
            let mut line = Line::new(self.account, Kind::RiDiscounted, day, &CATALOG[RDS], self.region)
                .priced(
                    format!("{}InstanceUsage:{RI_TYPE}", usage_prefix(self.region)),
                    "CreateDBInstance:0002",
                    "Hrs",
                    0,
                    24 * QTY,
                );
            line.az = self.ri_az.clone();
            line.resource = db.clone();
            line.public = Some(cost_of(RI_ON_DEMAND, 24 * QTY));
            line.ri_effective = Some(cost_of(RI_UPFRONT + RI_RECURRING, 24 * QTY));
            line.arn = self.ri_arn.clone();
            line.description = format!("MySQL, {RI_TYPE} reserved instance applied");
            out.push(line);
        }
    }

    /// The RIFee of the month starting on `day`.
    fn monthly(&self, day: i64, out: &mut Vec<Line>) {
        let hours = (next_month(day) - day) * 24 * self.ri_dbs.len() as i64;
        let mut fee = Line::new(self.account, Kind::RiFee, day, &CATALOG[RDS], self.region)
            .monthly(day)
            .priced(
                format!("{}HeavyUsage:{RI_TYPE}", usage_prefix(self.region)),
                "CreateDBInstance:0002",
                "Hrs",
                RI_RECURRING,
                hours * QTY,
            );
        let (_, m, _) = civil_from_days(day);
        let unused_hours = 2 + i64::from(m % 3);
        fee.ri_unused_upfront = Some(RI_UPFRONT * unused_hours);
        fee.ri_unused_recurring = Some(RI_RECURRING * unused_hours);
        fee.ri_effective = Some(0);
        fee.arn = self.ri_arn.clone();
        fee.description = format!("USD 0.09 hourly fee per MySQL, {RI_TYPE} instance");
        out.push(fee);
    }
}

/// One calendar month of the bills.
struct Period {
    /// Epoch days of the 1st and of the next month's 1st.
    start: i64,
    end: i64,
    lines: Vec<Line>,
}

impl Period {
    /// `2024-09`.
    fn label(&self) -> String {
        let (y, m, _) = civil_from_days(self.start);
        format!("{y:04}-{m:02}")
    }

    /// `20240901-20241001`.
    fn folder(&self) -> String {
        format!("{}-{}", compact_day(self.start), compact_day(self.end))
    }
}

/// What the bills added to the run.
pub(crate) struct Written {
    /// CUR line items plus FOCUS rows, CUR plus FOCUS data files.
    pub count: SourceCount,
    pub bytes: u64,
    pub truth: Vec<Truth>,
}

/// Writes the organisation's bills under `out/billing/`. `last_day_secs`: 00:00 of the last
/// simulated day.
pub(crate) fn write(
    cfg: &SimConfig,
    org: &Organization,
    last_day_secs: i64,
    out: &Path,
) -> Result<Written, SimError> {
    let seed = cfg.seed;
    let last = last_day_secs.div_euclid(DAY);
    let first = last - HISTORY_DAYS + 1;
    let plan = Plan::choose(seed, org.accounts.len());
    let accts: Vec<Acct> = (0..org.accounts.len())
        .map(|i| Acct::build(org, i, seed, &plan))
        .collect();
    let commitments = Commitments::build(&accts[plan.commitments.min(accts.len() - 1)], seed);

    let mut lines: Vec<Line> = Vec::new();
    let mut truth = Vec::new();
    for day in first..=last {
        let is_first = day == month_start(day);
        for acct in &accts {
            let before = lines.len();
            usage_lines(acct, seed, day, last, &plan, &mut lines);
            if acct.index == plan.spike && day == last {
                truth.push(spike_truth(acct, day, &lines[before..]));
            }
            if acct.index == plan.new_service && day == last - NEW_SERVICE_DAYS_BEFORE {
                truth.push(new_service_truth(acct, day));
            }
            if acct.index == commitments.account {
                commitments.daily(day, &mut lines);
                if is_first {
                    commitments.monthly(day, &mut lines);
                }
            }
            if acct.index == plan.refund && day == first + 30 {
                let svc = &acct.services[0];
                let mut refund = Line::new(acct.index, Kind::Refund, day, svc.product, svc.region);
                refund.cost = -plan.refund_amount;
                refund.description = format!("Refund of duplicate {} charges", svc.product.name);
                lines.push(refund);
            }
            if is_first
                && acct
                    .services
                    .iter()
                    .any(|s| s.product.code == CATALOG[ROUTE53].code)
            {
                let mut zone = Line::new(acct.index, Kind::Usage, day, &CATALOG[ROUTE53], "global")
                    .monthly(day)
                    .priced(
                        "HostedZone".to_string(),
                        "",
                        "HostedZone",
                        usd("0.5"),
                        acct.zones * QTY,
                    );
                zone.resource = acct.zone_arn.clone();
                zone.public = Some(zone.cost);
                zone.description = "$0.50 per Hosted Zone for the first 25 Hosted Zones".to_string();
                lines.push(zone);
            }
        }
        if is_first {
            let mgmt = &accts[0];
            let previous = month_start(day - 1);
            let mut usage = 0;
            let mut scratch = Vec::new();
            for d in previous..day {
                for acct in &accts {
                    scratch.clear();
                    usage_lines(acct, seed, d, last, &plan, &mut scratch);
                    usage += scratch.iter().map(|l| l.cost).sum::<i64>();
                }
            }
            let mut fee = Line::new(0, Kind::Fee, day, &SUPPORT, "").monthly(day);
            fee.usage_type = "Dollar".to_string();
            fee.cost = (usage / 10 / CENT * CENT).max(100 * USD);
            fee.description = "AWS Support (Business)".to_string();
            lines.push(fee);
            let svc = &mgmt.services[0];
            let mut credit = Line::new(0, Kind::Credit, day, svc.product, svc.region);
            credit.cost = -25 * USD;
            credit.description = "AWS Promotional credit".to_string();
            lines.push(credit);
        }
    }
    // Taxes: 8 % of each account and service's usage of the month so far.
    let mut taxes = Vec::new();
    let mut month = month_start(first);
    while month <= last {
        if month >= first {
            let end = next_month(month);
            let mut sums: BTreeMap<(usize, &str), (&'static Product, &'static str, i64)> = BTreeMap::new();
            for l in lines
                .iter()
                .filter(|l| l.kind == Kind::Usage && l.start >= month * DAY && l.start < end * DAY)
            {
                let e = sums
                    .entry((l.account, l.product.code))
                    .or_insert((l.product, l.region, 0));
                e.2 += l.cost;
            }
            for ((account, _), (product, region, sum)) in sums {
                let tax = (sum * 8 / 100 + CENT / 2) / CENT * CENT;
                if tax == 0 {
                    continue;
                }
                let mut line = Line::new(account, Kind::Tax, month, product, region).monthly(month);
                line.cost = tax;
                line.description = format!("Tax for product code {}", product.code);
                taxes.push(line);
            }
        }
        month = next_month(month);
    }
    lines.extend(taxes);

    // Into periods, sorted, with ids from each account's stream.
    let mut periods: Vec<Period> = Vec::new();
    let mut month = month_start(first);
    while month <= last {
        periods.push(Period {
            start: month,
            end: next_month(month),
            lines: Vec::new(),
        });
        month = next_month(month);
    }
    for l in lines {
        let day = l.start.div_euclid(DAY);
        if let Some(p) = periods.iter_mut().find(|p| day >= p.start && day < p.end) {
            p.lines.push(l);
        }
    }
    for p in &mut periods {
        p.lines.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        let mut streams: BTreeMap<usize, Rng> = BTreeMap::new();
        for l in &mut p.lines {
            let rng = streams
                .entry(l.account)
                .or_insert_with(|| Rng::derive(seed, &[0xC0571D, l.account as u64, p.start as u64]));
            l.id = rng.lower_alnum(52);
        }
    }

    let root = out.join(crate::BILLING_DIR);
    let mut sink = FileSink::new(&root);
    let mut count = SourceCount::default();
    let ctx = Ctx {
        seed,
        org,
        accts: &accts,
        last,
        report_id: Rng::derive(seed, &[0xC0E1]).hex(64),
        export_suffix: Rng::derive(seed, &[0xC0E2]).hex(16),
    };
    for p in &periods {
        let (cur_lines, focus_rows) = ctx.write_period(p, &mut sink)?;
        count.records += cur_lines + focus_rows;
        count.files += 2;
    }
    Ok(Written {
        count,
        bytes: sink.bytes,
        truth,
    })
}

fn spike_truth(acct: &Acct, day: i64, lines: &[Line]) -> Truth {
    let ec2: Vec<&Line> = lines
        .iter()
        .filter(|l| l.product.code == CATALOG[EC2].code)
        .collect();
    let total: i64 = ec2.iter().map(|l| l.cost).sum();
    let usual = total / SPIKE_FACTOR;
    let extra = total - usual;
    let region = ec2.first().map(|l| l.region).unwrap_or(acct.home);
    Truth {
        scenario: SCENARIO_SPIKE,
        table: TABLE,
        account_id: acct.id.clone(),
        region: region.to_string(),
        time: time_string(day * DAY),
        actor: CATALOG[EC2].name.to_string(),
        event_ids: Vec::new(),
        indicator: Some(iso_day(day)),
        records: Some(((extra + USD / 2) / USD) as u64),
        description: format!(
            "{}'s Amazon EC2 costs ${} on {}, {SPIKE_FACTOR} times the usual ${} of such a day (+${})",
            acct.name,
            dollars(total / CENT * CENT),
            iso_day(day),
            dollars(usual / CENT * CENT),
            (extra + USD / 2) / USD
        ),
    }
}

fn new_service_truth(acct: &Acct, day: i64) -> Truth {
    let cost = cost_of(SAGEMAKER_RATE, SAGEMAKER_HOURS * QTY);
    Truth {
        scenario: SCENARIO_NEW_SERVICE,
        table: TABLE,
        account_id: acct.id.clone(),
        region: acct.home.to_string(),
        time: time_string(day * DAY),
        actor: SAGEMAKER.name.to_string(),
        event_ids: Vec::new(),
        indicator: Some(iso_day(day)),
        records: Some((cost / USD) as u64),
        description: format!(
            "{} uses Amazon SageMaker for one day on {}: ${} on a service it never used",
            acct.name,
            iso_day(day),
            cost / USD
        ),
    }
}

/// CUR 1.0 columns: category, name, manifest type.
const CUR_COLUMNS: &[(&str, &str, &str)] = &[
    ("identity", "LineItemId", "String"),
    ("identity", "TimeInterval", "Interval"),
    ("bill", "InvoiceId", "String"),
    ("bill", "BillingEntity", "String"),
    ("bill", "BillType", "String"),
    ("bill", "PayerAccountId", "String"),
    ("bill", "BillingPeriodStartDate", "DateTime"),
    ("bill", "BillingPeriodEndDate", "DateTime"),
    ("lineItem", "UsageAccountId", "String"),
    ("lineItem", "LineItemType", "String"),
    ("lineItem", "UsageStartDate", "DateTime"),
    ("lineItem", "UsageEndDate", "DateTime"),
    ("lineItem", "ProductCode", "String"),
    ("lineItem", "UsageType", "String"),
    ("lineItem", "Operation", "String"),
    ("lineItem", "AvailabilityZone", "String"),
    ("lineItem", "ResourceId", "String"),
    ("lineItem", "UsageAmount", "BigDecimal"),
    ("lineItem", "CurrencyCode", "String"),
    ("lineItem", "UnblendedRate", "BigDecimal"),
    ("lineItem", "UnblendedCost", "BigDecimal"),
    ("lineItem", "BlendedRate", "BigDecimal"),
    ("lineItem", "BlendedCost", "BigDecimal"),
    ("lineItem", "LineItemDescription", "String"),
    ("product", "ProductName", "String"),
    ("product", "region", "String"),
    ("pricing", "unit", "String"),
    ("pricing", "publicOnDemandCost", "BigDecimal"),
    ("reservation", "ReservationARN", "String"),
    ("reservation", "EffectiveCost", "BigDecimal"),
    (
        "reservation",
        "UnusedAmortizedUpfrontFeeForBillingPeriod",
        "BigDecimal",
    ),
    ("reservation", "UnusedRecurringFee", "BigDecimal"),
    ("savingsPlan", "SavingsPlanARN", "String"),
    ("savingsPlan", "SavingsPlanEffectiveCost", "BigDecimal"),
    ("savingsPlan", "TotalCommitmentToDate", "BigDecimal"),
    ("savingsPlan", "UsedCommitment", "BigDecimal"),
    ("resourceTags", "user:team", "String"),
    ("resourceTags", "user:env", "String"),
];

/// FOCUS 1.0 columns: name, manifest type.
const FOCUS_COLUMNS: &[(&str, &str)] = &[
    ("BillingAccountId", "string"),
    ("BillingAccountName", "string"),
    ("SubAccountId", "string"),
    ("SubAccountName", "string"),
    ("BillingPeriodStart", "timestamp"),
    ("BillingPeriodEnd", "timestamp"),
    ("ChargePeriodStart", "timestamp"),
    ("ChargePeriodEnd", "timestamp"),
    ("ChargeCategory", "string"),
    ("ChargeClass", "string"),
    ("ChargeFrequency", "string"),
    ("ChargeDescription", "string"),
    ("ProviderName", "string"),
    ("PublisherName", "string"),
    ("InvoiceIssuerName", "string"),
    ("ServiceName", "string"),
    ("ServiceCategory", "string"),
    ("RegionId", "string"),
    ("AvailabilityZone", "string"),
    ("ResourceId", "string"),
    ("SkuId", "string"),
    ("PricingUnit", "string"),
    ("ConsumedQuantity", "decimal"),
    ("ConsumedUnit", "string"),
    ("BilledCost", "decimal"),
    ("EffectiveCost", "decimal"),
    ("ListCost", "decimal"),
    ("ContractedCost", "decimal"),
    ("BillingCurrency", "string"),
    ("CommitmentDiscountId", "string"),
    ("CommitmentDiscountStatus", "string"),
    ("CommitmentDiscountType", "string"),
    ("Tags", "string"),
];

/// One CSV record being written (RFC 4180 quoting).
struct Csv {
    text: String,
    fresh: bool,
}

impl Csv {
    fn new() -> Csv {
        Csv {
            text: String::with_capacity(1 << 20),
            fresh: true,
        }
    }

    fn field(&mut self, s: &str) {
        if !self.fresh {
            self.text.push(',');
        }
        self.fresh = false;
        if s.contains([',', '"', '\n', '\r']) {
            self.text.push('"');
            self.text.push_str(&s.replace('"', "\"\""));
            self.text.push('"');
        } else {
            self.text.push_str(s);
        }
    }

    fn opt_money(&mut self, v: Option<i64>) {
        match v {
            Some(v) => self.field(&money(v)),
            None => self.field(""),
        }
    }

    fn end(&mut self) {
        self.text.push('\n');
        self.fresh = true;
    }
}

/// A stable SKU id for a product's usage type.
fn sku(code: &str, usage_type: &str) -> String {
    let h = code
        .bytes()
        .chain([b'/'])
        .chain(usage_type.bytes())
        .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
    Rng::new(h).upper_alnum(16)
}

struct Ctx<'a> {
    seed: u64,
    org: &'a Organization,
    accts: &'a [Acct],
    last: i64,
    report_id: String,
    export_suffix: String,
}

impl Ctx<'_> {
    /// Writes one period's CUR and FOCUS files; returns their line counts.
    fn write_period(&self, p: &Period, sink: &mut FileSink<'_>) -> Result<(u64, u64), SimError> {
        let mgmt = self.org.management_account_id.as_str();
        let mut rng = Rng::derive(self.seed, &[0xC0A5, p.start as u64]);
        let assembly = rng.uuid();
        let execution = rng.uuid();
        // Closed months have an invoice.
        let invoice = if p.end <= self.last {
            format!("{}", rng.range(1_000_000_000, 2_999_999_999))
        } else {
            String::new()
        };
        let period_start = time_string(p.start * DAY);
        let period_end = time_string(p.end * DAY);

        // Legacy CUR.
        let mut csv = Csv::new();
        for (category, name, _) in CUR_COLUMNS {
            csv.field(&format!("{category}/{name}"));
        }
        csv.end();
        for l in &p.lines {
            let acct = &self.accts[l.account];
            let start = time_string(l.start);
            let end = time_string(l.end);
            csv.field(&l.id);
            csv.field(&format!("{start}/{end}"));
            csv.field(&invoice);
            csv.field("AWS");
            csv.field("Anniversary");
            csv.field(mgmt);
            csv.field(&period_start);
            csv.field(&period_end);
            csv.field(&acct.id);
            csv.field(l.kind.cur());
            csv.field(&start);
            csv.field(&end);
            csv.field(l.product.code);
            csv.field(&l.usage_type);
            csv.field(l.operation);
            csv.field(&l.az);
            csv.field(&l.resource);
            csv.field(&l.quantity.map(quantity).unwrap_or_default());
            csv.field("USD");
            csv.opt_money(l.rate);
            csv.field(&money(l.cost));
            csv.opt_money(l.rate);
            csv.field(&money(l.cost));
            csv.field(&l.description);
            csv.field(l.product.name);
            csv.field(l.region);
            csv.field(l.unit);
            csv.opt_money(l.public);
            let ri = matches!(l.kind, Kind::RiDiscounted | Kind::RiFee);
            let sp = matches!(l.kind, Kind::SpCovered | Kind::SpNegation | Kind::SpFee);
            csv.field(if ri { l.arn.as_str() } else { "" });
            csv.opt_money(l.ri_effective);
            csv.opt_money(l.ri_unused_upfront);
            csv.opt_money(l.ri_unused_recurring);
            csv.field(if sp { l.arn.as_str() } else { "" });
            csv.opt_money(l.sp_effective);
            csv.opt_money(l.sp_commitment);
            csv.opt_money(l.sp_used);
            csv.field(if l.tagged { acct.team.as_str() } else { "" });
            csv.field(if l.tagged { acct.env.as_str() } else { "" });
            csv.end();
        }
        let folder = p.folder();
        let data_key = format!("{CUR_PREFIX}/{CUR_REPORT}/{folder}/{assembly}/{CUR_REPORT}-1.csv.gz");
        sink.write_gz(&data_key, csv.text.as_bytes())?;
        let manifest = json!({
            "assemblyId": assembly,
            "account": mgmt,
            "columns": CUR_COLUMNS
                .iter()
                .map(|(c, n, t)| json!({"category": c, "name": n, "type": t}))
                .collect::<Vec<_>>(),
            "charset": "UTF-8",
            "compression": "GZIP",
            "contentType": "text/csv",
            "reportId": self.report_id,
            "reportName": CUR_REPORT,
            "billingPeriod": {
                "start": format!("{}T000000.000Z", compact_day(p.start)),
                "end": format!("{}T000000.000Z", compact_day(p.end)),
            },
            "bucket": BUCKET,
            "reportKeys": [data_key],
        });
        let manifest_key = format!("{CUR_PREFIX}/{CUR_REPORT}/{folder}/{CUR_REPORT}-Manifest.json");
        write_json(sink, &manifest_key, &manifest)?;

        // FOCUS.
        let mut csv = Csv::new();
        for (name, _) in FOCUS_COLUMNS {
            csv.field(name);
        }
        csv.end();
        let mut rows = 0u64;
        let billing_name = &self.accts[0].name;
        for l in p.lines.iter().filter(|l| l.kind != Kind::SpNegation) {
            let acct = &self.accts[l.account];
            let billed = if l.kind == Kind::SpCovered { 0 } else { l.cost };
            let monthly = l.end - l.start > DAY;
            let frequency = if monthly || l.kind == Kind::SpFee {
                "Recurring"
            } else if l.kind.is_usage() {
                "Usage-Based"
            } else {
                "One-Time"
            };
            let (commitment_type, status) = match l.kind {
                Kind::SpCovered => ("Savings Plan", "Used"),
                Kind::SpFee => ("Savings Plan", ""),
                Kind::RiDiscounted => ("Reserved Instance", "Used"),
                Kind::RiFee => ("Reserved Instance", ""),
                _ => ("", ""),
            };
            let usage = l.kind.is_usage();
            csv.field(self.org.management_account_id.as_str());
            csv.field(billing_name);
            csv.field(&acct.id);
            csv.field(&acct.name);
            csv.field(&period_start);
            csv.field(&period_end);
            csv.field(&time_string(l.start));
            csv.field(&time_string(l.end));
            csv.field(l.kind.focus_category());
            csv.field(if l.kind == Kind::Refund { "Correction" } else { "" });
            csv.field(frequency);
            csv.field(&l.description);
            csv.field("AWS");
            csv.field("AWS");
            csv.field("AWS");
            csv.field(l.product.name);
            csv.field(l.product.category);
            csv.field(l.region);
            csv.field(&l.az);
            csv.field(&l.resource);
            csv.field(&if l.usage_type.is_empty() {
                String::new()
            } else {
                sku(l.product.code, &l.usage_type)
            });
            csv.field(l.unit);
            csv.field(&if usage {
                l.quantity.map(quantity).unwrap_or_default()
            } else {
                String::new()
            });
            csv.field(if usage { l.unit } else { "" });
            csv.field(&money(billed));
            csv.field(&money(l.amortized()));
            csv.field(&money(l.public.unwrap_or(billed)));
            csv.field(&money(l.public.unwrap_or(billed)));
            csv.field("USD");
            csv.field(if commitment_type.is_empty() {
                ""
            } else {
                l.arn.as_str()
            });
            csv.field(status);
            csv.field(commitment_type);
            csv.field(&if l.tagged {
                format!(
                    "{{\"user:team\":{},\"user:env\":{}}}",
                    serde_json::Value::from(acct.team.as_str()),
                    serde_json::Value::from(acct.env.as_str())
                )
            } else {
                String::new()
            });
            csv.end();
            rows += 1;
        }
        let label = p.label();
        let data_key =
            format!("{FOCUS_PREFIX}/{FOCUS_EXPORT}/data/BILLING_PERIOD={label}/{FOCUS_EXPORT}-00001.csv.gz");
        sink.write_gz(&data_key, csv.text.as_bytes())?;
        let manifest = json!({
            "executionId": execution,
            "exportArn": format!(
                "arn:aws:bcm-data-exports:us-east-1:{mgmt}:export/{FOCUS_EXPORT}-{}",
                self.export_suffix
            ),
            "exportName": FOCUS_EXPORT,
            "billingPeriod": {
                "start": format!("{}.000Z", period_start.trim_end_matches('Z')),
                "end": format!("{}.000Z", period_end.trim_end_matches('Z')),
            },
            "columns": FOCUS_COLUMNS
                .iter()
                .map(|(n, t)| json!({"name": n, "type": t}))
                .collect::<Vec<_>>(),
            "dataFiles": [format!("s3://{BUCKET}/{data_key}")],
        });
        let manifest_key = format!(
            "{FOCUS_PREFIX}/{FOCUS_EXPORT}/metadata/BILLING_PERIOD={label}/{FOCUS_EXPORT}-Manifest.json"
        );
        write_json(sink, &manifest_key, &manifest)?;
        Ok((p.lines.len() as u64, rows))
    }
}

fn write_json(sink: &mut FileSink<'_>, key: &str, v: &serde_json::Value) -> Result<(), SimError> {
    let mut text = serde_json::to_string_pretty(v)
        .map_err(|e| SimError::io(sink.path(key), std::io::Error::other(e)))?;
    text.push('\n');
    sink.write(key, text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn org(accounts: usize, seed: u64) -> Organization {
        Organization::generate(&SimConfig {
            accounts,
            seed,
            ..SimConfig::default()
        })
    }

    #[test]
    fn amounts_print_without_exponents() {
        assert_eq!(usd("0.0000166667"), 166_667);
        assert_eq!(usd("12"), 12 * USD);
        assert_eq!(money(-25 * USD), "-25.0000000000");
        assert_eq!(money(1), "0.0000000001");
        assert_eq!(quantity(21_713), "21.713");
        assert_eq!(quantity(24_000), "24");
        assert_eq!(quantity(5), "0.005");
        assert_eq!(iso_day(days_from_civil(2024, 9, 21)), "2024-09-21");
        assert!(is_weekend(days_from_civil(2024, 9, 21)));
        assert!(!is_weekend(days_from_civil(2024, 9, 23)));
        assert_eq!(
            next_month(days_from_civil(2024, 12, 5)),
            days_from_civil(2025, 1, 1)
        );
    }

    #[test]
    fn steady_spend_stays_within_weekday_factor_and_noise() {
        let seed = 11;
        let org = org(60, seed);
        let plan = Plan::choose(seed, org.accounts.len());
        let last = days_from_civil(2024, 9, 21);
        for index in 0..org.accounts.len() {
            let acct = Acct::build(&org, index, seed, &plan);
            assert!((3..=8).contains(&acct.services.len()), "{}", acct.services.len());
            let mut lines = Vec::new();
            for day in last - HISTORY_DAYS + 1..=last {
                lines.clear();
                usage_lines(&acct, seed, day, last, &plan, &mut lines);
                for svc in &acct.services {
                    assert!(svc.base() >= 49 * CENT && svc.base() <= 400 * USD);
                    let spiked = index == plan.spike && day == last && svc.product.code == CATALOG[EC2].code;
                    let day_cost: i64 = lines
                        .iter()
                        .filter(|l| l.product.code == svc.product.code)
                        .map(|l| l.cost)
                        .sum();
                    let n = svc.lines.len();
                    assert!((1..=3).contains(&n));
                    let factor = if is_weekend(day) { 70 } else { 100 };
                    let expected = i128::from(svc.base()) * factor / 100;
                    let (lo, hi) = (expected * 95 / 100, expected * 105 / 100);
                    let c = i128::from(day_cost);
                    if spiked {
                        assert!(c >= expected * 6 * 95 / 100 && c - c / 6 >= i128::from(300 * USD));
                    } else {
                        assert!(
                            c >= lo && c <= hi,
                            "{} {} day {day}: {c} vs base {}",
                            acct.name,
                            svc.product.code,
                            svc.base()
                        );
                    }
                }
            }
        }
        assert_ne!(plan.spike, plan.new_service);
        assert!(plan.spike >= 3 && plan.new_service >= 3);
    }
}
