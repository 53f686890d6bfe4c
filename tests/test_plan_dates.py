"""When a plan's dossiers count as registered, when the office does not say: a plan of this year
or next imported today registers under the rules that register dossiers today; an earlier
year's plan is refused once, naming the date to give; the earlier certificate a re-evaluation
row implies is recorded in its own profile's catalogue."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from ocop_cycle import VN_TZ, Engine, SettableClock
from ocop_cycle.plan.importer import ImportSettings, import_plan, read_plan
from tests.plan_sheets import write_csv
from tests.scenario import at, snapshot

NOW = datetime(2026, 11, 30, 8, 30, tzinfo=VN_TZ)  # before 09:00, the hour plans register at

#: Sơn La (14) after the reform: two new products and a re-evaluated one.
BODY: list[list[object]] = [
    ["I", "Sản phẩm đăng ký đánh giá mới"],
    [1, "HTX Mật ong Phù Yên", "Tiểu khu 1, xã Phù Yên", "Mật ong hoa rừng", 1, "X"],
    [2, "HTX Gia Phù", "Bản B, xã Gia Phù", "Mật ong bạc hà", 1, None, "X"],
    ["II", "Sản phẩm đánh giá lại"],
    [1, "HTX Tường Phù", "Bản Văn Yên, xã Tường Hạ", "Mật ong Tường Phù", 1, "X"],
]


def _import(
    engine: Engine,
    tmp_path: Path,
    year: int,
    settings: ImportSettings | None = None,
    body: list[list[object]] = BODY,
    **read: object,
) -> object:
    path = write_csv(tmp_path / f"son-la-{year}.csv", body)
    read_ = read_plan(path, unit="14", year=year, **read)  # type: ignore[arg-type]
    assert read_.plan is not None, read_.problems
    return import_plan(engine, read_.plan, settings, lines=read_.lines)


def test_this_years_plan_registers_today_under_the_rules_in_force(
    engine: Engine, clock: SettableClock, tmp_path: Path
) -> None:
    """A 2026 plan imported on 30/11/2026: on 1 March its dossiers would fall under Decision
    1489, which registers none after 21/07/2026 -- registered today, under Decision 26 (at the
    clock's time: 09:00 is still to come)."""
    clock.set(NOW)
    report = _import(engine, tmp_path, 2026)
    assert not report.problems  # type: ignore[attr-defined]
    live = [d for d in engine.dossiers() if d.kind != "imported"]
    assert len(live) == 3
    assert {(d.profile_id, d.registered_at) for d in live} == {("qd26-2026", NOW)}


def test_next_years_plan_registers_today(
    engine: Engine, clock: SettableClock, tmp_path: Path
) -> None:
    """A 2027 plan's new products imported in 2026: a registration is never dated ahead of
    the clock. Its re-evaluation is refused: a certificate assumed to expire on 30/06/2027 is
    re-evaluated from 01/01/2027 (Art. 7.6.a)."""
    clock.set(NOW)
    report = _import(engine, tmp_path, 2027, body=BODY[:3])
    assert not report.problems  # type: ignore[attr-defined]
    live = engine.dossiers()
    assert {(d.profile_id, d.registered_at) for d in live} == {("qd26-2026", NOW)}
    (refused,) = _import(engine, tmp_path, 2027).problems  # type: ignore[attr-defined]
    assert "01/01/2027" in refused.message


def test_an_earlier_years_plan_is_refused_once_naming_the_date_to_give(
    engine: Engine, clock: SettableClock, tmp_path: Path
) -> None:
    """A 2025 plan imported in late 2026: its 1 March falls under rules that ceased; one
    problem says so (not one per row), and nothing is written. With a registration date
    given, it imports."""
    clock.set(NOW)
    before = snapshot(engine)
    after_reform = date(2025, 7, 1)  # the places of the new map
    report = _import(engine, tmp_path, 2025, on=after_reform)
    (problem,) = report.problems  # type: ignore[attr-defined]
    assert "01/03/2025" in problem.message
    assert "21/07/2026" in problem.message
    assert "--registered-on" in problem.message
    assert snapshot(engine) == before
    settings = ImportSettings(registered_on=date(2026, 11, 2))
    given = _import(engine, tmp_path, 2025, settings, body=BODY[:3], on=after_reform)
    assert not given.problems  # type: ignore[attr-defined]


def test_an_earlier_certificate_is_recorded_in_its_own_catalogue(
    engine: Engine, clock: SettableClock, tmp_path: Path
) -> None:
    """Read on 01/06/2026, the rows' set is Decision 26's (honey_other_agrifood); the
    re-evaluated certificate, assumed decided on 30/06/2023 (Decision 148), is recorded under
    the set Decision 26's took over (honey); its re-evaluation, which carries the certificate's
    product, is scored on Decision 26's sheet for it."""
    clock.set(NOW)
    report = _import(engine, tmp_path, 2026, on=date(2026, 6, 1))
    assert not report.problems  # type: ignore[attr-defined]
    by_kind = {d.kind.value: d for d in engine.dossiers()}
    assert (by_kind["imported"].profile_id, by_kind["imported"].product_set) == (
        "qd148-2023",
        "honey",
    )
    # No district on a province's plan after the reform: the tier, in Vietnamese.
    assert by_kind["imported"].issuing_body == "UBND cấp huyện"
    again = by_kind["re_evaluation"]
    assert again.profile_id == "qd26-2026"
    catalogue = engine.rules.catalogue_for(again.profile_id)
    assert catalogue.resolve(again.product_set) == "honey_other_agrifood"


def test_a_plan_registered_today_imports_again_as_a_no_op(
    engine: Engine, clock: SettableClock, tmp_path: Path
) -> None:
    """Registered "today" by default, a plan imported again -- later the same morning, or the
    next day -- is the same commands, dated as the first time: nothing new, nothing refused."""
    clock.set(NOW)
    assert not _import(engine, tmp_path, 2026).problems  # type: ignore[attr-defined]
    before = snapshot(engine)
    for later in (NOW.replace(minute=45), NOW.replace(hour=15), at(2026, 12, 1)):
        clock.set(later)
        again = _import(engine, tmp_path, 2026)
        assert not again.problems  # type: ignore[attr-defined]
        assert again.nothing_new  # type: ignore[attr-defined]
        assert snapshot(engine) == before


def test_a_registration_day_given_ahead_of_the_clock_is_refused(
    engine: Engine, clock: SettableClock, tmp_path: Path
) -> None:
    """An office's own date is used as given: one ahead of the clock is refused, not moved."""
    clock.set(NOW)
    settings = ImportSettings(registered_on=date(2027, 3, 1))
    report = _import(engine, tmp_path, 2027, settings, body=BODY[:3])
    assert report.problems  # type: ignore[attr-defined]
    assert all("future" in p.message for p in report.problems)  # type: ignore[attr-defined]
    assert engine.dossiers() == []
