//! What users of consent-documents rely on: escaping, direction, no national id unless asked,
//! translation-file validation, the "nothing held" letter, deterministic bytes.

use consent_documents::{
    AccessAnswer, AccessContent, ErrorKind, Language, LetterRecipient, NationalIdForHeader,
    PrivacyNotice, ProcessingRecord, Translations,
};
use serde_json::Value;

const ACCESS: &str = include_str!("../samples/access.json");
const NOTHING: &str = include_str!("../samples/access-nothing-held.json");
const NOTICE: &str = include_str!("../samples/notice.json");
const RECORD: &str = include_str!("../samples/record.json");
const NB: &str = include_str!("../i18n/nb.toml");

/// The project's public example number (synthetic).
const EXAMPLE_ID: &str = "15038510190";

#[expect(clippy::unwrap_used, reason = "the shipped translations are a fixture")]
fn translations() -> Translations {
    Translations::builtin().unwrap()
}

#[expect(clippy::unwrap_used, reason = "the sample is a fixture")]
fn access() -> AccessAnswer {
    serde_json::from_str(ACCESS).unwrap()
}

/// Runs of 11 or more digits in `text`: what a national id would look like.
fn eleven_digit_runs(text: &str) -> Vec<String> {
    let mut runs = Vec::new();
    let mut current = String::new();
    for c in text.chars().chain(std::iter::once(' ')) {
        if c.is_ascii_digit() {
            current.push(c);
        } else {
            if current.len() >= 11 {
                runs.push(current.clone());
            }
            current.clear();
        }
    }
    runs
}

mod escaping {
    use super::*;

    /// Model fields that hold no free text: dates, enum tags, validated numbers.
    const NOT_FREE_TEXT: &[&str] = &[
        "org_number",
        "national_id",
        "at",
        "date",
        "given_at",
        "valid_until",
        "request_received",
        "from",
        "lifted",
        "published",
        "updated",
        "status",
        "art6",
        "art9",
        "exception",
        "given_by",
        "outcome",
        "consent",
        "content",
    ];
    /// Free-text fields a document does not show.
    const NOT_SHOWN: &[&str] = &["lovdata_id"];

    /// Replaces every free-text string of a sample with a hostile marker that names it.
    fn poison(value: &mut Value, key: &str, markers: &mut Vec<String>) {
        match value {
            Value::String(s) if !NOT_FREE_TEXT.contains(&key) => {
                let marker = format!("<script>x{}</script>\"'&", markers.len());
                *s = marker.clone();
                if !NOT_SHOWN.contains(&key) {
                    markers.push(marker);
                } else {
                    markers.push(String::new());
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|v| poison(v, key, markers)),
            Value::Object(map) => {
                for (k, v) in map.iter_mut() {
                    poison(v, k, markers);
                }
            }
            _ => {}
        }
    }

    fn check(html: &str, markers: &[String]) {
        assert!(
            !html.contains("<script"),
            "an unescaped value reached the HTML"
        );
        for marker in markers.iter().filter(|m| !m.is_empty()) {
            let escaped = marker
                .replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;")
                .replace('"', "&quot;")
                .replace('\'', "&#39;");
            assert!(html.contains(&escaped), "{marker} is not shown escaped");
        }
    }

    #[test]
    fn every_user_value_of_every_document_is_escaped() {
        let translations = translations();
        let nb = translations.get("nb").unwrap();
        for (sample, render) in [
            (
                ACCESS,
                (|v: Value, l: &Language| {
                    serde_json::from_value::<AccessAnswer>(v)
                        .unwrap()
                        .to_html(l)
                }) as fn(Value, &Language) -> _,
            ),
            (NOTICE, |v, l| {
                serde_json::from_value::<PrivacyNotice>(v)
                    .unwrap()
                    .to_html(l)
            }),
            (RECORD, |v, l| {
                serde_json::from_value::<ProcessingRecord>(v)
                    .unwrap()
                    .to_html(l)
            }),
        ] {
            let mut value: Value = serde_json::from_str(sample).unwrap();
            let mut markers = Vec::new();
            poison(&mut value, "", &mut markers);
            assert!(markers.len() > 10, "the sample has too few texts to test");
            // A recipient name too, in the letter's header.
            let html = render(value, nb).unwrap();
            check(&html, &markers);
        }
    }

    #[test]
    fn the_csv_quotes_values_and_disarms_formulas() {
        let mut record: ProcessingRecord = serde_json::from_str(RECORD).unwrap();
        record.activities[0].purpose = "=HYPERLINK(\"http://x\",\"a,b\")".to_owned();
        let csv = record.to_csv(translations().get("nb").unwrap()).unwrap();
        assert!(
            csv.contains("\"'=HYPERLINK(\"\"http://x\"\",\"\"a,b\"\")"),
            "{csv}"
        );
        assert!(!csv.contains(",=HYPERLINK"));
        assert_eq!(csv.lines().filter(|l| l.starts_with("\"(a)")).count(), 1);
    }
}

mod direction {
    use super::*;

    #[test]
    fn arabic_documents_are_right_to_left_with_isolated_values() {
        let translations = translations();
        for code in ["ar", "prs"] {
            let html = access().to_html(translations.get(code).unwrap()).unwrap();
            assert!(
                html.contains(&format!("<html lang=\"{code}\" dir=\"rtl\">")),
                "{code}"
            );
            // Codes (org number, citations) are left to right inside the right-to-left text;
            // names and dates are isolated with their own direction.
            assert!(
                html.contains("<bdi dir=\"ltr\">123 456 785</bdi>"),
                "{code}"
            );
            assert!(
                html.contains("<bdi dir=\"ltr\">GDPR art. 6(1)(e)</bdi>"),
                "{code}"
            );
            assert!(html.contains("<bdi>Elverum kommune</bdi>"), "{code}");
            // The timeline runs right to left too.
            assert!(html.contains("direction=\"rtl\""), "{code}");
        }
    }

    #[test]
    fn left_to_right_documents_say_so() {
        let translations = translations();
        for code in ["nb", "nn", "en", "uk"] {
            let lang = translations.get(code).unwrap();
            let html = access().to_html(lang).unwrap();
            assert!(
                html.contains(&format!("<html lang=\"{code}\" dir=\"ltr\">")),
                "{code}"
            );
            assert!(html.contains("direction=\"ltr\""), "{code}");
        }
    }

    #[test]
    fn pdfs_carry_their_language_and_embed_their_fonts() {
        let translations = translations();
        for code in ["nb", "ar"] {
            let pdf = access().to_pdf(translations.get(code).unwrap()).unwrap();
            assert!(pdf.starts_with(b"%PDF-"));
            let text = String::from_utf8_lossy(&pdf);
            assert!(text.contains(&format!("/Lang ({code})")), "{code}");
            assert!(
                text.contains("/FontFile2"),
                "{code}: fonts are not embedded"
            );
            // Tagged: a structure tree for assistive technology.
            assert!(text.contains("/StructTreeRoot"), "{code}: not tagged");
            assert!(text.contains("/Marked true"), "{code}: not marked");
        }
    }
}

mod national_id {
    use super::*;

    #[test]
    fn no_national_id_appears_unless_passed_for_the_header() {
        let translations = translations();
        let lang = translations.get("nb").unwrap();
        let mut letter = access();
        letter.recipient = Some(LetterRecipient {
            name: "Amina Hassan".to_owned(),
            national_id: None,
        });
        let html = letter.to_html(lang).unwrap();
        assert!(
            eleven_digit_runs(&html).is_empty(),
            "{:?}",
            eleven_digit_runs(&html)
        );

        let id = NationalIdForHeader::try_from(EXAMPLE_ID.to_owned()).unwrap();
        letter.recipient = Some(LetterRecipient {
            name: "Amina Hassan".to_owned(),
            national_id: Some(id),
        });
        let html = letter.to_html(lang).unwrap();
        assert_eq!(eleven_digit_runs(&html), [EXAMPLE_ID]);
        assert_eq!(html.matches(EXAMPLE_ID).count(), 1, "only in the header");
        // The model's debug output never shows it.
        assert!(!format!("{letter:?}").contains(EXAMPLE_ID));
    }

    #[test]
    fn an_invalid_header_id_is_refused_without_echoing_it() {
        let mut value: Value = serde_json::from_str(ACCESS).unwrap();
        value["recipient"]["national_id"] = Value::String("15038510191".to_owned());
        let error = serde_json::from_value::<AccessAnswer>(value)
            .unwrap_err()
            .to_string();
        assert!(error.contains("not a valid national id"), "{error}");
        assert!(!error.contains("15038510191"), "{error}");
    }
}

mod translations_files {
    use super::*;

    fn without_line(text: &str, line: &str) -> String {
        assert!(text.contains(line), "{line}");
        text.replacen(line, "", 1)
    }

    #[test]
    fn a_missing_key_is_named() {
        let broken = without_line(NB, "summary_heading = \"Kort oppsummert\"\n");
        let error = Language::from_toml(&broken).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::MissingTranslationKey);
        assert_eq!(
            error.message(),
            "translation `nb` lacks the key `access.summary_heading`"
        );
    }

    #[test]
    fn unknown_keys_wrong_placeholders_and_bad_meta_are_refused() {
        let unknown = NB.replace("[contact]\n", "[contact]\ntypo = \"x\"\n");
        assert_eq!(
            Language::from_toml(&unknown).unwrap_err().kind(),
            ErrorKind::UnknownTranslationKey
        );

        let lost = NB.replace(
            "received = \"Vi mottok kravet ditt {date}.\"",
            "received = \"Vi mottok kravet ditt.\"",
        );
        let error = Language::from_toml(&lost).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::PlaceholderMismatch);
        assert!(error.message().contains("access.received"), "{error}");

        let renamed = NB.replace("{years} år", "{yrs} år");
        assert_eq!(
            Language::from_toml(&renamed).unwrap_err().kind(),
            ErrorKind::PlaceholderMismatch
        );

        let direction = NB.replace("direction = \"ltr\"", "direction = \"up\"");
        assert_eq!(
            Language::from_toml(&direction).unwrap_err().kind(),
            ErrorKind::InvalidTranslationFile
        );

        assert_eq!(
            Language::from_toml("not toml [").unwrap_err().kind(),
            ErrorKind::InvalidTranslationFile
        );
    }

    #[test]
    fn a_character_without_a_glyph_is_refused() {
        // Ethiopic (Tigrinya) has no embedded font yet: such a file must not load.
        let tigrinya = NB.replace("none = \"Ingen.\"", "none = \"የለን።\"");
        let error = Language::from_toml(&tigrinya).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::MissingGlyph);
        assert!(error.message().contains("U+12E8"), "{error}");
    }

    #[test]
    fn every_shipped_file_loads_and_has_every_key() {
        let translations = translations();
        let codes: Vec<&str> = translations.codes().collect();
        assert_eq!(codes, ["ar", "en", "nb", "nn", "prs", "uk"]);
        for code in codes {
            let lang = translations.get(code).unwrap();
            assert!(
                !lang.reviewed(),
                "{code}: our own translations are marked for review"
            );
        }
        assert!(Translations::required_keys().count() > 150);
    }

    #[test]
    fn a_municipality_adds_a_language_at_run_time() {
        let dir = tempfile::tempdir().unwrap();
        let british = NB.replace("code = \"nb\"", "code = \"en-GB\"").replace(
            "title = \"Svar på krav om innsyn i personopplysninger\"",
            "title = \"Subject access response\"",
        );
        std::fs::write(dir.path().join("en-GB.toml"), &british).unwrap();
        let mut translations = translations();
        assert_eq!(
            translations.get("en-GB").unwrap_err().kind(),
            ErrorKind::UnknownLanguage
        );
        translations.add_dir(dir.path()).unwrap();
        let html = access()
            .to_html(translations.get("en-GB").unwrap())
            .unwrap();
        assert!(html.contains("<h1>Subject access response</h1>"));

        // A file named for another language is refused, and nothing of the folder is added.
        let other = tempfile::tempdir().unwrap();
        std::fs::write(
            other.path().join("a.toml"),
            NB.replace("code = \"nb\"", "code = \"se\""),
        )
        .unwrap();
        std::fs::write(other.path().join("fr.toml"), &british).unwrap();
        let error = translations.add_dir(other.path()).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidTranslationFile);
        assert_eq!(
            translations.get("se").unwrap_err().kind(),
            ErrorKind::UnknownLanguage
        );
    }
}

mod glyphs {
    use super::*;

    #[test]
    fn a_pdf_with_a_character_the_fonts_cannot_draw_is_refused() {
        let translations = translations();
        let nb = translations.get("nb").unwrap();
        let mut letter = access();
        letter.recipient = Some(LetterRecipient {
            name: "ሰላም".to_owned(),
            national_id: None,
        });
        let error = letter.to_pdf(nb).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::MissingGlyph);
        assert!(error.message().contains("U+1230"), "{error}");
        // HTML leaves glyphs to the reader's browser and fonts.
        assert!(letter.to_html(nb).unwrap().contains("ሰላም"));
    }

    #[test]
    fn a_contact_with_only_a_name_is_no_contact() {
        let mut letter = access();
        letter.controller.dpo = consent_documents::Contact {
            name: Some("Personvernombudet".to_owned()),
            ..Default::default()
        };
        let error = letter
            .to_html(translations().get("nb").unwrap())
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidModel);
        assert!(error.message().starts_with("`controller.dpo`"), "{error}");
    }
}

mod nothing_held {
    use super::*;

    #[test]
    fn the_letter_confirms_nothing_is_held_and_still_states_rights() {
        let translations = translations();
        let letter: AccessAnswer = serde_json::from_str(NOTHING).unwrap();
        assert_eq!(letter.content, AccessContent::NothingHeld);
        let html = letter.to_html(translations.get("nb").unwrap()).unwrap();
        assert!(html.contains(">Det vi har registrert om deg</h2>"));
        assert!(html.contains("har ingen opplysninger om deg registrert"));
        assert!(html.contains(">Dine rettigheter</h2>"));
        assert!(html.contains(">Klage til Datatilsynet</h2>"));
        assert!(!html.contains(">Samtykker</h2>"));
        assert!(!html.contains("<svg"), "no timeline when nothing happened");
        let pdf = letter.to_pdf(translations.get("ar").unwrap()).unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
    }

    #[test]
    fn a_held_letter_has_every_section_and_the_timeline() {
        let html = access().to_html(translations().get("en").unwrap()).unwrap();
        for heading in [
            "In short",
            "Consents",
            "Consents you refused",
            "Who has received data about you",
            "Who has looked at your data",
            "Restriction and objection",
            "Timeline",
            "Your rights",
            "Complaint to the Norwegian Data Protection Authority",
        ] {
            assert!(html.contains(&format!(">{heading}</h2>")), "{heading}");
        }
        assert!(html.contains("<svg") && html.contains("role=\"img\""));
        assert!(html.contains("<th scope=\"col\">") && html.contains("<caption>"));
        // Both legal gates of a disclosure are spelled out.
        assert!(html.contains("Legal basis under the GDPR"));
        assert!(html.contains("Exception from the duty of confidentiality"));
    }
}

mod determinism {
    use super::*;

    #[test]
    fn the_same_model_gives_the_same_bytes() {
        let (a, b) = (translations(), translations());
        for code in ["nb", "ar"] {
            let (x, y) = (a.get(code).unwrap(), b.get(code).unwrap());
            assert_eq!(access().to_html(x).unwrap(), access().to_html(y).unwrap());
            assert_eq!(access().to_pdf(x).unwrap(), access().to_pdf(y).unwrap());
            let notice: PrivacyNotice = serde_json::from_str(NOTICE).unwrap();
            assert_eq!(notice.to_pdf(x).unwrap(), notice.to_pdf(y).unwrap());
        }
        let record: ProcessingRecord = serde_json::from_str(RECORD).unwrap();
        let nb = a.get("nb").unwrap();
        assert_eq!(record.to_csv(nb).unwrap(), record.to_csv(nb).unwrap());
    }

    #[test]
    fn list_order_in_the_model_does_not_change_the_document() {
        let nb = translations();
        let nb = nb.get("nb").unwrap();
        let mut shuffled = access();
        if let AccessContent::Held(held) = &mut shuffled.content {
            held.consents.reverse();
            held.disclosures.reverse();
            held.lookups.reverse();
        }
        assert_eq!(access().to_html(nb).unwrap(), shuffled.to_html(nb).unwrap());
    }
}

mod validation {
    use super::*;

    #[test]
    fn inconsistent_models_are_refused_with_the_field_named() {
        let nb = translations();
        let nb = nb.get("nb").unwrap();

        let mut value: Value = serde_json::from_str(ACCESS).unwrap();
        value["content"]["held"]["consents"][0]["history"][0]["at"] =
            Value::String("2026-01-01T00:00:00Z".to_owned());
        let letter: AccessAnswer = serde_json::from_value(value).unwrap();
        let error = letter.to_html(nb).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidModel);
        assert!(
            error.message().starts_with("`consents[0].history`"),
            "{error}"
        );

        let mut value: Value = serde_json::from_str(NOTICE).unwrap();
        value["purposes"][0]["gdpr"]["statute"] = Value::Null;
        let notice: PrivacyNotice = serde_json::from_value(value).unwrap();
        let error = notice.to_pdf(nb).unwrap_err();
        assert!(error.message().contains("purposes[0].gdpr"), "{error}");

        let mut value: Value = serde_json::from_str(RECORD).unwrap();
        value["controller"]["org_number"] = Value::String("123456789".to_owned());
        assert!(serde_json::from_value::<ProcessingRecord>(value).is_err());

        let mut record: ProcessingRecord = serde_json::from_str(RECORD).unwrap();
        record.activities[1].security.clear();
        assert_eq!(
            record.to_csv(nb).unwrap_err().kind(),
            ErrorKind::InvalidModel
        );
    }

    #[test]
    fn unknown_fields_in_a_model_are_refused() {
        let mut value: Value = serde_json::from_str(ACCESS).unwrap();
        value["pseudonym"] = Value::String("x".to_owned());
        assert!(serde_json::from_value::<AccessAnswer>(value).is_err());
    }
}
