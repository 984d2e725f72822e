"""The whole analysis, as one function a user can import: logs (and a repository) in, findings out."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone

from analyzer import __version__
from analyzer.anomaly import detect_anomalies
from analyzer.correlate import correlate
from analyzer.event_table import MinedLogs, finish_table, template_catalog
from analyzer.findings import Findings
from analyzer.parallel_mining import mine_logs
from analyzer.stages import AnomalyOptions
from analyzer.template_state import miner_for
from analyzer.verdict import build_findings
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
    jobs: int | None = None  # worker processes for parsing; None: one per core


Progress = Callable[[str, int], None]  # (stage, units done since last call)


def analyze(paths: Sequence[str], options: AnalyzeOptions | None = None, progress: Progress | None = None) -> Findings:
    """Parse, mine, score, correlate: the findings for the logs at `paths`."""
    options = options or AnalyzeOptions()
    report = progress or (lambda stage, n: None)
    miner = miner_for(options.state)

    # The healthy period is mined first so that its templates are the ones the incident is compared with. It lies
    # outside the incident's window by definition, so --since/--until do not apply to it.
    baseline_parse = replace(options.parse, since=None, until=None)
    baseline_mined = (
        mine_logs(options.baseline, baseline_parse, miner, options.jobs, lambda n: report("baseline", n))
        if options.baseline
        else None
    )
    mined = mine_logs(paths, options.parse, miner, options.jobs, lambda n: report("parse", n),
                      while_waiting=_warm_up)
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


def _warm_up() -> None:
    """Import what scoring will need while worker processes parse: scikit-learn alone takes about 1.5 s."""
    import sklearn.ensemble  # noqa: F401


def _all_sources(mined: MinedLogs, baseline: MinedLogs | None) -> list:
    return (baseline.sources if baseline else []) + mined.sources
