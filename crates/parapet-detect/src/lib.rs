//! Detection: the built-in rule pack and Sigma rules (with correlations), compiled into one
//! indexed [`RuleSet`] that scans CloudTrail records, decides correlation windows, and turns
//! matches into findings' events. Pure: no I/O, nothing is sent or stored here (the ingest
//! pipeline and the CLI feed records in and write what comes out).

pub mod builtin;
pub mod correlate;
pub mod engine;
pub mod event;
pub mod findings;
pub mod matcher;
pub mod rule;
pub mod sigma;

pub use engine::{event_ref, Hit, RuleSet, Scan};
pub use event::{Event, EventError, Source};
pub use findings::{finding_events, settle, Context, Fired, LoadGroup};
pub use rule::{Body, Correlation, CorrelationKind, Origin, Rule, RuleError};
pub use sigma::{Fields, Loader, Placeholders};

/// Loads the built-in pack (unless `builtin` is false) and the given rule texts, and compiles
/// them. Returns the set and every rule that was refused, with the reason.
pub fn compile(
    builtin: bool,
    files: &[(String, String)],
    placeholders: &Placeholders,
    thresholds: &builtin::Thresholds,
) -> (RuleSet, Vec<RuleError>) {
    compile_except(builtin, files, placeholders, thresholds, &[])
}

/// [`compile`], leaving out rules whose id matches one of `disabled` (`*` wildcards).
pub fn compile_except(
    builtin: bool,
    files: &[(String, String)],
    placeholders: &Placeholders,
    thresholds: &builtin::Thresholds,
    disabled: &[String],
) -> (RuleSet, Vec<RuleError>) {
    let mut loader = Loader::new(placeholders);
    let mut rules = Vec::new();
    let mut errors = Vec::new();
    if builtin {
        for (name, text) in builtin::texts(thresholds) {
            for r in loader.load_text(&text, &Origin::Builtin(name)) {
                match r {
                    Ok(rule) => rules.push(rule),
                    Err(e) => errors.push(e),
                }
            }
        }
    }
    for (path, text) in files {
        for r in loader.load_text(text, &Origin::File(path.clone())) {
            match r {
                Ok(rule) => rules.push(rule),
                Err(e) => errors.push(e),
            }
        }
    }
    rules.retain(|r| {
        !disabled
            .iter()
            .any(|d| parapet_model::detection::wildcard(d, &r.id))
    });
    let (set, more) = RuleSet::build(rules, loader.fields);
    errors.extend(more);
    (set, errors)
}
