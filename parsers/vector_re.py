"""Regular expressions over whole columns of lines, run by RE2 through Arrow.

pandas hands any pattern with `\\s`, `\\S` (and `\\w`, `\\d`, `\\b` on non-ASCII text) to Python's `re`, one line at a
time, because RE2's classes are ASCII-only; for log headers that is the behaviour we want anyway, so these
helpers call Arrow directly and fall back to pandas only for what RE2 cannot run (lookarounds).
"""

from __future__ import annotations

import re

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


def extract(lines: pd.Series, regex: re.Pattern) -> pd.DataFrame:
    """`lines.str.extract(regex)` for the rows that match (named groups as columns, same index)."""
    names = list(regex.groupindex)
    if lines.empty:
        return pd.DataFrame({n: pd.Series([], dtype="str") for n in names}, index=lines.index[:0])
    try:
        found = pc.extract_regex(as_arrow(lines), regex.pattern)
    except _RE2_REFUSES:
        groups = lines.str.extract(regex)
        key = "message" if "message" in groups else names[0]
        return groups[groups[key].notna()]
    valid = found.is_valid()
    index = lines.index[np.asarray(valid.to_numpy(zero_copy_only=False), dtype=bool)]
    found = found.filter(valid)
    return pd.DataFrame({f.name: to_str_series(found.field(i), index) for i, f in enumerate(found.type)}, index=index)
