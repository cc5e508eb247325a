//! S3 key layout of an organisation trail in the Control Tower Log Archive bucket.
//!
//! Keys are relative to the bucket: `<org>/AWSLogs/<org>/<account>/CloudTrail/...` (Control
//! Tower uses the organisation id as the bucket prefix, and the organisation trail adds
//! `AWSLogs/<org>/`).

use std::fmt::Write as _;

use parapet_model::time::civil_from_days;

use crate::org::TRAIL_NAME;

/// `(year, month, day, hour, minute, second)` of epoch seconds.
pub(crate) fn stamp_parts(secs: i64) -> (i64, u32, u32, i64, i64, i64) {
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let rem = secs.rem_euclid(86_400);
    (y, m, d, rem / 3600, rem / 60 % 60, rem % 60)
}

/// Key of a log file delivered at `stamp` (epoch seconds, on a minute).
pub(crate) fn log_key(org: &str, account: &str, region: &str, stamp: i64, suffix: &str) -> String {
    let (y, m, d, hh, mm, _) = stamp_parts(stamp);
    let mut k = String::with_capacity(160);
    let _ = write!(
        k,
        "{org}/AWSLogs/{org}/{account}/CloudTrail/{region}/{y:04}/{m:02}/{d:02}/{account}_CloudTrail_{region}_{y:04}{m:02}{d:02}T{hh:02}{mm:02}Z_{suffix}.json.gz"
    );
    k
}

/// Key of the digest file whose period ends at `end` (epoch seconds).
pub(crate) fn digest_key(org: &str, account: &str, region: &str, end: i64) -> String {
    let (y, m, d, hh, mm, ss) = stamp_parts(end);
    format!(
        "{org}/AWSLogs/{org}/{account}/CloudTrail-Digest/{region}/{y:04}/{m:02}/{d:02}/{account}_CloudTrail-Digest_{region}_{TRAIL_NAME}_{region}_{y:04}{m:02}{d:02}T{hh:02}{mm:02}{ss:02}Z.json.gz"
    )
}

/// The file timestamp of the 5-minute window starting at `window_start`: the window's end,
/// except that the day's last window is stamped 23:59 so that a file never lands in the next
/// day's folder with events of the previous day.
pub(crate) fn log_stamp(window_start: i64) -> i64 {
    let end = window_start + 300;
    if end.rem_euclid(86_400) == 0 {
        end - 60
    } else {
        end
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_follow_the_control_tower_form() {
        let t = parapet_model::time::parse_day("20261101").unwrap() / 1000 + 10 * 3600;
        assert_eq!(
            log_key("o-abcdefghij", "123456789012", "eu-west-1", log_stamp(t), "AbCdEfGhIjKlMnOp"),
            "o-abcdefghij/AWSLogs/o-abcdefghij/123456789012/CloudTrail/eu-west-1/2026/11/01/123456789012_CloudTrail_eu-west-1_20261101T1005Z_AbCdEfGhIjKlMnOp.json.gz"
        );
        assert_eq!(
            digest_key("o-abcdefghij", "123456789012", "us-east-1", t + 3600),
            "o-abcdefghij/AWSLogs/o-abcdefghij/123456789012/CloudTrail-Digest/us-east-1/2026/11/01/123456789012_CloudTrail-Digest_us-east-1_aws-controltower-BaselineCloudTrail_us-east-1_20261101T110000Z.json.gz"
        );
        let last = t - 10 * 3600 + 86_400 - 300;
        assert_eq!(log_stamp(last) % 86_400, 86_400 - 60);
    }
}
