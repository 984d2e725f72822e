"""analyze() as a library call: small real-looking logs in, findings out; the event table keeps what it must."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest

from analyzer.event_table import finish_table, mine_batches, template_catalog
from analyzer.pipeline import AnalyzeOptions, analyze
from analyzer.templates import TemplateMiner
from parsers.ingest import read_logs
from parsers.records import ParseOptions

START = datetime(2026, 5, 4, 9, 0, tzinfo=timezone.utc)


def _write_service_logs(root: Path, minutes: int = 90, fault_at: int = 60) -> None:
    """An orders API (JSON lines) calling a stock service (Python logging) that starts failing at `fault_at`."""
    (root / "orders").mkdir(parents=True)
    (root / "stock").mkdir(parents=True)
    orders, stock = [], []
    for second in range(0, minutes * 60, 5):
        t = START + timedelta(seconds=second)
        broken = second >= fault_at * 60
        stamp = t.strftime("%Y-%m-%d %H:%M:%S,") + "120+0000"
        if broken and second % 15 == 0:
            stock.append(f"{stamp} ERROR stock.db: query failed: relation \"stock_levels\" does not exist (sku=SKU-{second % 97})")
        else:
            stock.append(f"{stamp} INFO stock.api: reserved {second % 7 + 1} of SKU-{second % 97} in {second % 40 + 3} ms")
        level, msg = ("ERROR", f"call to stock failed: 500 from stock after {second % 90 + 10}ms order=o{second}") if broken else \
            ("INFO", f"order o{second} placed for u{second % 311} total={second % 200}.50")
        orders.append(json.dumps({"time": t.isoformat().replace("+00:00", "Z"), "level": level, "msg": msg, "logger": "orders.api"}))
    (root / "orders" / "app.jsonl").write_text("\n".join(orders) + "\n", encoding="utf-8")
    (root / "stock" / "stock.log").write_text("\n".join(stock) + "\n", encoding="utf-8")


@pytest.fixture()
def logs(tmp_path) -> Path:
    _write_service_logs(tmp_path / "logs")
    return tmp_path / "logs"


def test_analyze_finds_the_onset_and_accounts_for_every_line(logs):
    findings = analyze([str(logs)], AnalyzeOptions(parse=ParseOptions(tz="UTC")))
    lines = sum(len(p.read_text().splitlines()) for p in logs.rglob("*.*"))
    assert findings.inputs.lines_total == lines
    assert findings.incident.detection == "auto"
    assert abs(findings.incident.start - (START + timedelta(minutes=60))) <= timedelta(minutes=1)
    assert {s.name for s in findings.services} == {"orders", "stock"}
    assert findings.suspects == [] and findings.root_cause.suspect is None


def test_a_state_file_that_does_not_exist_yet_starts_from_scratch(logs, tmp_path):
    findings = analyze([str(logs)], AnalyzeOptions(parse=ParseOptions(tz="UTC"), state=str(tmp_path / "new-state.json")))
    assert findings.anomalies


def test_event_table_keeps_compact_columns_and_examples_in_input_order(logs):
    miner = TemplateMiner()
    mined = mine_batches(read_logs([str(logs)], ParseOptions(tz="UTC", batch_lines=100)), miner)
    templates = miner.finish()
    table = finish_table(mined, templates.final_ids)
    catalog = template_catalog(templates.texts, table, [mined], templates.final_ids)
    assert str(table["time"].dtype) == "datetime64[ns, UTC]"
    assert table["service"].dtype == "category" and table["template_id"].dtype == np.int64
    assert len(table) == sum(info.count for info in catalog.values())
    failing = next(info for info in catalog.values() if "does not exist" in info.text)
    assert failing.level == "ERROR"
    assert [e.line for e in failing.examples] == sorted(e.line for e in failing.examples)
    assert failing.recent[-1].line > failing.examples[0].line
    assert "relation \"stock_levels\" does not exist" in failing.examples[0].text


def test_since_and_until_narrow_the_incident_logs_but_not_the_baseline(logs, tmp_path):
    healthy = tmp_path / "healthy"
    _write_service_logs(healthy, minutes=30, fault_at=999)
    options = AnalyzeOptions(parse=ParseOptions(tz="UTC", since=START + timedelta(minutes=45)), baseline=[str(healthy)])
    findings = analyze([str(logs)], options)
    baseline_sources = [s for s in findings.inputs.sources if s.path.startswith(str(healthy))]
    incident_sources = [s for s in findings.inputs.sources if s.path.startswith(str(logs))]
    assert baseline_sources and all(s.lines_skipped == 0 for s in baseline_sources)
    assert all(s.lines_skipped > 0 for s in incident_sources)


def test_small_batches_are_pooled_without_changing_the_templates(logs):
    def mine(batch_lines):
        miner = TemplateMiner()
        mined = mine_batches(read_logs([str(logs)], ParseOptions(tz="UTC", batch_lines=batch_lines)), miner)
        templates = miner.finish()
        table = finish_table(mined, templates.final_ids)
        return mined, [templates.texts[i] for i in table["template_id"]]

    pooled, texts_small = mine(7)
    whole, texts_large = mine(1_000_000)
    assert texts_small == texts_large
    assert len(pooled.parts) == 1 and len(pooled.sources) == 2  # 2,160 events in batches of 7: one mining step
