"""Regular expressions over columns: a format's fields read in parts (head, then message) equal what the whole
pattern extracts, line for line, including the lines where reading in parts must fall back to the whole pattern."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.compute as pc
import pytest

from parsers.formats import plan_formats
from parsers.formats.builtin import BUILTIN_FORMATS
from parsers.vector_re import _split_of, as_arrow, extract, to_str_series

SAMPLES = Path(__file__).resolve().parents[1] / "sample_logs"

# A line or two of each named format, with the shapes that make a head match in more than one way.
LINES = """\
<34>1 2024-03-05T14:02:11.482Z web-1 sshd 4411 ID47 - Failed password for root from 10.0.0.5 port 22 ssh2
<13>Mar  5 14:02:11 web-1 sshd[4411]: Accepted publickey for deploy from 10.0.0.5 port 51234 ssh2
Mar  5 14:02:12 web-1 kernel: [12345.678] Out of memory: Killed process 2211 (java)
2024-03-05T14:02:11+01:00 web-1 systemd[1]: Started Session 12 of user deploy.
10.0.0.5 - alice [05/Mar/2024:14:02:11 +0000] "GET /api/cart?id=7 HTTP/1.1" 200 512 "-" "curl/8.0"
10.0.0.6 - - [05/Mar/2024:14:02:12 +0000] "POST /api/checkout HTTP/1.1" 504 0 "https://shop.example.com/" "Mozilla/5.0"
10.0.0.7 - - [05/Mar/2024:14:02:13 +0000] "GET /x" 200
[Tue Mar 05 14:02:11.482000 2024] [proxy:error] [pid 2211:tid 140] AH00957: connect to backend failed
2024/03/05 14:02:11 [error] 2211#0: *17 upstream timed out (110: Connection timed out) while reading
2024-03-05 14:02:11.482  INFO 2211 --- [           main] com.shop.App                             : Started App
2024-03-05 14:02:11.482 [http-nio-8080-exec-3] ERROR com.shop.orders.OrderService - Failed to reserve stock
2024-03-05 14:02:11,978 INFO [main] org.apache.hadoop.mapreduce.v2.app.MRAppMaster: Created MRAppMaster
2024-03-05 14:02:11,978 WARN org.apache.Foo:88 - retrying: attempt 3
2024-03-05 14:02:11,482 - shop.payments - ERROR - charge failed: card declined
ERROR:shop.payments:charge failed
2024-03-05T14:02:11.482Z\tinfo\tshop/orders\tcreated order 42
[2024-03-05T14:02:11,482][WARN ][o.e.c.r.a.DiskThresholdMonitor] [node-1] high disk watermark exceeded
I0305 14:02:11.482113    2211 controller.go:114] Syncing deployment shop/orders
2024/03/05 14:02:11 server.go:88: http: TLS handshake error from 10.0.0.5:51234: EOF
2024-03-05 14:02:11 ERROR - - -: a line that several formats nearly read
not a log line at all
"""


def _lines() -> pd.Series:
    lines = LINES.replace("\\t", "\t").splitlines()
    for path in sorted(SAMPLES.glob("*/logs/**/*")):
        if path.is_file():
            opener = gzip.open if path.suffix == ".gz" else open
            with opener(path, "rt", encoding="utf-8", errors="replace") as fh:
                lines += fh.read().splitlines()[:400]
    return pd.Series(lines, dtype="str")


def _whole(lines: pd.Series, pattern: str) -> pd.DataFrame:
    """What RE2 extracts with the whole pattern, rows that match only."""
    found = pc.extract_regex(as_arrow(lines), pattern)
    valid = np.asarray(found.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
    index = lines.index[valid]
    found = found.filter(valid)
    return pd.DataFrame({f.name: to_str_series(found.field(i), index) for i, f in enumerate(found.type)}, index=index)


def _generic_pattern() -> str:
    plan = plan_formats(["2024-03-05 14:02:11 something happened"] * 3, None, ())
    return next(f.regex for f in plan.formats if f.name == "generic")


@pytest.mark.parametrize("pattern", [f.regex for f in BUILTIN_FORMATS] + [_generic_pattern()],
                         ids=[f.name for f in BUILTIN_FORMATS] + ["generic"])
def test_fields_read_in_parts_equal_the_whole_patterns(pattern):
    lines = _lines()
    expected = _whole(lines, pattern)
    assert len(expected) >= 1  # every format reads some of the lines
    got = extract(lines, re.compile(pattern))
    pd.testing.assert_frame_equal(got, expected[list(re.compile(pattern).groupindex)])


def test_the_formats_are_read_in_parts():
    split = {f.name for f in BUILTIN_FORMATS if _split_of(f.regex) is not None}
    # (syslog5424's message is optional, so it has no head to cut off)
    assert split == {f.name for f in BUILTIN_FORMATS} - {"syslog5424"}
    assert _split_of(next(f.regex for f in BUILTIN_FORMATS if f.name == "access")).body is not None


def test_a_line_the_heads_first_match_cannot_finish_is_read_by_the_whole_pattern():
    # The lazy head first takes `a`; the body then refuses `xx1`, and the whole pattern backtracks to `ax`.
    pattern = r"^(?P<name>\S+?)(?P<message>x(?P<digit>\d))$"
    lines = pd.Series(["ax1", "axx1", "b2", "cxxx9"], dtype="str")
    got = extract(lines, re.compile(pattern))
    assert got.to_dict("index") == {0: {"name": "a", "message": "x1", "digit": "1"},
                                    1: {"name": "ax", "message": "x1", "digit": "1"},
                                    3: {"name": "cxx", "message": "x9", "digit": "9"}}
    pd.testing.assert_frame_equal(got, _whole(lines, pattern)[["name", "message", "digit"]])


def test_patterns_without_a_head_to_cut_off_are_read_whole():
    assert _split_of(r"^a|(?P<x>b)(?P<message>.*)$") is None  # a top-level alternative
    assert _split_of(r"^(?P<x>\w+) (?P<message>.*) end$") is None  # text after the message
    assert _split_of(r"(?P<x>\w+) (?P<message>.*)$") is None  # not anchored
    lines = pd.Series(["a", "bcd", "zz"], dtype="str")
    got = extract(lines, re.compile(r"^a|(?P<x>b)(?P<message>.*)$"))
    assert got.index.tolist() == [0, 1]
    assert got.loc[1].tolist() == ["b", "cd"]


def test_a_body_that_ends_with_anything_is_matched_only_as_far_as_it_must_be():
    # `x.*$` ends the match early; in `a|x.*` the `.*` belongs to one alternative and cannot be dropped.
    pattern = r"^(?P<name>\w+) (?P<message>(?P<kind>a)|(?P<other>x).*)$"
    lines = pd.Series(["n a", "n ab", "n xyz", "n x"], dtype="str")
    got = extract(lines, re.compile(pattern))
    assert got.index.tolist() == [0, 2, 3]
    pd.testing.assert_frame_equal(got, _whole(lines, pattern)[["name", "message", "kind", "other"]])


def test_a_line_holding_a_newline_is_refused_as_by_the_whole_pattern():
    # `.` never matches a newline; inside a Docker `log` value a line may hold one, and reading in parts took it.
    pattern = r"^(?P<t>\d+) (?P<message>.*)$"
    lines = pd.Series(["1 a\nb", "2 c"], dtype="str")
    got = extract(lines, re.compile(pattern))
    assert got.index.tolist() == [1]
    pd.testing.assert_frame_equal(got, _whole(lines, pattern)[["t", "message"]])


def test_a_body_that_looks_behind_its_start_is_read_whole():
    # On the message alone `\b` would see no letter before `x`; in the line it sees `R`, and there is no boundary.
    pattern = r"^(?P<level>[A-Z]+)(?P<message>\bx.*)$"
    assert _split_of(pattern) is None
    lines = pd.Series(["ERRORx", "ERROR x"], dtype="str")
    assert extract(lines, re.compile(pattern)).empty
