//! Local clocks: a time zone of the IANA database, a time of day, a daily window (quiet hours),
//! and the next instant a local clock reads a given time. Times are epoch milliseconds, as
//! everywhere else; only these functions know about zones and daylight saving.

use chrono::{Datelike, NaiveDateTime, NaiveTime, TimeDelta, TimeZone, Timelike};
use chrono_tz::Tz;

const HOUR_MS: i64 = 3_600_000;

/// A time zone (`UTC`, `Asia/Tokyo`, `Europe/Berlin`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Zone(Tz);

impl Default for Zone {
    fn default() -> Self {
        Zone(Tz::UTC)
    }
}

impl TryFrom<String> for Zone {
    type Error = String;
    fn try_from(s: String) -> Result<Zone, String> {
        s.parse::<Tz>().map(Zone).map_err(|_| {
            format!("expected a time zone of the IANA database (UTC, Asia/Tokyo, Europe/Berlin), found {s:?}")
        })
    }
}

impl From<Zone> for String {
    fn from(z: Zone) -> String {
        z.0.name().to_string()
    }
}

impl Zone {
    pub fn name(&self) -> &'static str {
        self.0.name()
    }

    /// What the local clock reads at `ms`.
    fn local(&self, ms: i64) -> NaiveDateTime {
        let utc = chrono::DateTime::from_timestamp_millis(ms)
            .unwrap_or_default()
            .naive_utc();
        self.0.from_utc_datetime(&utc).naive_local()
    }

    /// The first instant the local clock reads `t`; when the clock skips it (a daylight-saving
    /// gap), the first instant after the gap.
    fn instant(&self, mut t: NaiveDateTime) -> i64 {
        // Gaps are at most a few hours; step over them a quarter hour at a time.
        for _ in 0..16 {
            if let Some(dt) = self.0.from_local_datetime(&t).earliest() {
                return dt.timestamp_millis();
            }
            t += TimeDelta::minutes(15);
        }
        t.and_utc().timestamp_millis()
    }

    /// The local calendar date at `ms`, as days since 1970-01-01.
    pub fn local_day(&self, ms: i64) -> i64 {
        let d = self.local(ms).date();
        crate::time::days_from_civil(i64::from(d.year()), d.month(), d.day())
    }

    /// The local time of day at `ms`, to the minute.
    pub fn clock(&self, ms: i64) -> ClockTime {
        let l = self.local(ms);
        ClockTime((l.hour() * 60 + l.minute()) as u16)
    }

    /// The first instant after `ms` at which the local clock reads `at`.
    pub fn next_at(&self, ms: i64, at: ClockTime) -> i64 {
        let time = NaiveTime::from_hms_opt(u32::from(at.0 / 60), u32::from(at.0 % 60), 0).unwrap_or_default();
        let mut day = self.local(ms).date();
        for _ in 0..3 {
            let t = self.instant(day.and_time(time));
            if t > ms {
                return t;
            }
            match day.succ_opt() {
                Some(d) => day = d,
                None => break,
            }
        }
        ms + 24 * HOUR_MS
    }

    /// The first instant after `ms` at which a local hour begins.
    pub fn next_hour(&self, ms: i64) -> i64 {
        let l = self.local(ms);
        let start = l.date().and_hms_opt(l.hour(), 0, 0).unwrap_or(l) + TimeDelta::hours(1);
        let t = self.instant(start);
        if t > ms {
            t
        } else {
            t + HOUR_MS
        }
    }
}

/// A time of day, `HH:MM` (minutes since midnight inside).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "String", into = "String")]
pub struct ClockTime(u16);

impl ClockTime {
    pub fn new(hour: u16, minute: u16) -> Option<ClockTime> {
        (hour < 24 && minute < 60).then_some(ClockTime(hour * 60 + minute))
    }

    fn parse(s: &str) -> Option<ClockTime> {
        let (h, m) = s.trim().split_once(':')?;
        if h.is_empty() || h.len() > 2 || m.len() != 2 {
            return None;
        }
        ClockTime::new(h.parse().ok()?, m.parse().ok()?)
    }
}

impl TryFrom<String> for ClockTime {
    type Error = String;
    fn try_from(s: String) -> Result<ClockTime, String> {
        ClockTime::parse(&s)
            .ok_or_else(|| format!("expected a time of day HH:MM (00:00 to 23:59), found {s:?}"))
    }
}

impl From<ClockTime> for String {
    fn from(t: ClockTime) -> String {
        t.to_string()
    }
}

impl std::fmt::Display for ClockTime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:02}:{:02}", self.0 / 60, self.0 % 60)
    }
}

/// A daily window of local time, `HH:MM-HH:MM`; it may run over midnight (`22:00-07:00`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ClockWindow {
    pub from: ClockTime,
    pub to: ClockTime,
}

impl TryFrom<String> for ClockWindow {
    type Error = String;
    fn try_from(s: String) -> Result<ClockWindow, String> {
        let bad = || format!("expected a daily window HH:MM-HH:MM (such as 22:00-07:00), found {s:?}");
        let (a, b) = s.split_once('-').ok_or_else(bad)?;
        let (from, to) = (
            ClockTime::parse(a).ok_or_else(bad)?,
            ClockTime::parse(b).ok_or_else(bad)?,
        );
        if from == to {
            return Err(format!("{s:?}: the window starts and ends at the same time"));
        }
        Ok(ClockWindow { from, to })
    }
}

impl From<ClockWindow> for String {
    fn from(w: ClockWindow) -> String {
        format!("{}-{}", w.from, w.to)
    }
}

impl ClockWindow {
    /// Whether the local time `t` is inside (from inclusive, to exclusive).
    pub fn contains(&self, t: ClockTime) -> bool {
        if self.from < self.to {
            self.from <= t && t < self.to
        } else {
            t >= self.from || t < self.to
        }
    }

    /// When the window ends, if `ms` is inside it.
    pub fn end_after(&self, zone: Zone, ms: i64) -> Option<i64> {
        self.contains(zone.clock(ms)).then(|| zone.next_at(ms, self.to))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::parse_rfc3339_ms;

    fn ms(s: &str) -> i64 {
        parse_rfc3339_ms(s).expect("time")
    }

    fn zone(name: &str) -> Zone {
        Zone::try_from(name.to_string()).expect("zone")
    }

    #[test]
    fn next_local_times_across_midnight_and_daylight_saving() {
        let tokyo = zone("Asia/Tokyo");
        let nine = ClockTime::new(9, 0).expect("09:00");
        // 2026-12-04 05:00 UTC is 14:00 in Tokyo: the next 09:00 is tomorrow 00:00 UTC.
        assert_eq!(
            tokyo.next_at(ms("2026-12-04T05:00:00Z"), nine),
            ms("2026-12-05T00:00:00Z")
        );
        assert_eq!(
            tokyo.next_at(ms("2026-12-03T23:59:00Z"), nine),
            ms("2026-12-04T00:00:00Z")
        );
        // Exactly at 09:00 the next one is a day later.
        assert_eq!(
            tokyo.next_at(ms("2026-12-04T00:00:00Z"), nine),
            ms("2026-12-05T00:00:00Z")
        );
        assert_eq!(
            tokyo.next_hour(ms("2026-12-04T05:20:00Z")),
            ms("2026-12-04T06:00:00Z")
        );
        // India is 5:30 ahead: its hours begin at :30 UTC.
        assert_eq!(
            zone("Asia/Kolkata").next_hour(ms("2026-12-04T05:20:00Z")),
            ms("2026-12-04T05:30:00Z")
        );
        // New York springs forward on 2026-03-08: 02:30 does not exist, 03:00 EDT (07:00 UTC) is next.
        let ny = zone("America/New_York");
        let half_two = ClockTime::new(2, 30).expect("02:30");
        assert_eq!(
            ny.next_at(ms("2026-03-08T05:00:00Z"), half_two),
            ms("2026-03-08T07:00:00Z")
        );
        // ... and falls back on 2026-11-01: 01:30 happens twice; the first (EDT, 05:30 UTC).
        let half_one = ClockTime::new(1, 30).expect("01:30");
        assert_eq!(
            ny.next_at(ms("2026-11-01T04:00:00Z"), half_one),
            ms("2026-11-01T05:30:00Z")
        );
        assert!(Zone::try_from("Mars/Olympus".to_string()).is_err());
        assert_eq!(String::from(tokyo), "Asia/Tokyo");
    }

    #[test]
    fn windows_over_midnight_and_their_ends() {
        let w = ClockWindow::try_from("22:00-07:00".to_string()).expect("window");
        let t = |h, m| ClockTime::new(h, m).expect("time");
        assert!(w.contains(t(23, 0)) && w.contains(t(0, 0)) && w.contains(t(6, 59)));
        assert!(!w.contains(t(7, 0)) && !w.contains(t(12, 0)) && !w.contains(t(21, 59)));
        let day = ClockWindow::try_from("09:00-17:30".to_string()).expect("window");
        assert!(day.contains(t(9, 0)) && !day.contains(t(17, 30)) && !day.contains(t(8, 0)));
        // 23:00 in Tokyo (14:00 UTC): quiet until 07:00 Tokyo, 22:00 UTC.
        let tokyo = zone("Asia/Tokyo");
        assert_eq!(
            w.end_after(tokyo, ms("2026-12-04T14:00:00Z")),
            Some(ms("2026-12-04T22:00:00Z"))
        );
        assert_eq!(w.end_after(tokyo, ms("2026-12-04T05:00:00Z")), None);
        for bad in ["22:00", "25:00-07:00", "22:00-7", "07:00-07:00", "aa:bb-cc:dd"] {
            assert!(ClockWindow::try_from(bad.to_string()).is_err(), "{bad}");
        }
        assert_eq!(String::from(w), "22:00-07:00");
    }
}
