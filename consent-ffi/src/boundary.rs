//! The only place that touches raw pointers: handle casts, input strings, output strings and
//! out-params.
//!
//! The helpers are crate-private safe functions whose precondition is the `# Safety` contract of
//! the exported function that calls them (the pointer is NULL or valid as documented there).
//! They are never called with pointers that did not come from C through such an export.
#![expect(
    unsafe_code,
    reason = "the C boundary: every raw pointer dereference, cast and CString transfer of the crate lives here"
)]

use std::ffi::{CStr, CString, c_char, c_void};
use std::sync::Arc;

use crate::error::FfiError;

/// A C handle type: a zero-sized struct that C sees only by pointer, and the Rust value behind
/// it. How the value is owned is the [`Ownership`] of the handle.
pub(crate) trait Castable {
    /// How the Rust value is owned: [`OwnedBox`] (one owner) or [`OwnedArc`] (shared, frozen).
    type Ownership;
    /// The Rust value behind the handle.
    type RustType;
}

/// The handle owns its value through a `Box`: one owner, freed once.
pub(crate) struct OwnedBox;

/// The handle owns its value through an `Arc`: frozen, may be shared across threads.
pub(crate) struct OwnedArc;

/// Moves a value to the heap and returns the handle pointer for it (Box ownership).
pub(crate) fn box_to_ptr<C: Castable<Ownership = OwnedBox>>(value: C::RustType) -> *mut C {
    Box::into_raw(Box::new(value)).cast::<C>()
}

/// Moves a value into an `Arc` and returns the handle pointer for it (Arc ownership).
pub(crate) fn arc_to_ptr<C: Castable<Ownership = OwnedArc>>(value: C::RustType) -> *const C {
    Arc::into_raw(Arc::new(value)).cast::<C>()
}

/// Frees a Box-owned handle; NULL is a no-op.
///
/// Precondition: `ptr` is NULL or came from [`box_to_ptr`] for the same `C` and was not freed.
pub(crate) fn free_box<C: Castable<Ownership = OwnedBox>>(ptr: *mut C) {
    if ptr.is_null() {
        return;
    }
    // SAFETY: the caller's contract: `ptr` came from `Box::into_raw` of a `C::RustType`.
    drop(unsafe { Box::from_raw(ptr.cast::<C::RustType>()) });
}

/// Releases an Arc-owned handle; NULL is a no-op.
///
/// Precondition: `ptr` is NULL or came from [`arc_to_ptr`] for the same `C` and was not freed.
pub(crate) fn free_arc<C: Castable<Ownership = OwnedArc>>(ptr: *const C) {
    if ptr.is_null() {
        return;
    }
    // SAFETY: the caller's contract: `ptr` came from `Arc::into_raw` of a `C::RustType`.
    drop(unsafe { Arc::from_raw(ptr.cast::<C::RustType>()) });
}

/// Borrows the value behind a handle, or `NULL_ARGUMENT` naming the parameter.
///
/// Precondition: `ptr` is NULL or a live handle of type `C` that outlives `'a`.
pub(crate) fn try_ref<'a, C: Castable>(
    ptr: *const C,
    name: &'static str,
) -> Result<&'a C::RustType, FfiError> {
    // SAFETY: the caller's contract: `ptr` is NULL or points to a live `C::RustType`.
    unsafe { ptr.cast::<C::RustType>().as_ref() }.ok_or_else(|| FfiError::null(name))
}

/// Borrows the value behind a handle, or `None` for NULL (infallible getters).
///
/// Precondition: as [`try_ref`].
pub(crate) fn opt_ref<'a, C: Castable>(ptr: *const C) -> Option<&'a C::RustType> {
    // SAFETY: the caller's contract: `ptr` is NULL or points to a live `C::RustType`.
    unsafe { ptr.cast::<C::RustType>().as_ref() }
}

/// Reads a NUL-terminated UTF-8 input string: `NULL_ARGUMENT` for NULL, `INVALID_UTF8` when the
/// bytes are not UTF-8.
///
/// Precondition: `ptr` is NULL or points to a NUL-terminated string that outlives `'a`.
pub(crate) fn try_str<'a>(ptr: *const c_char, name: &'static str) -> Result<&'a str, FfiError> {
    if ptr.is_null() {
        return Err(FfiError::null(name));
    }
    // SAFETY: the caller's contract: a valid NUL-terminated string.
    let bytes = unsafe { CStr::from_ptr(ptr) };
    utf8(bytes).ok_or_else(|| FfiError::utf8(name))
}

/// The text of a C string, or `None` when it is not UTF-8.
///
/// Codes and national ids are ASCII: a word-at-a-time ASCII check settles them, and only other
/// text takes the full UTF-8 validation (which costs several times as much on short strings).
fn utf8(text: &CStr) -> Option<&str> {
    let bytes = text.to_bytes();
    if bytes.is_ascii() {
        // SAFETY: every ASCII byte sequence is valid UTF-8.
        Some(unsafe { std::str::from_utf8_unchecked(bytes) })
    } else {
        std::str::from_utf8(bytes).ok()
    }
}

/// As [`try_str`], but NULL is `None` (optional inputs).
///
/// Precondition: as [`try_str`].
pub(crate) fn try_opt_str<'a>(
    ptr: *const c_char,
    name: &'static str,
) -> Result<Option<&'a str>, FfiError> {
    if ptr.is_null() {
        Ok(None)
    } else {
        try_str(ptr, name).map(Some)
    }
}

/// Reads an array of `len` NUL-terminated UTF-8 strings. The array may be NULL only when `len`
/// is 0. Arrays longer than `max` are rejected before any element is read.
///
/// Precondition: `ptr` is NULL or points to `len` readable `const char *`, each NULL or a valid
/// NUL-terminated string that outlives `'a`.
pub(crate) fn try_str_array<'a>(
    ptr: *const *const c_char,
    len: usize,
    name: &'static str,
    max: usize,
) -> Result<StrArray<'a>, FfiError> {
    if len == 0 {
        return Ok(StrArray::Inline {
            items: [""; INLINE_ITEMS],
            len: 0,
        });
    }
    if ptr.is_null() {
        return Err(FfiError::null(name));
    }
    if len > max {
        return Err(FfiError::invalid(format!(
            "`{name}` has {len} entries, more than the {max} a catalogue can hold"
        )));
    }
    // SAFETY: the caller's contract: `len` readable, aligned pointers.
    let items = unsafe { std::slice::from_raw_parts(ptr, len) };
    let read = |(index, item): (usize, &*const c_char)| -> Result<&'a str, FfiError> {
        if item.is_null() {
            return Err(FfiError::null_item(name, index));
        }
        // SAFETY: the caller's contract: each non-NULL element is a valid C string.
        let text = unsafe { CStr::from_ptr(*item) };
        utf8(text).ok_or_else(|| FfiError::utf8_item(name, index))
    };
    if len > INLINE_ITEMS {
        return items
            .iter()
            .enumerate()
            .map(read)
            .collect::<Result<Vec<_>, _>>()
            .map(StrArray::Heap);
    }
    let mut out = [""; INLINE_ITEMS];
    for (slot, item) in out.iter_mut().zip(items.iter().enumerate()) {
        *slot = read(item)?;
    }
    Ok(StrArray::Inline { items: out, len })
}

/// How many entries a string array holds on the stack. A request names a few categories; a
/// longer array (up to the catalogue's 64 codes) goes to the heap. The array is small so that
/// building and moving it costs next to nothing on the decide path.
const INLINE_ITEMS: usize = 8;

/// Borrowed strings from a C array: on the stack for the usual few (the decide path allocates
/// nothing for its arguments), on the heap beyond that.
#[derive(Debug)]
pub(crate) enum StrArray<'a> {
    /// At most [`INLINE_ITEMS`] strings; `len` of them are used.
    Inline {
        items: [&'a str; INLINE_ITEMS],
        len: usize,
    },
    /// More than [`INLINE_ITEMS`] strings.
    Heap(Vec<&'a str>),
}

impl<'a> StrArray<'a> {
    /// The strings, in order.
    pub(crate) fn as_slice(&self) -> &[&'a str] {
        match self {
            // `len <= N`: `try_str_array` fills at most `N` places of an inline array.
            StrArray::Inline { items, len } => items.split_at(*len).0,
            StrArray::Heap(items) => items,
        }
    }
}

/// Checks that an out-param is not NULL, before any work is done.
pub(crate) fn check_out<T>(ptr: *mut T, name: &'static str) -> Result<(), FfiError> {
    if ptr.is_null() {
        Err(FfiError::null(name))
    } else {
        Ok(())
    }
}

/// Writes an out-param (only ever called on success).
///
/// Precondition: `ptr` was checked with [`check_out`] and is valid for a write of `T`.
pub(crate) fn write_out<T>(ptr: *mut T, value: T) -> Result<(), FfiError> {
    check_out(ptr, "out")?;
    // SAFETY: the caller's contract: a valid, aligned, writable `T`.
    unsafe { ptr.write(value) };
    Ok(())
}

/// Turns a Rust string into a library-allocated C string, freed by `consent_string_free`.
pub(crate) fn string_to_ptr(text: String) -> Result<*mut c_char, FfiError> {
    CString::new(text)
        .map(CString::into_raw)
        .map_err(|_| FfiError::invalid("the output contains a NUL byte"))
}

/// The callback of `consent_ledger_events`: gets each event's JSON (valid only during the call)
/// and the caller's `user_data`; returns true to go on, false to stop.
#[expect(
    non_camel_case_types,
    reason = "the C type name is part of the contract"
)]
pub type consent_event_callback =
    Option<unsafe extern "C" fn(event_json: *const c_char, user_data: *mut c_void) -> bool>;

/// Calls a C event callback with a string that lives for the call; `Ok(false)` when it asks to
/// stop, `NULL_ARGUMENT` when there is no callback.
///
/// Precondition: `callback` is NULL or a function with the documented signature, and
/// `user_data` is whatever that function expects.
pub(crate) fn call_event_callback(
    callback: consent_event_callback,
    json: String,
    user_data: *mut c_void,
) -> Result<bool, FfiError> {
    let callback = callback.ok_or_else(|| FfiError::null("callback"))?;
    let text = CString::new(json).map_err(|_| FfiError::invalid("an event contains a NUL byte"))?;
    // SAFETY: the caller's contract: a C function of this signature; the string outlives the call.
    Ok(unsafe { callback(text.as_ptr(), user_data) })
}

/// Frees a string from [`string_to_ptr`]; NULL is a no-op.
///
/// Precondition: `ptr` is NULL or came from [`string_to_ptr`] and was not freed.
pub(crate) fn free_string(ptr: *mut c_char) {
    if ptr.is_null() {
        return;
    }
    // SAFETY: the caller's contract: `ptr` came from `CString::into_raw`.
    drop(unsafe { CString::from_raw(ptr) });
}

/// Copies `text` into a caller's buffer of `len` bytes, truncated at a UTF-8 character boundary
/// and always NUL-terminated when `len > 0`. Returns the full length of `text` in bytes.
///
/// Precondition: `buf` is NULL or valid for writes of `len` bytes.
pub(crate) fn copy_to_buffer(text: &str, buf: *mut c_char, len: usize) -> usize {
    if buf.is_null() || len == 0 {
        return text.len();
    }
    let mut end = text.len().min(len - 1);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    // `end <= text.len()`, so the split keeps exactly `end` bytes.
    let (bytes, _) = text.as_bytes().split_at(end);
    // SAFETY: the caller's contract: `buf` has room for `len` bytes; `bytes.len() == end < len`.
    unsafe {
        std::ptr::copy_nonoverlapping(bytes.as_ptr(), buf.cast::<u8>(), bytes.len());
        buf.add(bytes.len()).write(0);
    }
    text.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_truncates_on_a_char_boundary_and_terminates() {
        let mut buf = [1 as c_char; 4];
        let full = copy_to_buffer("aøb", buf.as_mut_ptr(), buf.len());
        assert_eq!(full, 4);
        // "aø" is 3 bytes and fits with the NUL.
        assert_eq!(buf[3], 0);
        let mut small = [1 as c_char; 3];
        copy_to_buffer("aøb", small.as_mut_ptr(), small.len());
        // "aø" does not fit in 2 bytes, so only "a" is copied.
        assert_eq!(small[1], 0);
        assert_eq!(copy_to_buffer("abc", std::ptr::null_mut(), 10), 3);
    }

    #[test]
    fn string_arrays_report_the_bad_index() {
        let good = c"name";
        let items = [good.as_ptr(), std::ptr::null()];
        let err = try_str_array(items.as_ptr(), 2, "categories", 64).unwrap_err();
        assert!(err.message().contains("categories[1]"));
        assert!(
            try_str_array(std::ptr::null(), 0, "categories", 64)
                .unwrap()
                .as_slice()
                .is_empty()
        );
    }

    #[test]
    fn string_arrays_past_the_inline_size_keep_every_entry() {
        let texts: Vec<std::ffi::CString> = (0..20)
            .map(|i| std::ffi::CString::new(format!("c{i}")).unwrap())
            .collect();
        let ptrs: Vec<*const c_char> = texts.iter().map(|t| t.as_ptr()).collect();
        for len in [1, INLINE_ITEMS, INLINE_ITEMS + 1, 20] {
            let array = try_str_array(ptrs.as_ptr(), len, "categories", 64).unwrap();
            let expected: Vec<String> = (0..len).map(|i| format!("c{i}")).collect();
            assert_eq!(array.as_slice(), expected.as_slice());
        }
        let err = try_str_array(ptrs.as_ptr(), 20, "categories", 19).unwrap_err();
        assert!(err.message().contains("20 entries"), "{}", err.message());
        let mut with_null = ptrs.clone();
        with_null[INLINE_ITEMS + 2] = std::ptr::null();
        let err = try_str_array(with_null.as_ptr(), 20, "categories", 64).unwrap_err();
        assert!(
            err.message().contains("categories[10]"),
            "{}",
            err.message()
        );
    }

    #[test]
    fn text_is_checked_as_utf8_beyond_ascii() {
        let ascii = c"nir_registration";
        let norwegian = c"bl\u{e5}b\u{e6}r";
        let invalid: &[u8] = b"ab\xff\0";
        let invalid = CStr::from_bytes_with_nul(invalid).unwrap();
        let truncated: &[u8] = b"\xc3\0"; // the first byte of a two-byte character
        let truncated = CStr::from_bytes_with_nul(truncated).unwrap();
        assert_eq!(try_str(ascii.as_ptr(), "x").unwrap(), "nir_registration");
        assert_eq!(
            try_str(norwegian.as_ptr(), "x").unwrap(),
            "bl\u{e5}b\u{e6}r"
        );
        for bad in [invalid, truncated] {
            let err = try_str(bad.as_ptr(), "purpose").unwrap_err();
            assert_eq!(err, FfiError::utf8("purpose"));
            let items = [ascii.as_ptr(), bad.as_ptr()];
            let err = try_str_array(items.as_ptr(), 2, "categories", 64).unwrap_err();
            assert_eq!(err, FfiError::utf8_item("categories", 1));
        }
    }
}
