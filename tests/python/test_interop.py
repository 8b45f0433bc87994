"""Ledger.subject_export_fhir and subject_export_dpv: the person's grants as FHIR R5 Consent
resources and as TS 27560 records with DPV terms, as text, under the pseudonym unless the host
asks for the national id. (scripts/test-documents.sh validates the same documents with
fhir.resources and pyld.)"""

from __future__ import annotations

import json

import pytest

import consent
from conftest import ACTOR, ADULT, EVIDENCE, LOOKUP, NOTICE, OTHER_ADULT, GrantFn, utc


def test_fhir_bundle_names_the_person_by_pseudonym(ledger: consent.Ledger, grant: GrantFn) -> None:
    grant_id = grant()
    text = ledger.subject_export_fhir(ADULT, actor=ACTOR, lookup_purpose=LOOKUP)
    assert isinstance(text, str)
    assert ADULT not in text
    bundle = json.loads(text)
    assert bundle["resourceType"] == "Bundle" and bundle["type"] == "collection"
    resource = bundle["entry"][0]["resource"]
    assert resource["id"] == str(grant_id)
    assert resource["status"] == "active" and resource["decision"] == "permit"
    assert resource["subject"]["identifier"] == {
        "system": "urn:consent:pseudonym",
        "value": ledger.subject_export(ADULT, actor=ACTOR, lookup_purpose=LOOKUP)["pii_principal_id"],
    }


def test_fhir_bundle_by_national_id_only_when_asked(ledger: consent.Ledger, grant: GrantFn) -> None:
    grant()
    bundle = json.loads(ledger.subject_export_fhir(ADULT, actor=ACTOR, lookup_purpose=LOOKUP, national_id_in_subject=True))
    assert bundle["entry"][0]["resource"]["subject"]["identifier"] == {
        "system": "urn:oid:2.16.578.1.12.4.1.4.1",
        "value": ADULT,
    }
    with pytest.raises(consent.InvalidInputError):
        ledger.subject_export_fhir(ADULT, actor=ACTOR, lookup_purpose=LOOKUP, national_id_in_subject="yes")  # type: ignore[arg-type]


def test_withdrawal_makes_the_consent_inactive_and_the_record_withdrawn(
    ledger: consent.Ledger, grant: GrantFn
) -> None:
    grant_id = grant()
    ledger.set_clock(utc(2026, 2, 1, 9))
    ledger.withdraw(grant_id, at=utc(2026, 2, 1, 9), actor=ACTOR)
    resource = json.loads(ledger.subject_export_fhir(ADULT, actor=ACTOR, lookup_purpose=LOOKUP))["entry"][0]["resource"]
    assert resource["status"] == "inactive"
    assert resource["period"]["end"] == "2026-02-01T09:00:00Z"
    text = ledger.subject_export_dpv(ADULT, actor=ACTOR, lookup_purpose=LOOKUP)
    assert ADULT not in text
    document = json.loads(text)
    assert document["@context"]["dpv"] == "https://w3id.org/dpv#"
    assert document["@graph"][0]["event_state"] == "dpv:ConsentWithdrawn"


def test_a_refusal_is_a_deny_and_consent_refused(ledger: consent.Ledger) -> None:
    ledger.refuse(
        subject=OTHER_ADULT,
        grantor={"role": "self"},
        purposes=["health_coordination"],
        recipients=["helsetjenesten"],
        categories=["health"],
        at=utc(2026, 1, 5, 9),
        evidence=EVIDENCE,
        notice=NOTICE,
        actor=ACTOR,
    )
    resource = json.loads(ledger.subject_export_fhir(OTHER_ADULT, actor=ACTOR, lookup_purpose=LOOKUP))["entry"][0]["resource"]
    assert resource["decision"] == "deny"
    record = json.loads(ledger.subject_export_dpv(OTHER_ADULT, actor=ACTOR, lookup_purpose=LOOKUP))["@graph"][0]
    assert record["event_state"] == "dpv:ConsentRefused"
