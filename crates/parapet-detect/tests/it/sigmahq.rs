//! The SigmaHQ AWS CloudTrail rules: every one loads or is refused with a reason, and over the
//! real attack datasets they match exactly the records an independent evaluation (pySigma with
//! its SQLite backend, `scripts/sigma_oracle.py`) matched. The expected matches are that
//! script's output, kept in `testdata/sigma/expected/` (the CLI tests also run the script live).

use std::collections::BTreeSet;
use std::path::Path;

use parapet_detect::builtin::Thresholds;
use parapet_detect::{compile, Event, RuleSet, Scan};

use crate::{rule_files, testdata};

fn sigmahq() -> (RuleSet, Vec<parapet_detect::RuleError>, usize) {
    let mut files = rule_files(&testdata().join("sigma/rules"));
    files.extend(rule_files(&testdata().join("sigma/rules-placeholder")));
    let n = files.len();
    let (set, errors) = compile(false, &files, &Default::default(), &Thresholds::default());
    (set, errors, n)
}

#[test]
fn sigmahq_rules_load_or_are_refused_with_a_reason() {
    let (set, errors, n) = sigmahq();
    assert_eq!(n, 58);
    assert_eq!(set.rules.len(), 57);
    let refused: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
    expect_test::expect![[r#"
        [
            "sigma/rules-placeholder/cloud/aws/cloudtrail/aws_cloudtrail_console_login_success_from_susp_locations.yml: rule 'AWS Console Login Monitoring': detection.filter_main_country.src_country|expand: placeholder %Legitimate_Countries% has no values: set detect.placeholders.Legitimate_Countries in parapet.toml",
        ]
    "#]]
    .assert_debug_eq(&refused);
    // With the placeholders configured it loads.
    let mut files = rule_files(&testdata().join("sigma/rules-placeholder"));
    files.truncate(1);
    let ph = [
        ("Legitimate_Countries".to_string(), vec!["DE".to_string()]),
        ("Legitimate_IP_Ranges".to_string(), vec!["10.0.0.0/8".to_string()]),
    ]
    .into_iter()
    .collect();
    let (set, errors) = compile(false, &files, &ph, &Thresholds::default());
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(set.rules.len(), 1);
}

/// (file name, index in file, record) of every record under `path`, in the shapes the datasets
/// come in: `{"Records": [...]}`, a bare array, NDJSON, or Panther's `{"log": {...}}` lines.
fn records(path: &Path) -> Vec<(String, usize, serde_json::Value)> {
    let mut files: Vec<_> = if path.is_dir() {
        std::fs::read_dir(path)
            .expect("dir")
            .map(|e| e.expect("entry").path())
            .collect()
    } else {
        vec![path.to_path_buf()]
    };
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let name = f
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if !(name.ends_with(".json") || name.ends_with(".ndjson") || name.ends_with(".jsonl")) {
            continue;
        }
        let text = std::fs::read_to_string(&f).expect("read");
        let items: Vec<serde_json::Value> = match serde_json::from_str::<serde_json::Value>(&text) {
            Ok(serde_json::Value::Object(mut o)) if o.contains_key("Records") => match o.remove("Records") {
                Some(serde_json::Value::Array(a)) => a,
                _ => Vec::new(),
            },
            Ok(serde_json::Value::Array(a)) => a,
            Ok(one) => vec![one],
            Err(_) => text
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(|l| serde_json::from_str(l).expect("ndjson line"))
                .collect(),
        };
        for (i, mut item) in items.into_iter().enumerate() {
            if let Some(log) = item.get_mut("log") {
                item = log.take();
            }
            out.push((name.clone(), i, item));
        }
    }
    out
}

fn engine_matches(set: &RuleSet, path: &Path) -> BTreeSet<(String, String, usize)> {
    let mut out = BTreeSet::new();
    for (file, index, record) in records(path) {
        let text = record.to_string();
        let e = Event::parse(&text).expect("record");
        let mut scan = Scan::default();
        set.scan(&e, &mut scan);
        for h in scan.hits {
            let id = set.rules[h.rule].sigma_id.clone().unwrap_or_default();
            out.insert((id, file.clone(), index));
        }
    }
    out
}

fn oracle_matches(name: &str) -> BTreeSet<(String, String, usize)> {
    let text =
        std::fs::read_to_string(testdata().join(format!("sigma/expected/{name}.ndjson"))).expect("expected");
    text.lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("line");
            let file = Path::new(v["source"].as_str().unwrap_or_default())
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            (
                v["rule_id"].as_str().unwrap_or_default().to_string(),
                file,
                v["index"].as_u64().unwrap_or(u64::MAX) as usize,
            )
        })
        .collect()
}

#[test]
fn sigmahq_matches_agree_with_pysigma_on_real_attack_data() {
    let (set, _, _) = sigmahq();
    let data = testdata();
    for (name, path) in [
        ("invictus", data.join("cloudtrail/invictus")),
        ("stratus", data.join("cloudtrail/stratus")),
        ("otrf", data.join("cloudtrail/otrf")),
        ("panther", data.join("panther/panther_cloudtrail_tests.ndjson")),
    ] {
        let ours = engine_matches(&set, &path);
        let theirs = oracle_matches(name);
        let only_ours: Vec<_> = ours.difference(&theirs).collect();
        let only_theirs: Vec<_> = theirs.difference(&ours).collect();
        assert!(
            only_ours.is_empty() && only_theirs.is_empty(),
            "{name}: parapet only {only_ours:#?}\npySigma only {only_theirs:#?}"
        );
        assert!(!ours.is_empty(), "{name}: no matches at all");
    }
}
