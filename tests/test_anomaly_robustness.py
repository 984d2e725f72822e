"""detect_anomalies never crashes on odd event tables: any sizes, missing times, unknown ids, one instant."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analyzer.anomaly import detect_anomalies
from analyzer.findings import Example
from analyzer.stages import AnomalyOptions, TemplateInfo

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
LEVELS = ["", "INFO", "WARN", "ERROR", "FATAL", "DEBUG"]


def table(rows: list[tuple[float | None, int, int, int]]) -> pd.DataFrame:
    """(seconds after T0 or None, service, level index, template id) per event."""
    times = [pd.NaT if s is None else pd.Timestamp(T0 + timedelta(seconds=s)) for s, *_ in rows]
    return pd.DataFrame({
        "time": pd.to_datetime(pd.Series(times, dtype="object"), utc=True).dt.as_unit("ns"),
        "service": pd.Categorical([f"svc-{r[1]}" for r in rows]),
        "level": pd.Categorical([LEVELS[r[2]] for r in rows]),
        "template_id": np.array([r[3] for r in rows], dtype=np.int64),
        "path": pd.Categorical([f"svc-{r[1]}/app.log" for r in rows]),
        "line": np.arange(1, len(rows) + 1, dtype=np.int64),
        "lines": np.ones(len(rows), dtype=np.int32),
        "logger": pd.Categorical([""] * len(rows)),
    })


def catalog(ids: set[int]) -> dict[int, TemplateInfo]:
    # Some ids are left out on purpose: the stage must cope with a template it has no record of.
    return {i: TemplateInfo(i, f"event {i} failed <*>" if i % 2 else f"event {i} ok",
                            examples=[Example("svc-0/app.log", 1, f"event {i} calling svc-1:8080")])
            for i in ids if i % 5}


rows = st.lists(
    st.tuples(
        st.one_of(st.none(), st.floats(min_value=0, max_value=7 * 86400, allow_nan=False)),
        st.integers(0, 3),
        st.integers(0, len(LEVELS) - 1),
        st.integers(0, 12),
    ),
    max_size=300,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=rows, given_start=st.booleans())
def test_any_event_table_is_scored_without_error(rows, given_start):
    events = table(rows)
    options = AnomalyOptions(incident_start=T0 + timedelta(hours=1)) if given_start else AnomalyOptions()
    result = detect_anomalies(events, catalog({r[3] for r in rows}), options)
    assert {s.name for s in result.services} == set(events["service"].astype(str))
    assert all(a.kind in ("new", "spike", "drop") for a in result.anomalies)
    if result.incident.start is None:
        assert result.incident.detection in ("auto", "none")
    timed = events["time"].notna().sum()
    assert sum(p.events for p in result.series) == (timed if result.series else 0)


def test_every_event_at_one_instant():
    events = table([(5.0, i % 2, 3, i % 3) for i in range(50)])
    result = detect_anomalies(events, catalog({0, 1, 2}), AnomalyOptions())
    assert result.incident.start is None
    assert result.bucket_seconds == 1


def test_a_few_events_over_years():
    events = table([(d * 86400.0 * 200, 0, 1, d % 2) for d in range(6)])
    result = detect_anomalies(events, catalog({0, 1}), AnomalyOptions())
    assert result.incident.start is None
    assert result.bucket_seconds >= 86400


def test_cascade_survives_lost_timestamps_and_missing_template_records():
    from tests import anomaly_scenarios as sc

    scenario = sc.cascade(6)
    events = scenario.events.copy()
    rng = np.random.default_rng(6)
    lost = rng.random(len(events)) < 0.2
    events.loc[lost, "time"] = pd.NaT
    templates = {tid: info for tid, info in scenario.templates.items() if "pool stats" not in info.text}
    result = detect_anomalies(events, templates, AnomalyOptions())
    assert result.services[0].name == "payment-service"
    assert abs((result.incident.start - scenario.fault).total_seconds()) <= 60
    assert any(f"{int(lost.sum())} event(s) carry no timestamp" in n for n in result.notes)


def _in_small_pieces(monkeypatch):
    # Per-event passes run a chunk at a time and template x service counts switch to a group-by for large
    # matrices; both must give exactly what one pass over everything gives.
    import analyzer.anomaly
    import analyzer.onset
    import analyzer.service_rank
    import analyzer.timeseries

    for module in (analyzer.timeseries, analyzer.onset, analyzer.service_rank):
        monkeypatch.setattr(module, "CHUNK", 7)
    monkeypatch.setattr(analyzer.anomaly, "MAX_PAIR_CELLS", 0)


def test_chunked_passes_score_a_cascade_exactly_as_one_pass(monkeypatch):
    from tests import anomaly_scenarios as sc

    scenario = sc.cascade(3)
    events = scenario.events.copy()
    events.loc[np.random.default_rng(3).random(len(events)) < 0.1, "time"] = pd.NaT
    whole = detect_anomalies(events, scenario.templates, AnomalyOptions())
    _in_small_pieces(monkeypatch)
    pieces = detect_anomalies(events, scenario.templates, AnomalyOptions())
    assert whole.incident.start is not None and whole.anomalies
    assert pieces == whole


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=rows)
def test_chunked_passes_score_any_table_exactly_as_one_pass(rows):
    import pytest

    events, templates = table(rows), catalog({r[3] for r in rows})
    whole = detect_anomalies(events, templates, AnomalyOptions())
    with pytest.MonkeyPatch.context() as monkeypatch:
        _in_small_pieces(monkeypatch)
        assert detect_anomalies(events, templates, AnomalyOptions()) == whole
