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
                except json.JSONDecodeError as exc:
                    report.breaks.append(
                        Break(None, None, "unreadable_line", f"line {number}: {exc}")
                    )
                    continue
                if "checkpoint" in doc:
                    checkpoints.append(doc["checkpoint"])
                    continue
                row = dict(doc["event"])
                row["dossier_id"] = UUID(row["dossier_id"])
                row["occurred_at"] = datetime.fromisoformat(row["occurred_at"])
                row["recorded_at"] = datetime.fromisoformat(row["recorded_at"])
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
