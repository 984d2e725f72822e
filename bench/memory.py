"""Peak memory of `logrca analyze` on a large log against a slice one tenth its size, in the same run.

    python bench/memory.py                       # about 10M lines (~1.5-2 GB) and a 1M-line slice
    python bench/memory.py --lines 2000000       # quicker

Target: the 10x larger input costs less than twice the memory.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from loggen import generate
from measure import line_count, run_logrca


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=10_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="logrca-mem-") as tmp:
        rows = []
        for lines in (args.lines // 10, args.lines):
            logs = Path(tmp) / f"logs-{lines}"
            files = generate(logs, lines)
            size_mb = sum(p.stat().st_size for p in files) / 1e6
            seconds, peak = run_logrca(["analyze", str(logs), "--json", str(Path(tmp) / "f.json"), "--quiet", "--tz", "UTC"])
            rows.append((line_count(files), size_mb, seconds, peak))
            print(f"{rows[-1][0]:>11,} lines {size_mb:>7.0f} MB  {seconds:>7.1f} s  peak {peak:>7.0f} MB", flush=True)
        print(f"input x{rows[1][1] / rows[0][1]:.1f} -> peak memory x{rows[1][3] / rows[0][3]:.2f} (target < 2)")


if __name__ == "__main__":
    main()
