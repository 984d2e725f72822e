"""Generate large, realistic, mixed-format multi-service logs with an incident in them: the benches' one generator.

    python bench/loggen.py /tmp/logs --lines 1000000

Deterministic for a given seed. Six files in six formats, each with its real header: nginx access, JSON lines, Java
logback (with stack traces), Python logging, RFC 5424 syslog, and a BSD syslog auth.log. A few hundred templates:
each application service logs a vocabulary of its own (about a hundred events each, of distinct wording, some far
commoner than others as in real logs) besides its hand-written events. Variable values are drawn like real ones:
people's user names and numbered accounts, IPs with ports, durations, request ids, UUIDs, paths, sizes, counters,
host names. A fault in `payment` two thirds of the way through makes its callers log timeouts.
"""

from __future__ import annotations

import argparse
import random
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

START = datetime(2026, 11, 20, 6, 0, tzinfo=timezone.utc)
USERS = [f"user{n:05d}" for n in range(5000)]
# People's user names (`ana.smith`): no mask can know these are variables, so Drain has to generalise them.
PEOPLE = [f"{first}.{last}" for first in ("ana", "bo", "chen", "dev", "eli", "fay", "gus", "hana", "ivo", "jo",
                                          "kai", "lena", "mo", "nia", "omar", "pia")
          for last in ("smith", "ng", "kowalski", "okafor", "silva", "berg", "tan", "roy")]
PATHS = ["/api/cart", "/api/checkout", "/api/items/{}", "/api/users/{}/orders", "/static/app.{}.js", "/health", "/api/search"]
VERBS = ["loaded", "saved", "evicted", "refreshed", "validated", "synced", "indexed", "queued", "flushed", "resolved"]
NOUNS = ["cart", "order", "session", "profile", "invoice", "shipment", "coupon", "item", "price", "token", "stock", "review"]
FILE_ROOTS = ["/var/lib/app/cache", "/srv/data/uploads", "/tmp/spool", "/opt/app/tmp"]
PEERS = ["db-primary", "db-replica", "redis-cache", "kafka-broker", "search-node", "auth-gw"]

# The words of the services' vocabularies: each event is a few of them in a fixed order, with variables between.
# No word of a lifecycle or a change (started, restarted, migrated, reloaded, deployment): the incident in these
# logs must stay the one planted in payment, not a restart the vocabulary made up.
WORDS = ("accepted adding allocated applying archived assigned attached blocked buffered cancelled checked cleaned "
         "closed committed compacted compiled completed connected created decoded deferred deleted denied detached "
         "disabled dispatched downloaded dropped enabled encoded enqueued evicted exported fetched finished flushed "
         "granted handled ignored imported indexed loaded locked merged cloned mounted opened parsed paused "
         "pending pinned polled prepared published pulled pushed queued read rebuilt received refreshed registered "
         "rejected released sampled removed renamed replayed resolved tagged restored resumed retried rotated "
         "saved scheduled sealed sent skipped annotated zipped stored submitted suspended synced throttled timed "
         "trimmed unlocked updated uploaded validated verified waiting wrote account batch bucket cache channel "
         "checkpoint chunk client cluster config connection consumer container cursor dataset digest device "
         "document endpoint event export feature file filter handler index invoice job journal key lease ledger "
         "listener lock manifest message metric module namespace node offset order package partition payload peer "
         "pipeline plugin policy pool producer profile queue quota record region replica report request resource "
         "route schema secret segment session shard snapshot socket stream subscription table task tenant thread "
         "ticket token topic transaction upload user volume webhook worker").split()


def _ip(r: random.Random) -> str:
    return f"10.{r.randrange(256)}.{r.randrange(256)}.{r.randrange(1, 255)}"


def _hex(r: random.Random, n: int) -> str:
    return f"{r.getrandbits(4 * n):0{n}x}"


def _stamp(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


# Kinds of variable value, each drawn the way real systems print it.
VALUE_KINDS = {
    "person": lambda r: r.choice(PEOPLE),
    "account": lambda r: r.choice(USERS),
    "addr": lambda r: f"{_ip(r)}:{r.randrange(1024, 65535)}",
    "ip": _ip,
    "ms": lambda r: f"{r.randrange(1, 5000)}ms",
    "seconds": lambda r: f"{r.random() * 30:.3f}s",
    "request": lambda r: _hex(r, 16),
    "uuid": lambda r: str(uuid.UUID(int=r.getrandbits(128), version=4)),
    "id": lambda r: str(r.randrange(10**8)),
    "path": lambda r: f"{r.choice(FILE_ROOTS)}/{r.choice(NOUNS)}-{r.randrange(10**6)}.bin",
    "size": lambda r: f"{r.randrange(1, 4096)} KB",
    "count": lambda r: f"attempt={r.randrange(1, 6)}",
    "peer": lambda r: f"{r.choice(PEERS)}-{r.randrange(1, 13):02d}.internal:{r.choice([5432, 6379, 9092, 9200])}",
}


def vocabulary(service: str, count: int, seed: int = 2026) -> list[tuple]:
    """`count` event shapes of distinct wording for one service: three to seven words with one to three values
    of real-looking kinds between them. A shape is a tuple of words (str) and value makers (callables)."""
    r = random.Random(f"{seed}-{service}")  # a str seed is hashed deterministically, whatever PYTHONHASHSEED
    kinds = list(VALUE_KINDS)
    shapes = []
    for _ in range(count):
        words = r.sample(WORDS, r.randrange(3, 8))
        slots = sorted(r.sample(range(1, len(words) + 1), r.randrange(1, min(3, len(words)) + 1)))
        parts: list = list(words)
        for offset, slot in enumerate(slots):
            parts.insert(slot + offset, VALUE_KINDS[r.choice(kinds)])
        shapes.append(tuple(parts))
    return shapes


class Vocabulary:
    """A service's shapes and the Zipf-like weights (1/rank) real event frequencies follow."""

    def __init__(self, service: str, count: int):
        self.shapes = vocabulary(service, count)
        self.cumulative = []
        total = 0.0
        for rank in range(count):
            total += 1 / (rank + 1)
            self.cumulative.append(total)

    def message(self, r: random.Random) -> str:
        shape = r.choices(self.shapes, cum_weights=self.cumulative)[0]
        return " ".join(part if isinstance(part, str) else part(r) for part in shape)


CHECKOUT = Vocabulary("checkout", 120)
PAYMENT = Vocabulary("payment", 100)
INVENTORY = Vocabulary("inventory", 100)
VOCABULARY_SHARE = 0.5  # of an application service's lines, the rest being its hand-written events


def nginx(r: random.Random, t: datetime, broken: bool) -> str:
    path = r.choice(PATHS).format(r.randrange(100000))
    status = r.choice([504, 502, 200]) if broken and path.startswith("/api/checkout") else r.choice([200] * 30 + [301, 404])
    when = t.strftime("%d/%b/%Y:%H:%M:%S +0000")
    return f'{_ip(r)} - - [{when}] "GET {path} HTTP/1.1" {status} {r.randrange(200, 90000)} "-" "Mozilla/5.0 (X11; Linux x86_64)" {r.random():.3f}'


def json_service(r: random.Random, t: datetime, broken: bool) -> str:
    if broken and r.random() < 0.5:
        level, msg = "ERROR", f"timeout calling payment after {r.randrange(3000, 5000)}ms order={_hex(r, 12)}"
    else:
        level = r.choice(["INFO"] * 20 + ["DEBUG"] * 5 + ["WARN"])
        if r.random() < VOCABULARY_SHARE:
            msg = CHECKOUT.message(r)
        else:
            msg = f"{r.choice(NOUNS)} {r.choice(VERBS)} for {r.choice(USERS)} in {r.randrange(1, 900)}ms (request {_hex(r, 16)})"
    return f'{{"ts":"{_stamp(t)}","level":"{level}","service":"checkout","logger":"checkout.{r.choice(NOUNS)}","msg":"{msg}"}}'


def java(r: random.Random, t: datetime, broken: bool) -> str:
    head = t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}+00:00"
    if broken and r.random() < 0.3:
        return (f"{head} ERROR [http-nio-8080-exec-{r.randrange(1, 200)}] c.s.p.GatewayClient - authorization failed for order {_hex(r, 12)}\n"
                "java.lang.NullPointerException: Cannot invoke \"String.length()\" because \"token\" is null\n"
                "\tat com.shop.payment.GatewayClient.authorize(GatewayClient.java:142)\n"
                "\tat com.shop.payment.PaymentService.charge(PaymentService.java:88)\n"
                "\tat java.base/java.lang.Thread.run(Thread.java:833)")
    level = r.choice(["INFO"] * 12 + ["DEBUG"] * 4 + ["WARN"])
    noun = r.choice(NOUNS)
    thread = f"http-nio-8080-exec-{r.randrange(1, 200)}"
    if r.random() < VOCABULARY_SHARE:
        return f"{head} {level} [{thread}] c.s.p.{noun.title()}Service - {PAYMENT.message(r)}"
    return f"{head} {level} [{thread}] c.s.p.{noun.title()}Service - {noun} {r.choice(VERBS)} id={r.randrange(10**8)} took {r.randrange(1, 400)} ms"


def python_service(r: random.Random, t: datetime, broken: bool) -> str:
    stamp = t.strftime("%Y-%m-%d %H:%M:%S,") + f"{t.microsecond // 1000:03d}+0000"
    level = r.choice(["INFO"] * 10 + ["WARNING", "DEBUG"])
    if r.random() < VOCABULARY_SHARE:
        return f"{stamp} {level} inventory.{r.choice(NOUNS)}: {INVENTORY.message(r)}"
    return f"{stamp} {level} inventory.{r.choice(NOUNS)}: {r.choice(NOUNS)} {r.choice(VERBS)} sku={r.randrange(10**6)} qty={r.randrange(50)} from {_ip(r)}"


def syslog(r: random.Random, t: datetime, broken: bool) -> str:
    app = r.choice(["sshd", "cron", "kernel", "systemd"])
    text = {
        "sshd": f"Accepted publickey for deploy from {_ip(r)} port {r.randrange(1024, 65535)} ssh2",
        "cron": f"(root) CMD (/usr/local/bin/rotate --keep {r.randrange(3, 9)})",
        "kernel": f"TCP: request_sock_TCP: Possible SYN flooding on port {r.randrange(1, 9000)}. Sending cookies.",
        "systemd": f"Started Session {r.randrange(10**5)} of user {r.choice(USERS)}.",
    }[app]
    return f"<{r.randrange(8, 190)}>1 {_stamp(t)} host-{r.randrange(1, 9)} {app} {r.randrange(100, 40000)} - - {text}"


def auth_log(r: random.Random, t: datetime, broken: bool) -> str:
    """BSD syslog as /var/log/auth.log writes it: `Nov  2 06:00:01 host sshd[pid]: ...` (day padded with a space)."""
    port = r.randrange(1024, 65535)
    who = r.choice(PEOPLE)
    app, text = r.choice([
        ("sshd", f"Accepted publickey for {who} from {_ip(r)} port {port} ssh2"),
        ("sshd", f"Failed password for invalid user {r.choice(PEOPLE)} from {_ip(r)} port {port} ssh2"),
        ("sshd", f"Connection closed by {_ip(r)} port {port} [preauth]"),
        ("sshd", f"pam_unix(sshd:session): session opened for user {who} by (uid=0)"),
        ("sudo", f"{who} : TTY=pts/{r.randrange(8)} ; PWD=/home/{who} ; USER=root ; "
                 "COMMAND=/usr/bin/systemctl restart app"),
        ("kernel", f"[{r.random() * 10**6:.6f}] Out of memory: Killed process {r.randrange(100, 40000)} (java) "
                   f"total-vm:{r.randrange(10**6, 10**7)}kB, anon-rss:{r.randrange(10**5, 10**6)}kB"),
    ])
    stamp = f"{t.strftime('%b')} {t.day:>2} {t.strftime('%H:%M:%S')}"
    tag = app if app == "kernel" else f"{app}[{r.randrange(100, 40000)}]"  # the kernel has no pid
    return f"{stamp} host-{r.randrange(1, 9)} {tag}: {text}"


SERVICES = {"frontend/access.log": nginx, "checkout/app.jsonl": json_service, "payment/app.log": java,
            "inventory/app.log": python_service, "host/syslog": syslog, "host/auth.log": auth_log}
WEIGHTS = [0.30, 0.25, 0.15, 0.15, 0.08, 0.07]
# Hand-written events (nginx one per status class, json 2, java 2, python 1, syslog 4, auth 6) plus the vocabularies.
TEMPLATE_COUNT = 19 + len(CHECKOUT.shapes) + len(PAYMENT.shapes) + len(INVENTORY.shapes)


def generate(out: Path, lines: int, seed: int = 7, span: timedelta = timedelta(hours=8)) -> list[Path]:
    """Write about `lines` physical lines across the services' files under `out`; returns the files."""
    r = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    files = {name: (out / name) for name in SERVICES}
    for path in files.values():
        path.parent.mkdir(parents=True, exist_ok=True)
    handles = {name: open(path, "w", encoding="utf-8") for name, path in files.items()}
    names = list(SERVICES)
    fault_at = int(lines * 2 / 3)
    step = span / lines
    try:
        written = 0
        while written < lines:
            chunk = min(100_000, lines - written)
            picks = r.choices(names, WEIGHTS, k=chunk)
            buffers: dict[str, list[str]] = {name: [] for name in names}
            for i, name in enumerate(picks):
                n = written + i
                text = SERVICES[name](r, START + step * n, n >= fault_at)
                buffers[name].append(text)
            for name, buffer in buffers.items():
                if buffer:
                    handles[name].write("\n".join(buffer) + "\n")
            written += chunk
    finally:
        for handle in handles.values():
            handle.close()
    return list(files.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    files = generate(args.out, args.lines, args.seed)
    print(f"wrote {sum(p.stat().st_size for p in files) / 1e6:.0f} MB in {len(files)} files under {args.out}, "
          f"about {TEMPLATE_COUNT} templates")


if __name__ == "__main__":
    main()
