//! `consent doctor`: is this ledger fit to run? The key file (present, private, the user's),
//! the writer's lock and who holds it, the file format and catalogue in force, the chain head,
//! and the free disk space beside the ledger. Exit 0 when healthy, 1 with every problem
//! listed. It reads only: the ledger is opened read-only and the key is never printed.

use std::fs::File;
use std::path::{Path, PathBuf};

use consent_core::OpenMode;
use consent_core::storage::STORAGE_SCHEMA;
use serde_json::{Value, json};

use super::json_out;
use crate::context::{Context, Outcome};
use crate::error::CliError;

/// Free space below this is a problem whatever the ledger's size: SQLite needs room for its
/// WAL and checkpoints, and a backup beside the ledger needs its size again.
const MIN_FREE_BYTES: u64 = 256 << 20;

/// One finding: a check's name, whether it is healthy, and what was found.
#[derive(Debug)]
struct Finding {
    check: &'static str,
    ok: bool,
    detail: String,
}

impl Finding {
    fn ok(check: &'static str, detail: impl Into<String>) -> Self {
        Finding {
            check,
            ok: true,
            detail: detail.into(),
        }
    }

    fn problem(check: &'static str, detail: impl Into<String>) -> Self {
        Finding {
            check,
            ok: false,
            detail: detail.into(),
        }
    }
}

/// `<path><suffix>`, as the core names the files beside a ledger.
fn beside(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Bytes for people: `1.5 GiB`.
fn size(bytes: u64) -> String {
    if bytes < 1024 {
        return format!("{bytes} bytes");
    }
    // Precision beyond 2^53 bytes does not matter for one decimal.
    #[expect(clippy::cast_precision_loss, reason = "a display with one decimal")]
    let mut value = bytes as f64 / 1024.0;
    for unit in ["KiB", "MiB", "GiB"] {
        if value < 1024.0 {
            return format!("{value:.1} {unit}");
        }
        value /= 1024.0;
    }
    format!("{value:.1} TiB")
}

pub fn doctor(ctx: &Context<'_>) -> Result<Outcome, CliError> {
    let path = ctx.path();
    let mut findings = Vec::new();
    let mut facts = serde_json::Map::new();
    facts.insert("ledger".to_owned(), json!(path));
    let Ok(meta) = std::fs::metadata(path) else {
        findings.push(Finding::problem(
            "ledger",
            format!(
                "no ledger at `{}`; create one with `consent init` or pass --ledger",
                path.display()
            ),
        ));
        return finish(ctx, findings, facts);
    };
    let key_path = ctx
        .global
        .key_file
        .clone()
        .unwrap_or_else(|| beside(path, ".key"));
    findings.push(key_file(&key_path, &meta, &mut facts));
    findings.push(lock(&beside(path, ".lock"), &mut facts));
    findings.extend(ledger(ctx, &mut facts));
    findings.push(disk(path, &meta, &mut facts));
    finish(ctx, findings, facts)
}

/// The key file: present, a regular file, readable by the owner alone (0600), or by the group
/// too (0640) where the ledger is shared with the group, and owned by the user running this.
#[cfg(unix)]
fn key_file(
    key: &Path,
    ledger: &std::fs::Metadata,
    facts: &mut serde_json::Map<String, Value>,
) -> Finding {
    use std::os::unix::fs::MetadataExt;
    facts.insert("key_file".to_owned(), json!(key));
    let meta = match std::fs::symlink_metadata(key) {
        Ok(meta) => meta,
        Err(e) => {
            return Finding::problem(
                "key_file",
                format!(
                    "cannot read the key file `{}` ({e}): without it the ledger cannot be opened; restore it from its backup",
                    key.display()
                ),
            );
        }
    };
    if !meta.file_type().is_file() {
        return Finding::problem(
            "key_file",
            format!(
                "`{}` is not a regular file (a symlink or directory is refused)",
                key.display()
            ),
        );
    }
    let mode = meta.mode() & 0o777;
    let shared = ledger.mode() & 0o070 != 0;
    let me = rustix::process::getuid().as_raw();
    facts.insert("key_mode".to_owned(), json!(format!("{mode:04o}")));
    facts.insert("key_owner_uid".to_owned(), json!(meta.uid()));
    let mut problems = Vec::new();
    match mode {
        0o600 => {}
        0o640 if shared => {}
        0o640 => problems.push(
            "mode 0640 lets the group read the key, but the ledger is not shared with the group: `chmod 600`".to_owned(),
        ),
        other => problems.push(format!(
            "mode {other:04o}: the key must be readable by its owner alone (`chmod 600`), or by the group too (0640) where the ledger is shared"
        )),
    }
    if meta.uid() != me {
        problems.push(format!(
            "owned by uid {}, not by the user running this (uid {me})",
            meta.uid()
        ));
    }
    if problems.is_empty() {
        Finding::ok(
            "key_file",
            format!(
                "`{}`: mode {mode:04o}, owned by the user (uid {me})",
                key.display()
            ),
        )
    } else {
        Finding::problem(
            "key_file",
            format!("`{}`: {}", key.display(), problems.join("; ")),
        )
    }
}

#[cfg(not(unix))]
fn key_file(
    key: &Path,
    _ledger: &std::fs::Metadata,
    facts: &mut serde_json::Map<String, Value>,
) -> Finding {
    facts.insert("key_file".to_owned(), json!(key));
    match std::fs::metadata(key) {
        Ok(meta) if meta.is_file() => Finding::ok(
            "key_file",
            format!(
                "`{}` is present (permissions are not checked on this platform)",
                key.display()
            ),
        ),
        _ => Finding::problem("key_file", format!("no key file at `{}`", key.display())),
    }
}

/// The writer's lock: free, or held (by which process, where the system says). A held lock is
/// healthy (a service writes); it is reported so that a `locked` error has a name.
fn lock(lock: &Path, facts: &mut serde_json::Map<String, Value>) -> Finding {
    let file = match File::open(lock) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            facts.insert("lock".to_owned(), json!({ "held": false }));
            return Finding::ok("lock", "no process has the ledger open for writing");
        }
        Err(e) => {
            return Finding::problem(
                "lock",
                format!("cannot read the lock file `{}`: {e}", lock.display()),
            );
        }
    };
    // A shared lock conflicts only with a writer's exclusive one; it is released at once.
    match file.try_lock_shared() {
        Ok(()) => {
            drop(file);
            facts.insert("lock".to_owned(), json!({ "held": false }));
            Finding::ok("lock", "no process has the ledger open for writing")
        }
        Err(std::fs::TryLockError::WouldBlock) => {
            let holder = consent_core::storage::lock_holder(lock);
            facts.insert(
                "lock".to_owned(),
                json!({
                    "held": true,
                    "holder_pid": holder.as_ref().map(|(pid, _)| pid),
                    "holder_command": holder.as_ref().and_then(|(_, name)| name.clone()),
                }),
            );
            let who = match holder {
                Some((pid, Some(name))) => format!("process {pid} ({name})"),
                Some((pid, None)) => format!("process {pid}"),
                None => "another process".to_owned(),
            };
            Finding::ok(
                "lock",
                format!("held by {who}: it writes; other writers get `locked` until it closes"),
            )
        }
        Err(std::fs::TryLockError::Error(e)) => Finding::problem(
            "lock",
            format!("cannot test the lock file `{}`: {e}", lock.display()),
        ),
    }
}

/// What opening the ledger read-only shows: the format, the catalogue in force, the head.
fn ledger(ctx: &Context<'_>, facts: &mut serde_json::Map<String, Value>) -> Vec<Finding> {
    let options = match ctx.options() {
        Ok(options) => options.with_mode(OpenMode::ReadOnly),
        Err(e) => return vec![Finding::problem("open", e.message().to_owned())],
    };
    let ledger = match consent_core::Ledger::open(ctx.path(), options) {
        Ok(ledger) => ledger,
        Err(e) => {
            let hint = match e.code() {
                consent_core::ErrorCode::Integrity => " (inspect it with `consent verify`)",
                _ => "",
            };
            return vec![Finding::problem(
                "open",
                format!("the ledger does not open: {}{hint}", CliError::from(e)),
            )];
        }
    };
    let catalogue = ledger.catalogue().version().to_owned();
    facts.insert(
        "format".to_owned(),
        json!({ "storage_schema": STORAGE_SCHEMA, "catalogue_version": catalogue }),
    );
    let mut findings = vec![Finding::ok(
        "format",
        format!("storage schema {STORAGE_SCHEMA} (this version's), catalogue {catalogue} in force"),
    )];
    findings.push(snapshot(&ledger, facts));
    match ledger.store().head() {
        Ok(Some(head)) => {
            let hash = hex(&head.hash);
            facts.insert(
                "head".to_owned(),
                json!({ "seq": head.seq, "hash": hash, "events": ledger.event_count() }),
            );
            findings.push(Finding::ok(
                "head",
                format!(
                    "seq {}, hash {hash} ({} events)",
                    head.seq,
                    ledger.event_count()
                ),
            ));
        }
        Ok(None) => findings.push(Finding::problem(
            "head",
            "the ledger has no head anchor (inspect it with `consent verify`)",
        )),
        Err(e) => findings.push(Finding::problem(
            "head",
            format!("cannot read the head: {}", CliError::from(e)),
        )),
    }
    findings
}

/// The snapshot opening used: none (every open replays the whole log), used, or there and not
/// trusted (a problem: opens are slow, and the file was damaged, forged or left by a restore).
fn snapshot(ledger: &consent_core::Ledger, facts: &mut serde_json::Map<String, Value>) -> Finding {
    let status = ledger.snapshot_status();
    let fact = match &status {
        consent_core::SnapshotStatus::Used { seq } => json!({"status": "used", "seq": seq}),
        consent_core::SnapshotStatus::Ignored { reason } => {
            json!({"status": "ignored", "reason": reason})
        }
        _ => json!({"status": "absent"}),
    };
    facts.insert("snapshot".to_owned(), fact);
    match status {
        consent_core::SnapshotStatus::Used { seq } => Finding::ok(
            "snapshot",
            format!(
                "opening starts from the snapshot at event {seq} ({} events after it replayed)",
                ledger.event_count().saturating_sub(seq)
            ),
        ),
        consent_core::SnapshotStatus::Ignored { reason } => Finding::problem(
            "snapshot",
            format!(
                "the snapshot is not trusted ({reason}); every open replays the whole log: write a new one with `consent snapshot`"
            ),
        ),
        _ => Finding::ok(
            "snapshot",
            "none: every open replays the whole log (`consent snapshot` writes one)",
        ),
    }
}

/// Free space in the ledger's directory: at least twice the ledger (its WAL, checkpoints and a
/// backup beside it) and never below [`MIN_FREE_BYTES`].
#[cfg(unix)]
fn disk(
    path: &Path,
    meta: &std::fs::Metadata,
    facts: &mut serde_json::Map<String, Value>,
) -> Finding {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let stat = match rustix::fs::statvfs(dir) {
        Ok(stat) => stat,
        Err(e) => {
            return Finding::problem(
                "disk",
                format!("cannot read the free space of `{}`: {e}", dir.display()),
            );
        }
    };
    let free = stat.f_bavail.saturating_mul(stat.f_frsize);
    let wal = std::fs::metadata(beside(path, "-wal")).map_or(0, |m| m.len());
    let used = meta.len().saturating_add(wal);
    let needed = used.saturating_mul(2).max(MIN_FREE_BYTES);
    facts.insert(
        "disk".to_owned(),
        json!({ "directory": dir, "free_bytes": free, "ledger_bytes": used, "needed_bytes": needed }),
    );
    let detail = format!(
        "{} free in `{}` (the ledger takes {})",
        size(free),
        dir.display(),
        size(used)
    );
    if free < needed {
        Finding::problem(
            "disk",
            format!("{detail}: keep at least {} free", size(needed)),
        )
    } else {
        Finding::ok("disk", detail)
    }
}

#[cfg(not(unix))]
fn disk(
    _path: &Path,
    _meta: &std::fs::Metadata,
    _facts: &mut serde_json::Map<String, Value>,
) -> Finding {
    Finding::ok("disk", "free space is not checked on this platform")
}

fn finish(
    ctx: &Context<'_>,
    findings: Vec<Finding>,
    mut facts: serde_json::Map<String, Value>,
) -> Result<Outcome, CliError> {
    let problems = findings.iter().filter(|f| !f.ok).count();
    let stdout = if ctx.json() {
        facts.insert("healthy".to_owned(), json!(problems == 0));
        facts.insert(
            "checks".to_owned(),
            findings
                .iter()
                .map(|f| json!({ "check": f.check, "ok": f.ok, "detail": f.detail }))
                .collect(),
        );
        json_out("consent-cli-doctor/1", Value::Object(facts))?
    } else {
        let mut out = String::new();
        for f in &findings {
            out.push_str(&format!(
                "{:<8} {:<9} {}\n",
                if f.ok { "ok" } else { "PROBLEM" },
                f.check,
                f.detail
            ));
        }
        out
    };
    Ok(Outcome {
        stdout,
        stderr: (problems > 0).then(|| {
            format!(
                "{problems} problem{} found",
                if problems == 1 { "" } else { "s" }
            )
        }),
        code: u8::from(problems > 0),
    })
}

#[cfg(test)]
mod tests {
    use super::size;

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(size(0), "0 bytes");
        assert_eq!(size(1023), "1023 bytes");
        assert_eq!(size(1536), "1.5 KiB");
        assert_eq!(size(256 << 20), "256.0 MiB");
        assert_eq!(size(3 << 30), "3.0 GiB");
    }
}
