"""Decision 26/2026's deadlines, applied by the scheduler: the commune's 15 working days, rounds
by cut-off, the re-evaluation window and Art. 12.3's extension, the 45 days of a re-evaluation,
and the transition of dossiers filed before 22/05/2026."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import delete, select

from ocop_cycle import (
    Actor,
    DossierState,
    Engine,
    GuardRefused,
    Level,
    Role,
    SettableClock,
    Sweeper,
    default_rule_book,
)
from ocop_cycle._storage.schema import deadlines, outbox
from ocop_cycle.rules.calendar import working_days_after
from tests.helpers_jobs import import_certificates
from tests.scenario import PROVINCE_ONLY, Walk, at, snapshot

S = DossierState
OFFICER = Actor(role=Role.COMMUNE_OFFICER, jurisdiction="07375")
PROVINCE_OFFICE = PROVINCE_ONLY.actor(Role.PROVINCE_OFFICE)


def types(engine: Engine, dossier_id: Any) -> list[str]:
    """The dossier's event types in order."""
    return [e.type for e in engine.history(dossier_id)]


def sweep(engine: Engine, when: datetime) -> list[tuple[str, str]]:
    """Sweep at ``when``; what was applied, as (kind, outcome)."""
    return [(a.kind, a.outcome) for a in Sweeper(engine).sweep(now=when).applied]


def recipients(engine: Engine, dossier_id: Any, kind: str) -> set[tuple[str, str]]:
    """Who the dossier's ``kind`` notices went to (role, jurisdiction)."""
    with engine.sa_engine.connect() as conn:
        rows = conn.execute(
            select(outbox.c.recipient_role, outbox.c.recipient_jurisdiction).where(
                outbox.c.dossier_id == dossier_id, outbox.c.kind == kind
            )
        ).all()
    return {(r, j) for r, j in rows}


def messages(engine: Engine, dossier_id: Any, kind: str) -> list[str]:
    """The texts of the dossier's ``kind`` notices."""
    with engine.sa_engine.connect() as conn:
        return list(
            conn.execute(
                select(outbox.c.message_vi).where(
                    outbox.c.dossier_id == dossier_id, outbox.c.kind == kind
                )
            ).scalars()
        )


# -- the commune's check within 15 working days (Art. 7.2) --------------------------------------


def test_fifteen_working_days_skip_weekends_and_holidays() -> None:
    """From Friday 28/08/2026 the 15th working day is 23/09/2026 (2/9 and its days are off)."""
    assert working_days_after(date(2026, 8, 28), 15) == date(2026, 9, 23)
    assert working_days_after(date(2026, 6, 1), 15) == date(2026, 6, 22)


def test_an_unchecked_dossier_is_escalated_after_fifteen_working_days(
    engine: Engine, clock: SettableClock
) -> None:
    """Received on 28/08/2026 and not proposed by 23/09: on 24/09 the province's OCOP office
    and the commune's committee are told, once; the dossier stays with the commune."""
    clock.set(at(2026, 8, 28))
    d = Walk(engine, clock, place=PROVINCE_ONLY).register()
    assert sweep(engine, at(2026, 9, 23, 23)) == []
    applied = sweep(engine, at(2026, 9, 24, 8))
    assert applied == [("commune_check", "escalate_overdue -> registered")]
    (event,) = [e for e in engine.history(d.id) if e.type == "overdue_escalated"]
    assert (event.payload.rule, event.payload.due_on) == ("commune_check", date(2026, 9, 23))  # type: ignore[union-attr]
    assert recipients(engine, d.id, "overdue_escalated") == {
        ("province_office", "24"),
        ("commune_committee", "07375"),
    }
    assert "23/09/2026" in messages(engine, d.id, "overdue_escalated")[0]
    assert sweep(engine, at(2026, 12, 1)) == []
    assert engine.get(d.id).state is S.REGISTERED


def test_a_checked_or_resubmitted_dossier_is_not_escalated_early(
    engine: Engine, clock: SettableClock
) -> None:
    """A dossier proposed in time is never escalated; one returned and resubmitted on 15/06
    runs 15 working days from the resubmission (to 06/07), not from its registration."""
    clock.set(at(2026, 6, 1))
    walk = Walk(engine, clock, place=PROVINCE_ONLY)
    proposed = walk.verified("Sản phẩm đề nghị đúng hạn")
    back = walk.register("Sản phẩm bổ sung")
    clock.set(at(2026, 6, 10))
    engine.return_for_supplement(back.id, actor=OFFICER, guidance="Bổ sung phiếu tự đánh giá")
    clock.set(at(2026, 6, 15))
    engine.resubmit(back.id, actor=OFFICER)
    outcomes = sweep(engine, at(2026, 7, 6, 23))
    assert sorted(o for k, o in outcomes if k == "commune_check") == [
        "skipped: dossier is commune_verified: checked, or received again since",
        "skipped: dossier is registered: checked, or received again since",
    ]
    assert "overdue_escalated" not in types(engine, back.id)
    assert sweep(engine, at(2026, 7, 7, 8)) == [("commune_check", "escalate_overdue -> registered")]
    assert "overdue_escalated" not in types(engine, proposed.id)


@pytest.mark.parametrize(
    ("received", "again"),
    [
        (at(2026, 6, 10, 9), at(2026, 6, 10, 15)),  # returned and resubmitted the same day
        (at(2026, 6, 12, 9), at(2026, 6, 13, 10)),  # received Friday, resubmitted Saturday
    ],
    ids=["same-day", "weekend"],
)
def test_a_resubmission_whose_count_ends_on_the_same_day_is_still_escalated(
    engine: Engine, clock: SettableClock, received: datetime, again: datetime
) -> None:
    """The resubmission restarts the 15 working days, which end on the day the first count
    ended: one deadline (one natural key) stands for both, and it is escalated once, not
    settled as moot because a later receipt exists."""
    clock.set(received)
    d = Walk(engine, clock, place=PROVINCE_ONLY).register()
    engine.return_for_supplement(d.id, actor=OFFICER, guidance="Thiếu giấy chứng nhận ATTP")
    clock.set(again)
    engine.resubmit(d.id, actor=OFFICER)
    last = working_days_after(again.date(), 15)
    assert last == working_days_after(received.date(), 15)

    after = last + timedelta(days=1)

    applied = sweep(engine, at(last.year, last.month, last.day, 23))
    later = sweep(engine, at(after.year, after.month, after.day, 8))

    assert [k for k, _ in applied if k == "commune_check"] == []
    assert [a for a in later if a[0] == "commune_check"] == [
        ("commune_check", "escalate_overdue -> registered")
    ]
    assert types(engine, d.id).count("overdue_escalated") == 1


# -- rounds by cut-off (Art. 5) -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("level", "held_by", "cutoff"),
    [
        (Level.PROVINCE, date(2026, 6, 29), date(2026, 4, 30)),
        (Level.PROVINCE, date(2026, 6, 30), date(2026, 4, 30)),
        (Level.PROVINCE, date(2026, 7, 1), date(2026, 10, 30)),
        (Level.PROVINCE, date(2026, 12, 28), date(2026, 10, 30)),
        (Level.PROVINCE, date(2026, 12, 31), date(2027, 4, 30)),
        (Level.CENTRAL, date(2026, 9, 25), date(2026, 7, 30)),
        (Level.CENTRAL, date(2027, 3, 20), date(2027, 1, 30)),
        (Level.CENTRAL, date(2026, 11, 1), date(2027, 1, 30)),
    ],
)
def test_statutory_round_cutoffs(level: Level, held_by: date, cutoff: date) -> None:
    """The province's rounds before 30/06 and 30/12 take proposals before 30/04 and 30/10;
    the ministry's before 30/09 and 30/03 take those before 30/07 and 30/01."""
    assert default_rule_book().profile("qd26-2026").round_cutoff(level, held_by) == cutoff


def test_more_rounds_are_settings() -> None:
    """A province adding a round before 30/09 for proposals before 31/07 sets it as data."""
    book = default_rule_book()
    base = book.profile("qd26-2026")
    extra = {"proposed_before": "07-31", "held_before": "09-30"}
    rounds = {k.value: [c.model_dump() for c in v] for k, v in base.rounds.items()}
    rounds["province"].append(extra)
    profile = base.model_validate({**base.model_dump(), "rounds": rounds})
    assert profile.round_cutoff(Level.PROVINCE, date(2026, 9, 20)) == date(2026, 7, 31)
    assert profile.round_cutoff(Level.PROVINCE, date(2026, 12, 20)) == date(2026, 10, 30)


def _rounds(engine: Engine) -> tuple[UUID, UUID]:
    """The province's two 2026 rounds: before 30/06 and before 30/12."""
    june = engine.create_round(
        actor=PROVINCE_OFFICE,
        year=2026,
        number=1,
        jurisdiction_code="24",
        name="Đợt 1 năm 2026",
        registration_deadline=date(2026, 6, 5),
        council_meeting_on=date(2026, 6, 20),
        scoring_deadline=date(2026, 6, 29),
    )
    december = engine.create_round(
        actor=PROVINCE_OFFICE,
        year=2026,
        number=2,
        jurisdiction_code="24",
        name="Đợt 2 năm 2026",
        registration_deadline=date(2026, 11, 15),
        council_meeting_on=date(2026, 12, 10),
        scoring_deadline=date(2026, 12, 28),
    )
    return june.id, december.id


def test_a_proposal_of_1_may_goes_to_the_december_round(
    engine: Engine, clock: SettableClock
) -> None:
    """Proposed by the commune on 01/05/2026: the round before 30/06 refuses it, naming the
    cut-off 30/04/2026, and nothing is written; the round before 30/12 takes it. A proposal
    of 29/04 goes to June."""
    clock.set(at(2026, 4, 20))
    walk = Walk(engine, clock, place=PROVINCE_ONLY)
    early = walk.register("Sản phẩm đề nghị 29/4")
    late = walk.register("Sản phẩm đề nghị 1/5")
    clock.set(at(2026, 4, 29))
    engine.verify_commune(early.id, actor=walk.actor(Role.COMMUNE_COMMITTEE))
    clock.set(at(2026, 5, 1))
    engine.verify_commune(late.id, actor=walk.actor(Role.COMMUNE_COMMITTEE))
    clock.set(at(2026, 6, 1))
    june, december = _rounds(engine)
    before = snapshot(engine)
    with pytest.raises(GuardRefused) as caught:
        engine.assign_round(late.id, actor=PROVINCE_OFFICE, round_id=june)
    assert caught.value.codes == ("round.cutoff_passed",)
    assert "30/04/2026" in caught.value.reasons[0].vi
    assert "01/05/2026" in caught.value.reasons[0].vi
    assert snapshot(engine) == before
    assert engine.assign_round(late.id, actor=PROVINCE_OFFICE, round_id=december).round_id == (
        december
    )
    assert engine.assign_round(early.id, actor=PROVINCE_OFFICE, round_id=june).round_id == june


# -- the re-evaluation window (Art. 7.6a) and Art. 12.3 -----------------------------------------


def _certificate_expiring(engine: Engine, clock: SettableClock, expires: date, tag: str) -> UUID:
    """A district certificate imported in 2024 whose 36 months end on ``expires``."""
    clock.set(at(2024, 9, 2))
    decided = date(expires.year - 3, expires.month, expires.day)
    (found,) = import_certificates(engine, 1, decided, tag)
    assert isinstance(found, UUID)
    assert engine.get(found).valid_until == expires
    return found


def test_the_window_opens_reminds_and_is_flagged_when_missed(
    engine: Engine, clock: SettableClock
) -> None:
    """Certificates expiring 20/06/2027: on 22/12/2026 producer and commune are told the window
    runs 22/12/2026 – 20/02/2027, reminded 30 and 7 days before it closes; the one filed on
    20/02 hears no more; the other is flagged reevaluation_window_missed on 21/02, once."""
    filed = _certificate_expiring(engine, clock, date(2027, 6, 20), "filed")
    missed = _certificate_expiring(engine, clock, date(2027, 6, 20), "missed")
    assert sweep(engine, at(2026, 12, 21, 23)) == []
    opened = sweep(engine, at(2026, 12, 22, 9))
    notified = ("reevaluation_window", "notify_reevaluation_window -> certified")
    assert sorted(opened) == [notified, notified]
    assert recipients(engine, missed, "reevaluation_window_notice") == {
        ("producer", "07375"),
        ("commune_officer", "07375"),
    }
    text = messages(engine, missed, "reevaluation_window_notice")[0]
    assert "22/12/2026" in text
    assert "20/02/2027" in text
    sweep(engine, at(2027, 2, 13, 9))  # both reminders
    clock.set(at(2027, 2, 20))
    engine.register_reevaluation(filed, actor=OFFICER, kind="re_evaluation")
    assert sweep(engine, at(2027, 2, 21, 9)) == [
        ("reevaluation_window", "skipped: a re-evaluation is filed"),
        ("reevaluation_window", "flag_reevaluation_window_missed -> certified"),
    ]
    assert types(engine, missed)[1:] == [
        "reevaluation_window_notice",
        "reevaluation_window_notice",
        "reevaluation_window_notice",
        "reevaluation_window_missed",
    ]
    assert types(engine, filed).count("reevaluation_window_missed") == 0
    assert sweep(engine, at(2027, 2, 22, 9)) == []


def test_art_12_3_the_certificate_stays_valid_until_at_most_180_days_past_expiry(
    engine: Engine, clock: SettableClock
) -> None:
    """Expiring 01/08/2026, its window closed before 22/05/2026: the re-evaluation accepted on
    15/06/2026 moves the expiry by a validity_extended event to 28/01/2027; nothing expires
    on 01/08/2026; with no result, it expires on 29/01/2027."""
    old = _certificate_expiring(engine, clock, date(2026, 8, 1), "art12")
    clock.set(at(2026, 6, 15))
    new = engine.register_reevaluation(old, actor=OFFICER, kind="re_evaluation")
    assert new.profile_id == "qd26-2026"
    extended = engine.get(old)
    assert extended.valid_until == date(2027, 1, 28)
    event = engine.history(old)[-1]
    assert event.type == "validity_extended"
    assert (event.payload.expires_on, event.payload.reason) == (date(2026, 8, 1), "accepted")  # type: ignore[union-attr]
    assert engine.replay(old) == extended
    expiry = [(k, o) for k, o in sweep(engine, at(2026, 8, 2, 9)) if k == "expiry"]
    assert expiry == [("expiry", "skipped: dossier is certified: nothing to expire")]
    assert engine.get(old).state is S.CERTIFIED
    assert [k for k, _ in sweep(engine, at(2027, 1, 28, 23)) if k == "expiry"] == []
    assert ("expiry", "expire -> expired") in sweep(engine, at(2027, 1, 29, 9))
    assert engine.get(old).state is S.EXPIRED


def test_art_12_3_the_certificate_expires_on_the_result(
    engine: Engine, clock: SettableClock
) -> None:
    """The extended certificate's re-evaluation is withdrawn on 10/10/2026: the certificate is
    valid until that day (a second validity_extended), and expires the next."""
    old = _certificate_expiring(engine, clock, date(2026, 8, 1), "result")
    clock.set(at(2026, 6, 15))
    new = engine.register_reevaluation(old, actor=OFFICER, kind="re_evaluation")
    clock.set(at(2026, 10, 10))
    engine.withdraw(new.id, actor=OFFICER, reason="Chủ thể dừng sản xuất")
    d = engine.get(old)
    assert d.valid_until == date(2026, 10, 10)
    assert engine.history(old)[-1].payload.reason == "result"  # type: ignore[union-attr]
    assert ("expiry", "expire -> expired") in sweep(engine, at(2026, 10, 11, 9))
    assert engine.get(old).state is S.EXPIRED
    assert sweep(engine, at(2027, 2, 1)) == [
        ("expiry", "skipped: dossier is expired: nothing to expire")
    ]


def test_a_certificate_in_its_window_is_not_extended(engine: Engine, clock: SettableClock) -> None:
    """A re-evaluation filed inside its window moves no expiry."""
    old = _certificate_expiring(engine, clock, date(2027, 6, 20), "inwindow")
    clock.set(at(2027, 1, 10))
    engine.register_reevaluation(old, actor=OFFICER, kind="re_evaluation")
    assert engine.get(old).valid_until == date(2027, 6, 20)
    assert "validity_extended" not in types(engine, old)


# -- 45 days for a re-evaluation (Art. 7.6g) ----------------------------------------------------


def test_a_reevaluation_undecided_45_days_after_its_proposal_is_escalated(
    engine: Engine, clock: SettableClock
) -> None:
    """Proposed by the commune on 12/01/2027, undecided on 26/02/2027 (45 days): the province
    is told on 27/02, once."""
    old = _certificate_expiring(engine, clock, date(2027, 6, 20), "fortyfive")
    clock.set(at(2027, 1, 10))
    new = engine.register_reevaluation(old, actor=OFFICER, kind="re_evaluation")
    clock.set(at(2027, 1, 12))
    engine.verify_commune(new.id, actor=PROVINCE_ONLY.actor(Role.COMMUNE_COMMITTEE))
    assert "reevaluation_decision" not in [k for k, _ in sweep(engine, at(2027, 2, 26, 23))]
    assert sweep(engine, at(2027, 2, 27, 9)) == [
        ("reevaluation_decision", "escalate_overdue -> commune_verified")
    ]
    event = engine.history(new.id)[-1]
    assert (event.payload.rule, event.payload.due_on) == (  # type: ignore[union-attr]
        "reevaluation_decision",
        date(2027, 2, 26),
    )
    assert sweep(engine, at(2027, 3, 1)) == []


# -- the transition (Art. 11–12) ----------------------------------------------------------------


def test_a_first_evaluation_filed_before_22_may_is_escalated_after_21_july(
    engine: Engine, clock: SettableClock
) -> None:
    """Filed on 01/05/2026 under qd1489-2025 and unfinished on 21/07/2026 (60 days from
    22/05): escalated to the province on 22/07, once; one filed on 01/06 under qd26-2026 is
    not bound by it."""
    clock.set(at(2026, 5, 1))
    walk = Walk(engine, clock, place=PROVINCE_ONLY)
    d = walk.verified("Sản phẩm nộp 1/5")
    assert d.profile_id == "qd1489-2025"
    clock.set(at(2026, 6, 1))
    later = walk.verified("Sản phẩm nộp 1/6")
    assert later.profile_id == "qd26-2026"
    assert "transition_finish" not in [k for k, _ in sweep(engine, at(2026, 7, 21, 23))]
    assert sweep(engine, at(2026, 7, 22, 8)) == [
        ("transition_finish", "escalate_overdue -> commune_verified")
    ]
    event = engine.history(d.id)[-1]
    assert (event.payload.rule, event.payload.due_on) == (  # type: ignore[union-attr]
        "transition_finish",
        date(2026, 7, 21),
    )
    assert recipients(engine, d.id, "overdue_escalated") == {("province_office", "24")}
    assert "overdue_escalated" not in types(engine, later.id)
    assert sweep(engine, at(2026, 9, 1)) == []


def test_a_reevaluation_filed_before_22_may_must_finish_by_21_june(
    engine: Engine, clock: SettableClock
) -> None:
    """A re-evaluation filed on 10/05/2026 under qd1489-2025 must be finished by 21/06/2026 (30
    days): escalated on 22/06; one finished (withdrawn) before is not."""
    open_ = _certificate_expiring(engine, clock, date(2026, 9, 30), "open")
    done = _certificate_expiring(engine, clock, date(2026, 9, 30), "done")
    clock.set(at(2026, 5, 10))
    new = engine.register_reevaluation(open_, actor=OFFICER, kind="re_evaluation")
    finished = engine.register_reevaluation(done, actor=OFFICER, kind="re_evaluation")
    assert new.profile_id == "qd1489-2025"
    clock.set(at(2026, 6, 1))
    engine.withdraw(finished.id, actor=OFFICER, reason="Rút hồ sơ")
    due = [(k, o) for k, o in sweep(engine, at(2026, 6, 22, 8)) if k == "transition_finish"]
    assert sorted(due) == [
        ("transition_finish", "escalate_overdue -> registered"),
        ("transition_finish", "skipped: dossier is withdrawn: finished"),
    ]
    assert engine.history(new.id)[-1].payload.due_on == date(2026, 6, 21)  # type: ignore[union-attr]


def test_registration_under_a_ceased_profile_is_refused(
    engine: Engine, clock: SettableClock
) -> None:
    """A dossier filed on 10/05/2026 but entered on 22/07/2026, after 148 and 1489 ceased
    (21/07/2026, a setting), is refused naming the day; entered on 21/07 it is accepted."""
    walk = Walk(engine, clock, place=PROVINCE_ONLY)
    filed = at(2026, 5, 10)
    clock.set(at(2026, 7, 21))
    assert walk.register("Sản phẩm nhập 21/7", occurred_at=filed).profile_id == "qd1489-2025"
    clock.set(at(2026, 7, 22))
    before = snapshot(engine)
    with pytest.raises(GuardRefused) as caught:
        walk.register("Sản phẩm nhập 22/7", occurred_at=filed)
    assert caught.value.codes == ("profile.ceased",)
    assert "21/07/2026" in caught.value.reasons[0].vi
    assert snapshot(engine) == before


def test_certificates_issued_earlier_keep_their_term(engine: Engine, clock: SettableClock) -> None:
    """A 148 certificate expiring 20/06/2027 stays valid to that day; its re-evaluation is
    registered under qd26-2026."""
    old = _certificate_expiring(engine, clock, date(2027, 6, 20), "kept")
    assert engine.get(old).profile_id == "qd148-2023"
    clock.set(at(2027, 1, 5))
    assert engine.register_reevaluation(old, actor=OFFICER, kind="re_evaluation").profile_id == (
        "qd26-2026"
    )
    assert engine.get(old).valid_until == date(2027, 6, 20)


def test_a_store_written_before_the_decision_gets_its_statutory_deadlines_planned(
    engine: Engine, clock: SettableClock
) -> None:
    """A certificate and a dossier stored without Decision 26/2026's deadlines (as before the
    upgrade) get them from their logs, once: then the window and the transition are swept."""
    cert = _certificate_expiring(engine, clock, date(2027, 6, 20), "upgrade")
    clock.set(at(2026, 5, 1))
    early = Walk(engine, clock, place=PROVINCE_ONLY).register("Sản phẩm nộp 1/5").id
    statutory = deadlines.c.kind.in_(["reevaluation_window", "transition_finish"])
    with engine.sa_engine.begin() as conn:
        assert conn.execute(delete(deadlines).where(statutory)).rowcount == 5
    sweeper = Sweeper(engine)
    assert sweeper.plan_statutory() == 5
    assert sweeper.plan_statutory() == 0
    assert ("transition_finish", "escalate_overdue -> registered") in sweep(
        engine, at(2026, 7, 22, 8)
    )
    sweep(engine, at(2027, 2, 21, 8))
    assert types(engine, cert).count("reevaluation_window_missed") == 1
    assert types(engine, early).count("overdue_escalated") == 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"rules_cease_after": "2026-05-01"}, "rules_cease_after is before in_force_until"),
        (
            {"durations": {"reevaluation_window_reminder_days": [61]}},
            "reevaluation_window_reminder_days",
        ),
        (
            {"rounds": {"province": [{"proposed_before": "04-31", "held_before": "06-30"}]}},
            "proposed_before",
        ),
    ],
)
def test_the_settings_are_checked_when_loaded(change: dict[str, Any], message: str) -> None:
    """A cease day before the profile's end, a reminder outside the window, or a cut-off that
    is no day of the year is refused when the profile loads."""
    data = default_rule_book().profile("qd1489-2025").model_dump(mode="json")
    if "durations" in change:
        qd26 = default_rule_book().profile("qd26-2026").model_dump(mode="json")
        data = {**qd26, "durations": {**qd26["durations"], **change["durations"]}}
    elif "rounds" in change:
        data = {**default_rule_book().profile("qd26-2026").model_dump(mode="json"), **change}
    else:
        data = {**data, **change}
    with pytest.raises(ValueError, match=message):
        type(default_rule_book().profile("qd26-2026")).model_validate(data)


def test_a_saturday_worked_for_a_bridge_day_counts_as_a_working_day() -> None:
    """2025: Saturday 26/04 was worked so that Friday 02/05 was off. From Thursday 24/04 the
    2nd working day is that Saturday; from 29/04, the 1st is 05/05 (30/4, 1/5, 2/5 off)."""
    assert working_days_after(date(2025, 4, 24), 2) == date(2025, 4, 26)
    assert working_days_after(date(2025, 4, 29), 1) == date(2025, 5, 5)
