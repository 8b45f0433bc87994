//! Renders the sample models in `samples/` in every shipped language, into a folder.
//!
//! `scripts/test-documents.sh` runs this and checks the output with validators the project did
//! not write (the Nu Html Checker, axe-core in Chromium, pdftotext).
//!
//! Run: `cargo run -p consent-documents --example render_samples -- OUT_DIR`

use std::error::Error;
use std::fs;
use std::path::{Path, PathBuf};

use consent_documents::{AccessAnswer, PrivacyNotice, ProcessingRecord, Translations};

fn load<T: serde::de::DeserializeOwned>(name: &str) -> Result<T, Box<dyn Error>> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("samples")
        .join(name);
    let text = fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?)
}

fn main() -> Result<(), Box<dyn Error>> {
    let out = PathBuf::from(
        std::env::args()
            .nth(1)
            .ok_or("usage: render_samples OUT_DIR")?,
    );
    fs::create_dir_all(&out)?;
    let translations = Translations::builtin()?;
    let access: AccessAnswer = load("access.json")?;
    let nothing: AccessAnswer = load("access-nothing-held.json")?;
    let notice: PrivacyNotice = load("notice.json")?;
    let record: ProcessingRecord = load("record.json")?;

    let mut written = 0;
    let mut write = |name: String, bytes: &[u8]| -> Result<(), Box<dyn Error>> {
        fs::write(out.join(&name), bytes)?;
        written += 1;
        Ok(())
    };
    for code in translations.codes() {
        let lang = translations.get(code)?;
        write(
            format!("access-{code}.html"),
            access.to_html(lang)?.as_bytes(),
        )?;
        write(format!("access-{code}.pdf"), &access.to_pdf(lang)?)?;
        write(
            format!("access-nothing-held-{code}.html"),
            nothing.to_html(lang)?.as_bytes(),
        )?;
        write(
            format!("access-nothing-held-{code}.pdf"),
            &nothing.to_pdf(lang)?,
        )?;
        write(
            format!("notice-{code}.html"),
            notice.to_html(lang)?.as_bytes(),
        )?;
        write(format!("notice-{code}.pdf"), &notice.to_pdf(lang)?)?;
        write(
            format!("record-{code}.html"),
            record.to_html(lang)?.as_bytes(),
        )?;
        write(format!("record-{code}.pdf"), &record.to_pdf(lang)?)?;
    }
    let nb = translations.get("nb")?;
    write("record-nb.csv".to_owned(), record.to_csv(nb)?.as_bytes())?;
    println!("rendered {written} documents into {}", out.display());
    Ok(())
}
