"""The rule book: every profile, the product catalogue and every sheet, loaded and validated.

Data lives in ``ocop_cycle/rules/data`` (JSON, UTF-8). A host can load its own folder with the
same layout (official sheets from its province, a changed duration) via ``RuleBook.load(path)``.
``catalogue.json`` serves every profile that has no ``catalogues/<profile id>.json`` of its own.
Nothing is read until someone asks: ``default_rule_book()`` loads once, on first use.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import TypeVar

from pydantic import ValidationError

from ocop_cycle.errors import ProfileNotFound, RuleDataInvalid, SheetNotFound
from ocop_cycle.rules.catalogue import Catalogue
from ocop_cycle.rules.profiles import RuleProfile
from ocop_cycle.rules.sheets import ScoringSheet
from ocop_cycle.rules.support import SupportPolicy
from ocop_cycle.rules.units import REFORM_DATE, UnitRegistry, default_unit_registry

__all__ = ["RuleBook", "default_rule_book"]

_M = TypeVar("_M", RuleProfile, Catalogue, ScoringSheet, SupportPolicy)


def _read(node: Traversable) -> object:
    try:
        return json.loads(node.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RuleDataInvalid(str(node), [f"not UTF-8 JSON: {exc}"]) from exc


def _problems(exc: ValidationError) -> list[str]:
    return [f"{'.'.join(str(p) for p in e['loc']) or '(root)'}: {e['msg']}" for e in exc.errors()]


class RuleBook:
    """Profiles by id, the catalogue, sheets by (profile, product set), support policies."""

    def __init__(
        self,
        profiles: Iterable[RuleProfile],
        catalogue: Catalogue,
        sheets: Iterable[ScoringSheet],
        support: Iterable[SupportPolicy] = (),
        units: UnitRegistry | None = None,
        catalogues: Mapping[str, Catalogue] | None = None,
    ) -> None:
        self.profiles = {p.id: p for p in profiles}
        self._units = units
        # [open] which provinces pay support, and how much, is policy data: a book without any
        # policy certifies without awarding support.
        self.support = tuple(support)
        self.catalogue = catalogue
        #: Profile id -> its own catalogue; a profile not in here uses ``catalogue``.
        self.catalogues = dict(catalogues or {})
        self.sheets = {(s.profile, s.product_set): s for s in sheets}
        problems = [
            f"catalogue {p}: unknown profile" for p in self.catalogues if p not in self.profiles
        ]
        for key, sheet in self.sheets.items():
            profile = self.profiles.get(sheet.profile)
            if profile is None:
                problems.append(f"sheet {key}: unknown profile")
                continue
            if self.catalogue_for(sheet.profile).group_of(sheet.product_set) is None:
                problems.append(f"sheet {key}: product set not in the catalogue")
            problems.extend(
                f"sheet {key}: {p}" for p in sheet.problems_against(profile.part_maxima)
            )
        if problems:
            raise RuleDataInvalid("rule book", problems)

    @classmethod
    def load(cls, root: Traversable | Path | str | None = None) -> RuleBook:
        """Load and validate a data folder (the shipped one by default)."""
        base: Traversable = resources.files("ocop_cycle.rules") / "data"
        if root is not None:
            base = root if not isinstance(root, str) else Path(root)
        profiles = [
            cls._parse(RuleProfile, node)
            for node in sorted((base / "profiles").iterdir(), key=lambda n: n.name)
            if node.name.endswith(".json")
        ]
        catalogue = cls._parse(Catalogue, base / "catalogue.json")
        catalogues_dir = base / "catalogues"
        catalogues = (
            {
                node.name[:-5]: cls._parse(Catalogue, node)
                for node in sorted(catalogues_dir.iterdir(), key=lambda n: n.name)
                if node.name.endswith(".json")
            }
            if catalogues_dir.is_dir()
            else {}
        )
        sheets = []
        for folder in sorted((base / "sheets").iterdir(), key=lambda n: n.name):
            if folder.is_dir():
                for node in sorted(folder.iterdir(), key=lambda n: n.name):
                    if node.name.endswith(".json"):
                        sheet = cls._parse(ScoringSheet, node)
                        if (sheet.profile, sheet.product_set) != (folder.name, node.name[:-5]):
                            raise RuleDataInvalid(str(node), ["file name does not match content"])
                        sheets.append(sheet)
        support_dir = base / "support"
        support = (
            [
                cls._parse(SupportPolicy, node)
                for node in sorted(support_dir.iterdir(), key=lambda n: n.name)
                if node.name.endswith(".json")
            ]
            if support_dir.is_dir()
            else []
        )
        return cls(profiles, catalogue, sheets, support, catalogues=catalogues)

    @staticmethod
    def _parse(model: type[_M], node: Traversable) -> _M:
        try:
            return model.model_validate(_read(node))
        except ValidationError as exc:
            raise RuleDataInvalid(str(node), _problems(exc)) from exc

    def with_profiles(self, profiles: Iterable[RuleProfile]) -> RuleBook:
        """This book with some profiles replaced (same ids) or added: how a host sets an [open]
        setting, e.g. ``book.with_profiles([p.model_copy(update={...})])``."""
        merged = {**self.profiles, **{p.id: p for p in profiles}}
        return RuleBook(
            merged.values(),
            self.catalogue,
            self.sheets.values(),
            self.support,
            self._units,
            self.catalogues,
        )

    @property
    def units(self) -> UnitRegistry:
        """The administrative units (the shipped ones unless the book was given others)."""
        if self._units is None:
            self._units = default_unit_registry()  # loaded on first use: ~0.15 s
        return self._units

    def profile(self, profile_id: str) -> RuleProfile:
        """The profile with this id."""
        try:
            return self.profiles[profile_id]
        except KeyError:
            raise ProfileNotFound(repr(profile_id)) from None

    def profile_in_force(self, day: date) -> RuleProfile:
        """The profile governing dossiers registered on ``day``."""
        for profile in self.profiles.values():
            if profile.in_force_on(day):
                return profile
        raise ProfileNotFound(f"in force on {day.isoformat()}")

    def succeeding(self, profile_id: str) -> RuleProfile | None:
        """The profile whose transition rules bind dossiers filed under ``profile_id``, if any
        (Decision 26/2026, Art. 12.2)."""
        for profile in self.profiles.values():
            if profile.transition is not None and profile_id in profile.transition.from_profiles:
                return profile
        return None

    def window_profile(self, expires: date) -> RuleProfile | None:
        """The profile under which a certificate expiring on ``expires`` is re-evaluated, when
        it sets a filing window (the profile in force on the window's last day)."""
        for profile in self.profiles.values():
            window = profile.durations.reevaluation_window_days
            if window is not None and profile.in_force_on(expires - timedelta(days=window[1])):
                return profile
        return None

    def support_policy(
        self,
        province_code: str,
        decision_date: date,
        *,
        commune_code: str | None = None,
        recorded_on: date | None = None,
    ) -> SupportPolicy | None:
        """The support policy covering a decision on a day, if any.

        A policy keeps the territory it was made for: with the dossier's commune (as recorded on
        ``recorded_on``), that commune's land must have lain in the policy's province when the
        policy began — Bắc Giang's Resolution 67/2023 covers xã Lạng Giang (formerly Bắc
        Giang's) after 2025, not the former Bắc Ninh's communes that "24" also names since.
        """
        for policy in self.support:
            if not policy.covers(province_code, decision_date):
                continue
            if commune_code is None or self._in_territory(policy, commune_code, recorded_on):
                return policy
        return None

    def _in_territory(self, policy: SupportPolicy, commune: str, recorded_on: date | None) -> bool:
        units = self.units
        on = recorded_on or policy.decisions_from
        if units.unit(commune, on=on) is None:
            return False
        if units.unit(policy.province_code, on=on) is not None and on < REFORM_DATE:
            return units.contains(policy.province_code, commune, on=on)
        # A commune of the new map: its land was the old communes it took over; the policy's
        # province is read as it was then (the day before the reform).
        before = REFORM_DATE - timedelta(days=1)
        return any(
            units.contains(policy.province_code, old.code, on=before)
            for old in units.predecessors(commune, on=on)
            if old.valid_on(before)
        )

    def catalogue_for(self, profile_id: str) -> Catalogue:
        """The catalogue of product sets under a profile (its own, else the shared one)."""
        return self.catalogues.get(profile_id, self.catalogue)

    def sheet(self, profile_id: str, product_set: str) -> ScoringSheet:
        """The sheet for a profile and product set: the set's own, else the sheet of the set
        that replaces it in the profile's catalogue (an older set filed under newer rules)."""
        sheet = self.sheets.get((profile_id, product_set))
        if sheet is None:
            resolved = self.catalogue_for(profile_id).resolve(product_set)
            sheet = self.sheets.get((profile_id, resolved or product_set))
        if sheet is None:
            raise SheetNotFound(profile_id, product_set)
        return sheet


@cache
def default_rule_book() -> RuleBook:
    """The shipped rule book, loaded on first call and shared afterwards."""
    return RuleBook.load()
