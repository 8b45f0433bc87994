//! Keys: the Ed25519 signing key a host supplies (bytes or a private key file), and verifier
//! keys in the `vkey` text form of c2sp.org/signed-note.

use std::fmt;
use std::fs;
use std::io::Read;
use std::path::Path;

use ed25519_dalek::{Signer, VerifyingKey};
use zeroize::Zeroizing;

use crate::b64;
use crate::error::{Error, Result};
use crate::hash::sha256;
use crate::note::{Note, NoteSignature};

/// The signature types of c2sp.org/signed-note that this crate signs and verifies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyType {
    /// Ed25519 over the note text (signature type 0x01): how a log signs its checkpoints.
    Ed25519,
    /// Timestamped Ed25519 cosignatures, `cosignature/v1` (signature type 0x04,
    /// c2sp.org/tlog-cosignature): how a witness cosigns a checkpoint.
    Cosignature,
}

impl KeyType {
    /// The signature type byte of c2sp.org/signed-note.
    #[must_use]
    pub fn byte(self) -> u8 {
        match self {
            KeyType::Ed25519 => 0x01,
            KeyType::Cosignature => 0x04,
        }
    }

    pub(crate) fn describe(self) -> &'static str {
        match self {
            KeyType::Ed25519 => "Ed25519 note signature (type 0x01)",
            KeyType::Cosignature => "Ed25519 cosignature (type 0x04)",
        }
    }
}

/// A public key that verifies notes: a key name, a signature type and an Ed25519 public key,
/// identified in signatures by its 4-byte key id, `SHA-256(name || 0x0A || type || key)[:4]`.
///
/// Its text form (`Display`, [`parse`](VerifierKey::parse)) is the vkey of
/// c2sp.org/signed-note: `<name>+<hex key id>+<base64(type || public key)>`.
#[derive(Clone, PartialEq, Eq)]
pub struct VerifierKey {
    name: String,
    kind: KeyType,
    id: u32,
    key: VerifyingKey,
}

impl VerifierKey {
    /// A verifier key from its name, type and 32-byte Ed25519 public key.
    ///
    /// # Errors
    /// [`Error::Malformed`] for a name that is empty or holds a space, a `+` or a control
    /// character, or bytes that are not a usable Ed25519 public key.
    pub fn new(name: &str, kind: KeyType, public_key: &[u8; 32]) -> Result<VerifierKey> {
        check_key_name(name)?;
        let key = VerifyingKey::from_bytes(public_key).map_err(|_| {
            Error::malformed("verifier key", "not an Ed25519 public key".to_owned())
        })?;
        if key.is_weak() {
            return Err(Error::malformed(
                "verifier key",
                "a weak (small-order) Ed25519 public key".to_owned(),
            ));
        }
        Ok(VerifierKey {
            name: name.to_owned(),
            kind,
            id: key_id(name, kind, public_key),
            key,
        })
    }

    /// Reads a vkey: `<name>+<8 hex digits>+<base64(type || 32-byte public key)>`, with the
    /// key id checked against the name and key.
    ///
    /// # Errors
    /// [`Error::Malformed`] for anything else, including a key id that does not match and a
    /// signature type other than 0x01 and 0x04.
    pub fn parse(text: &str) -> Result<VerifierKey> {
        let bad = |detail: &str| Error::malformed("verifier key", detail.to_owned());
        let mut parts = text.splitn(3, '+');
        let (Some(name), Some(id_hex), Some(material)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(bad("not `<name>+<key id>+<key>`"));
        };
        if id_hex.len() != 8 || !id_hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad("the key id is not 8 hex digits"));
        }
        let id = u32::from_str_radix(id_hex, 16).map_err(|_| bad("the key id is not hex"))?;
        let bytes = b64::decode(material).ok_or_else(|| bad("the key is not canonical base64"))?;
        let (kind, public_key) = match bytes.split_first() {
            Some((0x01, rest)) => (KeyType::Ed25519, rest),
            Some((0x04, rest)) => (KeyType::Cosignature, rest),
            Some((other, _)) => {
                return Err(bad(&format!(
                    "signature type 0x{other:02x} is not supported (0x01 and 0x04 are)"
                )));
            }
            None => return Err(bad("the key is empty")),
        };
        let public_key = <&[u8; 32]>::try_from(public_key)
            .map_err(|_| bad("an Ed25519 public key is 32 bytes"))?;
        let key = VerifierKey::new(name, kind, public_key)?;
        if key.id != id {
            return Err(bad("the key id does not match the name and key"));
        }
        Ok(key)
    }

    /// The key name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The signature type.
    #[must_use]
    pub fn kind(&self) -> KeyType {
        self.kind
    }

    /// The key id that signature lines carry.
    #[must_use]
    pub fn key_id(&self) -> u32 {
        self.id
    }

    /// The 32-byte Ed25519 public key.
    #[must_use]
    pub fn public_key(&self) -> [u8; 32] {
        self.key.to_bytes()
    }

    pub(crate) fn ed25519(&self) -> &VerifyingKey {
        &self.key
    }
}

impl fmt::Display for VerifierKey {
    /// The vkey text.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut material = Vec::with_capacity(33);
        material.push(self.kind.byte());
        material.extend_from_slice(self.key.as_bytes());
        write!(
            f,
            "{}+{:08x}+{}",
            self.name,
            self.id,
            b64::encode(&material)
        )
    }
}

impl fmt::Debug for VerifierKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VerifierKey({self})")
    }
}

/// An Ed25519 signing key with the key name its signatures carry. The host supplies the
/// 32-byte seed (RFC 8032's private key), as bytes or in a key file only its owner (and group)
/// can read. `Debug` shows the name and public key only.
pub struct SigningKey {
    name: String,
    key: ed25519_dalek::SigningKey,
}

/// The most bytes a key file holds: 64 hex digits and a line ending (`\r\n` at most).
const KEY_FILE_MAX: usize = 66;

impl SigningKey {
    /// The length of a seed.
    pub const SEED_LEN: usize = 32;

    /// A signing key from a 32-byte seed.
    ///
    /// # Errors
    /// [`Error::Malformed`] for a seed of another length or a name that is empty or holds a
    /// space, a `+` or a control character.
    pub fn from_seed(name: &str, seed: &[u8]) -> Result<SigningKey> {
        check_key_name(name)?;
        let seed = Zeroizing::new(<[u8; 32]>::try_from(seed).map_err(|_| {
            Error::malformed(
                "signing key",
                format!("a seed is 32 bytes, not {}", seed.len()),
            )
        })?);
        Ok(SigningKey {
            name: name.to_owned(),
            key: ed25519_dalek::SigningKey::from_bytes(&seed),
        })
    }

    /// A signing key from a key file holding the 32-byte seed, raw or as 64 hex digits (a
    /// final line ending allowed), under the project's key-file rules: a regular file that no
    /// other user can read or write (the owner's group may), of at most 66 bytes, checked
    /// again after opening so that a file swapped in between is not read.
    ///
    /// # Errors
    /// [`Error::Permissions`] for a file other users can reach (with the `chmod` that fixes
    /// it); [`Error::Malformed`] for a file that is not a regular file or holds no key;
    /// [`Error::Io`] when it cannot be read.
    pub fn from_key_file(name: &str, path: &Path) -> Result<SigningKey> {
        let seed = read_key_file(path)?;
        SigningKey::from_seed(name, seed.as_slice())
    }

    /// The key name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The verifier key for notes this key signs (type 0x01): a log's public key.
    #[must_use]
    pub fn verifier_key(&self) -> VerifierKey {
        self.public(KeyType::Ed25519)
    }

    /// The verifier key for cosignatures this key makes (type 0x04): a witness's public key.
    /// C2SP asks that one key serve one signature type: give a witness its own key.
    #[must_use]
    pub fn cosigner_key(&self) -> VerifierKey {
        self.public(KeyType::Cosignature)
    }

    /// Signs `text` as a note (signature type 0x01).
    ///
    /// # Errors
    /// [`Error::Malformed`] when `text` cannot be a note's text: empty, not ending in a
    /// newline, holding a control character other than newline, or longer than
    /// [`crate::MAX_NOTE_BYTES`].
    pub fn sign_note(&self, text: &str) -> Result<Note> {
        crate::note::check_text(text)?;
        Ok(self.sign_checked_text(text.to_owned()))
    }

    pub(crate) fn sign_checked_text(&self, text: String) -> Note {
        let signature = self.key.sign(text.as_bytes()).to_bytes().to_vec();
        let id = key_id(
            &self.name,
            KeyType::Ed25519,
            self.key.verifying_key().as_bytes(),
        );
        Note::signed(
            text,
            NoteSignature::from_parts(self.name.clone(), id, signature),
        )
    }

    pub(crate) fn sign_raw(&self, message: &[u8]) -> [u8; 64] {
        self.key.sign(message).to_bytes()
    }

    fn public(&self, kind: KeyType) -> VerifierKey {
        let key = self.key.verifying_key();
        VerifierKey {
            name: self.name.clone(),
            kind,
            id: key_id(&self.name, kind, key.as_bytes()),
            key,
        }
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("name", &self.name)
            .field("public", &self.verifier_key().to_string())
            .finish_non_exhaustive()
    }
}

/// `SHA-256(name || 0x0A || type || public key)[:4]`, big-endian.
pub(crate) fn key_id(name: &str, kind: KeyType, public_key: &[u8; 32]) -> u32 {
    let [a, b, c, d, ..] = sha256(&[name.as_bytes(), b"\n", &[kind.byte()], public_key]);
    u32::from_be_bytes([a, b, c, d])
}

/// Key names are non-empty, with no Unicode space, no `+` and no control character.
pub(crate) fn check_key_name(name: &str) -> Result<()> {
    if name.is_empty() {
        return Err(Error::malformed("key name", "it is empty".to_owned()));
    }
    if name
        .chars()
        .any(|c| c.is_whitespace() || c == '+' || c.is_control())
    {
        return Err(Error::malformed(
            "key name",
            "it holds a space, a `+` or a control character".to_owned(),
        ));
    }
    Ok(())
}

fn read_key_file(path: &Path) -> Result<Zeroizing<Vec<u8>>> {
    let shown = path.display();
    let cannot = |e| Error::io(format!("cannot read key file `{shown}`"), e);
    let inspected = fs::metadata(path).map_err(cannot)?;
    check_key_metadata(path, &inspected)?;
    let file = fs::File::open(path).map_err(cannot)?;
    let opened = file.metadata().map_err(cannot)?;
    check_key_metadata(path, &opened)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if (opened.dev(), opened.ino()) != (inspected.dev(), inspected.ino()) {
            return Err(Error::io(
                format!("cannot read key file `{shown}`"),
                std::io::Error::other("it was replaced while it was being opened"),
            ));
        }
    }
    let mut bytes = Zeroizing::new(Vec::with_capacity(KEY_FILE_MAX + 1));
    // One byte more than a key file holds shows that it holds more.
    file.take(67).read_to_end(&mut bytes).map_err(cannot)?;
    if bytes.len() > KEY_FILE_MAX {
        return Err(Error::malformed(
            "key file",
            format!("`{shown}` is larger than a key (32 bytes or 64 hex digits)"),
        ));
    }
    if bytes.len() == SigningKey::SEED_LEN {
        return Ok(bytes);
    }
    let no_key = || {
        Error::malformed(
            "key file",
            format!("`{shown}` must hold 32 bytes or 64 hex digits"),
        )
    };
    let text = std::str::from_utf8(&bytes).map_err(|_| no_key())?;
    decode_hex(text.trim()).ok_or_else(no_key)
}

/// A key file must be a regular file that other users can neither read nor write.
fn check_key_metadata(path: &Path, metadata: &fs::Metadata) -> Result<()> {
    if !metadata.is_file() {
        return Err(Error::malformed(
            "key file",
            format!("`{}` is not a regular file", path.display()),
        ));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = metadata.permissions().mode() & 0o777;
        if mode & 0o007 != 0 {
            return Err(Error::Permissions {
                path: path.to_owned(),
                detail: format!("can be read or written by other users (mode {mode:04o})"),
                fix: "600",
            });
        }
    }
    Ok(())
}

/// 64 hex digits to 32 bytes.
fn decode_hex(text: &str) -> Option<Zeroizing<Vec<u8>>> {
    if text.len() != 64 {
        return None;
    }
    let mut out = Zeroizing::new(Vec::with_capacity(32));
    for pair in text.as_bytes().chunks_exact(2) {
        let [hi, lo] = pair else { return None };
        let digit = |b: u8| char::from(b).to_digit(16);
        let byte = digit(*hi)? * 16 + digit(*lo)?;
        out.push(u8::try_from(byte).ok()?);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vkey_round_trip_and_key_id_check() {
        let key = SigningKey::from_seed("example.com/log", &[7; 32]).unwrap();
        for vkey in [key.verifier_key(), key.cosigner_key()] {
            let text = vkey.to_string();
            assert_eq!(VerifierKey::parse(&text).unwrap(), vkey);
            // Another key id for the same name and key is refused.
            let (name, rest) = text.split_once('+').unwrap();
            let forged = format!("{name}+00000000+{}", rest.split_once('+').unwrap().1);
            assert!(VerifierKey::parse(&forged).is_err());
        }
        assert_ne!(key.verifier_key().key_id(), key.cosigner_key().key_id());
    }

    #[test]
    fn names_and_seeds_are_checked() {
        for name in ["", "a b", "a+b", "a\tb", "a\u{2003}b"] {
            assert!(SigningKey::from_seed(name, &[1; 32]).is_err(), "{name:?}");
        }
        assert!(SigningKey::from_seed("ok", &[1; 31]).is_err());
        let debug = format!("{:?}", SigningKey::from_seed("ok", &[1; 32]).unwrap());
        assert!(!debug.contains("0101"), "{debug}");
    }

    #[test]
    fn hex_decoding() {
        let hex = "00ff".repeat(16);
        assert_eq!(decode_hex(&hex).unwrap().as_slice(), [0, 255].repeat(16));
        assert!(decode_hex(&"0g".repeat(32)).is_none());
        assert!(decode_hex("00").is_none());
    }
}
