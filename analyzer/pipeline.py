"""The whole analysis, as one function a user can import: logs (and a repository) in, findings out."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path

from analyzer import __version__
from analyzer.anomaly import detect_anomalies
from analyzer.correlate import correlate
from analyzer.event_table import MinedLogs, finish_table, mine_batches, template_catalog
from analyzer.findings import Findings
from analyzer.stages import AnomalyOptions
from analyzer.templates import TemplateMiner
from analyzer.verdict import build_findings
from parsers.ingest import read_logs
from parsers.records import ParseOptions
from parsers.timestamps import machine_zone


@dataclass
class AnalyzeOptions:
    """Everything `logrca analyze` can be told, with the defaults a user who sets nothing gets."""

    parse: ParseOptions = field(default_factory=ParseOptions)
    repo: str | None = None
    deploys: str | None = None
    baseline: Sequence[str] = ()
    incident_start: datetime | None = None
    incident_end: datetime | None = None
    max_commits: int = 5000
    state: str | None = None  # learned templates to start from (see `logrca templates --state`)


Progress = Callable[[str, int], None]  # (stage, units done since last call)


def analyze(paths: Sequence[str], options: AnalyzeOptions | None = None, progress: Progress | None = None) -> Findings:
    """Parse, mine, score, correlate: the findings for the logs at `paths`."""
    options = options or AnalyzeOptions()
    report = progress or (lambda stage, n: None)
    miner = _miner(options.state)

    # The healthy period is mined first so that its templates are the ones the incident is compared with. It lies
    # outside the incident's window by definition, so --since/--until do not apply to it.
    baseline_parse = replace(options.parse, since=None, until=None)
    baseline_mined = (
        mine_batches(read_logs(options.baseline, baseline_parse), miner, lambda n: report("baseline", n))
        if options.baseline
        else None
    )
    mined = mine_batches(read_logs(paths, options.parse), miner, lambda n: report("parse", n))
    templates = miner.finish()
    table = finish_table(mined, templates.final_ids)
    baseline_table = finish_table(baseline_mined, templates.final_ids) if baseline_mined else None
    catalog = template_catalog(
        templates.texts,
        table,
        [m for m in (baseline_mined, mined) if m is not None],
        templates.final_ids,
    )

    report("anomalies", 0)
    anomaly_options = AnomalyOptions(incident_start=options.incident_start, incident_end=options.incident_end)
    result = detect_anomalies(table, catalog, anomaly_options, baseline=baseline_table)

    report("changes", 0)
    # Zone-less deploy times are read like the logs' zone-less times: in --tz, else the machine's zone.
    zone = options.parse.tz or machine_zone()
    correlation = correlate(result, catalog, options.repo, options.deploys, options.max_commits, tz=zone)

    return build_findings(
        version=__version__,
        sources=_all_sources(mined, baseline_mined),
        repo=options.repo,
        result=result,
        correlation=correlation,
        generated_at=datetime.now(timezone.utc),
    )


def _miner(state_path: str | None) -> TemplateMiner:
    """A fresh miner, or one that starts from templates learned earlier when that file exists."""
    if state_path is None or not Path(state_path).exists():
        return TemplateMiner()
    from analyzer.template_state import load_state

    return load_state(state_path)


def _all_sources(mined: MinedLogs, baseline: MinedLogs | None) -> list:
    return (baseline.sources if baseline else []) + mined.sources
