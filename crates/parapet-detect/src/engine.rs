//! The compiled rule set: rules indexed by the `eventName` values they require, so an event is
//! checked only against the rules that can match it (plus the few that name no event), with
//! each field looked up once per event whatever the number of rules reading it.

use std::collections::{BTreeSet, HashMap};

use parapet_model::{CorrelationEvent, EventRef};
use serde_json::Value;

use crate::event::{value_text, Event, Source};
use crate::matcher::{Matcher, StrPat};
use crate::rule::{Body, Correlation, Detection, Item, Rule, RuleError, Selection};
use crate::sigma::condition::Expr;
use crate::sigma::Fields;

/// A correlation's link to one of the rules it reads.
#[derive(Clone, Debug)]
struct Feed {
    correlation: usize,
    group_fields: Vec<usize>,
    value_field: Option<usize>,
}

/// Rules ready to run.
pub struct RuleSet {
    pub rules: Vec<Rule>,
    fields: Fields,
    /// Lower-case `eventName` → CloudTrail rules that require it.
    by_event_name: HashMap<String, Vec<usize>>,
    /// Per source (in [`Source::ALL`] order), the rules checked against every one of its
    /// events: CloudTrail rules that name no `eventName`, and every rule of the other logs.
    generic: [Vec<usize>; Source::ALL.len()],
    /// Per source, how many event rules read it.
    per_source: [usize; Source::ALL.len()],
    /// Per rule: whether its matches are findings of their own.
    emits: Vec<bool>,
    /// Per rule: the correlations reading it.
    feeds: Vec<Vec<Feed>>,
    /// Per rule: its group-by fields (event rules).
    group_fields: Vec<Vec<usize>>,
}

/// A rule's match on one event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hit {
    pub rule: usize,
    /// Values of the rule's group-by fields.
    pub group: Vec<String>,
    pub event: EventRef,
}

/// What a scan found.
#[derive(Default, Debug)]
pub struct Scan {
    pub hits: Vec<Hit>,
    pub correlation_events: Vec<CorrelationEvent>,
    pub events: u64,
}

impl RuleSet {
    /// Compiles loaded rules. Correlations whose rules cannot be found, and duplicate ids, are
    /// returned as errors and left out; everything else runs.
    pub fn build(loaded: Vec<Rule>, mut fields: Fields) -> (RuleSet, Vec<RuleError>) {
        let mut errors = Vec::new();
        let mut rules: Vec<Rule> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for r in loaded {
            if !seen.insert(r.id.clone()) {
                errors.push(RuleError {
                    origin: r.origin.to_string(),
                    rule: r.title.clone(),
                    construct: "id".into(),
                    message: format!("another rule already has the id '{}'; this one is skipped", r.id),
                    placeholder: None,
                });
                continue;
            }
            rules.push(r);
        }
        // Resolve correlations' references; drop the ones that do not resolve.
        let find = |rules: &[Rule], reference: &str| rules.iter().position(|r| r.answers_to(reference));
        let mut keep = vec![true; rules.len()];
        let mut links: Vec<(usize, Vec<usize>)> = Vec::new();
        for (ci, r) in rules.iter().enumerate() {
            let Body::Correlation(c) = &r.body else { continue };
            let mut targets = Vec::new();
            let mut problem = None;
            for reference in &c.rules {
                match find(&rules, reference) {
                    Some(t) if matches!(rules[t].body, Body::Events(_)) => targets.push(t),
                    Some(_) => problem = Some(format!("'{reference}' is itself a correlation; correlations of correlations are not supported")),
                    None => problem = Some(format!("no loaded rule has the name or id '{reference}'")),
                }
            }
            if let Some(message) = problem {
                errors.push(RuleError {
                    origin: r.origin.to_string(),
                    rule: r.title.clone(),
                    construct: "correlation.rules".into(),
                    message,
                    placeholder: None,
                });
                keep[ci] = false;
                continue;
            }
            links.push((ci, targets));
        }
        let mut emits = vec![true; rules.len()];
        let mut feeds: Vec<Vec<Feed>> = vec![Vec::new(); rules.len()];
        for (ci, targets) in &links {
            let Body::Correlation(c) = &rules[*ci].body else {
                continue;
            };
            for &t in targets {
                if !c.generate {
                    emits[t] = false;
                }
                let base = &rules[t];
                let group_fields = c
                    .group_by
                    .iter()
                    .map(|g| fields.intern(&alias_field(c, g, base)))
                    .collect();
                let value_field = c.field.as_ref().map(|f| fields.intern(&alias_field(c, f, base)));
                feeds[t].push(Feed {
                    correlation: *ci,
                    group_fields,
                    value_field,
                });
            }
        }
        for (i, k) in keep.iter().enumerate() {
            if !k {
                emits[i] = false;
            }
        }
        let mut by_event_name: HashMap<String, Vec<usize>> = HashMap::new();
        let mut generic: [Vec<usize>; Source::ALL.len()] = Default::default();
        let mut per_source = [0usize; Source::ALL.len()];
        let event_name = fields.intern("eventName");
        let mut group_fields = vec![Vec::new(); rules.len()];
        for (i, r) in rules.iter().enumerate() {
            let Body::Events(d) = &r.body else { continue };
            // The default grouping of a finding: the account.
            let group: Vec<String> = if r.group_by.is_empty() {
                vec![d.source.account_field().to_string()]
            } else {
                r.group_by.clone()
            };
            group_fields[i] = group.iter().map(|g| fields.intern(g)).collect();
            let s = d.source.index();
            per_source[s] += 1;
            let names = match d.source {
                Source::CloudTrail => required_names(d, &d.condition, event_name),
                Source::VpcFlow | Source::Resolver => None,
            };
            match names {
                Some(names) => {
                    for n in names {
                        by_event_name.entry(n).or_default().push(i);
                    }
                }
                None => generic[s].push(i),
            }
        }
        let set = RuleSet {
            rules,
            fields,
            by_event_name,
            generic,
            per_source,
            emits,
            feeds,
            group_fields,
        };
        (set, errors)
    }

    /// How many CloudTrail rules are checked against every event (they name no `eventName`).
    pub fn generic_rules(&self) -> usize {
        self.generic[Source::CloudTrail.index()].len()
    }

    /// Whether any rule reads `source` (a log no rule reads need not be scanned).
    pub fn reads(&self, source: Source) -> bool {
        self.per_source[source.index()] > 0
    }

    pub fn field_name(&self, f: usize) -> &str {
        &self.fields.names[f]
    }

    /// The group-by field names of event rule `rule`.
    pub fn group_names(&self, rule: usize) -> Vec<&str> {
        self.group_fields[rule]
            .iter()
            .map(|&f| self.field_name(f))
            .collect()
    }

    /// Whether an event rule's matches become findings of their own.
    pub fn emits(&self, rule: usize) -> bool {
        self.emits[rule]
    }

    /// The correlation with this id.
    pub fn correlation(&self, id: &str) -> Option<(usize, &Correlation)> {
        self.rules.iter().enumerate().find_map(|(i, r)| match &r.body {
            Body::Correlation(c) if r.id == id => Some((i, c)),
            _ => None,
        })
    }

    /// Scans one record; appends what matched to `out`.
    pub fn scan(&self, event: &Event<'_>, out: &mut Scan) {
        out.events += 1;
        let mut cache = Cache {
            event,
            paths: &self.fields.paths,
            slots: Vec::new(),
        };
        let generic = &self.generic[event.source.index()];
        let bucket = event
            .event_name()
            .and_then(|n| {
                if n.bytes().any(|b| b.is_ascii_uppercase()) {
                    self.by_event_name.get(&n.to_ascii_lowercase())
                } else {
                    self.by_event_name.get(n)
                }
            })
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        let mut matched: Vec<usize> = Vec::new();
        for &i in bucket.iter().chain(generic.iter()) {
            let Body::Events(d) = &self.rules[i].body else {
                continue;
            };
            if eval_expr(&d.condition, d, &mut cache) {
                matched.push(i);
            }
        }
        if matched.is_empty() {
            return;
        }
        matched.sort_unstable();
        let event_ref = event_ref(event);
        for i in matched {
            if self.emits[i] {
                let group = self.group_fields[i]
                    .iter()
                    .map(|&f| cache.first_text(f))
                    .collect();
                out.hits.push(Hit {
                    rule: i,
                    group,
                    event: event_ref.clone(),
                });
            }
            for feed in &self.feeds[i] {
                let group: Vec<String> = feed.group_fields.iter().map(|&f| cache.first_text(f)).collect();
                let value = feed
                    .value_field
                    .map(|f| cache.first_text(f))
                    .filter(|v| !v.is_empty());
                out.correlation_events.push(CorrelationEvent {
                    correlation: self.rules[feed.correlation].id.clone(),
                    rule: self.rules[i].id.clone(),
                    group: serde_json::to_string(&group).unwrap_or_default(),
                    value,
                    event: event_ref.clone(),
                });
            }
        }
    }
}

/// The field a correlation's group-by (or value) name stands for in one base rule.
fn alias_field(c: &Correlation, name: &str, base: &Rule) -> String {
    for (alias, per_rule) in &c.aliases {
        if alias == name {
            for (r, f) in per_rule {
                if base.answers_to(r) {
                    return f.clone();
                }
            }
        }
    }
    name.to_string()
}

/// The event facts every finding carries, and the excerpt.
pub fn event_ref(e: &Event<'_>) -> EventRef {
    let excerpt = match e.source {
        Source::CloudTrail => cloudtrail_excerpt(e),
        // Flow and DNS records are small: all of them, long values cut.
        Source::VpcFlow | Source::Resolver => match &e.value {
            Value::Object(m) => Value::Object(m.iter().map(|(k, v)| (k.clone(), shorten(v))).collect()),
            other => other.clone(),
        },
    };
    EventRef {
        uid: e.uid(),
        time_ms: e.time_ms().unwrap_or(0),
        account_id: e.account().map(str::to_string),
        region: e.region().map(str::to_string),
        actor: e.actor().map(str::to_string),
        action: e.action(),
        excerpt: excerpt.to_string(),
    }
}

fn cloudtrail_excerpt(e: &Event<'_>) -> Value {
    let mut ex = serde_json::Map::new();
    for k in [
        "eventTime",
        "eventSource",
        "eventName",
        "awsRegion",
        "sourceIPAddress",
        "userAgent",
        "errorCode",
        "errorMessage",
        "recipientAccountId",
    ] {
        if let Some(v) = e.value.get(k) {
            if !v.is_null() {
                ex.insert(k.to_string(), v.clone());
            }
        }
    }
    if let Some(Value::Object(id)) = e.value.get("userIdentity") {
        let mut who = serde_json::Map::new();
        for k in ["type", "arn", "userName", "accountId"] {
            if let Some(v) = id.get(k) {
                who.insert(k.to_string(), v.clone());
            }
        }
        ex.insert("userIdentity".into(), Value::Object(who));
    }
    // `parapet` holds what parapet added (the sign-in's country).
    for k in [
        "requestParameters",
        "additionalEventData",
        "responseElements",
        "parapet",
    ] {
        if let Some(v) = e.value.get(k) {
            if !v.is_null() {
                ex.insert(k.to_string(), shorten(v));
            }
        }
    }
    Value::Object(ex)
}

/// `v`, or its JSON text cut to 400 bytes when longer.
fn shorten(v: &Value) -> Value {
    let text = match v {
        Value::String(s) if s.len() <= 400 => return v.clone(),
        Value::String(s) => s.clone(),
        Value::Null | Value::Bool(_) | Value::Number(_) => return v.clone(),
        other => other.to_string(),
    };
    if text.len() <= 400 {
        return v.clone();
    }
    let mut cut = 400;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    Value::String(format!("{}…", &text[..cut]))
}

/// Field values of one event, looked up on first use.
struct Cache<'e, 'p> {
    event: &'e Event<'e>,
    paths: &'p [Vec<String>],
    slots: Vec<(usize, Vec<&'e Value>)>,
}

impl<'e> Cache<'e, '_> {
    fn get(&mut self, f: usize) -> usize {
        if let Some(i) = self.slots.iter().position(|(k, _)| *k == f) {
            return i;
        }
        let mut out = Vec::new();
        self.event.values(&self.paths[f], &mut out);
        self.slots.push((f, out));
        self.slots.len() - 1
    }

    fn first_text(&mut self, f: usize) -> String {
        let i = self.get(f);
        self.slots[i]
            .1
            .iter()
            .find_map(|v| value_text(v))
            .map(|c| c.into_owned())
            .unwrap_or_default()
    }

    fn texts(&mut self, f: usize) -> Vec<String> {
        let i = self.get(f);
        self.slots[i]
            .1
            .iter()
            .filter_map(|v| value_text(v))
            .map(|c| c.into_owned())
            .collect()
    }
}

fn eval_expr(e: &Expr, d: &Detection, cache: &mut Cache<'_, '_>) -> bool {
    match e {
        Expr::Sel(i) => eval_selection(&d.selections[*i], cache),
        Expr::And(parts) => parts.iter().all(|p| eval_expr(p, d, cache)),
        Expr::Or(parts) => parts.iter().any(|p| eval_expr(p, d, cache)),
        Expr::Not(inner) => !eval_expr(inner, d, cache),
    }
}

fn eval_selection(s: &Selection, cache: &mut Cache<'_, '_>) -> bool {
    match s {
        Selection::All(items) => items.iter().all(|it| eval_item(it, cache)),
        Selection::Any(maps) => maps
            .iter()
            .any(|items| items.iter().all(|it| eval_item(it, cache))),
        Selection::Keywords { pats, all } => {
            let text = cache.event.text;
            if *all {
                pats.iter().all(|p| p.matches(text, false))
            } else {
                pats.iter().any(|p| p.matches(text, false))
            }
        }
    }
}

fn eval_item(it: &Item, cache: &mut Cache<'_, '_>) -> bool {
    let slot = cache.get(it.field);
    // Field references need other fields' texts; look them up first.
    let refs: Vec<(usize, Vec<String>)> = it
        .matchers
        .iter()
        .filter_map(|m| match m {
            Matcher::FieldRef { field, .. } => Some(*field),
            _ => None,
        })
        .map(|f| (f, cache.texts(f)))
        .collect();
    let values = &cache.slots[slot].1;
    let other = |f: usize| -> Vec<String> {
        refs.iter()
            .find(|(k, _)| *k == f)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    if it.all {
        it.matchers.iter().all(|m| m.matches(values, &other))
    } else {
        it.matchers.iter().any(|m| m.matches(values, &other))
    }
}

/// The lower-case `eventName` values without which the condition cannot hold, if there are any.
fn required_names(d: &Detection, e: &Expr, event_name: usize) -> Option<BTreeSet<String>> {
    match e {
        Expr::Sel(i) => selection_names(&d.selections[*i], event_name),
        Expr::And(parts) => {
            let mut acc: Option<BTreeSet<String>> = None;
            for p in parts {
                if let Some(s) = required_names(d, p, event_name) {
                    acc = Some(match acc {
                        None => s,
                        Some(a) => a.intersection(&s).cloned().collect(),
                    });
                }
            }
            acc
        }
        Expr::Or(parts) => {
            let mut acc = BTreeSet::new();
            for p in parts {
                acc.extend(required_names(d, p, event_name)?);
            }
            Some(acc)
        }
        Expr::Not(_) => None,
    }
}

fn selection_names(s: &Selection, event_name: usize) -> Option<BTreeSet<String>> {
    let map_names = |items: &[Item]| -> Option<BTreeSet<String>> {
        let mut acc: Option<BTreeSet<String>> = None;
        for it in items.iter().filter(|it| it.field == event_name) {
            let mut set = BTreeSet::new();
            for m in &it.matchers {
                match m {
                    Matcher::Str {
                        pat: StrPat::Exact(v),
                        ..
                    } => {
                        set.insert(v.to_lowercase());
                    }
                    // Anything else (wildcards, null, regex) could match other names.
                    _ => return None,
                }
            }
            acc = Some(match acc {
                None => set,
                Some(a) => a.intersection(&set).cloned().collect(),
            });
        }
        acc
    };
    match s {
        Selection::All(items) => map_names(items),
        Selection::Any(maps) => {
            let mut acc = BTreeSet::new();
            for m in maps {
                acc.extend(map_names(m)?);
            }
            Some(acc)
        }
        Selection::Keywords { .. } => None,
    }
}
