"""Input models that fail in ocop-cycle's own error tree, naming every bad field."""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, ValidationError

from ocop_cycle.errors import FieldProblem, InvalidCommand

__all__ = ["InputModel", "problems_from", "uuid_argument"]

# Nested models re-raise pydantic's error so the outermost one reports full dotted paths.
_depth: ContextVar[int] = ContextVar("ocop_input_depth", default=0)


def problems_from(exc: ValidationError) -> list[FieldProblem]:
    """Pydantic's errors as field problems with dotted paths."""
    return [
        FieldProblem(".".join(str(p) for p in err["loc"]) or "(command)", err["msg"])
        for err in exc.errors()
    ]


class InputModel(BaseModel):
    """Frozen, strict about unknown fields; bad input raises ``InvalidCommand``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    def __init__(self, **data: Any) -> None:
        nested = _depth.get() > 0
        token = _depth.set(_depth.get() + 1)
        try:
            super().__init__(**data)
        except ValidationError as exc:
            if nested:  # inside another input model: let the outermost report the full path
                raise
            raise InvalidCommand(type(self).__name__, problems_from(exc)) from None
        finally:
            _depth.reset(token)


def uuid_argument(value: object, field: str, what: str) -> UUID:
    """An id given to a call as a UUID or its text (any case, braces or not); ``InvalidCommand``
    naming ``field`` for anything else."""
    if isinstance(value, UUID):
        return value
    if isinstance(value, str):
        try:
            return UUID(value)
        except ValueError:
            pass
    raise InvalidCommand(field, [FieldProblem(field, f"not a {what}: {value!r}")])
