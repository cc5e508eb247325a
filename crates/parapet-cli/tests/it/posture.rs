//! `parapet posture scan --from-lake`: AWS Config's items (the RDK's real samples) ingested into
//! the lake are judged like a live read, and `posture show` reports the scan.

use std::path::Path;

use crate::support::{ok, parapet};

/// The RDK's sample items of the types posture maps, made one account's in one region (the
/// samples come from several), with the flow log pointed at the sample VPC.
fn snapshot(dir: &Path) {
    let rdk = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/config/rdk");
    let mut items = Vec::new();
    for f in [
        "AWS_EC2_SecurityGroup.json",
        "AWS_EC2_Instance.json",
        "AWS_EC2_Volume.json",
        "AWS_EC2_VPC.json",
        "AWS_EC2_FlowLog.json",
        "AWS_RDS_DBInstance.json",
        "AWS_S3_Bucket.json",
        "AWS_Cloudtrail_Trail.json",
    ] {
        let text = std::fs::read_to_string(rdk.join(f)).expect("sample");
        let mut item: serde_json::Value = serde_json::from_str(&text).expect("json");
        let o = item.as_object_mut().expect("object");
        for key in ["accountId", "awsAccountId"] {
            if o.contains_key(key) {
                o.insert(key.into(), "123456789012".into());
            }
        }
        o.insert("awsRegion".into(), "us-east-1".into());
        o.insert(
            "configurationItemCaptureTime".into(),
            "2026-12-01T00:00:00.000Z".into(),
        );
        let c = o
            .get_mut("configuration")
            .and_then(|c| c.as_object_mut())
            .expect("configuration");
        if f == "AWS_EC2_FlowLog.json" {
            c.insert("resourceId".into(), "vpc-0990dc6d".into());
        }
        if f == "AWS_Cloudtrail_Trail.json" {
            c.insert("homeRegion".into(), "us-east-1".into());
            c.insert(
                "trailARN".into(),
                "arn:aws:cloudtrail:us-east-1:123456789012:trail/APJCCloudTrail".into(),
            );
        }
        items.push(item);
    }
    let doc = serde_json::json!({"fileVersion": "1.0", "configSnapshotId": "posture-test", "configurationItems": items});
    std::fs::create_dir_all(dir).expect("mkdir");
    std::fs::write(
        dir.join("123456789012_Config_us-east-1_ConfigSnapshot_20261201T000000Z_posture-test.json"),
        doc.to_string(),
    )
    .expect("write");
}

#[test]
fn config_items_in_the_lake_are_judged_like_a_live_read() {
    let tmp = tempfile::tempdir().expect("tmp");
    let src = tmp.path().join("src");
    snapshot(&src);
    let data = tmp.path().join("data");
    let cli = || {
        let mut c = parapet();
        c.arg("--data-dir").arg(&data);
        c
    };
    ok(cli().args(["--quiet", "ingest"]).arg(&src));
    let report: serde_json::Value =
        serde_json::from_str(&ok(cli().args(["posture", "scan", "--from-lake", "--json"]))).expect("json");
    let mut lines: Vec<String> = report["failures"]
        .as_array()
        .expect("failures")
        .iter()
        .map(|v| {
            format!(
                "{} {} {}",
                v["check"].as_str().unwrap_or_default(),
                v["resource"].as_str().unwrap_or_default(),
                v["reason"].as_str().unwrap_or_default()
            )
        })
        .collect();
    lines.sort();
    expect_test::expect![[r#"
        cloudtrail.encrypted APJCCloudTrail logs are not encrypted with a KMS key
        ec2.imdsv2_required i-03402838daac1d611 instance metadata allows IMDSv1 (HttpTokens=optional)
        ec2.instance_no_public_ip i-03402838daac1d611 public IP address 34.205.29.138
        ec2.sg_open_ssh sg-1d56fc66 port 22 (tcp) open to 0.0.0.0/0
        rds.instance_not_public arn:aws:rds:us-east-1:264683526309:db:myrdstest publicly accessible
        s3.bucket_block_public_access arn:aws:s3:::mborch-test-bucket-config-item no Block Public Access configuration
        s3.bucket_encryption arn:aws:s3:::mborch-test-bucket-config-item no default encryption
        s3.bucket_logging arn:aws:s3:::mborch-test-bucket-config-item server access logging is off"#]].assert_eq(&lines.join("\n"));
    // Passing verdicts too: the checks Config feeds had data.
    let per_check = report["per_check"].as_object().expect("per_check");
    for check in [
        "ec2.ebs_volume_encrypted",
        "ec2.vpc_flow_logs",
        "s3.bucket_tls_only",
        "s3.bucket_versioning",
        "cloudtrail.log_validation",
    ] {
        assert!(
            per_check[check]["passed"].as_u64() > Some(0),
            "{check}: {}",
            per_check[check]
        );
    }
    // What Config does not record had no data: no IAM verdicts.
    assert!(!per_check.contains_key("iam.root_mfa"));
    let shown = ok(cli().args(["posture", "show"]));
    assert!(shown.contains("ec2.sg_open_ssh"), "{shown}");
}
