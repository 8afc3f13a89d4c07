"""Watch the memory of a running stack's processes during a soak: ``python -m
ailurus_tools.rss_watch --out FILE`` samples the resident set of every service process
(gateway, preprocess, ingest, Triton, its Python backend stubs, Azurite, the Cosmos
stand-in) until SIGTERM, then ``--check FILE`` says whether each stayed flat after warm-up."""

import argparse
import csv
import signal
import statistics
import sys
import threading
import time
from pathlib import Path

import psutil

PARTS = {"gateway": "-m gateway", "preprocess": "-m preprocess", "ingest": "-m ingest",
         "tritonserver": "tritonserver", "triton-stub": "triton_python_backend_stub",
         "azurite": "azurite", "cosmos": "cosmos-server.js"}


def _part(process: psutil.Process) -> str | None:
    try:
        command = " ".join(process.cmdline())
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return None
    return next((name for name, needle in PARTS.items() if needle in command), None)


def sample() -> dict[str, int]:
    """Resident bytes per part (summed over its processes)."""
    totals: dict[str, int] = {}
    for process in psutil.process_iter():
        if (name := _part(process)) is None:
            continue
        try:
            totals[name] = totals.get(name, 0) + process.memory_info().rss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return totals


def watch(out: Path, interval_s: float) -> None:
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    start = time.monotonic()
    with out.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["elapsed_s", "part", "rss_bytes"])
        while not stop.is_set():
            elapsed = round(time.monotonic() - start, 1)
            for name, rss in sorted(sample().items()):
                writer.writerow([elapsed, name, rss])
            f.flush()
            stop.wait(interval_s)


def check(path: Path, *, warmup_fraction: float, max_growth: float) -> int:
    """Per part: the median RSS just after warm-up against the median at the end."""
    series: dict[str, list[tuple[float, int]]] = {}
    with path.open(newline="") as f:
        for row in csv.DictReader(f):
            series.setdefault(row["part"], []).append((float(row["elapsed_s"]), int(row["rss_bytes"])))
    failed = 0
    print(f"{'part':<14} {'after warm-up MiB':>18} {'at the end MiB':>15} {'growth':>8}")
    for name, points in sorted(series.items()):
        end_s = points[-1][0]
        settled = [rss for t, rss in points if t >= end_s * warmup_fraction]
        if len(settled) < 6:
            print(f"{name:<14} too few samples ({len(settled)})")
            failed += 1
            continue
        first = statistics.median(settled[:3])
        last = statistics.median(settled[-3:])
        growth = last / first - 1
        failed += growth > max_growth
        print(f"{name:<14} {first / 2**20:>18.0f} {last / 2**20:>15.0f} {growth:>+7.1%}"
              f"{'  GROWS' if growth > max_growth else ''}")
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, help="sample into this CSV until SIGTERM")
    parser.add_argument("--interval-s", type=float, default=15.0)
    parser.add_argument("--check", type=Path, help="judge a CSV written by --out")
    parser.add_argument("--warmup-fraction", type=float, default=0.2)
    parser.add_argument("--max-growth", type=float, default=0.10)
    args = parser.parse_args(argv)
    if args.out:
        watch(args.out, args.interval_s)
        return 0
    if args.check:
        return check(args.check, warmup_fraction=args.warmup_fraction, max_growth=args.max_growth)
    parser.error("give --out or --check")
    return 2


if __name__ == "__main__":
    sys.exit(main())
