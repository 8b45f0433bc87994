//! Identifiers of people: national ids and their keyed pseudonyms.

pub(crate) mod national_id;
pub(crate) mod pseudonym;
