//! `[controller]`: who is responsible for the processing the catalogue describes (GDPR Art. 4(7),
//! behandlingsansvarlig), the unit that answers, and how to reach it and its data protection
//! officer (Art. 13(1)(a) and (b), Art. 30(1)(a)). The privacy notice, the record of processing
//! and the access letter print it; nothing in a decision depends on it.

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorCode, Result, printable};

/// The data controller a catalogue declares (`[controller]`, optional; format 2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Controller {
    /// The legal entity, e.g. "Elverum kommune".
    pub name: String,
    /// Its organisation number in Enhetsregisteret: nine digits, the last a modulus-11 control
    /// digit (stored without spaces).
    pub org_number: String,
    /// The unit that processes the data and answers, e.g. "Flyktningtjenesten".
    pub unit: String,
    /// How to reach the unit.
    pub contact: Contact,
    /// How to reach the data protection officer (personvernombud, Art. 37 to 39).
    pub dpo: Contact,
}

/// How to reach someone: at least one of e-mail, telephone, postal address or web address.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Contact {
    /// A person's or office's name, e.g. "Personvernombudet".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// An e-mail address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// A telephone number as printed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// A postal address on one line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// A web address (`https://…` or `http://…`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// The `[controller]` table as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ControllerDoc {
    name: String,
    org_number: String,
    unit: String,
    contact: Contact,
    dpo: Contact,
}

fn bad(message: impl Into<String>) -> Error {
    Error::new(ErrorCode::InvalidCatalogue, message)
}

impl ControllerDoc {
    /// Validates the table: names present, the organisation number's control digit, and a way
    /// to reach both the unit and the DPO.
    pub(super) fn validate(&self) -> Result<Controller> {
        let name = text("controller.name", &self.name)?;
        let unit = text("controller.unit", &self.unit)?;
        let org_number = org_number(&self.org_number)?;
        Ok(Controller {
            name,
            org_number,
            unit,
            contact: contact("controller.contact", &self.contact)?,
            dpo: contact("controller.dpo", &self.dpo)?,
        })
    }
}

/// A required line of text: not empty, one line.
fn text(field: &str, value: &str) -> Result<String> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(bad(format!("`{field}` is empty")));
    }
    if trimmed.contains(['\n', '\r']) {
        return Err(bad(format!("`{field}` must be one line")));
    }
    Ok(trimmed.to_owned())
}

/// Nine digits (spaces allowed between groups, as it is often printed) whose last digit is the
/// modulus-11 control digit with weights 3, 2, 7, 6, 5, 4, 3, 2 (Brønnøysundregistrene); a
/// remainder that would need control digit 10 is never issued. Returns the nine digits, or
/// why the text is not an organisation number, for the caller to word as its error.
///
/// ```
/// assert_eq!(consent_core::parse_org_number("974 770 539"), Ok("974770539".to_owned()));
/// assert_eq!(consent_core::parse_org_number("974770538"), Err("has a wrong control digit"));
/// ```
///
/// # Errors
/// The reason: not nine digits, a control digit of 10, or a wrong control digit.
pub fn parse_org_number(text: &str) -> std::result::Result<String, &'static str> {
    let digits: String = text.chars().filter(|c| *c != ' ').collect();
    let values: Vec<u32> = digits.chars().filter_map(|c| c.to_digit(10)).collect();
    if values.len() != 9 || digits.chars().count() != 9 {
        return Err("is not nine digits");
    }
    let weights = [3, 2, 7, 6, 5, 4, 3, 2];
    let sum: u32 = values.iter().zip(weights).map(|(v, w)| v * w).sum();
    let control = match 11 - sum % 11 {
        11 => 0,
        10 => return Err("cannot be an organisation number (control digit 10)"),
        c => c,
    };
    if values.last() != Some(&control) {
        return Err("has a wrong control digit");
    }
    Ok(digits)
}

/// [`parse_org_number`], as the catalogue's error.
pub(crate) fn org_number(text: &str) -> Result<String> {
    parse_org_number(text).map_err(|why| {
        bad(format!(
            "`controller.org_number` `{}` {why}",
            printable(text)
        ))
    })
}

/// A contact with at least one way to reach someone, each part one line, an e-mail address
/// with one `@` between a local part and a domain with a dot, a web address with its scheme.
fn contact(field: &str, given: &Contact) -> Result<Contact> {
    let part = |name: &str, value: &Option<String>| -> Result<Option<String>> {
        value
            .as_deref()
            .map(|v| text(&format!("{field}.{name}"), v))
            .transpose()
    };
    let checked = Contact {
        name: part("name", &given.name)?,
        email: part("email", &given.email)?,
        phone: part("phone", &given.phone)?,
        address: part("address", &given.address)?,
        url: part("url", &given.url)?,
    };
    if checked.email.is_none()
        && checked.phone.is_none()
        && checked.address.is_none()
        && checked.url.is_none()
    {
        return Err(bad(format!(
            "`{field}` needs an email, phone, address or url: a name alone is no way to reach anyone"
        )));
    }
    if let Some(email) = &checked.email {
        let valid = match email.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && !domain.contains('@')
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !email.contains(char::is_whitespace)
            }
            None => false,
        };
        if !valid {
            return Err(bad(format!(
                "`{field}.email` `{}` is not an e-mail address",
                printable(email)
            )));
        }
    }
    if let Some(url) = &checked.url {
        let rest = url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"));
        if rest.is_none_or(|r| r.is_empty() || r.contains(char::is_whitespace)) {
            return Err(bad(format!(
                "`{field}.url` `{}` is not a web address (https://…)",
                printable(url)
            )));
        }
    }
    Ok(checked)
}

#[cfg(test)]
mod tests {

    use super::*;

    #[test]
    fn organisation_numbers_need_nine_digits_and_their_control_digit() {
        // Numbers made for the examples, with valid control digits.
        assert_eq!(org_number("974 770 539").unwrap(), "974770539");
        assert_eq!(org_number("123456785").unwrap(), "123456785");
        for wrong in ["974770538", "97477053", "9747705390", "97477053a", ""] {
            let err = org_number(wrong).unwrap_err();
            assert_eq!(err.code(), ErrorCode::InvalidCatalogue, "{wrong}");
        }
    }

    #[test]
    fn a_contact_must_reach_someone() {
        let name_only = Contact {
            name: Some("Personvernombudet".into()),
            ..Contact::default()
        };
        let err = contact("controller.dpo", &name_only).unwrap_err();
        assert!(
            err.message().contains("controller.dpo"),
            "{}",
            err.message()
        );
        for email in [
            "dpo",
            "@elverum.kommune.no",
            "dpo@",
            "dpo@kommune",
            "a b@x.no",
        ] {
            let given = Contact {
                email: Some(email.into()),
                ..Contact::default()
            };
            assert!(contact("controller.dpo", &given).is_err(), "{email}");
        }
        let web = Contact {
            url: Some("www.elverum.kommune.no".into()),
            ..Contact::default()
        };
        assert!(contact("controller.contact", &web).is_err());
        let good = Contact {
            email: Some(" personvernombud@elverum.kommune.no ".into()),
            ..Contact::default()
        };
        let checked = contact("controller.dpo", &good).unwrap();
        assert_eq!(
            checked.email.as_deref(),
            Some("personvernombud@elverum.kommune.no")
        );
    }
}
