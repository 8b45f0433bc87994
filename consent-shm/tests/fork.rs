//! The fork guard in a real `fork()`: the child notices, the parent does not.
#![expect(
    unsafe_code,
    reason = "fork(), waitpid() and _exit(): a forked child is what the guard must notice"
)]
#![deny(clippy::undocumented_unsafe_blocks)]

use consent_shm::{ForkGuard, fork_generation};

/// Forks; the child runs `child` and exits with its code through `_exit`. Returns the child's
/// exit code.
fn in_child(child: impl FnOnce() -> i32) -> i32 {
    // SAFETY: the test binary may have other threads; the child only runs `child`, which does
    // async-signal-safe work (atomic loads, a fork, waitpid), then `_exit`, which runs no
    // destructors or atexit handlers that could touch state owned by the other threads.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        let code = child();
        // SAFETY: see above; `_exit` never returns.
        unsafe { libc::_exit(code) };
    }
    wait(pid)
}

fn wait(pid: libc::pid_t) -> i32 {
    let mut status = 0;
    // SAFETY: `pid` is a child of this process and `status` a valid, writable int.
    let waited = unsafe { libc::waitpid(pid, &mut status, 0) };
    if waited != pid || !libc::WIFEXITED(status) {
        return -1;
    }
    libc::WEXITSTATUS(status)
}

#[test]
fn a_forked_child_notices_and_the_parent_does_not() {
    let guard = ForkGuard::new().expect("guard");
    let before = fork_generation();
    assert!(!guard.is_forked());
    let code = in_child(|| {
        if !guard.is_forked() {
            return 10;
        }
        if fork_generation() != before + 1 {
            return 11;
        }
        // A guard made in the child belongs to the child.
        let Ok(own) = ForkGuard::new() else { return 12 };
        if own.is_forked() {
            return 13;
        }
        // A grandchild sees both guards as forked, and two generations.
        let grandchild = in_child(|| {
            if !guard.is_forked() || !own.is_forked() {
                return 20;
            }
            if fork_generation() != before + 2 {
                return 21;
            }
            0
        });
        if grandchild != 0 {
            return grandchild;
        }
        if own.is_forked() {
            return 14;
        }
        0
    });
    assert_eq!(code, 0, "the child reported failure code {code}");
    assert!(!guard.is_forked(), "the parent is not a child");
    assert_eq!(
        fork_generation(),
        before,
        "the parent's generation is unchanged"
    );
}
