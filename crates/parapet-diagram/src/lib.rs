//! parapet-diagram: an account's network architecture from its AWS Config items, no I/O.
//!
//! [`build`] places every resource: region → VPC → availability zone → subnet (public when its
//! route table, explicit or the VPC's main one, sends `0.0.0.0/0` to an internet gateway), with
//! internet / NAT / transit gateways and peerings on the VPC, instances, Lambda functions (in a
//! VPC), RDS instances and load balancers in their subnets (a resource in several subnets goes to
//! the first, and says how many), and each resource's exposure: a security group of it allows
//! `0.0.0.0/0` or `::/0` in. [`render_svg`] draws the nested boxes; every box is a
//! `<g data-kind=… data-id=…>` holding the boxes inside it, so tests (and tools) can check the
//! nesting from the SVG alone.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde_json::Value;

mod png;
pub use png::{PngError, PngRenderer};

/// One AWS Config item, as the lake's `config_inventory` view holds it.
#[derive(Clone, Debug)]
pub struct Item {
    pub resource_type: String,
    pub resource_id: String,
    pub region: String,
    pub name: Option<String>,
    pub configuration: Value,
}

impl Item {
    /// A Config item as read from AWS (`parapet_aws::read_network`) or a file: its
    /// configuration parsed, its name from the `Name` tag. `None` for an item without a
    /// configuration (a deletion) or whose configuration is not JSON.
    pub fn from_config_item(c: &parapet_model::ConfigItem) -> Option<Item> {
        let configuration: Value = serde_json::from_str(c.configuration.as_deref()?).ok()?;
        let tags: Option<Value> = c.tags.as_deref().and_then(|t| serde_json::from_str(t).ok());
        Some(Item {
            resource_type: c.resource_type.clone(),
            resource_id: c.resource_id.clone(),
            region: c.region.clone().unwrap_or_default(),
            name: tags
                .as_ref()
                .and_then(|t| t.get("Name"))
                .and_then(Value::as_str)
                .map(str::to_string),
            configuration,
        })
    }
}

/// A thing drawn in a subnet or on a VPC.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct Node {
    /// `instance`, `lambda`, `rds`, `load_balancer`, `nat_gateway`, `internet_gateway`,
    /// `transit_gateway_attachment`, `peering`.
    pub kind: String,
    pub id: String,
    pub label: String,
    /// Open to the internet through a security group (the ports, `all` for every port).
    pub exposed: Vec<String>,
    /// A note (a public address, "and 2 more subnets", the peer VPC).
    pub note: Option<String>,
}

#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct Subnet {
    pub id: String,
    pub name: Option<String>,
    pub cidr: String,
    pub public: bool,
    pub nodes: Vec<Node>,
}

#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct Vpc {
    pub id: String,
    pub name: Option<String>,
    pub cidr: String,
    /// Gateways and connections drawn on the VPC's edge.
    pub edges: Vec<Node>,
    /// Availability zone → subnets.
    pub zones: BTreeMap<String, Vec<Subnet>>,
    /// Resources whose subnet is not known.
    pub loose: Vec<Node>,
}

#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct Region {
    pub name: String,
    pub vpcs: Vec<Vpc>,
}

/// One account's diagram.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct Diagram {
    pub account: String,
    pub regions: Vec<Region>,
}

fn s<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

fn arr<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    v.get(key)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

fn name_tag(config: &Value) -> Option<String> {
    arr(config, "tags")
        .iter()
        .find(|t| s(t, "key") == Some("Name") || s(t, "Key") == Some("Name"))
        .and_then(|t| s(t, "value").or_else(|| s(t, "Value")))
        .map(str::to_string)
}

/// The ports a security group opens to the whole internet (read and judged as posture's
/// security-group checks do).
fn open_ports(sg: &Value) -> Vec<String> {
    let mut out: Vec<String> = parapet_posture::config_items::ip_rules(sg.get("ipPermissions"))
        .iter()
        .filter(|r| parapet_posture::open_to_world(r).is_some())
        .map(|r| match (r.protocol.as_str(), r.from_port, r.to_port) {
            ("-1", _, _) => "all".to_string(),
            (_, Some(a), Some(b)) if a == b => a.to_string(),
            (_, Some(a), Some(b)) => format!("{a}-{b}"),
            _ => "all".to_string(),
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

fn group_ids(v: &Value, key: &str, id_key: &str) -> Vec<String> {
    arr(v, key)
        .iter()
        .filter_map(|g| g.as_str().or_else(|| s(g, id_key)))
        .map(str::to_string)
        .collect()
}

/// Places every item of one account.
pub fn build(account: &str, items: &[Item]) -> Diagram {
    fn of<'a>(items: &'a [Item], t: &'a str) -> impl Iterator<Item = &'a Item> + 'a {
        items.iter().filter(move |i| i.resource_type == t)
    }
    let exposure: BTreeMap<&str, Vec<String>> = of(items, "AWS::EC2::SecurityGroup")
        .map(|sg| (sg.resource_id.as_str(), open_ports(&sg.configuration)))
        .filter(|(_, p)| !p.is_empty())
        .collect();
    let exposed_by = |groups: &[String]| -> Vec<String> {
        let mut out: Vec<String> = groups
            .iter()
            .filter_map(|g| exposure.get(g.as_str()))
            .flatten()
            .cloned()
            .collect();
        out.sort();
        out.dedup();
        out
    };
    // Internet gateways per VPC, and which subnets route to one.
    let mut igw_of_vpc: BTreeMap<String, Vec<&Item>> = BTreeMap::new();
    for igw in of(items, "AWS::EC2::InternetGateway") {
        for a in arr(&igw.configuration, "attachments") {
            if let Some(vpc) = s(a, "vpcId") {
                igw_of_vpc.entry(vpc.to_string()).or_default().push(igw);
            }
        }
    }
    let mut public_subnets: BTreeSet<String> = BTreeSet::new();
    let mut main_public: BTreeSet<String> = BTreeSet::new();
    let mut explicit: BTreeSet<String> = BTreeSet::new();
    for rt in of(items, "AWS::EC2::RouteTable") {
        let c = &rt.configuration;
        let to_igw = arr(c, "routes").iter().any(|r| {
            (s(r, "destinationCidrBlock") == Some("0.0.0.0/0")
                || s(r, "destinationIpv6CidrBlock") == Some("::/0"))
                && s(r, "gatewayId").is_some_and(|g| g.starts_with("igw-"))
        });
        for a in arr(c, "associations") {
            if let Some(sub) = s(a, "subnetId") {
                explicit.insert(sub.to_string());
                if to_igw {
                    public_subnets.insert(sub.to_string());
                }
            }
            if a.get("main").and_then(Value::as_bool) == Some(true) && to_igw {
                if let Some(vpc) = s(c, "vpcId") {
                    main_public.insert(vpc.to_string());
                }
            }
        }
    }
    let mut regions: BTreeMap<String, BTreeMap<String, Vpc>> = BTreeMap::new();
    let mut subnet_home: BTreeMap<String, (String, String, String)> = BTreeMap::new(); // subnet → (region, vpc, az)
    for v in of(items, "AWS::EC2::VPC") {
        let c = &v.configuration;
        let id = s(c, "vpcId").unwrap_or(&v.resource_id).to_string();
        regions.entry(v.region.clone()).or_default().insert(
            id.clone(),
            Vpc {
                id,
                name: v.name.clone().or_else(|| name_tag(c)),
                cidr: s(c, "cidrBlock").unwrap_or("").to_string(),
                ..Vpc::default()
            },
        );
    }
    for sn in of(items, "AWS::EC2::Subnet") {
        let c = &sn.configuration;
        let id = s(c, "subnetId").unwrap_or(&sn.resource_id).to_string();
        let Some(vpc_id) = s(c, "vpcId") else { continue };
        let vpcs = regions.entry(sn.region.clone()).or_default();
        let vpc = vpcs.entry(vpc_id.to_string()).or_insert_with(|| Vpc {
            id: vpc_id.to_string(),
            ..Vpc::default()
        });
        let az = s(c, "availabilityZone").unwrap_or("?").to_string();
        let public =
            public_subnets.contains(&id) || (!explicit.contains(&id) && main_public.contains(vpc_id));
        vpc.zones.entry(az.clone()).or_default().push(Subnet {
            id: id.clone(),
            name: sn.name.clone().or_else(|| name_tag(c)),
            cidr: s(c, "cidrBlock").unwrap_or("").to_string(),
            public,
            nodes: Vec::new(),
        });
        subnet_home.insert(id, (sn.region.clone(), vpc_id.to_string(), az));
    }
    let mut place = |region: &str, vpc_id: Option<&str>, subnets: &[String], node: Node| {
        let home = subnets.iter().find_map(|s| subnet_home.get(s).cloned());
        let (region, vpc_id, az, subnet) = match (&home, vpc_id) {
            (Some((r, v, az)), _) => (
                r.clone(),
                v.clone(),
                Some(az.clone()),
                subnets.iter().find(|s| subnet_home.contains_key(*s)).cloned(),
            ),
            (None, Some(v)) => (region.to_string(), v.to_string(), None, None),
            (None, None) => return,
        };
        let vpcs = regions.entry(region).or_default();
        let vpc = vpcs.entry(vpc_id.clone()).or_insert_with(|| Vpc {
            id: vpc_id,
            ..Vpc::default()
        });
        let mut node = node;
        if subnets.len() > 1 && node.note.is_none() {
            node.note = Some(format!("and {} more subnet(s)", subnets.len() - 1));
        }
        match (az, subnet) {
            (Some(az), Some(sub)) => {
                if let Some(sn) = vpc
                    .zones
                    .get_mut(&az)
                    .and_then(|z| z.iter_mut().find(|s| s.id == sub))
                {
                    sn.nodes.push(node);
                }
            }
            _ => vpc.loose.push(node),
        }
    };
    for i in of(items, "AWS::EC2::Instance") {
        let c = &i.configuration;
        let groups = group_ids(c, "securityGroups", "groupId");
        let subnet: Vec<String> = s(c, "subnetId").map(|x| vec![x.to_string()]).unwrap_or_default();
        place(
            &i.region,
            s(c, "vpcId"),
            &subnet,
            Node {
                kind: "instance".into(),
                id: s(c, "instanceId").unwrap_or(&i.resource_id).to_string(),
                label: i
                    .name
                    .clone()
                    .or_else(|| name_tag(c))
                    .unwrap_or_else(|| s(c, "instanceType").unwrap_or("instance").to_string()),
                exposed: exposed_by(&groups),
                note: s(c, "publicIpAddress").map(|ip| format!("public {ip}")),
            },
        );
    }
    for f in of(items, "AWS::Lambda::Function") {
        let c = &f.configuration;
        let Some(vpc_config) = c.get("vpcConfig") else {
            continue;
        };
        let subnets = group_ids(vpc_config, "subnetIds", "subnetId");
        if subnets.is_empty() {
            continue;
        }
        let groups = group_ids(vpc_config, "securityGroupIds", "groupId");
        place(
            &f.region,
            s(vpc_config, "vpcId"),
            &subnets,
            Node {
                kind: "lambda".into(),
                id: f.resource_id.clone(),
                label: s(c, "functionName").unwrap_or(&f.resource_id).to_string(),
                exposed: exposed_by(&groups),
                note: None,
            },
        );
    }
    for d in of(items, "AWS::RDS::DBInstance") {
        let c = &d.configuration;
        let group = c
            .get("dBSubnetGroup")
            .or_else(|| c.get("dbSubnetGroup"))
            .cloned()
            .unwrap_or(Value::Null);
        let subnets: Vec<String> = arr(&group, "subnets")
            .iter()
            .filter_map(|s2| s(s2, "subnetIdentifier"))
            .map(str::to_string)
            .collect();
        let groups = group_ids(c, "vpcSecurityGroups", "vpcSecurityGroupId");
        let public = c.get("publiclyAccessible").and_then(Value::as_bool) == Some(true);
        place(
            &d.region,
            s(&group, "vpcId"),
            &subnets,
            Node {
                kind: "rds".into(),
                id: d.resource_id.clone(),
                label: s(c, "dBInstanceIdentifier")
                    .or_else(|| s(c, "dbInstanceIdentifier"))
                    .unwrap_or(&d.resource_id)
                    .to_string(),
                exposed: if public { exposed_by(&groups) } else { Vec::new() },
                note: public.then(|| "publicly accessible".to_string()),
            },
        );
    }
    for lb in of(items, "AWS::ElasticLoadBalancingV2::LoadBalancer") {
        let c = &lb.configuration;
        let subnets: Vec<String> = arr(c, "availabilityZones")
            .iter()
            .filter_map(|z| s(z, "subnetId"))
            .map(str::to_string)
            .collect();
        let groups = group_ids(c, "securityGroups", "groupId");
        let internet = s(c, "scheme") == Some("internet-facing");
        place(
            &lb.region,
            s(c, "vpcId"),
            &subnets,
            Node {
                kind: "load_balancer".into(),
                id: lb.resource_id.clone(),
                label: s(c, "loadBalancerName").unwrap_or(&lb.resource_id).to_string(),
                exposed: if internet { exposed_by(&groups) } else { Vec::new() },
                note: internet.then(|| "internet-facing".to_string()),
            },
        );
    }
    for nat in of(items, "AWS::EC2::NatGateway") {
        let c = &nat.configuration;
        let subnet: Vec<String> = s(c, "subnetId").map(|x| vec![x.to_string()]).unwrap_or_default();
        place(
            &nat.region,
            s(c, "vpcId"),
            &subnet,
            Node {
                kind: "nat_gateway".into(),
                id: s(c, "natGatewayId").unwrap_or(&nat.resource_id).to_string(),
                label: nat
                    .name
                    .clone()
                    .or_else(|| name_tag(c))
                    .unwrap_or_else(|| "NAT gateway".into()),
                exposed: Vec::new(),
                note: None,
            },
        );
    }
    // Edges: internet gateways, transit gateway attachments, peerings.
    let mut edge = |region: &str, vpc_id: &str, node: Node| {
        let vpcs = regions.entry(region.to_string()).or_default();
        let vpc = vpcs.entry(vpc_id.to_string()).or_insert_with(|| Vpc {
            id: vpc_id.to_string(),
            ..Vpc::default()
        });
        if !vpc.edges.iter().any(|e| e.id == node.id) {
            vpc.edges.push(node);
        }
    };
    for (vpc, igws) in &igw_of_vpc {
        for igw in igws {
            edge(
                &igw.region,
                vpc,
                Node {
                    kind: "internet_gateway".into(),
                    id: igw.resource_id.clone(),
                    label: "internet gateway".into(),
                    exposed: Vec::new(),
                    note: None,
                },
            );
        }
    }
    for a in of(items, "AWS::EC2::TransitGatewayAttachment") {
        let c = &a.configuration;
        if let Some(vpc) = s(c, "vpcId").or_else(|| s(c, "resourceId")) {
            edge(
                &a.region,
                vpc,
                Node {
                    kind: "transit_gateway_attachment".into(),
                    id: a.resource_id.clone(),
                    label: format!("TGW {}", s(c, "transitGatewayId").unwrap_or("?")),
                    exposed: Vec::new(),
                    note: None,
                },
            );
        }
    }
    for p in of(items, "AWS::EC2::VPCPeeringConnection") {
        let c = &p.configuration;
        let req = c
            .get("requesterVpcInfo")
            .and_then(|v| s(v, "vpcId"))
            .unwrap_or("");
        let acc = c.get("accepterVpcInfo").and_then(|v| s(v, "vpcId")).unwrap_or("");
        for (me, other) in [(req, acc), (acc, req)] {
            if !me.is_empty() {
                edge(
                    &p.region,
                    me,
                    Node {
                        kind: "peering".into(),
                        id: p.resource_id.clone(),
                        label: "peering".into(),
                        exposed: Vec::new(),
                        note: Some(format!("to {other}")),
                    },
                );
            }
        }
    }
    Diagram {
        account: account.to_string(),
        regions: regions
            .into_iter()
            .map(|(name, vpcs)| Region {
                name,
                vpcs: vpcs
                    .into_values()
                    .map(|mut v| {
                        for subnets in v.zones.values_mut() {
                            subnets.sort_by(|a, b| b.public.cmp(&a.public).then(a.id.cmp(&b.id)));
                            for sn in subnets.iter_mut() {
                                sn.nodes.sort();
                            }
                        }
                        v.edges.sort();
                        v.loose.sort();
                        v
                    })
                    .collect(),
            })
            .collect(),
    }
}

/// What changed in an account's diagram between two days.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Changes {
    /// `kind id` of resources (and VPCs, subnets) that appeared.
    pub added: Vec<String>,
    pub removed: Vec<String>,
    /// `kind id: before -> after` where the ports open to the internet changed.
    pub exposure: Vec<String>,
}

impl Changes {
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.exposure.is_empty()
    }

    /// One line: `2 added, 1 removed, 1 exposure changed`.
    pub fn summary(&self) -> String {
        if self.is_empty() {
            return "no change".into();
        }
        format!(
            "{} added, {} removed, {} exposure changed",
            self.added.len(),
            self.removed.len(),
            self.exposure.len()
        )
    }
}

/// Every drawn thing of a diagram: `kind id` → its open ports.
fn inventory(d: &Diagram) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for r in &d.regions {
        for v in &r.vpcs {
            out.insert(format!("vpc {}", v.id), String::new());
            for n in v.edges.iter().chain(&v.loose) {
                out.insert(format!("{} {}", n.kind, n.id), n.exposed.join(","));
            }
            for subnets in v.zones.values() {
                for s in subnets {
                    out.insert(
                        format!("subnet {}", s.id),
                        if s.public { "public".into() } else { String::new() },
                    );
                    for n in &s.nodes {
                        out.insert(format!("{} {}", n.kind, n.id), n.exposed.join(","));
                    }
                }
            }
        }
    }
    out
}

/// What changed from `before` to `after`.
pub fn changes(before: &Diagram, after: &Diagram) -> Changes {
    let (b, a) = (inventory(before), inventory(after));
    let mut c = Changes::default();
    for (k, v) in &a {
        match b.get(k) {
            None => c.added.push(k.clone()),
            Some(old) if old != v => {
                let show = |x: &str| {
                    if x.is_empty() {
                        "closed".to_string()
                    } else {
                        x.to_string()
                    }
                };
                c.exposure.push(format!("{k}: {} -> {}", show(old), show(v)));
            }
            _ => {}
        }
    }
    c.removed = b.keys().filter(|k| !a.contains_key(*k)).cloned().collect();
    c
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

const TILE_W: f64 = 150.0;
const TILE_H: f64 = 40.0;
const GAP: f64 = 10.0;
const HEAD: f64 = 24.0;
const PER_ROW: usize = 2;

fn tiles_height(n: usize) -> f64 {
    let rows = n.div_ceil(PER_ROW).max(1);
    rows as f64 * (TILE_H + GAP)
}

fn tile(out: &mut String, n: &Node, x: f64, y: f64) {
    let (fill, stroke) = if n.exposed.is_empty() {
        ("#eef4fb", "#3b6ea5")
    } else {
        ("#fde2e1", "#c0392b")
    };
    let detail = format!(
        "{}{}{}",
        n.kind.replace('_', " "),
        if n.exposed.is_empty() {
            String::new()
        } else {
            format!(" · OPEN {}", n.exposed.join(","))
        },
        n.note.as_deref().map(|t| format!(" · {t}")).unwrap_or_default()
    );
    let _ = write!(
        out,
        "<g data-kind=\"{}\" data-id=\"{}\" data-exposed=\"{}\"><rect x=\"{x:.0}\" y=\"{y:.0}\" width=\"{TILE_W}\" height=\"{TILE_H}\" rx=\"4\" fill=\"{fill}\" stroke=\"{stroke}\" stroke-width=\"{}\"/>\
         <text x=\"{:.0}\" y=\"{:.0}\" font-size=\"11\" font-weight=\"600\">{}</text><text x=\"{:.0}\" y=\"{:.0}\" font-size=\"9\" fill=\"#555\">{}</text><title>{}</title></g>",
        esc(&n.kind),
        esc(&n.id),
        esc(&n.exposed.join(",")),
        if n.exposed.is_empty() { 1 } else { 2 },
        x + 6.0,
        y + 15.0,
        esc(&fit(&n.label, 18)),
        x + 6.0,
        y + 30.0,
        esc(&fit(&detail, 27)),
        esc(&format!("{} {}: {detail}", n.label, n.id))
    );
}

/// `text` cut to `chars` characters (an ellipsis marks the cut) so it stays inside its tile;
/// the whole text is in the tile's `<title>`.
fn fit(text: &str, chars: usize) -> String {
    if text.chars().count() <= chars {
        return text.to_string();
    }
    let mut out: String = text.chars().take(chars - 1).collect();
    out.push('…');
    out
}

fn subnet_size(s: &Subnet) -> (f64, f64) {
    (
        PER_ROW as f64 * (TILE_W + GAP) + GAP,
        HEAD + tiles_height(s.nodes.len()) + GAP,
    )
}

fn zone_size(subnets: &[Subnet]) -> (f64, f64) {
    let w = subnets.iter().map(|s| subnet_size(s).0).fold(0.0, f64::max) + 2.0 * GAP;
    let h = HEAD + subnets.iter().map(|s| subnet_size(s).1 + GAP).sum::<f64>() + GAP;
    (w, h)
}

fn vpc_size(v: &Vpc) -> (f64, f64) {
    let zones_w: f64 = v.zones.values().map(|z| zone_size(z).0 + GAP).sum::<f64>() + GAP;
    let zones_h = v.zones.values().map(|z| zone_size(z).1).fold(0.0, f64::max);
    let edge_w = (v.edges.len() + v.loose.len()) as f64 * (TILE_W + GAP) + GAP;
    let w = zones_w.max(edge_w).max(320.0);
    let h = HEAD
        + (TILE_H + GAP) * f64::from(u8::from(!v.edges.is_empty() || !v.loose.is_empty()))
        + zones_h
        + 2.0 * GAP;
    (w, h)
}

/// The diagram as SVG: nested, labelled boxes; exposed resources in red.
pub fn render_svg(d: &Diagram) -> String {
    let mut body = String::new();
    let mut y = 40.0;
    let mut width: f64 = 600.0;
    for r in &d.regions {
        let inner_w = r.vpcs.iter().map(|v| vpc_size(v).0).fold(0.0, f64::max);
        let inner_h: f64 = r.vpcs.iter().map(|v| vpc_size(v).1 + GAP).sum();
        let (rw, rh) = (inner_w + 2.0 * GAP, HEAD + inner_h + GAP);
        width = width.max(rw + 20.0);
        let _ = write!(
            body,
            "<g data-kind=\"region\" data-id=\"{}\"><rect x=\"10\" y=\"{y:.0}\" width=\"{rw:.0}\" height=\"{rh:.0}\" fill=\"none\" stroke=\"#888\" stroke-dasharray=\"6 3\"/><text x=\"18\" y=\"{:.0}\" font-size=\"13\" font-weight=\"700\">{}</text>",
            esc(&r.name),
            y + 17.0,
            esc(&r.name)
        );
        let mut vy = y + HEAD;
        for v in &r.vpcs {
            let (vw, vh) = vpc_size(v);
            let vx = 10.0 + GAP;
            let _ = write!(
                body,
                "<g data-kind=\"vpc\" data-id=\"{}\"><rect x=\"{vx:.0}\" y=\"{vy:.0}\" width=\"{vw:.0}\" height=\"{vh:.0}\" fill=\"#f7faf5\" stroke=\"#4b8b3b\" stroke-width=\"2\" rx=\"6\"/><text x=\"{:.0}\" y=\"{:.0}\" font-size=\"12\" font-weight=\"700\">VPC {} {}</text>",
                esc(&v.id),
                vx + 8.0,
                vy + 16.0,
                esc(v.name.as_deref().unwrap_or(&v.id)),
                esc(&v.cidr)
            );
            let mut ty = vy + HEAD;
            if !v.edges.is_empty() || !v.loose.is_empty() {
                for (i, n) in v.edges.iter().chain(&v.loose).enumerate() {
                    tile(&mut body, n, vx + GAP + i as f64 * (TILE_W + GAP), ty);
                }
                ty += TILE_H + GAP;
            }
            let mut zx = vx + GAP;
            for (az, subnets) in &v.zones {
                let (zw, zh) = zone_size(subnets);
                let _ = write!(
                    body,
                    "<g data-kind=\"az\" data-id=\"{}\"><rect x=\"{zx:.0}\" y=\"{ty:.0}\" width=\"{zw:.0}\" height=\"{zh:.0}\" fill=\"none\" stroke=\"#aaa\" stroke-dasharray=\"3 3\"/><text x=\"{:.0}\" y=\"{:.0}\" font-size=\"11\">{}</text>",
                    esc(az),
                    zx + 6.0,
                    ty + 15.0,
                    esc(az)
                );
                let mut sy = ty + HEAD;
                for sn in subnets {
                    let (sw, sh) = subnet_size(sn);
                    let fill = if sn.public { "#e8f4e4" } else { "#eef0f3" };
                    let _ = write!(
                        body,
                        "<g data-kind=\"subnet\" data-id=\"{}\" data-public=\"{}\"><rect x=\"{:.0}\" y=\"{sy:.0}\" width=\"{sw:.0}\" height=\"{sh:.0}\" fill=\"{fill}\" stroke=\"#6b7c8f\" rx=\"4\"/><text x=\"{:.0}\" y=\"{:.0}\" font-size=\"10\">{} subnet {} {}</text>",
                        esc(&sn.id),
                        sn.public,
                        zx + GAP,
                        zx + GAP + 6.0,
                        sy + 15.0,
                        if sn.public { "public" } else { "private" },
                        esc(sn.name.as_deref().unwrap_or(&sn.id)),
                        esc(&sn.cidr)
                    );
                    for (i, n) in sn.nodes.iter().enumerate() {
                        let col = (i % PER_ROW) as f64;
                        let row = (i / PER_ROW) as f64;
                        tile(
                            &mut body,
                            n,
                            zx + 2.0 * GAP + col * (TILE_W + GAP),
                            sy + HEAD + row * (TILE_H + GAP),
                        );
                    }
                    body.push_str("</g>");
                    sy += sh + GAP;
                }
                body.push_str("</g>");
                zx += zw + GAP;
            }
            body.push_str("</g>");
            vy += vh + GAP;
        }
        body.push_str("</g>");
        y += rh + 20.0;
    }
    let height = y + 10.0;
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width:.0}\" height=\"{height:.0}\" viewBox=\"0 0 {width:.0} {height:.0}\" font-family=\"sans-serif\">\
         <rect width=\"100%\" height=\"100%\" fill=\"#fff\"/><text x=\"10\" y=\"24\" font-size=\"16\" font-weight=\"700\">Account {}</text>{body}</svg>",
        esc(&d.account)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(t: &str, id: &str, c: Value) -> Item {
        Item {
            resource_type: t.into(),
            resource_id: id.into(),
            region: "us-east-1".into(),
            name: None,
            configuration: c,
        }
    }

    /// A VPC with a public subnet (an instance behind SSH open to the world) and a private one.
    fn small_layout() -> Vec<Item> {
        vec![
            item(
                "AWS::EC2::VPC",
                "vpc-1",
                serde_json::json!({"vpcId": "vpc-1", "cidrBlock": "10.0.0.0/16"}),
            ),
            item(
                "AWS::EC2::Subnet",
                "subnet-a",
                serde_json::json!({"subnetId": "subnet-a", "vpcId": "vpc-1", "availabilityZone": "us-east-1a", "cidrBlock": "10.0.1.0/24"}),
            ),
            item(
                "AWS::EC2::Subnet",
                "subnet-b",
                serde_json::json!({"subnetId": "subnet-b", "vpcId": "vpc-1", "availabilityZone": "us-east-1b", "cidrBlock": "10.0.2.0/24"}),
            ),
            item(
                "AWS::EC2::InternetGateway",
                "igw-1",
                serde_json::json!({"attachments": [{"vpcId": "vpc-1"}]}),
            ),
            item(
                "AWS::EC2::RouteTable",
                "rtb-1",
                serde_json::json!({"vpcId": "vpc-1", "routes": [{"destinationCidrBlock": "0.0.0.0/0", "gatewayId": "igw-1"}], "associations": [{"subnetId": "subnet-a"}]}),
            ),
            item(
                "AWS::EC2::SecurityGroup",
                "sg-open",
                serde_json::json!({"ipPermissions": [{"ipProtocol": "tcp", "fromPort": 22, "toPort": 22, "ipv4Ranges": [{"cidrIp": "0.0.0.0/0"}]}]}),
            ),
            item(
                "AWS::EC2::Instance",
                "i-1",
                serde_json::json!({"instanceId": "i-1", "subnetId": "subnet-a", "securityGroups": [{"groupId": "sg-open"}], "tags": [{"key": "Name", "value": "<bastion>"}]}),
            ),
            item(
                "AWS::EC2::Instance",
                "i-2",
                serde_json::json!({"instanceId": "i-2", "subnetId": "subnet-b", "securityGroups": []}),
            ),
        ]
    }

    #[test]
    fn places_and_exposes() {
        let items = small_layout();
        let d = build("111122223333", &items);
        let vpc = &d.regions[0].vpcs[0];
        let a = &vpc.zones["us-east-1a"][0];
        assert!(a.public);
        assert_eq!(a.nodes[0].exposed, vec!["22".to_string()]);
        assert!(!vpc.zones["us-east-1b"][0].public);
        assert_eq!(vpc.edges[0].kind, "internet_gateway");
        let svg = render_svg(&d);
        assert!(svg.contains("&lt;bastion&gt;") && !svg.contains("<bastion>"));
        assert!(svg.contains("data-kind=\"instance\" data-id=\"i-1\" data-exposed=\"22\""));

        // The next day: i-2 gone, a new instance, i-1's group closed.
        let mut next = items.clone();
        next.retain(|i| i.resource_id != "i-2");
        next.push(item(
            "AWS::EC2::Instance",
            "i-3",
            serde_json::json!({"instanceId": "i-3", "subnetId": "subnet-b"}),
        ));
        for i in next.iter_mut().filter(|i| i.resource_id == "sg-open") {
            i.configuration = serde_json::json!({"ipPermissions": []});
        }
        let c = changes(&d, &build("111122223333", &next));
        assert_eq!(c.added, vec!["instance i-3".to_string()]);
        assert_eq!(c.removed, vec!["instance i-2".to_string()]);
        assert_eq!(c.exposure, vec!["instance i-1: 22 -> closed".to_string()]);
        assert_eq!(c.summary(), "1 added, 1 removed, 1 exposure changed");
        assert!(changes(&d, &d).is_empty());
    }

    /// (kind, id, x, y, w, h) of every box, in document order, with its parent's index.
    fn boxes(svg: &str) -> Vec<(String, String, [f64; 4], Option<usize>)> {
        let mut out = Vec::new();
        let mut stack: Vec<usize> = Vec::new();
        let mut rest = svg;
        while let Some(i) = rest.find('<') {
            rest = &rest[i..];
            if let Some(after) = rest.strip_prefix("</g>") {
                stack.pop();
                rest = after;
                continue;
            }
            if rest.starts_with("<g ") {
                let end = rest.find('>').unwrap();
                let tag = &rest[..end];
                let attr = |t: &str, n: &str| {
                    t.split(&format!("{n}=\""))
                        .nth(1)
                        .and_then(|s| s.split('"').next())
                        .unwrap_or("")
                        .to_string()
                };
                let rect_start = rest.find("<rect").unwrap();
                let rect_end = rest[rect_start..].find('>').unwrap() + rect_start;
                let rect = &rest[rect_start..rect_end];
                let num = |n: &str| attr(rect, n).parse::<f64>().unwrap();
                out.push((
                    attr(tag, "data-kind"),
                    attr(tag, "data-id"),
                    [num("x"), num("y"), num("width"), num("height")],
                    stack.last().copied(),
                ));
                stack.push(out.len() - 1);
                rest = &rest[end..];
                continue;
            }
            rest = &rest[1..];
        }
        out
    }

    #[test]
    fn a_hundred_and_twenty_resources_stay_readable() {
        let mut items = Vec::new();
        for v in 0..3 {
            items.push(item(
                "AWS::EC2::VPC",
                &format!("vpc-{v}"),
                serde_json::json!({"vpcId": format!("vpc-{v}"), "cidrBlock": "10.0.0.0/16"}),
            ));
            for az in ["a", "b"] {
                for n in 0..2 {
                    let sub = format!("subnet-{v}{az}{n}");
                    items.push(item("AWS::EC2::Subnet", &sub, serde_json::json!({"subnetId": sub, "vpcId": format!("vpc-{v}"), "availabilityZone": format!("us-east-1{az}")})));
                    for i in 0..10 {
                        let id = format!("i-{v}{az}{n}{i:02}");
                        items.push(item(
                            "AWS::EC2::Instance",
                            &id,
                            serde_json::json!({"instanceId": id, "subnetId": sub}),
                        ));
                    }
                }
            }
        }
        let svg = render_svg(&build("111122223333", &items));
        let b = boxes(&svg);
        let tiles: Vec<&(String, String, [f64; 4], Option<usize>)> =
            b.iter().filter(|x| x.0 == "instance").collect();
        assert_eq!(tiles.len(), 120);
        let inside = |inner: [f64; 4], outer: [f64; 4]| {
            inner[0] >= outer[0]
                && inner[1] >= outer[1]
                && inner[0] + inner[2] <= outer[0] + outer[2]
                && inner[1] + inner[3] <= outer[1] + outer[3]
        };
        // Every box lies inside its parent's box.
        for x in &b {
            if let Some(p) = x.3 {
                assert!(
                    inside(x.2, b[p].2),
                    "{} {} outside {} {}",
                    x.0,
                    x.1,
                    b[p].0,
                    b[p].1
                );
            }
        }
        // No two boxes of the same level overlap.
        for (i, x) in b.iter().enumerate() {
            for y in &b[i + 1..] {
                if x.3 == y.3 {
                    let apart = x.2[0] + x.2[2] <= y.2[0]
                        || y.2[0] + y.2[2] <= x.2[0]
                        || x.2[1] + x.2[3] <= y.2[1]
                        || y.2[1] + y.2[3] <= x.2[1];
                    assert!(apart, "{} {} overlaps {} {}", x.0, x.1, y.0, y.1);
                }
            }
        }
    }

    #[test]
    fn png_draws_the_boxes_at_twice_the_size_with_exposure_in_red() {
        let svg = render_svg(&build("111122223333", &small_layout()));
        let renderer = PngRenderer::new();
        let png = renderer.render(&svg, 2.0).expect("png");
        let pixmap = resvg::tiny_skia::Pixmap::decode_png(&png).expect("a PNG");
        let width: f64 = svg
            .split("width=\"")
            .nth(1)
            .and_then(|w| w.split('"').next())
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(pixmap.width(), (width * 2.0).ceil() as u32);
        let colour_at = |x: f64, y: f64| {
            let p = pixmap.pixel((x * 2.0) as u32, (y * 2.0) as u32).expect("inside");
            (p.red(), p.green(), p.blue())
        };
        let all = boxes(&svg);
        let tile = |id: &str| all.iter().find(|b| b.1 == id).expect(id).2;
        // The right edge of a tile, inside its border and clear of its text.
        let [x, y, w, h] = tile("i-1");
        assert_eq!(
            colour_at(x + w - 4.0, y + h - 4.0),
            (0xfd, 0xe2, 0xe1),
            "exposed tile fill"
        );
        let [x, y, w, h] = tile("i-2");
        assert_eq!(
            colour_at(x + w - 4.0, y + h - 4.0),
            (0xee, 0xf4, 0xfb),
            "closed tile fill"
        );
        if renderer.fonts() > 0 {
            // The title's glyphs: dark pixels in the band of "Account 111122223333".
            let dark = (20..200)
                .flat_map(|x| (8..26).map(move |y| (x, y)))
                .filter(|&(x, y)| colour_at(x as f64, y as f64).0 < 100)
                .count();
            assert!(dark > 50, "the title is drawn ({dark} dark pixels)");
        }
        assert!(matches!(renderer.render("<svg", 1.0), Err(PngError::Svg(_))));
    }
}
