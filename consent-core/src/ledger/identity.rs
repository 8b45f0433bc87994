//! Identity that changes: a refugee often has a DUF number first, then a D-nummer, then a
//! fødselsnummer. A succession moves the person's records to the new id; the ids before
//! resolve to it from then on, so decisions, writes and exports under any of them see one
//! history. No id is stored in clear: the event links two pseudonyms.

use super::Ledger;
use crate::catalogue::Operation;
use crate::error::{Error, ErrorCode, Result};
use crate::id::national_id::{IdKind, NationalId};
use crate::log::event::{EventPayload, SuccessionRecord};
use crate::model::RecordId;
use crate::model::party::Actor;
use crate::model::signed::Acting;
use crate::model::text;
use crate::projection::Effect;

/// Whether a succession may join the new id's own records to the person's (see
/// [`Ledger::record_identity_succession`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SuccessionMode {
    /// The new id holds no records yet: the person's records move to it. A new id that
    /// already holds records is refused (`Conflict`), so two people are never merged by a
    /// mistyped number.
    #[default]
    Move,
    /// The new id already holds records of the same person (registered under both ids):
    /// the two histories are joined for good, and the event records that it was a merge.
    /// Only after the caseworker has established that both ids are one person.
    Merge,
}

/// Where an id kind stands in the order a person receives them: a DUF number, then a
/// D-nummer, then a fødselsnummer. A synthetic test number stands where the number it
/// imitates does (a day from 41: a D-nummer).
fn succession_rank(id: &NationalId) -> u8 {
    match id.kind() {
        IdKind::Duf => 0,
        IdKind::DNummer => 1,
        IdKind::Synthetic if id.expose().starts_with(['4', '5', '6', '7']) => 1,
        _ => 2,
    }
}

fn kind_name(id: &NationalId) -> &'static str {
    match succession_rank(id) {
        0 => "a DUF number",
        1 => "a D-nummer",
        _ => "a fødselsnummer",
    }
}

impl Ledger {
    /// Records that the person known by `from` now has the id `to` (a DUF number succeeded by
    /// a D-nummer, a D-nummer by a fødselsnummer), with the reference to the notice that gave
    /// it. From then on the person's grants, refusals, restrictions, objections and history
    /// follow `to`, and `from` resolves to `to` everywhere. Only the catalogue's
    /// `succession_roles` may record one.
    ///
    /// A succession goes forward only: a DUF number may be succeeded by a D-nummer or a
    /// fødselsnummer, a D-nummer by a fødselsnummer, and any id by one of its own kind (a
    /// fødselsnummer replaced by a new one). `mode` says whether `to` may already hold
    /// records: [`SuccessionMode::Move`] (the default) refuses that, because joining two
    /// histories cannot be undone; [`SuccessionMode::Merge`] joins them and records that it
    /// did. The reference is sealed under `to`'s data key (shredded by a kassasjon); the link
    /// between the two pseudonyms is kept in clear.
    ///
    /// ```
    /// # use consent_core::{Actor, Ledger, LedgerOptions};
    /// # let ledger = Ledger::open(":memory:", LedgerOptions::default().with_test_clock("2026-01-05T10:00:00Z".parse()?))?;
    /// use consent_core::SuccessionMode;
    /// let actor = Actor::new("saksbehandler-17", "case_worker")?;
    /// // A DUF number encodes no birth date: the grant carries Folkeregisteret's.
    /// let grant = ledger.parse_grant(r#"{"subject": "201612345678", "grantor": {"role": "self"},
    ///   "subject_birth_date": "1990-11-20",
    ///   "purposes": ["employment_followup"], "recipients": ["nav"], "categories": ["finances"],
    ///   "explicit": false, "valid_from": "2026-01-05T09:00:00Z",
    ///   "evidence": {"method": "signed_paper", "reference": "2026/1234", "language": "ar", "interpreter": true},
    ///   "notice": {"id": "bosetting-personvern", "version": "2024-10-16"}}"#)?;
    /// ledger.grant(&grant, &actor)?;
    /// let duf = ledger.parse_national_id("201612345678")?;
    /// let fnr = ledger.parse_national_id("15038510190")?;
    /// ledger.record_identity_succession(&duf, &fnr, "Folkeregisteret 2026/77", SuccessionMode::Move, &actor)?;
    /// let at = "2026-03-01T10:00:00Z".parse()?;
    /// assert!(ledger.decide_with(&fnr, "nav", "employment_followup", &["finances"], at)?.permitted());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// `NotPermitted` for a role not in `succession_roles`; `InvalidInput` when both are the
    /// same person's id, when the step goes backwards (a fødselsnummer to a D-nummer or a DUF
    /// number, a D-nummer to a DUF number), or the reference is empty, too long or holds an
    /// id (a national id or a DUF number); `NotFound` when the ledger holds nothing under
    /// `from`; `Conflict` when `from` was already succeeded, `to` was itself succeeded,
    /// `from`'s records were erased, or `to` already holds records and `mode` is not
    /// [`SuccessionMode::Merge`]; `InvalidNationalId` for a synthetic id outside test mode;
    /// `Storage`. Nothing is written on error.
    pub fn record_identity_succession(
        &self,
        from: &NationalId,
        to: &NationalId,
        reference: &str,
        mode: SuccessionMode,
        actor: &dyn Acting,
    ) -> Result<RecordId> {
        let actor = self.permit(actor, Operation::RecordIdentitySuccession)?;
        let actor: &Actor = &actor;
        let settings = self.inner.catalogue.settings();
        if !settings.succession_roles.contains(actor.role()) {
            return Err(Error::new(
                ErrorCode::NotPermitted,
                format!(
                    "role `{}` may not record an identity succession (the catalogue's succession_roles)",
                    actor.role()
                ),
            ));
        }
        text::check(reference, "reference", 128)?;
        self.check_subject(from)?;
        self.check_subject(to)?;
        if succession_rank(to) < succession_rank(from) {
            return Err(Error::invalid(format!(
                "an identity succession goes forward only (a DUF number, then a D-nummer, then a fødselsnummer): {} cannot be succeeded by {}",
                kind_name(from),
                kind_name(to)
            )));
        }
        let mut writer = self.lock_writer()?;
        let old = self.inner.key.pseudonym(from);
        let new = self.inner.key.pseudonym(to);
        if old == new {
            return Err(Error::invalid("the two ids are the same"));
        }
        {
            let projection = self.read()?;
            if projection.is_alias(&old) {
                return Err(Error::new(
                    ErrorCode::Conflict,
                    "the earlier id was already succeeded by another",
                ));
            }
            if projection.is_alias(&new) {
                return Err(Error::new(
                    ErrorCode::Conflict,
                    "the new id was itself succeeded by another; record the succession to the current one",
                ));
            }
            if !projection.has_subject(&old) {
                return Err(Error::new(
                    ErrorCode::NotFound,
                    "the ledger holds nothing under the earlier id",
                ));
            }
            if projection.is_erased(&old) {
                return Err(Error::new(
                    ErrorCode::Conflict,
                    "the records under the earlier id were erased",
                ));
            }
        }
        let merge = mode == SuccessionMode::Merge;
        // Any stored event under the new id (a grant, a restriction, an earlier succession
        // to it) is a history of its own: joining it is a merge the caller must ask for.
        if !merge && !self.inner.store.subject_records(new.as_bytes())?.is_empty() {
            return Err(Error::new(
                ErrorCode::Conflict,
                "the new id already holds records: joining two histories cannot be undone, so ask for a merge only once both ids are known to be one person",
            ));
        }
        let at = self.stamp(&writer);
        self.commit_one(
            &mut writer,
            actor,
            Some(new),
            EventPayload::IdentitySucceeded(SuccessionRecord {
                from: old,
                // Sealed under the new id's data key when written (`commit.rs`).
                reference: Some(reference.to_owned()),
                sealed_reference: None,
                at,
                merge,
            }),
            Effect::Succeed { from: old, to: new },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::id::national_id::{IdOptions, control_digits};

    fn parse(ddmmyy: &str) -> NationalId {
        let options = IdOptions {
            test_mode: true,
            ..IdOptions::default()
        };
        (0..100)
            .filter_map(|n| control_digits(&format!("{ddmmyy}{n:03}")))
            .find_map(|id| NationalId::parse_with(&id, options).ok())
            .unwrap()
    }

    /// A synthetic test number (month + 40 or + 80) ranks as the number it imitates, so the
    /// direction check holds in test mode too.
    #[test]
    fn ids_rank_duf_then_d_nummer_then_fodselsnummer_synthetic_ones_included() {
        let duf = NationalId::parse("201612345678").unwrap();
        let d_nummer = parse("551185");
        let fnr = parse("151185");
        let synthetic_fnr = parse("155185");
        let synthetic_d = parse("558185");
        assert_eq!(synthetic_fnr.kind(), IdKind::Synthetic);
        assert_eq!(synthetic_d.kind(), IdKind::Synthetic);
        let ranks: Vec<u8> = [&duf, &d_nummer, &synthetic_d, &fnr, &synthetic_fnr]
            .into_iter()
            .map(succession_rank)
            .collect();
        assert_eq!(ranks, [0, 1, 1, 2, 2]);
        assert_eq!(kind_name(&synthetic_d), "a D-nummer");
    }
}
