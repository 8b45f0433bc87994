//! The witness's state on disk: one JSON file per log under `<state dir>/logs/`, replaced
//! atomically (written to a temporary file, synced, renamed, the directory synced), in a
//! directory only the owner can enter.

use std::fs::{self, OpenOptions};
use std::io::{Read, Write};
use std::path::Path;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::checkpoint::SignedCheckpoint;
use crate::error::{Error, Result};
use crate::hash::sha256;
use crate::key::VerifierKey;

use super::{Accepted, LogState, RestoreRecord};

/// The format of the state files this version writes.
const FORMAT: u32 = 1;

/// The largest state file read (restores are rare and each is about 1 KiB).
const MAX_STATE_BYTES: usize = 16 * 1024 * 1024;
/// One byte more than a state file holds shows that it holds more.
const READ_LIMIT: u64 = 16 * 1024 * 1024 + 1;

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct LogFile {
    format: u32,
    origin: String,
    log_key: String,
    latest: Option<AcceptedFile>,
    restores: Vec<RestoreFile>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct AcceptedFile {
    note: String,
    accepted_at: DateTime<Utc>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RestoreFile {
    declared_at: DateTime<Utc>,
    reason: String,
    replaced: String,
    restored: String,
}

/// The file name of a log's state: the first 16 bytes of SHA-256 of its origin, in hex.
pub(super) fn file_name(origin: &str) -> String {
    let digest = sha256(&[origin.as_bytes()]);
    let mut name = String::with_capacity(37);
    for byte in digest.iter().take(16) {
        name.push_str(&format!("{byte:02x}"));
    }
    name.push_str(".json");
    name
}

/// Creates `dir` (mode 0700) if it is missing, and refuses one that its group can write or
/// other users can reach.
pub(super) fn private_dir(dir: &Path) -> Result<()> {
    let shown = dir.display();
    if !dir.exists() {
        let mut builder = fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            builder.mode(0o700);
        }
        builder
            .create(dir)
            .map_err(|e| Error::io(format!("cannot create witness state `{shown}`"), e))?;
    }
    let metadata = fs::metadata(dir)
        .map_err(|e| Error::io(format!("cannot read witness state `{shown}`"), e))?;
    if !metadata.is_dir() {
        return Err(Error::state(dir, "not a directory"));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = metadata.permissions().mode() & 0o777;
        if mode & 0o027 != 0 {
            return Err(Error::Permissions {
                path: dir.to_owned(),
                detail: format!(
                    "can be written by its group or reached by other users (mode {mode:04o})"
                ),
                fix: "700",
            });
        }
    }
    Ok(())
}

/// Reads every log's state from `logs`.
pub(super) fn load(logs: &Path) -> Result<Vec<(String, LogState)>> {
    let shown = logs.display();
    let entries = fs::read_dir(logs)
        .map_err(|e| Error::io(format!("cannot read witness state `{shown}`"), e))?;
    let mut states = Vec::new();
    for entry in entries {
        let entry =
            entry.map_err(|e| Error::io(format!("cannot read witness state `{shown}`"), e))?;
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') {
            // A temporary file an interrupted write left behind; the state is the renamed one.
            continue;
        }
        if !name.ends_with(".json") {
            return Err(Error::state(&path, "a file the witness did not write"));
        }
        let (origin, state) = read_log(&path)?;
        if file_name(&origin) != name {
            return Err(Error::state(
                &path,
                "the file name does not match its origin",
            ));
        }
        states.push((origin, state));
    }
    Ok(states)
}

fn read_log(path: &Path) -> Result<(String, LogState)> {
    let shown = path.display();
    let file = fs::File::open(path)
        .map_err(|e| Error::io(format!("cannot read witness state `{shown}`"), e))?;
    let mut text = String::new();
    file.take(READ_LIMIT)
        .read_to_string(&mut text)
        .map_err(|e| Error::io(format!("cannot read witness state `{shown}`"), e))?;
    if text.len() > MAX_STATE_BYTES {
        return Err(Error::state(path, "larger than a witness state file"));
    }
    let file: LogFile = serde_json::from_str(&text)
        .map_err(|e| Error::state(path, format!("not a witness state file: {e}")))?;
    if file.format != FORMAT {
        return Err(Error::state(
            path,
            format!("format {} (this version reads {FORMAT})", file.format),
        ));
    }
    let key = VerifierKey::parse(&file.log_key)
        .map_err(|e| Error::state(path, format!("log key: {e}")))?;
    let checkpoint = |note: &str, what: &str| {
        let signed = SignedCheckpoint::parse(note.as_bytes(), &key)
            .map_err(|e| Error::state(path, format!("{what}: {e}")))?;
        if signed.checkpoint().origin() != file.origin {
            return Err(Error::state(path, format!("{what} is for another log")));
        }
        Ok(signed)
    };
    let latest = match &file.latest {
        None => None,
        Some(accepted) => Some(Accepted {
            checkpoint: checkpoint(&accepted.note, "the accepted checkpoint")?,
            at: accepted.accepted_at,
        }),
    };
    let mut restores = Vec::with_capacity(file.restores.len());
    for restore in &file.restores {
        restores.push(RestoreRecord {
            declared_at: restore.declared_at,
            reason: restore.reason.clone(),
            replaced: checkpoint(&restore.replaced, "a replaced checkpoint")?,
            restored: checkpoint(&restore.restored, "a restored checkpoint")?,
        });
    }
    if latest.is_none() && !restores.is_empty() {
        return Err(Error::state(path, "restores recorded but no checkpoint"));
    }
    Ok((
        file.origin,
        LogState {
            key,
            latest,
            restores,
        },
    ))
}

/// Writes a log's state, replacing the file atomically.
pub(super) fn save(logs: &Path, origin: &str, state: &LogState) -> Result<()> {
    let file = LogFile {
        format: FORMAT,
        origin: origin.to_owned(),
        log_key: state.key.to_string(),
        latest: state.latest.as_ref().map(|accepted| AcceptedFile {
            note: accepted.checkpoint.to_string(),
            accepted_at: accepted.at,
        }),
        restores: state
            .restores
            .iter()
            .map(|restore| RestoreFile {
                declared_at: restore.declared_at,
                reason: restore.reason.clone(),
                replaced: restore.replaced.to_string(),
                restored: restore.restored.to_string(),
            })
            .collect(),
    };
    let mut text = serde_json::to_string_pretty(&file)
        .map_err(|e| Error::state(logs, format!("cannot encode the state: {e}")))?;
    text.push('\n');
    write_atomic(logs, &file_name(origin), text.as_bytes())
}

/// Writes `<dir>/<name>` through a temporary file: written, synced, renamed over the old
/// file, and the directory synced, so a crash leaves the old file or the new one.
fn write_atomic(dir: &Path, name: &str, bytes: &[u8]) -> Result<()> {
    let path = dir.join(name);
    let temporary = dir.join(format!(".{name}.tmp"));
    let shown = path.display();
    let cannot = |e| Error::io(format!("cannot write witness state `{shown}`"), e);
    match fs::remove_file(&temporary) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(cannot(e)),
    }
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(&temporary).map_err(cannot)?;
    file.write_all(bytes).map_err(cannot)?;
    file.sync_all().map_err(cannot)?;
    drop(file);
    fs::rename(&temporary, &path).map_err(cannot)?;
    sync_dir(dir).map_err(cannot)
}

fn sync_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        fs::File::open(dir)?.sync_all()?;
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
    }
    Ok(())
}
