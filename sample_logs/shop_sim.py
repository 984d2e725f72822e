"""A discrete-event simulation of the shop's traffic that writes what each service would have logged.

Times are integer microseconds since the epoch (UTC) so that nothing depends on float rounding or the machine's
zone. Every random draw comes from one seeded `random.Random`, consumed in a fixed order, so a run is
reproducible byte for byte. Faults (a leaking connection pool, a database whose disk filled) are state the
request flows consult; they change what gets logged, never the order of the draws that come before them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timezone

from sample_logs import formats as fmt
from sample_logs.traces import (
    JavaFrames,
    PythonFrames,
    java_hikari_trace,
    java_pool_timeout_trace,
    python_diskfull_trace,
)

S = 1_000_000  # microseconds per second


def dt(us: int) -> datetime:
    return datetime.fromtimestamp(us // S, tz=timezone.utc).replace(microsecond=us % S)


def us_of(t: datetime) -> int:
    return int(t.timestamp()) * S + t.microsecond


@dataclass
class Logs:
    """Lines per output file, each with its time so files can be written in time order."""

    files: dict[str, list[tuple[int, int, str]]] = field(default_factory=dict)
    _seq: int = 0

    def add(self, path: str, t: int, text: str) -> None:
        self._seq += 1
        self.files.setdefault(path, []).append((t, self._seq, text))

    def rendered(self) -> dict[str, str]:
        return {path: "".join(text + "\n" for _, _, text in sorted(rows)) for path, rows in self.files.items()}


@dataclass(frozen=True)
class Release:
    at: int  # when the new pods start logging, µs
    version: str
    sha7: str


@dataclass
class PoolLeak:
    """payment-service v2.14.0: every 3-D Secure challenge or decline leaks a pooled connection."""

    deployed: list[int]  # per pod: when the leaking build started
    rolled_back: list[int]  # per pod: when the fixed build started
    max_connections: int = 10
    leaks: list[list[int]] = field(default_factory=lambda: [[], []])  # per pod: when each connection leaked
    exhausted_at: list[int | None] = field(default_factory=lambda: [None, None])

    def active(self, pod: int, t: int) -> bool:
        return self.deployed[pod] <= t < self.rolled_back[pod]

    def exhausted(self, pod: int, t: int) -> bool:
        at = self.exhausted_at[pod]
        return at is not None and at <= t < self.rolled_back[pod]

    def leak(self, pod: int, t: int) -> None:
        if not self.active(pod, t) or self.exhausted_at[pod] is not None:
            return
        self.leaks[pod].append(t)
        if len(self.leaks[pod]) >= self.max_connections:
            self.exhausted_at[pod] = t

    def leased(self, pod: int, t: int) -> int:
        """Connections held at time t by the leak (calls in flight return theirs within a second)."""
        if not self.active(pod, t):
            return 0
        return sum(1 for at in self.leaks[pod] if at <= t)


@dataclass(frozen=True)
class DiskFull:
    """db-01's data volume fills because WAL archiving to backup-nfs-01 fails; postgres crash-loops until fixed."""

    nfs_lost: int  # backup-nfs-01 stops answering
    full: int  # first write that fails with ENOSPC
    fixed: int  # volume grown, postgres accepts connections again

    def db_down(self, t: int) -> bool:
        return self.full <= t < self.fixed


@dataclass
class World:
    start: int
    end: int
    host_year: int
    payment_releases: list[list[Release]]  # per pod, in time order; the first is what ran at `start`
    inventory_pods: list[tuple[int, str, str, str]]  # (from, pod name, container id, version)
    checkout_release: Release | None  # a checkout rollout inside the window, if any
    java: JavaFrames
    python: PythonFrames
    leak: PoolLeak | None = None
    disk: DiskFull | None = None
    rate_scale: float = 1.0


CHECKOUT_PODS = (
    "checkout-service-7b9c6d5f4-h2xkq",
    "checkout-service-7b9c6d5f4-p8mzt",
    "checkout-service-7b9c6d5f4-w4rcn",
)
PAYMENT_THREADS = 200
SKUS = [f"SKU-{n}" for n in range(10001, 10480, 7)]
CATEGORIES = ("shoes", "jackets", "backpacks", "tents", "socks", "headlamps", "stoves", "gloves")
SLUGS = ("trail-runner-2", "alpine-shell", "daypack-22", "summit-tent-3p", "merino-crew", "nightbeam-400",
         "flatfold-stove", "grip-liner", "ridge-hoodie", "basecamp-duffel", "trek-pole-carbon", "rain-shell-lite")  # fmt: skip
AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.3 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_3 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.3 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (X11; Linux x86_64; rv:123.0) Gecko/20100101 Firefox/123.0",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.6261.105 Mobile Safari/537.36",
)
SCANNER = "Mozilla/5.0 (compatible; zgrab/0.x)"
ACQUIRERS = (("EUR", "adyen"), ("EUR", "adyen"), ("EUR", "adyen"), ("GBP", "worldpay"), ("USD", "stripe"))
DECLINE_REASONS = ("Insufficient funds", "Refused", "Expired Card", "Do Not Honor")

# Real logs leak credentials: checkout logs the payment URL it was given, basic-auth password included, and
# on-call types a database password on a sudo command line. Reports must never repeat them.
PAYMENT_URL_WITH_CREDENTIALS = (
    "http://checkout:Xk9v2Lq7RmT4wP8s@payment-service.shop.svc.cluster.local:8080/v1/payments/authorize"
)
DB_PASSWORD_ON_COMMAND_LINE = "Wq3-db01-Hx7pZ2vN"
SECRETS = (PAYMENT_URL_WITH_CREDENTIALS.split("//")[1].split("@")[0].split(":")[1], DB_PASSWORD_ON_COMMAND_LINE)

NGINX = "nginx/access.log"
CHECKOUT = "checkout-service/app.jsonl"
POSTGRES = "postgres/postgresql-16-main.log"


def payment_file(pod: int) -> str:
    return f"payment-service/payment-service-{pod}.log"


def syslog_file(host: str) -> str:
    return f"syslog/{host}.log"


class Simulation:
    """Runs every process of the shop over [start, end) and collects the lines into `logs`."""

    def __init__(self, world: World, seed: int):
        self.w = world
        self.rng = random.Random(seed)
        self.logs = Logs()
        self.clients = [self._client_ip() for _ in range(600)]
        self.client_agent = {ip: self.rng.choice(AGENTS) for ip in self.clients}
        self.pg_pid = 1121
        self.counter = 0
        self.first_symptom: int | None = None

    # ---- helpers -------------------------------------------------------------------------------------

    def _client_ip(self) -> str:
        r = self.rng
        return f"{r.choice((31, 46, 62, 77, 85, 89, 93, 109, 145, 178, 188, 212))}.{r.randrange(1, 255)}.{r.randrange(0, 255)}.{r.randrange(1, 255)}"

    def _hex(self, n: int) -> str:
        return "".join(self.rng.choice("0123456789abcdef") for _ in range(n))

    def _poisson(self, rate_per_s: float, start: int | None = None, end: int | None = None):
        """Event times of a Poisson process whose rate follows the shop's day (quiet morning, busy afternoon)."""
        t = self.w.start if start is None else start
        end = self.w.end if end is None else end
        peak = rate_per_s * 1.3 * self.w.rate_scale
        while True:
            t += int(self.rng.expovariate(peak) * S) + 1
            if t >= end:
                return
            if self.rng.random() < self._daily_shape(t) / 1.3:
                yield t

    @staticmethod
    def _daily_shape(t: int) -> float:
        hour = (t // S) % 86400 / 3600
        return 0.55 + 0.75 * max(0.0, min(1.0, (hour - 8) / 6))

    def _every(self, period_s: float, jitter_s: float = 0.0, start: int | None = None, end: int | None = None):
        t = (self.w.start if start is None else start) + int(self.rng.uniform(0, period_s) * S)
        end = self.w.end if end is None else end
        while t < end:
            yield t + int(self.rng.uniform(0, jitter_s) * S)
            t += int(period_s * S)

    def symptom(self, t: int) -> None:
        if self.first_symptom is None or t < self.first_symptom:
            self.first_symptom = t

    def db_down(self, t: int) -> bool:
        return self.w.disk is not None and self.w.disk.db_down(t)

    # ---- per-service writers -----------------------------------------------------------------------------

    def nginx(self, t: int, ip: str, method: str, path: str, status: int, size: int, referer: str = "-") -> None:
        agent = self.client_agent.get(ip, SCANNER)
        self.logs.add(NGINX, t, fmt.nginx_combined(dt(t), ip, method, path, status, size, referer, agent))

    def checkout(self, t: int, level: str, logger: str, msg: str, **fields: object) -> None:
        pod = fields.pop("pod", None) or self.rng.choice(CHECKOUT_PODS)
        self.logs.add(CHECKOUT, t, fmt.json_line(dt(t), level, "checkout-service", logger, msg, pod=pod, **fields))

    def payment(
        self, pod: int, t: int, level: str, thread: str, logger: str, msg: str, trace: str | None = None
    ) -> None:
        self.logs.add(payment_file(pod), t, fmt.logback(dt(t), level, thread, logger, msg, trace))

    def inventory(self, t: int, level: str, logger: str, msg: str, stream: str = "stdout") -> None:
        path = self._inventory_file(t)
        self.counter += 1
        self.logs.add(path, t, fmt.cri(dt(t), stream, fmt.python_logging(dt(t), level, logger, msg), self.counter))

    def inventory_trace(self, t: int, logger: str, msg: str, trace: str) -> None:
        path = self._inventory_file(t)
        self.counter += 1
        text = fmt.python_logging(dt(t), "ERROR", logger, msg) + "\n" + trace
        self.logs.add(path, t, fmt.cri(dt(t), "stderr", text, self.counter))

    def _inventory_file(self, t: int) -> str:
        pods = [p for p in self.w.inventory_pods if p[0] <= t]
        _, pod, cid, _ = pods[-1]
        return f"containers/{pod}_shop_inventory-service-{cid}.log"

    def syslog(
        self, t: int, host: str, app: str, pid: int | None, msg: str, severity: int = 6, facility: int = 3
    ) -> None:
        self.logs.add(syslog_file(host), t, fmt.syslog5424(dt(t), facility, severity, host, app, pid, msg))

    def pg(self, t: int, level: str, msg: str, pid: int | None = None) -> None:
        self.logs.add(POSTGRES, t, fmt.postgres(dt(t), pid or self.rng.randrange(20000, 60000), level, msg))

    def payment_version(self, pod: int, t: int) -> Release:
        return [r for r in self.w.payment_releases[pod] if r.at <= t][-1]

    # ---- the run ---------------------------------------------------------------------------------------

    def run(self) -> Logs:
        self.browsing()
        self.checkouts()
        self.scanners()
        self.payment_background()
        self.payment_startups()
        self.checkout_background()
        self.inventory_background()
        self.postgres_background()
        self.syslog_background()
        if self.w.disk is not None:
            self.disk_story()
        return self.logs

    def browsing(self) -> None:
        r = self.rng
        for t in self._poisson(0.42):
            ip = r.choice(self.clients)
            kind = r.random()
            if kind < 0.35:
                slug = r.choice(SLUGS)
                path, size = f"/products/{slug}", r.randrange(18000, 42000)
                self.stock_lookup(t + r.randrange(2000, 9000), r.choice(SKUS))
            elif kind < 0.55:
                path, size = f"/category/{r.choice(CATEGORIES)}?page={r.randrange(1, 5)}", r.randrange(25000, 60000)
            elif kind < 0.65:
                path, size = f"/search?q={r.choice(SLUGS).split('-')[0]}", r.randrange(9000, 30000)
            elif kind < 0.8:
                path, size = "/api/cart", r.randrange(300, 2400)
            elif kind < 0.9:
                path, size = "/", r.randrange(30000, 36000)
            else:
                path, size = f"/api/products/{r.choice(SKUS)}", r.randrange(700, 1900)
            status = 304 if r.random() < 0.06 else 200
            self.nginx(t, ip, "GET", path, status, 0 if status == 304 else size, "https://shop.example.com/")
            if r.random() < 0.3:
                asset = r.choice(
                    ("/static/js/app.4f9c2e1b.js", "/static/css/main.a81d33f0.css", "/static/img/logo.svg")
                )
                self.nginx(
                    t + r.randrange(40000, 300000),
                    ip,
                    "GET",
                    asset,
                    200,
                    r.randrange(2000, 190000),
                    f"https://shop.example.com{path}",
                )

    def stock_lookup(self, t: int, sku: str) -> None:
        src = f"10.42.{self.rng.choice((1, 2, 3))}.{self.rng.randrange(10, 60)}:{self.rng.randrange(32768, 60999)}"
        if self.db_down(t):
            self.symptom(t + 1_500_000)
            # psycopg_pool gives up after the pool's 1.5 s timeout; uvicorn logs the traceback, then the 500.
            self.inventory_trace(
                t + 1_500_000,
                "uvicorn.error",
                "Exception in ASGI application",
                python_diskfull_trace(self.w.python, "stock", self._pg_error(t)),
            )
            self.inventory(t + 1_501_000, "INFO", "uvicorn.access", f'{src} - "GET /v1/stock/{sku} HTTP/1.1" 500')
            return
        self.inventory(t, "INFO", "uvicorn.access", f'{src} - "GET /v1/stock/{sku} HTTP/1.1" 200')

    def _pg_error(self, t: int) -> str:
        """What a client sees from db-01 at time t while it crash-loops."""
        phase = ((t - self.w.disk.full) // S) % 40
        if phase < 12:
            return 'connection failed: connection to server at "10.0.4.21", port 5432 failed: Connection refused\n\tIs the server running on that host and accepting TCP/IP connections?'
        if phase < 30:
            return 'connection failed: connection to server at "10.0.4.21", port 5432 failed: FATAL:  the database system is in recovery mode'
        return 'connection failed: connection to server at "10.0.4.21", port 5432 failed: FATAL:  the database system is starting up'

    def checkouts(self) -> None:
        for t in self._poisson(0.085):
            self.one_checkout(t)

    def one_checkout(self, t: int) -> None:
        r = self.rng
        ip = r.choice(self.clients)
        pod = r.choice(CHECKOUT_PODS)
        cart, user = "cart_" + self._hex(10), f"u{r.randrange(100000, 999999)}"
        items = r.choice((1, 1, 1, 2, 2, 3, 4))
        currency, acquirer = r.choice(ACQUIRERS)
        total = f"{r.randrange(1500, 42000) / 100:.2f}"
        self.checkout(t, "INFO", "checkout.api", "checkout started", pod=pod, cart_id=cart, user_id=user, items=items)
        t_inv = t + r.randrange(8000, 30000)
        order = "ord_" + self._hex(12)
        if self.db_down(t_inv):
            self.symptom(t_inv + 1_500_000)
            self.inventory_trace(
                t_inv + 1_500_000,
                "uvicorn.error",
                "Exception in ASGI application",
                python_diskfull_trace(self.w.python, "reserve", self._pg_error(t_inv)),
            )
            self.inventory(
                t_inv + 1_501_000,
                "INFO",
                "uvicorn.access",
                f'10.42.2.{r.randrange(10, 60)}:{r.randrange(32768, 60999)} - "POST /v1/reservations HTTP/1.1" 500',
            )
            t_inv += 1_500_000
            self.checkout(
                t_inv + 3000,
                "ERROR",
                "checkout.inventory_client",
                "inventory reservation failed",
                pod=pod,
                cart_id=cart,
                status=500,
                url="http://inventory-service.shop.svc.cluster.local:8000/v1/reservations",
            )
            self.checkout(
                t_inv + 3600,
                "ERROR",
                "checkout.api",
                "checkout failed",
                pod=pod,
                cart_id=cart,
                reason="inventory-service answered 500",
            )
            self.nginx(t_inv + 4000, ip, "POST", "/api/checkout", 500, 67, "https://shop.example.com/checkout")
            return
        res = f"res_{r.randrange(400000, 999999)}"
        self.inventory(
            t_inv, "INFO", "inventory.reservations", f"Reserved {items} items for order {order} (reservation {res})"
        )
        self.inventory(
            t_inv + 600,
            "INFO",
            "uvicorn.access",
            f'10.42.2.{r.randrange(10, 60)}:{r.randrange(32768, 60999)} - "POST /v1/reservations HTTP/1.1" 200',
        )
        t_pay = t_inv + r.randrange(3000, 12000)
        outcome, t_done = self.authorize(t_pay, pod, order, total, currency, acquirer)
        if outcome == "unavailable":
            self.inventory(
                t_done + 20000, "INFO", "inventory.reservations", f"Released reservation {res} for order {order}"
            )
            self.checkout(
                t_done + 25000,
                "ERROR",
                "checkout.api",
                "checkout failed",
                pod=pod,
                order_id=order,
                reason="payment-service did not answer after 3 attempts",
            )
            self.nginx(t_done + 26000, ip, "POST", "/api/checkout", 504, 167, "https://shop.example.com/checkout")
            return
        if outcome == "declined":
            self.inventory(
                t_done + 20000, "INFO", "inventory.reservations", f"Released reservation {res} for order {order}"
            )
            self.checkout(t_done + 21000, "INFO", "checkout.api", "payment declined", pod=pod, order_id=order)
            self.nginx(t_done + 22000, ip, "POST", "/api/checkout", 402, 94, "https://shop.example.com/checkout")
            return
        if outcome == "challenge":
            self.checkout(
                t_done + 9000, "INFO", "checkout.api", "payment requires 3-D Secure challenge", pod=pod, order_id=order
            )
            self.nginx(t_done + 10000, ip, "POST", "/api/checkout", 202, 311, "https://shop.example.com/checkout")
            return
        t_db = t_done + r.randrange(5000, 40000)
        if self.db_down(t_db):
            self.symptom(t_db)
            self.checkout(
                t_db,
                "ERROR",
                "checkout.orders",
                "failed to persist order",
                pod=pod,
                order_id=order,
                error="psycopg.OperationalError: " + self._pg_error(t_db).split("\n")[0],
            )
            self.nginx(t_db + 2000, ip, "POST", "/api/checkout", 500, 67, "https://shop.example.com/checkout")
            return
        self.checkout(
            t_db, "INFO", "checkout.api", "order placed", pod=pod, order_id=order, total=total, currency=currency
        )
        self.nginx(t_db + 1500, ip, "POST", "/api/checkout", 201, 88, "https://shop.example.com/checkout")

    def authorize(self, t: int, cpod: str, order: str, total: str, currency: str, acquirer: str) -> tuple[str, int]:
        """Up to three attempts from checkout; returns the outcome and when checkout knew it."""
        r = self.rng
        leak = self.w.leak
        pay = "pay_" + self._hex(14)  # checkout retries with the same idempotency key
        for attempt in (1, 2, 3):
            pod = r.randrange(2)
            thread = f"http-nio-8080-exec-{r.randrange(1, 41)}"
            self.payment(
                pod,
                t,
                "INFO",
                thread,
                "com.shop.payment.service.PaymentService",
                f"Authorizing payment {pay} for order {order} amount={total} {currency} via {acquirer}",
            )
            if leak is not None and leak.exhausted(pod, t):
                t_out = t + 3_000_000 + r.randrange(1000, 9000)
                self.symptom(t_out)
                self.checkout(
                    t_out,
                    "ERROR",
                    "checkout.payment_client",
                    "timeout calling payment-service",
                    pod=cpod,
                    order_id=order,
                    attempt=attempt,
                    timeout_ms=3000,
                    url=PAYMENT_URL_WITH_CREDENTIALS,
                )
                if r.random() < 0.12:
                    # Most abandoned authorisations are cancelled when checkout hangs up; some reach the pool timeout.
                    self.payment(
                        pod,
                        t + 10_000_000 + r.randrange(0, 4000),
                        "ERROR",
                        thread,
                        "com.shop.payment.service.PaymentService",
                        f"Authorization failed for payment {pay} (order {order}, acquirer {acquirer}): "
                        f"authorize failed for acquirer {acquirer}",
                        java_pool_timeout_trace(self.w.java, r, acquirer),
                    )
                t = t_out + 200_000 * attempt
                continue
            if self.db_down(t):
                self.symptom(t + 30_000_000)
                self.payment(
                    pod,
                    t + 30_000_000,
                    "ERROR",
                    thread,
                    "com.shop.payment.service.PaymentService",
                    f"Could not save payment {pay} for order {order}: Unable to acquire JDBC Connection",
                    java_hikari_trace(self.w.java, r),
                )
                self.checkout(
                    t + 3_000_000,
                    "ERROR",
                    "checkout.payment_client",
                    "timeout calling payment-service",
                    pod=cpod,
                    order_id=order,
                    attempt=attempt,
                    timeout_ms=3000,
                    url=PAYMENT_URL_WITH_CREDENTIALS,
                )
                t = t + 3_200_000 * attempt
                continue
            latency = int(r.lognormvariate(5.7, 0.45))
            if r.random() < 0.004:
                latency = r.randrange(2100, 2900)
            t_done = t + latency * 1000
            if latency > 2000:
                self.payment(
                    pod,
                    t_done,
                    "WARN",
                    thread,
                    "com.shop.payment.gateway.GatewayClient",
                    f"Acquirer {acquirer} responded slowly: {latency} ms (threshold 2000 ms)",
                )
            u = r.random()
            if u < 0.05:
                self.payment(
                    pod,
                    t_done + 300,
                    "INFO",
                    thread,
                    "com.shop.payment.service.PaymentService",
                    f"Payment {pay} declined by {acquirer}: {r.choice(DECLINE_REASONS)}",
                )
                if leak is not None:
                    leak.leak(pod, t_done)
                return "declined", t_done
            if u < 0.25:
                self.payment(
                    pod,
                    t_done + 300,
                    "INFO",
                    thread,
                    "com.shop.payment.service.PaymentService",
                    f"Payment {pay} requires 3-D Secure challenge from {acquirer}",
                )
                if leak is not None:
                    leak.leak(pod, t_done)
                return "challenge", t_done
            code = "".join(r.choice("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789") for _ in range(6))
            self.payment(
                pod,
                t_done + 300,
                "INFO",
                thread,
                "com.shop.payment.service.PaymentService",
                f"Payment {pay} authorized by {acquirer} in {latency} ms (auth_code={code})",
            )
            self.checkout(
                t_done + 4000,
                "INFO",
                "checkout.payment_client",
                "payment authorized",
                pod=cpod,
                order_id=order,
                payment_id=pay,
                latency_ms=latency + r.randrange(3, 15),
            )
            return "authorized", t_done
        self.checkout(
            t + 1000,
            "ERROR",
            "checkout.payment_client",
            "payment authorization failed",
            pod=cpod,
            order_id=order,
            attempts=3,
        )
        return "unavailable", t + 2000

    def scanners(self) -> None:
        r = self.rng
        probes = ("/wp-login.php", "/.env", "/.git/config", "/phpmyadmin/index.php", "/admin/config.php",
                  "/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php", "/actuator/env", "/server-status")  # fmt: skip
        for t in self._poisson(0.012):
            ip = f"{r.choice((45, 103, 185, 194))}.{r.randrange(1, 255)}.{r.randrange(0, 255)}.{r.randrange(1, 255)}"
            for i in range(r.randrange(1, 5)):
                self.nginx(t + i * r.randrange(50000, 400000), ip, "GET", r.choice(probes), 404, 153)

    def payment_background(self) -> None:
        r = self.rng
        for pod in (0, 1):
            for t in self._every(60, 0.05):
                v = self.payment_version(pod, t)
                leak = self.w.leak
                if leak is not None and leak.active(pod, t):
                    leased = leak.leased(pod, t)
                    exhausted = leak.exhausted(pod, t)
                    pending = r.randrange(2, 9) if exhausted else 0
                    self.payment(
                        pod,
                        t,
                        "INFO",
                        "scheduling-1",
                        "com.shop.payment.gateway.GatewayClient",
                        f"Gateway pool stats: acquirer=all leased={leased} pending={pending} "
                        f"available={leak.max_connections - leased} max={leak.max_connections}",
                    )
                    if exhausted:
                        self.payment(
                            pod,
                            t + 150,
                            "WARN",
                            "scheduling-1",
                            "com.shop.payment.gateway.GatewayClient",
                            f"Gateway connection pool exhausted: leased={leased} pending={pending} max={leak.max_connections}",
                        )
                    continue
                del v
                for acquirer in ("adyen", "stripe", "worldpay"):
                    leased = r.choice((0, 0, 1, 1, 2, 3))
                    self.payment(
                        pod,
                        t,
                        "INFO",
                        "scheduling-1",
                        "com.shop.payment.gateway.GatewayClient",
                        f"Gateway pool stats: acquirer={acquirer} leased={leased} pending=0 "
                        f"available={r.randrange(2, 8)} max=50",
                    )
            for t in self._poisson(0.012):
                # Pre-existing and noisy: the order history page pages a fetch join in memory. Not the incident.
                self.payment(
                    pod,
                    t,
                    "WARN",
                    f"http-nio-8080-exec-{r.randrange(1, 41)}",
                    "org.hibernate.orm.query",
                    "HHH90003004: firstResult/maxResults specified with collection fetch; applying in memory",
                )
            for t in self._every(600, 2):
                self.payment(
                    pod,
                    t,
                    "INFO",
                    "scheduling-1",
                    "com.shop.payment.gateway.AcquirerRouter",
                    "Refreshed acquirer routing table (3 acquirers)",
                )
            for t in self._every(1800, 30):
                if self.db_down(t):
                    self.payment(
                        pod,
                        t + 30 * S,
                        "ERROR",
                        "scheduling-2",
                        "org.springframework.scheduling.support.TaskUtils$LoggingErrorHandler",
                        "Unexpected error occurred in scheduled task",
                        java_hikari_trace(self.w.java, r, reconciler=True),
                    )
                    continue
                self.payment(
                    pod,
                    t,
                    "INFO",
                    "scheduling-2",
                    "com.shop.payment.reconcile.PendingReconciler",
                    f"Reconciled {r.randrange(0, 4)} stale PENDING payments older than 15 minutes",
                )
            if self.w.disk is not None:
                for t in self._every(120, 20, start=self.w.disk.full, end=self.w.disk.fixed):
                    # Refund and status calls from the back office still hit the database.
                    self.payment(
                        pod,
                        t + 30 * S,
                        "ERROR",
                        f"http-nio-8080-exec-{r.randrange(1, 41)}",
                        "org.apache.catalina.core.ContainerBase.[Tomcat].[localhost].[/].[dispatcherServlet]",
                        "Servlet.service() for servlet [dispatcherServlet] in context with path [] threw exception "
                        "[Request processing failed: org.springframework.transaction.CannotCreateTransactionException: "
                        "Could not open JPA EntityManager for transaction] with root cause",
                        java_hikari_trace(self.w.java, r),
                    )

    def payment_startups(self) -> None:
        r = self.rng
        for pod in (0, 1):
            for rel in self.w.payment_releases[pod][1:]:
                t = rel.at
                self.payment(
                    pod,
                    t - 2_500_000,
                    "INFO",
                    "SpringApplicationShutdownHook",
                    "org.springframework.boot.web.embedded.tomcat.GracefulShutdown",
                    "Commencing graceful shutdown. Waiting for active requests to complete",
                )
                self.payment(
                    pod,
                    t - 2_400_000,
                    "INFO",
                    "tomcat-shutdown",
                    "org.springframework.boot.web.embedded.tomcat.GracefulShutdown",
                    "Graceful shutdown complete",
                )
                self.payment(
                    pod,
                    t - 2_300_000,
                    "INFO",
                    "SpringApplicationShutdownHook",
                    "com.zaxxer.hikari.HikariDataSource",
                    "HikariPool-1 - Shutdown completed.",
                )
                lines = [
                    (
                        "com.shop.payment.PaymentService",
                        f"Starting PaymentService v{rel.version} (git {rel.sha7}) using Java 17.0.10 with PID 1 (/app/payment-service.jar started by app in /app)",
                    ),
                    ("com.shop.payment.PaymentService", 'The following 1 profile is active: "prod"'),
                    (
                        "org.springframework.boot.web.embedded.tomcat.TomcatWebServer",
                        "Tomcat initialized with port 8080 (http)",
                    ),
                    ("org.apache.catalina.core.StandardService", "Starting service [Tomcat]"),
                    ("org.apache.catalina.core.StandardEngine", "Starting Servlet engine: [Apache Tomcat/10.1.19]"),
                    ("com.zaxxer.hikari.HikariDataSource", "HikariPool-1 - Starting..."),
                    (
                        "com.zaxxer.hikari.pool.HikariPool",
                        "HikariPool-1 - Added connection org.postgresql.jdbc.PgConnection@5d2a86c0",
                    ),
                    ("com.zaxxer.hikari.HikariDataSource", "HikariPool-1 - Start completed."),
                    (
                        "com.shop.payment.gateway.GatewayClient",
                        "Gateway client ready: acquirers=[adyen, stripe, worldpay]",
                    ),
                    (
                        "org.springframework.boot.web.embedded.tomcat.TomcatWebServer",
                        "Tomcat started on port 8080 (http) with context path ''",
                    ),
                    (
                        "com.shop.payment.PaymentService",
                        f"Started PaymentService in {r.uniform(6.5, 9.5):.3f} seconds (process running for {r.uniform(9.6, 11.0):.3f})",
                    ),
                ]
                for logger, msg in lines:
                    self.payment(pod, t, "INFO", "main", logger, msg)
                    t += r.randrange(20_000, 900_000)

    def checkout_background(self) -> None:
        r = self.rng
        for pod in CHECKOUT_PODS:
            for t in self._every(30, 0.2):
                self.checkout(
                    t, "DEBUG", "checkout.worker", "worker heartbeat", pod=pod, queue_depth=r.choice((0, 0, 0, 1))
                )
        for t in self._every(300, 1):
            self.checkout(t, "INFO", "checkout.carts", "abandoned cart sweep", removed=r.randrange(3, 60))
        for t in self._poisson(0.003):
            # Pre-existing noise: prices refresh while carts sit in Redis; harmless and constant.
            self.checkout(
                t,
                "WARN",
                "checkout.api",
                "cart price changed during checkout",
                cart_id="cart_" + self._hex(10),
                old=f"{r.randrange(1500, 9000) / 100:.2f}",
                new=f"{r.randrange(1500, 9000) / 100:.2f}",
            )
        rel = self.w.checkout_release
        if rel is not None:
            for i, pod in enumerate(CHECKOUT_PODS):
                t = rel.at + i * 40_000_000
                self.checkout(
                    t, "INFO", "checkout.main", f"checkout-service {rel.version} starting (git {rel.sha7})", pod=pod
                )
                self.checkout(t + 800_000, "INFO", "uvicorn.error", "Application startup complete.", pod=pod)

    def inventory_background(self) -> None:
        r = self.rng
        for t in self._every(10, 0.05):
            self.inventory(
                t,
                "INFO",
                "uvicorn.access",
                f'10.42.{r.choice((1, 2, 3))}.1:{r.randrange(40000, 60000)} - "GET /healthz HTTP/1.1" 200',
            )
        for t in self._every(900, 0.5):
            if r.random() < 0.55:
                # Pre-existing, unrelated: the supplier's feed is flaky every day.
                self.inventory(
                    t + 20_000_000,
                    "ERROR",
                    "inventory.supplier_feed",
                    "Supplier feed sync failed: HTTP 503 from https://feeds.acme-supplies.example/v2/stock (will retry in 900s)",
                )
            else:
                self.inventory(
                    t + r.randrange(2, 9) * S,
                    "INFO",
                    "inventory.supplier_feed",
                    f"Supplier feed sync: {r.randrange(300, 480)} skus updated",
                )
        for start, _pod, _, version in self.w.inventory_pods[1:]:
            # The old pod drains first (its file ends here), then the new pod's file begins.
            for i, msg in enumerate(("Shutting down", "Waiting for application shutdown.",
                                     "Application shutdown complete.", "Finished server process [1]")):  # fmt: skip
                self.inventory(start - 3 * S + i * 200_000, "INFO", "uvicorn.error", msg)
            for i, (level, logger, msg) in enumerate(
                (
                    ("INFO", "uvicorn.error", "Started server process [1]"),
                    ("INFO", "uvicorn.error", "Waiting for application startup."),
                    ("INFO", "inventory.main", f"inventory-service {version} starting"),
                    ("INFO", "inventory.main", "supplier feed sync scheduled every 900s"),
                    ("INFO", "uvicorn.error", "Application startup complete."),
                    ("INFO", "uvicorn.error", "Uvicorn running on http://0.0.0.0:8000 (Press CTRL+C to quit)"),
                )
            ):
                self.inventory(start + i * 120_000, level, logger, msg)

    def postgres_background(self) -> None:
        r = self.rng
        for t in self._every(300, 0.01):
            if self.db_down(t) or self.db_down(t + 40 * S):
                continue
            self.pg(t, "LOG", "checkpoint starting: time", pid=self.pg_pid)
            bufs = r.randrange(800, 9000)
            self.pg(
                t + r.randrange(25, 40) * S,
                "LOG",
                f"checkpoint complete: wrote {bufs} buffers ({bufs / 10485.76:.1f}%); 0 WAL file(s) added, "
                f"{r.randrange(0, 3)} removed, {r.randrange(0, 4)} recycled; write={r.uniform(20, 35):.3f} s, "
                f"sync={r.uniform(0.001, 0.2):.3f} s, total={r.uniform(26, 40):.3f} s; sync files={r.randrange(20, 90)}, "
                f"longest={r.uniform(0.001, 0.05):.3f} s, average={r.uniform(0.001, 0.003):.3f} s; "
                f"distance={r.randrange(20000, 90000)} kB, estimate={r.randrange(60000, 120000)} kB; "
                f"lsn=4A/{r.randrange(0x10000000, 0xFFFFFFFF):X}, redo lsn=4A/{r.randrange(0x10000000, 0xFFFFFFFF):X}",
                pid=self.pg_pid,
            )
        for t in self._poisson(0.004):
            if self.db_down(t):
                continue
            table = r.choice(("orders", "order_lines", "reservations", "stock", "payments"))
            self.pg(
                t,
                "LOG",
                f'automatic vacuum of table "orders.public.{table}": '
                f"index scans: {r.randrange(0, 2)}\n\tpages: 0 removed, {r.randrange(1000, 90000)} remain, "
                f"{r.randrange(10, 900)} scanned\n\ttuples: {r.randrange(10, 5000)} removed, {r.randrange(10000, 900000)} remain, 0 are dead but not yet removable",
            )
        for t in self._poisson(0.006):
            if self.db_down(t):
                continue
            ms = r.uniform(1000, 3800)
            self.pg(
                t,
                "LOG",
                f"duration: {ms:.3f} ms  statement: SELECT o.id, o.total, o.created_at FROM orders o "
                f"WHERE o.user_id = 'u{r.randrange(100000, 999999)}' ORDER BY o.created_at DESC LIMIT 50",
            )

    def syslog_background(self) -> None:
        r = self.rng
        hosts = ("web-01", "k8s-node-01", "k8s-node-02", "db-01")
        for host in hosts:
            for t in self._every(300, 1):
                self.syslog(
                    t,
                    host,
                    "CRON",
                    r.randrange(10000, 60000),
                    "(root) CMD (/usr/local/bin/node-exporter-textfile.sh >/dev/null 2>&1)",
                    facility=9,
                )
            for t in self._every(3600, 30):
                self.syslog(
                    t, host, "systemd", 1, "Starting sysstat-collect.service - system activity accounting tool..."
                )
                self.syslog(t + 200_000, host, "systemd", 1, "sysstat-collect.service: Deactivated successfully.")
                self.syslog(
                    t + 210_000,
                    host,
                    "systemd",
                    1,
                    "Finished sysstat-collect.service - system activity accounting tool.",
                )
            for t in self._poisson(0.004):
                ip = f"{r.choice((45, 61, 103, 141, 185, 218))}.{r.randrange(1, 255)}.{r.randrange(0, 255)}.{r.randrange(1, 255)}"
                user = r.choice(("root", "admin", "ubuntu", "oracle", "test", "postgres", "git"))
                pid = r.randrange(100000, 400000)
                self.syslog(
                    t,
                    host,
                    "sshd",
                    pid,
                    f"Invalid user {user} from {ip} port {r.randrange(30000, 65000)}",
                    severity=6,
                    facility=10,
                )
                self.syslog(
                    t + 900_000,
                    host,
                    "sshd",
                    pid,
                    f"Connection closed by invalid user {user} {ip} port {r.randrange(30000, 65000)} [preauth]",
                    facility=10,
                )
            for t in self._poisson(0.01):
                src = f"{r.randrange(1, 223)}.{r.randrange(0, 255)}.{r.randrange(0, 255)}.{r.randrange(1, 255)}"
                self.syslog(
                    t,
                    host,
                    "kernel",
                    None,
                    f"[UFW BLOCK] IN=eth0 OUT= MAC=52:54:00:9a:{r.randrange(16, 255):02x}:01 SRC={src} DST=10.0.{r.choice((1, 3, 4))}.{r.randrange(10, 30)} "
                    f"LEN=44 TOS=0x00 PREC=0x00 TTL={r.randrange(40, 250)} ID={r.randrange(1, 65535)} PROTO=TCP SPT={r.randrange(1024, 65535)} "
                    f"DPT={r.choice((23, 445, 3389, 8080, 5900, 6379))} WINDOW=1024 RES=0x00 SYN URGP=0",
                    severity=4,
                    facility=0,
                )
        for t in self._every(900, 5):
            used = self.disk_usage(t)
            self.syslog(t, "db-01", "disk-usage", 812, f"/var/lib/postgresql {used}% used ({used * 5} GiB of 500 GiB)")

    def disk_usage(self, t: int) -> int:
        disk = self.w.disk
        base = 61 + int((t - self.w.start) / S / 3600 * 0.3)
        if disk is None or t < disk.nfs_lost:
            return base
        if t >= disk.fixed:
            return 64
        span = disk.full - disk.nfs_lost
        return min(100, base + int((100 - base) * ((t - disk.nfs_lost) / span) ** 1.6))

    def disk_story(self) -> None:
        """db-01: the WAL archive target goes away, pg_wal grows, the volume fills, postgres crash-loops."""
        d, r = self.w.disk, self.rng
        self.syslog(
            d.nfs_lost,
            "db-01",
            "kernel",
            None,
            "nfs: server backup-nfs-01 not responding, still trying",
            severity=5,
            facility=0,
        )
        seg = 0x4A * 256 + 0xC3  # log number * 256 + segment: names are timeline, log, segment as %08X each
        for t in self._every(60, 0.5, start=d.nfs_lost + 30 * S, end=d.full):
            wal = f"00000001{seg // 256:08X}{seg % 256:08X}"
            self.pg(t, "LOG", "archive command failed with exit code 1", pid=1127)
            self.pg(
                t + 150,
                "DETAIL",
                "The failed archive command was: "
                f"test ! -f /mnt/wal-archive/{wal} && cp pg_wal/{wal} /mnt/wal-archive/{wal}",
                pid=1127,
            )
            if r.random() < 0.34:
                self.pg(
                    t + 3 * S,
                    "WARNING",
                    f'archiving write-ahead log file "{wal}" failed too many times, will try again later',
                    pid=1127,
                )
            if r.random() < 0.5:
                seg += 1
        for t in self._every(600, 3, start=d.nfs_lost + 120 * S, end=d.fixed):
            self.syslog(
                t,
                "db-01",
                "kernel",
                None,
                "nfs: server backup-nfs-01 not responding, still trying",
                severity=5,
                facility=0,
            )
        # Warnings from the monitoring agent once the volume passes 90%.
        for t in self._every(300, 2, start=d.nfs_lost, end=d.full):
            used = self.disk_usage(t)
            if used >= 90:
                self.syslog(
                    t, "db-01", "disk-usage", 812, f"WARNING /var/lib/postgresql above 90%: {used}% used", severity=4
                )
        for pod in (0, 1):
            for t in self._every(30, 0.5, start=d.full + 5 * S, end=d.fixed + 20 * S):
                self.payment(
                    pod,
                    t,
                    "WARN",
                    "HikariPool-1 housekeeper",
                    "com.zaxxer.hikari.pool.PoolBase",
                    f"HikariPool-1 - Failed to validate connection org.postgresql.jdbc.PgConnection@{self._hex(8)} "
                    "(This connection has been closed.). Possibly consider using a shorter maxLifetime value.",
                )
        t = d.full
        backend = r.randrange(30000, 40000)
        self.symptom(t)
        self.pg(
            t, "PANIC", f'could not write to file "pg_wal/xlogtemp.{backend}": No space left on device', pid=backend
        )
        self.pg(
            t + 40_000,
            "LOG",
            f"server process (PID {backend}) was terminated by signal 6: Aborted",
            pid=self.pg_pid - 10,
        )
        self.pg(t + 41_000, "LOG", "terminating any other active server processes", pid=self.pg_pid - 10)
        self.pg(t + 300_000, "LOG", "all server processes terminated; reinitializing", pid=self.pg_pid - 10)
        self.syslog(
            t + 100_000,
            "db-01",
            "kernel",
            None,
            "EXT4-fs warning (device nvme1n1p1): ext4_dx_add_entry:2613: Directory (ino: 2621441) index full, reach max htree level :2",
            severity=4,
            facility=0,
        )
        cycle = t + 2 * S
        restart = 1
        while cycle < d.fixed - 45 * S:
            startup = r.randrange(40000, 50000)
            self.pg(
                cycle,
                "LOG",
                "database system was interrupted; last known up at "
                + dt(d.full - 95 * S).strftime("%Y-%m-%d %H:%M:%S UTC"),
                pid=startup,
            )
            self.pg(
                cycle + 20_000,
                "LOG",
                "database system was not properly shut down; automatic recovery in progress",
                pid=startup,
            )
            self.pg(cycle + 30_000, "LOG", f"redo starts at 4A/{r.randrange(0x10000000, 0xFFFFFFFF):X}", pid=startup)
            for i in range(r.randrange(3, 9)):
                self.pg(cycle + (i + 1) * 1_300_000, "FATAL", "the database system is in recovery mode")
            fail = cycle + r.randrange(9, 14) * S
            self.pg(
                fail,
                "PANIC",
                f'could not write to file "pg_wal/xlogtemp.{startup}": No space left on device',
                pid=startup,
            )
            self.pg(
                fail + 20_000,
                "LOG",
                f"startup process (PID {startup}) was terminated by signal 6: Aborted",
                pid=self.pg_pid - 10,
            )
            self.pg(fail + 21_000, "LOG", "aborting startup due to startup process failure", pid=self.pg_pid - 10)
            self.pg(fail + 30_000, "LOG", "database system is shut down", pid=self.pg_pid - 10)
            self.syslog(
                fail + 60_000,
                "db-01",
                "systemd",
                1,
                "postgresql@16-main.service: Main process exited, code=exited, status=1/FAILURE",
                severity=5,
            )
            self.syslog(
                fail + 61_000,
                "db-01",
                "systemd",
                1,
                "postgresql@16-main.service: Failed with result 'exit-code'.",
                severity=4,
            )
            cycle = fail + 30 * S
            restart += 1
            self.syslog(
                cycle - 100_000,
                "db-01",
                "systemd",
                1,
                f"postgresql@16-main.service: Scheduled restart job, restart counter is at {restart}.",
            )
            self.syslog(
                cycle - 50_000,
                "db-01",
                "systemd",
                1,
                "Starting postgresql@16-main.service - PostgreSQL Cluster 16-main...",
            )
        fix = d.fixed - 40 * S
        self.syslog(
            fix - 600 * S,
            "db-01",
            "sudo",
            44121,
            "dan : TTY=pts/0 ; PWD=/home/dan ; USER=root ; COMMAND=/usr/bin/df -h /var/lib/postgresql",
            facility=10,
        )
        self.syslog(
            fix - 420 * S,
            "db-01",
            "sudo",
            44168,
            "dan : TTY=pts/0 ; PWD=/home/dan ; USER=root ; COMMAND=/usr/bin/du -sh /var/lib/postgresql/16/main/pg_wal",
            facility=10,
        )
        self.syslog(
            fix - 60 * S,
            "db-01",
            "sudo",
            44390,
            "dan : TTY=pts/0 ; PWD=/home/dan ; USER=root ; COMMAND=/usr/sbin/resize2fs /dev/nvme1n1p1",
            facility=10,
        )
        self.syslog(
            fix - 59 * S,
            "db-01",
            "kernel",
            None,
            "EXT4-fs (nvme1n1p1): resizing filesystem from 131072000 to 196608000 blocks",
            severity=6,
            facility=0,
        )
        self.syslog(
            fix - 52 * S,
            "db-01",
            "kernel",
            None,
            "EXT4-fs (nvme1n1p1): resized filesystem to 196608000",
            severity=6,
            facility=0,
        )
        self.syslog(fix, "db-01", "systemd", 1, "Starting postgresql@16-main.service - PostgreSQL Cluster 16-main...")
        startup = r.randrange(40000, 50000)
        self.pg(
            fix + 500_000,
            "LOG",
            "database system was not properly shut down; automatic recovery in progress",
            pid=startup,
        )
        self.pg(fix + 600_000, "LOG", f"redo starts at 4A/{r.randrange(0x10000000, 0xFFFFFFFF):X}", pid=startup)
        self.pg(
            fix + 30 * S,
            "LOG",
            f"redo done at 4A/{r.randrange(0x10000000, 0xFFFFFFFF):X} system usage: CPU: user: 4.21 s, system: 9.87 s, elapsed: 29.40 s",
            pid=startup,
        )
        self.pg(d.fixed, "LOG", "database system is ready to accept connections", pid=self.pg_pid - 10)
        self.syslog(
            d.fixed + 95 * S,
            "db-01",
            "sudo",
            44502,
            "dan : TTY=pts/0 ; PWD=/home/dan ; USER=postgres ; COMMAND=/usr/bin/env "
            f"PGPASSWORD={DB_PASSWORD_ON_COMMAND_LINE} psql -h 127.0.0.1 -U postgres -c SELECT pg_size_pretty(sum(size)) FROM pg_ls_waldir()",
            facility=10,
        )
        self.syslog(
            d.fixed + 200_000, "db-01", "systemd", 1, "Started postgresql@16-main.service - PostgreSQL Cluster 16-main."
        )
