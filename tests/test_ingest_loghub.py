"""Loghub 2k: the message read from each raw file equals the labelled Content on >= 99% of lines, and every
line's timestamp is parsed, with no per-dataset setting (bench/content_accuracy.py prints the table)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.content_accuracy import score_all

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "loghub_2k"

pytestmark = pytest.mark.skipif(not DATA.is_dir(), reason=f"Loghub data not found at {DATA}")


def test_every_dataset_reaches_99_percent_content_and_full_time_coverage():
    scores = score_all(DATA)
    assert len(scores) >= 11
    table = "\n".join(f"{s.dataset}: {s.accuracy:.2%} content, {s.timed}/{s.lines} timed" for s in scores)
    assert all(s.accuracy >= 0.99 for s in scores), table
    assert all(s.timed == s.lines for s in scores), table
