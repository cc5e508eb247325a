//! Same config and seed → byte-identical output; another seed → different output.

use crate::support::{files, run, small};

#[test]
fn same_seed_same_bytes() {
    let cfg = small(6, 1, 200, 7);
    let (a, sa) = run(&cfg);
    let (b, sb) = run(&cfg);
    assert_eq!(sa, sb);
    let fa = files(a.path());
    assert_eq!(fa, files(b.path()));
    assert!(fa.len() > 20, "{} files", fa.len());
    for f in &fa {
        let x = std::fs::read(a.path().join(f)).unwrap();
        let y = std::fs::read(b.path().join(f)).unwrap();
        assert!(x == y, "{f} differs between runs");
    }
    let (c, _) = run(&small(6, 1, 200, 8));
    assert_ne!(
        std::fs::read(a.path().join("accounts.csv")).unwrap(),
        std::fs::read(c.path().join("accounts.csv")).unwrap()
    );
}

#[test]
fn progress_reports_every_account() {
    let cfg = small(5, 1, 50, 1);
    let dir = tempfile::tempdir().unwrap();
    let seen = std::sync::Mutex::new(Vec::new());
    let summary = parapet_sim::simulate(&cfg, dir.path(), &|p| {
        seen.lock()
            .unwrap()
            .push((p.accounts_done, p.accounts_total, p.events));
    })
    .unwrap();
    let mut seen = seen.into_inner().unwrap();
    seen.sort();
    assert_eq!(seen.iter().map(|s| s.0).collect::<Vec<_>>(), vec![1, 2, 3, 4, 5]);
    assert!(seen.iter().all(|s| s.1 == 5));
    assert_eq!(seen.iter().map(|s| s.2).max(), Some(summary.events));
}
