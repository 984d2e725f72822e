"""Deploy records: a --deploys file (CSV or JSON lines), release tags, and deploy markers in log lines.

Each record is resolved to a commit here (resolve_deploys); which commits a deploy carried -- those between the
previous deploy of the same service and it -- is worked out by the analyzer (analyzer.correlate).
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field, replace
from datetime import timezone
from pathlib import Path

import pandas as pd

from parsers.errors import UserError
from parsers.git_history import GitRepository, Tag
from parsers.records import Deploy

import parsers.formats  # noqa: F401,I001  -- must precede parsers.timestamps, which imports it back (a cycle)
from parsers.timestamps import TimeContext, parse_mixed_times  # noqa: E402

_TIME_KEYS = ("time", "timestamp", "deployed_at", "deploy_time", "date", "datetime", "ts", "@timestamp", "created_at", "finished_at")
_VERSION_KEYS = ("version", "release", "tag", "image_tag", "app_version", "build")
_COMMIT_KEYS = ("commit", "sha", "git_sha", "revision", "rev", "commit_sha", "hash")
_SERVICE_KEYS = ("service", "app", "application", "component", "name")
_ENV_KEYS = ("environment", "env", "stage", "cluster")
_DESC_KEYS = ("description", "message", "note", "notes", "summary")

_RELEASE_TAG = re.compile(r"^(?:[\w.-]+[/@-])?v?\d+(?:\.\d+){1,3}(?:[-+.][\w.]+)?$|^(?:release|deploy|prod)[-/_][\w./-]+$", re.I)
_SHA = re.compile(r"\b[0-9a-f]{7,40}\b")
# "starting version 1.4.2", "deployed v2.3.0", "image shop/api:1.4.2", "build abc1234", "Version: 2.0.1 (commit 9fceb02)"
_MARKER = re.compile(
    r"(?:\b(?:version|release|build|deploy(?:ed|ing)?|rolling out|rolled out|upgrad(?:ed|ing) to|starting|started)\b"
    r"[\s:=]*(?:version\s*[:=]?\s*)?(?P<version>v?\d+(?:\.\d+){1,3}(?:[-+][\w.]+)?|[0-9a-f]{7,40}\b))"
    r"|(?:\bimage[\s:=]+[\w./-]+:(?P<image>[\w.-]+))"
    r"|(?:\b(?:commit|sha|revision|git)[\s:=#]+(?P<sha>[0-9a-f]{7,40})\b)",
    re.I,
)


@dataclass
class DeployRecords:
    deploys: list[Deploy]
    skipped: dict[str, int] = field(default_factory=dict)  # reason -> rows
    skipped_rows: dict[str, list[int]] = field(default_factory=dict)  # reason -> the rows' line numbers
    warnings: list[str] = field(default_factory=list)


def read_deploys(path: str, tz: str | None = None) -> DeployRecords:
    """Read a --deploys file: CSV with a header, or JSON lines. Rows without a usable time or version/commit
    are skipped and counted with the reason; a file with no usable row at all is a UserError. Times without a
    zone are read in `tz` (the --tz zone), UTC when None, and a warning says so."""
    p = Path(path).expanduser()
    try:
        text = p.read_text(encoding="utf-8", errors="replace")
    except OSError as e:
        raise UserError(f"--deploys {path}: cannot read it ({e.strerror or e}).") from None
    rows = [(n, {str(k).strip().lower(): v for k, v in row.items() if k is not None}) for n, row in _rows(text, path)]
    # the log parsers' own timestamp reader, on the whole column at once: the same shapes, epochs and zones
    ctx = TimeContext(tz=tz or "UTC")
    times = parse_mixed_times(pd.Series([_pick(row, _TIME_KEYS) or None for _, row in rows], dtype="object"), ctx)
    records = DeployRecords(deploys=[])
    for (number, row), when in zip(rows, times):
        version, commit = _pick(row, _VERSION_KEYS), _pick(row, _COMMIT_KEYS)
        if pd.isna(when):
            _skip(records, "no readable time", number)
            continue
        if not version and not commit:
            _skip(records, "no version or commit", number)
            continue
        records.deploys.append(Deploy(
            time=when.to_pydatetime(), version=version or None, commit=commit or None,
            service=_pick(row, _SERVICE_KEYS) or None, environment=_pick(row, _ENV_KEYS) or None,
            description=_pick(row, _DESC_KEYS) or None, origin="file", ref=f"{p.name}:{number}",
        ))
    if not records.deploys:
        raise UserError(f"--deploys {path}: no row has both a time and a version or commit.")
    if ctx.zone_assumed:
        records.warnings.append(f"Deploy times in {p.name} without a zone were read as {ctx.zone_assumed}.")
    records.deploys.sort(key=lambda d: d.time)
    return records


def tag_deploys(tags: list[Tag]) -> list[Deploy]:
    """Release tags (v1.4.0, 2024.05.1, release-42, api/v2.0.0) as deploys at the tag's time."""
    return sorted(
        (Deploy(time=t.time.astimezone(timezone.utc), version=t.name, commit=t.commit, origin="tag", ref=f"tag {t.name}",
                service=_tag_service(t.name))
         for t in tags if _RELEASE_TAG.match(t.name)),
        key=lambda d: d.time,
    )


def _tag_service(name: str) -> str | None:
    """`payment-service/v2.14.0` and `payment-service@2.14.0` name their service; `v2.14.0` does not."""
    m = re.match(r"^([A-Za-z][\w.-]*?)[/@]v?\d", name)
    return m.group(1) if m else None


def marker_of(text: str) -> tuple[str | None, str | None]:
    """(version, sha) that a deploy/version banner line names, or (None, None)."""
    m = _MARKER.search(text)
    if not m:
        return None, None
    if m.group("sha"):
        return None, m.group("sha").lower()
    value = m.group("version") or m.group("image")
    if value and re.fullmatch(r"[0-9a-f]{7,40}", value) and re.search(r"[a-f]", value):
        return None, value.lower()
    return value, None


def resolve_deploys(deploys: list[Deploy], repo: GitRepository, tags: list[Tag]) -> tuple[list[Deploy], list[str]]:
    """Fill `commit` with a full sha where the version (as a tag, with or without a `v`) or sha resolves.
    Returns the deploys (copies) and notes for those that did not resolve."""
    exact = {t.name: t.commit for t in tags}
    short: dict[str, str] = {}
    for t in sorted(tags, key=lambda t: ("/" in t.name or "@" in t.name, t.name)):  # unprefixed tags win
        short.setdefault(re.sub(r"^(?:[\w.-]+[/@])?v?", "", t.name), t.commit)
    out, unresolved = [], []
    for d in deploys:
        sha = None
        if d.commit:
            sha = repo.resolve(d.commit)
        if sha is None and d.version:
            v = d.version.strip()
            bare = v.lstrip("vV")
            # in a monorepo every service has a 2.0.0: the service's own tag first
            own = [f"{d.service}/v{bare}", f"{d.service}/{bare}", f"{d.service}@{bare}", f"{d.service}-v{bare}"] \
                if d.service else []
            sha = next((exact[n] for n in own + [v, "v" + bare, bare] if n in exact), None) or short.get(bare)
            if sha is None:
                found = _SHA.search(v.lower())
                sha = repo.resolve(found.group(0)) if found else None
        if sha is None and (d.version or d.commit):
            unresolved.append(d.version or d.commit)
        out.append(replace(d, commit=sha))
    notes = []
    if unresolved:
        shown = ", ".join(sorted(set(unresolved))[:5])
        notes.append(f"{len(unresolved)} deploy(s) name a version or commit not found in the repository ({shown}); "
                     "their commits are unknown.")
    return out, notes


def merge_deploys(*groups: list[Deploy]) -> list[Deploy]:
    """All deploys by time. Records naming the same commit within ten minutes are one deploy, kept from the
    most precise origin (file, then log, then tag); a release tag whose commit a deploy record names at any
    time is that release's cut, not a deploy of its own, and is dropped."""
    rank = {"file": 0, "log": 1, "tag": 2}
    recorded = {d.commit for g in groups for d in g if d.commit and d.origin != "tag"}
    merged: list[Deploy] = []
    every = (d for g in groups for d in g if not (d.origin == "tag" and d.commit in recorded))
    for d in sorted(every, key=lambda d: (d.time, rank.get(d.origin, 3))):
        twin = next((i for i, m in enumerate(merged) if m.commit and m.commit == d.commit
                     and (m.service == d.service or None in (m.service, d.service))
                     and abs((m.time - d.time).total_seconds()) <= 600), None)
        if twin is None:
            merged.append(d)
        elif rank.get(d.origin, 3) < rank.get(merged[twin].origin, 3):
            merged[twin] = d
    return sorted(merged, key=lambda d: d.time)


# -- reading rows ---------------------------------------------------------------------------------------------
def _rows(text: str, path: str) -> list[tuple[int, dict]]:
    stripped = text.lstrip()
    if not stripped:
        raise UserError(f"--deploys {path}: the file is empty.")
    if stripped.startswith("{") or stripped.startswith("["):
        return _json_rows(text, path)
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or not any((f or "").strip().lower() in _TIME_KEYS for f in reader.fieldnames):
        raise UserError(f"--deploys {path}: expected CSV with a header naming a time column, or JSON lines.")
    return [(i + 2, row) for i, row in enumerate(reader)]


def _json_rows(text: str, path: str) -> list[tuple[int, dict]]:
    if text.lstrip().startswith("["):
        try:
            data = json.loads(text)
        except json.JSONDecodeError:
            raise UserError(f"--deploys {path}: not valid JSON.") from None
        return [(i + 1, r) for i, r in enumerate(data) if isinstance(r, dict)]
    rows = []
    for i, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError:
            value = None
        rows.append((i, value if isinstance(value, dict) else {}))
    return rows


def _pick(row: dict, keys: tuple[str, ...]) -> str:
    for k in keys:
        v = row.get(k)
        if v not in (None, ""):
            return str(v).strip()
    return ""


def _skip(records: DeployRecords, reason: str, number: int) -> None:
    _count(records.skipped, reason)
    records.skipped_rows.setdefault(reason, []).append(number)


def skipped_rows_note(path: str, records: DeployRecords, named: int = 5) -> list[str]:
    """One sentence per reason, naming the first rows skipped for it (`deploys.csv:3`), so each can be fixed."""
    name = Path(path).name
    notes = []
    for reason, numbers in records.skipped_rows.items():
        shown = ", ".join(f"{name}:{n}" for n in numbers[:named])
        more = f" and {len(numbers) - named} more" if len(numbers) > named else ""
        notes.append(f"{len(numbers)} deploy record(s) skipped, {reason}: {shown}{more}; the other rows were used.")
    return notes


def _count(d: dict[str, int], reason: str) -> None:
    d[reason] = d.get(reason, 0) + 1
