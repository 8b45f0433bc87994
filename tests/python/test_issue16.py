"""The acceptance cases of issue 16 ("the law as data, v2, part 2"), each its own test, through
Python: subject A = 15038510190 (an adult), M = a valid number for a person born 2010-05-01,
the default catalogue (a one-year retention where kassasjon must become due), times UTC, and
the ledger's clock set in test mode so that fixed dates are not backdating.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Optional

import pytest

import consent
from conftest import ACTOR, EVIDENCE, NOTICE, new_ledger, recorded, utc, ARCHIVIST, DPO, LOOKUP

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CATALOGUE = ROOT / "consent-core" / "src" / "catalogue" / "default.toml"

A = "15038510190"
HEARD = {"at": utc(2026, 1, 4, 12), "position": "agrees", "reference": "2026/1233"}


def control_digits(nine: str) -> Optional[str]:
    """The full 11 digits when the nine leading digits have valid mod-11 control digits."""
    digits = [int(c) for c in nine]
    k1 = (11 - sum(w * d for w, d in zip([3, 7, 6, 1, 8, 9, 4, 5, 2], digits)) % 11) % 11
    if k1 == 10:
        return None
    digits.append(k1)
    k2 = (11 - sum(w * d for w, d in zip([5, 4, 3, 2, 7, 6, 5, 4, 3, 2], digits)) % 11) % 11
    if k2 == 10:
        return None
    return nine + str(k1) + str(k2)


def national_id(ddmmyy: str, individual_prefix: str) -> str:
    """A valid number for the date with an individual number starting with the prefix (`51`:
    born 2000-2039)."""
    for third in range(10):
        number = control_digits(f"{ddmmyy}{individual_prefix}{third}")
        if number is not None:
            return number
    raise AssertionError(f"no valid number for {ddmmyy}")


#: M: born 1 May 2010 (15 in spring 2026, 16 on 2026-05-01).
M = national_id("010510", "51")


def test_the_helper_makes_the_documented_number() -> None:
    assert control_digits("150385101") == A


def ledger_at(now: datetime, **options: Any) -> consent.Ledger:
    return consent.Ledger.in_memory(test_mode=True, clock=now, **options)


def grant_fields(subject: str, recipient: str, purpose: str, category: str, explicit: bool,
                 valid_from: datetime = utc(2026, 1, 5, 9), **extra: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "subject": subject, "grantor": {"role": "self"}, "purposes": [purpose],
        "recipients": [recipient], "categories": [category], "explicit": explicit,
        "valid_from": valid_from, "evidence": EVIDENCE, "notice": NOTICE,
    }
    fields.update(extra)
    return fields


def decide(ledger: consent.Ledger, subject: str, recipient: str, purpose: str, category: str,
           at: datetime) -> consent.Decision:
    return ledger.decide(subject=subject, recipient=recipient, purpose=purpose,
                         categories=[category], at=at)


def test_m_consents_alone_only_with_a_maturity_assessment() -> None:
    ledger = ledger_at(utc(2026, 3, 1, 10))
    fields = grant_fields(M, "nav", "employment_followup", "finances", False,
                          valid_from=utc(2026, 3, 1, 9))
    with pytest.raises(consent.InvalidInputError, match="maturity assessment"):
        ledger.grant(**fields, actor=ACTOR)
    assert recorded(ledger) == 0
    fields["maturity_assessment"] = {"assessed_by": "helsesykepleier", "reference": "2026/71",
                                     "at": utc(2026, 2, 27, 13)}
    assert isinstance(ledger.grant(**fields, actor=ACTOR), uuid.UUID)
    assert decide(ledger, M, "nav", "employment_followup", "finances", utc(2026, 3, 2, 10)).permitted


def test_a_representants_grant_ends_with_the_authority() -> None:
    ledger = ledger_at(utc(2026, 1, 5, 10))
    grant_id = ledger.grant(**grant_fields(
        M, "nav", "employment_followup", "finances", False,
        grantor={"role": "representant", "id": A, "authority": "UDI 2025/991",
                 "authority_valid_until": utc(2026, 6, 1)},
        child_heard=HEARD), actor=ACTOR)
    assert decide(ledger, M, "nav", "employment_followup", "finances", utc(2026, 5, 1)).permitted
    ended = decide(ledger, M, "nav", "employment_followup", "finances", utc(2026, 7, 1))
    assert ended.denial == "grantor_authority_ended"
    due = ledger.reconsent_due(at=utc(2026, 5, 15), window=timedelta(days=30))
    assert any(item["grant_id"] == grant_id and item["reason"] == "authority_ends" for item in due)


def test_a_parents_health_grant_lapses_when_m_turns_sixteen() -> None:
    ledger = ledger_at(utc(2026, 1, 5, 10))
    ledger.grant(**grant_fields(
        M, "helsetjenesten", "health_coordination", "health", True,
        grantor={"role": "parent", "id": A, "authority": "Folkeregisteret"},
        child_heard=HEARD), actor=ACTOR)
    assert decide(ledger, M, "helsetjenesten", "health_coordination", "health",
                  utc(2026, 4, 30, 10)).permitted
    lapsed = decide(ledger, M, "helsetjenesten", "health_coordination", "health",
                    utc(2026, 5, 2, 10))
    assert lapsed.denial == "reconsent_required"


def test_a_representative_of_a_thirteen_year_old_must_record_that_the_child_was_heard() -> None:
    ledger = new_ledger()
    child = national_id("010612", "51")  # born 2012-06-01: 13 in January 2026
    fields = grant_fields(child, "nav", "employment_followup", "finances", False,
                          grantor={"role": "verge", "id": A,
                                   "authority": "Statsforvalteren 2025/1"})
    with pytest.raises(consent.InvalidInputError, match="child was heard"):
        ledger.grant(**fields, actor=ACTOR)
    assert recorded(ledger) == 0
    ledger.grant(**fields, child_heard=HEARD, actor=ACTOR)
    assert recorded(ledger) == 1


def test_a_d_number_with_a_birth_date_lapses_at_local_midnight() -> None:
    ledger = new_ledger()
    d_number = national_id("550124", "51")  # its date is a registration date
    ledger.grant(**grant_fields(
        d_number, "nav", "employment_followup", "finances", False,
        grantor={"role": "verge", "id": A, "authority": "Statsforvalteren 2025/2"},
        child_heard=HEARD, subject_birth_date="2009-11-20"), actor=ACTOR)
    # Midnight of 2027-11-20 in Europe/Oslo (winter time, UTC+1).
    eighteen = utc(2027, 11, 19, 23)
    assert decide(ledger, d_number, "nav", "employment_followup", "finances",
                  eighteen - timedelta(microseconds=1)).permitted
    assert decide(ledger, d_number, "nav", "employment_followup", "finances",
                  eighteen).denial == "reconsent_required"
    assert not any("2009-11-20" in str(event) for event in ledger.events())


def test_erasure_restricts_then_kassasjon_after_the_retention(tmp_path: Path) -> None:
    catalogue = tmp_path / "one-year.toml"
    catalogue.write_text(DEFAULT_CATALOGUE.read_text(encoding="utf-8").replace(
        'retention_years = "permanent"', "retention_years = 1").replace(
        "access_log_retention_years = 5", "access_log_retention_years = 1"), encoding="utf-8")
    ledger = ledger_at(utc(2026, 1, 5, 10), catalogue_file=catalogue)
    grant_id = ledger.grant(**grant_fields(A, "helsetjenesten", "health_coordination", "health",
                                           True), actor=ACTOR)
    ledger.set_clock(utc(2026, 2, 1, 10))
    ledger.record_disclosure(subject=A, recipient="helsetjenesten",
                             purpose="health_coordination", categories=["health"],
                             at=utc(2026, 2, 1, 10), actor=ACTOR)
    ledger.set_clock(utc(2026, 3, 1))

    outcome = ledger.request_erasure(A, actor=DPO)
    assert outcome["outcome"] == "restricted"
    assert outcome["withdrawn"] == [grant_id]
    export = ledger.subject_export(A, actor=ACTOR, lookup_purpose=LOOKUP)
    withdrawal = export["consent_records"][0]["events"][1]
    assert withdrawal["event_type"] == "withdrawn"
    assert withdrawal["effective_at"] == "2026-03-01T00:00:00Z"
    assert withdrawal["reason"] == "erasure_request"
    assert len(export["disclosures"]) == 1
    assert decide(ledger, A, "helsetjenesten", "health_coordination", "health",
                  utc(2026, 3, 2)).denial == "withdrawn"

    count = ledger.event_count
    with pytest.raises(consent.NotPermittedError):
        ledger.execute_kassasjon(A, actor=ARCHIVIST)
    assert ledger.event_count == count
    ledger.set_clock(utc(2027, 3, 2))
    assert ledger.execute_kassasjon(A, actor=ARCHIVIST)["outcome"] == "erased"
    assert ledger.verify()["ok"] is True


def test_a_restriction_keeps_consent_and_stops_statutes_until_lifted() -> None:
    ledger = new_ledger()
    ledger.grant(**grant_fields(A, "nav", "employment_followup", "finances", False), actor=ACTOR)
    ledger.set_clock(utc(2026, 3, 1, 10))
    ledger.restrict(A, ground="A18_1_a", at=utc(2026, 3, 1, 10), actor=ACTOR)
    during = utc(2026, 3, 5, 10)
    assert decide(ledger, A, "nav", "employment_followup", "finances", during).permitted
    assert decide(ledger, A, "imdi", "settlement", "name", during).denial == "restricted"
    ledger.lift_restriction(A, at=utc(2026, 3, 10, 10), actor=DPO, reason="verified")
    assert decide(ledger, A, "imdi", "settlement", "name", utc(2026, 3, 11, 10)).permitted


def test_an_objection_to_the_introduction_programme_until_rejected() -> None:
    ledger = new_ledger()
    ledger.set_clock(utc(2026, 3, 1, 10))
    objection = ledger.object(A, purpose="introduction_programme", at=utc(2026, 3, 1, 10),
                              actor=ACTOR)
    denied = decide(ledger, A, "nav", "introduction_programme", "name", utc(2026, 3, 2, 10))
    assert denied.denial == "objected"
    assert denied.to_dict()["categories"][0].get("reason") == "objected"
    ledger.resolve_objection(objection, outcome="rejected", at=utc(2026, 3, 3, 10), actor=DPO,
                             reason="vedtak 2026/90: compelling grounds")
    permitted = decide(ledger, A, "nav", "introduction_programme", "name", utc(2026, 3, 4, 10))
    assert permitted.permitted
    assert permitted.bases[0]["basis"]["rule"] == "nav_introduction"


def test_the_export_of_a_number_never_seen_says_nothing_is_held() -> None:
    ledger = new_ledger()
    export = ledger.subject_export(A, actor=ACTOR, lookup_purpose=LOOKUP)
    assert export["status"] == "nothing_held"
    assert export["consent_records"] == []
    assert A not in str(export)


def test_a_d_numbers_grant_follows_the_person_to_their_fodselsnummer() -> None:
    """A grant under a D-number, then a succession to a fødselsnummer: a decision under the
    fødselsnummer is permitted by that grant, and both exports show one history."""
    d_number = national_id("601190", "12")  # 20 November 1990 (day + 40)
    ledger = new_ledger()
    grant_id = ledger.grant(actor=ACTOR, **grant_fields(d_number, "nav", "employment_followup",
                                                        "finances", False))
    at = utc(2026, 3, 1, 10)
    assert not decide(ledger, A, "nav", "employment_followup", "finances", at).permitted
    ledger.record_identity_succession(d_number, A, "Folkeregisteret 2026/77", actor=ACTOR)
    decision = decide(ledger, A, "nav", "employment_followup", "finances", at)
    assert decision.permitted
    assert str(grant_id) in repr(decision.to_dict())
    assert decide(ledger, d_number, "nav", "employment_followup", "finances", at).permitted
    under_new, under_old = (ledger.subject_export(n, actor=ACTOR, lookup_purpose=LOOKUP) for n in (A, d_number))
    assert under_new["pii_principal_id"] == under_old["pii_principal_id"]
    assert under_new["consent_records"] == under_old["consent_records"]
    assert [str(r["record_id"]) for r in under_new["consent_records"]] == [str(grant_id)]
    assert len(under_new["earlier_ids"]) == 1
    for export in (under_new, under_old):
        text = repr(export)
        assert A not in text and d_number not in text
