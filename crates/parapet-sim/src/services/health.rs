//! AWS Health events ("AWS Health Event", source `aws.health`) as the organisation's delegated
//! administrator (the audit account) receives them through EventBridge and a Firehose writes
//! them to S3: JSON lines, one file per member account and day with events.
//!
//! Account events: a scheduled retirement of one of the account's instances, a scheduled
//! maintenance of its database. Public events: now and then an operational issue of a service
//! in a region (opened, then closed hours later); the same issue (same `eventArn`) reaches
//! every account running in that region, as it is derived from the run seed, the day and the
//! region only. A few events per account and week; no scenario lives here.

use serde_json::{json, Value};

use super::{Day, Out};
use crate::account::AccountCtx;
use crate::error::SimError;
use crate::layout::stamp_parts;
use crate::record::time_string;
use crate::rng::Rng;

pub(crate) const TABLE: &str = "health";
/// Where the organisation's Health events are collected.
const COLLECTION_REGION: &str = "us-east-1";

const WEEKDAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// `Sun, 01 Nov 2026 10:05:03 GMT`, the RFC 1123 form Health writes its times in.
pub(crate) fn rfc1123(secs: i64) -> String {
    let (y, m, d, hh, mm, ss) = stamp_parts(secs);
    // 1970-01-01 was a Thursday.
    let weekday = WEEKDAYS[(secs.div_euclid(86_400) + 4).rem_euclid(7) as usize];
    let month = MONTHS[(m as usize).saturating_sub(1) % 12];
    format!("{weekday}, {d:02} {month} {y:04} {hh:02}:{mm:02}:{ss:02} GMT")
}

/// `2026-11-15 06:00`, the form descriptions give dates in.
fn plain_time(secs: i64) -> String {
    let (y, m, d, hh, mm, _) = stamp_parts(secs);
    format!("{y:04}-{m:02}-{d:02} {hh:02}:{mm:02}")
}

/// FNV-1a of a region name: a stable number naming the region in random streams.
fn region_tag(region: &str) -> u64 {
    region.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// One Health event's detail.
struct Detail<'a> {
    arn: String,
    service: &'a str,
    code: &'a str,
    category: &'a str,
    scope: &'a str,
    status: &'a str,
    region: &'a str,
    start: i64,
    end: Option<i64>,
    updated: i64,
    description: String,
    /// (entity value, its status).
    entities: Vec<(String, &'a str)>,
    /// The envelope's `resources`.
    resources: Vec<String>,
}

fn event(ctx: &AccountCtx<'_>, d: &Detail<'_>, rng: &mut Rng) -> Value {
    let updated = rfc1123(d.updated);
    let mut detail = json!({
        "eventArn": d.arn,
        "service": d.service,
        "eventScopeCode": d.scope,
        "communicationId": format!("{}-1", rng.hex(40)),
        "lastUpdatedTime": updated,
        "statusCode": d.status,
        "eventRegion": d.region,
        "eventTypeCode": d.code,
        "eventTypeCategory": d.category,
        "startTime": rfc1123(d.start),
        "eventDescription": [{"language": "en_US", "latestDescription": d.description}],
        "affectedEntities": d.entities.iter().map(|(v, s)| json!({
            "entityValue": v,
            "lastUpdatedTime": updated,
            "status": s,
        })).collect::<Vec<_>>(),
        "affectedAccount": ctx.id,
        "page": "1",
        "totalPages": "1",
    });
    if let (Some(end), Some(o)) = (d.end, detail.as_object_mut()) {
        o.insert("endTime".into(), json!(rfc1123(end)));
    }
    json!({
        "version": "0",
        "id": rng.uuid(),
        "detail-type": "AWS Health Event",
        "source": "aws.health",
        "account": ctx.id,
        "time": time_string(d.updated),
        "region": d.region,
        "resources": d.resources,
        "detail": detail,
    })
}

fn arn(region: &str, service: &str, code: &str, rng: &mut Rng) -> String {
    format!(
        "arn:aws:health:{region}::event/{service}/{code}/{code}_{}",
        rng.uuid()
    )
}

/// The account's own events of the day: (time, event).
fn account_events(ctx: &AccountCtx<'_>, day: &Day<'_>, rng: &mut Rng, out: &mut Vec<(i64, Value)>) {
    let inv = &ctx.inv;
    let acct = ctx.id;
    let region = ctx.regions[0];
    if !inv.instances.is_empty() && rng.chance(0.06) {
        let instance = inv.instances[rng.index(inv.instances.len())].clone();
        let t = day.start + rng.below(86_000) as i64;
        let retire = (t.div_euclid(86_400) + rng.range(14, 21) as i64) * 86_400;
        let code = "AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED";
        let d = Detail {
            arn: arn(region, "EC2", code, rng),
            service: "EC2",
            code,
            category: "scheduledChange",
            scope: "ACCOUNT_SPECIFIC",
            status: "upcoming",
            region,
            start: retire,
            end: Some(retire + 7 * 86_400),
            updated: t,
            description: format!(
                "EC2 has detected degradation of the underlying hardware hosting your Amazon EC2 instance {instance} in the {region} region. Due to this degradation your instance could already be unreachable. We will stop your instance after {} UTC.\n\nYou can find more information about retirement events scheduled for your EC2 instances in the AWS Management Console https://console.aws.amazon.com/ec2/v2/home?region={region}#Events\n\n* What will happen to my instance?\nYour instance will be stopped after the specified retirement date. You can start it again at any time after it's stopped. Any data on instance-store volumes will be lost when the instance is stopped or terminated.",
                plain_time(retire)
            ),
            entities: vec![(instance.clone(), "IMPAIRED")],
            resources: vec![format!("arn:aws:ec2:{region}:{acct}:instance/{instance}")],
        };
        out.push((t, event(ctx, &d, rng)));
    }
    // Databases of workload accounts get maintenance now and then.
    if day.account >= 3 && !inv.db_instances.is_empty() && rng.chance(0.08) {
        let db = inv.db_instances[rng.index(inv.db_instances.len())].clone();
        let t = day.start + rng.below(86_000) as i64;
        let window =
            (t.div_euclid(86_400) + rng.range(7, 14) as i64) * 86_400 + rng.range(0, 23) as i64 * 3600;
        let code = "AWS_RDS_MAINTENANCE_SCHEDULED";
        let d = Detail {
            arn: arn(region, "RDS", code, rng),
            service: "RDS",
            code,
            category: "scheduledChange",
            scope: "ACCOUNT_SPECIFIC",
            status: "upcoming",
            region,
            start: window,
            end: Some(window + 1800),
            updated: t,
            description: format!(
                "A system update is available for your Amazon RDS DB instance {db}. The update will be applied automatically during your maintenance window on or after {} UTC. To apply it at a time of your choosing, use the ApplyPendingMaintenanceAction API.\n\nFor more information, see https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_UpgradeDBInstance.Maintenance.html",
                plain_time(window)
            ),
            entities: vec![(db.clone(), "PENDING")],
            resources: vec![format!("arn:aws:rds:{region}:{acct}:db:{db}")],
        };
        out.push((t, event(ctx, &d, rng)));
    }
}

const ISSUES: &[(&str, &str)] = &[
    ("EC2", "Amazon Elastic Compute Cloud"),
    ("LAMBDA", "AWS Lambda"),
    ("S3", "Amazon Simple Storage Service"),
    ("CLOUDWATCH", "Amazon CloudWatch"),
    ("DYNAMODB", "Amazon DynamoDB"),
];

/// The public operational issues of the day in the account's regions: (time, event), an open
/// and a closed update each.
fn public_events(ctx: &AccountCtx<'_>, day: &Day<'_>, rng: &mut Rng, out: &mut Vec<(i64, Value)>) {
    let day_end = day.start + 86_400;
    for &region in &ctx.regions[..ctx.acct.regions.len()] {
        // The same for every account: derived from the day and the region only.
        let mut r = Rng::derive(day.seed, &[0x4EA1, u64::from(day.index), region_tag(region)]);
        if !r.chance(0.1) {
            continue;
        }
        let (service, name) = *r.pick(ISSUES);
        let code = match service {
            "EC2" => "AWS_EC2_OPERATIONAL_ISSUE",
            "LAMBDA" => "AWS_LAMBDA_OPERATIONAL_ISSUE",
            "S3" => "AWS_S3_OPERATIONAL_ISSUE",
            "CLOUDWATCH" => "AWS_CLOUDWATCH_OPERATIONAL_ISSUE",
            _ => "AWS_DYNAMODB_OPERATIONAL_ISSUE",
        };
        let start = day.start + r.below(72_000) as i64;
        let end = (start + r.range(1800, 3 * 3600) as i64).min(day_end - 60);
        let arn = arn(region, service, code, &mut r);
        let opened = start + r.range(300, 900) as i64;
        let (from, to) = (plain_time(start), plain_time(end));
        let updates = [
            (
                opened,
                "open",
                None,
                format!("[Investigating] We are investigating increased API error rates and latencies for {name} in the {region} Region."),
            ),
            (
                end,
                "closed",
                Some(end),
                format!("[RESOLVED] Between {from} and {to} UTC we experienced increased API error rates and latencies for {name} in the {region} Region. The issue has been resolved and the service is operating normally."),
            ),
        ];
        for (t, status, end_time, description) in updates {
            let d = Detail {
                arn: arn.clone(),
                service,
                code,
                category: "issue",
                scope: "PUBLIC",
                status,
                region,
                start,
                end: end_time,
                updated: t,
                description,
                entities: Vec::new(),
                resources: Vec::new(),
            };
            out.push((t, event(ctx, &d, rng)));
        }
    }
}

fn key(ctx: &AccountCtx<'_>, stamp: i64, rng: &mut Rng) -> String {
    let (y, m, d, hh, mm, ss) = stamp_parts(stamp);
    format!(
        "{org}/AWSLogs/{audit}/Health/{COLLECTION_REGION}/{y:04}/{m:02}/{d:02}/health-events-1-{y:04}-{m:02}-{d:02}-{hh:02}-{mm:02}-{ss:02}-{uuid}.jsonl.gz",
        org = ctx.org.id,
        audit = ctx.org.audit_account_id.as_str(),
        uuid = rng.uuid()
    )
}

pub(crate) fn write_day(
    ctx: &AccountCtx<'_>,
    day: &Day<'_>,
    rng: &mut Rng,
    out: &mut Out<'_, '_>,
) -> Result<(), SimError> {
    let mut events = Vec::new();
    account_events(ctx, day, rng, &mut events);
    public_events(ctx, day, rng, &mut events);
    if events.is_empty() {
        return Ok(());
    }
    events.sort_by_key(|e| e.0);
    let mut text = String::new();
    for (_, e) in &events {
        text.push_str(&e.to_string());
        text.push('\n');
    }
    let last = events.last().map_or(day.start, |e| e.0);
    let stamp = (last + 60).min(day.start + 86_399);
    let k = key(ctx, stamp, rng);
    out.file(TABLE, &k, text.as_bytes(), events.len() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc1123_has_the_right_weekday() {
        // 2026-11-01 was a Sunday.
        let t = parapet_model::time::parse_day("20261101").unwrap_or_default() / 1000 + 3723;
        assert_eq!(rfc1123(t), "Sun, 01 Nov 2026 01:02:03 GMT");
        assert_eq!(rfc1123(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(rfc1123(951_782_400), "Tue, 29 Feb 2000 00:00:00 GMT");
    }

    #[test]
    fn region_tags_differ() {
        assert_ne!(region_tag("us-east-1"), region_tag("us-east-2"));
        assert_eq!(region_tag("eu-west-1"), region_tag("eu-west-1"));
    }
}
