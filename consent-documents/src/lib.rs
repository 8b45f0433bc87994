#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

mod build;
mod csv;
mod doc;
mod error;
mod html;
mod i18n;
pub mod interop;
mod keys;
mod ledger;
mod model;
mod pdf;
mod render;
mod time;
mod timeline;

pub use error::{Error, ErrorKind};
pub use i18n::{Direction, Language, Translations};
pub use ledger::{
    LetterDetails, Profile, ProfileNotice, ProfilePurpose, access_answer, privacy_notice,
    processing_record,
};
pub use model::{
    AccessAnswer, AccessContent, Art6, Art9, Category, ConfidentialityException,
    ConfidentialityGate, Consent, ConsentRole, ConsentStatus, Contact, Controller, Disclosure,
    GdprGate, Grantor, HeldRecords, LegalGates, LetterRecipient, Lookup, NationalIdForHeader,
    NoticeDisclosure, NoticePurpose, Objection, ObjectionOutcome, OrgNumber, PrivacyNotice,
    ProcessingActivity, ProcessingRecord, RecordRecipient, Refusal, Restriction, Retention,
    StatusChange, Statute, Transfer,
};
