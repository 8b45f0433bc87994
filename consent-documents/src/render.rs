//! The public rendering functions: one per document and format.

use crate::error::Error;
use crate::i18n::Language;
use crate::model::{AccessAnswer, PrivacyNotice, ProcessingRecord};
use crate::{build, csv, html, pdf};

impl AccessAnswer {
    /// The letter as one self-contained HTML file.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidModel`](crate::ErrorKind::InvalidModel) from [`AccessAnswer::validate`].
    pub fn to_html(&self, lang: &Language) -> Result<String, Error> {
        self.validate()?;
        Ok(html::render(&build::access(self, lang)))
    }

    /// The letter as PDF (A4, fonts embedded).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidModel`](crate::ErrorKind::InvalidModel) from [`AccessAnswer::validate`],
    /// [`ErrorKind::MissingGlyph`](crate::ErrorKind::MissingGlyph) if a text of the model has a
    /// character the embedded fonts cannot draw, [`ErrorKind::Pdf`](crate::ErrorKind::Pdf) if
    /// the PDF cannot be written.
    pub fn to_pdf(&self, lang: &Language) -> Result<Vec<u8>, Error> {
        self.validate()?;
        pdf::render(&build::access(self, lang))
    }
}

impl PrivacyNotice {
    /// The notice as one self-contained HTML file.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidModel`](crate::ErrorKind::InvalidModel) from [`PrivacyNotice::validate`].
    pub fn to_html(&self, lang: &Language) -> Result<String, Error> {
        self.validate()?;
        Ok(html::render(&build::notice(self, lang)))
    }

    /// The notice as PDF.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidModel`](crate::ErrorKind::InvalidModel) from [`PrivacyNotice::validate`],
    /// [`ErrorKind::MissingGlyph`](crate::ErrorKind::MissingGlyph) if a text of the model has a
    /// character the embedded fonts cannot draw, [`ErrorKind::Pdf`](crate::ErrorKind::Pdf) if
    /// the PDF cannot be written.
    pub fn to_pdf(&self, lang: &Language) -> Result<Vec<u8>, Error> {
        self.validate()?;
        pdf::render(&build::notice(self, lang))
    }
}

impl ProcessingRecord {
    /// The record as one self-contained HTML file.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidModel`](crate::ErrorKind::InvalidModel) from [`ProcessingRecord::validate`].
    pub fn to_html(&self, lang: &Language) -> Result<String, Error> {
        self.validate()?;
        Ok(html::render(&build::record(self, lang)))
    }

    /// The record as PDF.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidModel`](crate::ErrorKind::InvalidModel) from [`ProcessingRecord::validate`],
    /// [`ErrorKind::MissingGlyph`](crate::ErrorKind::MissingGlyph) if a text of the model has a
    /// character the embedded fonts cannot draw, [`ErrorKind::Pdf`](crate::ErrorKind::Pdf) if
    /// the PDF cannot be written.
    pub fn to_pdf(&self, lang: &Language) -> Result<Vec<u8>, Error> {
        self.validate()?;
        pdf::render(&build::record(self, lang))
    }

    /// The record as CSV: a header row of the (a)-(g) labels in `lang`, then one row per
    /// activity; fields that a spreadsheet would run as formulas start with an apostrophe.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidModel`](crate::ErrorKind::InvalidModel) from [`ProcessingRecord::validate`].
    pub fn to_csv(&self, lang: &Language) -> Result<String, Error> {
        self.validate()?;
        Ok(csv::render(self, lang))
    }
}
