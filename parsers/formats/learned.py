"""A text format learned from a file's own lines: which leading fields are header, and which is which.

Many logs are "some header fields, then the message": `081109 203615 148 INFO dfs.DataNode: msg`,
`- 1117838570 2005.06.03 R02-M1 2005-06-03-15.42.50.675872 R02-M1 RAS KERNEL INFO msg`, `[time] [level] msg`.
Rather than a rule per system, each line of a sample is split into typed tokens (timestamp, level, bracket,
`component:`, number, separator, word). The positions whose type is the same on nearly all header lines form
the header, cut after the last position that is header-like by its type (a timestamp, a level, a bracket, a
`name:` token, a number, a separator, or a word padded into a column) — a plain word is header only when such a
field follows it. The result is one regular expression, applied to whole columns like any other format.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

import pandas as pd

from parsers.formats.base import fields_frame
from parsers.vector_re import extract, replace
from parsers.formats.levels import LEVEL_REGEX, normalise_levels
from parsers.timestamps import SPEC_BY_NAME, SPECS, TimeContext, parse_times, without_lookarounds

_END = r"(?=[\s|]|$)"  # `|` separates fields as whitespace does (`time|component|pid|message`)
_KIND_PATTERNS: dict[str, str] = {}
for _spec in SPECS:
    _KIND_PATTERNS["T:" + _spec.name] = r"\[?(?:" + _spec.regex + r")\]?,?"
_KIND_PATTERNS.update(
    {
        "L": r"[\[<]?(?:" + LEVEL_REGEX + r")[\]>]?:?",
        "B": r"(?:\[(?:[^\[\]]|\[[^\[\]]*\])*\]|\((?:[^()]|\([^()]*\))*\)):?",
        "S": r"(?:-{1,3}|:|>{1,2}|[*#.])",  # separators; Redis marks its levels with . - * #
        "N": r"#?\d+(?:#\d+)?:?",
        "C": r"(?:[^\s\[\]|]*\[[^\]\s]*\]|[^\s\[\]|]*[^\s:\[\]|]):",
        "W": r"[^\s|]+",
    }
)
_KINDS = list(_KIND_PATTERNS)
# One alternation, tried in the order above (the first kind that reads the whole token wins): one match per
# token instead of one per kind.
_TOKEN = re.compile(r"[\s|]*(?:" + "|".join(f"(?P<k{i}>{_KIND_PATTERNS[k]}){_END}" for i, k in enumerate(_KINDS)) + ")")
_STRONG = ("T", "L", "B", "C", "S", "N", "W2")
_MAX_TOKENS = 14
_CONSISTENT = 0.9  # share of header lines that must agree on a position's type
_MIN_HEADER_LINES = 0.3  # share of lines that must open like the header at all


def tokenize(line: str) -> list[str]:
    """The kinds of a line's leading tokens (`W2` is a word followed by 2+ spaces: a padded column)."""
    kinds: list[str] = []
    pos, end = 0, len(line)
    while pos < end and len(kinds) < _MAX_TOKENS:
        found = _TOKEN.match(line, pos)
        if not found:
            break
        kind = _KINDS[int(found.lastgroup[1:])]
        pos = found.end()
        if kind == "W" and line.startswith("  ", pos) and pos + 2 < end and not line[pos:].isspace():
            kind = "W2"
        kinds.append(kind)
    return kinds


def _is_strong(kind: str) -> bool:
    return kind.startswith("T:") or kind in _STRONG


@dataclass(frozen=True)
class HeaderShape:
    kinds: tuple[str, ...]  # the modal kind of each header position
    variants: tuple[tuple[str, ...], ...]  # every kind seen at each position on header lines


def learn_shape(sample: list[str]) -> HeaderShape | None:
    """The header shared by most lines of the sample, or None when there is none worth the name."""
    # A line of only characters tokenize skips (control bytes, say) has no tokens and no header.
    token_lists = [tokens for tokens in (tokenize(line) for line in sample if line.strip()) if tokens]
    if not token_lists:
        return None
    first = Counter(tokens[0] for tokens in token_lists)
    opener, count = first.most_common(1)[0]
    if count < _MIN_HEADER_LINES * len(token_lists):
        return None
    header_lines = [tokens for tokens in token_lists if tokens[0] == opener]
    modal: list[str] = []
    for position in range(_MAX_TOKENS):
        seen = Counter(tokens[position] if position < len(tokens) else "END" for tokens in header_lines)
        kind, agree = seen.most_common(1)[0]
        if kind in ("L", "C", "B") and seen["L"]:
            # A level on most lines and a label on others: `LOG:` / `DETAIL:` (PostgreSQL, ends the header),
            # `[Warning]` / `[System]` (MySQL).
            agree = seen["L"] + seen["C"] + seen["B"]
        if kind == "END" or agree < _CONSISTENT * len(header_lines):
            break
        modal.append(kind)
        if kind == "C" or (kind == "L" and seen["C"]):  # a `component:` token closes the header
            break
    strong = [i for i, kind in enumerate(modal) if _is_strong(kind)]
    if not strong:
        return None
    cut = strong[-1] + 1
    kinds = tuple(modal[:cut])
    if not any(k.startswith("T:") or k == "L" for k in kinds):
        return None
    return HeaderShape(kinds, _variants(kinds, token_lists))


def _variants(kinds: tuple[str, ...], token_lists: list[list[str]]) -> tuple[tuple[str, ...], ...]:
    """Every kind seen at each header position on lines that differ from the shape in one position at most
    (a label column that is `-` on most lines and a word on some, for instance)."""
    seen: list[set[str]] = [{kind} for kind in kinds]
    for tokens in token_lists:
        if len(tokens) < len(kinds):
            continue
        differing = [i for i, kind in enumerate(kinds) if tokens[i] != kind]
        if len(differing) == 1 and not kinds[differing[0]].startswith("T:"):
            seen[differing[0]].add(tokens[differing[0]])
    return tuple(tuple(sorted(s)) for s in seen)


def _position_regex(position: int, variants: tuple[str, ...]) -> str:
    patterns = []
    for kind in variants:
        # Without lookarounds the pattern runs in RE2; the gap or end that must follow stands in for them.
        patterns.append(without_lookarounds(_KIND_PATTERNS["W" if kind == "W2" else kind]))
    return r"(?P<f" + str(position) + r">" + "|".join(f"(?:{p})" for p in patterns) + r")"


_GAP = r"(?:\s*\|\s*|\s+)"


class LearnedFormat:
    """A header shape learned from one file, read like a RegexFormat."""

    name = "text"
    description = "text with a header learned from the file (timestamp, level, host, pid, component ...)"

    def __init__(self, shape: HeaderShape):
        self.shape = shape
        parts = []
        for position, variants in enumerate(shape.variants):
            gap = r"\s{2,}" if shape.kinds[position] == "W2" else _GAP
            parts.append(_position_regex(position, variants) + (gap if position < len(shape.variants) - 1 else ""))
        self.regex = re.compile(r"^\s*" + "".join(parts) + r"(?:" + _GAP + r"|$)(?P<message>.*)$")
        self._roles = self._assign_roles(shape.kinds)
        self.time_spec = shape.kinds[self._roles["time"]][2:] if "time" in self._roles else None

    @staticmethod
    def _assign_roles(kinds: tuple[str, ...]) -> dict[str, int]:
        roles: dict[str, int] = {}
        times = [(SPEC_BY_NAME[k[2:]].rank, -i, i) for i, k in enumerate(kinds) if k.startswith("T:")]
        if times:
            roles["time"] = max(times)[2]
        levels = [i for i, k in enumerate(kinds) if k == "L"]
        if levels:
            roles["level"] = levels[0]
        after_level = levels[0] + 1 if levels else -1
        for wanted in ("C", "W2", "W after level", "B"):
            if wanted == "W after level":
                found = [after_level] if 0 <= after_level < len(kinds) and kinds[after_level] == "W" else []
            else:
                found = [i for i, k in enumerate(kinds) if k == wanted]
            if found:
                roles["logger"] = found[-1]
                break
        if "time" in roles and "C" in kinds:
            after = roles["time"] + 1
            if after < len(kinds) and kinds[after] in ("W", "W2") and roles.get("logger") != after:
                roles["host"] = after
        return roles

    def count(self, lines: pd.Series) -> int:
        return len(extract(lines, self.regex))

    def parse(self, lines: pd.Series, ctx: TimeContext) -> pd.DataFrame:
        groups = extract(lines, self.regex)
        out: dict[str, pd.Series] = {}
        if groups.empty:
            return fields_frame(groups.index)
        roles = self._roles
        if "time" in roles:
            raw = groups[f"f{roles['time']}"].str.strip("[],")
            out["time"] = parse_times(raw, self.time_spec, ctx)
        if "level" in roles:
            out["level"] = normalise_levels(groups[f"f{roles['level']}"])
        if "logger" in roles:
            text = groups[f"f{roles['logger']}"].fillna("").astype("str")
            out["logger"] = replace(replace(replace(text, r":$", ""), r"\[\d+\]$", ""), r"^\[|\]$", "")
        if "host" in roles:
            out["host"] = groups[f"f{roles['host']}"].fillna("").astype("str")
        out["message"] = groups["message"].astype("str").str.strip()
        return fields_frame(groups.index, out)


def learn_format(sample: list[str]) -> LearnedFormat | None:
    shape = learn_shape(sample)
    return LearnedFormat(shape) if shape else None


