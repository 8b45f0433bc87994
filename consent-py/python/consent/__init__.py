"""Consent ledger and lawful-basis engine for Norwegian municipal services.

The work is done by the native module :mod:`consent._native`; this package re-exports it.
"""

from consent._native import (
    ConflictError,
    ConsentError,
    Decision,
    IntegrityError,
    InvalidCatalogueError,
    InvalidInputError,
    InvalidNationalIdError,
    KeyMismatchError,
    Ledger,
    LockedError,
    NotFoundError,
    NotPermittedError,
    StorageError,
    UnknownCodeError,
    UnsupportedVersionError,
    __version__,
)

__all__ = [
    "ConflictError",
    "ConsentError",
    "Decision",
    "IntegrityError",
    "InvalidCatalogueError",
    "InvalidInputError",
    "InvalidNationalIdError",
    "KeyMismatchError",
    "Ledger",
    "LockedError",
    "NotFoundError",
    "NotPermittedError",
    "StorageError",
    "UnknownCodeError",
    "UnsupportedVersionError",
    "__version__",
]
