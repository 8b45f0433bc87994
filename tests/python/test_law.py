"""The law as data, version 2, through Python: the first three acceptance cases of issue 15,
with subject 15038510190 and the default catalogue.

Every disclosure passes two gates: a GDPR basis (Art. 6, Art. 9 for a special category, and
the statute Art. 6(3) needs) and an exception from the duty of confidentiality. A decision
names both, separately.
"""

from __future__ import annotations

import pytest

import consent
from conftest import ACTOR, ADULT, EVIDENCE, NOTICE, utc, LOOKUP

MARCH_FIRST = utc(2026, 3, 1, 10)
CONCERN = {"condition": "serious_concern", "reference": "2026/55"}


def test_the_duty_to_inform_barnevern_needs_an_asserted_condition(
    ledger: consent.Ledger,
) -> None:
    request = {
        "subject": ADULT,
        "recipient": "barnevern",
        "purpose": "child_welfare_followup",
        "categories": ["name", "family"],
        "at": MARCH_FIRST,
    }
    routine = ledger.decide(**request)
    assert not routine.permitted
    assert routine.denial == "condition_not_asserted"
    assert [b["reason"] for b in routine.bases] == ["condition_not_asserted"] * 2

    concern = ledger.decide(**request, assertions=[CONCERN])
    assert concern.permitted
    for outcome in concern.bases:
        assert outcome["basis"]["rule"] == "barnevern_duty"
        assert outcome["basis"]["condition"] == "serious_concern"

    # An assertion of a condition the catalogue does not know is an unknown code.
    with pytest.raises(consent.UnknownCodeError):
        ledger.decide(**request, assertions=[{"condition": "hunch", "reference": "2026/55"}])

    # The recorded disclosure carries the assertion, and each basis its condition.
    ledger.set_clock(MARCH_FIRST)
    ledger.record_disclosure(**request, actor=ACTOR, assertions=[CONCERN])
    payload = list(ledger.events())[-1]["payload"]
    assert payload["assertions"] == [CONCERN]
    assert {b["condition"] for b in payload["bases"]} == {"serious_concern"}

    # Without the assertion nothing is recorded.
    before = ledger.event_count
    with pytest.raises(consent.NotPermittedError):
        ledger.record_disclosure(**request, actor=ACTOR)
    assert ledger.event_count == before


def test_the_introduction_benefit_names_its_statute_and_its_confidentiality_exception_apart(
    ledger: consent.Ledger,
) -> None:
    decision = ledger.decide(
        subject=ADULT,
        recipient="okonomiavdelingen",
        purpose="introduction_benefit",
        categories=["finances"],
        at=MARCH_FIRST,
    )
    assert decision.permitted
    basis = decision.bases[0]["basis"]
    assert basis["kind"] == "statute"
    assert basis["statute"] == "integreringsloven § 41"
    assert basis["art6"] == "A6_1_e"
    assert basis["confidentiality_exception"] == "fvl_13b_3"
    assert basis["confidentiality_statute"] == "forvaltningsloven § 13 b nr. 3"


def test_consent_lifts_confidentiality_and_the_catalogue_names_the_gdpr_basis(
    ledger: consent.Ledger,
) -> None:
    grant_id = ledger.grant(
        subject=ADULT,
        grantor={"role": "self"},
        purposes=["language_training"],
        recipients=["laeringssenteret"],
        categories=["health"],
        explicit=True,
        valid_from=utc(2026, 1, 5, 9),
        valid_until=None,
        evidence=EVIDENCE,
        notice=NOTICE,
        actor=ACTOR,
    )
    decision = ledger.decide(
        subject=ADULT,
        recipient="laeringssenteret",
        purpose="language_training",
        categories=["health"],
        at=MARCH_FIRST,
    )
    assert decision.permitted
    basis = decision.bases[0]["basis"]
    assert basis["kind"] == "consent"
    assert basis["grant_id"] == grant_id
    assert basis["explicit"] is True
    # The confidentiality gate is the consent ...
    assert basis["confidentiality_exception"] == "fvl_13a_1"
    assert basis["confidentiality_statute"] == "forvaltningsloven § 13 a nr. 1"
    # ... and the GDPR gate what the catalogue declares for language_training: not Art. 6(1)(a).
    assert basis["art6"] == "A6_1_e"
    assert basis["statute"] == "integreringsloven § 41"
    assert basis["art9"] == "A9_2_a"

    # The subject's export names the same two gates.
    export = ledger.subject_export(ADULT, actor=ACTOR, lookup_purpose=LOOKUP)
    gates = export["consent_records"][0]["gates"]
    assert {g["purpose"] for g in gates} == {"language_training"}
    assert gates[0]["art6"] == "A6_1_e"
    assert gates[0]["confidentiality_exception"] == "fvl_13a_1"
