"""Issue 17 through Python: roles from the catalogue, reads recorded, who looked at me."""

from __future__ import annotations

from pathlib import Path

import pytest

import consent
from conftest import ACTOR, ADULT, CLOCK, DPO, GrantFn, recorded, utc

DEFAULT_CATALOGUE = (
    Path(__file__).resolve().parents[2] / "consent-core" / "src" / "catalogue" / "default.toml")

AUDITOR = {"id": "revisor-1", "role": "auditor"}
SYSTEM = {"id": "nir-overforing", "role": "system"}
JANITOR = {"id": "vaktmester", "role": "janitor"}


def test_a_case_workers_erasure_is_not_permitted_and_a_dpos_is_accepted(
        ledger: consent.Ledger, grant: GrantFn) -> None:
    grant()
    before = ledger.event_count
    with pytest.raises(consent.NotPermittedError, match="`case_worker`.*`request_erasure`"):
        ledger.request_erasure(ADULT, actor=ACTOR)
    with pytest.raises(consent.UnknownCodeError, match="unknown role `janitor`"):
        ledger.request_erasure(ADULT, actor=JANITOR)
    assert ledger.event_count == before
    ledger.request_erasure(ADULT, actor=DPO)
    assert ledger.event_count > before


def test_an_auditor_verifies_but_does_not_export(ledger: consent.Ledger, grant: GrantFn) -> None:
    grant()
    before = ledger.event_count
    assert ledger.verify(actor=AUDITOR)["ok"]
    with pytest.raises(consent.NotPermittedError, match="`verify`"):
        ledger.verify(actor=ACTOR)
    with pytest.raises(consent.NotPermittedError, match="`auditor`.*`export`"):
        ledger.subject_export(ADULT, actor=AUDITOR, lookup_purpose="revisjon")
    with pytest.raises(consent.NotPermittedError):
        ledger.subject_events(ADULT, actor=AUDITOR, lookup_purpose="revisjon")
    assert ledger.event_count == before


def test_an_export_appears_in_the_next_with_date_role_and_purpose(
        ledger: consent.Ledger, grant: GrantFn) -> None:
    grant()
    ledger.subject_export(ADULT, actor=ACTOR, lookup_purpose="sak 2026/55: bosetting")
    export = ledger.subject_export(ADULT, actor=DPO, lookup_purpose="innsynskrav")
    first, second = export["accesses"]
    assert first == {"accessed_at": "2026-01-05T10:00:00Z", "role": "case_worker",
                     "operation": "export", "purpose": "sak 2026/55: bosetting"}
    assert second["role"] == "dpo"
    assert "entity_id" not in first  # staff ids only under disclose_staff_ids
    events = ledger.subject_events(ADULT, actor=ACTOR, lookup_purpose="journal")
    assert events[-1]["kind"] == "subject_accessed"
    assert ADULT not in str(events)


def test_logged_decisions_are_recorded_and_plain_ones_are_not(
        ledger: consent.Ledger) -> None:
    args = dict(subject=ADULT, recipient="nir", purpose="nir_registration",
                categories=["name"], at=utc(2026, 3, 1))
    assert ledger.decide(**args).permitted  # type: ignore[arg-type]
    assert recorded(ledger) == 0
    logged = ledger.decide(**args, actor=SYSTEM, lookup_purpose="melding til NIR")  # type: ignore[arg-type]
    assert logged.permitted
    assert recorded(ledger) == 1
    request = ledger.prepare(recipient="nir", purpose="nir_registration", categories=["name"])
    assert request.decide(ADULT, utc(2026, 3, 1), actor=SYSTEM, lookup_purpose="natt").permitted
    assert recorded(ledger) == 2
    # Both or neither; a bad role, purpose or code records nothing.
    with pytest.raises(consent.InvalidInputError, match="lookup_purpose"):
        ledger.decide(**args, actor=SYSTEM)  # type: ignore[arg-type]
    with pytest.raises(consent.InvalidInputError, match="actor"):
        request.decide(ADULT, utc(2026, 3, 1), lookup_purpose="x")
    with pytest.raises(consent.NotPermittedError):
        ledger.decide(**args, actor=AUDITOR, lookup_purpose="x")  # type: ignore[arg-type]
    with pytest.raises(consent.UnknownCodeError):
        request.decide(ADULT, utc(2026, 3, 1), actor=JANITOR, lookup_purpose="x")
    with pytest.raises(consent.InvalidInputError):
        ledger.decide(**args, actor=SYSTEM, lookup_purpose="")  # type: ignore[arg-type]
    with pytest.raises(consent.InvalidInputError):
        ledger.subject_export(ADULT, actor=ACTOR, lookup_purpose=f"fnr {ADULT}")
    with pytest.raises(TypeError):
        ledger.subject_export(ADULT)  # type: ignore[call-arg]
    assert recorded(ledger) == 2


def test_log_all_decisions_refuses_plain_decisions(tmp_path: Path) -> None:
    text = DEFAULT_CATALOGUE.read_text(encoding="utf-8")
    strict = tmp_path / "strict.toml"
    strict.write_text(text.replace("log_all_decisions = false", "log_all_decisions = true"),
                      encoding="utf-8")
    with consent.Ledger.in_memory(test_mode=True, clock=CLOCK, catalogue_file=strict) as ledger:
        args = dict(subject=ADULT, recipient="nir", purpose="nir_registration",
                    categories=["name"], at=utc(2026, 3, 1))
        with pytest.raises(consent.NotPermittedError, match="log_all_decisions"):
            ledger.decide(**args)  # type: ignore[arg-type]
        request = ledger.prepare(recipient="nir", purpose="nir_registration", categories=["name"])
        with pytest.raises(consent.NotPermittedError, match="log_all_decisions"):
            request.decide(ADULT, utc(2026, 3, 1))
        assert recorded(ledger) == 0
        assert ledger.decide(**args, actor=SYSTEM, lookup_purpose="NIR").permitted  # type: ignore[arg-type]
        assert recorded(ledger) == 1


def test_a_catalogue_role_with_an_unknown_operation_is_refused(tmp_path: Path) -> None:
    text = DEFAULT_CATALOGUE.read_text(encoding="utf-8")
    bad = tmp_path / "bad.toml"
    bad.write_text(text.replace('may = ["verify", "statistics"]',
                                'may = ["verify", "erase_everything"]'), encoding="utf-8")
    with pytest.raises(consent.InvalidCatalogueError, match="erase_everything"):
        consent.Ledger.in_memory(test_mode=True, clock=CLOCK, catalogue_file=bad)
