//! The lake's file schema is a contract with every outside reader (DuckDB, Athena, Spark):
//! it is snapshotted, and a change must update the snapshot on purpose
//! (`UPDATE_SNAPSHOTS=1 cargo test -p parapet-lake`).

use std::path::Path;

fn check_snapshot(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(name);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, actual).expect("write snapshot");
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        expected == actual,
        "{} differs from the snapshot; if the change is intended, run with UPDATE_SNAPSHOTS=1\n--- expected\n{expected}\n--- actual\n{actual}",
        path.display()
    );
}

#[test]
fn cloudtrail_schema_is_stable() {
    let mut text = String::new();
    for f in parapet_lake::cloudtrail::schema().fields() {
        text.push_str(&format!(
            "{} {}{}\n",
            f.name(),
            f.data_type(),
            if f.is_nullable() { "" } else { " NOT NULL" }
        ));
    }
    check_snapshot("cloudtrail_schema.txt", &text);
}
