"""The benchmarks still run (tiny sizes): a smoke test, never a timing assertion."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_transitions_bench_runs_and_reports_ratios(tmp_path: Path) -> None:
    """bench/transitions.py prints raw and engine rates and their ratio for each SQLite mode."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"OCOP_TEST_DATABASE_URL", "OCOP_BENCH_PG_URL"}
    }
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "transitions.py"),
            "--transitions=40",
            "--dossiers=4",
            "--blocks=2",
            "--memory-sizes=10,20",
            "--json",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    report = json.loads(result.stdout)
    assert [r["backend"] for r in report["throughput"]] == [
        "sqlite WAL synchronous=FULL",
        "sqlite WAL synchronous=NORMAL",
    ]
    for row in report["throughput"]:
        assert row["ratio"] == row["engine_per_s"] / row["raw_per_s"]
    assert [m["dossiers"] for m in report["memory"]] == [10, 20]
    assert list(tmp_path.iterdir()) == []  # its databases were temporary


def _run(tmp_path: Path, script: str, *args: str) -> object:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"OCOP_TEST_DATABASE_URL", "OCOP_BENCH_PG_URL"}
    }
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / script), *args, "--json"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)


def test_sweep_bench_runs(tmp_path: Path) -> None:
    """bench/sweep.py applies every due deadline at each store size and reports both sides."""
    report = _run(tmp_path, "sweep.py", "--sizes=200,400", "--due=20")
    assert [r["dossiers"] for r in report] == [200, 400]  # type: ignore[index]
    assert all(r["ratio"] > 0 for r in report)  # type: ignore[union-attr]


def test_verify_bench_runs(tmp_path: Path) -> None:
    """bench/verify.py verifies a filled store with the engine and the raw reader."""
    (row,) = _run(tmp_path, "verify.py", "--events=400", "--samples=5")  # type: ignore[misc]
    assert row["events"] == 400
    assert row["raw_events_per_s"] > 0


def test_migrate_bench_runs(tmp_path: Path) -> None:
    """bench/migrate.py migrates its open dossiers with the engine and the raw loop, which leave
    them alike, and reports both sides and the ratio."""
    (row,) = _run(tmp_path, "migrate.py", "--dossiers=80", "--units=2")  # type: ignore[misc]
    assert row["dossiers"] == 80
    assert row["ratio"] == row["engine_per_s"] / row["raw_per_s"]
    assert list(tmp_path.iterdir()) == []  # its database was temporary
