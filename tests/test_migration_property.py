"""Property (Hypothesis), on SQLite and PostgreSQL: whatever qd148-2023 dossiers a store holds at
30/06/2025 and whichever unit is migrated, the migration carries over exactly the open dossiers
of that unit, each to its mapped state; every migrated dossier replays to its projection; the
audit verifies; a dry run forecast the run; a second run changes nothing."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ocop_cycle import Auditor, Dossier, Engine, Role, SettableClock
from ocop_cycle.testing import Place
from tests.conftest import BACKENDS, START, truncate_postgres
from tests.migration_store import AFTER, EFFECTIVE, TAN_YEN
from tests.scenario import LANG_GIANG, Walk, at, snapshot

Station = Callable[[Walk, str], Dossier]


def _forwarded(w: Walk, name: str) -> Dossier:
    d = w.entry_scored([75, 76, 77], name)
    return w.engine.forward(d.id, actor=w.actor(Role.DISTRICT_OFFICE))


def _in_province_round(w: Walk, name: str) -> Dossier:
    d = _forwarded(w, name)
    return w.engine.assign_round(
        d.id, actor=w.actor(Role.PROVINCE_OFFICE), round_id=w.round_id("24")
    )


def _province_scored(totals: list[int]) -> Station:
    def walk(w: Walk, name: str) -> Dossier:
        return w.score(_in_province_round(w, name), totals, Role.PROVINCE_COUNCIL)

    return walk


def _forwarded_central(w: Walk, name: str) -> Dossier:
    d = _province_scored([92, 93, 94])(w, name)
    return w.engine.forward(d.id, actor=w.actor(Role.PROVINCE_OFFICE))


def _central_scored(w: Walk, name: str) -> Dossier:
    d = _forwarded_central(w, name)
    d = w.engine.assign_round(d.id, actor=w.actor(Role.MINISTRY), round_id=w.round_id("VN"))
    return w.score(d, [93, 94, 95], Role.CENTRAL_COUNCIL)


#: How far a dossier went under qd148-2023, and where the shipped mapping takes it (None: it is
#: not open, and keeps its profile).
STATIONS: dict[str, tuple[Station, str | None]] = {
    "registered": (lambda w, n: w.register(n), "registered"),
    "returned": (
        lambda w, n: w.engine.return_for_supplement(
            w.register(n).id, actor=w.actor(Role.COMMUNE_OFFICER), guidance="Bổ sung"
        ),
        "returned",
    ),
    "verified": (lambda w, n: w.verified(n), "commune_verified"),
    "in_district_round": (lambda w, n: w.in_round(n), "commune_verified"),
    "district_low": (lambda w, n: w.entry_scored([40, 41, 42], n), "commune_verified"),
    "district_mid": (lambda w, n: w.entry_scored([60, 61, 62], n), "commune_verified"),
    "forwarded_province": (_forwarded, "commune_verified"),
    "in_province_round": (_in_province_round, "commune_verified"),
    "province_scored": (_province_scored([80, 81, 82]), "province_scored"),
    "forwarded_central": (_forwarded_central, "forwarded_central"),
    "central_scored": (_central_scored, "central_scored"),
    "certified": (lambda w, n: w.certified(name=n), None),
    "monitored": (lambda w, n: w.monitored(name=n), None),
    "rejected": (
        lambda w, n: w.engine.reject(
            w.register(n).id, actor=w.actor(Role.COMMUNE_COMMITTEE), grounds="Không đủ"
        ),
        None,
    ),
    "not_recognized": (
        lambda w, n: w.engine.not_recognize(
            w.entry_scored([40, 41, 42], n).id, actor=w.actor(Role.DISTRICT_COMMITTEE)
        ),
        None,
    ),
}
PLACES = {"lang_giang": LANG_GIANG, "tan_yen": TAN_YEN}


#: Units of the migration's day covering codes they succeeded (xã Lạng Giang took in Xương Lâm).
COVERS = {"07375": {"07426"}}


def in_unit(place: Place, unit: str | None) -> bool:
    codes = {place.commune, place.district, place.province}
    return unit is None or unit in codes or bool(COVERS.get(unit, set()) & codes)


@pytest.fixture(scope="module", params=BACKENDS)
def fresh_url(
    request: pytest.FixtureRequest,
    sqlite_template: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[[], str]]:
    """Hands out an empty, migrated database per example."""
    if request.param == "postgresql":
        url: str = request.getfixturevalue("postgres_ready")

        def emptied() -> str:
            truncate_postgres(url)
            return url

        yield emptied
        return
    folder = tmp_path_factory.mktemp("migration-property")
    count = iter(range(1_000_000))

    def copied() -> str:
        path = folder / f"ocop-{next(count)}.db"
        shutil.copy(sqlite_template, path)
        return f"sqlite:///{path}"

    yield copied
    shutil.rmtree(folder, ignore_errors=True)


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    dossiers=st.lists(
        st.tuples(st.sampled_from(sorted(STATIONS)), st.sampled_from(sorted(PLACES))),
        min_size=1,
        max_size=6,
    ),
    unit=st.sampled_from([None, "24", "217", "216", "07426", "07375", "07309"]),
)
def test_migration_carries_over_exactly_the_open_dossiers(
    fresh_url: Callable[[], str], dossiers: list[tuple[str, str]], unit: str | None
) -> None:
    """Replay equals projection for every dossier after the run; each open dossier of the unit
    is in its mapped state under qd1489-2025, every other is untouched; the audit verifies."""
    clock = SettableClock(START)
    with Engine.open(fresh_url(), clock=clock) as engine:
        clock.set(at(2025, 5, 15))
        walks = {key: Walk(engine, clock, place=place) for key, place in PLACES.items()}
        made: list[tuple[Dossier, str, str]] = []
        for i, (station, place) in enumerate(dossiers):
            walk, _ = STATIONS[station]
            made.append((walk(walks[place], f"Sản phẩm {i}"), station, place))
        clock.set(AFTER)
        asked: dict[str, Any] = {
            "from_profile": "qd148-2023",
            "to_profile": "qd1489-2025",
            "effective": EFFECTIVE,
            "unit": unit,
        }
        before = snapshot(engine)
        dry = engine.migrate(**asked, dry_run=True)
        assert snapshot(engine) == before
        report = engine.migrate(**asked)
        assert report.items == dry.items
        assert report.unmappable == report.skipped == []
        expected = {
            d.id: STATIONS[station][1]
            for d, station, place in made
            if STATIONS[station][1] is not None and in_unit(PLACES[place], unit)
        }
        assert {i.dossier_id: i.to_state for i in report.migrated} == expected
        for d, _, _ in made:
            now = engine.get(d.id)
            assert engine.replay(d.id) == now
            if d.id in expected:
                assert (now.profile_id, now.state.value) == ("qd1489-2025", expected[d.id])
                assert now.version == d.version + 1
            else:
                assert engine.get(d.id) == engine.replay(d.id) == _latest(engine, d)
        auditor = Auditor(engine)
        assert auditor.verify().intact
        assert auditor.replay().intact
        after = snapshot(engine)
        again = engine.migrate(**asked)
        assert again.migrated == []
        assert again.migrated_earlier == len(expected)
        assert snapshot(engine) == after


def _latest(engine: Engine, made: Dossier) -> Dossier:
    """A dossier the migration must not have touched: still under its profile, at the version
    its last command left it (certifying awards support in a later event)."""
    now = engine.get(made.id)
    assert now.profile_id == made.profile_id == "qd148-2023"
    assert engine.history(made.id)[-1].type != "profile_migrated"
    return now
