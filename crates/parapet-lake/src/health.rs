//! The `health` table: AWS Health events, one row per event update.
//!
//! OCSF 1.1 has no class for a provider's service-health notification, so rows are the base
//! event (class 0, category 0, activity 0 "Unknown"), severity Informational (Health gives
//! none), with OCSF base names where they exist (`message`, `status_code`, `start_time`,
//! `end_time`) and Health's own for the rest.

use parapet_model::HealthEvent;
use serde_json::json;

use crate::table::{col, latest_view, req, Columns, Head, Kind, LakeRecord, RowContext, TableDef};

pub static HEALTH: TableDef = TableDef {
    name: "health",
    class_uid: 0,
    category_uid: 0,
    description: "AWS Health events (OCSF base event: OCSF 1.1 has no class for them), \
                  one row per event update",
    columns: &[
        req("event_arn", Kind::Utf8),
        col("service", Kind::Utf8),
        col("event_type_code", Kind::Utf8),
        col("event_type_category", Kind::Utf8),
        col("status_code", Kind::Utf8),
        col("event_scope_code", Kind::Utf8),
        col("start_time", Kind::Int64),
        col("end_time", Kind::Int64),
        col("last_updated_time", Kind::Int64),
        col("message", Kind::Utf8).bulky(),
        col("affected_entities", Kind::Utf8).bulky(),
    ],
    aliases: &[
        ("eventarn", "event_arn"),
        ("eventtypecode", "event_type_code"),
        ("eventtypecategory", "event_type_category"),
        ("statuscode", "status_code"),
        ("eventscopecode", "event_scope_code"),
        ("starttime", "to_timestamp_millis(start_time)"),
        ("endtime", "to_timestamp_millis(end_time)"),
        ("lastupdatedtime", "to_timestamp_millis(last_updated_time)"),
    ],
    views: &[latest_view!("health", "event_arn")],
};

impl LakeRecord for HealthEvent {
    fn table(&self) -> &'static TableDef {
        &HEALTH
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
        let head = Head {
            time_ms: self.time_ms,
            uid: self.event_id.as_deref(),
            product_name: "Health",
            vendor_name: "AWS",
            activity_id: 0,
            activity_name: "Unknown",
            severity_id: 1,
            region: at.region,
            account_id: at.account_id,
        };
        let entities = (!self.affected_entities.is_empty()).then(|| {
            let list: Vec<_> = self
                .affected_entities
                .iter()
                .map(|e| json!({"value": e.value, "status": e.status}))
                .collect();
            serde_json::Value::from(list).to_string()
        });
        let mut row = cols.row(&head);
        row.str(Some(&self.arn))
            .str(self.service.as_deref())
            .str(self.type_code.as_deref())
            .str(self.type_category.as_deref())
            .str(self.status_code.as_deref())
            .str(self.scope_code.as_deref())
            .i64(self.start_ms)
            .i64(self.end_ms)
            .i64(self.last_updated_ms)
            .str(self.description.as_deref())
            .str(entities.as_deref());
        row.tail(at.account, at.source_object, &self.raw);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{Array, AsArray};
    use datafusion::arrow::datatypes::{Int32Type, Int64Type};
    use parapet_model::AffectedEntity;

    #[test]
    fn a_health_row() {
        let e = HealthEvent {
            event_id: Some("ev-1".into()),
            arn: "arn:aws:health:eu-west-1::event/EC2/X/Y".into(),
            service: Some("EC2".into()),
            type_code: Some("AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED".into()),
            type_category: Some("scheduledChange".into()),
            status_code: Some("upcoming".into()),
            scope_code: Some("ACCOUNT_SPECIFIC".into()),
            start_ms: Some(1_465_139_409_000),
            end_ms: None,
            last_updated_ms: None,
            time_ms: 1_465_139_409_000,
            region: Some("eu-west-1".into()),
            account_id: Some("111122223333".into()),
            description: Some("retiring".into()),
            affected_entities: vec![AffectedEntity {
                value: "i-1".into(),
                status: Some("IMPAIRED".into()),
            }],
            raw: "{}".into(),
        };
        let mut cols = Columns::new(e.table(), 1);
        e.append(
            &mut cols,
            &RowContext {
                account_id: Some("111122223333"),
                region: Some("eu-west-1"),
                account: None,
                source_object: "o",
            },
        );
        let b = cols.finish();
        assert_eq!(b.schema(), HEALTH.schema());
        let s = |c: &str| {
            let a = b.column_by_name(c).expect(c);
            (!a.is_null(0)).then(|| a.as_string::<i32>().value(0).to_string())
        };
        let i32_ = |c: &str| b.column_by_name(c).expect(c).as_primitive::<Int32Type>().value(0);
        assert_eq!(
            (i32_("class_uid"), i32_("category_uid"), i32_("type_uid")),
            (0, 0, 0)
        );
        assert_eq!(i32_("severity_id"), 1);
        assert_eq!(
            s("event_arn").as_deref(),
            Some("arn:aws:health:eu-west-1::event/EC2/X/Y")
        );
        assert_eq!(s("metadata_uid").as_deref(), Some("ev-1"));
        assert_eq!(s("status_code").as_deref(), Some("upcoming"));
        assert_eq!(s("event_scope_code").as_deref(), Some("ACCOUNT_SPECIFIC"));
        assert_eq!(s("message").as_deref(), Some("retiring"));
        assert_eq!(
            s("affected_entities").as_deref(),
            Some(r#"[{"status":"IMPAIRED","value":"i-1"}]"#)
        );
        let start = b
            .column_by_name("start_time")
            .unwrap()
            .as_primitive::<Int64Type>();
        assert_eq!(start.value(0), 1_465_139_409_000);
        assert!(b.column_by_name("end_time").unwrap().is_null(0));
        assert_eq!(s("account_name"), None);
        assert_eq!(s("raw").as_deref(), Some("{}"));
    }
}
