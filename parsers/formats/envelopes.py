"""Container runtime envelopes around application lines: Kubernetes CRI and Docker `json-file`.

The envelope is taken off first; the line inside is then read by whatever format it is in, and the envelope's
timestamp is used only where the inner line carries none.
"""

from __future__ import annotations

import json

import pandas as pd

CRI = "cri"
DOCKER = "docker"
_CRI_REGEX = r"^(?P<time>\d{4}-\d{2}-\d{2}T\S+) (?P<stream>stdout|stderr) (?P<tag>[FP])(?: (?P<inner>.*))?$"
_DOCKER_START = r'^\s*\{\s*"log"\s*:'


def detect_envelope(sample: pd.Series) -> str | None:
    """`cri` or `docker` when most of the sample is wrapped so; None otherwise."""
    if sample.empty:
        return None
    if sample.str.match(_CRI_REGEX, na=False).mean() >= 0.5:
        return CRI
    if sample.str.match(_DOCKER_START, na=False).mean() >= 0.5:
        return DOCKER
    return None


def unwrap(lines: pd.Series, envelope: str) -> tuple[pd.Series, pd.Series, pd.Series]:
    """(inner lines, envelope time text, physical lines per inner line). CRI partial (`P`) lines are joined to
    the line that completes them, kept at the first one's position. Lines without an envelope pass unchanged."""
    if envelope == CRI:
        groups = lines.str.extract(_CRI_REGEX)
        wrapped = groups["time"].notna()
        inner = groups["inner"].fillna("").where(wrapped, lines).astype("str")
        times = groups["time"].where(wrapped)
        spans = pd.Series(1, index=lines.index, dtype="int64")
        partial = wrapped & (groups["tag"] == "P")
        if partial.any():
            inner, times, spans = _join_partials(inner, times, partial)
        return inner, times, spans
    return _unwrap_docker(lines)


def _join_partials(inner: pd.Series, times: pd.Series, partial: pd.Series):
    # A run of P lines and the F line after it form one line; only those runs are touched, line by line.
    keep, texts, spans = [], [], []
    pending_start, pending_text, pending_span = None, "", 0
    for position, text, is_partial in zip(inner.index, inner, partial):
        if pending_start is None:
            pending_start, pending_text, pending_span = position, text, 1
        else:
            pending_text += text
            pending_span += 1
        if not is_partial:
            keep.append(pending_start)
            texts.append(pending_text)
            spans.append(pending_span)
            pending_start = None
    if pending_start is not None:
        keep.append(pending_start)
        texts.append(pending_text)
        spans.append(pending_span)
    index = pd.Index(keep)
    return pd.Series(texts, index=index, dtype="str"), times.loc[index], pd.Series(spans, index=index, dtype="int64")


def _unwrap_docker(lines: pd.Series):
    inner, times = [], []
    for text in lines:
        try:
            record = json.loads(text)
        except ValueError:
            record = None
        if isinstance(record, dict) and isinstance(record.get("log"), str):
            inner.append(record["log"].rstrip("\r\n"))
            times.append(record.get("time"))
        else:
            inner.append(text)
            times.append(None)
    spans = pd.Series(1, index=lines.index, dtype="int64")
    return pd.Series(inner, index=lines.index, dtype="str"), pd.Series(times, index=lines.index, dtype=object), spans
