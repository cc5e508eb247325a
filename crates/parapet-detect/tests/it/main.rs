//! Data-driven tests of the rule engine on real rules and labelled real events.

mod panther;
mod sigmahq;

use std::path::{Path, PathBuf};

use parapet_detect::builtin::Thresholds;
use parapet_detect::{compile, Event, RuleSet, Scan, Source};

pub fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata")
}

/// Every `.yml` under `dir`, as (path relative to testdata, text), sorted.
pub fn rule_files(dir: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("read dir") {
            let p = entry.expect("entry").path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|e| e == "yml" || e == "yaml") {
                let rel = p.strip_prefix(testdata()).unwrap_or(&p).display().to_string();
                out.push((rel, std::fs::read_to_string(&p).expect("read rule")));
            }
        }
    }
    out.sort();
    out
}

pub fn builtin_set() -> RuleSet {
    let (set, errors) = compile(true, &[], &Default::default(), &Thresholds::default());
    // Only the rules waiting for allow-lists are inactive.
    let inactive: Vec<_> = errors
        .iter()
        .map(|e| (e.rule.as_str(), e.placeholder.as_deref()))
        .collect();
    assert_eq!(
        inactive,
        [
            (
                "Console sign-in from outside the allowed networks",
                Some("allowed_console_cidrs")
            ),
            (
                "Console sign-in from outside the allowed countries",
                Some("allowed_console_countries")
            ),
            ("Trail bucket policy changed", Some("trail_buckets"))
        ],
        "{errors:#?}"
    );
    set
}

/// Rule ids matching one record of `source`.
pub fn matching_as(set: &RuleSet, source: Source, record: &serde_json::Value) -> Vec<String> {
    let text = record.to_string();
    let e = Event::parse_as(source, &text).expect("record");
    let mut scan = Scan::default();
    set.scan(&e, &mut scan);
    let mut ids: Vec<String> = scan.hits.iter().map(|h| set.rules[h.rule].id.clone()).collect();
    ids.extend(scan.correlation_events.iter().map(|c| format!("base:{}", c.rule)));
    ids.sort();
    ids.dedup();
    ids
}
