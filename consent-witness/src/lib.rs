#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

mod b64;
mod checkpoint;
mod cosignature;
mod error;
mod hash;
mod key;
mod note;
mod proof;
mod tree;
mod witness;

pub use checkpoint::{Checkpoint, SignedCheckpoint};
pub use cosignature::Cosignature;
pub use error::{Error, ErrorKind, ProofError, Result, StoreError};
pub use hash::{EMPTY_ROOT, Hash, leaf_hash, node_hash};
pub use key::{KeyType, SigningKey, VerifierKey};
pub use note::{MAX_NOTE_BYTES, MAX_SIGNATURES, Note, NoteSignature};
pub use proof::{ConsistencyProof, InclusionProof, verify_consistency, verify_inclusion};
pub use tree::store::{MemoryNodeStore, NodeId, NodeStore};
pub use tree::{MAX_TREE_SIZE, PendingAppend, Tree};
pub use witness::{MAX_REASON_BYTES, RestoreRecord, Witness};
