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
    VerifyReport,
    check_published_root,
    normalise_root,
)

__all__ = ["verify_export"]


def verify_export(
    path: Path | str, key: bytes | None = None, *, published_root: str | None = None
) -> VerifyReport:
    """Check a JSON Lines export written by ``Auditor.export``; every break is located.

    ``published_root`` is held to the same terms as in ``Auditor.verify``: some checkpoint in
    the export must have it, and that checkpoint must verify."""
    if published_root is not None:
        published_root = normalise_root(published_root)
    report = VerifyReport()
    checkpoints: list[dict[str, Any]] = []
    hashes: dict[tuple[UUID, int], str] = {}

    def rows() -> Iterator[dict[str, Any]]:
        with Path(path).open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    doc = json.loads(line)
                    if isinstance(doc, dict) and "checkpoint" in doc:
                        checkpoints.append(_checkpoint(doc["checkpoint"]))
                        continue
                    row = _event(doc)
                # Anything else than an export's line (a CSV, another JSON, an edited field of
                # the wrong kind) is a break where it is, never a crash of the audit.
                except (ValueError, TypeError, KeyError, AttributeError) as exc:
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
        verified[cp["id"]] = walker.check_checkpoint(cp["id"], cp["root"], seen)
    if published_root is not None:
        roots = [(cp["id"], cp["root"]) for cp in checkpoints]
        check_published_root(report, published_root, roots, verified)
    return report


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
    if not isinstance(found["root"], str):
        raise ValueError(f"root {found['root']!r}")
    return found
