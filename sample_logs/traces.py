"""Stack traces as the JVM and CPython print them, with the shop's own frames at real lines of the repo.

The line numbers of the shop's frames are looked up in the file contents of the revision that was running
(`JavaFrames.from_sources`), so a frame such as `GatewayClient.java:142` always lands on the line that makes
the call in that revision.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from sample_logs import shop_code as code


def line_after(text: str, anchor: str, marker: str) -> int:
    """1-based line of the first `marker` after the line containing `anchor` (a def, a method signature)."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if anchor in line)
    return next(i for i in range(start, len(lines)) if marker in lines[i]) + 1


@dataclass(frozen=True)
class JavaFrames:
    gateway_execute: int  # GatewayClient.authorize: the pooled execute call
    gateway_throw: int  # GatewayClient.authorize: wrapping the IOException
    service_authorize: int  # PaymentService.authorize: gateway.authorize(request)
    service_save: int  # PaymentService.authorize: the first payments.save(...)
    controller_authorize: int  # PaymentController.authorize: payments.authorize(...)

    @classmethod
    def from_sources(cls, files: dict[str, str]) -> JavaFrames:
        gw, svc, ctl = files[code.GATEWAY_CLIENT], files[code.PAYMENT_SERVICE], files[code.PAYMENT_CONTROLLER]
        return cls(
            gateway_execute=line_after(gw, "public AuthorizationResult authorize(", "execute(post)"),
            gateway_throw=line_after(
                gw, "public AuthorizationResult authorize(", 'new GatewayException("authorize failed'
            ),
            service_authorize=line_after(svc, "public Payment authorize(", "gateway.authorize(request)"),
            service_save=line_after(svc, "public Payment authorize(", "payments.save("),
            controller_authorize=line_after(
                ctl, "public ResponseEntity<PaymentResponse> authorize(", "payments.authorize("
            ),
        )


@dataclass(frozen=True)
class PythonFrames:
    reserve_tx: int  # inventory/reservations.py reserve(): async with db.transaction()
    stock_available: int  # inventory/reservations.py stock(): await db.available(sku)
    db_transaction: int  # inventory/db.py transaction(): pool.connection()
    db_available: int  # inventory/db.py available(): pool.connection()

    @classmethod
    def from_sources(cls, files: dict[str, str]) -> PythonFrames:
        res, db = files[f"{code.INVENTORY}/reservations.py"], files[f"{code.INVENTORY}/db.py"]
        return cls(
            reserve_tx=line_after(res, "async def reserve(", "db.transaction()"),
            stock_available=line_after(res, "async def stock(", "db.available(sku)"),
            db_transaction=line_after(db, "async def transaction(", "pool.connection()"),
            db_available=line_after(db, "async def available(", "pool.connection()"),
        )


_SPRING_TAIL = """\
\tat jdk.internal.reflect.GeneratedMethodAccessor{acc}.invoke(Unknown Source)
\tat java.base/jdk.internal.reflect.DelegatingMethodAccessorImpl.invoke(DelegatingMethodAccessorImpl.java:43)
\tat java.base/java.lang.reflect.Method.invoke(Method.java:568)
\tat org.springframework.web.method.support.InvocableHandlerMethod.doInvoke(InvocableHandlerMethod.java:255)
\tat org.springframework.web.method.support.InvocableHandlerMethod.invokeForRequest(InvocableHandlerMethod.java:188)
\tat org.springframework.web.servlet.mvc.method.annotation.ServletInvocableHandlerMethod.invokeAndHandle(ServletInvocableHandlerMethod.java:118)
\tat org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerAdapter.invokeHandlerMethod(RequestMappingHandlerAdapter.java:926)
\tat org.springframework.web.servlet.DispatcherServlet.doDispatch(DispatcherServlet.java:1089)
\tat org.springframework.web.servlet.FrameworkServlet.processRequest(FrameworkServlet.java:1011)
\tat org.apache.tomcat.util.threads.TaskThread$WrappingRunnable.run(TaskThread.java:61)
\tat java.base/java.lang.Thread.run(Thread.java:840)"""


def java_pool_timeout_trace(f: JavaFrames, rng: random.Random, acquirer: str) -> str:
    """GatewayException wrapping Apache HttpClient 4.5's pool timeout, as logback prints `log.error(..., e)`."""
    tail = _SPRING_TAIL.format(acc=rng.choice((212, 214, 219)))
    return (
        f"com.shop.payment.gateway.GatewayException: authorize failed for acquirer {acquirer}\n"
        f"\tat com.shop.payment.gateway.GatewayClient.authorize(GatewayClient.java:{f.gateway_throw})\n"
        f"\tat com.shop.payment.service.PaymentService.authorize(PaymentService.java:{f.service_authorize})\n"
        "\tat com.shop.payment.service.PaymentService$$SpringCGLIB$$0.authorize(<generated>)\n"
        f"\tat com.shop.payment.api.PaymentController.authorize(PaymentController.java:{f.controller_authorize})\n"
        f"{tail}\n"
        "Caused by: org.apache.http.conn.ConnectionPoolTimeoutException: Timeout waiting for connection from pool\n"
        "\tat org.apache.http.impl.conn.PoolingHttpClientConnectionManager.leaseConnection(PoolingHttpClientConnectionManager.java:316)\n"
        "\tat org.apache.http.impl.conn.PoolingHttpClientConnectionManager$1.get(PoolingHttpClientConnectionManager.java:282)\n"
        "\tat org.apache.http.impl.execchain.MainClientExec.execute(MainClientExec.java:190)\n"
        "\tat org.apache.http.impl.execchain.ProtocolExec.execute(ProtocolExec.java:186)\n"
        "\tat org.apache.http.impl.execchain.RetryExec.execute(RetryExec.java:89)\n"
        "\tat org.apache.http.impl.execchain.RedirectExec.execute(RedirectExec.java:110)\n"
        "\tat org.apache.http.impl.client.InternalHttpClient.doExecute(InternalHttpClient.java:185)\n"
        "\tat org.apache.http.impl.client.CloseableHttpClient.execute(CloseableHttpClient.java:83)\n"
        "\tat org.apache.http.impl.client.CloseableHttpClient.execute(CloseableHttpClient.java:108)\n"
        f"\tat com.shop.payment.gateway.GatewayClient.authorize(GatewayClient.java:{f.gateway_execute})\n"
        "\t... 14 common frames omitted"
    )


def java_hikari_trace(f: JavaFrames, rng: random.Random, reconciler: bool = False) -> str:
    if reconciler:
        caller = (
            "\tat com.shop.payment.reconcile.PendingReconciler$$SpringCGLIB$$0.reconcile(<generated>)\n"
            "\tat org.springframework.scheduling.support.ScheduledMethodRunnable.run(ScheduledMethodRunnable.java:84)\n"
            "\tat org.springframework.scheduling.support.DelegatingErrorHandlingRunnable.run(DelegatingErrorHandlingRunnable.java:54)\n"
            "\tat java.base/java.util.concurrent.ThreadPoolExecutor.runWorker(ThreadPoolExecutor.java:1136)\n"
            "\tat java.base/java.lang.Thread.run(Thread.java:840)\n"
        )
    else:
        caller = (
            "\tat com.shop.payment.service.PaymentService$$SpringCGLIB$$0.refund(<generated>)\n"
            + _SPRING_TAIL.format(acc=rng.choice((212, 214, 219)))
            + "\n"
        )
    return (
        "org.springframework.transaction.CannotCreateTransactionException: Could not open JPA EntityManager for transaction\n"
        "\tat org.springframework.orm.jpa.JpaTransactionManager.doBegin(JpaTransactionManager.java:466)\n"
        "\tat org.springframework.transaction.support.AbstractPlatformTransactionManager.startTransaction(AbstractPlatformTransactionManager.java:531)\n"
        "\tat org.springframework.transaction.interceptor.TransactionAspectSupport.invokeWithinTransaction(TransactionAspectSupport.java:391)\n"
        + caller
        + "Caused by: java.sql.SQLTransientConnectionException: HikariPool-1 - Connection is not available, request timed out after 30000ms.\n"
        "\tat com.zaxxer.hikari.pool.HikariPool.createTimeoutException(HikariPool.java:696)\n"
        "\tat com.zaxxer.hikari.pool.HikariPool.getConnection(HikariPool.java:181)\n"
        "\tat com.zaxxer.hikari.pool.HikariPool.getConnection(HikariPool.java:146)\n"
        "\tat com.zaxxer.hikari.HikariDataSource.getConnection(HikariDataSource.java:100)\n"
        "\t... 12 common frames omitted\n"
        "Caused by: org.postgresql.util.PSQLException: FATAL: the database system is in recovery mode\n"
        "\tat org.postgresql.core.v3.ConnectionFactoryImpl.doAuthentication(ConnectionFactoryImpl.java:698)\n"
        "\tat org.postgresql.core.v3.ConnectionFactoryImpl.tryConnect(ConnectionFactoryImpl.java:207)\n"
        "\tat org.postgresql.core.v3.ConnectionFactoryImpl.openConnectionImpl(ConnectionFactoryImpl.java:262)\n"
        "\tat org.postgresql.Driver.makeConnection(Driver.java:443)\n"
        "\tat com.zaxxer.hikari.pool.PoolBase.newConnection(PoolBase.java:359)\n"
        "\tat com.zaxxer.hikari.pool.HikariPool$PoolEntryCreator.call(HikariPool.java:720)\n"
        "\t... 5 common frames omitted"
    )


def python_diskfull_trace(f: PythonFrames, endpoint: str, error: str) -> str:
    """A CPython traceback through the inventory service's own code into psycopg's pool."""
    if endpoint == "reserve":
        own = (
            f'  File "/app/inventory/reservations.py", line {f.reserve_tx}, in reserve\n'
            "    async with db.transaction() as tx:\n"
            '  File "/usr/local/lib/python3.12/contextlib.py", line 210, in __aenter__\n'
            "    return await anext(self.gen)\n"
            f'  File "/app/inventory/db.py", line {f.db_transaction}, in transaction\n'
            "    async with pool.connection() as conn:\n"
        )
    else:
        own = (
            f'  File "/app/inventory/reservations.py", line {f.stock_available}, in stock\n'
            '    return {"sku": sku, "available": await db.available(sku)}\n'
            f'  File "/app/inventory/db.py", line {f.db_available}, in available\n'
            "    async with pool.connection() as conn:\n"
        )
    return (
        "Traceback (most recent call last):\n"
        '  File "/usr/local/lib/python3.12/site-packages/uvicorn/protocols/http/httptools_impl.py", line 419, in run_asgi\n'
        "    result = await app(  # type: ignore[func-returns-value]\n"
        '  File "/usr/local/lib/python3.12/site-packages/fastapi/routing.py", line 193, in run_endpoint_function\n'
        "    return await dependant.call(**values)\n"
        + own
        + '  File "/usr/local/lib/python3.12/contextlib.py", line 210, in __aenter__\n'
        "    return await anext(self.gen)\n"
        '  File "/usr/local/lib/python3.12/site-packages/psycopg_pool/pool_async.py", line 185, in connection\n'
        "    conn = await self.getconn(timeout=timeout)\n"
        '  File "/usr/local/lib/python3.12/site-packages/psycopg_pool/pool_async.py", line 219, in getconn\n'
        "    conn = await self._getconn_unchecked(deadline - monotonic())\n"
        "psycopg_pool.PoolTimeout: couldn't get a connection after 1.50 sec\n"
        f"(last error: {error.splitlines()[0]})"
    )
