//! Shared helpers: the repo's test data, an independent oracle over the original JSON, and a
//! reader of what the lake holds.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use parapet_ingest::DataDir;
use parapet_lake::arrow::array::{Array, AsArray, RecordBatch};
use parapet_lake::arrow::datatypes::Int64Type;
use serde_json::Value;

pub fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/cloudtrail")
}

/// Every record of a file, parsed with serde_json alone (no parapet code).
pub fn original_records(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).expect("readable test file");
    let trimmed = text.trim_start();
    if trimmed.starts_with('[') {
        serde_json::from_str::<Vec<Value>>(&text).expect("array")
    } else if let Ok(Value::Object(mut o)) = serde_json::from_str::<Value>(&text) {
        match o.remove("Records") {
            Some(Value::Array(a)) => a,
            _ => vec![Value::Object(o)],
        }
    } else {
        text.lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).expect("ndjson line"))
            .collect()
    }
}

/// One lake row, as the tests look at it.
#[derive(Debug, Clone)]
pub struct Row {
    pub source_object: String,
    pub event_id: Option<String>,
    pub time: i64,
    pub values: HashMap<String, Option<String>>,
    pub raw: String,
    pub path: String,
}

fn string_at(batch: &RecordBatch, name: &str, row: usize) -> Option<String> {
    let col = batch.column_by_name(name)?;
    if col.is_null(row) {
        return None;
    }
    match col.data_type() {
        parapet_lake::arrow::datatypes::DataType::Utf8 => Some(col.as_string::<i32>().value(row).to_string()),
        parapet_lake::arrow::datatypes::DataType::Boolean => Some(col.as_boolean().value(row).to_string()),
        parapet_lake::arrow::datatypes::DataType::Int32 => Some(
            col.as_primitive::<parapet_lake::arrow::datatypes::Int32Type>()
                .value(row)
                .to_string(),
        ),
        _ => None,
    }
}

/// Every row of every live file of the lake.
pub fn lake_rows(data: &DataDir) -> Vec<Row> {
    let store = data.open_store().expect("state opens");
    let mut rows = Vec::new();
    for f in store.live_files(Some("cloudtrail")).expect("files") {
        let abs = data.lake_root().join(&f.path);
        assert!(abs.exists(), "ledger lists {} but it is not on disk", f.path);
        for batch in parapet_lake::read_parquet(&abs).expect("parquet reads") {
            let times = batch
                .column_by_name("time")
                .expect("time")
                .as_primitive::<Int64Type>()
                .clone();
            for r in 0..batch.num_rows() {
                let mut values = HashMap::new();
                for field in batch.schema().fields() {
                    values.insert(field.name().clone(), string_at(&batch, field.name(), r));
                }
                rows.push(Row {
                    source_object: string_at(&batch, "source_object", r).expect("source_object"),
                    event_id: string_at(&batch, "metadata_uid", r),
                    time: times.value(r),
                    raw: string_at(&batch, "raw", r).expect("raw"),
                    values,
                    path: f.path.clone(),
                });
            }
        }
    }
    rows
}

/// Parquet files on disk under the lake's table folder (whatever the ledger says).
pub fn parquet_files_on_disk(data: &DataDir) -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "parquet") {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    walk(&data.lake_root().join("cloudtrail"), &mut out);
    out.sort();
    out
}

/// Writes `bytes` as the object `key` of the folder-as-bucket `root`.
pub fn put(root: &Path, key: &str, bytes: &[u8]) {
    let path = root.join(key);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, bytes).expect("write");
}

pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).expect("in memory");
    e.finish().expect("in memory")
}

/// Runs a query over the lake of `data` and returns the first column of every row as text
/// (`NULL` for nulls), through the same SQL session users get.
pub fn sql_column(data: &DataDir, query: &str) -> Vec<String> {
    use parapet_lake::arrow::util::display::array_value_to_string;
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let batches = rt.block_on(async {
        let session = data.lake_session().await.expect("session opens");
        session.sql(query).await.expect("query runs")
    });
    let mut out = Vec::new();
    for b in &batches {
        let col = b.column(0);
        for r in 0..b.num_rows() {
            out.push(if col.is_null(r) {
                "NULL".to_string()
            } else {
                array_value_to_string(col, r).expect("displayable")
            });
        }
    }
    out
}

/// `SELECT count(*) …` as a number.
pub fn sql_count(data: &DataDir, query: &str) -> u64 {
    let v = sql_column(data, query);
    assert_eq!(v.len(), 1, "{query} returns one row");
    v[0].parse().expect("a count")
}
