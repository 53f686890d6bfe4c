"""Finding a plan row's commune from its address, through the administrative units on the plan's
date and within the unit that issued the plan.

Offices write places as people say them: "X. Hương Sơn", "TT Kép", "thị trấn Vôi", "Xã Nghĩa
Hoà" (old tone placement) or "Nghĩa Hòa", in decomposed Unicode, sometimes under the commune's
name before (or after) the 2025 merger. A name is matched at three levels, stopping at the first
that gives one answer: as written (NFC, case folded), without tone marks ("Hoà" = "Hòa"), without
any diacritics. A name that matches several communes is never guessed.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import TypeVar

from ocop_cycle.rules.units import AdminUnit, UnitLevel, UnitRegistry, UnitType
from ocop_cycle.text import nfc

__all__ = ["CommuneFinder", "Place", "fold", "toneless"]

#: The five Vietnamese tone marks (grave, acute, tilde, hook above, dot below).
_TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}

#: How an address part may announce a commune-level unit: the written forms, and the kind.
_PREFIXES: tuple[tuple[str, UnitType], ...] = (
    ("thị trấn", UnitType.TOWNSHIP),
    ("tt.", UnitType.TOWNSHIP),
    ("tt", UnitType.TOWNSHIP),
    ("đặc khu", UnitType.SPECIAL_ZONE),
    ("phường", UnitType.WARD),
    ("p.", UnitType.WARD),
    ("xã", UnitType.COMMUNE),
    ("x.", UnitType.COMMUNE),
)
_T = TypeVar("_T")
_SPLIT = re.compile(r"\s*(?:,|;|\s[-–]\s)\s*")


def _words(text: str) -> str:
    return nfc(text).casefold()


def toneless(text: str) -> str:
    """``text`` case-folded without tone marks, other diacritics kept ("Hoà", "Hòa" → "hoa")."""
    decomposed = unicodedata.normalize("NFD", _words(text))
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _TONES))


def fold(text: str) -> str:
    """``text`` case-folded without any diacritics ("Thị trấn" → "thi tran", "Đ" → "d")."""
    decomposed = unicodedata.normalize("NFD", _words(text).replace("đ", "d"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _prefixed(part: str) -> tuple[UnitType | None, str]:
    """The kind an address part announces and the name after it: "TT. Kép" → township, "Kép"."""
    low = _words(part)
    for written, kind in _PREFIXES:
        for form in (written, fold(written)):
            if low.startswith(form) or fold(low).startswith(form):
                rest = part.strip()[len(form) :]
                dotted = form.endswith(".")
                # "tt" and "xa" need a break after them: "Ttân" or "Xanh" are names, not prefixes.
                if dotted or not rest or rest[0].isspace():
                    name = rest.strip(" .")
                    if name:
                        return kind, name
    return None, part.strip()


@dataclass(frozen=True, slots=True)
class Place:
    """A commune found for a row, and how (a note when it took an old or new name)."""

    unit: AdminUnit
    note: str = ""


_LEVELS: tuple[Callable[[str], str], ...] = (_words, toneless, fold)


class CommuneFinder:
    """The communes of one issuing unit on one date, indexed by name at three strictness levels.

    ``resolve`` returns the commune an address names, or a message saying why none (or several).
    """

    def __init__(self, units: UnitRegistry, unit: AdminUnit, on: date) -> None:
        self._units = units
        self.unit = unit
        self.on = on
        self.communes = self._communes_under(unit.code)
        codes = {c.code for c in self.communes}
        self._now = [self._index(self.communes, level) for level in _LEVELS]
        # Names the same places had on another date: before the reform for a later plan, after
        # it for an earlier one; each maps to the communes of the plan's date that carry it.
        other: list[tuple[AdminUnit, AdminUnit]] = []
        for commune in self.communes:
            for before in units.predecessors(commune.code, on=on):
                # A code kept across the reform may have changed its name ("Thị trấn Quang
                # Huy" 03910 is "Xã Phù Yên" 03910 now): the old name still points to it.
                if before.level is UnitLevel.COMMUNE and (
                    before.code not in codes or before.name != commune.name
                ):
                    other.append((before, commune))
            if commune.valid_until is not None:
                for after in units.successors(commune.code, on=on).successors:
                    other.append((after, commune))
        self._other = [self._index_pairs(other, level) for level in _LEVELS]

    def _communes_under(self, code: str) -> tuple[AdminUnit, ...]:
        found: list[AdminUnit] = []
        frontier = [code]
        while frontier:
            for child in self._units.children(frontier.pop(), on=self.on):
                if child.level is UnitLevel.COMMUNE:
                    found.append(child)
                else:
                    frontier.append(child.code)
        return tuple(sorted(found, key=lambda u: u.code))

    @staticmethod
    def _index(
        communes: Iterable[AdminUnit], level: Callable[[str], str]
    ) -> dict[str, list[AdminUnit]]:
        index: dict[str, list[AdminUnit]] = defaultdict(list)
        for c in communes:
            index[level(c.name)].append(c)
        return index

    @staticmethod
    def _index_pairs(
        pairs: Iterable[tuple[AdminUnit, AdminUnit]], level: Callable[[str], str]
    ) -> dict[str, list[tuple[AdminUnit, AdminUnit]]]:
        index: dict[str, list[tuple[AdminUnit, AdminUnit]]] = defaultdict(list)
        for named, carried_by in pairs:
            index[level(named.name)].append((named, carried_by))
        return index

    def _lookup(self, kind: UnitType | None, name: str) -> Place | str | None:
        """One place for ``name`` (of ``kind`` if given), a message if ambiguous, None if none."""
        for level, index in zip(_LEVELS, self._now, strict=True):
            hits = _of_kind(index.get(level(name), []), kind, lambda u: u)
            if len(hits) == 1:
                return Place(hits[0])
            if hits:
                return f"{name!r} names several communes: " + ", ".join(
                    f"{u.full_name} ({u.code})" for u in hits
                )
        for level, pairs in zip(_LEVELS, self._other, strict=True):
            found = _of_kind(pairs.get(level(name), []), kind, lambda p: p[0])
            carriers = {p[1].code: p for p in found}
            if len(carriers) == 1:
                named, carrier = next(iter(carriers.values()))
                when = "trước" if (named.valid_until or self.on) < self.on else "sau"
                return Place(
                    carrier,
                    f"{named.full_name} ({named.code}) là tên {when} sắp xếp 01/07/2025 "
                    f"của {carrier.full_name} ({carrier.code})",
                )
            if carriers:
                return f"{name!r} is a former or later name of several communes: " + ", ".join(
                    f"{p[1].full_name} ({p[1].code})" for p in carriers.values()
                )
        return None

    def resolve(self, address: str, fallback: str = "") -> Place | str:
        """The commune ``address`` names (its last part announcing one, else any part that is a
        commune's name); else a commune whose name ends ``fallback`` (the producer's name)."""
        parts = [p for p in _SPLIT.split(nfc(address)) if p]
        where = f"{self.unit.full_name} ({self.unit.code}) on {self.on:%d/%m/%Y}"
        announced = [(k, n) for k, n in map(_prefixed, parts) if k is not None]
        for kind, name in reversed(announced):
            found = self._lookup(kind, name)
            if found is not None:
                return found
        if announced:
            names = ", ".join(repr(n) for _, n in announced)
            return f"commune {names} not found in {where}"
        for part in reversed(parts):
            found = self._lookup(None, part)
            if found is not None:
                return found
        if fallback:
            words = nfc(fallback).split()
            for start in range(1, len(words)):
                found = self._lookup(None, " ".join(words[start:]))
                if isinstance(found, Place):
                    return Place(found.unit, f"xã lấy từ tên chủ thể {fallback!r}")
        return f"no commune of {where} in the address {address!r}"


def _of_kind(hits: list[_T], kind: UnitType | None, unit_of: Callable[[_T], AdminUnit]) -> list[_T]:
    """Hits narrowed to the announced kind when that leaves any ("TT Vôi" over "Xã Vôi")."""
    if kind is None or len(hits) < 2:
        return hits
    narrowed = [h for h in hits if unit_of(h).type is kind]
    return narrowed or hits
