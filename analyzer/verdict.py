"""The verdict: from what the stages found to the findings a person reads (summary sentence, timeline)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from analyzer.findings import (
    Anomaly,
    Findings,
    Incident,
    Inputs,
    RootCause,
    SourceReport,
    Suspect,
    StateChange,
    TimelineEntry,
)
from analyzer.stages import AnomalyResult, Correlation
from analyzer.state_changes import classify
from parsers.records import Deploy, SourceStats

TIMELINE_ANOMALIES = 5  # first appearances of the top anomalies put on the timeline
TIMELINE_SUSPECTS = 3
DEPLOY_LOOKBACK = timedelta(hours=24)  # deploys older than this before the onset are history, not timeline
STATE_CHANGE_GAP = timedelta(minutes=2)  # state changes of one service closer than this are one event (a restart)
# Rows at the same instant read in causal order: the last healthy moment, then the onset, then what it showed.
KIND_ORDER = {k: i for i, k in enumerate(("baseline", "commit", "deploy", "state-change", "onset", "anomaly", "peak", "revert", "recovery"))}
BANNER_SLACK = timedelta(minutes=30)  # a version banner this close to a recorded deploy of that version is that deploy
ORIGIN_RANK = {"file": 0, "log": 1, "tag": 2}
# State-change kinds that are failures of the platform rather than of the code, and the category they give.
INFRA_KINDS = {"disk": "infrastructure", "oom": "capacity"}
INFRA_WORDS = {"disk": "a full disk", "oom": "memory exhaustion (OOM)"}
INFRA_BEFORE = timedelta(minutes=30)  # a full disk can precede the first error by a while (writes fail, then retries)
INFRA_AFTER = timedelta(minutes=5)  # clocks and log buffering put the cause's own line a little after the onset
ORIGIN_WORDS = {"file": "deploy record", "log": "seen in the logs", "tag": "release tag"}


def build_findings(
    version: str,
    sources: Sequence[SourceStats],
    repo: str | None,
    result: AnomalyResult,
    correlation: Correlation,
    generated_at: datetime | None = None,
) -> Findings:
    no_incident = result.incident.start is None and not result.anomalies
    infrastructure = None if no_incident else infrastructure_signal(result)
    blamed, confidence, overruled = _blame(correlation, no_incident, infrastructure)
    origin = result.services[0].name if result.services and not no_incident else None
    root_cause = RootCause(
        summary=summarize(result, correlation, blamed, confidence, origin, infrastructure),
        confidence=confidence,
        suspect=blamed,
        service=origin,
        category=_category(result, correlation, blamed, no_incident, infrastructure),
        ruled_out=list(result.ruled_out) + list(correlation.ruled_out) + overruled,
    )
    return Findings(
        tool_version=version,
        inputs=_inputs(sources, repo, correlation),
        incident=result.incident,
        services=result.services,
        anomalies=result.anomalies,
        suspects=correlation.suspects,
        root_cause=root_cause,
        timeline=build_timeline(result, correlation, _logs_start(sources)),
        state_changes=result.state_changes,
        series=result.series,
        bucket_seconds=result.bucket_seconds,
        notes=list(result.notes) + list(correlation.notes),
        generated_at=generated_at,
    )


@dataclass
class InfrastructureSignal:
    """A capacity or infrastructure failure the logs state outright (a full disk, an OOM kill) near the onset."""

    time: datetime | None
    service: str
    kind: str
    text: str
    ref: str | None


def infrastructure_signal(result: AnomalyResult) -> InfrastructureSignal | None:
    """The earliest full disk or OOM kill from INFRA_BEFORE the onset to INFRA_AFTER it, from the state changes
    and the anomalous templates. Such a line explains an incident better than a change that merely shares words."""
    start = result.incident.start
    found: list[InfrastructureSignal] = []
    for change in result.state_changes:
        if change.kind in INFRA_KINDS and _near_onset(change.time, start):
            found.append(InfrastructureSignal(change.time, change.service, change.kind, change.text, f"{change.path}:{change.line}"))
    # Every anomaly, not just the top ones: a lone PANIC line ranks below the cascade of errors it caused.
    for anomaly in result.anomalies:
        kind = classify(anomaly.template) or next((classify(e.text) for e in anomaly.examples if classify(e.text)), None)
        if kind in INFRA_KINDS and anomaly.kind != "drop" and _near_onset(anomaly.first_seen, start):
            ref = f"{anomaly.examples[0].path}:{anomaly.examples[0].line}" if anomaly.examples else None
            text = anomaly.examples[0].text if anomaly.examples else anomaly.template
            found.append(InfrastructureSignal(anomaly.first_seen, ", ".join(anomaly.services[:2]) or "?", kind, text, ref))
    if not found:
        return None
    return min(found, key=lambda f: (f.time is None, f.time or datetime.max.replace(tzinfo=timezone.utc)))


def _near_onset(when: datetime | None, start: datetime | None) -> bool:
    if when is None or start is None:
        return start is None
    return start - INFRA_BEFORE <= when <= start + INFRA_AFTER


def _blame(correlation: Correlation, no_incident: bool, infrastructure: InfrastructureSignal | None) -> tuple[int | None, str, list[str]]:
    """Which suspect the verdict blames, how sure it is, and what it overruled (in words)."""
    if no_incident:
        return None, "none", []
    if correlation.blamed is not None and correlation.confidence == "low" and infrastructure is not None:
        suspect = correlation.suspects[correlation.blamed]
        why = (f"{_describe_suspect(suspect)} was the closest change, but only with low confidence, and the logs state "
               f"an infrastructure failure outright ({INFRA_WORDS[infrastructure.kind]} on {infrastructure.service}: “{_short(infrastructure.text)}”).")
        return None, "none", [why]
    return correlation.blamed, correlation.confidence, []


def summarize(
    result: AnomalyResult,
    correlation: Correlation,
    blamed: int | None,
    confidence: str,
    origin: str | None,
    infrastructure: InfrastructureSignal | None = None,
) -> str:
    """Two or three sentences: what broke, since when, the likely cause and how sure."""
    incident = result.incident
    if incident.start is None and not result.anomalies:
        return "No incident was found in these logs: error rates and log templates stayed at their usual levels."
    what = _what_broke(result.anomalies, origin)
    when = f" from {_hhmm(incident.start)}" if incident.start else " (the logs carry no timestamps, so when is unknown)"
    first = f"{what}{when}."
    if blamed is not None and confidence in ("high", "medium"):
        suspect = correlation.suspects[blamed]
        return f"{first} The likely cause is {_describe_suspect(suspect)}{_top_evidence(suspect)} (confidence: {confidence})."
    if blamed is not None:
        suspect = correlation.suspects[blamed]
        return (f"{first} No change clearly explains it; the closest is {_describe_suspect(suspect)}"
                f"{_top_evidence(suspect)} (confidence: low).")
    if infrastructure is not None:
        at = f" at {_hhmm(infrastructure.time)}" if infrastructure.time else ""
        return (f"{first} No change is to blame: the logs point at the infrastructure, {INFRA_WORDS[infrastructure.kind]} "
                f"on {infrastructure.service}{at} (“{_short(infrastructure.text)}”).")
    return f"{first} No change is to blame: {_pointer_without_change(result, correlation)}."


def _what_broke(anomalies: Sequence[Anomaly], origin: str | None) -> str:
    """The origin service and its own most telling anomaly (the top anomaly overall is often a caller's symptom)."""
    where = origin or "the system"
    if not anomalies:
        return f"{where} misbehaved"
    top = next((a for a in anomalies if origin in a.services), anomalies[0])
    kind = {"new": "began logging", "spike": "logged a surge of", "drop": "stopped logging"}.get(top.kind, "logged")
    if origin is not None and origin not in top.services:
        where = f"{where} ({', '.join(top.services[:2])})"
    return f"{where} {kind} “{_short(top.template)}”"


def _describe_suspect(suspect: Suspect) -> str:
    sha = (suspect.commit or suspect.id)[:10]
    title = f" “{suspect.title}”" if suspect.title else ""
    author = f" by {suspect.author}" if suspect.author else ""
    if suspect.kind == "deploy":
        return f"deploy {suspect.id}" + (f" (commit {sha}{title}{author})" if suspect.commit else "")
    return f"commit {sha}{title}{author}"


def _top_evidence(suspect: Suspect) -> str:
    if not suspect.evidence:
        return ""
    best = max(suspect.evidence, key=lambda e: e.weight)
    return f": {best.detail.rstrip('.')}"


def _pointer_without_change(result: AnomalyResult, correlation: Correlation) -> str:
    if result.state_changes:
        change = result.state_changes[0]
        return f"the evidence points to {change.kind} on {change.service} (“{_short(change.text)}”)"
    if correlation.suspects:
        return "the changes before the onset share no code, text or timing with the failing templates"
    return "no change was found before the onset"


def _category(
    result: AnomalyResult,
    correlation: Correlation,
    blamed: int | None,
    no_incident: bool,
    infrastructure: InfrastructureSignal | None,
) -> str | None:
    if no_incident:
        return None
    if blamed is not None:
        return correlation.category or "code change"
    if infrastructure is not None:
        return INFRA_KINDS[infrastructure.kind]
    return "unknown"


def build_timeline(result: AnomalyResult, correlation: Correlation, logs_start: datetime | None = None) -> list[TimelineEntry]:
    """UTC events from the logs and the history, in order: last healthy, deploys, onset, peak, recovery...

    Only what happened within DEPLOY_LOOKBACK of the onset (or of the first log line when there is no onset) is
    listed: older deploys and commits are history, and stay in the appendix of suspects.
    """
    incident = result.incident
    anchor = incident.start or logs_start
    since = anchor - DEPLOY_LOOKBACK if anchor is not None else None
    entries: list[TimelineEntry] = []
    if incident.baseline_start is not None:
        entries.append(TimelineEntry(incident.baseline_start, "baseline", "Healthy baseline begins (logs before the onset)."))
    if incident.baseline_end is not None:
        entries.append(TimelineEntry(incident.baseline_end, "baseline", "Last healthy moment in the logs."))
    entries += _deploy_entries(correlation.deploys, since)
    entries += _suspect_entries(correlation.suspects, since)
    entries += _state_change_entries(result.state_changes)
    if incident.start is not None:
        how = "given with --incident-start" if incident.detection == "given" else "found from the logs; the Diagnosis says how"
        entries.append(TimelineEntry(incident.start, "onset", f"Onset: first anomalous behaviour ({how})."))
    for anomaly in result.anomalies[:TIMELINE_ANOMALIES]:
        if anomaly.first_seen is not None:
            ref = f"{anomaly.examples[0].path}:{anomaly.examples[0].line}" if anomaly.examples else None
            where = ", ".join(anomaly.services[:3]) or "?"
            entries.append(TimelineEntry(anomaly.first_seen, "anomaly", f"{anomaly.kind.upper()} in {where}: {_short(anomaly.template)}", ref))
    if incident.peak is not None:
        entries.append(TimelineEntry(incident.peak, "peak", "Peak of errors."))
    if incident.end is not None:
        entries.append(TimelineEntry(incident.end, "recovery", "Error rates back to the baseline."))
    entries += [e for e in correlation.reverts if e.time is not None]
    return sorted(entries, key=lambda e: (e.time, KIND_ORDER.get(e.kind, len(KIND_ORDER))))


def _deploy_entries(deploys: Sequence[Deploy], since: datetime | None) -> list[TimelineEntry]:
    """One row per deploy, from the best record of it: a deploy file says when it was deployed; a version banner in
    the logs is that same deploy seen starting (kept only when no record is near it); a release tag says only when it
    was tagged (kept only when nothing else names that version)."""
    kept: list[Deploy] = []
    for deploy in sorted(deploys, key=lambda d: (ORIGIN_RANK.get(d.origin, 9), d.time)):
        same = [k for k in kept if _version(k) == _version(deploy)]
        if deploy.origin == "log" and any(abs(k.time - deploy.time) <= BANNER_SLACK for k in same):
            continue
        if deploy.origin == "tag" and same:
            continue
        kept.append(deploy)
    out = []
    for deploy in kept:
        if since is not None and deploy.time < since:
            continue
        what = deploy.version or (deploy.commit or "")[:10] or "unnamed"
        where = f" of {deploy.service}" if deploy.service else ""
        env = f" to {deploy.environment}" if deploy.environment else ""
        out.append(TimelineEntry(deploy.time, "deploy", f"Deploy {what}{where}{env} ({ORIGIN_WORDS.get(deploy.origin, deploy.origin)}).", deploy.ref))
    return out


def _version(deploy: Deploy) -> str:
    """`payment-service/v2.14.0` (a tag) and `v2.14.0` (a record) name the same version."""
    return (deploy.version or deploy.commit or "").rsplit("/", 1)[-1][:40]


def _suspect_entries(suspects: Sequence[Suspect], since: datetime | None) -> list[TimelineEntry]:
    out = []
    for suspect in suspects[:TIMELINE_SUSPECTS]:
        if suspect.kind != "commit" or suspect.time is None:
            continue
        if since is not None and suspect.time < since:
            continue
        out.append(TimelineEntry(suspect.time, "commit", f"Suspect commit: {_describe_suspect(suspect)}.", suspect.commit or suspect.id))
    return out


def _state_change_entries(changes: Sequence[StateChange]) -> list[TimelineEntry]:
    """A restart logs a dozen lines; the timeline wants one row for it: runs of one service's state changes no more
    than STATE_CHANGE_GAP apart are folded into a row that quotes the first and the last."""
    timed = sorted((c for c in changes if c.time is not None), key=lambda c: (c.service, c.time))
    runs: list[list[StateChange]] = []
    for change in timed:
        if runs and runs[-1][-1].service == change.service and change.time - runs[-1][-1].time <= STATE_CHANGE_GAP:
            runs[-1].append(change)
        else:
            runs.append([change])
    out = []
    for run in runs:
        first, last = run[0], run[-1]
        text = f"{first.service}: {_short(first.text)}"
        if len(run) > 1:
            text += f" … {_short(last.text)} ({len(run)} lines: {', '.join(sorted({c.kind for c in run}))})"
        out.append(TimelineEntry(first.time, "state-change", text, f"{first.path}:{first.line}"))
    return out


def _inputs(sources: Sequence[SourceStats], repo: str | None, correlation: Correlation) -> Inputs:
    reports = [
        SourceReport(
            path=s.path,
            format=s.format,
            service=s.service,
            lines=s.lines,
            lines_unparsed=s.lines_unparsed,
            first_time=s.first_time,
            last_time=s.last_time,
            timezone_assumed=s.timezone_assumed,
            warnings=list(s.warnings),
            lines_skipped=s.lines_skipped,
            lines_without_time=s.lines_without_time,
            bytes_undecodable=s.bytes_undecodable,
            skipped_reasons=dict(s.skipped_reasons),
        )
        for s in sources
    ]
    return Inputs(
        sources=reports,
        lines_total=sum(s.lines for s in sources),
        lines_unparsed=sum(s.lines_unparsed for s in sources),
        lines_skipped=sum(s.lines_skipped for s in sources),
        repo=repo,
        commits_considered=correlation.commits_considered,
        deploys_considered=correlation.deploys_considered,
    )


def _logs_start(sources: Sequence[SourceStats]) -> datetime | None:
    starts = [s.first_time for s in sources if s.first_time is not None]
    return min(starts) if starts else None


def _hhmm(t: datetime) -> str:
    return t.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def _short(text: str, limit: int = 90) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"
