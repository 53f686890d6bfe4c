"""Run the Lạng Giang 2024 plan from March 2024 to the end of 2027 on a simulated clock.

People's steps (commune verification, council sessions, decisions, inspections) happen on
their scenario dates; between them the scheduler's sweep applies every deadline at its own due
time (reminders, carry-over, renewal notices, expiry), exactly as a live scheduler would.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import partial
from uuid import UUID

from ocop_cycle._log import get_logger
from ocop_cycle.clock import VN_TZ, SettableClock
from ocop_cycle.demo.qd26_steps import Qd26Steps
from ocop_cycle.demo.scenario import ROUNDS, Fate, RoundDates, build_scenario
from ocop_cycle.engine import Engine
from ocop_cycle.jobs.simulation import run_until
from ocop_cycle.jobs.sweep import Applied
from ocop_cycle.plan.entries import lang_giang_2024, lang_giang_communes
from ocop_cycle.plan.importer import ImportSettings, import_plan
from ocop_cycle.rules.authority import Actor, Role
from ocop_cycle.rules.units import REFORM_DATE
from ocop_cycle.testing import Place, session_for

__all__ = ["DEMO_END", "DEMO_START", "DemoResult", "Step", "run_demo"]

log = get_logger("ocop_cycle")

DEMO_START = datetime(2024, 3, 1, 9, 0, tzinfo=VN_TZ)
DEMO_END = datetime(2027, 12, 31, 23, 59, tzinfo=VN_TZ)


@dataclass(frozen=True, slots=True)
class Step:
    """One thing people do on a day of the scenario."""

    at: datetime
    label: str
    run: Callable[[], None]


@dataclass
class DemoResult:
    """What the demo did."""

    fates: list[Fate]
    dossiers: dict[str, UUID]
    steps: int = 0
    deadlines: int = 0
    deadline_kinds: dict[str, int] = field(default_factory=dict)


def _at(day: date, hour: int = 9) -> datetime:
    return datetime.combine(day, time(hour, 0), tzinfo=VN_TZ)


class _Demo:
    def __init__(self, engine: Engine, seed: int) -> None:
        self.engine = engine
        self.entries, _ = lang_giang_2024()
        self.fates = {f.ref: f for f in build_scenario(self.entries, seed)}
        self.places = {
            c.commune: Place(commune=c.commune_code, district=c.district_code, province="24")
            for c in lang_giang_communes().values()
        }
        self.ids: dict[str, UUID] = {}
        self.rounds: dict[int, UUID] = {}
        self.decisions = 0
        self.migrated = 0
        # From 22/05/2026 people act under Decision 26/2026 (qd26-2026).
        self.qd26 = Qd26Steps(engine, self.ids, self.fates, self.places, self._next_decision)

    def _next_decision(self) -> str:
        self.decisions += 1
        return f"{self.decisions}/QĐ-UBND"

    # -- the steps ----------------------------------------------------------------------------

    def place(self, ref: str) -> Place:
        return self.places[self.fates[ref].commune]

    def actor(self, ref: str, role: Role) -> Actor:
        """Who holds ``role``'s authority over the dossier's place on the demo's day: from
        01/07/2025 the merged commune, and the province for the abolished district's bodies
        (the handover in qd148-2023's data)."""
        today = self.engine.clock.now().date()
        place = self.place(ref)
        if today < REFORM_DATE:
            return place.actor(role)
        units = self.engine.rules.units
        before = REFORM_DATE - timedelta(days=1)
        commune = units.successor_on(place.commune, today, recorded_on=before)[0].code
        province = units.successor_on(place.province, today, recorded_on=before)[0].code
        (acting,) = self.engine.rules.profile("qd148-2023").acting_roles((role,), today)
        return Place(commune=commune, district=None, province=province).actor(acting)

    def start(self) -> None:
        office = self.places["thị trấn Vôi"].actor(Role.DISTRICT_OFFICE)
        for r in ROUNDS:
            self.rounds[r.number] = self.engine.create_round(
                actor=office,
                year=2024,
                number=r.number,
                jurisdiction_code="217",
                name=f"Đợt {r.number:02d} năm 2024",
                registration_deadline=r.registration_deadline,
                council_meeting_on=r.council_meeting_on,
                scoring_deadline=r.scoring_deadline,
            ).id
        report = import_plan(self.engine, list(self.entries), ImportSettings())
        self.ids.update(report.dossiers)

    def verify(self, ref: str) -> None:
        if self.fates[ref].returned:
            self.engine.return_for_supplement(
                self.ids[ref],
                actor=self.actor(ref, Role.COMMUNE_OFFICER),
                guidance="Bổ sung phiếu kiểm nghiệm chất lượng sản phẩm còn hiệu lực",
            )
            return
        self.engine.verify_commune(self.ids[ref], actor=self.actor(ref, Role.COMMUNE_COMMITTEE))

    def resubmit(self, ref: str) -> None:
        self.engine.resubmit(
            self.ids[ref],
            actor=self.actor(ref, Role.COMMUNE_OFFICER),
            note="Đã bổ sung phiếu kiểm nghiệm",
        )
        self.engine.verify_commune(self.ids[ref], actor=self.actor(ref, Role.COMMUNE_COMMITTEE))

    def assign(self, ref: str, number: int) -> None:
        self.engine.assign_round(
            self.ids[ref],
            actor=self.actor(ref, Role.DISTRICT_OFFICE),
            round_id=self.rounds[number],
        )

    def score(self, ref: str, role: Role, total: int) -> None:
        d = self.engine.get(self.ids[ref])
        profile = self.engine.rules.profile(d.profile_id)
        sheet = self.engine.rules.sheet(profile.id, d.product_set)
        members = [Decimal(total - 1), Decimal(total), Decimal(total + 1)]
        session = session_for(sheet, profile, list(members))
        self.engine.score(d.id, actor=self.actor(ref, role), session=session)

    def decide(self, ref: str, on: date) -> None:
        fate = self.fates[ref]
        d = self.engine.get(self.ids[ref])
        if fate.path == "not_recognized":
            self.engine.not_recognize(
                d.id, actor=self.actor(ref, Role.DISTRICT_COMMITTEE), note="Điểm dưới 50"
            )
        elif fate.path == "province":
            self.engine.forward(
                d.id,
                actor=self.actor(ref, Role.DISTRICT_OFFICE),
                note="Đạt từ 70 điểm: đề nghị Hội đồng cấp tỉnh đánh giá",
            )
        else:
            self.certify(ref, Role.DISTRICT_COMMITTEE, "UBND huyện Lạng Giang", on)

    def certify(self, ref: str, role: Role, body: str, on: date) -> None:
        self.decisions += 1
        self.engine.certify(
            self.ids[ref],
            actor=self.actor(ref, role),
            decision_number=f"{self.decisions}/QĐ-UBND",
            decision_date=on,
            issuing_body=body,
        )

    def monitor(self, ref: str) -> None:
        self.engine.start_monitoring(self.ids[ref], actor=self.actor(ref, Role.DISTRICT_OFFICE))

    def inspect(self, ref: str, on: date) -> None:
        failed = self.fates[ref].revoked and on.year == 2025
        self.engine.record_inspection(
            self.ids[ref],
            actor=self.actor(ref, Role.INSPECTOR),
            inspected_on=on,
            passed=not failed,
            findings="Sản phẩm không duy trì tiêu chuẩn chất lượng đã công bố" if failed else "",
        )

    def revoke(self, ref: str, on: date) -> None:
        self.engine.revoke(
            self.ids[ref],
            actor=self.actor(ref, Role.DISTRICT_COMMITTEE),
            grounds={
                "code": "inspection_failed",
                "details": "Kiểm tra định kỳ năm 2025 không đạt, chủ thể không khắc phục",
            },
            decision_number=f"{self.decisions + 1}/QĐ-UBND",
            decision_date=on,
            issuing_body="UBND huyện Lạng Giang",
        )

    def migrate(self) -> None:
        report = self.engine.migrate(
            from_profile="qd148-2023", to_profile="qd1489-2025", effective=date(2025, 7, 6)
        )
        self.migrated = len(report.migrated)

    # -- the calendar -------------------------------------------------------------------------

    def steps(self) -> list[Step]:
        steps = [Step(DEMO_START, "Mở đợt đánh giá, nhập kế hoạch 2024", self.start)]
        by_round: dict[int, list[Fate]] = {r.number: [] for r in ROUNDS}
        for fate in self.fates.values():
            by_round[fate.scored_round].append(fate)
        for r in ROUNDS:
            planned = [f for f in self.fates.values() if f.plan_round == r.plan_round]
            steps += self._round_steps(r, planned, by_round[r.number])
        # Yearly inspections, each within twelve months of the last (the next one falls due a
        # year after each); none in 2027, so the scheduler escalates the overdue ones.
        for on in (date(2025, 5, 20), date(2026, 5, 15)):
            steps.append(Step(_at(on), f"Kiểm tra định kỳ năm {on.year}", self._inspections(on)))
        # Decision 1489 (06/07/2025): whatever the district still had in evaluation goes to the
        # province; the run is recorded whether or not anything was left.
        steps.append(
            Step(
                _at(date(2025, 7, 7)),
                "Chuyển hồ sơ đang đánh giá sang Quyết định 1489/QĐ-TTg",
                self.migrate,
            )
        )
        revoked = [f.ref for f in self.fates.values() if f.revoked]
        on = date(2025, 6, 10)
        steps += [
            Step(_at(on), "Thu hồi giấy chứng nhận", partial(self.revoke, ref, on))
            for ref in revoked
        ]
        steps += [Step(s.at, s.label, s.run) for s in self.qd26.steps()]
        return sorted(steps, key=lambda s: s.at)

    def _round_steps(self, r: RoundDates, planned: list[Fate], scored: list[Fate]) -> list[Step]:
        out: list[Step] = []
        name = f"Đợt {r.number:02d}"
        for f in planned:
            out.append(
                Step(_at(r.verify_on), f"{name}: UBND xã xác nhận", partial(self.verify, f.ref))
            )
            if f.returned:
                later = r.verify_on + timedelta(days=11)
                out.append(
                    Step(_at(later), f"{name}: nộp lại hồ sơ", partial(self.resubmit, f.ref))
                )
            out.append(
                Step(
                    _at(r.assign_on),
                    f"{name}: xếp vào đợt",
                    partial(self.assign, f.ref, r.number),
                )
            )
        council = _at(r.council_meeting_on, 10)
        for f in scored:
            out.append(
                Step(
                    council,
                    f"{name}: Hội đồng cấp huyện chấm điểm",
                    partial(self.score, f.ref, Role.DISTRICT_COUNCIL, f.district_score),
                )
            )
            out.append(
                Step(
                    _at(r.decide_on),
                    f"{name}: quyết định",
                    partial(self.decide, f.ref, r.decide_on),
                )
            )
            if f.path == "district":
                out.append(
                    Step(_at(r.monitor_on), f"{name}: giám sát", partial(self.monitor, f.ref))
                )
            if f.path == "province":
                out += self._province_steps(f, r.decide_on)
        return out

    def _province_steps(self, f: Fate, forwarded_on: date) -> list[Step]:
        assert f.province_score is not None
        scored_on = forwarded_on + timedelta(days=21)
        decided_on = forwarded_on + timedelta(days=35)
        return [
            Step(
                _at(scored_on, 10),
                "Hội đồng cấp tỉnh chấm điểm",
                partial(self.score, f.ref, Role.PROVINCE_COUNCIL, f.province_score),
            ),
            Step(
                _at(decided_on),
                "UBND tỉnh quyết định công nhận",
                partial(
                    self.certify, f.ref, Role.PROVINCE_COMMITTEE, "UBND tỉnh Bắc Giang", decided_on
                ),
            ),
            Step(
                _at(decided_on + timedelta(days=7)),
                "Giám sát sau công nhận",
                partial(self.monitor, f.ref),
            ),
        ]

    def _inspections(self, on: date) -> Callable[[], None]:
        def run() -> None:
            for ref, dossier_id in sorted(self.ids.items()):
                if self.engine.get(dossier_id).state.value in {"monitored", "renewal_due"}:
                    self.inspect(ref, on)

        return run


def run_demo(
    engine: Engine,
    *,
    seed: int = 2024,
    until: datetime = DEMO_END,
    on_start: Callable[[int], None] | None = None,
    on_step: Callable[[str], None] | None = None,
    on_deadline: Callable[[str], None] | None = None,
) -> DemoResult:
    """Play the scenario on ``engine`` (opened with a ``SettableClock`` at ``DEMO_START`` on an
    empty database; the schema is created when missing) up to ``until``."""
    if not isinstance(engine.clock, SettableClock):
        raise TypeError("the demo needs an engine opened with a SettableClock")
    engine.upgrade()
    demo = _Demo(engine, seed)
    result = DemoResult(fates=list(demo.fates.values()), dossiers=demo.ids)
    kinds: dict[str, int] = {}

    def applied(item: Applied) -> None:
        # Deadlines that no longer applied (skipped), or failed, are not effects: count what
        # was done.
        if item.status == "done":
            kinds[item.kind] = kinds.get(item.kind, 0) + 1
        if on_deadline is not None:
            on_deadline(item.kind)

    steps = [s for s in demo.steps() if s.at <= until]
    if on_start is not None:
        on_start(len(steps) + 1)  # the people's steps, then the sweep to ``until``
    for step in steps:
        result.deadlines += len(run_until(engine, step.at, on_applied=applied))
        step.run()
        result.steps += 1
        if on_step is not None:
            on_step(step.label)
    result.deadlines += len(run_until(engine, until, on_applied=applied))
    if on_step is not None:
        on_step("Hệ thống áp dụng các thời hạn còn lại")
    result.deadline_kinds = dict(sorted(kinds.items()))
    log.info("demo.done", steps=result.steps, deadlines=result.deadlines, seed=seed)
    return result
