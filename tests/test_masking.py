"""Masking edge cases: what is a variable in any system gets masked, what a template needs stays."""

import pandas as pd
import pytest

from analyzer.masking import mask_message, mask_messages


@pytest.mark.parametrize(
    "message, expected",
    [
        # IPs with and without ports, and Java's leading slash, are one value each.
        ("connect to 10.251.73.220:50010 failed", "connect to <*> failed"),
        ("Received connection request /10.10.34.11:45307", "Received connection request <*>"),
        # A version string is not an IP, however many parts it has: one value, not `<*>.5`.
        ("upgraded to 1.2.3.4.5 today", "upgraded to <*> today"),
        ("Loaded Servicing Stack v6.1.7601.23505 now", "Loaded Servicing Stack <*> now"),
        # Words that merely contain digits are template words.
        ("ActivityRecord u0 on x86 with 4G/4G mapped", "ActivityRecord u0 on x86 with 4G/4G mapped"),
        ("using HTTP/1.1 and log4j", "using HTTP/1.1 and log4j"),
        # Numbered instances (a long or zero-padded number after letters) are values: one per user, host, disk...
        ("Started Session 12 of user user02280.", "Started Session <*> of user <*>."),
        ("ping host0042 and storage1231 via node007", "ping <*> and <*> via <*>"),
        # ...while names carrying a short number are words, whatever their case.
        *[(words, words) for words in ["sha256 on i386 ext4 Win32 utf8 x86_64 amd64 e820 ssh2 md5"]],
        # Generated ids that are not hex alternate letters and digits; names with digits in them alternate less.
        ("pod checkout-7d9f8b6c5-x2k9p ready, session aB3dE5fG7h", "pod checkout-<*>-<*> ready, session <*>"),
        *[(words, words) for words in ["log4j2 mp4v2 utf16le i18n k8s e2e a11y ipv6 h264 md5sum base64url"]],
        # Identifiers glued to numbers by underscores are variable as a whole.
        ("Deleting block blk_-6952295868487656571 now", "Deleting block <*> now"),
        ("Block broadcast_39 stored", "Block <*> stored"),
        # Booleans and nulls are values wherever they stand; `None` only as a key's value (it is also a word).
        ("setLightsOn(true) canceled false ws=null", "setLightsOn(<*>) canceled <*> ws=<*>"),
        ("result=None but None of them", "result=<*> but None of them"),
        # key=value keeps its key.
        ("uid=0 euid=1000 tty=ssh", "uid=<*> euid=<*> tty=ssh"),
        ("Times: total = 39, boot = -103", "Times: total = <*>, boot = <*>"),
        ("generating core.2275", "generating core.<*>"),
        # Hex: 0x-prefixed always, bare only when long enough not to be a word.
        ("at 0x00e462c0, mask 0x02", "at <*>, mask <*>"),
        ("iar 001064fc dear 0245b64c", "iar <*> dear <*>"),
        ("a decade of cafe", "a decade of cafe"),
        ("uuid 123e4567-e89b-12d3-a456-426614174000 done", "uuid <*> done"),
        ("sizes 9.2 KB and 10 MB, took 35ms", "sizes <*> and <*>, took <*>"),
        # The kernel writes kilobytes with a small k.
        (
            "Killed process 4242 (java) total-vm:1048576kB, anon-rss:20kB",
            "Killed process <*> (java) total-vm:<*>, anon-rss:<*>",
        ),
        ("see https://example.com/a/b?c=1 or mail ops@example.com", "see <*> or mail <*>"),
        ("workerEnv.init() ok /etc/httpd/conf/workers2.properties", "workerEnv.init() ok <*>"),
        ("connection at Sun Jul 24 02:38:22 2005 from x", "connection at <*> from x"),
        ("started 2016-09-28 04:30:31.455 ok", "started <*> ok"),
        ("", ""),
        # Access logs: the status keeps its class (a 504 is not a 200), the user agent and query are variables.
        (
            '"GET /search?q=trail&page=2 HTTP/1.1" 504 0 "https://shop.example.com/" "Mozilla/5.0 (X11; Linux '
            'x86_64; rv:123.0) Gecko/20100101 Firefox/123.0"',
            '"GET <*> HTTP/1.1" 5xx <*> "<*>" "<*>"',
        ),
        ('"POST /api/cart HTTP/1.1" 201 17 "-" "curl/8.1.2"', '"POST <*> HTTP/1.1" 2xx <*> "-" "<*>"'),
        (
            "sync failed: HTTP 503 from feed, status=404, status code 500",
            "sync failed: HTTP 5xx from feed, status=4xx, status code 5xx",
        ),
        ("retried 503 times, status 12345", "retried <*> times, status <*>"),
        # The status shares its pass with addresses, paths and numbers around it; each keeps its own meaning.
        ("upstream 10.0.0.1:80 status: 502 after 30ms", "upstream <*> status: 5xx after <*>"),
        ('"GET /a/b HTTP/1.1" 404 12 "-" "-"', '"GET <*> HTTP/1.1" 4xx <*> "-" "-"'),
        ("Status 200 for /v1/items=7", "Status 2xx for <*>"),
    ],
)
def test_masking_edge_cases(message, expected):
    assert mask_message(message) == expected


def test_vectorised_masking_equals_one_by_one_and_keeps_the_index():
    messages = pd.Series(["port 8080 open", "user 42 from 10.0.0.1", "no digits here"], index=[5, 7, 9])
    masked = mask_messages(messages)
    assert masked.index.tolist() == [5, 7, 9]
    assert masked.tolist() == [mask_message(m) for m in messages]


def test_missing_messages_become_empty():
    assert mask_messages(pd.Series(["a 1", None], dtype="object")).tolist() == ["a <*>", ""]


def test_a_stack_trace_is_mined_as_its_message_and_final_exception():
    import pyarrow as pa

    from analyzer.masking import event_text

    events = pa.array(
        [
            "charge failed\njava.lang.IllegalStateException: x\n\tat a.B.c(B.java:1)\nCaused by: java.io.IOException: "
            "reset\n\tat d.E.f(E.java:9)\n\t... 3 more",
            'boom\nTraceback (most recent call last):\n  File "x.py", line 3, in <module>\nValueError: bad\n',
            "just frames\n\tat a.B.c(B.java:1)",
            "one line",
        ]
    )
    assert event_text(events).to_pylist() == [
        "charge failed Caused by: java.io.IOException: reset",
        "boom ValueError: bad",
        "just frames",
        "one line",
    ]
    # Only multi-line rows are rewritten; the others, missing ones included, come back as they were, in order.
    chunked = pa.chunked_array([pa.array(["one line", None]), pa.array(["x\n\tat a.B.c(B.java:1)\nE: y", "z"])])
    assert event_text(chunked).to_pylist() == ["one line", None, "x E: y", "z"]


def test_passes_skipped_for_a_batch_still_mask_every_row_that_needs_them():
    """The status and quote passes run only for batches that may need them; the rows that do must not notice."""
    import pyarrow as pa

    from analyzer.masking import mask_array

    rows = ["job 7 done", "sync failed: status=503", "user 'bob' at 10.0.0.1", 'k="v 1"', "plain words"]
    one_by_one = [mask_message(row) for row in rows]
    assert one_by_one[1] == "sync failed: status=5xx" and one_by_one[3] == 'k="<*>"'
    assert mask_array(pa.array(rows, type=pa.large_string())).to_pylist() == one_by_one
    # Chunked, and the row needing a pass alone in its chunk.
    chunked = pa.chunked_array([pa.array(rows[:1]), pa.array(rows[1:2]), pa.array(rows[2:])])
    assert mask_array(chunked).to_pylist() == one_by_one
    # A slice whose buffer holds text outside it: the rows inside are masked as alone.
    sliced = pa.array(rows, type=pa.large_string()).slice(2, 2)
    assert mask_array(sliced).to_pylist() == one_by_one[2:4]
    sliced = pa.array(rows, type=pa.large_string()).slice(0, 1)
    assert mask_array(sliced).to_pylist() == one_by_one[:1]


def test_the_last_pass_runs_on_distinct_texts_yet_every_row_gets_its_own_result():
    import pyarrow as pa

    from analyzer.masking import mask_array

    rows = []
    for n in range(60):  # many raw texts that collapse to three masked ones, interleaved, plus missing values
        rows += [f'user {n} said k="v {n}"', f"took {n}ms for job {n}", None if n % 7 == 0 else f"k='x{n}' ok"]
    masked = mask_array(pa.array(rows, type=pa.large_string())).to_pylist()
    assert len(masked) == len(rows)
    assert masked == [None if row is None else mask_message(row) for row in rows]
    assert set(masked) == {'user <*> said k="<*>"', "took <*> for job <*>", "k='<*>' ok", None}
