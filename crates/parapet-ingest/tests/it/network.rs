//! VPC flow logs and Route 53 Resolver query logs, end to end: the repo's samples gzipped into
//! the Log Archive key layout, ingested, and read back with SQL.

use std::path::Path;

use parapet_ingest::{ingest, DataDir, IngestOptions};
use parapet_lake::arrow::util::display::array_value_to_string;
use parapet_lake::LakeSession;
use parapet_model::AccountDirectory;
use parapet_sources::LocalDir;

use crate::support::{gzip, put};

const ACCOUNT: &str = "123456789010";
const FLOW_TEXT: [&str; 5] = [
    "v2_default_format_records.log",
    "v3_file_with_header.log",
    "v4_file_with_header.log",
    "v5_file_with_header.log",
    "v6_file_with_header.log",
];
const V2_FIELDS: &str =
    "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status";

fn testdata(dir: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata")
        .join(dir)
}

/// The oracle for a text flow log: lines with as many values as the field list, when the field
/// list has a time (`start` or `end`). Plain string splitting, no parapet code.
fn flow_rows(text: &str) -> usize {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let (fields, data) = match lines.first() {
        Some(l) if l.starts_with("2 ") => (V2_FIELDS, &lines[..]),
        Some(l) => (*l, &lines[1..]),
        None => return 0,
    };
    let names: Vec<&str> = fields.split_whitespace().collect();
    if !names.iter().any(|n| *n == "start" || *n == "end") {
        return 0;
    }
    data.iter()
        .filter(|l| l.split_whitespace().count() == names.len())
        .count()
}

fn rows(session: &LakeSession, rt: &tokio::runtime::Runtime, sql: &str) -> Vec<Vec<String>> {
    let batches = rt
        .block_on(session.sql(sql))
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    let mut out = Vec::new();
    for b in batches {
        for r in 0..b.num_rows() {
            out.push(
                b.columns()
                    .iter()
                    .map(|c| array_value_to_string(c, r).expect("displayable"))
                    .collect(),
            );
        }
    }
    out
}

#[test]
fn flow_and_resolver_logs_land_in_their_tables() {
    let tmp = tempfile::tempdir().expect("tmp");
    let bucket = tmp.path().join("bucket");
    let flow_dir = testdata("vpc_flow");
    let mut expected_flows = 0;
    let mut text_lines = 0;
    for (i, name) in FLOW_TEXT.iter().enumerate() {
        let bytes = std::fs::read(flow_dir.join(name)).expect("sample");
        let text = std::str::from_utf8(&bytes).expect("text");
        expected_flows += flow_rows(text);
        text_lines += text.lines().filter(|l| !l.trim().is_empty()).count();
        let key = format!(
            "AWSLogs/o-abcdefghij/{ACCOUNT}/vpcflowlogs/eu-west-1/2024/01/0{}/{ACCOUNT}_vpcflowlogs_eu-west-1_fl-0123456789abcdef0_2024010{}T0005Z_{i:08x}.log.gz",
            i + 1,
            i + 1
        );
        put(&bucket, &key, &gzip(&bytes));
    }
    // 5 + 2 + 2 + 2 (the v5 file's `bogus line` and the v6 file's timeless record are rejected).
    assert_eq!(expected_flows, 11);
    let parquet = std::fs::read(flow_dir.join("flows.parquet")).expect("sample");
    put(
        &bucket,
        &format!("AWSLogs/{ACCOUNT}/vpcflowlogs/eu-west-1/2024/01/06/{ACCOUNT}_vpcflowlogs_eu-west-1_fl-0123456789abcdef0_20240106T0005Z_0000000a.log.parquet"),
        &parquet,
    );
    // The Parquet sample: 3 rows, of which row 1 is readable (see flow_parquet's unit test).
    expected_flows += 1;

    let resolver =
        std::fs::read(testdata("route53_resolver").join("panther_resolver_query.log")).expect("sample");
    let resolver_lines = std::str::from_utf8(&resolver)
        .expect("text")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .count();
    put(
        &bucket,
        &format!("AWSLogs/{ACCOUNT}/vpcdnsquerylogs/vpc-abc123/2022/06/25/{ACCOUNT}_vpcdnsquerylogs_us-west-2_vpc-abc123_20220625T0025Z_0f1e2d3c.log.gz"),
        &gzip(&resolver),
    );

    let data = DataDir::new(tmp.path().join("data"));
    let accounts = AccountDirectory::from_csv(&format!(
        "id,name,team,env,owner,ou\n{ACCOUNT},net-lab,net,dev,net@example.com,Root/Network\n"
    ))
    .expect("csv");
    let store = LocalDir::open(&bucket).expect("opens");
    let options = IngestOptions::default();
    let report = ingest(&store, &data, &accounts, &options, &()).expect("ingest runs");
    assert_eq!(report.objects_ingested, 7, "{:?}", report.quarantined);
    assert_eq!(report.objects_quarantined, 0, "{:?}", report.quarantined);
    assert_eq!(report.records, (expected_flows + resolver_lines) as u64);
    // v5's bogus line, v6's record without time, Parquet rows 2 and 3.
    assert_eq!(report.records_rejected, 4, "{:?}", report.rejected);
    assert_eq!(
        text_lines - 4 /* headers */ - 2, /* text rejects */
        expected_flows - 1
    );

    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let session = rt
        .block_on(LakeSession::open(&data.lake_root()))
        .expect("lake opens");
    let count = |table: &str| rows(&session, &rt, &format!("SELECT count(*) FROM {table}"))[0][0].clone();
    assert_eq!(count("vpc_flow"), expected_flows.to_string());
    assert_eq!(count("route53_resolver"), resolver_lines.to_string());

    // Partitions: the record's account and region, else the key's; the day of `start`.
    let parts = rows(
        &session,
        &rt,
        "SELECT region, accountid, eventday, count(*) FROM vpc_flow GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
    );
    let expect = |r: &[&str]| r.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(
        parts,
        vec![
            expect(&["eu-west-1", "000000000000", "20190912", "2"]),
            expect(&["eu-west-1", ACCOUNT, "20150510", "2"]),
            expect(&["eu-west-1", ACCOUNT, "20150812", "4"]),
            expect(&["us-east-1", "000000000000", "20190912", "2"]),
            expect(&["us-east-2", "999999999999", "20210304", "2"]),
        ]
    );
    // Enrichment where the directory knows the account; native names through the view.
    let named = rows(
        &session,
        &rt,
        &format!("SELECT count(*) FROM vpc_flow WHERE accountid = '{ACCOUNT}' AND account_name = 'net-lab' AND account_ou = 'Root/Network'"),
    );
    assert_eq!(named[0][0], "6");
    let native = rows(
        &session,
        &rt,
        "SELECT srcaddr, dstport, action, log_status, disposition, class_uid FROM vpc_flow \
         WHERE interface_id = 'eni-102010cd'",
    );
    assert_eq!(
        native,
        vec![expect(&["192.0.2.1", "443", "REJECT", "OK", "Blocked", "4001"])]
    );
    let gaps = rows(
        &session,
        &rt,
        "SELECT log_status, activity_id FROM vpc_flow WHERE srcaddr IS NULL ORDER BY 1",
    );
    assert_eq!(gaps, vec![expect(&["NODATA", "0"]), expect(&["SKIPDATA", "0"])]);

    // Resolver rows: region from the record (never the vpc id of the key), the key's account
    // (the sample's own account id is not 12 digits), the query day.
    let dns = rows(
        &session,
        &rt,
        "SELECT region, accountid, eventday, account_name, count(*), min(class_uid), min(query_type) \
         FROM route53_resolver GROUP BY 1, 2, 3, 4",
    );
    assert_eq!(
        dns,
        vec![expect(&[
            "us-west-2",
            ACCOUNT,
            "20220625",
            "net-lab",
            "8",
            "4003",
            "A"
        ])]
    );
    let crypto = rows(
        &session,
        &rt,
        "SELECT count(*) FROM route53_resolver WHERE query_name LIKE '%moneropool.ru%' AND srcport = 8888",
    );
    assert_eq!(crypto[0][0], "4");

    // A second run adds nothing.
    let again = ingest(&store, &data, &accounts, &options, &()).expect("ingest runs");
    assert_eq!((again.objects_ingested, again.records), (0, 0));
    let session = rt
        .block_on(LakeSession::open(&data.lake_root()))
        .expect("lake opens");
    let count = |table: &str| rows(&session, &rt, &format!("SELECT count(*) FROM {table}"))[0][0].clone();
    assert_eq!(count("vpc_flow"), expected_flows.to_string());
    assert_eq!(count("route53_resolver"), resolver_lines.to_string());
}
