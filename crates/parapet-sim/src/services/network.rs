//! The network of one account: a VPC per region it runs in, the interfaces that talk (instances,
//! Lambda functions, a NAT gateway, a database, a load balancer), and the network scenarios'
//! details, derived the same way by every generator that shows them.

use crate::account::AccountCtx;
use crate::rng::Rng;
use crate::scenarios::{Instance, ScenarioKind};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    Instance,
    Lambda,
    Nat,
    Database,
    LoadBalancer,
}

#[derive(Clone, Debug)]
pub(crate) struct Iface {
    pub eni: String,
    pub ip: String,
    pub role: Role,
    /// The instance behind the interface (role `Instance`).
    pub instance: Option<String>,
    pub subnet: String,
    pub sg: String,
}

/// One region's VPC.
#[derive(Clone, Debug)]
pub(crate) struct RegionNet {
    /// Index into [`AccountCtx::regions`].
    pub region: u8,
    pub vpc: String,
    /// The VPC's `/24`, as its first three octets (`10.0.23`).
    pub prefix: String,
    /// The flow log's id (`fl-…`).
    pub flow_log: String,
    pub ifaces: Vec<Iface>,
}

impl RegionNet {
    /// Interfaces of `role`.
    pub(crate) fn with_role(&self, role: Role) -> impl Iterator<Item = &Iface> {
        self.ifaces.iter().filter(move |i| i.role == role)
    }
}

pub(crate) struct Network {
    /// One per region the account runs resources in, home region first.
    pub regions: Vec<RegionNet>,
}

/// First octets of the public addresses background traffic comes from and goes to. Scenario
/// attackers come from 198.51.100.0/24 (TEST-NET-2), which background never uses, so a
/// scenario's records can be counted by address.
const PUBLIC_FIRST: &[u8] = &[
    3, 13, 18, 34, 35, 44, 52, 54, 20, 40, 104, 151, 185, 91, 77, 45, 62, 89,
];

/// A public address for background traffic.
pub(crate) fn public_ip(rng: &mut Rng) -> String {
    format!(
        "{}.{}.{}.{}",
        PUBLIC_FIRST[rng.index(PUBLIC_FIRST.len())],
        rng.below(256),
        rng.below(256),
        rng.range(1, 254)
    )
}

impl Network {
    /// The network of account `index`.
    pub(crate) fn build(ctx: &AccountCtx<'_>, index: usize, seed: u64) -> Network {
        let mut rng = Rng::derive(seed, &[0x4E7, index as u64]);
        let inv = &ctx.inv;
        let regions = (0..ctx.acct.regions.len())
            .map(|r| {
                // A /24 per account and region keeps every VPC apart (as an IPAM would).
                let n = index * 4 + r;
                let prefix = format!("10.{}.{}", n / 256 % 256, n % 256);
                let vpc = inv.vpcs[r % inv.vpcs.len()].clone();
                let mut ifaces = Vec::new();
                let mut host = 3u32;
                let mut iface = |rng: &mut Rng, role: Role, instance: Option<String>| {
                    let subnet = inv.subnets[rng.index(inv.subnets.len())].clone();
                    let sg = inv.security_groups[rng.index(inv.security_groups.len())].clone();
                    host = (host + 1 + rng.below(20) as u32).min(254);
                    Iface {
                        eni: format!("eni-0{}", rng.hex(16)),
                        ip: format!("{prefix}.{host}"),
                        role,
                        instance,
                        subnet,
                        sg,
                    }
                };
                if r == 0 {
                    for i in &inv.instances {
                        ifaces.push(iface(&mut rng, Role::Instance, Some(i.clone())));
                    }
                }
                for _ in 0..inv.functions.len().min(3) {
                    ifaces.push(iface(&mut rng, Role::Lambda, None));
                }
                ifaces.push(iface(&mut rng, Role::Nat, None));
                if r == 0 {
                    ifaces.push(iface(&mut rng, Role::Database, None));
                    ifaces.push(iface(&mut rng, Role::LoadBalancer, None));
                }
                RegionNet {
                    region: r as u8,
                    vpc,
                    prefix,
                    flow_log: format!("fl-0{}", rng.hex(16)),
                    ifaces,
                }
            })
            .collect();
        Network { regions }
    }

    /// The home region's network (where instances run).
    pub(crate) fn home(&self) -> &RegionNet {
        &self.regions[0]
    }

    /// How many of a day's `total` records a region gets: all of them when the account runs in
    /// one region, else 70 % for the home region and the rest shared by the others.
    pub(crate) fn share(&self, net: &RegionNet, total: u64) -> u64 {
        let others = self.regions.len().saturating_sub(1);
        let share = match (others, net.region) {
            (0, _) => 1.0,
            (_, 0) => 0.7,
            _ => 0.3 / others as f64,
        };
        (total as f64 * share).round() as u64
    }
}

/// The details of one network scenario instance.
#[derive(Clone, Debug)]
pub(crate) struct NetIncident {
    pub kind: ScenarioKind,
    /// Start, epoch seconds.
    pub t: i64,
    /// How long it lasts, seconds (it stays within the day).
    pub duration: i64,
    /// Index into the home region's interfaces: the instance attacked or misbehaving.
    pub target: usize,
    /// The attacker (brute force) or the mining pool (mining).
    pub remote_ip: String,
    /// The domain queried (exfiltration, mining), without the trailing dot.
    pub domain: String,
    /// Number of flow records or DNS queries it makes.
    pub count: u32,
    pub seed: u64,
}

const MINING_POOLS: &[&str] = &[
    "xmr-eu1.nanopool.org",
    "pool.supportxmr.com",
    "xmr.2miners.com",
    "gulf.moneroocean.stream",
];

/// The scenario's details: the same for every generator (they all derive them from the seed).
/// `None` when the account has no instance to happen on.
pub(crate) fn incident(inst: &Instance, net: &Network) -> Option<NetIncident> {
    let home = net.home();
    let instances: Vec<usize> = (0..home.ifaces.len())
        .filter(|&i| home.ifaces[i].role == Role::Instance)
        .collect();
    if instances.is_empty() {
        return None;
    }
    let mut rng = Rng::new(inst.seed ^ 0x4E7_1C1D);
    let target = instances[rng.index(instances.len())];
    let remote_ip = format!("198.51.100.{}", rng.range(1, 254));
    let (duration, count, domain) = match inst.kind {
        ScenarioKind::SshBruteForce => (
            rng.range(300, 840) as i64,
            rng.range(60, 240) as u32,
            String::new(),
        ),
        ScenarioKind::DnsExfiltration => (
            rng.range(600, 840) as i64,
            rng.range(80, 300) as u32,
            format!(
                "{}-{}.xyz",
                rng.pick(&["cdn-sync", "telemetry", "update-check", "img-cache"]),
                rng.lower_alnum(6)
            ),
        ),
        _ => (
            // Mining runs for hours: one flow record per minute.
            3600 * rng.range(2, 6) as i64,
            0,
            rng.pick(MINING_POOLS).to_string(),
        ),
    };
    let day_end = inst.t - inst.t.rem_euclid(86_400) + 86_400;
    let duration = duration.min(day_end - inst.t - 60);
    let count = if count == 0 { (duration / 60) as u32 } else { count };
    Some(NetIncident {
        kind: inst.kind,
        t: inst.t,
        duration,
        target,
        remote_ip,
        domain,
        count,
        seed: rng.next_u64(),
    })
}
