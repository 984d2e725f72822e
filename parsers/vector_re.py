"""Regular expressions over whole columns of lines, run by RE2 through Arrow.

pandas hands any pattern with `\\s`, `\\S` (and `\\w`, `\\d`, `\\b` on non-ASCII text) to Python's `re`, one line at a
time, because RE2's classes are ASCII-only; for log headers that is the behaviour we want anyway, so these
helpers call Arrow directly and fall back to pandas only for what RE2 cannot run (lookarounds).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

_RE2_REFUSES = (pa.ArrowInvalid, pa.ArrowNotImplementedError)
_STR = pd.StringDtype("pyarrow", na_value=np.nan)  # pandas' default `str` dtype
_AS_STR = {pa.string(): _STR, pa.large_string(): _STR}.get


def to_str_series(values: pa.Array, index: pd.Index) -> pd.Series:
    """An Arrow string array as a `str` column, without copying it through Python objects."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    return pd.Series(values.to_pandas(types_mapper=_AS_STR).array, index=index, copy=False)


def as_arrow(lines: pd.Series) -> pa.Array:
    """The column's Arrow string array (no copy for pandas' Arrow-backed `str` columns)."""
    values = lines.array
    if hasattr(values, "_pa_array"):
        return pa.concat_arrays(values._pa_array.chunks) if values._pa_array.num_chunks != 1 \
            else values._pa_array.chunk(0)
    return pa.array(lines.to_numpy(dtype=object), type=pa.large_string(), from_pandas=True)


def search(lines: pd.Series, pattern: str) -> pd.Series:
    """Boolean column: does `pattern` match anywhere in the line (anchor with ^ to match at the start)."""
    if lines.empty:
        return pd.Series(False, index=lines.index, dtype=bool)
    try:
        found = pc.match_substring_regex(as_arrow(lines), pattern)
        values = found.fill_null(False).to_numpy(zero_copy_only=False)
    except _RE2_REFUSES:
        # Groups do not matter to a yes/no match, and pandas warns about them.
        plain = re.sub(r"\(\?P<\w+>", "(?:", re.sub(r"(?<!\\)\((?!\?)", "(?:", pattern))
        values = lines.str.contains(plain, regex=True, na=False).to_numpy(dtype=bool)
    return pd.Series(np.asarray(values, dtype=bool), index=lines.index)


def count(lines: pd.Series, pattern: str) -> int:
    """How many lines `pattern` matches (no groups are extracted)."""
    return int(search(lines, pattern).sum())


def fullmatch(lines: pd.Series, pattern: str) -> pd.Series:
    return search(lines, r"^(?:" + pattern + r")$")


def replace(lines: pd.Series, pattern: str, replacement: str) -> pd.Series:
    """Regex replacement (`\\1` refers to groups), as a `str` column."""
    if lines.empty:
        return lines
    try:
        replaced = pc.replace_substring_regex(as_arrow(lines), pattern, replacement)
        return to_str_series(replaced, lines.index)
    except _RE2_REFUSES:
        return lines.str.replace(pattern, replacement, regex=True)


_MESSAGE_GROUP = "(?P<message>"


def extract(lines: pd.Series, regex: re.Pattern) -> pd.DataFrame:
    """`lines.str.extract(regex)` for the rows that match (named groups as columns, same index)."""
    names = list(regex.groupindex)
    if lines.empty:
        return pd.DataFrame({n: pd.Series([], dtype="str") for n in names}, index=lines.index[:0])
    values = as_arrow(lines)
    # `.` never matches a newline, and a line holds one only inside an envelope (a Docker `log` value): such a
    # column is read by the whole pattern, which refuses the line as it always did.
    split = _split_of(regex.pattern) if not pc.any(pc.match_substring(values, "\n")).as_py() else None
    try:
        rows, found = _extract_split(values, split, regex.pattern) if split else _extract_whole(values, regex.pattern)
    except _RE2_REFUSES:
        groups = lines.str.extract(regex)
        key = "message" if "message" in groups else names[0]
        return groups[groups[key].notna()]
    index = lines.index[rows]
    return pd.DataFrame({name: to_str_series(found[name], index) for name in names}, index=index)


def _extract_whole(values: pa.Array, pattern: str) -> tuple[np.ndarray, dict[str, pa.Array]]:
    """The rows that match, and each group's values on them."""
    found = pc.extract_regex(values, pattern)
    valid = np.asarray(found.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
    found = found.filter(valid)
    return np.flatnonzero(valid), {f.name: found.field(i) for i, f in enumerate(found.type)}


@dataclass(frozen=True)
class _Split:
    """A pattern `^HEAD(?P<message>BODY)$` in its parts (body None when it is `.*`)."""

    head: str
    body: str | None


def _split_of(pattern: str) -> _Split | None:
    """The head and message body of a pattern that ends with its message group, when it can be read in parts.

    Reading in parts is much faster: RE2 extracts groups with a submatch engine that takes a step per character
    of the whole match, and the message is most of the line. So the head's groups are extracted over the head
    alone, the message is what removing the head's match leaves (one DFA scan), and a body's own groups (an
    access log's status) are extracted from the message. With leftmost-first matching, the head's first match is
    the whole pattern's whenever the body then matches too; when it does not, `_extract_split` asks the whole
    pattern for that line."""
    at = pattern.find(_MESSAGE_GROUP)
    if not pattern.startswith("^") or at < 0:
        return None
    close = _closing_paren(pattern, at)
    if close is None or pattern[close + 1 :] != "$":
        return None
    head, body = pattern[:at], pattern[at + len(_MESSAGE_GROUP) : close]
    if _has_top_level_branch(head):
        return None  # `^a|b(?P<message>.*)$` is `^a` or `b...`: no head to cut off
    if body != ".*" and _looks_behind(body):
        return None  # matched on the message alone, `\b` or `^` would not see the head's last character
    try:
        if not re.compile(head).groups:
            return None
        re.compile(body)
    except re.error:
        return None
    return _Split(head, None if body == ".*" else body)


def _extract_split(values: pa.Array, split: _Split, pattern: str) -> tuple[np.ndarray, dict[str, pa.Array]]:
    rows, found = _extract_whole(values, split.head)
    message = pc.replace_substring_regex(values.take(pa.array(rows)), pattern=f"^(?:{split.head})", replacement="")
    found["message"] = message
    if split.body is None:  # `.*` matches whatever the head leaves (lines hold no newline)
        return rows, found
    body = f"^(?:{split.body})$"
    if _ends_with_anything(split.body):  # `.*$` matches whatever is left: the match (and the work) can end before
        body = f"^(?:{split.body[:-2]})"
    if re.compile(split.body).groups:
        in_body = pc.extract_regex(message, body)
        ok = np.asarray(in_body.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
        found.update({f.name: in_body.field(i) for i, f in enumerate(in_body.type)})
    else:
        ok = np.asarray(pc.match_substring_regex(message, body).to_numpy(zero_copy_only=False), dtype=bool)
    kept = pa.array(np.flatnonzero(ok))
    rows, found = rows[ok], {name: column.take(kept) for name, column in found.items()}
    whole = np.array(pc.match_substring_regex(values, pattern).to_numpy(zero_copy_only=False), dtype=bool)
    whole[rows] = False
    if not whole.any():
        return rows, found
    # Lines whose head's first match leaves a message the body refuses, though another match of the head would
    # not: the whole pattern reads them (rare; none in a well-formed access log).
    more_rows, more = _extract_whole(values.take(pa.array(np.flatnonzero(whole))), pattern)
    more_rows = np.flatnonzero(whole)[more_rows]
    order = pa.array(np.argsort(np.concatenate([rows, more_rows]), kind="stable"))
    merged = {name: pa.concat_arrays([found[name], more[name].cast(found[name].type)]).take(order) for name in found}
    return np.sort(np.concatenate([rows, more_rows])), merged


def _ends_with_anything(pattern: str) -> bool:
    """Does the pattern end with an unescaped `.*` that closes no group (so that it can simply be dropped)?"""
    if not pattern.endswith(".*") or _has_top_level_branch(pattern):
        return False  # (in `a|b.*` the `.*` belongs to `b` alone)
    backslashes = len(pattern[:-2]) - len(pattern[:-2].rstrip("\\"))
    if backslashes % 2:
        return False
    try:
        re.compile(pattern[:-2])
    except re.error:
        return False
    return True


def _looks_behind(pattern: str) -> bool:
    r"""Does the pattern hold an assertion about the text before a position (`^`, `\A`, `\b`, `\B`) outside a class?"""
    return any(token in ("^", "\\A", "\\b", "\\B") for _, token, _ in _syntax(pattern))


def _closing_paren(pattern: str, opening: int) -> int | None:
    """Where the group opened at `opening` closes."""
    return next((at for at, token, depth in _syntax(pattern, opening) if token == ")" and depth == 0), None)


def _has_top_level_branch(pattern: str) -> bool:
    return any(token == "|" and depth == 0 for _, token, depth in _syntax(pattern))


def _syntax(pattern: str, start: int = 0) -> Iterator[tuple[int, str, int]]:
    """(position, token, group depth after it) for each character or escape outside character classes, from
    `start`; the depth counts the groups opened since `start`."""
    depth, in_class, i = 0, False, start
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            if not in_class:
                yield i, pattern[i : i + 2], depth
            i += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
            if pattern[i + 1 : i + 2] == "^":
                i += 1
            if pattern[i + 1 : i + 2] == "]":
                i += 1  # a `]` first in a class is a character
        else:
            depth += (char == "(") - (char == ")")
            yield i, char, depth
        i += 1
