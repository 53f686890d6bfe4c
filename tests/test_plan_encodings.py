"""A CSV in the encoding Excel gave it: "CSV (Comma delimited)" on a Vietnamese Windows writes
Windows-1258 (tone marks as combining characters), read as the same plan in NFC; UTF-8 and
UTF-16 files stay as they were read; an encoding that does not read as Vietnamese (TCVN3, VNI,
UTF-8 mixed with another) is refused naming its line, never imported as mojibake."""

from __future__ import annotations

import string
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ocop_cycle.plan.encoding import WINDOWS_1258, Decoded, decode_csv
from ocop_cycle.plan.importer import read_plan
from ocop_cycle.plan.model import Plan
from tests.plan_sheets import write_csv

_TONES = "\u0300\u0301\u0303\u0309\u0323"


def windows_1258(text: str) -> bytes:
    """``text`` as Windows encodes it in code page 1258: a letter the code page has as it is;
    else its base letter ("ơ", "â", …) and the tone mark after it ("ợ" → "ơ" + dot below)."""
    out = bytearray()
    for char in unicodedata.normalize("NFC", text):
        try:
            out += char.encode("cp1258")
        except UnicodeEncodeError:
            parts = unicodedata.normalize("NFD", char)
            base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in _TONES))
            out += (base + "".join(c for c in parts if c in _TONES)).encode("cp1258")
    return bytes(out)


def _products(plan: Plan | None) -> list[tuple[str, str, str, str]]:
    assert plan is not None
    return [(e.producer, e.address, e.product, e.commune_code) for e in plan.entries]


@pytest.fixture
def utf8(tmp_path: Path) -> Path:
    return write_csv(tmp_path / "utf8.csv")


def test_a_windows_1258_csv_reads_as_the_same_plan_in_nfc(utf8: Path, tmp_path: Path) -> None:
    """The tone marks Windows-1258 writes apart are joined again: the names are the UTF-8
    file's, in NFC, and a notice says how the file was read."""
    path = tmp_path / "KeHoach-ANSI.csv"
    raw = windows_1258(utf8.read_text(encoding="utf-8-sig"))
    assert "\u0323".encode("cp1258") in raw  # written apart, as Windows does
    path.write_bytes(raw)
    read = read_plan(path)
    assert read.problems == []
    assert _products(read.plan) == _products(read_plan(utf8).plan)
    assert read.plan is not None
    names = [e.producer + e.product + e.address for e in read.plan.entries]
    assert all(unicodedata.is_normalized("NFC", n) for n in names)
    assert (
        0,
        "đọc theo bảng mã Windows-1258 (read as Windows-1258: next time save it as 'CSV UTF-8')",
    ) in read.notices


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16"])
def test_unicode_files_are_read_as_before_with_no_notice(
    utf8: Path, tmp_path: Path, encoding: str
) -> None:
    path = tmp_path / f"{encoding}.csv"
    path.write_bytes(utf8.read_text(encoding="utf-8-sig").encode(encoding))
    read = read_plan(path)
    assert _products(read.plan) == _products(read_plan(utf8).plan)
    assert not any("bảng mã" in text for _, text in read.notices)


def _line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), start=1) if needle in line)


def test_a_tcvn3_file_is_refused_not_read_as_mojibake(utf8: Path, tmp_path: Path) -> None:
    """TCVN3 (ABC), the old fonts' encoding, puts "á" at 0xB8 and "ư" at 0xAD: read as
    Windows-1258 that is "¸" and a soft hyphen. Refused at the first such line."""
    text = utf8.read_text(encoding="utf-8-sig")
    tcvn3 = str.maketrans({"á": "\xb8", "ư": "\xad", "ệ": "\xd6", "ả": "\xb6", "ạ": "\xb9"})
    ascii_ish = unicodedata.normalize("NFD", text.translate(tcvn3))
    raw = "".join(c for c in ascii_ish if not unicodedata.combining(c)).replace("đ", "\xae")
    path = tmp_path / "tcvn3.csv"
    path.write_bytes(raw.replace("Đ", "\xa7").encode("latin-1"))
    read = read_plan(path)
    assert read.plan is None
    [problem] = read.problems
    assert problem.line == _line_of(text, "BIỂU 1")  # "Các": the first "á"
    assert "bảng mã không xác định" in problem.message
    assert "not Vietnamese: TCVN3/ABC or VNI?" in problem.message


def test_a_vni_file_is_refused(tmp_path: Path) -> None:
    """VNI writes "Hợp tác xã Đường" as "Hôïp taùc xaõ Ñöôøng": letters, not Vietnamese ones."""
    path = tmp_path / "vni.csv"
    path.write_bytes("TT,Teân DN HTX chuû theå\n1,Hôïp taùc xaõ Ñöôøng\n".encode("cp1252"))
    read = read_plan(path)
    assert [p.line for p in read.problems] == [1]
    assert "not Vietnamese" in read.problems[0].message


def test_utf8_with_a_windows_1258_line_pasted_in_is_refused(utf8: Path, tmp_path: Path) -> None:
    """Two files pasted together: neither reading gives Vietnamese throughout."""
    text = utf8.read_text(encoding="utf-8-sig")
    lines = text.splitlines(keepends=True)
    path = tmp_path / "mixed.csv"
    path.write_bytes(
        b"".join(line.encode("utf-8") for line in lines[:-1]) + windows_1258(lines[-1])
    )
    read = read_plan(path)
    assert read.plan is None
    [problem] = read.problems
    assert problem.line == len(lines)  # where UTF-8 stops
    assert "two encodings pasted together?" in problem.message


#: Text an office's CSV holds: ASCII letters, digits and punctuation, and every Vietnamese
#: letter with and without its tone, in both cases.
_VIETNAMESE = "".join(
    sorted(
        {
            unicodedata.normalize("NFC", base + tone)
            for vowel in "aăâeêioôơuưy"
            for base in (vowel, vowel.upper())
            for tone in ("", *_TONES)
        }
        | set("đĐ")
    )
)


@settings(max_examples=200, deadline=None)
@given(
    st.text(alphabet=_VIETNAMESE + string.ascii_letters + string.digits + " ,.-/()", max_size=60)
)
def test_any_vietnamese_text_saved_as_windows_1258_decodes_to_itself(text: str) -> None:
    """Whatever Vietnamese a cell holds, Windows-1258 (as Windows writes it) reads back as the
    same NFC text -- and pure ASCII, being UTF-8 too, reads as UTF-8."""
    decoded = decode_csv(windows_1258(text))
    assert isinstance(decoded, Decoded)
    assert decoded.text == unicodedata.normalize("NFC", text)
    assert decoded.legacy == ("" if text.isascii() else WINDOWS_1258)
