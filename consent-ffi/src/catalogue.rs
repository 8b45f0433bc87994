//! The catalogue a ledger is under: adopting a new one as a recorded step.

#![expect(
    unsafe_code,
    reason = "C exports are `#[unsafe(no_mangle)] pub unsafe extern \"C\" fn` by contract; their bodies hold no unsafe block (a unit test checks), every pointer access goes through boundary.rs"
)]

use std::ffi::c_char;

use consent_core::{AnyActor, Catalogue, MAX_CATALOGUE_BYTES};

use crate::boundary::{check_out, string_to_ptr, try_ref, try_str, write_out};
use crate::error::{FfiError, consent_result, ffi_guard};
use crate::ledger::consent_ledger;

/// Adopts the catalogue `catalogue_toml` (its TOML text, at most 1 MiB): from now on (the
/// ledger's clock) decisions are made under it, and the ledger records its adoption, with the
/// whole text and its SHA-256, as a `catalogue_adopted` event by the actor. Decisions about
/// earlier instants keep the rules in force then. A ledger opened with a catalogue other than
/// the one in force fails with `CONFLICT`: adopt it with this call on a ledger opened without
/// `catalogue_file`.
///
/// The catalogue must keep every purpose, recipient, category, condition, exception and rule
/// code of the one in force at the same position (add codes at the end; retire them, never
/// remove them). Any actor may adopt a catalogue until the catalogue declares roles.
///
/// On success `*event_id_out` holds the adoption event's id (free it with
/// `consent_string_free`); on failure nothing is recorded.
///
/// Thread-safe.
///
/// Errors: `NULL_ARGUMENT`, `INVALID_UTF8`, `INVALID_CATALOGUE` (the text does not validate),
/// `INVALID_INPUT` (it moves or drops a code of the catalogue in force, or a malformed actor),
/// `CONFLICT` (it is the catalogue in force), `STORAGE` (a read-only ledger), `PANIC`.
///
/// # Safety
/// `ledger` is a live handle; `catalogue_toml` and `actor_json` are NUL-terminated strings;
/// `event_id_out` is valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn consent_ledger_adopt_catalogue(
    ledger: *const consent_ledger,
    catalogue_toml: *const c_char,
    actor_json: *const c_char,
    event_id_out: *mut *mut c_char,
) -> consent_result {
    ffi_guard("consent_ledger_adopt_catalogue", || {
        let handle = try_ref::<consent_ledger>(ledger, "ledger")?;
        check_out(event_id_out, "event_id_out")?;
        let text = try_str(catalogue_toml, "catalogue_toml")?;
        if text.len() > MAX_CATALOGUE_BYTES {
            return Err(FfiError::new(
                consent_result::InvalidCatalogue,
                format!("catalogue_toml is larger than {MAX_CATALOGUE_BYTES} bytes"),
            ));
        }
        let catalogue = Catalogue::from_toml(text)?;
        let actor = AnyActor::from_json(try_str(actor_json, "actor_json")?)?;
        let id = handle.ledger.adopt_catalogue(&catalogue, &actor)?;
        write_out(event_id_out, string_to_ptr(id.to_string())?)
    })
}
