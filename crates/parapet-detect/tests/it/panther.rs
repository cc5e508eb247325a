//! Panther's labelled CloudTrail and Route 53 Resolver tests against the built-in rule that
//! covers the same thing; which covers which is the table in `rules/COVERAGE.md`.

use std::path::Path;

use parapet_detect::Source;

use crate::{builtin_set, matching_as, testdata};

/// (Panther rule, parapet rule, test names not checked) from the first table of COVERAGE.md.
fn coverage() -> Vec<(String, String, Vec<String>)> {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/COVERAGE.md"))
        .expect("COVERAGE.md");
    let mut out = Vec::new();
    for line in text.lines() {
        let cells: Vec<&str> = line.trim().trim_matches('|').split('|').map(str::trim).collect();
        if cells.len() == 3 && cells[0].starts_with("AWS.") {
            let skipped = cells[2]
                .split('"')
                .enumerate()
                .filter(|(i, _)| i % 2 == 1)
                .map(|(_, s)| s.to_string())
                .collect();
            out.push((cells[0].to_string(), cells[1].to_string(), skipped));
        }
    }
    out
}

#[test]
fn panther_labelled_tests_pass() {
    let set = builtin_set();
    let map = coverage();
    assert_eq!(map.len(), 19, "rows of the coverage table");
    for (_, rule, _) in &map {
        assert!(
            set.rules.iter().any(|r| r.id == *rule),
            "{rule} is not a built-in rule"
        );
    }
    let mut lines = Vec::new();
    for (file, source) in [
        ("panther_cloudtrail_tests.ndjson", Source::CloudTrail),
        ("panther_vpcdns_tests.ndjson", Source::Resolver),
    ] {
        let text = std::fs::read_to_string(testdata().join("panther").join(file)).expect("tests");
        lines.extend(text.lines().map(|l| (l.to_string(), source)));
    }
    let (mut checked, mut positives) = (0, 0);
    let mut failures = Vec::new();
    for (line, source) in &lines {
        let t: serde_json::Value = serde_json::from_str(line).expect("line");
        let (Some(pr), Some(name), Some(expected)) = (
            t["rule_id"].as_str(),
            t["test_name"].as_str(),
            t["expected_match"].as_bool(),
        ) else {
            panic!("malformed test line {line}");
        };
        let Some((_, rule, skipped)) = map.iter().find(|(p, _, _)| p == pr) else {
            continue;
        };
        if skipped.iter().any(|s| s == name) {
            continue;
        }
        let got = matching_as(&set, *source, &t["log"]).iter().any(|id| id == rule);
        checked += 1;
        positives += usize::from(expected);
        if got != expected {
            failures.push(format!("{pr} / {name}: {rule} gave {got}, expected {expected}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(
        (checked, positives),
        (63, 26),
        "tests checked, of which expected matches"
    );
}
