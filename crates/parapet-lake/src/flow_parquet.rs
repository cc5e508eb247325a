//! The VPC flow log Parquet delivery decoder: each row of an AWS-written Parquet file becomes the
//! same [`FlowRecord`] the text decoder makes (it lives here because only this crate links
//! Parquet).
//!
//! Column names are the AWS field names with `_` for `-` (`account_id`, `log_status`,
//! `pkt_srcaddr`); values may be strings or integers of any width. A row whose values do not fit
//! is a [`RecordReject`] naming the row and field; a file that is not Parquet, or has none of the
//! flow log columns, is a [`DecodeError::Shape`]. `raw` is the row as a JSON object.

use std::borrow::Cow;

use datafusion::arrow::array::{Array, AsArray, RecordBatchReader};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parapet_model::flow::KNOWN_FIELDS;
use parapet_model::FlowRecord;
use parapet_sources::{DecodeError, Decoded, RecordReject};
use serde_json::{Map, Value};

/// Parquet's magic bytes, at the start and the end of every file.
pub const PARQUET_MAGIC: &[u8; 4] = b"PAR1";

/// Whether `bytes` look like a Parquet file.
pub fn is_parquet(bytes: &[u8]) -> bool {
    bytes.len() >= 12 && bytes.starts_with(PARQUET_MAGIC) && bytes.ends_with(PARQUET_MAGIC)
}

fn shape(what: impl std::fmt::Display) -> DecodeError {
    DecodeError::Shape(format!("not a VPC flow log Parquet file: {what}"))
}

fn is_integer(t: &DataType) -> bool {
    matches!(
        t,
        DataType::Int8
            | DataType::Int16
            | DataType::Int32
            | DataType::Int64
            | DataType::UInt8
            | DataType::UInt16
            | DataType::UInt32
            | DataType::UInt64
    )
}

/// Decodes a flow log Parquet object.
pub fn decode_flow_parquet(bytes: &[u8]) -> Result<Decoded<FlowRecord<'static>>, DecodeError> {
    if !is_parquet(bytes) {
        return Err(shape("no PAR1 magic at both ends"));
    }
    let data = bytes::Bytes::copy_from_slice(bytes);
    let reader = ParquetRecordBatchReaderBuilder::try_new(data)
        .and_then(|b| b.build())
        .map_err(shape)?;
    let schema = reader.schema();
    // AWS field name, whether the column is an integer, and its index.
    let columns: Vec<(String, bool)> = schema
        .fields()
        .iter()
        .map(|f| (f.name().replace('_', "-"), is_integer(f.data_type())))
        .collect();
    if !columns.iter().any(|(n, _)| KNOWN_FIELDS.contains(&n.as_str())) {
        let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
        return Err(shape(format_args!(
            "none of its columns is a flow log field (found {})",
            names.join(", ")
        )));
    }
    let mut out = Decoded::default();
    let mut index = 0usize;
    for batch in reader {
        let batch = batch.map_err(shape)?;
        let mut texts = Vec::with_capacity(batch.num_columns());
        for (i, column) in batch.columns().iter().enumerate() {
            let text = cast(column, &DataType::Utf8).map_err(|e| {
                shape(format_args!(
                    "column `{}` ({}) cannot be read as text: {e}",
                    schema.field(i).name(),
                    column.data_type()
                ))
            })?;
            texts.push(text);
        }
        for row in 0..batch.num_rows() {
            let mut record = FlowRecord::default();
            let mut json = Map::new();
            let mut error = None;
            for ((name, integer), text) in columns.iter().zip(&texts) {
                let text = text.as_string::<i32>();
                let json_name = name.replace('-', "_");
                if text.is_null(row) {
                    json.insert(json_name, Value::Null);
                    continue;
                }
                let mut value = text.value(row).to_string();
                json.insert(
                    json_name,
                    match value.parse::<i64>() {
                        Ok(n) if *integer => Value::from(n),
                        _ => Value::String(value.clone()),
                    },
                );
                // An account id written as a number loses its leading zeros.
                if *integer && name.ends_with("account-id") && value.len() < 12 {
                    value = format!("{value:0>12}");
                }
                if error.is_none() {
                    if let Err(e) = record.set_field(name, Cow::Owned(value)) {
                        error = Some(e.to_string());
                    }
                }
            }
            let raw = Value::Object(json).to_string();
            if error.is_none() && record.time_ms().is_none() {
                error = Some("no `start` or `end` value: a flow record needs a time".into());
            }
            match error {
                Some(reason) => out.rejects.push(RecordReject {
                    index,
                    reason: format!("row {}: {reason}", index + 1),
                    raw,
                }),
                None => {
                    record.raw = Cow::Owned(raw);
                    out.records.push(record);
                }
            }
            index += 1;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    use datafusion::arrow::array::{Int32Array, Int64Array, RecordBatch, StringArray};
    use datafusion::arrow::datatypes::{Field, Schema};
    use datafusion::parquet::arrow::ArrowWriter;

    fn sample() -> Vec<u8> {
        let path = format!(
            "{}/../../testdata/vpc_flow/flows.parquet",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    fn to_parquet(batch: &RecordBatch) -> Vec<u8> {
        let mut out = Vec::new();
        let mut w = ArrowWriter::try_new(&mut out, batch.schema(), None).unwrap();
        w.write(batch).unwrap();
        w.close().unwrap();
        out
    }

    #[test]
    fn the_sample_decodes_row_by_row() {
        // flowlogs-reader's sample was written by pandas, not by AWS: numbers as strings, the
        // string "None" where AWS writes null, and a protocol of 8080. Row 1 is a good record;
        // rows 2 and 3 are rejected with the field named, and nothing else is lost.
        let bytes = sample();
        // The independent count: the row count in the file's own metadata.
        let rows = ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::from(bytes.clone()))
            .unwrap()
            .metadata()
            .file_metadata()
            .num_rows();
        let d = decode_flow_parquet(&bytes).unwrap();
        assert_eq!((d.records.len() + d.rejects.len()) as i64, rows);
        assert_eq!((d.records.len(), d.rejects.len()), (1, 2));
        let r = &d.records[0];
        assert_eq!(r.version, Some(2));
        assert_eq!(r.account_id.as_deref(), Some("123456789010"));
        assert_eq!(r.interface_id.as_deref(), Some("eni-102010ab"));
        assert_eq!(r.srcaddr.as_deref(), Some("198.51.100.1"));
        assert_eq!(r.action.as_deref(), Some("ACCEPT"));
        assert_eq!(r.time_ms(), Some(1_439_387_263_000));
        let raw: Value = serde_json::from_str(&r.raw).unwrap();
        assert_eq!(raw["account_id"], Value::from(123_456_789_010_i64));
        assert_eq!(raw["log_status"], Value::from("OK"));
        assert_eq!(
            d.rejects[0].reason,
            "row 2: field `srcport`: expected a port number from 0 to 65535, found \"None\""
        );
        assert_eq!(
            d.rejects[1].reason,
            "row 3: field `protocol`: expected an IANA protocol number (0-255), found \"8080\""
        );
        assert!(d.rejects[1].raw.contains("\"dstport\":\"100\""));
    }

    #[test]
    fn typed_columns_unknown_columns_and_bad_rows() {
        let schema = Arc::new(Schema::new(vec![
            Field::new("version", DataType::Int32, true),
            Field::new("account_id", DataType::Utf8, true),
            Field::new("srcport", DataType::Int32, true),
            Field::new("start", DataType::Int64, true),
            Field::new("log_status", DataType::Utf8, true),
            Field::new("brand_new", DataType::Utf8, true),
        ]));
        let batch = RecordBatch::try_new(
            schema,
            vec![
                Arc::new(Int32Array::from(vec![Some(5), Some(5), Some(5)])),
                Arc::new(StringArray::from(vec![
                    Some("012345678901"),
                    None,
                    Some("012345678901"),
                ])),
                Arc::new(Int32Array::from(vec![Some(443), None, Some(70_000)])),
                Arc::new(Int64Array::from(vec![
                    Some(1_700_000_000),
                    Some(1_700_000_001),
                    Some(1),
                ])),
                Arc::new(StringArray::from(vec![Some("OK"), Some("NODATA"), Some("OK")])),
                Arc::new(StringArray::from(vec![Some("x"), None, None])),
            ],
        )
        .unwrap();
        let d = decode_flow_parquet(&to_parquet(&batch)).unwrap();
        assert_eq!(d.records.len(), 2);
        assert_eq!(d.records[0].srcport, Some(443));
        assert_eq!(d.records[0].account_id.as_deref(), Some("012345678901"));
        assert_eq!(d.records[0].unmapped, vec![("brand-new".into(), "x".into())]);
        assert_eq!(d.records[1].log_status.as_deref(), Some("NODATA"));
        assert_eq!(d.records[1].srcport, None);
        assert_eq!(d.rejects.len(), 1);
        assert_eq!(
            d.rejects[0].reason,
            "row 3: field `srcport`: expected a port number from 0 to 65535, found \"70000\""
        );
    }

    #[test]
    fn not_a_flow_log_parquet() {
        let err = |b: &[u8]| decode_flow_parquet(b).unwrap_err().to_string();
        assert!(err(b"hello").contains("no PAR1 magic"));
        assert!(err(b"PAR1 broken inside PAR1").starts_with("not a VPC flow log Parquet file"));
        let schema = Arc::new(Schema::new(vec![Field::new("eventName", DataType::Utf8, true)]));
        let batch = RecordBatch::try_new(schema, vec![Arc::new(StringArray::from(vec!["x"]))]).unwrap();
        assert!(err(&to_parquet(&batch)).contains("none of its columns is a flow log field"));
    }
}
