"""A discrete-event simulation of the shop's traffic that writes what each service would have logged.

Every random draw comes from one seeded `random.Random`, consumed in a fixed order, so a run is reproducible
byte for byte. Faults (a leaking connection pool, a database whose disk filled) are state the request flows
consult; they change what gets logged, never the order of the draws that come before them. The request flows
live here; the periodic processes in `shop_background`, the database outage in `disk_outage`.
"""

from __future__ import annotations

import random

from sample_logs import disk_outage
from sample_logs import formats as fmt
from sample_logs import shop_background as background
from sample_logs.shop_world import (
    ACQUIRERS,
    AGENTS,
    CATEGORIES,
    CHECKOUT,
    CHECKOUT_PODS,
    DECLINE_REASONS,
    NGINX,
    PAYMENT_URL_WITH_CREDENTIALS,
    POSTGRES,
    SCANNER,
    SKUS,
    SLUGS,
    Logs,
    Release,
    S,
    World,
    dt,
    payment_file,
    syslog_file,
)
from sample_logs.traces import (
    java_hikari_trace,
    java_pool_timeout_trace,
    python_diskfull_trace,
)


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
        background.payment_background(self)
        background.payment_startups(self)
        background.checkout_background(self)
        background.inventory_background(self)
        background.postgres_background(self)
        background.syslog_background(self)
        if self.w.disk is not None:
            disk_outage.disk_story(self)
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
