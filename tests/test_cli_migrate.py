"""`ocop-cycle migrate`: what it prints, its dry run, its exit statuses (0 done, 1 an error in one
line, 2 bad usage), on SQLite and PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from uuid import UUID

import pytest

from ocop_cycle import Engine, SettableClock
from ocop_cycle.cli import main
from tests.migration_store import EXPECTED, build
from tests.scenario import snapshot

ARGS = ["migrate", "--from", "qd148-2023", "--to", "qd1489-2025", "--effective", "2025-07-06"]


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ocop_cycle.cli", *args], capture_output=True, text=True, check=False
    )


@pytest.fixture
def stopped(engine: Engine, clock: SettableClock) -> dict[str, UUID]:
    """The store stopped at 30/06/2025 (the command itself runs on today's clock)."""
    return build(engine, clock)


def run_main(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[str], str]:
    """`ocop-cycle ARGS` in-process: (status, stdout lines, stderr)."""
    capsys.readouterr()
    status = main(list(args))
    out = capsys.readouterr()
    return status, out.out.splitlines(), out.err


def test_help_explains_the_command() -> None:
    """`migrate --help` names every option and the exit statuses."""
    result = cli("migrate", "--help")
    assert result.returncode == 0
    for word in ("--from", "--to", "--effective", "--unit", "--dry-run", "--actor", "exit status"):
        assert word in result.stdout
    assert "migrate" in cli("--help").stdout


@pytest.mark.parametrize(
    "args",
    [
        ["migrate", "--from", "qd148-2023", "--effective", "2025-07-06"],  # no --to
        [*ARGS[:-1], "6/7/2025"],  # not an ISO date
        [*ARGS, "--unit", "2170"],  # not a unit code
        [*ARGS, "--actor", "mayor@24"],  # not a role
    ],
)
def test_bad_usage_exits_2(args: list[str]) -> None:
    """A missing option or a malformed value is a usage error: exit 2, nothing run."""
    with pytest.raises(SystemExit) as exited:
        main(args)
    assert exited.value.code == 2


def test_dry_run_prints_what_the_run_then_does(
    engine: Engine, stopped: dict[str, UUID], db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """The dry run prints one line per dossier (id, product, from -> to) and writes nothing; the
    run prints the same lines and does it; a second run says there is nothing left."""
    before = snapshot(engine)
    status, dry, _ = run_main(capsys, "--db", db_url, *ARGS, "--dry-run")
    assert status == 0
    assert snapshot(engine) == before
    assert dry[-1].endswith(
        f"dry run, nothing written: {len(EXPECTED)} would be migrated, 0 unmappable, "
        "0 skipped, 0 migrated earlier"
    )
    district = engine.get(stopped["district_3star"])
    assert f"{district.id}  «{district.product_name}»  district_scored → commune_verified" in dry
    status, done, _ = run_main(capsys, "--db", db_url, *ARGS)
    assert status == 0
    assert done[:-1] == dry[:-1]
    assert done[-1] == (
        f"qd148-2023 → qd1489-2025 (effective 2025-07-06): {len(EXPECTED)} migrated, "
        "0 unmappable, 0 skipped, 0 migrated earlier"
    )
    assert engine.get(district.id).profile_id == "qd1489-2025"
    status, again, _ = run_main(capsys, "--db", db_url, *ARGS)
    assert status == 0
    assert again == [
        "qd148-2023 → qd1489-2025 (effective 2025-07-06): 0 migrated (nothing left to migrate), "
        f"0 unmappable, 0 skipped, {len(EXPECTED)} migrated earlier"
    ]


def test_unit_actor_and_quiet(
    engine: Engine, stopped: dict[str, UUID], db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """--unit limits the run, --actor names who does it (within its jurisdiction), --quiet
    prints only the summary when nothing is left behind."""
    args = ["--db", db_url, *ARGS, "--unit", "216", "--actor", "province_office@24", "--quiet"]
    status, out, _ = run_main(capsys, *args)
    assert status == 0
    assert out == [
        "qd148-2023 → qd1489-2025 (effective 2025-07-06, unit 216): 2 migrated, 0 unmappable, "
        "0 skipped, 0 migrated earlier"
    ]
    tan_yen = engine.get(stopped["tan_yen_registered"])
    assert engine.history(tan_yen.id)[-1].actor.role == "province_office"
    status, out, _ = run_main(capsys, "--db", db_url, *ARGS, "--actor", "province_office@01")
    assert status == 0
    assert out == [  # Hà Nội's office sees nothing of Bắc Giang's dossiers
        "qd148-2023 → qd1489-2025 (effective 2025-07-06): 0 migrated (nothing left to "
        "migrate), 0 unmappable, 0 skipped, 0 migrated earlier"
    ]


@pytest.mark.parametrize(
    ("change", "says"),
    [
        (["--to", "qd999-2030"], "qd999-2030"),
        (["--from", "qd1048-2019"], "qd1489-2025 defines no migration from qd1048-2019"),
        (["--effective", "2025-07-01"], "before Quyết định 1489/QĐ-TTg ngày 06/7/2025"),
        (["--effective", "2099-01-01"], "is in the future"),
        (["--actor", "commune_officer@07426"], "may not migrate"),
    ],
)
def test_errors_exit_1_with_one_line(
    db_url: str,
    capsys: pytest.CaptureFixture[str],
    change: list[str],
    says: str,
) -> None:
    """Refused migrations exit 1 with one line on stderr naming the problem."""
    args = [*ARGS]
    option, value = change
    if option in args:
        args[args.index(option) + 1] = value
    else:
        args += change
    status, out, err = run_main(capsys, "--db", db_url, *args)
    assert status == 1
    assert out == []
    assert err.count("\n") == 1
    assert err.startswith("ocop-cycle: ")
    assert says in err


def test_database_problems_exit_1_without_traceback(tmp_path: Path) -> None:
    """A database without the schema, or none reachable: one line, exit 1, no traceback."""
    empty = cli("--db", f"sqlite:///{tmp_path / 'empty.db'}", *ARGS)
    unreachable = cli("--db", "postgresql+psycopg://nobody@127.0.0.1:9/none", *ARGS)
    for result in (empty, unreachable):
        assert result.returncode == 1, result.stderr
        assert result.stderr.startswith("ocop-cycle: ")
        assert result.stderr.count("\n") == 1  # one line: no traceback
    assert "db upgrade" in empty.stderr
