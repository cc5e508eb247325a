//! The `guardduty` and `securityhub` tables: findings as OCSF 1.1 findings, one row per finding
//! (a finding updated later is a new row; `time` is its update time). The views
//! `guardduty_latest` and `securityhub_latest` hold each finding's latest update.
//!
//! `guardduty` is Detection Finding (2004). `securityhub` is Compliance Finding (2003) for every
//! finding, including those with no `Compliance` (GuardDuty, Inspector, Macie findings imported
//! into Security Hub): one table, one class, the compliance columns then null.

use parapet_model::{Finding, FindingSource};

use crate::table::{col, latest_view, req, Columns, Head, Kind, LakeRecord, RowContext, TableDef};

pub static GUARDDUTY: TableDef = TableDef {
    name: "guardduty",
    class_uid: 2004,
    category_uid: 2,
    description: "GuardDuty findings (OCSF Detection Finding), one row per finding update",
    columns: &[
        req("finding_info_uid", Kind::Utf8).bulky(),
        col("finding_info_title", Kind::Utf8),
        col("finding_info_desc", Kind::Utf8).bulky(),
        col("finding_info_types", Kind::Utf8),
        col("finding_info_created_time", Kind::Int64),
        col("finding_info_first_seen_time", Kind::Int64),
        col("finding_info_last_seen_time", Kind::Int64),
        col("unmapped_arn", Kind::Utf8),
        col("severity", Kind::Utf8),
        col("severity_score", Kind::Float64),
        col("status", Kind::Utf8),
        col("resource_type", Kind::Utf8),
        col("resource_uid", Kind::Utf8),
        col("resources", Kind::Utf8),
        col("count", Kind::Int64),
        col("archived", Kind::Bool),
        col("sample", Kind::Bool),
    ],
    aliases: &[
        ("id", "finding_info_uid"),
        ("arn", "unmapped_arn"),
        ("type", "btrim(finding_info_types, '[]\"')"),
        ("title", "finding_info_title"),
        ("description", "finding_info_desc"),
        ("severitylabel", "severity"),
        ("createdat", "to_timestamp_millis(finding_info_created_time)"),
        ("updatedat", "time_dt"),
    ],
    views: &[latest_view!("guardduty", "finding_info_uid")],
};

pub static SECURITYHUB: TableDef = TableDef {
    name: "securityhub",
    class_uid: 2003,
    category_uid: 2,
    description: "Security Hub findings, ASFF (OCSF Compliance Finding for every finding, \
                  compliance columns null where the finding has no Compliance), one row per update",
    columns: &[
        req("finding_info_uid", Kind::Utf8).bulky(),
        col("finding_info_title", Kind::Utf8),
        col("finding_info_desc", Kind::Utf8).bulky(),
        col("finding_info_types", Kind::Utf8),
        col("finding_info_created_time", Kind::Int64),
        col("finding_info_first_seen_time", Kind::Int64),
        col("finding_info_last_seen_time", Kind::Int64),
        col("finding_info_product_uid", Kind::Utf8),
        col("unmapped_generator_id", Kind::Utf8),
        col("severity", Kind::Utf8),
        col("severity_score", Kind::Float64),
        col("confidence", Kind::Int32),
        col("status", Kind::Utf8),
        col("workflow_status", Kind::Utf8),
        col("record_state", Kind::Utf8),
        col("compliance_status", Kind::Utf8),
        col("compliance_control", Kind::Utf8),
        col("resource_type", Kind::Utf8),
        col("resource_uid", Kind::Utf8),
        col("resources", Kind::Utf8),
        col("remediation_desc", Kind::Utf8),
        col("remediation_url", Kind::Utf8),
    ],
    aliases: &[
        ("id", "finding_info_uid"),
        ("productarn", "finding_info_product_uid"),
        ("generatorid", "unmapped_generator_id"),
        ("title", "finding_info_title"),
        ("description", "finding_info_desc"),
        ("severitylabel", "severity"),
        ("awsaccountid", "cloud_account_uid"),
        ("compliancestatus", "compliance_status"),
        ("workflowstatus", "workflow_status"),
        ("recordstate", "record_state"),
        ("createdat", "to_timestamp_millis(finding_info_created_time)"),
        ("updatedat", "time_dt"),
    ],
    views: &[latest_view!("securityhub", "finding_info_uid")],
};

/// OCSF finding activity: Close for archived findings, Create for a finding never updated,
/// else Update.
fn activity(f: &Finding) -> (i32, &'static str) {
    if f.archived == Some(true) {
        (3, "Close")
    } else if f.created_ms.is_none_or(|c| c == f.updated_ms) {
        (1, "Create")
    } else {
        (2, "Update")
    }
}

/// The OCSF finding status caption of an ASFF `Workflow.Status`.
fn ocsf_status(workflow: &str) -> &str {
    match workflow {
        "NEW" => "New",
        "NOTIFIED" => "In Progress",
        "SUPPRESSED" => "Suppressed",
        "RESOLVED" => "Resolved",
        other => other,
    }
}

fn json_list(items: &[String]) -> Option<String> {
    (!items.is_empty()).then(|| serde_json::Value::from(items.to_vec()).to_string())
}

impl LakeRecord for Finding {
    fn table(&self) -> &'static TableDef {
        match self.source {
            FindingSource::GuardDuty => &GUARDDUTY,
            FindingSource::SecurityHub => &SECURITYHUB,
        }
    }

    fn time_ms(&self) -> i64 {
        self.updated_ms
    }

    fn account_id(&self) -> Option<&str> {
        self.account_id.as_deref()
    }

    fn region(&self) -> Option<&str> {
        self.region.as_deref()
    }

    fn append(&self, cols: &mut Columns, at: &RowContext<'_>) {
        let (activity_id, activity_name) = activity(self);
        let head = Head {
            time_ms: self.updated_ms,
            uid: Some(&self.uid),
            product_name: &self.product,
            vendor_name: &self.vendor,
            activity_id,
            activity_name,
            severity_id: self.severity_id,
            region: at.region,
            account_id: at.account_id,
        };
        let types = json_list(&self.types);
        let mut row = cols.row(&head);
        row.str(Some(&self.uid))
            .str(self.title.as_deref())
            .str(self.description.as_deref())
            .str(types.as_deref())
            .i64(self.created_ms)
            .i64(self.first_seen_ms)
            .i64(self.last_seen_ms);
        match self.source {
            FindingSource::GuardDuty => {
                let status = if self.archived == Some(true) {
                    "Suppressed"
                } else {
                    "New"
                };
                row.str(self.arn.as_deref())
                    .str(self.severity_label.as_deref())
                    .f64(self.severity_score)
                    .str(Some(status))
                    .str(self.resource_type.as_deref())
                    .str(self.resource_uids.first().map(String::as_str))
                    .str(self.resources_json.as_deref())
                    .i64(self.count)
                    .bool(self.archived)
                    .bool(self.sample);
            }
            FindingSource::SecurityHub => {
                row.str(self.product_uid.as_deref())
                    .str(self.generator.as_deref())
                    .str(self.severity_label.as_deref())
                    .f64(self.severity_score)
                    .i32(self.confidence)
                    .str(self.workflow_status.as_deref().map(ocsf_status))
                    .str(self.workflow_status.as_deref())
                    .str(self.record_state.as_deref())
                    .str(self.compliance_status.as_deref())
                    .str(self.compliance_control.as_deref())
                    .str(self.resource_type.as_deref())
                    .str(self.resource_uids.first().map(String::as_str))
                    .str(self.resources_json.as_deref())
                    .str(self.remediation_desc.as_deref())
                    .str(self.remediation_url.as_deref());
            }
        }
        row.tail(at.account, at.source_object, &self.raw);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{Array, AsArray, RecordBatch};
    use datafusion::arrow::datatypes::{Float64Type, Int32Type, Int64Type};

    fn finding(source: FindingSource) -> Finding {
        Finding {
            source,
            product: "GuardDuty".into(),
            vendor: "AWS".into(),
            uid: "f-1".into(),
            arn: Some("arn:aws:guardduty:eu-west-1:111122223333:detector/d/finding/f-1".into()),
            product_uid: Some("arn:aws:securityhub:eu-west-1::product/aws/securityhub".into()),
            generator: Some("gen".into()),
            title: Some("title".into()),
            description: Some("desc".into()),
            types: vec!["Recon:EC2/PortProbeUnprotectedPort".into()],
            severity_id: 4,
            severity_label: Some("High".into()),
            severity_score: Some(8.0),
            confidence: Some(90),
            created_ms: Some(1_700_000_000_000),
            updated_ms: 1_700_000_100_000,
            first_seen_ms: Some(1_699_999_000_000),
            last_seen_ms: Some(1_700_000_050_000),
            account_id: Some("111122223333".into()),
            region: Some("eu-west-1".into()),
            resource_type: Some("Instance".into()),
            resource_uids: vec!["i-1".into(), "i-2".into()],
            resources_json: Some(r#"{"resourceType":"Instance"}"#.into()),
            compliance_status: Some("FAILED".into()),
            compliance_control: Some("EC2.7".into()),
            workflow_status: Some("NOTIFIED".into()),
            record_state: Some("ACTIVE".into()),
            count: Some(4),
            archived: Some(false),
            sample: Some(true),
            remediation_desc: Some("fix".into()),
            remediation_url: Some("https://example.com".into()),
            raw: r#"{"id":"f-1"}"#.into(),
        }
    }

    fn write(f: &Finding) -> RecordBatch {
        let account = crate::table::test_account();
        let mut cols = Columns::new(f.table(), 1);
        f.append(
            &mut cols,
            &RowContext {
                account_id: Some("111122223333"),
                region: Some("eu-west-1"),
                account: Some(&account),
                source_object: "AWSLogs/111122223333/GuardDuty/eu-west-1/x.jsonl.gz",
            },
        );
        cols.finish()
    }

    fn s(b: &RecordBatch, c: &str) -> Option<String> {
        let a = b.column_by_name(c).unwrap_or_else(|| panic!("no column {c}"));
        (!a.is_null(0)).then(|| a.as_string::<i32>().value(0).to_string())
    }

    fn i(b: &RecordBatch, c: &str) -> i64 {
        b.column_by_name(c).expect(c).as_primitive::<Int64Type>().value(0)
    }

    fn i32_(b: &RecordBatch, c: &str) -> i32 {
        b.column_by_name(c).expect(c).as_primitive::<Int32Type>().value(0)
    }

    #[test]
    fn a_guardduty_row() {
        let b = write(&finding(FindingSource::GuardDuty));
        assert_eq!(b.num_rows(), 1);
        assert_eq!(b.schema(), GUARDDUTY.schema());
        assert_eq!(i(&b, "time"), 1_700_000_100_000);
        assert_eq!((i32_(&b, "class_uid"), i32_(&b, "category_uid")), (2004, 2));
        assert_eq!(i32_(&b, "activity_id"), 2, "created and updated differ: Update");
        assert_eq!(i32_(&b, "type_uid"), 200402);
        assert_eq!(i32_(&b, "severity_id"), 4);
        assert_eq!(s(&b, "finding_info_uid").as_deref(), Some("f-1"));
        assert_eq!(s(&b, "metadata_uid").as_deref(), Some("f-1"));
        assert_eq!(
            s(&b, "finding_info_types").as_deref(),
            Some(r#"["Recon:EC2/PortProbeUnprotectedPort"]"#)
        );
        assert_eq!(i(&b, "finding_info_created_time"), 1_700_000_000_000);
        assert_eq!(s(&b, "severity").as_deref(), Some("High"));
        assert_eq!(
            b.column_by_name("severity_score")
                .unwrap()
                .as_primitive::<Float64Type>()
                .value(0),
            8.0
        );
        assert_eq!(s(&b, "status").as_deref(), Some("New"));
        assert_eq!(s(&b, "resource_uid").as_deref(), Some("i-1"));
        assert_eq!(i(&b, "count"), 4);
        assert!(b.column_by_name("sample").unwrap().as_boolean().value(0));
        assert_eq!(s(&b, "account_name").as_deref(), Some("prod"));
        assert_eq!(s(&b, "raw").as_deref(), Some(r#"{"id":"f-1"}"#));
    }

    #[test]
    fn a_securityhub_row() {
        let mut f = finding(FindingSource::SecurityHub);
        f.record_state = Some("ARCHIVED".into());
        f.archived = Some(true);
        let b = write(&f);
        assert_eq!(b.schema(), SECURITYHUB.schema());
        assert_eq!(i32_(&b, "class_uid"), 2003);
        assert_eq!(
            (i32_(&b, "activity_id"), s(&b, "activity_name").as_deref()),
            (3, Some("Close"))
        );
        assert_eq!(s(&b, "compliance_status").as_deref(), Some("FAILED"));
        assert_eq!(s(&b, "compliance_control").as_deref(), Some("EC2.7"));
        assert_eq!(s(&b, "status").as_deref(), Some("In Progress"));
        assert_eq!(s(&b, "workflow_status").as_deref(), Some("NOTIFIED"));
        assert_eq!(s(&b, "record_state").as_deref(), Some("ARCHIVED"));
        assert_eq!(i32_(&b, "confidence"), 90);
        assert_eq!(s(&b, "remediation_url").as_deref(), Some("https://example.com"));
        assert_eq!(
            s(&b, "finding_info_product_uid").as_deref(),
            Some("arn:aws:securityhub:eu-west-1::product/aws/securityhub")
        );
        // A finding with no compliance still fits.
        let mut g = finding(FindingSource::SecurityHub);
        g.compliance_status = None;
        g.compliance_control = None;
        g.created_ms = Some(g.updated_ms);
        let b = write(&g);
        assert_eq!(s(&b, "compliance_status"), None);
        assert_eq!(i32_(&b, "activity_id"), 1, "never updated: Create");
    }
}
