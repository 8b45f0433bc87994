"""Ledger calls beyond decisions: the subject export."""

from __future__ import annotations

import json

import pytest

import consent
from conftest import ADULT, OTHER_ADULT, GrantFn


def test_subject_export_holds_the_grant_and_no_other_subject(ledger: consent.Ledger, grant: GrantFn) -> None:
    grant_id = grant()
    export = ledger.subject_export(ADULT)
    assert isinstance(export, dict)
    # The export is the JSON document as dicts: its ids are text.
    assert str(grant_id) in json.dumps(export)
    with pytest.raises(consent.ConsentError):
        ledger.subject_export(OTHER_ADULT)
    with pytest.raises(consent.InvalidNationalIdError):
        ledger.subject_export("123")
