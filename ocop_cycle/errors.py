"""Every error ocop-cycle raises, under one root.

Hosts catch ``OcopCycleError`` for everything, or a branch for what they handle::

    OcopCycleError
    ├── InvalidCommand (ValueError)         bad payload: names each field; nothing written
    ├── CommandRefused                      the command was understood and refused; nothing written
    │   ├── InvalidTransition               the dossier's state does not allow the command
    │   ├── GuardRefused                    a rule said no; carries machine-readable reasons
    │   ├── PermissionDenied (PermissionError)  the actor's role or jurisdiction may not
    │   └── PlaceRefused                    the codes are no place on the command's date
    ├── NotFound (LookupError)
    │   ├── DossierNotFound
    │   ├── RoundNotFound
    │   ├── ProfileNotFound
    │   ├── SheetNotFound
    │   └── UnitNotFound                    no administrative unit has this code (on that date)
    ├── ConcurrencyConflict                 another writer got there first; nothing written
    ├── IdempotencyKeyReused                same key, different command
    ├── RuleDataInvalid (ValueError)        a rule profile or scoring sheet failed validation
    ├── MachineDefinitionError              the workflow graph failed its checks when built
    └── StorageError                        the database failed; SQLAlchemy's error is the cause
        ├── SchemaNotReady                  tables missing or migrations behind: run `db upgrade`
        ├── UnsuitableConnection            a host's Connection cannot carry this work as it is
        └── KeyMismatch                     the store's hash chains are keyed otherwise

Every error pickles (hosts pass them through multiprocessing and task queues): it comes back
with the same type, message and attributes; its ``__cause__`` and traceback are not carried.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

__all__ = [
    "CommandRefused",
    "ConcurrencyConflict",
    "DossierNotFound",
    "FieldProblem",
    "GuardRefused",
    "IdempotencyKeyReused",
    "InvalidCommand",
    "InvalidTransition",
    "KeyMismatch",
    "MachineDefinitionError",
    "NotFound",
    "OcopCycleError",
    "PermissionDenied",
    "PlaceRefused",
    "ProfileNotFound",
    "Reason",
    "RoundNotFound",
    "RuleDataInvalid",
    "SchemaNotReady",
    "SheetNotFound",
    "StorageError",
    "TransactionConflict",
    "UnitNotFound",
    "UnsuitableConnection",
]


@dataclass(frozen=True, slots=True)
class Reason:
    """Why a rule refused: a stable ``code`` for machines, text for people in both languages."""

    code: str
    vi: str
    en: str

    def __str__(self) -> str:
        return f"{self.code}: {self.en} ({self.vi})"


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """One bad field of a command: a dotted path (``sheets.0.levels.A9``) and what is wrong."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


def _rebuild(cls: type[OcopCycleError], args: tuple[Any, ...], state: dict[str, Any]) -> Any:
    # Subclass __init__ signatures differ from ``args`` (the message), so bypass them.
    exc = cls.__new__(cls, *args)
    exc.args = args
    exc.__dict__.update(state)
    return exc


class OcopCycleError(Exception):
    """Root of every error raised by ocop-cycle."""

    def __reduce__(self) -> tuple[Any, ...]:
        # BaseException's default calls ``type(self)(*self.args)``, which fails for every
        # subclass whose __init__ takes data rather than a message.
        return (_rebuild, (type(self), self.args, dict(self.__dict__)))


class InvalidCommand(OcopCycleError, ValueError):
    """A command's payload is invalid; ``problems`` names every bad field."""

    def __init__(self, command: str, problems: Sequence[FieldProblem]) -> None:
        self.command = command
        self.problems = tuple(problems)
        detail = "; ".join(str(p) for p in self.problems)
        super().__init__(f"invalid {command}: {detail}")

    @property
    def fields(self) -> tuple[str, ...]:
        """The dotted paths of the bad fields, in order."""
        return tuple(p.field for p in self.problems)


class CommandRefused(OcopCycleError):
    """The command was valid but may not be applied now; nothing was written."""


class InvalidTransition(CommandRefused):
    """The dossier's current state has no transition for this command."""

    def __init__(self, dossier_id: object, state: str, event: str) -> None:
        self.dossier_id = dossier_id
        self.state = state
        self.event = event
        super().__init__(f"dossier {dossier_id}: cannot {event} from state {state!r}")


class GuardRefused(CommandRefused):
    """A rule refused the command; ``reasons`` says which and why."""

    def __init__(self, dossier_id: object, event: str, reasons: Sequence[Reason]) -> None:
        self.dossier_id = dossier_id
        self.event = event
        self.reasons = tuple(reasons)
        detail = "; ".join(str(r) for r in self.reasons)
        # A creation has no dossier yet (and names its certificate's, when it follows one).
        subject = f"dossier {dossier_id}: " if dossier_id is not None else ""
        super().__init__(f"{subject}{event} refused: {detail}")

    @property
    def codes(self) -> tuple[str, ...]:
        """The reason codes, in order."""
        return tuple(r.code for r in self.reasons)


class PermissionDenied(CommandRefused, PermissionError):
    """The actor's role or jurisdiction does not allow this command on this dossier."""

    def __init__(self, command: str, role: str, jurisdiction: str, reason: Reason) -> None:
        self.command = command
        self.role = role
        self.jurisdiction = jurisdiction
        self.reason = reason
        super().__init__(f"{role}@{jurisdiction} may not {command}: {reason}")


class PlaceRefused(CommandRefused):
    """The commune, district and province a command names are not one place on its date: a
    unit that no longer exists (the reason names its successor), a commune outside the district
    or province given, a code of the wrong tier."""

    def __init__(self, command: str, reasons: Sequence[Reason]) -> None:
        self.command = command
        self.reasons = tuple(reasons)
        detail = "; ".join(str(r) for r in self.reasons)
        super().__init__(f"{command} refused: {detail}")

    @property
    def codes(self) -> tuple[str, ...]:
        """The reason codes, in order."""
        return tuple(r.code for r in self.reasons)


class NotFound(OcopCycleError, LookupError):
    """Something asked for by id does not exist."""


class DossierNotFound(NotFound):
    """No dossier has this id."""

    def __init__(self, dossier_id: object) -> None:
        self.dossier_id = dossier_id
        super().__init__(f"no dossier {dossier_id}")


class RoundNotFound(NotFound):
    """No evaluation round has this id."""

    def __init__(self, round_id: object) -> None:
        self.round_id = round_id
        super().__init__(f"no round {round_id}")


class ProfileNotFound(NotFound):
    """No rule profile has this id, or none is in force on the date asked."""

    def __init__(self, what: str) -> None:
        self.what = what
        super().__init__(f"no rule profile {what}")


class SheetNotFound(NotFound):
    """No scoring sheet exists for this profile and product set."""

    def __init__(self, profile_id: str, product_set: str) -> None:
        self.profile_id = profile_id
        self.product_set = product_set
        super().__init__(f"no scoring sheet for {product_set!r} under {profile_id}")


class UnitNotFound(NotFound):
    """No administrative unit has this code, or none had it on the date asked."""

    def __init__(self, code: str, on: date | None = None) -> None:
        self.code = code
        self.on = on
        when = f" on {on.isoformat()}" if on is not None else ""
        super().__init__(f"no administrative unit with code {code!r}{when}")


class ConcurrencyConflict(OcopCycleError):
    """Another command changed the dossier first; this one wrote nothing and may be retried."""

    def __init__(
        self, dossier_id: object, expected_version: int | None, actual_version: int | None
    ) -> None:
        self.dossier_id = dossier_id
        self.expected_version = expected_version
        self.actual_version = actual_version
        super().__init__(
            f"dossier {dossier_id}: expected version {expected_version}, "
            f"found {actual_version if actual_version is not None else 'a newer one'}"
        )


class IdempotencyKeyReused(OcopCycleError):
    """The idempotency key was first used for a different command."""

    def __init__(self, key: str) -> None:
        self.key = key
        super().__init__(f"idempotency key {key!r} was used for a different command")


class RuleDataInvalid(OcopCycleError, ValueError):
    """A rule profile, product catalogue or scoring sheet failed validation on load."""

    def __init__(self, source: str, problems: Sequence[str]) -> None:
        self.source = source
        self.problems = tuple(problems)
        super().__init__(f"{source}: " + "; ".join(self.problems))


class MachineDefinitionError(OcopCycleError):
    """The workflow graph built from a profile failed a structural check."""

    def __init__(self, profile_id: str, problems: Sequence[str]) -> None:
        self.profile_id = profile_id
        self.problems = tuple(problems)
        super().__init__(f"workflow for {profile_id}: " + "; ".join(self.problems))


class StorageError(OcopCycleError):
    """The database failed in a way ocop-cycle cannot resolve; the cause is chained."""

    def __init__(self, message: str, **context: Any) -> None:
        self.context = context
        super().__init__(message)


class TransactionConflict(StorageError):
    """The database ended the transaction to keep concurrent ones apart (PostgreSQL: a
    serialization failure at REPEATABLE READ or SERIALIZABLE, a deadlock, a lock not granted
    within ``lock_timeout``); nothing of it was written and it may be retried (on a host's
    connection, the host's whole transaction)."""


class SchemaNotReady(StorageError):
    """The database has no ocop-cycle tables, or an older schema: run ``ocop-cycle db upgrade``."""


class UnsuitableConnection(StorageError):
    """A host's ``Connection`` cannot carry ocop-cycle's work as it is; nothing was written.

    SQLite in the middle of a transaction with ``foreign_keys`` off or ``synchronous`` below the
    configured level (neither can change inside a transaction), PostgreSQL in autocommit (no
    transaction to join), or work that needs transactions of its own (the scheduler) on an
    ``Engine`` made on a ``Connection``.
    """


class KeyMismatch(StorageError):
    """The store's hash chains are made with another key than this engine's: a key where the
    store has none, none where it has one, or another key. Nothing was written: an event hashed
    otherwise would break its chain for good. Open the engine with the store's key
    (``hmac_key``, ``--key-file``)."""
