"""Anomaly scoring: when the incident began, what changed in the logs, and which service it started in.

    events + templates (+ baseline) ──► buckets x templates counts (timeseries)
        ──► onset (onset: change point, IsolationForest second opinion; or --incident-start)
        ──► template changes new/spike/drop against the healthy period (template_anomalies)
        ──► peak and recovery ──► services ranked as origins (service_rank)
        ──► state changes and deploy markers (state_changes)

The healthy period is the --baseline logs when given, else the logs before the onset.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analyzer.findings import Anomaly, Example, Incident
from analyzer.onset import (
    IncidentWindow,
    explains,
    locate_incident,
    settle_onset,
    settle_peak_and_end,
    silence_start,
)
from analyzer.service_rank import (
    ServiceActivity,
    announced_ports,
    blame_targets,
    collect_activities,
    errors_per_service,
    rank_services,
    service_aliases,
    texts_by_service,
)
from analyzer.stages import AnomalyOptions, AnomalyResult, TemplateInfo
from analyzer.state_changes import find_state_changes
from analyzer.template_anomalies import (
    ERROR_SEVERITY,
    TemplateChange,
    WindowCounts,
    anomaly_score,
    compare_windows,
    position_weight,
    template_severity,
)
from analyzer.timeseries import (
    NAT_NS,
    Buckets,
    EventArrays,
    code_counts,
    count_matrix,
    event_arrays,
    in_columns,
    majority_levels,
    make_buckets,
    series_points,
    time_span,
    to_datetime,
)
from parsers.errors import UserError

# The columns of EVENT_TABLE_COLUMNS this stage reads (logger and lines are not needed).
USED_COLUMNS = ("time", "service", "level", "template_id", "path", "line")
SKEW_SECONDS = 10.0  # clocks of different hosts may disagree by this much; earlier by less is not earlier
STATE_LOOKBACK_SECONDS = 900
BLAME_DISCOUNT = 0.7  # a complaint about another service explains less than that service's own error
MAX_PAIR_CELLS = 1 << 22  # template x service count matrices up to 32 MB; beyond, a group-by of the events


def detect_anomalies(
    events: pd.DataFrame,
    templates: dict[int, TemplateInfo],
    options: AnomalyOptions,
    baseline: pd.DataFrame | None = None,
) -> AnomalyResult:
    """Onset, peak and recovery; templates that are new, spiking or gone quiet; services ranked as the origin;
    state changes and deploy markers seen in the logs; the per-bucket series for the chart."""
    _check_columns(events, "events")
    if baseline is not None:
        _check_columns(baseline, "baseline")
    # Distinct ids per table first: concatenating the columns would copy every event's id.
    ids = pd.Index(pd.unique(np.concatenate([_distinct_ids(events), _distinct_ids(baseline)])))
    table = event_arrays(events, ids)
    base = event_arrays(baseline, ids) if baseline is not None and len(baseline) else None
    severity = template_severity(templates, ids.to_numpy(), majority_levels([table, base], len(ids)))
    for t in (table, base):
        if t is not None:
            t.flag_errors(severity)
    notes = _time_notes(table)
    if not (table.ns != NAT_NS).any():
        return _without_time(table, base, ids, severity, templates, notes)

    buckets = make_buckets(table.ns, options.bucket_seconds)
    matrix = count_matrix(buckets.assign(table.ns), table.codes, buckets.count, len(ids))
    base_counts = _baseline_counts(base, len(ids), buckets.seconds)
    window = locate_incident(table, matrix, buckets, severity, base_counts, options)
    notes += window.notes
    if window.onset_ns is None:
        return _no_incident(table, base, ids, severity, templates, buckets, window, notes)

    changes, healthy = _changes(table, matrix, buckets, base_counts, window)
    if window.detection == "auto" and settle_onset(window, table, matrix, buckets, changes, healthy, severity):
        changes, healthy = _changes(table, matrix, buckets, base_counts, window)
    if window.detection == "auto" and not explains(changes, severity):
        window = IncidentWindow(None, None, None, "auto", "No incident found: the change at "
                         f"{to_datetime(window.onset_ns):%H:%M:%S} leaves no error template new or spiking and no "
                         "steady message gone quiet against the healthy period.", window.notes)
        return _no_incident(table, base, ids, severity, templates, buckets, window, notes)
    if window.detection == "auto" or options.incident_end is None:
        settle_peak_and_end(window, changes, matrix, buckets, severity, healthy, options)
        changes, healthy = _changes(table, matrix, buckets, base_counts, window)
    return _result(table, base, ids, severity, templates, buckets, window, changes, healthy, notes)


# ---------------------------------------------------------------- inputs


def _check_columns(frame: pd.DataFrame, what: str) -> None:
    missing = [c for c in USED_COLUMNS if c not in frame.columns]
    if missing:
        raise UserError(f"The {what} table lacks the column(s) {', '.join(missing)}; run the template miner first.")


def _distinct_ids(frame: pd.DataFrame | None) -> np.ndarray:
    """The template ids of a table, each once, in order of first appearance."""
    if frame is None or frame.empty:
        return np.empty(0, dtype=np.int64)
    return pd.unique(frame["template_id"].to_numpy()).astype(np.int64)


def _time_notes(table: EventArrays) -> list[str]:
    untimed = int((table.ns == NAT_NS).sum())
    if untimed and untimed < len(table.ns):
        return [f"{untimed} event(s) carry no timestamp: they count in the templates but not in the timing."]
    if untimed:
        return ["No event carries a timestamp, so the incident's time is unknown; anomalies are ranked by level."]
    return []


def _baseline_counts(base: EventArrays | None, n_codes: int, seconds: int) -> np.ndarray | None:
    if base is None:
        return None
    grid = make_buckets(base.ns, seconds)
    if grid is None:
        return None
    return count_matrix(grid.assign(base.ns), base.codes, grid.count, n_codes)


# ---------------------------------------------------------------- onset, peak, recovery


def _changes(
    table: EventArrays, matrix: np.ndarray, buckets: Buckets, base_counts: np.ndarray | None, window: IncidentWindow
) -> tuple[list[TemplateChange], WindowCounts]:
    """Template changes between the healthy period and the incident window, and the healthy counts used."""
    timed = table.ns != NAT_NS
    end = window.end_ns if window.end_ns is not None else int(table.ns.max()) + 1  # NaT is the least int64
    end = max(end, window.onset_ns + buckets.width_ns)  # a window shorter than a bucket has no rate to compare
    onset_bucket, end_bucket = buckets.index_of_ns(window.onset_ns), buckets.index_of_ns(end)
    n = len(matrix[0])
    inside = timed & (table.ns >= window.onset_ns) & (table.ns <= end)
    incident = WindowCounts.from_matrix(matrix[onset_bucket : end_bucket + 1])
    incident.totals = code_counts(table.codes, n, where=inside)
    incident.length = max((end - window.onset_ns) / buckets.width_ns, 1.0)
    if base_counts is not None:
        healthy = WindowCounts.from_matrix(base_counts)
    else:
        before = timed & (table.ns < window.onset_ns)
        healthy = WindowCounts.from_matrix(matrix[:onset_bucket])
        healthy.totals = code_counts(table.codes, n, where=before)
        first = time_span(table.ns)[0]
        healthy.length = max((window.onset_ns - first) / buckets.width_ns, 0.0)
    return compare_windows(healthy, incident), healthy


# ---------------------------------------------------------------- results


def _result(
    table: EventArrays,
    base: EventArrays | None,
    ids: pd.Index,
    severity: np.ndarray,
    templates: dict[int, TemplateInfo],
    buckets: Buckets,
    window: IncidentWindow,
    changes: list[TemplateChange],
    healthy: WindowCounts,
    notes: list[str],
) -> AnomalyResult:
    timed = table.ns != NAT_NS
    end = window.end_ns if window.end_ns is not None else int(table.ns.max()) + 1  # NaT is the least int64
    slack = buckets.width_ns
    inside = timed & (table.ns >= window.onset_ns - slack) & (table.ns <= end)
    firsts = _first_seen(table, inside, changes, window.onset_ns)
    services_of = _services_by_template(table, inside, base, timed & (table.ns < window.onset_ns))
    texts = texts_by_service(table, templates)
    names = table.services_present()
    aliases = service_aliases(names, announced_ports(texts))

    activities = collect_activities(table, base, ids, severity, templates, changes, firsts, services_of, texts, aliases,
                             names, inside, window)
    spread = max(3 * buckets.seconds, 30.0)
    services = rank_services(activities, SKEW_SECONDS, spread)
    origin = services[0].name if services and services[0].score > 0 else None
    anomalies = _anomalies(table, ids, severity, templates, changes, firsts, services_of, texts, aliases,
                           origin, window, spread, inside)
    baseline_range = _baseline_range(table, base, window)
    lookback = max(STATE_LOOKBACK_SECONDS, 10 * buckets.seconds) * 1_000_000_000
    state = find_state_changes(table.events, templates,
                               (window.onset_ns - lookback, (window.end_ns or end) + slack))
    anomalous_columns = [c.column for c in changes if c.kind != "drop"]
    return AnomalyResult(
        incident=Incident(
            start=to_datetime(window.onset_ns),
            end=to_datetime(window.end_ns) if window.end_ns is not None else None,
            detection=window.detection,
            peak=to_datetime(window.peak_ns) if window.peak_ns is not None else None,
            baseline_start=baseline_range[0],
            baseline_end=baseline_range[1],
            method=window.method,
        ),
        services=services,
        anomalies=anomalies,
        ruled_out=_ruled_out(table, ids, severity, templates, changes, healthy, window, end),
        state_changes=state.changes,
        deploy_markers=state.deploys,
        series=series_points(table, buckets, anomalous_columns),
        bucket_seconds=buckets.seconds,
        notes=notes + _external_notes(activities),
    )


def _first_seen(table: EventArrays, inside: np.ndarray, changes: list[TemplateChange], onset: int) -> dict[int, int]:
    """Column -> ns: first event in the window for a rise; for a drop, when its next occurrence was due."""
    firsts: dict[int, int] = {}
    up = [c.column for c in changes if c.kind != "drop"]
    if up:
        mask = inside & in_columns(table.codes, up)
        frame = pd.DataFrame({"c": table.codes[mask], "t": table.ns[mask]}).groupby("c")["t"].min()
        firsts.update({int(k): int(v) for k, v in frame.items()})
    log_end = int(table.ns.max())
    for change in changes:
        if change.kind == "drop":
            times = np.sort(table.ns[(table.codes == change.column) & (table.ns != NAT_NS)])
            firsts[change.column] = silence_start(times, onset, log_end)
    return firsts


def _services_by_template(
    table: EventArrays, inside: np.ndarray, base: EventArrays | None, before: np.ndarray
) -> dict[str, dict[int, dict[str, int]]]:
    """{"incident"|"baseline": {column: {service: events}}}."""
    def count(t: EventArrays, mask: np.ndarray | None) -> dict[int, dict[str, int]]:
        out: dict[int, dict[str, int]] = {}
        for c, s, n in _pair_counts(t.codes, t.service, len(t.service_names), mask):
            out.setdefault(c, {})[str(t.service_names[s])] = n
        return out

    healthy = count(base, None) if base is not None else count(table, before)
    return {"incident": count(table, inside), "baseline": healthy}


def _pair_counts(codes: np.ndarray, services: np.ndarray, n_services: int,
                 mask: np.ndarray | None) -> list[tuple[int, int, int]]:
    """(template column, service, events) for each pair that occurs, in (column, service) order. A template x
    service matrix of counts when it is small (no per-event copies), else a group-by of the selected events."""
    n_codes = int(codes.max(initial=-1)) + 1
    if n_codes * n_services <= MAX_PAIR_CELLS:
        matrix = count_matrix(codes, services, n_codes, n_services, where=mask)
        return [(int(c), int(s), int(matrix[c, s])) for c, s in zip(*np.nonzero(matrix))]
    selected = (codes, services) if mask is None else (codes[mask], services[mask])
    grouped = pd.DataFrame({"c": selected[0], "s": selected[1]}).groupby(["c", "s"]).size()
    return [(int(c), int(s), int(n)) for (c, s), n in grouped.items()]


def _anomalies(
    table, ids, severity, templates, changes, firsts, services_of, texts, aliases, origin, window, spread, inside
) -> list[Anomaly]:
    examples_inside = _example_times(table, templates, ids, changes)
    out = []
    for change in changes:
        tid = int(ids[change.column])
        info = templates.get(tid)
        text = info.text if info else f"template {tid}"
        first = firsts.get(change.column)
        delay = None if first is None else (first - window.onset_ns) / 1e9
        side = "baseline" if change.kind == "drop" else "incident"
        services = sorted(services_of[side].get(change.column, {}), key=lambda s: -services_of[side][change.column][s])
        weight = 0.6 * change.presence_baseline if change.kind == "drop" else float(severity[change.column])
        complains = any(blame_targets(text, aliases, s).services for s in services) if services else False
        if complains and origin not in services:
            weight *= BLAME_DISCOUNT
        if origin is not None and origin in services:
            weight *= 1.2
        out.append(
            Anomaly(
                template_id=tid,
                template=text,
                kind=change.kind,
                score=round(anomaly_score(change.surprise, weight, position_weight(delay, spread)), 4),
                level=(info.level or None) if info else None,
                first_seen=to_datetime(first) if first is not None else None,
                count_baseline=change.count_baseline,
                count_incident=change.count_incident,
                services=services,
                examples=_pick_examples(info, examples_inside, window),
            )
        )
    return sorted(out, key=lambda a: (-a.score, a.first_seen or to_datetime(0), str(a.template_id)))


def _example_times(table, templates, ids, changes) -> dict[tuple[str, int], int]:
    """(path, line) -> ns for the examples of the changed templates, looked up in the event table."""
    wanted = [int(ids[c.column]) for c in changes]
    keys = {(e.path, e.line) for tid in wanted if tid in templates
            for e in [*templates[tid].examples, *templates[tid].recent]}
    if not keys:
        return {}
    path_code = {str(name): i for i, name in enumerate(table.path_names)}
    wanted_keys = pd.DataFrame([(path_code[p], line) for p, line in keys if p in path_code], columns=["p", "line"])
    mask = in_columns(table.codes, [c.column for c in changes])
    frame = pd.DataFrame({"p": table.path[mask], "line": table.events["line"].to_numpy()[mask], "t": table.ns[mask]})
    found = frame.merge(wanted_keys.astype({"p": frame["p"].dtype, "line": frame["line"].dtype}), on=["p", "line"])
    return {(str(table.path_names[p]), int(l)): int(t) for p, l, t in zip(found["p"], found["line"], found["t"])}


def _pick_examples(
    info: TemplateInfo | None, times: dict[tuple[str, int], int], window: IncidentWindow
) -> list[Example]:
    """Up to three, those inside the incident window first (in time order), then the others."""
    if info is None:
        return []
    seen, pool = set(), []
    for example in [*info.examples, *info.recent]:
        if (example.path, example.line) not in seen:
            seen.add((example.path, example.line))
            pool.append(example)
    end = window.end_ns if window.end_ns is not None else np.iinfo(np.int64).max

    def key(e: Example) -> tuple[int, int]:
        t = times.get((e.path, e.line), NAT_NS)
        within = t != NAT_NS and window.onset_ns is not None and window.onset_ns <= t <= end
        return (0 if within else 1, t)

    return sorted(pool, key=key)[:3]


def _ruled_out(table, ids, severity, templates, changes, healthy, window, end) -> list[str]:
    """Error-ish templates already present in the healthy period at about the same rate: noise, not the cause."""
    changed = {c.column for c in changes}
    timed = table.ns != NAT_NS
    inside = timed & (table.ns >= window.onset_ns) & (table.ns <= end)
    during = code_counts(table.codes, len(ids), where=inside)
    candidates = [k for k in np.flatnonzero((healthy.totals > 0) & (severity >= ERROR_SEVERITY)) if k not in changed]
    out = []
    for k in sorted(candidates, key=lambda k: -healthy.totals[k])[:5]:
        tid = int(ids[k])
        text = templates[tid].text if tid in templates else f"template {tid}"
        out.append(
            f"“{_first_line(text)}” was already logged {int(healthy.totals[k])} time(s) in the healthy period "
            f"({int(during[k])} during the incident, within its usual noise): it predates the onset."
        )
    return out


def _baseline_range(table: EventArrays, base: EventArrays | None, window: IncidentWindow):
    source = base if base is not None else table
    span = time_span(source.ns, None if base is not None else source.ns < (window.onset_ns or 0))
    if span is None:
        return None, None
    return to_datetime(span[0]), to_datetime(span[1] if base is not None else window.onset_ns)


def _external_notes(activities: list[ServiceActivity]) -> list[str]:
    hosts: dict[str, list[str]] = {}
    for a in activities:
        for host in a.external:
            hosts.setdefault(host, []).append(a.name)
    return [f"Errors of {', '.join(sorted(who))} name {host}, which is not among the services in these logs: "
            "an outside dependency may be the origin." for host, who in sorted(hosts.items())[:5]]


def _first_line(text: str, limit: int = 120) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"


# ---------------------------------------------------------------- degenerate inputs


def _no_incident(table, base, ids, severity, templates, buckets, window, notes) -> AnomalyResult:
    """No onset: no window, no anomalies; services listed (all alike), the series still drawn."""
    names = table.services_present()
    activities = [ServiceActivity(name=n) for n in names]
    for name, n in errors_per_service(table, table.is_error).items():
        activities[names.index(name)].errors_incident = n
    state = find_state_changes(table.events, templates, None)
    return AnomalyResult(
        incident=Incident(start=None, end=None, detection="auto", method=window.method),
        services=rank_services(activities, SKEW_SECONDS, 30.0),
        anomalies=[],
        state_changes=state.changes,
        deploy_markers=state.deploys,
        series=series_points(table, buckets, []),
        bucket_seconds=buckets.seconds,
        notes=notes,
    )


def _without_time(table, base, ids, severity, templates, notes) -> AnomalyResult:
    """No timestamps (a pasted crash trace): error templates ranked by level and by how early they appear;
    against --baseline when given, only those the baseline lacks or has fewer of."""
    counts = code_counts(table.codes, len(ids))
    base_counts = code_counts(base.codes, len(ids)) if base is not None else np.zeros(len(ids), int)
    first_row = pd.Series(np.arange(len(table.codes))).groupby(table.codes).min()
    columns = [k for k in np.flatnonzero((counts > 0) & (severity >= ERROR_SEVERITY)) if counts[k] > base_counts[k]]
    columns.sort(key=lambda k: first_row.get(k, 0))
    changes = [TemplateChange(column=int(k), kind="new" if base_counts[k] == 0 else "spike", surprise=5.0,
                              count_baseline=int(base_counts[k]), count_incident=int(counts[k]),
                              presence_baseline=0.0) for k in columns]
    method = "no timestamps in the logs, so no onset; error templates are listed"
    window = IncidentWindow(None, None, None, "none", method)
    everything = np.ones(len(table.codes), dtype=bool)
    services_of = _services_by_template(table, everything, None, ~everything)
    texts = texts_by_service(table, templates)
    names = table.services_present()
    aliases = service_aliases(names, announced_ports(texts))
    window_all = IncidentWindow(np.iinfo(np.int64).min + 1, None, None, "none", window.method)
    activities = collect_activities(table, None, ids, severity, templates, changes, {}, services_of, texts, aliases,
                             names, everything, window_all)
    services = rank_services(activities, SKEW_SECONDS, 30.0)
    origin = services[0].name if services and services[0].score > 0 else None
    anomalies = []
    for rank, change in enumerate(changes):
        tid = int(ids[change.column])
        info = templates.get(tid)
        svcs = sorted(services_of["incident"].get(change.column, {}))
        weight = float(severity[change.column]) * (1.2 if origin in svcs else 1.0)
        anomalies.append(Anomaly(
            template_id=tid, template=info.text if info else f"template {tid}", kind=change.kind,
            score=round(anomaly_score(5.0, weight, position_weight(rank * 10.0, 30.0)), 4),
            level=(info.level or None) if info else None, count_baseline=change.count_baseline,
            count_incident=change.count_incident, services=svcs,
            examples=[*info.examples][:3] if info else []))
    anomalies.sort(key=lambda a: -a.score)
    state = find_state_changes(table.events, templates, None)
    return AnomalyResult(
        incident=Incident(start=None, end=None, detection="none", method=window.method),
        services=services, anomalies=anomalies, state_changes=state.changes, deploy_markers=state.deploys,
        notes=notes,
    )
