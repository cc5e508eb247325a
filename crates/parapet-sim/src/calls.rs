//! Renders one background API call from its spec: identity, parameters, response, errors.
//!
//! Everything variable is drawn from the spec's own seed, so a record can be rendered at any
//! time, in any order, and always comes out the same.

use std::fmt::Write as _;

use crate::account::AccountCtx;
use crate::catalog::{Api, Deny, Fail, Host, P};
use crate::principals::{Actor, Kind, Runtime, CONSOLE_AGENT};
use crate::record::{push_aws_date, write_record, Record};
use crate::rng::{mix, Rng};

const KMS: &str = "kms.amazonaws.com";

/// Scratch buffers reused across records.
#[derive(Default)]
pub(crate) struct Scratch {
    identity: String,
    request: String,
    response: String,
    additional: String,
    resources: String,
    message: String,
    request_id: String,
    event_id: String,
    host: String,
    resource_arn: String,
}

/// A stable IAM-style unique id for a name (the same role always has the same `AROA…`).
pub(crate) fn stable_id(prefix: &str, name: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    let mut rng = Rng::new(h);
    format!("{prefix}{}", rng.upper_alnum(17))
}

fn pick<'s>(rng: &mut Rng, items: &'s [String], fallback: &'s str) -> &'s str {
    if items.is_empty() {
        fallback
    } else {
        items[rng.index(items.len())].as_str()
    }
}

/// A short fake STS session token (real ones are ~800 characters of base64).
fn push_session_token(out: &mut String, rng: &mut Rng) {
    out.push_str("IQoJb3JpZ2luX2VjE");
    out.push_str(&rng.alnum(60));
}

/// Writes one background API call.
#[allow(clippy::too_many_arguments)]
pub(crate) fn render_api(
    ctx: &AccountCtx<'_>,
    s: &mut Scratch,
    out: &mut String,
    t: i64,
    region: &str,
    api: &Api,
    actor: &Actor,
    fail: Fail,
    seed: u64,
) {
    let mut rng = Rng::new(seed);
    let id = ctx.id;
    for b in [
        &mut s.identity,
        &mut s.request,
        &mut s.response,
        &mut s.additional,
        &mut s.resources,
        &mut s.message,
        &mut s.request_id,
        &mut s.event_id,
        &mut s.host,
        &mut s.resource_arn,
    ] {
        b.clear();
    }
    actor.write_identity(&mut s.identity, t);
    let agent = *rng.pick(&actor.agents);
    let ip = rng.pick(&actor.ips).as_str();
    let mut request: Option<()> = Some(());
    let mut response = false;
    let mut additional = false;
    let mut resources = false;
    let mut not_found: Option<(&str, String)> = None;
    let mut bucket = "";
    let req = &mut s.request;
    let inv = &ctx.inv;
    match api.p {
        P::Null => request = None,
        P::Lit(text) => req.push_str(text),
        P::Ec2Instances => {
            if !inv.instances.is_empty() && rng.chance(0.4) {
                let _ = write!(
                    req,
                    r#"{{"instancesSet":{{"items":[{{"instanceId":"{}"}}]}},"filterSet":{{}}}}"#,
                    pick(&mut rng, &inv.instances, "")
                );
            } else {
                req.push_str(r#"{"instancesSet":{},"filterSet":{}}"#);
            }
        }
        P::Ec2Tags => {
            let res = if actor.runtime == Runtime::Ec2 {
                actor.resource.as_str()
            } else {
                pick(&mut rng, &inv.vpcs, "")
            };
            let _ = write!(
                req,
                r#"{{"filterSet":{{"items":[{{"name":"resource-id","valueSet":{{"items":[{{"value":"{res}"}}]}}}}]}}}}"#
            );
        }
        P::ListBuckets => req.push_str(r#"{"Host":"s3.amazonaws.com"}"#),
        P::Bucket(sub) => {
            bucket = pick(&mut rng, &inv.buckets, "bucket");
            let _ = write!(
                req,
                r#"{{"bucketName":"{bucket}","Host":"{bucket}.s3.{region}.amazonaws.com","{sub}":""}}"#
            );
            let _ = write!(s.resource_arn, "arn:aws:s3:::{bucket}");
            if sub == "policy" {
                not_found = Some(("NoSuchBucketPolicy", "The bucket policy does not exist".into()));
            }
            resources = true;
            let _ = write!(
                s.resources,
                r#"[{{"accountId":"{id}","type":"AWS::S3::Bucket","ARN":"arn:aws:s3:::{bucket}"}}]"#
            );
        }
        P::RoleName => {
            let roles = &ctx.principals.actors;
            let a = &roles[rng.index(roles.len())];
            let role = if a.role_name.is_empty() {
                "OrganizationAccountAccessRole"
            } else {
                a.role_name.as_str()
            };
            let _ = write!(req, r#"{{"roleName":"{role}"}}"#);
            let _ = write!(s.resource_arn, "arn:aws:iam::{id}:role/{role}");
            not_found = Some((
                "NoSuchEntityException",
                format!("The role with name {role}-old cannot be found."),
            ));
        }
        P::PolicyArn => {
            let p = rng.pick(&[
                "ReadOnlyAccess",
                "AdministratorAccess",
                "AWSLambdaBasicExecutionRole",
                "SecurityAudit",
                "AmazonSSMManagedInstanceCore",
            ]);
            let path = if *p == "AWSLambdaBasicExecutionRole" {
                "service-role/"
            } else {
                ""
            };
            let _ = write!(req, r#"{{"policyArn":"arn:aws:iam::aws:policy/{path}{p}"}}"#);
        }
        P::Function | P::FunctionArn => {
            let f = pick(&mut rng, &inv.functions, "function");
            if api.p == P::Function {
                let _ = write!(req, r#"{{"functionName":"{f}"}}"#);
            } else {
                let _ = write!(
                    req,
                    r#"{{"resource":"arn:aws:lambda:{region}:{id}:function:{f}"}}"#
                );
            }
            let _ = write!(s.resource_arn, "arn:aws:lambda:{region}:{id}:function:{f}");
            not_found = Some((
                "ResourceNotFoundException",
                format!("Function not found: arn:aws:lambda:{region}:{id}:function:{f}-v2"),
            ));
        }
        P::DbInstance => {
            let db = pick(&mut rng, &inv.db_instances, "db");
            if api.name == "DescribeDBSnapshots" {
                let _ = write!(
                    req,
                    r#"{{"dBInstanceIdentifier":"{db}","includeShared":false,"includePublic":false}}"#
                );
            } else {
                let _ = write!(req, r#"{{"dBInstanceIdentifier":"{db}"}}"#);
            }
            not_found = Some((
                "DBInstanceNotFoundFault",
                format!("DBInstance {db}-replica not found."),
            ));
        }
        P::LogStreams => {
            let lg = pick(&mut rng, &inv.log_groups, "/aws/lambda/x");
            let _ = write!(
                req,
                r#"{{"logGroupName":"{lg}","orderBy":"LastEventTime","descending":true,"limit":50}}"#
            );
            not_found = Some((
                "ResourceNotFoundException",
                "The specified log group does not exist.".into(),
            ));
        }
        P::KeyId | P::Decrypt | P::GenerateDataKey | P::RotateKey => {
            let key = pick(&mut rng, &inv.kms_keys, "");
            let _ = write!(s.resource_arn, "arn:aws:kms:{region}:{id}:key/{key}");
            resources = true;
            let _ = write!(
                s.resources,
                r#"[{{"accountId":"{id}","type":"AWS::KMS::Key","ARN":"{}"}}]"#,
                s.resource_arn
            );
            match api.p {
                P::KeyId => {
                    let _ = write!(req, r#"{{"keyId":"{}"}}"#, s.resource_arn);
                }
                P::RotateKey => {
                    request = None;
                    let _ = write!(s.additional, r#"{{"keyId":"{key}"}}"#);
                }
                _ => {
                    let context = encryption_context(ctx, actor, region, &mut rng);
                    if api.p == P::Decrypt {
                        let _ = write!(
                            req,
                            r#"{{"encryptionContext":{context},"encryptionAlgorithm":"SYMMETRIC_DEFAULT"}}"#
                        );
                    } else {
                        let _ = write!(
                            req,
                            r#"{{"keyId":"{}","encryptionContext":{context},"keySpec":"AES_256"}}"#,
                            s.resource_arn
                        );
                    }
                }
            }
        }
        P::AssumeRole => {
            let (role_arn, session, role_name) = assume_target(ctx, actor, &mut rng);
            let _ = write!(req, r#"{{"roleArn":"{role_arn}","roleSessionName":"{session}""#);
            if actor.kind != Kind::AwsService {
                req.push_str(r#","durationSeconds":3600"#);
            }
            req.push('}');
            response = true;
            let r = &mut s.response;
            r.push_str(r#"{"credentials":{"accessKeyId":"ASIA"#);
            rng.push_upper_alnum(r, 16);
            r.push_str(r#"","sessionToken":""#);
            push_session_token(r, &mut rng);
            r.push_str(r#"","expiration":""#);
            push_aws_date(r, t + 3600);
            r.push_str("\"}");
            if actor.kind != Kind::AwsService {
                let _ = write!(
                    r,
                    r#","assumedRoleUser":{{"assumedRoleId":"{}:{session}","arn":"arn:aws:sts::{id}:assumed-role/{role_name}/{session}"}}"#,
                    stable_id("AROA", &role_arn)
                );
            }
            r.push('}');
            resources = true;
            let _ = write!(
                s.resources,
                r#"[{{"accountId":"{id}","type":"AWS::IAM::Role","ARN":"{role_arn}"}}]"#
            );
            let _ = write!(s.resource_arn, "{role_arn}");
        }
        P::TrailStatus => {
            let _ = write!(req, r#"{{"name":"{}"}}"#, ctx.trail_arn);
        }
        P::Detector => {
            let _ = write!(req, r#"{{"detectorId":"{}"}}"#, inv.detector_id);
        }
        P::DetectorFindings => {
            let _ = write!(
                req,
                r#"{{"detectorId":"{}","maxResults":50,"findingCriteria":{{"criterion":{{"service.archived":{{"eq":["false"]}}}}}}}}"#,
                inv.detector_id
            );
        }
        P::Secret => {
            let secret = pick(&mut rng, &inv.secrets, "secret");
            let _ = write!(
                req,
                r#"{{"secretId":"arn:aws:secretsmanager:{region}:{id}:secret:{secret}"}}"#
            );
            let _ = write!(
                s.resource_arn,
                "arn:aws:secretsmanager:{region}:{id}:secret:{secret}"
            );
            not_found = Some((
                "ResourceNotFoundException",
                "Secrets Manager can't find the specified secret.".into(),
            ));
        }
        P::Parameter => {
            let _ = write!(
                req,
                r#"{{"name":"/{}/{}/{}","withDecryption":true}}"#,
                ctx.acct.app,
                ctx.acct.account.env,
                rng.pick(&["config", "feature-flags", "db-endpoint", "api-url"])
            );
            not_found = Some(("ParameterNotFound", String::new()));
            // SSM writes no errorMessage for a missing parameter; the code says it all.
        }
        P::CreateLogStream => {
            let group = if actor.runtime == Runtime::Lambda {
                format!("/aws/lambda/{}", actor.resource)
            } else {
                format!("/ecs/{}", ctx.acct.app)
            };
            let (y, m, d) = parapet_model::time::civil_from_days(t.div_euclid(86_400));
            let _ = write!(
                req,
                r#"{{"logGroupName":"{group}","logStreamName":"{y:04}/{m:02}/{d:02}/[$LATEST]{}"}}"#,
                rng.hex(32)
            );
        }
        P::UpdateInstanceInformation => {
            let ipn = mix(seed) % 250 + 2;
            let _ = write!(
                req,
                r#"{{"instanceId":"{}","agentVersion":"3.3.1142.0","agentStatus":"Active","platformType":"Linux","platformName":"Amazon Linux","platformVersion":"2023","iPAddress":"10.0.1.{ipn}","computerName":"ip-10-0-1-{ipn}.ec2.internal","agentName":"amazon-ssm-agent","availabilityZone":"{region}a"}}"#,
                actor.resource
            );
        }
        P::CreateTags => {
            let res = if !inv.instances.is_empty() && rng.chance(0.5) {
                pick(&mut rng, &inv.instances, "")
            } else {
                pick(&mut rng, &inv.security_groups, "")
            };
            let _ = write!(
                req,
                r#"{{"resourcesSet":{{"items":[{{"resourceId":"{res}"}}]}},"tagSet":{{"items":[{{"key":"{}","value":"{}"}}]}}}}"#,
                rng.pick(&["CostCenter", "Owner", "Service", "Environment"]),
                rng.pick(&["cc-1042", "platform", "checkout", "prod", "dev"])
            );
            response = true;
            s.response.push_str(r#"{"requestId":""#);
            rng.push_uuid(&mut s.response);
            s.response.push_str(r#"","_return":true}"#);
        }
        P::RunInstances => {
            let ami = pick(&mut rng, &inv.amis, "ami-0");
            let subnet = pick(&mut rng, &inv.subnets, "subnet-0");
            let vpc = pick(&mut rng, &inv.vpcs, "vpc-0");
            let sg = pick(&mut rng, &inv.security_groups, "sg-0");
            let instance_type = *rng.pick(&["t3.micro", "t3.medium", "m7g.large", "c7i.xlarge"]);
            let _ = write!(
                req,
                r#"{{"instancesSet":{{"items":[{{"imageId":"{ami}","minCount":1,"maxCount":1}}]}},"instanceType":"{instance_type}","blockDeviceMapping":{{}},"monitoring":{{"enabled":false}},"subnetId":"{subnet}","disableApiTermination":false,"disableApiStop":false,"clientToken":"{}","groupSet":{{"items":[{{"groupId":"{sg}"}}]}}}}"#,
                rng.uuid()
            );
            response = true;
            let ipn = rng.range(2, 250);
            let _ = write!(
                s.response,
                r#"{{"requestId":"{}","reservationId":"r-0{}","ownerId":"{id}","groupSet":{{}},"instancesSet":{{"items":[{{"instanceId":"i-0{}","imageId":"{ami}","instanceState":{{"code":0,"name":"pending"}},"privateDnsName":"ip-10-0-2-{ipn}.ec2.internal","amiLaunchIndex":0,"productCodes":{{}},"instanceType":"{instance_type}","launchTime":{},"placement":{{"availabilityZone":"{region}a","tenancy":"default"}},"monitoring":{{"state":"disabled"}},"subnetId":"{subnet}","vpcId":"{vpc}","privateIpAddress":"10.0.2.{ipn}","stateReason":{{"code":"pending","message":"pending"}},"architecture":"x86_64","rootDeviceType":"ebs","rootDeviceName":"/dev/xvda","blockDeviceMapping":{{}},"virtualizationType":"hvm","hypervisor":"xen","groupSet":{{"items":[{{"groupId":"{sg}","groupName":"default"}}]}},"sourceDestCheck":true,"ebsOptimized":false,"enaSupport":true}}]}}}}"#,
                rng.uuid(),
                rng.hex(16),
                rng.hex(16),
                t * 1000
            );
        }
        P::OuParent => {
            let ou = &ctx.org.ous[rng.index(ctx.org.ous.len())];
            let _ = write!(req, r#"{{"parentId":"{}"}}"#, ou.id);
        }
        P::AccountTags => {
            let a = &ctx.org.accounts[rng.index(ctx.org.accounts.len())];
            let _ = write!(req, r#"{{"resourceId":"{}"}}"#, a.account.id);
        }
    }

    // Errors.
    let fail = match (fail, &not_found) {
        (Fail::NotFound, None) => Fail::Denied,
        (f, _) => f,
    };
    let action = api.action;
    let error: Option<(&str, &str)> = match fail {
        Fail::None => None,
        Fail::Denied => {
            let m = &mut s.message;
            let code = match api.deny {
                Deny::Unauthorized => {
                    let _ = write!(
                        m,
                        "You are not authorized to perform this operation. User: {} is not authorized to perform: {action} because no identity-based policy allows the {action} action",
                        actor.arn
                    );
                    "Client.UnauthorizedOperation"
                }
                d => {
                    let _ = write!(
                        m,
                        "User: {} is not authorized to perform: {action} on resource: ",
                        actor.arn
                    );
                    if s.resource_arn.is_empty() {
                        let svc = action.split(':').next().unwrap_or("");
                        let _ = write!(m, "arn:aws:{svc}:{region}:{id}:*");
                    } else {
                        m.push_str(&s.resource_arn);
                    }
                    let _ = write!(m, " because no identity-based policy allows the {action} action");
                    if d == Deny::AccessDenied {
                        "AccessDenied"
                    } else {
                        "AccessDeniedException"
                    }
                }
            };
            Some((code, s.message.as_str()))
        }
        Fail::Throttled => Some(match api.host {
            Host::Regional("ec2") => ("Client.RequestLimitExceeded", "Request limit exceeded."),
            Host::Bucket => ("SlowDown", "Please reduce your request rate."),
            _ => ("ThrottlingException", "Rate exceeded"),
        }),
        Fail::NotFound => {
            let (code, msg) = not_found
                .as_ref()
                .map(|(c, m)| (*c, m.as_str()))
                .unwrap_or(("", ""));
            s.message.push_str(msg);
            Some((code, s.message.as_str()))
        }
    };
    if error.is_some() {
        response = false;
    }

    // Ids, host, extras.
    if matches!(api.host, Host::Bucket) || api.p == P::ListBuckets {
        rng.push_upper_alnum(&mut s.request_id, 16);
        additional = true;
        let a = &mut s.additional;
        a.push_str(r#"{"SignatureVersion":"SigV4","CipherSuite":"TLS_AES_128_GCM_SHA256","bytesTransferredIn":0,"AuthenticationMethod":"AuthHeader","x-amz-id-2":""#);
        a.push_str(&rng.alnum(76));
        let _ = write!(
            a,
            r#"","bytesTransferredOut":{}}}"#,
            if error.is_some() {
                243
            } else {
                rng.range(120, 4000)
            }
        );
    } else if api.p == P::RotateKey {
        // serviceEventDetails carries the key id (in `additional` for now, moved below).
    } else {
        rng.push_uuid(&mut s.request_id);
    }
    rng.push_uuid(&mut s.event_id);
    let is_service_host =
        actor.kind == Kind::AwsService || actor.ips.first().is_some_and(|i| i.ends_with(".amazonaws.com"));
    if !is_service_host {
        match api.host {
            Host::Global(h) => s.host.push_str(h),
            Host::Regional(prefix) => {
                let _ = write!(s.host, "{prefix}.{region}.amazonaws.com");
            }
            Host::Bucket => {
                let _ = write!(s.host, "{bucket}.s3.{region}.amazonaws.com");
            }
        }
    }

    let service_event = api.p == P::RotateKey;
    let record = Record {
        version: if service_event { "1.08" } else { "1.09" },
        identity: if service_event { "" } else { &s.identity },
        time: t,
        source: api.source,
        name: api.name,
        region,
        source_ip: if service_event { KMS } else { ip },
        user_agent: if service_event { KMS } else { agent },
        error,
        request: request.map(|()| s.request.as_str()),
        response: response.then_some(s.response.as_str()),
        additional: (additional && !service_event).then_some(s.additional.as_str()),
        request_id: &s.request_id,
        event_id: &s.event_id,
        read_only: api.read_only,
        resources: resources.then_some(s.resources.as_str()),
        event_type: if service_event {
            "AwsServiceEvent"
        } else {
            "AwsApiCall"
        },
        recipient: id,
        shared_event_id: None,
        service_event_details: service_event.then_some(s.additional.as_str()),
        tls_host: (!s.host.is_empty()).then_some(s.host.as_str()),
        console_session: agent == CONSOLE_AGENT && actor.kind == Kind::AssumedRole,
    };
    if service_event {
        let mut identity = String::new();
        let _ = write!(
            identity,
            r#"{{"accountId":"{id}","invokedBy":"kms.amazonaws.com"}}"#
        );
        write_record(
            out,
            &Record {
                identity: &identity,
                ..record
            },
        );
    } else {
        write_record(out, &record);
    }
}

fn encryption_context(ctx: &AccountCtx<'_>, actor: &Actor, region: &str, rng: &mut Rng) -> String {
    let id = ctx.id;
    let mut c = String::with_capacity(96);
    c.push('{');
    match (actor.runtime, actor.name.as_str()) {
        (Runtime::Lambda, _) => {
            let _ = write!(
                c,
                r#""aws:lambda:FunctionArn":"arn:aws:lambda:{region}:{id}:function:{}""#,
                actor.resource
            );
        }
        (_, "cloudtrail.amazonaws.com") => {
            let _ = write!(c, r#""aws:cloudtrail:arn":"{}""#, ctx.trail_arn);
        }
        (_, "logs.amazonaws.com") => {
            let lg = pick(rng, &ctx.inv.log_groups, "/aws/lambda/x");
            let _ = write!(c, r#""aws:logs:arn":"arn:aws:logs:{region}:{id}:log-group:{lg}""#);
        }
        (Runtime::Ecs | Runtime::Ec2, _) => {
            let secret = pick(rng, &ctx.inv.secrets, "secret");
            let _ = write!(
                c,
                r#""SecretARN":"arn:aws:secretsmanager:{region}:{id}:secret:{secret}","SecretVersionId":"{}""#,
                rng.uuid()
            );
        }
        _ => {
            let b = pick(rng, &ctx.inv.buckets, "bucket");
            let _ = write!(
                c,
                r#""aws:s3:arn":"arn:aws:s3:::{b}/{}/{}.json""#,
                rng.pick(&["exports", "uploads", "reports", "state"]),
                rng.hex(12)
            );
        }
    }
    c.push('}');
    c
}

/// The role an AssumeRole call asks for, its session name and the role's name.
fn assume_target(ctx: &AccountCtx<'_>, actor: &Actor, rng: &mut Rng) -> (String, String, String) {
    let id = ctx.id;
    if actor.kind == Kind::AwsService && !actor.assumes.is_empty() {
        let target = &ctx.principals.actors[usize::from(actor.assumes[rng.index(actor.assumes.len())])];
        return (
            target.role_arn.clone(),
            target.name.clone(),
            target.role_name.clone(),
        );
    }
    let role = match actor.runtime {
        Runtime::Ci | Runtime::Person => "terraform-deploy".to_string(),
        _ => format!("{}-data-access", ctx.acct.app),
    };
    let session = match actor.runtime {
        Runtime::Ci | Runtime::Person => format!("terraform-{}", rng.range(1_000_000_000, 9_999_999_999)),
        _ => actor.name.clone(),
    };
    (format!("arn:aws:iam::{id}:role/{role}"), session, role)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stable_ids_are_stable() {
        assert_eq!(stable_id("AROA", "x"), stable_id("AROA", "x"));
        assert_ne!(stable_id("AROA", "x"), stable_id("AROA", "y"));
        assert_eq!(stable_id("AROA", "x").len(), 21);
    }
}
