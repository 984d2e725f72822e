"""Anomaly scoring on real logs with labelled alerts: BGL (Blue Gene/L) from Loghub-2k.

BGL's first column labels each line: "-" for a normal line, else the alert category (KERNDTLB, APPSEV, ...). The
label is stripped before analysis, so logrca sees the raw log a user would have; the labels then score it:

- recall of the alert templates (templates of labelled alert lines) among the top-ranked anomalies;
- the onset found against the densest burst of alert lines;
- the time anomaly scoring takes as a ratio of ingestion + mining of the same logs, in the same process;
- with --scale N, detect_anomalies on a synthetic table of N events as a ratio of a pandas groupby over it;
- with --scenarios N, the generated incidents of tests/anomaly_scenarios.py over N seeds each: onset error,
  how often the origin ranks first, and how often quiet logs get an onset invented.

    python bench/anomaly_bgl.py [--scale 10000000] [--scenarios 10]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analyzer.anomaly import detect_anomalies  # noqa: E402
from analyzer.event_table import finish_table, mine_batches, template_catalog  # noqa: E402
from analyzer.findings import Example  # noqa: E402
from analyzer.stages import AnomalyOptions, TemplateInfo  # noqa: E402
from analyzer.templates import TemplateMiner  # noqa: E402
from parsers.ingest import read_logs  # noqa: E402
from parsers.records import ParseOptions  # noqa: E402

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "loghub_2k" / "BGL" / "BGL_2k.log"
BURST_WINDOW = pd.Timedelta(hours=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=0, help="also time a synthetic table of this many events")
    parser.add_argument("--scenarios", type=int, default=0, help="also score generated incidents over this many seeds")
    args = parser.parse_args()
    if args.scenarios:
        report_scenarios(args.scenarios)
    if not DATA.exists():
        print(f"BGL data not found at {DATA}; nothing to measure.")
        return
    with tempfile.TemporaryDirectory() as tmp:
        labels, log = strip_labels(DATA, Path(tmp) / "BGL.log")
        started = time.perf_counter()
        table, catalog = mine(log)
        mining = time.perf_counter() - started
        started = time.perf_counter()
        result = detect_anomalies(table, catalog, AnomalyOptions())
        scoring = time.perf_counter() - started
    report_accuracy(table, labels, result)
    print(f"time: anomaly scoring {scoring:.2f} s = {scoring / mining:.2f} x ingestion + mining ({mining:.2f} s), "
          f"{len(table)} events")
    if args.scale:
        report_scale(args.scale)


def strip_labels(source: Path, target: Path) -> tuple[np.ndarray, Path]:
    """The alert label of every line (as a numpy array, "-" normal) and a copy of the log without it."""
    labels, lines = [], []
    with open(source, encoding="utf-8", errors="replace") as handle:
        for raw in handle:
            label, _, rest = raw.partition(" ")
            labels.append(label)
            lines.append(rest)
    target.write_text("".join(lines), encoding="utf-8")
    return np.array(labels), target


def mine(path: Path) -> tuple[pd.DataFrame, dict[int, TemplateInfo]]:
    miner = TemplateMiner()
    mined = mine_batches(read_logs([str(path)], ParseOptions(tz="UTC")), miner)
    templates = miner.finish()
    table = finish_table(mined, templates.final_ids)
    return table, template_catalog(templates.texts, table, [mined], templates.final_ids)


def report_accuracy(table: pd.DataFrame, labels: np.ndarray, result) -> None:
    alert = labels[table["line"].to_numpy() - 1] != "-"
    alert_templates = set(table.loc[alert, "template_id"].astype(int))
    ranked = [int(a.template_id) for a in result.anomalies]
    print(f"events {len(table)}, alert lines {int(alert.sum())}, alert templates {len(alert_templates)}, "
          f"anomalies {len(ranked)}")
    for k in (5, 10, len(alert_templates)):
        top = ranked[:k]
        hits = len(alert_templates & set(top))
        print(f"recall@{k}: {hits}/{len(alert_templates)} = {hits / max(len(alert_templates), 1):.2f}  "
              f"(precision@{k}: {hits}/{len(top) or 1} = {hits / max(len(top), 1):.2f})")
    alert_lines = int(alert.sum())
    covered = int(table.loc[alert, "template_id"].isin(ranked[: len(alert_templates)]).sum())
    print(f"alert lines whose template ranks in the top {len(alert_templates)}: {covered}/{alert_lines} "
          f"= {covered / max(alert_lines, 1):.2f}")

    times = table.loc[alert, "time"].dropna().sort_values()
    onset = result.incident.start
    print(f"onset found: {onset}" if onset else f"onset found: none ({result.incident.method})")
    for window in (BURST_WINDOW, pd.Timedelta(seconds=result.bucket_seconds or 3600)):
        burst_start, burst_count = densest(times, window)
        gap = f"{(pd.Timestamp(onset) - burst_start).total_seconds():+.0f} s" if onset else "n/a"
        print(f"densest alert burst within {window}: {burst_count} alert lines from {burst_start}; onset {gap}")
    print(f"method: {result.incident.method}")
    print(f"top services: {[(s.name, s.score) for s in result.services[:3]]}")
    for a in result.anomalies[:5]:
        print(f"  {a.kind:5} {a.score:.2f} alert={int(a.template_id) in alert_templates!s:5} {a.template[:90]}")


def densest(times: pd.Series, window: pd.Timedelta) -> tuple[pd.Timestamp | None, int]:
    """Start and size of the window of the given width holding the most instants (sorted input)."""
    values = times.dt.as_unit("ns").array.asi8
    if values.size == 0:
        return None, 0
    ends = np.searchsorted(values, values + window.value, side="right")
    counts = ends - np.arange(values.size)
    best = int(np.argmax(counts))
    return pd.Timestamp(int(values[best]), tz="UTC"), int(counts[best])


def report_scenarios(seeds: int) -> None:
    from tests import anomaly_scenarios as sc

    kinds = {
        "cascade (origin logs 10x fewer errors)": lambda s: sc.cascade(s),
        "one-minute baseline": lambda s: sc.cascade(s, baseline=60, fault_length=300),
        "callers' clocks 5-6 s behind": lambda s: sc.cascade(s, clock_offset={"checkout-service": -6, "frontend": -5}),
        "recovers before the logs end": lambda s: sc.cascade(s, after=300),
        "heartbeat stops, no errors": lambda s: sc.heartbeat_stops(s),
    }
    for name, make in kinds.items():
        errors, first = [], 0
        for seed in range(seeds):
            scenario = make(seed)
            result = detect_anomalies(scenario.events, scenario.templates, AnomalyOptions())
            if result.incident.start is not None:
                errors.append(abs((result.incident.start - scenario.fault).total_seconds()))
            first += bool(result.services) and result.services[0].name == scenario.origin
        found = f"median |onset error| {np.median(errors):.1f} s, max {max(errors):.1f} s" if errors else "no onset"
        print(f"scenario {name}: onset found {len(errors)}/{seeds}, {found}; origin first {first}/{seeds}")
    invented = sum(
        detect_anomalies(q.events, q.templates, AnomalyOptions()).incident.start is not None
        for q in (sc.quiet(seed) for seed in range(seeds * 4))
    )
    print(f"scenario quiet logs: onset invented {invented}/{seeds * 4}")


def report_scale(n: int) -> None:
    """detect_anomalies on n synthetic events (six hours, 2,000 templates, 30 services, one new error template
    after four hours), as a ratio of a pandas groupby count over the same table."""
    table, templates = synthetic(n)
    started = time.perf_counter()
    table.groupby(["service", "template_id"], observed=True).size()
    baseline = time.perf_counter() - started
    started = time.perf_counter()
    result = detect_anomalies(table, templates, AnomalyOptions())
    scoring = time.perf_counter() - started
    found = result.anomalies[0].template if result.anomalies else None
    print(f"scale: {n} events scored in {scoring:.1f} s = {scoring / baseline:.0f} x a groupby count "
          f"({baseline:.2f} s); onset {result.incident.start}; top anomaly {found!r}")


def synthetic(n: int) -> tuple[pd.DataFrame, dict[int, TemplateInfo]]:
    rng = np.random.default_rng(0)
    templates, services = 2000, 30
    start = pd.Timestamp("2026-03-14T00:00:00Z").value
    times = start + np.sort(rng.integers(0, 6 * 3600 * 10**9, n))
    template = (rng.zipf(1.5, n) % templates).astype(np.int64)
    service = rng.integers(0, services, n)
    fault = (times > start + 4 * 3600 * 10**9) & (rng.random(n) < 0.01)
    template[fault] = templates
    level = np.where(fault | (template % 17 == 0), "ERROR", "INFO")
    table = pd.DataFrame({
        "time": pd.to_datetime(times, utc=True),
        "service": pd.Categorical.from_codes(service, [f"svc-{i}" for i in range(services)]),
        "level": pd.Categorical(level),
        "template_id": template,
        "path": pd.Categorical.from_codes(service, [f"svc-{i}/app.log" for i in range(services)]),
        "line": np.arange(1, n + 1, dtype=np.int64),
        "logger": pd.Categorical.from_codes(np.zeros(n, dtype=np.int8), [""]),
    })
    catalog = {
        k: TemplateInfo(id=k, text=f"event {k} value <*>" + (" failed" if k % 17 == 0 or k == templates else ""),
                        examples=[Example("svc-0/app.log", 1, f"event {k} value 1")])
        for k in range(templates + 1)
    }
    return table, catalog


if __name__ == "__main__":
    main()
