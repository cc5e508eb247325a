//! VPC flow logs in the default (version 2) format, one gzip'd text file with a header line per
//! region and hour, as a flow log delivering to S3 writes them.
//!
//! Background: outbound HTTPS from instances, functions and the NAT gateway (with the replies),
//! inbound HTTPS to the load balancer, database traffic inside the VPC, internet scanners
//! rejected at the security group, and now and then an idle interface (`NODATA`) or a capture
//! error (`SKIPDATA`). Traffic to the Amazon DNS resolver is not logged, as on AWS.
//! Scenarios: SSH brute force (inbound to port 22 from one address) and cryptocurrency mining
//! (an instance talking to a pool for hours).

use std::fmt::Write as _;

use super::network::{incident, public_ip, Iface, NetIncident, Network, RegionNet, Role};
use super::{write_hourly, Day, Out, TimedLine};
use crate::account::AccountCtx;
use crate::error::SimError;
use crate::layout::stamp_parts;
use crate::record::time_string;
use crate::rng::Rng;
use crate::scenarios::{ScenarioKind, Truth};

pub(crate) const TABLE: &str = "vpc_flow";
const HEADER: &str = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n";
const SCAN_PORTS: &[u16] = &[22, 23, 445, 3389, 1433, 3306, 8080, 5900, 6379, 9200];
const MINING_PORTS: &[u16] = &[3333, 4444, 14444, 5555];

struct Lines<'a> {
    account: &'a str,
    out: Vec<TimedLine>,
}

impl Lines<'_> {
    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        eni: &str,
        src: &str,
        dst: &str,
        ports: (u16, u16),
        proto: u8,
        packets: u64,
        bytes: u64,
        span: (i64, i64),
        accept: bool,
    ) {
        let mut text = String::with_capacity(120);
        let action = if accept { "ACCEPT" } else { "REJECT" };
        let _ = writeln!(
            text,
            "2 {} {eni} {src} {dst} {} {} {proto} {packets} {bytes} {} {} {action} OK",
            self.account, ports.0, ports.1, span.0, span.1
        );
        let seq = self.out.len() as u32;
        self.out.push((span.0, seq, text));
    }

    fn status(&mut self, eni: &str, span: (i64, i64), status: &str) {
        let seq = self.out.len() as u32;
        let text = format!(
            "2 {} {eni} - - - - - - - {} {} - {status}\n",
            self.account, span.0, span.1
        );
        self.out.push((span.0, seq, text));
    }
}

fn ephemeral(rng: &mut Rng) -> u16 {
    rng.range(32768, 60999) as u16
}

/// A capture window starting at `t`: flow logs aggregate over up to ten minutes.
fn window(rng: &mut Rng, t: i64) -> (i64, i64) {
    (t, t + rng.range(1, 600) as i64)
}

fn background(lines: &mut Lines<'_>, net: &RegionNet, t: i64, rng: &mut Rng) {
    let iface: &Iface = &net.ifaces[rng.index(net.ifaces.len())];
    let span = window(rng, t);
    match (iface.role, rng.below(10)) {
        (Role::LoadBalancer, _) | (_, 0) => {
            // Someone on the internet: a client of the load balancer, or a scanner.
            let remote = public_ip(rng);
            if iface.role == Role::LoadBalancer && rng.chance(0.8) {
                let p = rng.range(5, 60);
                lines.push(
                    &iface.eni,
                    &remote,
                    &iface.ip,
                    (ephemeral(rng), 443),
                    6,
                    p,
                    p * rng.range(200, 1400),
                    span,
                    true,
                );
            } else {
                let port = *rng.pick(SCAN_PORTS);
                let bytes = *rng.pick(&[40u64, 44, 60]);
                lines.push(
                    &iface.eni,
                    &remote,
                    &iface.ip,
                    (ephemeral(rng), port),
                    6,
                    1,
                    bytes,
                    span,
                    false,
                );
            }
        }
        (Role::Instance | Role::Lambda, 1..=2) => {
            if let Some(db) = net.with_role(Role::Database).next() {
                let p = rng.range(4, 80);
                let sport = ephemeral(rng);
                lines.push(
                    &iface.eni,
                    &iface.ip,
                    &db.ip,
                    (sport, 5432),
                    6,
                    p,
                    p * rng.range(90, 900),
                    span,
                    true,
                );
                lines.push(
                    &db.eni,
                    &iface.ip,
                    &db.ip,
                    (sport, 5432),
                    6,
                    p,
                    p * rng.range(90, 900),
                    span,
                    true,
                );
            }
        }
        _ => {
            // Outbound HTTPS (AWS APIs, package mirrors, partners) and its reply.
            let remote = public_ip(rng);
            let sport = ephemeral(rng);
            let p = rng.range(3, 400);
            lines.push(
                &iface.eni,
                &iface.ip,
                &remote,
                (sport, 443),
                6,
                p,
                p * rng.range(80, 600),
                span,
                true,
            );
            if rng.chance(0.6) {
                let q = rng.range(3, 600);
                lines.push(
                    &iface.eni,
                    &remote,
                    &iface.ip,
                    (443, sport),
                    6,
                    q,
                    q * rng.range(200, 1450),
                    span,
                    true,
                );
            }
        }
    }
}

/// The records of a network scenario, and its truth line.
fn scenario(ctx: &AccountCtx<'_>, net: &RegionNet, inc: &NetIncident, lines: &mut Lines<'_>) -> Truth {
    let mut rng = Rng::new(inc.seed ^ 0xF10);
    let target = &net.ifaces[inc.target];
    let instance = target.instance.clone().unwrap_or_default();
    let step = |k: u32| inc.t + inc.duration * i64::from(k) / i64::from(inc.count.max(1));
    let description = match inc.kind {
        ScenarioKind::SshBruteForce => {
            for k in 0..inc.count {
                let t = step(k);
                let accept = k % 10 < 7;
                let p = rng.range(4, 14);
                lines.push(
                    &target.eni,
                    &inc.remote_ip,
                    &target.ip,
                    (ephemeral(&mut rng), 22),
                    6,
                    p,
                    p * rng.range(60, 180),
                    (t, t + rng.range(1, 50) as i64),
                    accept,
                );
            }
            format!(
                "{} connections to tcp/22 of {instance} from {}",
                inc.count, inc.remote_ip
            )
        }
        _ => {
            let port = *rng.pick(MINING_PORTS);
            let sport = ephemeral(&mut rng);
            for k in 0..inc.count {
                let t = step(k);
                let p = rng.range(20, 60);
                lines.push(
                    &target.eni,
                    &target.ip,
                    &inc.remote_ip,
                    (sport, port),
                    6,
                    p,
                    p * rng.range(90, 200),
                    (t, t + 59),
                    true,
                );
            }
            format!(
                "{instance} connected to mining pool {} ({}) on tcp/{port} for {} minutes",
                inc.domain, inc.remote_ip, inc.count
            )
        }
    };
    Truth {
        scenario: inc.kind.id(),
        table: TABLE,
        account_id: ctx.id.to_string(),
        region: ctx.regions[usize::from(net.region)].to_string(),
        time: time_string(inc.t),
        actor: match inc.kind {
            ScenarioKind::SshBruteForce => inc.remote_ip.clone(),
            _ => instance,
        },
        event_ids: Vec::new(),
        indicator: Some(inc.remote_ip.clone()),
        records: Some(u64::from(inc.count)),
        description,
    }
}

/// Key of the file of one region and hour.
fn key(ctx: &AccountCtx<'_>, net: &RegionNet, hour_start: i64, rng: &mut Rng) -> String {
    let region = ctx.regions[usize::from(net.region)];
    let (y, m, d, hh, _, _) = stamp_parts(hour_start);
    let acct = ctx.id;
    format!(
        "{org}/AWSLogs/{acct}/vpcflowlogs/{region}/{y:04}/{m:02}/{d:02}/{acct}_vpcflowlogs_{region}_{fl}_{y:04}{m:02}{d:02}T{hh:02}55Z_{hash}.log.gz",
        org = ctx.org.id,
        fl = net.flow_log,
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
    let total = u64::from(day.scale / 2).max(1);
    for rnet in &net.regions {
        let n = net.share(rnet, total);
        let mut lines = Lines {
            account: ctx.id,
            out: Vec::with_capacity(n as usize + 64),
        };
        for _ in 0..n {
            let t = day.start + rng.below(86_400 - 600) as i64;
            background(&mut lines, rnet, t, rng);
        }
        for iface in &rnet.ifaces {
            for hour in 0..24 {
                let t = day.start + hour * 3600 + rng.below(3000) as i64;
                if rng.chance(0.01) {
                    lines.status(&iface.eni, window(rng, t), "NODATA");
                } else if rng.chance(0.001) {
                    lines.status(&iface.eni, window(rng, t), "SKIPDATA");
                }
            }
        }
        if rnet.region == 0 {
            for inst in day.incidents {
                if matches!(
                    inst.kind,
                    ScenarioKind::SshBruteForce | ScenarioKind::CryptoMining
                ) {
                    if let Some(inc) = incident(inst, net) {
                        let truth = scenario(ctx, rnet, &inc, &mut lines);
                        out.truth.push(truth);
                    }
                }
            }
        }
        write_hourly(out, TABLE, &mut lines.out, HEADER, day.start, |hour| {
            key(ctx, rnet, hour, rng)
        })?;
    }
    Ok(())
}
