//! An AWS Health event (as EventBridge delivers it): what happened to which service, where,
//! when, and which of the account's resources it touches.

/// One resource an event affects.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AffectedEntity {
    /// `entityValue`: an instance id, volume id, ARN, access key id…
    pub value: String,
    /// `status` (IMPAIRED, UNIMPAIRED, UNKNOWN, PENDING, RESOLVED) when the event says.
    pub status: Option<String>,
}

/// One AWS Health event.
#[derive(Clone, Debug, PartialEq)]
pub struct HealthEvent {
    /// The EventBridge event id, when the event came wrapped.
    pub event_id: Option<String>,
    /// `eventArn`: the same for every update of one event.
    pub arn: String,
    /// `service` (EC2, EBS, RISK…).
    pub service: Option<String>,
    /// `eventTypeCode` (AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED…).
    pub type_code: Option<String>,
    /// `eventTypeCategory`: issue, accountNotification, scheduledChange, investigation.
    pub type_category: Option<String>,
    /// `statusCode`: open, closed, upcoming.
    pub status_code: Option<String>,
    /// `eventScopeCode`: PUBLIC or ACCOUNT_SPECIFIC.
    pub scope_code: Option<String>,
    pub start_ms: Option<i64>,
    pub end_ms: Option<i64>,
    pub last_updated_ms: Option<i64>,
    /// The row's time: `lastUpdatedTime`, else `startTime`.
    pub time_ms: i64,
    /// The region the event is about (`eventRegion`, else the EventBridge region, else the
    /// region in the ARN).
    pub region: Option<String>,
    /// The affected account (`affectedAccount`, else the EventBridge account).
    pub account_id: Option<String>,
    /// `eventDescription[].latestDescription`, the English one if there are several.
    pub description: Option<String>,
    pub affected_entities: Vec<AffectedEntity>,
    /// The event as it arrived (with its EventBridge envelope, if it had one).
    pub raw: String,
}
