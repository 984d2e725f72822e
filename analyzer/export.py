"""`logrca parse`: write the parsed events, one row per event, streaming batch by batch."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from contextlib import ExitStack
from pathlib import Path
from typing import IO

import pandas as pd

from parsers.errors import UserError
from parsers.records import EventBatch, SourceStats

# The contract's columns first, then what else a parser knows.
EXPORT_COLUMNS = ("path", "line", "time", "service", "host", "level", "logger", "message", "format", "lines", "parsed")
WRITERS = {".csv": "csv", ".jsonl": "jsonl", ".json": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet"}


def export_kind(output: str | None) -> str:
    """csv, jsonl or parquet, from the output file's extension (stdout is CSV)."""
    if output is None or output == "-":
        return "csv"
    kind = WRITERS.get(Path(output).suffix.lower())
    if kind is None:
        raise UserError(f"cannot tell the output format of {output!r}: name it .csv, .jsonl or .parquet.")
    return kind


def export_events(batches: Iterable[EventBatch], output: str | None) -> list[SourceStats]:
    """Write every batch's events to `output` (None or "-": CSV on stdout); returns the sources read."""
    kind = export_kind(output)
    sources: list[SourceStats] = []
    with ExitStack() as stack:
        writer = _Writer(kind, output, stack)
        for batch in batches:
            if batch.last:
                sources.append(batch.source)
            if not batch.events.empty:
                writer.write(_rows(batch.events))
        writer.close()
    return sources


def _rows(events: pd.DataFrame) -> pd.DataFrame:
    rows = events.reindex(columns=list(EXPORT_COLUMNS)).copy()
    times = pd.to_datetime(rows["time"], utc=True)
    rows["time"] = times.dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ").fillna("")
    return rows


class _Writer:
    """One output file, opened lazily so a failed parse leaves no half-named file behind."""

    def __init__(self, kind: str, output: str | None, stack: ExitStack):
        self.kind, self.output, self.stack = kind, output, stack
        self.handle: IO[str] | None = None
        self.parquet = None
        self.wrote_header = False

    def write(self, rows: pd.DataFrame) -> None:
        if self.kind == "parquet":
            self._write_parquet(rows)
            return
        handle = self._text_handle()
        if self.kind == "csv":
            rows.to_csv(handle, header=not self.wrote_header, index=False)
            self.wrote_header = True
        else:
            handle.write(rows.to_json(orient="records", lines=True, force_ascii=False))
            if not rows.empty:
                handle.write("\n")

    def close(self) -> None:
        if self.kind == "csv" and not self.wrote_header:  # no events: still a valid CSV with its header
            pd.DataFrame(columns=list(EXPORT_COLUMNS)).to_csv(self._text_handle(), index=False)
        if self.parquet is not None:
            self.parquet.close()
        if self.handle is not None:
            self.handle.flush()

    def _text_handle(self) -> IO[str]:
        if self.handle is None:
            if self.output is None or self.output == "-":
                self.handle = sys.stdout
            else:
                self.handle = self.stack.enter_context(_open_for_writing(self.output))
        return self.handle

    def _write_parquet(self, rows: pd.DataFrame) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.Table.from_pandas(rows.astype({"message": str, "logger": str, "host": str}), preserve_index=False)
        if self.parquet is None:
            self.parquet = pq.ParquetWriter(self.output, table.schema)
        self.parquet.write_table(table.cast(self.parquet.schema))


def _open_for_writing(path: str) -> IO[str]:
    try:
        return open(path, "w", encoding="utf-8", newline="")
    except OSError as error:
        raise UserError(f"cannot write {path}: {error.strerror}; choose another --output path.") from None
