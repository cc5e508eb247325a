//! `parapet diagram`: drawn from real AWS Config items (testdata/config/rdk), every resource of
//! the drawn types is in the SVG, nested where its configuration puts it (checked from the SVG's
//! `data-kind` / `data-id` groups, against the items read independently); a PNG is rendered
//! with Chromium and kept beside the browser test's screenshots.

use std::collections::BTreeMap;
use std::path::Path;

use crate::support::{ok, parapet};

/// A group's (kind, id).
type Group = (String, String);
/// A group and the groups around it, outermost first.
type Placed = (String, String, Vec<Group>);

/// Every `<g data-kind=K data-id=I>` of an SVG with the chain of groups around it.
fn groups(svg: &str) -> Vec<Placed> {
    let mut out = Vec::new();
    let mut stack: Vec<(String, String)> = Vec::new();
    let mut rest = svg;
    while let Some(i) = rest.find('<') {
        rest = &rest[i..];
        if let Some(after) = rest.strip_prefix("</g>") {
            stack.pop();
            rest = after;
            continue;
        }
        if rest.starts_with("<g ") {
            let end = rest.find('>').expect("tag end");
            let tag = &rest[..end];
            let attr = |name: &str| {
                tag.split(&format!("{name}=\""))
                    .nth(1)
                    .and_then(|s| s.split('"').next())
                    .unwrap_or("")
                    .to_string()
            };
            let (kind, id) = (attr("data-kind"), attr("data-id"));
            out.push((kind.clone(), id.clone(), stack.clone()));
            stack.push((kind, id));
            rest = &rest[end..];
            continue;
        }
        rest = &rest[1..];
    }
    assert!(stack.is_empty(), "unbalanced groups");
    out
}

/// The sample items: (type, account, region, resource id, configuration).
fn samples() -> Vec<(String, String, String, String, serde_json::Value)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/config/rdk");
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).expect("samples") {
        let text = std::fs::read_to_string(e.expect("entry").path()).expect("read");
        let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) else {
            continue; // the two invalid files
        };
        let items = match v {
            serde_json::Value::Array(a) => a,
            one => vec![one],
        };
        for i in items {
            let (Some(t), Some(a), Some(r)) = (
                i["resourceType"].as_str(),
                i["awsAccountId"].as_str().or(i["accountId"].as_str()),
                i["awsRegion"].as_str(),
            ) else {
                continue;
            };
            let id = i["resourceId"].as_str().unwrap_or_default().to_string();
            out.push((
                t.to_string(),
                a.to_string(),
                r.to_string(),
                id,
                i["configuration"].clone(),
            ));
        }
    }
    out
}

#[test]
fn diagrams_from_config_items_nest_every_resource_where_it_lives() {
    let tmp = tempfile::tempdir().expect("tmp");
    let data = tmp.path().join("data");
    let rdk = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/config/rdk");
    let _ = parapet()
        .arg("--data-dir")
        .arg(&data)
        .args(["--quiet", "ingest"])
        .arg(&rdk)
        .output()
        .expect("ingest runs");
    let out = tmp.path().join("diagrams");
    ok(parapet()
        .arg("--data-dir")
        .arg(&data)
        .args(["--quiet", "diagram", "--out-dir"])
        .arg(&out));
    let mut svgs: BTreeMap<String, Vec<Placed>> = BTreeMap::new();
    for e in std::fs::read_dir(&out).expect("out") {
        let p = e.expect("entry").path();
        let account = p.file_stem().expect("stem").to_string_lossy().to_string();
        svgs.insert(account, groups(&std::fs::read_to_string(&p).expect("svg")));
    }
    let find = |account: &str, kind: &str, id: &str| {
        svgs.get(account)
            .and_then(|g| g.iter().find(|(k, i, _)| k == kind && i == id))
            .unwrap_or_else(|| panic!("{kind} {id} is not in {account}'s diagram"))
            .2
            .clone()
    };
    let subnets: BTreeMap<String, (String, String)> = samples()
        .into_iter()
        .filter(|s| s.0 == "AWS::EC2::Subnet")
        .map(|(_, _, _, _, c)| {
            (
                c["subnetId"].as_str().unwrap_or_default().to_string(),
                (
                    c["vpcId"].as_str().unwrap_or_default().to_string(),
                    c["availabilityZone"].as_str().unwrap_or_default().to_string(),
                ),
            )
        })
        .collect();
    let mut checked = 0;
    for (t, account, region, resource_id, c) in samples() {
        let chain: Vec<(String, String)>;
        let expect_in = |chain: &[(String, String)], kind: &str, id: &str| {
            assert!(
                chain.iter().any(|(k, i)| k == kind && i == id),
                "{t} of {account} should sit in {kind} {id}: {chain:?}"
            );
        };
        match t.as_str() {
            "AWS::EC2::VPC" => {
                chain = find(&account, "vpc", c["vpcId"].as_str().expect("vpcId"));
                expect_in(&chain, "region", &region);
            }
            "AWS::EC2::Subnet" => {
                let id = c["subnetId"].as_str().expect("subnetId");
                chain = find(&account, "subnet", id);
                expect_in(&chain, "vpc", c["vpcId"].as_str().expect("vpc"));
                expect_in(&chain, "az", c["availabilityZone"].as_str().expect("az"));
            }
            "AWS::EC2::Instance" => {
                chain = find(&account, "instance", c["instanceId"].as_str().expect("id"));
                let subnet = c["subnetId"].as_str().expect("subnet");
                match subnets.get(subnet) {
                    Some((vpc, _)) => {
                        expect_in(&chain, "subnet", subnet);
                        expect_in(&chain, "vpc", vpc);
                    }
                    None => expect_in(&chain, "vpc", c["vpcId"].as_str().expect("vpc")),
                }
            }
            "AWS::EC2::InternetGateway" => {
                for a in c["attachments"].as_array().into_iter().flatten() {
                    let igw = c["internetGatewayId"].as_str().expect("id");
                    let at = find(&account, "internet_gateway", igw);
                    expect_in(&at, "vpc", a["vpcId"].as_str().expect("vpc"));
                }
                checked += 1;
                continue;
            }
            "AWS::EC2::NatGateway" => {
                chain = find(&account, "nat_gateway", c["natGatewayId"].as_str().expect("id"));
                expect_in(&chain, "vpc", c["vpcId"].as_str().expect("vpc"));
            }
            "AWS::ElasticLoadBalancingV2::LoadBalancer" => {
                chain = find(&account, "load_balancer", &resource_id);
                expect_in(&chain, "vpc", c["vpcId"].as_str().expect("vpc"));
                checked += 1;
                continue;
            }
            "AWS::EC2::VPCPeeringConnection" => {
                for side in ["requesterVpcInfo", "accepterVpcInfo"] {
                    if let Some(vpc) = c[side]["vpcId"].as_str() {
                        let g = svgs.get(&account).expect("diagram");
                        assert!(
                            g.iter().any(|(k, _, ch)| k == "peering"
                                && ch.iter().any(|(ck, ci)| ck == "vpc" && ci == vpc)),
                            "the peering is drawn on {vpc}"
                        );
                    }
                }
                checked += 1;
                continue;
            }
            _ => continue,
        }
        checked += 1;
    }
    assert!(checked >= 7, "only {checked} resources checked");

    // Stored daily: yesterday's, then a planted change (a new instance in the public subnet,
    // behind a world-open group), then today's, which says exactly that.
    ok(parapet()
        .arg("--data-dir")
        .arg(&data)
        .args(["--quiet", "diagram", "--save", "--day", "2020-01-01"]));
    let planted = tmp.path().join("planted");
    std::fs::create_dir_all(&planted).expect("mkdir");
    std::fs::write(
        planted.join("new_instance.json"),
        serde_json::json!([
            {"version": "1.3", "accountId": "264683526309", "configurationItemCaptureTime": "2026-11-30T10:00:00.000Z",
             "configurationItemStatus": "ResourceDiscovered", "resourceType": "AWS::EC2::Instance", "resourceId": "i-0planted00000001",
             "awsRegion": "us-east-1", "tags": {"Name": "planted"}, "relationships": [],
             "configuration": {"instanceId": "i-0planted00000001", "subnetId": "subnet-29428871", "vpcId": "vpc-0990dc6d",
                                "securityGroups": [{"groupId": "sg-0planted"}], "instanceType": "t3.micro"}},
            {"version": "1.3", "accountId": "264683526309", "configurationItemCaptureTime": "2026-11-30T10:00:00.000Z",
             "configurationItemStatus": "ResourceDiscovered", "resourceType": "AWS::EC2::SecurityGroup", "resourceId": "sg-0planted",
             "awsRegion": "us-east-1", "tags": {}, "relationships": [],
             "configuration": {"groupId": "sg-0planted", "vpcId": "vpc-0990dc6d",
                                "ipPermissions": [{"ipProtocol": "tcp", "fromPort": 3389, "toPort": 3389, "ipv4Ranges": [{"cidrIp": "0.0.0.0/0"}]}]}}
        ])
        .to_string(),
    )
    .expect("write");
    let _ = parapet()
        .arg("--data-dir")
        .arg(&data)
        .args(["--quiet", "ingest"])
        .arg(&planted)
        .output()
        .expect("ingest");
    let saved: Vec<serde_json::Value> = serde_json::from_str(&ok(parapet()
        .arg("--data-dir")
        .arg(&data)
        .args(["--quiet", "diagram", "--save", "--json"])))
    .expect("json");
    for s in &saved {
        let expected = if s["account_id"] == "264683526309" {
            serde_json::json!({"added": ["instance i-0planted00000001"], "removed": [], "exposure": []})
        } else {
            serde_json::json!({"added": [], "removed": [], "exposure": []})
        };
        assert_eq!(s["changes"], expected, "{s}");
    }
    // The account page shows the diagram and the change.
    let server = crate::serve::Server::start({
        let mut c = parapet();
        c.arg("--data-dir")
            .arg(&data)
            .args(["--quiet", "serve", "--bind", "127.0.0.1:0"]);
        c
    });
    let page = server.get("/accounts/264683526309");
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("1 added, 0 removed, 0 exposure changed"),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains("data-id=\"i-0planted00000001\" data-exposed=\"3389\""),
        "{}",
        page.body
    );
    drop(server);

    // A PNG of one diagram, rendered by Chromium and kept (looked at while writing this test).
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("diagrams");
    std::fs::create_dir_all(&shots).expect("mkdir");
    let svg = out.join("264683526309.svg");
    let png = shots.join("264683526309.png");
    let status = std::process::Command::new("/usr/bin/chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--window-size=900,700",
        ])
        .arg(format!("--screenshot={}", png.display()))
        .arg(format!("file://{}", svg.display()))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .expect("chromium runs (scripts/test-deps installs it)");
    assert!(status.success());
    let bytes = std::fs::read(&png).expect("png");
    assert!(bytes.starts_with(b"\x89PNG") && bytes.len() > 5_000);
}
