"""Generate large, realistic, mixed-format multi-service logs with an incident in them, for the benches.

Deterministic for a given seed. Five services in five formats (nginx access, JSON lines, Java logback with stack
traces, Python logging, RFC 5424 syslog), a few hundred templates with variable values drawn like real ones, and a
fault in `payment` two thirds of the way through whose callers then log timeouts.
"""

from __future__ import annotations

import argparse
import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

START = datetime(2026, 11, 20, 6, 0, tzinfo=timezone.utc)
USERS = [f"user{n:05d}" for n in range(5000)]
PATHS = ["/api/cart", "/api/checkout", "/api/items/{}", "/api/users/{}/orders", "/static/app.{}.js", "/health", "/api/search"]
VERBS = ["loaded", "saved", "evicted", "refreshed", "validated", "synced", "indexed", "queued", "flushed", "resolved"]
NOUNS = ["cart", "order", "session", "profile", "invoice", "shipment", "coupon", "item", "price", "token", "stock", "review"]


def _ip(r: random.Random) -> str:
    return f"10.{r.randrange(256)}.{r.randrange(256)}.{r.randrange(1, 255)}"


def _hex(r: random.Random, n: int) -> str:
    return "".join(r.choice("0123456789abcdef") for _ in range(n))


def _stamp(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


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
    return f"{head} {level} [http-nio-8080-exec-{r.randrange(1, 200)}] c.s.p.{noun.title()}Service - {noun} {r.choice(VERBS)} id={r.randrange(10**8)} took {r.randrange(1, 400)} ms"


def python_service(r: random.Random, t: datetime, broken: bool) -> str:
    stamp = t.strftime("%Y-%m-%d %H:%M:%S,") + f"{t.microsecond // 1000:03d}+0000"
    level = r.choice(["INFO"] * 10 + ["WARNING", "DEBUG"])
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


SERVICES = {"frontend/access.log": nginx, "checkout/app.jsonl": json_service, "payment/app.log": java,
            "inventory/app.log": python_service, "host/syslog": syslog}
WEIGHTS = [0.35, 0.25, 0.15, 0.15, 0.10]


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
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    files = generate(args.out, args.lines, args.seed)
    print(f"wrote {sum(p.stat().st_size for p in files) / 1e6:.0f} MB in {len(files)} files under {args.out}")


if __name__ == "__main__":
    main()
