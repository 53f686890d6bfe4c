"""Verify an export with no database: the same chain checks, plus every checkpoint in it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from ocop_cycle.audit.verify import (
    Break,
    ChainWalker,
    ExportDigest,
    VerifyReport,
    check_published_root,
    normalise_root,
)

__all__ = ["verify_export"]


def verify_export(
    path: Path | str, key: bytes | None = None, *, published_root: str | None = None
) -> VerifyReport:
    """Check a JSON Lines export written by ``Auditor.export``; every break is located.

    Besides the chains and checkpoints, the export must be whole: its end line must be there,
    last, with the counts of what precedes it and the hash of every line before it (made with
    the key given here: export and verify with the same key). ``published_root`` is held to
    the same terms as in ``Auditor.verify``: some checkpoint in the export must have it, and
    that checkpoint must verify."""
    if published_root is not None:
        published_root = normalise_root(published_root)
    report = VerifyReport()
    checkpoints: list[dict[str, Any]] = []
    hashes: dict[tuple[UUID, int], str] = {}
    digest = ExportDigest(key)
    ends: list[tuple[int, Any]] = []  # (line number, the end line's document)
    lines = 0

    def rows() -> Iterator[dict[str, Any]]:
        nonlocal lines
        # Bytes, decoded line by line: a line that is not UTF-8 is a break where it is.
        with Path(path).open("rb") as handle:
            for number, raw in enumerate(handle, start=1):
                if not raw.strip():
                    continue
                if ends:
                    detail = f"line {number} comes after the end line (line {ends[0][0]})"
                    report.breaks.append(Break(None, None, "export_after_end", detail))
                    continue
                try:
                    line = raw.decode("utf-8")
                    doc = json.loads(line)
                    if isinstance(doc, dict) and "end" in doc:
                        ends.append((number, doc["end"]))
                        continue
                    lines += 1
                    digest.add(line)
                    if isinstance(doc, dict) and "checkpoint" in doc:
                        checkpoints.append(_checkpoint(doc["checkpoint"]))
                        continue
                    row = _event(doc)
                # Anything else than an export's line (a CSV, another JSON, an edited field of
                # the wrong kind, a number beyond any integer such as 1e999, arrays nested past
                # what the parser recurses into) is a break where it is, never a crash.
                except (
                    ValueError,
                    TypeError,
                    KeyError,
                    AttributeError,
                    OverflowError,
                    RecursionError,
                ) as exc:
                    detail = f"line {number}: not an event or checkpoint of an export ({exc!r})"
                    report.breaks.append(Break(None, None, "unreadable_line", detail))
                    continue
                hashes[(row["dossier_id"], row["seq"])] = row["hash"]
                yield row

    walker = ChainWalker(key, report)
    for _ in walker.walk(rows()):
        pass
    verified: dict[int, bool] = {}
    for cp in checkpoints:
        seen = [(UUID(d), seq, h, hashes.get((UUID(d), seq))) for d, seq, h in cp["heads"]]
        verified[cp["id"]] = walker.check_checkpoint(cp["id"], cp["root"], seen, cp["counts"])
    if published_root is not None:
        roots = [(cp["id"], cp["root"]) for cp in checkpoints]
        check_published_root(report, published_root, roots, verified)
    _check_end(report, ends[0][1] if ends else None, lines, len(checkpoints), digest, key)
    return report


def _check_end(
    report: VerifyReport,
    end: Any,
    lines: int,
    checkpoints: int,
    digest: ExportDigest,
    key: bytes | None,
) -> None:
    """The end line must be there and agree with what precedes it."""
    if end is None:
        report.breaks.append(
            Break(
                None,
                None,
                "export_incomplete",
                "no end line: the export was cut short (or written by ocop-cycle 0.1.0, "
                "which wrote none); its chains are checked, its completeness cannot be",
            )
        )
        return
    if not isinstance(end, dict):
        report.breaks.append(Break(None, None, "export_end_unreadable", f"end line {end!r}"))
        return
    counted = {"events": report.events, "checkpoints": checkpoints}
    recorded = {name: end.get(name) for name in counted}
    if recorded != counted:
        report.breaks.append(
            Break(
                None,
                None,
                "export_counts_differ",
                f"the end line records {recorded['events']!r} events and "
                f"{recorded['checkpoints']!r} checkpoints; the export holds {report.events} "
                f"and {checkpoints} (in {lines} lines)",
            )
        )
    if end.get("digest") != digest.hexdigest():
        if end.get("keyed") is True and key is None:
            detail = "the export was made with the store's key: verify it with that key"
        elif end.get("keyed") is False and key is not None:
            detail = (
                "the export was made without a key and is verified with one: an export made "
                "with the auditor's key is needed to vouch for its completeness"
            )
        else:
            detail = "the lines before the end line are not the ones it was written after"
        report.breaks.append(Break(None, None, "export_digest_mismatch", detail))


def _event(doc: Any) -> dict[str, Any]:
    """An export's event line as the row the chain walker reads."""
    row = dict(doc["event"])
    row["dossier_id"] = UUID(row["dossier_id"])
    row["occurred_at"] = datetime.fromisoformat(row["occurred_at"])
    row["recorded_at"] = datetime.fromisoformat(row["recorded_at"])
    if type(row["seq"]) is not int or not isinstance(row["hash"], str):
        raise ValueError(f"seq {row['seq']!r}, hash {row['hash']!r}")
    return row


def _checkpoint(doc: Any) -> dict[str, Any]:
    """An export's checkpoint line, its heads checked for their shape."""
    found = dict(doc)
    found["id"] = int(found["id"])
    found["heads"] = [(str(UUID(d)), int(seq), str(h)) for d, seq, h in found["heads"]]
    found["counts"] = (int(found["dossier_count"]), int(found["event_count"]))
    if not isinstance(found["root"], str):
        raise ValueError(f"root {found['root']!r}")
    return found
