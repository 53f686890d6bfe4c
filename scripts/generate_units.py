"""Write ocop_cycle/rules/data/units.json.gz from the pinned source dataset.

Source: the PyPI package ``vietnamadminunits`` 1.0.4 (Tran Ngoc Minh Hieu, MIT licence,
https://github.com/tranngocminhhieu/vietnamadminunits), built from the General Statistics
Office's catalogue (danhmuchanhchinh.gso.gov.vn) and the merger map of sapnhap.bando.com.vn. It
ships, in ``vietnamadminunits/data/``:

- ``dataset.db`` (SQLite): table ``admin_units_legacy``, the 63 provinces, 696 districts and
  10,035 communes in force on 30/06/2025; table ``admin_units``, the 34 provinces and 3,321
  communes from 01/07/2025;
- ``converter_2025.json``: which old provinces form each new one, and which old communes form
  each new commune (``DICT_PROVINCE_WARD_NO_DIVIDED``) or, for an old commune split among
  several, its parts (``DICT_PROVINCE_WARD_DIVIDED``, one marked ``isDefaultNewWard``).

Both are keyed by accent-free name keys; this script joins them to the official codes and
writes one record per unit and period. Only these two files are read (SHA-256 pinned below);
the package is not imported (it pulls in shapely and geopy), so either of these works:

    pip download --no-deps vietnamadminunits==1.0.4 -d /tmp/src   # then --wheel /tmp/src/*.whl
    pip install --no-deps vietnamadminunits==1.0.4                # read from the installed copy

Run: python scripts/generate_units.py [--wheel FILE] [--check]
(--check compares with the shipped file instead of writing it; exit 1 if they differ.)
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import sqlite3
import sys
import zipfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from ocop_cycle.rules.units import REFORM_DATE, UnitType
from ocop_cycle.text import nfc

OUT = Path(__file__).resolve().parents[1] / "ocop_cycle" / "rules" / "data" / "units.json.gz"

SOURCE = {
    "package": "vietnamadminunits",
    "version": "1.0.4",
    "licence": "MIT (Copyright (c) 2025 Tran Ngoc Minh Hieu)",
    "url": "https://pypi.org/project/vietnamadminunits/1.0.4/",
    "files": {
        "vietnamadminunits/data/dataset.db": (
            "147cbbf81c8964bb594e1dda7ebab5649bce21efbfd6cb508cab7fefca62257d"
        ),
        "vietnamadminunits/data/converter_2025.json": (
            "84f0848bf401b047775cbb49768c181a9271f77e4a4ec706d293b09bcb4faddd"
        ),
    },
}

# The word an official name begins with, per tier (longest first where one prefixes another).
PROVINCE_TYPES = {"tỉnh": UnitType.PROVINCE, "thành phố": UnitType.CENTRAL_CITY}
DISTRICT_TYPES = {
    "huyện": UnitType.RURAL_DISTRICT,
    "quận": UnitType.URBAN_DISTRICT,
    "thị xã": UnitType.DISTRICT_TOWN,
    "thành phố": UnitType.PROVINCIAL_CITY,
}
COMMUNE_TYPES = {
    "xã": UnitType.COMMUNE,
    "phường": UnitType.WARD,
    "thị trấn": UnitType.TOWNSHIP,
    "đặc khu": UnitType.SPECIAL_ZONE,
}


class SourceError(Exception):
    """The source is missing, of another version, or not what its pinned hash says."""


def read_source(wheel: Path | None) -> dict[str, bytes]:
    """The pinned files' bytes, from a downloaded wheel or the installed distribution."""
    found: dict[str, bytes] = {}
    if wheel is not None:
        with zipfile.ZipFile(wheel) as archive:
            for name in SOURCE["files"]:
                found[name] = archive.read(name)
    else:
        try:
            dist = metadata.distribution(SOURCE["package"])
        except metadata.PackageNotFoundError:
            raise SourceError(f"{SOURCE['package']} is not installed; see --help") from None
        if dist.version != SOURCE["version"]:
            raise SourceError(
                f"{SOURCE['package']} {dist.version} installed, need {SOURCE['version']}"
            )
        for name in SOURCE["files"]:
            found[name] = Path(str(dist.locate_file(name))).read_bytes()
    for name, expected in SOURCE["files"].items():
        actual = hashlib.sha256(found[name]).hexdigest()
        if actual != expected:
            raise SourceError(f"{name}: SHA-256 {actual}, pinned {expected}")
    return found


def split_name(full: str, types: dict[str, UnitType]) -> tuple[UnitType, str]:
    """("Thị trấn Kép") -> (TOWNSHIP, "Kép"); the kind is read from the official name, which the
    source's type columns contradict for a few units (e.g. "Phường Việt Hòa" typed "Xã")."""
    full = nfc(full)
    for word, kind in sorted(types.items(), key=lambda item: -len(item[0])):
        if full.lower().startswith(word + " "):
            return kind, full[len(word) + 1 :]
    raise SourceError(f"{full!r} begins with none of {sorted(types)}")


@dataclass
class Row:
    code: str
    kind: UnitType
    name: str
    parent: str | None
    successors: list[str]

    def dump(self, with_successors: bool) -> list[Any]:
        row: list[Any] = [self.code, self.kind.value, self.name, self.parent]
        if with_successors:
            row.append(self.successors)
        return row


def build(files: dict[str, bytes]) -> dict[str, Any]:
    """The units document: one period before the reform, one after."""
    db = sqlite3.connect(":memory:")
    db.deserialize(files["vietnamadminunits/data/dataset.db"])
    converter = json.loads(files["vietnamadminunits/data/converter_2025.json"])

    # After: 34 provinces and their communes.
    new_provinces: dict[str, Row] = {}
    new_communes: dict[str, Row] = {}
    new_by_key: dict[tuple[str, str], str] = {}  # (province key, commune key) -> code
    new_province_by_key: dict[str, str] = {}
    after_sql = (
        "SELECT provinceKey, wardKey, provinceCode, wardCode, province, ward FROM admin_units"
    )
    for p_key, w_key, p_code, w_code, p_name, w_name in db.execute(after_sql):
        if p_code not in new_provinces:
            new_provinces[p_code] = Row(p_code, *split_name(p_name, PROVINCE_TYPES), None, [])
        new_province_by_key[p_key] = p_code
        if w_code in new_communes:
            raise SourceError(f"commune code {w_code} appears twice after the reform")
        new_communes[w_code] = Row(w_code, *split_name(w_name, COMMUNE_TYPES), p_code, [])
        new_by_key[(p_key, w_key)] = w_code

    # Before: 63 provinces, their districts, and the communes in those.
    provinces: dict[str, Row] = {}
    districts: dict[str, Row] = {}
    communes: dict[str, Row] = {}
    old_key: dict[str, tuple[str, str]] = {}  # source key -> (district code, commune code or "")
    province_by_key: dict[str, str] = {}
    before_sql = (
        "SELECT provinceKey, districtKey, wardKey, provinceCode, districtCode, wardCode,"
        " province, district, ward FROM admin_units_legacy"
    )
    for row in db.execute(before_sql):
        p_key, d_key, w_key, p_code, d_code, w_code, p_name, d_name, w_name = row
        if p_code not in provinces:
            provinces[p_code] = Row(p_code, *split_name(p_name, PROVINCE_TYPES), None, [])
        province_by_key[p_key] = p_code
        if d_code not in districts:
            districts[d_code] = Row(d_code, *split_name(d_name, DISTRICT_TYPES), p_code, [])
        old_key[f"{p_key}_{d_key}_{w_key or ''}"] = (d_code, w_code or "")
        if w_code:  # five island districts had no communes
            if w_code in communes:
                raise SourceError(f"commune code {w_code} appears twice before the reform")
            communes[w_code] = Row(w_code, *split_name(w_name, COMMUNE_TYPES), d_code, [])

    for new_key, old_keys in converter["DICT_PROVINCE"].items():
        for key in old_keys:
            provinces[province_by_key[key]].successors.append(new_province_by_key[new_key])

    # Each old commune's new commune(s); a split one lists its default part first.
    mapped: set[str] = set()
    for p_key, by_new in converter["DICT_PROVINCE_WARD_NO_DIVIDED"].items():
        for w_key, keys in by_new.items():
            for key in keys:
                _, w_code = old_key[key]
                if w_code:
                    communes[w_code].successors.append(new_by_key[(p_key, w_key)])
                mapped.add(key)
    for p_key, by_old in converter["DICT_PROVINCE_WARD_DIVIDED"].items():
        for key, parts in by_old.items():
            _, w_code = old_key[key]
            ordered = sorted(parts, key=lambda part: not part["isDefaultNewWard"])
            communes[w_code].successors.extend(
                new_by_key[(p_key, p["newWardKey"])] for p in ordered
            )
            mapped.add(key)
    if missing := sorted(set(old_key) - mapped):
        raise SourceError(f"{len(missing)} old units have no mapping, e.g. {missing[:3]}")

    # A district's territory and role went to the new province its province merged into.
    for row in districts.values():
        row.successors = list(provinces[row.parent or ""].successors)
    for row in communes.values():
        new_province = provinces[districts[row.parent or ""].parent or ""].successors
        if {new_communes[c].parent for c in row.successors} != set(new_province):
            raise SourceError(f"commune {row.code}: successors outside its new province")

    for rows in (provinces, districts, communes):
        for row in rows.values():
            if not row.successors or len(set(row.successors)) != len(row.successors):
                raise SourceError(f"{row.code}: successors {row.successors}")

    def ordered(*tiers: dict[str, Row]) -> list[Row]:
        return [row for tier in tiers for row in sorted(tier.values(), key=lambda r: r.code)]

    before = ordered(provinces, districts, communes)
    after = ordered(new_provinces, new_communes)
    last_day = REFORM_DATE.fromordinal(REFORM_DATE.toordinal() - 1)
    return {
        "format": 1,
        "source": SOURCE,
        "periods": [
            {
                "valid_from": None,
                "valid_until": last_day.isoformat(),
                "note": "units in force on 30/06/2025; earlier changes are not in the source",
                "units": [row.dump(True) for row in before],
            },
            {
                "valid_from": REFORM_DATE.isoformat(),
                "valid_until": None,
                "units": [row.dump(False) for row in after],
            },
        ],
    }


def encode(doc: dict[str, Any]) -> bytes:
    """Gzipped JSON, one unit per line, byte for byte the same on every run."""
    text = json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
    text = text.replace("],[", "],\n[")
    return gzip.compress(text.encode("utf-8"), compresslevel=9, mtime=0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--wheel", type=Path, help="the downloaded vietnamadminunits wheel")
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    parser.add_argument("--out", type=Path, default=OUT, help="default: %(default)s")
    args = parser.parse_args(argv)
    try:
        data = encode(build(read_source(args.wheel)))
    except (SourceError, OSError, KeyError) as exc:
        print(f"generate_units: {exc}", file=sys.stderr)
        return 1
    if args.check:
        same = args.out.is_file() and args.out.read_bytes() == data
        print(f"{args.out}: {'up to date' if same else 'differs from the source'}")
        return 0 if same else 1
    args.out.write_bytes(data)
    print(f"wrote {args.out} ({len(data):,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
