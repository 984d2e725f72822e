"""Per-dataset table: how often the message logrca extracts equals Loghub's ground-truth `Content`, and on how
many lines a timestamp was parsed. No per-dataset setting: each raw file goes through read_logs as a user's would.

    python bench/content_accuracy.py [DATA_DIR]      (default: ../shared/data/loghub_2k beside the repo)
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from parsers.ingest import read_logs  # noqa: E402
from parsers.records import ParseOptions  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "loghub_2k"


@dataclass
class Score:
    dataset: str
    lines: int
    content_equal: int
    timed: int
    format: str

    @property
    def accuracy(self) -> float:
        return self.content_equal / self.lines if self.lines else 0.0


def score_dataset(directory: Path) -> Score:
    name = directory.name
    truth = pd.read_csv(directory / f"{name}_2k.log_structured_corrected.csv", dtype=str, keep_default_na=False)
    batches = list(read_logs([str(directory / f"{name}_2k.log")], ParseOptions(tz="UTC")))
    events = pd.concat([b.events for b in batches])
    stats = batches[-1].source
    # One row per physical line: a line folded into another event has no message of its own (counted wrong).
    by_line = events.set_index("line")["message"].reindex(range(1, len(truth) + 1))
    expected = truth["Content"].str.strip().to_numpy()
    equal = int((by_line.fillna("\0").to_numpy() == expected).sum())
    timed = len(truth) - stats.lines_without_time
    return Score(name, len(truth), equal, timed, stats.format)


def score_all(data_dir: Path) -> list[Score]:
    return [score_dataset(d) for d in sorted(p for p in data_dir.iterdir() if p.is_dir())]


def main(argv: list[str]) -> int:
    data_dir = Path(argv[1]) if len(argv) > 1 else DEFAULT_DATA
    if not data_dir.is_dir():
        print(f"no data at {data_dir}")
        return 1
    scores = score_all(data_dir)
    print(f"{'dataset':<12}{'format':<10}{'lines':>7}{'content ok':>12}{'accuracy':>10}{'timed':>8}")
    for s in scores:
        print(f"{s.dataset:<12}{s.format:<10}{s.lines:>7}{s.content_equal:>12}{s.accuracy:>10.2%}{s.timed:>8}")
    total = sum(s.lines for s in scores)
    ok = sum(s.content_equal for s in scores)
    print(f"{'all':<22}{total:>7}{ok:>12}{ok / total:>10.2%}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
