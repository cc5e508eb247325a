//! The dashboard in a real browser: Debian's Chromium driven by playwright-core (both
//! installed by `scripts/test-deps`). `tests/browser/dashboard.mjs` opens the overview, filters
//! the findings, acknowledges one, runs a query and looks at a chart; screenshots are kept
//! in `<target>/tmp/browser/`.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::serve::{hostile_data, serve};
use crate::support::{ok, parapet};

fn node_dir() -> PathBuf {
    std::env::var_os("PARAPET_NODE")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var("HOME").unwrap_or_default()).join(".cache/parapet-node")
        })
}

#[test]
fn dashboard_in_chromium_filters_acknowledges_queries_and_escapes() {
    let node = node_dir();
    assert!(
        node.join("node_modules/playwright-core").exists() && Path::new("/usr/bin/chromium").exists(),
        "playwright-core or chromium is missing: run `scripts/test-deps` first (looked in {})",
        node.display()
    );
    let tmp = tempfile::tempdir().expect("tmp");
    let (data, accounts) = hostile_data(tmp.path());
    // Bills, for the cost charts.
    let bills = tmp.path().join("bills");
    std::fs::create_dir_all(&bills).expect("mkdir");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../testdata/cost/cur/sample-anonymous-aws-export-dataset.csv"),
        bills.join("cur.csv"),
    )
    .expect("copy");
    ok(parapet()
        .arg("--data-dir")
        .arg(&data)
        .args(["--quiet", "cost", "ingest", "--no-anomalies", "--from"])
        .arg(&bills));
    let server = serve(&data, &accounts, &["--bind", "127.0.0.1:0"]);
    // ES modules find packages next to the script: run it from the folder holding node_modules.
    let script = node.join("parapet-dashboard-test.mjs");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser/dashboard.mjs"),
        &script,
    )
    .expect("copy the script");
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("browser");
    let out = Command::new("node")
        .arg(&script)
        .arg(format!("http://127.0.0.1:{}", server.port))
        .arg(&shots)
        .output()
        .expect("node runs");
    assert!(
        out.status.success(),
        "the browser test failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    for shot in [
        "overview",
        "findings-critical",
        "finding-acknowledged",
        "search",
        "cost",
    ] {
        let png = shots.join(format!("{shot}.png"));
        let bytes = std::fs::read(&png).unwrap_or_else(|e| panic!("{}: {e}", png.display()));
        assert!(
            bytes.starts_with(b"\x89PNG") && bytes.len() > 10_000,
            "{shot}.png is a real screenshot"
        );
    }
    eprintln!("screenshots: {}", shots.display());
    assert!(server.stop());
}
