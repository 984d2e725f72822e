"""Renderers for the log formats the sample incidents are written in.

Each renderer turns one event (an aware UTC time plus fields) into the exact text a real program would write.
Every timestamp carries an explicit zone so that an analysis of the samples never depends on the machine's zone.
Multi-line events (stack traces) are returned as one string with embedded newlines; the CRI renderer splits them
into one container-log line each, as the kubelet does.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _utc(t: datetime) -> datetime:
    if t.tzinfo is None:
        raise ValueError("sample events must carry aware times")
    return t.astimezone(timezone.utc)


def iso_millis_z(t: datetime) -> str:
    """`2026-03-17T14:32:10.123Z` — logback `XXX` and most JSON loggers."""
    t = _utc(t)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def iso_micros_offset(t: datetime) -> str:
    """`2026-03-17T14:32:10.123456+00:00` — rsyslog's RFC 5424 high-precision stamp."""
    t = _utc(t)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond:06d}+00:00"


def iso_nanos_z(t: datetime, extra_nanos: int) -> str:
    """`2026-03-17T14:32:10.123456789Z` — containerd's CRI log stamp."""
    t = _utc(t)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond:06d}{extra_nanos % 1000:03d}Z"


def nginx_combined(
    t: datetime, ip: str, method: str, path: str, status: int, size: int, referer: str, agent: str
) -> str:
    t = _utc(t)
    stamp = f"{t.day:02d}/{_MONTHS[t.month - 1]}/{t.year}:{t.strftime('%H:%M:%S')} +0000"
    return f'{ip} - - [{stamp}] "{method} {path} HTTP/1.1" {status} {size} "{referer}" "{agent}"'


def json_line(t: datetime, level: str, service: str, logger: str, msg: str, **fields: object) -> str:
    """A structlog/python-json-logger style line; key order is fixed so output is byte-stable."""
    record: dict[str, object] = {
        "ts": iso_millis_z(t),
        "level": level.lower(),
        "service": service,
        "logger": logger,
        "msg": msg,
    }
    record.update({k: v for k, v in fields.items() if v is not None})
    return json.dumps(record, separators=(",", ":"), ensure_ascii=False)


def logback(t: datetime, level: str, thread: str, logger: str, msg: str, trace: str | None = None) -> str:
    """Pattern `%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX,UTC} %-5level [%thread] %logger{36} - %msg%n%ex`."""
    line = f"{iso_millis_z(t)} {level:<5} [{thread}] {abbreviate_logger(logger, 36)} - {msg}"
    return line if trace is None else line + "\n" + trace


def abbreviate_logger(name: str, width: int) -> str:
    """Logback's `%logger{36}`: shorten leading package segments to their initial until the name fits."""
    parts = name.split(".")
    for i in range(len(parts) - 1):
        if len(".".join(parts)) <= width:
            break
        parts[i] = parts[i][0]
    return ".".join(parts)


def python_logging(t: datetime, level: str, logger: str, msg: str) -> str:
    """Python `logging` with format `%(asctime)s %(levelname)s %(name)s: %(message)s` and an ISO, zoned asctime."""
    t = _utc(t)
    stamp = t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}+00:00"
    return f"{stamp} {level} {logger}: {msg}"


def cri(t: datetime, stream: str, text: str, nanos: int = 0) -> str:
    """Kubernetes CRI container-log lines: one `<time> <stream> F <line>` per physical line of the event."""
    stamp = iso_nanos_z(t, nanos)
    return "\n".join(f"{stamp} {stream} F {part}" for part in text.split("\n"))


def syslog5424(t: datetime, facility: int, severity: int, host: str, app: str, pid: int | None, msg: str) -> str:
    pri = facility * 8 + severity
    return f"<{pri}>1 {iso_micros_offset(t)} {host} {app} {pid if pid is not None else '-'} - - {msg}"


def postgres(t: datetime, pid: int, level: str, msg: str) -> str:
    """`log_line_prefix = '%m [%p] '` with `log_timezone = 'UTC'`: the zone is written as `UTC`."""
    t = _utc(t)
    stamp = t.strftime("%Y-%m-%d %H:%M:%S.") + f"{t.microsecond // 1000:03d} UTC"
    return f"{stamp} [{pid}] {level}:  {msg}"
