"""Masking: replace the parts of a message that are obviously variable with `<*>` before Drain sees it.

Masking makes Drain's job easier (fewer distinct token sequences, so fewer clusters and a shorter tree), but
every mask that fires on a constant part of a template costs accuracy. So the rules here mask only what is
variable in any system: addresses, ids, numbers, times, paths, sizes, durations. Words that merely contain a
digit (`u0`, `x86`, `HTTP/1.1`'s `HTTP`, `4G`) are left alone; Drain generalises them if they vary.

The rules run vectorised over a whole column with pyarrow's RE2 engine (linear time, no backtracking), so they are
written in the subset of regex syntax that RE2 accepts: no look-around, no back-references in patterns.
Each rule is `(pattern, replacement)`; a replacement may restore a delimiter the pattern consumed with `\\1`
(RE2 has no look-behind, so a rule that must start after a delimiter eats it and writes it back).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

WILDCARD = "<*>"

_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
_WEEKDAY = r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)"
# Where a free-standing value may begin: start of text, space, an opening/assigning punctuation mark, or the dot
# after a word (`core.2275`, but not the `.1` of `HTTP/1.1`).
_START = r"(^|[\s=:,;(\[{<>'\"|@#]|[A-Za-z_]\.)"
# Where it must end: end of text, space, or closing/separating punctuation (a full stop included).
_END = r"(?:$|[\s,;:)\]}>'\"|.!?]|\.\s|\.$)"


# A run of 6+ hex characters with at least one digit (RE2 has no look-ahead, so: one branch per count of letters
# before the first digit).
_HEX_WITH_DIGIT = [rf"[a-fA-F]{{{k}}}\d[a-fA-F\d]{{{max(5 - k, 0)},}}" for k in range(6)] + [r"[a-fA-F]{6,}\d[a-fA-F\d]*"]


@dataclass(frozen=True)
class MaskRule:
    name: str
    pattern: str
    replacement: str = WILDCARD


# Order matters: the wider shapes (a URL holds an IP and a path) go first, bare numbers last.
MASK_RULES: tuple[MaskRule, ...] = (
    MaskRule("url", r"\b[A-Za-z][A-Za-z0-9+.\-]*://[^\s\"'<>()\[\]{},;]+"),
    MaskRule("email", r"\b[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}\b"),
    MaskRule("uuid", r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b"),
    MaskRule(
        "datetime",
        r"\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?\b",
    ),
    MaskRule("syslog_time", rf"\b{_WEEKDAY} {_MONTH} +\d{{1,2}} \d{{2}}:\d{{2}}:\d{{2}}(?: \d{{4}})?\b"),
    MaskRule("clock_time", r"\b\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?\b"),
    # A host name with a port (`msra-sa-41:8030`, `db.internal:5432`, Java's `host/10.0.0.1:80`): one address.
    # The name needs a dot or a dash so that `key:123` stays a key and a value.
    MaskRule("host_port", r"\b[A-Za-z][A-Za-z0-9]*(?:[.\-][A-Za-z0-9]+)+(?:/(?:\d{1,3}\.){3}\d{1,3})?:\d{2,5}\b"),
    # IPv4 with an optional port, and with the leading slash Java prints before an InetAddress.
    MaskRule("ipv4", r"(^|[^\w/.])/?(?:\d{1,3}\.){3}\d{1,3}(?::\d{1,5})?\b", r"\1" + WILDCARD),
    # ...but a dotted number with more parts is a version or an OID, not an address: take it whole.
    MaskRule("ipv4_tail", r"<\*>(?:\.\d+)+\b"),
    # Absolute paths as a whole (Unix and Windows), only where a value can begin.
    MaskRule("unix_path", _START + r"/[A-Za-z0-9._\-~+/%]*[A-Za-z0-9._\-~+%]", r"\1" + WILDCARD),
    MaskRule("windows_path", r"\b[A-Za-z]:\\[^\s\"'<>|,;]*"),
    # Values of key=value pairs that are values in any system: quoted strings, booleans and nulls, and dotted or
    # slashed names (`name=com.android.phone`). Plain words (`tty=ssh`, `state=RUNNING`) are kept: such enums
    # usually tell events apart.
    MaskRule("kv_double_quoted", r'=\s?"[^"]*"', '="' + WILDCARD + '"'),
    MaskRule("kv_single_quoted", r"=\s?'[^']*'", "='" + WILDCARD + "'"),
    MaskRule("kv_literal", r"([=:]\s?)(?:true|false|True|False|TRUE|FALSE|null|NULL|None|nil)\b", r"\1" + WILDCARD),
    MaskRule("kv_dotted", r"=[A-Za-z_][\w$\-]*[./][^\s,;)\]}\"']*", "=" + WILDCARD),
    MaskRule("hex_0x", r"\b0[xX][0-9a-fA-F]+\b"),
    # Identifiers with an underscore-separated number (blk_-123, attempt_1445_0020_m_000004_1, broadcast_9_piece0):
    # variable as a whole.
    MaskRule("id_with_number", r"\b[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]*)*_-?\d+(?:_[A-Za-z0-9]*)*\b"),
    MaskRule("size", r"\b\d+(?:\.\d+)? ?(?:[KMGTP]i?B|B|bytes|[KMGT]B/s)\b"),
    MaskRule("duration", r"\b\d+(?:\.\d+)?(?:ns|us|µs|ms|s|sec|secs|min|mins|h|hrs)\b"),
    # Hex strings of 6+ characters (hashes, object ids, addresses); shorter ones are left to Drain.
    MaskRule("hex_id", r"\b(?:" + "|".join(_HEX_WITH_DIGIT) + r")\b"),
    # Numbers (signed, decimal, dotted like versions or 1.2.3.4.5) standing on their own.
    MaskRule("number", _START + r"[-+]?(?:v\d+(?:\.\d+)+|\d+(?:[.,]\d+)*)\b", r"\1" + WILDCARD),
)


def mask_array(values: pa.Array | pa.ChunkedArray, rules: tuple[MaskRule, ...] = MASK_RULES) -> pa.ChunkedArray:
    """Apply every rule, in order, to an Arrow string array (RE2, linear time per string)."""
    out = values
    for rule in rules:
        out = pc.replace_substring_regex(out, pattern=rule.pattern, replacement=rule.replacement)
    return out


def mask_messages(messages: pd.Series) -> pd.Series:
    """The masked text of each message, same index and order. Missing messages become empty strings."""
    values = pa.array(messages.astype("str").fillna(""), type=pa.large_string())
    masked = mask_array(values)
    return pd.Series(masked.to_numpy(zero_copy_only=False), index=messages.index, dtype="str")


def mask_message(message: str) -> str:
    """The masked text of one message (the same rules as `mask_messages`; for tests and one-off use)."""
    return mask_array(pa.array([message], type=pa.large_string()))[0].as_py()
