"""The hash chain's canonical form does not depend on which JSON library wrote it.

``workflows.chain.canonical_bytes`` writes with orjson for speed; the form is fixed as
``json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False)``. These properties
check the two agree on whatever a payload can hold, and that what orjson would write
differently (floats, NaN, big integers, non-text keys) takes the json path.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any
from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ocop_cycle.clock import VN_TZ
from ocop_cycle.workflows.chain import actor_document, canonical, canonical_bytes, event_hash


def _reference(document: Any) -> bytes:
    return json.dumps(
        document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


# Any text without lone surrogates (which UTF-8 cannot carry), control characters and astral
# planes included; integers within and beyond 64 bits; nested lists and dicts.
_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
_scalars = st.none() | st.booleans() | st.integers() | _text
_documents = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_text, inner, max_size=4),
    max_leaves=20,
)


@given(st.dictionaries(_text, _documents, max_size=6))
def test_same_bytes_as_the_reference_form(document: dict[str, Any]) -> None:
    assert canonical_bytes(document) == _reference(document)


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_floats_are_written_as_json_writes_them(value: float) -> None:
    document = {"payload": {"score": value, "items": [1, value]}}
    assert canonical_bytes(document) == _reference(document)


def test_nan_is_refused_as_json_refuses_it() -> None:
    # orjson would write null: the canonical form refuses what json.dumps(allow_nan=False) does.
    for value in (math.nan, math.inf):
        try:
            canonical_bytes({"payload": {"x": [value]}})
        except ValueError:
            continue
        raise AssertionError(f"{value} was accepted")


def test_non_text_keys_are_written_as_json_writes_them() -> None:
    document = {"payload": {2: "a", 10: "b"}}
    assert canonical_bytes(document) == _reference(document)


@pytest.mark.parametrize("value", [date(2024, 1, 1), UUID(int=7), datetime(2024, 1, 1, tzinfo=UTC)])
def test_what_json_refuses_is_refused(value: object) -> None:
    """orjson would write dates and UUIDs; the canonical form refuses them, as json does."""
    with pytest.raises(TypeError):
        canonical_bytes({"payload": {"x": value}})


#: Two events whose hashes were computed by the code before orjson (commit cd022c5): an
#: instant in Asia/Ho_Chi_Minh given twice, then one in UTC and one at a fixed +07:00 offset;
#: text with a tab, quotes and an emoji; lists, booleans, None and a 64-bit integer.
_GOLDEN = [
    (
        datetime(2024, 3, 1, 9, 0, 0, 7000, tzinfo=VN_TZ),
        datetime(2024, 3, 1, 9, 0, 0, 7000, tzinfo=VN_TZ),
        "46fb7fda095a4c9cfb3192e1afd56009322bba9c00035e175251bb9541ce7d8b",
        "86f1bd03c699bf420ec6ada0e2be1683849ce16b149b5e8081ea9e869441e147",
    ),
    (
        datetime(2024, 2, 29, 17, 30, tzinfo=UTC),
        datetime(2024, 3, 1, 0, 30, 0, 1, tzinfo=timezone(timedelta(hours=7))),
        "3a563e4e4379d003862a71cdb369ac34625e2ec7101e5d471c330d700c9ef044",
        "10af5fcd8124adbbf6182e1f95b19aa98615a08f15398db94880a2a11daf5b78",
    ),
]


@pytest.mark.parametrize("case", range(len(_GOLDEN)))
def test_hashes_of_fixed_events_never_change(case: int) -> None:
    """A stored chain keeps verifying: the same event gives the hash it was given before."""
    occurred, recorded, plain, keyed = _GOLDEN[case]
    content = canonical(
        dossier_id=UUID("3f2c5d0e-8f1a-4c55-9a6b-1c2d3e4f5a6b"),
        seq=7 + case,
        type="returned",
        schema_version=2,
        payload={
            "state": "returned",
            "guidance": 'Bổ sung hồ sơ\tvà "nhãn" 😀',
            "due_on": "2024-03-16",
            "notify": [{"role": "province_office", "jurisdiction": "24", "message_vi": "Ủy ban"}],
            "count": 3,
            "flag": True,
            "nothing": None,
            "big": 2**63 - 1,
        },
        actor=actor_document("commune_officer", "07399", None, "Cán bộ xã"),
        profile_id="qd148-2023",
        occurred_at=occurred,
        recorded_at=recorded,
        prev_hash="a" * 64,
    )
    assert event_hash(content) == plain
    assert event_hash(content, b"k" * 32) == keyed
    # Equal instants that are other objects (the canonical text of an instant is remembered
    # by identity) give the same bytes.
    again = canonical(
        dossier_id=UUID("3f2c5d0e-8f1a-4c55-9a6b-1c2d3e4f5a6b"),
        seq=7 + case,
        type="returned",
        schema_version=2,
        payload=json.loads(content)["payload"],
        actor=actor_document("commune_officer", "07399", None, "Cán bộ xã"),
        profile_id="qd148-2023",
        occurred_at=occurred + timedelta(0),
        recorded_at=recorded.astimezone(UTC),
        prev_hash="a" * 64,
    )
    assert again == content
