"""Turn the parsers' event batches into the compact event table the analysis runs on.

Each batch is mined as it arrives and its message text dropped, keeping per event only the columns in
EVENT_TABLE_COLUMNS (categoricals and integers) and per template a few example messages. That is what
lets a multi-gigabyte input fit: memory grows with events x a few bytes, not with the text of the logs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from pandas.api.types import union_categoricals

from analyzer.findings import Example
from analyzer.stages import EVENT_TABLE_COLUMNS, TemplateInfo
from analyzer.templates import Premined, TemplateMiner, premine
from parsers.records import EventBatch, SourceStats

CATEGORICAL = ("service", "level", "path", "logger")
# The stages' columns plus each event's span in physical lines, which `logrca templates --assignments` needs.
TABLE_COLUMNS = (*EVENT_TABLE_COLUMNS, "lines")
EXAMPLES_PER_TEMPLATE = 3
MINING_BATCH = 50_000  # events pooled from small batches before a mining step


@dataclass
class MinedLogs:
    """The logs of one set of paths after mining, before final template ids are known."""

    sources: list[SourceStats] = field(default_factory=list)
    parts: list[pd.DataFrame] = field(default_factory=list)  # EVENT_TABLE_COLUMNS, provisional template ids
    first: list[pd.DataFrame] = field(default_factory=list)  # first examples per provisional id, per batch
    last: pd.DataFrame | None = None  # last examples per provisional id, so far
    level_counts: list[pd.DataFrame] = field(default_factory=list)
    events: int = 0


@dataclass
class MinedChunk:
    """Up to MINING_BATCH events reduced to what the miner and the event table need, before Drain has seen them.

    Built without any miner state (by `premine_events`, in a worker process when there are several), so that only
    this crosses between processes: compact columns, distinct masked messages, and the few texts that may
    become examples."""

    table: pd.DataFrame  # TABLE_COLUMNS; template_id not yet known (-1)
    premined: Premined
    candidates: pd.DataFrame  # row, path, line, text: each distinct message's first and last few events
    levels: pd.DataFrame  # pair, level, n: events per distinct message and level


def mine_batches(
    batches: Iterable[EventBatch],
    miner: TemplateMiner,
    on_progress: Callable[[int], None] | None = None,
) -> MinedLogs:
    """Feed every batch to the miner and keep the compact columns and example messages.

    Small batches (a directory of ten thousand three-line files gives one per file) are pooled until
    MINING_BATCH events have gathered: each mining step has a fixed cost of some milliseconds, and the
    miner sees the same messages in the same order either way.
    """
    mined = MinedLogs()
    for item in pooled_events(batches):
        if isinstance(item, SourceStats):
            mined.sources.append(item)
        else:
            take_chunk(mined, miner, premine_events(item), on_progress)
    return mined


def pooled_events(batches: Iterable[EventBatch]) -> Iterator[pd.DataFrame | SourceStats]:
    """The batches' events pooled into frames of at least MINING_BATCH events (but the last), and each source's
    statistics when its last batch has gone by."""
    pooled: list[pd.DataFrame] = []
    pooled_events = 0
    for batch in batches:
        if not batch.events.empty:
            pooled.append(batch.events)
            pooled_events += len(batch.events)
        if batch.last:
            yield batch.source
        if pooled_events >= MINING_BATCH:
            yield pooled[0] if len(pooled) == 1 else pd.concat(pooled, ignore_index=True)
            pooled, pooled_events = [], 0
    if pooled:
        yield pooled[0] if len(pooled) == 1 else pd.concat(pooled, ignore_index=True)


def premine_events(events: pd.DataFrame) -> MinedChunk:
    """The pure half of mining a pool of events: mask and encode messages, compact the columns, pick candidates."""
    events = events.reset_index(drop=True)
    premined = premine(events["message"], keys=events["service"])
    codes = premined.pair_codes
    position = pd.DataFrame({"pair": codes, "row": np.arange(len(codes))}).groupby("pair", sort=False)["row"]
    rows = np.union1d(position.head(EXAMPLES_PER_TEMPLATE).to_numpy(), position.tail(EXAMPLES_PER_TEMPLATE).to_numpy())
    picked = events.iloc[rows]
    candidates = pd.DataFrame({"row": rows, "path": picked["path"].to_numpy(), "line": picked["line"].to_numpy(),
                               "text": picked["message"].to_numpy()})
    levels = _level_counts(codes, events["level"])
    table = _compact(events, np.full(len(events), -1, dtype=np.int64))
    return MinedChunk(table, premined, candidates, levels)


def _level_counts(pair_codes: np.ndarray, levels: pd.Series) -> pd.DataFrame:
    """Events per (pair, level) present: a handful of levels, so one bincount over combined codes."""
    level_codes, level_names = pd.factorize(levels.fillna(""), use_na_sentinel=False)
    width = max(len(level_names), 1)
    counts = np.bincount(pair_codes * width + level_codes, minlength=0)
    present = np.flatnonzero(counts)
    names = np.asarray(level_names, dtype=object)
    return pd.DataFrame({"pair": present // width, "level": names[present % width], "n": counts[present]})


def take_chunk(mined: MinedLogs, miner: TemplateMiner, chunk: MinedChunk,
               on_progress: Callable[[int], None] | None = None) -> None:
    """The stateful half: Drain assigns the chunk's distinct messages, in order, and the results are kept."""
    ids = miner.assign(chunk.premined)
    n = len(ids)
    table = chunk.table
    table["template_id"] = _narrow(ids)
    mined.parts.append(table)
    pair_ids = np.zeros(len(chunk.premined.masked), dtype=np.int64)
    pair_ids[chunk.premined.pair_codes] = ids
    # The first and last few events of each template are among the first and last few of its messages.
    rows = chunk.candidates["row"].to_numpy()
    examples = pd.DataFrame({"tid": ids[rows], "seq": mined.events + rows, "path": chunk.candidates["path"].to_numpy(),
                             "line": chunk.candidates["line"].to_numpy(), "text": chunk.candidates["text"].to_numpy()})
    by_tid = examples.groupby("tid", sort=False)
    mined.first.append(by_tid.head(EXAMPLES_PER_TEMPLATE))
    tail = by_tid.tail(EXAMPLES_PER_TEMPLATE)
    if mined.last is not None:
        tail = pd.concat([mined.last, tail]).groupby("tid", sort=False).tail(EXAMPLES_PER_TEMPLATE)
    mined.last = tail
    levels = chunk.levels
    mined.level_counts.append(pd.DataFrame({"tid": pair_ids[levels["pair"].to_numpy()], "level": levels["level"].to_numpy(),
                                            "n": levels["n"].to_numpy()}))
    mined.events += n
    if on_progress is not None:
        on_progress(n)


def _compact(events: pd.DataFrame, ids: np.ndarray) -> pd.DataFrame:
    # Series, not .to_numpy(): a zone-aware column becomes an array of Python Timestamps there (seconds per 1M rows).
    # Integers are held as int32 while their range allows: ten million events make each byte count 10 MB.
    events = events.reset_index(drop=True)
    return pd.DataFrame(
        {
            "time": _utc_ns(events["time"]),
            "service": events["service"].astype("category"),
            "level": events["level"].astype("category"),
            "template_id": pd.Series(_narrow(ids)),
            "path": events["path"].astype("category"),
            "line": pd.Series(_narrow(events["line"].to_numpy())),
            "lines": pd.Series(_narrow(events["lines"].to_numpy(), np.int16)),  # spans of 32,768+ lines are rare
            "logger": events["logger"].astype("category"),
        }
    )


def _narrow(values: np.ndarray, smallest=np.int32) -> np.ndarray:
    """The values in the narrowest integer type from `smallest` up (int16, int32, int64) that holds them all."""
    values = np.asarray(values)
    low, high = (int(values.min()), int(values.max())) if len(values) else (0, 0)
    for dtype in (np.int16, np.int32):
        wide_enough = np.dtype(dtype).itemsize >= np.dtype(smallest).itemsize
        if wide_enough and np.iinfo(dtype).min <= low <= high <= np.iinfo(dtype).max:
            return values.astype(dtype, copy=False)
    return values.astype(np.int64, copy=False)


_UTC_NS = pd.DatetimeTZDtype("ns", "UTC")


def _utc_ns(times: pd.Series) -> pd.Series:
    times = pd.to_datetime(times, utc=True)
    return times if times.dtype == _UTC_NS else times.dt.as_unit("ns")


def finish_table(mined: MinedLogs, final_ids: Callable[[np.ndarray], np.ndarray]) -> pd.DataFrame:
    """The event table with final template ids; categorical columns unified across batches.

    The rows move out of `mined.parts` (each part is left empty, so the count of mining steps stays visible):
    each part is copied into columns allocated at their final size and then let go, so the events are never
    held twice (a concat holds every part and the whole table at once: 300 MB more for ten million events)."""
    parts = mined.parts
    total = sum(len(part) for part in parts)
    if not total:
        return empty_table()
    columns: dict[str, object] = {
        name: pd.Series(union_categoricals([part[name] for part in parts], sort_categories=True)) for name in CATEGORICAL
    }
    # The time column is filled as int64 nanoseconds and becomes the zone-aware column without a copy.
    numeric = {
        name: np.empty(total, dtype=np.int64 if name in ("time", "template_id")
                       else np.result_type(*(part[name].dtype for part in parts)))
        for name in TABLE_COLUMNS if name not in CATEGORICAL
    }
    at = 0
    for index, part in enumerate(parts):
        rows = slice(at, at + len(part))
        for name, values in numeric.items():
            if name == "time":
                values[rows] = part[name].array.asi8
            elif name == "template_id":
                values[rows] = final_ids(part[name].to_numpy())  # per part: the whole column mapped is 2 x 80 MB
            else:
                values[rows] = part[name].to_numpy()
        parts[index] = part.iloc[:0]
        at += len(part)
    del part
    columns.update({name: pd.Series(values, dtype=_UTC_NS if name == "time" else None, copy=False)
                    for name, values in numeric.items()})
    return pd.DataFrame({name: columns[name] for name in TABLE_COLUMNS}, copy=False)


def empty_table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "time": pd.Series([], dtype=_UTC_NS),
            "service": pd.Series([], dtype="category"),
            "level": pd.Series([], dtype="category"),
            "template_id": pd.Series([], dtype=np.int64),
            "path": pd.Series([], dtype="category"),
            "line": pd.Series([], dtype=np.int32),
            "lines": pd.Series([], dtype=np.int32),
            "logger": pd.Series([], dtype="category"),
        }
    )


def template_catalog(
    texts: dict[int, str],
    table: pd.DataFrame,
    mined: list[MinedLogs],
    final_ids: Callable[[np.ndarray], np.ndarray],
) -> dict[int, TemplateInfo]:
    """One TemplateInfo per final template: count, dominant level, first and last examples."""
    counts = table["template_id"].value_counts() if len(table) else pd.Series(dtype=np.int64)
    catalog = {
        int(tid): TemplateInfo(id=int(tid), text=text, count=int(counts.get(tid, 0))) for tid, text in texts.items()
    }
    levels = _dominant_levels(mined, final_ids)
    first = _examples([f for m in mined for f in m.first], final_ids, head=True)
    last = _examples([m.last for m in mined if m.last is not None], final_ids, head=False)
    for tid, info in catalog.items():
        info.level = levels.get(tid) or None
        info.examples = first.get(tid, [])
        info.recent = last.get(tid, [])
    return catalog


def _dominant_levels(mined: list[MinedLogs], final_ids: Callable[[np.ndarray], np.ndarray]) -> dict[int, str]:
    frames = [f for m in mined for f in m.level_counts]
    if not frames:
        return {}
    counts = pd.concat(frames, ignore_index=True)
    counts["tid"] = final_ids(counts["tid"].to_numpy())
    counts = counts[counts["level"].astype(str) != ""]
    totals = counts.groupby(["tid", "level"], observed=True)["n"].sum().reset_index()
    top = totals.sort_values("n", ascending=False).drop_duplicates("tid")
    return {int(t): str(lv) for t, lv in zip(top["tid"], top["level"])}


def _examples(frames: list[pd.DataFrame], final_ids: Callable[[np.ndarray], np.ndarray], head: bool) -> dict[int, list[Example]]:
    if not frames:
        return {}
    rows = pd.concat(frames, ignore_index=True)
    rows["tid"] = final_ids(rows["tid"].to_numpy())
    rows = rows.sort_values("seq")
    grouped = rows.groupby("tid", sort=False)
    rows = grouped.head(EXAMPLES_PER_TEMPLATE) if head else grouped.tail(EXAMPLES_PER_TEMPLATE)
    out: dict[int, list[Example]] = {}
    for tid, path, line, text in zip(rows["tid"], rows["path"], rows["line"], rows["text"]):
        out.setdefault(int(tid), []).append(Example(path=str(path), line=int(line), text=str(text)))
    return out
