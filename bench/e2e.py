"""End-to-end speed of `logrca analyze` on generated multi-service logs, against a plain read and plain Drain3.

    python bench/e2e.py                 # 1M and 10M lines (the 10M run takes a while)
    python bench/e2e.py --sizes 1000000

Prints, per size: lines/s of logrca analyze end to end and its peak memory, the ratio to a plain read-and-split of
the same files (target >= 1/8, goal 1/4), and the ratio to Drain3's default TemplateMiner over raw lines (measured on
a 200k-line sample, since it is slow). Ratios are taken in the same run, because this machine is noisy.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from loggen import generate
from measure import drain3_default, line_count, plain_read_and_split, run_logrca


def bench(lines: int, workdir: Path, drain_sample: int) -> dict:
    logs = workdir / f"logs-{lines}"
    files = generate(logs, lines)
    total = line_count(files)
    size_mb = sum(p.stat().st_size for p in files) / 1e6
    plain_s, _ = plain_read_and_split(files)
    logrca_s, peak_mb = run_logrca(["analyze", str(logs), "--json", str(workdir / "findings.json"), "--quiet", "--tz", "UTC"])
    drain_s, drain_lines = drain3_default(files, drain_sample)
    return {
        "lines": total, "MB": size_mb,
        "plain_lps": total / plain_s, "logrca_lps": total / logrca_s, "logrca_s": logrca_s, "peak_mb": peak_mb,
        "drain3_lps": drain_lines / drain_s,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--drain-sample", type=int, default=200_000)
    args = parser.parse_args()
    print(f"{'lines':>11} {'MB':>7} {'plain l/s':>11} {'logrca l/s':>11} {'logrca s':>9} {'peak MB':>8} "
          f"{'vs plain':>9} {'drain3 l/s':>11} {'vs drain3':>10}")
    with tempfile.TemporaryDirectory(prefix="logrca-e2e-") as tmp:
        for size in args.sizes:
            r = bench(size, Path(tmp), args.drain_sample)
            print(f"{r['lines']:>11,} {r['MB']:>7.0f} {r['plain_lps']:>11,.0f} {r['logrca_lps']:>11,.0f} {r['logrca_s']:>9.1f} "
                  f"{r['peak_mb']:>8.0f} {r['logrca_lps'] / r['plain_lps']:>9.3f} {r['drain3_lps']:>11,.0f} "
                  f"{r['logrca_lps'] / r['drain3_lps']:>9.1f}x", flush=True)


if __name__ == "__main__":
    main()
