//! Witness cosignatures (c2sp.org/tlog-cosignature, `cosignature/v1`): a timestamped Ed25519
//! signature over `cosignature/v1\ntime <seconds>\n` followed by the checkpoint's note text.

use chrono::{DateTime, Utc};
use ed25519_dalek::Signature;

use crate::error::{Error, Result};
use crate::key::{KeyType, SigningKey, VerifierKey, key_id};
use crate::note::{Note, NoteSignature};

/// A witness's cosignature on a checkpoint: its key name and id, the time it was made and
/// the signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cosignature {
    name: String,
    key_id: u32,
    timestamp: u64,
    signature: [u8; 64],
}

impl Cosignature {
    /// Makes a cosignature on a checkpoint's note text at `timestamp` (POSIX seconds, not 0).
    pub(crate) fn sign(key: &SigningKey, text: &str, timestamp: u64) -> Cosignature {
        let cosigner = key.cosigner_key();
        Cosignature {
            name: key.name().to_owned(),
            key_id: key_id(key.name(), KeyType::Cosignature, &cosigner.public_key()),
            timestamp,
            signature: key.sign_raw(&message(text, timestamp)),
        }
    }

    /// Checks the cosignature by `cosigner` (a [`KeyType::Cosignature`] key) on `note` and
    /// returns it. Signatures by other keys are ignored; the note is refused when the
    /// cosigner's signature is missing, appears twice, has a timestamp beyond 2^63 - 1 or does
    /// not verify.
    ///
    /// # Errors
    /// [`Error::WrongKeyType`] for a note key; [`Error::NoSignature`],
    /// [`Error::DuplicateSignature`] or [`Error::BadSignature`].
    pub fn verify(note: &Note, cosigner: &VerifierKey) -> Result<Cosignature> {
        if cosigner.kind() != KeyType::Cosignature {
            return Err(Error::WrongKeyType {
                key: cosigner.name().to_owned(),
                expected: KeyType::Cosignature.describe(),
            });
        }
        let line = note.signature_by(cosigner)?;
        let bad = || Error::BadSignature {
            key: cosigner.name().to_owned(),
        };
        let bytes = <&[u8; 72]>::try_from(line.signature()).map_err(|_| bad())?;
        let (time, signature) = bytes.split_at(8);
        let timestamp = u64::from_be_bytes(<[u8; 8]>::try_from(time).map_err(|_| bad())?);
        let signature = <[u8; 64]>::try_from(signature).map_err(|_| bad())?;
        if i64::try_from(timestamp).is_err() {
            return Err(bad());
        }
        cosigner
            .ed25519()
            .verify_strict(
                &message(note.text(), timestamp),
                &Signature::from_bytes(&signature),
            )
            .map_err(|_| bad())?;
        Ok(Cosignature {
            name: line.name().to_owned(),
            key_id: line.key_id(),
            timestamp,
            signature,
        })
    }

    /// The cosigner's key name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The cosigner's key id.
    #[must_use]
    pub fn key_id(&self) -> u32 {
        self.key_id
    }

    /// When the cosignature was made, in POSIX seconds.
    #[must_use]
    pub fn unix_time(&self) -> u64 {
        self.timestamp
    }

    /// When the cosignature was made.
    ///
    /// # Errors
    /// [`Error::Malformed`] for a time chrono cannot represent (after the year 262143).
    pub fn time(&self) -> Result<DateTime<Utc>> {
        i64::try_from(self.timestamp)
            .ok()
            .and_then(|secs| DateTime::from_timestamp(secs, 0))
            .ok_or_else(|| {
                Error::malformed(
                    "cosignature",
                    format!("timestamp {} is out of range", self.timestamp),
                )
            })
    }

    /// The signature line to add to the checkpoint's note.
    #[must_use]
    pub fn to_signature(&self) -> NoteSignature {
        let mut bytes = Vec::with_capacity(72);
        bytes.extend_from_slice(&self.timestamp.to_be_bytes());
        bytes.extend_from_slice(&self.signature);
        NoteSignature::from_parts(self.name.clone(), self.key_id, bytes)
    }
}

/// `cosignature/v1\ntime <timestamp>\n` || the note text.
pub(crate) fn message(text: &str, timestamp: u64) -> Vec<u8> {
    format!("cosignature/v1\ntime {timestamp}\n{text}").into_bytes()
}
