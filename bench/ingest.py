"""Ingestion speed and memory on a generated one-million-line file that mixes formats line by line.

    python bench/ingest.py [--lines N] [--batch-lines N] [--keep FILE]

Prints, from the same run: lines per second for read_logs, for a plain read-and-split-lines of the same file,
and for a read that also splits every line on whitespace (the least any parser does), the ratios, and the peak
resident memory of each (each measured in a fresh interpreter, so one does not inflate the other).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import resource
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

START = datetime(2026, 3, 5, 13, 0, tzinfo=timezone.utc)
NOUNS = ["cart", "order", "session", "profile", "invoice", "shipment", "coupon", "item", "price", "token"]
VERBS = ["loaded", "saved", "evicted", "refreshed", "validated", "synced", "indexed", "queued"]


def _lines(r: random.Random, t: datetime) -> list[str]:
    """One event of a random format (a logback error brings a three-line stack trace)."""
    iso = t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"
    noun, verb, n = r.choice(NOUNS), r.choice(VERBS), r.randrange(10**6)
    pick = r.random()
    if pick < 0.40:
        level = r.choice(["info"] * 8 + ["warn", "error"])
        return [f'{{"ts":"{iso}","level":"{level}","logger":"svc.{noun}","msg":"{noun} {verb} id={n}",'
                f'"trace_id":"{n:016x}"}}']
    if pick < 0.70:
        stamp = t.strftime("%Y-%m-%d %H:%M:%S,") + f"{t.microsecond // 1000:03d}"
        if r.random() < 0.05:
            return [f"{stamp} ERROR [exec-{n % 50}] com.shop.{noun.title()}Service - {noun} {verb} failed id={n}",
                    "java.lang.IllegalStateException: upstream returned 503",
                    f"\tat com.shop.{noun.title()}Service.call({noun.title()}Service.java:{n % 400})",
                    "\t... 12 more"]
        return [f"{stamp} INFO  [exec-{n % 50}] com.shop.{noun.title()}Service - {noun} {verb} id={n}"]
    if pick < 0.85:
        when = t.strftime("%d/%b/%Y:%H:%M:%S +0000")
        return [f'10.0.{n % 256}.{n % 200 + 1} - - [{when}] "GET /api/{noun}/{n} HTTP/1.1" '
                f'{r.choice([200] * 20 + [404, 502])} {n % 90000} "-" "Mozilla/5.0"']
    return [f"{t.strftime('%b %d %H:%M:%S').replace(' 0', '  ', 1)} web{n % 4} {noun}d[{n % 30000}]: {noun} {verb} id={n}"]


def generate(path: Path, lines: int, seed: int = 11) -> int:
    r = random.Random(seed)
    t = START
    written = 0
    with open(path, "w", encoding="utf-8") as fh:
        while written < lines:
            event = _lines(r, t)
            fh.write("\n".join(event) + "\n")
            written += len(event)
            t += timedelta(microseconds=r.randrange(1, 20000))
    return written


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _plain(path: str, split_fields: bool) -> tuple[float, float, int, float]:
    begin, cpu = time.perf_counter(), time.process_time()
    count = 0
    with open(path, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            if split_fields:
                line.split()
            count += 1
    return time.perf_counter() - begin, time.process_time() - cpu, count, _peak_mib()


def _parse(path: str, batch_lines: int) -> tuple[float, float, int, float]:
    sys.path.insert(0, str(ROOT))
    from parsers.ingest import read_logs
    from parsers.records import ParseOptions

    begin, cpu = time.perf_counter(), time.process_time()
    lines = 0
    for batch in read_logs([path], ParseOptions(tz="UTC", batch_lines=batch_lines)):
        lines += int(batch.events["lines"].sum())
    return time.perf_counter() - begin, time.process_time() - cpu, lines, _peak_mib()


def _count_task(task, settings) -> int:
    from parsers.ingest import read_task

    return sum(int(batch.events["lines"].sum()) for _, batch in read_task(task, settings))


def _parse_in_workers(path: str, batch_lines: int, jobs: int) -> tuple[float, float, int, float]:
    """What `logrca analyze --jobs N` does for parsing: the file cut into parts, each part read by a worker
    (only the line count comes back here, so this is parsing alone, without the pickling of results)."""
    sys.path.insert(0, str(ROOT))
    from parsers.discovery import discover
    from parsers.ingest import read_settings
    from parsers.parts import plan_tasks
    from parsers.records import ParseOptions

    begin, cpu = time.perf_counter(), time.process_time()
    settings = read_settings(ParseOptions(tz="UTC", batch_lines=batch_lines))
    tasks = plan_tasks(discover([path]), settings)
    with multiprocessing.get_context("fork").Pool(jobs) as pool:
        lines = sum(pool.starmap(_count_task, [(task, settings) for task in tasks]))
    return time.perf_counter() - begin, time.process_time() - cpu, lines, _peak_mib()


def _in_fresh_interpreter(target, *args):
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(target, args)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--batch-lines", type=int, default=200_000)
    parser.add_argument("--keep", type=Path, help="write the generated file here and keep it")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = args.keep or Path(tmp) / "mixed.log"
        written = generate(path, args.lines)
        size = os.path.getsize(path) / 2**20
        print(f"generated {written} lines ({size:.0f} MiB) mixing JSON, logback + traces, access log, syslog")
        lines_only = _in_fresh_interpreter(_plain, str(path), False)
        fields = _in_fresh_interpreter(_plain, str(path), True)
        parsed = _in_fresh_interpreter(_parse, str(path), args.batch_lines)
        sys.path.insert(0, str(ROOT))
        from analyzer.parallel_mining import available_cores

        jobs = available_cores()  # the default of --jobs
        in_workers = _parse_in_workers(str(path), args.batch_lines, jobs)  # (pool workers cannot have children)
    assert parsed[2] == written, f"read_logs accounted for {parsed[2]} of {written} lines"
    assert in_workers[2] == written, f"the workers accounted for {in_workers[2]} of {written} lines"
    rows = [("read + split lines", lines_only), ("read + split lines and fields", fields), ("read_logs", parsed),
            (f"parts read by {jobs} workers", in_workers)]
    # CPU seconds too: on a shared machine wall time swings with the neighbours' load, CPU time much less
    # (Arrow may use a second core, which CPU time counts and wall time does not).
    print(f"{'':32}{'wall s':>8}{'cpu s':>8}{'lines/s (wall)':>16}{'peak MiB':>10}")
    for label, (seconds, cpu, count, peak) in rows:
        print(f"{label:32}{seconds:>8.2f}{cpu:>8.2f}{count / seconds:>16,.0f}{peak:>10.0f}")
    for label, base in (("plain line read", lines_only), ("line + field split", fields)):
        print(f"read_logs speed / {label + ':':22} wall {base[0] / parsed[0]:.2f}, cpu {base[1] / parsed[1]:.2f}")
        print(f"{jobs} workers' speed / {label + ':':20} wall {base[0] / in_workers[0]:.2f} "
              "(cpu time is the parent's only; peak memory is the parent's)")
    print("target: read_logs at >= 0.33 of the plain read")


if __name__ == "__main__":
    main()
