//! The law as code, pure: no I/O, no locks, no clock. Each rule has one home here.
//!
//! - `admission.rs`: what a grant must be to be recorded at all;
//! - `decide.rs`: the engine (may a disclosure happen at an instant, and on what basis);
//! - `grant_state.rs`: a grant's lifecycle, one status enum and one constructor;
//! - `competence.rs`: who may consent (ages, representatives) and when a grant lapses;
//! - `restriction.rs`: what a restriction or an objection stops;
//! - `erasure.rs`: when an archival duty keeps a person's records, and when kassasjon is due;
//! - `notification.rs`: who must be told of a lift, a rectification, a restriction, an erasure;
//! - `permission.rs`: who may do what (the catalogue's roles), and whether a decision needs an actor;
//! - `statistics.rs`: counts that cannot single a person out;
//! - `reconsent.rs`: which grants need new consent soon.

pub(crate) mod admission;
pub(crate) mod competence;
pub(crate) mod decide;
pub(crate) mod erasure;
pub(crate) mod grant_state;
pub(crate) mod notification;
pub(crate) mod permission;
pub(crate) mod reconsent;
pub(crate) mod restriction;
pub(crate) mod statistics;
