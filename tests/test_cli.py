"""The `ocop-cycle` command: help, schema, diagram, dossier show, exit statuses."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import update

from ocop_cycle import Engine, SettableClock
from ocop_cycle._storage.database import HEAD
from ocop_cycle._storage.schema import events
from ocop_cycle.cli import main
from tests.scenario import Walk


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ocop_cycle.cli", *args], capture_output=True, text=True, check=False
    )


def test_help_lists_commands() -> None:
    """--help explains the tool and lists its commands; exit 0."""
    result = run("--help")
    assert result.returncode == 0
    for word in ("db", "diagram", "dossier", "OCOP_DATABASE_URL"):
        assert word in result.stdout


def test_bad_usage_exits_2() -> None:
    """An unknown command is a usage error."""
    assert run("frobnicate").returncode == 2


def test_db_upgrade_creates_the_schema(tmp_path: Path) -> None:
    """`db upgrade` migrates a new SQLite file; `db current` then says 0001."""
    url = f"sqlite:///{tmp_path / 'x.db'}"
    assert run("--db", url, "db", "upgrade").returncode == 0
    current = run("--db", url, "db", "current")
    assert current.stdout.strip() == HEAD


def test_db_option_after_the_command(tmp_path: Path) -> None:
    """`ocop-cycle db upgrade --db URL` is the same as `ocop-cycle --db URL db upgrade`."""
    url = f"sqlite:///{tmp_path / 'late.db'}"
    assert run("db", "upgrade", "--db", url).returncode == 0
    assert run("db", "current", "--db", url).stdout.strip() == HEAD
    assert (tmp_path / "late.db").exists()


def test_database_url_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without --db the URL comes from OCOP_DATABASE_URL."""
    monkeypatch.setenv("OCOP_DATABASE_URL", f"sqlite:///{tmp_path / 'env.db'}")
    assert main(["db", "upgrade"]) == 0
    assert (tmp_path / "env.db").exists()


def test_diagram_per_profile() -> None:
    """`diagram --profile` prints the Mermaid graph of that profile's machine."""
    out = run("diagram", "--profile", "qd1489-2025").stdout
    assert out.startswith("stateDiagram-v2")
    assert "province_scored" in out
    assert "district_scored" not in out


def test_unknown_profile_exits_1() -> None:
    """An unknown profile is an ocop-cycle error: message on stderr, exit 1."""
    result = run("diagram", "--profile", "qd1-2000")
    assert result.returncode == 1
    assert "no rule profile" in result.stderr


def test_dossier_show(
    engine: Engine, clock: SettableClock, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """`dossier show` prints the state in Vietnamese and the history; --format json is parseable."""
    d = Walk(engine, clock).certified()
    assert main(["--db", db_url, "dossier", "show", str(d.id)]) == 0
    out = capsys.readouterr().out
    assert "Đã công nhận" in out
    assert "Quyết định công nhận" in out
    assert main(["--db", db_url, "dossier", "show", str(d.id), "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["dossier"]["state"] == "certified"
    assert [e["seq"] for e in doc["events"]] == list(range(1, d.version + 1))


def test_dossier_show_missing_exits_1(tmp_path: Path) -> None:
    """An unknown dossier id: exit 1 and a message."""
    url = f"sqlite:///{tmp_path / 'x.db'}"
    run("--db", url, "db", "upgrade")
    result = run("--db", url, "dossier", "show", "00000000-0000-0000-0000-000000000001")
    assert result.returncode == 1
    assert "no dossier" in result.stderr


def test_show_before_upgrade_says_so(tmp_path: Path) -> None:
    """On a database without the schema the CLI says to run `db upgrade`."""
    url = f"sqlite:///{tmp_path / 'new.db'}"
    result = run("--db", url, "dossier", "show", "00000000-0000-0000-0000-000000000001")
    assert result.returncode == 1
    assert "db upgrade" in result.stderr


def test_operator_commands(
    engine: Engine, clock: SettableClock, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """deadlines lists what is pending; a simulated run applies it; outbox list/claim/ack."""
    Walk(engine, clock).certified()
    capsys.readouterr()  # drop the setup's log lines
    assert main(["--db", db_url, "deadlines", "--format", "json"]) == 0
    pending = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert "expiry" in {p["kind"] for p in pending}
    assert main(["--db", db_url, "deadlines", "--due-before", "2023-03-02"]) == 0
    assert "0 pending" in capsys.readouterr().out
    assert (
        main(
            [
                "--db",
                db_url,
                "scheduler",
                "run",
                "--simulated",
                "--from",
                "2023-03-02",
                "--until",
                "2026-12-31",
            ]
        )
        == 0
    )
    assert f"{len(pending)} deadlines settled" in capsys.readouterr().out
    assert main(["--db", db_url, "outbox", "list"]) == 0
    listed = capsys.readouterr().out
    assert "hết hiệu lực" in listed
    assert main(["--db", db_url, "outbox", "claim", "--consumer", "test", "--limit", "2"]) == 0
    claimed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(claimed) == 2
    ids = [c["notification_id"] for c in claimed]
    assert main(["--db", db_url, "outbox", "ack", "--consumer", "test", *ids]) == 0
    assert "2 acknowledged" in capsys.readouterr().out
    assert main(["--db", db_url, "outbox", "ack", "--consumer", "sms", *ids]) == 0
    assert "0 acknowledged" in capsys.readouterr().out  # "sms" never claimed them
    assert main(["--db", db_url, "outbox", "list", "--consumer", "test", "--all"]) == 0
    assert listed.count("hết hiệu lực") == capsys.readouterr().out.count("hết hiệu lực")


def test_simulation_needs_both_ends(tmp_path: Path) -> None:
    """--simulated without --until is bad usage: exit 2 and a message naming the options."""
    url = f"sqlite:///{tmp_path / 'x.db'}"
    run("--db", url, "db", "upgrade")
    result = run("--db", url, "scheduler", "run", "--simulated", "--from", "2024-01-01")
    assert result.returncode == 2
    assert "--from and --until are both needed" in result.stderr


def test_once_sweeps_and_exits(tmp_path: Path) -> None:
    """`scheduler run --once` sweeps what is due now and exits 0."""
    url = f"sqlite:///{tmp_path / 'x.db'}"
    run("--db", url, "db", "upgrade")
    result = run("--db", url, "scheduler", "run", "--once")
    assert result.returncode == 0
    assert "0 deadlines settled" in result.stdout


def test_audit_commands(
    engine: Engine,
    clock: SettableClock,
    db_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """audit checkpoint/verify/history/replay/export, and verify exits 1 naming a broken link."""
    d = Walk(engine, clock).certified()
    capsys.readouterr()
    assert main(["--db", db_url, "audit", "checkpoint"]) == 0
    root = capsys.readouterr().out.split("root ")[1].strip()
    assert main(["--db", db_url, "audit", "verify", "--published-root", root]) == 0
    assert "intact" in capsys.readouterr().out
    assert main(["--db", db_url, "audit", "history", str(d.id), "--as-of", "2023-03-01"]) == 0
    assert "Quyết định công nhận" in capsys.readouterr().out
    assert main(["--db", db_url, "audit", "replay"]) == 0
    assert "all equal" in capsys.readouterr().out
    export = tmp_path / "e.jsonl"
    assert main(["--db", db_url, "audit", "export", "--out", str(export)]) == 0
    assert main(["--db", db_url, "audit", "verify", "--from-export", str(export)]) == 0
    assert main(["--db", db_url, "audit", "verify", "--published-root", "0" * 64]) == 1
    with engine.sa_engine.begin() as conn:
        conn.execute(update(events).where(events.c.seq == 2).values(actor_id="x"))
    capsys.readouterr()
    assert main(["--db", db_url, "audit", "verify", "--dossier", str(d.id)]) == 1
    out = capsys.readouterr().out
    assert f"BROKEN  dossier {d.id} seq 2: hash_mismatch" in out


def test_audit_with_key_file(
    db_url: str, clock: SettableClock, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A keyed store verifies with --key-file and not without it."""
    key = tmp_path / "hmac.key"
    key.write_bytes(b"khoa-bi-mat\n")
    with Engine.open(db_url, clock=clock, hmac_key=b"khoa-bi-mat") as keyed:
        Walk(keyed, clock).register()
    assert main(["--db", db_url, "--key-file", str(key), "audit", "verify"]) == 0
    assert main(["--db", db_url, "audit", "verify"]) == 1
    assert main(["--db", db_url, "--key-file", str(tmp_path / "missing"), "audit", "verify"]) == 1
    assert "--key-file" in capsys.readouterr().err
