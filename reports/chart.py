"""The incident chart: error and anomalous-template rates per service over time, as SVG (matplotlib, Agg).

Two stacked panels share the time axis: errors per minute (top) and events of anomalous templates per minute
(bottom), one line per service, with the onset, the peak, deploys and suspect commits marked. The SVG keeps its
text as text (no glyph outlines), so it stays small, searchable, and checkable for leaked secrets.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import datetime

from analyzer.findings import Findings

MAX_SERVICES = 6  # beyond this, lines blur together; the rest are summed as "other services"
OTHER = "other services"
UNNAMED = "(unnamed service)"


@dataclass(frozen=True)
class Marker:
    time: datetime
    label: str
    kind: str  # "onset" | "peak" | "recovery" | "deploy" | "commit"


_MARKER_STYLE = {
    "onset": {"color": "#d62728", "linestyle": "--", "linewidth": 1.6},
    "peak": {"color": "#ff7f0e", "linestyle": ":", "linewidth": 1.6},
    "recovery": {"color": "#2ca02c", "linestyle": "--", "linewidth": 1.2},
    "deploy": {"color": "#1f77b4", "linestyle": "-.", "linewidth": 1.2},
    "commit": {"color": "#9467bd", "linestyle": ":", "linewidth": 1.2},
}


def chart_markers(findings: Findings) -> list[Marker]:
    """The vertical lines worth drawing: onset, peak, recovery, deploys and the top suspects' commits."""
    incident = findings.incident
    markers = [
        Marker(t, label, kind)
        for t, label, kind in (
            (incident.start, "onset", "onset"),
            (incident.peak, "peak", "peak"),
            (incident.end, "recovery", "recovery"),
        )
        if t is not None
    ]
    markers += [Marker(e.time, _label(e.text, 28), "deploy") for e in findings.timeline if e.kind == "deploy" and e.time]
    markers += [
        Marker(s.time, (s.commit or s.id)[:7], "commit")
        for s in findings.suspects[:3]
        if s.kind == "commit" and s.time is not None
    ]
    return markers


def render_chart_svg(findings: Findings, width_in: float = 10.0) -> str | None:
    """The chart as an SVG document, or None when there is nothing to plot (no series or no timestamps)."""
    frame = _rates(findings)
    if frame is None:
        return None
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib import pyplot as plt
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter

    # parse_math off: a `$` in a service name must stay a dollar sign, not start (and maybe break) mathtext.
    rc = {"svg.fonttype": "none", "svg.hashsalt": "logrca", "text.parse_math": False, "font.size": 9}
    with plt.rc_context(rc):
        fig, (ax_err, ax_anom) = plt.subplots(2, 1, sharex=True, figsize=(width_in, 5.2), layout="constrained")
        try:
            origin = findings.root_cause.service
            _plot_panel(ax_err, frame, "errors", "errors / min", origin)
            _plot_panel(ax_anom, frame, "anomalous", "anomalous-template events / min", origin)
            markers = [m for m in chart_markers(findings) if _in_range(m.time, frame)]
            for ax in (ax_err, ax_anom):
                _draw_markers(ax, markers, labelled=ax is ax_err)
            locator = AutoDateLocator()
            ax_anom.xaxis.set_major_locator(locator)
            ax_anom.xaxis.set_major_formatter(ConciseDateFormatter(locator))
            ax_anom.set_xlabel("time (UTC)")
            ax_err.legend(loc="upper left", fontsize=8, ncols=min(4, len(frame.columns.levels[1])), frameon=False)
            buffer = io.StringIO()
            fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": "logrca"})
        finally:
            plt.close(fig)
    return buffer.getvalue()


def inline_svg(svg: str) -> str:
    """An SVG document reduced to its <svg> element, for embedding inside HTML."""
    start = svg.find("<svg")
    return svg[start:] if start >= 0 else ""


def _rates(findings: Findings):
    """Per-minute rates: a frame indexed by bucket time with columns (measure, service); None when empty."""
    import pandas as pd

    points = [p for p in findings.series if p.time is not None]
    if not points:
        return None
    frame = pd.DataFrame(
        {
            "time": pd.to_datetime([p.time for p in points], utc=True),
            # an unnamed service still gets a line (pandas would fold an empty column name into its parent)
            "service": [p.service or UNNAMED for p in points],
            "errors": [p.errors for p in points],
            "anomalous": [p.anomalous for p in points],
        }
    )
    frame["service"] = _fold_quiet_services(frame)
    frame = frame.dropna(subset=["service"])
    if frame.empty:
        return None
    table = frame.pivot_table(index="time", columns="service", values=["errors", "anomalous"], aggfunc="sum",
                              fill_value=0)
    per_minute = 60.0 / (findings.bucket_seconds or _guess_bucket_seconds(table.index))
    return table.sort_index() * per_minute


def _fold_quiet_services(frame):
    """Keep the services with the most errors and anomalous events; sum the rest, so the legend stays readable.
    A service with neither is left out: a flat line at zero says nothing and takes a colour."""
    activity = frame["errors"] + frame["anomalous"]
    ranked = activity.groupby(frame["service"], sort=False).sum().sort_values(ascending=False, kind="stable")
    ranked = ranked[ranked > 0]
    keep = set(ranked.index[:MAX_SERVICES]) if len(ranked) > MAX_SERVICES + 1 else set(ranked.index)
    service = frame["service"].where(frame["service"].isin(keep), OTHER)
    return service.where(frame["service"].isin(set(ranked.index)), None)


def _guess_bucket_seconds(index) -> float:
    if len(index) < 2:
        return 60.0
    return max(1.0, float(index.to_series().diff().dropna().min().total_seconds()))


def _plot_panel(ax, frame, measure: str, ylabel: str, origin: str | None) -> None:
    data = frame[measure]
    for service in data.columns:
        # the origin service drawn bold: it is usually quieter than the victims that shout after it
        ax.plot(data.index.to_pydatetime(), data[service].to_numpy(), label=_label(service),
                linewidth=2.6 if service == origin else 1.2, zorder=3 if service == origin else 2)
    ax.set_ylabel(ylabel)
    ax.grid(True, alpha=0.3)
    ax.set_ylim(bottom=0)


def _draw_markers(ax, markers: list[Marker], labelled: bool) -> None:
    for marker in markers:
        ax.axvline(marker.time, **_MARKER_STYLE[marker.kind], alpha=0.9)
        if labelled:
            ax.annotate(
                _label(marker.label), xy=(marker.time, 1.0), xycoords=("data", "axes fraction"),
                xytext=(2, -2), textcoords="offset points", rotation=90, va="top", ha="left", fontsize=7,
                color=_MARKER_STYLE[marker.kind]["color"],
            )


def _in_range(time: datetime, frame) -> bool:
    import pandas as pd

    stamp = pd.Timestamp(time)
    return frame.index[0] <= stamp <= frame.index[-1]


def _label(text: str, limit: int = 40) -> str:
    """One short line: chart labels are glanced at, the report holds the full text."""
    text = re.sub(r"\s+", " ", str(text)).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"
