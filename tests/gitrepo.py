"""Build real git repositories in a temporary directory, with fixed authors and dates, for the tests.

The helper runs git with the user's and system's config ignored, so a developer's own git settings (signing,
hooks, default branch) cannot change what the tests see.
"""

from __future__ import annotations

import os
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path

T0 = datetime(2024, 3, 10, 9, 0, tzinfo=timezone.utc)


def _env(when: datetime | None = None, author: str = "Alice Example", email: str = "alice@example.com") -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull, GIT_AUTHOR_NAME=author,
               GIT_AUTHOR_EMAIL=email, GIT_COMMITTER_NAME=author, GIT_COMMITTER_EMAIL=email)
    if when is not None:
        stamp = when.strftime("%Y-%m-%dT%H:%M:%S%z")
        env.update(GIT_AUTHOR_DATE=stamp, GIT_COMMITTER_DATE=stamp)
    return env


class GitRepoBuilder:
    """A work tree whose commits are made with `commit(files, message, when)`; `files` maps path -> content
    (None deletes the file)."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.git("init", "--quiet", "--initial-branch=main")

    def git(self, *args: str, when: datetime | None = None, author: str = "Alice Example",
            email: str = "alice@example.com", check: bool = True) -> str:
        proc = subprocess.run(["git", *args], cwd=self.root, env=_env(when, author, email),
                              capture_output=True, text=True, check=False)
        if check and proc.returncode != 0:
            raise RuntimeError(f"git {' '.join(args)}: {proc.stderr}")
        return proc.stdout.strip()

    def commit(self, files: dict[str, str | None], message: str, when: datetime,
               author: str = "Alice Example", email: str = "alice@example.com") -> str:
        for path, content in files.items():
            target = self.root / path
            if content is None:
                self.git("rm", "--quiet", "--", path)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(content, encoding="utf-8")
            self.git("add", "--", path)
        self.git("commit", "--quiet", "--allow-empty", "-m", message, when=when, author=author, email=email)
        return self.git("rev-parse", "HEAD")

    def tag(self, name: str, when: datetime, rev: str = "HEAD", annotated: bool = True) -> None:
        if annotated:
            self.git("tag", "-a", name, "-m", f"release {name}", rev, when=when)
        else:
            self.git("tag", name, rev)

    def read(self, path: str) -> str:
        return (self.root / path).read_text(encoding="utf-8")

    def bundle(self, target: Path) -> Path:
        self.git("bundle", "create", str(target), "--all")
        return target


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


def numbered(lines: list[str]) -> str:
    return "\n".join(lines) + "\n"


# -- a small multi-service shop used by the correlation tests ---------------------------------------------------
DB_PY = '''"""Order storage."""
import sqlite3

from shop.orders.config import settings


def connect():
    return sqlite3.connect(settings["database_path"])


def fetch_order(conn, order_id):
    row = conn.execute("SELECT id, total FROM orders WHERE id = ?", (order_id,)).fetchone()
    return {"id": row[0], "total": row[1]}


def list_orders(conn, limit=50):
    return conn.execute("SELECT id FROM orders ORDER BY id LIMIT ?", (limit,)).fetchall()
'''

GATEWAY_PY = '''"""Calls to the payment gateway."""
import requests

from shop.orders.config import settings


def charge(order):
    url = settings["gateway_url"]
    resp = requests.post(url + "/charge", json=order, timeout=settings["gateway_timeout"])
    resp.raise_for_status()
    return resp.json()


def refund(order):
    url = settings["gateway_url"]
    return requests.post(url + "/refund", json=order, timeout=10).json()
'''

SETTINGS_YAML = '''database_path: /var/lib/orders/orders.db
gateway_url: https://pay.internal.example
gateway_timeout: 5
'''

REQUIREMENTS = "flask==3.0.0\nrequests==2.31.0\nurllib3==1.26.18\n"

CLIENT_JAVA = '''package com.shop.payment;

import java.math.BigDecimal;
import java.util.Map;

public class Client {
    private final Map<String, String> config;
    private final Http http;

    public Client(Map<String, String> config, Http http) {
        this.config = config;
        this.http = http;
    }

    public Receipt charge(String account, BigDecimal amount) {
        String endpoint = config.get("gateway.endpoint");
        Response response = http.post(endpoint + "/charge", account, amount);
        return Receipt.from(response);
    }

    public void refund(String receiptId) {
        String endpoint = config.get("gateway.endpoint");
        http.post(endpoint + "/refund", receiptId, BigDecimal.ZERO);
    }
}
'''

APPLICATION_YML = '''gateway:
  endpoint: https://pay.internal.example
  timeout-ms: 3000
pool:
  max-size: 20
'''

APP_JS = '''import { render } from "./render.js";

export function start(root) {
  render(root, { title: "Shop" });
}
'''

BASE_FILES = {
    "orders/shop/orders/__init__.py": "",
    "orders/shop/orders/db.py": DB_PY,
    "orders/shop/orders/gateway.py": GATEWAY_PY,
    "orders/shop/orders/config.py": "import yaml\nsettings = yaml.safe_load(open('config/settings.yaml'))\n",
    "orders/config/settings.yaml": SETTINGS_YAML,
    "orders/requirements.txt": REQUIREMENTS,
    "orders/tests/test_db.py": "def test_fetch():\n    assert True\n",
    "payment-service/src/main/java/com/shop/payment/Client.java": CLIENT_JAVA,
    "payment-service/src/main/resources/application.yml": APPLICATION_YML,
    "frontend/src/app.js": APP_JS,
    "frontend/src/render.js": "export function render(root, props) {\n  root.textContent = props.title;\n}\n",
    "docs/runbook.md": "# Runbook\n\nRestart the service.\n",
}


def build_shop(root: Path, start: datetime) -> GitRepoBuilder:
    """The shop as it stood `start`, with a few weeks of unrelated history after it (the last at start+6d)."""
    repo = GitRepoBuilder(root)
    repo.commit(BASE_FILES, "Initial import of the shop", start, author="Carol Founder", email="carol@example.com")
    repo.commit({"docs/runbook.md": "# Runbook\n\nRestart the service, then check the dashboard.\n"},
                "Runbook: mention the dashboard", start + timedelta(days=2), author="Dan Docs", email="dan@example.com")
    repo.commit({"frontend/src/render.js": "export function render(root, props) {\n  root.innerText = props.title;\n}\n"},
                "Render titles with innerText", start + timedelta(days=4), author="Erin Front", email="erin@example.com")
    repo.commit({"orders/shop/orders/db.py": DB_PY.replace("LIMIT ?", "LIMIT ? OFFSET 0")},
                "List orders with an explicit offset", start + timedelta(days=6), author="Bob Backend",
                email="bob@example.com")
    return repo
