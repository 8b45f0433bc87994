//! Identity that changes: a refugee often has a DUF number first, then a D-nummer, then a
//! fødselsnummer. A succession moves the person's records to the new id; the ids before
//! resolve to it from then on, so decisions, writes and exports under any of them see one
//! history. No id is stored in clear: the event links two pseudonyms.

use super::Ledger;
use crate::error::{Error, ErrorCode, Result};
use crate::id::national_id::NationalId;
use crate::log::event::{EventPayload, SuccessionRecord};
use crate::model::RecordId;
use crate::model::party::Actor;
use crate::model::text;
use crate::projection::Effect;

impl Ledger {
    /// Records that the person known by `from` now has the id `to` (a DUF number succeeded by
    /// a D-nummer, a D-nummer by a fødselsnummer), with the reference to the notice that gave
    /// it. From then on the person's grants, refusals, restrictions, objections and history
    /// follow `to`, and `from` resolves to `to` everywhere. Only the catalogue's
    /// `succession_roles` may record one.
    ///
    /// ```
    /// # use consent_core::{Actor, Ledger, LedgerOptions};
    /// # let ledger = Ledger::open(":memory:", LedgerOptions::default().with_test_clock("2026-01-05T10:00:00Z".parse()?))?;
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
    /// ledger.record_identity_succession(&duf, &fnr, "Folkeregisteret 2026/77", &actor)?;
    /// let at = "2026-03-01T10:00:00Z".parse()?;
    /// assert!(ledger.decide_with(&fnr, "nav", "employment_followup", &["finances"], at)?.permitted());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// `NotPermitted` for a role not in `succession_roles`; `InvalidInput` when both are the
    /// same person's id or the reference is empty, too long or holds an id; `NotFound` when the
    /// ledger holds nothing under `from`; `Conflict` when `from` was already succeeded, `to`
    /// was itself succeeded, or `from`'s records were erased; `InvalidNationalId` for a
    /// synthetic id outside test mode; `Storage`. Nothing is written on error.
    pub fn record_identity_succession(
        &self,
        from: &NationalId,
        to: &NationalId,
        reference: &str,
        actor: &Actor,
    ) -> Result<RecordId> {
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
        self.commit_one(
            &mut writer,
            actor,
            Some(new),
            EventPayload::IdentitySucceeded(SuccessionRecord {
                from: old,
                reference: reference.to_owned(),
                at: self.inner.clock.now(),
            }),
            Effect::Succeed { from: old, to: new },
        )
    }
}
