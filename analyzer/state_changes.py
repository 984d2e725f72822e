"""Rare one-off lines that change a system's state: restarts, config reloads, leader changes, version banners,
feature-flag flips, migrations, OOM kills, full disks. Near an onset they are candidate causes; a line that names a
version or a commit is also a deploy marker for the correlation stage.

Only templates are classified (a handful of regexes per template, not per event); their events are then picked out
of the event table with one vectorised filter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analyzer.findings import StateChange
from analyzer.stages import TemplateInfo
from analyzer.timeseries import NAT_NS, time_ns, to_datetime
from parsers.records import Deploy

# Most specific first: an OOM kill that also says "restarting" is an OOM.
KINDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("oom", re.compile(r"out of memory|outofmemory|\boom(?:[- ]?kill(?:ed|er)?)?\b|killed process \d+|"
                       r"cannot allocate memory|memory cgroup|gc overhead limit", re.I)),
    ("disk", re.compile(r"no space left|disk (?:is )?full|(?:disk|storage) quota|quota exceeded|enospc|"
                        r"read-only file ?system|filesystem .{0,40}full|insufficient (?:disk|storage)", re.I)),
    ("migration", re.compile(r"\bmigrat(?:e|ed|ing|ion)s?\b|schema (?:change|upgrade|version)|flyway|liquibase|"
                             r"alembic", re.I)),
    ("leader-change", re.compile(r"\bleader\b|\belect(?:ed|ion)\b|became (?:the )?(?:leader|follower|master|"
                                 r"primary)|fail(?:ing)? ?over\b|promot(?:ed|ing) to", re.I)),
    ("feature-flag", re.compile(r"feature[- _]?flag|\bflag\b.{0,60}\b(?:enabled|disabled|on|off|set|changed)\b|"
                                r"\btoggle[ds]?\b", re.I)),
    ("config-reload", re.compile(r"(?:config(?:uration)?|settings|properties)\b.{0,30}\b(?:re)?load(?:ed|ing)?|"
                                 r"reload(?:ed|ing)?\b.{0,30}\bconfig|config(?:uration)? (?:changed|updated|applied)|"
                                 r"\bsighup\b", re.I)),
    ("version", re.compile(r"\b(?:version|release|build|revision|commit|git[-_ ]?sha)\b.{0,20}?"
                           r"(?:v?\d+\.\d+[\w.+-]*|[0-9a-f]{7,40}\b)|\bv\d+\.\d+\.\d+\b|"
                           r"\bdeploy(?:ed|ing|ment)\b", re.I)),
    ("restart", re.compile(r"\b(?:starting|started|restart(?:ing|ed)?|shutting down|shutdown|stopping|stopped|"
                           r"booting|booted|reboot(?:ing|ed)?|terminat(?:ing|ed)|exited with|exit code)\b|"
                           r"\bsig(?:term|kill|int)\b|back-?off restarting|crashloopbackoff|"
                           r"ready to accept connections|listening on", re.I)),
)
VERSION = re.compile(r"\bv?(\d+\.\d+(?:\.\d+)?(?:[-+][\w.]+)?)\b")
VERSION_HINT = re.compile(
    r"\b(?:version|release|build|tag|image)\b\s*[:=]?\s*(v?\d+\.\d+[\w.+-]*)|\b(v\d+\.\d+(?:\.\d+)?[\w.+-]*)", re.I
)
COMMIT = re.compile(
    r"\b(?:commit|sha1?|rev(?:ision)?|git(?:[-_ ]?(?:sha|commit|rev))?|build)\b\s*[:=#@]?\s*\(?([0-9a-f]{7,40})\b", re.I
)

START_WORDS = re.compile(r"\b(?:starting|started|booting|launching|initiali[sz]ing)\b", re.I)
BANNER_VERSION = re.compile(r"(?<![/\w.:=-])(\d+\.\d+\.\d+(?:[-+][\w.]+)?)(?![\w.])")

MAX_PER_TEMPLATE_EVENTS = 20  # a "state change" template logged more often than this is routine chatter
MAX_STATE_CHANGES = 50


@dataclass
class StateChangeResult:
    changes: list[StateChange]
    deploys: list[Deploy]


CLASSIFY_PREFIX = 2000  # a state change says so near the start; a multi-megabyte line costs minutes of regex


def classify(text: str) -> str | None:
    """The kind of state change a line announces, or None."""
    head = text[:CLASSIFY_PREFIX]
    for kind, pattern in KINDS:
        if pattern.search(head):
            return kind
    return None


def version_and_commit(text: str) -> tuple[str | None, str | None]:
    """A version ("1.4.2", "v2.0.0-rc1") and a commit sha named in a line, as written."""
    commit_match = COMMIT.search(text)
    commit = commit_match.group(1) if commit_match and re.search(r"\d", commit_match.group(1)) else None
    hint = VERSION_HINT.search(text)
    version = (hint.group(1) or hint.group(2)) if hint else None
    if version is None and START_WORDS.search(text):
        # "inventory-service 1.8.3 starting": a bare x.y.z in a start banner, not a library's "Tomcat/10.1.19".
        bare = BANNER_VERSION.search(text)
        version = bare.group(1) if bare else None
    return version, commit


def find_state_changes(
    events: pd.DataFrame,
    templates: dict[int, TemplateInfo],
    window: tuple[int, int] | None,
) -> StateChangeResult:
    """State-change lines (rare templates only), within `window` (ns) when given; deploy markers from any
    version/commit line in the logs, one per service and version (its first sighting)."""
    kinds = {tid: kind for tid, info in templates.items() if (kind := _template_kind(info))}
    if not kinds or events.empty:
        return StateChangeResult([], [])
    rows = events[events["template_id"].isin(list(kinds))]
    counts = rows["template_id"].value_counts()
    rare = rows["template_id"].map(counts).le(MAX_PER_TEMPLATE_EVENTS).to_numpy()
    # A frequent template is routine; only its first line per service can still mark a deploy.
    in_time_order = rows.sort_values("time", kind="stable")
    first = ~in_time_order.duplicated(["service", "template_id"]).reindex(rows.index).to_numpy()
    rows = rows[rare | first]
    ns = time_ns(rows["time"])
    texts = _example_texts(templates, kinds)

    changes: list[StateChange] = []
    deploys: dict[tuple[str, str | None, str | None], Deploy] = {}
    order = np.argsort(np.where(ns == NAT_NS, np.iinfo(np.int64).max, ns), kind="stable")
    for i in order:
        tid = int(rows["template_id"].iat[i])
        path, line, service = str(rows["path"].iat[i]), int(rows["line"].iat[i]), str(rows["service"].iat[i])
        text = texts.get((tid, path, line), templates[tid].text)
        when = None if ns[i] == NAT_NS else to_datetime(int(ns[i]))
        version, commit = version_and_commit(text)
        if (version or commit) and when is not None:
            key = (service, version, commit)
            if key not in deploys:
                deploys[key] = Deploy(time=when, version=version, commit=commit, service=service or None,
                                      description=_short(text), origin="log", ref=f"{path}:{line}")
        rare = counts.get(tid, 0) <= MAX_PER_TEMPLATE_EVENTS
        inside = window is None or (ns[i] != NAT_NS and window[0] <= ns[i] <= window[1])
        if rare and inside and len(changes) < MAX_STATE_CHANGES:
            # The line itself tells more than its template, whose telling words (a version) may be masked.
            changes.append(StateChange(time=when, service=service, kind=classify(text) or kinds[tid], text=_short(text),
                                       path=path, line=line))
    return StateChangeResult(changes, list(deploys.values()))


def _template_kind(info: TemplateInfo) -> str | None:
    kind = classify(info.text)
    if kind:
        return kind
    # The template may have masked the telling word; its examples keep it.
    for example in [*info.examples, *info.recent][:3]:
        kind = classify(example.text)
        if kind:
            return kind
    return None


def _example_texts(templates: dict[int, TemplateInfo], kinds: dict[int, str]) -> dict[tuple[int, str, int], str]:
    texts: dict[tuple[int, str, int], str] = {}
    for tid in kinds:
        info = templates[tid]
        for example in [*info.examples, *info.recent]:
            texts[(tid, example.path, example.line)] = example.text
    return texts


def _short(text: str, limit: int = 300) -> str:
    first = text.strip().splitlines()[0] if text.strip() else ""
    return first if len(first) <= limit else first[: limit - 1] + "…"

