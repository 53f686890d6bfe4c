"""Where the engine's time goes per transition: cProfile around bench/transitions.py's engine path.

The same work as the engine side of ``bench/transitions.py`` (300 dossiers alternating
registered -> returned -> registered through the public API), warmed up, timed once without the
profiler, then once under cProfile. Prints the top functions by cumulative and by own time in
microseconds per transition (cProfile inflates Python-heavy code about 1.5-2x: compare entries
with each other, and with the unprofiled time, not with the raw rates).

Run: python bench/profile_engine.py [--pg URL] [--synchronous NORMAL|FULL] [--transitions N]
     [--dump FILE.pstats]
"""

from __future__ import annotations

import sys
from pathlib import Path

# bench/transitions.py shares its name with the `transitions` library: keep this folder off
# sys.path so the library, not the benchmark, is what ocop_cycle imports.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).parent.resolve()]

import argparse
import cProfile
import importlib.util
import pstats
import tempfile
from typing import Any

from ocop_cycle import Engine, SqliteSettings

ROOT = Path(__file__).resolve().parents[1]


def _harness() -> Any:
    path = Path(__file__).with_name("transitions.py")
    spec = importlib.util.spec_from_file_location("ocop_bench_transitions", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def profile(url: str, synchronous: str | None, transitions: int, dump: str | None) -> None:
    bench = _harness()
    settings = SqliteSettings(synchronous=synchronous) if synchronous else None  # type: ignore[arg-type]
    engine = Engine.open(url, clock=bench.TickingClock(bench.START), sqlite=settings)
    engine.upgrade()
    ids = bench.register(engine, 300, "profile")
    state = dict.fromkeys(ids, 0)
    bench.engine_block(engine, ids, 300, state)  # warm-up
    seconds = bench.engine_block(engine, ids, transitions, state)
    print(
        f"{url.split(':')[0]} {synchronous or ''}: unprofiled {transitions / seconds:.0f}/s, "
        f"{seconds / transitions * 1e6:.0f} µs per transition"
    )
    profiler = cProfile.Profile()
    profiler.enable()
    bench.engine_block(engine, ids, transitions, state)
    profiler.disable()
    engine.close()
    if dump:
        profiler.dump_stats(dump)
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    rows = []
    for (file, line, name), (_cc, calls, own, cumulative, _callers) in stats.items():
        where = file.split("site-packages/")[-1].replace(f"{ROOT}/", "")
        rows.append((cumulative, own, calls, f"{where}:{line}({name})"))
    for title, key in (("cumulative", 0), ("own time", 1)):
        print(f"\n{'µs/tr cum':>10} {'µs/tr own':>10} {'calls/tr':>9}  top 40 by {title}")
        for cumulative, own, calls, where in sorted(rows, key=lambda r: -r[key])[:40]:
            per = transitions / 1e6
            print(
                f"{cumulative / per:>10.1f} {own / per:>10.1f} {calls / transitions:>9.2f}  {where}"
            )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg", help="profile on this PostgreSQL database instead of SQLite")
    parser.add_argument("--synchronous", choices=["FULL", "NORMAL"], default="NORMAL")
    parser.add_argument("--transitions", type=int, default=3000)
    parser.add_argument("--dump", help="also write the raw profile here (pstats format)")
    args = parser.parse_args()
    if args.pg:
        profile(args.pg, None, args.transitions, args.dump)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'profile.db'}"
        profile(url, args.synchronous, args.transitions, args.dump)
    return 0


if __name__ == "__main__":
    sys.exit(main())
