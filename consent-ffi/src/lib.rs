#![doc = include_str!("../README.md")]

mod accountability;
mod boundary;
mod casework;
mod catalogue;
mod decision;
mod error;
mod law;
mod ledger;
mod misc;
mod request;
mod restrict;
mod rights;

pub use accountability::consent_ledger_deviations;
pub use boundary::consent_event_callback;
pub use casework::{
    consent_ledger_notifications_due, consent_ledger_record_identity_succession,
    consent_ledger_record_notification,
};
pub use catalogue::consent_ledger_adopt_catalogue;
pub use decision::{
    consent_decision, consent_decision_free, consent_decision_permitted, consent_decision_to_json,
};
pub use error::consent_result;
pub use law::{
    consent_ledger_decide_asserted, consent_ledger_grant_historical,
    consent_ledger_record_disclosure_asserted, consent_ledger_set_clock,
};
pub use ledger::{
    consent_ledger, consent_ledger_decide, consent_ledger_event_count, consent_ledger_events,
    consent_ledger_free, consent_ledger_grant, consent_ledger_open, consent_ledger_permits,
    consent_ledger_pseudonym, consent_ledger_record_disclosure, consent_ledger_refuse,
    consent_ledger_verify, consent_ledger_withdraw,
};
pub use misc::{
    consent_last_error_message, consent_result_str, consent_string_free, consent_version,
};
pub use request::{
    consent_request, consent_request_decide, consent_request_free, consent_request_permits,
    consent_request_prepare, consent_request_prepare_asserted,
};
pub use restrict::{
    consent_ledger_erasure_due, consent_ledger_execute_kassasjon, consent_ledger_lift_restriction,
    consent_ledger_object, consent_ledger_resolve_objection, consent_ledger_restrict,
};
pub use rights::{
    consent_ledger_reconsent_due, consent_ledger_rectify, consent_ledger_register_access_request,
    consent_ledger_request_erasure, consent_ledger_statistics, consent_ledger_statistics_as,
    consent_ledger_subject_export,
};

/// The version of this crate, as compiled.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// What `consent_version` reports: this crate's and the core's versions.
pub fn version_string() -> String {
    format!(
        "consent-ffi {VERSION} (consent-core {})",
        consent_core::VERSION
    )
}
