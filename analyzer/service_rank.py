"""Which service the incident started in: by order, own new errors and the direction of blame, not by volume.

A broken dependency makes every caller log timeouts about it, often ten times more lines than the broken service
logs itself, so error counts point at victims. Three signals point at the origin instead: it misbehaves first
(within the clock skew between hosts), its anomalous errors are its own rather than complaints about someone else,
and the complaints of others name it ("timeout calling X", "connection refused to X:8080", "503 from X"). Blame is
followed along chains (A blames B, B blames C: C is the origin) by letting each service pass on the share of its
anomalous errors that are complaints, to the services they name, until the blame comes to rest.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import pandas as pd

from analyzer.findings import Example, ServiceScore
from analyzer.onset import IncidentWindow, dates_its_silence
from analyzer.stages import TemplateInfo
from analyzer.template_anomalies import ERROR_SEVERITY, TemplateChange
from analyzer.timeseries import CHUNK, NAT_NS, EventArrays, code_counts, in_columns, to_datetime
from parsers.services import workload_name

GENERIC_SUFFIXES = (
    "-service", "_service", "service", "-svc", "-server", "-srv", "-api", "-app", "-deployment", "-deploy",
)
TOKEN = re.compile(r"[a-z0-9][a-z0-9_.-]*[a-z0-9]|[a-z0-9]", re.IGNORECASE)
URL_HOST = re.compile(r"\b[a-z][a-z0-9+.-]*://(?:[^@/\s]+@)?([a-z0-9_.-]+)(?::(\d{1,5}))?", re.IGNORECASE)
# A port is not followed by ".digit": "rv:123.0" in a browser's User-Agent is a version, not host rv port 123.
HOST_PORT = re.compile(r"(?<![\w.:/-])([a-z][a-z0-9_-]*(?:\.[a-z0-9_-]+)*):(\d{2,5})\b(?!\.\d)", re.IGNORECASE)
# Words that make a named service the object of a complaint rather than a passing mention.
BLAME_WORDS = re.compile(
    r"time[ds]?[ -]?out|refused|reset|unreachable|unavailable|not available|no healthy|calling|call to|request to|"
    r"connect|upstream|downstream|dependency|backend|circuit|\b50[0234]\b|bad gateway|gateway|from|returned|"
    r"respon|failed to (?:reach|call|contact|get|fetch|send)|could not (?:reach|call|contact)|cannot (?:reach|call)|"
    r"not responding|down\b|retry|retries|remote|peer",
    re.IGNORECASE,
)
# Words too common in messages to stand for a service, even when a service name reduces to them.
GENERIC_WORDS = frozenset({"api", "app", "web", "www", "http", "https", "service", "server", "svc", "worker", "main",
                           "default", "prod", "production", "staging", "dev", "test", "local", "internal", "backend",
                           "frontend-api", "client", "host", "node", "db"})
# Data stores and brokers named by their client libraries, errors and ports rather than by the service name.
PRODUCTS: dict[str, tuple[tuple[str, ...], tuple[int, ...]]] = {
    "postgres": (("postgres", "postgresql", "pgbouncer", "psycopg", "pg_wal", "pgconnection"), (5432, 6432)),
    "mysql": (("mysql", "mariadb"), (3306,)),
    "redis": (("redis", "jedis", "lettuce"), (6379,)),
    "kafka": (("kafka",), (9092, 9093)),
    "mongo": (("mongo", "mongodb"), (27017,)),
    "elasticsearch": (("elasticsearch", "opensearch"), (9200,)),
    "rabbitmq": (("rabbitmq", "amqp"), (5672,)),
    "zookeeper": (("zookeeper",), (2181,)),
    "memcached": (("memcached",), (11211,)),
    "cassandra": (("cassandra",), (9042,)),
}
PORT = re.compile(r"(?::|\bport\s*[:=]?\s*)(\d{2,5})\b", re.IGNORECASE)
# A caller's error about reaching something else, whether or not it says what: not its own fault.
CONNECTIVITY = re.compile(
    r"connection (?:refused|reset|closed|failed|timed out|aborted|error)|connect(?:ion)? timed? ?out|time[ds]?[ -]?out|"
    r"unreachable|unavailable|no route to host|(?:could not|cannot|can't|unable to|failed to) (?:connect|reach|open "
    r"connection|contact)|broken pipe|\b50[234]\b|bad gateway|circuit ?breaker|too many connections|"
    r"connection pool|pool exhausted|name or service not known|unknown host|dns",
    re.IGNORECASE,
)
SOURCE_FILE = re.compile(r"\.(?:java|kt|scala|groovy|py|go|rs|rb|js|ts|cs|cpp|cc|c|h|php|swift|ex|exs|erl)$")  # frames
# Severity words are in every other error line; a "service" by that name (a misread header) is never blamed.
LEVEL_WORDS = frozenset({"trace", "debug", "info", "notice", "log", "warn", "warning", "error", "err", "fatal", "panic",
                         "critical", "crit", "alert", "emerg", "severe", "detail", "hint", "statement", "context"})
LISTENING = re.compile(
    r"\b(?:listen(?:s|ing)?|serving|bound|started|running|accepting connections)\b[^\n]{0,60}?"
    r"(?:\bport\s*[:=]?\s*|[\w\].]:)(\d{2,5})\b",
    re.IGNORECASE,
)
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "0.0.0.0", "::1"})

WEIGHT_EARLY, WEIGHT_BLAMED, WEIGHT_OWN, WEIGHT_DROP, WEIGHT_COMPLAINER = 0.30, 0.30, 0.25, 0.15, 0.20


@dataclass
class Complaint:
    """Whom a message complains about."""

    services: dict[str, float] = field(default_factory=dict)  # service -> strength (1 with words of complaint)
    external: dict[str, float] = field(default_factory=dict)  # host[:port] that is no service here -> strength
    about_dependency: bool = False  # a failure to reach something, named or not


@dataclass
class ServiceActivity:
    """What one service did around the incident: the input of the ranking."""

    name: str
    onset: datetime | None = None  # its first anomalous event
    errors_baseline: int = 0
    errors_incident: int = 0
    own: list[tuple[str, float]] = field(default_factory=list)  # (template, evidence) anomalous errors of its own
    blames: dict[str, float] = field(default_factory=dict)  # service it complains about -> weight
    blame_examples: dict[str, str] = field(default_factory=dict)  # service -> a template that names it
    external: dict[str, float] = field(default_factory=dict)  # hosts it complains about that log nothing here
    dropped: list[str] = field(default_factory=list)  # steady templates of its own that went quiet
    unnamed: float = 0.0  # weight of its complaints about reaching a dependency it does not name


def service_aliases(names: list[str], ports: dict[int, str] | None = None) -> dict[str, str]:
    """Lower-case names a message may use for each service (pod hashes, "-service" suffixes and a shared prefix
    like "ts-" stripped); names that would match two services are left out. `ports` (see announced_ports) lets
    "dial tcp 10.0.3.7:9555: connection refused" name the service that said it listens on 9555."""
    prefix = _shared_prefix([n.lower() for n in names])
    candidates: dict[str, set[str]] = {}
    for name in names:
        for alias in _aliases_of(name.lower(), prefix):
            candidates.setdefault(alias, set()).add(name)
    aliases = {alias: next(iter(owners)) for alias, owners in candidates.items() if len(owners) == 1}
    for product, (words, default_ports) in PRODUCTS.items():
        owners = {n for n in names if any(w in n.lower() for w in (product, *words))}
        if len(owners) == 1:
            owner = next(iter(owners))
            for key in (*words, product, *(f"port:{p}" for p in default_ports)):
                aliases.setdefault(key, owner)
    for port, owner in (ports or {}).items():
        aliases[f"port:{port}"] = owner  # what a service says it listens on beats a well-known default
    return aliases


def announced_ports(texts: dict[tuple[int, str], list[Example]]) -> dict[int, str]:
    """Port -> service, from the services' own start-up lines ("listening on port 9555", "Tomcat started on port
    8080"); a port two services announce (every Spring service on 8080) names neither."""
    owners: dict[int, set[str]] = {}
    for (_, service), examples in texts.items():
        for example in examples:
            for port in LISTENING.findall(example.text):
                owners.setdefault(int(port), set()).add(service)
    return {port: next(iter(s)) for port, s in owners.items() if len(s) == 1}


def _aliases_of(name: str, prefix: str) -> set[str]:
    out = {name}
    base = workload_name(name)  # Kubernetes pod suffixes only: `user-cache` is not the pod `user` of hash `cache`
    out.add(base)
    for stem in (base, base[len(prefix) :] if prefix and base.startswith(prefix) else base):
        out.add(stem)
        for suffix in GENERIC_SUFFIXES:
            if stem.endswith(suffix) and len(stem) - len(suffix) >= 3:
                out.add(stem[: -len(suffix)].rstrip("-_."))
    return {a for a in out if len(a) >= 2 and (a == name or a not in GENERIC_WORDS) and a not in LEVEL_WORDS}


def _shared_prefix(names: list[str]) -> str:
    """A dash-terminated prefix every service name shares ("ts-"), when there are several services."""
    if len(names) < 2:
        return ""
    first = names[0].split("-", 1)
    if len(first) < 2:
        return ""
    prefix = first[0] + "-"
    return prefix if all(n.startswith(prefix) for n in names) else ""


def blame_targets(text: str, aliases: dict[str, str], own: str) -> Complaint:
    """Services (and outside hosts) a message complains about.

    A named service counts fully when the message also has a word of complaint, half when it is a bare mention.
    Data stores count when named by product, client library or well-known port ("org.postgresql...", ":6379").
    Hosts in URLs or host:port that match no service are outside dependencies."""
    strength = 1.0 if BLAME_WORDS.search(text) else 0.5
    complaint = Complaint(about_dependency=bool(CONNECTIVITY.search(text)))
    lowered = text.lower()
    for match in TOKEN.finditer(lowered):
        if _in_url_path(lowered, match.start()):
            continue
        for candidate in _token_forms(match.group(0)):
            target = aliases.get(candidate)
            if target and target != own:
                complaint.services[target] = max(complaint.services.get(target, 0.0), strength)
                break
    for key, target in aliases.items():
        if target == own or target in complaint.services:
            continue
        if key.startswith("port:") and any(int(p) == int(key[5:]) for p in PORT.findall(lowered)):
            complaint.services[target] = strength
        elif _is_product_word(key) and key in lowered:
            complaint.services[target] = strength
    for host, port in [*URL_HOST.findall(text), *HOST_PORT.findall(text)]:
        host = host.lower()
        if host in LOCAL_HOSTS or any(aliases.get(c) for c in _token_forms(host)):
            continue
        if port and aliases.get(f"port:{int(port)}"):
            continue
        if re.fullmatch(r"[\d.]+", host) or not port and "." not in host or SOURCE_FILE.search(host):
            continue
        complaint.external[f"{host}:{port}" if port else host] = strength
    return complaint


def _is_product_word(key: str) -> bool:
    return any(key == product or key in words for product, (words, _) in PRODUCTS.items())


def _in_url_path(text: str, start: int) -> bool:
    """A token right after a single "/" is a path segment ("/api/orders"), not a host ("http://orders")."""
    return start > 0 and text[start - 1] == "/" and not text[max(start - 2, 0) : start] == "//"


def _token_forms(token: str) -> list[str]:
    """A token as written, without a port, and its first DNS label ("payment.prod.svc:80" -> "payment")."""
    bare = token.split(":", 1)[0].strip("._-")
    return list(dict.fromkeys([token, bare, bare.split(".", 1)[0]]))


def rank_services(
    activities: list[ServiceActivity], skew_seconds: float, spread_seconds: float
) -> list[ServiceScore]:
    """Every service, most likely origin first, with its score (0..1) and the reasons in words."""
    if not activities:
        return []
    names = [a.name for a in activities]
    blamed = _blame_at_rest(activities)
    onsets = [a.onset for a in activities if a.onset is not None]
    earliest = min(onsets) if onsets else None
    scores = []
    for i, activity in enumerate(activities):
        early = _earliness(activity.onset, earliest, skew_seconds, spread_seconds)
        own_evidence = sum(w for _, w in activity.own)
        own = 1.0 - math.exp(-own_evidence / 1.5)
        complaints = sum(activity.blames.values()) + activity.unnamed
        complainer = complaints / (complaints + own_evidence) if complaints else 0.0
        dropped = 1.0 if activity.dropped else 0.0
        score = (
            WEIGHT_EARLY * early
            + WEIGHT_BLAMED * blamed[i]
            + WEIGHT_OWN * own
            + WEIGHT_DROP * dropped
            - WEIGHT_COMPLAINER * complainer * (1.0 - blamed[i])
        )
        scores.append(
            ServiceScore(
                name=activity.name,
                score=round(float(min(max(score, 0.0), 1.0)), 4),
                onset=activity.onset,
                error_events_baseline=activity.errors_baseline,
                error_events_incident=activity.errors_incident,
                reasons=_reasons(activity, earliest, activities, names, blamed[i], complainer),
            )
        )
    never = datetime.max.replace(tzinfo=earliest.tzinfo) if earliest else None
    return sorted(scores, key=lambda s: (-s.score, s.onset or never or 0, s.name))


def _earliness(onset: datetime | None, earliest: datetime | None, skew: float, spread: float) -> float:
    """1 for the first service (and any within the clock skew of it), decaying for later ones."""
    if onset is None or earliest is None:
        return 0.0
    delay = max((onset - earliest).total_seconds() - skew, 0.0)
    return math.exp(-delay / max(spread, 1.0))


def _blame_at_rest(activities: list[ServiceActivity]) -> np.ndarray:
    """0..1 per service: how much of everyone's complaining ends up at it, net of its own share to start with."""
    index = {a.name: i for i, a in enumerate(activities)}
    n = len(activities)
    edges = np.zeros((n, n))
    for i, a in enumerate(activities):
        for target, weight in a.blames.items():
            if target in index:
                edges[i, index[target]] += weight
    if not edges.any():
        return np.zeros(n)
    own = np.array([sum(w for _, w in a.own) for a in activities])
    outgoing = edges.sum(axis=1)
    start = own + outgoing
    start = start / start.sum()
    passes_on = np.divide(outgoing, outgoing + own, out=np.zeros(n), where=(outgoing + own) > 0)
    transition = np.divide(edges, outgoing[:, None], out=np.zeros_like(edges), where=outgoing[:, None] > 0)
    mass, rest = start.copy(), np.zeros(n)
    for _ in range(50):  # blame cycles (two services timing out on each other) fade geometrically
        rest += mass * (1.0 - passes_on)
        mass = (mass * passes_on) @ transition
    rest += mass
    gain = np.maximum(rest - start, 0.0)
    return gain / gain.max() if gain.max() > 0 else gain


def _reasons(
    a: ServiceActivity,
    earliest: datetime | None,
    activities: list[ServiceActivity],
    names: list[str],
    blamed: float,
    complainer: float,
) -> list[str]:
    reasons = []
    if a.onset is not None and earliest is not None:
        delay = (a.onset - earliest).total_seconds()
        when = a.onset.strftime("%H:%M:%S")
        reasons.append(
            f"first anomalous event at {when}, the earliest of all services"
            if delay <= 0
            else f"first anomalous event at {when}, {_duration(delay)} after the earliest service"
        )
    if a.own:
        top = sorted(a.own, key=lambda t: -t[1])
        reasons.append(f"{len(a.own)} anomalous error template(s) of its own, e.g. “{_short(top[0][0])}”")
    accusers = [(o.name, o.blame_examples.get(a.name, "")) for o in activities if a.name in o.blames]
    if accusers:
        listed = ", ".join(f"{name} (“{_short(text)}”)" for name, text in accusers[:3])
        more = f" and {len(accusers) - 3} more" if len(accusers) > 3 else ""
        reasons.append(f"blamed by {len(accusers)} service(s): {listed}{more}")
    if a.blames:
        reasons.append(
            f"its anomalous errors are mostly complaints about {', '.join(sorted(a.blames))}"
            if complainer >= 0.5
            else f"it also complains about {', '.join(sorted(a.blames))}"
        )
    if a.external:
        reasons.append(f"its errors name {', '.join(sorted(a.external)[:3])}, which logs nothing here")
    if a.dropped:
        reasons.append(f"steady message(s) stopped: “{_short(a.dropped[0])}”")
    if a.errors_incident > 0 and complainer >= 0.5 and blamed < 0.5:
        reasons.append(f"loud ({a.errors_incident} error events) but its errors are about others: likely a victim")
    if not reasons:
        reasons.append("nothing anomalous in its logs")
    return reasons


def _short(text: str, limit: int = 90) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


# ---------------------------------------------------------------- what each service did, from the event table


def texts_by_service(table: EventArrays, templates: dict[int, TemplateInfo]) -> dict[tuple[int, str], list[Example]]:
    """(template id, service) -> examples from that service, via the path each example was read from."""
    service_of = {str(table.path_names[p]): str(table.service_names[s]) for p, s in _first_service_of_paths(table)}
    out: dict[tuple[int, str], list[Example]] = {}
    for tid, info in templates.items():
        for example in [*info.examples, *info.recent]:
            service = service_of.get(example.path)
            if service is not None:
                out.setdefault((tid, service), []).append(example)
    return out


def _first_service_of_paths(table: EventArrays) -> list[tuple[int, int]]:
    """(path code, service code of the path's first event) per path, a chunk of events at a time, stopping once
    every path is placed (they mostly are in the first chunk)."""
    found: dict[int, int] = {}
    for start in range(0, len(table.path), CHUNK):
        paths = table.path[start:start + CHUNK]
        codes, first = np.unique(paths, return_index=True)
        for p, i in zip(codes.tolist(), first.tolist()):
            found.setdefault(p, int(table.service[start + i]))
        if len(found) >= len(table.path_names) - 1:  # the last name stands for a missing path
            break
    return sorted(found.items(), key=lambda pair: pair[0])


def collect_activities(
    table: EventArrays,
    base: EventArrays | None,
    ids: pd.Index,
    severity: np.ndarray,
    templates: dict[int, TemplateInfo],
    changes: list[TemplateChange],
    firsts: dict[int, int],
    services_of: dict[str, dict[int, dict[str, int]]],
    texts: dict[tuple[int, str], list[Example]],
    aliases: dict[str, str],
    names: list[str],
    inside: np.ndarray,
    window: IncidentWindow,
) -> list[ServiceActivity]:
    """What each service did around the incident: error counts before and during it, its first anomalous event,
    its own anomalous errors, its complaints about others (named or not) and its steady messages that stopped."""
    activities = {name: ServiceActivity(name=name) for name in names}
    before = (table.ns != NAT_NS) & (table.ns < window.onset_ns)
    for name, n in errors_per_service(table, inside & table.is_error).items():
        activities[name].errors_incident = n
    if base is not None:
        base_errors = errors_per_service(base, base.is_error)
    else:
        base_errors = errors_per_service(table, before & table.is_error)
    for name, n in base_errors.items():
        if name in activities:
            activities[name].errors_baseline = n

    first_by_service = _first_by_service(table, inside, [c.column for c in changes if c.kind != "drop"])
    for change in changes:
        tid = int(ids[change.column])
        text = templates[tid].text if tid in templates else f"template {tid}"
        if change.kind == "drop":
            precise = dates_its_silence(table, change.column, window.onset_ns)
            for service in services_of["baseline"].get(change.column, {}):
                if service in activities:
                    activities[service].dropped.append(text)
                    if precise:
                        _earliest(activities[service], firsts.get(change.column))
            continue
        if severity[change.column] < ERROR_SEVERITY:
            continue
        evidence = severity[change.column] * min(1.0, change.surprise / 5.0)
        for service in services_of["incident"].get(change.column, {}):
            activity = activities[service]
            _earliest(activity, first_by_service.get((change.column, service)))
            complaint = _complaints(tid, service, text, texts, aliases)
            for target, strength in complaint.services.items():
                activity.blames[target] = activity.blames.get(target, 0.0) + strength * evidence
                activity.blame_examples.setdefault(target, text)
            for host, strength in complaint.external.items():
                activity.external[host] = activity.external.get(host, 0.0) + strength * evidence
            if not complaint.services and (complaint.external or complaint.about_dependency):
                activity.unnamed += evidence
            elif not complaint.services:
                activity.own.append((text, evidence))
    return [activities[name] for name in names]


def errors_per_service(table: EventArrays, mask: np.ndarray) -> dict[str, int]:
    counts = code_counts(table.service, len(table.service_names), where=mask)
    return {str(table.service_names[i]): int(n) for i, n in enumerate(counts) if n}


def _first_by_service(table: EventArrays, inside: np.ndarray, columns: list[int]) -> dict[tuple[int, str], int]:
    if not columns:
        return {}
    mask = inside & in_columns(table.codes, columns) & (table.ns != NAT_NS)
    frame = pd.DataFrame({"c": table.codes[mask], "s": table.service[mask], "t": table.ns[mask]})
    firsts = frame.groupby(["c", "s"])["t"].min()
    return {(int(c), str(table.service_names[s])): int(t) for (c, s), t in firsts.items()}


def _earliest(activity: ServiceActivity, ns: int | None) -> None:
    if ns is None:
        return
    when = to_datetime(ns)
    if activity.onset is None or when < activity.onset:
        activity.onset = when


def _complaints(tid, service, text, texts, aliases) -> Complaint:
    """Who the template complains about, read in the service's own examples (the template text may mask names;
    of a stack trace the first line and the last ones, where the final exception and its "Caused by" are)."""
    merged = Complaint()
    for candidate in [text, *(e.text for e in texts.get((tid, service), []))]:
        found = blame_targets(_telling_lines(candidate), aliases, service)
        for k, v in found.services.items():
            merged.services[k] = max(merged.services.get(k, 0.0), v)
        for k, v in found.external.items():
            merged.external[k] = max(merged.external.get(k, 0.0), v)
        merged.about_dependency |= found.about_dependency
    return merged


def _telling_lines(text: str) -> str:
    lines = text.strip().splitlines()
    if len(lines) <= 4:
        return " ".join(lines)
    caused = [line for line in lines if "caused by" in line.lower()]
    return " ".join([lines[0], *caused[-2:], *lines[-3:]])
