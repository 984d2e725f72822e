"""The Jinja environments for the postmortem templates, with a team's own templates taking precedence.

`--template DIR` puts DIR first on the search path: a team may override postmortem.md.j2, postmortem.html.j2 or
both, and may `{% extends "default/postmortem.md.j2" %}` to change only some blocks.
"""

from __future__ import annotations

from pathlib import Path

import jinja2

from parsers.errors import UserError
from reports.context import format_clock, format_duration, format_time
from reports.markdown import html_prose, md_block, md_code, md_link, md_prose, md_text

DEFAULT_TEMPLATES = Path(__file__).resolve().parent / "templates"
MARKDOWN_TEMPLATE = "postmortem.md.j2"
HTML_TEMPLATE = "postmortem.html.j2"


def environment(template_dir: Path | None, html: bool) -> jinja2.Environment:
    """HTML autoescapes everything (log text can hold `<script>`); Markdown escapes through its md_* filters."""
    loaders: list[jinja2.BaseLoader] = []
    if template_dir is not None:
        template_dir = Path(template_dir).expanduser()
        if not template_dir.is_dir():
            raise UserError(f"The template directory {template_dir} does not exist or is not a directory.")
        loaders.append(jinja2.FileSystemLoader(str(template_dir)))
    loaders.append(jinja2.FileSystemLoader(str(DEFAULT_TEMPLATES)))
    loaders.append(jinja2.PrefixLoader({"default": jinja2.FileSystemLoader(str(DEFAULT_TEMPLATES))}))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=html,
        undefined=jinja2.ChainableUndefined,  # a team template naming a field we lack renders empty, not a crash
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        utc=format_time,
        clock=format_clock,
        duration=format_duration,
        rate=format_rate,
        md=md_text,
        code=md_code,
        block=md_block,
        link=md_link,
        excerpt=excerpt,
        prose=html_prose if html else md_prose,
    )
    return env


def render(template_dir: Path | None, name: str, html: bool, **context: object) -> str:
    env = environment(template_dir, html)
    try:
        return env.get_template(name).render(**context)
    except jinja2.TemplateNotFound as exc:
        raise UserError(f"The report template {exc.name} was not found in {template_dir or DEFAULT_TEMPLATES}.") from exc
    except jinja2.TemplateSyntaxError as exc:
        raise UserError(f"The report template {exc.filename or name} has a syntax error on line {exc.lineno}: "
                        f"{exc.message}.") from exc


def format_rate(value: float | None) -> str:
    if value is None:
        return "—"
    if value < 1:
        return f"{value:.2f}/min"
    return f"{value:.1f}/min" if value < 100 else f"{value:.0f}/min"


def excerpt(text: str | None, max_lines: int = 40, max_chars: int = 4000) -> str:
    """A quoted log event cut to a readable size (a 2,000-frame stack trace or a 1 MB line would bury the
    report); the cut is said, never silent."""
    text = text or ""
    lines = text.split("\n")
    cut_lines = max(0, len(lines) - max_lines)
    kept = "\n".join(lines[:max_lines])
    cut_chars = max(0, len(kept) - max_chars)
    if cut_chars:
        kept = kept[:max_chars]
    if not cut_lines and not cut_chars:
        return text
    what = f"{cut_lines} more lines" if cut_lines else f"{cut_chars} more characters"
    return f"{kept}\n… ({what} not shown; see the file)"
