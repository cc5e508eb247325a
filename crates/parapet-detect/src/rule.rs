//! A loaded rule: its metadata, and either a detection over single events or a correlation of
//! other rules' matches.

use parapet_model::Severity;

use crate::matcher::{Matcher, StrPat};
use crate::sigma::condition::Expr;

/// Where a rule came from: a file, or the built-in pack.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    Builtin(&'static str),
    File(String),
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::Builtin(name) => write!(f, "builtin:{name}"),
            Origin::File(path) => f.write_str(path),
        }
    }
}

#[derive(Clone, Debug)]
pub struct Rule {
    /// The finding's rule id: the built-in's own id, or `sigma.<id>` for a Sigma rule.
    pub id: String,
    /// The Sigma `id` (a UUID for SigmaHQ rules).
    pub sigma_id: Option<String>,
    /// The Sigma `name`, by which correlations may refer to it.
    pub name: Option<String>,
    pub title: String,
    pub description: String,
    pub severity: Severity,
    pub status: Option<String>,
    pub tags: Vec<String>,
    pub origin: Origin,
    /// Security Hub / CIS controls the rule implements (`CloudWatch.1`, `CIS 4.3`).
    pub controls: Vec<String>,
    /// What to do about a finding of this rule.
    pub next_step: String,
    /// Fields whose values, with the rule, make a finding's dedup key (default: the account).
    pub group_by: Vec<String>,
    pub body: Body,
}

impl Rule {
    /// Whether a correlation's reference (a Sigma name, a Sigma id, or parapet's rule id) means
    /// this rule.
    pub fn answers_to(&self, reference: &str) -> bool {
        self.name.as_deref() == Some(reference)
            || self.sigma_id.as_deref() == Some(reference)
            || self.id == reference
    }
}

#[derive(Clone, Debug)]
pub enum Body {
    Events(Detection),
    Correlation(Correlation),
}

/// Selections and a condition over one event.
#[derive(Clone, Debug)]
pub struct Detection {
    /// The log the rule reads.
    pub source: crate::event::Source,
    pub selections: Vec<Selection>,
    pub names: Vec<String>,
    pub condition: Expr,
}

#[derive(Clone, Debug)]
pub enum Selection {
    /// Every item must hold.
    All(Vec<Item>),
    /// A list of maps: any one must hold.
    Any(Vec<Vec<Item>>),
    /// Keywords searched in the whole record text.
    Keywords { pats: Vec<StrPat>, all: bool },
}

/// `field|modifiers: values`.
#[derive(Clone, Debug)]
pub struct Item {
    /// Index into the rule set's field table.
    pub field: usize,
    pub matchers: Vec<Matcher>,
    /// `|all`: every value must match (else any).
    pub all: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CorrelationKind {
    EventCount,
    ValueCount,
    Temporal,
    TemporalOrdered,
}

impl CorrelationKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CorrelationKind::EventCount => "event_count",
            CorrelationKind::ValueCount => "value_count",
            CorrelationKind::Temporal => "temporal",
            CorrelationKind::TemporalOrdered => "temporal_ordered",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Correlation {
    pub kind: CorrelationKind,
    /// The rules it reads, by name or id, in order (the order matters for `temporal_ordered`).
    pub rules: Vec<String>,
    /// Group-by fields; `aliases` may map one per base rule.
    pub group_by: Vec<String>,
    /// `alias -> (rule reference -> field)`.
    pub aliases: Vec<(String, Vec<(String, String)>)>,
    pub timespan_ms: i64,
    /// The least count (events, distinct values, or distinct rules) that fires.
    pub at_least: u64,
    /// `value_count`'s field.
    pub field: Option<String>,
    /// Whether the base rules also report their own matches.
    pub generate: bool,
}

/// What the loader could not accept, naming the rule and the construct.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{origin}: rule '{rule}': {construct}: {message}")]
pub struct RuleError {
    pub origin: String,
    /// The rule's title, else its id, else `document N`.
    pub rule: String,
    /// Where in the rule: `detection.selection.eventName|wide`, `correlation.condition`, `yaml`.
    pub construct: String,
    pub message: String,
    /// Set when the only problem is a `%placeholder%` without configured values: the rule is
    /// inactive until it is configured, not wrong.
    pub placeholder: Option<String>,
}
