//! The shared head file: creation, the checks on opening, and the counter shared by threads and
//! by processes.
#![expect(
    clippy::expect_used,
    reason = "test helpers fail the test on bad fixtures"
)]

use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use consent_shm::{Access, ErrorKind, FILE_LEN, SharedHead};

const ID: [u8; 16] = *b"ledger-identity1";

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .expect("metadata")
        .permissions()
        .mode()
        & 0o777
}

fn open_kind(path: &Path, identity: [u8; 16]) -> ErrorKind {
    SharedHead::open(path, identity, Access::Owner)
        .expect_err("the file must be refused")
        .kind()
}

/// A valid head file's bytes with one field changed.
fn write_variant(path: &Path, change: impl FnOnce(&mut Vec<u8>)) {
    let dir = tempfile::tempdir().expect("temp dir");
    let good = dir.path().join("good");
    drop(SharedHead::open(&good, ID, Access::Owner).expect("create"));
    let mut bytes = std::fs::read(&good).expect("read");
    change(&mut bytes);
    std::fs::write(path, &bytes).expect("write");
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
}

/// Waits until `done` holds, for at most ten seconds.
#[track_caller]
fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
}

#[test]
fn a_new_file_has_the_mode_asked_for_and_starts_at_zero() {
    let dir = tempfile::tempdir().expect("temp dir");
    for (access, expected) in [(Access::Owner, 0o600), (Access::OwnerAndGroup, 0o660)] {
        let path = dir.path().join(format!("{expected:o}.head"));
        let head = SharedHead::open(&path, ID, access).expect("create");
        assert_eq!(mode(&path), expected);
        assert_eq!(
            std::fs::metadata(&path).expect("metadata").len(),
            FILE_LEN as u64
        );
        assert_eq!(head.load(), 0);
        assert_eq!(head.identity(), ID);
        assert_eq!(head.path(), path);
    }
    // No temporary file is left beside them.
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .expect("read dir")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
}

#[test]
fn advance_never_lowers_the_counter_and_reports_the_value_before() {
    let dir = tempfile::tempdir().expect("temp dir");
    let head = SharedHead::open(dir.path().join("h"), ID, Access::Owner).expect("create");
    assert_eq!(head.advance(10), 0);
    assert_eq!(head.advance(7), 10);
    assert_eq!(head.load(), 10);
    assert_eq!(head.advance(11), 10);
    assert_eq!(head.load(), 11);
}

#[test]
fn two_openings_share_one_counter_and_it_survives_closing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("h");
    let a = SharedHead::open(&path, ID, Access::Owner).expect("create");
    let b = SharedHead::open(&path, ID, Access::Owner).expect("open");
    a.advance(5);
    assert_eq!(b.load(), 5);
    b.advance(9);
    assert_eq!(a.load(), 9);
    drop((a, b));
    assert_eq!(
        SharedHead::open(&path, ID, Access::Owner)
            .expect("reopen")
            .load(),
        9
    );
}

#[test]
fn a_symlink_is_refused_even_to_a_valid_head_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let real = dir.path().join("real");
    drop(SharedHead::open(&real, ID, Access::Owner).expect("create"));
    let link = dir.path().join("link");
    symlink(&real, &link).expect("symlink");
    assert_eq!(open_kind(&link, ID), ErrorKind::Symlink);
    // A dangling link is refused too, not followed to create a file elsewhere.
    let dangling = dir.path().join("dangling");
    symlink(dir.path().join("nowhere"), &dangling).expect("symlink");
    assert_eq!(open_kind(&dangling, ID), ErrorKind::Symlink);
    assert!(!dir.path().join("nowhere").exists());
}

#[test]
fn directories_devices_and_fifos_are_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let sub = dir.path().join("sub");
    std::fs::create_dir(&sub).expect("mkdir");
    assert_eq!(open_kind(&sub, ID), ErrorKind::NotRegularFile);
    assert_eq!(
        open_kind(Path::new("/dev/null"), ID),
        ErrorKind::NotRegularFile
    );
    let fifo = dir.path().join("fifo");
    let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(made.success());
    assert_eq!(open_kind(&fifo, ID), ErrorKind::NotRegularFile);
}

#[test]
fn files_of_the_wrong_size_magic_version_or_identity_are_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = |name: &str| dir.path().join(name);

    std::fs::write(path("empty"), b"").expect("write");
    std::fs::set_permissions(path("empty"), std::fs::Permissions::from_mode(0o600)).expect("chmod");
    assert_eq!(open_kind(&path("empty"), ID), ErrorKind::WrongSize);
    write_variant(&path("short"), |b| b.truncate(FILE_LEN - 1));
    assert_eq!(open_kind(&path("short"), ID), ErrorKind::WrongSize);
    write_variant(&path("long"), |b| b.push(0));
    assert_eq!(open_kind(&path("long"), ID), ErrorKind::WrongSize);
    write_variant(&path("magic"), |b| b[0] = b'X');
    assert_eq!(open_kind(&path("magic"), ID), ErrorKind::WrongMagic);
    write_variant(&path("version"), |b| b[8] = 2);
    assert_eq!(
        open_kind(&path("version"), ID),
        ErrorKind::UnsupportedVersion
    );
    write_variant(&path("identity"), |_| {});
    let other = *b"another-ledger-1";
    let error = SharedHead::open(path("identity"), other, Access::Owner).expect_err("refused");
    assert_eq!(error.kind(), ErrorKind::WrongIdentity);
    assert!(error.message().contains("another ledger"), "{error}");
    // The refused files are left as they were.
    assert_eq!(std::fs::metadata(path("empty")).expect("metadata").len(), 0);
}

#[test]
fn a_file_other_users_can_access_is_refused_but_group_access_is_not() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("h");
    drop(SharedHead::open(&path, ID, Access::OwnerAndGroup).expect("create"));
    for others in [0o604, 0o602, 0o601, 0o666] {
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(others)).expect("chmod");
        assert_eq!(
            open_kind(&path, ID),
            ErrorKind::Permissions,
            "mode {others:o}"
        );
    }
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o660)).expect("chmod");
    assert!(SharedHead::open(&path, ID, Access::Owner).is_ok());
}

#[test]
fn a_deleted_or_replaced_file_is_no_longer_current() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("h");
    let old = SharedHead::open(&path, ID, Access::Owner).expect("create");
    assert!(old.is_current().expect("stat"));
    std::fs::remove_file(&path).expect("remove");
    assert!(!old.is_current().expect("stat"));
    let new = SharedHead::open(&path, ID, Access::Owner).expect("recreate");
    assert!(new.is_current().expect("stat"));
    assert!(!old.is_current().expect("stat"));
    new.advance(3);
    assert_eq!(old.load(), 0, "the old mapping is a different file");
}

#[test]
fn threads_creating_the_file_at_once_all_map_the_same_file() {
    for round in 0..20 {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = Arc::new(dir.path().join(format!("race-{round}")));
        let barrier = Arc::new(Barrier::new(8));
        let heads: Vec<SharedHead> = (0..8)
            .map(|_| {
                let (path, barrier) = (Arc::clone(&path), Arc::clone(&barrier));
                std::thread::spawn(move || {
                    barrier.wait();
                    SharedHead::open(path.as_path(), ID, Access::Owner)
                })
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|t| t.join().expect("thread").expect("open"))
            .collect();
        heads[3].advance(round + 1);
        assert!(heads.iter().all(|h| h.load() == round + 1));
        let entries = std::fs::read_dir(dir.path()).expect("read dir").count();
        assert_eq!(entries, 1, "no temporary file is left");
    }
}

#[test]
fn concurrent_fetch_max_from_threads_never_loses_the_maximum() {
    let dir = tempfile::tempdir().expect("temp dir");
    let head = Arc::new(SharedHead::open(dir.path().join("h"), ID, Access::Owner).expect("create"));
    let stop = Arc::new(AtomicBool::new(false));
    // A watcher: the counter it sees never goes down.
    let watcher = {
        let (head, stop) = (Arc::clone(&head), Arc::clone(&stop));
        std::thread::spawn(move || {
            let mut last = 0;
            while !stop.load(Ordering::Relaxed) {
                let now = head.load();
                assert!(now >= last, "the counter went back from {last} to {now}");
                last = now;
            }
        })
    };
    // Eight writers advance through interleaved values in scrambled order.
    let writers: Vec<_> = (0..8u64)
        .map(|t| {
            let head = Arc::clone(&head);
            std::thread::spawn(move || {
                let mut x = t.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
                for _ in 0..100_000 {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    head.advance(x % 1_000_000);
                }
                head.advance(1_000_000 + t);
            })
        })
        .collect();
    for writer in writers {
        writer.join().expect("writer");
    }
    stop.store(true, Ordering::Relaxed);
    watcher.join().expect("watcher");
    assert_eq!(head.load(), 1_000_007);
}

// Cross-process tests: the test binary runs itself again as the child, with `--ignored --exact
// child_process` and the role in the environment.

const CHILD_PATH: &str = "CONSENT_SHM_TEST_CHILD_PATH";
const CHILD_ROLE: &str = "CONSENT_SHM_TEST_CHILD_ROLE";

fn spawn_child(path: &Path, role: &str) -> Child {
    // The child's own test harness output stays out of this one's; a failure shows it.
    Command::new(std::env::current_exe().expect("current exe"))
        .args([
            "--ignored",
            "--exact",
            "child_process",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_PATH, path)
        .env(CHILD_ROLE, role)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn child")
}

#[track_caller]
fn wait_child(child: Child) {
    let output = child.wait_with_output().expect("wait child");
    assert!(
        output.status.success(),
        "child failed: {}\n{}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Not a test: the child side of the cross-process tests, run by them in a process of its own.
/// Without their environment it does nothing.
#[test]
#[ignore = "run only as the child of the cross-process tests"]
fn child_process() {
    let (Some(path), Some(role)) = (std::env::var_os(CHILD_PATH), std::env::var(CHILD_ROLE).ok())
    else {
        return;
    };
    let head = SharedHead::open(PathBuf::from(path), ID, Access::Owner).expect("child open");
    match role.split(':').collect::<Vec<_>>().as_slice() {
        ["ping"] => {
            head.advance(1_000);
            wait_for("the parent's 2000", || head.load() >= 2_000);
            head.advance(3_000);
        }
        ["max", index, count] => {
            let index: u64 = index.parse().expect("index");
            let count: u64 = count.parse().expect("count");
            let mut last = 0;
            // Interleaved values, descending runs inside ascending ones, so that advances
            // that do not raise the counter race with ones that do.
            for step in 0..count {
                let base = step / 16 * 16;
                let value = (base + 15 - step % 16) * 4 + index;
                head.advance(value);
                let now = head.load();
                assert!(now >= last, "the counter went back from {last} to {now}");
                last = now;
            }
        }
        other => panic!("unknown child role {other:?}"),
    }
}

#[test]
fn another_process_sees_an_advance_while_both_run() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("h");
    let head = SharedHead::open(&path, ID, Access::Owner).expect("create");
    let child = spawn_child(&path, "ping");
    wait_for("the child's 1000", || head.load() >= 1_000);
    assert_eq!(head.load(), 1_000);
    head.advance(2_000);
    wait_for("the child's 3000", || head.load() >= 3_000);
    wait_child(child);
    assert_eq!(head.load(), 3_000);
}

#[test]
fn concurrent_fetch_max_from_processes_never_loses_the_maximum() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("h");
    let head = SharedHead::open(&path, ID, Access::Owner).expect("create");
    let count = 200_000u64;
    let children: Vec<Child> = (0..4)
        .map(|i| spawn_child(&path, &format!("max:{i}:{count}")))
        .collect();
    // Watch the counter while they run: it never goes down.
    let mut last = 0;
    let mut finished = Vec::new();
    let mut alive = children;
    while !alive.is_empty() {
        let now = head.load();
        assert!(now >= last, "the counter went back from {last} to {now}");
        last = now;
        let mut running = Vec::new();
        for mut child in alive {
            match child.try_wait().expect("try_wait") {
                Some(_) => finished.push(child),
                None => running.push(child),
            }
        }
        alive = running;
    }
    for child in finished {
        wait_child(child);
    }
    // The largest value any child wrote: the last run's top for child 3.
    assert_eq!(head.load(), (count - 1) * 4 + 3);
}
