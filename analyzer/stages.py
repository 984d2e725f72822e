"""The records passed between the analyzer's stages: mining -> anomaly scoring -> change correlation.

The event table after mining is a DataFrame with the columns of EVENT_TABLE_COLUMNS (message text is no longer
kept per event: each template keeps a few examples instead, so memory does not grow with the text of the logs).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from analyzer.findings import Anomaly, Example, Incident, SeriesPoint, ServiceScore, StateChange
from parsers.records import Deploy

#   time         datetime64[ns, UTC] (NaT allowed)
#   service      category
#   level        category ("" unknown)
#   template_id  int64
#   path         category
#   line         int32   the event's first physical line (int64 in a file of more than 2**31 lines)
#   logger       category
# (The pipeline's table also carries `lines`, int16 while it fits, the physical lines each event spans, for per-line output.)
EVENT_TABLE_COLUMNS = ("time", "service", "level", "template_id", "path", "line", "logger")


@dataclass
class TemplateInfo:
    """One mined template, with a few of the messages it grouped (full text, stack traces included)."""

    id: int
    text: str  # variables written <*>
    count: int = 0
    level: str | None = None  # most common level among its events
    examples: list[Example] = field(default_factory=list)  # the first few events, in input order
    recent: list[Example] = field(default_factory=list)  # the last few events, in input order


@dataclass
class AnomalyOptions:
    incident_start: datetime | None = None  # --incident-start (aware UTC): overrides detection
    incident_end: datetime | None = None
    bucket_seconds: int | None = None  # None: sized to the span of the logs


@dataclass
class AnomalyResult:
    incident: Incident
    services: list[ServiceScore]  # every service, most likely origin first
    anomalies: list[Anomaly]  # most explanatory first
    ruled_out: list[str] = field(default_factory=list)  # noise that predates the onset, in words
    state_changes: list[StateChange] = field(default_factory=list)
    deploy_markers: list[Deploy] = field(default_factory=list)  # version banners etc. seen in the logs
    series: list[SeriesPoint] = field(default_factory=list)
    bucket_seconds: int | None = None
    notes: list[str] = field(default_factory=list)


@dataclass
class Correlation:
    """What the change-correlation stage concludes."""

    suspects: list  # list[analyzer.findings.Suspect], most likely first
    confidence: str  # "high" | "medium" | "low" | "none"
    blamed: int | None  # index into suspects, or None when no change is blamed
    category: str | None  # "code change", "config change", "dependency change", "infrastructure", "unknown", ...
    ruled_out: list[str] = field(default_factory=list)
    commits_considered: int = 0
    deploys_considered: int = 0
    deploys: list[Deploy] = field(default_factory=list)  # all deploys known (file, tags, log markers)
    reverts: list = field(default_factory=list)  # list[analyzer.findings.TimelineEntry] after the onset
    notes: list[str] = field(default_factory=list)
