"""A corrected plan imported over the stored one.

Offices send the plan again when they correct it, typed anew: a producer once "HTX Chè Suối
Bau" may come back "Hợp tác xã chè Suối Bau". A row of the new plan that is a stored row --
the same section, commune, producer (its legal form spelled either way, case, spacing and
diacritics aside: :func:`ocop_cycle.plan.build.producer_key`) and product (case, spacing and
diacritics aside) -- takes the stored row's spelling, which is its dossier's, so that the
import registers nothing twice; a notice says so.

A stored row whose dossier exists and that the new plan no longer has -- left out, or marked
withdrawn ("rút", "không tham gia", struck through: :class:`ocop_cycle.plan.rows.Withdrawn`) --
is reported with its dossier and the dossier's state. The importer does not withdraw it: a
withdrawal is the producer's request, recorded by the commune through the dossier's workflow
(``Engine.withdraw``) with its date and reason, which a plan's table does not give; the dossier
stays as it is until then, and the report says so. A stored row changed since its dossier was
registered (its round, address, group, …) is refused: the dossier is the record now.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from uuid import UUID

from ocop_cycle.plan.build import producer_key
from ocop_cycle.plan.entries import PlanEntry
from ocop_cycle.plan.grid import LayoutProblem
from ocop_cycle.plan.model import Plan
from ocop_cycle.plan.places import fold
from ocop_cycle.plan.rows import Withdrawn

__all__ = ["LeftDossier", "align", "changed_rows", "left_dossiers", "row_key"]


def row_key(section: str, producer: str, product: str) -> tuple[str, str, str]:
    """What a row is across imports, spelling aside: its section, producer, product."""
    return section, producer_key(producer), " ".join(fold(product).split())


def _key(e: PlanEntry) -> tuple[str, tuple[str, str, str]]:
    return e.commune_code, row_key(e.section, e.producer, e.product)


def align(plan: Plan, stored: Plan | None) -> tuple[Plan, list[tuple[str, str]]]:
    """``plan`` with each row that is a stored row spelled otherwise taking the stored
    spelling, and a notice for each, by the row's reference as read."""
    if stored is None:
        return plan, []
    before = {_key(e): e for e in stored.entries}
    entries: list[PlanEntry] = []
    notices: list[tuple[str, str]] = []
    for e in plan.entries:
        old = before.get(_key(e))
        if old is None or (old.producer, old.product) == (e.producer, e.product):
            entries.append(e)
            continue
        entries.append(e.model_copy(update={"producer": old.producer, "product": old.product}))
        notices.append(
            (
                e.ref,
                f"{e.producer} — {e.product}: là {old.producer} — {old.product} đã nhập, giữ "
                "tên đã đăng ký (the row imported before, spelled otherwise: its registered "
                "name kept)",
            )
        )
    return plan.model_copy(update={"entries": tuple(entries)}), notices


#: What a row's commands carry: changing one after its dossier exists would reuse its key.
_WRITTEN_FIELDS = (
    "producer_kind",
    "address",
    "product_group",
    "product_set",
    "round",
    "commune_code",
    "district_code",
)


def changed_rows(
    stored: Plan | None, ready: list[PlanEntry], written: Callable[[PlanEntry], bool]
) -> list[LayoutProblem]:
    """Rows whose dossier the stored plan already wrote (``written``), changed since: refused
    (the dossier is the record now), before anything is written."""
    if stored is None:
        return []
    before = {(e.section, e.producer, e.product): e for e in stored.entries}
    problems = []
    for e in ready:
        old = before.get((e.section, e.producer, e.product))
        if old is None or not written(e):
            continue
        changes = [
            f"{name} {getattr(old, name)!s} → {getattr(e, name)!s}"
            for name in _WRITTEN_FIELDS
            if getattr(old, name) != getattr(e, name)
        ]
        if changes:
            problems.append(
                LayoutProblem(
                    0,
                    f"{e.producer} — {e.product}: changed since its dossier was registered "
                    f"({'; '.join(changes)}); change the dossier, not the plan",
                )
            )
    return problems


@dataclass(frozen=True, slots=True)
class LeftDossier:
    """A dossier registered from an earlier import of the plan whose row this plan no longer
    has: left out, or marked withdrawn (its line and how)."""

    entry: PlanEntry
    dossier_id: UUID
    #: The dossier's state now (``DossierState`` value).
    state: str
    #: Where and how the new plan marks the row withdrawn; 0 and "" when it left the row out.
    line: int = 0
    withdrawn: str = ""

    def __str__(self) -> str:
        said = f"marked withdrawn ({self.withdrawn})" if self.withdrawn else "no longer in the plan"
        return (
            f"{self.entry.producer} — {self.entry.product}: {said}; its dossier {self.dossier_id} "
            f"({self.state}) stays as it is -- a withdrawal is recorded on the dossier, not by "
            "the plan (hồ sơ vẫn giữ nguyên: rút hồ sơ phải ghi nhận trên hồ sơ)"
        )


def left_dossiers(
    stored: Plan | None,
    plan: Plan,
    dossiers: Mapping[PlanEntry, UUID],
    state_of: Callable[[UUID], str],
    withdrawn: Sequence[Withdrawn] = (),
) -> list[LeftDossier]:
    """The stored rows with a dossier (``dossiers``) that ``plan`` no longer has, each with
    how the new table marks it withdrawn, if it does."""
    if stored is None:
        return []
    kept = {_key(e) for e in plan.entries}
    marked = {row_key(w.section, w.producer, w.product): w for w in withdrawn}
    left = []
    for e in stored.entries:
        if _key(e) in kept or e not in dossiers:
            continue
        mark = marked.get(row_key(e.section, e.producer, e.product))
        left.append(
            LeftDossier(
                e,
                dossiers[e],
                state_of(dossiers[e]),
                mark.line if mark is not None else 0,
                mark.why if mark is not None else "",
            )
        )
    return left
