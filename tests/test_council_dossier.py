"""The council's e-dossier: members receive it at least one working day before the meeting
(``durations.council_dossier_working_days``), so a dossier that joins a round later is not scored
at that meeting."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from uuid import UUID

import pytest

from ocop_cycle import VN_TZ, Engine, GuardRefused, Role, SettableClock
from ocop_cycle.jobs.simulation import run_until
from ocop_cycle.rules.book import default_rule_book
from tests.scenario import Walk, at

MONDAY = date(2023, 3, 13)  # the council meets; Friday 10/03 is the working day before


def meeting_round(walk: Walk, number: int, meeting: date, scoring: date | None = None) -> UUID:
    return walk.engine.create_round(
        actor=walk.actor(Role.DISTRICT_OFFICE),
        year=meeting.year,
        number=number,
        jurisdiction_code="217",
        name=f"Đợt {number} năm {meeting.year}",
        registration_deadline=min(meeting, walk.clock.now().date()),
        council_meeting_on=meeting,
        scoring_deadline=scoring or meeting + timedelta(days=10),
    ).id


def test_a_dossier_assigned_on_the_morning_of_the_meeting_is_refused(
    engine: Engine, clock: SettableClock
) -> None:
    """Assigned on the meeting day, the members could not have had the e-dossier a working day
    before: refused with a reason naming the day it was due; nothing is written."""
    walk = Walk(engine, clock)
    round_id = meeting_round(walk, 1, MONDAY)
    d = walk.verified()
    clock.set(at(2023, 3, 13, 8))
    with pytest.raises(GuardRefused) as refused:
        engine.assign_round(d.id, actor=walk.actor(Role.DISTRICT_OFFICE), round_id=round_id)
    assert refused.value.codes == ("round.council_dossier_late",)
    assert "2023-03-10" in str(refused.value)
    assert engine.get(d.id).round_id is None


@pytest.mark.parametrize(
    ("day", "allowed"),
    [(date(2023, 3, 10), True), (date(2023, 3, 11), False), (date(2023, 3, 12), False)],
)
def test_the_last_day_to_join_is_one_working_day_before(
    engine: Engine, clock: SettableClock, day: date, allowed: bool
) -> None:
    """For a Monday meeting the dossier may join on Friday, not at the weekend."""
    walk = Walk(engine, clock)
    round_id = meeting_round(walk, 1, MONDAY)
    d = walk.verified()
    clock.set(datetime.combine(day, datetime.min.time(), VN_TZ) + timedelta(hours=16))
    office = walk.actor(Role.DISTRICT_OFFICE)
    if allowed:
        assert engine.assign_round(d.id, actor=office, round_id=round_id).round_id == round_id
    else:
        with pytest.raises(GuardRefused, match=r"round\.council_dossier_late"):
            engine.assign_round(d.id, actor=office, round_id=round_id)


def test_the_working_days_are_the_profiles_setting(db_url: str) -> None:
    """With ``council_dossier_working_days`` 0 a dossier may join on the meeting day itself."""
    book = default_rule_book()
    p148 = book.profile("qd148-2023")
    same_day = p148.model_copy(
        update={"durations": p148.durations.model_copy(update={"council_dossier_working_days": 0})}
    )
    profiles = [same_day if p.id == p148.id else p for p in book.profiles.values()]
    rules = book.with_profiles(profiles)
    clock = SettableClock(at(2023, 3, 1))
    with Engine.open(db_url, clock=clock, rules=rules) as engine:
        walk = Walk(engine, clock)
        round_id = meeting_round(walk, 1, MONDAY)
        d = walk.verified()
        clock.set(at(2023, 3, 13, 8))
        d = engine.assign_round(d.id, actor=walk.actor(Role.DISTRICT_OFFICE), round_id=round_id)
        assert d.round_id == round_id


def test_the_scheduler_carries_a_dossier_to_a_round_still_in_time(
    engine: Engine, clock: SettableClock
) -> None:
    """Unscored when its round closes, a dossier goes to the next round whose council can still
    get the e-dossier in time, passing over one that meets too soon."""
    walk = Walk(engine, clock)
    first = meeting_round(walk, 1, date(2023, 3, 20), scoring=date(2023, 3, 24))
    too_soon = meeting_round(walk, 2, date(2023, 3, 25), scoring=date(2023, 4, 5))
    in_time = meeting_round(walk, 3, date(2023, 4, 20), scoring=date(2023, 4, 28))
    d = walk.verified()
    d = engine.assign_round(d.id, actor=walk.actor(Role.DISTRICT_OFFICE), round_id=first)
    run_until(engine, at(2023, 3, 26))
    carried = engine.get(d.id)
    assert carried.round_id == in_time != too_soon
    assert engine.history(d.id)[-1].payload.wire()["carried_from"] == str(first)
