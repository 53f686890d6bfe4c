"""The hash chain's canonical form does not depend on which JSON library wrote it.

``workflows.chain.canonical_bytes`` writes with orjson for speed; the form is fixed as
``json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False)``. These properties
check the two agree on whatever a payload can hold, and that what orjson would write
differently (floats, NaN, big integers, non-text keys) takes the json path.
"""

from __future__ import annotations

import json
import math
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from ocop_cycle.workflows.chain import canonical_bytes


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
