"""Shared helpers for the ingestion tests: write a log, read it back as one events DataFrame."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from parsers.ingest import read_logs
from parsers.records import ParseOptions


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def read_one(path: Path | str, **options) -> tuple[pd.DataFrame, object]:
    """All events of one source, and its final SourceStats."""
    options.setdefault("tz", "UTC")
    batches = list(read_logs([str(path)], ParseOptions(**options)))
    assert batches[-1].last
    return pd.concat([b.events for b in batches], ignore_index=True), batches[-1].source


def ts(text: str) -> pd.Timestamp:
    return pd.Timestamp(text).tz_convert("UTC") if pd.Timestamp(text).tzinfo else pd.Timestamp(text, tz="UTC")
