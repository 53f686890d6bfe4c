"""The README's quick start runs, is the example file, and its diagram is the machine's."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from ocop_cycle.rules.book import default_rule_book
from ocop_cycle.workflows.machine import DossierMachine

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def block(lang: str) -> str:
    found = re.findall(rf"```{lang}\n(.*?)```", README, flags=re.S)
    assert len(found) == 1, f"expected one {lang} block"
    return found[0]


def test_quick_start_is_the_example() -> None:
    """The README shows exactly examples/quickstart.py."""
    assert block("python") == (ROOT / "examples" / "quickstart.py").read_text(encoding="utf-8")


def test_quick_start_runs_twice_with_the_same_result(tmp_path: Path) -> None:
    """The quick start certifies a product; run again on the same file it writes nothing new."""
    script = ROOT / "examples" / "quickstart.py"
    # As a host that configured logging would: the library's records then come out (stderr).
    host = (
        "import logging, runpy, sys; logging.basicConfig(level=logging.INFO); "
        "runpy.run_path(sys.argv[1], run_name='__main__')"
    )
    runs = [
        subprocess.run(
            [sys.executable, "-c", host, str(script)],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            check=True,
        )
        for _ in range(2)
    ]
    assert "Đã công nhận 3★ đến 2027-06-20" in runs[0].stdout.splitlines()
    assert runs[0].stdout == runs[1].stdout
    assert "dossier.transition" in runs[0].stderr  # the first run did the work...
    assert "dossier.transition" not in runs[1].stderr  # ...the second only read it back
    assert (tmp_path / "ocop.db").exists()


def test_diagram_is_current() -> None:
    """The README's diagram is what `ocop-cycle diagram --profile qd148-2023` prints today."""
    machine = DossierMachine(default_rule_book().profile("qd148-2023"))
    assert block("mermaid") == machine.mermaid()


def test_two_commands_for_a_fresh_machine() -> None:
    """The first shell block holds exactly two commands, and CI calls the test one."""
    first = re.search(r"```sh\n(.*?)```", README, flags=re.S)
    assert first is not None
    commands = [line.split("#")[0].strip() for line in first.group(1).splitlines()]
    assert [c for c in commands if c] == ["make demo", "make test"]
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_first_command_is_the_demo_on_sqlite(tmp_path: Path) -> None:
    """`make demo` runs `ocop-cycle demo` on a SQLite file; that command, run twice as the
    Makefile runs it, ends with the plan report and an intact audit both times, same numbers."""
    recipe = re.search(r"^demo:.*\n\t(.*)$", (ROOT / "Makefile").read_text(), flags=re.M)
    assert recipe is not None
    args = recipe.group(1).split()
    assert args[0].endswith("/ocop-cycle")
    assert args[1:] == ["--db", "sqlite:///ocop-demo.db", "demo", "--reset"]
    outs = [
        subprocess.run(
            [sys.executable, "-m", "ocop_cycle.cli", *args[1:]],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for _ in range(2)
    ]
    assert "Mục tiêu kế hoạch" in outs[0]
    assert "intact" in outs[0]
    assert outs[0] == outs[1]
