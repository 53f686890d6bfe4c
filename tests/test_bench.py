"""The benchmarks still run (tiny sizes): a smoke test, never a timing assertion."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _bench_env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"OCOP_TEST_DATABASE_URL", "OCOP_BENCH_PG_URL"}
    }
    env.update(extra)
    return env


def _transitions(
    tmp_path: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "transitions.py"),
            "--transitions=40",
            "--dossiers=4",
            "--blocks=2",
            "--json",
            *args,
        ],
        cwd=tmp_path,
        env=env or _bench_env(),
        capture_output=True,
        text=True,
        check=True,
    )


def test_transitions_bench_runs_and_reports_ratios(tmp_path: Path) -> None:
    """bench/transitions.py prints raw and engine rates and their ratio for each SQLite mode."""
    result = _transitions(tmp_path, "--memory-sizes=10,20", "--no-eventsourcing")
    report = json.loads(result.stdout)
    assert [r["backend"] for r in report["throughput"]] == [
        "sqlite WAL synchronous=FULL",
        "sqlite WAL synchronous=NORMAL",
    ]
    for row in report["throughput"]:
        rounds = row["rounds"]
        assert len(rounds["raw"]) == len(rounds["engine"]) == 2  # --blocks=2
        assert row["raw_per_s"] == statistics.median(rounds["raw"])
        assert row["engine_per_s"] == statistics.median(rounds["engine"])
        # each round's engine block against the raw block run just before it
        ratios = [e / r for e, r in zip(rounds["engine"], rounds["raw"], strict=True)]
        assert row["ratio"] == statistics.median(ratios)
        assert "eventsourcing_per_s" not in row
    assert [m["dossiers"] for m in report["memory"]] == [10, 20]
    assert list(tmp_path.iterdir()) == []  # its databases were temporary


def test_transitions_bench_compares_with_eventsourcing(tmp_path: Path) -> None:
    """With the bench extra installed, the eventsourcing library runs on the same databases and
    engine ÷ eventsourcing is reported for each SQLite mode."""
    pytest.importorskip("eventsourcing", reason="the bench extra (eventsourcing) is not installed")
    report = json.loads(_transitions(tmp_path, "--memory-sizes=").stdout)
    assert report["eventsourcing"]["version"]
    assert len(report["throughput"]) == 2
    for row in report["throughput"]:
        rounds = row["rounds"]
        ratios = [e / o for e, o in zip(rounds["engine"], rounds["eventsourcing"], strict=True)]
        assert row["engine_vs_eventsourcing"] == statistics.median(ratios)
        assert row["eventsourcing_per_s"] == statistics.median(rounds["eventsourcing"])
        # 4 aggregates, 40 measured operations and the warm-up's 20 after registration.
        assert row["eventsourcing_events_per_load"] == 1 + 60 / 4
    assert list(tmp_path.iterdir()) == []


def test_transitions_bench_without_eventsourcing_says_so(tmp_path: Path) -> None:
    """Without the eventsourcing package the comparison is skipped with a message naming the
    extra; the rest of the benchmark runs."""
    hidden = tmp_path / "hide"
    (hidden / "eventsourcing").mkdir(parents=True)
    (hidden / "eventsourcing" / "__init__.py").write_text("raise ImportError('hidden')\n")
    work = tmp_path / "work"
    work.mkdir()
    result = _transitions(work, "--memory-sizes=", env=_bench_env(PYTHONPATH=str(hidden)))
    report = json.loads(result.stdout)
    assert "eventsourcing comparison skipped" in result.stderr
    assert "'.[bench]'" in result.stderr
    assert "skipped" in report["eventsourcing"]
    assert all("eventsourcing_per_s" not in row for row in report["throughput"])


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


def test_profile_bench_runs(tmp_path: Path) -> None:
    """bench/profile_engine.py profiles the engine path and prints µs per transition."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "profile_engine.py"), "--transitions=20"],
        cwd=tmp_path,
        env=_bench_env(),
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.startswith("sqlite NORMAL: unprofiled ")
    assert "ocop_cycle/_handlers.py" in result.stdout
    assert list(tmp_path.iterdir()) == []


def test_migrate_bench_runs(tmp_path: Path) -> None:
    """bench/migrate.py migrates its open dossiers with the engine and the raw loop, which leave
    them alike, and reports both sides and the ratio."""
    (row,) = _run(tmp_path, "migrate.py", "--dossiers=80", "--units=2")  # type: ignore[misc]
    assert row["dossiers"] == 80
    assert row["ratio"] == row["engine_per_s"] / row["raw_per_s"]
    assert list(tmp_path.iterdir()) == []  # its database was temporary
