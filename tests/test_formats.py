"""Each format logrca detects by itself, read from a realistic sample: the right fields, times and levels."""

from __future__ import annotations

from tests.ingest_helpers import read_one, ts, write


def test_logback_with_java_stack_trace_and_cause_chain(tmp_path):
    path = write(tmp_path, "orders.log", """\
2024-03-05 14:02:11.482 [http-nio-8080-exec-3] INFO  com.shop.orders.OrderController - Creating order for customer 4412
2024-03-05 14:02:11.519 [http-nio-8080-exec-3] ERROR com.shop.orders.OrderService - Failed to reserve stock for order 98812
java.lang.IllegalStateException: stock service returned 503
\tat com.shop.orders.StockClient.reserve(StockClient.java:88)
\tat com.shop.orders.OrderService.place(OrderService.java:142)
\t... 12 more
Caused by: java.net.SocketTimeoutException: Read timed out
\tat java.base/java.net.SocketInputStream.socketRead0(Native Method)
\t... 30 common frames omitted
2024-03-05 14:02:12.001 [http-nio-8080-exec-4] WARN  com.shop.orders.OrderController - Retrying order 98812
""")
    events, stats = read_one(path)
    assert stats.format == "logback"
    assert events["line"].tolist() == [1, 2, 10]
    assert events["lines"].tolist() == [1, 8, 1]
    assert events["level"].tolist() == ["INFO", "ERROR", "WARN"]
    assert events["logger"][1] == "com.shop.orders.OrderService"
    trace = events["message"][1]
    assert trace.startswith("Failed to reserve stock for order 98812\njava.lang.IllegalStateException")
    assert trace.endswith("... 30 common frames omitted")
    assert "Caused by: java.net.SocketTimeoutException" in trace
    assert events["time"][1] == ts("2024-03-05 14:02:11.519")
    assert stats.lines == 10 and stats.lines_unparsed == 0


def test_log4j_pattern_with_thread_after_level(tmp_path):
    path = write(tmp_path, "hadoop.log", """\
2015-10-18 18:01:47,978 INFO [main] org.apache.hadoop.mapreduce.v2.app.MRAppMaster: Created MRAppMaster for application appattempt_1445144423722_0020_000001
2015-10-18 18:01:52,263 WARN [main] org.apache.hadoop.util.NativeCodeLoader: Unable to load native-hadoop library
""")
    events, stats = read_one(path)
    assert events["message"].tolist() == [
        "Created MRAppMaster for application appattempt_1445144423722_0020_000001",
        "Unable to load native-hadoop library",
    ]
    assert events["logger"][1] == "org.apache.hadoop.util.NativeCodeLoader"
    assert events["time"][0] == ts("2015-10-18 18:01:47.978")


def test_python_logging_with_traceback(tmp_path):
    path = write(tmp_path, "payments.log", """\
2024-03-05 14:02:11,482 - payments.api - INFO - charge started id=77
2024-03-05 14:02:11,990 - payments.api - ERROR - charge failed id=77
Traceback (most recent call last):
  File "/app/payments/api.py", line 41, in charge
    result = gateway.charge(amount)
ConnectionError: gateway unreachable
2024-03-05 14:02:12,100 - payments.api - WARNING - retry scheduled id=77
""")
    events, stats = read_one(path)
    assert stats.format == "python"
    assert events["level"].tolist() == ["INFO", "ERROR", "WARN"]
    assert events["lines"].tolist() == [1, 5, 1]
    assert events["message"][1].endswith("ConnectionError: gateway unreachable")
    assert events["logger"].unique().tolist() == ["payments.api"]


def test_python_basic_config_default(tmp_path):
    path = write(tmp_path, "worker.log", "WARNING:celery.worker:queue backlog 4000\nERROR:celery.worker:task 91 failed\n")
    events, stats = read_one(path)
    assert stats.format == "python_basic"
    assert events["level"].tolist() == ["WARN", "ERROR"]
    assert events["message"][1] == "task 91 failed"
    assert events["time"].isna().all() and stats.lines_without_time == 2


def test_json_lines_common_keys_pino_levels_and_error_stack(tmp_path):
    path = write(tmp_path, "frontend.jsonl", """\
{"ts":"2024-03-05T14:02:11.482Z","level":"info","msg":"request served","service":"cart","trace_id":"abc123"}
{"time":1709647332000,"level":50,"msg":"db timeout","name":"cart-db","hostname":"node-2","err":{"type":"Error","message":"timeout","stack":"Error: timeout\\n    at Query.run (/app/db.js:10:5)"}}
{"@timestamp":"2024-03-05T14:02:13+01:00","log.level":"WARN","message":"slow query","service.name":"cart"}
""")
    events, stats = read_one(path)
    assert stats.format == "json"
    assert events["level"].tolist() == ["INFO", "ERROR", "WARN"]
    assert events["service"].tolist() == ["cart", "frontend", "cart"]  # a line without one gets the file's
    assert events["trace_id"][0] == "abc123"
    assert events["time"][1] == ts("2024-03-05T14:02:12Z")
    assert events["time"][2] == ts("2024-03-05T13:02:13Z")
    assert events["message"][1] == "db timeout\nError: timeout\n    at Query.run (/app/db.js:10:5)"
    assert events["host"][1] == "node-2" and events["logger"][1] == "cart-db"


def test_json_stamps_with_and_without_a_zone_each_keep_their_meaning(tmp_path):
    """Arrow would read these whole-second stamps as one zone-less timestamp column (the zoned ones moved to
    UTC): with --tz elsewhere than UTC, the zoned ones were then shifted again."""
    path = write(tmp_path, "api.jsonl", """\
{"ts":"2024-03-05T14:02:11+01:00","level":"info","msg":"request served"}
{"ts":"2024-03-05T14:02:12Z","level":"info","msg":"request served"}
{"ts":"2024-03-05T14:02:13","level":"info","msg":"request served"}
""")
    events, stats = read_one(path, tz="America/New_York")
    assert events["time"].tolist() == [ts("2024-03-05T13:02:11Z"), ts("2024-03-05T14:02:12Z"),
                                       ts("2024-03-05T19:02:13Z")]
    assert stats.timezone_assumed == "America/New_York"


def test_zap_json_with_fractional_epoch_seconds(tmp_path):
    """zap's default JSON encoder writes `ts` as float seconds: a non-whole float column once ended reading."""
    path = write(tmp_path, "worker.jsonl", """\
{"level":"info","ts":1709647331.482,"caller":"app/main.go:42","msg":"job done","attempt":2}
{"level":"error","ts":1709647332.25,"caller":"app/main.go:57","msg":"job failed","attempt":3.5}
{"level":"info","ts":1709647333,"caller":"app/main.go:42","msg":"job done","attempt":1}
""")
    events, stats = read_one(path)
    assert stats.format == "json" and stats.lines_without_time == 0
    assert events["time"].tolist() == [ts("2024-03-05T14:02:11.482Z"), ts("2024-03-05T14:02:12.25Z"),
                                       ts("2024-03-05T14:02:13Z")]
    assert events["level"].tolist() == ["INFO", "ERROR", "INFO"]


def test_journalctl_json_export(tmp_path):
    path = write(tmp_path, "journal.json", """\
{"__REALTIME_TIMESTAMP":"1709647331482123","PRIORITY":"3","_HOSTNAME":"web1","SYSLOG_IDENTIFIER":"nginx","_SYSTEMD_UNIT":"nginx.service","MESSAGE":"bind() to 0.0.0.0:80 failed (98: Address already in use)"}
{"__REALTIME_TIMESTAMP":"1709647332000000","PRIORITY":"6","_HOSTNAME":"web1","SYSLOG_IDENTIFIER":"systemd","_SYSTEMD_UNIT":"init.scope","MESSAGE":"Started nginx."}
""")
    events, _ = read_one(path)
    assert events["time"][0] == ts("2024-03-05T14:02:11.482123Z")
    assert events["level"].tolist() == ["ERROR", "INFO"]
    assert events["service"][0] == "nginx" and events["host"][0] == "web1"


def test_logfmt(tmp_path):
    path = write(tmp_path, "gateway.log", """\
time="2024-03-05T14:02:11Z" level=info msg="listening" addr=":8080" component=api
time="2024-03-05T14:02:12Z" level=error msg="upstream failed" err="dial tcp 10.0.0.4:5432: connect: connection refused"
""")
    events, stats = read_one(path)
    assert stats.format == "logfmt"
    assert events["level"].tolist() == ["INFO", "ERROR"]
    assert events["message"][1] == "upstream failed\ndial tcp 10.0.0.4:5432: connect: connection refused"
    assert events["logger"][0] == "api"


def test_nginx_access_log_levels_from_status(tmp_path):
    path = write(tmp_path, "access.log", """\
10.0.0.1 - - [05/Mar/2024:14:02:11 +0000] "GET /api/cart HTTP/1.1" 200 512 "-" "curl/8.0"
10.0.0.2 - alice [05/Mar/2024:15:02:12 +0100] "POST /api/order HTTP/1.1" 502 157 "https://shop/" "Mozilla/5.0"
10.0.0.3 - - [05/Mar/2024:14:02:13 +0000] "GET /missing HTTP/1.1" 404 0
""")
    events, stats = read_one(path)
    assert stats.format == "access"
    assert events["level"].tolist() == ["INFO", "ERROR", "WARN"]
    assert events["time"][1] == ts("2024-03-05T14:02:12Z")
    assert events["message"][1].startswith('"POST /api/order HTTP/1.1" 502 157')


def test_apache_and_nginx_error_logs(tmp_path):
    apache = write(tmp_path, "error_log", """\
[Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok /etc/httpd/conf/workers2.properties
[Wed Oct 11 14:32:52.123456 2023] [core:error] [pid 35708:tid 4328636416] [client 72.15.99.187] File does not exist: /var/www/favicon.ico
""")
    events, stats = read_one(apache)
    assert stats.format == "apache_error"
    assert events["level"].tolist() == ["NOTICE", "ERROR"]
    assert events["message"][1] == "[client 72.15.99.187] File does not exist: /var/www/favicon.ico"
    assert events["time"][1] == ts("2023-10-11 14:32:52.123456")
    nginx = write(tmp_path, "nginx/error.log", """\
2024/03/05 14:02:11 [error] 1234#0: *5 connect() failed (111: Connection refused) while connecting to upstream
2024/03/05 14:02:12 [warn] 1234#0: *6 upstream server temporarily disabled
""")
    events, stats = read_one(nginx)
    assert stats.format == "nginx_error"
    assert events["level"].tolist() == ["ERROR", "WARN"]
    assert events["message"][0].startswith("connect() failed")


def test_syslog_rfc3164_with_priority_and_rfc5424(tmp_path):
    path = write(tmp_path, "messages", """\
<86>Mar  5 14:02:11 web1 sshd[2211]: Accepted publickey for deploy from 10.0.0.9 port 52110
<83>Mar  5 14:02:12 web1 kernel: Out of memory: Killed process 4242 (java)
""")
    events, stats = read_one(path, year=2024)
    assert stats.format == "syslog"
    assert events["service"].tolist() == ["sshd", "kernel"]
    assert events["host"].tolist() == ["web1", "web1"]
    assert events["level"].tolist() == ["INFO", "ERROR"]
    assert events["time"][0] == ts("2024-03-05 14:02:11")
    path = write(tmp_path, "rfc5424.log", """\
<165>1 2024-03-05T14:02:11.003Z mymachine.example.com evntslog 1234 ID47 [exampleSDID@32473 iut="3"] An application event
<11>1 2024-03-05T14:02:12Z host2 api - - - disk full
""")
    events, stats = read_one(path)
    assert stats.format == "syslog5424"
    assert events["message"].tolist() == ["An application event", "disk full"]
    assert events["level"].tolist() == ["NOTICE", "ERROR"]
    assert events["service"].tolist() == ["evntslog", "api"]


def test_journalctl_short_iso(tmp_path):
    path = write(tmp_path, "journal.txt", """\
2024-03-05T14:02:11+0100 web1 systemd[1]: Starting Daily apt upgrade...
2024-03-05T14:02:12+0100 web1 dockerd[880]: time="2024-03-05T13:02:12Z" level=error msg="container died"
""")
    events, stats = read_one(path)
    assert stats.format == "syslog_iso"
    assert events["time"][0] == ts("2024-03-05T13:02:11Z")
    assert events["service"].tolist() == ["systemd", "dockerd"]


def test_go_standard_log_and_panic_dump(tmp_path):
    path = write(tmp_path, "api.log", """\
2024/03/05 14:02:11 server.go:42: listening on :8080
panic: runtime error: invalid memory address or nil pointer dereference
[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x4a1b2c]

goroutine 1 [running]:
main.handler(0x0)
\t/app/main.go:17 +0x1c
main.main()
\t/app/main.go:9 +0x25
exit status 2
""")
    events, stats = read_one(path)
    assert stats.format == "go"
    assert events["lines"].tolist() == [1, 9]
    assert events["message"][1].startswith("panic: runtime error")
    assert events["level"][1] == "FATAL"
    assert events["time"][1] == events["time"][0]  # the panic takes its neighbour's time
    assert stats.lines_without_time == 1


def test_zap_console_and_spring_boot(tmp_path):
    zap = write(tmp_path, "zap.log",
                "2024-03-05T14:02:11.482Z\tINFO\tserver/http.go:88\tserving\t{\"port\": 8080}\n"
                "2024-03-05T14:02:12.001Z\tERROR\tstore/db.go:12\tquery failed\t{\"err\": \"timeout\"}\n")
    events, stats = read_one(zap)
    assert stats.format == "zap"
    assert events["level"].tolist() == ["INFO", "ERROR"]
    assert events["logger"][1] == "store/db.go:12"
    spring = write(tmp_path, "spring.log", """\
2024-03-05 14:02:11.482  INFO 4242 --- [           main] c.s.catalog.CatalogApplication           : Started CatalogApplication in 4.2 seconds
2024-03-05 14:02:12.001 ERROR 4242 --- [nio-8080-exec-1] o.a.c.c.C.[.[.[/].[dispatcherServlet]    : Servlet.service() threw exception
""")
    events, stats = read_one(spring)
    assert stats.format == "spring"
    assert events["message"][0] == "Started CatalogApplication in 4.2 seconds"
    assert events["level"].tolist() == ["INFO", "ERROR"]


def test_node_winston_text_with_stack(tmp_path):
    path = write(tmp_path, "web.log", """\
2024-03-05T14:02:11.482Z info: server started on port 3000
2024-03-05T14:02:12.001Z error: Unhandled rejection TypeError: Cannot read properties of undefined (reading 'id')
    at getUser (/app/src/users.js:14:22)
    at processTicksAndRejections (node:internal/process/task_queues:95:5)
""")
    events, _ = read_one(path)
    assert events["level"].tolist() == ["INFO", "ERROR"]
    assert events["lines"].tolist() == [1, 3]
    assert events["message"][0] == "server started on port 3000"


def test_dotnet_and_ruby_traces_fold(tmp_path):
    path = write(tmp_path, "svc.log", """\
2024-03-05 14:02:11.482 ERROR Billing.Worker: charge failed
System.InvalidOperationException: Sequence contains no elements
   at System.Linq.ThrowHelper.ThrowNoElementsException()
   at Billing.Worker.Run() in /src/Worker.cs:line 42
--- End of stack trace from previous location ---
2024-03-05 14:02:12.000 ERROR Sidekiq.Job: job crashed
app/models/user.rb:12:in `find_by_email'
\tfrom app/jobs/mailer.rb:8:in `perform'
""")
    events, _ = read_one(path)
    assert events["lines"].tolist() == [5, 3]
    assert events["message"][1].endswith("\tfrom app/jobs/mailer.rb:8:in `perform'")


def test_header_learned_from_an_unknown_system(tmp_path):
    # No named format has this shape: `date time pid LEVEL component: message`.
    lines = [f"081109 2036{i % 60:02d} {100 + i} {'INFO' if i % 5 else 'WARN'} dfs.DataNode$PacketResponder: "
             f"PacketResponder {i % 3} for block blk_{i * 7919} terminating" for i in range(50)]
    path = write(tmp_path, "hdfs.log", "\n".join(lines) + "\n")
    events, stats = read_one(path)
    assert stats.format == "text"
    assert events["message"][7] == "PacketResponder 1 for block blk_55433 terminating"
    assert events["logger"][7] == "dfs.DataNode$PacketResponder"
    assert events["level"][5] == "WARN"
    assert events["time"][0] == ts("2008-11-09 20:36:00")


def test_level_inferred_from_text_when_the_format_has_none(tmp_path):
    path = write(tmp_path, "plain.log", """\
2024/03/05 14:02:11 connected to db
2024/03/05 14:02:12 ERROR: cannot write to /data: no space left on device
2024/03/05 14:02:13 warning: retrying in 5s
""")
    events, _ = read_one(path)
    assert events["level"].tolist() == ["", "ERROR", "WARN"]


def test_forced_format_and_unknown_format(tmp_path):
    import pytest

    from parsers.errors import UserError

    path = write(tmp_path, "x.log", '{"msg": "hi", "level": "info"}\nnot json at all\n')
    events, stats = read_one(path, format="json")
    assert stats.format == "json"
    assert events["parsed"].tolist() == [True, False]
    with pytest.raises(UserError, match="Unknown format"):
        read_one(path, format="no-such-format")


def test_learned_headers_of_systems_with_no_named_format(tmp_path):
    # Shapes from Loghub systems that are not in the accuracy set: pipes as separators, a bracketed
    # month.day time, a log-file-name column, an alert label column with epoch and year-less times.
    cases = {
        "health.log": ("""\
20171223-22:15:29:606|Step_LSC|30002312|onStandStepChanged 3579
20171223-22:15:29:615|Step_LSC|30002312|onExtend:1514038530000 14 0 4
20171223-22:15:29:633|Step_StandReportReceiver|30002312|onReceive action: android.intent.action.SCREEN_ON
""", ["onStandStepChanged 3579", "onExtend:1514038530000 14 0 4", "onReceive action: android.intent.action.SCREEN_ON"],
            ts("2017-12-23 22:15:29.606")),
        "proxy.log": ("""\
[10.30 16:49:06] chrome.exe - proxy.cse.cuhk.edu.hk:5070 open through proxy proxy.cse.cuhk.edu.hk:5070 HTTPS
[10.30 16:49:07] chrome.exe - proxy.cse.cuhk.edu.hk:5070 close, 0 bytes sent, 0 bytes received, lifetime 00:01
""", ["proxy.cse.cuhk.edu.hk:5070 open through proxy proxy.cse.cuhk.edu.hk:5070 HTTPS",
      "proxy.cse.cuhk.edu.hk:5070 close, 0 bytes sent, 0 bytes received, lifetime 00:01"], ts("2017-10-30 16:49:06")),
        "nova.log": ("""\
nova-api.log.1.2017-05-16_13:53:08 2017-05-16 00:00:00.008 25746 INFO nova.osapi_compute.wsgi.server [req-38101a0b-2096-447d-96ea-a692162415ae 113d3a99c3da401fbd62cc2caa5b96d2 54fadb412c4e40cdbaed9335e4c35a9e - - -] 10.11.10.1 "GET /v2/54fadb412c4e40cdbaed9335e4c35a9e/servers/detail HTTP/1.1" status: 200 len: 1893 time: 0.2477829
nova-compute.log.1.2017-05-16_13:55:31 2017-05-16 00:00:04.500 2931 INFO nova.compute.manager [req-3ea4052c-895d-4b64-9e2d-04d64c4d94ab - - - - -] [instance: b9000564-fe1a-409b-b8cc-1e88b294cd1d] VM Started (Lifecycle Event)
""", ['10.11.10.1 "GET /v2/54fadb412c4e40cdbaed9335e4c35a9e/servers/detail HTTP/1.1" status: 200 len: 1893 time: 0.2477829',
      "[instance: b9000564-fe1a-409b-b8cc-1e88b294cd1d] VM Started (Lifecycle Event)"], ts("2017-05-16 00:00:00.008")),
        "tbird.log": ("""\
- 1131566461 2005.11.09 dn228 Nov 9 12:01:01 dn228/dn228 crond(pam_unix)[2915]: session closed for user root
- 1131566461 2005.11.09 dn228 Nov 9 12:01:01 dn228/dn228 crond[2916]: (root) CMD (run-parts /etc/cron.hourly)
ECC 1131566462 2005.11.09 cn142 Nov 9 12:01:02 cn142/cn142 kernel: EDAC k8 MC0: general bus error
""", ["session closed for user root", "(root) CMD (run-parts /etc/cron.hourly)", "EDAC k8 MC0: general bus error"],
            ts("2005-11-09 20:01:01")),
    }
    cases["mysql.log"] = ("""\
2024-03-05T14:02:11.482913Z 0 [Warning] [MY-010068] [Server] CA certificate ca.pem is self signed.
2024-03-05T14:02:11.500000Z 0 [System] [MY-010931] [Server] /usr/sbin/mysqld: ready for connections.
2024-03-05T14:02:12.000000Z 8 [ERROR] [MY-012592] [InnoDB] Operating system error number 28 in a file operation.
""", ["CA certificate ca.pem is self signed.", "/usr/sbin/mysqld: ready for connections.",
      "Operating system error number 28 in a file operation."], ts("2024-03-05T14:02:11.482913Z"))
    for name, (text, messages, first_time) in cases.items():
        path = write(tmp_path, name, text)
        events, stats = read_one(path, year=2017)
        assert stats.format == "text", name
        assert events["message"].tolist() == messages, name
        assert events["time"][0] == first_time, name
        assert stats.lines_without_time == 0, name


def test_postgres_stderr_log_with_level_or_label_column(tmp_path):
    path = write(tmp_path, "postgres/postgresql-16-main.log", """\
2026-04-08 11:00:35.211 UTC [26017] LOG:  duration: 1705.264 ms  statement: SELECT 1
2026-04-08 11:01:53.917 UTC [48532] LOG:  automatic vacuum of table "orders.public.payments": index scans: 1
\tpages: 0 removed, 5354 remain, 121 scanned
2026-04-08 16:41:07.183 UTC [1121] PANIC:  could not write to file "pg_wal/xlogtemp.1121": No space left on device
2026-04-08 16:41:08.001 UTC [3311] FATAL:  the database system is in recovery mode
2026-04-08 16:41:08.002 UTC [3311] DETAIL:  The postmaster has commanded this server process to roll back.
2026-04-08 16:41:09.000 UTC [3312] ERROR:  relation "payments" does not exist
""")
    events, stats = read_one(path, tz="Asia/Tokyo")
    assert stats.format == "text" and stats.timezone_assumed is None  # the line says UTC
    assert events["level"].tolist() == ["INFO", "INFO", "FATAL", "FATAL", "", "ERROR"]
    assert events["message"][0] == "duration: 1705.264 ms  statement: SELECT 1"
    assert events["lines"][1] == 2
    assert events["time"][2] == ts("2026-04-08 16:41:07.183")
    assert events["service"].unique().tolist() == ["postgresql-16-main"]


def test_log4j_logger_names_with_brackets(tmp_path):
    path = write(tmp_path, "payment.log", """\
2026-04-08T11:00:24.520Z WARN  [http-nio-8080-exec-31] org.hibernate.orm.query - HHH90003004: applying in memory
2026-04-08T11:00:25.000Z ERROR [http-nio-8080-exec-25] o.a.c.c.C.[.[.[.[dispatcherServlet] - Servlet.service() threw exception
org.springframework.transaction.CannotCreateTransactionException: Could not open JPA EntityManager for transaction
\tat org.springframework.orm.jpa.JpaTransactionManager.doBegin(JpaTransactionManager.java:466)
""")
    events, stats = read_one(path)
    assert stats.format == "log4j" and stats.warnings == []
    assert events["logger"].tolist() == ["org.hibernate.orm.query", "o.a.c.c.C.[.[.[.[dispatcherServlet]"]
    assert events["message"][1].startswith("Servlet.service() threw exception\norg.springframework")


def test_klog_from_kubernetes_components(tmp_path):
    path = write(tmp_path, "kube-scheduler.log", """\
I0305 14:02:11.482913       1 scheduler.go:447] "Successfully bound pod to node" pod="shop/payment-0" node="k8s-node-02"
E0305 14:02:12.001004       1 framework.go:1124] "Failed running Reserve plugin" err="volume binding: no space left"
W0305 14:02:13.500000       1 reflector.go:424] k8s.io/client-go/informers/factory.go:150: watch of *v1.Pod ended
""")
    events, stats = read_one(path, year=2024)
    assert stats.format == "klog"
    assert events["level"].tolist() == ["INFO", "ERROR", "WARN"]
    assert events["logger"][1] == "framework.go:1124"
    assert events["message"][0].startswith('"Successfully bound pod to node"')
    assert events["time"][0] == ts("2024-03-05 14:02:11.482913")


def test_elasticsearch_and_redis(tmp_path):
    es = write(tmp_path, "es.log", """\
[2024-03-05T14:02:11,482][INFO ][o.e.n.Node               ] [node-1] started
[2024-03-05T14:02:12,001][WARN ][o.e.c.r.a.DiskThresholdMonitor] [node-1] high disk watermark [90%] exceeded
""")
    events, stats = read_one(es)
    assert stats.format == "elasticsearch"
    assert events["level"].tolist() == ["INFO", "WARN"]
    assert events["logger"][1] == "o.e.c.r.a.DiskThresholdMonitor" and events["host"][0] == "node-1"
    assert events["message"][1] == "high disk watermark [90%] exceeded"
    redis = write(tmp_path, "redis.log", """\
1:C 05 Mar 2024 14:02:11.482 # Redis version=7.2.4, bits=64, commit=00000000, modified=0, pid=1, just started
1:M 05 Mar 2024 14:02:11.483 * Ready to accept connections tcp
1:M 05 Mar 2024 14:05:00.100 # Background saving error
""")
    events, stats = read_one(redis)
    assert stats.format == "text"
    assert events["message"][1] == "Ready to accept connections tcp"
    assert events["time"][2] == ts("2024-03-05 14:05:00.100")
    assert events["level"][2] == "ERROR"  # from the text: the format has no level field


def test_a_logfmt_line_that_repeats_a_key_keeps_its_text(tmp_path):
    from parsers.ingest import read_logs
    from parsers.records import ParseOptions

    log = tmp_path / "kv.log"
    log.write_text("ts=2024-03-10T09:00:00Z level=info x=1 y=2 x=3 y=4\n"
                   "ts=2024-03-10T09:00:01Z level=info msg=\"cache warmed\" entries=120\n", encoding="utf-8")
    events = next(iter(read_logs([str(log)], ParseOptions(tz="UTC")))).events
    assert "x=1 y=2 x=3 y=4" in events["message"][0]
    assert events["message"][1] == "cache warmed"
