"""The rights that stop processing, through Python: restriction (GDPR Art. 18) and its lift,
objection (Art. 21) and its resolution, erasure that waits for the archival duty and the
kassasjon after it, access for a person the ledger holds nothing on, and the bad input of each
(a specific exception, no national id in it, nothing recorded)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Callable

import pytest

import consent
from conftest import ACTOR, ADULT, EVIDENCE, NOTICE, OTHER_ADULT, new_ledger, recorded, utc, ARCHIVIST, DPO, LOOKUP

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CATALOGUE = ROOT / "consent-core" / "src" / "catalogue" / "default.toml"


def finite_retention_ledger(tmp_path: Path, years: int = 1) -> consent.Ledger:
    """A ledger with the default catalogue whose purposes (and access log) are kept `years`
    after the last case event (and look-up) instead of for good, so that kassasjon can become
    due."""
    text = DEFAULT_CATALOGUE.read_text(encoding="utf-8")
    assert 'retention_years = "permanent"' in text
    assert "access_log_retention_years = 5" in text
    path = tmp_path / "finite.toml"
    path.write_text(text.replace('retention_years = "permanent"', f"retention_years = {years}")
                    .replace("access_log_retention_years = 5",
                             f"access_log_retention_years = {years}"),
                    encoding="utf-8")
    return new_ledger(catalogue_file=path)


def own_grant(ledger: consent.Ledger, purpose: str, recipient: str, category: str,
              explicit: bool) -> uuid.UUID:
    return ledger.grant(subject=ADULT, grantor={"role": "self"}, purposes=[purpose],
                        recipients=[recipient], categories=[category], explicit=explicit,
                        valid_from=utc(2026, 1, 5, 9), evidence=EVIDENCE, notice=NOTICE,
                        actor=ACTOR)


def decide(ledger: consent.Ledger, recipient: str, purpose: str, category: str,
           at: datetime, subject: str = ADULT) -> consent.Decision:
    return ledger.decide(subject=subject, recipient=recipient, purpose=purpose,
                         categories=[category], at=at)


def raises_unchanged(ledger: consent.Ledger, cls: type[consent.ConsentError],
                     call: Callable[[], Any], match: str | None = None) -> None:
    before = ledger.event_count
    with pytest.raises(cls, match=match) as info:
        call()
    assert type(info.value) is cls
    assert ledger.event_count == before
    for number in (ADULT, OTHER_ADULT):
        assert number not in str(info.value)


def test_a_restriction_lets_consent_through_stops_statutes_and_lifts() -> None:
    ledger = new_ledger()
    own_grant(ledger, "employment_followup", "nav", "finances", False)
    ledger.set_clock(utc(2026, 3, 1, 10))
    record = ledger.restrict(ADULT, ground="A18_1_a", at=utc(2026, 3, 1, 10), actor=ACTOR)
    assert isinstance(record, uuid.UUID)

    during = utc(2026, 3, 5, 10)
    assert decide(ledger, "nav", "employment_followup", "finances", during).permitted
    statute = decide(ledger, "imdi", "settlement", "name", during)
    assert not statute.permitted and statute.denial == "restricted"
    assert decide(ledger, "nir", "nir_registration", "name", during).permitted, \
        "a rule marked continues_under_restriction"
    assert ledger.subject_export(ADULT, actor=ACTOR, lookup_purpose=LOOKUP)["status"] == "restricted"

    ledger.lift_restriction(ADULT, at=utc(2026, 3, 10, 10), actor=DPO,
                            reason="the address was verified")
    assert decide(ledger, "imdi", "settlement", "name", utc(2026, 3, 11, 10)).permitted
    assert decide(ledger, "imdi", "settlement", "name", during).denial == "restricted", \
        "history stands"
    export = ledger.subject_export(ADULT, actor=ACTOR, lookup_purpose=LOOKUP)
    assert export["status"] == "active"
    assert export["restrictions"][0]["ground"] == "A18_1_a"
    assert export["restrictions"][0]["lifted"]["reason"] == "the address was verified"


def test_bad_restrictions_and_lifts_change_nothing() -> None:
    ledger = new_ledger()
    own_grant(ledger, "employment_followup", "nav", "finances", False)
    at = utc(2026, 3, 1, 10)
    ledger.set_clock(at)
    raises_unchanged(ledger, consent.NotFoundError,
                     lambda: ledger.lift_restriction(ADULT, at=at, actor=DPO, reason="x"),
                     match="no restriction")
    for case in [
        lambda: ledger.restrict(ADULT, ground="A18_1_e", at=at, actor=ACTOR),
        lambda: ledger.restrict(ADULT, ground="erasure_request", at=at, actor=ACTOR),
        lambda: ledger.restrict(ADULT, ground=18, at=at, actor=ACTOR),  # type: ignore[arg-type]
        lambda: ledger.restrict(ADULT, ground="A18_1_a", at=datetime(2026, 3, 1), actor=ACTOR),
        lambda: ledger.restrict(ADULT, ground="A18_1_a", at=at, actor={"role": "x"}),  # type: ignore[typeddict-item]
        # Bound by the ledger's clock: not for the future, not beyond max_backdating_days.
        lambda: ledger.restrict(ADULT, ground="A18_1_a", at=at + timedelta(days=1), actor=ACTOR),
        lambda: ledger.restrict(ADULT, ground="A18_1_a", at=at - timedelta(days=40),
                                actor=ACTOR),
    ]:
        raises_unchanged(ledger, consent.InvalidInputError, case)
    raises_unchanged(ledger, consent.InvalidNationalIdError,
                     lambda: ledger.restrict("15038510191", ground="A18_1_a", at=at, actor=ACTOR))

    ledger.restrict(ADULT, ground="A18_1_a", at=at, actor=ACTOR)
    raises_unchanged(ledger, consent.ConflictError,
                     lambda: ledger.restrict(ADULT, ground="A18_1_a", at=at, actor=ACTOR))
    for case in [
        lambda: ledger.lift_restriction(ADULT, at=at, actor=DPO, reason=""),
        lambda: ledger.lift_restriction(ADULT, at=at, actor=DPO, reason=f"asked by {ADULT}"),
        lambda: ledger.lift_restriction(ADULT, at=at - timedelta(days=1), actor=DPO,
                                        reason="in the past"),
        lambda: ledger.lift_restriction(ADULT, at=at, actor=DPO, reason=None),  # type: ignore[arg-type]
    ]:
        raises_unchanged(ledger, consent.InvalidInputError, case)


def test_an_objection_stops_the_public_task_until_it_is_rejected() -> None:
    ledger = new_ledger()
    ledger.set_clock(utc(2026, 3, 1, 10))
    objection = ledger.object(ADULT, purpose="introduction_programme", at=utc(2026, 3, 1, 10),
                              actor=ACTOR)
    assert isinstance(objection, uuid.UUID)
    denied = decide(ledger, "nav", "introduction_programme", "name", utc(2026, 3, 2, 10))
    assert denied.denial == "objected"
    assert str(objection) in str(ledger.subject_export(ADULT, actor=ACTOR, lookup_purpose=LOOKUP)["objections"])

    raises_unchanged(ledger, consent.ConflictError,
                     lambda: ledger.object(ADULT, purpose="introduction_programme",
                                           at=utc(2026, 3, 1, 10), actor=ACTOR))
    record = ledger.resolve_objection(objection, outcome="rejected", at=utc(2026, 3, 3, 10),
                                      actor=DPO, reason="vedtak 2026/90: compelling grounds")
    assert isinstance(record, uuid.UUID)
    assert decide(ledger, "nav", "introduction_programme", "name", utc(2026, 3, 4, 10)).permitted
    raises_unchanged(ledger, consent.ConflictError,
                     lambda: ledger.resolve_objection(str(objection), outcome="upheld",
                                                      at=utc(2026, 3, 5), actor=DPO,
                                                      reason="again"))


def test_an_upheld_objection_keeps_the_processing_stopped() -> None:
    ledger = new_ledger()
    ledger.set_clock(utc(2026, 3, 1, 10))
    objection = ledger.object(ADULT, purpose="settlement", at=utc(2026, 3, 1, 10), actor=ACTOR)
    ledger.resolve_objection(str(objection), outcome="upheld", at=utc(2026, 3, 5, 10),
                             actor=DPO, reason="no compelling grounds")
    assert decide(ledger, "imdi", "settlement", "name", utc(2026, 6, 1)).denial == "objected"


def test_bad_objections_change_nothing() -> None:
    ledger = new_ledger()
    at = utc(2026, 3, 1, 10)
    ledger.set_clock(at)
    raises_unchanged(ledger, consent.UnknownCodeError,
                     lambda: ledger.object(ADULT, purpose="holidays", at=at, actor=ACTOR))
    raises_unchanged(ledger, consent.InvalidInputError,
                     lambda: ledger.object(ADULT, purpose="statistics", at=at, actor=ACTOR),
                     match="6\\(1\\)\\(e\\)")
    raises_unchanged(ledger, consent.NotFoundError,
                     lambda: ledger.resolve_objection(uuid.uuid4(), outcome="rejected", at=at,
                                                      actor=DPO, reason="x"))
    objection = ledger.object(ADULT, purpose="settlement", at=at, actor=ACTOR)
    for case in [
        lambda: ledger.resolve_objection("objection-1", outcome="rejected", at=at, actor=DPO,
                                         reason="x"),
        lambda: ledger.resolve_objection(ADULT, outcome="rejected", at=at, actor=DPO,
                                         reason="x"),
        lambda: ledger.resolve_objection(17, outcome="rejected", at=at, actor=DPO,  # type: ignore[arg-type]
                                         reason="x"),
        lambda: ledger.resolve_objection(objection, outcome="dismissed", at=at,  # type: ignore[arg-type]
                                         actor=DPO, reason="x"),
        lambda: ledger.resolve_objection(objection, outcome="upheld", at=at, actor=DPO,
                                         reason=""),
        lambda: ledger.resolve_objection(objection, outcome="upheld", at=at - timedelta(days=1),
                                         actor=DPO, reason="before the objection"),
        lambda: ledger.object(ADULT, purpose="introduction_programme", at=datetime(2026, 3, 1),
                              actor=ACTOR),
        lambda: ledger.object(ADULT, purpose="introduction_programme",
                              at=at + timedelta(days=1), actor=ACTOR),
    ]:
        raises_unchanged(ledger, consent.InvalidInputError, case)


def test_erasure_withdraws_and_restricts_and_the_default_catalogue_keeps_the_records() -> None:
    ledger = new_ledger()
    nav = own_grant(ledger, "employment_followup", "nav", "finances", False)
    other = ledger.grant(subject=OTHER_ADULT, grantor={"role": "self"},
                         purposes=["employment_followup"], recipients=["nav"],
                         categories=["finances"], explicit=False, valid_from=utc(2026, 1, 5, 9),
                         evidence=EVIDENCE, notice=NOTICE, actor=ACTOR)
    ledger.set_clock(utc(2026, 3, 1, 10))
    outcome = ledger.request_erasure(ADULT, actor=DPO)
    assert outcome["outcome"] == "restricted"
    assert outcome["at"] == "2026-03-01T10:00:00Z"
    assert outcome["withdrawn"] == [nav]
    assert outcome["kassasjon_due_at"] is None, "every default purpose is kept for good"
    assert other not in outcome["withdrawn"]
    assert decide(ledger, "nav", "employment_followup", "finances",
                  utc(2026, 3, 2)).denial == "withdrawn"
    assert decide(ledger, "nav", "employment_followup", "finances", utc(2026, 3, 2),
                  subject=OTHER_ADULT).permitted
    assert ledger.erasure_due(at=utc(2099, 1, 1)) == []
    raises_unchanged(ledger, consent.NotPermittedError,
                     lambda: ledger.execute_kassasjon(ADULT, actor=ARCHIVIST))
    raises_unchanged(ledger, consent.ConflictError,
                     lambda: ledger.request_erasure(ADULT, actor=DPO), match="already requested")


def test_kassasjon_waits_for_the_retention_by_the_ledgers_clock(tmp_path: Path) -> None:
    ledger = finite_retention_ledger(tmp_path)
    own_grant(ledger, "employment_followup", "nav", "finances", False)
    ledger.set_clock(utc(2026, 3, 1))
    outcome = ledger.request_erasure(ADULT, actor=DPO)
    assert outcome["kassasjon_due_at"] == "2027-03-01T00:00:00Z"

    assert ledger.erasure_due(at=utc(2027, 2, 28)) == []
    due = ledger.erasure_due(at=utc(2027, 3, 1))
    assert due == [{"subject": ledger.pseudonym(ADULT), "due_at": "2027-03-01T00:00:00Z"}]
    # Only the ledger's own clock counts: it still reads 2026-03-01.
    raises_unchanged(ledger, consent.NotPermittedError,
                     lambda: ledger.execute_kassasjon(ADULT, actor=ARCHIVIST), match="not due before")

    ledger.set_clock(utc(2027, 3, 2))
    shredded = ledger.execute_kassasjon(ADULT, actor=ARCHIVIST)
    assert shredded["outcome"] == "erased"
    assert shredded["at"] == "2027-03-02T00:00:00Z"
    assert shredded["events_erased"] >= 2
    assert ledger.verify()["ok"] is True
    assert ledger.subject_export(ADULT, actor=ACTOR, lookup_purpose=LOOKUP)["status"] == "erased"
    assert ledger.erasure_due(at=utc(2030, 1, 1)) == []
    raises_unchanged(ledger, consent.ConflictError,
                     lambda: ledger.execute_kassasjon(ADULT, actor=ARCHIVIST), match="already erased")


def test_bad_kassasjon_and_worklist_calls_change_nothing(tmp_path: Path) -> None:
    ledger = finite_retention_ledger(tmp_path)
    own_grant(ledger, "employment_followup", "nav", "finances", False)
    raises_unchanged(ledger, consent.NotPermittedError,
                     lambda: ledger.execute_kassasjon(ADULT, actor=ARCHIVIST),
                     match="no erasure was requested")
    raises_unchanged(ledger, consent.NotFoundError,
                     lambda: ledger.execute_kassasjon(OTHER_ADULT, actor=ARCHIVIST))
    raises_unchanged(ledger, consent.InvalidNationalIdError,
                     lambda: ledger.execute_kassasjon("15038510191", actor=ARCHIVIST))
    for case in [
        lambda: ledger.execute_kassasjon(ADULT, actor={"id": "x"}),  # type: ignore[typeddict-item]
        lambda: ledger.erasure_due(at=datetime(2027, 3, 1)),
        lambda: ledger.erasure_due(at="2027-03-01T00:00:00Z"),  # type: ignore[arg-type]
    ]:
        raises_unchanged(ledger, consent.InvalidInputError, case)


def test_a_person_the_ledger_holds_nothing_on_is_answered() -> None:
    ledger = new_ledger()
    export = ledger.subject_export(OTHER_ADULT, actor=ACTOR, lookup_purpose=LOOKUP)
    assert export["status"] == "nothing_held"
    assert export["pii_principal_id"] == ledger.pseudonym(OTHER_ADULT)
    assert OTHER_ADULT not in str(export)
    # The look-up itself is recorded, and listed.
    assert recorded(ledger) == 1
    assert [a["operation"] for a in export["accesses"]] == ["export"]
    request = ledger.register_access_request(OTHER_ADULT, received_at=utc(2026, 3, 1),
                                             actor=ACTOR)
    assert request["due_at"] == "2026-04-01T00:00:00Z"
    assert recorded(ledger) == 2


def test_a_lift_for_next_week_gives_the_person_a_deadline_to_be_told() -> None:
    """Art. 18(3): the person is told before a lift takes effect; a lift is never in the past."""
    ledger = new_ledger()
    now = utc(2026, 3, 1, 10)
    ledger.set_clock(now)
    ledger.restrict(ADULT, ground="A18_1_a", at=now, actor=ACTOR)
    next_week = utc(2026, 3, 8, 10)
    ledger.lift_restriction(ADULT, at=next_week, actor=DPO, reason="the address was verified")
    [letter] = [t for t in ledger.notifications_due(at=now) if t["recipient"] is None]
    assert letter["reason"] == "restriction_lifted"
    assert letter["before"] == "2026-03-08T10:00:00Z"
    assert decide(ledger, "imdi", "settlement", "name", utc(2026, 3, 5, 10)).denial == "restricted"
    assert decide(ledger, "imdi", "settlement", "name", utc(2026, 3, 9, 10)).permitted
