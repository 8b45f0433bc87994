//! Integration tests of consent-witness, one binary: the tree against a published RFC 6962
//! implementation (`ct-merkle`), RFC 9162's negative cases, forgery search, signed notes
//! against a second Ed25519 implementation (`ring`) and the C2SP example, and the witness.

#![expect(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    reason = "test helpers stop loudly on a broken fixture, and index fixtures they built"
)]

mod common;
mod ct_merkle_agrees;
mod forgery;
mod negative;
mod notes;
mod tree_costs;
mod witness;
