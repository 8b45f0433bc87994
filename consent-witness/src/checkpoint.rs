//! Checkpoints (c2sp.org/tlog-checkpoint): the note text `<origin>\n<tree size>\n<base64 root
//! hash>\n` with optional extension lines, signed as a note by the log's key.

use std::fmt;

use crate::error::{Error, Result};
use crate::hash::{EMPTY_ROOT, Hash};
use crate::key::{SigningKey, VerifierKey};
use crate::note::{Note, NoteSignature};

/// A log's tree head: its origin (the log's name), tree size and root hash, and any
/// extension lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    origin: String,
    size: u64,
    root: Hash,
    extensions: Vec<String>,
}

impl Checkpoint {
    /// A checkpoint without extension lines.
    ///
    /// # Errors
    /// [`Error::Malformed`] for an empty origin or one with a control character, and for a
    /// tree of size 0 whose root is not the empty tree's ([`crate::EMPTY_ROOT`]).
    pub fn new(origin: &str, size: u64, root: Hash) -> Result<Checkpoint> {
        check_line("origin", origin)?;
        if size == 0 && root != EMPTY_ROOT {
            return Err(Error::malformed(
                "checkpoint",
                "a tree of size 0 has the empty tree's root hash".to_owned(),
            ));
        }
        Ok(Checkpoint {
            origin: origin.to_owned(),
            size,
            root,
            extensions: Vec::new(),
        })
    }

    /// The checkpoint with an extension line added. C2SP advises against extension lines, as
    /// monitors cannot audit them, and a cosigner vouches only for the first three lines.
    ///
    /// # Errors
    /// [`Error::Malformed`] for an empty line or one with a control character.
    pub fn with_extension(mut self, line: &str) -> Result<Checkpoint> {
        check_line("extension line", line)?;
        self.extensions.push(line.to_owned());
        Ok(self)
    }

    /// Reads a checkpoint's note text strictly: at least three non-empty lines, each ending in
    /// a newline; a tree size in decimal without leading zeros; a root hash in canonical base64
    /// of 32 bytes.
    ///
    /// # Errors
    /// [`Error::Malformed`] for anything else.
    pub fn parse(text: &str) -> Result<Checkpoint> {
        let bad = |detail: &str| Error::malformed("checkpoint", detail.to_owned());
        let body = text
            .strip_suffix('\n')
            .ok_or_else(|| bad("it does not end with a newline"))?;
        let mut lines = body.split('\n');
        let (Some(origin), Some(size), Some(root)) = (lines.next(), lines.next(), lines.next())
        else {
            return Err(bad("fewer than three lines"));
        };
        let size = parse_decimal(size)
            .ok_or_else(|| bad("the tree size is not a decimal number without leading zeros"))?;
        let root = Hash::from_base64(root)
            .map_err(|_| bad("the root hash is not canonical base64 of 32 bytes"))?;
        let mut checkpoint = Checkpoint::new(origin, size, root)?;
        for line in lines {
            checkpoint = checkpoint.with_extension(line)?;
        }
        Ok(checkpoint)
    }

    /// The log's origin line.
    #[must_use]
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The tree size.
    #[must_use]
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The root hash.
    #[must_use]
    pub fn root(&self) -> Hash {
        self.root
    }

    /// The extension lines.
    #[must_use]
    pub fn extensions(&self) -> &[String] {
        &self.extensions
    }

    /// The note text.
    #[must_use]
    pub fn to_text(&self) -> String {
        let mut text = format!("{}\n{}\n{}\n", self.origin, self.size, self.root);
        for line in &self.extensions {
            text.push_str(line);
            text.push('\n');
        }
        text
    }

    /// Signs the checkpoint with the log's key. C2SP asks that the key name match the origin.
    #[must_use]
    pub fn sign(&self, key: &SigningKey) -> SignedCheckpoint {
        SignedCheckpoint {
            checkpoint: self.clone(),
            note: key.sign_checked_text(self.to_text()),
        }
    }
}

/// A checkpoint and the signed note it came in, whose signature by the log's key was checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedCheckpoint {
    checkpoint: Checkpoint,
    note: Note,
}

impl SignedCheckpoint {
    /// Reads a signed checkpoint and checks its signature by `log_key` (see [`Note::verify`]).
    ///
    /// # Errors
    /// [`Error::Malformed`] for a note or checkpoint that is not in its format; the errors of
    /// [`Note::verify`].
    pub fn parse(bytes: &[u8], log_key: &VerifierKey) -> Result<SignedCheckpoint> {
        let note = Note::parse(bytes)?;
        let checkpoint = Checkpoint::parse(note.text())?;
        note.verify(log_key)?;
        Ok(SignedCheckpoint { checkpoint, note })
    }

    /// The checkpoint.
    #[must_use]
    pub fn checkpoint(&self) -> &Checkpoint {
        &self.checkpoint
    }

    /// The note, with every signature line it carries.
    #[must_use]
    pub fn note(&self) -> &Note {
        &self.note
    }

    /// Adds a signature line, such as a witness's cosignature
    /// ([`crate::Cosignature::to_signature`]).
    ///
    /// # Errors
    /// As [`Note::add_signature`].
    pub fn add_signature(&mut self, signature: NoteSignature) -> Result<()> {
        self.note.add_signature(signature)
    }

    pub(crate) fn from_verified(checkpoint: Checkpoint, note: Note) -> SignedCheckpoint {
        SignedCheckpoint { checkpoint, note }
    }
}

impl fmt::Display for SignedCheckpoint {
    /// The signed note.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.note.fmt(f)
    }
}

pub(crate) fn check_line(what: &'static str, line: &str) -> Result<()> {
    if line.is_empty() {
        return Err(Error::malformed(what, "it is empty".to_owned()));
    }
    if line.chars().any(char::is_control) {
        return Err(Error::malformed(
            what,
            "it holds a control character".to_owned(),
        ));
    }
    Ok(())
}

/// ASCII decimal without sign, spaces or leading zeros (`0` itself allowed).
pub(crate) fn parse_decimal(text: &str) -> Option<u64> {
    let digits_only = !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
    if !digits_only || (text.len() > 1 && text.starts_with('0')) {
        return None;
    }
    text.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::leaf_hash;

    #[test]
    fn text_form() {
        let root = leaf_hash(b"x");
        let cp = Checkpoint::new("example.com/log", 12, root)
            .unwrap()
            .with_extension("ext")
            .unwrap();
        let text = cp.to_text();
        assert_eq!(text, format!("example.com/log\n12\n{root}\next\n"));
        assert_eq!(Checkpoint::parse(&text).unwrap(), cp);
    }

    #[test]
    fn strict_parsing() {
        let root = leaf_hash(b"x").to_base64();
        let empty = EMPTY_ROOT.to_base64();
        for bad in [
            format!("o\n012\n{root}\n"),
            format!("o\n+12\n{root}\n"),
            format!("o\n 12\n{root}\n"),
            format!("o\n18446744073709551616\n{root}\n"),
            format!("o\n12\n{root}"),
            format!("o\n12\n{root}\n\n"),
            format!("o\n12\n{root}\next\n\n"),
            format!("\n12\n{root}\n"),
            format!("o\n12\n{}\n", root.trim_end_matches('=')),
            "o\n12\n".to_owned(),
            format!("o\n0\n{root}\n"),
        ] {
            assert!(Checkpoint::parse(&bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            Checkpoint::parse(&format!("o\n0\n{empty}\n"))
                .unwrap()
                .size(),
            0
        );
        assert_eq!(parse_decimal("0"), Some(0));
        assert_eq!(parse_decimal("18446744073709551615"), Some(u64::MAX));
    }

    #[test]
    fn signed_checkpoint_round_trip() {
        let key = SigningKey::from_seed("example.com/log", &[9; 32]).unwrap();
        let signed = Checkpoint::new("example.com/log", 3, leaf_hash(b"r"))
            .unwrap()
            .sign(&key);
        let text = signed.to_string();
        let parsed = SignedCheckpoint::parse(text.as_bytes(), &key.verifier_key()).unwrap();
        assert_eq!(parsed, signed);
        let other = SigningKey::from_seed("example.com/log", &[8; 32]).unwrap();
        assert!(SignedCheckpoint::parse(text.as_bytes(), &other.verifier_key()).is_err());
    }
}
