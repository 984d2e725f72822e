"""Markdown escaping: log text shows as written and can never turn into markup."""

from __future__ import annotations

import pytest
from markdown_it import MarkdownIt

from reports.markdown import md_block, md_code, md_link, md_text

RENDER = MarkdownIt("commonmark", {"html": True}).enable("table")


@pytest.mark.parametrize(
    "text",
    ["charge failed <*> for *user* _x_", "1. not a list", "# not a heading", "- not an item", "a | b", "[x](y)",
     "<b>bold</b>", "~~gone~~", "back\\slash"],
)
def test_prose_renders_as_the_same_text(text):
    rendered = RENDER.renderInline(md_text(text))
    assert rendered == text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def test_code_span_survives_backticks_and_pipes_in_a_cell():
    span = md_code("a `tick` and ``two`` | pipe", cell=True)
    table = f"| h |\n|---|\n| {span} |\n"
    assert "<code>a `tick` and ``two`` | pipe</code>" in RENDER.render(table)


def test_code_span_folds_newlines():
    assert "\n" not in md_code("line one\nline two")


def test_block_cannot_be_closed_by_its_content():
    text = "before\n```\n# inside\n````\nafter"
    rendered = RENDER.render(md_block(text) + "\n\n## After\n")
    assert rendered.count("<pre>") == 1 and "<h2>After</h2>" in rendered and "<h1>" not in rendered


def test_link_only_with_a_url():
    assert md_link("x", None) == "x"
    assert RENDER.renderInline(md_link("`abc`", "https://github.com/a/b/commit/abc")) == \
        '<a href="https://github.com/a/b/commit/abc"><code>abc</code></a>'


def test_prose_keeps_the_analyzers_code_spans():
    from reports.markdown import html_prose, md_prose

    text = "the diff shares `pool.connection` and `a|b` with <x> *y*"
    assert RENDER.renderInline(md_prose(text)) == \
        "the diff shares <code>pool.connection</code> and <code>a|b</code> with &lt;x&gt; *y*"
    assert "`a\\|b`" in md_prose(text, cell=True)
    assert str(html_prose("`<b>` & `x`")) == "<code>&lt;b&gt;</code> &amp; <code>x</code>"
    assert RENDER.renderInline(md_prose("un`balanced <b>")) == "un`balanced &lt;b&gt;"
