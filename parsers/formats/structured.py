"""Structured lines: JSON objects (one per line, journalctl -o json included) and logfmt `key=value` pairs.

Each line must be decoded on its own (there is no column-wise JSON reader for lines that may not all be JSON),
so this is the one per-line step; what it keeps per line is a tuple of the few fields logrca uses.
"""

from __future__ import annotations

import json
import re

import pandas as pd
import pyarrow as pa

from parsers.formats.base import fields_frame
from parsers.formats.json_columns import coalesce, read_table, time_column
from parsers.formats.levels import normalise_levels
from parsers.vector_re import search
from parsers.timestamps import TimeContext, parse_mixed_times

# Common key names, first match wins (dotted names also match nested objects).
TIME_KEYS = ("@timestamp", "timestamp", "time", "ts", "datetime", "date", "asctime", "eventTime", "t", "@t",
             "__REALTIME_TIMESTAMP")
LEVEL_KEYS = ("level", "severity", "log.level", "levelname", "lvl", "loglevel", "log_level", "@l", "PRIORITY",
              "severity_text")
MESSAGE_KEYS = ("message", "msg", "MESSAGE", "@m", "@mt", "text", "event", "log", "body")
LOGGER_KEYS = ("logger", "logger_name", "log.logger", "loggerName", "name", "component", "module", "category",
               "caller", "SYSLOG_IDENTIFIER")
SERVICE_KEYS = ("service", "service.name", "service_name", "serviceName", "app", "application", "app_name",
                "kubernetes.labels.app", "kubernetes.container_name", "_SYSTEMD_UNIT")
HOST_KEYS = ("host", "hostname", "host.name", "_HOSTNAME")
TRACE_KEYS = ("trace_id", "traceId", "traceID", "trace.id", "dd.trace_id", "otelTraceID")
ERROR_KEYS = ("stack_trace", "stacktrace", "stack", "error.stack_trace", "exception", "exc_info", "error", "err",
              "error.message")
_KEY_GROUPS = (TIME_KEYS, LEVEL_KEYS, MESSAGE_KEYS, LOGGER_KEYS, SERVICE_KEYS, HOST_KEYS, TRACE_KEYS, ERROR_KEYS)
_COLUMNS = ("time", "level", "message", "logger", "service", "host", "trace_id", "error")


# key -> (field, preference): one pass over a record's keys instead of probing every candidate name.
_KEY_ROLE = {key: (group, rank) for group, keys in enumerate(_KEY_GROUPS) for rank, key in enumerate(keys)}
_NESTED = {key.rsplit(".", 1)[0] for key in _KEY_ROLE if "." in key}  # "log", "service", "kubernetes.labels", ...
_USED = set(_KEY_ROLE)


def _candidates(record: dict, prefix: str = ""):
    for key, value in record.items():
        name = prefix + key
        if isinstance(value, dict) and name in _NESTED:
            yield from _candidates(value, name + ".")
        yield name, value


def _as_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        # An error object: its stack says it all (it repeats type and message); else "type: message".
        stack = value.get("stack") or value.get("stack_trace") or value.get("stacktrace")
        if stack:
            return _as_text(stack)
        parts = [str(value[k]) for k in ("type", "kind", "message", "msg") if value.get(k)]
        return ": ".join(parts) if parts else json.dumps(value, sort_keys=True)
    if isinstance(value, list):
        return "\n".join(_as_text(v) for v in value)
    return str(value)


def pick_fields(record: dict) -> tuple:
    """The fields logrca keeps, by common key names; without a message key the other keys become the message."""
    picked: list = [None] * len(_KEY_GROUPS)
    ranks = [len(_KEY_ROLE)] * len(_KEY_GROUPS)
    for key, value in _candidates(record):
        role = _KEY_ROLE.get(key)
        if role is not None and role[1] < ranks[role[0]] and value is not None and value != "":
            picked[role[0]] = value
            ranks[role[0]] = role[1]
    time, level, message, logger, service, host, trace, error = picked
    if message is None:
        message = " ".join(f"{k}={_as_text(v)}" for k, v in record.items() if k not in _USED)
    if isinstance(service, str) and service.endswith(".service"):
        service = service[: -len(".service")]
    message_text = _as_text(message)
    error_text = _as_text(error)
    if error_text and error_text not in message_text:
        message_text = f"{message_text}\n{error_text}" if message_text else error_text
    return (time, level, message_text, _as_text(logger), _as_text(service), _as_text(host), _as_text(trace))


def _to_frame(rows: list[tuple], index: list, ctx: TimeContext) -> pd.DataFrame:
    out: dict[str, pd.Series] = {}
    if not rows:
        return fields_frame(pd.Index(index))
    raw = pd.DataFrame(rows, index=pd.Index(index), columns=_COLUMNS[:-1], dtype=object)
    if not ctx.skip:
        times = raw["time"].map(lambda v: v if isinstance(v, str) else (repr(v) if v is not None else None))
        out["time"] = parse_mixed_times(times, ctx)
    out["level"] = normalise_levels(raw["level"].map(lambda v: None if v is None else str(v)))
    for column in ("message", "logger", "service", "host", "trace_id"):
        out[column] = raw[column].astype("str").str.strip() if column != "message" else raw[column].astype("str")
    return fields_frame(pd.Index(index), out)


_JSON_LINE = r"^\s*\{.*\}\s*$"


def _loads_or_none(text: str):
    try:
        return json.loads(text)
    except ValueError:
        return None


class JsonFormat:
    """One JSON object per line: structured application logs, `journalctl -o json`, pino, bunyan, zap, logrus."""

    name = "json"
    description = "JSON lines (common key names for time, level, message, logger, service, trace id, error)"

    def count(self, lines: pd.Series) -> int:
        candidates = lines[search(lines, _JSON_LINE)]
        if len(candidates) > 1 and read_table(candidates, stamps_as_text=False) is not None:
            return len(candidates)
        return sum(isinstance(_loads_or_none(text), dict) for text in candidates)

    def parse(self, lines: pd.Series, ctx: TimeContext) -> pd.DataFrame:
        candidates = lines[search(lines, _JSON_LINE)]
        table = read_table(candidates, stamps_as_text=not ctx.skip) if len(candidates) > 1 else None
        if table is not None:
            return _from_table(table, candidates.index, ctx)
        return self._line_by_line(candidates, ctx)

    @staticmethod
    def _line_by_line(candidates: pd.Series, ctx: TimeContext) -> pd.DataFrame:
        rows, index = [], []
        for position, text in candidates.items():
            try:
                record = json.loads(text)
            except ValueError:
                continue
            if isinstance(record, dict):
                rows.append(pick_fields(record))
                index.append(position)
        return _to_frame(rows, index, ctx)


def _from_table(table, index: pd.Index, ctx: TimeContext) -> pd.DataFrame:
    out: dict[str, pd.Series] = {}
    if not ctx.skip:  # (else fields_frame leaves it NaT: the column is not even gathered)
        out["time"] = parse_mixed_times(time_column(table, TIME_KEYS, index), ctx)
    out["level"] = normalise_levels(coalesce(table, LEVEL_KEYS, index))
    for name, keys in (("logger", LOGGER_KEYS), ("service", SERVICE_KEYS), ("host", HOST_KEYS), ("trace_id", TRACE_KEYS)):
        out[name] = coalesce(table, keys, index).str.strip()
    out["service"] = out["service"].str.removesuffix(".service")
    message = coalesce(table, MESSAGE_KEYS, index)
    error = coalesce(table, ERROR_KEYS, index)
    has_error = (error != "").to_numpy()
    if has_error.any():
        pairs = zip(message[has_error], error[has_error])
        message[has_error] = [m if e in m else (f"{m}\n{e}" if m else e) for m, e in pairs]
    out["message"] = message
    no_message = (message == "").to_numpy()
    if no_message.any():  # no message key: the other keys become the message, as line by line
        rows = [pick_fields(json.loads(text)) for text in table_lines(table, no_message)]
        message = message.copy()
        message[no_message] = [row[2] for row in rows]
        out["message"] = message
    return fields_frame(index, out)


def table_lines(table, mask) -> list[str]:
    return [json.dumps(record) for record in table.filter(pa.array(mask)).to_pylist()]


_PAIR = re.compile(r'([\w.@/-]+)=("(?:[^"\\]|\\.)*"|\S*)')
_LOGFMT_LINE = r"^\s*[\w.@-]+=(?:\"(?:[^\"\\]|\\.)*\"|\S*)(?:\s+[\w.@/-]+=(?:\"(?:[^\"\\]|\\.)*\"|\S*))+\s*$"


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == '"' and value[-1] == '"':
        return value[1:-1].replace('\\"', '"').replace("\\n", "\n").replace("\\\\", "\\")
    return value


class LogfmtFormat:
    """`key=value key="quoted value"` lines (logrus text, Heroku, Grafana tools)."""

    name = "logfmt"
    description = "logfmt key=value pairs"

    def count(self, lines: pd.Series) -> int:
        return int(search(lines, _LOGFMT_LINE).sum())

    def parse(self, lines: pd.Series, ctx: TimeContext) -> pd.DataFrame:
        candidates = lines[search(lines, _LOGFMT_LINE)]
        rows = [_logfmt_fields(text) for text in candidates]
        return _to_frame(rows, list(candidates.index), ctx)


def _logfmt_fields(text: str) -> tuple:
    """pick_fields of a logfmt line. A key given twice would collapse in the record, and a message rebuilt from
    the record would drop the repeats: such a line keeps its own text as its message instead."""
    pairs = _PAIR.findall(text)
    record = {k: _unquote(v) for k, v in pairs}
    fields = pick_fields(record)
    if len(record) < len(pairs) and not any(k in MESSAGE_KEYS for k in record):
        fields = (*fields[:2], text, *fields[3:])
    return fields
