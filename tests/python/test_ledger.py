"""Ledger calls beyond decisions: the subject export."""

from __future__ import annotations

import json

import pytest

import consent
from conftest import ADULT, OTHER_ADULT, GrantFn, recorded, ACTOR, LOOKUP


def test_subject_export_holds_the_grant_and_no_other_subject(ledger: consent.Ledger, grant: GrantFn) -> None:
    grant_id = grant()
    export = ledger.subject_export(ADULT, actor=ACTOR, lookup_purpose=LOOKUP)
    assert isinstance(export, dict)
    # The export is the JSON document as dicts: its ids are text.
    assert str(grant_id) in json.dumps(export)
    # Another person's export holds nothing of this grant: the ledger holds nothing on them.
    other = ledger.subject_export(OTHER_ADULT, actor=ACTOR, lookup_purpose=LOOKUP)
    assert other["status"] == "nothing_held"
    assert str(grant_id) not in json.dumps(other)
    with pytest.raises(consent.InvalidNationalIdError):
        ledger.subject_export("123", actor=ACTOR, lookup_purpose=LOOKUP)


def test_events_is_an_iterator_read_a_page_at_a_time() -> None:
    """Security finding 7: ``events()`` built every event of a 220,000-event ledger in memory
    (2.9 GB); it is now an iterator that reads the log a page at a time."""
    import collections.abc

    from conftest import ACTOR, ADULT, EVIDENCE, NOTICE, new_ledger, utc

    ledger = new_ledger()
    for _ in range(1100):
        ledger.grant(subject=ADULT, grantor={"role": "self"}, purposes=["case_handling"],
                     recipients=["nav"], categories=["family"], explicit=False,
                     valid_from=utc(2026, 1, 5, 9), evidence=EVIDENCE, notice=NOTICE, actor=ACTOR)
    events = ledger.events()
    assert isinstance(events, collections.abc.Iterator)
    assert iter(events) is events
    first = next(events)
    assert first["seq"] == 1 and first["kind"] == "catalogue_adopted"
    rest = list(events)
    # The 1,100 grants follow the ledger's record of its catalogue.
    assert [e["seq"] for e in rest] == list(range(2, 1102))
    assert all(e["kind"] == "grant_recorded" for e in rest)
    assert list(events) == []


def test_lists_longer_than_a_catalogue_are_refused_before_conversion() -> None:
    """Security finding 7: a grant with 10 million categories took 4.6 s and 1.2 GB before its
    rejection; a list longer than a catalogue can hold is refused before it is converted."""
    from conftest import ACTOR, ADULT, EVIDENCE, NOTICE, utc

    ledger = consent.Ledger.in_memory()
    many = ["family"] * 1_000_000
    with pytest.raises(consent.InvalidInputError, match="more than a catalogue holds"):
        ledger.grant(subject=ADULT, grantor={"role": "self"}, purposes=["case_handling"],
                     recipients=["nav"], categories=many, explicit=False,
                     valid_from=utc(2026, 1, 5, 9), evidence=EVIDENCE, notice=NOTICE, actor=ACTOR)
    with pytest.raises(consent.InvalidInputError, match="more than a catalogue holds"):
        ledger.decide(subject=ADULT, recipient="nav", purpose="case_handling", categories=many,
                      at=utc(2026, 3, 1))
    with pytest.raises(consent.InvalidInputError, match="more than a catalogue holds"):
        ledger.decide_many([{"subject": ADULT, "recipient": "nav", "purpose": "case_handling",
                             "categories": many, "at": utc(2026, 3, 1)}])
    with pytest.raises(consent.InvalidInputError, match="longer than"):
        ledger.withdraw("01890a5d-ac96-774b-bcce-b302099a8057", at=utc(2026, 3, 1), actor=ACTOR,
                        reason="x" * 2_000_000)
    assert recorded(ledger) == 0
