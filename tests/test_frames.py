"""Stack frames from six languages' traces and logger names, resolved to the files of a real repository."""

from __future__ import annotations

from datetime import timedelta

from parsers.frames import FileIndex, logger_frame, parse_frames
from parsers.git_history import open_repository
from tests.gitrepo import T0, build_shop

PYTHON = '''Traceback (most recent call last):
  File "/usr/local/lib/python3.11/site-packages/flask/app.py", line 1463, in wsgi_app
    response = self.full_dispatch_request()
  File "/srv/app/shop/orders/db.py", line 13, in fetch_order
    return {"id": row["id"]}
IndexError: No item with that key'''

JAVA = '''java.lang.IllegalStateException: gateway.endpoint is not set
\tat com.shop.payment.Client.charge(Client.java:17)
\tat com.shop.payment.Client$Retry.run(Client.java:44)
\tat org.springframework.web.servlet.FrameworkServlet.service(FrameworkServlet.java:897)
\tat java.base/java.lang.Thread.run(Thread.java:833)
\t... 12 more'''

GO = '''panic: runtime error: invalid memory address or nil pointer dereference
goroutine 42 [running]:
github.com/acme/shop/orders.(*Store).Fetch(0x0, {0xc0001, 0x5})
\t/build/orders/store.go:88 +0x1d
net/http.HandlerFunc.ServeHTTP(0xc000, {0x7f, 0xc0})
\t/usr/local/go/src/net/http/server.go:2136 +0x29'''

NODE = '''TypeError: Cannot read properties of undefined (reading 'title')
    at render (/app/frontend/src/render.js:2:33)
    at async start (file:///app/frontend/src/app.js:4:3)
    at Module._compile (node:internal/modules/cjs/loader:1256:14)'''

RUBY = '''NoMethodError: undefined method `total' for nil:NilClass
/srv/app/models/order.rb:42:in `block in refresh'
\tfrom /usr/local/bundle/gems/activerecord-7.1.0/lib/active_record/base.rb:10:in `save'
\tfrom /srv/app/models/order.rb:12:in `refresh\''''

DOTNET = '''System.NullReferenceException: Object reference not set to an instance of an object.
   at Shop.Payments.Client.Charge(Decimal amount) in /src/Shop.Payments/Client.cs:line 31
   at Shop.Api.Controllers.PayController.Post(PayRequest req) in C:\\build\\Shop.Api\\Controllers\\PayController.cs:line 18
   at Microsoft.AspNetCore.Mvc.Infrastructure.ActionMethodExecutor.Execute(Object target)'''


def _summary(text):
    return [(f.language, f.label, f.function, f.third_party) for f in parse_frames(text)]


def test_python_frames():
    assert _summary(PYTHON) == [("python", "flask/app.py:1463", "wsgi_app", True),
                                ("python", "orders/db.py:13", "fetch_order", False)]


def test_java_frames_carry_the_package_path():
    frames = parse_frames(JAVA)
    assert [(f.path, f.line, f.function) for f in frames[:2]] == [
        ("com/shop/payment/Client.java", 17, "charge"), ("com/shop/payment/Client.java", 44, "run")]
    assert frames[0].module == "com.shop.payment.Client" and not frames[0].third_party
    assert frames[2].third_party  # Spring is a library
    assert all(f.line != 833 for f in frames)  # a JDK module frame names no project file


def test_go_frames_take_the_function_from_the_line_above():
    assert _summary(GO) == [("go", "orders/store.go:88", "Fetch", False),
                            ("go", "http/server.go:2136", "ServeHTTP", True)]


def test_node_frames():
    assert _summary(NODE) == [("node", "src/render.js:2", "render", False), ("node", "src/app.js:4", "start", False)]


def test_ruby_frames():
    assert _summary(RUBY) == [("ruby", "models/order.rb:42", "refresh", False),
                              ("ruby", "active_record/base.rb:10", "save", True),
                              ("ruby", "models/order.rb:12", "refresh", False)]


def test_dotnet_frames_with_windows_paths():
    s = _summary(DOTNET)
    assert s[0] == ("dotnet", "Shop.Payments/Client.cs:31", "Charge", False)
    assert s[1] == ("dotnet", "Controllers/PayController.cs:18", "Post", False)
    assert s[2][0] == "dotnet" and s[2][3]  # framework frame without a file: third party


def test_no_frames_in_ordinary_messages():
    assert parse_frames("GET /orders/12 200 in 35 ms at 2024-03-10 from 10.0.0.1:5432") == []
    assert parse_frames("user alice logged in") == []


def test_logger_names():
    f = logger_frame("com.shop.payment.Client")
    assert f.module == "com.shop.payment.Client" and f.language == "logger"
    assert logger_frame("shop.payments.client").module == "shop.payments.client"
    assert logger_frame("main") is None and logger_frame("") is None


def test_frames_resolve_to_files_of_a_real_repository(tmp_path):
    repo = build_shop(tmp_path / "shop", T0 - timedelta(days=10))
    with open_repository(str(repo.root)) as git:
        index = FileIndex(git.files_at("HEAD"))

    py = [m.path for f in parse_frames(PYTHON) if not f.third_party for m in index.resolve(f)]
    assert py == ["orders/shop/orders/db.py"]
    java = index.resolve(parse_frames(JAVA)[0])
    assert [m.path for m in java] == ["payment-service/src/main/java/com/shop/payment/Client.java"]
    assert java[0].strength == 1.0
    node = [m.path for f in parse_frames(NODE) for m in index.resolve(f)]
    assert node == ["frontend/src/render.js", "frontend/src/app.js"]
    # a logger name maps to the class file, a package logger to the package's files
    assert [m.path for m in index.resolve(logger_frame("com.shop.payment.Client"))] == [
        "payment-service/src/main/java/com/shop/payment/Client.java"]
    assert [m.path for m in index.resolve(logger_frame("shop.orders.gateway"))] == ["orders/shop/orders/gateway.py"]
    pkg = {m.path for m in index.resolve(logger_frame("shop.orders"))}
    assert "orders/shop/orders/db.py" in pkg and all(p.startswith("orders/shop/orders/") for p in pkg)
    # a frame of a file the repository lacks resolves to nothing rather than to a namesake elsewhere
    assert index.resolve(parse_frames(GO)[0]) == []


def test_pytest_short_tracebacks_and_rust_panics():
    pytest_trace = ("    def test_getitem():\n>       frame['missing']\n\n"
                    "pandas/core/frame.py:3761: in __getitem__\n    indexer = self.columns.get_loc(key)\n"
                    "pandas/core/indexes/base.py:3654: KeyError\n")
    assert _summary(pytest_trace) == [("python", "core/frame.py:3761", "__getitem__", False),
                                      ("python", "indexes/base.py:3654", None, False)]
    rust = ("thread 'main' panicked at src/parser.rs:88:14:\ncalled `Option::unwrap()` on a `None` value\n"
            "   3: shop::parser::parse\n             at ./src/parser.rs:88:14\n"
            "   4: core::ops::function::FnOnce::call_once\n             at /rustc/90b35a623/library/core/src/ops/function.rs:250:5\n")
    assert _summary(rust) == [("rust", "src/parser.rs:88", None, False), ("rust", "src/parser.rs:88", None, False),
                              ("rust", "ops/function.rs:250", None, True)]
