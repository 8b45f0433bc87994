//! Instants as people write them: `now`, a date (`2026-03-01`, midnight in Norway), a local
//! time (`2026-03-01 14:30`, Europe/Oslo), or a full RFC 3339 instant. One parser for every
//! `--at` (and `--clock`).
//!
//! Norwegian local time is computed here from the rule in force, not from a time-zone
//! database: no crate in the lock file resolves Europe/Oslo offline, and the rule is small.
//! Norway follows the EU rule (since 1996): CET (UTC+1), and CEST (UTC+2) from 01:00 UTC on
//! the last Sunday of March to 01:00 UTC on the last Sunday of October. A local time before
//! 1996 is refused (the rules differed then; give an offset). A local time that does not exist
//! (the hour skipped in March) or exists twice (the hour repeated in October) is refused too:
//! a consent ledger must not guess which instant was meant.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Utc};

/// The first year Norway's summer time followed the EU rule; local times before it are refused.
const FIRST_EU_RULE_YEAR: i32 = 1996;

/// What `--at` said: `now`, or an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    /// `now`: the command's own notion of now (the same as leaving `--at` out).
    Now,
    /// A definite instant.
    At(DateTime<Utc>),
}

impl When {
    /// The instant, with `now` read from `now`.
    pub fn resolve(self, now: impl FnOnce() -> DateTime<Utc>) -> DateTime<Utc> {
        match self {
            When::Now => now(),
            When::At(at) => at,
        }
    }
}

/// The instant of an optional `--at`, with `now` (given or by default) read from `now`.
pub fn at_or(when: Option<When>, now: impl FnOnce() -> DateTime<Utc>) -> DateTime<Utc> {
    when.unwrap_or(When::Now).resolve(now)
}

/// Parses `now`, `YYYY-MM-DD`, `YYYY-MM-DD HH:MM[:SS]` (or with `T`) in Europe/Oslo, or an
/// RFC 3339 instant with `Z` or an offset.
///
/// # Errors
/// A message for clap (exit 2) naming what is accepted, or why a local time is refused.
pub fn parse_when(text: &str) -> Result<When, String> {
    let text = text.trim();
    if text == "now" {
        return Ok(When::Now);
    }
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Ok(When::At(at.with_timezone(&Utc)));
    }
    if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return oslo_to_utc(date.and_time(NaiveTime::MIN)).map(When::At);
    }
    for format in [
        "%Y-%m-%d %H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%dT%H:%M:%S",
    ] {
        if let Ok(local) = NaiveDateTime::parse_from_str(text, format) {
            return oslo_to_utc(local).map(When::At);
        }
    }
    Err(
        "not an instant: give `now`, a date `2026-03-01` (midnight in Norway), a Norwegian local \
         time `2026-03-01 14:30`, or an RFC 3339 instant such as `2026-03-01T10:00:00Z`"
            .to_owned(),
    )
}

/// The last Sunday of a month of 31 days (March, October) in `year`.
fn last_sunday_of(year: i32, month: u32) -> Option<NaiveDate> {
    let last = NaiveDate::from_ymd_opt(year, month, 31)?;
    let back = last.weekday().num_days_from_sunday();
    last.checked_sub_signed(Duration::days(i64::from(back)))
}

/// Whether Norway keeps summer time (CEST, UTC+2) at this instant, by the EU rule.
fn is_summer_time(at: DateTime<Utc>) -> Option<bool> {
    let year = at.year();
    let start = last_sunday_of(year, 3)?.and_hms_opt(1, 0, 0)?.and_utc();
    let end = last_sunday_of(year, 10)?.and_hms_opt(1, 0, 0)?.and_utc();
    Some(start <= at && at < end)
}

/// Norway's offset from UTC at an instant, in hours (1 or 2).
pub fn oslo_offset_hours(at: DateTime<Utc>) -> Option<i64> {
    is_summer_time(at).map(|summer| if summer { 2 } else { 1 })
}

/// The instant a Norwegian wall-clock time names.
///
/// # Errors
/// For a time before 1996, one skipped when the clocks go forward, or one that occurs twice
/// when they go back.
pub fn oslo_to_utc(local: NaiveDateTime) -> Result<DateTime<Utc>, String> {
    // "at" between date and time keeps the message clear of the national-id mask (digits
    // joined across separators).
    let shown = local.format("%Y-%m-%d at %H:%M:%S");
    if local.year() < FIRST_EU_RULE_YEAR {
        return Err(format!(
            "`{shown}` is before {FIRST_EU_RULE_YEAR}, when Norway's summer-time rules differed: give the instant in RFC 3339 with its offset"
        ));
    }
    // The two readings, as winter time (UTC+1) and as summer time (UTC+2); each is right only
    // when Norway keeps that offset at the instant it names.
    let mut readings = Vec::with_capacity(2);
    for hours in [2, 1] {
        let at = local
            .checked_sub_signed(Duration::hours(hours))
            .map(|t| t.and_utc())
            .ok_or_else(|| format!("`{shown}` is out of range"))?;
        if oslo_offset_hours(at) == Some(hours) {
            readings.push(at);
        }
    }
    match readings.as_slice() {
        [at] => Ok(*at),
        [] => Err(format!(
            "`{shown}` does not exist in Norway: the clocks went forward from 02:00 to 03:00 that night; give the instant in RFC 3339 with its offset"
        )),
        _ => Err(format!(
            "`{shown}` happened twice in Norway (the clocks went back from 03:00 to 02:00 that night): give the instant in RFC 3339 with its offset, `+02:00` for the first or `+01:00` for the second"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn at(text: &str) -> DateTime<Utc> {
        match parse_when(text).unwrap() {
            When::At(at) => at,
            When::Now => panic!("`{text}` parsed as now"),
        }
    }

    #[test]
    fn last_sundays_are_the_eu_switch_days() {
        // Known switch days: 2026-03-29 and 2026-10-25; 2024-03-31 and 2024-10-27;
        // 1996-03-31 and 1996-10-27.
        for (year, march, october) in [
            (2026, 29, 25),
            (2024, 31, 27),
            (2025, 30, 26),
            (1996, 31, 27),
        ] {
            assert_eq!(
                last_sunday_of(year, 3),
                NaiveDate::from_ymd_opt(year, 3, march)
            );
            assert_eq!(
                last_sunday_of(year, 10),
                NaiveDate::from_ymd_opt(year, 10, october)
            );
        }
    }

    #[test]
    fn dates_are_midnight_in_norway() {
        // Winter: UTC+1; summer: UTC+2.
        assert_eq!(at("2026-03-01"), utc("2026-02-28T23:00:00Z"));
        assert_eq!(at("2026-07-01"), utc("2026-06-30T22:00:00Z"));
        // The switch days themselves: midnight is before the switch at 02:00/03:00.
        assert_eq!(at("2026-03-29"), utc("2026-03-28T23:00:00Z"));
        assert_eq!(at("2026-10-25"), utc("2026-10-24T22:00:00Z"));
    }

    #[test]
    fn local_times_follow_summer_time() {
        assert_eq!(at("2026-03-01 14:30"), utc("2026-03-01T13:30:00Z"));
        assert_eq!(at("2026-06-15 14:30"), utc("2026-06-15T12:30:00Z"));
        assert_eq!(at("2026-06-15T14:30:15"), utc("2026-06-15T12:30:15Z"));
        // Around the March switch: 01:59 is winter time, 03:00 summer time.
        assert_eq!(at("2026-03-29 01:59"), utc("2026-03-29T00:59:00Z"));
        assert_eq!(at("2026-03-29 03:00"), utc("2026-03-29T01:00:00Z"));
        // Around the October switch: 01:59 is summer time, 03:00 winter time.
        assert_eq!(at("2026-10-25 01:59"), utc("2026-10-24T23:59:00Z"));
        assert_eq!(at("2026-10-25 03:00"), utc("2026-10-25T02:00:00Z"));
    }

    #[test]
    fn skipped_and_repeated_local_times_are_refused() {
        let skipped = parse_when("2026-03-29 02:30").unwrap_err();
        assert!(skipped.contains("does not exist"), "{skipped}");
        let repeated = parse_when("2026-10-25 02:30").unwrap_err();
        assert!(repeated.contains("happened twice"), "{repeated}");
        // With an offset the instant is definite.
        assert_eq!(at("2026-10-25T02:30:00+02:00"), utc("2026-10-25T00:30:00Z"));
        assert_eq!(at("2026-10-25T02:30:00+01:00"), utc("2026-10-25T01:30:00Z"));
    }

    #[test]
    fn rfc3339_now_and_nonsense() {
        assert_eq!(at("2026-03-01T10:00:00Z"), utc("2026-03-01T10:00:00Z"));
        assert_eq!(parse_when("now"), Ok(When::Now));
        for bad in [
            "",
            "tomorrow",
            "2026-02-30",
            "2026-03-01 25:00",
            "01.03.2026",
        ] {
            assert!(parse_when(bad).is_err(), "{bad}");
        }
        let old = parse_when("1990-06-01").unwrap_err();
        assert!(old.contains("before 1996"), "{old}");
    }

    #[test]
    fn every_hour_of_a_year_round_trips() {
        // Every UTC hour of 2026 shown as Norwegian local time parses back to itself, except
        // the repeated hour of October, which is refused.
        let mut t = utc("2026-01-01T00:00:00Z");
        let mut refused = 0;
        while t < utc("2027-01-01T00:00:00Z") {
            let offset = oslo_offset_hours(t).unwrap();
            let local = (t + Duration::hours(offset)).naive_utc();
            match oslo_to_utc(local) {
                Ok(back) => assert_eq!(back, t),
                Err(_) => refused += 1,
            }
            t += Duration::hours(1);
        }
        // 00:00 UTC (02:00 CEST) and 01:00 UTC (02:00 CET) on 2026-10-25.
        assert_eq!(refused, 2);
    }
}
