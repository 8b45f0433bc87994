//! The catalogue a ledger is under: recorded in the ledger when adopted, found again when the
//! ledger is opened, and chosen per decision by the decision's instant.

use crate::catalogue::Operation;
use crate::model::signed::Acting;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{Ledger, Writer};
use crate::catalogue::Catalogue;
use crate::error::{Error, ErrorCode, Result, printable};
use crate::log::event::{CatalogueAdoptionRecord, EventPayload};
use crate::log::record;
use crate::model::party::Actor;
use crate::projection::Effect;
use crate::store::Store;
use crate::time::{self, Micros};

/// The id of the actor that records the adoption of a new ledger's catalogue, and the
/// upgrade's adoptions, when no actor is given ([`LedgerOptions::with_actor`](super::LedgerOptions::with_actor)).
pub const SYSTEM_ACTOR_ID: &str = "consent";
/// The role of that actor.
pub const SYSTEM_ACTOR_ROLE: &str = "system";

/// The actor `{"id": "consent", "role": "system"}`.
pub(crate) fn system_actor() -> Result<Actor> {
    Actor::new(SYSTEM_ACTOR_ID, SYSTEM_ACTOR_ROLE)
}

/// A catalogue adoption read back from the log.
#[derive(Debug, Clone)]
pub(crate) struct Adoption {
    pub from: Micros,
    pub catalogue: Catalogue,
}

/// The payload that records the adoption of `catalogue`, in force from `from`.
pub(crate) fn adoption_payload(catalogue: &Catalogue, from: DateTime<Utc>) -> EventPayload {
    EventPayload::CatalogueAdopted(CatalogueAdoptionRecord {
        version: catalogue.version().to_owned(),
        format: catalogue.format(),
        sha256: catalogue.digest().to_owned(),
        in_force_from: from,
        toml: catalogue.toml().to_owned(),
    })
}

/// The catalogue a stored adoption records, checked against its own hash, version and format.
///
/// # Errors
/// `Integrity` when the text does not parse or does not match what the record says of it.
pub(crate) fn adopted_catalogue(record: &CatalogueAdoptionRecord) -> Result<(Catalogue, Micros)> {
    let broken = |what: &str| {
        Error::new(
            ErrorCode::Integrity,
            format!("the adopted catalogue {what}"),
        )
    };
    let catalogue = Catalogue::from_toml(&record.toml)
        .map_err(|e| broken(&format!("does not validate: {}", e.message())))?;
    if catalogue.digest() != record.sha256 {
        return Err(broken("does not match its recorded hash"));
    }
    if catalogue.version() != record.version || catalogue.format() != record.format {
        return Err(broken("does not match its recorded version or format"));
    }
    let from = time::to_micros(record.in_force_from, "in_force_from")
        .map_err(|e| Error::new(ErrorCode::Integrity, e.message()))?;
    Ok((catalogue, from))
}

/// The check of a stored ledger's adoptions: the first is its first event, or the event its
/// metadata names (an upgraded 0.1 ledger), whose catalogue the events before it are read under.
///
/// # Errors
/// `Integrity` when the metadata names no adoption; `Storage`.
pub(crate) fn adoption_check(store: &dyn Store) -> Result<AdoptionCheck> {
    match store.meta(super::meta::FIRST_ADOPTION)? {
        None => Ok(AdoptionCheck::new(1, None)),
        Some(seq) => {
            let seq: u64 = seq.parse().map_err(|_| {
                Error::new(
                    ErrorCode::Integrity,
                    "the ledger's first catalogue adoption is not a sequence number",
                )
            })?;
            Ok(AdoptionCheck::new(seq, Some(read_adoption(store, seq)?)))
        }
    }
}

/// The catalogue events before the first adoption are read under, if any precede it.
impl AdoptionCheck {
    pub(crate) fn before_first(&self) -> Option<&Catalogue> {
        self.before_first.as_ref()
    }
}

/// The catalogue the adoption event at `seq` records: for a ledger whose first adoption is not
/// its first event, read before the replay (which checks that event again in its place).
///
/// # Errors
/// `Integrity` when there is no such event, it is not an adoption, or it does not check.
pub(crate) fn read_adoption(store: &dyn Store, seq: u64) -> Result<Catalogue> {
    let broken = || {
        Error::new(
            ErrorCode::Integrity,
            "the ledger's metadata names a first catalogue adoption that is not one",
        )
        .at_event(seq)
    };
    let mut found = None;
    store.scan_range(seq, seq, &mut |stored| {
        found = Some(stored);
        Ok(())
    })?;
    let checked = record::check_record(found.ok_or_else(broken)?, None)?;
    if checked.kind != "catalogue_adopted" || checked.sealed || checked.subject.is_some() {
        return Err(broken());
    }
    match record::decode_payload(checked.kind, &checked.record.payload) {
        Some(EventPayload::CatalogueAdopted(adoption)) => adopted_catalogue(&adoption)
            .map(|(catalogue, _)| catalogue)
            .map_err(|e| e.at_event(seq)),
        _ => Err(broken()),
    }
}

/// Checks adoptions as a replay or a verification meets them, in log order: the first is where
/// the ledger's metadata says (the first event, or for an upgraded 0.1 ledger the event the
/// upgrade recorded), each later one keeps the codes of the one before and takes force no
/// earlier.
#[derive(Debug)]
pub(crate) struct AdoptionCheck {
    /// Where the first adoption must be.
    first_seq: u64,
    /// For an upgraded ledger, the catalogue its earlier events were read under.
    before_first: Option<Catalogue>,
    pub adoptions: Vec<Adoption>,
}

impl AdoptionCheck {
    pub(crate) fn new(first_seq: u64, before_first: Option<Catalogue>) -> AdoptionCheck {
        AdoptionCheck {
            first_seq,
            before_first,
            adoptions: Vec::new(),
        }
    }

    /// Notes the adoption at `seq`.
    ///
    /// # Errors
    /// `Integrity` naming the event when it breaks one of the rules above.
    pub(crate) fn adopted(&mut self, seq: u64, from: Micros, catalogue: Catalogue) -> Result<()> {
        let broken = |what: String| Error::new(ErrorCode::Integrity, what).at_event(seq);
        match self.adoptions.last() {
            None => {
                if seq != self.first_seq {
                    return Err(broken(format!(
                        "the ledger's first catalogue adoption is due at event {}",
                        self.first_seq
                    )));
                }
                if let Some(before) = &self.before_first
                    && before.digest() != catalogue.digest()
                {
                    return Err(broken(
                        "the first catalogue adoption is not the one the ledger's metadata names"
                            .into(),
                    ));
                }
            }
            Some(previous) => {
                catalogue.check_extends(&previous.catalogue).map_err(|e| {
                    broken(format!(
                        "the adopted catalogue does not keep the codes of the one before: {}",
                        e.message()
                    ))
                })?;
                if from < previous.from {
                    return Err(broken(
                        "the adopted catalogue takes force before the one before it".into(),
                    ));
                }
            }
        }
        self.adoptions.push(Adoption { from, catalogue });
        Ok(())
    }

    /// Notes an event that is not an adoption: before the first adoption only an upgraded
    /// ledger has any.
    pub(crate) fn event(&self, seq: u64) -> Result<()> {
        if self.adoptions.is_empty() && seq >= self.first_seq {
            return Err(Error::new(
                ErrorCode::Integrity,
                format!(
                    "the ledger's first catalogue adoption is due at event {}",
                    self.first_seq
                ),
            )
            .at_event(seq));
        }
        Ok(())
    }
}

/// The first 12 hex digits of a digest, enough to tell catalogues apart in a message.
fn short(digest: &str) -> &str {
    digest.get(..12).unwrap_or(digest)
}

/// The error for opening a ledger with a catalogue other than the one in force.
pub(crate) fn mismatch(in_force: &Catalogue, given: &Catalogue) -> Error {
    Error::new(
        ErrorCode::Conflict,
        format!(
            "the ledger is under catalogue `{}` (sha256 {}), not the catalogue given, `{}` (sha256 {}): open it without a catalogue to use the one in force, or adopt the new one as a recorded step (`consent catalogue adopt FILE`, `Ledger::adopt_catalogue`, C `consent_ledger_adopt_catalogue`, Python `Ledger.adopt_catalogue`)",
            printable(in_force.version()),
            short(in_force.digest()),
            printable(given.version()),
            short(given.digest()),
        ),
    )
}

impl Ledger {
    /// Adopts `catalogue`: from now on (the ledger's clock) decisions are made under it, and
    /// the ledger records its adoption, with the whole catalogue, as a `catalogue_adopted`
    /// event by `actor`. Decisions about instants before now keep the rules in force then.
    ///
    /// The new catalogue must keep every purpose, recipient, category, condition, exception and
    /// rule code of the one in force at the same position (add codes at the end; retire them
    /// with `retired_from`, never remove them): the ledger's state holds codes as positions.
    ///
    /// Only a role the catalogue in force permits `adopt_catalogue` may adopt one (DESIGN.md
    /// section 9; by default the DPO and the `system` integration role).
    ///
    /// ```
    /// # use consent_core::{Actor, Catalogue, Ledger, LedgerOptions};
    /// let ledger = Ledger::open(":memory:", LedgerOptions::default().with_test_clock("2026-01-05T10:00:00Z".parse()?))?;
    /// let dpo = Actor::new("personvernombud-1", "dpo")?;
    /// let text = Catalogue::embedded_toml().replace("version = \"2026-12-01\"", "version = \"2027-01-01\"");
    /// ledger.adopt_catalogue(&Catalogue::from_toml(&text)?, &dpo)?;
    /// assert_eq!(ledger.catalogue().version(), "2027-01-01");
    /// assert_eq!(ledger.catalogue_at("2026-01-01T00:00:00Z".parse()?)?.version(), "2026-12-01");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// `InvalidInput` when the catalogue moves or drops a code of the one in force, or the
    /// ledger's clock reads before the catalogue in force took force; `Conflict` when it is the
    /// catalogue in force; `UnknownCode` or `NotPermitted` for the actor's role; `Storage` (a
    /// read-only ledger). Nothing is recorded on an error.
    pub fn adopt_catalogue(&self, catalogue: &Catalogue, actor: &dyn Acting) -> Result<Uuid> {
        let actor = self.permit(actor, Operation::AdoptCatalogue)?;
        let actor: &Actor = &actor;
        let mut writer = self.lock_writer()?;
        let in_force = self.inner.catalogue.current();
        if in_force.digest() == catalogue.digest() {
            return Err(Error::new(
                ErrorCode::Conflict,
                format!(
                    "catalogue `{}` is already in force",
                    printable(catalogue.version())
                ),
            ));
        }
        catalogue.check_extends(in_force)?;
        let now = self.now();
        let from = time::to_micros(now, "the ledger's clock")?;
        if from < self.inner.catalogue.current_from() {
            return Err(Error::invalid(format!(
                "the ledger's clock reads `{}`, before the catalogue in force took force",
                now.to_rfc3339()
            )));
        }
        self.record_adoption(&mut writer, catalogue, actor, now)
    }

    /// Records an adoption and puts the catalogue in force.
    pub(super) fn record_adoption(
        &self,
        writer: &mut Writer,
        catalogue: &Catalogue,
        actor: &Actor,
        at: DateTime<Utc>,
    ) -> Result<Uuid> {
        let from = time::to_micros(at, "the ledger's clock")?;
        let id = self.commit_one(
            writer,
            actor,
            None,
            adoption_payload(catalogue, at),
            Effect::None,
        )?;
        self.inner.catalogue.push(catalogue.clone(), from)?;
        Ok(id)
    }

    /// The catalogue decisions about `at` are made under: the last adopted at or before it
    /// (before the ledger's first adoption, the first).
    ///
    /// ```
    /// # use consent_core::{Catalogue, Ledger, LedgerOptions};
    /// let ledger = Ledger::open(":memory:", LedgerOptions::default().with_test_clock("2026-01-05T10:00:00Z".parse()?))?;
    /// let catalogue = ledger.catalogue_at("2026-03-01T10:00:00Z".parse()?)?;
    /// assert_eq!(catalogue.digest(), Catalogue::embedded().digest());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// `InvalidInput` for an instant out of range.
    pub fn catalogue_at(&self, at: DateTime<Utc>) -> Result<&Catalogue> {
        Ok(self.inner.catalogue.at(time::to_micros(at, "instant")?))
    }
}
