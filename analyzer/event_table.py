"""Turn the parsers' event batches into the compact event table the analysis runs on.

Each batch is mined as it arrives and its message text dropped, keeping per event only the columns in
EVENT_TABLE_COLUMNS (categoricals and integers) and per template a few example messages. That is what
lets a multi-gigabyte input fit: memory grows with events x a few bytes, not with the text of the logs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from pandas.api.types import union_categoricals

from analyzer.findings import Example
from analyzer.stages import EVENT_TABLE_COLUMNS, TemplateInfo
from analyzer.templates import TemplateMiner
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
    pooled: list[pd.DataFrame] = []
    pooled_events = 0
    for batch in batches:
        if batch.last:
            mined.sources.append(batch.source)
        if batch.events.empty:
            continue
        pooled.append(batch.events)
        pooled_events += len(batch.events)
        if pooled_events >= MINING_BATCH:
            _mine(mined, miner, pooled, on_progress)
            pooled, pooled_events = [], 0
    if pooled:
        _mine(mined, miner, pooled, on_progress)
    return mined


def _mine(mined: MinedLogs, miner: TemplateMiner, pooled: list[pd.DataFrame],
          on_progress: Callable[[int], None] | None) -> None:
    events = pooled[0] if len(pooled) == 1 else pd.concat(pooled, ignore_index=True)
    ids = miner.add(events["message"], keys=events["service"])
    order = np.arange(mined.events, mined.events + len(events), dtype=np.int64)  # input order across batches
    mined.parts.append(_compact(events, ids))
    _keep_examples(mined, events, ids, order)
    mined.level_counts.append(
        pd.DataFrame({"tid": ids, "level": events["level"].to_numpy()}).value_counts().rename("n").reset_index()
    )
    mined.events += len(events)
    if on_progress is not None:
        on_progress(len(events))


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
            "lines": events["lines"].astype(np.int32),
            "logger": events["logger"].astype("category"),
        }
    )


def _narrow(values: np.ndarray) -> np.ndarray:
    """int32 when every value fits, else int64."""
    values = np.asarray(values)
    if len(values) and (values.min() < _INT32.min or values.max() > _INT32.max):
        return values.astype(np.int64, copy=False)
    return values.astype(np.int32, copy=False)


_INT32 = np.iinfo(np.int32)
_UTC_NS = pd.DatetimeTZDtype("ns", "UTC")


def _utc_ns(times: pd.Series) -> pd.Series:
    times = pd.to_datetime(times, utc=True)
    return times if times.dtype == _UTC_NS else times.dt.as_unit("ns")


def _keep_examples(mined: MinedLogs, events: pd.DataFrame, ids: np.ndarray, order: np.ndarray) -> None:
    """The first and last few events of each template in this batch; only those rows' texts are copied."""
    position = pd.DataFrame({"tid": ids, "row": np.arange(len(ids))}).groupby("tid", sort=False)
    mined.first.append(_example_rows(events, ids, order, position.head(EXAMPLES_PER_TEMPLATE)["row"].to_numpy()))
    tail = _example_rows(events, ids, order, position.tail(EXAMPLES_PER_TEMPLATE)["row"].to_numpy())
    if mined.last is not None:
        tail = pd.concat([mined.last, tail]).groupby("tid", sort=False).tail(EXAMPLES_PER_TEMPLATE)
    mined.last = tail


def _example_rows(events: pd.DataFrame, ids: np.ndarray, order: np.ndarray, rows: np.ndarray) -> pd.DataFrame:
    picked = events.iloc[rows]
    return pd.DataFrame(
        {"tid": ids[rows], "seq": order[rows], "path": picked["path"].to_numpy(), "line": picked["line"].to_numpy(),
         "text": picked["message"].to_numpy()}
    )


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
        name: pd.Series(union_categoricals([part[name] for part in parts], ignore_order=True)) for name in CATEGORICAL
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
