//! What `consent catalogue check` reports beyond validity: where a host's catalogue differs
//! from the current guidance the library was built on, and which consents it will refuse
//! because a statute already covers them. Advice, not errors: a catalogue that draws it still
//! loads, and the municipality's data protection officer decides.

use serde::Serialize;

use super::{Catalogue, ConsentRole, bits};

/// One finding of [`Catalogue::advice`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Advice {
    /// A stable code for the kind of finding (`format_1`, `self_consent_age`,
    /// `consent_basis_beside_statute`, `statute_covers`, `backdating`, `arkivlova_1992`).
    pub code: &'static str,
    /// What was found and why it matters, for the DPO.
    pub message: String,
}

impl Catalogue {
    /// Where this catalogue differs from current guidance, and which consents it refuses
    /// because an unconditional statutory rule already covers them (such a grant is refused
    /// with `InvalidInput`, so a caller asks consent only for what the law does not cover).
    ///
    /// ```
    /// use consent_core::Catalogue;
    /// let advice = Catalogue::embedded().advice();
    /// assert!(advice.iter().any(|a| a.code == "statute_covers"));
    /// assert!(!advice.iter().any(|a| a.code == "format_1"));
    /// ```
    pub fn advice(&self) -> Vec<Advice> {
        let mut out = Vec::new();
        let settings = self.settings();
        if self.format() < 2 {
            out.push(Advice {
                code: "format_1",
                message: "format 1: every consent is reported as the GDPR basis (A6_1_a), but a municipality's processing usually rests on law and consent lifts the duty of confidentiality; move to `format = 2` and declare each purpose's consent_role, art6 and statutes".into(),
            });
        }
        if settings.self_consent_age < 18 {
            out.push(Advice {
                code: "self_consent_age",
                message: format!(
                    "self_consent_age is {}: Datatilsynet's main rule is 18 (vergemålsloven § 9), younger only after a maturity assessment",
                    settings.self_consent_age
                ),
            });
        }
        if settings.max_backdating_days > 30 {
            out.push(Advice {
                code: "backdating",
                message: format!(
                    "max_backdating_days is {}: a consent recorded long after the fact proves little; historical consents belong in a migration",
                    settings.max_backdating_days
                ),
            });
        }
        for statute in self.statutes() {
            if statute.lovdata_id.as_deref() == Some("LOV-1992-12-04-126")
                && statute.valid_to.is_none()
            {
                out.push(Advice {
                    code: "arkivlova_1992",
                    message: format!(
                        "statute `{}` cites arkivlova 1992 without an end: LOV-2025-06-20-96 replaced it on 2026-01-01",
                        statute.code
                    ),
                });
            }
        }
        self.statute_advice(&mut out);
        out
    }

    /// Consents refused because a statute covers them, and purposes where consent is the
    /// basis beside such a statute.
    fn statute_advice(&self, out: &mut Vec<Advice>) {
        for rule in self.rules() {
            if !rule.is_unconditional() {
                continue;
            }
            let purposes: Vec<&str> = self
                .rule_purposes(rule)
                .iter()
                .map(|c| c.as_str())
                .collect();
            let categories: Vec<&str> = self
                .rule_categories(rule)
                .iter()
                .map(|c| c.as_str())
                .collect();
            out.push(Advice {
                code: "statute_covers",
                message: format!(
                    "rule `{}` ({}) covers {} for {} to `{}`: consent to it is refused, so it is never asked for",
                    rule.code,
                    rule.statute,
                    categories.join(", "),
                    purposes.join(", "),
                    self.rule_recipient(rule)
                ),
            });
            for purpose in bits(rule.purposes) {
                if let Some(p) = self.purposes().get(usize::from(purpose))
                    && p.consent_role == ConsentRole::Basis
                    && self.format() >= 2
                {
                    out.push(Advice {
                        code: "consent_basis_beside_statute",
                        message: format!(
                            "purpose `{}` declares consent as its basis, but rule `{}` rests it on law: one basis per purpose (after a withdrawal the basis may not be switched)",
                            p.code, rule.code
                        ),
                    });
                }
            }
        }
    }
}
