"""The text formats logrca knows by name, each one regular expression (most specific first)."""

from __future__ import annotations

from parsers.formats.base import RegexFormat
from parsers.formats.levels import LEVEL_REGEX
from parsers.timestamps import SPEC_BY_NAME, without_lookarounds

# Without lookarounds, so that RE2 can run them (the text after each timestamp is matched explicitly).
_ISO = without_lookarounds(SPEC_BY_NAME["iso"].regex)
_SYSLOG_TS = without_lookarounds(SPEC_BY_NAME["syslog"].regex)
_CTIME = SPEC_BY_NAME["ctime"].regex
_LEVEL = r"(?P<level>" + LEVEL_REGEX + r")"
_HOST = r"(?P<host>[A-Za-z0-9][\w.:-]*)"  # a host name or address: `[1234]` or `UTC` is not one
_PROGRAM = r"(?P<service>[^\s:\[\]]+?)(?:\[(?P<pid>\d+)\])?:"

BUILTIN_FORMATS: tuple[RegexFormat, ...] = (
    RegexFormat(
        "syslog5424",
        r"^<(?P<pri>\d{1,3})>1 (?P<time>\S+) (?P<host>\S+) (?P<service>\S+) (?P<pid>\S+) (?P<msgid>\S+) "
        r"(?P<sd>-|(?:\[(?:[^\]\\]|\\.)*\])+)(?: (?P<message>.*))?$",
        "mixed",
        "RFC 5424 syslog",
    ),
    RegexFormat(
        "syslog",
        r"^(?:<(?P<pri>\d{1,3})>)?(?P<time>" + _SYSLOG_TS + r") " + _HOST + " " + _PROGRAM + r" ?(?P<message>.*)$",
        "syslog",
        "RFC 3164 / BSD syslog (year-less)",
        not_levels="host",
    ),
    RegexFormat(
        "syslog_iso",
        r"^(?:<(?P<pri>\d{1,3})>)?(?P<time>" + _ISO + r") " + _HOST + " " + _PROGRAM + r" ?(?P<message>.*)$",
        "iso",
        "syslog with ISO timestamps (rsyslog high precision, journalctl -o short-iso)",
        not_levels="host",
    ),
    RegexFormat(
        "access",
        r'^(?P<client>\S+) \S+ (?P<user>\S+) \[(?P<time>[^\]]+)\] (?P<message>"[^"]*" (?P<status>\d{3}) \S+.*)$',
        "clf",
        "nginx / Apache access log (common and combined)",
    ),
    RegexFormat(
        "apache_error",
        r"^\[(?P<time>" + _CTIME + r")\] \[(?:(?P<logger>[\w-]+):)?(?P<level>\w+)\]"
        r"(?: \[pid (?P<pid>\d+)(?::tid \d+)?\])? (?P<message>.*)$",
        "ctime",
        "Apache error log",
    ),
    RegexFormat(
        "nginx_error",
        r"^(?P<time>\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2}) \[(?P<level>\w+)\] (?P<pid>\d+)#\d+: (?:\*\d+ )?(?P<message>.*)$",
        "ymd_slash",
        "nginx error log",
    ),
    RegexFormat(
        "spring",
        r"^(?P<time>" + _ISO + r")\s+" + _LEVEL + r"\s+(?P<pid>\d+) --- (?:\[[^\]]*\] )?\[\s*(?P<thread>[^\]]*)\]"
        r"\s+(?P<logger>\S+)\s+:\s(?P<message>.*)$",
        "iso",
        "Spring Boot console",
    ),
    RegexFormat(
        "logback",
        r"^(?P<time>" + _ISO + r")\s+\[(?P<thread>[^\]]*)\]\s+" + _LEVEL + r"\s+(?P<logger>\S+?)\s+-\s(?P<message>.*)$",
        "iso",
        "logback / log4j default pattern (time [thread] LEVEL logger - message)",
    ),
    RegexFormat(
        "log4j",
        r"^(?P<time>" + _ISO + r")\s+" + _LEVEL + r"\s+(?:\[(?P<thread>[^\]]*)\]\s+)?(?P<logger>\S+?)"
        r"(?::\d+)?\s*(?:-|:)\s(?P<message>.*)$",
        "iso",
        "log4j pattern (time LEVEL [thread] logger: message)",
    ),
    RegexFormat(
        "python",
        r"^(?P<time>" + _ISO + r")\s+-\s+(?P<logger>\S+)\s+-\s+" + _LEVEL + r"\s+-\s(?P<message>.*)$",
        "iso",
        "Python logging (asctime - name - levelname - message)",
    ),
    RegexFormat(
        "python_basic",
        r"^(?P<level>DEBUG|INFO|WARNING|ERROR|CRITICAL):(?P<logger>[^:\s]+):(?P<message>.*)$",
        None,
        "Python logging.basicConfig default (LEVEL:name:message)",
    ),
    RegexFormat(
        "zap",
        r"^(?P<time>" + _ISO + r")\t(?P<level>[A-Za-z]+)\t(?:(?P<logger>[^\t]+)\t)?(?P<message>.*)$",
        "iso",
        "Go zap console encoder",
    ),
    RegexFormat(
        "elasticsearch",
        r"^\[(?P<time>" + _ISO + r")\]\[(?P<level>[A-Za-z]+)\s*\]\[(?P<logger>[^\]\s]+)\s*\]\s*"
        r"(?:\[(?P<host>[^\]]+)\]\s*)?(?P<message>.*)$",
        "iso",
        "Elasticsearch / OpenSearch ([time][LEVEL][logger] [node] message)",
    ),
    RegexFormat(
        "klog",
        r"^(?P<level>[IWEF])(?P<time>[01]\d[0-3]\d [0-2]\d:[0-5]\d:[0-6]\d\.\d{6})\s+\d+ (?P<logger>[^\s\]]+)\] "
        r"(?P<message>.*)$",
        "mmdd",
        "Kubernetes components (klog: I0102 15:04:05.123456 pid file.go:12] message)",
    ),
    RegexFormat(
        "go",
        r"^(?P<time>\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2}(?:\.\d+)?) (?:(?P<logger>\S+\.go:\d+): )?(?P<message>.*)$",
        "ymd_slash",
        "Go standard library log",
    ),
)
