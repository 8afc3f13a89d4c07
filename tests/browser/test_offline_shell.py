"""The installable app shell: the manifest, the service worker at the site root, and the
dashboard opening with no network once it has been loaded."""

import httpx
import pytest

from tests.browser.conftest import DESKTOP, PHONE

pytestmark = pytest.mark.slow


def test_fetch_service_worker_from_root_lists_shell(stack):
    response = httpx.get(f"{stack.gateway_url}/sw.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert response.headers["service-worker-allowed"] == "/"
    shell = response.text.split("\n", 1)[0]
    for needed in ("/static/js/app.js", "/static/js/pages/upload.js", "/static/js/i18n/ne/common.js",
                   "/static/vendor/bootstrap/bootstrap.min.css", "/static/vendor/leaflet/leaflet.js"):
        assert f'"{needed}"' in shell
    assert ".map" not in shell and "swagger-ui" not in shell
    page = httpx.get(f"{stack.gateway_url}/")
    assert "worker-src 'self'" in page.headers["content-security-policy"]
    assert '<link rel="manifest" href="/static/manifest.webmanifest">' in page.text
    manifest = httpx.get(f"{stack.gateway_url}/static/manifest.webmanifest").json()
    assert (manifest["scope"], manifest["display"]) == ("/", "standalone")


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["360px", "1280px"])
def test_open_dashboard_offline_after_install_renders_shell(open_session, viewport):
    session = open_session(viewport)
    console: list[str] = []
    session.page.on("console", lambda message: console.append(message.text))
    page = session.sign_in("uploader", "#/upload")
    page.wait_for_selector("#upload-form")
    # Installed: the worker controls the page and has cached the whole shell.
    # (a function, not a string: the page's CSP forbids eval)
    state = page.evaluate("""async () => {
        const registration = await navigator.serviceWorker.getRegistration('/');
        for (let i = 0; i < 200 && !navigator.serviceWorker.controller; i += 1) await new Promise((r) => setTimeout(r, 100));
        const worker = registration && (registration.active || registration.installing || registration.waiting);
        return {controlled: !!navigator.serviceWorker.controller, state: worker ? worker.state : 'none'};
    }""")
    assert state["controlled"], (state, session.errors, console)
    cached = page.evaluate("""async () => {
        const names = (await caches.keys()).filter((n) => n.startsWith('ailurus-shell-'));
        const cache = await caches.open(names[0]);
        return (await cache.keys()).map((r) => new URL(r.url).pathname);
    }""")
    assert "/" in cached and "/static/js/pages/upload.js" in cached and "/static/js/i18n/ne/common.js" in cached
    session.context.set_offline(True)
    try:
        page.reload()
        page.wait_for_selector("#nav, #booting", state="attached")
        assert page.title() == "Ailurus"
        assert page.evaluate("document.querySelector('link[rel=manifest]') !== null")
        page.wait_for_timeout(1500)  # let the shell boot as far as it can with no network
        session.screenshot("offline-shell")
    finally:
        session.context.set_offline(False)
    assert not session.foreign_requests()
