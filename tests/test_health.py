"""--health describes files by counts and shapes, never by their content."""

import pandas as pd

from analyzer.health import collect_health, health_table, shape_of
from parsers.records import EventBatch, SourceStats


def test_shape_hides_words_and_numbers_but_keeps_structure():
    shapes = shape_of(pd.Series(["[2026-11-20 14:02:11,334] token=sk_live_4eC39HqLyjWDarjtT1 user=alice\n\tat x", "Zürich 42"]))
    assert shapes.tolist() == ["[9-9-9 9:9:9,9] a=a_a_9a9a9 a=a", "a 9"]


def test_health_counts_formats_multiline_and_unparsed_shapes_without_content():
    stats = SourceStats(path="logs/api/app.log", format="python", service="api", lines=5, lines_unparsed=2)
    events = pd.DataFrame({
        "message": ["started", "Traceback ...\n  File \"x.py\", line 3\nKeyError: 'secret-value'", "??? garbage 123", "??? garbage 456"],
        "format": ["python", "python", "python", "python"],
        "lines": [1, 3, 1, 1],
        "parsed": [True, True, False, False],
    })
    rows = health_table(collect_health([EventBatch(stats, events, last=True)]))
    assert rows[0]["events"] == 4 and rows[0]["multiline_events"] == 1
    assert rows[0]["unparsed_shapes"] == {"??? a 9": 2}
    assert "secret-value" not in repr(rows) and "garbage" not in repr(rows)
