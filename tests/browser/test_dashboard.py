"""The dashboard, driven like a person would: sign in, create a trap, upload, read the map,
review a label, watch analytics change; screenshots of every page on a desktop and a phone."""

import sys
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import expect

from ailurus_tools.processes import ManagedProcess, free_port
from tests.browser.conftest import DESKTOP, PHONE, ROOT, Session
from tests.support.samples import sample

pytestmark = pytest.mark.slow

TRAP = {"id": "browser-ridge", "name": "Browser Ridge", "latitude": 27.1, "longitude": 88.05, "elevation_m": 3100,
        "timezone": "Asia/Kathmandu"}
# Four that classify and one truncated JPEG that is refused on its own (the batch goes on).
UPLOADS = {
    "skeydan_red_panda.jpg": ("animals/skeydan_red_panda.jpg", "classified"),
    "IMAG0104_wolf.JPG": ("cameratrap/IMAG0104_wolf.JPG", "classified"),
    "md_goanna-image.png": ("cameratrap/md_goanna-image.png", "classified"),
    "speciesnet_blank.jpg": ("cameratrap/speciesnet_blank.jpg", "classified"),
    "pillow_truncated_jpeg.jpg": ("badinput/pillow_truncated_jpeg.jpg", "rejected"),
}
FINAL_TIMEOUT_MS = 120_000


@pytest.fixture(scope="module")
def trap(admin_api: httpx.Client) -> dict:
    response = admin_api.post("/api/v1/traps", json=TRAP)
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture(scope="module")
def uploaded(open_session, trap: dict) -> dict[str, dict]:
    """The five samples uploaded through the upload page by an uploader; the rows as shown."""
    session = open_session(DESKTOP)
    page = session.sign_in("uploader", f"#/upload?trap={trap['id']}")
    expect(page.locator("#upload-trap")).to_have_value(trap["id"])
    page.set_input_files("#upload-files", [str(sample(path)) for path, _ in UPLOADS.values()])
    page.click("#upload-start")
    expect(page.locator("#upload-progress > li[data-final=true]")).to_have_count(len(UPLOADS), timeout=FINAL_TIMEOUT_MS)
    expect(page.locator("#upload-panel")).to_have_attribute("data-done", "true")
    session.screenshot("upload")
    rows = {}
    for row in page.locator("#upload-progress > li").all():
        rows[row.locator(".file-name").inner_text()] = {
            "status": row.get_attribute("data-status"), "via": row.get_attribute("data-via"),
            "media_id": row.get_attribute("data-media-id")}
    assert not session.errors, session.errors
    return rows


def wait_ready(page, selector: str) -> None:
    page.wait_for_selector(selector, state="attached", timeout=30_000)


def test_fetch_dashboard_has_strict_security_headers(stack):
    response = httpx.get(f"{stack.gateway_url}/")
    assert response.status_code == 200
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "img-src 'self' data: blob:" in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert httpx.get(f"{stack.gateway_url}/api/v1/ui/config").json() == {"tile_url": "", "tile_attribution": "",
                                                                          "telemetry": False,
                                                                          "field_check_distance_m": 1000.0}


def test_sign_in_wrong_password_shows_error(open_session):
    page = open_session(DESKTOP).open()
    page.fill("#signin-username", "admin")
    page.fill("#signin-password", "not-the-password")
    page.click("#signin-form button[type=submit]")
    expect(page.locator("#signin-form .alert-danger")).to_contain_text("Wrong user name or password")
    expect(page.locator("#nav")).to_be_hidden()


def test_sign_in_local_form_shows_actions_of_role(open_session):
    viewer = open_session(DESKTOP)
    page = viewer.sign_in("viewer")
    expect(page.locator("#whoami")).to_contain_text("viewer")
    expect(page.locator("[data-nav=upload]")).to_be_hidden()
    expect(page.locator("[data-nav=map]")).to_be_visible()
    page.click("#signout")
    expect(page.locator("#signin-form")).to_be_visible()

    admin = open_session(DESKTOP).sign_in("admin")
    expect(admin.locator("[data-nav=upload]")).to_be_visible()


def test_create_trap_through_form_opens_its_page(open_session, admin_api):
    page = open_session(DESKTOP).sign_in("admin", "#/traps")
    page.click("#new-trap-toggle")
    page.fill("#trap-name", "UI Ridge")
    page.fill("#trap-id", "ui-ridge")
    page.fill("#trap-latitude", "27.2")
    page.fill("#trap-longitude", "88.1")
    page.fill("#trap-elevation_m", "2900")
    page.fill("#trap-timezone", "Asia/Kathmandu")
    page.click("#trap-form button[type=submit]")
    expect(page.locator("h1")).to_have_text("UI Ridge")
    assert page.url.endswith("#/traps/ui-ridge")
    assert admin_api.get("/api/v1/traps/ui-ridge").json()["elevation_m"] == 2900


def test_upload_five_images_every_file_reaches_final_state(uploaded):
    assert {name: row["status"] for name, row in uploaded.items()} == {
        name: status for name, (_, status) in UPLOADS.items()}
    # The live event stream, not only the POST's response, delivered every final state.
    assert {row["via"] for row in uploaded.values()} == {"events"}
    assert all(row["media_id"] for row in uploaded.values() if row["status"] == "classified")


def test_upload_from_phone_shows_file_name_as_text(open_session, trap):
    session = open_session(PHONE)
    page = session.sign_in("uploader", f"#/upload?trap={trap['id']}")
    expect(page.locator("#upload-trap")).to_have_value(trap["id"])
    hostile = '<img src=x onerror="document.title=\'pwned\'">.jpg'
    # Script text in the metadata too: a JPEG carrying PHP code in its comment.
    polyglot = sample("unusual/fuzzdb_POC_phpinfo-metadata.jpg").read_bytes()
    page.set_input_files("#upload-files", [
        {"name": hostile, "mimeType": "image/jpeg", "buffer": polyglot},
        {"name": "speciesnet_vehicle.jpg", "mimeType": "image/jpeg",
         "buffer": sample("cameratrap/speciesnet_vehicle.jpg").read_bytes()},
    ])
    page.click("#upload-start")
    expect(page.locator("#upload-progress > li[data-final=true]")).to_have_count(2, timeout=FINAL_TIMEOUT_MS)
    expect(page.locator("#upload-progress .file-name").first).to_have_text(hostile)
    assert page.locator("img[src=x]").count() == 0
    assert page.title() != "pwned"
    session.screenshot("upload")
    assert not session.errors, session.errors


def test_map_shows_trap_marker_and_heat_layer(open_session, uploaded, trap):
    page = open_session(DESKTOP).sign_in("admin", "#/map?group=red_panda")
    marker = page.locator(f".leaflet-marker-icon .trap-pin[data-trap-id='{trap['id']}']")
    expect(marker).to_have_text("1")  # one red panda image at this trap
    heat = page.locator("canvas.leaflet-heatmap-layer")
    expect(heat).to_have_count(1)
    painted = heat.evaluate("""canvas => {
        const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
        let n = 0;
        for (let i = 3; i < data.length; i += 4) if (data[i] > 0) n++;
        return n;
    }""")
    assert painted > 100, "the heat layer drew nothing"


def test_review_correct_group_changes_media_and_analytics(open_session, uploaded):
    session = open_session(DESKTOP)
    page = session.sign_in("reviewer", "#/analytics")
    model_row = page.locator("#review-share tbody tr").first
    expect(model_row).to_be_visible()
    model = model_row.get_attribute("data-model")
    corrected_before = int(model_row.locator(".corrected").inner_text())

    media_id = uploaded["md_goanna-image.png"]["media_id"]
    session.open(f"#/media/{media_id}")
    page.select_option("#review-group", "reptile")
    page.fill("#review-label", "goanna")
    page.click("#review-save")
    expect(page.locator("#media-current")).to_have_attribute("data-group", "reptile")
    expect(page.locator("#observations li[data-method=human]")).to_have_count(1)
    expect(page.locator("#observations li[data-method=machine]")).to_have_count(1)  # the machine label stays

    session.open("#/analytics")
    row = page.locator(f"#review-share tbody tr[data-model='{model}']")
    expect(row.locator(".corrected")).to_have_text(str(corrected_before + 1))
    assert not session.errors, session.errors


def test_viewer_cannot_review_or_upload(open_session, uploaded):
    session = open_session(PHONE)
    page = session.sign_in("viewer", f"#/media/{uploaded['IMAG0104_wolf.JPG']['media_id']}")
    wait_ready(page, "#media-current")
    assert page.locator("#review").count() == 0
    # A red-panda sighting's own page is not a viewer's: it answers like a missing image.
    session.open(f"#/media/{uploaded['skeydan_red_panda.jpg']['media_id']}")
    expect(page.locator(".alert-warning")).to_contain_text("No such image")
    session.open("#/upload")
    expect(page.locator(".page-upload .alert-warning")).to_contain_text("uploader role")
    # Location privacy: a viewer's map shows trap positions snapped to grid cells, and says so.
    session.open("#/map")
    expect(page.locator(".trap-pin.coarse").first).to_be_visible()
    expect(page.locator(".page-map .alert-info")).to_contain_text("grid precision")


def test_export_button_downloads_current_filters_at_callers_precision(open_session, uploaded, trap):
    session = open_session(DESKTOP)
    page = session.sign_in("viewer", f"#/gallery?trap_id={trap['id']}")
    wait_ready(page, "#media-grid .media-card")
    page.select_option("#gallery-export-format", "csv")
    with page.expect_download() as download:
        page.click("#gallery-export")
    rows = download.value.path().read_text().splitlines()
    assert rows[0].startswith("media_id,file_name,trap_id")
    wolf, panda = uploaded["IMAG0104_wolf.JPG"]["media_id"], uploaded["skeydan_red_panda.jpg"]["media_id"]
    assert any(r.startswith(wolf) for r in rows) and not any(panda in r for r in rows)  # no sighting for a viewer
    assert all(",cell:0.1deg," in r for r in rows[1:]) and all(f",{trap['id']}," in r for r in rows[1:])
    expect(page.locator("#gallery-export-status")).to_contain_text("cell:0.1deg")
    session.open("#/analytics")
    wait_ready(page, "#review-share")
    page.select_option("#analytics-export-format", "camtrap-dp")
    with page.expect_download() as download:
        page.click("#analytics-export")
    assert download.value.suggested_filename.endswith(".zip")
    assert not session.errors, session.errors


# Each page's route and what shows it has finished drawing.
PAGES = {
    "map": ("#/map", ".leaflet-marker-icon"),
    "traps": ("#/traps", "#trap-list"),
    "trap": (f"#/traps/{TRAP['id']}", "#media-grid .media-card"),
    "gallery": ("#/gallery", "#media-grid .media-card img"),
    "media": (None, "#media-figure img"),
    "analytics": ("#/analytics", "#review-share"),
}


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_every_page_renders_from_gateway_only(open_session, uploaded, viewport):
    session: Session = open_session(viewport)
    page = session.open()
    wait_ready(page, "#signin-form")
    session.screenshot("signin")
    session.sign_in("admin")
    for name, (route, ready) in PAGES.items():
        session.open(route or f"#/media/{uploaded['skeydan_red_panda.jpg']['media_id']}")
        wait_ready(page, ready)
        # Scroll (not the mouse wheel: over the map it zooms) so lazy thumbnails load before the shot.
        page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
        page.wait_for_timeout(500)
        session.screenshot(name)
        assert page.locator(".page .alert-danger").count() == 0, page.locator(".page .alert-danger").all_inner_texts()
    assert session.foreign_requests() == []
    assert not [u for u in session.requests if "/api/v1/telemetry" in u]  # tracing is off: nothing is sent
    assert any("/static/vendor/leaflet/leaflet.js" in u for u in session.requests)
    assert not session.errors, session.errors


ENTRA_TENANT = "11111111-1111-1111-1111-111111111111"


@pytest.fixture
def entra_gateway(tmp_path, logs_dir) -> Iterator[str]:
    """A gateway alone in Entra ID mode (sign-in page only: no tenant is reachable here)."""
    port = free_port()
    authority = f"https://login.microsoftonline.com/{ENTRA_TENANT}"
    env = {"GATEWAY_PORT": str(port), "GATEWAY_AUTH_MODE": "entra", "GATEWAY_AUTH_AUDIENCE": "api://ailurus",
           "GATEWAY_AUTH_ISSUER": f"{authority}/v2.0",
           "GATEWAY_AUTH_METADATA_URL": f"{authority}/v2.0/.well-known/openid-configuration",
           "GATEWAY_ENTRA_TENANT_ID": ENTRA_TENANT, "GATEWAY_ENTRA_CLIENT_ID": "22222222-2222-2222-2222-222222222222",
           "GATEWAY_ENTRA_API_SCOPE": "api://ailurus/access_as_user", "GATEWAY_BLOB_ROOT": str(tmp_path / "blobs"),
           "GATEWAY_QUEUE_SQLITE_PATH": str(tmp_path / "queue.sqlite3")}
    process = ManagedProcess("gateway-entra", [sys.executable, "-m", "gateway"], env=env, cwd=ROOT,
                             ready_url=f"http://127.0.0.1:{port}/healthz", log_path=logs_dir / "gateway-entra.log")
    process.start(timeout_s=60)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        process.stop()


def test_sign_in_entra_mode_offers_microsoft_sign_in(browser, entra_gateway):
    response = httpx.get(f"{entra_gateway}/")
    assert "connect-src 'self' https://login.microsoftonline.com" in response.headers["content-security-policy"]
    context = browser.new_context(viewport=PHONE)
    try:
        session = Session(context, entra_gateway)
        page = session.open()
        expect(page.locator("#signin-entra")).to_have_text("Sign in with Microsoft")
        assert page.evaluate("typeof window.msal.PublicClientApplication") == "function"
        assert session.foreign_requests() == []  # nothing leaves until the user clicks
        assert not session.errors, session.errors
    finally:
        context.close()


def test_api_docs_render_from_the_vendored_swagger_ui_under_csp(open_session):
    session = open_session(DESKTOP)
    console: list[str] = []
    session.page.on("console", lambda message: console.append(message.text) if message.type == "error" else None)
    response = session.page.goto(f"{session.base_url}/api/v1/docs")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    assert response.headers["x-frame-options"] == "DENY"
    expect(session.page.locator(".opblock").first).to_be_visible(timeout=30_000)
    expect(session.page.locator(".opblock-summary-path", has_text="/api/v1/traps/{trap_id}/images")).to_have_count(1)
    assert session.foreign_requests() == []
    assert any("/static/vendor/swagger-ui/swagger-ui-bundle.js" in u for u in session.requests)
    assert not [m for m in console if "Content Security Policy" in m], console
    assert not session.errors, session.errors
