//! What every JSON log decoder shares: splitting an object into records, and the errors.
//!
//! Logs arrive as a top-level array, as an object wrapping the array under one key
//! (`{"Records":[…]}`, `{"configurationItems":[…]}`), as one bare object, or as one object per
//! line (NDJSON, `.jsonl`). [`json_records`] accepts all four. A file that cannot be split is a
//! [`DecodeError`] (the caller quarantines it); a line that is not JSON is a [`RecordReject`]
//! and the lines around it are kept.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde_json::value::RawValue;

/// Why a whole object could not be decoded.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DecodeError {
    #[error("not UTF-8 text (invalid byte at offset {offset})")]
    NotUtf8 { offset: usize },
    #[error("invalid JSON at line {line} column {column}: {message}")]
    Json {
        line: usize,
        column: usize,
        message: String,
    },
    /// The object is readable but not what its kind should be; the message says what was expected.
    #[error("{0}")]
    Shape(String),
}

/// A record that was skipped, with its position and the reason.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RecordReject {
    /// 0-based index of the record in the file (for NDJSON, the line number minus one).
    pub index: usize,
    pub reason: String,
    pub raw: String,
}

impl RecordReject {
    /// A reject of record `index`, keeping at most 4 KiB of its text.
    pub fn new(index: usize, reason: impl std::fmt::Display, raw: &str) -> RecordReject {
        RecordReject {
            index,
            reason: format!("record {index}: {reason}"),
            raw: truncate(raw, 4096).to_string(),
        }
    }
}

/// The records of one decoded object, and the ones that were skipped.
#[derive(Debug)]
pub struct Decoded<T> {
    pub records: Vec<T>,
    pub rejects: Vec<RecordReject>,
}

impl<T> Default for Decoded<T> {
    fn default() -> Self {
        Decoded {
            records: Vec::new(),
            rejects: Vec::new(),
        }
    }
}

/// The raw records of a JSON object, each with its index.
#[derive(Debug, Default)]
pub struct JsonRecords<'a> {
    pub records: Vec<(usize, &'a RawValue)>,
    pub rejects: Vec<RecordReject>,
}

pub(crate) fn json_error(e: &serde_json::Error) -> DecodeError {
    DecodeError::Json {
        line: e.line(),
        column: e.column(),
        message: strip_position(&e.to_string()),
    }
}

pub(crate) fn strip_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

/// The longest prefix of `s` of at most `max` bytes that ends on a character boundary.
pub fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Whether `text` is one complete JSON value followed by more (NDJSON), rather than one broken
/// value: the first value parses whole and something other than whitespace follows it.
pub(crate) fn is_several_values(text: &str) -> bool {
    let mut values = serde_json::Deserializer::from_str(text).into_iter::<serde::de::IgnoredAny>();
    matches!(values.next(), Some(Ok(_))) && !text[values.byte_offset()..].trim().is_empty()
}

/// One record per non-blank line; a line that is not JSON is a reject naming its line number.
pub(crate) fn ndjson_records(text: &str) -> JsonRecords<'_> {
    let mut out = JsonRecords::default();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        match serde_json::from_str::<&RawValue>(line) {
            Ok(r) => out.records.push((i, r)),
            Err(e) => out.rejects.push(RecordReject {
                index: i,
                reason: format!("line {}: invalid JSON: {}", i + 1, strip_position(&e.to_string())),
                raw: truncate(line, 4096).to_string(),
            }),
        }
    }
    out
}

/// The text of an object, or why it is not text.
pub fn utf8(bytes: &[u8]) -> Result<&str, DecodeError> {
    std::str::from_utf8(bytes).map_err(|e| DecodeError::NotUtf8 {
        offset: e.valid_up_to(),
    })
}

/// Splits a JSON object into records. `wrappers` are the keys under which a top-level object
/// may hold the array of records (the first one present wins); a top-level object with none of
/// them is one record.
pub fn json_records<'a>(bytes: &'a [u8], wrappers: &[&str]) -> Result<JsonRecords<'a>, DecodeError> {
    let text = utf8(bytes)?;
    let trimmed = text.trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n']);
    let mut out = JsonRecords::default();
    match trimmed.as_bytes().first() {
        None => return Err(DecodeError::Shape("the object is empty".into())),
        Some(b'[') => {
            let records: Vec<&RawValue> = serde_json::from_str(trimmed).map_err(|e| json_error(&e))?;
            out.records.extend(records.into_iter().enumerate());
        }
        Some(b'{') => match serde_json::from_str::<BTreeMap<Cow<'a, str>, &'a RawValue>>(trimmed) {
            Ok(object) => match wrappers.iter().find_map(|k| object.get(*k).map(|v| (k, v))) {
                Some((key, inner)) => {
                    let records: Vec<&RawValue> = serde_json::from_str(inner.get()).map_err(|e| {
                        DecodeError::Shape(format!(
                            "`{key}` must be an array of objects ({})",
                            strip_position(&e.to_string())
                        ))
                    })?;
                    out.records.extend(records.into_iter().enumerate());
                }
                None => {
                    let one: &RawValue = serde_json::from_str(trimmed).map_err(|e| json_error(&e))?;
                    out.records.push((0, one));
                }
            },
            // Several values one after another: one record per line.
            Err(_) if is_several_values(trimmed) => out = ndjson_records(text),
            Err(e) => return Err(json_error(&e)),
        },
        Some(_) => {
            return Err(DecodeError::Shape(format!(
                "expected a JSON object or array, found {:?}",
                truncate(trimmed, 20)
            )))
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn several_values_are_told_from_one_broken_value() {
        assert!(is_several_values("{\"a\":1}\n{\"a\":2}\n"));
        assert!(is_several_values("{\"a\":1} {\"a\":2"));
        assert!(!is_several_values("{\"a\":1}\n\n  "));
        assert!(!is_several_values("{\"a\":1,}\n{\"a\":2}"));
        assert!(!is_several_values("{\"a\":"));
    }

    fn split(text: &str) -> (Vec<String>, usize) {
        let r = json_records(text.as_bytes(), &["Records", "items"]).unwrap();
        (
            r.records
                .iter()
                .map(|(i, v)| format!("{i}:{}", v.get()))
                .collect(),
            r.rejects.len(),
        )
    }

    #[test]
    fn the_four_shapes() {
        assert_eq!(split(r#"[{"a":1},{"a":2}]"#).0, ["0:{\"a\":1}", "1:{\"a\":2}"]);
        assert_eq!(split(r#"{"Records":[{"a":1}]}"#).0, ["0:{\"a\":1}"]);
        assert_eq!(split(r#"{"x":1,"items":[{"a":1}]}"#).0, ["0:{\"a\":1}"]);
        assert_eq!(split(r#"{"a":1}"#).0, ["0:{\"a\":1}"]);
        assert_eq!(
            split("{\"a\":1}\n\n{\"a\":2}\n").0,
            ["0:{\"a\":1}", "2:{\"a\":2}"]
        );
    }

    #[test]
    fn a_bad_line_is_one_reject() {
        let (records, rejects) = split("{\"a\":1}\n{oops\n{\"a\":3}");
        assert_eq!((records.len(), rejects), (2, 1));
    }

    #[test]
    fn whole_file_errors() {
        let err = |t: &[u8]| json_records(t, &["Records"]).unwrap_err().to_string();
        assert_eq!(err(b""), "the object is empty");
        assert!(err(b"hello").starts_with("expected a JSON object or array"));
        assert!(err(b"[1,").starts_with("invalid JSON at line 1"));
        assert!(err(br#"{"Records":5}"#).starts_with("`Records` must be an array"));
        assert_eq!(err(b"ab\xffcd"), "not UTF-8 text (invalid byte at offset 2)");
    }
}
