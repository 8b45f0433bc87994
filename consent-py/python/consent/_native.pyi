"""Type stubs for the native module ``consent._native`` (checked with ``mypy.stubtest``)."""

import builtins
import os
import uuid
from datetime import datetime, timedelta
from typing import (
    Any,
    ClassVar,
    Iterator,
    Literal,
    Mapping,
    NoReturn,
    Optional,
    Sequence,
    Union,
    overload,
)

from typing_extensions import final

# The dict shapes and literal codes are public in consent._types (importable from consent);
# imported without re-export, so stubtest does not look for them in the native module.
from consent._types import (
    DeviationDict,
    AccessRequestDict,
    ActorDict,
    AssertionDict,
    CategoryOutcomeDict,
    DecisionDict,
    DecisionRequestDict,
    DenialReason,
    ChildHeardDict,
    ErasedDict,
    ErrorCodeName,
    EvidenceDict,
    GrantorDict,
    KassasjonDueDict,
    MaturityAssessmentDict,
    NoticeDict,
    ObjectionOutcome,
    NotificationDict,
    ReconsentItemDict,
    RestrictedDict,
    RestrictionGround,
    StatisticsDict,
    VerifyReportDict,
)

__version__: str
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
    "PreparedRequest",
    "StorageError",
    "UnknownCodeError",
    "UnsupportedVersionError",
    "__version__",
]

@final
class PreparedRequest:
    """A disclosure request without its subject and instant, from ``Ledger.prepare``."""

    @property
    def recipient(self) -> str: ...
    @property
    def purpose(self) -> str: ...
    @property
    def categories(self) -> list[str]: ...
    def decide(
        self,
        subject: str,
        at: datetime,
        *,
        actor: Optional[ActorDict] = None,
        lookup_purpose: Optional[str] = None,
    ) -> Decision: ...
    def decide_many(
        self, subjects: Union[list[str], tuple[str, ...]], at: datetime
    ) -> list[Decision]: ...

@final
class Decision:
    """The answer to a disclosure request: may it, on what basis, and if not, why not."""

    @property
    def permitted(self) -> bool: ...
    @property
    def at(self) -> datetime: ...
    @property
    def recipient(self) -> str: ...
    @property
    def purpose(self) -> str: ...
    @property
    def as_of_seq(self) -> int: ...
    @property
    def denial(self) -> Optional[DenialReason]: ...
    @property
    def bases(self) -> list[CategoryOutcomeDict]: ...
    def to_dict(self) -> DecisionDict: ...
    def to_json(self) -> str: ...
    def explain(self) -> str: ...
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...
    def __bool__(self) -> NoReturn: ...

@final
class Ledger:
    """A consent ledger. May be shared between threads."""

    @staticmethod
    def open(
        path: Union[str, os.PathLike[str]],
        *,
        key_file: Union[str, os.PathLike[str], None] = None,
        test_mode: bool = False,
        catalogue_file: Union[str, os.PathLike[str], None] = None,
        read_only: bool = False,
        group_access: bool = False,
        clock: Optional[datetime] = None,
        write_wait: Union[float, timedelta, None] = None,
        max_staleness_ms: int = 0,
        actor_trust: Optional[dict[str, str]] = None,
    ) -> Ledger: ...
    @staticmethod
    def in_memory(
        *,
        test_mode: bool = False,
        catalogue_file: Union[str, os.PathLike[str], None] = None,
        clock: Optional[datetime] = None,
    ) -> Ledger: ...
    def set_clock(self, at: datetime) -> None: ...
    def adopt_catalogue(
        self, catalogue_file: Union[str, os.PathLike[str]], *, actor: ActorDict
    ) -> uuid.UUID: ...
    def record_identity_succession(
        self,
        from_id: str,
        to_id: str,
        reference: str,
        *,
        actor: ActorDict,
        merge: bool = False,
    ) -> uuid.UUID: ...
    def notifications_due(self, *, at: datetime) -> list[NotificationDict]: ...
    def deviations(self, *, since: datetime) -> list[DeviationDict]: ...
    def record_notification(
        self,
        event_id: Union[uuid.UUID, str],
        *,
        at: datetime,
        actor: ActorDict,
        recipient: Optional[str] = None,
    ) -> uuid.UUID: ...
    def grant_historical(
        self, grants: list[dict[str, Any]], *, actor: ActorDict
    ) -> list[uuid.UUID]: ...
    def grant(
        self,
        *,
        actor: ActorDict,
        subject: str,
        grantor: GrantorDict,
        purposes: Sequence[str],
        recipients: Sequence[str],
        categories: Sequence[str],
        explicit: bool,
        valid_from: datetime,
        evidence: EvidenceDict,
        notice: NoticeDict,
        valid_until: Optional[datetime] = None,
        version: int = 1,
        maturity_assessment: Optional[MaturityAssessmentDict] = None,
        child_heard: Optional[ChildHeardDict] = None,
        subject_birth_date: Optional[str] = None,
        idempotency_key: Optional[str] = None,
    ) -> uuid.UUID: ...
    def withdraw(
        self,
        grant_id: Union[uuid.UUID, str],
        *,
        at: datetime,
        actor: ActorDict,
        reason: Optional[str] = None,
        idempotency_key: Optional[str] = None,
    ) -> None: ...
    def refuse(
        self,
        *,
        actor: ActorDict,
        subject: str,
        grantor: GrantorDict,
        purposes: Sequence[str],
        recipients: Sequence[str],
        categories: Sequence[str],
        at: datetime,
        evidence: EvidenceDict,
        notice: NoticeDict,
        version: int = 1,
        idempotency_key: Optional[str] = None,
    ) -> uuid.UUID: ...
    def decide(
        self,
        *,
        subject: str,
        recipient: str,
        purpose: str,
        categories: Sequence[str],
        at: datetime,
        assertions: Optional[list[AssertionDict]] = None,
        actor: Optional[ActorDict] = None,
        lookup_purpose: Optional[str] = None,
    ) -> Decision: ...
    def decide_many(self, requests: list[DecisionRequestDict]) -> list[Decision]: ...
    def prepare(
        self,
        *,
        recipient: str,
        purpose: str,
        categories: Sequence[str],
        assertions: Optional[list[AssertionDict]] = None,
    ) -> PreparedRequest: ...
    def record_disclosure(
        self,
        *,
        subject: str,
        recipient: str,
        purpose: str,
        categories: Sequence[str],
        at: datetime,
        actor: ActorDict,
        assertions: Optional[list[AssertionDict]] = None,
    ) -> Decision: ...
    def pseudonym(self, subject: str) -> str: ...
    def subject_export(
        self, subject: str, *, actor: ActorDict, lookup_purpose: str
    ) -> dict[str, Any]: ...
    def subject_events(
        self, subject: str, *, actor: ActorDict, lookup_purpose: str
    ) -> list[dict[str, Any]]: ...
    def subject_export_fhir(
        self,
        subject: str,
        *,
        actor: ActorDict,
        lookup_purpose: str,
        national_id_in_subject: bool = False,
    ) -> str: ...
    def subject_export_dpv(
        self, subject: str, *, actor: ActorDict, lookup_purpose: str
    ) -> str: ...
    @overload
    def access_letter(
        self,
        subject: str,
        *,
        actor: ActorDict,
        lookup_purpose: str,
        profile: Union[Mapping[str, Any], str],
        lang: str = "nb",
        format: Literal["pdf"] = "pdf",
        recipient_name: Optional[str] = None,
        national_id_in_header: bool = False,
        reference: Optional[str] = None,
    ) -> bytes: ...
    @overload
    def access_letter(
        self,
        subject: str,
        *,
        actor: ActorDict,
        lookup_purpose: str,
        profile: Union[Mapping[str, Any], str],
        lang: str = "nb",
        format: Literal["html"],
        recipient_name: Optional[str] = None,
        national_id_in_header: bool = False,
        reference: Optional[str] = None,
    ) -> str: ...
    @overload
    def privacy_notice(
        self,
        *,
        profile: Union[Mapping[str, Any], str],
        lang: str = "nb",
        format: Literal["html"] = "html",
    ) -> str: ...
    @overload
    def privacy_notice(
        self,
        *,
        profile: Union[Mapping[str, Any], str],
        lang: str = "nb",
        format: Literal["pdf"],
    ) -> bytes: ...
    @overload
    def processing_record(
        self,
        *,
        profile: Union[Mapping[str, Any], str],
        lang: str = "nb",
        format: Literal["html", "csv"] = "html",
    ) -> str: ...
    @overload
    def processing_record(
        self,
        *,
        profile: Union[Mapping[str, Any], str],
        lang: str = "nb",
        format: Literal["pdf"],
    ) -> bytes: ...
    def register_access_request(
        self, subject: str, *, received_at: datetime, actor: ActorDict
    ) -> AccessRequestDict: ...
    @overload
    def rectify(
        self,
        subject: str,
        grant_id: Union[uuid.UUID, str],
        *,
        field: Literal["evidence_reference"],
        value: str,
        reason: str,
        actor: ActorDict,
    ) -> uuid.UUID: ...
    @overload
    def rectify(
        self,
        subject: str,
        grant_id: Union[uuid.UUID, str],
        *,
        field: Literal["valid_from"],
        value: datetime,
        reason: str,
        actor: ActorDict,
    ) -> uuid.UUID: ...
    @overload
    def rectify(
        self,
        subject: str,
        grant_id: Union[uuid.UUID, str],
        *,
        field: Literal["valid_until"],
        value: Optional[datetime],
        reason: str,
        actor: ActorDict,
    ) -> uuid.UUID: ...
    def request_erasure(self, subject: str, *, actor: ActorDict) -> RestrictedDict: ...
    def restrict(
        self, subject: str, *, ground: RestrictionGround, at: datetime, actor: ActorDict
    ) -> uuid.UUID: ...
    def lift_restriction(
        self, subject: str, *, at: datetime, actor: ActorDict, reason: str
    ) -> uuid.UUID: ...
    def object(
        self, subject: str, *, purpose: str, at: datetime, actor: ActorDict
    ) -> uuid.UUID: ...
    def resolve_objection(
        self,
        objection_id: Union[uuid.UUID, str],
        *,
        outcome: ObjectionOutcome,
        at: datetime,
        actor: ActorDict,
        reason: str,
    ) -> uuid.UUID: ...
    def erasure_due(self, *, at: datetime) -> list[KassasjonDueDict]: ...
    def execute_kassasjon(self, subject: str, *, actor: ActorDict) -> ErasedDict: ...
    def statistics(
        self,
        *,
        actor: ActorDict,
        from_period: Optional[str] = None,
        to_period: Optional[str] = None,
        min_cell: Optional[int] = None,
    ) -> StatisticsDict: ...
    def reconsent_due(self, *, at: datetime, window: timedelta) -> list[ReconsentItemDict]: ...
    def verify(self, *, actor: Optional[ActorDict] = None) -> VerifyReportDict: ...
    @property
    def event_count(self) -> int: ...
    def close(self) -> None: ...
    def __enter__(self) -> Ledger: ...
    # `object` is a method of Ledger: the type is named through builtins.
    def __exit__(self, *_exc: builtins.object) -> bool: ...
    def events(self) -> Iterator[dict[str, Any]]: ...

class ConsentError(Exception):
    """The root of every error the consent package raises."""

    code: ClassVar[Optional[ErrorCodeName]]

class InvalidInputError(ConsentError): ...
class InvalidNationalIdError(InvalidInputError): ...
class UnknownCodeError(ConsentError): ...
class NotFoundError(ConsentError): ...
class ConflictError(ConsentError): ...
class NotPermittedError(ConsentError): ...
class InvalidCatalogueError(ConsentError): ...
class StorageError(ConsentError): ...
class IntegrityError(ConsentError): ...
class KeyMismatchError(ConsentError): ...
class LockedError(ConsentError): ...
class UnsupportedVersionError(ConsentError): ...
