//! Strings, errors and versions: `consent_string_free`, `consent_last_error_message`,
//! `consent_result_str`, `consent_version`.
#![expect(
    unsafe_code,
    reason = "C exports are `#[unsafe(no_mangle)] pub unsafe extern \"C\" fn` by contract; their bodies hold no unsafe block (a unit test checks), every pointer access goes through boundary.rs"
)]

use std::ffi::{CStr, c_char};

use crate::boundary::{copy_to_buffer, free_string};
use crate::error::{consent_result, ffi_guard_or, with_last_error};

/// Frees a string the library allocated (grant ids, JSON documents). NULL is a no-op; freeing
/// a string twice, or freeing a string the library did not allocate, is undefined behaviour.
///
/// # Safety
/// `s` is NULL or a string from this library's `char **` out-params that has not been freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn consent_string_free(s: *mut c_char) {
    ffi_guard_or((), || free_string(s));
}

/// Copies the calling thread's last error message into `buf` (at most `len` bytes including the
/// terminating NUL, cut at a UTF-8 character boundary) and returns the message's full length in
/// bytes, without the NUL. When the return value is `len` or more, the message was cut: retry
/// with a buffer of at least the return value plus one.
///
/// `buf` may be NULL (or `len` 0) to ask only for the length. The message is empty after a
/// successful call. Every fallible function clears it on entry and sets it when it fails; it is
/// per thread, so it is safe to read while other threads use the library. It never contains a
/// national id.
///
/// # Safety
/// `buf` is NULL or valid for writing `len` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn consent_last_error_message(buf: *mut c_char, len: usize) -> usize {
    ffi_guard_or(0, || {
        with_last_error(|message| copy_to_buffer(message, buf, len))
    })
}

/// The stable name of a result code (`"ok"`, `"invalid_input"`, `"null_argument"`, …), or
/// `"unknown"` for a value that is not a `consent_result`. The string is static: do not free it.
///
/// # Safety
/// Always safe to call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn consent_result_str(result: u32) -> *const c_char {
    ffi_guard_or(c"unknown".as_ptr(), || {
        consent_result::from_u32(result).map_or(c"unknown".as_ptr(), |r| r.name().as_ptr())
    })
}

/// The pieces of the `consent_version` string, NUL included.
const VERSION_PARTS: [&str; 5] = [
    "consent-ffi ",
    crate::VERSION,
    " (consent-core ",
    consent_core::VERSION,
    ")\0",
];

#[expect(
    clippy::indexing_slicing,
    reason = "compile-time evaluation: a bad index fails the build, never a call"
)]
const VERSION_LEN: usize = {
    let mut total = 0;
    let mut part = 0;
    while part < VERSION_PARTS.len() {
        total += VERSION_PARTS[part].len();
        part += 1;
    }
    total
};

/// The `consent_version` string, assembled at compile time so that it is static data rather
/// than a lazily allocated value (which valgrind would report as still reachable).
#[expect(
    clippy::indexing_slicing,
    reason = "compile-time evaluation: a bad index fails the build, never a call"
)]
const VERSION_BYTES: [u8; VERSION_LEN] = {
    let mut out = [0u8; VERSION_LEN];
    let mut at = 0;
    let mut part = 0;
    while part < VERSION_PARTS.len() {
        let bytes = VERSION_PARTS[part].as_bytes();
        let mut index = 0;
        while index < bytes.len() {
            out[at] = bytes[index];
            at += 1;
            index += 1;
        }
        part += 1;
    }
    out
};

static VERSION_CSTR: &CStr = match CStr::from_bytes_with_nul(&VERSION_BYTES) {
    Ok(text) => text,
    Err(_) => c"consent-ffi",
};

/// The library's versions, `"consent-ffi 0.2.0 (consent-core 0.2.0)"`. The string is static:
/// do not free it. The header's `CONSENT_VERSION` macros give the version compiled against.
///
/// # Safety
/// Always safe to call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn consent_version() -> *const c_char {
    VERSION_CSTR.as_ptr()
}

#[cfg(test)]
mod tests {
    #[test]
    fn version_string_is_the_static_one() {
        assert_eq!(
            super::VERSION_CSTR.to_str().unwrap(),
            crate::version_string()
        );
    }
}
