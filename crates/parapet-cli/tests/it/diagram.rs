//! `parapet diagram`: drawn from real AWS Config items (testdata/config/rdk), every resource of
//! the drawn types is in the SVG, nested where its configuration puts it (checked from the SVG's
//! `data-kind` / `data-id` groups, against the items read independently); the same from a live
//! read of a layout built on moto; PNGs from the command, kept in `$CARGO_TARGET_TMPDIR/diagrams`.

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
    // The history: both days listed, the older one a link that shows it (without the planted
    // instance), its SVG downloadable, and the same days over the API.
    assert!(
        page.body.contains("id=\"diagram-history\"")
            && page
                .body
                .contains("href=\"/accounts/264683526309?day=2020-01-01\""),
        "{}",
        page.body
    );
    let old = server.get("/accounts/264683526309?day=2020-01-01");
    assert_eq!(old.status, 200);
    assert!(old.body.contains("Drawn 2020-01-01"), "{}", old.body);
    assert!(!old.body.contains("i-0planted00000001"), "{}", old.body);
    assert!(old
        .body
        .contains("data-kind=\"subnet\" data-id=\"subnet-29428871\""));
    assert_eq!(server.get("/accounts/264683526309?day=yesterday").status, 400);
    let svg = server.get("/accounts/264683526309/diagram.svg?day=2020-01-01");
    assert_eq!(svg.status, 200);
    assert_eq!(svg.header("content-type"), Some("image/svg+xml"));
    assert!(svg.body.starts_with("<svg") && !svg.body.contains("i-0planted00000001"));
    assert_eq!(
        server
            .get("/accounts/264683526309/diagram.svg?day=2019-12-31")
            .status,
        404
    );
    let days: serde_json::Value =
        serde_json::from_str(&server.get("/api/accounts/264683526309/diagrams").body).expect("json");
    let days = days.as_array().expect("array");
    assert_eq!(days.len(), 2, "{days:?}");
    assert_eq!(days[1]["day"], "2020-01-01");
    assert_eq!(
        days[0]["changes"]["added"],
        serde_json::json!(["instance i-0planted00000001"])
    );
    drop(server);

    // The same diagram as a PNG from the command, kept (looked at while writing this test).
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("diagrams");
    std::fs::create_dir_all(&shots).expect("mkdir");
    let png = shots.join("264683526309.png");
    ok(parapet()
        .arg("--data-dir")
        .arg(&data)
        .args(["--quiet", "diagram", "--account", "264683526309", "--out"])
        .arg(&png));
    let svg =
        ok(parapet()
            .arg("--data-dir")
            .arg(&data)
            .args(["--quiet", "diagram", "--account", "264683526309"]));
    assert_png(&png, &svg);
}

/// `png` is a PNG twice the SVG's size.
fn assert_png(png: &Path, svg: &str) {
    let bytes = std::fs::read(png).expect("png");
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "{}", png.display());
    let be = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().expect("4 bytes"));
    let attr = |name: &str| -> f64 {
        svg.split(&format!(" {name}=\""))
            .nth(1)
            .and_then(|v| v.split('"').next())
            .and_then(|v| v.parse().ok())
            .expect("svg size")
    };
    // IHDR: width and height right after the signature, length and type.
    assert_eq!(be(16), (attr("width") * 2.0).ceil() as u32);
    assert_eq!(be(20), (attr("height") * 2.0).ceil() as u32);
}

/// A group's chain of (kind) parents, outermost first, and its parent's id.
fn chain(placed: &[Placed], kind: &str, id: &str) -> Vec<Group> {
    placed
        .iter()
        .find(|(k, i, _)| k == kind && i == id)
        .unwrap_or_else(|| panic!("{kind} {id} is not drawn"))
        .2
        .clone()
}

#[test]
fn live_diagrams_of_a_moto_built_layout_nest_every_resource_and_report_a_planted_change() {
    let mut fx = crate::accounts::OrgFixture::start();
    let manifest = fx.cmd(serde_json::json!({"cmd": "build", "accounts": 55}));
    let tmp = tempfile::tempdir().expect("tmp");
    let data = tmp.path().join("data");
    ok(fx.parapet(&data).args(["--quiet", "accounts", "sync"]));
    let member = manifest["accounts"]
        .as_array()
        .expect("accounts")
        .iter()
        .find(|a| a["has_role"] == true && a["id"] != manifest["management"])
        .expect("a member with the role");
    let (account, name) = (
        member["id"].as_str().expect("id").to_string(),
        member["name"].as_str().expect("name").to_string(),
    );
    let layout = fx.cmd(serde_json::json!({"cmd": "plant_network", "account": account}));

    // Drawn by name, from the live read: every planted resource where the fixture put it.
    let svg_path = tmp.path().join("live.svg");
    ok(fx
        .parapet(&data)
        .args([
            "--quiet",
            "diagram",
            "--live",
            "--region",
            "us-east-1",
            "--account",
            &name,
            "--out",
        ])
        .arg(&svg_path));
    let svg = std::fs::read_to_string(&svg_path).expect("svg");
    assert!(
        svg.contains(&format!("Account {name} ({account})")),
        "the account is named"
    );
    let placed = groups(&svg);
    let planted = layout["placed"].as_array().expect("placed");
    assert_eq!(planted.len(), 12);
    for p in planted {
        let (kind, id) = (p["kind"].as_str().expect("kind"), p["id"].as_str().expect("id"));
        let mut want: Vec<Group> = vec![
            ("region".into(), "us-east-1".into()),
            ("vpc".into(), p["vpc"].as_str().expect("vpc").into()),
        ];
        if let (Some(az), Some(subnet)) = (p["az"].as_str(), p["subnet"].as_str()) {
            want.push(("az".into(), az.into()));
            want.push(("subnet".into(), subnet.into()));
        }
        let found = placed
            .iter()
            .filter(|(k, i, _)| k == kind && i == id)
            .map(|(_, _, c)| c.clone())
            .collect::<Vec<_>>();
        assert!(
            found.contains(&want),
            "{kind} {id}: expected in {want:?}, drawn in {found:?}"
        );
        let exposed: Vec<String> = p["exposed"]
            .as_array()
            .expect("exposed")
            .iter()
            .map(|e| e.as_str().expect("port").to_string())
            .collect();
        assert!(
            svg.contains(&format!(
                "data-kind=\"{kind}\" data-id=\"{id}\" data-exposed=\"{}\"",
                exposed.join(",")
            )),
            "{kind} {id} exposed {exposed:?}"
        );
    }
    // Every VPC and subnet of the account (moto's default VPC too), nested.
    for v in layout["vpcs"].as_array().expect("vpcs") {
        assert_eq!(
            chain(&placed, "vpc", v.as_str().expect("id")),
            vec![("region".to_string(), "us-east-1".to_string())]
        );
    }
    for s in layout["subnets"].as_array().expect("subnets") {
        let c = chain(&placed, "subnet", s["id"].as_str().expect("id"));
        assert_eq!(
            c[1],
            ("vpc".to_string(), s["vpc"].as_str().expect("vpc").to_string()),
            "{s}"
        );
        assert_eq!(
            c[2],
            ("az".to_string(), s["az"].as_str().expect("az").to_string()),
            "{s}"
        );
    }
    // Public and private by route, from the model.
    let model: serde_json::Value = serde_json::from_str(&ok(fx.parapet(&data).args([
        "--quiet",
        "diagram",
        "--live",
        "--region",
        "us-east-1",
        "--account",
        &account,
        "--json",
    ])))
    .expect("json");
    let mut public = BTreeMap::new();
    for v in model["regions"][0]["vpcs"].as_array().expect("vpcs") {
        for subnets in v["zones"].as_object().expect("zones").values() {
            for sn in subnets.as_array().expect("subnets") {
                public.insert(
                    sn["id"].as_str().expect("id").to_string(),
                    sn["public"].as_bool().expect("bool"),
                );
            }
        }
    }
    for p in planted.iter().filter(|p| p["subnet"].is_string()) {
        assert_eq!(
            public[p["subnet"].as_str().expect("id")],
            p["public"].as_bool().expect("bool"),
            "{p}"
        );
    }

    // The PNG, kept beside the other diagrams (looked at).
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("diagrams");
    std::fs::create_dir_all(&shots).expect("mkdir");
    let png = shots.join("moto-layout.png");
    ok(fx
        .parapet(&data)
        .args([
            "--quiet",
            "diagram",
            "--live",
            "--region",
            "us-east-1",
            "--account",
            &account,
            "--out",
        ])
        .arg(&png));
    assert_png(&png, &svg);

    // Saved on two days around a planted change: exactly that change.
    let save = |fx: &crate::accounts::OrgFixture, day: &str| -> serde_json::Value {
        serde_json::from_str(&ok(fx.parapet(&data).args([
            "--quiet",
            "diagram",
            "--live",
            "--save",
            "--region",
            "us-east-1",
            "--account",
            &name,
            "--day",
            day,
            "--json",
        ])))
        .expect("json")
    };
    let first = save(&fx, "2026-03-01");
    assert_eq!(first[0]["account_id"], account.as_str());
    let change = fx.cmd(serde_json::json!({"cmd": "change_network", "account": account}));
    let second = save(&fx, "2026-03-02");
    assert_eq!(
        second,
        serde_json::json!([{"account_id": account, "changes": {
            "added": [format!("instance {}", change["added"][0].as_str().expect("id"))],
            "removed": [format!("instance {}", change["removed"][0].as_str().expect("id"))],
            "exposure": [],
        }}])
    );

    // A list refused in the account: the rest is drawn, the call is named, exit 3, and the
    // day's diagram is not stored (the NAT gateway would read as removed); the day after, with
    // the call allowed again, nothing changed since the last stored diagram.
    fx.cmd(serde_json::json!({"cmd": "deny_nat", "account": account, "on": true}));
    let partial = fx
        .parapet(&data)
        .args([
            "diagram",
            "--live",
            "--save",
            "--region",
            "us-east-1",
            "--account",
            &account,
            "--day",
            "2026-03-03",
            "--json",
        ])
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&partial.stderr);
    assert_eq!(partial.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "not read: account {account} us-east-1: ec2:DescribeNatGateways: UnauthorizedOperation"
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains("read in part, today's diagram not stored"),
        "{stderr}"
    );
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&partial.stdout).expect("json"),
        serde_json::json!([])
    );
    fx.cmd(serde_json::json!({"cmd": "deny_nat", "account": account, "on": false}));
    let fourth = save(&fx, "2026-03-04");
    assert_eq!(
        fourth[0]["changes"],
        serde_json::json!({"added": [], "removed": [], "exposure": []}),
        "{fourth}"
    );

    // Every account at once: the ones whose role is missing are named, the rest drawn, exit 3.
    let all = tmp.path().join("all");
    let out = fx
        .parapet(&data)
        .args(["diagram", "--live", "--region", "us-east-1", "--out-dir"])
        .arg(&all)
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    let missing: Vec<&str> = manifest["missing_role"]
        .as_array()
        .expect("missing")
        .iter()
        .map(|a| a.as_str().expect("id"))
        .collect();
    assert!(!missing.is_empty());
    for m in &missing {
        assert!(
            stderr.contains(&format!("not read: account {m}: sts:AssumeRole")),
            "{m}: {stderr}"
        );
        assert!(!all.join(format!("{m}.svg")).exists());
    }
    let drawn = std::fs::read_dir(&all).expect("dir").count();
    assert_eq!(
        drawn,
        manifest["accounts"].as_array().expect("accounts").len() - missing.len()
    );
    assert!(std::fs::read_to_string(all.join(format!("{account}.svg")))
        .expect("svg")
        .contains("data-kind=\"load_balancer\""));
}
