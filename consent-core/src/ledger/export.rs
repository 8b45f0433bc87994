//! The subject export (GDPR Art. 15): everything the ledger holds about one person, as typed
//! documents whose JSON form is pinned by a golden file (`docs/json.md` describes it).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use super::Ledger;
use crate::catalogue::{Art6, Art9, Catalogue, Code, ConsentRole, Operation};
use crate::error::{Error, ErrorCode, Result};
use crate::id::national_id::NationalId;
use crate::id::pseudonym::Pseudonym;
use crate::log::event::{
    DisclosureBasis, Event, EventPayload, GrantRecord, GrantorRecord, ObjectionOutcome,
    RectificationRecord, RestrictionGround,
};
use crate::model::party::{ChildHeard, Evidence, EvidenceMethod, MaturityAssessment, Notice};
use crate::model::request::{Assertion, Correction};
use crate::model::signed::Acting;
use crate::model::{GrantId, SCHEMA_VERSION};
use crate::policy::grant_state::{GrantState, GrantStatus};
use crate::time::{self, Micros};

/// The schema of the subject export document.
pub const EXPORT_SCHEMA: &str = "consent-export/1";

/// Everything the ledger holds about one subject (GDPR Art. 15).
///
/// Field names follow ISO/IEC TS 27560 where they fit (`pii_principal_id`, `record_id`,
/// `event_time`, `event_state`, `entity_id`, `privacy_notice`, `pii_information`,
/// `recipient_third_parties`, `collection_method`). The JSON form is pinned by a golden-file
/// test; the subject appears only by pseudonym.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct SubjectExport {
    /// `consent-export/1`.
    pub schema_version: &'static str,
    /// The JSON contract's version.
    pub version: u32,
    /// When the export was made (the ledger's clock).
    pub generated_at: DateTime<Utc>,
    /// `NO`.
    pub jurisdiction: &'static str,
    /// The subject's pseudonym.
    pub pii_principal_id: Pseudonym,
    /// Where the subject stands.
    pub status: SubjectStatus,
    /// Registered access requests, with their due dates.
    pub access_requests: Vec<AccessRequestEntry>,
    /// Every grant with its history.
    pub consent_records: Vec<ConsentRecord>,
    /// Recorded refusals.
    pub refusals: Vec<RefusalEntry>,
    /// Recorded disclosures: who received what, when, on what basis (Art. 15(1)(c)).
    pub disclosures: Vec<DisclosureEntry>,
    /// Corrections of grants (Art. 16).
    pub rectifications: Vec<RectificationEntry>,
    /// Restrictions of processing, each with its lift.
    pub restrictions: Vec<RestrictionEntry>,
    /// Objections (GDPR Art. 21), each with its resolution (since 0.2; absent when none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub objections: Vec<ObjectionEntry>,
    /// The ids the person had before, by pseudonym, with the reference that gave the next
    /// one (since 0.2; absent when none). The history above includes their records.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub earlier_ids: Vec<SuccessionEntry>,
    /// Whom the person's changes were told to (GDPR Art. 18(3) and 19; since 0.2; absent
    /// when none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notifications: Vec<NotificationEntry>,
    /// The erasure of the subject's personal payloads, if it happened.
    pub erasure: Option<ErasureEntry>,
    /// Events whose payload can no longer be read (erased).
    pub redacted_events: Vec<RedactedEntry>,
    /// Who looked at the person's data, and why (Art. 15 as C-579/21 reads it: the dates and
    /// purposes of consultations), this export's own look-up included. Staff ids only where
    /// the catalogue sets `disclose_staff_ids` (since 0.2).
    pub accesses: Vec<AccessEntry>,
}

/// One read of the person's data: when, by which role, by which operation, for what purpose.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct AccessEntry {
    /// When the ledger recorded the access.
    pub accessed_at: DateTime<Utc>,
    /// The role of who looked.
    pub role: Code,
    /// The staff member's id: only where the catalogue sets `disclose_staff_ids`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entity_id: Option<String>,
    /// What was done: `export`, `subject_events` or `decide_logged`.
    pub operation: Operation,
    /// Why the person was looked up.
    pub purpose: String,
}

impl SubjectExport {
    /// The document as pretty-printed JSON, its keys in alphabetical order (the form the
    /// golden file pins).
    ///
    /// # Errors
    /// `Storage` if the document cannot be encoded (not expected: every field is text, a
    /// number or a list of them).
    pub fn to_json(&self) -> Result<String> {
        let value = self.to_value()?;
        serde_json::to_string_pretty(&value).map_err(encode_error)
    }

    /// The document as a JSON value.
    ///
    /// # Errors
    /// As [`SubjectExport::to_json`].
    pub fn to_value(&self) -> Result<serde_json::Value> {
        serde_json::to_value(self).map_err(encode_error)
    }
}

fn encode_error(error: serde_json::Error) -> Error {
    Error::new(
        ErrorCode::Storage,
        format!("cannot encode the export: {error}"),
    )
}

/// Where a subject stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum SubjectStatus {
    /// Processing as usual.
    Active,
    /// Processing is restricted.
    Restricted,
    /// The subject's personal payloads were erased (and no consent was given since).
    Erased,
    /// The ledger holds nothing about the person but, perhaps, their access requests (the
    /// answer to an access request from someone it never knew).
    NothingHeld,
}

/// Who recorded an event, and when: the fields every entry of the export starts with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct EventMeta {
    /// The event's sequence number.
    pub seq: u64,
    /// The event's id.
    pub event_id: Uuid,
    /// When the ledger recorded it.
    pub event_time: DateTime<Utc>,
    /// The actor's id.
    pub entity_id: String,
    /// The actor's role.
    pub entity_role: Code,
}

impl EventMeta {
    fn of(event: &Event) -> EventMeta {
        EventMeta {
            seq: event.seq,
            event_id: event.id,
            event_time: event.recorded_at,
            entity_id: event.actor.id().to_owned(),
            entity_role: event.actor.role().clone(),
        }
    }
}

/// One grant and its history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ConsentRecord {
    /// The grant's id.
    pub record_id: GrantId,
    /// Where the grant stands now.
    pub event_state: GrantStatus,
    /// `expressed` or `explicitly_expressed`.
    pub consent_type: ConsentType,
    /// The purposes.
    pub purposes: Vec<Code>,
    /// The categories.
    pub pii_information: Vec<Code>,
    /// The recipients.
    pub recipient_third_parties: Vec<Code>,
    /// The GDPR codes of every purpose's basis (Art. 6(1) and, for special categories,
    /// Art. 9(2)), each once: the ISO/IEC TS 27560 field.
    pub lawful_basis: Vec<&'static str>,
    /// The exception from the duty of confidentiality the consent gives.
    pub confidentiality_exception: Code,
    /// Both gates, per purpose: what the consent does for it, its GDPR basis and statute,
    /// and the exception from confidentiality.
    pub gates: Vec<PurposeGates>,
    /// Whether the grant was migrated from historical records.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub migrated: bool,
    /// The validity as recorded.
    pub validity: Validity,
    /// The validity after rectifications (`None` once erased).
    pub current_validity: Option<CurrentValidity>,
    /// The privacy notice given.
    pub privacy_notice: Notice,
    /// How consent was collected.
    pub collection_method: EvidenceMethod,
    /// The proof, with any rectified reference.
    pub evidence: Evidence,
    /// Who consented.
    pub grantor: GrantorRecord,
    /// The assessment that a minor was mature enough to consent alone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub maturity_assessment: Option<MaturityAssessment>,
    /// That the child was heard before a representative consented.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub child_heard: Option<ChildHeard>,
    /// The grant's events: given, rectified, withdrawn.
    pub events: Vec<ConsentEvent>,
}

/// The two gates of a consent, for one of its purposes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct PurposeGates {
    /// The purpose.
    pub purpose: Code,
    /// What the consent does for it: waives confidentiality (the GDPR basis is the statute
    /// below) or is the GDPR basis itself.
    pub consent_role: ConsentRole,
    /// The Art. 6(1) basis.
    pub art6: Art6,
    /// The Art. 9(2) condition, for a special category.
    pub art9: Option<Art9>,
    /// The statute the processing rests on (`None` when consent is the basis).
    pub statute: Option<String>,
    /// The exception from confidentiality.
    pub confidentiality_exception: Code,
    /// The statute behind that exception, when the catalogue names one.
    pub confidentiality_statute: Option<String>,
}

/// Whether consent was explicit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ConsentType {
    /// Consent.
    Expressed,
    /// Explicit consent (GDPR Art. 9(2)(a)).
    ExplicitlyExpressed,
}

/// A grant's validity as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Validity {
    /// When it takes effect.
    pub valid_from: DateTime<Utc>,
    /// When it ends by itself.
    pub valid_until: Option<DateTime<Utc>>,
    /// When a representative's grant lapses (for the ordinary categories it covers, or all
    /// of them when `special_lapses_at` is absent).
    pub lapses_at: Option<DateTime<Utc>>,
    /// When it lapses for the special categories it covers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub special_lapses_at: Option<DateTime<Utc>>,
}

/// A grant's validity after rectifications.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct CurrentValidity {
    /// When it takes effect.
    pub valid_from: Option<DateTime<Utc>>,
    /// When it ends by itself.
    pub valid_until: Option<DateTime<Utc>>,
}

/// One event in a grant's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ConsentEvent {
    /// Who recorded it, and when.
    #[serde(flatten)]
    pub meta: EventMeta,
    /// What happened.
    #[serde(flatten)]
    pub change: ConsentChange,
}

/// What happened to a grant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "event_type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ConsentChange {
    /// The grant was given.
    Given,
    /// The grant was withdrawn.
    Withdrawn {
        /// From when.
        effective_at: DateTime<Utc>,
        /// Why, if the subject said.
        reason: Option<String>,
    },
    /// The grant was corrected.
    Rectified(RectificationDetail),
}

/// A correction of a grant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct RectificationDetail {
    /// The grant corrected.
    pub record_id: GrantId,
    /// What was corrected, and the new value.
    pub correction: Correction,
    /// The value before, for an evidence reference.
    pub previous: Option<String>,
    /// From when decisions use the corrected value.
    pub effective_at: DateTime<Utc>,
    /// Why.
    pub reason: String,
}

/// A correction of a grant, as listed in `rectifications`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct RectificationEntry {
    /// Who recorded it, and when.
    #[serde(flatten)]
    pub meta: EventMeta,
    /// The correction.
    #[serde(flatten)]
    pub detail: RectificationDetail,
}

/// A recorded refusal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct RefusalEntry {
    /// Who recorded it, and when.
    #[serde(flatten)]
    pub meta: EventMeta,
    /// When the refusal was given.
    pub refused_at: DateTime<Utc>,
    /// The purposes asked for.
    pub purposes: Vec<Code>,
    /// The categories asked for.
    pub pii_information: Vec<Code>,
    /// The recipients asked for.
    pub recipient_third_parties: Vec<Code>,
    /// Who refused.
    pub grantor: GrantorRecord,
    /// Where the refusal is documented.
    pub evidence: Evidence,
    /// The privacy notice given.
    pub privacy_notice: Notice,
}

/// A recorded disclosure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct DisclosureEntry {
    /// Who recorded it, and when.
    #[serde(flatten)]
    pub meta: EventMeta,
    /// Who received the data.
    pub recipient: Code,
    /// What for.
    pub purpose: Code,
    /// Which categories.
    pub pii_information: Vec<Code>,
    /// When.
    pub disclosed_at: DateTime<Utc>,
    /// The basis of each category.
    pub bases: Vec<DisclosureBasis>,
    /// The conditions the requester asserted, with the case references where the grounds are
    /// documented (empty when none were).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub assertions: Vec<Assertion>,
}

/// A registered access request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct AccessRequestEntry {
    /// Who recorded it, and when.
    #[serde(flatten)]
    pub meta: EventMeta,
    /// The request's id (the event's).
    pub request_id: Uuid,
    /// When it was received.
    pub received_at: DateTime<Utc>,
    /// When it must be answered.
    pub due_at: DateTime<Utc>,
}

/// A restriction of processing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct RestrictionEntry {
    /// Who recorded it, and when.
    #[serde(flatten)]
    pub meta: EventMeta,
    /// From when.
    pub at: DateTime<Utc>,
    /// The rules whose archival or legal duty kept the records.
    pub rules: Vec<Code>,
    /// The statutes they cite.
    pub statutes: Vec<String>,
    /// The ground: one of GDPR Art. 18(1), or `erasure_request` (since 0.2; a restriction
    /// recorded by 0.1 has none and kept 0.1's meaning: consent-based disclosures stopped).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ground: Option<RestrictionGround>,
    /// When and why it was lifted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lifted: Option<LiftEntry>,
}

/// The lift of a restriction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct LiftEntry {
    /// Who recorded it, and when.
    #[serde(flatten)]
    pub meta: EventMeta,
    /// From when.
    pub at: DateTime<Utc>,
    /// Why.
    pub reason: String,
}

/// An objection to processing for a purpose (GDPR Art. 21(1)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ObjectionEntry {
    /// Who recorded it, and when.
    #[serde(flatten)]
    pub meta: EventMeta,
    /// The objection's id.
    pub objection_id: Uuid,
    /// The purpose objected to.
    pub purpose: Code,
    /// From when.
    pub objected_at: DateTime<Utc>,
    /// Its resolution, once made.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolution: Option<ObjectionResolutionEntry>,
}

/// A change told to the person or a recipient.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct NotificationEntry {
    /// Who recorded it, and when.
    #[serde(flatten)]
    pub meta: EventMeta,
    /// The event of the change.
    pub event_id: Uuid,
    /// The recipient told; absent: the person.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recipient: Option<Code>,
    /// When.
    pub at: DateTime<Utc>,
}

/// An id the person had before.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct SuccessionEntry {
    /// Who recorded the succession, and when.
    #[serde(flatten)]
    pub meta: EventMeta,
    /// The earlier id's pseudonym.
    pub pseudonym: Pseudonym,
    /// The reference to the decision or notice that gave the next id; `null` once the
    /// person's records were shredded (kassasjon), which shreds it too.
    pub reference: Option<String>,
    /// Whether the next id already held records, so that two histories were joined (absent
    /// when not, and in successions recorded before the field existed).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub merge: bool,
}

/// The resolution of an objection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ObjectionResolutionEntry {
    /// Who recorded it, and when.
    #[serde(flatten)]
    pub meta: EventMeta,
    /// `upheld` or `rejected`.
    pub outcome: ObjectionOutcome,
    /// From when.
    pub at: DateTime<Utc>,
    /// Why.
    pub reason: String,
}

/// The erasure of the subject's personal payloads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ErasureEntry {
    /// Who recorded it, and when.
    #[serde(flatten)]
    pub meta: EventMeta,
    /// When.
    pub at: DateTime<Utc>,
    /// How many earlier events became unreadable.
    pub events_erased: u64,
}

/// An event whose payload can no longer be read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct RedactedEntry {
    /// Who recorded it, and when.
    #[serde(flatten)]
    pub meta: EventMeta,
    /// The event type (the header keeps it).
    pub event_type: String,
}

/// Builds the export from a subject's events, in order.
struct Builder<'a> {
    catalogue: &'a Catalogue,
    /// The current version of each grant in the projection (`None` once erased).
    current: &'a dyn Fn(GrantId) -> Option<GrantState>,
    now: Micros,
    export: SubjectExport,
    index: HashMap<GrantId, usize>,
    consented_since_erasure: bool,
}

impl Builder<'_> {
    fn add(&mut self, event: &Event) -> Result<()> {
        let meta = EventMeta::of(event);
        let export = &mut self.export;
        match &event.payload {
            EventPayload::GrantRecorded(grant) => self.add_grant(meta, grant)?,
            EventPayload::GrantWithdrawn(w) => {
                if let Some(consent) = self.consent_mut(w.grant_id) {
                    consent.events.push(ConsentEvent {
                        meta,
                        change: ConsentChange::Withdrawn {
                            effective_at: w.at,
                            reason: w.reason.clone(),
                        },
                    });
                }
            }
            EventPayload::SubjectRectified(r) => self.add_rectification(meta, r),
            EventPayload::GrantRefused(r) => export.refusals.push(RefusalEntry {
                meta,
                refused_at: r.at,
                purposes: r.purposes.clone(),
                pii_information: r.categories.clone(),
                recipient_third_parties: r.recipients.clone(),
                grantor: r.grantor.clone(),
                evidence: r.evidence.clone(),
                privacy_notice: r.notice.clone(),
            }),
            EventPayload::DisclosureRecorded(d) => export.disclosures.push(DisclosureEntry {
                meta,
                recipient: d.recipient.clone(),
                purpose: d.purpose.clone(),
                pii_information: d.categories.clone(),
                disclosed_at: d.at,
                bases: d.bases.clone(),
                assertions: d.assertions.clone(),
            }),
            EventPayload::AccessRequested(a) => export.access_requests.push(AccessRequestEntry {
                meta,
                request_id: event.id,
                received_at: a.received_at,
                due_at: a.due_at,
            }),
            EventPayload::SubjectRestricted(_)
            | EventPayload::RestrictionLifted(_)
            | EventPayload::ObjectionRecorded(_)
            | EventPayload::ObjectionResolved(_)
            | EventPayload::IdentitySucceeded(_)
            | EventPayload::NotificationSent(_) => add_rights(export, meta, &event.payload),
            EventPayload::SubjectErased(x) => {
                export.erasure = Some(ErasureEntry {
                    meta,
                    at: x.at,
                    events_erased: x.events_erased,
                });
                self.consented_since_erasure = false;
            }
            EventPayload::Redacted => export.redacted_events.push(RedactedEntry {
                meta,
                event_type: event.kind.clone(),
            }),
            EventPayload::SubjectAccessed(a) => export.accesses.push(AccessEntry {
                accessed_at: event.recorded_at,
                role: event.actor.role().clone(),
                entity_id: self
                    .catalogue
                    .settings()
                    .disclose_staff_ids
                    .then(|| event.actor.id().to_owned()),
                operation: a.operation,
                purpose: a.purpose.clone(),
            }),
            // Concerns no subject, so never among a subject's events.
            EventPayload::CatalogueAdopted(_) | EventPayload::LedgerRestored(_) => {}
        }
        Ok(())
    }

    fn consent_mut(&mut self, grant: GrantId) -> Option<&mut ConsentRecord> {
        let index = *self.index.get(&grant)?;
        self.export.consent_records.get_mut(index)
    }

    fn add_grant(&mut self, meta: EventMeta, g: &GrantRecord) -> Result<()> {
        self.consented_since_erasure = true;
        let current = (self.current)(g.grant_id);
        let special = g.categories.iter().any(|c| {
            self.catalogue
                .categories()
                .iter()
                .any(|k| k.code == *c && k.special)
        });
        let gates = g
            .purposes
            .iter()
            .map(|code| {
                // Replay checked that every recorded code fits the catalogue.
                let id = self.catalogue.purpose_id(code.as_str())?;
                let gate = self.catalogue.consent_gates(id, special && g.explicit);
                Ok(PurposeGates {
                    purpose: code.clone(),
                    consent_role: self.catalogue.consent_role(id),
                    art6: gate.art6,
                    art9: gate.art9,
                    statute: gate.statute.map(str::to_owned),
                    confidentiality_exception: gate.confidentiality_exception.clone(),
                    confidentiality_statute: gate.confidentiality_statute.map(str::to_owned),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let mut lawful_basis: Vec<&'static str> = Vec::new();
        for gate in &gates {
            for code in std::iter::once(gate.art6.as_str()).chain(gate.art9.map(Art9::as_str)) {
                if !lawful_basis.contains(&code) {
                    lawful_basis.push(code);
                }
            }
        }
        let confidentiality_exception = gates
            .first()
            .map_or_else(Code::fvl_13a_1, |g| g.confidentiality_exception.clone());
        self.index
            .insert(g.grant_id, self.export.consent_records.len());
        self.export.consent_records.push(ConsentRecord {
            record_id: g.grant_id,
            event_state: current.map_or(GrantStatus::Erased, |s| s.status_at(self.now)),
            consent_type: if g.explicit {
                ConsentType::ExplicitlyExpressed
            } else {
                ConsentType::Expressed
            },
            purposes: g.purposes.clone(),
            pii_information: g.categories.clone(),
            recipient_third_parties: g.recipients.clone(),
            lawful_basis,
            confidentiality_exception,
            gates,
            migrated: g.migrated,
            validity: Validity {
                valid_from: g.valid_from,
                valid_until: g.valid_until,
                lapses_at: g.lapses_at,
                special_lapses_at: g.special_lapses_at,
            },
            current_validity: current.map(|s| CurrentValidity {
                valid_from: time::from_micros_opt(s.valid_from),
                valid_until: time::from_micros_opt(s.valid_until),
            }),
            privacy_notice: g.notice.clone(),
            collection_method: g.evidence.method,
            evidence: g.evidence.clone(),
            grantor: g.grantor.clone(),
            maturity_assessment: g.maturity_assessment.clone(),
            child_heard: g.child_heard.clone(),
            events: vec![ConsentEvent {
                meta,
                change: ConsentChange::Given,
            }],
        });
        Ok(())
    }

    fn add_rectification(&mut self, meta: EventMeta, r: &RectificationRecord) {
        let mut detail = RectificationDetail {
            record_id: r.grant_id,
            correction: r.correction.clone(),
            previous: None,
            effective_at: r.effective_at,
            reason: r.reason.clone(),
        };
        if let Some(consent) = self.consent_mut(r.grant_id) {
            if let Correction::EvidenceReference(reference) = &r.correction {
                detail.previous = Some(std::mem::replace(
                    &mut consent.evidence.reference,
                    reference.clone(),
                ));
            }
            consent.events.push(ConsentEvent {
                meta: meta.clone(),
                change: ConsentChange::Rectified(detail.clone()),
            });
        }
        self.export
            .rectifications
            .push(RectificationEntry { meta, detail });
    }
}

/// The entries of the rights that stop processing, and of identity successions.
fn add_rights(export: &mut SubjectExport, meta: EventMeta, payload: &EventPayload) {
    match payload {
        EventPayload::SubjectRestricted(r) => export.restrictions.push(RestrictionEntry {
            meta,
            at: r.at,
            rules: r.rules.clone(),
            statutes: r.statutes.clone(),
            ground: r.ground,
            lifted: None,
        }),
        EventPayload::RestrictionLifted(l) => {
            // A lift ends the Art. 18(1) grounds; an erasure request's restriction (0.1's had
            // no ground) stays until kassasjon.
            for restriction in export.restrictions.iter_mut().filter(|r| {
                r.lifted.is_none()
                    && r.ground
                        .is_some_and(|g| g != RestrictionGround::ErasureRequest)
            }) {
                restriction.lifted = Some(LiftEntry {
                    meta: meta.clone(),
                    at: l.at,
                    reason: l.reason.clone(),
                });
            }
        }
        EventPayload::ObjectionRecorded(o) => export.objections.push(ObjectionEntry {
            meta,
            objection_id: o.objection_id,
            purpose: o.purpose.clone(),
            objected_at: o.at,
            resolution: None,
        }),
        EventPayload::NotificationSent(n) => export.notifications.push(NotificationEntry {
            meta,
            event_id: n.event_id,
            recipient: n.recipient.clone(),
            at: n.at,
        }),
        EventPayload::IdentitySucceeded(s) => export.earlier_ids.push(SuccessionEntry {
            meta,
            pseudonym: s.from,
            reference: s.reference.clone(),
            merge: s.merge,
        }),
        EventPayload::ObjectionResolved(o) => {
            if let Some(objection) = export
                .objections
                .iter_mut()
                .find(|x| x.objection_id == o.objection_id)
            {
                objection.resolution = Some(ObjectionResolutionEntry {
                    meta,
                    outcome: o.outcome,
                    at: o.at,
                    reason: o.reason.clone(),
                });
            }
        }
        _ => {}
    }
}

impl Ledger {
    /// Everything the ledger holds about the subject: grants with their status history and
    /// evidence, withdrawals, refusals, every recorded disclosure (the recipients the data went
    /// to, GDPR Art. 15(1)(c)), rectifications, restriction and erasure, and access requests
    /// with their due dates, and every access to the person's data. See [`SubjectExport`] for
    /// the format.
    ///
    /// The export is a read of the person's data: `actor` must have a role that may `export`,
    /// and the read is recorded (when, by whom, for `purpose`) before the export is built, so
    /// it lists its own access.
    ///
    /// ```
    /// # use consent_core::{Actor, Ledger, LedgerOptions};
    /// # let ledger = Ledger::open(":memory:", LedgerOptions::default().with_test_clock("2026-01-05T10:00:00Z".parse()?))?;
    /// let subject = ledger.parse_national_id("15038510190")?;
    /// # let grant = r#"{"subject": "15038510190", "grantor": {"role": "self"},
    /// #   "purposes": ["employment_followup"], "recipients": ["nav"], "categories": ["finances"],
    /// #   "explicit": false, "valid_from": "2026-01-05T09:00:00Z",
    /// #   "evidence": {"method": "signed_paper", "reference": "2026/1234", "language": "ar", "interpreter": true},
    /// #   "notice": {"id": "bosetting-personvern", "version": "2024-10-16"}}"#;
    /// # ledger.grant(&ledger.parse_grant(grant)?, &Actor::new("saksbehandler-17", "case_worker")?)?;
    /// let case_worker = Actor::new("saksbehandler-17", "case_worker")?;
    /// let export = ledger.subject_export(&subject, &case_worker, "innsynskrav 2026/12")?;
    /// assert_eq!(export.accesses.len(), 1); // this export's own look-up
    /// assert_eq!(export.consent_records.len(), 1);
    /// assert!(!export.to_json()?.contains("15038510190"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// A person the ledger holds nothing about gets a valid export that says so (status
    /// `nothing_held`, every list empty): an access request is answered for everyone.
    ///
    /// # Errors
    /// `UnknownCode` for a role the catalogue lacks; `NotPermitted` for a role without
    /// `export`; `InvalidInput` for an empty or over-long purpose; `InvalidNationalId` for a
    /// synthetic id outside test mode; `Integrity` when one of the subject's events does not
    /// verify; `Storage`.
    pub fn subject_export(
        &self,
        subject: &NationalId,
        actor: &dyn Acting,
        purpose: &str,
    ) -> Result<SubjectExport> {
        let pseudonym = self.export_access(subject, actor, purpose)?;
        let events = self.events_of(&pseudonym)?;
        let generated_at = self.inner.clock.now();
        let now = time::to_micros(generated_at, "now")?;
        let projection = self.read()?;
        let current = |grant: GrantId| projection.grant(grant).map(|(_, s)| *s);
        let mut builder = Builder {
            catalogue: &self.inner.catalogue,
            current: &current,
            now,
            export: SubjectExport {
                schema_version: EXPORT_SCHEMA,
                version: SCHEMA_VERSION,
                generated_at,
                jurisdiction: "NO",
                pii_principal_id: pseudonym,
                status: SubjectStatus::Active,
                access_requests: Vec::new(),
                consent_records: Vec::new(),
                refusals: Vec::new(),
                disclosures: Vec::new(),
                rectifications: Vec::new(),
                restrictions: Vec::new(),
                objections: Vec::new(),
                earlier_ids: Vec::new(),
                notifications: Vec::new(),
                erasure: None,
                redacted_events: Vec::new(),
                accesses: Vec::new(),
            },
            index: HashMap::new(),
            consented_since_erasure: false,
        };
        for event in &events {
            builder.add(event)?;
        }
        let mut export = builder.export;
        // Erased until the person consents again (an access request alone does not count).
        // The access requests themselves are all a person who asked may be held under.
        let only_asked = events.iter().all(|e| {
            matches!(
                e.payload,
                EventPayload::AccessRequested(_) | EventPayload::SubjectAccessed(_)
            )
        });
        export.status = if only_asked && (!events.is_empty() || !projection.has_subject(&pseudonym))
        {
            SubjectStatus::NothingHeld
        } else if export.erasure.is_some() && !builder.consented_since_erasure {
            SubjectStatus::Erased
        } else if projection
            .flags(&pseudonym)
            .is_some_and(|f| f.open_restriction().is_some())
        {
            SubjectStatus::Restricted
        } else {
            SubjectStatus::Active
        };
        Ok(export)
    }
}
