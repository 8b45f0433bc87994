//! Norwegian national identity numbers: fødselsnummer and D-nummer, and the DUF number a
//! refugee has before either.
//!
//! Only format and control digits are checked; the date part is decoded for the age rules,
//! but a D-nummer's date is never a reliable birth date (UDI may use the registration date).
//!
//! A DUF number is UDI's case number (Datasystemet for utlendings- og flyktningsaker): 12
//! digits, the first four the year the case was registered (UDI, "Hva er et DUF-nummer?",
//! udi.no; SSB's KOSTRA guidance on refugee ids). Only that format is checked: a control digit
//! for it is described in SSB's KOSTRA documentation (mod 11, weights 4 6 3 2 4 6 3 2 7 5), but
//! UDI's own published example does not satisfy it, so it is not enforced. DPO: confirm with
//! UDI before enforcing one.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};

use crate::error::{Error, ErrorCode, Result};
use crate::time;

const W1: [u32; 10] = [3, 7, 6, 1, 8, 9, 4, 5, 2, 1];
const W2: [u32; 11] = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2, 1];

/// What kind of number a [`NationalId`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum IdKind {
    /// A fødselsnummer, issued by Folkeregisteret at birth or immigration.
    Fodselsnummer,
    /// A D-nummer (day + 40), issued to people with a temporary connection to Norway.
    DNummer,
    /// A synthetic test number (month + 40 or + 80); accepted only in test mode.
    Synthetic,
    /// A DUF number: UDI's 12-digit case number, held before a D-nummer or fødselsnummer. It
    /// encodes no birth date.
    Duf,
}

/// Which control-digit rule the number satisfied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum IdProfile {
    /// The rule for numbers issued before 2032: K1 remainder 0.
    Legacy,
    /// The relaxed rule for numbers issued from 2032-01-01: K1 remainder 0 to 3. The century
    /// can no longer be derived from such a number.
    Pid2032,
}

/// How strictly national ids are parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdOptions {
    /// Accept the relaxed 2032 first control digit (remainders 0 to 3). On by default, so the
    /// library keeps accepting real people once such numbers are issued; the second control
    /// digit still catches typing errors.
    pub accept_pid2032: bool,
    /// Accept synthetic test numbers (month + 40 or + 80). Off by default; never in production.
    pub test_mode: bool,
}

impl Default for IdOptions {
    fn default() -> Self {
        IdOptions {
            accept_pid2032: true,
            test_mode: false,
        }
    }
}

/// A validated Norwegian national identity number (fødselsnummer or D-nummer).
///
/// `Debug` masks the number; there is no `Display`. Use [`NationalId::expose`] only where the
/// number must be passed on, never in logs or messages.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct NationalId {
    /// The digits: 11 of a national id, or 12 of a DUF number (the last then used).
    digits: [u8; 12],
    kind: IdKind,
    profile: IdProfile,
    birth_date: Option<NaiveDate>,
}

fn invalid(message: &str) -> Error {
    Error::new(ErrorCode::InvalidNationalId, message)
}

impl NationalId {
    /// Parses and validates a number with the default [`IdOptions`].
    ///
    /// # Errors
    /// `InvalidNationalId` when the number is not 11 digits, a control digit is wrong, or the
    /// date part is impossible. The message never contains the number.
    pub fn parse(value: &str) -> Result<Self> {
        Self::parse_with(value, IdOptions::default())
    }

    /// Parses and validates a number.
    ///
    /// # Errors
    /// As [`NationalId::parse`]; synthetic numbers are rejected unless `options.test_mode`.
    pub fn parse_with(value: &str, options: IdOptions) -> Result<Self> {
        let bytes = value.as_bytes();
        if bytes.len() == 12 {
            return Self::parse_duf(bytes);
        }
        let mut digits = [0u8; 11];
        if bytes.len() != 11 {
            return Err(invalid(
                "national id must be exactly 11 digits (or a DUF number of 12)",
            ));
        }
        for (slot, byte) in digits.iter_mut().zip(bytes) {
            if !byte.is_ascii_digit() {
                return Err(invalid("national id must be exactly 11 digits"));
            }
            *slot = byte - b'0';
        }
        let k1_remainder = weighted_sum(&digits, &W1) % 11;
        let k2_remainder = weighted_sum(&digits, &W2) % 11;
        let profile = match k1_remainder {
            0 => IdProfile::Legacy,
            1..=3 if options.accept_pid2032 => IdProfile::Pid2032,
            _ => return Err(invalid("national id has an invalid first control digit")),
        };
        if k2_remainder != 0 {
            return Err(invalid("national id has an invalid second control digit"));
        }

        let [d1, d2, m1, m2, y1, y2, i1, i2, i3, _, _] = digits;
        let mut day = u32::from(d1) * 10 + u32::from(d2);
        let mut month = u32::from(m1) * 10 + u32::from(m2);
        let yy = u32::from(y1) * 10 + u32::from(y2);
        let individ = u32::from(i1) * 100 + u32::from(i2) * 10 + u32::from(i3);

        let mut kind = IdKind::Fodselsnummer;
        if d1 >= 8 {
            return Err(invalid(
                "national id has an invalid day (help numbers are not national ids)",
            ));
        }
        if d1 >= 4 {
            kind = IdKind::DNummer;
            day -= 40;
        }
        match month {
            1..=12 => {}
            41..=52 | 81..=92 if options.test_mode => {
                month -= if month > 80 { 80 } else { 40 };
                kind = IdKind::Synthetic;
            }
            41..=52 | 81..=92 => {
                return Err(invalid(
                    "national id has an invalid month (synthetic test numbers are accepted only in test mode)",
                ));
            }
            _ => return Err(invalid("national id has an invalid month")),
        }
        if !(1..=31).contains(&day) {
            return Err(invalid("national id has an invalid day"));
        }

        let century = match profile {
            IdProfile::Legacy => century(individ, yy),
            IdProfile::Pid2032 => None,
        };
        let birth_date = match century {
            Some(century) => {
                let year = century + i32::from(y1) * 10 + i32::from(y2);
                let date = NaiveDate::from_ymd_opt(year, month, day)
                    .ok_or_else(|| invalid("national id has a date that does not exist"))?;
                Some(date)
            }
            None => {
                // No century: check the day against the longest month it could be.
                if NaiveDate::from_ymd_opt(2000, month, day).is_none() {
                    return Err(invalid("national id has a date that does not exist"));
                }
                None
            }
        };
        let mut all = [0u8; 12];
        for (slot, digit) in all.iter_mut().zip(digits) {
            *slot = digit;
        }
        Ok(NationalId {
            digits: all,
            kind,
            profile,
            birth_date,
        })
    }

    /// A DUF number: 12 ASCII digits whose first four are a year from 1900 to 2099.
    fn parse_duf(bytes: &[u8]) -> Result<Self> {
        let mut digits = [0u8; 12];
        for (slot, byte) in digits.iter_mut().zip(bytes) {
            if !byte.is_ascii_digit() {
                return Err(invalid("a DUF number must be exactly 12 digits"));
            }
            *slot = byte - b'0';
        }
        if !matches!(digits, [1, 9, ..] | [2, 0, ..]) {
            return Err(invalid(
                "a DUF number starts with the year its case was registered (19xx or 20xx)",
            ));
        }
        Ok(NationalId {
            digits,
            kind: IdKind::Duf,
            profile: IdProfile::Legacy,
            birth_date: None,
        })
    }

    /// The kind of number.
    pub fn kind(&self) -> IdKind {
        self.kind
    }

    /// The control-digit rule the number satisfied.
    pub fn profile(&self) -> IdProfile {
        self.profile
    }

    /// The number in clear text. Pass it on only where a disclosure needs it; never log it.
    pub fn expose(&self) -> String {
        self.digits().iter().map(|d| char::from(b'0' + d)).collect()
    }

    /// The digits: 11, or 12 for a DUF number.
    pub(crate) fn digits(&self) -> &[u8] {
        let len = if self.kind == IdKind::Duf { 12 } else { 11 };
        self.digits.get(..len).unwrap_or(&self.digits)
    }

    /// The instant (local midnight in Norway) at which the subject reaches `age` years, when
    /// the birth date can be read from the number: `None` for a 2032-style number.
    pub fn reaches_age_at(&self, age: u32) -> Option<DateTime<Utc>> {
        let date = time::anniversary(self.birth_date?, age)?;
        time::oslo_midnight(date)
    }

    /// Whether the birth date (and so the subject's age) can be read from the number.
    pub fn has_birth_date(&self) -> bool {
        self.birth_date.is_some()
    }

    /// The birth date the number encodes, when it can be read.
    pub(crate) fn birth_date(&self) -> Option<NaiveDate> {
        self.birth_date
    }
}

fn weighted_sum<const N: usize>(digits: &[u8; 11], weights: &[u32; N]) -> u32 {
    digits
        .iter()
        .zip(weights)
        .map(|(d, w)| u32::from(*d) * w)
        .sum()
}

/// The century from the individnummer ranges of numbers issued before 2032.
fn century(individ: u32, yy: u32) -> Option<i32> {
    match individ {
        0..=499 => Some(1900),
        500..=749 if yy >= 55 => Some(1800),
        500..=999 if yy < 40 => Some(2000),
        900..=999 => Some(1900),
        _ => None,
    }
}

impl fmt::Debug for NationalId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NationalId")
            .field("kind", &self.kind)
            .field("value", &"***********")
            .finish()
    }
}

impl FromStr for NationalId {
    type Err = Error;

    fn from_str(value: &str) -> Result<Self> {
        NationalId::parse(value)
    }
}

impl TryFrom<&str> for NationalId {
    type Error = Error;

    fn try_from(value: &str) -> Result<Self> {
        NationalId::parse(value)
    }
}

/// Computes the two control digits for nine leading digits under the legacy rule, when they
/// exist. Used by tests and the example to make valid synthetic-looking numbers.
#[doc(hidden)]
pub fn control_digits(first_nine: &str) -> Option<String> {
    let digits: Vec<u32> = first_nine
        .chars()
        .map(|c| c.to_digit(10))
        .collect::<Option<_>>()?;
    if digits.len() != 9 {
        return None;
    }
    let ctrl = |ds: &[u32], w: &[u32]| {
        let r = ds.iter().zip(w).map(|(d, w)| d * w).sum::<u32>() % 11;
        if r == 0 { 0 } else { 11 - r }
    };
    let k1 = ctrl(&digits, &W1);
    if k1 == 10 {
        return None;
    }
    let mut ten = digits.clone();
    ten.push(k1);
    let k2 = ctrl(&ten, &W2);
    if k2 == 10 {
        return None;
    }
    Some(format!("{first_nine}{k1}{k2}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn worked_example_from_the_standard() {
        assert_eq!(control_digits("311299567").as_deref(), Some("31129956715"));
        let id = NationalId::parse("31129956715").unwrap();
        assert_eq!(id.kind(), IdKind::Fodselsnummer);
        assert_eq!(id.profile(), IdProfile::Legacy);
        // Individnummer 567 with YY 99 is from the 1800s.
        assert_eq!(id.birth_date, NaiveDate::from_ymd_opt(1899, 12, 31));
    }

    #[test]
    fn every_single_wrong_digit_is_caught() {
        let valid = "15038510190";
        assert!(NationalId::parse(valid).is_ok());
        for position in 0..11 {
            for replacement in b'0'..=b'9' {
                let mut bytes = valid.as_bytes().to_vec();
                if bytes[position] == replacement {
                    continue;
                }
                bytes[position] = replacement;
                let candidate = String::from_utf8(bytes).unwrap();
                let legacy = IdOptions {
                    accept_pid2032: false,
                    test_mode: false,
                };
                let result = NationalId::parse_with(&candidate, legacy);
                assert!(result.is_err(), "{position}/{replacement} accepted");
                assert_eq!(result.unwrap_err().code(), ErrorCode::InvalidNationalId);
            }
        }
    }

    #[test]
    fn errors_never_echo_the_number() {
        for bad in ["15038510191", "1503851019", "1503851019x", "99999999999"] {
            let err = NationalId::parse(bad).unwrap_err();
            assert!(!err.message().contains(bad), "{}", err.message());
            assert!(!err.message().contains("1503851"), "{}", err.message());
        }
        let id = NationalId::parse("15038510190").unwrap();
        assert!(!format!("{id:?}").contains("15038510190"));
    }

    #[test]
    fn d_nummer_decodes_the_day_after_removing_the_offset() {
        let number = control_digits("550385101").unwrap();
        let id = NationalId::parse(&number).unwrap();
        assert_eq!(id.kind(), IdKind::DNummer);
        assert_eq!(id.birth_date, NaiveDate::from_ymd_opt(1985, 3, 15));
        // Day 72 (32 + 40) does not exist.
        let bad = control_digits("720385101").unwrap();
        assert_eq!(
            NationalId::parse(&bad).unwrap_err().code(),
            ErrorCode::InvalidNationalId
        );
    }

    /// A valid number from eight leading digits, trying each ninth digit.
    fn with_ninth(eight: &str) -> String {
        (0..10)
            .find_map(|d| control_digits(&format!("{eight}{d}")))
            .unwrap()
    }

    #[test]
    fn centuries_follow_the_individnummer_ranges() {
        let year = |nine: &str| {
            let number = with_ninth(nine.get(..8).unwrap());
            NationalId::parse(&number)
                .unwrap()
                .birth_date
                .map(|d| d.format("%Y").to_string())
        };
        assert_eq!(year("010185123").as_deref(), Some("1985"));
        assert_eq!(year("010110523").as_deref(), Some("2010"));
        assert_eq!(year("010160523").as_deref(), Some("1860"));
        assert_eq!(year("010150923").as_deref(), Some("1950"));
        assert_eq!(year("010150823"), None);
    }

    #[test]
    fn impossible_dates_are_rejected() {
        // 29 February 2001 does not exist; 2000 was a leap year.
        let bad = control_digits("290201523").unwrap();
        assert!(NationalId::parse(&bad).is_err());
        let good = control_digits("290200523").unwrap();
        assert!(NationalId::parse(&good).is_ok());
        let month13 = control_digits("011385123").unwrap();
        assert!(NationalId::parse(&month13).is_err());
    }

    #[test]
    fn the_2032_rule_relaxes_only_k1() {
        // Find a number whose K1 remainder is 2 with a valid K2.
        let mut found = None;
        'outer: for k1 in 0..10u8 {
            for k2 in 0..10u8 {
                let number = format!("010130123{k1}{k2}");
                let digits: [u8; 11] = std::array::from_fn(|i| number.as_bytes()[i] - b'0');
                if weighted_sum(&digits, &W1) % 11 == 2 && weighted_sum(&digits, &W2) % 11 == 0 {
                    found = Some(number);
                    break 'outer;
                }
            }
        }
        let number = found.unwrap();
        let id = NationalId::parse(&number).unwrap();
        assert_eq!(id.profile(), IdProfile::Pid2032);
        assert!(!id.has_birth_date());
        let legacy = IdOptions {
            accept_pid2032: false,
            test_mode: false,
        };
        assert!(NationalId::parse_with(&number, legacy).is_err());
    }

    #[test]
    fn synthetic_numbers_need_test_mode() {
        let tenor = control_digits("018385123").unwrap();
        let err = NationalId::parse(&tenor).unwrap_err();
        assert!(err.message().contains("test mode"));
        let test = IdOptions {
            accept_pid2032: true,
            test_mode: true,
        };
        let id = NationalId::parse_with(&tenor, test).unwrap();
        assert_eq!(id.kind(), IdKind::Synthetic);
        assert_eq!(id.birth_date, NaiveDate::from_ymd_opt(1985, 3, 1));
    }

    #[test]
    fn help_numbers_are_not_national_ids() {
        let fh = control_digits("811111123").unwrap();
        assert!(NationalId::parse(&fh).is_err());
    }

    #[test]
    fn reaching_an_age_is_local_midnight() {
        let id = NationalId::parse(&control_digits("150608523").unwrap()).unwrap();
        assert_eq!(
            id.reaches_age_at(18),
            Some(chrono::Utc.with_ymd_and_hms(2026, 6, 14, 22, 0, 0).unwrap())
        );
    }
}
