"""How the CLI draws: one table style for every list, a line when a list is cut, and progress
bars on a terminal only (piped output stays clean)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TextIO

from rich import box
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

__all__ = ["ALL_HINT", "cell", "cut_line", "print_table", "progress", "rows_to_fetch"]

#: What a cut list tells its reader to do to see everything.
ALL_HINT = "--all for every row"


def cell(value: Any) -> str:
    """A value as a table shows it: ``—`` for nothing, an enum by its value."""
    if value is None:
        return "—"
    if hasattr(value, "value"):
        return str(value.value)
    return str(value)


def print_table(
    headers: Sequence[str], rows: Iterable[Sequence[Any]], *, out: TextIO | None = None
) -> None:
    """Every table of the CLI, drawn the same way: bold headers under a rule, columns as wide
    as their widest value. On a terminal, fitted to its width; elsewhere never wrapped and
    without trailing spaces, one row a line, for grep and cut."""
    stream = out or sys.stdout
    terminal = stream.isatty()
    table = Table(
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        header_style="bold",
        highlight=False,
    )
    for header in headers:
        table.add_column(header, no_wrap=not terminal, overflow="fold")
    for row in rows:
        table.add_row(*(cell(v) for v in row))
    console = Console(
        file=stream, width=None if terminal else 100_000, highlight=False, emoji=False
    )
    if terminal:
        console.print(table)
        return
    with console.capture() as captured:
        console.print(table)
    stream.write("".join(line.rstrip() + "\n" for line in captured.get().splitlines()))


def rows_to_fetch(limit: int, every: bool, total: int) -> int:
    """How many rows a list fetches: ``limit``, or all ``total`` with ``--all``."""
    return max(total, 0) if every else max(limit, 0)


def cut_line(shown: int, total: int, noun: str) -> str:
    """The last line of a list: how many it shows, and how to see the rest when it is cut."""
    if shown < total:
        return f"showing {shown} of {total} {noun}; {ALL_HINT}"
    return f"{total} {noun}"


@contextmanager
def progress(label: str, unit: str) -> Iterator[Callable[[int, int], None]]:
    """A progress bar on stderr while long work runs, when stderr is a terminal; nothing when
    it is piped or redirected. Yields ``report(done, total)``."""
    console = Console(stderr=True)
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn(unit),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    # No redirection of stdout: a command's output (an export into a file) must not be routed
    # through the bar's console on stderr.
    with Progress(
        *columns,
        console=console,
        disable=not console.is_terminal,
        redirect_stdout=False,
        redirect_stderr=False,
    ) as bar:
        task = bar.add_task(label, total=None)

        def report(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield report
