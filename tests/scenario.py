"""Drive dossiers through the workflow in a few lines, so tests state only what they check."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar
from uuid import UUID

import pytest
from sqlalchemy import func, select

from ocop_cycle import VN_TZ, Dossier, Engine, Role, SettableClock
from ocop_cycle._storage.schema import dossiers, events, outbox
from ocop_cycle.rules.units import REFORM_DATE, default_unit_registry
from ocop_cycle.testing import Place, session_for

E = TypeVar("E", bound=BaseException)

LANG_GIANG = Place(commune="07426", district="217", province="24")
#: After the reform, who holds an abolished district body's authority (qd148-2023's handover).
HANDOVER = {
    Role.DISTRICT_OFFICE: Role.PROVINCE_OFFICE,
    Role.DISTRICT_COUNCIL: Role.PROVINCE_COUNCIL,
    Role.DISTRICT_COMMITTEE: Role.PROVINCE_COMMITTEE,
}
PROVINCE_ONLY = Place(commune="07375", district=None, province="24")


@dataclass
class Walk:
    """One place, one product set: helpers that move a dossier along the happy path."""

    engine: Engine
    clock: SettableClock
    place: Place = LANG_GIANG
    product_set: str = "eggs"
    group: str = "food"
    _rounds: dict[str, UUID] = field(default_factory=dict, init=False)

    def actor(self, role: Role, id: str | None = None) -> Any:
        """The actor holding ``role``'s authority over this place on the clock's day: after the
        2025 reform, the merged commune and the province act for an abolished district's."""
        place = self.place_today()
        if place is not self.place:
            role = HANDOVER.get(role, role)
        return place.actor(role, id)

    def place_today(self) -> Place:
        """This place's units as they are on the clock's day."""
        today = self.clock.now().date()
        if today < REFORM_DATE or self.place.district is None:
            return self.place
        units = default_unit_registry()
        commune = units.successor_on(self.place.commune, today, recorded_on=date(2025, 6, 30))
        province = units.successor_on(self.place.province, today, recorded_on=date(2025, 6, 30))
        return Place(commune=commune[0].code, district=None, province=province[0].code)

    def register(self, name: str = "Trứng gà núi Hương Sơn", **extra: Any) -> Dossier:
        fields: dict[str, Any] = {
            "producer": {"name": "Hợp tác xã Hồ Hồ Cao", "kind": "cooperative"},
            "product": {"name": name, "group": self.group, "product_set": self.product_set},
            "commune_code": self.place_today().commune,
            "district_code": self.place_today().district,
            "province_code": self.place_today().province,
        }
        fields.update(extra)
        return self.engine.register(actor=self.actor(Role.COMMUNE_OFFICER), **fields)

    def verified(self, name: str = "Trứng gà núi Hương Sơn") -> Dossier:
        d = self.register(name)
        return self.engine.verify_commune(d.id, actor=self.actor(Role.COMMUNE_COMMITTEE))

    def round_id(self, code: str | None = None) -> UUID:
        """A round open today in ``code`` (the place's first tier by default)."""
        place = self.place_today()
        code = code or place.district or place.province
        today = self.clock.now().date()
        key = f"{code}/{today.isoformat()}"
        if key not in self._rounds:
            office = (
                Role.MINISTRY
                if code == "VN"
                else {3: Role.DISTRICT_OFFICE}.get(len(code), Role.PROVINCE_OFFICE)
            )
            self._rounds[key] = self.engine.create_round(
                actor=self.actor(office),
                year=today.year,
                number=len(self._rounds) + 1,
                jurisdiction_code=code,
                name=f"Đợt {len(self._rounds) + 1} năm {today.year}",
                registration_deadline=today + timedelta(days=30),
                council_meeting_on=today + timedelta(days=60),
                scoring_deadline=today + timedelta(days=90),
            ).id
        return self._rounds[key]

    def in_round(self, name: str = "Trứng gà núi Hương Sơn") -> Dossier:
        d = self.verified(name)
        office = Role.DISTRICT_OFFICE if self.place_today().district else Role.PROVINCE_OFFICE
        return self.engine.assign_round(d.id, actor=self.actor(office), round_id=self.round_id())

    def session(self, dossier: Dossier, totals: list[int], miss: tuple[str, ...] = ()) -> Any:
        profile = self.engine.rules.profile(dossier.profile_id)
        sheet = self.engine.rules.sheet(profile.id, dossier.product_set)
        return session_for(sheet, profile, [Decimal(t) for t in totals], miss)

    def score(self, dossier: Dossier, totals: list[int], role: Role, **kw: Any) -> Dossier:
        return self.engine.score(
            dossier.id, actor=self.actor(role), session=self.session(dossier, totals), **kw
        )

    def entry_scored(self, totals: list[int], name: str = "Trứng gà núi Hương Sơn") -> Dossier:
        d = self.in_round(name)
        role = Role.DISTRICT_COUNCIL if self.place_today().district else Role.PROVINCE_COUNCIL
        return self.score(d, totals, role)

    def decision(self, number: str = "15/QĐ-UBND", on: date | None = None) -> dict[str, Any]:
        return {
            "decision_number": number,
            "decision_date": on or self.clock.now().date(),
            "issuing_body": "UBND huyện Lạng Giang",
        }

    def certified(self, totals: list[int] | None = None, name: str = "Trứng gà") -> Dossier:
        d = self.entry_scored(totals or [60, 61, 62], name)
        role = Role.DISTRICT_COMMITTEE if self.place.district else Role.PROVINCE_COMMITTEE
        return self.engine.certify(d.id, actor=self.actor(role), **self.decision())

    def monitored(self, name: str = "Trứng gà") -> Dossier:
        d = self.certified(name=name)
        return self.engine.start_monitoring(d.id, actor=self.actor(Role.DISTRICT_OFFICE))

    def later(self, **delta: int) -> datetime:
        return self.clock.advance(timedelta(**delta))


def snapshot(engine: Engine) -> tuple[int, int, int, int]:
    """Counts that any write changes: events, outbox rows, dossiers, sum of versions."""
    with engine.sa_engine.connect() as conn:
        return (
            conn.execute(select(func.count()).select_from(events)).scalar_one(),
            conn.execute(select(func.count()).select_from(outbox)).scalar_one(),
            conn.execute(select(func.count()).select_from(dossiers)).scalar_one(),
            conn.execute(select(func.coalesce(func.sum(dossiers.c.version), 0))).scalar_one(),
        )


def refuses(engine: Engine, error: type[E], call: Callable[[], Any]) -> E:
    """Run ``call``, expect ``error``, and check that nothing was written."""
    before = snapshot(engine)
    with pytest.raises(error) as caught:
        call()
    assert snapshot(engine) == before
    return caught.value


def at(year: int, month: int, day: int, hour: int = 9) -> datetime:
    return datetime(year, month, day, hour, tzinfo=VN_TZ)


def tamper(engine: Engine, *statements: Any) -> None:
    """Run statements on a connection of our own, as someone with database access would."""
    with engine.sa_engine.begin() as conn:
        for stmt in statements:
            conn.execute(stmt)


def problems(report: Any) -> list[str]:
    """The kinds of an audit report's breaks, in order."""
    return [b.problem for b in report.breaks]
