"""How a CSV's bytes become text: UTF-16 with its byte-order mark (Excel's "Unicode Text"),
UTF-8 with or without one ("CSV UTF-8"), else Windows-1258 -- what Excel's plain "CSV (Comma
delimited)" writes on a Vietnamese Windows.

Windows-1258 writes most tone marks as combining characters after the letter ("ợ" is "ơ" and a
dot below), so its text is brought to NFC. Its bytes decode to something whatever the file
holds, so it is taken only when all it gives is Vietnamese: Vietnamese letters, tone marks on
vowels, and common punctuation. A file that gives anything else (TCVN3/ABC or VNI, the
encodings of the old Vietnamese fonts; another code page; UTF-8 and another encoding mixed;
UTF-16 without its mark) is refused saying where, never read as mojibake.
"""

from __future__ import annotations

import codecs
import unicodedata
from dataclasses import dataclass

from ocop_cycle.plan.grid import LayoutProblem

__all__ = ["WINDOWS_1258", "Decoded", "decode_csv"]

#: The label of a file read as Windows-1258, for the notice saying so.
WINDOWS_1258 = "Windows-1258"

_TONES = "\u0300\u0301\u0303\u0309\u0323"  # grave, acute, tilde, hook above, dot below
_VOWELS = "aăâeêioôơuưy"
#: Every letter Vietnamese writes beyond ASCII, each vowel with or without a tone, NFC.
_LETTERS = frozenset(
    unicodedata.normalize("NFC", v + t)
    for vowel in _VOWELS
    for v in (vowel, vowel.upper())
    for t in ("", *_TONES)
) - frozenset("aeiouyAEIOUY") | {"đ", "Đ"}
#: Punctuation beyond ASCII that Windows-1258 has and a plan may hold: no-break space, dashes,
#: curly quotes, ellipsis, bullet, degree, đồng and euro signs, multiplication, superscripts.
_PUNCTUATION = frozenset("\u00a0–—‘’“”…•°₫€×²³±")
_VOWEL_BASES = frozenset(_VOWELS + _VOWELS.upper())


@dataclass(frozen=True, slots=True)
class Decoded:
    """A file's text (NFC) and the encoding it was read in when not a Unicode one ("")."""

    text: str
    legacy: str = ""


def decode_csv(raw: bytes) -> Decoded | LayoutProblem:
    """The text of a CSV's bytes, or why its encoding is not known."""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return Decoded(unicodedata.normalize("NFC", raw.decode("utf-16")))
        except UnicodeDecodeError as exc:
            return LayoutProblem(0, f"not UTF-16 after its byte-order mark: {exc.reason}")
    try:
        return Decoded(unicodedata.normalize("NFC", raw.decode("utf-8-sig")))
    except UnicodeDecodeError as exc:
        not_utf8 = exc
    if b"\x00" in raw:
        return LayoutProblem(
            raw[: raw.index(b"\x00")].count(b"\n") + 1,
            "the file holds NUL bytes: UTF-16 without its byte-order mark? " + _SAVE_AS,
        )
    read = _as_windows_1258(raw)
    if isinstance(read, str):
        return Decoded(read, WINDOWS_1258)
    prefix = raw[: not_utf8.start]
    if not prefix.isascii():  # Vietnamese in UTF-8 up to there
        return LayoutProblem(
            prefix.count(b"\n") + 1,
            f"UTF-8 đến dòng này thì không còn (byte 0x{raw[not_utf8.start]:02X}): hai bảng mã "
            "trong một tệp? (the file is UTF-8 up to this line and not UTF-8 from it: two "
            "encodings pasted together?); " + _SAVE_AS,
        )
    return read


def _as_windows_1258(raw: bytes) -> str | LayoutProblem:
    """``raw`` read as Windows-1258 (NFC) when all of it reads as Vietnamese; else where it
    does not."""
    try:
        text = raw.decode("cp1258")
    except UnicodeDecodeError as exc:  # a byte Windows-1258 leaves undefined
        line = raw[: exc.start].count(b"\n") + 1
        return LayoutProblem(line, _neither(f"byte 0x{raw[exc.start]:02X}"))
    odd = _not_vietnamese(text)
    if odd is not None:
        return LayoutProblem(text[: odd[0]].count("\n") + 1, _neither(odd[1]))
    return unicodedata.normalize("NFC", text)


_SAVE_AS = (
    "save it as 'CSV UTF-8' (Excel) or import the .xlsx (lưu thành 'CSV UTF-8' hoặc nhập tệp .xlsx)"
)


def _neither(what: str) -> str:
    """The refusal of a file that reads as neither UTF-8 nor Vietnamese Windows-1258."""
    return (
        f"bảng mã không xác định: không phải UTF-8, và đọc theo Windows-1258 thì ra {what} "
        f"không phải chữ Việt (the file is not UTF-8, and read as Windows-1258 it gives {what}, "
        "not Vietnamese: TCVN3/ABC or VNI? another code page?); convert it to Unicode and "
        + _SAVE_AS
    )


def _not_vietnamese(text: str) -> tuple[int, str] | None:
    """Where ``text`` (decoded, not yet NFC) first holds what Vietnamese text does not, and the
    few characters there; None when it all reads as Vietnamese."""
    for at, char in enumerate(text):
        if char.isascii():
            if char.isprintable() or char in "\t\r\n":
                continue
        elif unicodedata.combining(char):
            if _tone_on_vowel(text, at):
                continue
        elif char in _LETTERS or char in _PUNCTUATION:
            continue
        return at, repr(text[max(0, at - 3) : at + 3].strip())
    return None


def _tone_on_vowel(text: str, at: int) -> bool:
    """Whether the combining character at ``at`` is a tone mark on a vowel without one ("ơ"
    then a dot below)."""
    before = unicodedata.normalize("NFD", text[at - 1]) if at else ""
    return (
        text[at] in _TONES
        and before[:1] in _VOWEL_BASES
        and not (len(before) > 1 and before[-1] in _TONES)
    )
