"""The write path's own conversions: datetimes as SQLAlchemy would give them, JSON text that
reads back to what was written."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Uuid
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect

from ocop_cycle._storage.database import json_text
from ocop_cycle._storage.fastpath import _bind_processor
from ocop_cycle._storage.types import AwareDateTime
from ocop_cycle.clock import VN_TZ

DIALECTS = [sqlite.dialect(), postgresql.dialect()]
_zones = st.sampled_from([VN_TZ, UTC]) | st.integers(-14 * 60, 14 * 60).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)
# Years from 1000: SQLAlchemy's SQLite text pads the year to four digits, as isoformat does.
_instants = st.datetimes(min_value=datetime(1000, 1, 2), max_value=datetime(9999, 12, 30))


@pytest.mark.parametrize("dialect", DIALECTS, ids=lambda d: d.name)
@given(naive=_instants, zone=_zones)
def test_fused_processor_matches_sqlalchemys(
    dialect: Dialect, naive: datetime, zone: object
) -> None:
    value = naive.replace(tzinfo=zone)  # type: ignore[arg-type]
    column = AwareDateTime()
    composed = column.dialect_impl(dialect).bind_processor(dialect)
    assert composed is not None
    assert column.fused_bind_processor(dialect)(value) == composed(value)


@pytest.mark.parametrize("dialect", DIALECTS, ids=lambda d: d.name)
def test_the_write_path_uses_it_and_still_refuses_naive_datetimes(dialect: Dialect) -> None:
    processor = _bind_processor(AwareDateTime(), dialect)
    assert processor is not None
    fused = AwareDateTime().fused_bind_processor(dialect)
    assert getattr(processor, "__code__", None) is fused.__code__  # type: ignore[attr-defined]
    assert processor(None) is None
    with pytest.raises(ValueError, match="naive"):
        processor(datetime(2024, 3, 1, 9))


@pytest.mark.parametrize("dialect", DIALECTS, ids=lambda d: d.name)
@given(values=st.lists(st.tuples(_instants, _zones), min_size=1, max_size=8))
def test_one_processor_converts_a_run_of_instants_each_correctly(
    dialect: Dialect, values: list[tuple[datetime, object]]
) -> None:
    """The processor remembers the instant it converted last: repeats, and instants equal in
    value but not the same object, still come out right."""
    column = AwareDateTime()
    composed = column.dialect_impl(dialect).bind_processor(dialect)
    assert composed is not None
    fused = column.fused_bind_processor(dialect)
    instants = [naive.replace(tzinfo=zone) for naive, zone in values]  # type: ignore[arg-type]
    for value in [*instants, *reversed(instants), *instants]:
        assert fused(value) == composed(value)


class _CountingInstant(datetime):
    """An instant that counts its conversions to UTC."""

    conversions = 0

    def astimezone(self, tz: object = None) -> datetime:  # type: ignore[override]
        type(self).conversions += 1
        return super().astimezone(tz)  # type: ignore[arg-type]


def test_an_instant_written_to_several_columns_is_converted_once_on_sqlite() -> None:
    """One command writes its instant in four or five columns (each column's statement has a
    processor of its own): the text is made once and reused, whichever column comes first."""
    dialect = sqlite.dialect()
    first, second = (_bind_processor(AwareDateTime(), dialect) for _ in range(2))
    assert first is not None
    assert second is not None
    instant = _CountingInstant(2024, 3, 1, 9, tzinfo=VN_TZ)
    texts = {first(instant), second(instant), first(instant)}
    assert texts == {"2024-03-01 02:00:00.000000"}
    assert _CountingInstant.conversions == 1


@pytest.mark.parametrize("dialect", DIALECTS, ids=lambda d: d.name)
@given(ids=st.lists(st.uuids(), min_size=1, max_size=6))
def test_uuids_are_written_as_sqlalchemy_writes_them(dialect: Dialect, ids: list[UUID]) -> None:
    """As text (its 32 hex digits) on SQLite, remembered for the rows of one command; as a
    UUID on PostgreSQL, untouched. Repeats, and equal ids that are other objects, come out
    right."""
    column = Uuid()
    composed = column.dialect_impl(dialect).bind_processor(dialect)
    processor = _bind_processor(column, dialect)
    values = [*ids, *reversed(ids), *(UUID(int=i.int) for i in ids), *ids]
    if composed is None:
        assert processor is None
        return
    assert processor is not None
    assert [processor(v) for v in values] == [composed(v) for v in values]
    assert processor(None) is None


def test_a_dossier_id_written_to_several_rows_is_converted_once_on_sqlite() -> None:
    dialect = sqlite.dialect()
    first, second = (_bind_processor(Uuid(), dialect) for _ in range(2))
    assert first is not None
    assert second is not None
    counted = _CountingId(int=0x0F1E2D3C4B5A49788796A5B4C3D2E1F0)
    assert {first(counted), second(counted), first(counted)} == {counted.hex}
    assert _CountingId.conversions == 2  # two above, one to know the expected value


class _CountingId(UUID):
    """A UUID that counts how often its hex digits are asked for."""

    conversions = 0

    @property
    def hex(self) -> str:
        type(self).conversions += 1
        return f"{self.int:032x}"


_json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@given(_json_values)
def test_json_columns_read_back_what_was_written(value: object) -> None:
    """The JSON columns' text (orjson, or json.dumps for what orjson refuses: integers beyond
    64 bits, lone surrogates) reads back to the same value."""
    assert json.loads(json_text(value)) == value


def test_json_columns_write_keys_that_are_not_text_as_json_does() -> None:
    assert json.loads(json_text({1: "a", "b": [2]})) == json.loads(json.dumps({1: "a", "b": [2]}))


def test_json_columns_fall_back_for_what_orjson_refuses() -> None:
    for value in ({"s": "\ud800"}, {"n": 2**70}):  # a lone surrogate, an integer beyond 64 bits
        assert json.loads(json_text(value)) == value
