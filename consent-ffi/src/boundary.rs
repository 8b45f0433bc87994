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

use std::ffi::{CStr, CString, c_char};
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
    bytes.to_str().map_err(|_| FfiError::utf8(name))
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
    let mut out = StrArray {
        items: [""; MAX_ITEMS],
        len: 0,
    };
    if len == 0 {
        return Ok(out);
    }
    if ptr.is_null() {
        return Err(FfiError::null(name));
    }
    if len > max.min(MAX_ITEMS) {
        return Err(FfiError::invalid(format!(
            "`{name}` has {len} entries, more than the {max} a catalogue can hold"
        )));
    }
    // SAFETY: the caller's contract: `len` readable, aligned pointers.
    let items = unsafe { std::slice::from_raw_parts(ptr, len) };
    for (index, (slot, item)) in out.items.iter_mut().zip(items).enumerate() {
        if item.is_null() {
            return Err(FfiError::null_item(name, index));
        }
        // SAFETY: the caller's contract: each non-NULL element is a valid C string.
        let text = unsafe { CStr::from_ptr(*item) };
        *slot = text
            .to_str()
            .map_err(|_| FfiError::utf8_item(name, index))?;
        out.len = index + 1;
    }
    Ok(out)
}

/// The most entries a string array may have (a catalogue's codes of one kind).
const MAX_ITEMS: usize = 64;

/// Borrowed strings from a C array, held on the stack (the decide path allocates nothing for
/// its arguments).
#[derive(Debug)]
pub(crate) struct StrArray<'a> {
    items: [&'a str; MAX_ITEMS],
    len: usize,
}

impl<'a> StrArray<'a> {
    /// The strings, in order.
    pub(crate) fn as_slice(&self) -> &[&'a str] {
        self.items.get(..self.len).unwrap_or_default()
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
    let bytes = text.as_bytes().get(..end).unwrap_or_default();
    // SAFETY: the caller's contract: `buf` has room for `len` bytes; `end < len`.
    unsafe {
        std::ptr::copy_nonoverlapping(bytes.as_ptr(), buf.cast::<u8>(), end);
        buf.add(end).write(0);
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
}
