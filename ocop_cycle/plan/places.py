"""Finding a plan row's commune from its address, through the administrative units on the plan's
date and within the unit that issued the plan.

Offices write places as people say them: "X. Hương Sơn", "TT Kép", "thị trấn Vôi", "Xã Nghĩa
Hoà" (old tone placement) or "Nghĩa Hòa", in decomposed Unicode, sometimes under the commune's
name before (or after) the 2025 merger. A name is matched at three levels, stopping at the first
that gives one answer: as written (NFC, case folded), without tone marks ("Hoà" = "Hòa"), without
any diacritics. A name that matches several communes is never guessed.

An address runs from the village to the province ("Thôn Cả, Mỹ Thái, Lạng Giang, Bắc Giang"):
its commune is the first part that names one, and the names of districts and provinces the
communes lay in (before the merger too) are where it was, not which. A commune is read from a
producer's name only as a last resort, only an organisation's, and only as written.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
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
#: A commune announced inside a part, after a village ("thôn Hạ xã Tiên Lục"): written with its
#: diacritics or abbreviated with a dot, since a bare "xa" or "tt" there may be a word of a name.
_WITHIN = re.compile(r"(?<!\S)(thị trấn|đặc khu|phường|xã|tt\.|p\.|x\.)(?=\s*\S)")
_KIND_WITHIN = dict(_PREFIXES)
#: Words around a name that are no part of it: "xã Tân Yên cũ nay là …", "(huyện … cũ)".
_ASIDE = re.compile(r"\([^)]*\)")
#: ("mới" is no such word: "Tân Mới", "Phố Mới" are names.)
_TRAILING = re.compile(r"(?:\s+(?:cũ|nay là|trước đây là|trước là))+\s*$", re.IGNORECASE)


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


def _announced(part: str) -> list[tuple[UnitType, str]]:
    """The communes a part announces, last first: at its start ("TT. Kép") and after a
    village in it ("thôn Hạ xã Tiên Lục"); of "xã Tân Yên cũ nay là xã Tân Yên" the latter."""
    kind, rest = _prefixed(part)
    text = rest if kind is not None else part
    low = _words(text)
    if len(low) != len(text):  # positions would not carry over: the start is all there is
        return [(kind, _bare(rest))] if kind is not None else []
    found: list[tuple[UnitType, str]] = []
    cuts = list(_WITHIN.finditer(low))
    if kind is not None:
        found.append((kind, text[: cuts[0].start()] if cuts else text))
    for i, cut in enumerate(cuts):
        end = cuts[i + 1].start() if i + 1 < len(cuts) else len(text)
        found.append((_KIND_WITHIN[cut.group(1)], text[cut.end() : end]))
    return [(k, _bare(n)) for k, n in reversed(found) if _bare(n)]


def _bare(name: str) -> str:
    """A name without what surrounds it in an address ("Tân Yên cũ nay là" → "Tân Yên")."""
    return _TRAILING.sub("", name).strip(" .")


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
        # The districts and provinces these communes lay in, then or before: an unannounced
        # "Lạng Giang" or "Bắc Giang" in an address says where the commune was, not which.
        self._above = {
            fold(a.name)
            for c in [*self.communes, *(before for before, _ in other)]
            for a in self._chain(c)
        }

    def _chain(self, unit: AdminUnit) -> list[AdminUnit]:
        """The units ``unit`` lay in over its own period, nearest first."""
        chain: list[AdminUnit] = []
        while (parent := self._units.parent(unit)) is not None:
            chain.append(parent)
            unit = parent
        return chain

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

    def _lookup(
        self, kind: UnitType | None, name: str, *, exact: bool = False
    ) -> Place | str | None:
        """One place for ``name`` (of ``kind`` if given), a message if ambiguous, None if none;
        ``exact``: as written only, not without tone marks or diacritics."""
        levels = 1 if exact else len(_LEVELS)
        for level, index in list(zip(_LEVELS, self._now, strict=True))[:levels]:
            hits = _of_kind(index.get(level(name), []), kind, lambda u: u)
            if len(hits) == 1:
                return Place(hits[0])
            if hits:
                return f"{name!r} names several communes: " + ", ".join(
                    f"{u.full_name} ({u.code})" for u in hits
                )
        for level, pairs in list(zip(_LEVELS, self._other, strict=True))[:levels]:
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
        """The commune ``address`` names: the most specific part announcing one ("xã", "phường",
        "thị trấn", at a part's start or after a village in it); else the most specific part
        that is a commune's name and not a district's or a province's; else, and
        only as written, a commune named in ``fallback`` (an organisation's name). A name that
        names several communes is passed over for the next part; said when none is left."""
        parts = [p for p in (_ASIDE.sub(" ", p).strip() for p in _SPLIT.split(nfc(address))) if p]
        where = f"{self.unit.full_name} ({self.unit.code}) on {self.on:%d/%m/%Y}"
        announced = [found for part in parts for found in _announced(part)]
        if announced:
            place, doubt = self._first(announced)
            if place is not None:
                return place
            names = ", ".join(repr(n) for _, n in announced)
            return doubt or f"commune {names} not found in {where}"
        # A village's or a district's part ("Thôn Cả", "huyện Lạng Giang") names no commune
        # as written; a district's or province's name alone ("Lạng Giang") is set aside.
        place, doubt = self._first([(None, p) for p in parts if fold(p) not in self._above])
        if place is not None:
            return place
        if doubt:
            return doubt
        if fallback:
            named = self._from_name(fallback)
            if named is not None:
                return named
        return f"no commune of {where} in the address {address!r}"

    def named(self, name: str) -> Place | str:
        """The commune a commune column or a heading names, announced or not ("Xã Tân Lang",
        "TT. Quang Huy", "Tân Lang"); a message when none or several."""
        text = _ASIDE.sub(" ", nfc(name)).strip()
        candidates: list[tuple[UnitType | None, str]] = [*_announced(text)] or [(None, _bare(text))]
        for kind, bare in candidates:
            found = self._lookup(kind, bare)
            if found is not None:
                return found
        return f"commune {name!r} not found in {self.unit.full_name} ({self.unit.code}) on " + (
            f"{self.on:%d/%m/%Y}"
        )

    def _first(
        self, candidates: Sequence[tuple[UnitType | None, str]], *, exact: bool = False
    ) -> tuple[Place | None, str]:
        """The first candidate naming one commune, said so when it was not announced; else
        the first ambiguity met ("" if none)."""
        doubt = ""
        for kind, name in candidates:
            found = self._lookup(kind, name, exact=exact)
            if isinstance(found, Place):
                if kind is None and not found.note:
                    note = f"xã lấy từ {name!r} trong địa chỉ (commune taken from {name!r})"
                    return Place(
                        found.unit, f"{note}: {found.unit.full_name} ({found.unit.code})"
                    ), ""
                return found, ""
            doubt = doubt or (found or "")
        return None, doubt

    def _from_name(self, producer: str) -> Place | None:
        """A commune an organisation's name ends with or announces ("Hội Nuôi ong xã Mường
        Do", "HTX Nông nghiệp Tân Hưng"), matched as written only: without diacritics a
        person's name may read as a place ("Văn An", "Vạn An")."""
        words = nfc(producer).split()
        tails = [(None, " ".join(words[start:])) for start in range(1, len(words))]
        candidates: list[tuple[UnitType | None, str]] = [*_announced(producer), *tails]
        for kind, name in candidates:
            found = self._lookup(kind, name, exact=True)
            if isinstance(found, Place):
                unit = found.unit
                said = f"xã lấy từ tên chủ thể {producer!r}: {unit.full_name} ({unit.code})"
                return Place(unit, f"{said}; {found.note}" if found.note else said)
        return None


def _of_kind(hits: list[_T], kind: UnitType | None, unit_of: Callable[[_T], AdminUnit]) -> list[_T]:
    """Hits narrowed to the announced kind when that leaves any ("TT Vôi" over "Xã Vôi")."""
    if kind is None or len(hits) < 2:
        return hits
    narrowed = [h for h in hits if unit_of(h).type is kind]
    return narrowed or hits
