"""Vietnamese text as data: one normal form (NFC), so that "Hoà" typed two ways is one name."""

from __future__ import annotations

import unicodedata
from typing import Annotated

from pydantic import AfterValidator, StringConstraints

__all__ = ["Name", "OptionalText", "nfc"]


def nfc(value: str) -> str:
    """``value`` in Unicode NFC with surrounding whitespace removed and inner runs collapsed."""
    return " ".join(unicodedata.normalize("NFC", value).split())


def _nfc_loose(value: str) -> str:
    return unicodedata.normalize("NFC", value).strip()


#: A required human-readable name: NFC, trimmed, never empty.
Name = Annotated[str, AfterValidator(nfc), StringConstraints(min_length=1, max_length=300)]

#: Free text (grounds, findings, guidance): NFC and trimmed; may be empty.
OptionalText = Annotated[str, AfterValidator(_nfc_loose), StringConstraints(max_length=5000)]
