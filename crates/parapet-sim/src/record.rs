//! Writes one CloudTrail record as JSON text, field by field in CloudTrail's own order.
//!
//! Records are built by hand into a reused buffer (no `serde_json::Value` per event): the
//! simulator writes millions of them. Nested objects whose shape varies per API
//! (`requestParameters`, `responseElements`, …) are passed in as ready JSON text.

use std::fmt::Write as _;

use parapet_model::time::civil_from_days;

/// The parts of one record. `None` JSON parts are written as `null` (request/response) or left
/// out (the optional fields), like CloudTrail does.
#[derive(Clone, Debug)]
pub(crate) struct Record<'a> {
    pub version: &'a str,
    /// The whole `userIdentity` object as JSON.
    pub identity: &'a str,
    /// Epoch seconds.
    pub time: i64,
    pub source: &'a str,
    pub name: &'a str,
    pub region: &'a str,
    pub source_ip: &'a str,
    pub user_agent: &'a str,
    /// `(errorCode, errorMessage)`; an empty part is left out (failed console sign-ins have
    /// no code, a missing SSM parameter no message).
    pub error: Option<(&'a str, &'a str)>,
    pub request: Option<&'a str>,
    pub response: Option<&'a str>,
    pub additional: Option<&'a str>,
    /// Left out when empty (console sign-in events carry none).
    pub request_id: &'a str,
    pub event_id: &'a str,
    pub read_only: bool,
    pub resources: Option<&'a str>,
    pub event_type: &'a str,
    pub recipient: &'a str,
    pub shared_event_id: Option<&'a str>,
    pub service_event_details: Option<&'a str>,
    /// `tlsDetails.clientProvidedHostHeader`; no `tlsDetails` when `None`.
    pub tls_host: Option<&'a str>,
    pub console_session: bool,
}

impl Default for Record<'_> {
    fn default() -> Self {
        Record {
            version: "1.09",
            identity: "{}",
            time: 0,
            source: "",
            name: "",
            region: "",
            source_ip: "",
            user_agent: "",
            error: None,
            request: None,
            response: None,
            additional: None,
            request_id: "",
            event_id: "",
            read_only: true,
            resources: None,
            event_type: "AwsApiCall",
            recipient: "",
            shared_event_id: None,
            service_event_details: None,
            tls_host: None,
            console_session: false,
        }
    }
}

/// Appends `r` as one JSON object (no trailing separator).
pub(crate) fn write_record(out: &mut String, r: &Record<'_>) {
    out.push_str("{\"eventVersion\":");
    push_str(out, r.version);
    out.push_str(",\"userIdentity\":");
    out.push_str(r.identity);
    out.push_str(",\"eventTime\":\"");
    push_time(out, r.time);
    out.push_str("\",\"eventSource\":");
    push_str(out, r.source);
    out.push_str(",\"eventName\":");
    push_str(out, r.name);
    out.push_str(",\"awsRegion\":");
    push_str(out, r.region);
    out.push_str(",\"sourceIPAddress\":");
    push_str(out, r.source_ip);
    out.push_str(",\"userAgent\":");
    push_str(out, r.user_agent);
    if let Some((code, message)) = r.error {
        if !code.is_empty() {
            out.push_str(",\"errorCode\":");
            push_str(out, code);
        }
        if !message.is_empty() {
            out.push_str(",\"errorMessage\":");
            push_str(out, message);
        }
    }
    out.push_str(",\"requestParameters\":");
    out.push_str(r.request.unwrap_or("null"));
    out.push_str(",\"responseElements\":");
    out.push_str(r.response.unwrap_or("null"));
    if let Some(a) = r.additional {
        out.push_str(",\"additionalEventData\":");
        out.push_str(a);
    }
    if !r.request_id.is_empty() {
        out.push_str(",\"requestID\":");
        push_str(out, r.request_id);
    }
    out.push_str(",\"eventID\":");
    push_str(out, r.event_id);
    out.push_str(if r.read_only {
        ",\"readOnly\":true"
    } else {
        ",\"readOnly\":false"
    });
    if let Some(res) = r.resources {
        out.push_str(",\"resources\":");
        out.push_str(res);
    }
    out.push_str(",\"eventType\":");
    push_str(out, r.event_type);
    out.push_str(",\"managementEvent\":true,\"recipientAccountId\":");
    push_str(out, r.recipient);
    if let Some(id) = r.shared_event_id {
        out.push_str(",\"sharedEventID\":");
        push_str(out, id);
    }
    if let Some(d) = r.service_event_details {
        out.push_str(",\"serviceEventDetails\":");
        out.push_str(d);
    }
    out.push_str(",\"eventCategory\":\"Management\"");
    if let Some(host) = r.tls_host {
        out.push_str(
            ",\"tlsDetails\":{\"tlsVersion\":\"TLSv1.3\",\"cipherSuite\":\"TLS_AES_128_GCM_SHA256\",\"clientProvidedHostHeader\":",
        );
        push_str(out, host);
        out.push('}');
    }
    if r.console_session {
        out.push_str(",\"sessionCredentialFromConsole\":\"true\"");
    }
    out.push('}');
}

/// Appends `s` as a JSON string literal.
pub(crate) fn push_str(out: &mut String, s: &str) {
    out.push('"');
    if s.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
        out.push_str(s);
    } else {
        for c in s.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                c if (c as u32) < 0x20 => {
                    let _ = write!(out, "\\u{:04x}", c as u32);
                }
                c => out.push(c),
            }
        }
    }
    out.push('"');
}

fn push2(out: &mut String, v: u32) {
    out.push(char::from(b'0' + (v / 10 % 10) as u8));
    out.push(char::from(b'0' + (v % 10) as u8));
}

/// Appends epoch seconds as `YYYY-MM-DDTHH:MM:SSZ` (what [`parapet_model::time::format_rfc3339_secs`]
/// returns, without allocating).
pub(crate) fn push_time(out: &mut String, secs: i64) {
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let rem = secs.rem_euclid(86_400) as u32;
    let _ = write!(out, "{y:04}-");
    push2(out, m);
    out.push('-');
    push2(out, d);
    out.push('T');
    push2(out, rem / 3600);
    out.push(':');
    push2(out, rem / 60 % 60);
    out.push(':');
    push2(out, rem % 60);
    out.push('Z');
}

/// `YYYY-MM-DDTHH:MM:SSZ` as a new string.
pub(crate) fn time_string(secs: i64) -> String {
    let mut s = String::with_capacity(20);
    push_time(&mut s, secs);
    s
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Appends the `Nov 1, 2026, 11:00:00 PM` form STS and KMS responses use for times.
pub(crate) fn push_aws_date(out: &mut String, secs: i64) {
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let rem = secs.rem_euclid(86_400);
    let (h, min, s) = (rem / 3600, rem / 60 % 60, rem % 60);
    let (h12, ampm) = match h {
        0 => (12, "AM"),
        1..=11 => (h, "AM"),
        12 => (12, "PM"),
        _ => (h - 12, "PM"),
    };
    let month = MONTHS[(m as usize).saturating_sub(1) % 12];
    let _ = write!(out, "{month} {d}, {y}, {h12}:{min:02}:{s:02} {ampm}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_match_the_model_formatter() {
        for secs in [0i64, 1_688_992_496, 1_793_491_199, 951_782_400] {
            assert_eq!(
                time_string(secs),
                parapet_model::time::format_rfc3339_secs(secs * 1000)
            );
        }
        let mut s = String::new();
        push_aws_date(&mut s, 1_688_992_496);
        assert_eq!(s, "Jul 10, 2023, 12:34:56 PM");
    }

    #[test]
    fn record_is_valid_json_with_escaping() {
        let mut out = String::new();
        let r = Record {
            identity: "{\"type\":\"IAMUser\"}",
            time: 1_688_992_496,
            source: "iam.amazonaws.com",
            name: "ListUsers",
            region: "us-east-1",
            source_ip: "203.0.113.9",
            user_agent: "agent \"quoted\" \\ \n",
            error: Some(("AccessDenied", "nope")),
            request_id: "r",
            event_id: "e",
            recipient: "111122223333",
            tls_host: Some("iam.amazonaws.com"),
            console_session: true,
            ..Record::default()
        };
        write_record(&mut out, &r);
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["userAgent"], "agent \"quoted\" \\ \n");
        assert_eq!(v["eventTime"], "2023-07-10T12:34:56Z");
        assert_eq!(v["requestParameters"], serde_json::Value::Null);
        assert_eq!(v["tlsDetails"]["clientProvidedHostHeader"], "iam.amazonaws.com");
        assert_eq!(v["sessionCredentialFromConsole"], "true");
        assert_eq!(v["errorCode"], "AccessDenied");
    }
}
