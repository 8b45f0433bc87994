//! The catalogues a ledger adopted over time, and the rule that lets one follow another: a
//! later catalogue keeps every code of the one before it at the same position.
//!
//! The projection interns purposes, recipients and categories as bit positions and a request's
//! conditions as bits too; recorded events name rules and confidentiality exceptions by code.
//! So a catalogue may add codes at the end of each of those lists and retire codes
//! (`retired_from`), never remove, reorder or reuse them. Statutes are exempt: events cite a
//! statute by its text, and rules refer to statute codes only within one catalogue.

use std::fmt;
use std::ops::Deref;
use std::sync::OnceLock;

use super::{Catalogue, Code};
use crate::error::{Error, Result};
use crate::time::Micros;

/// The version of the catalogue consent 0.1 embedded; a 0.1 ledger that stored this version
/// was written under [`Catalogue::embedded_v0_1`].
pub(crate) const V0_1_VERSION: &str = "2026-11-01";

const V0_1_TOML: &str = include_str!("v0_1.toml");

impl Catalogue {
    /// The default catalogue consent 0.1 embedded (version 2026-11-01, format 1): what a 0.1
    /// ledger that stored that version was written under. The upgrade records its adoption.
    pub fn embedded_v0_1() -> Catalogue {
        static V0_1: OnceLock<Catalogue> = OnceLock::new();
        V0_1.get_or_init(|| {
            // Validated by a unit test; should it ever fail, the empty catalogue denies
            // everything and the upgrade refuses it (its version is not 0.1's).
            Catalogue::from_toml(V0_1_TOML).unwrap_or_else(|_| super::parse::empty())
        })
        .clone()
    }

    /// Whether this catalogue may follow `earlier` in a ledger: it keeps every purpose,
    /// recipient, category, condition, confidentiality exception and rule code of `earlier` at
    /// the same position (new codes come after them; retired ones stay).
    ///
    /// # Errors
    /// `InvalidInput` naming the first code that moved or is missing.
    pub fn check_extends(&self, earlier: &Catalogue) -> Result<()> {
        fn prefix<'a>(
            kind: &str,
            earlier: impl Iterator<Item = &'a Code>,
            later: &[&'a Code],
        ) -> Result<()> {
            for (position, code) in earlier.enumerate() {
                match later.get(position) {
                    Some(found) if *found == code => {}
                    Some(found) => {
                        return Err(Error::invalid(format!(
                            "the {kind} at position {} is `{found}` where the catalogue in force has `{code}`: codes keep their positions (add new ones at the end, retire old ones with `retired_from`)",
                            position + 1
                        )));
                    }
                    None => {
                        return Err(Error::invalid(format!(
                            "the {kind} `{code}` of the catalogue in force is missing: codes are never removed (retire one with `retired_from`)"
                        )));
                    }
                }
            }
            Ok(())
        }
        let (a, b) = (&earlier.inner, &self.inner);
        prefix(
            "purpose",
            a.purposes.iter().map(|e| &e.code),
            &b.purposes.iter().map(|e| &e.code).collect::<Vec<_>>(),
        )?;
        prefix(
            "recipient",
            a.recipients.iter().map(|e| &e.code),
            &b.recipients.iter().map(|e| &e.code).collect::<Vec<_>>(),
        )?;
        prefix(
            "category",
            a.categories.iter().map(|e| &e.code),
            &b.categories.iter().map(|e| &e.code).collect::<Vec<_>>(),
        )?;
        prefix(
            "condition",
            a.conditions.iter().map(|e| &e.code),
            &b.conditions.iter().map(|e| &e.code).collect::<Vec<_>>(),
        )?;
        prefix(
            "exception",
            a.exceptions.iter().map(|e| &e.code),
            &b.exceptions.iter().map(|e| &e.code).collect::<Vec<_>>(),
        )?;
        prefix(
            "rule",
            a.rules.iter().map(|e| &e.code),
            &b.rules.iter().map(|e| &e.code).collect::<Vec<_>>(),
        )
    }
}

/// One adopted catalogue and the instant it is in force from.
struct Node {
    from: Micros,
    catalogue: Catalogue,
    next: OnceLock<Box<Node>>,
}

/// The catalogues a ledger adopted, in order, each in force from its instant until the next.
///
/// Lock-free for readers: a chain that only grows (adoptions are few, and the ledger's writer
/// lock serialises them). With one catalogue, finding the one in force is one atomic load,
/// so a ledger that never changes its catalogue decides as fast as before. Dereferences to
/// the catalogue in force now (the last adopted), which validates new records.
pub(crate) struct Catalogues {
    first: Node,
}

impl Catalogues {
    /// The first catalogue, in force from `from` (and before it: nothing precedes it).
    pub(crate) fn new(catalogue: Catalogue, from: Micros) -> Catalogues {
        Catalogues {
            first: Node {
                from,
                catalogue,
                next: OnceLock::new(),
            },
        }
    }

    /// Every adopted catalogue with the instant it is in force from, in order.
    pub(crate) fn entries(&self) -> Vec<(Micros, &Catalogue)> {
        let mut out = vec![(self.first.from, &self.first.catalogue)];
        let mut node = &self.first;
        while let Some(next) = node.next.get() {
            out.push((next.from, &next.catalogue));
            node = next;
        }
        out
    }

    fn last(&self) -> &Node {
        let mut node = &self.first;
        while let Some(next) = node.next.get() {
            node = next;
        }
        node
    }

    /// The catalogue in force now: the last adopted.
    pub(crate) fn current(&self) -> &Catalogue {
        &self.last().catalogue
    }

    /// When the catalogue in force now took force.
    pub(crate) fn current_from(&self) -> Micros {
        self.last().from
    }

    /// The catalogue in force at `at`: the last adopted at or before it; before the first
    /// adoption, the first.
    #[inline]
    pub(crate) fn at(&self, at: Micros) -> &Catalogue {
        let mut node = &self.first;
        while let Some(next) = node.next.get() {
            if next.from > at {
                break;
            }
            node = next;
        }
        &node.catalogue
    }

    /// Adds a catalogue in force from `from`. The caller holds the ledger's writer lock and
    /// checked that `catalogue` extends the current one and that `from` is not before it.
    pub(crate) fn push(&self, catalogue: Catalogue, from: Micros) -> Result<()> {
        self.last()
            .next
            .set(Box::new(Node {
                from,
                catalogue,
                next: OnceLock::new(),
            }))
            .map_err(|_| {
                Error::storage(
                    "catalogue adoption",
                    "another adoption was recorded at the same time",
                )
            })
    }

    /// How many catalogues were adopted.
    pub(crate) fn len(&self) -> usize {
        let mut count = 1;
        let mut node = &self.first;
        while let Some(next) = node.next.get() {
            count += 1;
            node = next;
        }
        count
    }
}

impl Deref for Catalogues {
    type Target = Catalogue;

    fn deref(&self) -> &Catalogue {
        self.current()
    }
}

impl fmt::Debug for Catalogues {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Catalogues")
            .field("in_force", self.current())
            .field("adopted", &self.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_0_1_catalogue_is_the_fixture_and_the_default_extends_it() {
        let v0_1 = Catalogue::embedded_v0_1();
        assert_eq!(v0_1.version(), V0_1_VERSION);
        assert_eq!(v0_1.format(), 1);
        let fixture = include_str!("../../tests/fixtures/v0_1/catalogue.toml");
        assert_eq!(v0_1.toml(), fixture);
        Catalogue::embedded().check_extends(&v0_1).unwrap();
        // Not the other way: the default has categories 0.1 lacks.
        assert!(v0_1.check_extends(&Catalogue::embedded()).is_err());
    }

    #[test]
    fn a_catalogue_that_moves_or_drops_a_code_does_not_extend() {
        let text = Catalogue::embedded_toml();
        let moved = text.replacen(
            "[[category]]\ncode = \"name\"",
            "[[category]]\ncode = \"alias\"\nname = \"Alias\"\n\n[[category]]\ncode = \"name\"",
            1,
        );
        let moved = Catalogue::from_toml(&moved).unwrap();
        let err = moved.check_extends(&Catalogue::embedded()).unwrap_err();
        assert_eq!(err.code(), crate::ErrorCode::InvalidInput);
        assert!(err.message().contains("`name`"), "{}", err.message());
    }

    #[test]
    fn the_catalogue_in_force_is_the_last_adopted_at_or_before_the_instant() {
        let one = Catalogue::embedded_v0_1();
        let two = Catalogue::embedded();
        let chain = Catalogues::new(one.clone(), 100);
        assert!(chain.at(0).ptr_eq(&one));
        assert!(chain.at(i64::MAX).ptr_eq(&one));
        chain.push(two.clone(), 200).unwrap();
        assert_eq!(chain.len(), 2);
        assert!(chain.at(50).ptr_eq(&one));
        assert!(chain.at(199).ptr_eq(&one));
        assert!(chain.at(200).ptr_eq(&two));
        assert!(chain.current().ptr_eq(&two));
        assert_eq!(chain.current_from(), 200);
        assert_eq!(chain.version(), two.version());
    }
}
