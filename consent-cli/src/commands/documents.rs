//! `consent report access|notice|processing-record`: documents people read.

use std::io::{IsTerminal, Write};
use std::path::Path;

use chrono::{DateTime, Utc};
use consent_core::{Catalogue, MAX_DOCUMENT_BYTES};
use consent_documents::{
    Language, LetterDetails, LetterRecipient, NationalIdForHeader, Profile, Translations,
};
use serde_json::json;

use super::json_out;
use crate::cli::{
    DocumentArgs, DocumentFormat, ReportAccessArgs, ReportNoticeArgs, ReportRecordArgs,
};
use crate::context::{Context, Outcome, read_input};
use crate::error::{CliError, mask_national_ids};

/// A rendered document.
enum Rendered {
    Text(String),
    Binary(Vec<u8>),
}

impl Rendered {
    fn bytes(&self) -> &[u8] {
        match self {
            Rendered::Text(text) => text.as_bytes(),
            Rendered::Binary(bytes) => bytes,
        }
    }
}

fn format_name(format: DocumentFormat) -> &'static str {
    match format {
        DocumentFormat::Html => "html",
        DocumentFormat::Pdf => "pdf",
        DocumentFormat::Csv => "csv",
    }
}

/// What every document needs before anything is read: the profile, the language, and that a
/// PDF has somewhere to go other than a terminal. Checked before the ledger is opened, so a
/// mistake records no access.
struct Prepared {
    profile: Profile,
    translations: Translations,
}

impl Prepared {
    fn new(args: &DocumentArgs, format: DocumentFormat) -> Result<Prepared, CliError> {
        if format == DocumentFormat::Pdf && args.out.is_none() && std::io::stdout().is_terminal() {
            return Err(CliError::new(
                "usage",
                "a PDF is not written to a terminal: give --out FILE or redirect standard output",
            ));
        }
        let mut translations = Translations::builtin()?;
        if let Some(dir) = &args.translations {
            translations
                .add_dir(dir)
                .map_err(|e| CliError::new("invalid_input", e.message()))?;
        }
        if translations.get(&args.lang).is_err() {
            let codes: Vec<&str> = translations.codes().collect();
            return Err(CliError::new(
                "invalid_input",
                format!(
                    "no translation for language `{}` (available: {})",
                    args.lang,
                    codes.join(", ")
                ),
            ));
        }
        let text = read_input(&args.profile, MAX_DOCUMENT_BYTES)?;
        let profile = Profile::from_json(&text).map_err(|e| {
            CliError::new("invalid_input", e.message())
                .context(format!("`{}`", args.profile.display()))
        })?;
        Ok(Prepared {
            profile,
            translations,
        })
    }

    fn lang(&self, args: &DocumentArgs) -> Result<&Language, CliError> {
        Ok(self.translations.get(&args.lang)?)
    }
}

/// A model error names what the host passed (the profile): `invalid_input`; anything else is
/// the crate's mapping.
fn model_error(error: consent_documents::Error) -> CliError {
    match error.kind() {
        consent_documents::ErrorKind::InvalidModel => {
            CliError::new("invalid_input", error.message())
        }
        _ => CliError::from(error),
    }
}

/// Writes the document to `--out` (and says so), or returns it for standard output; a PDF goes
/// to standard output here, since an outcome holds text.
fn deliver(
    ctx: &Context<'_>,
    args: &DocumentArgs,
    format: DocumentFormat,
    rendered: Rendered,
) -> Result<Outcome, CliError> {
    let Some(path) = &args.out else {
        return match rendered {
            Rendered::Text(text) => Ok(Outcome::ok(text)),
            Rendered::Binary(bytes) => {
                write_binary(&bytes)?;
                Ok(Outcome::ok(String::new()))
            }
        };
    };
    write_file(path, rendered.bytes())?;
    let size = rendered.bytes().len();
    let stdout = if ctx.json() {
        json_out(
            "consent-cli-report/1",
            json!({
            "path": mask_national_ids(&path.display().to_string()),
            "format": format_name(format),
            "lang": args.lang,
            "bytes": size,
            }),
        )?
    } else {
        format!(
            "wrote {} ({} {}, {size} bytes)\n",
            mask_national_ids(&path.display().to_string()),
            format_name(format),
            args.lang
        )
    };
    Ok(Outcome::ok(stdout))
}

/// A letter holds one person's data: the file is the owner's alone (0600), also when it
/// replaced an older file that others could read.
fn write_file(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .map_err(|e| CliError::io("write", path, &e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(|e| CliError::io("restrict the permissions of", path, &e))?;
    }
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(|e| CliError::io("write", path, &e))
}

fn write_binary(bytes: &[u8]) -> Result<(), CliError> {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(CliError::new(
            "storage",
            format!("cannot write to standard output: {e}"),
        )),
        _ => Ok(()),
    }
}

/// The instant a document is dated: the ledger's clock (a test clock in test mode).
fn today(ctx: &Context<'_>) -> DateTime<Utc> {
    ctx.clock().unwrap_or_else(Utc::now)
}

pub fn access(ctx: &Context<'_>, args: &ReportAccessArgs) -> Result<Outcome, CliError> {
    if args.format == DocumentFormat::Csv {
        return Err(CliError::new(
            "usage",
            "the access letter is html or pdf, not csv",
        ));
    }
    let prepared = Prepared::new(&args.document, args.format)?;
    let lang = prepared.lang(&args.document)?;
    let given = crate::ids::read_one("subject", &args.subject)?;
    let actor = ctx.acting()?;
    // The letter is a read of the person's data, recorded like `export`: a writer's open.
    let ledger = ctx.open()?;
    let subject = given.parse(&ledger)?;
    let recipient = match &args.recipient_name {
        Some(name) => Some(LetterRecipient {
            name: name.clone(),
            national_id: if args.national_id_in_header {
                Some(NationalIdForHeader::try_from(subject.expose()).map_err(|_| {
                    CliError::new(
                        "invalid_input",
                        "--national-id-in-header: the subject's id is not a fødselsnummer or D-nummer",
                    )
                })?)
            } else {
                None
            },
        }),
        None => None,
    };
    let export = ledger.subject_export(&subject, &actor, &args.lookup_purpose)?;
    let letter = consent_documents::access_answer(
        &export,
        ledger.catalogue(),
        &prepared.profile,
        ledger.now(),
        LetterDetails {
            recipient,
            reference: args.reference.clone(),
        },
    )
    .map_err(model_error)?;
    let rendered = match args.format {
        DocumentFormat::Pdf => Rendered::Binary(letter.to_pdf(lang)?),
        _ => Rendered::Text(letter.to_html(lang)?),
    };
    deliver(ctx, &args.document, args.format, rendered)
}

/// The catalogue in force: the ledger's, read without writing anything.
fn catalogue(ctx: &Context<'_>) -> Result<Catalogue, CliError> {
    Ok(ctx.open_read_only()?.catalogue().clone())
}

pub fn notice(ctx: &Context<'_>, args: &ReportNoticeArgs) -> Result<Outcome, CliError> {
    if args.format == DocumentFormat::Csv {
        return Err(CliError::new(
            "usage",
            "the privacy notice is html or pdf, not csv",
        ));
    }
    let prepared = Prepared::new(&args.document, args.format)?;
    let lang = prepared.lang(&args.document)?;
    let notice = consent_documents::privacy_notice(&catalogue(ctx)?, &prepared.profile)
        .map_err(model_error)?;
    let rendered = match args.format {
        DocumentFormat::Pdf => Rendered::Binary(notice.to_pdf(lang)?),
        _ => Rendered::Text(notice.to_html(lang)?),
    };
    deliver(ctx, &args.document, args.format, rendered)
}

pub fn record(ctx: &Context<'_>, args: &ReportRecordArgs) -> Result<Outcome, CliError> {
    let prepared = Prepared::new(&args.document, args.format)?;
    let lang = prepared.lang(&args.document)?;
    let record =
        consent_documents::processing_record(&catalogue(ctx)?, &prepared.profile, today(ctx))
            .map_err(model_error)?;
    let rendered = match args.format {
        DocumentFormat::Pdf => Rendered::Binary(record.to_pdf(lang)?),
        DocumentFormat::Csv => Rendered::Text(record.to_csv(lang)?),
        DocumentFormat::Html => Rendered::Text(record.to_html(lang)?),
    };
    deliver(ctx, &args.document, args.format, rendered)
}
