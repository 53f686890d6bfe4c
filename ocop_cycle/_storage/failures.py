"""Database failures, translated at the storage boundary into ocop-cycle's error tree.

Hosts catch ``OcopCycleError``; a driver's or SQLAlchemy's exception never escapes storage.
The original is always chained as ``__cause__`` so nothing is lost for debugging.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from types import TracebackType

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from ocop_cycle.errors import OcopCycleError, SchemaNotReady, StorageError, TransactionConflict

__all__ = ["translate", "translated"]


def _one_line(exc: BaseException) -> str:
    """The driver's own message on one line (what an operator reads; ``detail`` keeps all)."""
    found = getattr(exc, "orig", None) or exc
    return " ".join(str(found).split())


#: PostgreSQL's SQLSTATEs for a transaction the server ended to keep concurrent ones apart:
#: serialization_failure, deadlock_detected, lock_not_available (``lock_timeout``).
_CONFLICTS = {"40001": "serialization failure", "40P01": "deadlock", "55P03": "lock not granted"}


def _sqlstate(exc: BaseException) -> str | None:
    found = getattr(exc, "orig", None) or exc
    state = getattr(found, "sqlstate", None) or getattr(found, "pgcode", None)
    return state if isinstance(state, str) else None


def translate(exc: BaseException) -> StorageError:
    """The ocop-cycle error a database failure means."""
    state = _sqlstate(exc)
    if state in _CONFLICTS:
        return TransactionConflict(
            f"{_CONFLICTS[state]}: {_one_line(exc)}; nothing was written, retry",
            detail=str(exc),
            sqlstate=state,
        )
    text = str(exc).lower()
    if "no such table" in text or ("relation" in text and "does not exist" in text):
        return SchemaNotReady(
            "ocop-cycle tables are missing: run `ocop-cycle db upgrade`", detail=str(exc)
        )
    if "integrity" in type(exc).__name__.lower() or "unique" in text:
        return StorageError(f"integrity error: {_one_line(exc)}", detail=str(exc))
    return StorageError(f"database error: {_one_line(exc)}", detail=str(exc))


def translated(engine: Engine) -> AbstractContextManager[None]:
    """Run storage work so that any database failure, connecting included, comes out as a
    ``StorageError`` (or ``SchemaNotReady``)."""
    return _Translated(engine.dialect.loaded_dbapi.Error)


class _Translated:
    """``translated``'s context manager: a class, as every command enters one (a generator's
    context manager costs a generator, a frame and a StopIteration more)."""

    __slots__ = ("_errors",)

    def __init__(self, dbapi_error: type[BaseException]) -> None:
        self._errors = (dbapi_error, SQLAlchemyError)

    def __enter__(self) -> None:
        return None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        # Never swallows: anything else goes on as it was raised.
        if exc is None or isinstance(exc, OcopCycleError):
            return
        if isinstance(exc, self._errors):
            raise translate(exc) from exc
