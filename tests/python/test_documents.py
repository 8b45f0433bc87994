"""Ledger.access_letter, privacy_notice and processing_record: the documents people read, as
`bytes` (PDF) or `str` (HTML, CSV). The letter is a recorded read of the person's data; it never
shows the pseudonym, and the national id only when the host asks for it in the header.
(scripts/test-documents.sh validates the same renderers' HTML and PDF with vnu, axe and
pdftotext.)"""

from __future__ import annotations

import csv as csv_module
import io
import json
import pathlib
import tomllib

import pytest

import consent
from conftest import ACTOR, ADULT, LOOKUP, GrantFn, utc

ROOT = pathlib.Path(__file__).resolve().parents[2]
PROFILE = json.loads((ROOT / "docs" / "examples" / "profile.json").read_text(encoding="utf-8"))


def heading(code: str, section: str, key: str) -> str:
    """A heading of a shipped translation file (what the document must show in that language)."""
    text = (ROOT / "consent-documents" / "i18n" / f"{code}.toml").read_text(encoding="utf-8")
    value = tomllib.loads(text)[section][key]
    assert isinstance(value, str)
    return value


def letter_case(ledger: consent.Ledger, grant: GrantFn) -> None:
    grant()
    ledger.set_clock(utc(2026, 2, 1, 9))
    ledger.record_disclosure(
        subject=ADULT,
        recipient="laeringssenteret",
        purpose="health_coordination",
        categories=["health"],
        at=utc(2026, 2, 1, 9),
        actor=ACTOR,
    )


def test_the_access_letter_comes_back_as_pdf_and_html_in_the_language_asked(
    ledger: consent.Ledger, grant: GrantFn
) -> None:
    letter_case(ledger, grant)
    pdf = ledger.access_letter(ADULT, actor=ACTOR, lookup_purpose=LOOKUP, profile=PROFILE, lang="ar")
    assert isinstance(pdf, bytes) and pdf.startswith(b"%PDF-") and len(pdf) > 10_000
    html = ledger.access_letter(
        ADULT, actor=ACTOR, lookup_purpose=LOOKUP, profile=json.dumps(PROFILE), lang="nn", format="html"
    )
    assert isinstance(html, str)
    assert html.startswith('<!DOCTYPE html>\n<html lang="nn" dir="ltr">')
    assert heading("nn", "access", "title") in html
    assert heading("nn", "access", "disclosures_heading") in html
    # What the catalogue calls the recipient and the purpose, not their codes.
    assert "Læringssenteret" in html and "Koordinering med helsetjenesten" in html
    arabic = ledger.access_letter(
        ADULT, actor=ACTOR, lookup_purpose=LOOKUP, profile=PROFILE, lang="ar", format="html"
    )
    assert 'dir="rtl"' in arabic and heading("ar", "access", "title") in arabic


def test_the_letter_shows_no_pseudonym_and_the_national_id_only_when_asked(
    ledger: consent.Ledger, grant: GrantFn
) -> None:
    letter_case(ledger, grant)
    pseudonym = ledger.subject_export(ADULT, actor=ACTOR, lookup_purpose=LOOKUP)["pii_principal_id"]
    plain = ledger.access_letter(
        ADULT, actor=ACTOR, lookup_purpose=LOOKUP, profile=PROFILE, format="html", recipient_name="Amina Hassan"
    )
    assert ADULT not in plain and pseudonym not in plain
    assert "Amina Hassan" in plain
    asked = ledger.access_letter(
        ADULT,
        actor=ACTOR,
        lookup_purpose=LOOKUP,
        profile=PROFILE,
        format="html",
        recipient_name="Amina Hassan",
        national_id_in_header=True,
    )
    assert ADULT in asked and pseudonym not in asked
    with pytest.raises(consent.InvalidInputError, match="recipient_name"):
        ledger.access_letter(ADULT, actor=ACTOR, lookup_purpose=LOOKUP, profile=PROFILE, national_id_in_header=True)


def test_the_letter_is_a_recorded_read_that_the_next_export_lists(ledger: consent.Ledger, grant: GrantFn) -> None:
    letter_case(ledger, grant)
    ledger.access_letter(ADULT, actor=ACTOR, lookup_purpose="innsynskrav 2026/4711", profile=PROFILE)
    accesses = ledger.subject_export(ADULT, actor=ACTOR, lookup_purpose=LOOKUP)["accesses"]
    # The export lists its own access last.
    assert [a["purpose"] for a in accesses] == ["innsynskrav 2026/4711", LOOKUP]
    assert accesses[0]["role"] == "case_worker"


def test_a_bad_language_or_format_is_refused_before_anything_is_read(
    ledger: consent.Ledger, grant: GrantFn
) -> None:
    letter_case(ledger, grant)
    with pytest.raises(consent.InvalidInputError, match="no translation for language `xx`"):
        ledger.access_letter(ADULT, actor=ACTOR, lookup_purpose=LOOKUP, profile=PROFILE, lang="xx")
    with pytest.raises(consent.InvalidInputError, match="`format` must be one of html, pdf"):
        ledger.access_letter(ADULT, actor=ACTOR, lookup_purpose=LOOKUP, profile=PROFILE, format="docx")
    with pytest.raises(consent.InvalidInputError, match="`format`"):
        ledger.privacy_notice(profile=PROFILE, format="csv")
    with pytest.raises(consent.InvalidInputError, match="`profile`"):
        ledger.access_letter(ADULT, actor=ACTOR, lookup_purpose=LOOKUP, profile=["not", "a", "profile"])  # type: ignore[call-overload]
    bad = dict(PROFILE, purposes=[{"code": "no_such_purpose", "data_subjects": ["x"]}])
    with pytest.raises(consent.InvalidInputError, match="no_such_purpose"):
        ledger.privacy_notice(profile=bad)
    accesses = ledger.subject_export(ADULT, actor=ACTOR, lookup_purpose=LOOKUP)["accesses"]
    assert [a["purpose"] for a in accesses] == [LOOKUP]


def test_the_notice_and_the_record_come_from_the_catalogue(ledger: consent.Ledger) -> None:
    notice = ledger.privacy_notice(profile=PROFILE, lang="nn")
    assert isinstance(notice, str) and notice.startswith("<!DOCTYPE html")
    assert heading("nn", "notice", "title") in notice
    assert "integreringsloven § 43" in notice and "Nasjonalt introduksjonsregister (NIR)" in notice
    assert ledger.privacy_notice(profile=PROFILE, format="pdf").startswith(b"%PDF-")
    record_pdf = ledger.processing_record(profile=PROFILE, format="pdf")
    assert isinstance(record_pdf, bytes) and record_pdf.startswith(b"%PDF-")
    csv = ledger.processing_record(profile=PROFILE, format="csv")
    assert isinstance(csv, str)
    rows = list(csv_module.reader(io.StringIO(csv, newline=""), strict=True))
    assert len(rows) == 1 + len(PROFILE["purposes"])
    assert rows[0][0].startswith("(a)") and rows[0][7].startswith("(g)")
    assert rows[1][1].startswith("Bosetting")
