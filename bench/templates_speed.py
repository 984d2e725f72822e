"""Speed of template assignment: logrca against Drain3's defaults and against a plain read of the same files.

    python bench/templates_speed.py                      # one million lines
    python bench/templates_speed.py --lines 200000 --drain-sample 50000

On the benches' shared log (bench/loggen.py: six formats with their headers, a few hundred templates, variable
values drawn like real ones) prints, in one run:
  (a) Drain3's `TemplateMiner.add_log_message` with its default configuration fed raw lines, header included, as
      someone without logrca would (measure.drain3_default; on --drain-sample lines, as it is slow);
  (b) logrca's template assignment over the same raw files: the work of `logrca templates` (read_logs, mining, a
      final template id for every event, the template table), in this process with its modules already imported;
      then, apart, reading alone and mining alone (on batches read beforehand), and the whole CLI in a child
      process writing the --assignments CSV, interpreter start-up included, with its peak memory;
  (c) a plain read-and-split of the files (measure.plain_read_and_split),
and the ratios (b)/(a) (target >= 10) and (b)/(c) (target >= 1/6). Ratios come from the same run because this
machine is noisy; absolute lines/s are not comparable across machines or runs. For the same reason (a), (b) and
(c) are each run --repeat times (default 3, interleaved) and each one's fastest run counts.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from loggen import TEMPLATE_COUNT, generate  # noqa: E402
from measure import drain3_default, line_count, plain_read_and_split, run_logrca  # noqa: E402

from analyzer.assignments import run_templates  # noqa: E402
from analyzer.event_table import mine_batches  # noqa: E402
from analyzer.templates import TemplateMiner  # noqa: E402
from parsers.ingest import read_logs  # noqa: E402
from parsers.records import ParseOptions  # noqa: E402

OPTIONS = ParseOptions(tz="UTC")


def logrca_templates(root: Path) -> int:
    """What `logrca templates ROOT` computes before printing; the number of templates."""
    return len(run_templates([str(root)], OPTIONS, None, None).templates)


def read_batches(root: Path) -> list:
    return [batch for batch in read_logs([str(root)], OPTIONS)]


def mine(batches: list) -> int:
    """Mining alone, on batches already read: templates found."""
    miner = TemplateMiner()
    mine_batches(batches, miner)
    return len(miner.finish().texts)


def timed(fn, *args):
    started = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - started, result


def fastest(runs: list[tuple[float, object]]) -> tuple[float, object]:
    return min(runs, key=lambda run: run[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--drain-sample", type=int, default=200_000, help="lines fed to Drain3 (0: all)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of (a), (b) and (c); the fastest of each counts")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="logrca-templates-speed-") as tmp:
        root = Path(tmp) / "logs"
        files = generate(root, args.lines)
        total = line_count(files)
        print(f"{total:,} lines, {sum(p.stat().st_size for p in files) / 1e6:.0f} MB, {len(files)} files, "
              f"about {TEMPLATE_COUNT} templates generated")
        plain, logrca, drain = [], [], []
        for _ in range(max(1, args.repeat)):  # interleaved, so that a busy spell of the machine hits all three
            plain.append(plain_read_and_split(files))
            logrca.append(timed(logrca_templates, root))
            drain.append(drain3_default(files, args.drain_sample or total))
        (plain_s, _), (logrca_s, found), (drain_s, fed) = fastest(plain), fastest(logrca), fastest(drain)
        read_s, batches = timed(read_batches, root)
        mine_s, _ = timed(mine, batches)
        del batches
        cli_s, peak_mb = run_logrca(["templates", str(root), "--assignments", str(Path(tmp) / "a.csv"), "--tz", "UTC"])
    rates = {"drain3": fed / drain_s, "logrca": total / logrca_s, "read": total / read_s, "mine": total / mine_s,
             "cli": total / cli_s, "plain": total / plain_s}
    print(f"(a) Drain3 default on raw lines:      {rates['drain3']:>12,.0f} lines/s  ({fed:,} lines)")
    print(f"(b) logrca template assignment:       {rates['logrca']:>12,.0f} lines/s  ({found} templates)")
    print(f"    reading alone (read_logs):        {rates['read']:>12,.0f} lines/s")
    print(f"    mining alone (mask, Drain, finish):{rates['mine']:>11,.0f} lines/s")
    print(f"    CLI with --assignments CSV:       {rates['cli']:>12,.0f} lines/s  "
          f"(start-up included, peak {peak_mb:,.0f} MB)")
    print(f"(c) plain read-and-split:             {rates['plain']:>12,.0f} lines/s")
    print(f"(a), (b), (c): fastest of {max(1, args.repeat)} interleaved runs each")
    print(f"(b)/(a) = {rates['logrca'] / rates['drain3']:.1f}x (target >= 10)   "
          f"(b)/(c) = 1/{rates['plain'] / rates['logrca']:.2f} (target >= 1/6)")
    print(f"reading alone: 1/{rates['plain'] / rates['read']:.2f} of (c); mining alone: "
          f"{rates['mine'] / rates['drain3']:.1f}x (a), 1/{rates['plain'] / rates['mine']:.2f} of (c)")


if __name__ == "__main__":
    main()
