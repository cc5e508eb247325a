//! Reading an account's network layout live, through the same assumed roles as the baseline:
//! per region its VPCs, subnets, route tables, internet and NAT gateways, transit gateway VPC
//! attachments, peerings, security groups, instances, RDS instances, Lambda functions and v2
//! load balancers, each as an AWS Config–shaped item ([`ConfigItem`] with delivery `Item`, its
//! `configuration` in Config's camelCase keys). Whoever draws or judges Config's inventory reads
//! a live account the same way. A list whose call failed is named in [`AccountNetwork::unread`];
//! the rest of the account is still read.

use std::sync::Arc;

use aws_config::SdkConfig;
use parapet_model::config_item::{ConfigDelivery, ConfigItem};
use parapet_model::AccountId;
use serde_json::{json, Map, Value};

use crate::access::{AccessError, AccessSettings, SessionStats, Sessions};
use crate::baseline::Progress;
use crate::failed;
use crate::{AwsError, AwsSettings};

/// What was read.
#[derive(Clone, Debug)]
pub struct NetworkRead {
    /// One per account that could be entered, sorted by account.
    pub accounts: Vec<AccountNetwork>,
    pub access_errors: Vec<AccessError>,
    pub sessions: SessionStats,
}

/// One account's network, every region read.
#[derive(Clone, Debug)]
pub struct AccountNetwork {
    pub account_id: AccountId,
    /// Config-shaped items, by region then resource type and id.
    pub items: Vec<ConfigItem>,
    /// Lists that could not be read, as `region: call: error`.
    pub unread: Vec<String>,
}

/// Reads the network layout of each of `accounts` in each of `regions` (blocking); `now_ms`
/// stamps the items' capture time.
pub fn read_network(
    settings: &AwsSettings,
    access: &AccessSettings,
    accounts: &[AccountId],
    regions: &[String],
    now_ms: i64,
    progress: Progress,
) -> Result<NetworkRead, AwsError> {
    let regions: Arc<[String]> = regions.into();
    let (results, sessions) = crate::through_roles(
        "parapet-network",
        settings,
        access,
        accounts,
        progress,
        "network",
        move |sessions, account| {
            let regions = regions.clone();
            async move { read_account(&sessions, account, &regions, now_ms).await }
        },
    )?;
    let mut out = Vec::new();
    let mut access_errors = Vec::new();
    for r in results {
        match r {
            Ok(n) => out.push(n),
            Err(e) => access_errors.push(e),
        }
    }
    out.sort_by_key(|n| n.account_id);
    access_errors.sort_by_key(|e| e.account_id);
    Ok(NetworkRead {
        accounts: out,
        access_errors,
        sessions,
    })
}

async fn read_account(
    sessions: &Arc<Sessions>,
    account: AccountId,
    regions: &Arc<[String]>,
    now_ms: i64,
) -> Result<AccountNetwork, AccessError> {
    // Entering the account once first: a role that cannot be assumed is one access error,
    // not one per region.
    if let Some(first) = regions.first() {
        sessions.config_for(account, first).await?;
    }
    let regional = sessions
        .each_region(account, regions, move |config, region, _| async move {
            match config {
                Ok(config) => read_region(&config, account, &region, now_ms).await,
                Err(e) => (Vec::new(), vec![format!("{region}: {e}")]),
            }
        })
        .await;
    let (mut items, mut unread) = (Vec::new(), Vec::new());
    for (i, u) in regional {
        items.extend(i);
        unread.extend(u);
    }
    items.sort_by(|a: &ConfigItem, b: &ConfigItem| {
        (&a.region, &a.resource_type, &a.resource_id).cmp(&(&b.region, &b.resource_type, &b.resource_id))
    });
    unread.sort();
    Ok(AccountNetwork {
        account_id: account,
        items,
        unread,
    })
}

/// Every page of a paginated list call, or `call: error`.
macro_rules! every {
    ($call:literal, $request:expr) => {
        $request
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(|e| failed($call, e))
    };
}

/// Builds the items of one region: one shape per resource type.
struct Region<'a> {
    account: AccountId,
    region: &'a str,
    now_ms: i64,
}

impl Region<'_> {
    /// A Config item of `resource_type` whose configuration is `configuration`; `tags` are
    /// the resource's (Config keeps them twice: as a map on the item and, for EC2, in the
    /// configuration).
    fn item(
        &self,
        resource_type: &str,
        resource_id: &str,
        arn: Option<String>,
        tags: Map<String, Value>,
        configuration: Value,
    ) -> ConfigItem {
        let name = tags.get("Name").and_then(Value::as_str).map(str::to_string);
        let tags = Value::Object(tags);
        let raw = json!({
            "configurationItemCaptureTime": parapet_model::time::format_rfc3339_secs(self.now_ms),
            "configurationItemStatus": "OK",
            "awsAccountId": self.account.as_str(),
            "awsRegion": self.region,
            "resourceType": resource_type,
            "resourceId": resource_id,
            "resourceName": name,
            "ARN": arn,
            "tags": tags,
            "configuration": configuration,
        });
        ConfigItem {
            capture_time_ms: self.now_ms,
            status: Some("OK".into()),
            account_id: Some(self.account.as_str().to_string()),
            region: Some(self.region.to_string()),
            resource_type: resource_type.to_string(),
            resource_id: resource_id.to_string(),
            resource_name: name,
            arn,
            availability_zone: None,
            resource_creation_time_ms: None,
            state_id: None,
            state_hash: None,
            item_version: None,
            tags: Some(tags.to_string()),
            relationships: None,
            related_events: None,
            configuration: Some(configuration.to_string()),
            supplementary_configuration: None,
            delivery: ConfigDelivery::Item,
            change_type: None,
            snapshot_id: None,
            oversized_location: None,
            raw: raw.to_string(),
        }
    }

    fn arn(&self, service: &str, resource: &str) -> String {
        format!(
            "arn:aws:{service}:{}:{}:{resource}",
            self.region,
            self.account.as_str()
        )
    }
}

fn tag_map(tags: &[aws_sdk_ec2::types::Tag]) -> Map<String, Value> {
    tags.iter()
        .filter_map(|t| Some((t.key()?.to_string(), Value::from(t.value().unwrap_or_default()))))
        .collect()
}

/// EC2 tags as Config writes them inside a configuration.
fn tag_list(tags: &[aws_sdk_ec2::types::Tag]) -> Value {
    tags.iter()
        .map(|t| json!({"key": t.key(), "value": t.value()}))
        .collect()
}

fn ip_permissions(perms: &[aws_sdk_ec2::types::IpPermission]) -> Value {
    perms
        .iter()
        .map(|p| {
            json!({
                "ipProtocol": p.ip_protocol(),
                "fromPort": p.from_port(),
                "toPort": p.to_port(),
                "ipv4Ranges": p.ip_ranges().iter().map(|r| json!({"cidrIp": r.cidr_ip()})).collect::<Vec<_>>(),
                "ipv6Ranges": p.ipv6_ranges().iter().map(|r| json!({"cidrIpv6": r.cidr_ipv6()})).collect::<Vec<_>>(),
                "userIdGroupPairs": p.user_id_group_pairs().iter()
                    .map(|g| json!({"groupId": g.group_id(), "userId": g.user_id()}))
                    .collect::<Vec<_>>(),
                "prefixListIds": p.prefix_list_ids().iter()
                    .map(|l| json!({"prefixListId": l.prefix_list_id()}))
                    .collect::<Vec<_>>(),
            })
        })
        .collect()
}

/// One region's items and the lists that could not be read.
async fn read_region(
    config: &SdkConfig,
    account: AccountId,
    region: &str,
    now_ms: i64,
) -> (Vec<ConfigItem>, Vec<String>) {
    let r = Region {
        account,
        region,
        now_ms,
    };
    let ec2 = aws_sdk_ec2::Client::new(config);
    let lists = tokio::join!(
        vpcs(&r, &ec2),
        subnets(&r, &ec2),
        route_tables(&r, &ec2),
        internet_gateways(&r, &ec2),
        nat_gateways(&r, &ec2),
        transit_gateway_attachments(&r, &ec2),
        peerings(&r, &ec2),
        security_groups(&r, &ec2),
        instances(&r, &ec2),
        db_instances(&r, config),
        functions(&r, config),
        load_balancers(&r, config),
    );
    let (mut items, mut unread) = (Vec::new(), Vec::new());
    for list in [
        lists.0, lists.1, lists.2, lists.3, lists.4, lists.5, lists.6, lists.7, lists.8, lists.9, lists.10,
        lists.11,
    ] {
        match list {
            Ok(i) => items.extend(i),
            Err(e) => unread.push(format!("{region}: {e}")),
        }
    }
    (items, unread)
}

type Items = Result<Vec<ConfigItem>, String>;

async fn vpcs(r: &Region<'_>, ec2: &aws_sdk_ec2::Client) -> Items {
    let vpcs = every!("ec2:DescribeVpcs", ec2.describe_vpcs())?;
    Ok(vpcs
        .iter()
        .filter_map(|v| {
            let id = v.vpc_id()?;
            Some(r.item(
                "AWS::EC2::VPC",
                id,
                Some(r.arn("ec2", &format!("vpc/{id}"))),
                tag_map(v.tags()),
                json!({
                    "vpcId": id,
                    "cidrBlock": v.cidr_block(),
                    "isDefault": v.is_default(),
                    "state": v.state().map(|s| s.as_str()),
                    "tags": tag_list(v.tags()),
                }),
            ))
        })
        .collect())
}

async fn subnets(r: &Region<'_>, ec2: &aws_sdk_ec2::Client) -> Items {
    let subnets = every!("ec2:DescribeSubnets", ec2.describe_subnets())?;
    Ok(subnets
        .iter()
        .filter_map(|s| {
            let id = s.subnet_id()?;
            Some(r.item(
                "AWS::EC2::Subnet",
                id,
                s.subnet_arn().map(String::from),
                tag_map(s.tags()),
                json!({
                    "subnetId": id,
                    "vpcId": s.vpc_id(),
                    "availabilityZone": s.availability_zone(),
                    "cidrBlock": s.cidr_block(),
                    "mapPublicIpOnLaunch": s.map_public_ip_on_launch(),
                    "tags": tag_list(s.tags()),
                }),
            ))
        })
        .collect())
}

async fn route_tables(r: &Region<'_>, ec2: &aws_sdk_ec2::Client) -> Items {
    let tables = every!("ec2:DescribeRouteTables", ec2.describe_route_tables())?;
    Ok(tables
        .iter()
        .filter_map(|t| {
            let id = t.route_table_id()?;
            let routes: Vec<Value> = t
                .routes()
                .iter()
                .map(|x| {
                    json!({
                        "destinationCidrBlock": x.destination_cidr_block(),
                        "destinationIpv6CidrBlock": x.destination_ipv6_cidr_block(),
                        "gatewayId": x.gateway_id(),
                        "natGatewayId": x.nat_gateway_id(),
                        "transitGatewayId": x.transit_gateway_id(),
                        "vpcPeeringConnectionId": x.vpc_peering_connection_id(),
                        "state": x.state().map(|s| s.as_str()),
                    })
                })
                .collect();
            let associations: Vec<Value> = t
                .associations()
                .iter()
                .map(|a| {
                    json!({
                        "routeTableAssociationId": a.route_table_association_id(),
                        "subnetId": a.subnet_id(),
                        "gatewayId": a.gateway_id(),
                        "main": a.main(),
                    })
                })
                .collect();
            Some(r.item(
                "AWS::EC2::RouteTable",
                id,
                Some(r.arn("ec2", &format!("route-table/{id}"))),
                tag_map(t.tags()),
                json!({
                    "routeTableId": id,
                    "vpcId": t.vpc_id(),
                    "routes": routes,
                    "associations": associations,
                    "tags": tag_list(t.tags()),
                }),
            ))
        })
        .collect())
}

async fn internet_gateways(r: &Region<'_>, ec2: &aws_sdk_ec2::Client) -> Items {
    let igws = every!("ec2:DescribeInternetGateways", ec2.describe_internet_gateways())?;
    Ok(igws
        .iter()
        .filter_map(|g| {
            let id = g.internet_gateway_id()?;
            let attachments: Vec<Value> = g
                .attachments()
                .iter()
                .map(|a| json!({"vpcId": a.vpc_id(), "state": a.state().map(|s| s.as_str())}))
                .collect();
            Some(r.item(
                "AWS::EC2::InternetGateway",
                id,
                Some(r.arn("ec2", &format!("internet-gateway/{id}"))),
                tag_map(g.tags()),
                json!({"internetGatewayId": id, "attachments": attachments, "tags": tag_list(g.tags())}),
            ))
        })
        .collect())
}

async fn nat_gateways(r: &Region<'_>, ec2: &aws_sdk_ec2::Client) -> Items {
    let nats = every!("ec2:DescribeNatGateways", ec2.describe_nat_gateways())?;
    Ok(nats
        .iter()
        .filter(|n| {
            n.state()
                .is_none_or(|s| !matches!(s.as_str(), "deleted" | "deleting" | "failed"))
        })
        .filter_map(|n| {
            let id = n.nat_gateway_id()?;
            let addresses: Vec<Value> = n
                .nat_gateway_addresses()
                .iter()
                .map(|a| json!({"publicIp": a.public_ip(), "privateIp": a.private_ip()}))
                .collect();
            Some(r.item(
                "AWS::EC2::NatGateway",
                id,
                Some(r.arn("ec2", &format!("natgateway/{id}"))),
                tag_map(n.tags()),
                json!({
                    "natGatewayId": id,
                    "subnetId": n.subnet_id(),
                    "vpcId": n.vpc_id(),
                    "state": n.state().map(|s| s.as_str()),
                    "connectivityType": n.connectivity_type().map(|c| c.as_str()),
                    "natGatewayAddresses": addresses,
                    "tags": tag_list(n.tags()),
                }),
            ))
        })
        .collect())
}

async fn transit_gateway_attachments(r: &Region<'_>, ec2: &aws_sdk_ec2::Client) -> Items {
    let attachments = every!(
        "ec2:DescribeTransitGatewayVpcAttachments",
        ec2.describe_transit_gateway_vpc_attachments()
    )?;
    Ok(attachments
        .iter()
        .filter(|a| {
            a.state()
                .is_none_or(|s| !matches!(s.as_str(), "deleted" | "deleting" | "failed" | "rejected"))
        })
        .filter_map(|a| {
            let id = a.transit_gateway_attachment_id()?;
            Some(r.item(
                "AWS::EC2::TransitGatewayAttachment",
                id,
                Some(r.arn("ec2", &format!("transit-gateway-attachment/{id}"))),
                tag_map(a.tags()),
                json!({
                    "transitGatewayAttachmentId": id,
                    "transitGatewayId": a.transit_gateway_id(),
                    "vpcId": a.vpc_id(),
                    "vpcOwnerId": a.vpc_owner_id(),
                    "subnetIds": a.subnet_ids(),
                    "state": a.state().map(|s| s.as_str()),
                    "tags": tag_list(a.tags()),
                }),
            ))
        })
        .collect())
}

async fn peerings(r: &Region<'_>, ec2: &aws_sdk_ec2::Client) -> Items {
    let peerings = every!(
        "ec2:DescribeVpcPeeringConnections",
        ec2.describe_vpc_peering_connections()
    )?;
    let side = |v: Option<&aws_sdk_ec2::types::VpcPeeringConnectionVpcInfo>| {
        v.map(|v| {
            json!({"vpcId": v.vpc_id(), "ownerId": v.owner_id(), "region": v.region(), "cidrBlock": v.cidr_block()})
        })
    };
    Ok(peerings
        .iter()
        .filter(|p| {
            p.status()
                .and_then(|s| s.code())
                .is_none_or(|c| !matches!(c.as_str(), "deleted" | "rejected" | "failed" | "expired"))
        })
        .filter_map(|p| {
            let id = p.vpc_peering_connection_id()?;
            Some(r.item(
                "AWS::EC2::VPCPeeringConnection",
                id,
                Some(r.arn("ec2", &format!("vpc-peering-connection/{id}"))),
                tag_map(p.tags()),
                json!({
                    "vpcPeeringConnectionId": id,
                    "requesterVpcInfo": side(p.requester_vpc_info()),
                    "accepterVpcInfo": side(p.accepter_vpc_info()),
                    "status": {"code": p.status().and_then(|s| s.code()).map(|c| c.as_str())},
                    "tags": tag_list(p.tags()),
                }),
            ))
        })
        .collect())
}

async fn security_groups(r: &Region<'_>, ec2: &aws_sdk_ec2::Client) -> Items {
    let groups = every!("ec2:DescribeSecurityGroups", ec2.describe_security_groups())?;
    Ok(groups
        .iter()
        .filter_map(|g| {
            let id = g.group_id()?;
            Some(
                r.item(
                    "AWS::EC2::SecurityGroup",
                    id,
                    g.security_group_arn()
                        .map(String::from)
                        .or_else(|| Some(r.arn("ec2", &format!("security-group/{id}")))),
                    tag_map(g.tags()),
                    json!({
                        "groupId": id,
                        "groupName": g.group_name(),
                        "vpcId": g.vpc_id(),
                        "ipPermissions": ip_permissions(g.ip_permissions()),
                        "ipPermissionsEgress": ip_permissions(g.ip_permissions_egress()),
                        "tags": tag_list(g.tags()),
                    }),
                ),
            )
        })
        .collect())
}

async fn instances(r: &Region<'_>, ec2: &aws_sdk_ec2::Client) -> Items {
    let reservations = every!("ec2:DescribeInstances", ec2.describe_instances())?;
    Ok(reservations
        .iter()
        .flat_map(|x| x.instances())
        .filter(|i| {
            i.state()
                .and_then(|s| s.name())
                .is_none_or(|n| n.as_str() != "terminated")
        })
        .filter_map(|i| {
            let id = i.instance_id()?;
            let groups: Vec<Value> = i
                .security_groups()
                .iter()
                .map(|g| json!({"groupId": g.group_id(), "groupName": g.group_name()}))
                .collect();
            Some(r.item(
                "AWS::EC2::Instance",
                id,
                Some(r.arn("ec2", &format!("instance/{id}"))),
                tag_map(i.tags()),
                json!({
                    "instanceId": id,
                    "instanceType": i.instance_type().map(|t| t.as_str()),
                    "subnetId": i.subnet_id(),
                    "vpcId": i.vpc_id(),
                    "privateIpAddress": i.private_ip_address(),
                    "publicIpAddress": i.public_ip_address(),
                    "placement": {"availabilityZone": i.placement().and_then(|p| p.availability_zone())},
                    "state": {"name": i.state().and_then(|s| s.name()).map(|n| n.as_str())},
                    "securityGroups": groups,
                    "tags": tag_list(i.tags()),
                }),
            ))
        })
        .collect())
}

async fn db_instances(r: &Region<'_>, config: &SdkConfig) -> Items {
    let rds = aws_sdk_rds::Client::new(config);
    let dbs = every!("rds:DescribeDBInstances", rds.describe_db_instances())?;
    Ok(dbs
        .iter()
        .filter_map(|d| {
            let name = d.db_instance_identifier()?;
            // Config names an RDS instance by its resource id (`db-…`).
            let id = d.dbi_resource_id().unwrap_or(name);
            let group = d.db_subnet_group().map(|g| {
                json!({
                    "dBSubnetGroupName": g.db_subnet_group_name(),
                    "vpcId": g.vpc_id(),
                    "subnets": g.subnets().iter().map(|s| json!({
                        "subnetIdentifier": s.subnet_identifier(),
                        "subnetAvailabilityZone": {"name": s.subnet_availability_zone().and_then(|z| z.name())},
                    })).collect::<Vec<_>>(),
                })
            });
            let groups: Vec<Value> = d
                .vpc_security_groups()
                .iter()
                .map(|g| json!({"vpcSecurityGroupId": g.vpc_security_group_id(), "status": g.status()}))
                .collect();
            let tags: Map<String, Value> = d
                .tag_list()
                .iter()
                .filter_map(|t| Some((t.key()?.to_string(), Value::from(t.value().unwrap_or_default()))))
                .collect();
            Some(r.item(
                "AWS::RDS::DBInstance",
                id,
                d.db_instance_arn().map(String::from),
                tags,
                json!({
                    "dBInstanceIdentifier": name,
                    "dBInstanceClass": d.db_instance_class(),
                    "engine": d.engine(),
                    "dBInstanceStatus": d.db_instance_status(),
                    "publiclyAccessible": d.publicly_accessible(),
                    "dBSubnetGroup": group,
                    "vpcSecurityGroups": groups,
                }),
            ))
        })
        .collect())
}

async fn functions(r: &Region<'_>, config: &SdkConfig) -> Items {
    let lambda = aws_sdk_lambda::Client::new(config);
    let fns = every!("lambda:ListFunctions", lambda.list_functions())?;
    Ok(fns
        .iter()
        .filter_map(|f| {
            let name = f.function_name()?;
            let vpc = f.vpc_config().filter(|v| !v.subnet_ids().is_empty()).map(|v| {
                json!({
                    "subnetIds": v.subnet_ids(),
                    "securityGroupIds": v.security_group_ids(),
                    "vpcId": v.vpc_id(),
                })
            });
            let mut configuration = json!({
                "functionName": name,
                "functionArn": f.function_arn(),
                "runtime": f.runtime().map(|x| x.as_str()),
            });
            if let (Some(vpc), Some(obj)) = (vpc, configuration.as_object_mut()) {
                obj.insert("vpcConfig".into(), vpc);
            }
            // Config names a function by its name.
            Some(r.item(
                "AWS::Lambda::Function",
                name,
                f.function_arn().map(String::from),
                Map::new(),
                configuration,
            ))
        })
        .collect())
}

async fn load_balancers(r: &Region<'_>, config: &SdkConfig) -> Items {
    let elb = aws_sdk_elasticloadbalancingv2::Client::new(config);
    let lbs = every!(
        "elasticloadbalancing:DescribeLoadBalancers",
        elb.describe_load_balancers()
    )?;
    Ok(lbs
        .iter()
        .filter_map(|lb| {
            // Config names a v2 load balancer by its ARN.
            let arn = lb.load_balancer_arn()?;
            let zones: Vec<Value> = lb
                .availability_zones()
                .iter()
                .map(|z| json!({"zoneName": z.zone_name(), "subnetId": z.subnet_id()}))
                .collect();
            Some(r.item(
                "AWS::ElasticLoadBalancingV2::LoadBalancer",
                arn,
                Some(arn.to_string()),
                Map::new(),
                json!({
                    "loadBalancerArn": arn,
                    "loadBalancerName": lb.load_balancer_name(),
                    "scheme": lb.scheme().map(|s| s.as_str()),
                    "type": lb.r#type().map(|t| t.as_str()),
                    "vpcId": lb.vpc_id(),
                    "dNSName": lb.dns_name(),
                    "availabilityZones": zones,
                    "securityGroups": lb.security_groups(),
                }),
            ))
        })
        .collect())
}
