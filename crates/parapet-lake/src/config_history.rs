//! The `config_history` table (every AWS Config configuration item, as OCSF Cloud Resources
//! Inventory Info) and the `config_inventory` view (the latest state of each resource).

use parapet_model::ConfigItem;

use crate::table::{col, req, Columns, Head, Kind, LakeRecord, RowContext, TableDef};

/// OCSF 1.3 "Cloud Resources Inventory Info" (1.1 has no class for cloud resources).
pub const CLASS_UID: i32 = 5023;

pub static CONFIG_HISTORY: TableDef = TableDef {
    name: "config_history",
    class_uid: CLASS_UID,
    category_uid: 5,
    description: "AWS Config configuration items from history and snapshot files and change notifications \
                  (OCSF 1.3 Cloud Resources Inventory Info)",
    columns: &[
        req("resource_type", Kind::Utf8),
        req("resource_uid", Kind::Utf8),
        col("resource_name", Kind::Utf8),
        col("resource_arn", Kind::Utf8),
        col("resource_zone", Kind::Utf8),
        col("resource_created_time", Kind::Int64),
        col("status", Kind::Utf8),
        col("change_type", Kind::Utf8),
        req("delivery", Kind::Utf8),
        col("snapshot_id", Kind::Utf8),
        col("configuration_state_id", Kind::Utf8),
        col("configuration_state_hash", Kind::Utf8),
        col("item_version", Kind::Utf8),
        col("resource_tags", Kind::Utf8),
        col("relationships", Kind::Utf8).bulky(),
        col("related_events", Kind::Utf8).bulky(),
        col("configuration", Kind::Utf8).bulky(),
        col("supplementary_configuration", Kind::Utf8).bulky(),
        col("oversized_location", Kind::Utf8),
    ],
    aliases: &[
        ("configurationitemcapturetime", "time_dt"),
        ("configurationitemstatus", "status"),
        ("resourcetype", "resource_type"),
        ("resourceid", "resource_uid"),
        ("resourcename", "resource_name"),
        ("arn", "resource_arn"),
        ("awsregion", "cloud_region"),
        ("awsaccountid", "cloud_account_uid"),
    ],
    views: &[(
        "config_inventory",
        // The latest item of each resource; a resource whose latest item is a deletion is gone.
        "SELECT * EXCLUDE (latest) FROM ( \
           SELECT *, row_number() OVER ( \
             PARTITION BY cloud_account_uid, cloud_region, resource_type, resource_uid \
             ORDER BY time DESC, TRY_CAST(configuration_state_id AS BIGINT) DESC NULLS LAST, delivery) AS latest \
           FROM config_history) \
         WHERE latest = 1 AND (status IS NULL OR status NOT IN ('ResourceDeleted', 'ResourceDeletedNotRecorded'))",
    )],
};

impl LakeRecord for ConfigItem {
    fn table(&self) -> &'static TableDef {
        &CONFIG_HISTORY
    }

    fn time_ms(&self) -> i64 {
        self.capture_time_ms
    }

    fn account_id(&self) -> Option<&str> {
        self.account_id.as_deref()
    }

    fn region(&self) -> Option<&str> {
        self.region.as_deref()
    }

    fn append(&self, cols: &mut Columns, at: &RowContext<'_>) {
        let (activity_id, activity_name) = (2, "Collect");
        let mut row = cols.row(&Head {
            time_ms: self.capture_time_ms,
            uid: self.state_id.as_deref(),
            product_name: "Config",
            vendor_name: "AWS",
            activity_id,
            activity_name,
            severity_id: 1,
            region: at.region,
            account_id: at.account_id,
        });
        row.str(Some(&self.resource_type))
            .str(Some(&self.resource_id))
            .str(self.resource_name.as_deref())
            .str(self.arn.as_deref())
            .str(self.availability_zone.as_deref())
            .i64(self.resource_creation_time_ms)
            .str(self.status.as_deref())
            .str(self.change_type.as_deref())
            .str(Some(self.delivery.as_str()))
            .str(self.snapshot_id.as_deref())
            .str(self.state_id.as_deref())
            .str(self.state_hash.as_deref())
            .str(self.item_version.as_deref())
            .str(self.tags.as_deref())
            .str(self.relationships.as_deref())
            .str(self.related_events.as_deref())
            .str(self.configuration.as_deref())
            .str(self.supplementary_configuration.as_deref())
            .str(self.oversized_location.as_deref());
        row.tail(at.account, at.source_object, &self.raw);
    }
}

#[cfg(test)]
mod tests {
    use datafusion::arrow::array::{AsArray, Int32Array};
    use parapet_model::ConfigDelivery;

    use super::*;

    #[test]
    fn an_item_becomes_a_row() {
        let item = ConfigItem {
            capture_time_ms: 1_709_287_200_500,
            status: Some("OK".into()),
            account_id: Some("111122223333".into()),
            region: Some("eu-west-1".into()),
            resource_type: "AWS::EC2::SecurityGroup".into(),
            resource_id: "sg-1".into(),
            resource_name: None,
            arn: None,
            availability_zone: None,
            resource_creation_time_ms: None,
            state_id: Some("7".into()),
            state_hash: None,
            item_version: Some("1.3".into()),
            tags: None,
            relationships: None,
            related_events: None,
            configuration: Some("{}".into()),
            supplementary_configuration: None,
            delivery: ConfigDelivery::History,
            change_type: None,
            snapshot_id: None,
            oversized_location: None,
            raw: "{}".into(),
        };
        let mut cols = Columns::new(&CONFIG_HISTORY, 1);
        let at = RowContext {
            account_id: Some("111122223333"),
            region: Some("eu-west-1"),
            account: None,
            source_object: "k",
        };
        item.append(&mut cols, &at);
        let b = cols.finish();
        assert_eq!(b.num_rows(), 1);
        let s = |c: &str| {
            b.column_by_name(c)
                .unwrap()
                .as_string::<i32>()
                .value(0)
                .to_string()
        };
        assert_eq!(s("resource_uid"), "sg-1");
        assert_eq!(s("delivery"), "history");
        assert_eq!(s("cloud_account_uid"), "111122223333");
        let class = b.column_by_name("class_uid").unwrap();
        assert_eq!(
            class.as_any().downcast_ref::<Int32Array>().unwrap().value(0),
            5023
        );
    }
}
