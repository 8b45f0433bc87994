"""Adopting a catalogue, identity succession (DUF number -> D-number -> fødselsnummer) and the
notification worklist (GDPR Art. 18(3) and 19) through Python: each works, and bad input raises
its own exception class with nothing recorded."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any, Callable

import pytest

import consent
from conftest import ACTOR, ADULT, CLOCK, EVIDENCE, NOTICE, OTHER_ADULT, new_ledger, utc, LOOKUP

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CATALOGUE = ROOT / "consent-core" / "src" / "catalogue" / "default.toml"
V0_1_CATALOGUE = ROOT / "consent-core" / "tests" / "fixtures" / "v0_1" / "catalogue.toml"
#: A DUF number (UDI's case number: the year of registration, then eight digits).
DUF = "201612345678"
DPO = {"id": "personvernombud-1", "role": "dpo"}
TEACHER = {"id": "laerer-3", "role": "teacher"}
AUDITOR = {"id": "revisor-1", "role": "auditor"}


def raises_unchanged(ledger: consent.Ledger, cls: type[consent.ConsentError],
                     call: Callable[[], Any], match: str | None = None) -> consent.ConsentError:
    before = ledger.event_count
    with pytest.raises(cls, match=match) as info:
        call()
    assert type(info.value) is cls
    assert ledger.event_count == before
    for number in (ADULT, DUF, OTHER_ADULT):
        assert number not in str(info.value)
    return info.value


def kinds(ledger: consent.Ledger) -> list[str]:
    return [event["kind"] for event in ledger.events()]


def next_catalogue(tmp_path: Path, version: str = "2027-01-01") -> Path:
    """The default catalogue under another version, with a stricter small-cell threshold."""
    text = DEFAULT_CATALOGUE.read_text(encoding="utf-8")
    assert 'version = "2026-12-01"' in text and "statistics_min_cell = 5" in text
    path = tmp_path / f"catalogue-{version}.toml"
    path.write_text(text.replace('version = "2026-12-01"', f'version = "{version}"', 1)
                    .replace("statistics_min_cell = 5", "statistics_min_cell = 7"),
                    encoding="utf-8")
    return path


def grant(ledger: consent.Ledger, subject: str, **extra: Any) -> uuid.UUID:
    return ledger.grant(
        subject=subject, grantor={"role": "self"}, purposes=["employment_followup"],
        recipients=["nav"], categories=["finances"], explicit=False,
        valid_from=utc(2026, 1, 5, 9), evidence=EVIDENCE, notice=NOTICE, actor=ACTOR, **extra,
    )


def permits(ledger: consent.Ledger, subject: str) -> bool:
    return ledger.decide(subject=subject, recipient="nav", purpose="employment_followup",
                         categories=["finances"], at=utc(2026, 3, 1, 10)).permitted


# --- catalogue adoption -------------------------------------------------------------------


def test_a_new_ledger_records_its_catalogue_first_and_adopts_another(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    nxt = next_catalogue(tmp_path)
    with consent.Ledger.open(path, test_mode=True, clock=CLOCK) as ledger:
        assert kinds(ledger) == ["catalogue_adopted"]
        assert ledger.statistics(actor=AUDITOR)["min_cell"] == 5
        event = ledger.adopt_catalogue(nxt, actor=DPO)
        assert isinstance(event, uuid.UUID)
        assert kinds(ledger) == ["catalogue_adopted", "catalogue_adopted"]
        adopted = list(ledger.events())[-1]
        assert adopted["id"] == str(event) and adopted["actor"]["role"] == "dpo"
        assert ledger.statistics(actor=AUDITOR)["min_cell"] == 7
        # The same catalogue again: nothing to adopt.
        raises_unchanged(ledger, consent.ConflictError,
                         lambda: ledger.adopt_catalogue(str(nxt), actor=DPO), "already in force")
    # Reopened, the adopted catalogue is in force; opening with the old one is a conflict.
    with consent.Ledger.open(path, test_mode=True, clock=CLOCK) as reopened:
        assert reopened.statistics(actor=AUDITOR)["min_cell"] == 7
    with pytest.raises(consent.ConflictError):
        consent.Ledger.open(path, test_mode=True, clock=CLOCK, catalogue_file=DEFAULT_CATALOGUE)
    with consent.Ledger.open(path, test_mode=True, clock=CLOCK, catalogue_file=nxt) as same:
        assert len(kinds(same)) == 2


def test_adopt_catalogue_rejects_bad_input(tmp_path: Path) -> None:
    ledger = new_ledger()
    bad = tmp_path / "bad.toml"
    bad.write_text('version = "1"\n[settings]\nstatistics_min_cell = 0\n', encoding="utf-8")
    raises_unchanged(ledger, consent.InvalidCatalogueError,
                     lambda: ledger.adopt_catalogue(bad, actor=DPO))
    raises_unchanged(ledger, consent.StorageError,
                     lambda: ledger.adopt_catalogue(tmp_path / "missing.toml", actor=DPO))
    raises_unchanged(ledger, consent.InvalidInputError,
                     lambda: ledger.adopt_catalogue(None, actor=DPO))  # type: ignore[arg-type]
    raises_unchanged(ledger, consent.InvalidInputError,
                     lambda: ledger.adopt_catalogue(42, actor=DPO))  # type: ignore[arg-type]
    raises_unchanged(ledger, consent.InvalidInputError,
                     lambda: ledger.adopt_catalogue(next_catalogue(tmp_path),
                                                    actor={"id": "x"}))  # type: ignore[typeddict-item]
    # 0.1's catalogue lacks categories of the one in force: codes are never removed.
    raises_unchanged(ledger, consent.InvalidInputError,
                     lambda: ledger.adopt_catalogue(V0_1_CATALOGUE, actor=DPO), "missing")
    assert kinds(ledger) == ["catalogue_adopted"]


# --- identity succession ------------------------------------------------------------------


def test_a_duf_numbers_grant_follows_the_person_to_their_fodselsnummer() -> None:
    ledger = new_ledger()
    grant_id = grant(ledger, DUF, subject_birth_date="1990-11-20")
    assert permits(ledger, DUF) and not permits(ledger, ADULT)
    assert len(ledger.pseudonym(DUF)) == 32
    event = ledger.record_identity_succession(DUF, ADULT, "Folkeregisteret 2026/77", actor=ACTOR)
    assert isinstance(event, uuid.UUID)
    assert kinds(ledger)[-1] == "identity_succeeded"
    assert permits(ledger, ADULT)
    exports = [ledger.subject_export(number, actor=ACTOR, lookup_purpose=LOOKUP) for number in (DUF, ADULT)]
    for export in exports:
        text = repr(export)
        assert str(grant_id) in text
        assert DUF not in text and ADULT not in text
    # Succeeding the DUF number a second time is a conflict.
    raises_unchanged(ledger, consent.ConflictError,
                     lambda: ledger.record_identity_succession(DUF, OTHER_ADULT, "UDI 2026/10",
                                                               actor=ACTOR))


def test_record_identity_succession_rejects_bad_input() -> None:
    ledger = new_ledger()
    grant(ledger, DUF, subject_birth_date="1990-11-20")

    def succeed(*args: Any, **kwargs: Any) -> Callable[[], Any]:
        return lambda: ledger.record_identity_succession(*args, **kwargs)

    raises_unchanged(ledger, consent.InvalidNationalIdError,
                     succeed("301612345678", ADULT, "UDI 2026/9", actor=ACTOR))
    raises_unchanged(ledger, consent.InvalidNationalIdError,
                     succeed(DUF, "15038510191", "UDI 2026/9", actor=ACTOR))
    raises_unchanged(ledger, consent.InvalidInputError,
                     succeed(DUF, DUF, "UDI 2026/9", actor=ACTOR), "same")
    raises_unchanged(ledger, consent.InvalidInputError, succeed(DUF, ADULT, "", actor=ACTOR))
    raises_unchanged(ledger, consent.InvalidInputError,
                     succeed(DUF, ADULT, f"case {ADULT}", actor=ACTOR))
    raises_unchanged(ledger, consent.InvalidInputError,
                     succeed(int(DUF), ADULT, "UDI 2026/9", actor=ACTOR))
    raises_unchanged(ledger, consent.InvalidInputError,
                     succeed(DUF, ADULT, None, actor=ACTOR))
    raises_unchanged(ledger, consent.InvalidInputError,
                     succeed(DUF, ADULT, "UDI 2026/9", actor={"id": "x"}))
    raises_unchanged(ledger, consent.NotPermittedError,
                     succeed(DUF, ADULT, "UDI 2026/9", actor=AUDITOR), "succession")
    raises_unchanged(ledger, consent.UnknownCodeError,
                     succeed(DUF, ADULT, "UDI 2026/9", actor=TEACHER), "unknown role `teacher`")
    raises_unchanged(ledger, consent.NotFoundError,
                     succeed(OTHER_ADULT, ADULT, "UDI 2026/9", actor=ACTOR), "holds nothing")
    # A step backwards (a fødselsnummer to a DUF number) is bad input, merge or not.
    raises_unchanged(ledger, consent.InvalidInputError,
                     succeed(ADULT, DUF, "UDI 2026/9", actor=ACTOR, merge=True), "forward only")
    # A DUF number in the reference, as UDI writes it, is refused like a national id.
    for reference in ("UDI 2017 1234 5678", "UDI 2017-12345678", "201712345678"):
        error = raises_unchanged(ledger, consent.InvalidInputError,
                                 succeed(DUF, ADULT, reference, actor=ACTOR))
        assert "5678" not in str(error)
    for merge in (1, "yes"):
        raises_unchanged(ledger, consent.InvalidInputError,
                         succeed(DUF, ADULT, "UDI 2026/9", actor=ACTOR, merge=merge), "merge")
    with pytest.raises(TypeError):
        ledger.record_identity_succession(DUF, ADULT, "UDI 2026/9")  # type: ignore[call-arg]
    assert "identity_succeeded" not in kinds(ledger)


def test_a_new_id_that_holds_records_is_joined_only_with_merge() -> None:
    ledger = new_ledger()
    first = grant(ledger, OTHER_ADULT)
    second = grant(ledger, ADULT)
    error = raises_unchanged(
        ledger, consent.ConflictError,
        lambda: ledger.record_identity_succession(OTHER_ADULT, ADULT, "Folkeregisteret 2026/80",
                                                  actor=ACTOR),
        "already holds records")
    assert ADULT not in str(error) and OTHER_ADULT not in str(error)
    raises_unchanged(
        ledger, consent.ConflictError,
        lambda: ledger.record_identity_succession(OTHER_ADULT, ADULT, "Folkeregisteret 2026/80",
                                                  actor=ACTOR, merge=False))
    ledger.record_identity_succession(OTHER_ADULT, ADULT, "Folkeregisteret 2026/80", actor=ACTOR,
                                      merge=True)
    export = ledger.subject_export(OTHER_ADULT, actor=ACTOR, lookup_purpose=LOOKUP)
    assert {str(r["record_id"]) for r in export["consent_records"]} >= {str(first), str(second)}
    assert export["earlier_ids"][0]["merge"] is True
    event = [e for e in ledger.events() if e["kind"] == "identity_succeeded"][0]
    assert event["payload"]["merge"] is True


# --- the notification worklist ------------------------------------------------------------


def rectified(ledger: consent.Ledger) -> uuid.UUID:
    """A grant, a disclosure to NAV and a rectification of the grant: NAV must be told."""
    grant_id = grant(ledger, ADULT)
    ledger.set_clock(utc(2026, 3, 1, 10))
    ledger.record_disclosure(subject=ADULT, recipient="nav", purpose="employment_followup",
                             categories=["finances"], at=utc(2026, 3, 1, 10), actor=ACTOR)
    assert ledger.notifications_due(at=utc(2026, 3, 3)) == []
    return ledger.rectify(ADULT, grant_id, field="evidence_reference", value="2026/1235",
                          reason="typing error in the case number", actor=ACTOR)


def test_a_rectification_puts_a_task_for_each_recipient_until_it_is_done() -> None:
    ledger = new_ledger()
    rectified(ledger)
    tasks = ledger.notifications_due(at=utc(2026, 3, 3))
    assert len(tasks) == 1
    task = tasks[0]
    assert isinstance(task["event_id"], uuid.UUID)
    assert task["reason"] == "rectification" and task["recipient"] == "nav"
    assert task["subject"] == ledger.pseudonym(ADULT)
    assert task["due_at"].startswith("2026-03-01")
    # Not yet due before the rectification.
    assert ledger.notifications_due(at=utc(2026, 3, 1, 9)) == []
    record = ledger.record_notification(task["event_id"], recipient="nav",
                                        at=utc(2026, 3, 2, 10), actor=ACTOR)
    assert isinstance(record, uuid.UUID)
    assert kinds(ledger)[-1] == "notification_sent"
    assert ledger.notifications_due(at=utc(2026, 3, 3)) == []
    # Done once; a second mark finds no task. The id may also come as text.
    raises_unchanged(ledger, consent.NotFoundError,
                     lambda: ledger.record_notification(str(task["event_id"]), recipient="nav",
                                                        at=utc(2026, 3, 2, 10), actor=ACTOR))


def test_notifications_reject_bad_input() -> None:
    ledger = new_ledger()
    rectified(ledger)
    event = ledger.notifications_due(at=utc(2026, 3, 3))[0]["event_id"]

    def mark(event_id: Any = event, **kwargs: Any) -> Callable[[], Any]:
        args: dict[str, Any] = {"recipient": "nav", "at": utc(2026, 3, 2, 10), "actor": ACTOR}
        args.update(kwargs)
        return lambda: ledger.record_notification(event_id, **args)

    raises_unchanged(ledger, consent.InvalidInputError, mark("not-a-uuid"), "UUID")
    raises_unchanged(ledger, consent.InvalidInputError, mark(42))
    raises_unchanged(ledger, consent.UnknownCodeError, mark(recipient="no_such_recipient"))
    raises_unchanged(ledger, consent.InvalidInputError, mark(recipient=7))
    raises_unchanged(ledger, consent.NotFoundError, mark(recipient=None), "worklist")
    raises_unchanged(ledger, consent.NotFoundError, mark(recipient="imdi"), "worklist")
    raises_unchanged(ledger, consent.NotFoundError, mark(uuid.uuid4()), "worklist")
    raises_unchanged(ledger, consent.InvalidInputError, mark(at="2026-03-02T10:00:00Z"))
    raises_unchanged(ledger, consent.InvalidInputError, mark(actor={"id": "x"}))
    with pytest.raises(consent.InvalidInputError):
        ledger.notifications_due(at="2026-03-03")  # type: ignore[arg-type]
    with pytest.raises(consent.InvalidInputError):
        ledger.notifications_due(at=utc(2026, 3, 3).replace(tzinfo=None))
    assert len(ledger.notifications_due(at=utc(2026, 3, 3))) == 1
