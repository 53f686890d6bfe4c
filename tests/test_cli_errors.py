"""An honest CLI: operational errors are one line and exit 1, usage errors exit 2, never a
traceback; read-only commands never create a database; --version; python -m ocop_cycle."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path
from uuid import uuid4

import pytest

from ocop_cycle import __version__

UNREACHABLE = "postgresql://postgres@127.0.0.1:1/ocop"


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ocop_cycle", *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
    )


def assert_one_line(result: subprocess.CompletedProcess[str], *words: str) -> str:
    """Exit 1, nothing on stdout, one line on stderr naming ``words``, no traceback."""
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == 1, result.stderr
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("ocop-cycle: ")
    for word in words:
        assert word in lines[0]
    return lines[0]


@pytest.fixture
def store(tmp_path: Path) -> str:
    """A migrated SQLite store."""
    url = f"sqlite:///{tmp_path / 'store.db'}"
    assert run("--db", url, "db", "upgrade").returncode == 0
    return url


@pytest.mark.parametrize("command", [["dossier", "list"], ["db", "upgrade"], ["audit", "verify"]])
def test_not_a_url(command: list[str]) -> None:
    """`--db "not a url"`: one line saying so, exit 1."""
    assert_one_line(run("--db", "not a url", *command), "not a database URL", "'not a url'")


def test_unsupported_database() -> None:
    """A database ocop-cycle does not run on is named in one line."""
    assert_one_line(run("--db", "mysql://a@b/c", "dossier", "list"), "mysql", "PostgreSQL")


@pytest.mark.parametrize(
    "command", [["db", "upgrade"], ["db", "current"], ["dossier", "list"], ["outbox", "list"]]
)
def test_unreachable_postgresql(command: list[str]) -> None:
    """A PostgreSQL server that does not answer (port 1): one line, exit 1."""
    assert_one_line(run("--db", UNREACHABLE, *command), "database error", "port 1")


def test_missing_import_file(store: str, tmp_path: Path) -> None:
    """import-plan on a file that is not there: one line naming it, exit 1."""
    missing = tmp_path / "không-có.csv"
    assert_one_line(run("--db", store, "import-plan", str(missing)), str(missing))


@pytest.mark.parametrize("where", ["missing-dir/out.jsonl", "store.db/out.jsonl"])
def test_unwritable_output(store: str, tmp_path: Path, where: str) -> None:
    """An --out that cannot be written (no such directory, a file as directory): one line."""
    target = tmp_path / where
    assert_one_line(run("--db", store, "audit", "export", "--out", str(target)), str(target))


def test_missing_key_file(store: str, tmp_path: Path) -> None:
    """A --key-file that is not there: one line, exit 1."""
    assert_one_line(run("--db", store, "--key-file", str(tmp_path / "k"), "audit", "verify"))


def test_an_empty_key_file_is_refused(store: str, tmp_path: Path) -> None:
    """An empty --key-file holds no key: one line saying so, exit 1 (not "another key")."""
    empty = tmp_path / "k"
    empty.write_bytes(b"\n")
    message = assert_one_line(run("--db", store, "--key-file", str(empty), "audit", "verify"))
    assert "empty" in message


def test_no_schema_yet_sqlite(tmp_path: Path) -> None:
    """An existing SQLite file without the schema: one line pointing at `db upgrade`."""
    path = tmp_path / "bare.db"
    sqlite3.connect(path).close()
    assert_one_line(run("--db", f"sqlite:///{path}", "dossier", "list"), "db upgrade")


def test_no_schema_yet_postgresql(empty_url: str) -> None:
    """A reachable database without the schema (PostgreSQL and SQLite): one line, `db upgrade`."""
    assert_one_line(run("--db", empty_url, "outbox", "list"), "db upgrade")


@pytest.mark.parametrize(
    "command",
    [
        ["report", "plan"],
        ["audit", "verify"],
        ["audit", "replay"],
        ["audit", "export"],
        ["audit", "checkpoint"],
        ["dossier", "list"],
        ["dossier", "show", "00000000-0000-0000-0000-000000000001"],
        ["outbox", "list"],
        ["deadlines"],
        ["db", "current"],
        ["scheduler", "run", "--once"],
    ],
)
def test_no_database_is_created(tmp_path: Path, command: list[str]) -> None:
    """A command other than `db upgrade` and `demo` on a missing SQLite file creates nothing."""
    path = tmp_path / "typo.db"
    assert_one_line(run("--db", f"sqlite:///{path}", *command), str(path), "db upgrade")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "args",
    [
        ["frobnicate"],
        ["dossier", "list", "--limit", "many"],
        ["audit", "history", "not-a-uuid"],
        ["audit", "verify", "--from-export", "x.jsonl", "--dossier", str(uuid4())],
    ],
)
def test_usage_errors_exit_2(args: list[str]) -> None:
    """A usage error: exit 2, argparse's message, no traceback."""
    result = run(*args)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines()[-1].startswith("ocop-cycle")


def test_version() -> None:
    """--version prints the package's version, from its one source."""
    result = run("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"ocop-cycle {__version__}"


def test_python_m_ocop_cycle() -> None:
    """`python -m ocop_cycle` is the ocop-cycle command."""
    result = run("--help")
    assert result.returncode == 0
    assert result.stdout.startswith("usage: ocop-cycle")


def test_an_unexpected_error_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A bug (an exception outside ocop-cycle's tree) is still one line and exit 1; -vv adds
    the traceback."""
    from ocop_cycle import cli

    def broken(_: object) -> int:
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setattr(cli, "_run", broken)
    assert cli.main(["diagram"]) == 1
    err = capsys.readouterr().err
    assert (
        err
        == "ocop-cycle: internal error: RuntimeError: boom second line (-vv shows the traceback)\n"
    )
    assert cli.main(["-vv", "diagram"]) == 1
    assert "Traceback" in capsys.readouterr().err


def test_interrupted(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """Ctrl-C: exit 130, one line, no traceback."""
    from ocop_cycle import cli

    def interrupted(_: object) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "_run", interrupted)
    assert cli.main(["diagram"]) == 130
    assert capsys.readouterr().err == "ocop-cycle: interrupted\n"


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["outbox", "claim", "--consumer", " "], "must not be blank"),
        (["outbox", "ack", "--consumer", "", "x"], "must not be blank"),
        (["outbox", "claim", "--consumer", "portal", "--lease", "nan"], "at most 86400"),
        (["outbox", "claim", "--consumer", "portal", "--lease", "1e20"], "at most 86400"),
        (["outbox", "claim", "--consumer", "portal", "--lease", "0"], "more than 0"),
        (["dossier", "list", "--limit", "-5"], "must be from 1 to"),
        (["outbox", "list", "--limit", "0"], "must be from 1 to"),
        (["deadlines", "--limit", "99999999999999999999"], "must be from 1 to 2147483647"),
        (["outbox", "claim", "--consumer", "p", "--limit", "99999999999999999999"], "from 1 to"),
        (["outbox", "claim", "--consumer", "p" * 201], "at most 200 characters"),
        (["outbox", "ack", "--consumer", "p" * 201, "x"], "at most 200 characters"),
        (["deadlines", "--due-before", "9999-12-31T23:59:59-12:00"], "not a date of the"),
        (["scheduler", "run", "--interval", "0"], "more than 0"),
        (["scheduler", "run", "--interval", "nan"], "at most 86400"),
        (["scheduler", "run", "--interval", "1e308"], "at most 86400"),
        (["scheduler", "run", "--name", "a b"], "letters, digits and _"),
        (["scheduler", "run", "--simulated", "--from", "0001-01-01T00:00+14:00"], "not a date"),
        (["scheduler", "run", "--simulated", "--from", "2024-01-01"], "both needed"),
        (
            ["scheduler", "run", "--simulated", "--from", "2024-02-01", "--until", "2024-01-01"],
            "--until is before --from",
        ),
        (["import-plan", "--year", "99999", "plan.csv"], "not a plan year"),
        (["import-plan", "--year", "0", "plan.csv"], "not a plan year"),
        (["report", "plan", "--year", "24"], "not a plan year"),
    ],
)
def test_values_out_of_range_are_usage_errors(
    store: str, args: list[str], says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A blank or overlong consumer, a lease or interval that is not a duration, a limit below
    1 or beyond the databases' integers, a year no plan has, a date out of any year of the
    programme, a simulation without its span: exit 2 naming the argument, before anything is
    read or written (they failed at the database, or as internal errors)."""
    from ocop_cycle.cli import main

    with pytest.raises(SystemExit) as caught:
        main(["--db", store, *args])
    assert caught.value.code == 2
    err = capsys.readouterr().err
    assert says in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--once"], "--once means nothing"),
        (["--interval", "5"], "--interval means nothing"),
    ],
)
def test_simulation_options_that_mean_nothing_exit_2(
    store: str, args: list[str], words: str
) -> None:
    common = ["--simulated", "--from", "2024-01-01", "--until", "2024-02-01"]
    result = run("--db", store, "scheduler", "run", *common, *args)
    assert result.returncode == 2
    assert words in result.stderr


def test_a_simulation_end_without_simulated_exits_2(store: str) -> None:
    result = run("--db", store, "scheduler", "run", "--once", "--until", "2024-02-01")
    assert result.returncode == 2
    assert "add --simulated" in result.stderr


def test_a_simulation_until_a_date_runs_through_that_day() -> None:
    """`--until 2024-02-01` applies what falls due on 1 February too (a renewal notice at
    08:00 that day), as "until" is read in an office."""
    from datetime import datetime, time

    from ocop_cycle.cli import build_parser
    from ocop_cycle.clock import VN_TZ

    args = build_parser().parse_args(
        ["scheduler", "run", "--simulated", "--from", "2024-01-01", "--until", "2024-02-01"]
    )
    assert args.until == datetime(2024, 2, 1, 23, 59, 59, 999999, tzinfo=VN_TZ)
    assert args.start == datetime.combine(args.start.date(), time(0), tzinfo=VN_TZ)
