"""Markdown escaping: log text must show as written on GitHub, GitLab and Jira, never as markup or HTML.

Text from logs goes in code spans or fenced blocks, whose fence is made longer than any backtick run inside, so no
content can close it. Prose that may carry log text is backslash-escaped (CommonMark allows it before any ASCII
punctuation). Table cells are kept on one line with their pipes escaped, which GFM honours inside code spans too.
"""

from __future__ import annotations

import re

from markupsafe import Markup, escape

_SPECIAL = re.compile(r"([\\`*_\[\]<>|~])")
_LINE_START = re.compile(r"^(\d{0,9})((?<=\d)[.)]|(?<!\d)(?:#{1,6}|[+\-]))(?=\s|$)")  # `## x` is a heading too
_NEWLINES = re.compile(r"\s*[\r\n]+\s*")


def md_text(value: object) -> str:
    """Inline prose: markup characters escaped, line breaks folded."""
    return _escape(_one_line(value), at_line_start=True)


def _escape(text: str, at_line_start: bool) -> str:
    escaped = _SPECIAL.sub(r"\\\1", text)
    if not at_line_start:
        return escaped
    # block markers only act at the start of a line; a template may put prose there
    return _LINE_START.sub(lambda m: m.group(1) + "\\" + m.group(2), escaped)


_CODE_SPAN = re.compile(r"`([^`\n]+)`")


def md_prose(value: object, cell: bool = False) -> str:
    """Prose from the analyzer, which quotes identifiers `like this`: those stay code spans, the rest is escaped.
    `cell=True` for a table cell."""
    text = _one_line(value)
    parts, cursor = [], 0
    for match in _CODE_SPAN.finditer(text):
        parts.append(_escape(text[cursor : match.start()], at_line_start=cursor == 0))
        parts.append(md_code(match.group(1), cell=cell))
        cursor = match.end()
    parts.append(_escape(text[cursor:], at_line_start=cursor == 0))
    return "".join(parts)


def html_prose(value: object) -> Markup:
    """The same for HTML: everything escaped, backtick-quoted identifiers shown as <code>."""
    text = escape(str(value if value is not None else ""))
    return Markup(_CODE_SPAN.sub(lambda m: f"<code>{m.group(1)}</code>", str(text)))


def md_code(value: object, cell: bool = False) -> str:
    """An inline code span that no content can break out of; `cell=True` for a table cell."""
    text = _one_line(value)
    if not text:
        return ""
    fence = "`" * (_longest_backtick_run(text) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or (text.startswith(" ") and text.strip()) else ""
    span = f"{fence}{pad}{text}{pad}{fence}"
    return span.replace("|", "\\|") if cell else span


def md_block(value: object, lang: str = "text") -> str:
    """A fenced code block holding the text exactly, multi-line stack traces included."""
    text = str(value if value is not None else "").replace("\r\n", "\n").rstrip("\n")
    fence = "`" * max(3, _longest_backtick_run(text) + 1)
    return f"{fence}{lang}\n{text}\n{fence}"


def md_link(label: str, url: str | None) -> str:
    """A link when there is a URL (already vetted by links.safe_url), else just the label."""
    if not url:
        return label
    return f"[{label}](<{url.replace('>', '%3E').replace(' ', '%20')}>)"


def _one_line(value: object) -> str:
    return _NEWLINES.sub(" ⏎ ", str(value if value is not None else "")).strip()


def _longest_backtick_run(text: str) -> int:
    runs = re.findall(r"`+", text)
    return max((len(r) for r in runs), default=0)
