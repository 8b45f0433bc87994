"""Data-subject rights: export, access requests, rectification, erasure or restriction,
statistics and the re-consent worklist.

The ledgers run on a test clock (`conftest.CLOCK`, the morning the fixtures' grants start); a
rectification or restriction takes effect at the ledger's "now", which the tests move with
`Ledger.set_clock` where that matters.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable

import pytest

import consent
from conftest import (ACTOR, ADULT, ARCHIVIST, CHILD, CLOCK, DPO, EVIDENCE, LOOKUP, NOTICE,
                      OTHER_ADULT, VERGE, GrantFn, new_ledger, utc)

AUDITOR = {"id": "revisor-1", "role": "auditor"}

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CATALOGUE = ROOT / "consent-core" / "src" / "catalogue" / "default.toml"


def now() -> datetime:
    """The ledger's clock in these tests, until a test moves it."""
    return CLOCK


def national_id(birth_date: str) -> str:
    """A valid national id for a `DDMMYY` birth date in the 1900s (individual numbers 000-499),
    with the standard mod-11 control digits."""
    for individual in range(100, 500):
        digits = [int(c) for c in f"{birth_date}{individual:03d}"]
        k1 = (11 - sum(w * d for w, d in zip([3, 7, 6, 1, 8, 9, 4, 5, 2], digits)) % 11) % 11
        if k1 == 10:
            continue
        digits.append(k1)
        k2 = (11 - sum(w * d for w, d in zip([5, 4, 3, 2, 7, 6, 5, 4, 3, 2], digits)) % 11) % 11
        if k2 == 10:
            continue
        return "".join(map(str, digits)) + str(k2)
    raise AssertionError(f"no valid id for {birth_date}")


def test_the_helper_computes_the_documented_ids() -> None:
    assert national_id("150385") == ADULT


def decide(ledger: consent.Ledger, recipient: str, purpose: str, categories: list[str],
           at: datetime, subject: str = ADULT) -> consent.Decision:
    return ledger.decide(subject=subject, recipient=recipient, purpose=purpose,
                         categories=categories, at=at)


def nav_grant(grant: GrantFn, **overrides: Any) -> str:
    """A consent to employment follow-up by NAV with financial data."""
    fields: dict[str, Any] = {
        "recipients": ["nav"], "purposes": ["employment_followup"], "categories": ["finances"],
        "explicit": False,
    }
    fields.update(overrides)
    return grant(**fields)


def disclose_to_nir(ledger: consent.Ledger, at: datetime) -> consent.Decision:
    return ledger.record_disclosure(subject=ADULT, recipient="nir", purpose="nir_registration",
                                    categories=["name", "national_id"], at=at, actor=ACTOR)


def raises_unchanged(ledger: consent.Ledger, cls: type[consent.ConsentError],
                     call: Callable[[], Any], match: str | None = None) -> None:
    before = ledger.event_count
    with pytest.raises(cls, match=match) as info:
        call()
    assert type(info.value) is cls
    assert ledger.event_count == before
    for number in (ADULT, OTHER_ADULT, CHILD, VERGE):
        assert number not in str(info.value)


def test_the_export_lists_the_disclosure_recipients(ledger: consent.Ledger, grant: GrantFn) -> None:
    grant_id = nav_grant(grant)
    ledger.record_disclosure(subject=ADULT, recipient="nav", purpose="employment_followup",
                             categories=["name", "finances"], at=utc(2026, 2, 1), actor=ACTOR)
    disclose_to_nir(ledger, utc(2026, 2, 1))
    export = ledger.subject_export(ADULT, actor=ACTOR, lookup_purpose=LOOKUP)
    assert [d["recipient"] for d in export["disclosures"]] == ["nav", "nir"]
    assert [d["purpose"] for d in export["disclosures"]] == ["employment_followup",
                                                             "nir_registration"]
    assert export["consent_records"][0]["record_id"] == str(grant_id)
    assert export["status"] == "active"
    assert ADULT not in repr(export)


def test_an_access_request_is_due_one_month_after_receipt(ledger: consent.Ledger,
                                                           grant: GrantFn) -> None:
    grant()
    request = ledger.register_access_request(ADULT, received_at=utc(2026, 3, 10, 8), actor=ACTOR)
    assert request["received_at"] == "2026-03-10T08:00:00Z"
    assert request["due_at"] == "2026-04-10T08:00:00Z"
    assert isinstance(request["id"], uuid.UUID)
    # "One month" ends on the last day of a shorter month.
    end_of_january = ledger.register_access_request(ADULT, received_at=utc(2026, 1, 31, 12),
                                                    actor=ACTOR)
    assert end_of_january["due_at"] == "2026-02-28T12:00:00Z"
    listed = ledger.subject_export(ADULT, actor=ACTOR, lookup_purpose=LOOKUP)["access_requests"]
    assert [(r["request_id"], r["due_at"]) for r in listed] == [
        (str(request["id"]), "2026-04-10T08:00:00Z"),
        (str(end_of_january["id"]), "2026-02-28T12:00:00Z"),
    ]
    raises_unchanged(ledger, consent.InvalidInputError,
                     lambda: ledger.register_access_request(ADULT, received_at=datetime(2026, 3, 10),
                                                            actor=ACTOR),
                     match="naive")


def test_a_rectified_valid_until_changes_decisions_after_the_correction_only(
    ledger: consent.Ledger, grant: GrantFn
) -> None:
    grant_id = grant(recipients=["bufetat"], purposes=["case_handling"], categories=["family"],
                     explicit=False, valid_from=utc(2026, 1, 5, 9), valid_until=None)
    # Two months later, the correction is made.
    start = CLOCK + timedelta(days=60)
    ledger.set_clock(start)

    def family(at: datetime) -> consent.Decision:
        return decide(ledger, "bufetat", "case_handling", ["family"], at)

    earlier, recently, later = start - timedelta(days=20), start - timedelta(days=5), start + timedelta(hours=1)
    assert all(family(t).permitted for t in (earlier, recently, later))

    # The form said the consent ended ten days ago: corrected from now on.
    record_id = ledger.rectify(ADULT, grant_id, field="valid_until", value=start - timedelta(days=10),
                               reason="the form gives an end date", actor=ACTOR)
    assert isinstance(record_id, uuid.UUID)
    assert family(earlier).permitted
    assert family(recently).permitted, "decisions for instants before the correction stand"
    assert family(later).denial == "expired"

    # History is not rewritten: the grant's own event keeps its validity.
    events = list(ledger.events())
    assert [e["kind"] for e in events][-1] == "subject_rectified"
    consent_record = ledger.subject_export(ADULT, actor=ACTOR, lookup_purpose=LOOKUP)["consent_records"][0]
    assert consent_record["validity"]["valid_until"] is None
    assert consent_record["current_validity"]["valid_until"] is not None

    # `None` removes the end again.
    ledger.rectify(ADULT, grant_id, field="valid_until", value=None, reason="it was open-ended",
                   actor=ACTOR)
    assert family(start + timedelta(hours=1)).permitted


def test_rectifying_the_evidence_reference(ledger: consent.Ledger, grant: GrantFn) -> None:
    grant_id = grant()
    ledger.rectify(ADULT, grant_id, field="evidence_reference", value="2026/1235",
                   reason="typing error in the case number", actor=ACTOR)
    export = ledger.subject_export(ADULT, actor=ACTOR, lookup_purpose=LOOKUP)
    assert export["consent_records"][0]["evidence"]["reference"] == "2026/1235"
    [rectification] = export["rectifications"]
    assert rectification["correction"] == {"field": "evidence_reference", "value": "2026/1235"}
    assert rectification["previous"] == "2026/1234"


def test_bad_rectifications_change_nothing(ledger: consent.Ledger, grant: GrantFn) -> None:
    grant_id = grant()
    other_id = grant(subject=OTHER_ADULT)

    def rectify(**overrides: Any) -> Callable[[], Any]:
        fields: dict[str, Any] = {"subject": ADULT, "grant_id": grant_id, "field": "valid_from",
                                  "value": utc(2026, 1, 6), "reason": "x", "actor": ACTOR}
        fields.update(overrides)
        subject, grant = fields.pop("subject"), fields.pop("grant_id")
        return lambda: ledger.rectify(subject, grant, **fields)

    for case in [
        rectify(value=datetime(2026, 1, 6)),                    # naive
        rectify(value="2026-01-06T00:00:00Z"),                   # text, not a datetime
        rectify(value=None),                                      # valid_from has no "no value"
        rectify(field="evidence_reference", value=42),
        rectify(field="colour", value="blue"),
        rectify(field="valid_until", value=utc(2025, 1, 1)),   # before valid_from
        rectify(reason=""),
        rectify(grant_id="not-a-uuid"),
        rectify(actor={"id": "x"}),
    ]:
        raises_unchanged(ledger, consent.InvalidInputError, case)
    raises_unchanged(ledger, consent.NotFoundError, rectify(grant_id=other_id), match="no grant")
    raises_unchanged(ledger, consent.NotFoundError, rectify(grant_id=str(uuid.uuid4())))


def test_erasure_withdraws_the_consents_and_keeps_the_records(ledger: consent.Ledger,
                                                               grant: GrantFn) -> None:
    health = grant()
    grant(subject=OTHER_ADULT)
    assert decide(ledger, "laeringssenteret", "health_coordination", ["health"],
                  now() + timedelta(days=1)).permitted

    outcome = ledger.request_erasure(ADULT, actor=DPO)
    assert outcome["outcome"] == "restricted"
    assert outcome["withdrawn"] == [health]
    assert outcome["at"].endswith("Z")
    # The default catalogue keeps the records for good: kassasjon is never due.
    assert outcome["kassasjon_due_at"] is None
    report = ledger.verify()
    assert report["ok"] is True and report["events"] == ledger.event_count
    denied = decide(ledger, "laeringssenteret", "health_coordination", ["health"],
                    now() + timedelta(days=1))
    assert denied.denial == "withdrawn"
    raises_unchanged(ledger, consent.ConflictError,
                     lambda: ledger.withdraw(health, at=now() + timedelta(days=2), actor=ACTOR))
    # The other subject is untouched.
    assert decide(ledger, "laeringssenteret", "health_coordination", ["health"],
                  now() + timedelta(days=1), subject=OTHER_ADULT).permitted
    export = ledger.subject_export(ADULT, actor=ACTOR, lookup_purpose=LOOKUP)
    assert export["status"] == "restricted"
    assert export["consent_records"][0]["events"][-1]["reason"] == "erasure_request"
    raises_unchanged(ledger, consent.NotPermittedError,
                     lambda: ledger.execute_kassasjon(ADULT, actor=ARCHIVIST))
    raises_unchanged(ledger, consent.ConflictError,
                     lambda: ledger.request_erasure(ADULT, actor=DPO), match="already requested")


def test_erasure_after_an_nir_disclosure_keeps_the_statutory_duty(ledger: consent.Ledger,
                                                                  grant: GrantFn) -> None:
    nav_grant(grant)
    disclose_to_nir(ledger, utc(2026, 2, 1))
    # The request comes in June.
    ledger.set_clock(utc(2026, 6, 1))

    outcome = ledger.request_erasure(ADULT, actor=DPO)
    assert outcome["outcome"] == "restricted"
    assert outcome["rules"] == ["nir_registration"]
    assert outcome["statutes"] == ["integreringsloven § 43"]

    after = utc(2026, 6, 1, 1)
    consent_based = decide(ledger, "nav", "employment_followup", ["finances"], after)
    assert not consent_based.permitted
    assert consent_based.denial == "withdrawn"
    assert decide(ledger, "nav", "employment_followup", ["finances"], utc(2026, 3, 1)).permitted, \
        "decisions before the request stand"
    nir = decide(ledger, "nir", "nir_registration", ["name", "national_id"], after)
    assert nir.permitted, "the statutory duty continues under restriction"
    assert nir.bases[0]["basis"]["kind"] == "statute"

    assert ledger.verify()["ok"] is True
    export = ledger.subject_export(ADULT, actor=ACTOR, lookup_purpose=LOOKUP)
    assert export["status"] == "restricted"
    assert export["restrictions"][0]["rules"] == ["nir_registration"]
    assert len(export["disclosures"]) == 1
    raises_unchanged(ledger, consent.ConflictError,
                     lambda: ledger.request_erasure(ADULT, actor=DPO), match="already requested")


def test_statistics_suppress_counts_below_five(ledger: consent.Ledger, grant: GrantFn) -> None:
    subjects = [national_id(f"{day}0280") for day in range(10, 19)]
    for subject in subjects[:7]:
        nav_grant(grant, subject=subject, recipients=["nav"], purposes=["case_handling"],
                  categories=["name"])
    for subject in subjects[7:]:
        nav_grant(grant, subject=subject, recipients=["bufetat"], purposes=["case_handling"],
                  categories=["family"])

    stats = ledger.statistics(actor=AUDITOR)
    assert stats["min_cell"] == 5
    assert stats["period"] == "quarter" and stats["periods"] == ["2026-Q1"]
    rows = {r["recipient"]: r for r in stats["rows"]}
    assert rows["nav"]["period"] == "2026-Q1"
    assert rows["bufetat"]["grants"] is None, "2 is below the threshold"
    # Beside it, the shown total (9) would give bufetat's 2 away: nav's 7 is hidden too.
    assert rows["nav"]["grants"] is None and rows["nav"]["withdrawals"] == 0
    assert stats["totals"][0]["grants"] == 9
    active = {a["recipient"]: a["count"] for a in stats["active_grants"]}
    assert active == {"nav": 7, "bufetat": None}
    text = repr(stats)
    assert "subject" not in text and not any(s in text for s in subjects)

    # A higher threshold suppresses more; a lower one than the catalogue's is refused.
    assert ledger.statistics(actor=AUDITOR, min_cell=10)["active_grants"][0]["count"] is None
    # Whole quarters only: from the second quarter on, nothing; up to the last of 2025, nothing.
    assert ledger.statistics(actor=AUDITOR, from_period="2026-Q2")["rows"] == []
    early = ledger.statistics(actor=AUDITOR, to_period="2025-Q4")
    assert early["rows"] == [] and early["active_grants"] == []
    assert early["periods"] == ["2025-Q4"]

    for case in [
        lambda: ledger.statistics(actor=AUDITOR, min_cell=2),
        lambda: ledger.statistics(actor=AUDITOR, min_cell=-1),
        lambda: ledger.statistics(actor=AUDITOR, min_cell=True),
        lambda: ledger.statistics(actor=AUDITOR, min_cell="5"),  # type: ignore[arg-type]
        lambda: ledger.statistics(actor=AUDITOR, from_period=datetime(2026, 1, 1)),  # type: ignore[arg-type]
        lambda: ledger.statistics(actor=AUDITOR, to_period="2026-01-01"),
        lambda: ledger.statistics(actor=AUDITOR, from_period="2026-03"),
    ]:
        raises_unchanged(ledger, consent.InvalidInputError, case)


def test_the_reconsent_worklist(ledger: consent.Ledger, grant: GrantFn) -> None:
    # The child's verge consents for the child; the grant lapses when the child turns 18
    # (2030-03-15, midnight in Oslo).
    by_verge = grant(subject=CHILD, recipients=["nav"], purposes=["case_handling"],
                     categories=["family"], explicit=False,
                     grantor={"role": "verge", "id": VERGE, "authority": "Statsforvalteren 2025/1"},
                     # The child is 13: the verge heard the child first.
                     child_heard={"at": utc(2026, 1, 4, 12), "position": "agrees", "reference": "2026/1233"})
    expiring = grant(recipients=["bufetat"], purposes=["case_handling"], categories=["family"],
                     explicit=False, valid_until=utc(2030, 2, 1))
    grant(subject=OTHER_ADULT)  # open-ended, under the current notice: never listed

    items = ledger.reconsent_due(at=utc(2030, 1, 1), window=timedelta(days=120))
    assert [(i["grant_id"], i["reason"], i["due_at"]) for i in items] == [
        (expiring, "expires", "2030-02-01T00:00:00Z"),
        (by_verge, "comes_of_age", "2030-03-14T23:00:00Z"),
    ]
    assert items[1]["recipients"] == ["nav"] and items[1]["categories"] == ["family"]
    # Subjects appear as pseudonyms, never as national ids; the case system maps them back.
    assert items[0]["subject"] == ledger.pseudonym(ADULT)
    assert items[1]["subject"] == ledger.pseudonym(CHILD)
    assert not any(number in repr(items) for number in (ADULT, CHILD, VERGE))

    assert ledger.reconsent_due(at=utc(2030, 1, 1), window=timedelta(days=10)) == []
    for case in [
        lambda: ledger.reconsent_due(at=utc(2030, 1, 1), window=timedelta(days=-1)),
        lambda: ledger.reconsent_due(at=utc(2030, 1, 1), window=10),  # type: ignore[arg-type]
        lambda: ledger.reconsent_due(at=datetime(2030, 1, 1), window=timedelta(days=1)),
    ]:
        raises_unchanged(ledger, consent.InvalidInputError, case)


def test_an_unknown_subject_is_not_found(ledger: consent.Ledger, grant: GrantFn) -> None:
    """Changing what the ledger does not hold is NotFound; asking what it holds is answered
    (test_restrict.py)."""
    grant_id = grant()
    for case in [
        lambda: ledger.rectify(OTHER_ADULT, grant_id, field="evidence_reference", value="2026/1",
                               reason="x", actor=ACTOR),
        lambda: ledger.request_erasure(OTHER_ADULT, actor=DPO),
    ]:
        raises_unchanged(ledger, consent.NotFoundError, case, match="nothing about this subject")
    raises_unchanged(ledger, consent.InvalidNationalIdError,
                     lambda: ledger.request_erasure("15038510191", actor=DPO))
    raises_unchanged(ledger, consent.InvalidInputError,
                     lambda: ledger.request_erasure(15038510190, actor=DPO))  # type: ignore[arg-type]


def test_a_catalogue_file(tmp_path: Path) -> None:
    own = tmp_path / "catalogue.toml"
    text = DEFAULT_CATALOGUE.read_text(encoding="utf-8")
    assert "statistics_min_cell = 5" in text
    own.write_text(text.replace("statistics_min_cell = 5", "statistics_min_cell = 7"),
                   encoding="utf-8")
    assert new_ledger(catalogue_file=own).statistics(actor=AUDITOR)["min_cell"] == 7
    with consent.Ledger.open(tmp_path / "ledger.db", catalogue_file=str(own)) as ledger:
        assert ledger.statistics(actor=AUDITOR)["min_cell"] == 7

    bad = tmp_path / "bad.toml"
    bad.write_text('version = "1"\n[settings]\nstatistics_min_cell = 0\n', encoding="utf-8")
    with pytest.raises(consent.InvalidCatalogueError):
        new_ledger(catalogue_file=bad)
    with pytest.raises(consent.InvalidCatalogueError):
        consent.Ledger.open(tmp_path / "other.db", catalogue_file=bad)
    assert not (tmp_path / "other.db").exists()
    (tmp_path / "garbage.toml").write_text("this is [not toml", encoding="utf-8")
    with pytest.raises(consent.InvalidCatalogueError):
        new_ledger(catalogue_file=tmp_path / "garbage.toml")
    with pytest.raises(consent.StorageError, match="cannot read catalogue"):
        new_ledger(catalogue_file=tmp_path / "missing.toml")
    with pytest.raises(consent.InvalidInputError):
        new_ledger(catalogue_file=42)  # type: ignore[arg-type]


def test_deviations_list_a_disclosure_a_later_backdated_withdrawal_made_unlawful() -> None:
    """Issue 17 item 6: the avvik routine's list, from what the ledger learnt later."""
    ledger = new_ledger()
    grant_id = ledger.grant(
        subject=ADULT, grantor={"role": "self"}, purposes=["employment_followup"],
        recipients=["nav"], categories=["finances"], explicit=False,
        valid_from=utc(2026, 1, 5, 9), evidence=EVIDENCE, notice=NOTICE, actor=ACTOR)
    for day in (10, 20):
        ledger.set_clock(utc(2026, 1, day, 10))
        ledger.record_disclosure(subject=ADULT, recipient="nav", purpose="employment_followup",
                                 categories=["finances"], at=utc(2026, 1, day, 10), actor=ACTOR)
    assert ledger.deviations(since=utc(2026, 1, 1)) == []
    ledger.set_clock(utc(2026, 2, 1, 10))
    ledger.withdraw(grant_id, at=utc(2026, 1, 15), actor=ACTOR)
    [deviation] = ledger.deviations(since=utc(2026, 1, 1))
    assert deviation["at"] == "2026-01-20T10:00:00Z"
    assert deviation["categories"] == [{"category": "finances", "reason": "withdrawn"}]
    assert deviation["subject"] == ledger.pseudonym(ADULT)
    assert isinstance(deviation["event_id"], uuid.UUID)
    assert ADULT not in str(deviation)
    assert ledger.deviations(since=utc(2026, 1, 21)) == []
    with pytest.raises(consent.InvalidInputError):
        ledger.deviations(since="2026-01-01")  # type: ignore[arg-type]
