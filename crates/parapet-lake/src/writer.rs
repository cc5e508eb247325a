//! Parquet writing: rows sorted by time, zstd, statistics only where they help pruning.

use std::fs::File;
use std::io::Write;

use datafusion::arrow::array::{AsArray, RecordBatch};
use datafusion::arrow::compute::interleave_record_batch;
use datafusion::arrow::datatypes::Int64Type;
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::parquet::basic::{Compression, ZstdLevel};
use datafusion::parquet::file::properties::{EnabledStatistics, WriterProperties};
use datafusion::parquet::schema::types::ColumnPath;

use crate::{LakeError, Result};

/// How files are written.
#[derive(Clone, Debug)]
pub struct WriteOptions {
    pub zstd_level: i32,
    pub row_group_rows: usize,
    /// Columns with long unique values: no dictionary, no statistics.
    pub bulky_columns: Vec<String>,
}

impl Default for WriteOptions {
    fn default() -> Self {
        WriteOptions {
            zstd_level: 3,
            row_group_rows: 128 * 1024,
            bulky_columns: bulky_columns(),
        }
    }
}

/// Every table's bulky columns, by name (the writer applies them to whichever file has them).
fn bulky_columns() -> Vec<String> {
    let generic = crate::GENERIC_TABLES
        .iter()
        .flat_map(|t| t.all_columns())
        .filter(|c| c.bulky)
        .map(|c| c.name);
    let mut names: Vec<String> = crate::cloudtrail::BULKY_COLUMNS
        .iter()
        .copied()
        .chain(generic)
        .chain(crate::cost::BULKY_COLUMNS.iter().copied())
        .map(str::to_string)
        .collect();
    names.sort();
    names.dedup();
    names
}

impl WriteOptions {
    fn properties(&self) -> Result<WriterProperties> {
        let level = ZstdLevel::try_new(self.zstd_level).map_err(|e| LakeError::Parquet {
            path: String::new(),
            message: format!("zstd level {}: {e}", self.zstd_level),
        })?;
        let mut b = WriterProperties::builder()
            .set_compression(Compression::ZSTD(level))
            .set_max_row_group_row_count(Some(self.row_group_rows))
            .set_statistics_truncate_length(Some(64))
            .set_created_by(format!("parapet {}", env!("CARGO_PKG_VERSION")));
        for c in &self.bulky_columns {
            let path = ColumnPath::from(c.as_str());
            b = b
                .set_column_dictionary_enabled(path.clone(), false)
                .set_column_statistics_enabled(path, EnabledStatistics::None);
        }
        Ok(b.build())
    }
}

pub(crate) struct FileStats {
    pub rows: u64,
    pub bytes: u64,
    pub min_time_ms: Option<i64>,
    pub max_time_ms: Option<i64>,
}

/// Writes `batches` to `file` as one Parquet file with all rows sorted by the `time` column
/// (stable, so rows with equal times keep their input order), then syncs it to disk.
pub(crate) fn write_sorted(file: File, batches: &[RecordBatch], options: &WriteOptions) -> Result<FileStats> {
    let perr = |e: &dyn std::fmt::Display| LakeError::Parquet {
        path: String::new(),
        message: e.to_string(),
    };
    let Some(first) = batches.first() else {
        return Err(perr(&"nothing to write"));
    };
    let schema = first.schema();
    let time_idx = schema.index_of("time").map_err(|e| perr(&e))?;
    let props = options.properties()?;
    let mut writer = ArrowWriter::try_new(file, schema, Some(props)).map_err(|e| perr(&e))?;
    let times_of = |b: &RecordBatch| b.column(time_idx).as_primitive::<Int64Type>().values().clone();
    // Fast path: batches that are each sorted and do not overlap are written in order, no copy.
    let mut spans: Vec<(i64, i64, usize)> = Vec::with_capacity(batches.len());
    let mut each_sorted = true;
    for (i, b) in batches.iter().enumerate() {
        let t = times_of(b);
        each_sorted &= t.windows(2).all(|w| w[0] <= w[1]);
        if let (Some(first), Some(last)) = (t.first(), t.last()) {
            spans.push((*first, *last, i));
        }
    }
    spans.sort_by_key(|&(first, _, i)| (first, i));
    let disjoint = spans.windows(2).all(|w| w[0].1 <= w[1].0);
    let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
    let (min_time_ms, max_time_ms);
    if each_sorted && disjoint {
        for &(_, _, i) in &spans {
            writer.write(&batches[i]).map_err(|e| perr(&e))?;
        }
        min_time_ms = spans.first().map(|s| s.0);
        max_time_ms = spans.iter().map(|s| s.1).max();
    } else {
        let mut order: Vec<(i64, u32, u32)> = Vec::with_capacity(rows);
        for (b, batch) in batches.iter().enumerate() {
            for (r, t) in times_of(batch).iter().enumerate() {
                order.push((*t, b as u32, r as u32));
            }
        }
        order.sort_unstable();
        let refs: Vec<&RecordBatch> = batches.iter().collect();
        for chunk in order.chunks(options.row_group_rows.clamp(1024, 64 * 1024)) {
            let indices: Vec<(usize, usize)> =
                chunk.iter().map(|&(_, b, r)| (b as usize, r as usize)).collect();
            let sorted = interleave_record_batch(&refs, &indices)?;
            writer.write(&sorted).map_err(|e| perr(&e))?;
        }
        min_time_ms = order.first().map(|o| o.0);
        max_time_ms = order.last().map(|o| o.0);
    }
    let mut file = writer.into_inner().map_err(|e| perr(&e))?;
    file.flush().map_err(|e| perr(&e))?;
    file.sync_all().map_err(|e| perr(&e))?;
    let bytes = file.metadata().map(|m| m.len()).unwrap_or(0);
    Ok(FileStats {
        rows: rows as u64,
        bytes,
        min_time_ms,
        max_time_ms,
    })
}

/// Opens a Parquet file for reading, errors naming the file.
fn open_parquet(path: &std::path::Path) -> Result<ParquetRecordBatchReaderBuilder<File>> {
    let file = File::open(path).map_err(|source| LakeError::Io {
        path: path.display().to_string(),
        source,
    })?;
    ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| parquet_error(path, &e))
}

fn parquet_error(path: &std::path::Path, e: &dyn std::fmt::Display) -> LakeError {
    LakeError::Parquet {
        path: path.display().to_string(),
        message: e.to_string(),
    }
}

/// Reads a whole Parquet file (for compaction and tests).
pub fn read_parquet(path: &std::path::Path) -> Result<Vec<RecordBatch>> {
    let reader = open_parquet(path)?
        .with_batch_size(16 * 1024)
        .build()
        .map_err(|e| parquet_error(path, &e))?;
    let mut out = Vec::new();
    for batch in reader {
        out.push(batch?);
    }
    Ok(out)
}

/// Reads the named columns of a Parquet file batch by batch (others are not decoded), handing
/// each batch to `f`. Columns the file lacks are left out.
pub fn for_each_batch(
    path: &std::path::Path,
    columns: &[&str],
    f: &mut dyn FnMut(&RecordBatch),
) -> Result<()> {
    let builder = open_parquet(path)?;
    let schema = builder.schema().clone();
    let indices: Vec<usize> = columns.iter().filter_map(|c| schema.index_of(c).ok()).collect();
    let mask = datafusion::parquet::arrow::ProjectionMask::roots(builder.parquet_schema(), indices);
    let reader = builder
        .with_projection(mask)
        .with_batch_size(8 * 1024)
        .build()
        .map_err(|e| parquet_error(path, &e))?;
    for batch in reader {
        f(&batch?);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloudtrail::CloudTrailBuilder;
    use parapet_model::ApiActivity;

    #[test]
    fn bulky_columns_come_from_every_table() {
        let names = WriteOptions::default().bulky_columns;
        for c in [
            "raw",
            "api_request_data",
            "configuration",
            "attributions",
            "finding_info_uid",
            "answers",
        ] {
            assert!(names.iter().any(|n| n == c), "{c} not in {names:?}");
        }
        assert!(!names.iter().any(|n| n == "time" || n == "cloud_account_uid"));
    }

    fn batch(times: &[i64]) -> RecordBatch {
        let mut b = CloudTrailBuilder::new();
        for t in times {
            b.append(
                &ApiActivity {
                    time_ms: *t,
                    raw: "{}",
                    ..ApiActivity::default()
                },
                "111122223333",
                None,
                "k",
            );
        }
        b.finish()
    }

    fn written_times(batches: &[RecordBatch]) -> (Vec<i64>, Option<i64>, Option<i64>) {
        let dir =
            std::env::temp_dir().join(format!("parapet-writer-{}-{}", std::process::id(), batches.len()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!(
            "{}.parquet",
            batches.iter().map(|b| b.num_rows()).sum::<usize>()
        ));
        let stats = write_sorted(File::create(&path).unwrap(), batches, &WriteOptions::default()).unwrap();
        let mut times = Vec::new();
        for b in read_parquet(&path).unwrap() {
            times.extend(
                b.column_by_name("time")
                    .unwrap()
                    .as_primitive::<Int64Type>()
                    .values()
                    .iter(),
            );
        }
        std::fs::remove_file(&path).unwrap();
        assert_eq!(stats.rows as usize, times.len());
        (times, stats.min_time_ms, stats.max_time_ms)
    }

    #[test]
    fn disjoint_sorted_batches_are_written_in_time_order() {
        assert_eq!(
            written_times(&[batch(&[10, 11]), batch(&[1, 2])]),
            (vec![1, 2, 10, 11], Some(1), Some(11))
        );
    }

    #[test]
    fn overlapping_or_unsorted_batches_are_merged() {
        let got = written_times(&[batch(&[5, 3, 9]), batch(&[1, 2]), batch(&[4, 4])]);
        assert_eq!(got, (vec![1, 2, 3, 4, 4, 5, 9], Some(1), Some(9)));
    }
}
