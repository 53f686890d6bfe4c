"""A qd26-2026 certificate's aftercare notices: one notice when the filing window opens (no
148-era renewal reminder beside it), an overdue inspection told to the monitoring agency, and
an expiry that lapses without a revocation request (Art. 8 has no expiry ground)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from ocop_cycle import Engine, Role, SettableClock, Sweeper
from ocop_cycle.clock import to_vn
from ocop_cycle.rules.authority import Level
from tests.helpers_jobs import district_certificate
from tests.scenario import PROVINCE_ONLY, at

OFFICE = PROVINCE_ONLY.actor(Role.PROVINCE_OFFICE)


def certificate(engine: Engine, clock: SettableClock, on: date, stars: int = 3) -> Any:
    """A certificate issued on ``on`` under the profile then in force, imported the day after
    and monitored by the province; the dossier."""
    clock.set(at(on.year, on.month, on.day) + timedelta(days=1))
    profile = engine.rules.profile_in_force(on)
    d = engine.import_certificate(
        actor=OFFICE,
        profile_id=profile.id,
        producer={"name": f"Hợp tác xã {stars} sao", "kind": "cooperative"},
        product={"name": f"Mật ong {stars} sao", "group": "food", "product_set": "honey"},
        commune_code=PROVINCE_ONLY.commune,
        province_code=PROVINCE_ONLY.province,
        stars=stars,
        level=Level.CENTRAL if stars == 5 else Level.PROVINCE,
        decision_number=f"{stars}/QĐ-UBND",
        decision_date=on,
        issuing_body="Bộ Nông nghiệp và Môi trường" if stars == 5 else "UBND tỉnh Bắc Ninh",
    )
    actor = Role.MINISTRY if stars == 5 else Role.PROVINCE_OFFICE
    return engine.start_monitoring(d.id, actor=PROVINCE_ONLY.actor(actor))


def notes(engine: Engine, dossier_id: Any) -> list[Any]:
    """The dossier's notices, oldest first."""
    found = engine.notifications(limit=100_000, include_acked=True)
    return sorted((n for n in found if n.dossier_id == dossier_id), key=lambda n: n.created_at)


def sweep(engine: Engine, until: datetime) -> None:
    """Apply every deadline due by ``until``."""
    Sweeper(engine).sweep(now=until)


def test_one_notice_when_the_window_opens(engine: Engine, clock: SettableClock) -> None:
    """At E−180 a qd26-2026 certificate's producer gets the window notice only; at E−120 the
    certificate is marked renewal due (the statutory day), not reminded twice."""
    d = certificate(engine, clock, date(2026, 6, 15))
    assert engine.rules.profile(d.profile_id).durations.renewal_notice_days == (120,)
    opens = d.valid_until - timedelta(days=180)
    sweep(engine, at(opens.year, opens.month, opens.day, 23))
    that_day = [
        n
        for n in notes(engine, d.id)
        if n.created_at.date() == opens and n.recipient_role == "producer"
    ]
    assert [n.kind for n in that_day] == ["reevaluation_window_notice"]
    assert not [n for n in notes(engine, d.id) if n.kind == "reminder_sent"]


def test_overdue_inspection_goes_to_the_monitoring_agency(
    engine: Engine, clock: SettableClock
) -> None:
    """A year without inspection: the province's OCOP office hears of a 3★ product, the
    ministry of a 5★ one; no inspector is addressed."""
    three = certificate(engine, clock, date(2026, 6, 15))
    five = certificate(engine, clock, date(2026, 6, 15), stars=5)
    sweep(engine, at(2027, 6, 20))
    addressed = {n.recipient_role for d in (three, five) for n in notes(engine, d.id)}
    three_to = {
        (n.recipient_role, n.recipient_jurisdiction)
        for n in notes(engine, three.id)
        if n.kind == "inspection_overdue"
    }
    five_to = {
        (n.recipient_role, n.recipient_jurisdiction)
        for n in notes(engine, five.id)
        if n.kind == "inspection_overdue"
    }
    assert ("province_office", "24") in three_to
    assert ("ministry", "VN") in five_to
    assert "inspector" not in addressed


def test_a_qd26_certificate_lapses_without_a_revocation_request(
    engine: Engine, clock: SettableClock
) -> None:
    """On expiry under qd26-2026 the certifying body is told the certificate lapsed, not asked
    to revoke it; a qd1489-2025 certificate's expiry still asks for the decision."""
    old = certificate(engine, clock, date(2025, 8, 1))
    new = certificate(engine, clock, date(2026, 6, 15))
    clock.set(at(2029, 7, 1))
    sweep(engine, at(2029, 7, 1))
    assert engine.get(new.id).state.value == "expired"
    assert engine.get(old.id).state.value == "expired"
    new_texts = [n.message_vi for n in notes(engine, new.id) if n.kind == "expired"]
    old_texts = [n.message_vi for n in notes(engine, old.id) if n.kind == "expired"]
    assert any("không phải ban hành quyết định thu hồi" in t for t in new_texts)
    assert not any("đề nghị ban hành quyết định thu hồi" in t for t in new_texts)
    assert any("đề nghị ban hành quyết định thu hồi" in t for t in old_texts)


def test_an_older_certificates_call_to_file_stops_once_its_decision_26_window_closed(
    engine: Engine, clock: SettableClock
) -> None:
    """A Decision 148 certificate expiring 01/03/2027 is re-evaluated under Decision 26, whose
    window closes on 01/11/2026 (E−120). Its own profile's reminders (E−90, E−60) still say
    when it expires; its statutory notice (E−30), which marks it renewal due and asks the
    producer to file, would ask for what the engine then refuses: it is skipped, saying why,
    and the certificate stays certified until it expires on its day."""
    clock.set(at(2024, 3, 2))
    d = district_certificate(engine, date(2024, 3, 1), "Hợp tác xã Mật ong")
    assert d.valid_until == date(2027, 3, 1)
    report = Sweeper(engine).sweep(now=at(2027, 2, 20, 12))
    notices = {to_vn(a.due_at).date(): a for a in report.applied if a.kind == "renewal_notice"}
    assert sorted(notices) == [date(2026, 12, 1), date(2026, 12, 31), date(2027, 1, 30)]
    assert [notices[day].status for day in sorted(notices)] == ["done", "done", "skipped"]
    assert "closed on 2026-11-01" in notices[date(2027, 1, 30)].outcome
    assert engine.get(d.id).state.value == "certified"
    asked = [n for n in notes(engine, d.id) if n.kind == "renewal_due_marked"]
    assert asked == []
    window = [a for a in report.applied if a.kind == "reevaluation_window"]
    assert window
    assert {a.status for a in window} == {"done"}
    Sweeper(engine).sweep(now=at(2027, 3, 2, 12))
    assert engine.get(d.id).state.value == "expired"
