//! Signed notes and checkpoints against code this project did not write: the C2SP
//! specification's own example, and `ring`'s Ed25519 (a second implementation) in both
//! directions. And the key-file rules.

use std::fs;
use std::os::unix::fs::PermissionsExt;

use consent_witness::{
    Checkpoint, Error, KeyType, Note, SignedCheckpoint, SigningKey, VerifierKey, leaf_hash,
};
use ring::signature::{ED25519, Ed25519KeyPair, KeyPair, UnparsedPublicKey};

const SEED: [u8; 32] = [0x42; 32];

/// The example of c2sp.org/signed-note ("Verifier keys"): a vkey and the note it verifies.
const SPEC_VKEY: &str = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k";
const SPEC_NOTE: &str = "This is an example message.\n\n\u{2014} example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n";

fn ring_key_id(name: &str, kind: u8, public: &[u8]) -> u32 {
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    ctx.update(name.as_bytes());
    ctx.update(b"\n");
    ctx.update(&[kind]);
    ctx.update(public);
    let digest = ctx.finish();
    u32::from_be_bytes(digest.as_ref()[..4].try_into().unwrap())
}

#[test]
fn the_specifications_example_verifies() {
    let key = VerifierKey::parse(SPEC_VKEY).unwrap();
    assert_eq!(key.name(), "example.com/foo");
    assert_eq!(key.key_id(), 0x530d_903a);
    assert_eq!(key.kind(), KeyType::Ed25519);
    assert_eq!(key.to_string(), SPEC_VKEY);
    let note = Note::parse(SPEC_NOTE.as_bytes()).unwrap();
    note.verify(&key).unwrap();
    assert_eq!(note.to_string(), SPEC_NOTE);
    // ring agrees on the signature.
    let sig = &note.signatures()[0];
    UnparsedPublicKey::new(&ED25519, key.public_key())
        .verify(note.text().as_bytes(), sig.signature())
        .unwrap();
    // One changed byte of text, and it does not.
    let altered = SPEC_NOTE.replacen("example", "exemple", 1);
    assert!(matches!(
        Note::parse(altered.as_bytes()).unwrap().verify(&key),
        Err(Error::BadSignature { .. })
    ));
}

#[test]
fn ring_verifies_our_checkpoints() {
    let log = SigningKey::from_seed("kommune.example/consent", &SEED).unwrap();
    let ring_pair = Ed25519KeyPair::from_seed_unchecked(&SEED).unwrap();
    assert_eq!(
        ring_pair.public_key().as_ref(),
        log.verifier_key().public_key()
    );
    // Key ids computed with ring's SHA-256.
    let public = log.verifier_key().public_key();
    assert_eq!(
        log.verifier_key().key_id(),
        ring_key_id(log.name(), 0x01, &public)
    );
    assert_eq!(
        log.cosigner_key().key_id(),
        ring_key_id(log.name(), 0x04, &public)
    );

    let checkpoint = Checkpoint::new("kommune.example/consent", 1234, leaf_hash(b"root")).unwrap();
    let signed = checkpoint.sign(&log);
    let text = format!(
        "kommune.example/consent\n1234\n{}\n",
        leaf_hash(b"root").to_base64()
    );
    assert_eq!(signed.note().text(), text);
    let line = &signed.note().signatures()[0];
    assert_eq!(line.key_id(), ring_key_id(log.name(), 0x01, &public));
    UnparsedPublicKey::new(&ED25519, public)
        .verify(text.as_bytes(), line.signature())
        .unwrap();
}

#[test]
fn we_verify_notes_that_ring_signed() {
    let ring_pair = Ed25519KeyPair::from_seed_unchecked(&SEED).unwrap();
    let public: [u8; 32] = ring_pair.public_key().as_ref().try_into().unwrap();
    let key = VerifierKey::new("kommune.example/consent", KeyType::Ed25519, &public).unwrap();
    let text = format!(
        "kommune.example/consent\n7\n{}\n",
        leaf_hash(b"r").to_base64()
    );
    let signature = ring_pair.sign(text.as_bytes());
    let mut bytes = key.key_id().to_be_bytes().to_vec();
    bytes.extend_from_slice(signature.as_ref());
    use base64_line::encode;
    let note = format!(
        "{text}\n\u{2014} kommune.example/consent {}\n",
        encode(&bytes)
    );
    let signed = SignedCheckpoint::parse(note.as_bytes(), &key).unwrap();
    assert_eq!(signed.checkpoint().size(), 7);
    // Ed25519 is deterministic: our signature is ring's, byte for byte.
    let ours = SigningKey::from_seed("kommune.example/consent", &SEED).unwrap();
    assert_eq!(signed.checkpoint().sign(&ours).to_string(), note);
}

/// Base64 for building notes by hand in these tests, written from RFC 4648 §4 (not the crate's).
mod base64_line {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    pub fn encode(bytes: &[u8]) -> String {
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let b = [
                chunk[0],
                *chunk.get(1).unwrap_or(&0),
                *chunk.get(2).unwrap_or(&0),
            ];
            let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            for i in 0..4 {
                if i <= chunk.len() {
                    out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
                } else {
                    out.push('=');
                }
            }
        }
        out
    }
}

fn write_key(dir: &std::path::Path, name: &str, contents: &[u8], mode: u32) -> std::path::PathBuf {
    let path = dir.join(name);
    fs::write(&path, contents).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
    path
}

#[test]
fn key_files_follow_the_projects_rules() {
    let dir = tempfile::tempdir().unwrap();
    let from_seed = SigningKey::from_seed("log", &SEED).unwrap().verifier_key();
    let hex: String = SEED.iter().map(|b| format!("{b:02x}")).collect();

    let raw = write_key(dir.path(), "raw", &SEED, 0o600);
    assert_eq!(
        SigningKey::from_key_file("log", &raw)
            .unwrap()
            .verifier_key(),
        from_seed
    );
    let text = write_key(dir.path(), "hex", format!("{hex}\n").as_bytes(), 0o640);
    assert_eq!(
        SigningKey::from_key_file("log", &text)
            .unwrap()
            .verifier_key(),
        from_seed
    );

    // Readable or writable by others: refused, with the fix in the message.
    for mode in [0o644, 0o602, 0o604, 0o666] {
        let open = write_key(dir.path(), "open", &SEED, mode);
        let err = SigningKey::from_key_file("log", &open).unwrap_err();
        assert!(matches!(err, Error::Permissions { .. }), "{mode:o}: {err}");
        assert!(err.to_string().contains("chmod 600"), "{err}");
        assert!(!err.to_string().contains(hex.get(..16).unwrap()), "{err}");
    }
    // Not a key.
    for (name, contents) in [
        ("short", &b"0123"[..]),
        ("long", &[b'a'; 67][..]),
        ("oddhex", &hex.as_bytes()[..63]),
        ("nothex", "zz".repeat(32).as_bytes()),
    ] {
        let path = write_key(dir.path(), name, contents, 0o600);
        let err = SigningKey::from_key_file("log", &path).unwrap_err();
        assert!(matches!(err, Error::Malformed { .. }), "{name}: {err}");
    }
    // Not a regular file: a directory, a FIFO (which would block a read).
    let err = SigningKey::from_key_file("log", dir.path()).unwrap_err();
    assert!(matches!(err, Error::Malformed { .. }), "{err}");
    let fifo = dir.path().join("fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    fs::set_permissions(&fifo, fs::Permissions::from_mode(0o600)).unwrap();
    let err = SigningKey::from_key_file("log", &fifo).unwrap_err();
    assert!(matches!(err, Error::Malformed { .. }), "{err}");
    // Missing.
    let err = SigningKey::from_key_file("log", &dir.path().join("none")).unwrap_err();
    assert!(matches!(err, Error::Io { .. }), "{err}");
}
