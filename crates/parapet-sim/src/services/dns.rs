//! Route 53 Resolver query logs: one JSON object per line, one gzip'd file per VPC and hour.
//!
//! Background: instances and functions resolving AWS endpoints of their region, package
//! registries and partners, and the VPC's private zone; a few `NXDOMAIN`s. Scenarios: data
//! tunnelled out through TXT queries to one domain, and an instance resolving a mining pool.

use super::network::{incident, NetIncident, Network, RegionNet, Role};
use super::{write_hourly, Day, Out, TimedLine};
use crate::account::AccountCtx;
use crate::error::SimError;
use crate::layout::stamp_parts;
use crate::record::{push_str, push_time, time_string};
use crate::rng::{mix, Rng};
use crate::scenarios::{ScenarioKind, Truth};

pub(crate) const TABLE: &str = "route53_resolver";

const AWS_ENDPOINTS: &[&str] = &[
    "sts",
    "s3",
    "dynamodb",
    "sqs",
    "secretsmanager",
    "logs",
    "monitoring",
    "ssm",
    "ec2messages",
    "kms",
];
const EXTERNAL: &[&str] = &[
    "api.github.com",
    "registry.npmjs.org",
    "pypi.org",
    "files.pythonhosted.org",
    "api.stripe.com",
    "hooks.slack.com",
    "o1.ingest.sentry.io",
    "api.datadoghq.com",
    "ntp.ubuntu.com",
    "archive.ubuntu.com",
];
/// Base32 alphabet of the exfiltrated chunks.
const B32: &[u8] = b"abcdefghijklmnopqrstuvwxyz234567";

struct Query<'a> {
    t: i64,
    name: &'a str,
    qtype: &'a str,
    rcode: &'a str,
    /// `(type, rdata)` answers.
    answers: &'a [(&'a str, String)],
    src: &'a str,
    instance: Option<&'a str>,
}

struct Lines<'a> {
    ctx: &'a AccountCtx<'a>,
    net: &'a RegionNet,
    out: Vec<TimedLine>,
}

impl Lines<'_> {
    fn push(&mut self, q: &Query<'_>, rng: &mut Rng) {
        let mut s = String::with_capacity(400);
        s.push_str("{\"version\":\"1.100000\",\"account_id\":\"");
        s.push_str(self.ctx.id);
        s.push_str("\",\"region\":\"");
        s.push_str(self.ctx.regions[usize::from(self.net.region)]);
        s.push_str("\",\"vpc_id\":\"");
        s.push_str(&self.net.vpc);
        s.push_str("\",\"query_timestamp\":\"");
        push_time(&mut s, q.t);
        s.push_str("\",\"query_name\":");
        push_str(&mut s, &format!("{}.", q.name));
        s.push_str(",\"query_type\":\"");
        s.push_str(q.qtype);
        s.push_str("\",\"query_class\":\"IN\",\"rcode\":\"");
        s.push_str(q.rcode);
        s.push_str("\",\"answers\":[");
        for (k, (ty, data)) in q.answers.iter().enumerate() {
            if k > 0 {
                s.push(',');
            }
            s.push_str("{\"Rdata\":");
            push_str(&mut s, data);
            s.push_str(",\"Type\":\"");
            s.push_str(ty);
            s.push_str("\",\"Class\":\"IN\"}");
        }
        s.push_str("],\"srcaddr\":\"");
        s.push_str(q.src);
        s.push_str("\",\"srcport\":\"");
        s.push_str(&rng.range(1024, 65535).to_string());
        s.push_str("\",\"transport\":\"UDP\",\"srcids\":{");
        if let Some(i) = q.instance {
            s.push_str("\"instance\":\"");
            s.push_str(i);
            s.push('"');
        }
        s.push_str("}}\n");
        let seq = self.out.len() as u32;
        self.out.push((q.t, seq, s));
    }
}

/// A stable public address for a name (the same name always resolves the same way).
fn address_of(name: &str) -> String {
    let h = mix(name
        .bytes()
        .fold(0xD25u64, |h, b| h.wrapping_mul(131).wrapping_add(u64::from(b))));
    let first = [3u64, 13, 18, 34, 52, 54, 104, 151][(h % 8) as usize];
    format!(
        "{first}.{}.{}.{}",
        (h >> 8) % 256,
        (h >> 16) % 256,
        (h >> 24) % 253 + 1
    )
}

fn background(lines: &mut Lines<'_>, t: i64, rng: &mut Rng) {
    let net = lines.net;
    let clients: Vec<&super::network::Iface> = net
        .ifaces
        .iter()
        .filter(|i| matches!(i.role, Role::Instance | Role::Lambda))
        .collect();
    let Some(client) = clients.get(rng.index(clients.len().max(1))).copied() else {
        return;
    };
    let region = lines.ctx.regions[usize::from(net.region)];
    let acct = &lines.ctx.acct;
    let (name, private) = match rng.below(10) {
        0..=5 => (
            format!("{}.{region}.amazonaws.com", rng.pick(AWS_ENDPOINTS)),
            false,
        ),
        6..=7 => (rng.pick(EXTERNAL).to_string(), false),
        8 => (format!("{}-db.{}.internal", acct.app, acct.account.env), true),
        _ => {
            if rng.chance(0.3) {
                ("wpad.ec2.internal".to_string(), true)
            } else {
                (format!("cache.{}.internal", acct.account.env), true)
            }
        }
    };
    let aaaa = !private && rng.chance(0.3);
    let (rcode, answers): (&str, Vec<(&str, String)>) = if name.starts_with("wpad.") {
        ("NXDOMAIN", Vec::new())
    } else if aaaa {
        ("NOERROR", Vec::new())
    } else if private {
        let h = mix(name.len() as u64 ^ 0x1DB) % 200 + 20;
        ("NOERROR", vec![("A", format!("{}.{h}", net.prefix))])
    } else {
        ("NOERROR", vec![("A", address_of(&name))])
    };
    lines.push(
        &Query {
            t,
            name: &name,
            qtype: if aaaa { "AAAA" } else { "A" },
            rcode,
            answers: &answers,
            src: &client.ip,
            instance: client.instance.as_deref(),
        },
        rng,
    );
}

fn scenario(lines: &mut Lines<'_>, inc: &NetIncident) -> Truth {
    let mut rng = Rng::new(inc.seed ^ 0xD25);
    let target = &lines.net.ifaces[inc.target];
    let instance = target.instance.clone().unwrap_or_default();
    let (count, description) = match inc.kind {
        ScenarioKind::DnsExfiltration => {
            for k in 0..inc.count {
                let t = inc.t + inc.duration * i64::from(k) / i64::from(inc.count.max(1));
                let chunk: String = (0..rng.range(40, 60))
                    .map(|_| char::from(B32[rng.index(32)]))
                    .collect();
                let name = format!("{chunk}.{}", inc.domain);
                let rcode = if rng.chance(0.8) { "NOERROR" } else { "NXDOMAIN" };
                let answers = if rcode == "NOERROR" {
                    vec![("TXT", format!("\"{}\"", rng.alnum(12)))]
                } else {
                    Vec::new()
                };
                lines.push(
                    &Query {
                        t,
                        name: &name,
                        qtype: "TXT",
                        rcode,
                        answers: &answers,
                        src: &target.ip,
                        instance: target.instance.as_deref(),
                    },
                    &mut rng,
                );
            }
            (
                inc.count,
                format!("{instance} sent {} TXT queries under {}", inc.count, inc.domain),
            )
        }
        _ => {
            // The miner resolves its pool when it starts and every half hour.
            let count = (inc.duration / 1800 + 1) as u32;
            for k in 0..count {
                let answers = [("A", inc.remote_ip.clone())];
                lines.push(
                    &Query {
                        t: inc.t + i64::from(k) * 1800,
                        name: &inc.domain,
                        qtype: "A",
                        rcode: "NOERROR",
                        answers: &answers,
                        src: &target.ip,
                        instance: target.instance.as_deref(),
                    },
                    &mut rng,
                );
            }
            (
                count,
                format!("{instance} resolved mining pool {} {count} times", inc.domain),
            )
        }
    };
    Truth {
        scenario: inc.kind.id(),
        table: TABLE,
        account_id: lines.ctx.id.to_string(),
        region: lines.ctx.regions[usize::from(lines.net.region)].to_string(),
        time: time_string(inc.t),
        actor: instance,
        event_ids: Vec::new(),
        indicator: Some(inc.domain.clone()),
        records: Some(u64::from(count)),
        description,
    }
}

fn key(ctx: &AccountCtx<'_>, net: &RegionNet, hour_start: i64, rng: &mut Rng) -> String {
    let region = ctx.regions[usize::from(net.region)];
    let (y, m, d, hh, _, _) = stamp_parts(hour_start);
    let acct = ctx.id;
    let vpc = &net.vpc;
    format!(
        "{org}/AWSLogs/{acct}/vpcdnsquerylogs/{vpc}/{y:04}/{m:02}/{d:02}/{acct}_vpcdnsquerylogs_{region}_{vpc}_{y:04}{m:02}{d:02}T{hh:02}55Z_{hash}.log.gz",
        org = ctx.org.id,
        hash = rng.hex(8)
    )
}

pub(crate) fn write_day(
    ctx: &AccountCtx<'_>,
    net: &Network,
    day: &Day<'_>,
    rng: &mut Rng,
    out: &mut Out<'_, '_>,
) -> Result<(), SimError> {
    let total = u64::from(day.scale / 4).max(1);
    for rnet in &net.regions {
        let n = net.share(rnet, total);
        let mut lines = Lines {
            ctx,
            net: rnet,
            out: Vec::with_capacity(n as usize + 16),
        };
        for _ in 0..n {
            let t = day.start + rng.below(86_400) as i64;
            background(&mut lines, t, rng);
        }
        if rnet.region == 0 {
            for inst in day.incidents {
                if matches!(
                    inst.kind,
                    ScenarioKind::DnsExfiltration | ScenarioKind::CryptoMining
                ) {
                    if let Some(inc) = incident(inst, net) {
                        let truth = scenario(&mut lines, &inc);
                        out.truth.push(truth);
                    }
                }
            }
        }
        write_hourly(out, TABLE, &mut lines.out, "", day.start, |hour| {
            key(ctx, rnet, hour, rng)
        })?;
    }
    Ok(())
}
