//! Data-subject rights and reporting: access (export), rectification, erasure or restriction,
//! statistics without individual rows, and the re-consent worklist.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, Months, Utc};
use serde::Serialize;
use serde_json::{Value, json};
use uuid::Uuid;

use super::crypto::Entropy;
use super::event::{
    self, AccessRequestRecord, Correction, ErasureRecord, Event, EventPayload, RectificationRecord,
    RestrictionRecord,
};
use super::projection::{Effect, GrantState, NEVER};
use super::{Ledger, Pending, open_event};
use crate::catalogue::{Code, bits};
use crate::error::{Error, ErrorCode, Result};
use crate::id::national_id::NationalId;
use crate::id::pseudonym::Pseudonym;
use crate::model::grant::{Actor, GrantId, RecordId, SCHEMA_VERSION, json_error};
use crate::model::text;
use crate::time::{self, Micros};

/// The schema of the subject export document.
pub const EXPORT_SCHEMA: &str = "consent-export/1";

/// A registered access request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccessRequest {
    /// The request's record id.
    pub id: Uuid,
    /// When it was received.
    pub received_at: DateTime<Utc>,
    /// When it must be answered: one month after receipt (GDPR Art. 12(3)).
    pub due_at: DateTime<Utc>,
}

/// What an erasure request led to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErasureOutcome {
    /// An archival or legal duty keeps the records: processing is restricted instead
    /// (GDPR Art. 17(3)(b) and (d), arkivlova).
    Restricted {
        /// From when.
        at: DateTime<Utc>,
        /// The rules whose duty applies.
        rules: Vec<Code>,
        /// The statutes they cite.
        statutes: Vec<String>,
    },
    /// The subject's personal payloads were made unrecoverable.
    Erased {
        /// When.
        at: DateTime<Utc>,
        /// How many events became unreadable.
        events_erased: u64,
    },
}

/// Everything the ledger holds about one subject, as a JSON document (GDPR Art. 15).
///
/// Field names follow ISO/IEC TS 27560 where they fit (`pii_principal_id`, `record_id`,
/// `event_time`, `event_state`, `entity_id`, `privacy_notice`, `pii_information`,
/// `recipient_third_parties`, `collection_method`). The format is pinned by a golden-file test.
#[derive(Debug, Clone, PartialEq)]
pub struct SubjectExport {
    document: Value,
}

impl SubjectExport {
    /// The document.
    pub fn as_value(&self) -> &Value {
        &self.document
    }

    /// The document as pretty-printed JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(&self.document).unwrap_or_default()
    }
}

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
        serde_json::from_str(json).map_err(|e| json_error("statistics query", &e))
    }
}

/// Counts for one month, purpose and recipient. `None` is a suppressed small count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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

/// Why a grant needs renewing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ReconsentReason {
    /// A representative's grant lapses when the subject comes of age.
    ComesOfAge,
    /// The grant's `valid_until` is reached.
    Expires,
    /// The grant was given under a privacy notice version that is no longer current.
    NoticeSuperseded,
}

/// One entry of the re-consent worklist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReconsentItem {
    /// The grant.
    pub grant_id: GrantId,
    /// The subject's pseudonym (the case system maps it to its client with
    /// [`Ledger::pseudonym`]).
    pub subject: Pseudonym,
    /// Why.
    pub reason: ReconsentReason,
    /// When the grant stops covering disclosures (or now, for a superseded notice).
    pub due_at: DateTime<Utc>,
    /// The grant's purposes.
    pub purposes: Vec<Code>,
    /// The grant's recipients.
    pub recipients: Vec<Code>,
    /// The grant's categories.
    pub categories: Vec<Code>,
}

fn not_found() -> Error {
    Error::new(
        ErrorCode::NotFound,
        "the ledger holds nothing about this subject",
    )
}

fn suppress(count: u64, min_cell: u32) -> Option<u64> {
    (count == 0 || count >= u64::from(min_cell)).then_some(count)
}

/// The projection change of a rectification.
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

fn state_name(grant: &GrantState, at: Micros) -> &'static str {
    if at >= grant.withdrawn_at {
        "withdrawn"
    } else if at >= grant.lapses_at {
        "reconsent_required"
    } else if at >= grant.valid_until {
        "expired"
    } else if at < grant.valid_from {
        "not_yet_valid"
    } else {
        "given"
    }
}

fn month(at: DateTime<Utc>) -> String {
    at.format("%Y-%m").to_string()
}

impl Ledger {
    /// The subject's events, each verified on its own and opened with the subject's key.
    fn subject_events(&self, pseudonym: &Pseudonym) -> Result<Vec<Event>> {
        let records = self.inner.store.subject_records(pseudonym.as_bytes())?;
        let projection = self.read()?;
        records
            .into_iter()
            .map(|record| {
                let verified = event::verify_record(record, None)?;
                open_event(verified, |s| projection.key(s))
            })
            .collect()
    }

    fn known_subject(&self, subject: &NationalId) -> Result<Pseudonym> {
        self.check_subject(subject)?;
        let pseudonym = self.inner.key.pseudonym(subject);
        let known = self.read()?.has_subject(&pseudonym)
            || !self
                .inner
                .store
                .subject_records(pseudonym.as_bytes())?
                .is_empty();
        if known {
            Ok(pseudonym)
        } else {
            Err(not_found())
        }
    }

    /// Registers an access request received at `received_at`; the export shows it with its
    /// due date, one month after receipt.
    ///
    /// # Errors
    /// `NotFound` when the ledger holds nothing about the subject; `InvalidInput` for an
    /// instant out of range; `Storage`. Nothing is written on error.
    pub fn register_access_request(
        &self,
        subject: &NationalId,
        received_at: DateTime<Utc>,
        actor: &Actor,
    ) -> Result<AccessRequest> {
        time::to_micros(received_at, "received_at")?;
        let due_at = received_at
            .checked_add_months(Months::new(1))
            .ok_or_else(|| Error::invalid("received_at is out of range"))?;
        let mut writer = self.lock_writer()?;
        let pseudonym = self.known_subject(subject)?;
        let id = self.commit_one(
            &mut writer,
            actor,
            Some(pseudonym),
            EventPayload::AccessRequested(AccessRequestRecord {
                received_at,
                due_at,
            }),
            Effect::None,
        )?;
        Ok(AccessRequest {
            id,
            received_at,
            due_at,
        })
    }

    /// Everything the ledger holds about the subject: grants with their status history and
    /// evidence, withdrawals, refusals, every recorded disclosure (the recipients the data went
    /// to, GDPR Art. 15(1)(c)), rectifications, restriction and erasure, and access requests
    /// with their due dates. See [`SubjectExport`] for the format.
    ///
    /// # Errors
    /// `NotFound` when the ledger holds nothing about the subject; `Integrity` when one of the
    /// subject's events does not verify; `Storage`.
    pub fn subject_export(&self, subject: &NationalId) -> Result<SubjectExport> {
        let pseudonym = self.known_subject(subject)?;
        let events = self.subject_events(&pseudonym)?;
        let now = self.inner.clock.now();
        let now_micros = time::to_micros(now, "now")?;
        let projection = self.read()?;
        let state = projection.subject(&pseudonym);

        let mut consents: Vec<Value> = Vec::new();
        let mut index: HashMap<GrantId, usize> = HashMap::new();
        let mut refusals = Vec::new();
        let mut disclosures = Vec::new();
        let mut rectifications = Vec::new();
        let mut restrictions = Vec::new();
        let mut erasure = Value::Null;
        let mut access_requests = Vec::new();
        let mut redacted = Vec::new();
        let mut consented_since_erasure = false;
        for e in &events {
            let base = json!({
                "seq": e.seq,
                "event_id": e.id,
                "event_time": e.recorded_at,
                "entity_id": e.actor.id(),
                "entity_role": e.actor.role(),
            });
            match &e.payload {
                EventPayload::GrantRecorded(g) => {
                    consented_since_erasure = true;
                    let current = projection.grant(g.grant_id).map(|(_, s)| *s);
                    let special = g.categories.iter().any(|c| {
                        self.inner
                            .catalogue
                            .categories()
                            .iter()
                            .any(|k| k.code == *c && k.special)
                    });
                    let mut lawful_basis = vec!["A6_1_a"];
                    if special && g.explicit {
                        lawful_basis.push("A9_2_a");
                    }
                    index.insert(g.grant_id, consents.len());
                    consents.push(json!({
                        "record_id": g.grant_id,
                        "event_state": current.map_or("erased", |s| state_name(&s, now_micros)),
                        "consent_type": if g.explicit { "explicitly_expressed" } else { "expressed" },
                        "purposes": g.purposes,
                        "pii_information": g.categories,
                        "recipient_third_parties": g.recipients,
                        "lawful_basis": lawful_basis,
                        "confidentiality_exception": "fvl_13a_1",
                        "validity": {
                            "valid_from": g.valid_from,
                            "valid_until": g.valid_until,
                            "lapses_at": g.lapses_at,
                        },
                        "current_validity": current.map(|s| json!({
                            "valid_from": time::from_micros_opt(s.valid_from),
                            "valid_until": time::from_micros_opt(s.valid_until),
                        })),
                        "privacy_notice": g.notice,
                        "collection_method": g.evidence.method,
                        "evidence": g.evidence,
                        "grantor": g.grantor,
                        "events": [merge(&base, json!({"event_type": "given"}))],
                    }));
                }
                EventPayload::GrantWithdrawn(w) => {
                    if let Some(c) = index.get(&w.grant_id).and_then(|i| consents.get_mut(*i))
                        && let Some(list) = c["events"].as_array_mut()
                    {
                        list.push(merge(
                            &base,
                            json!({"event_type": "withdrawn", "effective_at": w.at, "reason": w.reason}),
                        ));
                    }
                }
                EventPayload::SubjectRectified(r) => {
                    let consent = index.get(&r.grant_id).and_then(|i| consents.get_mut(*i));
                    let previous = match (&consent, &r.correction) {
                        (Some(c), Correction::EvidenceReference(_)) => c
                            .pointer("/evidence/reference")
                            .cloned()
                            .unwrap_or_default(),
                        _ => Value::Null,
                    };
                    let item = merge(
                        &base,
                        json!({"record_id": r.grant_id, "correction": r.correction, "previous": previous, "effective_at": r.effective_at, "reason": r.reason}),
                    );
                    if let Some(c) = consent {
                        if let Correction::EvidenceReference(reference) = &r.correction
                            && let Some(slot) = c.pointer_mut("/evidence/reference")
                        {
                            *slot = json!(reference);
                        }
                        if let Some(list) = c["events"].as_array_mut() {
                            list.push(merge(&item, json!({"event_type": "rectified"})));
                        }
                    }
                    rectifications.push(item);
                }
                EventPayload::GrantRefused(r) => refusals.push(merge(
                    &base,
                    json!({
                        "refused_at": r.at,
                        "purposes": r.purposes,
                        "pii_information": r.categories,
                        "recipient_third_parties": r.recipients,
                        "grantor": r.grantor,
                        "evidence": r.evidence,
                        "privacy_notice": r.notice,
                    }),
                )),
                EventPayload::DisclosureRecorded(d) => disclosures.push(merge(
                    &base,
                    json!({
                        "recipient": d.recipient,
                        "purpose": d.purpose,
                        "pii_information": d.categories,
                        "disclosed_at": d.at,
                        "bases": d.bases,
                    }),
                )),
                EventPayload::AccessRequested(a) => access_requests.push(merge(
                    &base,
                    json!({"request_id": e.id, "received_at": a.received_at, "due_at": a.due_at}),
                )),
                EventPayload::SubjectRestricted(r) => {
                    restrictions.push(merge(
                        &base,
                        json!({"at": r.at, "rules": r.rules, "statutes": r.statutes}),
                    ));
                }
                EventPayload::SubjectErased(x) => {
                    erasure = merge(&base, json!({"at": x.at, "events_erased": x.events_erased}));
                    consented_since_erasure = false;
                }
                EventPayload::Redacted => {
                    redacted.push(merge(&base, json!({"event_type": e.kind})))
                }
            }
        }
        // Erased until the person consents again (an access request alone does not count).
        let status = if !erasure.is_null() && !consented_since_erasure {
            "erased"
        } else if state.restricted_from != NEVER {
            "restricted"
        } else {
            "active"
        };
        Ok(SubjectExport {
            document: json!({
                "schema_version": EXPORT_SCHEMA,
                "version": SCHEMA_VERSION,
                "generated_at": now,
                "jurisdiction": "NO",
                "pii_principal_id": pseudonym,
                "status": status,
                "access_requests": access_requests,
                "consent_records": consents,
                "refusals": refusals,
                "disclosures": disclosures,
                "rectifications": rectifications,
                "restrictions": restrictions,
                "erasure": erasure,
                "redacted_events": redacted,
            }),
        })
    }

    /// Records a correction of one of the subject's grants without rewriting history:
    /// decisions for instants from now on use the corrected value; earlier ones stand.
    ///
    /// # Errors
    /// `NotFound` when the grant is not the subject's; `InvalidInput` for a malformed value or
    /// reason, or a validity window that would end before it starts; `Storage`.
    pub fn rectify(
        &self,
        subject: &NationalId,
        grant: GrantId,
        correction: Correction,
        reason: &str,
        actor: &Actor,
    ) -> Result<RecordId> {
        text::check(reason, "reason", 1000)?;
        let mut writer = self.lock_writer()?;
        let pseudonym = self.known_subject(subject)?;
        let current = {
            let projection = self.read()?;
            match projection.grant(grant) {
                Some((owner, state)) if *owner == pseudonym => *state,
                _ => {
                    return Err(Error::new(
                        ErrorCode::NotFound,
                        format!("the subject has no grant `{grant}`"),
                    ));
                }
            }
        };
        match &correction {
            Correction::EvidenceReference(reference) => {
                text::check(reference, "evidence.reference", 128)?;
            }
            Correction::ValidFrom(from) => {
                if time::to_micros(*from, "valid_from")? >= current.valid_until {
                    return Err(Error::invalid(
                        "the corrected valid_from is not before valid_until",
                    ));
                }
            }
            Correction::ValidUntil(Some(until)) => {
                if time::to_micros(*until, "valid_until")? <= current.valid_from {
                    return Err(Error::invalid(
                        "the corrected valid_until is not after valid_from",
                    ));
                }
            }
            Correction::ValidUntil(None) => {}
        }
        let record = RectificationRecord {
            grant_id: grant,
            correction,
            effective_at: self.inner.clock.now(),
            reason: reason.to_owned(),
        };
        let effect = rectify_effect(&record)?;
        self.commit_one(
            &mut writer,
            actor,
            Some(pseudonym),
            EventPayload::SubjectRectified(record),
            effect,
        )
    }

    /// Evaluates an erasure request (GDPR Art. 17). Where a catalogue rule with an archival or
    /// legal duty was the basis of a disclosure of the subject's data, the records are kept and
    /// processing is restricted: consent-based disclosures are then denied with `restricted`,
    /// statutory duties continue unless their rule says otherwise. Otherwise the subject's data
    /// key is destroyed, so every personal payload becomes unrecoverable while the hash chain
    /// still verifies.
    ///
    /// # Errors
    /// `NotFound` when the ledger holds nothing about the subject; `Conflict` when it is
    /// already restricted or erased; `Storage`.
    pub fn request_erasure(&self, subject: &NationalId, actor: &Actor) -> Result<ErasureOutcome> {
        let mut writer = self.lock_writer()?;
        let pseudonym = self.known_subject(subject)?;
        let events = self.subject_events(&pseudonym)?;
        let (restricted, has_key) = {
            let projection = self.read()?;
            (
                projection.subject(&pseudonym).restricted_from != NEVER,
                projection.key(&pseudonym).is_some(),
            )
        };
        if restricted {
            return Err(Error::new(
                ErrorCode::Conflict,
                "the subject is already restricted",
            ));
        }
        if !has_key {
            return Err(Error::new(
                ErrorCode::Conflict,
                "the subject is already erased",
            ));
        }
        let catalogue = &self.inner.catalogue;
        let mut rules: Vec<Code> = Vec::new();
        for e in &events {
            if let EventPayload::DisclosureRecorded(d) = &e.payload {
                for rule in d.bases.iter().filter_map(|b| b.rule.as_ref()) {
                    let archival = catalogue
                        .rules()
                        .iter()
                        .any(|r| r.code == *rule && r.archival_duty);
                    if archival && !rules.contains(rule) {
                        rules.push(rule.clone());
                    }
                }
            }
        }
        let now = self.inner.clock.now();
        if !rules.is_empty() {
            let statutes: Vec<String> = rules
                .iter()
                .filter_map(|code| catalogue.rules().iter().find(|r| r.code == *code))
                .map(|r| r.statute.clone())
                .collect();
            let from = time::to_micros(now, "now")?;
            self.commit_one(
                &mut writer,
                actor,
                Some(pseudonym),
                EventPayload::SubjectRestricted(RestrictionRecord {
                    at: now,
                    rules: rules.clone(),
                    statutes: statutes.clone(),
                }),
                Effect::Restrict {
                    subject: pseudonym,
                    from,
                },
            )?;
            return Ok(ErasureOutcome::Restricted {
                at: now,
                rules,
                statutes,
            });
        }
        let events_erased = events
            .iter()
            .filter(|e| !matches!(e.payload, EventPayload::Redacted) && e.payload.is_personal())
            .count() as u64;
        self.commit(
            &mut writer,
            actor,
            vec![Pending {
                subject: Some(pseudonym),
                payload: EventPayload::SubjectErased(ErasureRecord {
                    at: now,
                    events_erased,
                }),
                effect: Effect::Erase { subject: pseudonym },
            }],
            &[pseudonym],
            &mut Entropy::new(),
        )?;
        Ok(ErasureOutcome::Erased {
            at: now,
            events_erased,
        })
    }

    /// Counts grants, withdrawals, refusals and disclosures by month, purpose and recipient,
    /// and active grants by purpose and recipient. Counts below the threshold are suppressed;
    /// no row describes an individual.
    ///
    /// # Errors
    /// `InvalidInput` for instants out of range or a threshold below the catalogue's;
    /// `Integrity` when the chain does not verify; `Storage`.
    pub fn statistics(&self, query: &StatisticsQuery) -> Result<Statistics> {
        let configured = self.inner.catalogue.settings().statistics_min_cell;
        let min_cell = match query.min_cell {
            Some(m) if m < configured => {
                return Err(Error::invalid(format!(
                    "min_cell {m} is below the catalogue's statistics_min_cell {configured}"
                )));
            }
            Some(m) => m,
            None => configured,
        };
        let from = query.from.map(|t| time::to_micros(t, "from")).transpose()?;
        let at = query.to.unwrap_or_else(|| self.inner.clock.now());
        let to = time::to_micros(at, "to")?;
        type Key = (String, Code, Code);
        #[derive(Default)]
        struct Cell {
            grants: u64,
            withdrawals: u64,
            refusals: u64,
            disclosures: u64,
        }
        let mut cells: BTreeMap<Key, Cell> = BTreeMap::new();
        // Withdrawals count under their grant's scope, kept as interned bitsets.
        let mut scopes: HashMap<GrantId, (u64, u64)> = HashMap::new();
        let catalogue = &self.inner.catalogue;
        let mut bump = |m: &str, purposes: &[Code], recipients: &[Code], f: &dyn Fn(&mut Cell)| {
            for p in purposes {
                for r in recipients {
                    f(cells
                        .entry((m.to_owned(), p.clone(), r.clone()))
                        .or_default());
                }
            }
        };
        self.for_each_event(|e| {
            let t = time::to_micros(e.recorded_at, "recorded_at")?;
            let in_range = from.is_none_or(|f| t >= f) && t < to;
            let m = month(e.recorded_at);
            match &e.payload {
                EventPayload::GrantRecorded(g) => {
                    scopes.insert(
                        g.grant_id,
                        (
                            catalogue.purpose_set(&g.purposes).unwrap_or(0),
                            catalogue.recipient_set(&g.recipients).unwrap_or(0),
                        ),
                    );
                    if in_range {
                        bump(&m, &g.purposes, &g.recipients, &|c| c.grants += 1);
                    }
                }
                EventPayload::GrantWithdrawn(w) if in_range => {
                    if let Some((p, r)) = scopes.get(&w.grant_id) {
                        let (p, r) = (catalogue.purpose_codes(*p), catalogue.recipient_codes(*r));
                        bump(&m, &p, &r, &|c| c.withdrawals += 1);
                    }
                }
                EventPayload::GrantRefused(r) if in_range => {
                    bump(&m, &r.purposes, &r.recipients, &|c| c.refusals += 1);
                }
                EventPayload::DisclosureRecorded(d) if in_range => {
                    bump(
                        &m,
                        std::slice::from_ref(&d.purpose),
                        std::slice::from_ref(&d.recipient),
                        &|c| c.disclosures += 1,
                    );
                }
                _ => {}
            }
            Ok(())
        })?;
        let rows = cells
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
            .collect();

        let mut active: BTreeMap<(u8, u8), u64> = BTreeMap::new();
        {
            let projection = self.read()?;
            for (_, state) in projection.subjects() {
                for grant in state
                    .grants
                    .iter()
                    .filter(|g| g.applies_at(to) && g.active_at(to))
                {
                    for p in bits(grant.purposes) {
                        for r in bits(grant.recipients) {
                            *active.entry((p, r)).or_default() += 1;
                        }
                    }
                }
            }
        }
        let active_grants = active
            .into_iter()
            .map(|((p, r), count)| ActiveGrants {
                purpose: catalogue.purpose_code(p).clone(),
                recipient: catalogue.recipient_code(r).clone(),
                count: suppress(count, min_cell),
            })
            .collect();
        Ok(Statistics {
            min_cell,
            at,
            rows,
            active_grants,
        })
    }

    /// The grants that stop covering disclosures within `window` from `at`: a
    /// representative's grant when the subject comes of age, a grant reaching `valid_until`,
    /// and (due now) grants given under a superseded privacy notice. Sorted by due date, so
    /// case workers can ask for new consent before a disclosure is denied.
    ///
    /// # Errors
    /// `InvalidInput` for an instant out of range or a negative window.
    pub fn reconsent_due(&self, at: DateTime<Utc>, window: Duration) -> Result<Vec<ReconsentItem>> {
        if window < Duration::zero() {
            return Err(Error::invalid("the window is negative"));
        }
        let start = time::to_micros(at, "at")?;
        let end_at = at
            .checked_add_signed(window)
            .ok_or_else(|| Error::invalid("the window is out of range"))?;
        let end = time::to_micros(end_at, "at + window")?;
        let catalogue = &self.inner.catalogue;
        let projection = self.read()?;
        let mut items = Vec::new();
        for (subject, state) in projection.subjects() {
            for grant in state
                .grants
                .iter()
                .filter(|g| g.applies_at(start) && g.active_at(start))
            {
                let mut push = |reason, due: Micros| {
                    items.push(ReconsentItem {
                        grant_id: grant.id,
                        subject: *subject,
                        reason,
                        due_at: time::from_micros_opt(due).unwrap_or(at),
                        purposes: catalogue.purpose_codes(grant.purposes),
                        recipients: catalogue.recipient_codes(grant.recipients),
                        categories: catalogue.category_codes(grant.categories),
                    });
                };
                let ends_in_window = |t: Micros| t != NEVER && start <= t && t < end;
                if ends_in_window(grant.lapses_at) && grant.lapses_at <= grant.withdrawn_at {
                    push(ReconsentReason::ComesOfAge, grant.lapses_at);
                } else if ends_in_window(grant.valid_until)
                    && grant.valid_until <= grant.withdrawn_at
                {
                    push(ReconsentReason::Expires, grant.valid_until);
                } else if grant.notice_superseded {
                    push(ReconsentReason::NoticeSuperseded, start);
                }
            }
        }
        items.sort_by_key(|item| (item.due_at, item.grant_id));
        Ok(items)
    }
}

fn merge(base: &Value, extra: Value) -> Value {
    let mut out = base.clone();
    if let (Some(out), Value::Object(extra)) = (out.as_object_mut(), extra) {
        out.extend(extra);
    }
    out
}
