"""The HTML report in a real browser: it renders, logs no console error, and requests nothing from the network.

Drives headless Chromium over the DevTools protocol on a pipe (--remote-debugging-pipe: NUL-separated JSON on the
child's fds 3 and 4), so the test needs no browser-automation package. Saves a screenshot to test-artifacts/.
"""

from __future__ import annotations

import base64
import json
import os
import select
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from reports import write_reports
from tests.findings_factory import make_findings, secret_corpus

REPO_ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO_ROOT / "test-artifacts"
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
TIMEOUT = 60.0


def find_browser() -> str | None:
    return next((path for name in BROWSERS if (path := shutil.which(name))), None)


class DevTools:
    """A minimal DevTools-protocol client over the pipe Chromium opens with --remote-debugging-pipe."""

    def __init__(self, browser: str, user_data_dir: Path) -> None:
        to_browser_read, self._write_fd = os.pipe()
        self._read_fd, from_browser_write = os.pipe()

        def wire_fds() -> None:  # in the child: the protocol expects its input on fd 3, its output on fd 4
            os.dup2(to_browser_read, 3)
            os.dup2(from_browser_write, 4)

        self.process = subprocess.Popen(
            [
                browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-extensions",
                "--disable-default-apps", "--mute-audio", "--hide-scrollbars", f"--user-data-dir={user_data_dir}",
                "--remote-debugging-pipe", "about:blank",
            ],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            pass_fds=(3, 4), preexec_fn=wire_fds,
        )
        os.close(to_browser_read)
        os.close(from_browser_write)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict] = []

    def call(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._write_fd, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + TIMEOUT
        while True:
            reply = self._receive(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method: str, timeout: float = TIMEOUT) -> dict:
        deadline = time.monotonic() + timeout
        for event in self.events:
            if event.get("method") == method:
                return event
        while True:
            event = self._receive(deadline)
            self.events.append(event)
            if event.get("method") == method:
                return event

    def drain(self, seconds: float) -> None:
        """Collect events for a while (late requests, deferred console errors)."""
        deadline = time.monotonic() + seconds
        try:
            while True:
                self.events.append(self._receive(deadline))
        except TimeoutError:
            pass

    def close(self) -> None:
        try:
            self.call("Browser.close")
        except Exception:  # already gone: the process wait below still reaps it
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self._write_fd)
        os.close(self._read_fd)

    def _receive(self, deadline: float) -> dict:
        while b"\0" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("no message from the browser in time")
            ready, _, _ = select.select([self._read_fd], [], [], remaining)
            if ready:
                chunk = os.read(self._read_fd, 1 << 20)
                if not chunk:
                    raise RuntimeError("the browser closed the DevTools pipe")
                self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)


@pytest.fixture(scope="module")
def loaded_page(tmp_path_factory):
    browser = find_browser()
    if browser is None:
        pytest.skip("no chromium binary on PATH (Debian: apt-get install chromium)")
    out = tmp_path_factory.mktemp("html")
    planted = [line for _, line, _ in secret_corpus()[:16]]
    write_reports(make_findings(planted), out, formats=("html",))
    page_url = (out / "postmortem.html").as_uri()
    tools = DevTools(browser, tmp_path_factory.mktemp("chromium-profile"))
    try:
        target = tools.call("Target.createTarget", {"url": "about:blank"})
        session = tools.call("Target.attachToTarget", {"targetId": target["targetId"], "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            tools.call(f"{domain}.enable", session=session)
        tools.call("Emulation.setDeviceMetricsOverride",
                   {"width": 1200, "height": 900, "deviceScaleFactor": 1, "mobile": False}, session=session)
        tools.call("Page.navigate", {"url": page_url}, session=session)
        tools.wait_for("Page.loadEventFired")
        tools.drain(1.0)
        text = tools.call("Runtime.evaluate", {"expression": "document.body.innerText", "returnByValue": True},
                          session=session)["result"]["value"]
        svg_box = tools.call(
            "Runtime.evaluate",
            {"expression": "JSON.stringify(document.querySelector('figure.chart svg').getBoundingClientRect())",
             "returnByValue": True},
            session=session,
        )["result"]["value"]
        shot = tools.call("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True}, session=session)
        ARTIFACTS.mkdir(exist_ok=True)
        (ARTIFACTS / "report.png").write_bytes(base64.b64decode(shot["data"]))
        yield {"url": page_url, "events": list(tools.events), "text": text, "svg_box": json.loads(svg_box)}
    finally:
        tools.close()


def test_no_console_errors(loaded_page):
    errors = [
        e for e in loaded_page["events"]
        if e.get("method") == "Runtime.exceptionThrown"
        or (e.get("method") == "Runtime.consoleAPICalled" and e["params"].get("type") in ("error", "assert"))
        or (e.get("method") == "Log.entryAdded" and e["params"]["entry"].get("level") == "error")
    ]
    assert errors == []


def test_no_network_requests(loaded_page):
    requested = [e["params"]["request"]["url"] for e in loaded_page["events"]
                 if e.get("method") == "Network.requestWillBeSent"]
    assert loaded_page["url"] in requested  # the page itself was seen, so requests are being watched
    assert [url for url in requested if url != loaded_page["url"]] == []


def test_page_renders_sections_chart_and_escaped_markup(loaded_page):
    text = loaded_page["text"]
    for heading in ("Summary", "Timeline", "Root cause", "Lessons learned", "Appendix"):
        assert heading in text
    assert "<script>alert('x')</script>" in text  # shown as text, never run
    assert loaded_page["svg_box"]["width"] > 600 and loaded_page["svg_box"]["height"] > 250


def test_screenshot_saved(loaded_page):
    shot = ARTIFACTS / "report.png"
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
