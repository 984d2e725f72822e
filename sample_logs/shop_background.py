"""The shop's periodic processes: heartbeats, pool stats, health checks, cron, checkpoints, and their noise.

Noise that was there all day (the supplier feed's 503s, Hibernate's paging warning, ssh brute force) is written
here on purpose: an analysis must see it in the baseline and not blame it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sample_logs.shop_world import CHECKOUT_PODS, S
from sample_logs.traces import java_hikari_trace

if TYPE_CHECKING:
    from sample_logs.shop_sim import Simulation


def payment_background(sim: Simulation) -> None:
    r = sim.rng
    for pod in (0, 1):
        for t in sim._every(60, 0.05):
            v = sim.payment_version(pod, t)
            leak = sim.w.leak
            if leak is not None and leak.active(pod, t):
                leased = leak.leased(pod, t)
                exhausted = leak.exhausted(pod, t)
                pending = r.randrange(2, 9) if exhausted else 0
                sim.payment(
                    pod,
                    t,
                    "INFO",
                    "scheduling-1",
                    "com.shop.payment.gateway.GatewayClient",
                    f"Gateway pool stats: acquirer=all leased={leased} pending={pending} "
                    f"available={leak.max_connections - leased} max={leak.max_connections}",
                )
                if exhausted:
                    sim.symptom(t + 150)
                    sim.payment(
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
                sim.payment(
                    pod,
                    t,
                    "INFO",
                    "scheduling-1",
                    "com.shop.payment.gateway.GatewayClient",
                    f"Gateway pool stats: acquirer={acquirer} leased={leased} pending=0 "
                    f"available={r.randrange(2, 8)} max=50",
                )
        for t in sim._poisson(0.012):
            # Pre-existing and noisy: the order history page pages a fetch join in memory. Not the incident.
            sim.payment(
                pod,
                t,
                "WARN",
                f"http-nio-8080-exec-{r.randrange(1, 41)}",
                "org.hibernate.orm.query",
                "HHH90003004: firstResult/maxResults specified with collection fetch; applying in memory",
            )
        for t in sim._every(600, 2):
            sim.payment(
                pod,
                t,
                "INFO",
                "scheduling-1",
                "com.shop.payment.gateway.AcquirerRouter",
                "Refreshed acquirer routing table (3 acquirers)",
            )
        for t in sim._every(1800, 30):
            if sim.db_down(t):
                sim.payment(
                    pod,
                    t + 30 * S,
                    "ERROR",
                    "scheduling-2",
                    "org.springframework.scheduling.support.TaskUtils$LoggingErrorHandler",
                    "Unexpected error occurred in scheduled task",
                    java_hikari_trace(sim.w.java, r, reconciler=True),
                )
                continue
            sim.payment(
                pod,
                t,
                "INFO",
                "scheduling-2",
                "com.shop.payment.reconcile.PendingReconciler",
                f"Reconciled {r.randrange(0, 4)} stale PENDING payments older than 15 minutes",
            )
        if sim.w.disk is not None:
            for t in sim._every(120, 20, start=sim.w.disk.full, end=sim.w.disk.fixed):
                # Refund and status calls from the back office still hit the database.
                sim.payment(
                    pod,
                    t + 30 * S,
                    "ERROR",
                    f"http-nio-8080-exec-{r.randrange(1, 41)}",
                    "org.apache.catalina.core.ContainerBase.[Tomcat].[localhost].[/].[dispatcherServlet]",
                    "Servlet.service() for servlet [dispatcherServlet] in context with path [] threw exception "
                    "[Request processing failed: org.springframework.transaction.CannotCreateTransactionException: "
                    "Could not open JPA EntityManager for transaction] with root cause",
                    java_hikari_trace(sim.w.java, r),
                )


def payment_startups(sim: Simulation) -> None:
    r = sim.rng
    for pod in (0, 1):
        for rel in sim.w.payment_releases[pod][1:]:
            t = rel.at
            sim.payment(
                pod,
                t - 2_500_000,
                "INFO",
                "SpringApplicationShutdownHook",
                "org.springframework.boot.web.embedded.tomcat.GracefulShutdown",
                "Commencing graceful shutdown. Waiting for active requests to complete",
            )
            sim.payment(
                pod,
                t - 2_400_000,
                "INFO",
                "tomcat-shutdown",
                "org.springframework.boot.web.embedded.tomcat.GracefulShutdown",
                "Graceful shutdown complete",
            )
            sim.payment(
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
                sim.payment(pod, t, "INFO", "main", logger, msg)
                t += r.randrange(20_000, 900_000)


def checkout_background(sim: Simulation) -> None:
    r = sim.rng
    for pod in CHECKOUT_PODS:
        for t in sim._every(30, 0.2):
            sim.checkout(t, "DEBUG", "checkout.worker", "worker heartbeat", pod=pod, queue_depth=r.choice((0, 0, 0, 1)))
    for t in sim._every(300, 1):
        sim.checkout(t, "INFO", "checkout.carts", "abandoned cart sweep", removed=r.randrange(3, 60))
    for t in sim._poisson(0.003):
        # Pre-existing noise: prices refresh while carts sit in Redis; harmless and constant.
        sim.checkout(
            t,
            "WARN",
            "checkout.api",
            "cart price changed during checkout",
            cart_id="cart_" + sim._hex(10),
            old=f"{r.randrange(1500, 9000) / 100:.2f}",
            new=f"{r.randrange(1500, 9000) / 100:.2f}",
        )
    rel = sim.w.checkout_release
    if rel is not None:
        for i, pod in enumerate(CHECKOUT_PODS):
            t = rel.at + i * 40_000_000
            sim.checkout(
                t, "INFO", "checkout.main", f"checkout-service {rel.version} starting (git {rel.sha7})", pod=pod
            )
            sim.checkout(t + 800_000, "INFO", "uvicorn.error", "Application startup complete.", pod=pod)


def inventory_background(sim: Simulation) -> None:
    r = sim.rng
    for t in sim._every(10, 0.05):
        sim.inventory(
            t,
            "INFO",
            "uvicorn.access",
            f'10.42.{r.choice((1, 2, 3))}.1:{r.randrange(40000, 60000)} - "GET /healthz HTTP/1.1" 200',
        )
    for t in sim._every(900, 0.5):
        if r.random() < 0.55:
            # Pre-existing, unrelated: the supplier's feed is flaky every day.
            sim.inventory(
                t + 20_000_000,
                "ERROR",
                "inventory.supplier_feed",
                "Supplier feed sync failed: HTTP 503 from https://feeds.acme-supplies.example/v2/stock (will retry in 900s)",
            )
        else:
            sim.inventory(
                t + r.randrange(2, 9) * S,
                "INFO",
                "inventory.supplier_feed",
                f"Supplier feed sync: {r.randrange(300, 480)} skus updated",
            )
    for start, _pod, _, version in sim.w.inventory_pods[1:]:
        # The old pod drains first (its file ends here), then the new pod's file begins.
        for i, msg in enumerate(("Shutting down", "Waiting for application shutdown.",
                                 "Application shutdown complete.", "Finished server process [1]")):  # fmt: skip
            sim.inventory(start - 3 * S + i * 200_000, "INFO", "uvicorn.error", msg)
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
            sim.inventory(start + i * 120_000, level, logger, msg)


def postgres_background(sim: Simulation) -> None:
    r = sim.rng
    for t in sim._every(300, 0.01):
        if sim.db_down(t) or sim.db_down(t + 40 * S):
            continue
        sim.pg(t, "LOG", "checkpoint starting: time", pid=sim.pg_pid)
        bufs = r.randrange(800, 9000)
        sim.pg(
            t + r.randrange(25, 40) * S,
            "LOG",
            f"checkpoint complete: wrote {bufs} buffers ({bufs / 10485.76:.1f}%); 0 WAL file(s) added, "
            f"{r.randrange(0, 3)} removed, {r.randrange(0, 4)} recycled; write={r.uniform(20, 35):.3f} s, "
            f"sync={r.uniform(0.001, 0.2):.3f} s, total={r.uniform(26, 40):.3f} s; sync files={r.randrange(20, 90)}, "
            f"longest={r.uniform(0.001, 0.05):.3f} s, average={r.uniform(0.001, 0.003):.3f} s; "
            f"distance={r.randrange(20000, 90000)} kB, estimate={r.randrange(60000, 120000)} kB; "
            f"lsn=4A/{r.randrange(0x10000000, 0xFFFFFFFF):X}, redo lsn=4A/{r.randrange(0x10000000, 0xFFFFFFFF):X}",
            pid=sim.pg_pid,
        )
    for t in sim._poisson(0.004):
        if sim.db_down(t):
            continue
        table = r.choice(("orders", "order_lines", "reservations", "stock", "payments"))
        sim.pg(
            t,
            "LOG",
            f'automatic vacuum of table "orders.public.{table}": '
            f"index scans: {r.randrange(0, 2)}\n\tpages: 0 removed, {r.randrange(1000, 90000)} remain, "
            f"{r.randrange(10, 900)} scanned\n\ttuples: {r.randrange(10, 5000)} removed, {r.randrange(10000, 900000)} remain, 0 are dead but not yet removable",
        )
    for t in sim._poisson(0.006):
        if sim.db_down(t):
            continue
        ms = r.uniform(1000, 3800)
        sim.pg(
            t,
            "LOG",
            f"duration: {ms:.3f} ms  statement: SELECT o.id, o.total, o.created_at FROM orders o "
            f"WHERE o.user_id = 'u{r.randrange(100000, 999999)}' ORDER BY o.created_at DESC LIMIT 50",
        )


def syslog_background(sim: Simulation) -> None:
    r = sim.rng
    hosts = ("web-01", "k8s-node-01", "k8s-node-02", "db-01")
    for host in hosts:
        for t in sim._every(300, 1):
            sim.syslog(
                t,
                host,
                "CRON",
                r.randrange(10000, 60000),
                "(root) CMD (/usr/local/bin/node-exporter-textfile.sh >/dev/null 2>&1)",
                facility=9,
            )
        for t in sim._every(3600, 30):
            sim.syslog(t, host, "systemd", 1, "Starting sysstat-collect.service - system activity accounting tool...")
            sim.syslog(t + 200_000, host, "systemd", 1, "sysstat-collect.service: Deactivated successfully.")
            sim.syslog(
                t + 210_000,
                host,
                "systemd",
                1,
                "Finished sysstat-collect.service - system activity accounting tool.",
            )
        for t in sim._poisson(0.004):
            ip = f"{r.choice((45, 61, 103, 141, 185, 218))}.{r.randrange(1, 255)}.{r.randrange(0, 255)}.{r.randrange(1, 255)}"
            user = r.choice(("root", "admin", "ubuntu", "oracle", "test", "postgres", "git"))
            pid = r.randrange(100000, 400000)
            sim.syslog(
                t,
                host,
                "sshd",
                pid,
                f"Invalid user {user} from {ip} port {r.randrange(30000, 65000)}",
                severity=6,
                facility=10,
            )
            sim.syslog(
                t + 900_000,
                host,
                "sshd",
                pid,
                f"Connection closed by invalid user {user} {ip} port {r.randrange(30000, 65000)} [preauth]",
                facility=10,
            )
        for t in sim._poisson(0.01):
            src = f"{r.randrange(1, 223)}.{r.randrange(0, 255)}.{r.randrange(0, 255)}.{r.randrange(1, 255)}"
            sim.syslog(
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
    for t in sim._every(900, 5):
        used = disk_usage(sim, t)
        sim.syslog(t, "db-01", "disk-usage", 812, f"/var/lib/postgresql {used}% used ({used * 5} GiB of 500 GiB)")


def disk_usage(sim: Simulation, t: int) -> int:
    disk = sim.w.disk
    base = 61 + int((t - sim.w.start) / S / 3600 * 0.3)
    if disk is None or t < disk.nfs_lost:
        return base
    if t >= disk.fixed:
        return 64
    span = disk.full - disk.nfs_lost
    return min(100, base + int((100 - base) * ((t - disk.nfs_lost) / span) ** 1.6))
