"""Vietnamese text as data: one normal form (NFC), so that "Hoà" typed two ways is one name.

Text that reaches the database holds no control characters: PostgreSQL cannot store NUL at all
and SQLite would keep it silently, so the same command would succeed on one backend and fail on
the other. Names and free text refuse them when the command is validated, naming the field.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, StringConstraints

__all__ = [
    "DocumentNumber",
    "Name",
    "OptionalText",
    "format_date_vi",
    "format_vnd",
    "nfc",
    "nfc_trimmed",
    "refuse_control_characters",
]

# C0 and C1 control characters, DEL, and unpaired surrogates (no UTF-8 form: neither database
# driver can encode them). Tab, line feed and carriage return are the whitespace people type.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def refuse_control_characters(value: str) -> str:
    """``value`` unchanged; ``ValueError`` if it holds a control character other than tab/newline.

    Refused: NUL and the rest of C0 except tab, line feed and carriage return; DEL; C1
    (U+0080-U+009F); unpaired surrogates.
    """
    found = _CONTROL.search(value)
    if found is not None:
        code = ord(found.group())
        what = "an unpaired surrogate" if 0xD800 <= code <= 0xDFFF else "a control character"
        raise ValueError(f"must not contain U+{code:04X}, {what} (at position {found.start()})")
    return value


def _visible(value: str) -> str:
    """``value`` without Unicode format characters (category Cf: zero-width spaces and joiners,
    byte-order marks, soft hyphens, bidirectional controls). Why: text pasted from spreadsheets
    and word processors carries them unseen, and "Trứng gà" with a zero-width space is another
    product's name to a computer and the same one to every reader."""
    if value.isprintable():  # the common case, checked in C; tabs and line breaks fall through
        return value
    return "".join(ch for ch in value if unicodedata.category(ch) != "Cf")


def nfc(value: str) -> str:
    """``value`` in Unicode NFC, without format characters (``_visible``), with surrounding
    whitespace removed and inner runs collapsed."""
    return " ".join(_visible(unicodedata.normalize("NFC", value)).split())


def nfc_trimmed(value: str) -> str:
    """``value`` in Unicode NFC with surrounding whitespace removed (inner text kept as typed):
    for keys and ids, which must compare equal however the same text was typed."""
    return unicodedata.normalize("NFC", value).strip()


def _nfc_loose(value: str) -> str:
    return _visible(unicodedata.normalize("NFC", value)).strip()


#: A required human-readable name: NFC, trimmed, never empty, on one line (tabs and line breaks
#: collapse to one space); other control characters are refused.
Name = Annotated[
    str,
    AfterValidator(refuse_control_characters),
    AfterValidator(nfc),
    StringConstraints(min_length=1, max_length=300),
]

#: A document's number ("12/QĐ-UBND", a certificate's serial): a ``Name`` of at most 100
#: characters, what the projection's column holds on every database.
DocumentNumber = Annotated[
    str,
    AfterValidator(refuse_control_characters),
    AfterValidator(nfc),
    StringConstraints(min_length=1, max_length=100),
]

#: Free text (grounds, findings, guidance): NFC and trimmed; may be empty; keeps tabs and line
#: breaks; other control characters are refused.
OptionalText = Annotated[
    str,
    AfterValidator(refuse_control_characters),
    AfterValidator(_nfc_loose),
    StringConstraints(max_length=5000),
]


def format_vnd(amount: Decimal) -> str:
    """An amount as Vietnamese write it: ``50.000.000 đồng``."""
    return f"{amount:,.0f}".replace(",", ".") + " đồng"


def format_date_vi(day: date) -> str:
    """A date as Vietnamese texts write it: ``30/06/2027`` (dd/mm/yyyy)."""
    return f"{day.day:02d}/{day.month:02d}/{day.year:04d}"  # strftime costs twice as much
