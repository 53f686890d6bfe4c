"""The write path's model builders give what pydantic's ``model_construct`` / ``model_copy``
give, slot by slot (field order included: ``model_dump`` and ``repr`` follow it), and fall back
to pydantic for models the four slots do not describe."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict, PrivateAttr

from ocop_cycle import VN_TZ, Engine, SettableClock
from ocop_cycle.workflows.construct import construct, replaced
from ocop_cycle.workflows.events import Event
from ocop_cycle.workflows.model import Dossier
from tests.scenario import Walk

START = datetime(2024, 3, 1, 9, tzinfo=VN_TZ)
SLOTS = ("__dict__", "__pydantic_fields_set__", "__pydantic_extra__", "__pydantic_private__")


def _slots(instance: BaseModel) -> list[Any]:
    return [
        list(v.items()) if isinstance(v, dict) else v
        for v in (object.__getattribute__(instance, name) for name in SLOTS)
    ]


@pytest.fixture(scope="module")
def walked(tmp_path_factory: pytest.TempPathFactory) -> tuple[Dossier, list[Event]]:
    path: Path = tmp_path_factory.mktemp("construct") / "x.db"
    clock = SettableClock(START)
    engine = Engine.open(f"sqlite:///{path}", clock=clock)
    try:
        engine.upgrade()
        dossier = Walk(engine, clock).certified()
        return dossier, engine.history(dossier.id)
    finally:
        engine.close()


def test_an_event_is_built_as_model_construct_builds_it(
    walked: tuple[Dossier, list[Event]],
) -> None:
    for event in walked[1]:
        fields = dict(event.__dict__)
        ours, theirs = construct(Event, dict(fields)), Event.model_construct(**fields)
        assert type(ours) is Event
        assert _slots(ours) == _slots(theirs)
        assert ours == event


def test_fields_out_of_order_or_missing_are_left_to_pydantic(
    walked: tuple[Dossier, list[Event]],
) -> None:
    event = walked[1][0]
    reordered = dict(reversed(list(event.__dict__.items())))
    assert _slots(construct(Event, dict(reordered))) == _slots(Event.model_construct(**reordered))
    partial = {k: v for k, v in event.__dict__.items() if k != "id"}  # a default left out
    assert _slots(construct(Event, dict(partial))) == _slots(Event.model_construct(**partial))


def test_a_projection_is_replaced_as_model_copy_replaces_it(
    walked: tuple[Dossier, list[Event]],
) -> None:
    dossier = walked[0]
    changes = {"version": dossier.version + 1, "state": dossier.state, "product_code": "X"}
    ours, theirs = replaced(dossier, changes), dossier.model_copy(update=changes)
    assert _slots(ours) == _slots(theirs)
    assert ours.__dict__ is not dossier.__dict__  # a copy: the original is left as it was
    assert dossier.product_code != "X"


class _WithPrivate(BaseModel):
    name: str
    _seen: int = PrivateAttr(default=0)


class _WithExtra(BaseModel):
    model_config = ConfigDict(extra="allow")
    name: str


class _WithPostInit(BaseModel):
    name: str
    upper: str = ""

    def model_post_init(self, context: Any, /) -> None:
        object.__setattr__(self, "upper", self.name.upper())


@pytest.mark.parametrize("model", [_WithPrivate, _WithExtra, _WithPostInit])
def test_models_with_more_than_fields_are_built_by_pydantic(model: type[BaseModel]) -> None:
    fields = dict.fromkeys(model.model_fields, "a")
    ours, theirs = construct(model, dict(fields)), model.model_construct(**fields)
    assert _slots(ours) == _slots(theirs)
    changed_ours = replaced(ours, {"name": "b"})
    changed_theirs = theirs.model_copy(update={"name": "b"})
    assert _slots(changed_ours) == _slots(changed_theirs)
