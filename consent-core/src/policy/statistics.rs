//! Statistics that cannot single a person out: counts by month, purpose and recipient, with
//! every count from 1 to `min_cell - 1` suppressed, and no row about an individual.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::grant_state::GrantState;
use crate::catalogue::{Catalogue, Code, bits};
use crate::error::{Error, Result};
use crate::log::event::{Event, EventPayload};
use crate::model::{GrantId, parse_json};
use crate::time::{self, Micros};

/// Which events statistics count. JSON: `{"from", "to", "min_cell"}`, every key optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StatisticsQuery {
    /// Only events recorded at or after this instant.
    pub from: Option<DateTime<Utc>>,
    /// Only events recorded before this instant; active grants are counted at it (now when
    /// `None`).
    pub to: Option<DateTime<Utc>>,
    /// Overrides the catalogue's `statistics_min_cell` (it can only be raised).
    pub min_cell: Option<u32>,
}

impl StatisticsQuery {
    /// Parses the query JSON shared by the C ABI and the CLI.
    ///
    /// # Errors
    /// `InvalidInput` for malformed JSON, an unknown key or a bad instant.
    pub fn from_json(json: &str) -> Result<StatisticsQuery> {
        parse_json(json, "statistics query")
    }
}

/// Counts for one month, purpose and recipient. `None` is a suppressed small count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct StatisticsRow {
    /// The month (`YYYY-MM`, UTC) the events were recorded in.
    pub month: String,
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

/// Active grants at one instant for one purpose and recipient.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ActiveGrants {
    /// The purpose.
    pub purpose: Code,
    /// The recipient.
    pub recipient: Code,
    /// How many grants are active (`None`: suppressed).
    pub count: Option<u64>,
}

/// Aggregate counts; never individual rows. Counts from 1 to `min_cell - 1` are suppressed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Statistics {
    /// The suppression threshold used.
    pub min_cell: u32,
    /// The instant active grants are counted at.
    pub at: DateTime<Utc>,
    /// Counts by month, purpose and recipient.
    pub rows: Vec<StatisticsRow>,
    /// Active grants by purpose and recipient.
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

/// A count as published: `None` when it is small enough to identify someone.
fn suppress(count: u64, min_cell: u32) -> Option<u64> {
    (count == 0 || count >= u64::from(min_cell)).then_some(count)
}

/// The month (`YYYY-MM`, UTC) an event was recorded in.
fn month(at: DateTime<Utc>) -> String {
    at.format("%Y-%m").to_string()
}

#[derive(Default)]
struct Cell {
    grants: u64,
    withdrawals: u64,
    refusals: u64,
    disclosures: u64,
}

/// Counts events, in log order, into cells of (month, purpose, recipient).
pub(crate) struct Tally<'a> {
    catalogue: &'a Catalogue,
    from: Option<Micros>,
    to: Micros,
    cells: BTreeMap<(String, Code, Code), Cell>,
    /// Withdrawals count under their grant's scope, kept as interned bitsets.
    scopes: HashMap<GrantId, (u64, u64)>,
}

impl<'a> Tally<'a> {
    /// Counts events recorded in `[from, to)` (from the first when `from` is `None`).
    pub(crate) fn new(catalogue: &'a Catalogue, from: Option<Micros>, to: Micros) -> Tally<'a> {
        Tally {
            catalogue,
            from,
            to,
            cells: BTreeMap::new(),
            scopes: HashMap::new(),
        }
    }

    fn bump(&mut self, month: &str, purposes: &[Code], recipients: &[Code], f: fn(&mut Cell)) {
        for p in purposes {
            for r in recipients {
                f(self
                    .cells
                    .entry((month.to_owned(), p.clone(), r.clone()))
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
        let in_range = self.from.is_none_or(|f| t >= f) && t < self.to;
        let m = month(e.recorded_at);
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
                            crate::error::ErrorCode::InvalidCatalogue,
                            format!("does not fit the catalogue: {}", e.message()),
                        ));
                    }
                };
                self.scopes.insert(g.grant_id, (purposes, recipients));
                if in_range {
                    self.bump(&m, &g.purposes, &g.recipients, |c| c.grants += 1);
                }
            }
            EventPayload::GrantWithdrawn(w) if in_range => {
                if let Some(&(p, r)) = self.scopes.get(&w.grant_id) {
                    let (p, r) = (
                        self.catalogue.purpose_codes(p),
                        self.catalogue.recipient_codes(r),
                    );
                    self.bump(&m, &p, &r, |c| c.withdrawals += 1);
                }
            }
            EventPayload::GrantRefused(r) if in_range => {
                self.bump(&m, &r.purposes, &r.recipients, |c| c.refusals += 1);
            }
            EventPayload::DisclosureRecorded(d) if in_range => {
                self.bump(
                    &m,
                    std::slice::from_ref(&d.purpose),
                    std::slice::from_ref(&d.recipient),
                    |c| c.disclosures += 1,
                );
            }
            _ => {}
        }
        Ok(())
    }

    /// The rows, suppressed.
    pub(crate) fn rows(self, min_cell: u32) -> Vec<StatisticsRow> {
        self.cells
            .into_iter()
            .map(|((month, purpose, recipient), c)| StatisticsRow {
                month,
                purpose,
                recipient,
                grants: suppress(c.grants, min_cell),
                withdrawals: suppress(c.withdrawals, min_cell),
                refusals: suppress(c.refusals, min_cell),
                disclosures: suppress(c.disclosures, min_cell),
            })
            .collect()
    }
}

/// Active grants at `at` by purpose and recipient, suppressed.
pub(crate) fn active_grants<'g>(
    catalogue: &Catalogue,
    grants: impl Iterator<Item = &'g GrantState>,
    at: Micros,
    min_cell: u32,
) -> Vec<ActiveGrants> {
    let mut active: BTreeMap<(u8, u8), u64> = BTreeMap::new();
    for grant in grants.filter(|g| g.applies_at(at) && g.active_at(at)) {
        for p in bits(grant.purposes) {
            for r in bits(grant.recipients) {
                *active.entry((p, r)).or_default() += 1;
            }
        }
    }
    active
        .into_iter()
        .map(|((p, r), count)| ActiveGrants {
            purpose: catalogue.purpose_code(p).clone(),
            recipient: catalogue.recipient_code(r).clone(),
            count: suppress(count, min_cell),
        })
        .collect()
}
