//! Records other systems read, made from the ledger's subject export
//! ([`consent_core::SubjectExport`]):
//!
//! - [`fhir_bundle`]: each grant (and each refusal) as an HL7 FHIR R5 `Consent`, in a `Bundle`
//!   of type `collection` (mapping in `docs/fhir.md`);
//! - [`dpv_jsonld`]: each grant (and each refusal) as an ISO/IEC TS 27560 consent record in
//!   JSON-LD whose `@context` maps the fields to W3C DPV IRIs (mapping in `docs/dpv.md`).
//!
//! Both name the person by pseudonym. Only [`fhir_bundle`] can name them by national id, and
//! only when the host passes the id explicitly ([`FhirOptions::with_national_id`]), for a health
//! service that must match the patient.
//!
//! The project's own identifiers and codes (purposes, categories, recipients, pseudonyms) live
//! under the URN namespace [`NAMESPACE`] (`urn:consent:`), documented in `docs/fhir.md`.

use chrono::{DateTime, SecondsFormat, Utc};
use consent_core::{ConsentChange, ConsentRecord, GrantStatus};
use serde::Serialize;

use crate::error::{Error, ErrorKind};

mod dpv;
mod fhir;

pub use dpv::dpv_jsonld;
pub use fhir::{FhirOptions, fhir_bundle};

/// The URN namespace of the project's own identifier systems and codes: `urn:consent:`
/// followed by the kind (`pseudonym`, `grant`, `purpose`, `category`, `recipient`, …).
pub const NAMESPACE: &str = "urn:consent:";

/// The identifier system of a pseudonym (32 hex digits).
pub const PSEUDONYM_SYSTEM: &str = "urn:consent:pseudonym";

type Result<T> = std::result::Result<T, Error>;

fn export_error(why: impl std::fmt::Display) -> Error {
    Error::new(ErrorKind::InvalidExport, why)
}

/// A project code's system (`urn:consent:purpose`, …).
fn system(kind: &str) -> String {
    format!("{NAMESPACE}{kind}")
}

/// A project code as an IRI (`urn:consent:purpose:employment_followup`).
fn iri(kind: &str, code: &str) -> String {
    format!("{NAMESPACE}{kind}:{code}")
}

/// An instant as FHIR `dateTime`/`instant` and `xsd:dateTime` want it: RFC 3339 in UTC.
fn instant(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// The snake_case name a value serialises to (an enum of consent-core's JSON).
fn snake<T: Serialize>(value: &T, what: &str) -> Result<String> {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(name)) => Ok(name),
        Ok(other) => Err(export_error(format!("`{what}` is not a name: {other}"))),
        Err(error) => Err(export_error(format!("cannot encode `{what}`: {error}"))),
    }
}

/// From when a grant's withdrawal took effect, if it was withdrawn.
fn withdrawn_at(record: &ConsentRecord) -> Option<DateTime<Utc>> {
    record.events.iter().find_map(|event| match &event.change {
        ConsentChange::Withdrawn { effective_at, .. } => Some(*effective_at),
        _ => None,
    })
}

/// When the grant was given (the ledger's time of its `given` event).
fn given_at(record: &ConsentRecord) -> Option<DateTime<Utc>> {
    record.events.iter().find_map(|event| match &event.change {
        ConsentChange::Given => Some(event.meta.event_time),
        _ => None,
    })
}

/// A grant's state in the export, checked against the states the mappings know: a state added
/// to consent-core later is an error here, never a quiet `active`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Given,
    NotYetValid,
    Withdrawn,
    Expired,
    ReconsentRequired,
    AuthorityEnded,
    Erased,
}

impl State {
    fn of(status: GrantStatus) -> Result<State> {
        Ok(match status {
            GrantStatus::Given => State::Given,
            GrantStatus::NotYetValid => State::NotYetValid,
            GrantStatus::Withdrawn => State::Withdrawn,
            GrantStatus::Expired => State::Expired,
            GrantStatus::ReconsentRequired => State::ReconsentRequired,
            GrantStatus::AuthorityEnded => State::AuthorityEnded,
            GrantStatus::Erased => State::Erased,
            other => {
                return Err(export_error(format!(
                    "the grant state `{}` has no FHIR or DPV mapping",
                    other.as_str()
                )));
            }
        })
    }
}

/// A GDPR code of the export (`A6_1_e`, `A9_2_h`) as the term of DPV's EU GDPR extension
/// (`A6-1-e`, `A9-2-h`).
fn gdpr_term(code: &str) -> String {
    code.replace('_', "-")
}

/// The IRI namespace of DPV's EU GDPR extension.
const EU_GDPR: &str = "https://w3id.org/dpv/legal/eu/gdpr#";

#[cfg(test)]
mod tests;
