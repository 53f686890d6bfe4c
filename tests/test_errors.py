"""Errors travel: every ocop-cycle error survives pickling with its type, message and data."""

from __future__ import annotations

import copy
import inspect
import pickle
import threading
import types
import typing
from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any
from uuid import UUID

import pytest

from ocop_cycle import errors
from ocop_cycle.errors import FieldProblem, OcopCycleError, Reason, StorageError

REASON = Reason("too_early", "chưa đến hạn", "not yet due")
PROBLEM = FieldProblem("producer.name", "must not be empty")
DOSSIER = UUID("0b5a6c1e-8f55-4c6e-9a43-3f4d1f0c7e21")


def _tree(root: type[OcopCycleError]) -> Iterator[type[OcopCycleError]]:
    yield root
    for sub in root.__subclasses__():
        yield from _tree(sub)


ERROR_CLASSES = sorted(set(_tree(OcopCycleError)), key=lambda c: c.__name__)


def _sample(name: str, hint: Any) -> Any:
    """A value of type ``hint`` for the parameter ``name``, distinct per parameter."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is str:
        return f"{name}-value"
    if hint is object:
        return DOSSIER
    if hint is Reason:
        return REASON
    if origin in (typing.Union, types.UnionType) and int in args:
        return 7
    if origin in (typing.Union, types.UnionType) and date in args:
        return date(2025, 7, 1)
    if origin is Sequence and args == (Reason,):
        return [REASON, Reason("no_quorum", "thiếu thành viên", "too few members")]
    if origin is Sequence and args == (FieldProblem,):
        return [PROBLEM, FieldProblem("occurred_at", "is in the future")]
    if origin is Sequence and args == (str,):
        return ["first problem", "second problem"]
    raise AssertionError(f"no sample value for {name}: {hint!r}; teach _sample this type")


def _build(cls: type[OcopCycleError]) -> OcopCycleError:
    """An instance of ``cls`` with every constructor argument filled in."""
    owner = next(k for k in cls.__mro__ if "__init__" in vars(k))
    if not issubclass(owner, OcopCycleError):  # a builtin's __init__: takes a message
        return cls(f"{cls.__name__} happened")
    init = owner.__init__
    hints = typing.get_type_hints(init, vars(errors))
    positional: list[Any] = []
    keywords: dict[str, Any] = {}
    for name, param in inspect.signature(init).parameters.items():
        if name == "self":
            continue
        if param.kind is param.VAR_KEYWORD:
            keywords = {"table": "ocop_events", "dossier_id": str(DOSSIER)}
        else:
            positional.append(_sample(name, hints[name]))
    return cls(*positional, **keywords)


def test_the_tree_is_walked() -> None:
    """The walk finds the root, leaves and intermediate branches of the error tree."""
    names = {c.__name__ for c in ERROR_CLASSES}
    assert {"OcopCycleError", "CommandRefused", "GuardRefused", "SchemaNotReady"} <= names
    assert len(ERROR_CLASSES) >= 17


@pytest.mark.parametrize("cls", ERROR_CLASSES, ids=lambda c: c.__name__)
def test_error_pickles_with_type_message_and_data(cls: type[OcopCycleError]) -> None:
    """An error comes back from pickle as the same class, message, args and attributes."""
    original = _build(cls)
    loaded = pickle.loads(pickle.dumps(original))
    assert type(loaded) is cls
    assert str(loaded) == str(original)
    assert loaded.args == original.args
    assert vars(loaded) == vars(original)


@pytest.mark.parametrize("cls", ERROR_CLASSES, ids=lambda c: c.__name__)
def test_error_copies(cls: type[OcopCycleError]) -> None:
    """copy and deepcopy, which use the same protocol as pickle, keep the data too."""
    original = _build(cls)
    for twin in (copy.copy(original), copy.deepcopy(original)):
        assert type(twin) is cls
        assert str(twin) == str(original)
        assert vars(twin) == vars(original)


def test_data_survives_for_the_errors_hosts_inspect() -> None:
    """The fields hosts read (ids, reason codes, field paths, context) are intact after pickling."""
    refused = pickle.loads(pickle.dumps(errors.GuardRefused(DOSSIER, "certify", [REASON])))
    assert refused.dossier_id == DOSSIER
    assert refused.codes == ("too_early",)
    invalid = pickle.loads(pickle.dumps(errors.InvalidCommand("RegisterDossier", [PROBLEM])))
    assert invalid.fields == ("producer.name",)
    assert isinstance(invalid, ValueError)
    failed = pickle.loads(pickle.dumps(StorageError("database error", table="ocop_events")))
    assert failed.context == {"table": "ocop_events"}


class DriverError(Exception):
    """A driver's error holding something that cannot be pickled (a lock, a socket)."""

    def __init__(self) -> None:
        super().__init__("connection lost")
        self.lock = threading.Lock()


def _fail_in_driver() -> None:
    try:
        raise DriverError()
    except DriverError as exc:
        raise StorageError("database error: connection lost", detail=str(exc)) from exc


def test_cause_is_not_needed() -> None:
    """An error raised from an unpicklable cause still pickles; the cause stays behind."""
    with pytest.raises(TypeError):
        pickle.dumps(DriverError())
    with pytest.raises(StorageError) as caught:
        _fail_in_driver()
    assert isinstance(caught.value.__cause__, DriverError)
    loaded = pickle.loads(pickle.dumps(caught.value))
    assert loaded.__cause__ is None
    assert loaded.context == {"detail": "connection lost"}


def test_notes_travel() -> None:
    """Notes a host added with ``add_note`` are part of the pickled error."""
    exc = errors.DossierNotFound(DOSSIER)
    exc.add_note("while syncing the portal")
    assert pickle.loads(pickle.dumps(exc)).__notes__ == ["while syncing the portal"]
