//! Statistics that cannot single a person out.
//!
//! - Counts are made per **fixed calendar period** (the catalogue's `statistics_period`: month,
//!   quarter or year, in Norwegian local time), by purpose and recipient, and a query asks for
//!   whole periods only. Two answers therefore never overlap, so no answer can be subtracted
//!   from another to leave one person's events (a freely chosen time window allowed that).
//! - **Small cells** (a count from 1 to `min_cell - 1`) are suppressed.
//! - **Totals** per period are shown beside the rows, so **secondary suppression** hides enough
//!   other cells that no suppressed count can be derived from the total: a suppressed count
//!   is known to be at least 1, so a total minus the visible cells pins a cell down when it is
//!   the only one suppressed, or when every suppressed cell must be exactly 1. The smallest
//!   visible counts are suppressed until neither holds; where that cannot be done, the total
//!   is suppressed instead.
//! - Active grants are counted at the end of each period (or now, for the period under way).

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Datelike, Months, NaiveDate, Utc};
use serde::Serialize;

use super::grant_state::GrantState;
use crate::catalogue::{Catalogue, Code, Period, bits};
use crate::error::{Error, ErrorCode, Result, printable};
use crate::log::event::{Event, EventPayload};
use crate::model::{GrantId, parse_json};
use crate::time::{self, Micros};

/// Which periods statistics count: `{"from": "2026-Q1", "to": "2026-Q2", "min_cell": 10}`,
/// every key optional. `from` and `to` name whole periods of the catalogue's
/// `statistics_period` (`2026-03`, `2026-Q1` or `2026`), both included; without them, every
/// period from the first event's to the one under way.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StatisticsQuery {
    /// The first period counted.
    pub from: Option<String>,
    /// The last period counted.
    pub to: Option<String>,
    /// Overrides the catalogue's `statistics_min_cell` (it can only be raised).
    pub min_cell: Option<u32>,
}

impl StatisticsQuery {
    /// Parses the query JSON shared by the C ABI and the CLI.
    ///
    /// # Errors
    /// `InvalidInput` for malformed JSON or an unknown key (an instant where a period is due,
    /// for one).
    pub fn from_json(json: &str) -> Result<StatisticsQuery> {
        parse_json(json, "statistics query")
    }
}

/// Counts for one period, purpose and recipient. `None` is a suppressed count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct StatisticsRow {
    /// The period (`2026-03`, `2026-Q1` or `2026`) the events were recorded in.
    pub period: String,
    /// The purpose.
    pub purpose: Code,
    /// The recipient.
    pub recipient: Code,
    /// Grants recorded.
    pub grants: Option<u64>,
    /// Withdrawals recorded.
    pub withdrawals: Option<u64>,
    /// Refusals recorded.
    pub refusals: Option<u64>,
    /// Disclosures recorded.
    pub disclosures: Option<u64>,
}

/// The sums of one period's rows. `None` is a suppressed total.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct StatisticsTotal {
    /// The period.
    pub period: String,
    /// The sum of the rows' grants.
    pub grants: Option<u64>,
    /// The sum of the rows' withdrawals.
    pub withdrawals: Option<u64>,
    /// The sum of the rows' refusals.
    pub refusals: Option<u64>,
    /// The sum of the rows' disclosures.
    pub disclosures: Option<u64>,
}

/// Active grants at the end of one period for one purpose and recipient.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ActiveGrants {
    /// The period.
    pub period: String,
    /// The instant they are counted at: the period's end, or now for the period under way.
    pub at: DateTime<Utc>,
    /// The purpose.
    pub purpose: Code,
    /// The recipient.
    pub recipient: Code,
    /// How many grants are active (`None`: suppressed).
    pub count: Option<u64>,
}

/// Aggregate counts; never individual rows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Statistics {
    /// The suppression threshold used.
    pub min_cell: u32,
    /// The period counts are made in.
    pub period: Period,
    /// The periods counted, in order.
    pub periods: Vec<String>,
    /// Counts by period, purpose and recipient.
    pub rows: Vec<StatisticsRow>,
    /// The sums of each period's rows.
    pub totals: Vec<StatisticsTotal>,
    /// Active grants at the end of each period, by purpose and recipient.
    pub active_grants: Vec<ActiveGrants>,
}

/// The suppression threshold of a query: the catalogue's, or a higher one the query asks for.
///
/// # Errors
/// `InvalidInput` for a threshold below the catalogue's.
pub(crate) fn min_cell(configured: u32, query: &StatisticsQuery) -> Result<u32> {
    match query.min_cell {
        Some(m) if m < configured => Err(Error::invalid(format!(
            "min_cell {m} is below the catalogue's statistics_min_cell {configured}"
        ))),
        Some(m) => Ok(m),
        None => Ok(configured),
    }
}

/// One calendar period, by its first day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct PeriodId(NaiveDate);

/// The period of `kind` that holds `date`.
fn period_of(kind: Period, date: NaiveDate) -> Option<PeriodId> {
    let month = match kind {
        Period::Month => date.month(),
        Period::Quarter => (date.month() - 1) / 3 * 3 + 1,
        Period::Year => 1,
    };
    NaiveDate::from_ymd_opt(date.year(), month, 1).map(PeriodId)
}

fn next_period(kind: Period, period: PeriodId) -> Option<PeriodId> {
    let months = match kind {
        Period::Month => 1,
        Period::Quarter => 3,
        Period::Year => 12,
    };
    period
        .0
        .checked_add_months(Months::new(months))
        .map(PeriodId)
}

fn label(kind: Period, period: PeriodId) -> String {
    let date = period.0;
    match kind {
        Period::Month => format!("{:04}-{:02}", date.year(), date.month()),
        Period::Quarter => format!("{:04}-Q{}", date.year(), (date.month() - 1) / 3 + 1),
        Period::Year => format!("{:04}", date.year()),
    }
}

/// Reads a period label of `kind`: `2026-03`, `2026-Q1` or `2026`.
fn parse_label(kind: Period, text: &str) -> Result<PeriodId> {
    let wrong = || {
        Error::invalid(format!(
            "`{}` is not a {} such as {}: statistics are asked for by whole periods of the catalogue's statistics_period",
            printable(text),
            kind.as_str(),
            match kind {
                Period::Month => "`2026-03`",
                Period::Quarter => "`2026-Q1`",
                Period::Year => "`2026`",
            }
        ))
    };
    let year = |y: &str| -> Result<i32> {
        match (y.len(), y.parse::<i32>()) {
            (4, Ok(year)) if (1850..=9999).contains(&year) => Ok(year),
            _ => Err(wrong()),
        }
    };
    let first_month = match kind {
        Period::Year => {
            return NaiveDate::from_ymd_opt(year(text)?, 1, 1)
                .map(PeriodId)
                .ok_or_else(wrong);
        }
        Period::Month => {
            let (y, m) = text.split_once('-').ok_or_else(wrong)?;
            let month: u32 = m.parse().map_err(|_| wrong())?;
            if m.len() != 2 || !(1..=12).contains(&month) {
                return Err(wrong());
            }
            (year(y)?, month)
        }
        Period::Quarter => {
            let (y, q) = text.split_once("-Q").ok_or_else(wrong)?;
            let quarter: u32 = q.parse().map_err(|_| wrong())?;
            if q.len() != 1 || !(1..=4).contains(&quarter) {
                return Err(wrong());
            }
            (year(y)?, (quarter - 1) * 3 + 1)
        }
    };
    NaiveDate::from_ymd_opt(first_month.0, first_month.1, 1)
        .map(PeriodId)
        .ok_or_else(wrong)
}

/// The first instant of a period (local midnight in Norway on its first day).
fn start(period: PeriodId) -> Result<Micros> {
    let at = time::oslo_midnight(period.0)
        .ok_or_else(|| Error::invalid("a period outside the calendar"))?;
    time::to_micros(at, "period")
}

/// The periods a query asks for: from `query.from` (or the first event's period, once the
/// events are counted) to `query.to` (or the period under way), both included.
#[derive(Debug, Clone)]
pub(crate) struct Window {
    kind: Period,
    from: Option<PeriodId>,
    to: PeriodId,
    /// The first instant after the last period.
    end: Micros,
}

impl Window {
    /// The window of a query at `now`.
    ///
    /// # Errors
    /// `InvalidInput` for a label that is not a whole period of the catalogue's kind, or a
    /// `to` before `from`.
    pub(crate) fn new(kind: Period, query: &StatisticsQuery, now: DateTime<Utc>) -> Result<Window> {
        let from = query
            .from
            .as_deref()
            .map(|text| parse_label(kind, text))
            .transpose()?;
        let to = match &query.to {
            Some(text) => parse_label(kind, text)?,
            None => {
                let current = period_of_instant(kind, now)?;
                from.map_or(current, |from| current.max(from))
            }
        };
        if let Some(from) = from
            && to < from
        {
            return Err(Error::invalid(format!(
                "`to` {} is before `from` {}",
                label(kind, to),
                label(kind, from)
            )));
        }
        let end = start(next_period(kind, to).ok_or_else(outside)?)?;
        Ok(Window {
            kind,
            from,
            to,
            end,
        })
    }

    /// The period an event recorded at `at` counts in, if the window holds it.
    fn period_of(&self, at: DateTime<Utc>, micros: Micros) -> Result<Option<PeriodId>> {
        if micros >= self.end {
            return Ok(None);
        }
        let period = period_of_instant(self.kind, at)?;
        Ok((self.from.is_none_or(|from| period >= from)).then_some(period))
    }

    /// The periods, in order, from `from` (or `first`, the earliest period an event counted
    /// in, or else `to`) to `to`.
    fn periods(&self, first: Option<PeriodId>) -> Result<Vec<PeriodId>> {
        let mut current = self.from.or(first).unwrap_or(self.to).min(self.to);
        let mut periods = vec![current];
        while current < self.to {
            current = next_period(self.kind, current).ok_or_else(outside)?;
            if periods.len() >= 1200 {
                return Err(Error::invalid("more than 1,200 periods in one query"));
            }
            periods.push(current);
        }
        Ok(periods)
    }
}

fn outside() -> Error {
    Error::invalid("a period outside the calendar")
}

/// The period of `kind` an instant falls in, in Norwegian local time.
fn period_of_instant(kind: Period, at: DateTime<Utc>) -> Result<PeriodId> {
    time::oslo_date(at)
        .and_then(|d| period_of(kind, d))
        .ok_or_else(outside)
}

/// A count as published: `None` when it is small enough to identify someone.
fn suppress(count: u64, min_cell: u32) -> Option<u64> {
    (count == 0 || count >= u64::from(min_cell)).then_some(count)
}

/// One measure of one period: every cell's count, and what may be shown of each and of their
/// total. A suppressed count is known to be at least 1 (a zero is shown), so the total minus
/// the visible cells gives a suppressed cell away when it is the only one suppressed or when
/// the suppressed cells sum to their number (each is 1). The smallest visible non-zero cells
/// are suppressed until neither holds; failing that, the total is.
fn protect(counts: &[u64], min_cell: u32) -> (Vec<Option<u64>>, Option<u64>) {
    let mut shown: Vec<Option<u64>> = counts.iter().map(|&c| suppress(c, min_cell)).collect();
    let total: u64 = counts.iter().sum();
    let mut total_shown = suppress(total, min_cell);
    loop {
        let hidden: Vec<u64> = counts
            .iter()
            .zip(&shown)
            .filter(|(_, s)| s.is_none())
            .map(|(&c, _)| c)
            .collect();
        let k = hidden.len() as u64;
        let sum: u64 = hidden.iter().sum();
        if total_shown.is_none() || k == 0 || (k >= 2 && sum != k) {
            break;
        }
        // Derivable: hide the smallest visible non-zero count as well.
        let next = counts
            .iter()
            .zip(&shown)
            .enumerate()
            .filter(|(_, (c, s))| s.is_some() && **c > 0)
            .min_by_key(|(_, (c, _))| **c)
            .map(|(i, _)| i);
        match next.and_then(|i| shown.get_mut(i)) {
            Some(cell) => *cell = None,
            None => total_shown = None,
        }
    }
    (shown, total_shown)
}

#[derive(Default, Clone, Copy)]
struct Cell {
    grants: u64,
    withdrawals: u64,
    refusals: u64,
    disclosures: u64,
}

/// Counts events, in log order, into cells of (period, purpose, recipient).
pub(crate) struct Tally<'a> {
    catalogue: &'a Catalogue,
    window: &'a Window,
    cells: BTreeMap<(PeriodId, Code, Code), Cell>,
    /// Withdrawals count under their grant's scope, kept as interned bitsets.
    scopes: HashMap<GrantId, (u64, u64)>,
}

impl<'a> Tally<'a> {
    /// Counts the events recorded in the window's periods.
    pub(crate) fn new(catalogue: &'a Catalogue, window: &'a Window) -> Tally<'a> {
        Tally {
            catalogue,
            window,
            cells: BTreeMap::new(),
            scopes: HashMap::new(),
        }
    }

    fn bump(&mut self, period: PeriodId, purposes: &[Code], recipients: &[Code], f: fn(&mut Cell)) {
        for p in purposes {
            for r in recipients {
                f(self
                    .cells
                    .entry((period, p.clone(), r.clone()))
                    .or_default());
            }
        }
    }

    /// Counts one event (every event of the log must pass through, in order, so that a
    /// withdrawal finds its grant's scope).
    ///
    /// # Errors
    /// `InvalidInput` for an instant out of range; `InvalidCatalogue` when a recorded grant
    /// names a code the catalogue lacks.
    pub(crate) fn add(&mut self, e: &Event) -> Result<()> {
        let t = time::to_micros(e.recorded_at, "recorded_at")?;
        let period = self.window.period_of(e.recorded_at, t)?;
        match &e.payload {
            EventPayload::GrantRecorded(g) => {
                let scope = (
                    self.catalogue.purpose_set(&g.purposes),
                    self.catalogue.recipient_set(&g.recipients),
                );
                let (purposes, recipients) = match scope {
                    (Ok(p), Ok(r)) => (p, r),
                    (Err(e), _) | (_, Err(e)) => {
                        return Err(Error::new(
                            ErrorCode::InvalidCatalogue,
                            format!("does not fit the catalogue: {}", e.message()),
                        ));
                    }
                };
                self.scopes.insert(g.grant_id, (purposes, recipients));
                if let Some(period) = period {
                    self.bump(period, &g.purposes, &g.recipients, |c| c.grants += 1);
                }
            }
            EventPayload::GrantWithdrawn(w) => {
                if let (Some(period), Some(&(p, r))) = (period, self.scopes.get(&w.grant_id)) {
                    let (p, r) = (
                        self.catalogue.purpose_codes(p),
                        self.catalogue.recipient_codes(r),
                    );
                    self.bump(period, &p, &r, |c| c.withdrawals += 1);
                }
            }
            EventPayload::GrantRefused(r) => {
                if let Some(period) = period {
                    self.bump(period, &r.purposes, &r.recipients, |c| c.refusals += 1);
                }
            }
            EventPayload::DisclosureRecorded(d) => {
                if let Some(period) = period {
                    self.bump(
                        period,
                        std::slice::from_ref(&d.purpose),
                        std::slice::from_ref(&d.recipient),
                        |c| c.disclosures += 1,
                    );
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// The periods counted, and their rows and totals, suppressed and protected.
    ///
    /// # Errors
    /// `InvalidInput` for more periods than one query may hold.
    pub(crate) fn finish(self, min_cell: u32) -> Result<Counts> {
        let first = self.cells.keys().next().map(|(period, _, _)| *period);
        let periods = self.window.periods(first)?;
        let mut rows = Vec::new();
        let mut totals = Vec::new();
        for &period in &periods {
            let name = label(self.window.kind, period);
            let cells: Vec<(&(PeriodId, Code, Code), &Cell)> = self
                .cells
                .iter()
                .filter(|((p, _, _), _)| *p == period)
                .collect();
            let measure = |f: fn(&Cell) -> u64| {
                let counts: Vec<u64> = cells.iter().map(|(_, c)| f(c)).collect();
                protect(&counts, min_cell)
            };
            let (grants, grants_total) = measure(|c| c.grants);
            let (withdrawals, withdrawals_total) = measure(|c| c.withdrawals);
            let (refusals, refusals_total) = measure(|c| c.refusals);
            let (disclosures, disclosures_total) = measure(|c| c.disclosures);
            for (i, ((_, purpose, recipient), _)) in cells.iter().enumerate() {
                let at = |v: &[Option<u64>]| v.get(i).copied().flatten();
                rows.push(StatisticsRow {
                    period: name.clone(),
                    purpose: purpose.clone(),
                    recipient: recipient.clone(),
                    grants: at(&grants),
                    withdrawals: at(&withdrawals),
                    refusals: at(&refusals),
                    disclosures: at(&disclosures),
                });
            }
            totals.push(StatisticsTotal {
                period: name,
                grants: grants_total,
                withdrawals: withdrawals_total,
                refusals: refusals_total,
                disclosures: disclosures_total,
            });
        }
        Ok(Counts {
            kind: self.window.kind,
            periods,
            rows,
            totals,
        })
    }
}

/// What a tally found: the periods counted, the rows and the totals.
pub(crate) struct Counts {
    kind: Period,
    periods: Vec<PeriodId>,
    pub rows: Vec<StatisticsRow>,
    pub totals: Vec<StatisticsTotal>,
}

impl Counts {
    /// The labels of the periods counted.
    pub(crate) fn labels(&self) -> Vec<String> {
        self.periods.iter().map(|&p| label(self.kind, p)).collect()
    }

    /// Each period's label and the instant its active grants are counted at: its last
    /// instant, or `now` for the period under way (a period still to come, at its start).
    fn count_instants(&self, now: Micros) -> Result<Vec<(String, Micros)>> {
        self.periods
            .iter()
            .map(|&period| {
                let first = start(period)?;
                let end = start(next_period(self.kind, period).ok_or_else(outside)?)?;
                Ok((label(self.kind, period), (end - 1).min(now.max(first))))
            })
            .collect()
    }
}

/// Active grants at the instant each period is counted at, by purpose and recipient,
/// suppressed.
///
/// # Errors
/// `Integrity` for an instant no accepted instant has.
pub(crate) fn active_grants<'g, I>(
    catalogue: &Catalogue,
    grants: impl Fn() -> I,
    counts: &Counts,
    now: Micros,
    min_cell: u32,
) -> Result<Vec<ActiveGrants>>
where
    I: Iterator<Item = &'g GrantState>,
{
    let mut out = Vec::new();
    for (period, at) in counts.count_instants(now)? {
        let mut active: BTreeMap<(u8, u8), u64> = BTreeMap::new();
        for grant in grants().filter(|g| g.applies_at(at) && g.active_at(at)) {
            for p in bits(grant.purposes) {
                for r in bits(grant.recipients) {
                    *active.entry((p, r)).or_default() += 1;
                }
            }
        }
        let instant = time::from_micros(at)?;
        out.extend(active.into_iter().map(|((p, r), count)| ActiveGrants {
            period: period.clone(),
            at: instant,
            purpose: catalogue.purpose_code(p).clone(),
            recipient: catalogue.recipient_code(r).clone(),
            count: suppress(count, min_cell),
        }));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether any suppressed cell of a group can be derived from its shown total and visible
    /// cells (the attacker knows each suppressed count is at least 1).
    fn derivable(counts: &[u64], shown: &[Option<u64>], total: Option<u64>) -> bool {
        let Some(total) = total else {
            return false;
        };
        let visible: u64 = shown.iter().flatten().sum();
        let hidden = shown.iter().filter(|s| s.is_none()).count() as u64;
        assert_eq!(
            counts.iter().sum::<u64>(),
            total,
            "a shown total is the true total"
        );
        let rest = total - visible;
        hidden == 1 || (hidden >= 2 && rest == hidden)
    }

    #[test]
    fn no_suppressed_cell_can_be_taken_from_its_total() {
        let cases: &[&[u64]] = &[
            &[1, 10, 12],
            &[1, 1, 10],
            &[2, 0, 0],
            &[3],
            &[1, 1],
            &[4, 20, 30, 40],
            &[1, 1, 1, 50],
            &[0, 0, 0],
            &[5, 6, 7],
        ];
        for counts in cases {
            let (shown, total) = protect(counts, 5);
            assert!(
                !derivable(counts, &shown, total),
                "{counts:?} -> {shown:?} total {total:?}"
            );
            for (c, s) in counts.iter().zip(&shown) {
                if let Some(s) = s {
                    assert_eq!(s, c, "a shown count is the true count");
                }
                if (1..5).contains(c) {
                    assert!(s.is_none(), "a small count is suppressed");
                }
            }
        }
        // Nothing small: everything is shown, the total too.
        assert_eq!(
            protect(&[5, 6, 7], 5),
            (vec![Some(5), Some(6), Some(7)], Some(18))
        );
    }

    #[test]
    fn periods_are_read_as_whole_calendar_periods() {
        assert_eq!(
            parse_label(Period::Quarter, "2026-Q2").map(|p| p.0),
            Ok(NaiveDate::from_ymd_opt(2026, 4, 1).unwrap())
        );
        assert_eq!(
            parse_label(Period::Month, "2026-03").map(|p| label(Period::Month, p)),
            Ok("2026-03".to_owned())
        );
        for (kind, bad) in [
            (Period::Quarter, "2026-03"),
            (Period::Quarter, "2026-Q5"),
            (Period::Month, "2026-3"),
            (Period::Month, "2026-13"),
            (Period::Year, "26"),
            (Period::Month, "2026-03-01T00:00:00Z"),
        ] {
            assert!(parse_label(kind, bad).is_err(), "{bad}");
        }
    }
}
