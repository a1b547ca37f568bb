"""Benchmark the world generator: wall time and peak memory for a number of leads.

Each run happens in a fresh subprocess, so its peak resident set size (``ru_maxrss``) is its
own. Modes:

- ``stream``: iterate ``iter_world`` and drop each part (what a disk-backed store pays);
- ``memory``: build the whole world with ``generate_world``;
- ``save``: stream the parts into ``save_world`` in a temporary folder.

Usage::

    .venv/bin/python bench/bench_generate.py                      # 1,000,000 leads, stream, 3 runs
    .venv/bin/python bench/bench_generate.py --size 50000 --mode memory --repeat 1
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
AS_OF = datetime(2025, 3, 31, 15, 0, tzinfo=UTC)


def run_once(size: int, mode: str, seed: int, compress: bool) -> dict:
    """Generate one world in this process and return its figures."""
    sys.path.insert(0, str(ROOT))
    from sandbox.generate import generate_world, iter_world
    from sandbox.load import save_world

    started = time.perf_counter()
    records = 0
    if mode == "stream":
        for part in iter_world(size, seed, AS_OF):
            records += sum(part.count().values())
    elif mode == "memory":
        world = generate_world(size, seed, AS_OF)
        records = sum(world.count().values())
    else:
        with tempfile.TemporaryDirectory() as folder:
            save_world(iter_world(size, seed, AS_OF), folder, compress=compress)
            manifest = json.loads((Path(folder) / "manifest.json").read_text(encoding="utf-8"))
            records = sum(manifest["counts"].values())
            disk = sum(file.stat().st_size for file in Path(folder).rglob("*") if file.is_file())
    seconds = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    figures = {
        "seconds": round(seconds, 2),
        # CPU time includes the imports; unlike wall time it barely moves when other
        # processes compete for the cores.
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2),
        "records": records,
        # ru_maxrss is in KiB on Linux.
        "peak_rss_mib": round(usage.ru_maxrss / 1024, 1),
    }
    if mode == "save":
        figures["disk_mib"] = round(disk / 2**20, 1)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1_000_000, help="Salesforce leads to generate")
    parser.add_argument(
        "--mode",
        choices=("stream", "memory", "save"),
        default="stream",
        help="what to do with the generated records (see the module docstring)",
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs; the median is reported")
    parser.add_argument("--seed", type=int, default=1, help="generator seed")
    parser.add_argument("--compress", action="store_true", help="gzip the files in save mode")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    arguments = parser.parse_args()

    if arguments.worker:
        print(
            json.dumps(run_once(arguments.size, arguments.mode, arguments.seed, arguments.compress))
        )
        return

    command = [
        sys.executable,
        __file__,
        "--worker",
        "--size",
        str(arguments.size),
        "--mode",
        arguments.mode,
        "--seed",
        str(arguments.seed),
    ]
    if arguments.compress:
        command.append("--compress")
    load_before = os.getloadavg()[0]
    runs = []
    for run in range(arguments.repeat):
        output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        figures = json.loads(output)
        runs.append(figures)
        print(f"run {run + 1}: {figures}", flush=True)
    print(
        json.dumps(
            {
                "size": arguments.size,
                "mode": arguments.mode,
                "runs": len(runs),
                "median_seconds": statistics.median(run["seconds"] for run in runs),
                "median_cpu_seconds": statistics.median(run["cpu_seconds"] for run in runs),
                "median_peak_rss_mib": statistics.median(run["peak_rss_mib"] for run in runs),
                "records": runs[0]["records"],
                "load_average_before": round(load_before, 2),
                "cpu_count": os.cpu_count(),
            }
        )
    )


if __name__ == "__main__":
    main()
