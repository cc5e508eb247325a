//! Time helpers: RFC 3339 and RFC 1123 parsing to epoch milliseconds and calendar-day arithmetic.
//!
//! CloudTrail writes `eventTime` as `2023-07-10T12:34:56Z`; other exports use fractional
//! seconds or offsets. The lake stores epoch milliseconds, so parsing is done here once,
//! without allocation, and is tolerant of the variants seen in real data.

/// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm).
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The calendar date of a day number (inverse of [`days_from_civil`]).
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

const MS_PER_DAY: i64 = 86_400_000;

/// An RFC 3339 time, or a date `YYYY-MM-DD` meaning the start of that day (UTC), in ms.
pub fn parse_date_or_rfc3339_ms(s: &str) -> Option<i64> {
    let s = s.trim();
    parse_rfc3339_ms(s).or_else(|| parse_rfc3339_ms(&format!("{s}T00:00:00Z")))
}

/// Parses an RFC 3339 / ISO 8601 timestamp (`YYYY-MM-DDTHH:MM:SS[.fff][Z|±HH:MM]`) to epoch ms.
/// A space instead of `T` and a missing zone (taken as UTC) are accepted. Returns `None` for
/// anything else.
pub fn parse_rfc3339_ms(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 19 {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let mut v = 0i64;
        for &c in b.get(r)? {
            if !c.is_ascii_digit() {
                return None;
            }
            v = v * 10 + i64::from(c - b'0');
        }
        Some(v)
    };
    if b[4] != b'-' || b[7] != b'-' || !(b[10] == b'T' || b[10] == b't' || b[10] == b' ') {
        return None;
    }
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month as u32) {
        return None;
    }
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut i = 19;
    let mut millis = 0i64;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            if i - start < 3 {
                millis = millis * 10 + i64::from(b[i] - b'0');
            }
            i += 1;
        }
        let digits = i - start;
        if digits == 0 {
            return None;
        }
        for _ in digits..3 {
            millis *= 10;
        }
    }
    let offset_ms = match b.get(i) {
        None => 0,
        Some(b'Z') | Some(b'z') if i + 1 == b.len() => 0,
        Some(&sign @ (b'+' | b'-')) if b.len() == i + 6 && b[i + 3] == b':' => {
            let oh = num(i + 1..i + 3)?;
            let om = num(i + 4..i + 6)?;
            let off = (oh * 60 + om) * 60_000;
            if sign == b'+' {
                off
            } else {
                -off
            }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month as u32, day as u32);
    Some(days * MS_PER_DAY + ((hour * 60 + minute) * 60 + second) * 1000 + millis - offset_ms)
}

/// Days in a month of the proleptic Gregorian calendar.
pub fn days_in_month(year: i64, month: u32) -> i64 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        _ => 28,
    }
}

/// Parses an RFC 1123 / HTTP date (`Sat, 05 Jun 2016 15:10:09 GMT`, as AWS Health writes its
/// times) to epoch ms. The weekday is optional and not checked (real samples carry wrong
/// ones); the day may have one digit; the zone is `GMT`, `UTC`, `UT`, `Z` or `±HHMM`.
/// Returns `None` for anything else.
pub fn parse_rfc1123_ms(s: &str) -> Option<i64> {
    let s = s.trim();
    // Drop the weekday: everything up to the first comma.
    let rest = match s.find(',') {
        Some(i) => s[i + 1..].trim_start(),
        None => s,
    };
    let mut parts = rest.split_ascii_whitespace();
    let (day, month, year, clock, zone) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    if parts.next().is_some() {
        return None;
    }
    let digits = |t: &str| -> Option<i64> {
        if t.is_empty() || !t.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        t.parse().ok()
    };
    let day = if (1..=2).contains(&day.len()) {
        digits(day)?
    } else {
        return None;
    };
    const MONTHS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let month = MONTHS
        .iter()
        .position(|m| m.eq_ignore_ascii_case(month))
        .map(|i| i as u32 + 1)?;
    let year = if year.len() == 4 {
        digits(year)?
    } else {
        return None;
    };
    if day == 0 || day > days_in_month(year, month) {
        return None;
    }
    let mut hms = clock.split(':');
    let (h, m, sec) = (hms.next()?, hms.next()?, hms.next()?);
    if hms.next().is_some() || h.len() != 2 || m.len() != 2 || sec.len() != 2 {
        return None;
    }
    let (h, m, sec) = (digits(h)?, digits(m)?, digits(sec)?);
    if h > 23 || m > 59 || sec > 60 {
        return None;
    }
    let offset_ms = match zone {
        "GMT" | "UTC" | "UT" | "Z" => 0,
        z if z.len() == 5 && (z.starts_with('+') || z.starts_with('-')) => {
            let oh = digits(&z[1..3])?;
            let om = digits(&z[3..5])?;
            let off = (oh * 60 + om) * 60_000;
            if z.starts_with('+') {
                off
            } else {
                -off
            }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day as u32);
    Some(days * MS_PER_DAY + ((h * 60 + m) * 60 + sec) * 1000 - offset_ms)
}

/// The UTC day of an epoch-ms instant as `YYYYMMDD` (the lake's `eventDay` partition value).
pub fn event_day(ms: i64) -> u32 {
    let (y, m, d) = civil_from_days(ms.div_euclid(MS_PER_DAY));
    (y as u32) * 10_000 + m * 100 + d
}

/// Formats epoch ms as `YYYY-MM-DDTHH:MM:SSZ` (CloudTrail's own format).
pub fn format_rfc3339_secs(ms: i64) -> String {
    let days = ms.div_euclid(MS_PER_DAY);
    let rem = ms.rem_euclid(MS_PER_DAY) / 1000;
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

/// Parses a `YYYYMMDD` day and returns epoch ms at its midnight UTC.
pub fn parse_day(s: &str) -> Option<i64> {
    if s.len() != 8 || !s.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let y: i64 = s[0..4].parse().ok()?;
    let m: u32 = s[4..6].parse().ok()?;
    let d: u32 = s[6..8].parse().ok()?;
    if !(1..=12).contains(&m) || d == 0 || i64::from(d) > days_in_month(y, m) {
        return None;
    }
    Some(days_from_civil(y, m, d) * MS_PER_DAY)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_cloudtrail_times() {
        assert_eq!(parse_rfc3339_ms("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_rfc3339_ms("2023-07-10T12:34:56Z"), Some(1_688_992_496_000));
        assert_eq!(
            parse_rfc3339_ms("2023-07-10T12:34:56.789Z"),
            Some(1_688_992_496_789)
        );
        assert_eq!(
            parse_rfc3339_ms("2023-07-10T12:34:56.7Z"),
            Some(1_688_992_496_700)
        );
        assert_eq!(
            parse_rfc3339_ms("2023-07-10T14:34:56+02:00"),
            Some(1_688_992_496_000)
        );
        assert_eq!(parse_rfc3339_ms("2023-07-10 12:34:56"), Some(1_688_992_496_000));
        assert_eq!(
            parse_rfc3339_ms("2024-02-29T00:00:00Z").map(event_day),
            Some(20240229)
        );
    }

    #[test]
    fn rejects_malformed_times() {
        for bad in [
            "",
            "2023-07-10",
            "2023-13-10T00:00:00Z",
            "2023-02-30T00:00:00Z",
            "2023-07-10T25:00:00Z",
            "2023-07-10T12:34:56Zjunk",
            "2023-07-10T12:34:56.Z",
            "2023/07/10T12:34:56Z",
        ] {
            assert_eq!(parse_rfc3339_ms(bad), None, "{bad}");
        }
    }

    #[test]
    fn parses_rfc1123_times() {
        let t = parse_rfc3339_ms("2016-06-05T15:10:09Z");
        assert_eq!(parse_rfc1123_ms("Sat, 05 Jun 2016 15:10:09 GMT"), t);
        // The weekday is not checked (5 June 2016 was a Sunday) and may be missing.
        assert_eq!(parse_rfc1123_ms("Sun, 05 Jun 2016 15:10:09 GMT"), t);
        assert_eq!(parse_rfc1123_ms("05 Jun 2016 15:10:09 UTC"), t);
        assert_eq!(
            parse_rfc1123_ms("Tue, 7 Feb 2017 00:55:52 GMT"),
            parse_rfc3339_ms("2017-02-07T00:55:52Z")
        );
        assert_eq!(
            parse_rfc1123_ms("Wed, 16 Aug 2023 23:18:52 +0200"),
            parse_rfc3339_ms("2023-08-16T21:18:52Z")
        );
        for bad in [
            "",
            "Sat, 05 Jun 2016",
            "Sat, 05 Jum 2016 15:10:09 GMT",
            "Sat, 31 Jun 2016 15:10:09 GMT",
            "Sat, 05 Jun 16 15:10:09 GMT",
            "Sat, 05 Jun 2016 24:10:09 GMT",
            "Sat, 05 Jun 2016 15:10:09 PST",
            "Sat, 05 Jun 2016 15:10:09 GMT extra",
            "2016-06-05T15:10:09Z",
        ] {
            assert_eq!(parse_rfc1123_ms(bad), None, "{bad}");
        }
    }

    #[test]
    fn day_round_trip() {
        for days in [-1000i64, -1, 0, 1, 10_000, 19_000, 20_000, 100_000] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(event_day(-1), 19691231);
        assert_eq!(format_rfc3339_secs(1_688_992_496_789), "2023-07-10T12:34:56Z");
        assert_eq!(parse_day("20230710"), Some(1_688_947_200_000));
        assert_eq!(parse_day("20230732"), None);
    }
}
