"""Packaging: one version, a license, a changelog, an API reference covering the front door,
and an sdist from which the package installs and its tests pass."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tarfile
import tomllib
from pathlib import Path

import pytest

import ocop_cycle

ROOT = Path(__file__).resolve().parents[1]


def test_one_source_for_the_version() -> None:
    """pyproject takes the version from ocop_cycle.__version__; the changelog has no newer one."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" not in project["project"]
    assert project["project"]["dynamic"] == ["version"]
    assert project["tool"]["hatch"]["version"]["path"] == "ocop_cycle/__init__.py"
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    released = re.findall(r"^## \[(\d+\.\d+\.\d+)\]", changelog, flags=re.M)
    assert released[0] == ocop_cycle.__version__


def test_license_is_the_declared_one() -> None:
    """The LICENSE file is the MIT license the metadata declares."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["license"] == "MIT"
    assert (ROOT / "LICENSE").read_text(encoding="utf-8").startswith("MIT License")


def test_api_reference_covers_every_export() -> None:
    """Every name of the front door (constants aside) has its entry in docs/api/."""
    pages = "".join(p.read_text(encoding="utf-8") for p in (ROOT / "docs" / "api").glob("*.md"))
    listed = set(re.findall(r"^::: ocop_cycle\.(\w+)$", pages, flags=re.M))
    assert listed == {name for name in ocop_cycle.__all__ if not name.isupper()}


@pytest.mark.slow
def test_sdist_installs_and_its_tests_pass(tmp_path: Path) -> None:
    """The sdist, built offline, installs; from its unpacked tree (without the source package,
    so the installed one is imported) a quick subset of its own tests passes."""
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "build", "--sdist", "--no-isolation", "--outdir", str(dist)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    [sdist] = dist.glob("ocop_cycle-*.tar.gz")
    assert sdist.name == f"ocop_cycle-{ocop_cycle.__version__}.tar.gz"
    with tarfile.open(sdist) as archive:
        archive.extractall(tmp_path / "unpacked", filter="data")
    [tree] = (tmp_path / "unpacked").iterdir()
    for needed in ("LICENSE", "CHANGELOG.md", "examples/quickstart.py", "tests/conftest.py"):
        assert (tree / needed).is_file(), needed
    site = tmp_path / "site"
    subprocess.run(
        [
            sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
            "--no-build-isolation", "--target", str(site), str(sdist),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    shutil.rmtree(tree / "ocop_cycle")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), str(tree)])}
    env.pop("OCOP_TEST_DATABASE_URL", None)  # the SQLite half is enough here
    quick = [  # the demo itself runs in the main suite: here, that the installed tree works
        "tests/test_readme.py::test_quick_start_runs_twice_with_the_same_result",
        "tests/test_readme.py::test_diagram_is_current",
        "tests/test_front_door.py",
        "tests/test_rules.py",
        "tests/test_quiet_library.py",
        "tests/test_cli.py::test_db_upgrade_creates_the_schema",
    ]
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:cacheprovider",
         *quick],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    imported = subprocess.run(
        [sys.executable, "-c", "import ocop_cycle; print(ocop_cycle.__file__)"],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert imported.stdout.strip().startswith(str(site))
