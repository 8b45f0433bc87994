"""Prepared requests (issue 19): ``Ledger.prepare`` converts and checks the recipient, purpose,
categories and assertions once; ``decide(subject, at)`` and ``decide_many(subjects, at)`` give
the decisions ``Ledger.decide`` gives for the same arguments."""

from __future__ import annotations

import pytest

import consent
from conftest import ACTOR, ADULT, CHILD, EVIDENCE, NOTICE, OTHER_ADULT, VERGE, new_ledger, utc

PEOPLE = [ADULT, OTHER_ADULT, CHILD, VERGE]
REQUESTS = [
    ("nir", "nir_registration", ["name", "national_id"], None),
    ("nav", "employment_followup", ["finances"], None),
    ("nav", "employment_followup", ["finances", "name"], None),
    ("barnevern", "child_welfare_followup", ["name"], None),
    ("barnevern", "child_welfare_followup", ["name"],
     [{"condition": "serious_concern", "reference": "2026/55"}]),
]


def consenting_ledger() -> tuple[consent.Ledger, object]:
    ledger = new_ledger()
    grant_id = ledger.grant(
        subject=ADULT, grantor={"role": "self"}, purposes=["employment_followup"],
        recipients=["nav"], categories=["finances"], explicit=False,
        valid_from=utc(2026, 1, 5, 9), evidence=EVIDENCE, notice=NOTICE, actor=ACTOR)
    return ledger, grant_id


def test_prepared_decisions_are_those_of_decide() -> None:
    ledger, grant_id = consenting_ledger()
    prepared = [(ledger.prepare(recipient=r, purpose=p, categories=c, assertions=a), (r, p, c, a))
                for r, p, c, a in REQUESTS]

    def check(at: object) -> None:
        for request, (r, p, c, a) in prepared:
            many = request.decide_many(PEOPLE, at)
            assert len(many) == len(PEOPLE)
            for person, from_many in zip(PEOPLE, many):
                expected = ledger.decide(subject=person, recipient=r, purpose=p, categories=c,
                                         at=at, assertions=a)
                assert request.decide(person, at).to_dict() == expected.to_dict()
                assert from_many.to_dict() == expected.to_dict()

    check(utc(2026, 3, 1))
    nav = prepared[1][0]
    assert nav.decide(ADULT, utc(2026, 3, 1)).permitted
    ledger.withdraw(grant_id, at=utc(2026, 2, 1), actor=ACTOR)
    check(utc(2026, 3, 1))
    assert nav.decide(ADULT, utc(2026, 3, 1)).denial == "withdrawn"
    assert nav.recipient == "nav" and nav.purpose == "employment_followup"
    assert nav.categories == ["finances"]
    assert "employment_followup" in repr(nav) and ADULT not in repr(nav)


def test_bad_preparations_raise_what_decide_raises() -> None:
    ledger = new_ledger()
    with pytest.raises(consent.UnknownCodeError):
        ledger.prepare(recipient="nsa", purpose="settlement", categories=["name"])
    with pytest.raises(consent.UnknownCodeError):
        ledger.prepare(recipient="imdi", purpose="settlement", categories=["shoe_size"])
    with pytest.raises(consent.InvalidInputError):
        ledger.prepare(recipient="imdi", purpose="settlement", categories=[])
    with pytest.raises(consent.InvalidInputError):
        ledger.prepare(recipient="imdi", purpose="settlement", categories=["name", "name"])
    with pytest.raises(consent.InvalidInputError):
        ledger.prepare(recipient="imdi", purpose="settlement", categories="name")
    with pytest.raises(consent.InvalidInputError):
        ledger.prepare(recipient=7, purpose="settlement", categories=["name"])  # type: ignore[arg-type]
    with pytest.raises(consent.UnknownCodeError):
        ledger.prepare(recipient="imdi", purpose="settlement", categories=["name"],
                       assertions=[{"condition": "curiosity", "reference": "2026/1"}])


def test_bad_subjects_and_instants_raise_naming_the_index_never_the_id() -> None:
    ledger = new_ledger()
    request = ledger.prepare(recipient="nir", purpose="nir_registration", categories=["name"])
    at = utc(2026, 3, 1)
    with pytest.raises(consent.InvalidNationalIdError) as error:
        request.decide("15038510191", at)
    assert "15038510191" not in str(error.value)
    with pytest.raises(consent.InvalidNationalIdError) as error:
        request.decide_many([ADULT, "15038510191"], at)
    assert str(error.value).startswith("subjects[1]: ")
    assert "15038510191" not in str(error.value)
    with pytest.raises(consent.InvalidInputError, match=r"subjects\[0\]"):
        request.decide_many([15038510190], at)  # type: ignore[list-item]
    with pytest.raises(consent.InvalidInputError):
        request.decide_many(ADULT, at)  # type: ignore[arg-type]
    with pytest.raises(consent.InvalidInputError):
        request.decide(ADULT, "2026-03-01")  # type: ignore[arg-type]
    assert request.decide_many([], at) == []
    assert [d.permitted for d in request.decide_many((ADULT, OTHER_ADULT), at)] == [True, True]


def test_a_prepared_request_raises_once_its_ledger_is_closed() -> None:
    ledger = new_ledger()
    request = ledger.prepare(recipient="nir", purpose="nir_registration", categories=["name"])
    ledger.close()
    with pytest.raises(consent.StorageError, match="closed"):
        request.decide(ADULT, utc(2026, 3, 1))
    with pytest.raises(consent.StorageError, match="closed"):
        request.decide_many([ADULT], utc(2026, 3, 1))
