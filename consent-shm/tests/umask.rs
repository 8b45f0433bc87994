//! The mode of a new head file does not depend on the umask. Its own test binary with one test,
//! because the umask is process-wide.
#![expect(unsafe_code, reason = "umask(2) through libc")]
#![deny(clippy::undocumented_unsafe_blocks)]

use std::os::unix::fs::PermissionsExt;

use consent_shm::{Access, SharedHead};

fn set_umask(mask: libc::mode_t) -> libc::mode_t {
    // SAFETY: umask only swaps the process's file creation mask; it cannot fail.
    unsafe { libc::umask(mask) }
}

#[test]
fn the_mode_is_exact_whatever_the_umask() {
    let dir = tempfile::tempdir().expect("temp dir");
    let original = set_umask(0o077);
    let strict = SharedHead::open(dir.path().join("a"), [1; 16], Access::OwnerAndGroup);
    set_umask(0o000);
    let lax = SharedHead::open(dir.path().join("b"), [1; 16], Access::Owner);
    set_umask(original);
    drop((strict.expect("create a"), lax.expect("create b")));
    let mode = |name: &str| {
        std::fs::metadata(dir.path().join(name))
            .expect("metadata")
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode("a"), 0o660, "the umask took group access away");
    assert_eq!(mode("b"), 0o600, "the umask let others in");
}
