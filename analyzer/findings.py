"""The findings: what the analyzer concludes and the reports render.

The dataclasses mirror `findings.schema.json` (shipped beside this module, a copy of the contract). Extra fields
that the schema does not list are allowed by it and carry what the report needs beyond the contract (chart
series, state changes, per-source accounting).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields, is_dataclass
from datetime import datetime, timezone
from importlib import resources
from typing import Any

SCHEMA_VERSION = "1"


def iso(t: datetime | None) -> str | None:
    """ISO 8601 in UTC with an explicit offset, as the schema asks; None stays None."""
    if t is None:
        return None
    if t.tzinfo is None:
        raise ValueError(f"naive datetime {t!r} reached the findings; parsers must make times aware")
    return t.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


@dataclass
class Example:
    path: str
    line: int
    text: str


@dataclass
class SourceReport:
    path: str
    format: str
    service: str
    lines: int
    lines_unparsed: int
    first_time: datetime | None = None
    last_time: datetime | None = None
    timezone_assumed: str | None = None
    warnings: list[str] = field(default_factory=list)
    lines_skipped: int = 0
    lines_without_time: int = 0
    bytes_undecodable: int = 0
    skipped_reasons: dict[str, int] = field(default_factory=dict)


@dataclass
class Inputs:
    sources: list[SourceReport]
    lines_total: int
    lines_unparsed: int
    repo: str | None = None
    commits_considered: int = 0
    deploys_considered: int = 0
    lines_skipped: int = 0


@dataclass
class Incident:
    start: datetime | None
    end: datetime | None
    detection: str  # "auto" | "given" | "none"
    peak: datetime | None = None
    baseline_start: datetime | None = None
    baseline_end: datetime | None = None
    method: str = ""  # how the onset was found, in words, for the Diagnosis section


@dataclass
class ServiceScore:
    name: str
    score: float
    onset: datetime | None = None
    error_events_baseline: int = 0
    error_events_incident: int = 0
    reasons: list[str] = field(default_factory=list)  # why it ranks where it does, in words


@dataclass
class Anomaly:
    template_id: int | str
    template: str
    kind: str  # "new" | "spike" | "drop"
    score: float
    level: str | None = None
    first_seen: datetime | None = None
    count_baseline: int = 0
    count_incident: int = 0
    services: list[str] = field(default_factory=list)
    examples: list[Example] = field(default_factory=list)


@dataclass
class Evidence:
    signal: str  # "timing", "code", "text", "change-kind", "deploy", ...
    detail: str
    weight: float = 0.0


@dataclass
class Suspect:
    kind: str  # "commit" | "deploy"
    id: str
    score: float
    evidence: list[Evidence]
    commit: str | None = None
    time: datetime | None = None
    author: str | None = None
    title: str | None = None
    files: list[str] = field(default_factory=list)
    url: str | None = None  # commit page when the repository has a known forge remote
    insertions: int = 0
    deletions: int = 0


@dataclass
class RootCause:
    summary: str
    confidence: str  # "high" | "medium" | "low" | "none"
    suspect: int | None  # index into suspects
    service: str | None
    category: str | None = None
    ruled_out: list[str] = field(default_factory=list)


@dataclass
class TimelineEntry:
    time: datetime
    kind: str  # "baseline", "deploy", "commit", "onset", "anomaly", "peak", "recovery", "revert", "state-change"
    text: str
    ref: str | None = None  # "path:line" or a commit sha


@dataclass
class StateChange:
    """A rare one-off line near the onset: restart, config reload, OOM kill, disk full, version banner..."""

    time: datetime | None
    service: str
    kind: str
    text: str
    path: str
    line: int


@dataclass
class SeriesPoint:
    """One bucket of the chart: events and errors per service."""

    time: datetime
    service: str
    events: int
    errors: int
    anomalous: int  # events of anomalous templates


@dataclass
class Findings:
    tool_version: str
    inputs: Inputs
    incident: Incident
    services: list[ServiceScore]
    anomalies: list[Anomaly]
    suspects: list[Suspect]
    root_cause: RootCause
    timeline: list[TimelineEntry]
    state_changes: list[StateChange] = field(default_factory=list)
    series: list[SeriesPoint] = field(default_factory=list)
    bucket_seconds: int | None = None
    notes: list[str] = field(default_factory=list)  # diagnostics worth a reader's eye (model disagreements...)
    generated_at: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        """The findings JSON, as the contract's schema describes it."""
        incident = _plain(self.incident)
        incident["baseline"] = {"start": incident.pop("baseline_start"), "end": incident.pop("baseline_end")}
        return {
            "schema_version": SCHEMA_VERSION,
            "tool": {"name": "logrca", "version": self.tool_version},
            "generated_at": iso(self.generated_at),
            "inputs": _plain(self.inputs),
            "incident": incident,
            "services": _plain(self.services),
            "anomalies": _plain(self.anomalies),
            "suspects": _plain(self.suspects),
            "root_cause": _plain(self.root_cause),
            "timeline": _plain(self.timeline),
            "state_changes": _plain(self.state_changes),
            "series": {"bucket_seconds": self.bucket_seconds, "points": _plain(self.series)},
            "notes": list(self.notes),
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)


def _plain(value: Any) -> Any:
    """Dataclasses to dicts, datetimes to ISO strings, numpy scalars to Python ones."""
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "item") and callable(value.item):  # numpy scalar
        return value.item()
    if isinstance(value, float):
        return round(value, 4)
    return value


def load_schema() -> dict[str, Any]:
    """The findings schema this version of logrca writes (a copy of the contract's)."""
    return json.loads(resources.files("analyzer").joinpath("findings.schema.json").read_text(encoding="utf-8"))

