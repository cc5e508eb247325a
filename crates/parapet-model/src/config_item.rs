//! One AWS Config configuration item: the recorded state of one resource at one time.

/// How the item reached parapet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConfigDelivery {
    /// A configuration history file (`ConfigHistory/…json.gz`).
    History,
    /// A configuration snapshot file (`ConfigSnapshot/…json.gz`).
    Snapshot,
    /// A `ConfigurationItemChangeNotification` message.
    Notification,
    /// An `OversizedConfigurationItemChangeNotification`: the summary only; the full item is in
    /// S3 at `oversized_location`.
    Oversized,
    /// A bare item (an export, an API answer).
    Item,
}

impl ConfigDelivery {
    pub fn as_str(self) -> &'static str {
        match self {
            ConfigDelivery::History => "history",
            ConfigDelivery::Snapshot => "snapshot",
            ConfigDelivery::Notification => "notification",
            ConfigDelivery::Oversized => "oversized_notification",
            ConfigDelivery::Item => "item",
        }
    }
}

/// A configuration item. Nested parts whose shape depends on the resource type
/// (`configuration`, `tags`, `relationships`, …) stay JSON text.
#[derive(Clone, Debug, PartialEq)]
pub struct ConfigItem {
    /// `configurationItemCaptureTime`, epoch milliseconds.
    pub capture_time_ms: i64,
    /// `configurationItemStatus`: OK, ResourceDiscovered, ResourceNotRecorded, ResourceDeleted,
    /// ResourceDeletedNotRecorded.
    pub status: Option<String>,
    pub account_id: Option<String>,
    pub region: Option<String>,
    pub resource_type: String,
    pub resource_id: String,
    pub resource_name: Option<String>,
    pub arn: Option<String>,
    pub availability_zone: Option<String>,
    pub resource_creation_time_ms: Option<i64>,
    pub state_id: Option<String>,
    pub state_hash: Option<String>,
    /// The item schema version (`version` / `configurationItemVersion`).
    pub item_version: Option<String>,
    pub tags: Option<String>,
    pub relationships: Option<String>,
    pub related_events: Option<String>,
    pub configuration: Option<String>,
    pub supplementary_configuration: Option<String>,
    pub delivery: ConfigDelivery,
    /// `configurationItemDiff.changeType` of a notification (CREATE, UPDATE, DELETE).
    pub change_type: Option<String>,
    pub snapshot_id: Option<String>,
    /// Where the full item of an oversized notification is (`bucket/key`).
    pub oversized_location: Option<String>,
    /// The record as delivered.
    pub raw: String,
}

impl ConfigItem {
    /// Whether the resource no longer exists after this item.
    pub fn is_deletion(&self) -> bool {
        matches!(
            self.status.as_deref(),
            Some("ResourceDeleted") | Some("ResourceDeletedNotRecorded")
        )
    }
}
