"""Custom formats a user declares: `[formats.NAME]` in logrca.toml, or `[tool.logrca.formats.NAME]` in
pyproject.toml, each a regex with named groups (`message` required; `time`, `level`, `logger`, `host`,
`service`, `trace_id` optional) and optionally a strftime `time_format` (else the time shape is detected)."""

from __future__ import annotations

import os
import re
import tomllib

from parsers.errors import UserError
from parsers.formats.base import RegexFormat

_DEFAULT_FILES = ("logrca.toml", "pyproject.toml")


def find_config(config_path: str | None) -> str | None:
    if config_path:
        if not os.path.isfile(config_path):
            raise UserError(f"The config file {config_path} does not exist; check the path given to --config.")
        return config_path
    for name in _DEFAULT_FILES:
        if os.path.isfile(name):
            return name
    return None


def load_custom_formats(config_path: str | None) -> tuple[RegexFormat, ...]:
    """The custom formats declared in the config (none when there is no config)."""
    path = find_config(config_path)
    if path is None:
        return ()
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        if config_path is None and os.path.basename(path) == "pyproject.toml":
            return ()  # someone else's project file, found by chance in the working directory
        raise UserError(f"The config file {path} could not be read ({exc}); fix its TOML syntax.") from None
    table = data.get("tool", {}).get("logrca", {}) if os.path.basename(path) == "pyproject.toml" else data
    formats = table.get("formats", {}) if isinstance(table, dict) else {}
    if not isinstance(formats, dict):
        raise UserError(f"In {path}, `formats` must be a table of named formats, each with a `regex`.")
    return tuple(_custom_format(path, name, spec) for name, spec in formats.items())


def _custom_format(path: str, name: str, spec) -> RegexFormat:
    if not isinstance(spec, dict) or not isinstance(spec.get("regex"), str):
        raise UserError(f"In {path}, the format {name!r} needs a `regex` string with named groups.")
    try:
        compiled = re.compile(spec["regex"])
    except re.error as exc:
        raise UserError(f"In {path}, the regex of format {name!r} is invalid ({exc}); fix it.") from None
    if "message" not in compiled.groupindex:
        raise UserError(f"In {path}, the regex of format {name!r} needs a named group `message`.")
    time_format = spec.get("time_format")
    if time_format is not None and not isinstance(time_format, str):
        raise UserError(f"In {path}, `time_format` of format {name!r} must be a strftime string like %Y-%m-%d %H:%M:%S.")
    return RegexFormat(name, spec["regex"], time_spec="mixed", description=spec.get("description", "custom format"),
                       time_format=time_format)
