//! The serde types of the JSON contract: requests, actors, evidence and decisions.

pub(crate) mod decision;
pub(crate) mod grant;
pub(crate) mod text;
