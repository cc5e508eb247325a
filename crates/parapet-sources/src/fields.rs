//! Reading the fields of one parsed JSON record: optional strings, numbers and times by path,
//! and required ones whose absence is a reason naming the field.

use parapet_model::time::{parse_rfc1123_ms, parse_rfc3339_ms};
use serde_json::Value;

/// The value at `path`, if every step exists.
pub(crate) fn get<'v>(v: &'v Value, path: &[&str]) -> Option<&'v Value> {
    path.iter().try_fold(v, |cur, key| cur.get(key))
}

/// A non-empty string at `path` (numbers and booleans are given as text).
pub(crate) fn string(v: &Value, path: &[&str]) -> Option<String> {
    match get(v, path)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A number at `path` (a number, or a string holding one).
pub(crate) fn number(v: &Value, path: &[&str]) -> Option<f64> {
    match get(v, path)? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A boolean at `path` (`true`/`false`, or the strings "true"/"false").
pub(crate) fn boolean(v: &Value, path: &[&str]) -> Option<bool> {
    match get(v, path)? {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

/// The strings of an array at `path` (other elements skipped).
pub(crate) fn strings(v: &Value, path: &[&str]) -> Vec<String> {
    match get(v, path) {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|i| i.as_str().filter(|s| !s.is_empty()).map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

/// A time at `path`, RFC 3339 or RFC 1123, in epoch ms; `None` if absent or not a time.
pub(crate) fn time(v: &Value, path: &[&str]) -> Option<i64> {
    let s = get(v, path)?.as_str()?;
    parse_rfc3339_ms(s).or_else(|| parse_rfc1123_ms(s))
}

/// A required time: absent or unreadable is a reason naming the field.
pub(crate) fn required_time(v: &Value, path: &[&str]) -> Result<i64, String> {
    let name = path.join(".");
    match get(v, path) {
        None | Some(Value::Null) => Err(format!("no `{name}`: expected the time the record was updated")),
        Some(Value::String(s)) => parse_rfc3339_ms(s)
            .or_else(|| parse_rfc1123_ms(s))
            .ok_or_else(|| format!("`{name}` is {s:?}: expected an RFC 3339 or RFC 1123 time")),
        Some(other) => Err(format!("`{name}` is {other}: expected a time as a string")),
    }
}

/// A required non-empty string: absent is a reason naming the field.
pub(crate) fn required_string(v: &Value, path: &[&str], what: &str) -> Result<String, String> {
    string(v, path).ok_or_else(|| format!("no `{}`: expected {what}", path.join(".")))
}

/// The record parsed as a JSON object, or why it is not one.
pub(crate) fn object(raw: &str) -> Result<Value, String> {
    match serde_json::from_str::<Value>(raw) {
        Ok(v @ Value::Object(_)) => Ok(v),
        Ok(other) => Err(format!(
            "expected a JSON object, found {}",
            match other {
                Value::Array(_) => "an array",
                Value::String(_) => "a string",
                Value::Number(_) => "a number",
                Value::Bool(_) => "a boolean",
                _ => "null",
            }
        )),
        Err(e) => Err(format!(
            "invalid JSON: {}",
            crate::json::strip_position(&e.to_string())
        )),
    }
}
