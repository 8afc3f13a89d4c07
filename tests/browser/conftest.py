"""The dashboard in a real browser: Debian's Chromium driven by Python playwright, against
the whole local stack (folder + SQLite) started once for this package on free ports.

Never `playwright install`: the browser is /usr/bin/chromium (scripts/install.sh installs it).
"""

import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from ailurus_common.auth.local import hash_password
from ailurus_tools.stack import Stack
from tests.support.stacks import running_stack, stack_config

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 740}
# One local user per role; passwords only for this throw-away stack.
USERS = {role: (f"{role}-pw-browser-test", role) for role in ("admin", "reviewer", "uploader", "viewer")}


@pytest.fixture(scope="package")
def users_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("auth") / "users.json"
    users = {name: {"name": f"Test {name}", "roles": [role], "password": hash_password(password)}
             for name, (password, role) in USERS.items()}
    path.write_text(json.dumps({"users": users}))
    return path


@pytest.fixture(scope="package")
def stack(triton, users_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    data_dir = tmp_path_factory.mktemp("browser-stack")
    # The signing key stays the stack's own: ingest and preprocess check the gateway's tokens with it.
    # 64 KiB chunks for resumable sessions: a sample photo takes several, so a cut can fall mid-file.
    gateway_env = {"GATEWAY_AUTH_MODE": "local", "GATEWAY_AUTH_USERS_PATH": str(users_file),
                   "GATEWAY_UPLOAD_CHUNK_BYTES": str(64 * 1024)}
    config = stack_config(data_dir, backend="local", triton_grpc_url=triton.grpc_url, extra_env={"gateway": gateway_env})
    with running_stack(config) as running:
        yield running


@pytest.fixture(scope="package")
def admin_api(stack: Stack) -> Iterator[httpx.Client]:
    """The public API as the admin user (to set up what a test does not do through the UI)."""
    with httpx.Client(base_url=stack.gateway_url, timeout=120) as client:
        password, _ = USERS["admin"]
        response = client.post("/api/v1/auth/login", json={"username": "admin", "password": password})
        assert response.status_code == 200, response.text
        client.headers["Authorization"] = f"Bearer {response.json()['access_token']}"
        yield client


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.is_file():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/install.sh (it installs Debian's chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


class Session:
    """One browser tab on the dashboard, recording every request it makes and every
    uncaught script error."""

    def __init__(self, context: BrowserContext, base_url: str) -> None:
        self.context = context
        self.base_url = base_url
        self.page: Page = context.new_page()
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))

    def open(self, route: str = "") -> Page:
        self.page.goto(f"{self.base_url}/{route}")
        return self.page

    def sign_in(self, user: str, next_route: str = "#/map") -> Page:
        password, _ = USERS[user]
        page = self.open(next_route)
        page.fill("#signin-username", user)
        page.fill("#signin-password", password)
        page.click("#signin-form button[type=submit]")
        page.wait_for_selector("#nav:not([hidden])")
        return page

    def wait_for_script(self, expression: str, timeout_s: float = 15.0) -> None:
        """Wait until `expression` is truthy in the page. Playwright's own wait_for_function
        evals its predicate inside the page after the first miss, which the dashboard's CSP
        (script-src 'self', no 'unsafe-eval') refuses; page.evaluate goes through the
        debugger protocol, which CSP does not govern."""
        deadline = time.monotonic() + timeout_s
        while not self.page.evaluate(expression):
            if time.monotonic() > deadline:
                raise AssertionError(f"still false after {timeout_s} s: {expression}")
            self.page.wait_for_timeout(50)

    def screenshot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}-{self.page.viewport_size['width']}.png"
        self.page.screenshot(path=path, full_page=True)
        return path

    def foreign_requests(self) -> list[str]:
        """Requests to anything but the gateway (data: and blob: URLs stay in the page)."""
        return [u for u in self.requests if not (u.startswith(f"{self.base_url}/") or u.startswith(("data:", "blob:")))]


@pytest.fixture(scope="package")
def open_session(browser: Browser, stack: Stack):
    """Factory: a fresh browser context (own sessionStorage) at a viewport; closed after the test package."""
    contexts: list[BrowserContext] = []

    def factory(viewport: dict = DESKTOP) -> Session:
        # reduced motion: the charts draw without animation, so screenshots are complete.
        context = browser.new_context(viewport=viewport, reduced_motion="reduce")
        contexts.append(context)
        return Session(context, stack.gateway_url)

    yield factory
    for context in contexts:
        context.close()
