"""Masking secrets (and, on request, personal data) in everything a report writes.

The well-known token shapes come from detect-secrets' regex plugins, reused through its plugin registry so that new
shapes arrive with library upgrades. Its plugins are built to scan source code line by line; log lines carry
secrets in shapes they miss (key=value pairs, bearer headers, whole private-key blocks, Google keys, fine-grained
GitHub tokens...), so our own patterns cover those. All patterns report spans on the original text; the spans are
merged and masked in one pass, so one pattern never sees another's mask.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, TypeVar

SECRET_MASK = "[REDACTED]"
EMAIL_MASK = "[EMAIL]"
IP_MASK = "[IP]"

# detect-secrets plugins left out: the public-IP one is personal data (handled with --redact-pii, for every IP),
# the private-key one matches only the header line (we mask the whole block), and the basic-auth one masks the user
# name with the password (ours masks only the password).
_SKIPPED_PLUGINS = frozenset({"IPPublicDetector", "PrivateKeyDetector", "BasicAuthDetector"})

# Characters that some detect-secrets patterns consume around a token as delimiters; they stay visible. (Not a
# trailing `=`: that is base64 padding, part of the secret.)
_LEADING_DELIMITERS = " \t\r\n=:\"'"
_TRAILING_DELIMITERS = " \t\r\n\"'"

_KEY_STEMS = (
    r"passw(?:or)?d|passwd|passphrase|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key"
    r"|client[_-]?secret|credentials?|auth[_-]?key|authorization|session[_-]?id|cookie|signing[_-]?key"
    r"|connection[_-]?string|dsn"
)
# A key holding a secret, in any casing, with prefixes/suffixes (DB_PASSWORD, x-api-key, awsSecretAccessKey) but no
# dotted suffix (`AppWindowToken.destroySurfaces:374` is a stack frame, not a key),
# optionally quoted (JSON, also with escaped quotes inside a logged JSON string), then = or :, then the value.
# The match starts at the stem, not at the key's first character: scanning `[\w.-]*` from every position of every
# line made this one pattern cost more than all the others together.
_KEY_VALUE = re.compile(
    r"(?i)(?:(?:" + _KEY_STEMS + r")[\w-]*|(?<![\w.-])(?:pass|pw|sig|pat))"
    r"\\?[\"']?\s*[=:]\s*"
    r"(?:\\?\"(?P<dq>[^\"\\\n]+)\\?\"|'(?P<sq>[^'\n]+)'"
    r"|(?P<value>(?!0x[0-9a-fA-F]+\b|[\w.$]+@[0-9a-f]{4,}\b)(?:(?:bearer|basic|token|digest|negotiate)\s+)?[^\s\"'\\&,;<>()\[\]{}]++"
    r"(?!\s*[{(\[])))"  # not a printed object (`token=Token{a64f992 ...}`, `Proxy@2bd79ce`) nor a hex number
)
_AUTH_HEADER = re.compile(r"(?i)\b(?:bearer|basic|digest|negotiate)\s+(?P<value>[A-Za-z0-9\-._~+/]{8,}=*)")
# URLs with a password: scheme://user:password@host (any scheme, any password characters but @ and space)
_URL_PASSWORD = re.compile(r"[a-zA-Z][\w+.-]*://[^\s:/@]+:(?P<value>[^\s@/]+)@")
_AZURE_KEY = re.compile(r"(?i)\b(?:AccountKey|SharedAccessKey|sig)=(?P<value>[A-Za-z0-9+/%=]{16,})")
# Patterns that start with no literal text are tried at every position of every line; these words (lower case),
# one of which every match contains, let a line without any of them skip the pattern. It halves redaction time.
_NEEDLES: dict[re.Pattern[str], tuple[str, ...]] = {
    _KEY_VALUE: ("pass", "pw", "secret", "token", "key", "credential", "authorization", "session", "cookie",
                 "connection", "dsn", "sig", "pat"),
    _AUTH_HEADER: ("bearer", "basic", "digest", "negotiate"),
    _URL_PASSWORD: ("://",),
    _AZURE_KEY: ("key=", "sig="),
}

# (pattern, the group(s) holding the secret: the first that took part is masked; None: the whole match)
_PATTERNS: tuple[tuple[re.Pattern[str], str | tuple[str, ...] | None], ...] = (
    # whole PEM / OpenSSH / PGP private key blocks, also when a log cut them short or escaped their newlines
    (re.compile(r"-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY((?: BLOCK)?)-----.*?(?:-----END \1PRIVATE KEY\2-----|\Z)", re.S), None),
    (re.compile(r"PuTTY-User-Key-File-\d:.*?(?:Private-MAC: *\S+|\Z)", re.S), None),
    (_AUTH_HEADER, "value"),
    (_KEY_VALUE, ("dq", "sq", "value")),
    (_URL_PASSWORD, "value"),
    (re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"), None),  # JWT, also unsigned
    (re.compile(r"\bAIza[0-9A-Za-z_-]{35}"), None),  # Google API key
    (re.compile(r"\bya29\.[0-9A-Za-z_-]{20,}"), None),  # Google OAuth access token
    (re.compile(r"\bGOCSPX-[0-9A-Za-z_-]{20,}"), None),  # Google OAuth client secret
    (re.compile(r"\bgithub_pat_[A-Za-z0-9_]{40,}"), None),  # GitHub fine-grained token
    (re.compile(r"\bgh[pousr]_[A-Za-z0-9]{30,}"), None),  # GitHub classic tokens, any length
    (re.compile(r"\bxox[a-z]-[A-Za-z0-9-]{10,}"), None),  # Slack tokens of every kind
    (re.compile(r"\b(?:sk|rk|pk)_(?:live|test)_[0-9a-zA-Z]{16,}"), None),  # Stripe
    (re.compile(r"\bwhsec_[0-9a-zA-Z]{20,}"), None),  # Stripe webhook secret
    (re.compile(r"\bnpm_[A-Za-z0-9]{36}\b"), None),
    (re.compile(r"\bsk-(?:proj-|ant-)?[A-Za-z0-9_-]{32,}"), None),  # OpenAI / Anthropic style keys
    (re.compile(r"\b(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[0-9A-Z]{16}\b"), None),  # AWS access key id
    (_AZURE_KEY, "value"),
    (re.compile(r"\bhttps://discord(?:app)?\.com/api/webhooks/\d+/(?P<value>[\w-]+)"), "value"),
)
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")
_IPV4 = re.compile(r"(?<![\w.])(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)(?![\w.]\d)")
_IPV6 = re.compile(
    r"(?i)(?<![\w:])(?:(?:[0-9a-f]{1,4}:){7}[0-9a-f]{1,4}"
    r"|(?:[0-9a-f]{1,4}:){1,6}(?::[0-9a-f]{1,4}){1,6}|(?:[0-9a-f]{1,4}:){1,7}:|::(?:[0-9a-f]{1,4}:){0,6}[0-9a-f]{1,4})"
    r"(?![\w:])"
)


@dataclass(frozen=True)
class _Span:
    start: int
    end: int
    mask: str


def redact_text(text: str, pii: bool = False) -> str:
    """`text` with every secret (and with `pii`, every email and IP address) replaced by a mask."""
    if not text:
        return text
    spans = list(_secret_spans(text))
    if pii:
        spans += _pattern_spans(text, _EMAIL, None, EMAIL_MASK)
        spans += _pattern_spans(text, _IPV4, None, IP_MASK)
        spans += _pattern_spans(text, _IPV6, None, IP_MASK)
    if not spans:
        return text
    return _apply(text, _merge(spans))


T = TypeVar("T")


def redact_findings(value: T, pii: bool = False) -> T:
    """A copy of a Findings (or any part of one) with redact_text applied to every string it holds.

    Walking every field, rather than a list of the ones known to carry log text, keeps fields added later safe too.
    The same strings recur by the thousand (service names in the chart series), so each is redacted once.
    """
    seen: dict[str, str | None] = {}  # None: nothing to mask, so the very same string object is kept

    def redact_once(text: str) -> str:
        if text not in seen:
            redacted = redact_text(text, pii)
            seen[text] = None if redacted == text else redacted
        return seen[text] or text

    return _redact_value(value, redact_once)


def _redact_value(value: Any, redact: Callable[[str], str]) -> Any:
    """The value with every string redacted; parts with nothing to change are returned as they are (not copied),
    which keeps the tens of thousands of chart points cheap."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, (datetime, int, float, bool)) or value is None:
        return value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {}
        for f in dataclasses.fields(value):
            if f.init:
                old = getattr(value, f.name)
                new = _redact_value(old, redact)
                if new is not old:
                    changes[f.name] = new
        return dataclasses.replace(value, **changes) if changes else value
    if isinstance(value, dict):
        items = [(_redact_value(k, redact), _redact_value(v, redact)) for k, v in value.items()]
        same = all(nk is k and nv is v for (nk, nv), (k, v) in zip(items, value.items()))
        return value if same else dict(items)
    if isinstance(value, (list, tuple)):
        items = [_redact_value(v, redact) for v in value]
        return value if all(n is o for n, o in zip(items, value)) else type(value)(items)
    return value


def _secret_spans(text: str) -> Iterator[_Span]:
    lowered = text.lower()
    for pattern, group in _PATTERNS:
        needles = _NEEDLES.get(pattern)
        if needles is None or any(needle in lowered for needle in needles):
            yield from _pattern_spans(text, pattern, group, SECRET_MASK)
    for pattern in _library_patterns():
        for match in pattern.finditer(text):
            for start, end in _library_secret_spans(match):
                yield _Span(*_trim_delimiters(text, start, end), SECRET_MASK)


def _pattern_spans(
    text: str, pattern: re.Pattern[str], group: str | tuple[str, ...] | None, mask: str
) -> list[_Span]:
    spans = []
    for match in pattern.finditer(text):
        start, end = _trim_delimiters(text, *_secret_group_span(match, group))
        if end > start:
            spans.append(_Span(start, end, mask))
    return spans


def _secret_group_span(match: re.Match[str], group: str | tuple[str, ...] | None) -> tuple[int, int]:
    if group is None:
        return match.span()
    for name in (group,) if isinstance(group, str) else group:
        if match.group(name) is not None:
            return match.span(name)
    return match.span()


def _library_secret_spans(match: re.Match[str]) -> list[tuple[int, int]]:
    """detect-secrets reports a pattern's groups as the secret; some groups are only a token's prefix (`ghp`),
    so a group shorter than a plausible secret means the whole match is masked instead."""
    groups = [match.span(i) for i in range(1, (match.re.groups or 0) + 1) if match.group(i)]
    long_groups = [(s, e) for s, e in groups if e - s >= 8]
    return long_groups or [match.span()]


def _trim_delimiters(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start] in _LEADING_DELIMITERS:
        start += 1
    while end > start and text[end - 1] in _TRAILING_DELIMITERS:
        end -= 1
    return start, end


def _merge(spans: Iterable[_Span]) -> list[_Span]:
    """Overlapping or touching spans become one; a secret mask wins over a personal-data one."""
    merged: list[_Span] = []
    for span in sorted(spans, key=lambda s: (s.start, -s.end)):
        if merged and span.start <= merged[-1].end:
            last = merged[-1]
            mask = SECRET_MASK if SECRET_MASK in (last.mask, span.mask) else last.mask
            merged[-1] = _Span(last.start, max(last.end, span.end), mask)
        else:
            merged.append(span)
    return merged


def _apply(text: str, spans: list[_Span]) -> str:
    parts: list[str] = []
    cursor = 0
    for span in spans:
        parts.append(text[cursor : span.start])
        parts.append(span.mask)
        cursor = span.end
    parts.append(text[cursor:])
    return "".join(parts)


@lru_cache(maxsize=1)
def _library_patterns() -> tuple[re.Pattern[str], ...]:
    """The compiled regexes of detect-secrets' regex-based plugins (keyword-in-source ones included)."""
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
    from detect_secrets.plugins.base import RegexBasedDetector

    patterns: list[re.Pattern[str]] = []
    for plugin_class in get_mapping_from_secret_type_to_class().values():
        if not issubclass(plugin_class, RegexBasedDetector) or plugin_class.__name__ in _SKIPPED_PLUGINS:
            continue
        try:
            patterns.extend(plugin_class().denylist)
        except Exception:  # a plugin that needs settings we do not give: our own patterns still apply
            continue
    return tuple(patterns)
