"""read_logs end to end: discovery, compression, envelopes, mixed files, time zones, batching, counting."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import os
import sys
from datetime import datetime, timezone

import pandas as pd
import pytest
import zstandard

from parsers.errors import UserError
from parsers.ingest import format_names, read_logs
from parsers.records import EVENT_COLUMNS, ParseOptions
from tests.ingest_helpers import read_one, ts, write

JAVA = """\
2024-03-05 14:0{m}:11.482 [main] INFO  com.shop.App - tick {m}
2024-03-05 14:0{m}:11.519 [main] ERROR com.shop.App - failed {m}
java.lang.IllegalStateException: boom
\tat com.shop.App.run(App.java:12)
"""


def test_events_have_the_contract_columns_and_types(tmp_path):
    path = write(tmp_path, "app.log", JAVA.format(m=1))
    events, _ = read_one(path)
    assert tuple(events.columns[: len(EVENT_COLUMNS)]) == EVENT_COLUMNS
    assert str(events["time"].dtype) == "datetime64[ns, UTC]"
    assert events["line"].dtype == "int64" and events["parsed"].dtype == bool


def test_gzipped_rotations_are_read_oldest_first_as_one_service(tmp_path):
    logs = tmp_path / "dump" / "orders"
    logs.mkdir(parents=True)
    (logs / "app.log").write_text(JAVA.format(m=3))
    (logs / "app.log.1").write_text(JAVA.format(m=2))
    with gzip.open(logs / "app.log.2.gz", "wt") as fh:
        fh.write(JAVA.format(m=1))
    batches = list(read_logs([str(tmp_path / "dump")], ParseOptions(tz="UTC")))
    assert [os.path.basename(b.source.path) for b in batches] == ["app.log.2.gz", "app.log.1", "app.log"]
    events = pd.concat([b.events for b in batches])
    assert events["message"].str.split("\n").str[0].tolist() == ["tick 1", "failed 1", "tick 2", "failed 2",
                                                                  "tick 3", "failed 3"]
    assert set(events["service"]) == {"orders"}
    assert events["time"].is_monotonic_increasing


@pytest.mark.parametrize("suffix,opener", [(".bz2", bz2.open), (".xz", lzma.open)])
def test_bz2_and_xz(tmp_path, suffix, opener):
    path = tmp_path / f"app.log{suffix}"
    with opener(path, "wt") as fh:
        fh.write(JAVA.format(m=1))
    events, stats = read_one(path)
    assert stats.format == "logback" and len(events) == 2 and events["lines"].tolist() == [1, 3]


def test_zstd(tmp_path):
    path = tmp_path / "app.log.zst"
    path.write_bytes(zstandard.ZstdCompressor().compress(JAVA.format(m=1).encode()))
    events, stats = read_one(path)
    assert stats.service == "app" and len(events) == 2


def test_truncated_gzip_keeps_what_came_before(tmp_path):
    body = "".join(f"2024-03-05T14:00:{i % 60:02d}Z host app[1]: line {i}\n" for i in range(20000))
    data = gzip.compress(body.encode())
    path = tmp_path / "app.log.gz"
    path.write_bytes(data[: len(data) // 2])
    events, stats = read_one(path)
    assert 0 < len(events) < 20000
    assert events["message"].iloc[0] == "line 0"
    assert any("damaged" in w for w in stats.warnings)


def test_cri_lines_unwrapped_and_partial_lines_joined(tmp_path):
    path = write(tmp_path, "pods/ts-contacts-service-866bd68c97-xcqfx.log", """\
2024-03-05T14:02:11.123456789Z stdout F {"level":"info","msg":"ready","ts":"2024-03-05T14:02:11.120Z"}
2024-03-05T14:02:12.000000000Z stderr P this is a long line spl
2024-03-05T14:02:12.000000001Z stderr F it in two
2024-03-05T14:02:13.000000000Z stdout F 2024-03-05 14:02:13,000 ERROR [main] com.x.Y: boom
""")
    events, stats = read_one(path)
    assert events["message"].tolist() == ["ready", "this is a long line split in two", "boom"]
    assert events["line"].tolist() == [1, 2, 4] and events["lines"].tolist() == [1, 2, 1]
    assert events["time"][0] == ts("2024-03-05T14:02:11.120Z")  # the application's own time wins
    assert events["time"][1] == ts("2024-03-05T14:02:12Z")  # the envelope's, where the line has none
    assert set(events["service"]) == {"ts-contacts-service"}
    assert events["level"][2] == "ERROR"


def test_docker_json_file_envelope(tmp_path):
    path = write(tmp_path, "web-json.log", """\
{"log":"2024-03-05 14:02:11,482 INFO  [main] com.x.App: started\\n","stream":"stdout","time":"2024-03-05T14:02:11.4829Z"}
{"log":"2024-03-05 14:02:12,000 ERROR [main] com.x.App: crashed\\n","stream":"stderr","time":"2024-03-05T14:02:12.0Z"}
{"log":"\\tat com.x.App.main(App.java:5)\\n","stream":"stderr","time":"2024-03-05T14:02:12.0Z"}
""")
    events, _ = read_one(path)
    assert events["message"].tolist() == ["started", "crashed\n\tat com.x.App.main(App.java:5)"]
    assert events["level"].tolist() == ["INFO", "ERROR"]


def test_file_mixing_json_and_text_is_read_line_by_line(tmp_path):
    path = write(tmp_path, "cart.log", """\
{"ts":"2024-03-05T14:02:11Z","level":"info","msg":"request served"}
2024-03-05 14:02:12,000 WARN  [pool-1] com.shop.Cache: eviction storm
{"ts":"2024-03-05T14:02:13Z","level":"error","msg":"db timeout"}
Starting cart v2.3.1
""")
    events, stats = read_one(path)
    assert events["format"].tolist() == ["json", "log4j", "json", "unknown"]
    assert events["level"].tolist()[:3] == ["INFO", "WARN", "ERROR"]
    assert events["message"][1] == "eviction storm"
    assert stats.lines_unparsed == 1 and stats.lines == 4


def test_yearless_syslog_across_new_year(tmp_path):
    path = write(tmp_path, "syslog", """\
Dec 31 23:59:58 web1 CRON[2211]: (root) CMD (run-parts /etc/cron.hourly)
Dec 31 23:59:59 web1 kernel: Out of memory: Killed process 4242 (java)
Jan  1 00:00:01 web1 systemd[1]: Started Session 5 of user root.
""")
    stamp = datetime(2025, 1, 1, 0, 10, tzinfo=timezone.utc).timestamp()
    os.utime(path, (stamp, stamp))
    events, _ = read_one(path)
    assert events["time"].tolist() == [ts("2024-12-31 23:59:58"), ts("2024-12-31 23:59:59"), ts("2025-01-01 00:00:01")]
    events, _ = read_one(path, year=2030)  # --year names the first line's year
    assert events["time"][2] == ts("2031-01-01 00:00:01")


def test_zoneless_file_takes_the_given_zone_and_says_so(tmp_path):
    path = write(tmp_path, "worker.log", "2024-07-01 12:00:00,000 INFO worker: tick\n2024-07-01 12:00:01,000 INFO worker: tock\n")
    events, stats = read_one(path, tz="Europe/Berlin")
    assert events["time"][0] == ts("2024-07-01T10:00:00Z")
    assert stats.timezone_assumed == "Europe/Berlin"
    zoned = write(tmp_path, "zoned.log", '{"time":"2024-07-01T12:00:00+02:00","msg":"x"}\n')
    events, stats = read_one(zoned, tz="Asia/Tokyo")
    assert events["time"][0] == ts("2024-07-01T10:00:00Z") and stats.timezone_assumed is None


def test_unknown_zone_is_a_user_error(tmp_path):
    path = write(tmp_path, "a.log", "2024-07-01 12:00:00 INFO x: y\n")
    with pytest.raises(UserError, match="time zone"):
        read_one(path, tz="Mars/Olympus")


def test_batches_are_bounded_share_stats_and_keep_a_trace_whole_across_a_boundary(tmp_path):
    text = "".join(JAVA.format(m=i % 10) for i in range(25))  # 100 lines, 50 events
    path = write(tmp_path, "app.log", text)
    batches = list(read_logs([str(path)], ParseOptions(tz="UTC", batch_lines=7)))
    assert all(len(b.events) <= 7 for b in batches)
    assert [b.last for b in batches] == [False] * (len(batches) - 1) + [True]
    assert len({id(b.source) for b in batches}) == 1
    events = pd.concat([b.events for b in batches], ignore_index=True)
    assert len(events) == 50
    assert events["lines"].sum() == 100 == batches[-1].source.lines
    assert events["line"].tolist() == [n for k in range(25) for n in (4 * k + 1, 4 * k + 2)]
    assert (events["message"][1::2].str.count("\n") == 2).all()


def test_since_and_until_skip_and_count(tmp_path):
    path = write(tmp_path, "app.log", "".join(JAVA.format(m=m) for m in range(1, 6)))
    since = datetime(2024, 3, 5, 14, 2, tzinfo=timezone.utc)
    until = datetime(2024, 3, 5, 14, 3, 59, tzinfo=timezone.utc)
    events, stats = read_one(path, since=since, until=until)
    assert events["message"].str.split("\n").str[0].tolist() == ["tick 2", "failed 2", "tick 3", "failed 3"]
    assert stats.lines_skipped == 12
    assert stats.skipped_reasons == {"before --since": 4, "after --until": 8}


def test_binary_file_skipped_with_a_reason_and_text_still_read(tmp_path):
    (tmp_path / "core.bin").write_bytes(b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 10)
    write(tmp_path, "app.log", JAVA.format(m=1))
    batches = list(read_logs([str(tmp_path)], ParseOptions(tz="UTC")))
    binary = [b for b in batches if b.source.format == "binary"]
    assert len(binary) == 1 and binary[0].events.empty and binary[0].last
    assert binary[0].source.warnings and "binary file, not a text log" in binary[0].source.skipped_reasons


def test_only_binary_files_is_a_user_error(tmp_path):
    (tmp_path / "core.bin").write_bytes(b"\x00\x01\x02" * 100)
    with pytest.raises(UserError, match="No readable log"):
        list(read_logs([str(tmp_path)], ParseOptions()))


def test_missing_path_and_empty_directory_are_user_errors(tmp_path):
    with pytest.raises(UserError, match="does not exist"):
        list(read_logs([str(tmp_path / "nope")], ParseOptions()))
    (tmp_path / "empty").mkdir()
    with pytest.raises(UserError, match="holds no files"):
        list(read_logs([str(tmp_path / "empty")], ParseOptions()))


def test_undecodable_bytes_are_replaced_and_counted_and_utf16_is_decoded(tmp_path):
    latin = tmp_path / "latin.log"
    latin.write_bytes("2024-03-05 14:02:11 INFO app: café ouvert\n".encode("latin-1"))
    events, stats = read_one(latin)
    assert stats.bytes_undecodable == 1 and events["message"][0] == "caf\ufffd ouvert"
    wide = tmp_path / "wide.log"
    wide.write_bytes("2024-03-05 14:02:11 INFO app: café ouvert\r\n2024-03-05 14:02:12 WARN app: fermé\r\n"
                     .encode("utf-16"))
    events, stats = read_one(wide)
    assert events["message"].tolist() == ["café ouvert", "fermé"] and stats.bytes_undecodable == 0


def test_stdin(tmp_path, monkeypatch):
    fake = io.TextIOWrapper(io.BytesIO(JAVA.format(m=1).encode()))
    monkeypatch.setattr(sys, "stdin", fake)
    batches = list(read_logs(["-"], ParseOptions(tz="UTC")))
    assert batches[-1].source.path == "<stdin>"
    assert batches[-1].events["service"].unique().tolist() == ["stdin"]
    assert len(batches[-1].events) == 2


def test_kubernetes_service_names_from_paths(tmp_path):
    pod_uid = "6f1c2f7e-8a7b-4c1e-9b7a-1d2e3f4a5b6c"
    write(tmp_path, f"var/log/pods/shop_redis-0_{pod_uid}/redis/0.log", JAVA.format(m=1))
    write(tmp_path, "var/log/containers/ts-order-service-5d8f7c9b4-kq2zt_shop_ts-order-service-"
                    + "a" * 64 + ".log", JAVA.format(m=1))
    services = {b.source.service for b in read_logs([str(tmp_path / "var")], ParseOptions(tz="UTC"))}
    assert services == {"redis", "ts-order-service"}


def test_custom_format_from_pyproject(tmp_path, monkeypatch):
    (tmp_path / "pyproject.toml").write_text("""\
[tool.logrca.formats.legacy]
regex = '^(?P<time>\\d{2}\\.\\d{2}\\.\\d{4} \\d{2}:\\d{2}) \\| (?P<level>\\w+) \\| (?P<message>.*)$'
time_format = "%d.%m.%Y %H:%M"
""")
    path = write(tmp_path, "legacy.log", "05.03.2024 14:02 | ERROR | disk quota exceeded\n")
    monkeypatch.chdir(tmp_path)
    assert "legacy" in format_names()
    events, stats = read_one(path)
    assert stats.format == "legacy"
    assert events["time"][0] == ts("2024-03-05 14:02") and events["level"][0] == "ERROR"
    assert events["message"][0] == "disk quota exceeded"


def test_bad_custom_format_is_a_user_error(tmp_path):
    config = tmp_path / "logrca.toml"
    config.write_text("[formats.broken]\nregex = '(?P<time>\\S+) (unclosed'\n")
    with pytest.raises(UserError, match="invalid"):
        list(read_logs([str(config)], ParseOptions(config_path=str(config))))


def _sorted_log(path, lines):
    with open(path, "w") as fh:
        for i in range(lines):
            fh.write(f"2024-03-05T{10 + i // 3600:02d}:{i // 60 % 60:02d}:{i % 60:02d}.000Z INFO [main] app.Worker - step {i}\n")
            if i % 500 == 0:
                fh.write("java.lang.IllegalStateException: checkpoint\n\tat app.Worker.run(Worker.java:1)\n")


def test_since_on_a_sorted_file_bisects_and_gives_the_same_events(tmp_path, monkeypatch):
    import parsers.ingest as ingest

    path = tmp_path / "big.log"
    _sorted_log(path, 20000)
    since = datetime(2024, 3, 5, 14, 0, tzinfo=timezone.utc)
    whole, whole_stats = read_one(path, since=since)
    monkeypatch.setattr(ingest, "_BISECT_FROM", 0)
    monkeypatch.setattr(ingest, "_BISECT_RESOLUTION", 4096)
    calls = []
    real = ingest.parse_chunk
    monkeypatch.setattr(ingest, "parse_chunk", lambda lines, *a, **k: calls.append(len(lines)) or real(lines, *a, **k))
    bisected, stats = read_one(path, since=since)
    assert sum(calls) < 0.5 * whole_stats.lines  # most lines before --since were never parsed
    assert bisected["line"].tolist() == whole["line"].tolist()
    assert bisected["message"].tolist() == whole["message"].tolist()
    assert stats.lines == whole_stats.lines
    assert stats.lines_skipped == whole_stats.lines_skipped == whole["line"].iloc[0] - 1
    assert bisected["time"].iloc[0] == ts("2024-03-05T14:00:00Z")


def test_since_on_an_unsorted_file_reads_it_all(tmp_path, monkeypatch):
    import parsers.ingest as ingest

    path = tmp_path / "shuffled.log"
    text = "".join(f"2024-03-05T1{(i * 7) % 10}:00:00Z INFO [main] app.W - n {i}\n" for i in range(4000))
    path.write_text(text)
    monkeypatch.setattr(ingest, "_BISECT_FROM", 0)
    monkeypatch.setattr(ingest, "_BISECT_RESOLUTION", 1024)
    since = datetime(2024, 3, 5, 15, 0, tzinfo=timezone.utc)
    events, stats = read_one(path, since=since)
    assert len(events) == sum(1 for i in range(4000) if (i * 7) % 10 >= 5)
    assert stats.lines_skipped == 4000 - len(events)


def test_big_endian_utf16_across_read_blocks(tmp_path):
    # More than one 4 MiB read block: a line and a code unit cut by a block edge must come out whole.
    path = tmp_path / "wide-be.log"
    count = 70_000
    text = "".join(f"2024-03-05 14:02:{i % 60:02d} INFO app: café {i}\r\n" for i in range(count))
    path.write_bytes(b"\xfe\xff" + text.encode("utf-16-be"))
    assert path.stat().st_size > 4 << 20
    events, stats = read_one(path)
    assert stats.lines == count and stats.bytes_undecodable == 0
    assert events["message"].tolist() == [f"café {i}" for i in range(count)]


def test_a_broken_pyproject_found_by_chance_is_ignored_but_a_named_config_is_not(tmp_path, monkeypatch):
    (tmp_path / "pyproject.toml").write_text("[project\nname = ")
    path = write(tmp_path, "app.log", JAVA.format(m=1))
    monkeypatch.chdir(tmp_path)
    events, _ = read_one(path)
    assert len(events) == 2
    with pytest.raises(UserError, match="could not be read"):
        read_one(path, config_path=str(tmp_path / "pyproject.toml"))


def test_a_file_named_twice_is_read_once_and_unparsed_lines_are_counted_as_lines(tmp_path):
    from parsers.ingest import read_logs
    from parsers.records import ParseOptions

    log = tmp_path / "app.log"
    log.write_text(
        "2026-01-05 10:00:00,001 INFO app: started\n"
        "#### garbage without a header\n"
        "2026-01-05 10:00:01,001 ERROR app: failed\n"
        "Traceback (most recent call last):\n"
        '  File "app.py", line 3, in <module>\n'
        "KeyError: 'x'\n",
        encoding="utf-8",
    )
    batches = list(read_logs([str(log), str(tmp_path)], ParseOptions(tz="UTC")))
    sources = [b.source for b in batches if b.last]
    assert len(sources) == 1 and sources[0].lines == 6
    events = batches[0].events
    assert int(events["lines"].sum()) + sources[0].lines_skipped == 6
    # The garbage line folds into "started" but is still unparsed; the traceback is part of "failed".
    assert sources[0].lines_unparsed == 1


def _numbered_log(n: int) -> bytes:
    return "".join(f"2026-01-05T10:{i // 60 % 60:02d}:{i % 60:02d}Z INFO app: request {i} served in {i % 97} ms\n"
                   for i in range(n)).encode()


@pytest.mark.parametrize("damage", ["truncated", "corrupt"])
def test_a_damaged_gzip_keeps_every_line_before_the_damage_and_says_where(tmp_path, damage):
    import gzip as gz

    from parsers.ingest import read_logs
    from parsers.records import ParseOptions

    packed = gz.compress(_numbered_log(20_000))
    if damage == "truncated":
        packed = packed[: len(packed) // 2]
    else:
        middle = len(packed) // 2
        packed = packed[:middle] + bytes(64) + packed[middle + 64:]
    path = tmp_path / "app.log.1.gz"
    path.write_bytes(packed)
    batches = list(read_logs([str(path)], ParseOptions(tz="UTC")))
    stats = batches[-1].source
    kept = sum(int(b.events["lines"].sum()) for b in batches)
    assert kept >= 9_000 and kept == stats.lines
    first = batches[0].events["message"].iloc[0]
    assert first == "request 0 served in 0 ms"
    # The count is of the whole lines before the damage; the cut line the damage ends is kept after it.
    said = [int(w.split("damaged after ")[1].split()[0]) for w in stats.warnings if "damaged after" in w]
    assert said and stats.lines - 1 <= said[0] <= stats.lines, stats.warnings


def test_concatenated_gzip_members_and_bz2_xz_read_whole(tmp_path):
    import bz2 as bz
    import gzip as gz
    import lzma

    from parsers.ingest import read_logs
    from parsers.records import ParseOptions

    body = _numbered_log(3000)
    (tmp_path / "a.log.gz").write_bytes(gz.compress(body[:100_000]) + gz.compress(body[100_000:]))
    (tmp_path / "b.log.bz2").write_bytes(bz.compress(body))
    (tmp_path / "c.log.xz").write_bytes(lzma.compress(body))
    sources = [b.source for b in read_logs([str(tmp_path)], ParseOptions(tz="UTC")) if b.last]
    assert [(s.lines, s.warnings) for s in sources] == [(3000, []), (3000, []), (3000, [])]


def test_stray_header_less_lines_folded_into_an_event_are_counted_unparsed(tmp_path):
    # Five lines without a header: two open the file (an event of their own), three fold into parsed events.
    path = write(tmp_path, "orders.log", """\
starting orders service
  with profile prod
2024-03-10 09:00:00,123 INFO [main] com.shop.Orders: order 1 accepted
stray line one
2024-03-10 09:00:01,123 INFO [main] com.shop.Orders: order 2 accepted
stray line two
stray line three
2024-03-10 09:00:02,123 INFO [main] com.shop.Orders: order 3 accepted
""")
    events, stats = read_one(path)
    assert stats.lines == 8 and int(events["lines"].sum()) == 8
    assert stats.lines_unparsed == 5
    assert events["message"][1] == "order 1 accepted\nstray line one"


def test_frames_of_parsed_java_and_python_traces_are_not_unparsed(tmp_path):
    java = write(tmp_path, "java.log", JAVA.format(m=1) + """\
Caused by: java.io.IOException: connection reset
\t... 3 more
""")
    python = write(tmp_path, "py.log", """\
2026-01-05 10:00:01,001 ERROR app: failed
Traceback (most recent call last):
  File "app.py", line 3, in <module>
    main()
KeyError: 'x'

2026-01-05 10:00:02,001 INFO app: recovered
""")
    for path, lines, events_expected in ((java, 6, 2), (python, 7, 2)):
        events, stats = read_one(path)
        assert (stats.lines, len(events), stats.lines_unparsed) == (lines, events_expected, 0), path


def test_no_batch_holds_more_events_than_batch_lines_when_events_are_held_back(tmp_path):
    # Each chunk holds back its last event and re-reads it with the next; the last chunk then holds a full chunk
    # of new lines plus that event (60 one-line events: the last chunk is full for every size below).
    single = write(tmp_path, "single.log", "".join(f"2024-03-05 14:02:{i:02d},000 INFO app: tick {i}\n" for i in range(60)))
    traces = write(tmp_path, "traces.log", "".join(JAVA.format(m=i % 10) for i in range(40)))
    for path, lines in ((single, 60), (traces, 160)):
        for size in (1, 2, 3, 5, 6):
            batches = list(read_logs([str(path)], ParseOptions(tz="UTC", batch_lines=size)))
            assert max(len(b.events) for b in batches) <= size, (path.name, size)
            assert sum(int(b.events["lines"].sum()) for b in batches) == lines


def test_a_time_window_needs_the_times_read(tmp_path):
    write(tmp_path, "app.log", "2026-11-20 06:00:00,001 INFO started\n")
    since = datetime(2026, 11, 20, tzinfo=timezone.utc)
    with pytest.raises(ValueError, match="since and .until need the times"):
        list(read_logs([str(tmp_path)], ParseOptions(since=since, read_times=False)))
