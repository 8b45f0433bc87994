//! Instants shown as Norwegian local dates and times.
//!
//! Norway follows the EU summer-time rule (since 1996): UTC+2 from 01:00 UTC on the last Sunday
//! of March to 01:00 UTC on the last Sunday of October, UTC+1 otherwise. The rule is computed
//! here, so rendering needs no time-zone database and gives the same bytes on every machine.

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Timelike, Utc, Weekday};

/// A local calendar date and time of day in Norway.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Local {
    pub year: i32,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
}

fn last_sunday_0100_utc(year: i32, month: u32) -> Option<DateTime<Utc>> {
    let first_next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)?
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)?
    };
    let mut day = first_next.pred_opt()?;
    while day.weekday() != Weekday::Sun {
        day = day.pred_opt()?;
    }
    Utc.from_utc_datetime(&day.and_hms_opt(1, 0, 0)?).into()
}

/// The offset from UTC of Norwegian local time at `at`, in hours (1 or 2).
fn offset_hours(at: DateTime<Utc>) -> i64 {
    let year = at.year();
    match (
        last_sunday_0100_utc(year, 3),
        last_sunday_0100_utc(year, 10),
    ) {
        (Some(start), Some(end)) if year >= 1996 && at >= start && at < end => 2,
        _ => 1,
    }
}

/// `at` as Norwegian local time.
pub(crate) fn local(at: DateTime<Utc>) -> Local {
    let shifted = at + Duration::hours(offset_hours(at));
    Local {
        year: shifted.year(),
        month: shifted.month(),
        day: shifted.day(),
        hour: shifted.hour(),
        minute: shifted.minute(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    #[test]
    fn winter_is_utc_plus_one_and_summer_utc_plus_two() {
        let winter = local(at("2026-01-15T23:30:00Z"));
        assert_eq!(
            (winter.year, winter.month, winter.day, winter.hour),
            (2026, 1, 16, 0)
        );
        let summer = local(at("2026-07-01T22:30:00Z"));
        assert_eq!((summer.month, summer.day, summer.hour), (7, 2, 0));
    }

    #[test]
    fn switches_at_one_utc_on_the_last_sundays() {
        // 2026: summer time from 29 March 01:00 UTC to 25 October 01:00 UTC.
        assert_eq!(local(at("2026-03-29T00:59:00Z")).hour, 1);
        assert_eq!(local(at("2026-03-29T01:00:00Z")).hour, 3);
        assert_eq!(local(at("2026-10-25T00:59:00Z")).hour, 2);
        assert_eq!(local(at("2026-10-25T01:00:00Z")).hour, 2);
        assert_eq!(local(at("2026-10-25T01:00:00Z")).minute, 0);
    }
}
