"""Level names as logs write them, normalised to records.LEVELS; and levels guessed from message text."""

from __future__ import annotations

import pandas as pd

from parsers.vector_re import search

_ALIASES = {
    "TRACE": "TRACE", "FINEST": "TRACE", "FINER": "TRACE", "VERBOSE": "TRACE", "V": "TRACE", "TRC": "TRACE",
    "DEBUG": "DEBUG", "FINE": "DEBUG", "DBG": "DEBUG", "D": "DEBUG", "DEBU": "DEBUG",
    "INFO": "INFO", "LOG": "INFO", "INFORMATION": "INFO", "INFORMATIONAL": "INFO", "INF": "INFO", "I": "INFO", "CONFIG": "INFO",
    "NOTICE": "NOTICE", "NOTE": "NOTICE", "N": "NOTICE",
    "WARN": "WARN", "WARNING": "WARN", "WRN": "WARN", "W": "WARN",
    "ERROR": "ERROR", "ERR": "ERROR", "EROR": "ERROR", "E": "ERROR", "SEVERE": "ERROR", "DPANIC": "ERROR",
    "FATAL": "FATAL", "CRITICAL": "FATAL", "CRIT": "FATAL", "CRT": "FATAL", "EMERG": "FATAL", "EMERGENCY": "FATAL",
    "ALERT": "FATAL", "PANIC": "FATAL", "F": "FATAL", "A": "FATAL", "FTL": "FATAL",
    # syslog severities (RFC 5424 table 2)
    "0": "FATAL", "1": "FATAL", "2": "FATAL", "3": "ERROR", "4": "WARN", "5": "NOTICE", "6": "INFO", "7": "DEBUG",
    # pino / bunyan numeric levels
    "10": "TRACE", "20": "DEBUG", "30": "INFO", "40": "WARN", "50": "ERROR", "60": "FATAL",
}

# Level words that may open a header, in any case, and the one-letter forms (Android, klog) in upper case only.
LEVEL_WORDS = sorted({k for k in _ALIASES if len(k) > 1 and not k.isdigit()}, key=len, reverse=True)
LEVEL_REGEX = r"(?i:" + "|".join(LEVEL_WORDS) + r")|[VDIWEFA]"


def on_distinct(per_value):
    """Apply a column function to each distinct value once: a level column holds a handful of values, and
    string operations on a million rows cost a hundred times more than on the dozen they take."""

    def apply(values: pd.Series) -> pd.Series:
        codes, uniques = pd.factorize(values, use_na_sentinel=False)
        if len(uniques) * 4 > len(values):
            return per_value(values)
        done = per_value(pd.Series(uniques, dtype=values.dtype))
        return pd.Series(done.to_numpy()[codes], index=values.index, dtype=done.dtype)

    apply.__doc__ = per_value.__doc__
    return apply


@on_distinct
def normalise_levels(raw: pd.Series) -> pd.Series:
    """Map level spellings (`warning`, `[ERROR]`, `E`, 50, `<3>`) to LEVELS; unknown ones become ""."""
    text = raw.astype("str").str.strip().str.strip("[]<>:").str.upper()
    text = text.str.removesuffix(".0")
    return text.map(_ALIASES).fillna("").astype("str").where(raw.notna(), "")


@on_distinct
def levels_from_syslog_pri(pri: pd.Series) -> pd.Series:
    """`<PRI>` = facility * 8 + severity."""
    number = pd.to_numeric(pri, errors="coerce")
    severity = (number % 8).astype("Int64").astype("str")
    return severity.map(_ALIASES).fillna("").astype("str").where(number.notna(), "")


@on_distinct
def levels_from_http_status(status: pd.Series) -> pd.Series:
    code = pd.to_numeric(status, errors="coerce")
    level = pd.Series("INFO", index=status.index, dtype="str")
    level[code >= 400] = "WARN"
    level[code >= 500] = "ERROR"
    return level.where(code.notna(), "")


_INFER = (
    ("FATAL", r"\b(?:FATAL|PANIC|EMERG|CRITICAL)\b|\bpanic:|\bKernel panic\b|\bOutOfMemoryError\b"),
    ("ERROR", r"\b(?:ERROR|ERR|SEVERE)\b|(?i:\berror\b|\bexception\b|^Traceback \(most recent|\bsegfault\b)"),
    ("WARN", r"\b(?:WARN|WARNING)\b|(?i:\bwarning\b)"),
    ("DEBUG", r"\bDEBUG\b"),
    ("INFO", r"\bINFO\b"),
)


def infer_levels(messages: pd.Series) -> pd.Series:
    """Guess a level from the text of lines whose format carries none; "" when nothing says."""
    out = pd.Series("", index=messages.index, dtype="str")
    undecided = pd.Series(True, index=messages.index)
    head = messages.astype("str").str.slice(0, 300)
    for level, pattern in _INFER:
        hit = undecided & search(head, pattern)
        out[hit] = level
        undecided &= ~hit
    return out
