//! Instants as they are stored and compared inside the crate, and the Norwegian civil date.
//!
//! The public API speaks `DateTime<Utc>`; the projection and the engine compare plain `i64`
//! microseconds since the Unix epoch, which is what makes a decision cheap.

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc, Weekday};

use crate::error::{Error, Result};

/// Microseconds since 1970-01-01T00:00:00Z.
pub(crate) type Micros = i64;

/// The earliest instant the ledger accepts (1850-01-01, before anyone alive was born).
const MIN_YEAR: i32 = 1850;
/// The latest year the ledger accepts.
const MAX_YEAR: i32 = 9999;

/// 1850-01-01T00:00:00Z in Unix seconds: the first second of `MIN_YEAR`.
const MIN_SECS: i64 = -3_786_825_600;
/// 10000-01-01T00:00:00Z in Unix seconds: the first second after `MAX_YEAR`.
const END_SECS: i64 = 253_402_300_800;

/// Converts an instant to microseconds, rejecting instants outside the years 1850–9999.
///
/// Every decision converts its instant, so the range is checked on the Unix seconds rather
/// than by computing the calendar year (a leap second keeps its minute's seconds, so this is
/// the same test).
pub(crate) fn to_micros(at: DateTime<Utc>, what: &str) -> Result<Micros> {
    if !(MIN_SECS..END_SECS).contains(&at.timestamp()) {
        return Err(Error::invalid(format!(
            "{what} `{}` is outside the years {MIN_YEAR} to {MAX_YEAR}",
            at.to_rfc3339()
        )));
    }
    Ok(at.timestamp_micros())
}

/// Converts microseconds back to an instant; `None` for the "never" and "always" sentinels.
pub(crate) fn from_micros_opt(micros: Micros) -> Option<DateTime<Utc>> {
    if micros == Micros::MAX || micros == Micros::MIN {
        return None;
    }
    DateTime::<Utc>::from_timestamp_micros(micros)
}

/// Converts microseconds of an instant the ledger accepted back to the instant.
///
/// # Errors
/// `Integrity` for a value no accepted instant has (a sentinel, or a corrupt value).
pub(crate) fn from_micros(micros: Micros) -> Result<DateTime<Utc>> {
    from_micros_opt(micros)
        .filter(|at| (MIN_SECS..END_SECS).contains(&at.timestamp()))
        .ok_or_else(|| {
            Error::new(
                crate::error::ErrorCode::Integrity,
                format!("instant `{micros}` µs is outside the years {MIN_YEAR} to {MAX_YEAR}"),
            )
        })
}

/// 1850-01-01T00:00:00Z in Unix milliseconds, the first instant of the accepted range.
const MIN_MILLIS: i64 = -3_786_825_600_000;
/// 9999-12-31T23:59:59.999Z in Unix milliseconds, the last instant of the accepted range.
const MAX_MILLIS: i64 = 253_402_300_799_999;

/// Converts Unix milliseconds (the C ABI's time) to an instant in the accepted range.
///
/// # Errors
/// `InvalidInput` when the value is outside the years 1850–9999.
pub fn from_unix_millis(millis: i64) -> Result<DateTime<Utc>> {
    // The C ABI converts an instant on every decision: settle the range on the integer, so an
    // accepted instant is converted once (not converted back to check its year).
    if (MIN_MILLIS..=MAX_MILLIS).contains(&millis)
        && let Some(at) = DateTime::<Utc>::from_timestamp_millis(millis)
    {
        return Ok(at);
    }
    let at = DateTime::<Utc>::from_timestamp_millis(millis)
        .ok_or_else(|| Error::invalid(format!("timestamp `{millis}` ms is out of range")))?;
    to_micros(at, "timestamp")?;
    Ok(at)
}

fn last_sunday(year: i32, month: u32) -> Option<NaiveDate> {
    let first_of_next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)?
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)?
    };
    let last = first_of_next.pred_opt()?;
    let back = last.weekday().num_days_from_sunday();
    last.checked_sub_signed(Duration::days(i64::from(back)))
        .filter(|d| d.weekday() == Weekday::Sun)
}

/// The instant local midnight begins on `date` in Norway (Europe/Oslo, EU summer time rules).
///
/// Midnight is never inside a transition (they happen at 01:00 UTC), so the offset is +2 hours
/// for dates after the last Sunday of March up to and including the last Sunday of October,
/// and +1 hour otherwise.
pub(crate) fn oslo_midnight(date: NaiveDate) -> Option<DateTime<Utc>> {
    let year = date.year();
    let summer = match (last_sunday(year, 3), last_sunday(year, 10)) {
        (Some(start), Some(end)) => date > start && date <= end,
        _ => false,
    };
    let offset_hours = if summer { 2 } else { 1 };
    let midnight = date.and_hms_opt(0, 0, 0)?;
    Some(Utc.from_utc_datetime(&midnight) - Duration::hours(offset_hours))
}

/// The calendar date in Norway (Europe/Oslo) at an instant.
pub(crate) fn oslo_date(at: DateTime<Utc>) -> Option<NaiveDate> {
    // Norway is one or two hours ahead of UTC, so its date is the UTC date or the next one.
    let utc_date = at.date_naive();
    let next = utc_date.succ_opt()?;
    match oslo_midnight(next) {
        Some(midnight) if at >= midnight => Some(next),
        _ => Some(utc_date),
    }
}

/// The date of the `years`-th anniversary of `date` (29 February rolls to 1 March).
pub(crate) fn anniversary(date: NaiveDate, years: u32) -> Option<NaiveDate> {
    let year = date.year().checked_add(i32::try_from(years).ok()?)?;
    NaiveDate::from_ymd_opt(year, date.month(), date.day())
        .or_else(|| NaiveDate::from_ymd_opt(year, 3, 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_accepted_range_is_the_years_1850_to_9999() {
        let first = Utc.with_ymd_and_hms(MIN_YEAR, 1, 1, 0, 0, 0).unwrap();
        let end = Utc.with_ymd_and_hms(MAX_YEAR + 1, 1, 1, 0, 0, 0).unwrap();
        assert_eq!(first.timestamp(), MIN_SECS);
        assert_eq!(end.timestamp(), END_SECS);
        let micro = Duration::microseconds(1);
        assert!(to_micros(first - micro, "t").is_err());
        assert_eq!(to_micros(first, "t").unwrap(), first.timestamp_micros());
        assert!(to_micros(end - micro, "t").is_ok());
        assert!(to_micros(end, "t").is_err());
        for at in [DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC] {
            assert!(to_micros(at, "t").is_err());
        }
        // A leap second in the last minute of 9999 is still in 9999.
        let leap = NaiveDate::from_ymd_opt(MAX_YEAR, 12, 31)
            .unwrap()
            .and_hms_micro_opt(23, 59, 59, 1_500_000)
            .unwrap()
            .and_utc();
        assert_eq!(leap.year(), MAX_YEAR);
        assert!(to_micros(leap, "t").is_ok());
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn oslo_midnight_follows_summer_time() {
        // Winter: UTC+1.
        assert_eq!(
            oslo_midnight(date(2026, 1, 15)).unwrap().to_rfc3339(),
            "2026-01-14T23:00:00+00:00"
        );
        // Summer time in 2026 runs from 29 March to 25 October.
        assert_eq!(
            oslo_midnight(date(2026, 3, 29)).unwrap().to_rfc3339(),
            "2026-03-28T23:00:00+00:00"
        );
        assert_eq!(
            oslo_midnight(date(2026, 3, 30)).unwrap().to_rfc3339(),
            "2026-03-29T22:00:00+00:00"
        );
        assert_eq!(
            oslo_midnight(date(2026, 10, 25)).unwrap().to_rfc3339(),
            "2026-10-24T22:00:00+00:00"
        );
        assert_eq!(
            oslo_midnight(date(2026, 10, 26)).unwrap().to_rfc3339(),
            "2026-10-25T23:00:00+00:00"
        );
    }

    #[test]
    fn the_norwegian_date_turns_at_local_midnight() {
        let at = |text: &str| text.parse::<DateTime<Utc>>().unwrap();
        // Winter (UTC+1): 23:00 UTC is already the next day in Oslo.
        assert_eq!(
            oslo_date(at("2026-01-14T22:59:59Z")),
            Some(date(2026, 1, 14))
        );
        assert_eq!(
            oslo_date(at("2026-01-14T23:00:00Z")),
            Some(date(2026, 1, 15))
        );
        // Summer (UTC+2).
        assert_eq!(
            oslo_date(at("2026-06-30T21:59:59Z")),
            Some(date(2026, 6, 30))
        );
        assert_eq!(
            oslo_date(at("2026-06-30T22:00:00Z")),
            Some(date(2026, 7, 1))
        );
        // New Year's Eve in UTC is New Year's Day in Norway.
        assert_eq!(
            oslo_date(at("2025-12-31T23:30:00Z")),
            Some(date(2026, 1, 1))
        );
    }

    #[test]
    fn anniversary_of_leap_day_rolls_to_march() {
        assert_eq!(anniversary(date(2008, 2, 29), 18), Some(date(2026, 3, 1)));
        assert_eq!(anniversary(date(2008, 5, 1), 18), Some(date(2026, 5, 1)));
    }

    #[test]
    fn instants_outside_the_range_are_rejected() {
        assert!(to_micros(Utc.with_ymd_and_hms(1800, 1, 1, 0, 0, 0).unwrap(), "at").is_err());
        assert!(from_unix_millis(i64::MAX).is_err());
        assert_eq!(from_unix_millis(0).unwrap().timestamp(), 0);
    }

    #[test]
    fn the_millisecond_range_is_the_year_range() {
        let first = Utc.with_ymd_and_hms(MIN_YEAR, 1, 1, 0, 0, 0).unwrap();
        let last = Utc.with_ymd_and_hms(MAX_YEAR, 12, 31, 23, 59, 59).unwrap()
            + Duration::milliseconds(999);
        assert_eq!(first.timestamp_millis(), MIN_MILLIS);
        assert_eq!(last.timestamp_millis(), MAX_MILLIS);
        assert_eq!(from_unix_millis(MIN_MILLIS).unwrap(), first);
        assert_eq!(from_unix_millis(MAX_MILLIS).unwrap(), last);
        for outside in [MIN_MILLIS - 1, MAX_MILLIS + 1] {
            let message = from_unix_millis(outside).unwrap_err().message().to_owned();
            assert!(
                message.contains("outside the years 1850 to 9999"),
                "{message}"
            );
        }
        let message = from_unix_millis(i64::MIN).unwrap_err().message().to_owned();
        assert!(message.contains("ms is out of range"), "{message}");
    }
}
