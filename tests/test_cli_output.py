"""The CLI's lists say when they are cut (--limit, --all), its tables are drawn one way, and
long work shows progress on a terminal only."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from ocop_cycle import Engine, SettableClock
from ocop_cycle.cli import main
from tests.scenario import Walk

ROOT = Path(__file__).resolve().parents[1]


def _listed(capsys: pytest.CaptureFixture[str], *args: str) -> list[str]:
    assert main(list(args)) == 0
    return capsys.readouterr().out.splitlines()


def _store(engine: Engine, clock: SettableClock, dossiers: int) -> None:
    walk = Walk(engine, clock)
    for n in range(dossiers):
        walk.certified(name=f"Sản phẩm {n}")


def test_dossier_list_says_when_cut(
    engine: Engine, clock: SettableClock, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """`dossier list --limit 2` of 3 says so and how to see all; `--all` shows all three."""
    _store(engine, clock, 3)
    cut = _listed(capsys, "--db", db_url, "dossier", "list", "--limit", "2")
    assert cut[-1] == "showing 2 of 3 dossiers; --all for every row"
    assert len(cut) == 2 + 2 + 1  # header, rule, two rows, the line
    every = _listed(capsys, "--db", db_url, "dossier", "list", "--all", "--limit", "1")
    assert every[-1] == "3 dossiers"
    assert len(every) == 2 + 3 + 1


def test_outbox_and_deadlines_say_when_cut(
    engine: Engine, clock: SettableClock, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """`outbox list` and `deadlines` cut at --limit say "showing N of M"; --all lists every one."""
    _store(engine, clock, 2)
    total = len(engine.notifications(limit=10_000))
    assert total > 1
    cut = _listed(capsys, "--db", db_url, "outbox", "list", "--limit", "1")
    assert cut[-1] == f"showing 1 of {total} notifications; --all for every row"
    every = _listed(capsys, "--db", db_url, "outbox", "list", "--all")
    assert every[-1] == f"{total} notifications"
    assert len(every) == 2 + total + 1
    pending = _listed(capsys, "--db", db_url, "deadlines", "--all")
    count = int(pending[-1].split()[0])
    assert count > 1
    cut = _listed(capsys, "--db", db_url, "deadlines", "--limit", "1")
    assert cut[-1] == f"showing 1 of {count} pending; --all for every row"


def test_tables_piped_are_one_row_a_line(
    engine: Engine, clock: SettableClock, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Off a terminal a table is never wrapped: a header, a rule, one line per row, no
    trailing spaces."""
    _store(engine, clock, 1)
    lines = _listed(capsys, "--db", db_url, "outbox", "list", "--all")
    assert lines[0].split()[:2] == ["Mã", "thông"]
    assert set(lines[1]) == {"─"}
    assert all(line == line.rstrip() for line in lines)
    assert all(len(line) <= len(lines[1]) for line in lines[:-1])


def _run_on_terminal(args: list[str]) -> tuple[int, str, str]:
    """Run the CLI with stderr on a pseudo-terminal; (status, stdout, what the terminal got)."""
    master, slave = pty.openpty()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FORCE_", "NO_COLOR", "TTY_"))}
    env["TERM"] = "xterm-256color"
    env["COLUMNS"] = "120"
    proc = subprocess.Popen(
        [sys.executable, "-m", "ocop_cycle", *args],
        stdout=subprocess.PIPE,
        stderr=slave,
        env=env,
    )
    os.close(slave)
    seen = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    os.close(master)
    assert proc.stdout is not None
    with proc.stdout:
        out = proc.stdout.read().decode()
    return proc.wait(timeout=120), out, seen.decode(errors="replace")


@pytest.mark.parametrize("action", ["verify", "replay", "export"])
def test_long_audit_work_shows_progress_on_a_terminal_only(
    engine: Engine, clock: SettableClock, tmp_path: Path, action: str
) -> None:
    """audit verify/replay/export draw a bar (events done of total) when stderr is a
    terminal; piped, stderr carries no bar."""
    _store(engine, clock, 2)
    url = engine.sa_engine.url.render_as_string(hide_password=False)
    events = engine.count_events()
    status, out, terminal = _run_on_terminal(["--db", url, "audit", action])
    assert status == 0, terminal
    assert f"audit {action}" in terminal
    assert f"{events}/{events}" in terminal
    piped = subprocess.run(
        [sys.executable, "-m", "ocop_cycle", "--db", url, "audit", action],
        capture_output=True,
        text=True,
        check=False,
    )
    assert piped.returncode == 0
    assert f"audit {action}" not in piped.stderr
    assert piped.stdout == out


@pytest.mark.parametrize("fmt", ["json", "console"])
def test_daemon_log_format(
    engine: Engine,
    clock: SettableClock,
    db_url: str,
    capsys: pytest.CaptureFixture[str],
    fmt: str,
) -> None:
    """The daemon logs on stderr as --log-format says: JSON objects, or console lines."""
    _store(engine, clock, 1)
    capsys.readouterr()
    args = ["--db", db_url, "--log-format", fmt, "scheduler", "run", "--simulated"]
    assert main([*args, "--from", "2023-03-02", "--until", "2026-12-31"]) == 0
    lines = [ln for ln in capsys.readouterr().err.splitlines() if "deadline.applied" in ln]
    assert lines
    if fmt == "json":
        assert all(json.loads(ln)["event"] == "deadline.applied" for ln in lines)
    else:
        assert not any(ln.startswith("{") for ln in lines)
        assert all("[info" in ln for ln in lines)
