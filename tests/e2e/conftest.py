"""Browser tests: Playwright driving Debian's Chromium (never a downloaded browser).

Every page visited is checked with axe-core (0 serious or critical violations), and
every request the page makes must stay on the app's own origin.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests
# make between page actions are ordinary synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not os.path.exists(CHROMIUM):
        pytest.fail("Debian's chromium is not installed: run `make system-deps`.")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def current_code_for(email: str) -> str:
    """What the person's authenticator app shows now (staff all have one, see make_user)."""
    from alliance.accounts.mfa import totp_code, totp_secret_of
    from alliance.accounts.models import User
    from tests.conftest import forget_used_code

    user = User.objects.get(email__iexact=email)
    secret = totp_secret_of(user)
    assert secret is not None, f"{email} has no authenticator app"
    code = totp_code(secret)
    # allauth refuses a code twice in 30 seconds; browser tests sign the same people in often.
    forget_used_code(user, code)
    return code


class Visitor:
    """One person's browser: a page, with axe and same-origin checks on each visit."""

    def __init__(self, browser: Any, base_url: str, viewport: dict[str, int]) -> None:
        self.base_url = base_url
        self.context = browser.new_context(viewport=viewport, locale="en-GB")
        self.page = self.context.new_page()
        self.foreign_requests: list[str] = []
        self.console_errors: list[str] = []
        origin = urlsplit(base_url).netloc
        self.page.on(
            "request",
            lambda request: (
                self.foreign_requests.append(request.url)
                if urlsplit(request.url).scheme in ("http", "https")
                and urlsplit(request.url).netloc != origin
                else None
            ),
        )
        self.page.on(
            "console",
            lambda message: (
                self.console_errors.append(message.text) if message.type == "error" else None
            ),
        )
        self.checked: list[str] = []

    def goto(self, path: str) -> Any:
        response = self.page.goto(self.base_url + path)
        self.check()
        return response

    def check(self) -> None:
        from axe_playwright_python.sync_playwright import Axe

        self.page.wait_for_load_state("load")
        results = Axe().run(self.page)
        bad = [
            f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
            for v in results.response["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        assert not bad, f"axe on {self.page.url}:\n" + "\n".join(bad)
        assert not self.foreign_requests, f"requests to another origin: {self.foreign_requests}"
        csp = [e for e in self.console_errors if "Content Security Policy" in e]
        assert not csp, f"CSP violations on {self.page.url}: {csp}"
        self.checked.append(self.page.url)

    def login(self, email: str, password: str) -> None:
        self.goto("/accounts/login/")
        self.page.get_by_label("Email").fill(email)
        self.page.get_by_label("Password").fill(password)
        self.page.get_by_role("button", name="Sign in").click()
        self.page.wait_for_load_state("load")
        self.check()
        if "/accounts/two-factor/authenticate/" in self.page.url:
            # By name, not label: the page may be in the person's own language.
            self.page.locator("input[name=code]").fill(current_code_for(email))
            self.page.locator("form:has(input[name=code]) button[type=submit]").click()
            self.page.wait_for_load_state("load")
            self.check()

    def screenshot(self, name: str) -> None:
        folder = os.environ.get("ALLIANCE_SCREENSHOTS")
        if folder:
            os.makedirs(folder, exist_ok=True)
            self.page.screenshot(path=os.path.join(folder, f"{name}.png"), full_page=True)

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def visit(browser: Any, live_server: Any) -> Iterator[Any]:
    visitors: list[Visitor] = []

    def open_visitor(viewport: dict[str, int] = DESKTOP) -> Visitor:
        visitor = Visitor(browser, live_server.url, viewport)
        visitors.append(visitor)
        return visitor

    yield open_visitor
    for visitor in visitors:
        visitor.close()
