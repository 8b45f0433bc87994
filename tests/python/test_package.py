"""The package itself: imported from the installed wheel, with its public names."""

from __future__ import annotations

from pathlib import Path

import consent
import consent._native


def test_imported_from_the_installed_wheel_not_the_source_tree() -> None:
    location = Path(consent.__file__).resolve()
    assert "site-packages" in location.parts
    assert (location.parent / "py.typed").exists()
    assert (location.parent / "_native.pyi").exists()


def test_public_names() -> None:
    assert set(consent._native.__all__) <= set(consent.__all__)
    for name in consent._native.__all__:
        assert getattr(consent, name) is getattr(consent._native, name)
    # The TypedDicts and literal types of the API are public too.
    for name in set(consent.__all__) - set(consent._native.__all__):
        assert getattr(consent, name) is getattr(consent._types, name)
    assert consent.__version__ == "0.2.0"
    assert consent.Ledger.__module__ == "consent"
    assert consent.Decision.__module__ == "consent"


def test_the_typed_dicts_are_public() -> None:
    from consent import (  # noqa: F401 - importable is the point
        AccessRequestDict,
        ActorDict,
        BasisDict,
        DecisionDict,
        ErasureOutcomeDict,
        EvidenceDict,
        ReconsentItemDict,
        StatisticsDict,
        VerifyReportDict,
    )

    assert DecisionDict.__required_keys__ == {"version", "permitted", "at", "recipient", "purpose",
                                             "as_of_seq", "categories"}
    assert BasisDict.__required_keys__ == {"kind", "art6", "confidentiality_exception"}
    assert BasisDict.__optional_keys__ == {
        "rule", "condition", "grant_id", "explicit", "statute", "art9", "confidentiality_statute"
    }
    assert EvidenceDict.__required_keys__ == {"method", "reference", "language", "interpreter"}
    assert ActorDict.__required_keys__ == {"id", "role"}
