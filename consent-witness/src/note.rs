//! Signed notes (c2sp.org/signed-note): a text ending in a newline, a blank line, and signature
//! lines `— <key name> <base64(4-byte key id || signature)>`. Parsing is strict: valid UTF-8, no
//! control character but newline, every line complete, nothing after the last signature line.

use std::fmt;

use ed25519_dalek::Signature;

use crate::b64;
use crate::error::{Error, Result};
use crate::key::{KeyType, VerifierKey, check_key_name};

/// The largest note this crate reads or writes, in bytes.
pub const MAX_NOTE_BYTES: usize = 256 * 1024;

/// The most signature lines a note may carry (C2SP asks verifiers to accept at least 16).
pub const MAX_SIGNATURES: usize = 64;

/// One signature line of a note: the key name, the key id and the signature bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteSignature {
    name: String,
    key_id: u32,
    signature: Vec<u8>,
}

impl NoteSignature {
    /// The signer's key name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The signer's key id.
    #[must_use]
    pub fn key_id(&self) -> u32 {
        self.key_id
    }

    /// The signature bytes after the key id.
    #[must_use]
    pub fn signature(&self) -> &[u8] {
        &self.signature
    }

    /// The signature line, ending in a newline: `— <name> <base64(key id || signature)>\n`.
    #[must_use]
    pub fn to_line(&self) -> String {
        let mut bytes = Vec::with_capacity(4 + self.signature.len());
        bytes.extend_from_slice(&self.key_id.to_be_bytes());
        bytes.extend_from_slice(&self.signature);
        format!("\u{2014} {} {}\n", self.name, b64::encode(&bytes))
    }

    pub(crate) fn from_parts(name: String, key_id: u32, signature: Vec<u8>) -> NoteSignature {
        NoteSignature {
            name,
            key_id,
            signature,
        }
    }

    pub(crate) fn new(name: String, bytes: &[u8]) -> Option<NoteSignature> {
        let (id, signature) = bytes.split_first_chunk::<4>()?;
        Some(NoteSignature {
            name,
            key_id: u32::from_be_bytes(*id),
            signature: signature.to_vec(),
        })
    }

    pub(crate) fn is_by(&self, key: &VerifierKey) -> bool {
        self.name == key.name() && self.key_id == key.key_id()
    }
}

/// A signed note: its text and its signature lines. `Display` writes the note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    text: String,
    signatures: Vec<NoteSignature>,
}

impl Note {
    /// Reads a signed note. Signatures are not checked here: see [`verify`](Note::verify).
    ///
    /// # Errors
    /// [`Error::Malformed`] for a note larger than [`MAX_NOTE_BYTES`], not UTF-8, holding a
    /// control character other than newline, without the blank line before the signatures,
    /// with a signature line that is not `— <key name> <base64>` or not newline-terminated,
    /// with no signature or more than [`MAX_SIGNATURES`].
    pub fn parse(bytes: &[u8]) -> Result<Note> {
        let bad = |detail: &str| Error::malformed("signed note", detail.to_owned());
        if bytes.len() > MAX_NOTE_BYTES {
            return Err(bad(&format!("longer than {MAX_NOTE_BYTES} bytes")));
        }
        let all = std::str::from_utf8(bytes).map_err(|_| bad("not UTF-8"))?;
        if all.chars().any(|c| c < ' ' && c != '\n') {
            return Err(bad("a control character other than newline"));
        }
        // The text ends with its newline; the last blank line separates the signatures.
        let split = all
            .rfind("\n\n")
            .ok_or_else(|| bad("no blank line before the signatures"))?;
        let (Some(text), Some(block)) = (all.get(..=split), all.get(split + 2..)) else {
            return Err(bad("no blank line before the signatures"));
        };
        let Some(lines) = block.strip_suffix('\n') else {
            return Err(bad(if block.is_empty() {
                "no signature"
            } else {
                "the last signature line does not end with a newline"
            }));
        };
        let mut signatures = Vec::new();
        for line in lines.split('\n') {
            if signatures.len() == MAX_SIGNATURES {
                return Err(bad(&format!("more than {MAX_SIGNATURES} signatures")));
            }
            signatures.push(parse_signature_line(line)?);
        }
        Ok(Note {
            text: text.to_owned(),
            signatures,
        })
    }

    /// The signed text, ending in a newline. Trust it only after [`verify`](Note::verify).
    #[must_use]
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The signature lines, in order.
    #[must_use]
    pub fn signatures(&self) -> &[NoteSignature] {
        &self.signatures
    }

    /// Adds a signature line (a witness's cosignature, for example).
    ///
    /// # Errors
    /// [`Error::Malformed`] when the note already has [`MAX_SIGNATURES`] signatures or one by
    /// the same key name and id.
    pub fn add_signature(&mut self, signature: NoteSignature) -> Result<()> {
        if self.signatures.len() >= MAX_SIGNATURES {
            return Err(Error::malformed(
                "signed note",
                format!("more than {MAX_SIGNATURES} signatures"),
            ));
        }
        if self
            .signatures
            .iter()
            .any(|s| s.name == signature.name && s.key_id == signature.key_id)
        {
            return Err(Error::malformed(
                "signed note",
                format!("it already has a signature by `{}`", signature.name),
            ));
        }
        self.signatures.push(signature);
        Ok(())
    }

    /// Checks the note's signature by `key`, an Ed25519 note key (type 0x01). As
    /// c2sp.org/signed-note requires, signatures by other keys (another name or key id) are
    /// ignored; the note is refused when the key's signature is missing, appears twice, or
    /// does not verify (RFC 8032 with the strict checks: canonical `S`, no small-order keys).
    ///
    /// # Errors
    /// [`Error::WrongKeyType`] for a cosignature key; [`Error::NoSignature`],
    /// [`Error::DuplicateSignature`] or [`Error::BadSignature`].
    pub fn verify(&self, key: &VerifierKey) -> Result<()> {
        if key.kind() != KeyType::Ed25519 {
            return Err(Error::WrongKeyType {
                key: key.name().to_owned(),
                expected: KeyType::Ed25519.describe(),
            });
        }
        let signature = self.signature_by(key)?;
        let bad = || Error::BadSignature {
            key: key.name().to_owned(),
        };
        let bytes = <&[u8; 64]>::try_from(signature.signature()).map_err(|_| bad())?;
        key.ed25519()
            .verify_strict(self.text.as_bytes(), &Signature::from_bytes(bytes))
            .map_err(|_| bad())
    }

    /// The one signature by `key`'s name and id.
    pub(crate) fn signature_by(&self, key: &VerifierKey) -> Result<&NoteSignature> {
        let mut matching = self.signatures.iter().filter(|s| s.is_by(key));
        let first = matching.next().ok_or_else(|| Error::NoSignature {
            key: key.name().to_owned(),
        })?;
        if matching.next().is_some() {
            return Err(Error::DuplicateSignature {
                key: key.name().to_owned(),
            });
        }
        Ok(first)
    }

    /// A note from text that [`check_text`] accepted and one signature.
    pub(crate) fn signed(text: String, signature: NoteSignature) -> Note {
        Note {
            text,
            signatures: vec![signature],
        }
    }
}

impl fmt::Display for Note {
    /// The note as text: the text, a blank line, the signature lines.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)?;
        f.write_str("\n")?;
        for signature in &self.signatures {
            f.write_str(&signature.to_line())?;
        }
        Ok(())
    }
}

/// A note's text is non-empty, ends with a newline and holds no other control character.
pub(crate) fn check_text(text: &str) -> Result<()> {
    let bad = |detail: &str| Error::malformed("note text", detail.to_owned());
    if !text.ends_with('\n') {
        return Err(bad("it does not end with a newline"));
    }
    if text.chars().any(|c| c < ' ' && c != '\n') {
        return Err(bad("a control character other than newline"));
    }
    // Room for a few signature lines within the limit.
    if text.len() > MAX_NOTE_BYTES - 16 * 1024 {
        return Err(bad("it is too long"));
    }
    Ok(())
}

fn parse_signature_line(line: &str) -> Result<NoteSignature> {
    let bad = |detail: &str| Error::malformed("signed note", detail.to_owned());
    let rest = line
        .strip_prefix("\u{2014} ")
        .ok_or_else(|| bad("a signature line does not start with `— `"))?;
    let (name, encoded) = rest
        .split_once(' ')
        .ok_or_else(|| bad("a signature line has no signature"))?;
    check_key_name(name).map_err(|_| bad("a signature line's key name is not valid"))?;
    let bytes = b64::decode(encoded).ok_or_else(|| bad("a signature is not canonical base64"))?;
    NoteSignature::new(name.to_owned(), &bytes)
        .ok_or_else(|| bad("a signature is shorter than its 4-byte key id"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::SigningKey;

    fn key() -> SigningKey {
        SigningKey::from_seed("example.com/log", &[3; 32]).unwrap()
    }

    #[test]
    fn sign_write_parse_verify() {
        let key = key();
        let note = key.sign_note("hello\n\nworld\n").unwrap();
        let text = note.to_string();
        let parsed = Note::parse(text.as_bytes()).unwrap();
        assert_eq!(parsed, note);
        assert_eq!(parsed.text(), "hello\n\nworld\n");
        parsed.verify(&key.verifier_key()).unwrap();
    }

    #[test]
    fn malformed_notes_are_refused() {
        let text = key().sign_note("hello\n").unwrap().to_string();
        let line = text.strip_prefix("hello\n\n").unwrap().to_owned();
        let cases = [
            // trailing data after the last signature line
            format!("{text}x"),
            format!("{text}\n"),
            // the last line without its newline
            text.trim_end_matches('\n').to_owned(),
            // no blank line
            format!("hello\n{line}"),
            // no signature
            "hello\n\n".to_owned(),
            // a control character
            format!("hel\rlo\n\n{line}"),
            // a line that is not a signature
            format!("hello\n\n{line}not a signature\n"),
            // a hyphen for the em dash
            format!("hello\n\n{}", line.replacen('\u{2014}', "-", 1)),
            // two spaces after the name
            format!("hello\n\n{}", line.replacen(' ', "  ", 2)),
        ];
        for case in cases {
            assert!(Note::parse(case.as_bytes()).is_err(), "{case:?}");
        }
        assert!(Note::parse(b"hello\n\n\xff\n").is_err());
    }

    #[test]
    fn verification_is_strict_about_the_wanted_key_only() {
        let key = key();
        let other = SigningKey::from_seed("example.com/other", &[4; 32]).unwrap();
        let mut note = key.sign_note("text\n").unwrap();
        let theirs = other.sign_note("text\n").unwrap();
        // Another key's signature is ignored.
        note.add_signature(theirs.signatures()[0].clone()).unwrap();
        note.verify(&key.verifier_key()).unwrap();
        note.verify(&other.verifier_key()).unwrap();
        // Missing, duplicated, wrong.
        let third = SigningKey::from_seed("example.com/third", &[5; 32]).unwrap();
        assert!(matches!(
            note.verify(&third.verifier_key()),
            Err(Error::NoSignature { .. })
        ));
        let doubled = format!("{note}{}", note.signatures()[0].to_line());
        assert!(matches!(
            Note::parse(doubled.as_bytes())
                .unwrap()
                .verify(&key.verifier_key()),
            Err(Error::DuplicateSignature { .. })
        ));
        let altered = note.to_string().replacen("text", "test", 1);
        assert!(matches!(
            Note::parse(altered.as_bytes())
                .unwrap()
                .verify(&key.verifier_key()),
            Err(Error::BadSignature { .. })
        ));
        assert!(matches!(
            note.verify(&key.cosigner_key()),
            Err(Error::WrongKeyType { .. })
        ));
    }
}
