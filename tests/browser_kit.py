"""Shared plumbing of the browser tests: the cockpit served by uvicorn in a thread, Debian's
Chromium through Playwright, screenshots and visible text."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

# Debian's Chromium. Its headless shell (package chromium-headless-shell, built from the same
# sources as chromium: Chromium's "old" headless mode, which Playwright also uses for headless runs
# by default) renders the same pages with about a fifth less CPU than the full browser's
# --headless=new (docs/benchmarks.md, "Browsers and DuckDB threads"); the full browser is the
# fallback where the shell is not installed. scripts/setup.sh --dev installs both.
HEADLESS_SHELL = Path("/usr/bin/chromium-headless-shell")
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "screenshots"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serving(application) -> Iterator[str]:
    """Serve ``application`` on a free local port until the block ends; yields its URL once
    /api/health answers (the first start builds the figure cache, hence the long deadline)."""
    import uvicorn

    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(application, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, name=f"cockpit-uvicorn-{port}", daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    try:
        while True:
            try:
                if httpx.get(f"{url}/api/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or not thread.is_alive():
                pytest.fail("the cockpit server did not start")
            time.sleep(0.2)
        yield url
    finally:
        srv.should_exit = True
        thread.join(timeout=30)


@contextmanager
def chromium():
    """Debian's Chromium under Playwright; on CI a missing browser fails, elsewhere it skips."""
    if HEADLESS_SHELL.exists():
        executable, args = HEADLESS_SHELL, CHROMIUM_ARGS
    elif CHROMIUM.exists():
        executable, args = CHROMIUM, ["--headless=new", *CHROMIUM_ARGS]
    else:
        if os.environ.get("CI"):
            pytest.fail("Chromium missing on CI: scripts/setup.sh --dev installs it")
        pytest.skip("Chromium not installed (scripts/setup.sh --dev installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(executable), args=args)
        try:
            yield b
        finally:
            b.close()


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def text(locator) -> str:
    return " ".join(locator.inner_text().replace("\xa0", " ").split())
