//! GuardDuty findings as the delegated administrator (the audit account) exports them to S3:
//! JSON lines, one file per member account, region and day.
//!
//! Background: port probes on instances, one finding per instance updated (its `count` grows)
//! on later days, as GuardDuty aggregates repeats. Scenarios: root credential use (from the
//! CloudTrail root sign-in), SSH brute force, DNS exfiltration and mining (from the network
//! scenarios). A region whose detector was deleted reports nothing after the deletion.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::network::{incident, public_ip, Iface, NetIncident, Network};
use super::{ms_time, Day, Out};
use crate::account::AccountCtx;
use crate::error::SimError;
use crate::layout::stamp_parts;
use crate::record::time_string;
use crate::rng::Rng;
use crate::scenarios::{Effect, ScenarioKind, Truth};

pub(crate) const TABLE: &str = "guardduty";

/// What GuardDuty remembers across days for one account.
#[derive(Default)]
pub(crate) struct State {
    /// Port-probe finding per instance interface: (id, created, count so far).
    probes: BTreeMap<usize, (String, i64, u64)>,
    /// Region index → when its detector was deleted.
    deleted: BTreeMap<u8, i64>,
}

struct Meta<'a> {
    ctx: &'a AccountCtx<'a>,
    region: u8,
    detector: &'a str,
}

#[allow(clippy::too_many_arguments)]
fn finding(
    m: &Meta<'_>,
    id: &str,
    kind: &str,
    severity: f64,
    title: String,
    description: String,
    resource: Value,
    action: Value,
    resource_role: &str,
    times: (i64, i64, i64, i64),
    count: u64,
    rng: &mut Rng,
) -> Value {
    let (created, updated, first, last) = times;
    let region = m.ctx.regions[usize::from(m.region)];
    let acct = m.ctx.id;
    json!({
        "schemaVersion": "2.0",
        "accountId": acct,
        "region": region,
        "partition": "aws",
        "id": id,
        "arn": format!("arn:aws:guardduty:{region}:{acct}:detector/{}/finding/{id}", m.detector),
        "type": kind,
        "resource": resource,
        "service": {
            "serviceName": "guardduty",
            "detectorId": m.detector,
            "action": action,
            "resourceRole": resource_role,
            "additionalInfo": {"value": "{}", "type": "default"},
            "eventFirstSeen": ms_time(first, 0),
            "eventLastSeen": ms_time(last, 0),
            "archived": false,
            "count": count,
        },
        "severity": severity,
        "createdAt": ms_time(created, rng.below(1000)),
        "updatedAt": ms_time(updated, rng.below(1000)),
        "title": title,
        "description": description,
    })
}

fn instance_resource(ctx: &AccountCtx<'_>, region: &str, iface: &Iface) -> Value {
    json!({
        "resourceType": "Instance",
        "instanceDetails": {
            "instanceId": iface.instance,
            "instanceType": "t3.large",
            "instanceState": "running",
            "availabilityZone": format!("{region}a"),
            "imageId": ctx.inv.amis.first(),
            "networkInterfaces": [{
                "networkInterfaceId": iface.eni,
                "privateIpAddress": iface.ip,
                "subnetId": iface.subnet,
                "vpcId": ctx.inv.vpcs.first(),
                "securityGroups": [{"groupId": iface.sg, "groupName": "default"}],
            }],
            "tags": [{"key": "app", "value": ctx.acct.app}],
        },
    })
}

fn remote(ip: &str, country: &str) -> Value {
    json!({
        "ipAddressV4": ip,
        "country": {"countryName": country},
        "organization": {"asn": "64500", "asnOrg": "EXAMPLE-HOSTING", "isp": "Example Hosting", "org": "Example Hosting"},
    })
}

fn network_finding(m: &Meta<'_>, inc: &NetIncident, iface: &Iface, rng: &mut Rng) -> (Value, String, i64) {
    let ctx = m.ctx;
    let region = ctx.regions[usize::from(m.region)];
    let instance = iface.instance.clone().unwrap_or_default();
    let id = rng.hex(32);
    let detected = inc.t + rng.range(300, 900) as i64;
    let last = inc.t + inc.duration;
    let times = (detected, detected.max(last), inc.t, last);
    let resource = instance_resource(ctx, region, iface);
    let v = match inc.kind {
        ScenarioKind::SshBruteForce => finding(
            m,
            &id,
            "UnauthorizedAccess:EC2/SSHBruteForce",
            2.0,
            format!("{} is performing SSH brute force attacks against {instance}.", inc.remote_ip),
            format!("{} is performing SSH brute force attacks against {instance}. Brute force attacks are used to gain unauthorized access to your instance by guessing the SSH password.", inc.remote_ip),
            resource,
            json!({"actionType": "NETWORK_CONNECTION", "networkConnectionAction": {
                "connectionDirection": "INBOUND",
                "remoteIpDetails": remote(&inc.remote_ip, "Unknown"),
                "remotePortDetails": {"port": rng.range(32768, 60999), "portName": "Unknown"},
                "localPortDetails": {"port": 22, "portName": "SSH"},
                "localIpDetails": {"ipAddressV4": iface.ip},
                "protocol": "TCP",
                "blocked": false,
            }}),
            "TARGET",
            times,
            u64::from(inc.count),
            rng,
        ),
        ScenarioKind::DnsExfiltration => finding(
            m,
            &id,
            "Trojan:EC2/DNSDataExfiltration",
            8.0,
            format!("Data exfiltration through DNS queries from {instance}."),
            format!("{instance} is attempting to query domain names that resemble exfiltrated data under {}. This could be an indication of data exfiltration.", inc.domain),
            resource,
            json!({"actionType": "DNS_REQUEST", "dnsRequestAction": {"domain": inc.domain, "protocol": "UDP", "blocked": false}}),
            "ACTOR",
            times,
            u64::from(inc.count),
            rng,
        ),
        _ => finding(
            m,
            &id,
            "CryptoCurrency:EC2/BitcoinTool.B!DNS",
            8.0,
            format!("{instance} is querying a domain name that is associated with Bitcoin-related activity."),
            format!("{instance} is querying {}, a domain name associated with cryptocurrency mining. If you did not intend it, the instance may be compromised.", inc.domain),
            resource,
            json!({"actionType": "DNS_REQUEST", "dnsRequestAction": {"domain": inc.domain, "protocol": "UDP", "blocked": false}}),
            "ACTOR",
            times,
            1 + (inc.duration / 1800) as u64,
            rng,
        ),
    };
    (v, id, detected)
}

fn key(ctx: &AccountCtx<'_>, region: &str, day_start: i64, rng: &mut Rng) -> String {
    let (y, m, d, _, _, _) = stamp_parts(day_start);
    format!(
        "{org}/AWSLogs/{audit}/GuardDuty/{region}/{y:04}/{m:02}/{d:02}/{uuid}.jsonl.gz",
        org = ctx.org.id,
        audit = ctx.org.audit_account_id.as_str(),
        uuid = rng.uuid()
    )
}

pub(crate) fn write_day(
    ctx: &AccountCtx<'_>,
    net: &Network,
    state: &mut State,
    day: &Day<'_>,
    rng: &mut Rng,
    out: &mut Out<'_, '_>,
) -> Result<(), SimError> {
    let detector = ctx.inv.detector_id.as_str();
    // Region index → (time, finding) of the day.
    let mut by_region: BTreeMap<u8, Vec<(i64, Value)>> = BTreeMap::new();
    let truth =
        |region: u8, kind: ScenarioKind, t: i64, actor: String, id: String, description: String| Truth {
            scenario: kind.id(),
            table: TABLE,
            account_id: ctx.id.to_string(),
            region: ctx.regions[usize::from(region)].to_string(),
            time: time_string(t),
            actor,
            event_ids: vec![id],
            indicator: None,
            records: None,
            description,
        };
    let mut truths = Vec::new();
    for e in day.effects {
        if let Effect::DetectorDeleted { t, region, .. } = e {
            state.deleted.entry(*region).or_insert(*t);
        }
    }
    let live = |state: &State, region: u8, t: i64| state.deleted.get(&region).is_none_or(|&d| t < d);

    for e in day.effects {
        if let Effect::RootSignIn { t, ip } = e {
            let region = ctx.global_region;
            if !live(state, region, *t) {
                continue;
            }
            let m = Meta {
                ctx,
                region,
                detector,
            };
            let id = rng.hex(32);
            let detected = t + rng.range(300, 1200) as i64;
            let acct = ctx.id;
            let v = finding(
                &m,
                &id,
                "Policy:IAMUser/RootCredentialUsage",
                2.0,
                "API ConsoleLogin was invoked using root credentials.".to_string(),
                format!("API ConsoleLogin was invoked using root credentials from IP address {ip}."),
                json!({"resourceType": "AccessKey", "accessKeyDetails": {
                    "accessKeyId": "", "principalId": acct, "userName": "Root", "userType": "Root"}}),
                json!({"actionType": "AWS_API_CALL", "awsApiCallAction": {
                    "api": "ConsoleLogin", "serviceName": "signin.amazonaws.com", "callerType": "Remote IP",
                    "remoteIpDetails": remote(ip, "Unknown")}}),
                "TARGET",
                (detected, detected, *t, *t),
                1,
                rng,
            );
            by_region.entry(region).or_default().push((detected, v));
            truths.push(truth(
                region,
                ScenarioKind::RootConsoleLogin,
                detected,
                format!("arn:aws:iam::{acct}:root"),
                id,
                format!("GuardDuty: root credentials used from {ip}"),
            ));
        }
    }

    let home = net.home();
    for inst in day.incidents {
        let Some(inc) = incident(inst, net) else { continue };
        if !live(state, home.region, inc.t) {
            continue;
        }
        let m = Meta {
            ctx,
            region: home.region,
            detector,
        };
        let iface = &home.ifaces[inc.target];
        let (v, id, detected) = network_finding(&m, &inc, iface, rng);
        let title = v["type"].as_str().unwrap_or_default().to_string();
        by_region.entry(home.region).or_default().push((detected, v));
        let actor = match inc.kind {
            ScenarioKind::SshBruteForce => inc.remote_ip.clone(),
            _ => iface.instance.clone().unwrap_or_default(),
        };
        truths.push(truth(
            home.region,
            inc.kind,
            detected,
            actor,
            id,
            format!("GuardDuty: {title}"),
        ));
    }

    // Port probes: each instance is probed now and then; its one finding is updated.
    for (i, iface) in home.ifaces.iter().enumerate() {
        if iface.instance.is_none() || !rng.chance(0.35) {
            continue;
        }
        let t = day.start + rng.below(86_000) as i64;
        if !live(state, home.region, t) {
            continue;
        }
        let probes = rng.range(1, 6);
        let entry = state.probes.entry(i).or_insert_with(|| (rng.hex(32), t, 0));
        entry.2 += probes;
        let (id, created, count) = entry.clone();
        let m = Meta {
            ctx,
            region: home.region,
            detector,
        };
        let port = *rng.pick(&[22u64, 80, 443, 3389, 8080]);
        let scanner = public_ip(rng);
        let instance = iface.instance.clone().unwrap_or_default();
        let v = finding(
            &m,
            &id,
            "Recon:EC2/PortProbeUnprotectedPort",
            2.0,
            format!("Unprotected port on EC2 instance {instance} is being probed."),
            format!("EC2 instance has an unprotected port {port} which is being probed by a known malicious host."),
            instance_resource(ctx, ctx.regions[usize::from(home.region)], iface),
            json!({"actionType": "PORT_PROBE", "portProbeAction": {"blocked": false, "portProbeDetails": [{
                "localPortDetails": {"port": port, "portName": "Unknown"},
                "remoteIpDetails": remote(&scanner, "Unknown")}]}}),
            "TARGET",
            (created, t + 60, created, t),
            count,
            rng,
        );
        by_region.entry(home.region).or_default().push((t + 60, v));
    }

    for (region, mut findings) in by_region {
        findings.sort_by_key(|f| f.0);
        let mut text = String::new();
        for (_, f) in &findings {
            text.push_str(&f.to_string());
            text.push('\n');
        }
        let k = key(ctx, ctx.regions[usize::from(region)], day.start, rng);
        out.file(TABLE, &k, text.as_bytes(), findings.len() as u64)?;
    }
    out.truth.extend(truths);
    Ok(())
}
