//! One CloudTrail Insights event: the start or end of an unusual rate of API calls or errors.

#[derive(Clone, Debug, PartialEq)]
pub struct InsightEvent {
    pub time_ms: i64,
    pub event_id: String,
    pub event_version: Option<String>,
    pub account_id: Option<String>,
    pub region: Option<String>,
    /// Pairs the start and end events of one insight.
    pub shared_event_id: Option<String>,
    /// `Start` or `End`.
    pub state: Option<String>,
    /// `ApiCallRateInsight` or `ApiErrorRateInsight`.
    pub insight_type: Option<String>,
    pub event_source: Option<String>,
    pub event_name: Option<String>,
    /// The error of an error-rate insight.
    pub error_code: Option<String>,
    pub baseline_average: Option<f64>,
    pub insight_average: Option<f64>,
    /// Minutes.
    pub baseline_duration: Option<i64>,
    pub insight_duration: Option<i64>,
    /// `insightContext.attributions` as JSON text (who and what drove the insight).
    pub attributions: Option<String>,
    pub raw: String,
}
