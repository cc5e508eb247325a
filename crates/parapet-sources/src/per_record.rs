//! Decoding a file of JSON records with a per-record function: the file is split with
//! [`json_records`], each record goes through the function (which may yield several rows, as an
//! EventBridge event of several findings does), and a record it refuses becomes a
//! [`RecordReject`] naming why.

use crate::json::{json_records, DecodeError, Decoded, RecordReject};

/// Splits `bytes` into records (`wrappers` as for [`json_records`]) and maps each with `one`.
pub(crate) fn decode_records<T>(
    bytes: &[u8],
    wrappers: &[&str],
    one: impl Fn(&str) -> Result<Vec<T>, String>,
) -> Result<Decoded<T>, DecodeError> {
    let split = json_records(bytes, wrappers)?;
    let mut out = Decoded {
        records: Vec::with_capacity(split.records.len()),
        rejects: split.rejects,
    };
    for (index, raw) in split.records {
        match one(raw.get()) {
            Ok(rows) => out.records.extend(rows),
            Err(reason) => out.rejects.push(RecordReject::new(index, reason, raw.get())),
        }
    }
    out.rejects.sort_by_key(|r| r.index);
    Ok(out)
}
