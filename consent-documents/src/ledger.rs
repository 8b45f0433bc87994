//! The documents from the ledger: the view models filled from a person's subject export
//! ([`consent_core::SubjectExport`]), the catalogue, and a [`Profile`] of what the catalogue does
//! not hold (who the controller is, which purposes a unit publishes, who the data subjects are,
//! the security measures).
//!
//! Names come from the catalogue (purposes, recipients, categories, roles, conditions, statute
//! citations); nothing of the export's pseudonym, event ids or staff ids reaches a model, and a
//! representative's national id (the grantor's `id`) is never read.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use consent_core::{
    Catalogue, ConsentChange, ConsentRecord, ConsentType, GrantStatus, RestrictionGround,
    SubjectExport,
};
use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind};
use crate::model::{
    AccessAnswer, AccessContent, Art6, Art9, Category, ConfidentialityException,
    ConfidentialityGate, Consent, ConsentRole, ConsentStatus, Controller, Disclosure, GdprGate,
    Grantor, HeldRecords, LegalGates, LetterRecipient, Lookup, NoticeDisclosure, NoticePurpose,
    Objection, ObjectionOutcome, PrivacyNotice, ProcessingActivity, ProcessingRecord,
    RecordRecipient, Refusal, Restriction, Retention, StatusChange, Statute,
};

type Result<T> = std::result::Result<T, Error>;

/// What a municipality says about itself that the catalogue does not hold, for the documents:
/// the controller, the privacy notice this unit publishes, and per purpose of the unit its
/// data subjects and (optionally) a description and more categories. Read from JSON
/// (`deny_unknown_fields`); `docs/examples/profile.json` shows every field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// Who is responsible, and how to reach the unit and the data protection officer.
    pub controller: Controller,
    /// The privacy notice of the catalogue (`[[notice]] id`) this unit publishes, and when its
    /// current version took effect.
    pub notice: ProfileNotice,
    /// (g) The security measures (Art. 32), for every activity of the record.
    pub security: Vec<String>,
    /// The unit's purposes, in the order the notice and the record list them.
    pub purposes: Vec<ProfilePurpose>,
}

/// The privacy notice a [`Profile`] publishes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileNotice {
    /// The catalogue's notice id; its current version is the notice's version.
    pub id: String,
    /// When that version took effect.
    pub published: DateTime<Utc>,
}

/// One purpose of a [`Profile`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfilePurpose {
    /// The catalogue's purpose code.
    pub code: String,
    /// What it involves, in plain words.
    #[serde(default)]
    pub description: Option<String>,
    /// (c) The categories of data subjects ("Deltakere i introduksjonsprogrammet").
    pub data_subjects: Vec<String>,
    /// Category codes processed for it beyond those its statutory rules name (for a purpose
    /// shared only by consent, the categories consent is asked for).
    #[serde(default)]
    pub categories: Vec<String>,
    /// Recipient codes that receive data for it when the person consents.
    #[serde(default)]
    pub consent_recipients: Vec<String>,
}

impl Profile {
    /// Reads a profile from its JSON text.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidModel`] when the text is not a profile (naming the place).
    pub fn from_json(text: &str) -> Result<Profile> {
        serde_json::from_str(text)
            .map_err(|e| Error::new(ErrorKind::InvalidModel, format!("the profile: {e}")))
    }

    fn validate(&self, catalogue: &Catalogue) -> Result<()> {
        self.controller.validate()?;
        if self.purposes.is_empty() {
            return Err(Error::model("profile.purposes", "is empty"));
        }
        for (i, purpose) in self.purposes.iter().enumerate() {
            let field = format!("profile.purposes[{i}]");
            purpose_entry(catalogue, &purpose.code)
                .map_err(|e| Error::model(&format!("{field}.code"), e.message()))?;
            for code in &purpose.categories {
                category_entry(catalogue, code)
                    .map_err(|e| Error::model(&format!("{field}.categories"), e.message()))?;
            }
            for code in &purpose.consent_recipients {
                recipient_name(catalogue, code).map_err(|e| {
                    Error::model(&format!("{field}.consent_recipients"), e.message())
                })?;
            }
        }
        Ok(())
    }
}

/// Who the letter is addressed to and how it is filed: what the host adds to the export.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LetterDetails {
    /// The addressee for the header (a national id in it only when the host sets one).
    pub recipient: Option<LetterRecipient>,
    /// The case or archive reference.
    pub reference: Option<String>,
}

fn unknown(kind: &str, code: &str) -> Error {
    Error::new(
        ErrorKind::InvalidExport,
        format!("the catalogue has no {kind} `{code}`"),
    )
}

fn purpose_entry<'a>(catalogue: &'a Catalogue, code: &str) -> Result<&'a consent_core::Purpose> {
    catalogue
        .purposes()
        .iter()
        .find(|p| p.code.as_str() == code)
        .ok_or_else(|| unknown("purpose", code))
}

fn purpose_name(catalogue: &Catalogue, code: &str) -> Result<String> {
    purpose_entry(catalogue, code).map(|p| p.name.clone())
}

fn recipient_name(catalogue: &Catalogue, code: &str) -> Result<String> {
    catalogue
        .recipients()
        .iter()
        .find(|r| r.code.as_str() == code)
        .map(|r| r.name.clone())
        .ok_or_else(|| unknown("recipient", code))
}

fn category_entry<'a>(catalogue: &'a Catalogue, code: &str) -> Result<&'a consent_core::Category> {
    catalogue
        .categories()
        .iter()
        .find(|c| c.code.as_str() == code)
        .ok_or_else(|| unknown("category", code))
}

fn category(catalogue: &Catalogue, code: &str) -> Result<Category> {
    let entry = category_entry(catalogue, code)?;
    Ok(Category {
        name: entry.name.clone(),
        special: entry.special,
    })
}

fn categories<S: AsRef<str>>(catalogue: &Catalogue, codes: &[S]) -> Result<Vec<Category>> {
    codes
        .iter()
        .map(|c| category(catalogue, c.as_ref()))
        .collect()
}

/// A statute citation of the catalogue, with Lovdata's id when a `[[statute]]` has that title.
fn statute(catalogue: &Catalogue, title: &str) -> Statute {
    Statute {
        title: title.to_owned(),
        lovdata_id: catalogue
            .statutes()
            .iter()
            .find(|s| s.title == title)
            .and_then(|s| s.lovdata_id.clone()),
    }
}

fn art6(value: consent_core::Art6) -> Result<Art6> {
    use consent_core::Art6 as A;
    Ok(match value {
        A::A => Art6::A,
        A::B => Art6::B,
        A::C => Art6::C,
        A::D => Art6::D,
        A::E => Art6::E,
        A::F => Art6::F,
        other => {
            return Err(Error::new(
                ErrorKind::InvalidExport,
                format!(
                    "the basis `{}` has no text in the documents",
                    other.as_str()
                ),
            ));
        }
    })
}

fn art9(value: consent_core::Art9) -> Result<Art9> {
    use consent_core::Art9 as A;
    Ok(match value {
        A::A => Art9::A,
        A::B => Art9::B,
        A::C => Art9::C,
        A::D => Art9::D,
        A::E => Art9::E,
        A::F => Art9::F,
        A::G => Art9::G,
        A::H => Art9::H,
        A::I => Art9::I,
        A::J => Art9::J,
        other => {
            return Err(Error::new(
                ErrorKind::InvalidExport,
                format!(
                    "the condition `{}` has no text in the documents",
                    other.as_str()
                ),
            ));
        }
    })
}

/// The kind of an exception from confidentiality, read from what the catalogue declares about
/// it (never from its code): consent when a grant is the ground, the same body when the
/// exception keeps data inside one legal entity, a duty to inform when the rule needs an
/// asserted condition, otherwise the statute that allows or requires the sharing.
fn exception_kind(
    catalogue: &Catalogue,
    code: &str,
    by_consent: bool,
    conditional: bool,
) -> ConfidentialityException {
    if by_consent {
        ConfidentialityException::Consent
    } else if catalogue
        .exception(code)
        .is_some_and(|e| e.same_legal_entity)
    {
        ConfidentialityException::SameBody
    } else if conditional {
        ConfidentialityException::DutyToInform
    } else {
        ConfidentialityException::SpecialStatute
    }
}

#[expect(
    clippy::too_many_arguments,
    reason = "the two gates' fields, each needed once"
)]
fn gates(
    catalogue: &Catalogue,
    art6_: consent_core::Art6,
    art9_: Option<consent_core::Art9>,
    gdpr_statute: Option<&str>,
    exception: &str,
    exception_statute: Option<&str>,
    by_consent: bool,
    conditional: bool,
) -> Result<LegalGates> {
    Ok(LegalGates {
        gdpr: GdprGate {
            art6: art6(art6_)?,
            art9: art9_.map(art9).transpose()?,
            statute: gdpr_statute.map(|s| statute(catalogue, s)),
        },
        confidentiality: ConfidentialityGate {
            exception: exception_kind(catalogue, exception, by_consent, conditional),
            statute: exception_statute.map(|s| statute(catalogue, s)),
        },
    })
}

/// A grant's status in a letter, with the change that led to it.
fn status(record: &ConsentRecord, given_at: DateTime<Utc>) -> Result<Option<StatusChange>> {
    let validity = record.current_validity.as_ref();
    let until = validity
        .and_then(|v| v.valid_until)
        .or(record.validity.valid_until);
    let change = |at: DateTime<Utc>, status, note| StatusChange {
        // A withdrawal dated before the grant took effect ends it as it begins.
        at: at.max(given_at),
        status,
        note,
    };
    Ok(match record.event_state {
        GrantStatus::Given | GrantStatus::NotYetValid => None,
        GrantStatus::Withdrawn => {
            let (at, reason) = record
                .events
                .iter()
                .find_map(|event| match &event.change {
                    ConsentChange::Withdrawn {
                        effective_at,
                        reason,
                    } => Some((*effective_at, reason.clone())),
                    _ => None,
                })
                .ok_or_else(|| {
                    Error::new(
                        ErrorKind::InvalidExport,
                        "a withdrawn grant has no withdrawal event",
                    )
                })?;
            Some(change(at, ConsentStatus::Withdrawn, reason))
        }
        GrantStatus::Expired => {
            let at = until.ok_or_else(|| {
                Error::new(ErrorKind::InvalidExport, "an expired grant has no end")
            })?;
            Some(change(at, ConsentStatus::Expired, None))
        }
        GrantStatus::ReconsentRequired | GrantStatus::AuthorityEnded => {
            let at = [
                record.validity.lapses_at,
                record.validity.special_lapses_at,
                record.grantor.authority_valid_until,
            ]
            .into_iter()
            .flatten()
            .min()
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::InvalidExport,
                    "a lapsed grant has no instant it lapsed at",
                )
            })?;
            Some(change(at, ConsentStatus::Lapsed, None))
        }
        other => {
            return Err(Error::new(
                ErrorKind::InvalidExport,
                format!(
                    "the grant state `{}` has no text in a letter",
                    other.as_str()
                ),
            ));
        }
    })
}

fn consents(catalogue: &Catalogue, record: &ConsentRecord) -> Result<Vec<Consent>> {
    if record.event_state == GrantStatus::Erased {
        return Ok(Vec::new());
    }
    let given_at = record
        .current_validity
        .as_ref()
        .and_then(|v| v.valid_from)
        .unwrap_or(record.validity.valid_from);
    let change = status(record, given_at)?;
    let recipients = record
        .recipient_third_parties
        .iter()
        .map(|r| recipient_name(catalogue, r.as_str()))
        .collect::<Result<Vec<_>>>()?;
    let cats = categories(catalogue, &record.pii_information)?;
    let given_by = if record.grantor.role == "self" {
        Grantor::Person
    } else {
        Grantor::Representative {
            role: record.grantor.role.clone(),
        }
    };
    record
        .gates
        .iter()
        .map(|gate| {
            Ok(Consent {
                purpose: purpose_name(catalogue, gate.purpose.as_str())?,
                recipients: recipients.clone(),
                categories: cats.clone(),
                given_by: given_by.clone(),
                given_at,
                valid_until: record
                    .current_validity
                    .as_ref()
                    .and_then(|v| v.valid_until)
                    .or(record.validity.valid_until),
                explicit: record.consent_type == ConsentType::ExplicitlyExpressed,
                how_given: None,
                status: change.as_ref().map_or(ConsentStatus::Active, |c| c.status),
                history: change.iter().cloned().collect(),
                gates: gates(
                    catalogue,
                    gate.art6,
                    gate.art9,
                    gate.statute.as_deref(),
                    gate.confidentiality_exception.as_str(),
                    gate.confidentiality_statute.as_deref(),
                    true,
                    false,
                )?,
            })
        })
        .collect()
}

/// An asserted condition as the catalogue names it, with the reference the case worker gave.
fn condition_text(
    catalogue: &Catalogue,
    code: &consent_core::Code,
    assertions: &[consent_core::Assertion],
) -> Result<String> {
    let name = catalogue
        .conditions()
        .iter()
        .find(|c| c.code == *code)
        .map(|c| c.name.clone())
        .ok_or_else(|| unknown("condition", code.as_str()))?;
    Ok(match assertions.iter().find(|a| a.condition == *code) {
        Some(assertion) => format!("{name} ({})", assertion.reference),
        None => name,
    })
}

fn disclosures(catalogue: &Catalogue, export: &SubjectExport) -> Result<Vec<Disclosure>> {
    let mut out = Vec::new();
    for entry in &export.disclosures {
        let purpose = purpose_entry(catalogue, entry.purpose.as_str())?;
        let recipient = recipient_name(catalogue, entry.recipient.as_str())?;
        // One disclosure per basis: categories that passed the same gates are listed together.
        let mut groups: BTreeMap<String, (Disclosure, Vec<String>)> = BTreeMap::new();
        for basis in &entry.bases {
            let by_consent = basis.grant_id.is_some();
            // The grant's own gates for this purpose, when consent was the ground.
            let grant_gate = basis.grant_id.as_ref().and_then(|id| {
                export
                    .consent_records
                    .iter()
                    .find(|r| r.record_id == *id)
                    .and_then(|r| r.gates.iter().find(|g| g.purpose == entry.purpose))
            });
            let art6_ = basis
                .art6
                .or(grant_gate.map(|g| g.art6))
                .or(purpose.art6)
                .ok_or_else(|| {
                    Error::new(
                        ErrorKind::InvalidExport,
                        format!(
                            "a disclosure for `{}` records no GDPR basis",
                            entry.purpose.as_str()
                        ),
                    )
                })?;
            let art9_ = basis.art9.or(grant_gate.and_then(|g| g.art9));
            let gdpr_statute = basis
                .statute
                .clone()
                .or_else(|| grant_gate.and_then(|g| g.statute.clone()))
                .or_else(|| purpose.statute.clone());
            let exception = basis
                .confidentiality_exception
                .as_ref()
                .map(|c| c.as_str().to_owned())
                .or_else(|| grant_gate.map(|g| g.confidentiality_exception.as_str().to_owned()))
                .unwrap_or_else(|| purpose.consent_exception.as_str().to_owned());
            let exception_statute = basis
                .confidentiality_statute
                .clone()
                .or_else(|| grant_gate.and_then(|g| g.confidentiality_statute.clone()));
            let condition = basis
                .condition
                .as_ref()
                .map(|code| condition_text(catalogue, code, &entry.assertions))
                .transpose()?;
            let gates = gates(
                catalogue,
                art6_,
                art9_,
                gdpr_statute.as_deref(),
                &exception,
                exception_statute.as_deref(),
                by_consent,
                condition.is_some(),
            )?;
            let key = format!("{by_consent:?}|{gates:?}|{condition:?}");
            groups
                .entry(key)
                .or_insert_with(|| {
                    (
                        Disclosure {
                            at: entry.disclosed_at,
                            recipient: recipient.clone(),
                            purpose: purpose.name.clone(),
                            categories: Vec::new(),
                            by_consent,
                            gates,
                            condition,
                        },
                        Vec::new(),
                    )
                })
                .1
                .push(basis.category.as_str().to_owned());
        }
        for (mut disclosure, codes) in groups.into_values() {
            disclosure.categories = categories(catalogue, &codes)?;
            out.push(disclosure);
        }
    }
    Ok(out)
}

/// A restriction's ground as the article it rests on (the same in every language).
fn ground(ground: Option<RestrictionGround>) -> String {
    match ground {
        Some(RestrictionGround::Accuracy) => "GDPR Art. 18(1)(a)",
        Some(RestrictionGround::Unlawful) => "GDPR Art. 18(1)(b)",
        Some(RestrictionGround::LegalClaims) => "GDPR Art. 18(1)(c)",
        Some(RestrictionGround::ObjectionPending) => "GDPR Art. 18(1)(d)",
        Some(RestrictionGround::ErasureRequest) => "GDPR Art. 17",
        _ => "GDPR Art. 18",
    }
    .to_owned()
}

/// The access-request answer for the person of `export`, dated `date`.
///
/// `export` is what [`Ledger::subject_export`](consent_core::Ledger::subject_export) returned
/// (a recorded read); `catalogue` names its codes (the ledger's catalogue). The letter shows no
/// pseudonym, no staff id and no grantor's id; a national id only when `details.recipient`
/// carries one. A person with no grant, refusal, disclosure, restriction or objection gets the
/// letter that says nothing else is held, with the look-ups of their data still listed when
/// there are any.
///
/// # Errors
///
/// [`ErrorKind::InvalidModel`] when the profile is wrong, [`ErrorKind::InvalidExport`] when the
/// export names a code the catalogue lacks or a state a letter has no words for.
pub fn access_answer(
    export: &SubjectExport,
    catalogue: &Catalogue,
    profile: &Profile,
    date: DateTime<Utc>,
    details: LetterDetails,
) -> Result<AccessAnswer> {
    profile.controller.validate()?;
    let mut held = HeldRecords::default();
    for record in &export.consent_records {
        held.consents.extend(consents(catalogue, record)?);
    }
    for refusal in &export.refusals {
        let recipients = refusal
            .recipient_third_parties
            .iter()
            .map(|r| recipient_name(catalogue, r.as_str()))
            .collect::<Result<Vec<_>>>()?;
        let cats = categories(catalogue, &refusal.pii_information)?;
        for purpose in &refusal.purposes {
            held.refusals.push(Refusal {
                purpose: purpose_name(catalogue, purpose.as_str())?,
                recipients: recipients.clone(),
                categories: cats.clone(),
                at: refusal.refused_at,
            });
        }
    }
    held.disclosures = disclosures(catalogue, export)?;
    for access in &export.accesses {
        held.lookups.push(Lookup {
            at: access.accessed_at,
            role: catalogue
                .role(access.role.as_str())
                .map_or_else(|| access.role.as_str().to_owned(), |r| r.name.clone()),
            purpose: access.purpose.clone(),
        });
    }
    for restriction in &export.restrictions {
        held.restrictions.push(Restriction {
            ground: ground(restriction.ground),
            from: restriction.at,
            lifted: restriction.lifted.as_ref().map(|l| l.at),
        });
    }
    for objection in &export.objections {
        held.objections.push(Objection {
            purpose: purpose_name(catalogue, objection.purpose.as_str())?,
            at: objection.objected_at,
            outcome: match &objection.resolution {
                None => ObjectionOutcome::Pending,
                Some(r) => match r.outcome {
                    consent_core::ObjectionOutcome::Upheld => ObjectionOutcome::Upheld { at: r.at },
                    consent_core::ObjectionOutcome::Rejected => ObjectionOutcome::Rejected {
                        at: r.at,
                        reason: r.reason.clone(),
                    },
                    _ => {
                        return Err(Error::new(
                            ErrorKind::InvalidExport,
                            format!(
                                "the objection outcome `{}` has no text in a letter",
                                r.outcome.as_str()
                            ),
                        ));
                    }
                },
            },
        });
    }
    let nothing = held.consents.is_empty()
        && held.refusals.is_empty()
        && held.disclosures.is_empty()
        && held.lookups.is_empty()
        && held.restrictions.is_empty()
        && held.objections.is_empty();
    let letter = AccessAnswer {
        controller: profile.controller.clone(),
        date,
        reference: details.reference,
        request_received: export.access_requests.iter().map(|r| r.received_at).max(),
        recipient: details.recipient,
        content: if nothing {
            AccessContent::NothingHeld
        } else {
            AccessContent::Held(held)
        },
    };
    letter.validate()?;
    Ok(letter)
}

/// What the catalogue says about one purpose of the profile: its categories (from its
/// statutory rules and the profile) and who receives data for it.
fn purpose_view(
    catalogue: &Catalogue,
    entry: &ProfilePurpose,
) -> Result<(consent_core::Purpose, Vec<Category>, Vec<NoticeDisclosure>)> {
    let purpose = purpose_entry(catalogue, &entry.code)?.clone();
    let mut codes: Vec<String> = Vec::new();
    let mut add = |code: &str| {
        if !codes.iter().any(|c| c == code) {
            codes.push(code.to_owned());
        }
    };
    let mut shares = Vec::new();
    for rule in catalogue.rules() {
        if !catalogue
            .rule_purposes(rule)
            .iter()
            .any(|p| p.as_str() == entry.code)
        {
            continue;
        }
        let rule_codes: Vec<&str> = catalogue
            .rule_categories(rule)
            .iter()
            .map(|c| c.as_str())
            .collect();
        for code in &rule_codes {
            add(code);
        }
        let condition = rule
            .requires
            .iter()
            .map(|code| {
                catalogue
                    .conditions()
                    .iter()
                    .find(|c| c.code == *code)
                    .map(|c| c.name.clone())
                    .ok_or_else(|| unknown("condition", code.as_str()))
            })
            .collect::<Result<Vec<_>>>()?;
        shares.push(NoticeDisclosure {
            recipient: recipient_name(catalogue, catalogue.rule_recipient(rule).as_str())?,
            categories: categories(catalogue, &rule_codes)?,
            by_consent: false,
            gates: gates(
                catalogue,
                rule.art6,
                rule.art9,
                Some(rule.statute.as_str()),
                rule.confidentiality_exception.as_str(),
                rule.confidentiality_statute.as_deref(),
                false,
                !rule.requires.is_empty(),
            )?,
            condition: (!condition.is_empty()).then(|| condition.join(" / ")),
        });
    }
    for code in &entry.categories {
        add(code);
    }
    let cats = categories(catalogue, &codes)?;
    let consent_cats = categories(catalogue, &entry.categories)?;
    for code in &entry.consent_recipients {
        let art9_ = purpose.art9.or_else(|| {
            consent_cats
                .iter()
                .any(|c| c.special)
                .then_some(consent_core::Art9::A)
        });
        shares.push(NoticeDisclosure {
            recipient: recipient_name(catalogue, code)?,
            categories: consent_cats.clone(),
            by_consent: true,
            gates: gates(
                catalogue,
                purpose_art6(&purpose)?,
                art9_,
                purpose.statute.as_deref(),
                purpose.consent_exception.as_str(),
                catalogue
                    .exception(purpose.consent_exception.as_str())
                    .and_then(|e| e.statute.as_deref()),
                true,
                false,
            )?,
            condition: None,
        });
    }
    Ok((purpose, cats, shares))
}

fn retention(purpose: &consent_core::Purpose) -> Result<Retention> {
    match purpose.retention {
        Some(consent_core::Retention::Years(years)) => Ok(Retention {
            years: Some(years),
            text: None,
            archival_duty: false,
        }),
        // Kept for good: the records are archival material (arkivlova).
        Some(consent_core::Retention::Permanent) => Ok(Retention {
            years: None,
            text: None,
            archival_duty: true,
        }),
        _ => Err(Error::model(
            "catalogue.purpose.retention_years",
            format!(
                "the catalogue states no retention for purpose `{}`",
                purpose.code.as_str()
            ),
        )),
    }
}

/// A purpose's Art. 6(1) basis: the catalogue's, or (a) when consent is its basis (the
/// catalogue then names none).
fn purpose_art6(purpose: &consent_core::Purpose) -> Result<consent_core::Art6> {
    match (purpose.art6, purpose.consent_role) {
        (Some(art6), _) => Ok(art6),
        (None, consent_core::ConsentRole::Basis) => Ok(consent_core::Art6::A),
        (None, _) => Err(Error::model(
            "catalogue.purpose.art6",
            format!("purpose `{}` names no basis", purpose.code.as_str()),
        )),
    }
}

fn purpose_gdpr(catalogue: &Catalogue, purpose: &consent_core::Purpose) -> Result<GdprGate> {
    Ok(GdprGate {
        art6: art6(purpose_art6(purpose)?)?,
        art9: purpose.art9.map(art9).transpose()?,
        statute: purpose.statute.as_deref().map(|s| statute(catalogue, s)),
    })
}

/// The privacy notice of the profile's unit, from the catalogue.
///
/// # Errors
///
/// [`ErrorKind::InvalidModel`] when the profile names what the catalogue lacks (a purpose, a
/// category, a recipient, a notice) or breaks a rule of the notice.
pub fn privacy_notice(catalogue: &Catalogue, profile: &Profile) -> Result<PrivacyNotice> {
    profile.validate(catalogue)?;
    let version = catalogue
        .current_notice_version(&profile.notice.id)
        .ok_or_else(|| {
            Error::model(
                "profile.notice.id",
                format!("the catalogue has no notice `{}`", profile.notice.id),
            )
        })?
        .to_owned();
    let mut purposes = Vec::new();
    for entry in &profile.purposes {
        let (purpose, cats, shares) = purpose_view(catalogue, entry)?;
        purposes.push(NoticePurpose {
            name: purpose.name.clone(),
            description: entry.description.clone(),
            gdpr: purpose_gdpr(catalogue, &purpose)?,
            consent: (!entry.consent_recipients.is_empty()).then_some(match purpose.consent_role {
                consent_core::ConsentRole::Basis => ConsentRole::Basis,
                _ => ConsentRole::ConfidentialityWaiver,
            }),
            categories: cats,
            disclosures: shares,
            retention: retention(&purpose)?,
        });
    }
    let notice = PrivacyNotice {
        controller: profile.controller.clone(),
        version,
        published: profile.notice.published,
        purposes,
    };
    notice.validate()?;
    Ok(notice)
}

/// The record of processing activities (Art. 30(1)) of the profile's unit, from the catalogue,
/// dated `updated`.
///
/// # Errors
///
/// [`ErrorKind::InvalidModel`] when the profile names what the catalogue lacks or breaks a rule
/// of the record (no data subjects, no security measures, no categories).
pub fn processing_record(
    catalogue: &Catalogue,
    profile: &Profile,
    updated: DateTime<Utc>,
) -> Result<ProcessingRecord> {
    profile.validate(catalogue)?;
    let mut activities = Vec::new();
    for entry in &profile.purposes {
        let (purpose, cats, shares) = purpose_view(catalogue, entry)?;
        let mut recipients: Vec<RecordRecipient> = Vec::new();
        for share in shares {
            if !recipients.iter().any(|r| r.name == share.recipient) {
                recipients.push(RecordRecipient {
                    name: share.recipient,
                    third_country: None,
                });
            }
        }
        activities.push(ProcessingActivity {
            purpose: purpose.name.clone(),
            gdpr: purpose_gdpr(catalogue, &purpose)?,
            data_subjects: entry.data_subjects.clone(),
            categories: cats,
            recipients,
            transfers: Vec::new(),
            retention: retention(&purpose)?,
            security: profile.security.clone(),
        });
    }
    let record = ProcessingRecord {
        controller: profile.controller.clone(),
        joint_controllers: Vec::new(),
        representative: None,
        updated,
        activities,
    };
    record.validate()?;
    Ok(record)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile() -> Profile {
        let text = include_str!("../../docs/examples/profile.json");
        Profile::from_json(text).unwrap()
    }

    #[test]
    fn the_notice_and_the_record_take_names_and_bases_from_the_catalogue() {
        let catalogue = Catalogue::embedded();
        let notice = privacy_notice(&catalogue, &profile()).unwrap();
        assert_eq!(notice.version, "2024-10-16");
        let nir = notice
            .purposes
            .iter()
            .find(|p| p.name == "Registrering i Nasjonalt introduksjonsregister")
            .unwrap();
        assert_eq!(nir.gdpr.art6, Art6::C);
        assert_eq!(
            nir.disclosures[0].recipient,
            "Nasjonalt introduksjonsregister (NIR)"
        );
        // Kept for good: an archival duty with neither years nor a text, and still valid.
        assert!(nir.retention.archival_duty && nir.retention.years.is_none());
        let health = notice
            .purposes
            .iter()
            .find(|p| p.name == "Koordinering med helsetjenesten")
            .unwrap();
        assert!(health.disclosures.iter().all(|d| d.by_consent));
        let updated = "2026-11-01T08:00:00Z".parse().unwrap();
        let record = processing_record(&catalogue, &profile(), updated).unwrap();
        assert_eq!(record.activities.len(), profile().purposes.len());
    }

    #[test]
    fn a_profile_naming_what_the_catalogue_lacks_is_refused_by_name() {
        let catalogue = Catalogue::embedded();
        let mut bad = profile();
        bad.purposes[0].code = "no_such_purpose".to_owned();
        let error = privacy_notice(&catalogue, &bad).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidModel);
        assert!(error.message().contains("no_such_purpose"), "{error}");
        let mut bad = profile();
        bad.notice.id = "no-such-notice".to_owned();
        let error = privacy_notice(&catalogue, &bad).unwrap_err();
        assert!(error.message().contains("no-such-notice"), "{error}");
        let mut bad = profile();
        bad.security.clear();
        let updated = "2026-11-01T08:00:00Z".parse().unwrap();
        let error = processing_record(&catalogue, &bad, updated).unwrap_err();
        assert!(error.message().contains("security"), "{error}");
    }
}
