//! Signed notes and checkpoints against code this project did not write: the C2SP
//! specification's own example, and `ring`'s Ed25519 (a second implementation) in both
//! directions. And the key-file rules.

use std::fs;
use std::os::unix::fs::PermissionsExt;

use consent_witness::{
    Checkpoint, Cosignature, Error, KeyType, Note, SignedCheckpoint, SigningKey, VerifierKey,
    leaf_hash,
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
fn ring_verifies_a_witness_cosignature() {
    let log = SigningKey::from_seed("kommune.example/consent", &SEED).unwrap();
    let signed = Checkpoint::new("kommune.example/consent", 1234, leaf_hash(b"root"))
        .unwrap()
        .sign(&log);
    let text = signed.note().text().to_owned();
    // The witness's cosignature, checked by ring over the message built here from the spec.
    let witness_seed = [0x17; 32];
    let dir = tempfile::tempdir().unwrap();
    let mut witness = consent_witness::Witness::open(
        &dir.path().join("w"),
        SigningKey::from_seed("tilsyn.example/w1", &witness_seed).unwrap(),
    )
    .unwrap();
    witness
        .add_log("kommune.example/consent", log.verifier_key())
        .unwrap();
    let at = chrono::DateTime::from_timestamp(1_767_225_600, 0).unwrap();
    let cosignature = witness
        .submit_at(signed.to_string().as_bytes(), &[], at)
        .unwrap();
    let line = cosignature.to_signature();
    let witness_public = Ed25519KeyPair::from_seed_unchecked(&witness_seed)
        .unwrap()
        .public_key()
        .as_ref()
        .to_vec();
    assert_eq!(
        line.key_id(),
        ring_key_id("tilsyn.example/w1", 0x04, &witness_public)
    );
    let (time, sig) = line.signature().split_at(8);
    assert_eq!(u64::from_be_bytes(time.try_into().unwrap()), 1_767_225_600);
    let message = format!("cosignature/v1\ntime 1767225600\n{text}");
    UnparsedPublicKey::new(&ED25519, &witness_public)
        .verify(message.as_bytes(), sig)
        .unwrap();
    assert_eq!(cosignature.time().unwrap(), at);
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

    // A cosignature ring makes verifies with our cosignature check.
    let cosigner = VerifierKey::new("tilsyn.example/w1", KeyType::Cosignature, &public).unwrap();
    let message = format!("cosignature/v1\ntime 1700000000\n{text}");
    let mut cosig = cosigner.key_id().to_be_bytes().to_vec();
    cosig.extend_from_slice(&1_700_000_000u64.to_be_bytes());
    cosig.extend_from_slice(ring_pair.sign(message.as_bytes()).as_ref());
    let cosigned = format!("{note}\u{2014} tilsyn.example/w1 {}\n", encode(&cosig));
    let parsed = Note::parse(cosigned.as_bytes()).unwrap();
    assert_eq!(
        Cosignature::verify(&parsed, &cosigner).unwrap().unix_time(),
        1_700_000_000
    );
    parsed.verify(&key).unwrap();
    // The same bytes claimed for another time do not verify.
    let mut later = cosig.clone();
    later[4..12].copy_from_slice(&1_700_000_001u64.to_be_bytes());
    let forged = format!("{note}\u{2014} tilsyn.example/w1 {}\n", encode(&later));
    assert!(matches!(
        Cosignature::verify(&Note::parse(forged.as_bytes()).unwrap(), &cosigner),
        Err(Error::BadSignature { .. })
    ));
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
