"""Options of the plan commands that cannot go together are bad usage: exit 2 with one line,
said once before any file or database is read."""

from __future__ import annotations

from pathlib import Path

import pytest

from ocop_cycle.cli import main


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (
            ["report", "plan", "--format", "xlsx"],
            "report plan --format xlsx: --output FILE is needed",
        ),
        (
            ["import-plan", "plan.xlsx", "--unit", "07426"],
            "import-plan --unit 07426: a commune's code; a plan is issued by a district",
        ),
        (
            ["import-plan", "plan.xlsx", "--registered-on", "2999-03-01"],
            "import-plan --registered-on 01/03/2999: a day still to come",
        ),
        (
            ["import-plan", "plan.xlsx", "--registered-on", "2018-03-01"],
            "import-plan --registered-on 01/03/2018: no OCOP rules were in force then",
        ),
    ],
    ids=["xlsx-without-output", "commune-unit", "future-day", "before-ocop-rules"],
)
def test_bad_usage_exits_2_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], says: str
) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["--db", f"sqlite:///{tmp_path / 'none.db'}", *args])
    assert caught.value.code == 2
    err = capsys.readouterr().err
    assert says in err
    assert err.count("error:") == 1  # after argparse's usage, the one problem
