"""Checks the text layer of rendered PDFs with poppler's pdftotext (and pdfinfo: tagged).

For each PDF `<document>-<lang>.pdf` in a folder, the text that pdftotext extracts must contain
the title and every section heading of that document, in that language, exactly as the
translation file `consent-documents/i18n/<lang>.toml` writes it (after dropping the bidi marks
pdftotext inserts around right-to-left text). For Arabic this checks that glyphs were shaped
and mapped back to letters in logical order.

    python check_pdf_text.py RENDERED_DIR I18N_DIR
"""

from __future__ import annotations

import pathlib
import re
import subprocess
import sys
import tomllib

# Which headings each document must show (section.key of the translation files).
HEADINGS = {
    "access": [
        "access.title",
        "access.summary_heading",
        "access.consents_heading",
        "access.refusals_heading",
        "access.disclosures_heading",
        "access.lookups_heading",
        "access.restrictions_heading",
        "timeline.heading",
        "rights.heading",
        "complaint.heading",
    ],
    "access-nothing-held": [
        "access.title",
        "access.nothing_heading",
        "rights.heading",
        "complaint.heading",
    ],
    "notice": [
        "notice.title",
        "notice.controller_heading",
        "notice.purposes_heading",
        "rights.heading",
        "complaint.heading",
        "contact.heading",
    ],
    "record": [
        "record.title",
        "record.controller_heading",
        "record.activities_heading",
    ],
}

BIDI_MARKS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def lookup(texts: dict, key: str) -> str:
    section, name = key.split(".", 1)
    return texts[section][name]


def extract(pdf: pathlib.Path) -> str:
    out = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(pdf), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return " ".join(BIDI_MARKS.sub("", out).split())


def main() -> int:
    rendered, i18n = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
    languages = {p.stem: tomllib.loads(p.read_text("utf-8")) for p in sorted(i18n.glob("*.toml"))}
    passed = failed = 0
    for pdf in sorted(rendered.glob("*.pdf")):
        document, _, lang = pdf.stem.rpartition("-")
        if document not in HEADINGS or lang not in languages:
            print(f"FAIL {pdf.name}: no expectation for document `{document}` in language `{lang}`")
            failed += 1
            continue
        text = extract(pdf)
        missing = []
        for key in HEADINGS[document]:
            wanted = " ".join(lookup(languages[lang], key).split())
            if wanted not in text:
                missing.append(f"{key} = {wanted!r}")
        # The samples pass no national id for the header, so none may appear.
        if re.search(r"(?<!\d)\d{11}(?!\d)", text):
            missing.append("an 11-digit number (a national id?) appears in the text")
        # Tagged PDF: a structure tree (headings, lists, tables, the timeline as a figure).
        info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True).stdout
        if not re.search(r"^Tagged:\s+yes$", info, re.M):
            missing.append("pdfinfo does not report a tagged PDF")
        if missing:
            failed += 1
            print(f"FAIL {pdf.name}: pdftotext lacks " + "; ".join(missing))
        else:
            passed += 1
            print(f"ok   {pdf.name} ({len(HEADINGS[document])} headings)")
    if passed + failed == 0:
        print("FAIL no PDF found")
        failed = 1
    print(f"pdftotext: {passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
