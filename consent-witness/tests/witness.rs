//! The witness: trust on first use, then only append-only growth; rollbacks, forks and bad
//! proofs refused with nothing changed (in memory and on disk); declared restores kept; its
//! state private, locked and checked when read back.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use consent_witness::{
    Checkpoint, Cosignature, Error, ErrorKind, Hash, MemoryNodeStore, Note, ProofError, SigningKey,
    Tree, Witness, leaf_hash,
};

const ORIGIN: &str = "kommune.example/consent";

/// A log: a tree and the key that signs its checkpoints.
struct Log {
    key: SigningKey,
    tree: Tree,
    store: MemoryNodeStore,
    salt: &'static str,
}

impl Log {
    fn new(salt: &'static str) -> Log {
        Log {
            key: SigningKey::from_seed(ORIGIN, &[1; 32]).unwrap(),
            tree: Tree::new(),
            store: MemoryNodeStore::new(),
            salt,
        }
    }

    fn append(&mut self, n: u64) {
        let start = self.tree.size();
        let leaves: Vec<Hash> = (start..start + n)
            .map(|i| leaf_hash(format!("{} {i}", self.salt).as_bytes()))
            .collect();
        self.tree.append(&mut self.store, &leaves).unwrap();
    }

    /// The signed checkpoint at `size`, as text.
    fn checkpoint(&self, size: u64) -> String {
        let root = self.tree.root_at(&self.store, size).unwrap();
        Checkpoint::new(ORIGIN, size, root)
            .unwrap()
            .sign(&self.key)
            .to_string()
    }

    fn proof(&self, old: u64, new: u64) -> Vec<Hash> {
        self.tree
            .consistency_proof(&self.store, old, new)
            .unwrap()
            .path()
            .to_vec()
    }
}

fn witness_key() -> SigningKey {
    SigningKey::from_seed("tilsyn.example/w1", &[2; 32]).unwrap()
}

fn open(dir: &Path) -> Witness {
    Witness::open(&dir.join("witness"), witness_key()).unwrap()
}

fn with_log(dir: &Path, log: &Log) -> Witness {
    let mut witness = open(dir);
    witness.add_log(ORIGIN, log.key.verifier_key()).unwrap();
    witness
}

fn at(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(seconds, 0).unwrap()
}

fn state_file(dir: &Path) -> PathBuf {
    let logs = dir.join("witness").join("logs");
    let mut files: Vec<PathBuf> = fs::read_dir(logs)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    assert_eq!(files.len(), 1);
    files.pop().unwrap()
}

fn latest_size(witness: &Witness) -> Option<u64> {
    witness.latest(ORIGIN).map(|c| c.checkpoint().size())
}

#[test]
fn trusts_on_first_use_then_cosigns_only_growth() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = Log::new("a");
    log.append(10);
    let mut witness = with_log(dir.path(), &log);

    // First contact: a proof is meaningless and refused; without one the checkpoint is taken.
    let err = witness
        .submit(log.checkpoint(10).as_bytes(), &log.proof(3, 10))
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Inconsistent {
                accepted: 0,
                offered: 10,
                source: ProofError::TooLong { .. },
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(latest_size(&witness), None);
    let cosignature = witness
        .submit_at(log.checkpoint(10).as_bytes(), &[], at(1_767_225_600))
        .unwrap();
    assert_eq!(latest_size(&witness), Some(10));

    // The cosignature verifies on the checkpoint with the witness's public key.
    let mut note = Note::parse(log.checkpoint(10).as_bytes()).unwrap();
    note.add_signature(cosignature.to_signature()).unwrap();
    let checked = Cosignature::verify(&note, &witness.cosigner_key()).unwrap();
    assert_eq!(checked.unix_time(), 1_767_225_600);
    note.verify(&log.key.verifier_key()).unwrap();

    // Growth with a proof from the accepted size; the same checkpoint again is cosigned again.
    log.append(7);
    witness
        .submit(log.checkpoint(17).as_bytes(), &log.proof(10, 17))
        .unwrap();
    witness.submit(log.checkpoint(17).as_bytes(), &[]).unwrap();
    assert_eq!(latest_size(&witness), Some(17));

    // The state survives reopening.
    drop(witness);
    let witness = open(dir.path());
    assert_eq!(latest_size(&witness), Some(17));
    assert_eq!(witness.log_key(ORIGIN), Some(&log.key.verifier_key()));
    assert_eq!(witness.logs().collect::<Vec<_>>(), [ORIGIN]);
}

#[test]
fn rollback_fork_and_bad_proofs_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = Log::new("a");
    log.append(10);
    let old_checkpoint = log.checkpoint(6);
    let mut witness = with_log(dir.path(), &log);
    witness.submit(log.checkpoint(10).as_bytes(), &[]).unwrap();
    let file = state_file(dir.path());
    let before = fs::read(&file).unwrap();

    // Rollback: an older checkpoint, validly signed (the review's restored database, or a
    // replayed older head).
    let err = witness.submit(old_checkpoint.as_bytes(), &[]).unwrap_err();
    assert!(
        matches!(&err, Error::Rollback { origin, accepted: 10, offered: 6 } if origin == ORIGIN),
        "{err}"
    );
    assert_eq!(err.kind(), ErrorKind::Integrity);

    // Fork: another history of the same size under the same key.
    let mut fork = Log::new("b");
    fork.append(12);
    let err = witness
        .submit(fork.checkpoint(10).as_bytes(), &[])
        .unwrap_err();
    assert!(matches!(err, Error::Fork { size: 10, .. }), "{err}");
    // A larger forked tree with its own (honest, for it) proof from 10.
    let err = witness
        .submit(fork.checkpoint(12).as_bytes(), &fork.proof(10, 12))
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Inconsistent {
                accepted: 10,
                offered: 12,
                source: ProofError::OldRootMismatch,
                ..
            }
        ),
        "{err}"
    );

    // Growth with a bad proof: truncated, from the wrong base, none at all.
    log.append(5);
    let proof = log.proof(10, 15);
    for (bad, what) in [
        (proof[..proof.len() - 1].to_vec(), "truncated"),
        (log.proof(6, 15), "from 6"),
        (Vec::new(), "empty"),
    ] {
        let err = witness
            .submit(log.checkpoint(15).as_bytes(), &bad)
            .unwrap_err();
        assert!(
            matches!(
                err,
                Error::Inconsistent {
                    accepted: 10,
                    offered: 15,
                    ..
                }
            ),
            "{what}: {err}"
        );
    }

    // Nothing changed, in memory or on disk.
    assert_eq!(latest_size(&witness), Some(10));
    assert_eq!(fs::read(&file).unwrap(), before);
    drop(witness);
    assert_eq!(latest_size(&open(dir.path())), Some(10));
}

#[test]
fn only_the_logs_key_counts() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = Log::new("a");
    log.append(4);
    let mut witness = with_log(dir.path(), &log);

    // Same name, another key: its signature is not the log's (another key id), so none is.
    let mut impostor = Log::new("a");
    impostor.key = SigningKey::from_seed(ORIGIN, &[3; 32]).unwrap();
    impostor.append(4);
    let err = witness
        .submit(impostor.checkpoint(4).as_bytes(), &[])
        .unwrap_err();
    assert!(matches!(err, Error::NoSignature { .. }), "{err}");

    // The log's signature over other text.
    let altered = log.checkpoint(4).replacen("\n4\n", "\n5\n", 1);
    let err = witness.submit(altered.as_bytes(), &[]).unwrap_err();
    assert!(matches!(err, Error::BadSignature { .. }), "{err}");

    // An unknown log.
    let stranger = SigningKey::from_seed("other.example/log", &[4; 32]).unwrap();
    let note = Checkpoint::new("other.example/log", 1, leaf_hash(b"x"))
        .unwrap()
        .sign(&stranger);
    let err = witness
        .submit(note.to_string().as_bytes(), &[])
        .unwrap_err();
    assert!(matches!(err, Error::UnknownLog { .. }), "{err}");
    assert_eq!(err.kind(), ErrorKind::NotFound);

    // Not a note.
    let err = witness
        .submit(b"kommune.example/consent\n4\n", &[])
        .unwrap_err();
    assert!(matches!(err, Error::Malformed { .. }), "{err}");
    assert_eq!(err.kind(), ErrorKind::InvalidInput);

    // Logs: the same key again is fine; another key or a cosigner key is not.
    witness.add_log(ORIGIN, log.key.verifier_key()).unwrap();
    let err = witness
        .add_log(ORIGIN, impostor.key.verifier_key())
        .unwrap_err();
    assert!(matches!(err, Error::LogKeyConflict { .. }), "{err}");
    let err = witness
        .add_log("x.example/log", log.key.cosigner_key())
        .unwrap_err();
    assert!(matches!(err, Error::WrongKeyType { .. }), "{err}");
    assert_eq!(latest_size(&witness), None);
}

#[test]
fn a_declared_restore_is_kept_and_becomes_the_base() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = Log::new("a");
    log.append(10);
    let backup = log.checkpoint(6);
    let mut witness = with_log(dir.path(), &log);

    let err = witness
        .declare_restore(ORIGIN, backup.as_bytes(), "restore")
        .unwrap_err();
    assert!(matches!(err, Error::NothingToRestore { .. }), "{err}");
    witness.submit(log.checkpoint(10).as_bytes(), &[]).unwrap();

    // Refused declarations change nothing.
    for reason in ["", "  ", "two\nlines", &"x".repeat(2001)] {
        let err = witness
            .declare_restore(ORIGIN, backup.as_bytes(), reason)
            .unwrap_err();
        assert!(matches!(err, Error::Malformed { .. }), "{reason:?}: {err}");
    }
    let err = witness
        .declare_restore("other.example/log", backup.as_bytes(), "restore")
        .unwrap_err();
    assert!(matches!(err, Error::Malformed { .. }), "{err}");
    let err = witness
        .declare_restore(ORIGIN, log.checkpoint(10).as_bytes(), "restore")
        .unwrap_err();
    assert!(matches!(err, Error::NothingToRestore { .. }), "{err}");
    assert!(witness.restores(ORIGIN).is_empty());
    assert_eq!(latest_size(&witness), Some(10));

    // The declaration: the backup's checkpoint becomes the base, and the record is kept.
    let reason =
        "database restored from the backup of 2026-03-01 after a disk failure, case 2026/77";
    let record = witness
        .declare_restore_at(ORIGIN, backup.as_bytes(), reason, at(1_772_400_000))
        .unwrap();
    assert_eq!(record.replaced().checkpoint().size(), 10);
    assert_eq!(record.restored().checkpoint().size(), 6);
    assert_eq!(latest_size(&witness), Some(6));

    // The restored log goes on from 6 with new events: a different history from 6 on, which
    // the witness now follows.
    let mut restored = Log::new("a");
    restored.append(6);
    let salt_b = Log::new("b");
    let leaves: Vec<Hash> = (6..9)
        .map(|i| leaf_hash(format!("{} {i}", salt_b.salt).as_bytes()))
        .collect();
    restored.tree.append(&mut restored.store, &leaves).unwrap();
    witness
        .submit(restored.checkpoint(9).as_bytes(), &restored.proof(6, 9))
        .unwrap();
    // The pre-restore checkpoint is now inconsistent with what the witness follows.
    let err = witness
        .submit(log.checkpoint(10).as_bytes(), &log.proof(9, 10))
        .unwrap_err();
    assert!(matches!(err, Error::Inconsistent { .. }), "{err}");

    // The record survives reopening, word for word.
    drop(witness);
    let witness = open(dir.path());
    let kept = witness.restores(ORIGIN);
    assert_eq!(kept, [record]);
    assert_eq!(kept[0].reason(), reason);
    assert_eq!(kept[0].declared_at(), at(1_772_400_000));
    assert_eq!(latest_size(&witness), Some(9));
}

#[test]
fn the_state_is_private_locked_and_checked() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = Log::new("a");
    log.append(3);
    let mut witness = with_log(dir.path(), &log);
    witness.submit(log.checkpoint(3).as_bytes(), &[]).unwrap();
    let state = dir.path().join("witness");
    assert_eq!(
        fs::metadata(&state).unwrap().permissions().mode() & 0o777,
        0o700
    );
    assert_eq!(
        fs::metadata(state_file(dir.path()))
            .unwrap()
            .permissions()
            .mode()
            & 0o777,
        0o600
    );

    // One process at a time.
    let err = Witness::open(&state, witness_key()).unwrap_err();
    assert!(matches!(err, Error::Locked { .. }), "{err}");
    assert_eq!(err.kind(), ErrorKind::Locked);
    drop(witness);

    // A temporary file an interrupted write left behind is ignored.
    fs::write(state.join("logs").join(".leftover.json.tmp"), b"partial").unwrap();
    drop(open(dir.path()));

    // A state file edited behind the witness's back is refused when read.
    let file = state_file(dir.path());
    let original = fs::read_to_string(&file).unwrap();
    let edited = original.replacen("\\n3\\n", "\\n2\\n", 1);
    assert_ne!(edited, original);
    fs::write(&file, &edited).unwrap();
    let err = Witness::open(&state, witness_key()).unwrap_err();
    assert!(matches!(err, Error::State { .. }), "{err}");
    assert_eq!(err.kind(), ErrorKind::Integrity);
    fs::write(&file, &original).unwrap();
    drop(open(dir.path()));

    // A directory others can reach is refused, with the fix.
    fs::set_permissions(&state, fs::Permissions::from_mode(0o755)).unwrap();
    let err = Witness::open(&state, witness_key()).unwrap_err();
    assert!(matches!(err, Error::Permissions { .. }), "{err}");
    assert!(err.to_string().contains("chmod 700"), "{err}");
}
