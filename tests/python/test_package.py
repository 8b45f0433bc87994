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
    assert sorted(consent.__all__) == sorted(consent._native.__all__)
    for name in consent.__all__:
        assert getattr(consent, name) is getattr(consent._native, name)
    assert consent.__version__ == "0.2.0"
    assert consent.Ledger.__module__ == "consent"
    assert consent.Decision.__module__ == "consent"
