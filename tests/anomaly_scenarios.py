"""Realistic synthetic event tables for the anomaly tests: services that log traffic, chronic noise, heartbeats,
and faults that cascade from an origin to its callers, as they look after template mining.

Every scenario is generated from a seed (Poisson arrivals, bursty noise, jittered cascade delays), so the tests
check behaviour on data the code has not been tuned to one sample of.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import numpy as np
import pandas as pd

from analyzer.findings import Example
from analyzer.stages import EVENT_TABLE_COLUMNS, TemplateInfo

T0 = datetime(2026, 3, 14, 9, 0, 0, tzinfo=timezone.utc)


@dataclass
class Stream:
    """One kind of line one service writes: a template, a level and when/how often it is written."""

    service: str
    template: str  # variables written <*>
    level: str
    rate: float  # events per second
    start: float = 0.0  # seconds after T0
    end: float | None = None  # None: to the end of the logs
    values: tuple[str, ...] = ()  # what the <*> become (cycled); random numbers when empty
    regular: bool = False  # exactly every 1/rate seconds (a heartbeat), else Poisson
    burst: float = 1.0  # mean events per burst (bursty noise when > 1)


@dataclass
class Scenario:
    events: pd.DataFrame
    templates: dict[int, TemplateInfo]
    fault: datetime | None = None  # when the fault truly began
    recovered: datetime | None = None
    origin: str | None = None
    messages: list[str] = field(default_factory=list)


def build(
    streams: list[Stream],
    duration: float,
    seed: int = 0,
    clock_offset: dict[str, float] | None = None,
    drop_times: bool = False,
) -> tuple[pd.DataFrame, dict[int, TemplateInfo]]:
    """The event table (EVENT_TABLE_COLUMNS, one file per service) and the templates, as mining would give them.

    `clock_offset` shifts the logged times of a service (its clock runs that many seconds ahead)."""
    rng = np.random.default_rng(seed)
    # Ids from the text, so that two tables built apart (logs and --baseline) share them, as one miner would.
    template_ids = {text: zlib.crc32(text.encode()) % 1_000_000 for text in dict.fromkeys(s.template for s in streams)}
    rows = []
    for stream in streams:
        times = _arrivals(stream, duration, rng)
        offset = (clock_offset or {}).get(stream.service, 0.0)
        for t in times:
            rows.append((t + offset, stream.service, stream.level, template_ids[stream.template],
                         _render(stream, rng)))
    frame = pd.DataFrame(rows, columns=["offset", "service", "level", "template_id", "message"])
    frame = frame.sort_values(["service", "offset"], kind="stable").reset_index(drop=True)
    frame["path"] = frame["service"] + "/app.log"
    frame["line"] = frame.groupby("path").cumcount().astype("int64") + 1
    frame["time"] = pd.to_datetime(T0) + pd.to_timedelta(frame["offset"], unit="s")
    frame["time"] = frame["time"].dt.as_unit("ns")
    if drop_times:
        frame["time"] = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns, UTC]")
    frame["logger"] = ""
    frame["lines"] = np.ones(len(frame), dtype=np.int32)
    templates = _templates(frame, template_ids, streams)
    events = frame[list(EVENT_TABLE_COLUMNS)].copy()
    for column in ("service", "level", "path", "logger"):
        events[column] = events[column].astype("category")
    events["template_id"] = events["template_id"].astype("int64")
    return events, templates


def _arrivals(stream: Stream, duration: float, rng: np.random.Generator) -> np.ndarray:
    end = duration if stream.end is None else min(stream.end, duration)
    span = end - stream.start
    if span <= 0 or stream.rate <= 0:
        return np.empty(0)
    if stream.regular:
        phase = rng.uniform(0, 1 / stream.rate)
        return np.arange(stream.start + phase, end, 1 / stream.rate) + rng.normal(0, 0.02, size=1)
    bursts = rng.poisson(span * stream.rate / stream.burst)
    starts = np.sort(rng.uniform(stream.start, end, size=bursts))
    if stream.burst <= 1 or bursts == 0:
        return starts
    sizes = rng.geometric(1 / stream.burst, size=bursts)
    return np.sort(np.concatenate([s + rng.uniform(0, 0.5, size=k) for s, k in zip(starts, sizes)]))


def _render(stream: Stream, rng: np.random.Generator) -> str:
    parts = stream.template.split("<*>")
    out = [parts[0]]
    for i, part in enumerate(parts[1:]):
        value = stream.values[int(rng.integers(len(stream.values)))] if stream.values else str(rng.integers(1, 99999))
        out.append(value + part)
    return "".join(out)


def _templates(frame: pd.DataFrame, ids: dict[str, int], streams: list[Stream]) -> dict[int, TemplateInfo]:
    templates = {}
    ordered = frame.sort_values("offset", kind="stable")
    for text, tid in ids.items():
        rows = ordered[ordered["template_id"] == tid]
        level = next(s.level for s in streams if s.template == text)
        picked = rows[["path", "line", "message"]]
        examples = [Example(path=p, line=int(n), text=m) for p, n, m in picked.head(3).values]
        recent = [Example(path=p, line=int(n), text=m) for p, n, m in picked.tail(3).values]
        templates[tid] = TemplateInfo(id=tid, text=text, count=len(rows), level=level, examples=examples,
                                      recent=recent)
    return templates


def template_id(templates: dict[int, TemplateInfo], pattern: str) -> int:
    """The id of the one template whose text matches `pattern`."""
    found = [tid for tid, info in templates.items() if re.search(pattern, info.text)]
    assert len(found) == 1, f"{pattern!r} matches {len(found)} templates"
    return found[0]


# ------------------------------------------------------------------ scenarios


def background(services: list[str], rate: float = 4.0) -> list[Stream]:
    """Healthy traffic and the chronic noise every real system has."""
    streams = []
    for i, service in enumerate(services):
        streams.append(Stream(service, "GET /api/<*> 200 in <*> ms", "INFO", rate * (1 + i % 3)))
        streams.append(Stream(service, f"{service} pool stats: active=<*> idle=<*>", "DEBUG", 0.2))
    streams.append(Stream(services[-1], "Cache refresh failed for key <*>, serving stale value", "WARN", 0.05,
                          burst=4))
    streams.append(Stream(services[0], "Failed to send metrics batch: connection reset by peer", "ERROR", 0.02,
                          burst=3))
    return streams


def cascade(
    seed: int = 0,
    baseline: float = 600.0,
    fault_length: float = 400.0,
    after: float = 0.0,
    clock_offset: dict[str, float] | None = None,
    origin_rate: float = 0.5,
) -> Scenario:
    """payment-service breaks; checkout-service times out calling it, frontend gets 503s from checkout. The
    callers log ten times more errors than the origin."""
    rng = np.random.default_rng(seed + 1000)
    services = ["frontend", "checkout-service", "payment-service", "inventory-service"]
    fault = baseline
    stop = fault + fault_length
    d1, d2 = fault + rng.uniform(1, 4), fault + rng.uniform(4, 8)
    streams = background(services) + [
        Stream("payment-service", "Payment authorized for order <*>", "INFO", 2.0, end=fault),
        Stream("payment-service", "Payment authorized for order <*>", "INFO", 2.0, start=stop),
        Stream("payment-service", "Deadlock found when trying to get lock; transaction <*> rolled back",
               "ERROR", origin_rate, start=fault, end=stop),
        Stream("checkout-service", "Timeout calling <*> after 5000 ms", "ERROR", 3.0, start=d1, end=stop + 5,
               values=("http://payment-service:8080/v1/charge", "payment-service:8080")),
        Stream("checkout-service", "Retrying charge for order <*> (attempt <*>)", "WARN", 1.5, start=d1,
               end=stop + 5),
        Stream("frontend", "Upstream checkout-service returned 503 for /cart/<*>", "ERROR", 2.5, start=d2,
               end=stop + 8),
    ]
    duration = stop + after if after else stop + 60.0
    if not after:  # the logs end before recovery: the fault streams run to the end
        for s in streams:
            if s.start >= fault and s.end is not None and s.end >= stop:
                s.end = None
        streams = [s for s in streams if not (s.template.startswith("Payment authorized") and s.start == stop)]
    events, templates = build(streams, duration, seed, clock_offset)
    return Scenario(events, templates, fault=T0 + timedelta(seconds=fault),
                    recovered=T0 + timedelta(seconds=stop) if after else None, origin="payment-service")


def heartbeat_stops(seed: int = 0, baseline: float = 600.0, duration: float = 1200.0) -> Scenario:
    """A scheduler dies: its heartbeat stops, and twenty seconds later the consumer it feeds runs dry; nothing logs
    an error."""
    services = ["api-gateway", "orders-consumer", "scheduler"]
    fault = baseline
    streams = [Stream(s, "GET /api/<*> 200 in <*> ms", "INFO", 3.0) for s in services[:1]] + [
        Stream("scheduler", "heartbeat ok seq=<*>", "INFO", 0.2, end=fault, regular=True),
        Stream("orders-consumer", "Consumed batch <*> from queue orders", "INFO", 1.0, end=fault + 20),
        Stream("orders-consumer", "Lag check: partition <*> offset <*>", "DEBUG", 0.1),
        Stream("api-gateway", "Cache refresh failed for key <*>, serving stale value", "WARN", 0.05, burst=4),
    ]
    events, templates = build(streams, duration, seed)
    return Scenario(events, templates, fault=T0 + timedelta(seconds=fault), origin="scheduler")


def quiet(seed: int = 0, duration: float = 1800.0) -> Scenario:
    """A healthy system: traffic, bursty chronic noise, rare one-off warnings, no incident."""
    services = ["frontend", "checkout-service", "payment-service", "inventory-service"]
    streams = background(services) + [
        Stream("checkout-service", "Slow query on table <*> took <*> ms", "WARN", 0.01),
        Stream("payment-service", "Token refresh failed, retrying in <*> s", "WARN", 0.004, burst=2),
        Stream("inventory-service", "Rebalancing shard <*>", "INFO", 0.003),
    ]
    events, templates = build(streams, duration, seed)
    return Scenario(events, templates)


def with_lines(scenario: Scenario, lines: list[tuple[float, str, str, str]], seed: int = 0) -> Scenario:
    """Add one-off lines (seconds after T0, service, level, text), each its own template, to a scenario."""
    events, templates = scenario.events, dict(scenario.templates)
    extra = []
    next_id = max(templates) + 1
    for offset, service, level, text in lines:
        path = f"{service}/app.log"
        line = int(events.loc[events["path"] == path, "line"].max()) + 1 + len(extra)
        templates[next_id] = TemplateInfo(id=next_id, text=re.sub(r"\d+(?:\.\d+)+|[0-9a-f]{7,}", "<*>", text),
                                          count=1, level=level, examples=[Example(path, line, text)],
                                          recent=[Example(path, line, text)])
        extra.append({"time": pd.Timestamp(T0 + timedelta(seconds=offset)), "service": service, "level": level,
                      "template_id": next_id, "path": path, "line": line, "lines": 1, "logger": ""})
        next_id += 1
    added = pd.DataFrame(extra)
    added["time"] = added["time"].dt.as_unit("ns")
    merged = pd.concat([events.astype({c: str for c in ("service", "level", "path", "logger")}), added],
                       ignore_index=True)
    for column in ("service", "level", "path", "logger"):
        merged[column] = merged[column].astype("category")
    merged["template_id"] = merged["template_id"].astype("int64")
    merged["line"] = merged["line"].astype("int64")
    merged = merged[list(events.columns)]
    if "lines" in merged:
        merged["lines"] = merged["lines"].astype("int32")
    return Scenario(merged, templates, scenario.fault, scenario.recovered, scenario.origin)
