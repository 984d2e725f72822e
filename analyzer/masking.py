"""Masking: replace the parts of a message that are obviously variable with `<*>` before Drain sees it.

Masking makes Drain's job easier (fewer distinct token sequences, so fewer clusters and a shorter tree), but
every mask that fires on a constant part of a template costs accuracy. So the rules here mask only what is
variable in any system: addresses, ids, numbers, times, paths, sizes, durations, booleans, quoted values of keys,
user agents, numbered instances (`user02280`, `host0042`). Words that merely contain a digit (`u0`, `x86`,
`HTTP/1.1`, `4G`, `sha256`) are left alone; Drain generalises them if they vary. One kind of number is kept in
part: an HTTP status keeps its class (`5xx`), because a failure and a success are different events. A multi-line
event is mined as its first and last unindented lines.

Speed: the rules run vectorised over a whole column in pyarrow's RE2 engine (linear time, no backtracking), and
rules are joined into a few alternations so that each message is scanned a few times, not once per rule. Hence
the RE2 subset: no look-around, and a rule that must start after a delimiter consumes it in group 1 and the
replacement writes it back; a text it must keep after the value goes in group 2. Within one pass, the leftmost
match wins, and among matches at the same place the rule listed first. Only two passes scan every message; the
later ones run over the distinct texts those two leave (a few thousand of a million on a generated log), and a
pass that cannot match in a batch (no quote in it) is skipped.
"""

from __future__ import annotations

import re
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
# A run of 6+ hex characters with at least one digit (no look-ahead in RE2, so one branch per count of letters
# before the first digit): hashes, object ids, addresses. Shorter ones are left to Drain (`e5`, `ff`, `a1`).
_HEX_WITH_DIGIT = "|".join(
    [rf"[a-fA-F]{{{k}}}\d[a-fA-F\d]{{{max(5 - k, 0)},}}" for k in range(6)] + [r"[a-fA-F]{6,}\d[a-fA-F\d]*"]
)


@dataclass(frozen=True)
class MaskRule:
    """A variable shape. The match becomes group 1 + `<*>` + group 2 (groups optional), or `replacement`."""

    name: str
    pattern: str
    replacement: str | None = None  # only for a rule alone in its pass


# Tokens that name a class of values rather than a value: Drain must never fold them into a wildcard.
PINNED_TOKENS = frozenset({"1xx", "2xx", "3xx", "4xx", "5xx"})

# Pass 1: shapes recognised by their own characters. Wider shapes first (a URL holds an IP and a path).
SHAPES: tuple[MaskRule, ...] = (
    MaskRule("url", r"\b[A-Za-z][A-Za-z0-9+.\-]*://[^\s\"'<>()\[\]{},;]+"),
    MaskRule("email", r"\b[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}\b"),
    MaskRule("uuid", r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b"),
    MaskRule("datetime", r"\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?\b"),
    MaskRule("syslog_time", rf"\b{_WEEKDAY} {_MONTH} +\d{{1,2}} \d{{2}}:\d{{2}}:\d{{2}}(?: \d{{4}})?\b"),
    MaskRule("clock_time", r"\b\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?\b"),
    # A host name with a port (`msra-sa-41:8030`, `db.internal:5432`, Java's `host/10.0.0.1:80`): one address.
    # The name needs a dot or a dash so that `key:123` stays a key and a value.
    MaskRule("host_port", r"\b[A-Za-z][A-Za-z0-9]*(?:[.\-][A-Za-z0-9]+)+(?:/(?:\d{1,3}\.){3}\d{1,3})?:\d{2,5}\b"),
    MaskRule("windows_path", r"\b[A-Za-z]:\\[^\s\"'<>|,;]*"),
    # Booleans and nulls are values wherever they stand (`setLightsOn(true)`, `canceled false`, `ws=null`).
    MaskRule("literal", r"\b(?:true|false|True|False|TRUE|FALSE|null|NULL)\b"),
    MaskRule("hex_0x", r"\b0[xX][0-9a-fA-F]+\b"),
    # Identifiers with an underscore-separated number (blk_-123, attempt_1445_0020_m_000004_1, broadcast_9_piece0):
    # variable as a whole. The head is a word without digits: `x86_64` names an architecture, not an instance.
    MaskRule("id_with_number", r"\b[A-Za-z]+(?:_[A-Za-z0-9]*)*_-?\d+(?:_[A-Za-z0-9]*)*\b"),
    MaskRule("size", r"\b\d+(?:\.\d+)? ?(?:[kKMGTP]i?B|B|[kKMGT]B/s)\b"),
    MaskRule("duration", r"\b\d+(?:\.\d+)?(?:ns|us|µs|ms|s|sec|secs|min|mins|h|hrs)\b"),
    MaskRule("hex_id", rf"\b(?:{_HEX_WITH_DIGIT})\b"),
    # A numbered instance: a word whose number is four digits or more, or zero-padded (`user02280`, `host0042`,
    # `storage1231`, `node007`). Names with a short number stay words (`sha256`, `i386`, `ext4`, `Win32`, `e820`).
    MaskRule("numbered_name", r"\b[A-Za-z]+(?:\d{4,}|0\d\d+)\b"),
    # Generated ids that are not hex (a pod's `x2k9p`, a session's `aB3dE5fG7h`): letters and digits alternating
    # four times or more. Names alternate less (`log4j2`, `mp4v2`, `utf16le`, `i18n`, `k8s`).
    MaskRule(
        "random_id",
        r"\b[A-Za-z0-9]*?(?:[A-Za-z]+\d+[A-Za-z]+\d+[A-Za-z]+|\d+[A-Za-z]+\d+[A-Za-z]+\d+)[A-Za-z0-9]*\b",
    ),
)

# Pass 2: shapes recognised by where they stand (after a delimiter, as the value of a key).
VALUES: tuple[MaskRule, ...] = (
    # An HTTP status keeps its class. `"GET /x HTTP/1.1" 200` and `... 504` are different events to anyone reading
    # an access log (success against gateway timeout), so the status is written `2xx`, `5xx`; so is a status named
    # as such in a message (`HTTP 503 from`, `status=404`, `status code 500`). This pass can only write `5<*>` (a
    # pass has one replacement); pass 3 turns it into `5xx`. First here, so its lead wins over the number in it.
    MaskRule("http_status", r'((?:HTTP/\d(?:\.\d)?"? |HTTP |\b[Ss]tatus(?: [Cc]ode)?(?:=|: ?| ))[1-5])\d\d\b'),
    # IPv4 with an optional port and the slash Java prints before an InetAddress; more than four dotted parts is
    # a version or an OID, not an address, and is taken whole too (never `<*>.5`).
    MaskRule("ipv4", r"(^|[^\w/.])/?(?:\d{1,3}\.){3}\d{1,3}(?:\.\d+)*(?::\d{1,5})?\b"),
    # Absolute paths as a whole, where a value can begin (a masked piece inside one is swallowed too).
    MaskRule("unix_path", _START + r"/[A-Za-z0-9._\-~+/%<*>?=&#]*[A-Za-z0-9._\-~+%>?=&#]"),
    # Values of key=value pairs that are values in any system: booleans and nulls, dotted or slashed names
    # (`name=com.android.phone`), quoted strings (pass 3). Plain words (`tty=ssh`, `state=RUNNING`) are kept:
    # such enums usually tell events apart.
    MaskRule("kv_literal", r"([=:]\s?)(?:None|nil)\b"),
    MaskRule("kv_dotted", r"(=\s?)[A-Za-z_][\w$\-]*[./][^\s,;)\]}\"']*"),
    # Numbers (signed, decimal, dotted like versions) standing on their own.
    MaskRule("number", _START + r"[-+]?(?:v\d+(?:\.\d+)+|\d+(?:[.,]\d+)*)\b"),
)

# Pass 3: an HTTP status class from pass 2 (`5<*>`) written as such (`5xx`). No other rule writes a digit before
# `<*>`: the delimiters that rules keep are never digits.
STATUS_CLASS: tuple[MaskRule, ...] = (MaskRule("http_status_class", r"([1-5])<\*>", r"\1xx"),)

# Pass 4: quoted values (two groups each: the opening and the closing quote are kept): of keys, and quoted
# product/version strings such as the user agent of an access log.
QUOTED: tuple[MaskRule, ...] = (
    MaskRule("quoted_user_agent", r'(")[A-Za-z][\w.\-]*/\d[^"]*(")'),
    MaskRule("kv_double_quoted", r'(=\s?")[^"]*(")'),
    MaskRule("kv_single_quoted", r"(=\s?')[^']*(')"),
)

PASSES: tuple[tuple[MaskRule, ...], ...] = (SHAPES, VALUES, STATUS_CLASS, QUOTED)
# A pass whose rules cannot match without one of these texts is skipped for a batch that has none: batches come
# one source at a time, so a JSON service's batch never pays for the access-log rules. (None: always run.)
GUARDS: tuple[tuple[str, ...] | None, ...] = (None, None, tuple(f"{d}{WILDCARD}" for d in "12345"), ('"', "'"))


@dataclass(frozen=True)
class _CompiledPass:
    pattern: str
    replacement: str
    guard: tuple[str, ...] | None = None


def compile_pass(rules: tuple[MaskRule, ...]) -> _CompiledPass:
    """One alternation for the rules, and the replacement that writes back each rule's kept groups.

    RE2 rewrites know only \\1 to \\9, so a pass may hold at most nine groups in all.
    """
    leads, trails, branches = [], [], []
    number = 0
    for rule in rules:
        groups = re.compile(rule.pattern).groups  # Python's parser counts groups as RE2 does
        if groups > 2:
            raise ValueError(f"mask rule {rule.name} has {groups} groups; at most 2 (kept before, kept after)")
        if groups >= 1:
            leads.append(f"\\{number + 1}")
        if groups == 2:
            trails.append(f"\\{number + 2}")
        number += groups
        branches.append(f"(?:{rule.pattern})")
    if number > 9:
        raise ValueError(f"a mask pass holds {number} groups; RE2 rewrites reach only 9")
    if len(rules) == 1 and rules[0].replacement is not None:
        return _CompiledPass(branches[0], rules[0].replacement)
    if any(rule.replacement is not None for rule in rules):
        raise ValueError("a mask rule with its own replacement must be alone in its pass")
    return _CompiledPass("|".join(branches), "".join(leads) + WILDCARD + "".join(trails))


_COMPILED = tuple(
    _CompiledPass(compiled.pattern, compiled.replacement, guard)
    for compiled, guard in zip((compile_pass(rules) for rules in PASSES), GUARDS, strict=True)
)


# A multi-line event (a stack trace) is mined as its first line plus its last unindented line: the message and
# the exception that ended it (Java's last `Caused by:`, Python's `ValueError: ...`). Frames are left out: their
# count and depth vary between occurrences of the same error and would split it into many templates.
_FIRST_AND_LAST_UNINDENTED = r"^([^\n]*)\n(?:[\s\S]*\n)?(\S[^\n]*)(?:\n\s[^\n]*)*\s*$"
_REST_OF_EVENT = r"\n[\s\S]*$"


def event_text(values: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """The text of each event that templates are mined from (one line, whatever the event spans)."""
    if not _may_contain(values, ("\n",)):  # the common batch: no multi-line event at all
        return values
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    # Only the multi-line rows go through the regexes: on a one-line text they still scan it all to fail.
    multi = pc.fill_null(pc.match_substring(values, "\n"), False)
    rows = pc.filter(values, multi)
    joined = pc.replace_substring_regex(rows, pattern=_FIRST_AND_LAST_UNINDENTED, replacement=r"\1 \2")
    first_lines = pc.replace_substring_regex(joined, pattern=_REST_OF_EVENT, replacement="")
    return pc.replace_with_mask(values, multi, first_lines)


# The passes from this one on run over the distinct texts the earlier passes left. The caller already hands in
# distinct raw messages, but ids and numbers make nearly every raw message distinct; once shapes and values are
# masked a few thousand remain of a million, and dictionary-encoding that costs a few hundredths of a pass. (Earlier,
# after the shapes pass, most texts are still distinct and encoding them costs what it would save.)
_DISTINCT_FROM = PASSES.index(STATUS_CLASS)


def mask_array(values: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """Mask an Arrow string array: a few RE2 passes, linear time per string. Same length and order as `values`."""
    out = values
    encoded = None
    for number, compiled in enumerate(_COMPILED):
        if number == _DISTINCT_FROM and len(out) > 1:
            encoded = pc.dictionary_encode(out.combine_chunks() if isinstance(out, pa.ChunkedArray) else out)
            out = encoded.dictionary
        if compiled.guard is not None and not _may_contain(out, compiled.guard):
            continue
        out = pc.replace_substring_regex(out, pattern=compiled.pattern, replacement=compiled.replacement)
    return out if encoded is None else pc.take(out, encoded.indices)


def _may_contain(values: pa.Array | pa.ChunkedArray, texts: tuple[str, ...]) -> bool:
    """False only when no string holds any of `texts`.

    Searches the character bytes behind the strings in one go (a memchr-speed scan) instead of asking row by row,
    which costs a third of a masking pass. A hit that spans two neighbouring strings, or lies in bytes outside a
    slice, only costs a pass that finds nothing."""
    needles = [text.encode("utf-8") for text in texts]
    for chunk in values.chunks if isinstance(values, pa.ChunkedArray) else [values]:
        if not (pa.types.is_string(chunk.type) or pa.types.is_large_string(chunk.type)):
            return True  # some other layout (string views, dictionaries): assume it may
        data = chunk.buffers()[2]
        if data is not None and data.size:
            blob = data.to_pybytes()
            if any(needle in blob for needle in needles):
                return True
    return False


def mask_messages(messages: pd.Series) -> pd.Series:
    """The masked text of each message, same index and order. Missing messages become empty strings."""
    values = pa.array(messages.astype("str").fillna(""), type=pa.large_string())
    masked = mask_array(values)
    return pd.Series(masked.to_numpy(zero_copy_only=False), index=messages.index, dtype="str")


def mask_message(message: str) -> str:
    """The masked text of one message (the same rules as `mask_messages`; for tests and one-off use)."""
    return mask_array(pa.array([message], type=pa.large_string()))[0].as_py()
