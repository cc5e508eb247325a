//! Invalid configurations and unwritable outputs give errors that name the culprit.

use parapet_sim::{simulate, SimConfig, SimError};

fn err(cfg: SimConfig) -> String {
    let dir = tempfile::tempdir().unwrap();
    simulate(&cfg, dir.path(), &|_| {}).unwrap_err().to_string()
}

#[test]
fn invalid_fields_are_named() {
    let base = SimConfig::default();
    assert!(err(SimConfig {
        accounts: 3,
        ..base.clone()
    })
    .contains("`accounts`"));
    assert!(err(SimConfig {
        days: 0,
        ..base.clone()
    })
    .contains("`days`"));
    let e = err(SimConfig {
        start_day: "2026-11-01".into(),
        ..base.clone()
    });
    assert!(e.contains("`start_day`") && e.contains("2026-11-01"), "{e}");
    assert!(err(SimConfig {
        start_day: "20261131".into(),
        ..base
    })
    .contains("`start_day`"));
}

#[test]
fn io_errors_name_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("not-a-dir");
    std::fs::write(&blocker, b"x").unwrap();
    let cfg = crate::support::small(4, 1, 10, 1);
    let e = simulate(&cfg, &blocker, &|_| {}).unwrap_err();
    assert!(matches!(e, SimError::Io { .. }), "{e:?}");
    assert!(e.to_string().contains("not-a-dir"), "{e}");
}
