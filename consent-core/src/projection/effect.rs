//! How a recorded event changes the projection. The write path and replay both read a new
//! event's payload through this file, so a write installs exactly the state a later replay of
//! the same event rebuilds.

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::catalogue::{Catalogue, Code};
use crate::error::{Error, ErrorCode, Result};
use crate::id::pseudonym::Pseudonym;
use crate::log::event::{
    EventPayload, GrantRecord, ObjectionOutcome, RESTRICTION_V2, RectificationRecord,
    RestrictionGround,
};
use crate::model::GrantId;
use crate::model::request::Correction;
use crate::policy::grant_state::{GrantState, GrantTerms, NEVER};
use crate::time::{self, Micros};

/// A change to the projection, computed (and validated) before its event is stored.
#[derive(Debug, Clone)]
pub(crate) enum Effect {
    AddGrant {
        subject: Pseudonym,
        grant: GrantState,
    },
    Withdraw {
        grant: GrantId,
        at: Micros,
    },
    /// A new version of a grant from `effective_from` on; `None` keeps a field's value.
    Rectify {
        grant: GrantId,
        effective_from: Micros,
        valid_from: Option<Micros>,
        valid_until: Option<Micros>,
    },
    /// A restriction from `from`, with 0.1's meaning (`legacy`) or Art. 18(2)'s.
    Restrict {
        subject: Pseudonym,
        from: Micros,
        legacy: bool,
        /// Keeps the records of an erasure request: a lift does not end it.
        erasure: bool,
    },
    /// Every restriction of the subject on an Art. 18(1) ground not yet lifted ends at `at`.
    Lift {
        subject: Pseudonym,
        at: Micros,
    },
    Object {
        subject: Pseudonym,
        id: uuid::Uuid,
        purpose: u8,
        from: Micros,
    },
    ResolveObjection {
        id: uuid::Uuid,
        at: Micros,
        upheld: bool,
    },
    /// The person's records move from `from` to `to`, and `from` resolves to `to` from now on.
    Succeed {
        from: Pseudonym,
        to: Pseudonym,
    },
    Erase {
        subject: Pseudonym,
    },
    /// An effect whose request carried an idempotency key: the projection remembers the key
    /// beside it (boxed: few events carry one, and the others stay small).
    Keyed(Box<(Effect, [u8; 32], Remembered)>),
    None,
}

/// What the projection remembers of an idempotency key: the digest of the request it came
/// with, where its event is, the grant it names (a grant's or a withdrawal's) and whose it is
/// (an erasure forgets the keys of the person erased, as a replay that cannot open their
/// payloads any more would).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Remembered {
    pub content: [u8; 32],
    pub seq: u64,
    pub grant: Option<GrantId>,
    pub subject: Pseudonym,
}

/// `effect`, keyed when `payload` carries an idempotency key.
///
/// # Errors
/// `Integrity` for a digest that is not 64 hex digits, or a keyed event without a subject.
pub(crate) fn keyed(
    effect: Effect,
    subject: Option<Pseudonym>,
    payload: &EventPayload,
    seq: u64,
) -> Result<Effect> {
    match payload.idempotency() {
        None => Ok(effect),
        Some((idempotency, grant)) => remembered(
            effect,
            subject,
            &idempotency.key,
            &idempotency.content,
            grant,
            seq,
        ),
    }
}

fn remembered(
    effect: Effect,
    subject: Option<Pseudonym>,
    key: &str,
    content: &str,
    grant: Option<GrantId>,
    seq: u64,
) -> Result<Effect> {
    let digest = |hex: &str| {
        crate::hex::decode32(hex)
            .ok_or_else(|| Error::new(ErrorCode::Integrity, "an idempotency digest is malformed"))
    };
    let subject = subject
        .ok_or_else(|| Error::new(ErrorCode::Integrity, "a keyed event without a subject"))?;
    Ok(Effect::Keyed(Box::new((
        effect,
        digest(key)?,
        Remembered {
            content: digest(content)?,
            seq,
            grant,
            subject,
        },
    ))))
}

fn instant(at: DateTime<Utc>) -> Result<Micros> {
    time::to_micros(at, "instant").map_err(|e| Error::new(ErrorCode::Integrity, e.message()))
}

fn code_set(catalogue: &Catalogue, codes: &[&str], kind: &str) -> Result<u64> {
    let lookup = match kind {
        "purpose" => Catalogue::purpose_set::<&str>,
        "recipient" => Catalogue::recipient_set::<&str>,
        _ => Catalogue::category_set::<&str>,
    };
    lookup(catalogue, codes).map_err(|e| {
        Error::new(
            ErrorCode::InvalidCatalogue,
            format!("does not fit the catalogue: {}", e.message()),
        )
    })
}

/// What the projection reads of a recorded grant, borrowed from the payload's text: the fields
/// the decision state holds (the grantor and the evidence are skipped, not decoded).
#[derive(Deserialize)]
pub(crate) struct GrantFields<'a> {
    grant_id: GrantId,
    #[serde(borrow)]
    purposes: Vec<&'a str>,
    #[serde(borrow)]
    recipients: Vec<&'a str>,
    #[serde(borrow)]
    categories: Vec<&'a str>,
    explicit: bool,
    valid_from: DateTime<Utc>,
    valid_until: Option<DateTime<Utc>>,
    lapses_at: Option<DateTime<Utc>>,
    #[serde(default)]
    special_lapses_at: Option<DateTime<Utc>>,
    #[serde(borrow)]
    notice: NoticeFields<'a>,
    #[serde(default)]
    grantor: GrantorFields,
    #[serde(default, borrow)]
    idempotency: Option<IdempotencyFields<'a>>,
}

#[derive(Deserialize)]
struct IdempotencyFields<'a> {
    #[serde(borrow)]
    key: &'a str,
    #[serde(borrow)]
    content: &'a str,
}

/// What a decision reads of the grantor: when a representative's authority ends.
#[derive(Deserialize, Default)]
struct GrantorFields {
    #[serde(default)]
    authority_valid_until: Option<DateTime<Utc>>,
}

#[derive(Deserialize)]
struct NoticeFields<'a> {
    #[serde(borrow)]
    id: Cow<'a, str>,
    #[serde(borrow)]
    version: Cow<'a, str>,
}

impl<'a> GrantFields<'a> {
    /// The same fields of a fully decoded record.
    pub(crate) fn of_record(grant: &'a GrantRecord) -> GrantFields<'a> {
        let codes = |codes: &'a [Code]| codes.iter().map(Code::as_str).collect();
        GrantFields {
            grant_id: grant.grant_id,
            purposes: codes(&grant.purposes),
            recipients: codes(&grant.recipients),
            categories: codes(&grant.categories),
            explicit: grant.explicit,
            valid_from: grant.valid_from,
            valid_until: grant.valid_until,
            lapses_at: grant.lapses_at,
            special_lapses_at: grant.special_lapses_at,
            notice: NoticeFields {
                id: Cow::Borrowed(&grant.notice.id),
                version: Cow::Borrowed(&grant.notice.version),
            },
            grantor: GrantorFields {
                authority_valid_until: grant.grantor.authority_valid_until,
            },
            idempotency: grant.idempotency.as_ref().map(|i| IdempotencyFields {
                key: &i.key,
                content: &i.content,
            }),
        }
    }

    /// The grant's decision state: the one way a recorded grant becomes a [`GrantState`].
    ///
    /// # Errors
    /// `InvalidCatalogue` when a code is not in the catalogue; `Integrity` for an instant out
    /// of range.
    ///
    /// A record that 0.1 wrote has one lapse for every category; one that 0.2 wrote has a lapse
    /// for the ordinary and one for the special categories it covers (`NEVER` where it covers
    /// none), so each keeps the meaning it had when written.
    pub(crate) fn state(&self, catalogue: &Catalogue) -> Result<GrantState> {
        let categories = code_set(catalogue, &self.categories, "category")?;
        let lapses_at = self.lapses_at.map_or(Ok(NEVER), instant)?;
        let special_lapses_at = match self.special_lapses_at {
            Some(at) => instant(at)?,
            None if categories & catalogue.special_mask() != 0 => lapses_at,
            None => NEVER,
        };
        Ok(GrantState::new(GrantTerms {
            id: self.grant_id,
            purposes: code_set(catalogue, &self.purposes, "purpose")?,
            recipients: code_set(catalogue, &self.recipients, "recipient")?,
            categories,
            valid_from: instant(self.valid_from)?,
            valid_until: self.valid_until.map_or(Ok(NEVER), instant)?,
            lapses_at,
            special_lapses_at,
            authority_until: self
                .grantor
                .authority_valid_until
                .map_or(Ok(NEVER), instant)?,
            explicit: self.explicit,
            notice_superseded: catalogue.notice_superseded(&self.notice.id, &self.notice.version),
        }))
    }
}

/// The projection change of a recorded grant's payload, decoded for replay only.
///
/// # Errors
/// `Integrity` when the payload cannot be decoded; as [`GrantFields::state`].
pub(crate) fn grant_effect(
    catalogue: &Catalogue,
    subject: Pseudonym,
    plain: &[u8],
    seq: u64,
) -> Result<Effect> {
    let grant: GrantFields<'_> = serde_json::from_slice(plain)
        .map_err(|_| Error::new(ErrorCode::Integrity, "payload cannot be decoded"))?;
    let effect = Effect::AddGrant {
        subject,
        grant: grant.state(catalogue)?,
    };
    match &grant.idempotency {
        None => Ok(effect),
        Some(once) => remembered(
            effect,
            Some(subject),
            once.key,
            once.content,
            Some(grant.grant_id),
            seq,
        ),
    }
}

/// The projection change of a rectification.
///
/// # Errors
/// `InvalidInput` for an instant out of range.
pub(crate) fn rectify_effect(record: &RectificationRecord) -> Result<Effect> {
    let effective_from = time::to_micros(record.effective_at, "effective_at")?;
    let (valid_from, valid_until) = match &record.correction {
        Correction::EvidenceReference(_) => return Ok(Effect::None),
        Correction::ValidFrom(at) => (Some(time::to_micros(*at, "valid_from")?), None),
        Correction::ValidUntil(at) => (
            None,
            Some(match at {
                Some(at) => time::to_micros(*at, "valid_until")?,
                None => NEVER,
            }),
        ),
    };
    Ok(Effect::Rectify {
        grant: record.grant_id,
        effective_from,
        valid_from,
        valid_until,
    })
}

/// The projection change of a stored event.
///
/// # Errors
/// `Integrity` when an event that concerns a subject has none, or an instant is out of range;
/// as [`GrantFields::state`].
pub(crate) fn effect_of(
    catalogue: &Catalogue,
    subject: Option<Pseudonym>,
    payload: &EventPayload,
) -> Result<Effect> {
    let subject = || {
        subject.ok_or_else(|| {
            Error::new(
                ErrorCode::Integrity,
                format!("{} without a subject", payload.kind()),
            )
        })
    };
    Ok(match payload {
        EventPayload::GrantRecorded(grant) => Effect::AddGrant {
            subject: subject()?,
            grant: GrantFields::of_record(grant).state(catalogue)?,
        },
        EventPayload::GrantWithdrawn(withdrawal) => Effect::Withdraw {
            grant: withdrawal.grant_id,
            at: instant(withdrawal.at)?,
        },
        EventPayload::SubjectRectified(rectification) => rectify_effect(rectification)
            .map_err(|e| Error::new(ErrorCode::Integrity, e.message()))?,
        EventPayload::SubjectRestricted(restriction) => Effect::Restrict {
            subject: subject()?,
            from: instant(restriction.at)?,
            legacy: restriction.version < RESTRICTION_V2,
            erasure: restriction.version < RESTRICTION_V2
                || restriction.ground == Some(RestrictionGround::ErasureRequest),
        },
        EventPayload::RestrictionLifted(lift) => Effect::Lift {
            subject: subject()?,
            at: instant(lift.at)?,
        },
        EventPayload::ObjectionRecorded(objection) => Effect::Object {
            subject: subject()?,
            id: objection.objection_id,
            purpose: catalogue
                .purpose_id(objection.purpose.as_str())
                .map_err(|e| {
                    Error::new(
                        ErrorCode::InvalidCatalogue,
                        format!("does not fit the catalogue: {}", e.message()),
                    )
                })?,
            from: instant(objection.at)?,
        },
        EventPayload::IdentitySucceeded(succession) => Effect::Succeed {
            from: succession.from,
            to: subject()?,
        },
        EventPayload::ObjectionResolved(resolution) => Effect::ResolveObjection {
            id: resolution.objection_id,
            at: instant(resolution.at)?,
            upheld: resolution.outcome == ObjectionOutcome::Upheld,
        },
        EventPayload::SubjectErased(_) => Effect::Erase {
            subject: subject()?,
        },
        EventPayload::GrantRefused(_)
        | EventPayload::DisclosureRecorded(_)
        | EventPayload::AccessRequested(_)
        | EventPayload::SubjectAccessed(_)
        | EventPayload::NotificationSent(_)
        | EventPayload::Redacted
        // The ledger keeps its catalogues itself (`ledger/adopt.rs`): no subject's state.
        | EventPayload::CatalogueAdopted(_)
        // A restore changes no subject's state: the events it put back are replayed.
        | EventPayload::LedgerRestored(_) => Effect::None,
    })
}
