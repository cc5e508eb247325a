//! The `cloudtrail` table: OCSF API Activity (class 6003) columns, flattened with `_`, plus the
//! account enrichment, the source object and the original record.

use std::sync::{Arc, LazyLock};

use datafusion::arrow::array::{
    ArrayRef, BooleanBuilder, Int32Builder, Int64Builder, RecordBatch, StringBuilder,
    TimestampMillisecondBuilder,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use parapet_model::activity::{API_ACTIVITY_CLASS_UID, APPLICATION_CATEGORY_UID, OCSF_VERSION};
use parapet_model::{Account, ApiActivity};

pub const TABLE: &str = "cloudtrail";

/// Columns whose values are long and unique: no dictionary, no statistics.
pub const BULKY_COLUMNS: &[&str] = &[
    "raw",
    "api_request_data",
    "api_response_data",
    "resources",
    "unmapped_additional_event_data",
    "unmapped_service_event_details",
    "status_detail",
    "metadata_uid",
    "api_request_uid",
];

static SCHEMA: LazyLock<SchemaRef> = LazyLock::new(|| {
    use DataType::*;
    let s = |name: &str| Field::new(name, Utf8, true);
    let i = |name: &str| Field::new(name, Int32, false);
    let b = |name: &str| Field::new(name, Boolean, true);
    Arc::new(Schema::new(vec![
        Field::new("time", Int64, false),
        Field::new(
            "time_dt",
            Timestamp(TimeUnit::Millisecond, Some("UTC".into())),
            false,
        ),
        s("metadata_uid"),
        Field::new("metadata_version", Utf8, false),
        Field::new("metadata_product_name", Utf8, false),
        Field::new("metadata_product_vendor_name", Utf8, false),
        s("metadata_product_version"),
        s("metadata_event_code"),
        i("class_uid"),
        i("category_uid"),
        i("activity_id"),
        Field::new("activity_name", Utf8, false),
        i("type_uid"),
        i("severity_id"),
        Field::new("status", Utf8, false),
        i("status_id"),
        s("status_code"),
        s("status_detail"),
        s("api_operation"),
        s("api_service_name"),
        s("api_request_uid"),
        s("api_version"),
        s("api_request_data"),
        s("api_response_data"),
        s("actor_user_type"),
        s("actor_user_uid"),
        s("actor_user_uid_alt"),
        s("actor_user_name"),
        s("actor_user_account_uid"),
        s("actor_user_credential_uid"),
        s("actor_session_issuer"),
        b("actor_session_is_mfa"),
        s("actor_invoked_by"),
        s("src_endpoint_ip"),
        s("src_endpoint_domain"),
        s("http_request_user_agent"),
        Field::new("cloud_provider", Utf8, false),
        s("cloud_region"),
        s("cloud_account_uid"),
        b("read_only"),
        b("management_event"),
        s("event_category"),
        s("shared_event_id"),
        s("vpc_endpoint_id"),
        s("resources"),
        s("unmapped_additional_event_data"),
        s("unmapped_service_event_details"),
        s("account_name"),
        s("account_team"),
        s("account_env"),
        s("account_owner"),
        s("account_ou"),
        s("source_object"),
        Field::new("raw", Utf8, false),
    ]))
});

/// The Arrow schema of the files (partition columns live in the path, not the files).
pub fn schema() -> SchemaRef {
    SCHEMA.clone()
}

/// Native CloudTrail names offered as aliases by the query view, `(alias, expression)`.
pub const NATIVE_ALIASES: &[(&str, &str)] = &[
    ("eventtime", "time_dt"),
    ("eventid", "metadata_uid"),
    ("eventname", "api_operation"),
    ("eventsource", "api_service_name"),
    ("awsregion", "cloud_region"),
    (
        "sourceipaddress",
        "COALESCE(src_endpoint_ip, src_endpoint_domain)",
    ),
    ("useragent", "http_request_user_agent"),
    ("errorcode", "status_code"),
    ("errormessage", "status_detail"),
    ("recipientaccountid", "cloud_account_uid"),
    ("useridentity_type", "actor_user_type"),
    ("useridentity_arn", "actor_user_uid"),
];

/// Appends rows and finishes them into a [`RecordBatch`].
pub struct CloudTrailBuilder {
    time: Int64Builder,
    time_dt: TimestampMillisecondBuilder,
    metadata_uid: StringBuilder,
    metadata_version: StringBuilder,
    product_name: StringBuilder,
    vendor_name: StringBuilder,
    product_version: StringBuilder,
    event_code: StringBuilder,
    class_uid: Int32Builder,
    category_uid: Int32Builder,
    activity_id: Int32Builder,
    activity_name: StringBuilder,
    type_uid: Int32Builder,
    severity_id: Int32Builder,
    status: StringBuilder,
    status_id: Int32Builder,
    status_code: StringBuilder,
    status_detail: StringBuilder,
    api_operation: StringBuilder,
    api_service_name: StringBuilder,
    api_request_uid: StringBuilder,
    api_version: StringBuilder,
    api_request_data: StringBuilder,
    api_response_data: StringBuilder,
    actor_user_type: StringBuilder,
    actor_user_uid: StringBuilder,
    actor_user_uid_alt: StringBuilder,
    actor_user_name: StringBuilder,
    actor_user_account_uid: StringBuilder,
    actor_user_credential_uid: StringBuilder,
    actor_session_issuer: StringBuilder,
    actor_session_is_mfa: BooleanBuilder,
    actor_invoked_by: StringBuilder,
    src_endpoint_ip: StringBuilder,
    src_endpoint_domain: StringBuilder,
    user_agent: StringBuilder,
    cloud_provider: StringBuilder,
    cloud_region: StringBuilder,
    cloud_account_uid: StringBuilder,
    read_only: BooleanBuilder,
    management_event: BooleanBuilder,
    event_category: StringBuilder,
    shared_event_id: StringBuilder,
    vpc_endpoint_id: StringBuilder,
    resources: StringBuilder,
    additional_data: StringBuilder,
    service_event_details: StringBuilder,
    account_name: StringBuilder,
    account_team: StringBuilder,
    account_env: StringBuilder,
    account_owner: StringBuilder,
    account_ou: StringBuilder,
    source_object: StringBuilder,
    raw: StringBuilder,
    rows: usize,
    bytes: usize,
}

impl Default for CloudTrailBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl CloudTrailBuilder {
    pub fn new() -> CloudTrailBuilder {
        Self::with_capacity(1024)
    }

    /// A builder sized for `rows` rows (string data grows as needed).
    pub fn with_capacity(rows: usize) -> CloudTrailBuilder {
        let s = || StringBuilder::with_capacity(rows, 0);
        let i32b = || Int32Builder::with_capacity(rows);
        let bb = || BooleanBuilder::with_capacity(rows);
        CloudTrailBuilder {
            time: Int64Builder::with_capacity(rows),
            time_dt: TimestampMillisecondBuilder::with_capacity(rows).with_timezone("UTC"),
            metadata_uid: s(),
            metadata_version: s(),
            product_name: s(),
            vendor_name: s(),
            product_version: s(),
            event_code: s(),
            class_uid: i32b(),
            category_uid: i32b(),
            activity_id: i32b(),
            activity_name: s(),
            type_uid: i32b(),
            severity_id: i32b(),
            status: s(),
            status_id: i32b(),
            status_code: s(),
            status_detail: s(),
            api_operation: s(),
            api_service_name: s(),
            api_request_uid: s(),
            api_version: s(),
            api_request_data: s(),
            api_response_data: s(),
            actor_user_type: s(),
            actor_user_uid: s(),
            actor_user_uid_alt: s(),
            actor_user_name: s(),
            actor_user_account_uid: s(),
            actor_user_credential_uid: s(),
            actor_session_issuer: s(),
            actor_session_is_mfa: bb(),
            actor_invoked_by: s(),
            src_endpoint_ip: s(),
            src_endpoint_domain: s(),
            user_agent: s(),
            cloud_provider: s(),
            cloud_region: s(),
            cloud_account_uid: s(),
            read_only: bb(),
            management_event: bb(),
            event_category: s(),
            shared_event_id: s(),
            vpc_endpoint_id: s(),
            resources: s(),
            additional_data: s(),
            service_event_details: s(),
            account_name: s(),
            account_team: s(),
            account_env: s(),
            account_owner: s(),
            account_ou: s(),
            source_object: s(),
            raw: s(),
            rows: 0,
            bytes: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.rows
    }

    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// Approximate bytes held (dominated by the raw records).
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Appends one row. `account_id` is the partition's account; `account` its directory entry.
    pub fn append(
        &mut self,
        a: &ApiActivity<'_>,
        account_id: &str,
        account: Option<&Account>,
        source_object: &str,
    ) {
        let activity = a.activity();
        let failed = a.is_failure();
        self.time.append_value(a.time_ms);
        self.time_dt.append_value(a.time_ms);
        self.metadata_uid.append_option(a.event_uid.as_deref());
        self.metadata_version.append_value(OCSF_VERSION);
        self.product_name.append_value("CloudTrail");
        self.vendor_name.append_value("AWS");
        self.product_version.append_option(a.event_version.as_deref());
        self.event_code.append_option(a.event_type.as_deref());
        self.class_uid.append_value(API_ACTIVITY_CLASS_UID);
        self.category_uid.append_value(APPLICATION_CATEGORY_UID);
        self.activity_id.append_value(activity as i32);
        self.activity_name.append_value(activity.name());
        self.type_uid
            .append_value(API_ACTIVITY_CLASS_UID * 100 + activity as i32);
        self.severity_id.append_value(1);
        self.status
            .append_value(if failed { "Failure" } else { "Success" });
        self.status_id.append_value(if failed { 2 } else { 1 });
        self.status_code.append_option(a.error_code.as_deref());
        self.status_detail.append_option(a.error_message.as_deref());
        self.api_operation.append_option(a.operation.as_deref());
        self.api_service_name.append_option(a.service.as_deref());
        self.api_request_uid.append_option(a.request_uid.as_deref());
        self.api_version.append_option(a.api_version.as_deref());
        self.api_request_data.append_option(a.request_data);
        self.api_response_data.append_option(a.response_data);
        self.actor_user_type.append_option(a.actor_type.as_deref());
        self.actor_user_uid.append_option(a.actor_uid.as_deref());
        self.actor_user_uid_alt.append_option(a.actor_uid_alt.as_deref());
        self.actor_user_name.append_option(a.actor_name.as_deref());
        self.actor_user_account_uid
            .append_option(a.actor_account.as_deref());
        self.actor_user_credential_uid
            .append_option(a.actor_credential.as_deref());
        self.actor_session_issuer
            .append_option(a.actor_session_issuer.as_deref());
        self.actor_session_is_mfa.append_option(a.actor_mfa);
        self.actor_invoked_by.append_option(a.actor_invoked_by.as_deref());
        self.src_endpoint_ip.append_option(a.src_ip.as_deref());
        self.src_endpoint_domain.append_option(a.src_domain.as_deref());
        self.user_agent.append_option(a.user_agent.as_deref());
        self.cloud_provider.append_value("AWS");
        self.cloud_region.append_option(a.region.as_deref());
        self.cloud_account_uid.append_value(account_id);
        self.read_only.append_option(a.read_only);
        self.management_event.append_option(a.management_event);
        self.event_category.append_option(a.event_category.as_deref());
        self.shared_event_id.append_option(a.shared_event_id.as_deref());
        self.vpc_endpoint_id.append_option(a.vpc_endpoint_id.as_deref());
        self.resources.append_option(a.resources);
        self.additional_data.append_option(a.additional_data);
        self.service_event_details.append_option(a.service_event_details);
        let field = |f: fn(&Account) -> &str| account.map(f).filter(|s| !s.is_empty());
        self.account_name.append_option(field(|a| &a.name));
        self.account_team.append_option(field(|a| &a.team));
        self.account_env.append_option(field(|a| &a.env));
        self.account_owner.append_option(field(|a| &a.owner));
        self.account_ou.append_option(field(|a| &a.ou));
        self.source_object.append_value(source_object);
        self.raw.append_value(a.raw);
        self.rows += 1;
        // The raw record dominates; the columns hold roughly as much again.
        self.bytes += 2 * a.raw.len() + 256;
    }

    /// Finishes the appended rows into a batch and resets the builder.
    pub fn finish(&mut self) -> RecordBatch {
        let columns: Vec<ArrayRef> = vec![
            Arc::new(self.time.finish()),
            Arc::new(self.time_dt.finish()),
            Arc::new(self.metadata_uid.finish()),
            Arc::new(self.metadata_version.finish()),
            Arc::new(self.product_name.finish()),
            Arc::new(self.vendor_name.finish()),
            Arc::new(self.product_version.finish()),
            Arc::new(self.event_code.finish()),
            Arc::new(self.class_uid.finish()),
            Arc::new(self.category_uid.finish()),
            Arc::new(self.activity_id.finish()),
            Arc::new(self.activity_name.finish()),
            Arc::new(self.type_uid.finish()),
            Arc::new(self.severity_id.finish()),
            Arc::new(self.status.finish()),
            Arc::new(self.status_id.finish()),
            Arc::new(self.status_code.finish()),
            Arc::new(self.status_detail.finish()),
            Arc::new(self.api_operation.finish()),
            Arc::new(self.api_service_name.finish()),
            Arc::new(self.api_request_uid.finish()),
            Arc::new(self.api_version.finish()),
            Arc::new(self.api_request_data.finish()),
            Arc::new(self.api_response_data.finish()),
            Arc::new(self.actor_user_type.finish()),
            Arc::new(self.actor_user_uid.finish()),
            Arc::new(self.actor_user_uid_alt.finish()),
            Arc::new(self.actor_user_name.finish()),
            Arc::new(self.actor_user_account_uid.finish()),
            Arc::new(self.actor_user_credential_uid.finish()),
            Arc::new(self.actor_session_issuer.finish()),
            Arc::new(self.actor_session_is_mfa.finish()),
            Arc::new(self.actor_invoked_by.finish()),
            Arc::new(self.src_endpoint_ip.finish()),
            Arc::new(self.src_endpoint_domain.finish()),
            Arc::new(self.user_agent.finish()),
            Arc::new(self.cloud_provider.finish()),
            Arc::new(self.cloud_region.finish()),
            Arc::new(self.cloud_account_uid.finish()),
            Arc::new(self.read_only.finish()),
            Arc::new(self.management_event.finish()),
            Arc::new(self.event_category.finish()),
            Arc::new(self.shared_event_id.finish()),
            Arc::new(self.vpc_endpoint_id.finish()),
            Arc::new(self.resources.finish()),
            Arc::new(self.additional_data.finish()),
            Arc::new(self.service_event_details.finish()),
            Arc::new(self.account_name.finish()),
            Arc::new(self.account_team.finish()),
            Arc::new(self.account_env.finish()),
            Arc::new(self.account_owner.finish()),
            Arc::new(self.account_ou.finish()),
            Arc::new(self.source_object.finish()),
            Arc::new(self.raw.finish()),
        ];
        self.rows = 0;
        self.bytes = 0;
        // The columns are built to match SCHEMA one for one; a mismatch is a bug caught by tests.
        RecordBatch::try_new(schema(), columns).unwrap_or_else(|e| panic!("cloudtrail schema mismatch: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builder_matches_schema() {
        let mut b = CloudTrailBuilder::new();
        let a = ApiActivity {
            time_ms: 1_000,
            operation: Some("GetObject".into()),
            error_code: Some("AccessDenied".into()),
            raw: "{}",
            ..ApiActivity::default()
        };
        b.append(&a, "111122223333", None, "k");
        b.append(&a, "111122223333", None, "k");
        let batch = b.finish();
        assert_eq!(batch.num_rows(), 2);
        assert_eq!(batch.schema(), schema());
        assert!(b.is_empty());
    }
}
