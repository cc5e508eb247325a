//! CloudTrail beyond management events: data events and network activity events land in
//! `cloudtrail` with their category, Insights events in `cloudtrail_insights`.

use parapet_ingest::{ingest, DataDir, IngestOptions};
use parapet_model::AccountDirectory;
use parapet_sources::LocalDir;
use serde_json::json;

use crate::support::{gzip, put, sql_column, sql_count};

const ACCOUNT: &str = "111122223333";

#[test]
fn data_network_activity_and_insights() {
    let tmp = tempfile::tempdir().expect("tmp");
    let bucket = tmp.path().join("bucket");
    let org = "o-abcdefghij";
    let ct = format!("{org}/AWSLogs/{org}/{ACCOUNT}/CloudTrail/eu-west-1/2024/03/01");
    // Shapes from AWS's documented examples of each event type (values are ours).
    let records = json!({"Records": [
        {"eventVersion": "1.09", "eventTime": "2024-03-01T10:00:00Z", "eventSource": "s3.amazonaws.com",
         "eventName": "GetObject", "awsRegion": "eu-west-1", "sourceIPAddress": "203.0.113.7",
         "userIdentity": {"type": "AssumedRole", "arn": "arn:aws:sts::111122223333:assumed-role/app/i-1", "accountId": ACCOUNT},
         "requestParameters": {"bucketName": "data", "key": "a.csv"}, "eventID": "d-1", "readOnly": true,
         "resources": [{"type": "AWS::S3::Object", "ARN": "arn:aws:s3:::data/a.csv"}],
         "eventType": "AwsApiCall", "managementEvent": false, "recipientAccountId": ACCOUNT, "eventCategory": "Data"},
        {"eventVersion": "1.09", "eventTime": "2024-03-01T10:01:00Z", "eventSource": "kms.amazonaws.com",
         "eventName": "ListAliases", "awsRegion": "eu-west-1", "sourceIPAddress": "10.0.1.5",
         "userIdentity": {"type": "AWSAccount", "principalId": "", "accountId": "444455556666"},
         "errorCode": "VpceAccessDenied", "errorMessage": "The request was denied due to a VPC endpoint policy",
         "eventID": "n-1", "readOnly": true, "eventType": "AwsVpceEvent", "managementEvent": false,
         "recipientAccountId": ACCOUNT, "sharedEventID": "s-1", "vpcEndpointId": "vpce-0123456789abcdef0",
         "vpcEndpointAccountId": ACCOUNT, "eventCategory": "NetworkActivity"}
    ]});
    put(
        &bucket,
        &format!("{ct}/{ACCOUNT}_CloudTrail_eu-west-1_20240301T1000Z_a.json.gz"),
        &gzip(records.to_string().as_bytes()),
    );
    let insight = |state: &str, time: &str, id: &str| {
        json!({"eventVersion": "1.08", "eventTime": time, "awsRegion": "eu-west-1", "eventID": id,
               "eventType": "AwsCloudTrailInsight", "recipientAccountId": ACCOUNT, "sharedEventID": "ins-1",
               "insightDetails": {"state": state, "eventSource": "iam.amazonaws.com", "eventName": "ListUsers",
                 "insightType": "ApiCallRateInsight",
                 "insightContext": {"statistics": {"baseline": {"average": 0.5}, "insight": {"average": 120.0},
                   "insightDuration": 4, "baselineDuration": 10080}, "attributions": []}},
               "eventCategory": "Insight"})
    };
    let insights = json!({"Records": [insight("Start", "2024-03-01T11:00:00Z", "i-1"), insight("End", "2024-03-01T11:04:00Z", "i-2")]});
    put(
        &bucket,
        &format!("{org}/AWSLogs/{org}/{ACCOUNT}/CloudTrail-Insight/eu-west-1/2024/03/01/{ACCOUNT}_CloudTrail-Insight_eu-west-1_20240301T1105Z_b.json.gz"),
        &gzip(insights.to_string().as_bytes()),
    );

    let data = DataDir::new(tmp.path().join("data"));
    let accounts = AccountDirectory::from_csv(&format!(
        "id,name,team,env,owner,ou\n{ACCOUNT},payments-prod,payments,prod,,Root/Prod\n"
    ))
    .expect("csv");
    let store = LocalDir::open(&bucket).expect("opens");
    let report = ingest(&store, &data, &accounts, &IngestOptions::default(), &()).expect("runs");
    assert!(report.is_clean(), "{report:#?}");
    assert_eq!((report.objects_ingested, report.records), (2, 4));

    assert_eq!(
        sql_column(&data, "SELECT event_category || '/' || CAST(management_event AS VARCHAR) || '/' || COALESCE(vpc_endpoint_id, '-') FROM cloudtrail ORDER BY time"),
        ["Data/false/-", "NetworkActivity/false/vpce-0123456789abcdef0"]
    );
    assert_eq!(
        sql_column(
            &data,
            "SELECT errorcode FROM cloudtrail WHERE eventname = 'ListAliases'"
        ),
        ["VpceAccessDenied"]
    );
    assert_eq!(
        sql_column(
            &data,
            "SELECT state || ':' || activity_name || ':' || account_name || ':' || CAST(insight_average AS VARCHAR) FROM cloudtrail_insights ORDER BY time"
        ),
        ["Start:Create:payments-prod:120.0", "End:Close:payments-prod:120.0"]
    );
    assert_eq!(
        sql_count(
            &data,
            "SELECT count(DISTINCT sharedeventid) FROM cloudtrail_insights WHERE eventname = 'ListUsers'"
        ),
        1
    );
}
