"""Worker processes and file parts must not change what is found: the same input gives the same events,
templates, examples and statistics with one process or several, read whole or in parts."""

from __future__ import annotations

import gzip
import json
from dataclasses import replace

import pandas as pd
import pytest

import analyzer.parallel_mining as parallel_mining
from analyzer.event_table import finish_table, template_catalog
from analyzer.parallel_mining import mine_logs
from analyzer.pipeline import AnalyzeOptions, analyze
from analyzer.templates import TemplateMiner
from parsers.errors import UserError
from parsers.ingest import read_logs
from parsers.records import ParseOptions
from sample_logs import DEMO, sample_dir



@pytest.fixture(scope="module")
def logs(tmp_path_factory):
    """The demo's logs decompressed (compressed files are never cut into parts), traces and CRI lines included."""
    root = tmp_path_factory.mktemp("plain")
    for packed in (sample_dir(DEMO) / "logs").rglob("*.gz"):
        target = root / packed.relative_to(sample_dir(DEMO) / "logs").with_suffix("")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(gzip.decompress(packed.read_bytes()))
    return root


def _mine(logs, parse: ParseOptions, jobs: int):
    miner = TemplateMiner()
    mined = mine_logs([str(logs)], parse, miner, jobs, parallel_from_bytes=0)
    templates = miner.finish()
    table = finish_table(mined, templates.final_ids)
    catalog = template_catalog(templates.texts, table, [mined], templates.final_ids)
    return mined, templates, table, catalog


def test_two_workers_and_small_parts_give_what_one_process_reading_whole_files_gives(logs):
    whole = ParseOptions(tz="UTC", part_bytes=1 << 40)
    parts = ParseOptions(tz="UTC", part_bytes=100_000)  # the larger sample files are cut into several parts
    one, _, one_table, one_catalog = _mine(logs, whole, jobs=1)
    two, _, two_table, two_catalog = _mine(logs, parts, jobs=2)
    pd.testing.assert_frame_equal(one_table, two_table)
    assert one.sources == two.sources
    assert {t: (i.text, i.count, i.level, i.examples, i.recent) for t, i in one_catalog.items()} == \
        {t: (i.text, i.count, i.level, i.examples, i.recent) for t, i in two_catalog.items()}
    # and files really were cut: some parts end before their file does
    from parsers.discovery import discover
    from parsers.ingest import read_settings
    from parsers.parts import plan_tasks

    tasks = plan_tasks(discover([str(logs)]), read_settings(parts))
    assert sum(not part.final for task in tasks for part in task.parts) >= 3


def test_mined_events_match_what_read_logs_yields(logs):
    options = ParseOptions(tz="UTC", part_bytes=100_000)
    events = pd.concat([b.events for b in read_logs([str(logs)], options)], ignore_index=True)
    _, _, table, _ = _mine(logs, options, jobs=2)
    assert table["line"].tolist() == events["line"].tolist()
    assert table["path"].astype(str).tolist() == events["path"].tolist()
    assert table["lines"].sum() == events["lines"].sum()


def test_findings_are_the_same_with_workers(logs, monkeypatch):
    monkeypatch.setattr(parallel_mining, "PARALLEL_FROM_BYTES", 0)
    root = sample_dir(DEMO)
    base = AnalyzeOptions(parse=ParseOptions(tz="UTC"), repo=str(root / "repo.bundle"), deploys=str(root / "deploys.csv"))
    runs = []
    for jobs, part_bytes in ((1, 1 << 40), (2, 100_000)):
        options = replace(base, jobs=jobs, parse=replace(base.parse, part_bytes=part_bytes))
        findings = json.loads(json.dumps(analyze([str(logs)], options).to_dict(), default=str))
        findings.pop("generated_at", None)
        runs.append(findings)
    assert runs[0] == runs[1]
    assert runs[0]["root_cause"]["suspect"] == 0


def test_a_user_error_in_a_worker_reaches_the_caller_as_such(tmp_path):
    (tmp_path / "a.bin").write_bytes(b"\x00\x01\x02" * 1000)
    (tmp_path / "b.bin").write_bytes(b"\x00\x07\x08" * 1000)
    with pytest.raises(UserError, match="No readable log"):
        mine_logs([str(tmp_path)], ParseOptions(tz="UTC"), TemplateMiner(), jobs=2, parallel_from_bytes=0)


def test_standard_input_is_read_even_when_workers_would_be_used(logs, monkeypatch):
    import io
    import sys

    text = "2026-03-17T09:40:00Z ERROR pipe: connection reset by peer\n" * 5
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text.encode())))
    mined = mine_logs(["-", str(logs)], ParseOptions(tz="UTC", part_bytes=100_000), TemplateMiner(), jobs=2,
                      parallel_from_bytes=0)
    stdin = [s for s in mined.sources if s.path == "<stdin>"]
    assert stdin and stdin[0].lines == 5


def _die_on_second_file(task, settings):
    import os
    import signal

    if any(part.source.path.endswith("f2.log") for part in task.parts):
        os.kill(os.getpid(), signal.SIGKILL)  # what the kernel's OOM killer does
    return parallel_mining._real_premine_task(task, settings)


def test_a_worker_killed_by_the_kernel_is_a_clear_error_not_a_hang(tmp_path, monkeypatch):
    for k in range(4):
        (tmp_path / f"f{k}.log").write_text(
            "".join(f"2025-03-01 10:00:{i % 60:02d},123 INFO [main] com.acme.Svc - req {i}\n" for i in range(2000)))
    monkeypatch.setattr(parallel_mining, "_real_premine_task", parallel_mining.premine_task, raising=False)
    monkeypatch.setattr(parallel_mining, "premine_task", _die_on_second_file)
    from parsers import parts

    monkeypatch.setattr(parts, "TASK_FILES", 1)  # one file per task
    with pytest.raises(UserError, match="worker process .* died"):
        mine_logs([str(tmp_path)], ParseOptions(tz="UTC"), TemplateMiner(), jobs=2, parallel_from_bytes=0)


def test_a_large_file_is_cut_into_as_many_parts_as_its_size_asks(tmp_path):
    from parsers.discovery import discover
    from parsers.ingest import read_settings
    from parsers.parts import plan_tasks

    path = tmp_path / "big.log"
    path.write_text("".join(f"2025-01-01T00:{i // 60 % 60:02d}:{i % 60:02d}Z INFO svc request {i} done\n"
                            for i in range(60_000)))
    size = path.stat().st_size
    tasks = plan_tasks(discover([str(path)]), read_settings(ParseOptions(tz="UTC", part_bytes=size // 20)))
    assert 19 <= sum(len(task.parts) for task in tasks) <= 21
    whole = pd.concat([b.events for b in read_logs([str(path)], ParseOptions(tz="UTC", part_bytes=1 << 40))])
    cut = pd.concat([b.events for b in read_logs([str(path)], ParseOptions(tz="UTC", part_bytes=size // 20))])
    assert whole["line"].tolist() == cut["line"].tolist() and whole["message"].tolist() == cut["message"].tolist()


def test_an_input_that_is_one_task_is_read_without_worker_processes(tmp_path, monkeypatch):
    # A compressed file cannot be cut: one task, so forking workers would only cost memory.
    path = tmp_path / "app.log.gz"
    with gzip.open(path, "wt") as fh:
        fh.writelines(f"2025-01-01T00:00:{i % 60:02d}Z INFO svc request {i} done\n" for i in range(2000))
    pools = []
    monkeypatch.setattr(parallel_mining, "ProcessPoolExecutor",
                        lambda *a, **k: pools.append(a) or pytest.fail("a pool"))
    mined = mine_logs([str(path)], ParseOptions(tz="UTC"), TemplateMiner(), jobs=8, parallel_from_bytes=1)
    assert mined.events == 2000 and not pools


def test_reading_no_times_changes_nothing_but_the_times(logs):
    """`logrca templates` reads no times: events, templates, examples and line counts must not depend on them
    (syslog years, CRI envelopes, JSON `ts` fields and traces are all in the demo's logs)."""
    timed, _, timed_table, timed_catalog = _mine(logs, ParseOptions(tz="UTC", part_bytes=100_000), jobs=2)
    untimed, _, untimed_table, untimed_catalog = _mine(
        logs, ParseOptions(tz="UTC", part_bytes=100_000, read_times=False), jobs=2)
    assert timed_table["time"].notna().all() and untimed_table["time"].isna().all()
    pd.testing.assert_frame_equal(timed_table.drop(columns="time"), untimed_table.drop(columns="time"))
    assert {t: (i.text, i.count, i.level, i.examples) for t, i in timed_catalog.items()} == \
        {t: (i.text, i.count, i.level, i.examples) for t, i in untimed_catalog.items()}
    assert [(s.path, s.format, s.lines, s.lines_unparsed) for s in timed.sources] == \
        [(s.path, s.format, s.lines, s.lines_unparsed) for s in untimed.sources]


def test_cut_points_do_not_depend_on_how_many_windows_are_read_together(tmp_path, monkeypatch):
    """Cut windows are read in batches; a line's reading must not depend on the other windows of its batch
    (JSON stamps Arrow would type as timestamps or not depending on their neighbours: minute-only ones beside
    fractional and zoned ones)."""
    from parsers import parts
    from parsers.discovery import discover
    from parsers.ingest import read_settings
    from parsers.parts import plan_tasks

    stamps = ["2024-03-10T09:%02d" % (i % 60) for i in range(12000)] + \
             ["2024-03-10T10:00:%02d%s" % (i % 60, (".250Z", "+01:00", "")[i % 3]) for i in range(12000)]
    (tmp_path / "api.jsonl").write_text("".join(
        '{"ts":"%s","level":"info","msg":"request %d served in %d ms"}\n' % (stamp, i, i % 97)
        for i, stamp in enumerate(stamps)))
    settings = read_settings(ParseOptions(tz="America/New_York", part_bytes=50_000))

    def cuts():
        return [(p.start, p.end, p.first_line) for t in plan_tasks(discover([str(tmp_path)]), settings) for p in t.parts]

    batched = cuts()
    monkeypatch.setattr(parts, "CUT_BATCH", 1)
    assert cuts() == batched and len(batched) > 10
