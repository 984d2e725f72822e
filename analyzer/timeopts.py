"""Times and zones given on the command line."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd

from parsers.timestamps import machine_zone

ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}([T ]|$)")


def parse_zone(name: str | None) -> str | None:
    """Validate an IANA zone name (or UTC offset like +02:00); None means the machine's zone."""
    if name is None:
        return None
    if name.upper() in ("UTC", "Z"):
        return "UTC"
    if name[:1] in "+-":
        pd.Timestamp("2000-01-01T00:00:00" + name)  # raises ValueError when malformed
        return name
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}: use an IANA name such as Europe/Berlin, or UTC") from None
    return name


def parse_time(text: str | None, zone: str | None) -> datetime | None:
    """An ISO 8601 time with its date, made aware: zone-less times are in `zone`."""
    if text is None:
        return None
    if not ISO_DATE.match(text.strip()):
        raise ValueError(f"cannot read {text!r} as a time: write it with its date, like 2026-11-20T14:05:00Z")
    try:
        stamp = pd.Timestamp(text)
    except (ValueError, TypeError):
        raise ValueError(f"cannot read {text!r} as a time: write it like 2026-11-20T14:05:00Z") from None
    if stamp is pd.NaT:
        raise ValueError(f"cannot read {text!r} as a time: write it like 2026-11-20T14:05:00Z")
    if stamp.tzinfo is None:
        stamp = _localize(stamp, zone)
    return stamp.tz_convert("UTC").to_pydatetime()


def _localize(stamp: pd.Timestamp, zone: str | None) -> pd.Timestamp:
    if zone is None:
        # The same zone, with its summer-time rules, that the parsers assume for the logs' zone-less times.
        return stamp.tz_localize(machine_zone())
    if zone[:1] in "+-":
        return pd.Timestamp(stamp.isoformat() + zone)
    return stamp.tz_localize(zone)
