"""How a district's plan stands: targets against actual, per round, commune and product group,
the dossiers still open with their next deadline, support awarded and Biểu 2 requests.

Read-only and computed from the store each time (the event log is the truth); a district holds
tens of dossiers a year, so the report reads its dossiers and their few relevant events whole.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from ocop_cycle._storage.reports import ReportQueries
from ocop_cycle.clock import VN_TZ
from ocop_cycle.plan.entries import PlanEntry
from ocop_cycle.plan.model import Plan, lang_giang_2024_plan
from ocop_cycle.plan.targets import PlanTarget
from ocop_cycle.rules.support import BASIS_LABELS_VI
from ocop_cycle.rules.units import REFORM_DATE
from ocop_cycle.workflows.derive import producer_id, product_id
from ocop_cycle.workflows.model import Dossier, DossierKind
from ocop_cycle.workflows.states import TERMINAL_STATES, DossierState

if TYPE_CHECKING:
    from ocop_cycle.engine import Engine

__all__ = [
    "CommuneProgress",
    "GroupProgress",
    "OpenDossier",
    "PlanProgress",
    "RequestStatus",
    "RoundProgress",
    "SupportLine",
    "TargetProgress",
    "plan_progress",
]

S = DossierState
_REFUSED = {S.NOT_RECOGNIZED, S.REJECTED, S.WITHDRAWN, S.EXCLUDED}
#: The events the report reads: round assignment (and carry-over), forwarding, support.
_EVENT_TYPES = ("round_assigned", "forwarded", "support_granted")


class _Row(BaseModel):
    model_config = ConfigDict(frozen=True)


class TargetProgress(_Row):
    """One target: what was promised and what the store shows."""

    id: str
    label_vi: str
    label_en: str
    target: int
    actual: int
    met: bool


class RoundProgress(_Row):
    """One evaluation round of the district in the year."""

    number: int
    name: str
    council_meeting_on: date
    scoring_deadline: date
    planned: int
    assigned: int
    carried_out: int
    certified: int
    forwarded: int
    not_recognized: int


class CommuneProgress(_Row):
    """One commune or town: plan rows, dossiers, and products recognised in the year."""

    commune: str
    commune_code: str
    #: The name the place has on the report's day: "xã Xương Lâm (nay xã Lạng Giang)".
    commune_now: str
    planned: int
    registered: int
    recognized: int
    new_recognized: int
    best_stars: int | None


class GroupProgress(_Row):
    """One product group ("nhóm sản phẩm")."""

    group: str
    name_vi: str
    planned: int
    recognized: int
    by_stars: dict[int, int]


class OpenDossier(_Row):
    """A dossier still on its way to a decision, and what falls due next."""

    dossier_id: UUID
    product: str
    #: The commune's code for the product (T-X-STT-year), where its profile gives one.
    product_code: str | None
    #: The rule profile the dossier is evaluated under.
    profile_id: str
    producer: str
    commune: str
    state: DossierState
    state_vi: str
    next_deadline: str | None
    next_due_at: datetime | None


class SupportLine(_Row):
    """Support awarded by one certification."""

    dossier_id: UUID
    product: str
    product_code: str | None
    profile_id: str
    producer: str
    basis: str
    basis_vi: str
    stars: int
    amount: Decimal


class RequestStatus(_Row):
    """A Biểu 2 request and where it stands."""

    tt: str
    producer: str
    product: str
    trademark: bool
    packaging_stamps: bool
    status: Literal["no_dossier", "not_imported", "awaiting", "eligible", "not_eligible"]
    status_vi: str
    stars: int | None
    #: What the request can draw under the policy: trademark amount plus the packaging cap.
    entitled_up_to: Decimal


_STATUS_VI = {
    "no_dossier": "Không có trong Biểu 1: chưa đăng ký đánh giá",
    "not_imported": "Chưa nhập kế hoạch",
    "awaiting": "Chờ kết quả đánh giá, phân hạng",
    "eligible": "Đủ điều kiện hỗ trợ",
    "not_eligible": "Không đủ điều kiện: sản phẩm không được công nhận",
}


class PlanProgress(_Row):
    """The whole report."""

    plan_vi: str
    year: int
    #: The issuing district's code; None for a province's plan.
    district_code: str | None
    #: The issuing unit: a district's or a province's code.
    unit_code: str
    unit_name: str
    as_of: datetime
    targets: tuple[TargetProgress, ...]
    rounds: tuple[RoundProgress, ...]
    communes: tuple[CommuneProgress, ...]
    groups: tuple[GroupProgress, ...]
    open_dossiers: tuple[OpenDossier, ...]
    support: tuple[SupportLine, ...]
    support_total: Decimal
    support_by_basis: dict[str, Decimal]
    requests: tuple[RequestStatus, ...]


def _recognized_in(d: Dossier, year: int) -> bool:
    """Certified by a decision of ``year`` (whatever happened to the certificate since)."""
    return (
        d.kind is not DossierKind.IMPORTED
        and d.certified_on is not None
        and d.certified_on.year == year
        and (d.certified_stars or 0) >= 3
    )


def _counts(target: PlanTarget, ds: list[Dossier], year: int, names: dict[str, str]) -> int:
    hits = [
        d
        for d in ds
        if _recognized_in(d, year)
        and d.kind in target.kinds
        and (d.certified_stars or 0) >= target.min_stars
        and (not target.communes or names.get(d.commune_code or "") in target.communes)
    ]
    if target.measure == "communes":
        return len({d.commune_code for d in hits})
    return len(hits)


def _plan_dossier(entry: PlanEntry, by_product: dict[UUID, list[Dossier]]) -> Dossier | None:
    pid = product_id(producer_id(entry.producer, entry.commune_code), entry.product)
    found = [d for d in by_product.get(pid, []) if d.kind is not DossierKind.IMPORTED]
    return max(found, key=lambda d: d.registered_at) if found else None


def plan_progress(engine: Engine, plan: Plan | None = None) -> PlanProgress:
    """The report for a plan (the shipped Lạng Giang 2024 plan by default) as the store
    stands now."""
    plan = plan or lang_giang_2024_plan()
    entries, requests, year = plan.entries, plan.support, plan.year
    names = {c.code: c.name for c in plan.communes}
    communes = names
    today = engine.clock.now().date()
    now_named = {
        code: _named_today(engine, code, name, today, plan.dated) for code, name in names.items()
    }
    province = plan.province_code
    # A code reused by the 2025 reform ("24") names the new province only from its first day.
    record = engine.rules.units.unit(plan.unit_code, on=plan.dated)
    since = (
        datetime.combine(record.valid_from, datetime.min.time(), tzinfo=VN_TZ)
        if record is not None and record.valid_from is not None
        else None
    )
    # Seam: the Engine will expose its ReportQueries as an attribute; built here until then.
    records = ReportQueries(engine.sa_engine).unit_records(
        plan.unit_code, year, _EVENT_TYPES, level=plan.unit_level, registered_since=since
    )
    ds, evs, rs, pending = records.dossiers, records.events, records.rounds, records.pending
    live = [d for d in ds if d.kind is not DossierKind.IMPORTED]
    by_product: dict[UUID, list[Dossier]] = defaultdict(list)
    for d in ds:
        by_product[d.product_id].append(d)

    target_rows = []
    for t in plan.targets:
        goal = len(communes) if t.target == "every" else t.target
        actual = _counts(t, live, year, names)
        target_rows.append(
            TargetProgress(
                id=t.id,
                label_vi=t.label_vi,
                label_en=t.label_en,
                target=goal,
                actual=actual,
                met=actual >= goal,
            )
        )

    assigned: dict[UUID, set[UUID]] = defaultdict(set)
    carried: Counter[UUID] = Counter()
    forwarded: set[UUID] = set()
    support: list[tuple[UUID, dict[str, object], datetime]] = []
    for dossier_id, type_, payload, occurred in evs:
        if type_ == "round_assigned":
            assigned[UUID(payload["round_id"])].add(dossier_id)
            if payload.get("carried_from"):
                carried[UUID(payload["carried_from"])] += 1
        elif type_ == "forwarded":
            forwarded.add(dossier_id)
        else:
            support.append((dossier_id, payload, occurred))
    round_rows = tuple(
        RoundProgress(
            number=r.number,
            name=r.name,
            council_meeting_on=r.council_meeting_on,
            scoring_deadline=r.scoring_deadline,
            planned=sum(1 for e in entries if e.round == f"{r.council_meeting_on:%Y-%m}"),
            assigned=len(assigned[r.id]),
            carried_out=carried[r.id],
            certified=sum(1 for d in live if d.round_id == r.id and _recognized_in(d, year)),
            forwarded=sum(1 for d in live if d.round_id == r.id and d.id in forwarded),
            not_recognized=sum(
                1 for d in live if d.round_id == r.id and d.state is S.NOT_RECOGNIZED
            ),
        )
        for r in rs
    )

    commune_rows = []
    for code, name in sorted(communes.items(), key=lambda kv: kv[1]):
        mine = [d for d in live if d.commune_code == code]
        won = [d for d in mine if _recognized_in(d, year)]
        commune_rows.append(
            CommuneProgress(
                commune=name,
                commune_code=code,
                commune_now=now_named[code],
                planned=sum(1 for e in entries if e.commune_code == code),
                registered=len(mine),
                recognized=len(won),
                new_recognized=sum(1 for d in won if d.kind is DossierKind.NEW),
                best_stars=max((d.certified_stars or 0 for d in won), default=None),
            )
        )

    group_rows = []
    for g in engine.rules.catalogue.groups:
        planned = sum(1 for e in entries if e.product_group == g.code)
        won = [d for d in live if d.product_group == g.code and _recognized_in(d, year)]
        if planned or won:
            group_rows.append(
                GroupProgress(
                    group=g.code,
                    name_vi=g.name_vi,
                    planned=planned,
                    recognized=len(won),
                    by_stars=dict(sorted(Counter(d.certified_stars or 0 for d in won).items())),
                )
            )

    next_due: dict[UUID, tuple[str, datetime]] = {}
    for dossier_id, kind, due_at in pending:
        next_due.setdefault(dossier_id, (kind, due_at))
    open_rows = tuple(
        OpenDossier(
            dossier_id=d.id,
            product=d.product_name,
            product_code=d.product_code,
            profile_id=d.profile_id,
            producer=d.producer_name,
            commune=now_named.get(d.commune_code or "", d.commune_code or ""),
            state=d.state,
            state_vi=d.state.label_vi,
            next_deadline=next_due[d.id][0] if d.id in next_due else None,
            next_due_at=next_due[d.id][1] if d.id in next_due else None,
        )
        for d in live
        if d.state not in TERMINAL_STATES and d.certified_on is None
    )

    by_id = {d.id: d for d in ds}
    support_rows = tuple(
        SupportLine(
            dossier_id=dossier_id,
            product=by_id[dossier_id].product_name,
            product_code=by_id[dossier_id].product_code,
            profile_id=by_id[dossier_id].profile_id,
            producer=by_id[dossier_id].producer_name,
            basis=str(p["basis"]),
            basis_vi=BASIS_LABELS_VI[str(p["basis"])],
            stars=int(str(p["stars"])),
            amount=Decimal(str(p["amount"])),
        )
        for dossier_id, p, occurred in support
        if occurred.year == year
    )
    by_basis: dict[str, Decimal] = defaultdict(Decimal)
    for line in support_rows:
        by_basis[line.basis] += line.amount

    refs = {e.ref: e for e in entries}
    request_rows = []
    for req in requests:
        entry = refs.get(req.plan_ref)
        found = _plan_dossier(entry, by_product) if entry is not None else None
        stars = found.certified_stars if found is not None and _recognized_in(found, year) else None
        status: Literal["no_dossier", "not_imported", "awaiting", "eligible", "not_eligible"]
        if entry is None:
            status = "no_dossier"
        elif found is None:
            status = "not_imported"
        elif stars is not None:
            status = "eligible"
        elif found.state in _REFUSED:
            status = "not_eligible"
        else:
            status = "awaiting"
        entitled = Decimal(0)
        policy = engine.rules.support_policy(province, date(year, 12, 31))
        if stars is not None and policy is not None:
            if req.trademark:
                entitled += policy.trademark_registration
            if req.packaging_stamps:
                entitled += policy.packaging_cap.get(stars, Decimal(0))
        request_rows.append(
            RequestStatus(
                tt=req.tt,
                producer=req.producer,
                product=req.product,
                trademark=req.trademark,
                packaging_stamps=req.packaging_stamps,
                status=status,
                status_vi=_STATUS_VI[status],
                stars=stars,
                entitled_up_to=entitled,
            )
        )

    return PlanProgress(
        plan_vi=plan.plan_vi,
        year=year,
        district_code=plan.district_code,
        unit_code=plan.unit_code,
        unit_name=plan.unit_name,
        as_of=engine.clock.now(),
        targets=tuple(target_rows),
        rounds=round_rows,
        communes=tuple(commune_rows),
        groups=tuple(group_rows),
        open_dossiers=open_rows,
        support=support_rows,
        support_total=sum((line.amount for line in support_rows), Decimal(0)),
        support_by_basis=dict(sorted(by_basis.items())),
        requests=tuple(request_rows),
    )


def _named_today(engine: Engine, code: str, name: str, today: date, dated: date) -> str:
    """A plan's commune, with the unit that carries it today after the 2025 reform: "xã Xương
    Lâm (nay xã Lạng Giang)"."""
    if today < REFORM_DATE or dated >= REFORM_DATE:
        return name
    units = engine.rules.units
    now = units.successor_on(code, today, recorded_on=REFORM_DATE - timedelta(days=1))
    if not now or (len(now) == 1 and now[0].full_name.casefold() == name.casefold()):
        return name
    return f"{name} (nay {', '.join(u.full_name[0].lower() + u.full_name[1:] for u in now)})"
