"""``import-plan``: a plan's Biểu 1 (a CSV or an .xlsx workbook) into a stored plan and dossiers,
all rows or none.

The file is read and checked by :mod:`ocop_cycle.plan.reading` (``read_plan``, re-exported
here): every row is validated first and every problem of every row is reported with its line;
only a clean file is written. The plan is stored whole (one document per year and unit) and
each dossier command carries an idempotency key derived from its row, so importing the same
file again writes nothing — and says so. Plan rows become: new → a registered dossier;
re-evaluation → the earlier certificate imported as history under the profile then in force,
and a re-evaluation dossier linked to it; upgrade → the same with an upgrade dossier. A row
whose producer form, product group or set the plan does not give is kept in the plan and
listed as to be completed before scoring; its dossier waits for it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any, Literal
from uuid import UUID

from ocop_cycle._storage.plans import PlanStore
from ocop_cycle.clock import VN_TZ, to_vn
from ocop_cycle.errors import OcopCycleError, ProfileNotFound, StorageError
from ocop_cycle.plan.entries import PlanEntry
from ocop_cycle.plan.grid import LayoutProblem
from ocop_cycle.plan.model import Plan, shipped_plan_with
from ocop_cycle.plan.reading import PlanProblem, PlanRead, read_plan, read_plan_csv
from ocop_cycle.plan.reimport import LeftDossier, align, changed_rows, left_dossiers
from ocop_cycle.plan.rows import Withdrawn
from ocop_cycle.rules.authority import Actor, Level, Role
from ocop_cycle.rules.book import RuleBook
from ocop_cycle.rules.profiles import RuleProfile

if TYPE_CHECKING:
    from ocop_cycle.engine import Engine

__all__ = [
    "ImportSettings",
    "PlanProblem",
    "PlanRead",
    "PlanReport",
    "import_plan",
    "read_plan",
    "read_plan_csv",
]


@dataclass(frozen=True, slots=True)
class ImportSettings:
    """[open] Dates the plan does not give, as settings (None: derived from the plan's year)."""

    #: When the plan's dossiers count as registered (pins them to the profile then in force);
    #: by default 1 March of the plan's year, or today (``registration_day``).
    registered_on: date | None = None
    #: The decision date assumed for certificates being re-evaluated (the plan says "2021"):
    #: by default 30 June, three years before the plan.
    reevaluated_certificates_on: date | None = None
    #: The decision date assumed for the certificate an upgrade starts from: by default
    #: 30 June, two years before the plan.
    upgraded_certificates_on: date | None = None

    def certificate_dates(self, year: int) -> tuple[date, date]:
        """(re-evaluated certificates, upgraded certificates): the decision dates assumed for a
        plan of ``year``."""
        return (
            self.reevaluated_certificates_on or date(year - 3, 6, 30),
            self.upgraded_certificates_on or date(year - 2, 6, 30),
        )

    def registration_day(self, year: int, today: date, rules: RuleBook) -> date:
        """When a plan of ``year`` imported ``today`` registers its dossiers: ``registered_on``;
        else 1 March of the year -- or today, for this year's plan or a later one, when that
        day is still to come or its rules no longer register dossiers (Decision 26/2026,
        Art. 11.2: a dossier entered after its rules ceased is not registered under them).
        An earlier year's plan keeps 1 March: registered today, its dossiers would be this
        year's, so the date is the office's to give."""
        if self.registered_on is not None:
            return self.registered_on
        day = date(year, 3, 1)
        if year >= today.year and (day > today or ceased(rules, day, today)):
            return today
        return day


def ceased(rules: RuleBook, registered_on: date, today: date) -> RuleProfile | None:
    """The profile a dossier registered on ``registered_on`` falls under, when it no longer
    registers dossiers ``today``; else None."""
    try:
        profile = rules.profile_in_force(registered_on)
    except ProfileNotFound:
        return None
    last = profile.rules_cease_after
    return profile if last is not None and today > last else None


@dataclass
class PlanReport:
    """What an import did (or, with problems, why it did nothing)."""

    problems: list[LayoutProblem] = field(default_factory=list)
    registered: int = 0
    histories: int = 0
    #: The dossier each plan row became, by ``PlanEntry.ref`` (the same on a re-import).
    dossiers: dict[str, UUID] = field(default_factory=dict)
    #: The plan document: "created", "unchanged" (the same plan was there) or "replaced".
    plan: Literal["created", "unchanged", "replaced"] = "unchanged"
    #: Commands not yet recorded when this import began (0 on a re-import of the same plan).
    written: int = 0
    #: Rows kept in the plan without a dossier, and what they lack (Vietnamese labels).
    to_complete: list[tuple[PlanEntry, tuple[str, ...]]] = field(default_factory=list)
    #: (line, text): rows that are stored rows spelled otherwise, given the stored spelling.
    renamed: list[tuple[int, str]] = field(default_factory=list)
    #: Dossiers of the stored plan's rows that this plan no longer has (left untouched).
    left: list[LeftDossier] = field(default_factory=list)

    @property
    def nothing_new(self) -> bool:
        """The store already held all of it: the plan and every dossier."""
        return self.plan == "unchanged" and self.written == 0


def _at(day: date) -> datetime:
    return datetime.combine(day, time(9, 0), tzinfo=VN_TZ)


def _issuing_body(engine: Engine, level: str, plan: Plan, entry: PlanEntry, on: date) -> str:
    """The People's Committee that issued an earlier certificate at ``level``, as named then."""
    code = plan.province_code if level == "province" else entry.district_code
    unit = engine.rules.units.unit(code, on=on) if code else None
    # A province's plan after the reform names no district: the tier is all that is known.
    return f"UBND {unit.full_name.lower()}" if unit is not None else f"UBND {Level(level).label_vi}"


def import_plan(
    engine: Engine,
    plan: Plan | list[PlanEntry],
    settings: ImportSettings | None = None,
    progress: Callable[[int, int], None] | None = None,
    lines: Mapping[str, int] | None = None,
    withdrawn: Sequence[Withdrawn] = (),
) -> PlanReport:
    """Write a validated plan's dossiers, then store the plan, in one transaction: all rows or
    none. Idempotent: each command's key comes from its row and the plan is stored once per
    digest; the report says what was new. A row changed since its dossier was registered, or
    one the engine refuses (a product that already has a dossier in evaluation, an actor or a
    place the rules refuse), is reported in the report's problems, naming the row, with nothing
    written. A list of entries is the shipped Lạng Giang plan's rows.
    ``progress(done, total)``, if given, is told before each row is written and at the end;
    ``lines`` (``PlanRead.lines``) gives a refused row's line in the file.

    Over a stored plan (:mod:`ocop_cycle.plan.reimport`): a row that is a stored row spelled
    otherwise ("Hợp tác xã" for "HTX") keeps the stored spelling, said in ``renamed``; a stored
    row's dossier that the plan no longer has (left out, or marked withdrawn: ``withdrawn``,
    ``PlanRead.withdrawn``) is listed in ``left``, the dossier untouched."""
    if not isinstance(plan, Plan):
        plan = shipped_plan_with(plan)
    settings = settings or ImportSettings()
    report = PlanReport()
    ready = [e for e in plan.entries if not e.missing]
    report.to_complete = [(e, e.missing) for e in plan.entries if e.missing]
    today = to_vn(engine.clock.now()).date()
    day = settings.registration_day(plan.year, today, engine.rules)
    gone = ceased(engine.rules, day, today)
    if gone is not None and ready:  # every row would be refused alike: say it once
        report.problems = [
            LayoutProblem(
                0,
                f"registered on {day:%d/%m/%Y}, the plan's dossiers would fall under "
                f"{gone.decision}, which registers none after "
                f"{gone.rules_cease_after:%d/%m/%Y} (Decision 26/2026, Art. 11.2): give the "
                "day they are registered (--registered-on)",
            )
        ]
        return report
    try:
        with engine.unit_of_work() as unit:
            store = PlanStore(unit.connection if unit.connection is not None else unit.sa_engine)
            found = store.get(plan.year, plan.unit_code)
            stored = Plan.model_validate(found.document) if found is not None else None
            as_read = plan
            plan, renamed = align(plan, stored)
            # A row's line by its reference as read (a renamed product may rename it).
            line_of = {
                new.ref: (lines or {}).get(old.ref, 0)
                for old, new in zip(as_read.entries, plan.entries, strict=True)
            }
            report.renamed = [((lines or {}).get(ref, 0), text) for ref, text in renamed]
            ready = [e for e in plan.entries if not e.missing]
            report.to_complete = [(e, e.missing) for e in plan.entries if e.missing]
            keys = {e.ref: _row_key(plan, e) for e in ready}
            done = store.recorded_keys(
                [*keys.values(), *(f"{k}:certificate" for k in keys.values())]
            )
            report.problems = changed_rows(stored, ready, lambda e: keys[e.ref] in done)
            if report.problems:
                return report
            if stored is not None:
                before = {e: _row_key(plan, e) for e in stored.entries}
                registered = store.recorded_keys(before.values())
                dossiers = {e: registered[k] for e, k in before.items() if k in registered}
                report.left = left_dossiers(
                    stored, plan, dossiers, lambda d: unit.get(d).state.value, withdrawn
                )
            refused: list[LayoutProblem] = []
            for done_rows, e in enumerate(ready):
                if progress is not None:
                    progress(done_rows, len(ready))
                try:
                    _write_row(unit, plan, e, keys[e.ref], done, settings, report)
                except StorageError:
                    raise  # not the row's fault: the database's (the caller reports it)
                except OcopCycleError as exc:
                    # The refused command wrote nothing (a savepoint of its own): go on, so that
                    # every refused row is reported, then roll the whole import back.
                    text = f"{e.producer} — {e.product}: refused: {exc}"
                    refused.append(LayoutProblem(line_of.get(e.ref, 0), text))
            if refused:
                raise _RowsRefused(refused)
            if progress is not None:
                progress(len(ready), len(ready))
            # Stored last: a stored plan's dossiers are all written.
            report.plan = store.save(
                plan.year,
                plan.unit_code,
                plan.digest,
                plan.model_dump(mode="json"),
                unit.clock.now(),
            )
    except _RowsRefused as refused:  # everything the import wrote was rolled back
        return PlanReport(problems=refused.problems, to_complete=report.to_complete)
    return report


def _row_key(plan: Plan, e: PlanEntry) -> str:
    """The idempotency key of a row's dossier (its earlier certificate's adds ":certificate")."""
    return f"{plan.key_prefix}:{e.section}:{e.producer}:{e.product}"


class _RowsRefused(Exception):
    """Rows the engine refused: the import's transaction rolls back."""

    def __init__(self, problems: list[LayoutProblem]) -> None:
        super().__init__(f"{len(problems)} row(s) refused")
        self.problems = problems


def _write_row(
    engine: Engine,
    plan: Plan,
    e: PlanEntry,
    key: str,
    done: Mapping[str, UUID],
    settings: ImportSettings,
    report: PlanReport,
) -> None:
    """One ready row's commands: a registration, or an earlier certificate and its
    re-evaluation or upgrade."""
    reevaluated_on, upgraded_on = settings.certificate_dates(plan.year)
    if key in done:
        # Written by an earlier import: the same command again (its key's), dated as then --
        # "today" may have moved since, and another date would be another command.
        registered_at = engine.get(done[key]).registered_at
    elif settings.registered_on is not None:
        registered_at = _at(settings.registered_on)  # as given: a future day is refused
    else:
        now = to_vn(engine.clock.now())
        registered_on = settings.registration_day(plan.year, now.date(), engine.rules)
        # 09:00 that day, or now when that is later today (a command is never dated ahead).
        registered_at = min(_at(registered_on), now)
    officer = Actor(role=Role.COMMUNE_OFFICER, jurisdiction=e.commune_code)
    assert e.producer_kind is not None  # ready rows have it
    common: dict[str, Any] = {
        "producer": {"name": e.producer, "kind": e.producer_kind.value, "address": e.address},
        "product": {"name": e.product, "group": e.product_group, "product_set": e.product_set},
        "commune_code": e.commune_code,
        "district_code": e.district_code or None,
        "province_code": plan.province_code,
    }
    note = f"Kế hoạch {plan.year}, đợt {e.round}"
    report.written += (key not in done) + (e.section != "new" and f"{key}:certificate" not in done)
    if e.section == "new":
        report.dossiers[e.ref] = engine.register(
            actor=officer,
            occurred_at=registered_at,
            idempotency_key=key,
            note=note,
            **common,
        ).id
        report.registered += 1
        return
    issued = upgraded_on if e.section == "upgrade" else reevaluated_on
    profile = engine.rules.profile_in_force(issued)
    level = next(t.level for t in profile.tiers if t.certifies_up_to >= 3)
    office_role = Role.PROVINCE_OFFICE if plan.unit_level == "province" else Role.DISTRICT_OFFICE
    office = Actor(role=office_role, jurisdiction=plan.unit_code)
    # The plan names the set the product is scored on now; the earlier certificate is
    # recorded under its own profile's catalogue (the set the current one took over).
    earlier_set = set_under(engine.rules, e.product_set, profile.id)
    old = engine.import_certificate(
        actor=office,
        profile_id=profile.id,
        stars=3,
        level=level.value,
        decision_number=f"lịch sử/{e.tt or '-'}/{issued.year}",
        decision_date=issued,
        issuing_body=_issuing_body(engine, level.value, plan, e, issued)
        if plan.key_prefix != "plan"
        else ("UBND tỉnh Bắc Giang" if level.value == "province" else "UBND huyện"),
        occurred_at=_at(issued),
        idempotency_key=f"{key}:certificate",
        **{**common, "product": {**common["product"], "product_set": earlier_set}},
    )
    report.histories += 1
    report.dossiers[e.ref] = engine.register_reevaluation(
        old.id,
        actor=officer,
        kind=e.section,
        occurred_at=registered_at,
        idempotency_key=key,
        note=note,
    ).id
    report.registered += 1


def set_under(rules: RuleBook, product_set: str, profile_id: str) -> str:
    """``product_set`` as the catalogue of ``profile_id`` knows it: itself when that catalogue
    has it (or a set replacing it), else the first older set it took over that the catalogue
    has; unchanged when there is none (the engine then refuses it, naming it)."""
    catalogue = rules.catalogue_for(profile_id)
    if catalogue.resolve(product_set) is not None:
        return product_set
    for other in {id(c): c for c in (rules.catalogue, *rules.catalogues.values())}.values():
        for group in other.groups:
            for candidate in group.sets:
                if candidate.code != product_set:
                    continue
                for older in candidate.replaces:
                    if catalogue.resolve(older) is not None:
                        return older
    return product_set
