//! The `cloudtrail_insights` table: CloudTrail Insights events, as OCSF Detection Findings
//! (an unusual API call or error rate is a detection made by AWS). `Start` opens the finding,
//! `End` closes it; `shared_event_id` pairs the two.

use parapet_model::InsightEvent;

use crate::table::{col, Columns, Head, Kind, LakeRecord, RowContext, TableDef};

pub static CLOUDTRAIL_INSIGHTS: TableDef = TableDef {
    name: "cloudtrail_insights",
    class_uid: 2004,
    category_uid: 2,
    description: "CloudTrail Insights events: unusual API call and error rates (OCSF Detection Finding)",
    columns: &[
        col("metadata_product_version", Kind::Utf8),
        col("finding_info_uid", Kind::Utf8),
        col("insight_state", Kind::Utf8),
        col("insight_type", Kind::Utf8),
        col("api_service_name", Kind::Utf8),
        col("api_operation", Kind::Utf8),
        col("status_code", Kind::Utf8),
        col("baseline_average", Kind::Float64),
        col("insight_average", Kind::Float64),
        col("baseline_duration_minutes", Kind::Int64),
        col("insight_duration_minutes", Kind::Int64),
        col("attributions", Kind::Utf8).bulky(),
    ],
    aliases: &[
        ("eventtime", "time_dt"),
        ("eventid", "metadata_uid"),
        ("sharedeventid", "finding_info_uid"),
        ("eventsource", "api_service_name"),
        ("eventname", "api_operation"),
        ("errorcode", "status_code"),
        ("insighttype", "insight_type"),
        ("state", "insight_state"),
        ("awsregion", "cloud_region"),
        ("recipientaccountid", "cloud_account_uid"),
    ],
    views: &[],
};

impl LakeRecord for InsightEvent {
    fn table(&self) -> &'static TableDef {
        &CLOUDTRAIL_INSIGHTS
    }

    fn time_ms(&self) -> i64 {
        self.time_ms
    }

    fn account_id(&self) -> Option<&str> {
        self.account_id.as_deref()
    }

    fn region(&self) -> Option<&str> {
        self.region.as_deref()
    }

    fn append(&self, cols: &mut Columns, at: &RowContext<'_>) {
        // OCSF Detection Finding activities: 1 Create, 3 Close.
        let (activity_id, activity_name) = match self.state.as_deref() {
            Some("Start") => (1, "Create"),
            Some("End") => (3, "Close"),
            _ => (0, "Unknown"),
        };
        let mut row = cols.row(&Head {
            time_ms: self.time_ms,
            uid: Some(&self.event_id),
            product_name: "CloudTrail Insights",
            vendor_name: "AWS",
            activity_id,
            activity_name,
            // Low: an anomaly worth a look, not an attack by itself.
            severity_id: 2,
            region: at.region,
            account_id: at.account_id,
        });
        row.str(self.event_version.as_deref())
            .str(self.shared_event_id.as_deref())
            .str(self.state.as_deref())
            .str(self.insight_type.as_deref())
            .str(self.event_source.as_deref())
            .str(self.event_name.as_deref())
            .str(self.error_code.as_deref())
            .f64(self.baseline_average)
            .f64(self.insight_average)
            .i64(self.baseline_duration)
            .i64(self.insight_duration)
            .str(self.attributions.as_deref());
        row.tail(at.account, at.source_object, &self.raw);
    }
}
