"""The field upload queue on the upload page: photos kept in IndexedDB and sent through
resumable sessions, queued with no network, surviving a reload offline, sent once each
when the network returns, and resuming after a cut in the middle of a file."""

import hashlib
import os
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import DESKTOP, PHONE, Session
from tests.support.report import ARTIFACTS
from tests.support.samples import sample
from tests.unit.gateway.test_i18n_catalogues import entries

pytestmark = pytest.mark.slow

TRAP = {"id": "field-queue-ridge", "name": "Field Queue Ridge", "latitude": 27.2, "longitude": 88.1,
        "elevation_m": 2900, "timezone": "Asia/Kathmandu"}
PHOTOS = ("cameratrap/IMAG0104_wolf.JPG", "cameratrap/speciesnet_african_elephants.jpg",
          "cameratrap/md_mike_deer_20241018004500_44.jpg")
FINAL_TIMEOUT_S = 120.0
SESSIONS = "/uploads/sessions"


@pytest.fixture(scope="module")
def trap(admin_api: httpx.Client) -> dict:
    response = admin_api.post("/api/v1/traps", json=TRAP)
    assert response.status_code == 201, response.text
    return response.json()


def unique_copy(relative: str, folder: Path) -> Path:
    """The sample with random bytes after its end (decoders ignore them): bytes no other
    test uploaded, so the server has never seen them."""
    source = sample(relative)
    target = folder / source.name
    target.write_bytes(source.read_bytes() + os.urandom(64))
    return target


def record_session_calls(page: Page) -> list[tuple[str, str]]:
    """Upload-session calls that reached the server and were answered (an attempt the
    offline browser never sent out fails instead, and is not counted)."""
    calls: list[tuple[str, str]] = []
    page.on("requestfinished", lambda r: SESSIONS in r.url and calls.append((r.method, r.url)))
    return calls


def wait_installed(page: Page) -> None:
    controlled = page.evaluate("""async () => {
        await navigator.serviceWorker.ready;
        for (let i = 0; i < 200 && !navigator.serviceWorker.controller; i += 1) await new Promise((r) => setTimeout(r, 100));
        return !!navigator.serviceWorker.controller;
    }""")
    assert controlled


def queue_rows(page: Page) -> list[dict]:
    return page.evaluate("""() => [...document.querySelectorAll('#upload-queue > li.queue-row')]
        .map((li) => ({...li.dataset, name: li.querySelector('.file-name').textContent}))""")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_queue_offline_reload_then_online_sends_each_photo_once(open_session, trap, tmp_path, admin_api):
    session: Session = open_session(PHONE)
    page = session.sign_in("uploader", f"#/upload?trap={trap['id']}")
    page.wait_for_selector("#upload-queue-card")
    expect(page.locator("#upload-trap")).to_have_value(trap["id"])
    camera = page.locator("#queue-camera")
    assert (camera.get_attribute("accept"), camera.get_attribute("capture")) == ("image/*", "environment")
    wait_installed(page)
    calls = record_session_calls(page)
    files = [unique_copy(p, tmp_path) for p in PHOTOS]

    session.context.set_offline(True)
    try:
        session.wait_for_script("document.querySelector('#upload-queue-network').dataset.online === 'false'")
        page.set_input_files("#queue-files", [str(f) for f in files])
        session.wait_for_script("document.querySelectorAll('#upload-queue > li.queue-row[data-state=queued]').length === 3")
        # Background Sync asked for (Chromium has it): the worker wakes the tab when the network returns.
        tags = page.evaluate("async () => { const r = await navigator.serviceWorker.ready;"
                             " return 'sync' in r ? await r.sync.getTags() : null; }")
        assert tags is None or "ailurus-upload-queue" in tags, tags
        page.reload()
        # Offline boot: no /me, the stored session opens the upload page with the queue.
        page.wait_for_selector("#upload-queue-card")
        session.wait_for_script("document.querySelectorAll('#upload-queue > li.queue-row[data-state=queued]').length === 3")
        expect(page.locator("#upload-queue-network")).to_contain_text("Offline")
        expect(page.locator("#upload-trap")).to_have_value(trap["id"])
        assert page.evaluate("document.getElementById('nav').dataset.offline") == "true"
        session.screenshot("field-queue-offline")
        assert calls == [], calls
    finally:
        session.context.set_offline(False)

    session.wait_for_script("document.querySelectorAll('#upload-queue > li.queue-row[data-state=classified]').length === 3",
                            timeout_s=FINAL_TIMEOUT_S)
    # Back online: the session checked with the server again, the page drawn from its data.
    expect(page.locator("#upload-queue-network")).to_contain_text("Online", timeout=30_000)
    session.wait_for_script("document.getElementById('nav').dataset.offline === undefined")
    session.wait_for_script("document.querySelectorAll('#upload-queue > li.queue-row[data-state=classified]').length === 3")
    session.screenshot("field-queue-sent")
    rows = queue_rows(page)
    assert {row["name"] for row in rows} == {f.name for f in files}
    assert {row["mediaId"] for row in rows} == {sha256(f) for f in files}
    assert all(row["label"] for row in rows)
    opened = [c for c in calls if c[0] == "POST" and c[1].endswith(SESSIONS)]
    puts = [c for c in calls if c[0] == "PUT"]
    assert len(opened) == 3, calls
    chunk = 64 * 1024
    assert len(puts) == sum(-(-f.stat().st_size // chunk) for f in files), calls
    assert all(int(row["wireBytes"]) == int(row["size"]) for row in rows)
    for f in files:  # stored whole and byte-exact (as the admin, who may read originals)
        original = admin_api.get(f"/api/v1/media/{sha256(f)}/original")
        assert original.status_code == 200 and original.content == f.read_bytes()

    # The same files again: the server holds them, so not one byte is sent.
    calls.clear()
    page.set_input_files("#queue-files", [str(f) for f in files])
    session.wait_for_script("document.querySelectorAll('#upload-queue > li.queue-row[data-duplicate=true]').length === 3",
                            timeout_s=FINAL_TIMEOUT_S)
    assert [c for c in calls if c[0] == "PUT"] == []
    assert not session.errors and not session.foreign_requests()


def test_cut_mid_upload_resumes_from_server_offset(open_session, trap, tmp_path, admin_api):
    session: Session = open_session(PHONE)
    page = session.sign_in("uploader", f"#/upload?trap={trap['id']}")
    page.wait_for_selector("#upload-queue-card")
    photo = unique_copy("cameratrap/md_snapshot_serengeti_S5_U10_U10_R4_S5_U10_R4_IMAG3595.JPG", tmp_path)
    calls = record_session_calls(page)
    puts = {"n": 0}

    def cut(route):
        if route.request.method != "PUT":
            return route.continue_()
        puts["n"] += 1
        if puts["n"] == 3:  # lost on the way: the server never gets this chunk
            return route.abort("connectionreset")
        if puts["n"] == 7:  # the server stores it, the answer is lost
            try:
                stored = route.fetch()
                assert stored.status == 200, stored.text()
            finally:
                route.abort("connectionreset")
            return None
        return route.continue_()

    page.route(f"**/api/v1/traps/{trap['id']}/uploads/sessions/*", cut)
    page.set_input_files("#queue-files", [str(photo)])
    session.wait_for_script("document.querySelector('#upload-queue > li.queue-row[data-state=classified]') !== null",
                            timeout_s=FINAL_TIMEOUT_S)
    row = next(r for r in queue_rows(page) if r["name"] == photo.name)
    size, wire = int(row["size"]), int(row["wireBytes"])
    resent = wire - size
    figure = f"{size} bytes in 64 KiB chunks, two cuts; {wire} bytes put on the wire, {resent} re-sent"
    print(f"\nresume: {figure}")
    assert resent == 64 * 1024  # only the chunk lost before the server; the one it kept is not sent again
    assert len([c for c in calls if c[0] == "POST" and c[1].endswith(SESSIONS)]) == 1  # one session, resumed
    assert any(c[0] == "GET" for c in calls)  # asked the server where to resume
    original = admin_api.get(f"/api/v1/media/{sha256(photo)}/original")
    assert original.status_code == 200 and original.content == photo.read_bytes()
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "field-queue-resume.md").write_text(
        "# Field queue: a photo cut twice mid-upload (browser, resumable sessions)\n\n"
        "Chunk 3 lost before the server; chunk 7 stored by the server, its answer lost.\n\n"
        f"{figure}; the stored original is byte-identical.\n")
    assert not session.errors


def test_switch_queue_to_nepali_shows_nepali_texts_and_is_remembered(open_session, trap):
    nepali = entries("ne", "upload")
    session: Session = open_session(PHONE)
    page = session.sign_in("uploader", f"#/upload?trap={trap['id']}")
    page.wait_for_selector("#upload-queue-card")
    page.select_option("#upload-queue-card [data-testid=language]", "ne")
    card = page.locator("#upload-queue-card")
    expect(card.locator("h2")).to_have_text(nepali["upload.queue.title"])
    expect(card.locator("label[for=queue-camera]")).to_have_text(nepali["upload.queue.camera"])
    expect(card.locator("label[for=queue-files]")).to_have_text(nepali["upload.queue.choose"])
    expect(card.locator("#queue-retry")).to_have_text(nepali["upload.queue.retry"])
    expect(card).to_contain_text(nepali["upload.queue.hint"])
    page.reload()
    page.wait_for_selector("#upload-queue-card")
    expect(page.locator("#upload-queue-card h2")).to_have_text(nepali["upload.queue.title"])
    assert page.evaluate("document.documentElement.lang") == "ne"
    session.screenshot("field-queue-nepali")
    page.set_viewport_size(DESKTOP)
    session.screenshot("field-queue-nepali")
    assert not session.errors


FAR_TRAP = {"id": "field-queue-far-valley", "name": "Far Valley", "latitude": 28.52, "longitude": 84.02,
            "timezone": "Asia/Kathmandu", "start": "2026-03-01T00:00:00Z", "end": "2026-06-01T00:00:00Z"}


def jpeg_with_exif(path: Path, latitude: float, longitude: float, taken: str) -> Path:
    """A small JPEG whose EXIF says where (GPS IFD) and when (DateTimeOriginal) it was taken."""
    from PIL import Image  # the test's own fixture data; the app reads EXIF in the browser

    exif = Image.Exif()
    degrees = int(latitude), int(latitude * 60) % 60, round((latitude * 3600) % 60, 2)
    exif[0x8825] = {1: "N", 2: degrees, 3: "E", 4: (float(int(longitude)), float(int(longitude * 60) % 60), 0.0)}
    exif[0x8769] = {0x9003: taken}
    Image.new("RGB", (320, 240), tuple(os.urandom(3))).save(path, "JPEG", exif=exif)
    return path


def test_nearest_trap_from_position_and_far_photo_warned(open_session, admin_api, tmp_path):
    response = admin_api.post("/api/v1/traps", json=FAR_TRAP)
    assert response.status_code == 201, response.text
    session: Session = open_session(PHONE)
    session.context.grant_permissions(["geolocation"])
    session.context.set_geolocation({"latitude": 28.521, "longitude": 84.021})
    page = session.sign_in("uploader", "#/upload")
    page.wait_for_selector("#upload-queue-card")
    page.click("#upload-nearest")
    expect(page.locator("#upload-trap")).to_have_value(FAR_TRAP["id"])
    expect(page.locator("#upload-nearest-note")).to_contain_text("Far Valley")
    # An uploader is answered from the trap's cell (centre 28.55, 84.05), never its position.
    near = jpeg_with_exif(tmp_path / "near.jpg", 28.5217, 84.0167, "2026:04:01 10:00:00")  # same cell, in period
    far = jpeg_with_exif(tmp_path / "far.jpg", 28.6333, 84.0167, "2026:07:01 10:00:00")  # next cell, after the end
    page.set_input_files("#queue-files", [str(near), str(far)])
    session.wait_for_script("[...document.querySelectorAll('#upload-queue > li.queue-row')]"
                            ".filter((li) => ['stored', 'classified', 'failed'].includes(li.dataset.state)).length === 2",
                            timeout_s=FINAL_TIMEOUT_S)
    rows = {row["name"]: row for row in queue_rows(page)}
    assert (rows["near.jpg"]["far"], rows["near.jpg"]["outsidePeriod"]) == ("false", "false")
    assert (rows["far.jpg"]["far"], rows["far.jpg"]["outsidePeriod"]) == ("true", "true")
    warning = page.locator("#upload-queue > li.queue-row", has_text="far.jpg").locator(".queue-warning")
    expect(warning).to_contain_text("outside the chosen trap's area (about 10 km from its centre)")
    expect(warning).to_contain_text("outside the trap's active period")
    session.screenshot("field-queue-check")
    assert not session.errors


def test_queue_survives_closing_tab_and_sends_after_next_sign_in(open_session, trap, tmp_path):
    session: Session = open_session(PHONE)
    page = session.sign_in("uploader", f"#/upload?trap={trap['id']}")
    page.wait_for_selector("#upload-queue-card")
    photo = unique_copy("cameratrap/md_mike_deer_20241018004500_44.jpg", tmp_path)
    session.context.set_offline(True)
    try:
        session.wait_for_script("document.querySelector('#upload-queue-network').dataset.online === 'false'")
        page.set_input_files("#queue-files", [str(photo)])
        session.wait_for_script("document.querySelector('#upload-queue > li.queue-row[data-state=queued]') !== null")
        page.close()  # the tab is gone, and with it the sign-in (sessionStorage)
    finally:
        session.context.set_offline(False)
    reopened = Session(session.context, session.base_url)
    page = reopened.sign_in("uploader", "#/upload")
    reopened.wait_for_script("[...document.querySelectorAll('#upload-queue > li.queue-row')].some((li) => "
                             f"li.dataset.mediaId === '{sha256(photo)}' && li.dataset.state === 'classified')",
                             timeout_s=FINAL_TIMEOUT_S)
    assert not reopened.errors
