"""What the postmortem templates are given: the findings plus the figures and sentences derived from them.

Everything here is computed from the Findings alone (reports never parse logs or git) and is the same for the
Markdown and the HTML template, so the two never disagree. Templates only lay it out.
"""

from __future__ import annotations

import os
import re
import shlex
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from analyzer.findings import Anomaly, Example, Findings, Suspect
from reports.links import sibling_commit_url, suspect_url

MAX_EXAMPLES_QUOTED = 3
_HTTP_ENDPOINT = re.compile(r"\b(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS)\s+(/[^\s\"?]*)")


@dataclass
class ImpactRow:
    service: str
    errors_baseline: int
    errors_incident: int
    events_baseline: int | None  # None when the findings carry no series to count them from
    events_incident: int | None
    error_rate_baseline: float | None  # errors per minute
    error_rate_incident: float | None
    onset: datetime | None


@dataclass
class TimelineRow:
    time: datetime
    kind: str
    text: str
    ref: str | None  # path:line or a short sha
    url: str | None  # commit page when the ref is a known commit


@dataclass
class SuspectView:
    rank: int
    suspect: Suspect
    short: str
    url: str | None
    blamed: bool


@dataclass
class Quote:
    """A log line quoted as evidence, with where it is."""

    where: str  # path:line
    text: str
    template: str


@dataclass
class Command:
    purpose: str
    command: str


@dataclass
class ActionItem:
    text: str
    kind: str  # "mitigate" | "prevent" | "detect" | "process"


@dataclass
class ReportContext:
    findings: Findings
    title: str
    status: str
    summary: str
    confidence: str
    duration: timedelta | None
    ongoing: bool
    impact: list[ImpactRow]
    endpoints: list[str]
    timeline: list[TimelineRow]
    suspects: list[SuspectView]
    blamed: SuspectView | None
    quotes: list[Quote]
    commands: list[Command]
    actions: list[ActionItem]
    revert: TimelineRow | None
    chart_file: str | None = None  # the chart image beside the Markdown, relative to it
    chart_svg: str | None = None  # the chart for inline embedding (HTML)
    skipped_total: int = 0
    undecodable_bytes: int = 0
    zones_assumed: list[str] = field(default_factory=list)
    paths: PathDisplay | None = None
    no_incident: bool = False  # the analysis ran and found nothing anomalous (not the same as having no timestamps)
    services_quiet: int = 0  # services left out of the impact table: no errors before or during

    @property
    def window(self) -> str:
        """The incident window in words, saying why when there is none."""
        incident = self.findings.incident
        if incident.start is None:
            if incident.detection == "none":
                return "unknown: the logs carry no usable timestamps"
            return "none: no incident was found in these logs" if self.no_incident else "unknown"
        end = format_time(incident.end) if incident.end else "not recovered by the end of the logs"
        lasted = f" ({format_duration(self.duration)})" if self.duration else ""
        return f"{format_time(incident.start)} → {end}{lasted}"

    @property
    def commands_script(self) -> str:
        return "\n".join(f"# {c.purpose}\n{c.command}" for c in self.commands)


def build_context(findings: Findings, chart_file: str | None = None, chart_svg: str | None = None) -> ReportContext:
    suspects = _suspect_views(findings)
    blamed = next((s for s in suspects if s.blamed), None)
    paths = path_display(findings)
    timeline = _timeline_rows(findings, suspects, paths)
    impact = _impact(findings)
    shown_impact = _impact_worth_showing(impact)
    incident = findings.incident
    duration = incident.end - incident.start if incident.start and incident.end else None
    return ReportContext(
        findings=findings,
        title=_title(findings),
        status="draft",
        summary=_summary(findings, blamed, duration),
        confidence=findings.root_cause.confidence,
        duration=duration,
        ongoing=incident.start is not None and incident.end is None,
        impact=shown_impact,
        endpoints=_endpoints(findings.anomalies),
        timeline=timeline,
        suspects=suspects,
        blamed=blamed,
        quotes=_quotes(findings.anomalies, paths),
        commands=_commands(findings, blamed),
        actions=_actions(findings, blamed),
        revert=next((row for row in timeline if row.kind == "revert"), None),
        chart_file=chart_file,
        chart_svg=chart_svg,
        skipped_total=sum(s.lines_skipped for s in findings.inputs.sources),
        undecodable_bytes=sum(s.bytes_undecodable for s in findings.inputs.sources),
        zones_assumed=sorted({s.timezone_assumed for s in findings.inputs.sources if s.timezone_assumed}),
        paths=paths,
        no_incident=incident.start is None and not findings.anomalies,
        services_quiet=len(impact) - len(shown_impact),
    )


def utc(value: datetime) -> datetime:
    """The same instant in UTC, which is what every time in a report is shown in (a naive time is taken as UTC)."""
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def format_time(value: datetime | None) -> str:
    return f"{utc(value):%Y-%m-%d %H:%M:%S} UTC" if isinstance(value, datetime) else "unknown"


def format_clock(value: datetime | None) -> str:
    return f"{utc(value):%H:%M:%S}" if isinstance(value, datetime) else "—"


def short_sha(value: str | None) -> str:
    return (value or "")[:7] if value and re.fullmatch(r"[0-9a-fA-F]{8,64}", value) else (value or "")


def _title(findings: Findings) -> str:
    service = findings.root_cause.service
    when = findings.incident.start
    what = f"{service} incident" if service else "Incident"
    return f"{what} on {utc(when):%Y-%m-%d}" if when else what


def _summary(findings: Findings, blamed: SuspectView | None, duration: timedelta | None) -> str:
    """Two or three sentences a reader who did not run the tool can take in at once. The analyzer's verdict sentence
    is used when there is one (it weighs the evidence); the duration, which it does not state, is added."""
    incident, cause = findings.incident, findings.root_cause
    if duration is not None:
        lasted = f"It lasted {format_duration(duration)}."
    elif incident.start:
        lasted = "It had not recovered by the end of the logs."
    else:
        lasted = ""
    if cause.summary:
        verdict = cause.summary.rstrip()
        verdict += "" if verdict.endswith((".", "!", "?", ")")) else "."
        return f"{verdict} {lasted}".strip()
    top = findings.anomalies[0] if findings.anomalies else None
    where = cause.service or "the system"
    first = f"From {format_time(incident.start)}, {where} showed" if incident.start else f"{where[:1].upper()}{where[1:]} showed"
    first += f" {_describe_anomaly(top)}." if top else " no anomalous log behaviour that logrca could single out."
    if blamed is not None:
        title = f" ({blamed.suspect.title})" if blamed.suspect.title else ""
        second = f"The likely cause is {blamed.suspect.kind} {blamed.short}{title}; confidence {cause.confidence}."
    else:
        second = f"No cause could be named from the logs and history given (confidence {cause.confidence})."
    return " ".join(part for part in (first, lasted, second) if part)


def _describe_anomaly(anomaly: Anomaly) -> str:
    kinds = {"new": "a new", "spike": "a spike in", "drop": "a drop in"}
    return f"{kinds.get(anomaly.kind, anomaly.kind)} '{anomaly.template}' ({anomaly.count_incident} events)"


def format_duration(value: timedelta | None) -> str:
    if value is None:
        return "unknown"
    seconds = int(value.total_seconds())
    if seconds < 0:
        return "-" + format_duration(-value)
    days, day_rest = divmod(seconds, 86400)
    if days >= 2:
        return f"{days} days {day_rest // 3600} h"
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min {secs:02d} s" if secs else f"{minutes} min"
    return f"{secs} s"


def _impact(findings: Findings) -> list[ImpactRow]:
    """Errors and events per service, baseline against incident, as counts and per-minute rates."""
    incident = findings.incident
    window = (incident.start, incident.end or _series_end(findings) or _logs_end(findings))
    baseline = (incident.baseline_start, incident.baseline_end or incident.start)
    events = _sum_events(findings, window), _sum_events(findings, baseline)
    rows = []
    for service in findings.services:
        rows.append(
            ImpactRow(
                service=service.name,
                errors_baseline=service.error_events_baseline,
                errors_incident=service.error_events_incident,
                events_baseline=events[1].get(service.name, 0) if findings.series and events[1] is not None else None,
                events_incident=events[0].get(service.name, 0) if findings.series and events[0] is not None else None,
                error_rate_baseline=_per_minute(service.error_events_baseline, baseline),
                error_rate_incident=_per_minute(service.error_events_incident, window),
                onset=service.onset,
            )
        )
    return rows


def _series_end(findings: Findings) -> datetime | None:
    times = [p.time for p in findings.series if p.time]
    return max(times) + timedelta(seconds=findings.bucket_seconds or 0) if times else None


def _logs_end(findings: Findings) -> datetime | None:
    times = [s.last_time for s in findings.inputs.sources if s.last_time]
    return max(times) if times else None


def _sum_events(findings: Findings, window: tuple[datetime | None, datetime | None]) -> dict[str, int] | None:
    """Events per service within the window; None when the window is not known."""
    start, end = window
    totals: dict[str, int] = {}
    if start is None or end is None:
        return None
    for point in findings.series:
        if point.time and start <= point.time < end:
            totals[point.service] = totals.get(point.service, 0) + point.events
    return totals


def _per_minute(count: int, window: tuple[datetime | None, datetime | None]) -> float | None:
    start, end = window
    if start is None or end is None or end <= start:
        return None
    return count / ((end - start).total_seconds() / 60)


def _endpoints(anomalies: list[Anomaly]) -> list[str]:
    seen: dict[str, None] = {}
    for anomaly in anomalies:
        for method, path in _HTTP_ENDPOINT.findall(anomaly.template):
            seen.setdefault(f"{method} {path}")
    return list(seen)


def _suspect_views(findings: Findings) -> list[SuspectView]:
    blamed = findings.root_cause.suspect
    return [
        SuspectView(rank=i + 1, suspect=s, short=short_sha(s.commit or s.id), url=suspect_url(s), blamed=i == blamed)
        for i, s in enumerate(findings.suspects)
    ]


def _timeline_rows(findings: Findings, suspects: list[SuspectView], paths: "PathDisplay") -> list[TimelineRow]:
    """The verdict's timeline as it is (it chooses the rows); refs shortened for reading, commits linked."""
    urls = {v.suspect.commit: v.url for v in suspects if v.suspect.commit and v.url}
    rows = [TimelineRow(e.time, e.kind, e.text, paths.ref(_ref_text(e.ref)), _ref_url(e.ref, urls))
            for e in findings.timeline if e.time is not None]
    return sorted(rows, key=lambda r: utc(r.time))


_LONG_HEX = re.compile(r"[0-9a-f]{32,}")


@dataclass(frozen=True)
class PathDisplay:
    """Log paths as a reader wants them: relative to the directory all sources share (stated once in the report),
    with Kubernetes' 64-hex container ids cut short in busy tables. Commands keep the full paths."""

    root: str | None

    def relative(self, path: str | None) -> str:
        if not path:
            return ""
        if self.root and path.startswith(self.root.rstrip("/") + "/"):
            return path[len(self.root.rstrip("/")) + 1 :]
        return path

    def ref(self, ref: str | None) -> str | None:
        """`path:line` shortened (relative, long hex ids cut); anything else (a sha, `deploys.csv:7`) as it is."""
        if not ref:
            return ref
        return _LONG_HEX.sub(lambda m: m.group(0)[:12] + "…", self.relative(ref))


def path_display(findings: Findings) -> PathDisplay:
    paths = [s.path for s in findings.inputs.sources if s.path and not s.path.startswith("<")]
    if len(paths) < 2:
        root = os.path.dirname(paths[0]) if paths else None
    else:
        try:
            root = os.path.commonpath(paths)
        except ValueError:  # relative and absolute paths mixed
            root = None
    return PathDisplay(root or None)


def _ref_text(ref: str | None) -> str | None:
    return short_sha(ref) if ref and re.fullmatch(r"[0-9a-fA-F]{40,64}", ref) else ref


def _ref_url(ref: str | None, urls: dict[str, str]) -> str | None:
    return sibling_commit_url(urls, ref)


def _quotes(anomalies: list[Anomaly], paths: PathDisplay) -> list[Quote]:
    """The first examples of the most explanatory templates: the log lines the root cause rests on."""
    quotes = []
    for anomaly in anomalies[:MAX_EXAMPLES_QUOTED]:
        for example in anomaly.examples[:1]:
            quotes.append(Quote(paths.ref(_where(example)), example.text, anomaly.template))
    return quotes


def _where(example: Example) -> str:
    return f"{example.path}:{example.line}"


MAX_IMPACT_ROWS = 12


def _impact_worth_showing(rows: list[ImpactRow]) -> list[ImpactRow]:
    """Services with errors (in the analyzer's order), never fewer than three rows, at most a dozen."""
    noisy = [r for r in rows if r.errors_baseline or r.errors_incident]
    shown = noisy if len(noisy) >= 3 else noisy + [r for r in rows if r not in noisy][: 3 - len(noisy)]
    return shown[:MAX_IMPACT_ROWS]


def _commands(findings: Findings, blamed: SuspectView | None) -> list[Command]:
    """Commands a reviewer can run to check the key findings themselves."""
    commands = []
    for anomaly in findings.anomalies[:2]:
        needle = _literal_part(anomaly.template)
        paths = sorted({e.path for e in anomaly.examples})
        if needle and paths:
            commands.append(
                Command(f"find the '{anomaly.kind}' template's lines",
                        f"grep -nF -- {shlex.quote(needle)} " + " ".join(_shell_path(p) for p in paths))
            )
    if blamed is not None and blamed.suspect.commit:
        commands.append(Command("see the suspect change",
                                f"git -C {_shell_path(findings.inputs.repo or '.')} show --stat {blamed.suspect.commit}"))
    if findings.incident.start is not None:
        start = utc(findings.incident.start).strftime("%Y-%m-%dT%H:%M:%SZ")
        paths = " ".join(_shell_path(s.path) for s in findings.inputs.sources[:6])
        repo = f" --repo {_shell_path(findings.inputs.repo)}" if findings.inputs.repo else ""
        commands.append(Command("re-run the analysis pinned to this onset",
                                f"logrca analyze {paths}{repo} --incident-start {start}"))
    return commands


def _shell_path(path: str) -> str:
    """A path quoted for the shell, leaving a leading ~/ outside the quotes so the shell still expands it."""
    if path.startswith("~/"):
        return "~/" + shlex.quote(path[2:])
    return shlex.quote(path)


def _literal_part(template: str) -> str:
    """The longest run of template text without variables: what grep can look for."""
    parts = [p.strip() for p in template.split("<*>")]
    return max(parts, key=len) if parts else ""


def _actions(findings: Findings, blamed: SuspectView | None) -> list[ActionItem]:
    """Suggested remediations, phrased as prompts: the team decides, owns and files them."""
    actions = []
    cause = findings.root_cause
    if blamed is not None:
        files = ", ".join(blamed.suspect.files[:3]) or "the changed files"
        actions.append(ActionItem(f"Add a test or a check that would have caught {blamed.short} ({files}) before deploy",
                                  "prevent"))
        if cause.category and "config" in cause.category:
            actions.append(ActionItem("Validate this configuration value at startup / in review (limits, pool sizes)",
                                      "prevent"))
    top = findings.anomalies[0] if findings.anomalies else None
    if top is not None:
        where = cause.service or ", ".join(top.services) or "the service"
        actions.append(ActionItem(f"Alert on '{top.template}' in {where} (it preceded the errors others saw)",
                                  "detect"))
    if findings.incident.start is not None and any(s.timezone_assumed for s in findings.inputs.sources):
        actions.append(ActionItem("Make every service log timestamps with a time zone (some had to be assumed)",
                                  "process"))
    actions.append(ActionItem("Decide whether the rollout process should have stopped this change (canary, staged deploy)",
                              "process"))
    return actions
