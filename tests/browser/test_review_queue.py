"""The review queue in Chromium: a possible red panda comes first, a burst of 5 is confirmed
with one key and undone with another, the page switches to Nepali and remembers it;
screenshots at 360 px and 1280 px (test-artifacts/screenshots/review-*.png)."""

import io

import httpx
import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PHONE, Session
from tests.support.report import markdown_table
from tests.support.samples import sample

pytestmark = pytest.mark.slow

BURST_TRAP = {"id": "review-burst", "name": "Review Burst", "latitude": 27.2, "longitude": 88.1,
              "timezone": "Asia/Kathmandu"}
PANDA_TRAP = {"id": "review-panda", "name": "Review Panda", "latitude": 27.3, "longitude": 88.2,
              "timezone": "Asia/Kathmandu"}
SELECT_TRAP = {"id": "review-select", "name": "Review Select", "latitude": 27.4, "longitude": 88.3,
               "timezone": "Asia/Kathmandu"}
BURST_FRAMES = 5


def variant(path: str, n: int) -> bytes:
    """The sample re-encoded without EXIF (so its time is the upload's: one burst) at its own
    quality: new bytes, so a new media (the dashboard tests upload the originals)."""
    with Image.open(sample(path)) as image:
        out = io.BytesIO()
        image.convert("RGB").save(out, "JPEG", quality=90 - n)
        return out.getvalue()


def upload(admin_api: httpx.Client, trap: dict, files: list[tuple[str, bytes]]) -> list[str]:
    response = admin_api.post("/api/v1/traps", json=trap)
    assert response.status_code == 201, response.text
    response = admin_api.post(f"/api/v1/traps/{trap['id']}/images",
                              files=[("files", (name, data, "image/jpeg")) for name, data in files])
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["classified"] * len(files), results
    return [r["media_id"] for r in results]


@pytest.fixture(scope="module")
def queued(admin_api: httpx.Client) -> dict[str, list[str]]:
    burst = upload(admin_api, BURST_TRAP, [(f"wolf-{n}.jpg", variant("cameratrap/IMAG0104_wolf.JPG", n))
                                           for n in range(BURST_FRAMES)])
    panda = upload(admin_api, PANDA_TRAP, [("panda.jpg", variant("animals/skeydan_red_panda.jpg", 0))])
    select = upload(admin_api, SELECT_TRAP, [(f"goanna-{n}.jpg", variant("cameratrap/md_goanna-image.png", n))
                                             for n in range(3)])
    return {"burst": burst, "panda": panda, "select": select}


@pytest.fixture(scope="module")
def key_report():
    """test-artifacts/review-keys.md: the key presses each review took, as counted by the test."""
    with markdown_table("review-keys.md", ["review", "frames", "key presses", "keys"]) as rows:
        yield rows


def counted_presses(page, keys: list[str]) -> int:
    for key in keys:
        page.keyboard.press(key)
    return len(keys)


def review_states(admin_api: httpx.Client, ids: list[str]) -> list[str | None]:
    return [admin_api.get(f"/api/v1/media/{media_id}").json()["review_state"] for media_id in ids]


def test_review_queue_orders_red_panda_first_and_confirms_a_burst_with_one_key(open_session, queued, admin_api,
                                                                              key_report):
    session = open_session(DESKTOP)
    page = session.sign_in("reviewer", "#/review")
    expect(page.locator("#nav [data-nav=review]")).to_be_visible()
    bursts = page.locator("#review-bursts .review-burst")
    expect(bursts.first).to_be_visible()
    priorities = [b.get_attribute("data-priority") for b in bursts.all()]
    sequences = [b.get_attribute("data-sequence-id") for b in bursts.all()]
    assert priorities[0] == "sensitive"
    assert priorities == sorted(priorities, key=["sensitive", "low_confidence", "rest"].index)
    panda_burst = page.locator(f".review-burst:has([data-media-id='{queued['panda'][0]}'])")
    five = page.locator(f".review-burst:has([data-media-id='{queued['burst'][0]}'])")
    assert sequences.index(panda_burst.get_attribute("data-sequence-id")) < \
        sequences.index(five.get_attribute("data-sequence-id"))
    expect(five.locator(".review-frame")).to_have_count(BURST_FRAMES)
    expect(page.locator("#review-counts [data-count=sensitive]")).not_to_contain_text("0 ")
    session.screenshot("review")

    # The burst of 5 on its own (trap filter): one key confirms all five frames.
    session.open(f"#/review?trap_id={BURST_TRAP['id']}")
    expect(page.locator(".review-burst.current")).to_be_focused()
    expect(page.locator("#review-counts [data-count=total]")).to_contain_text(str(BURST_FRAMES))
    presses = counted_presses(page, ["Enter"])
    expect(page.locator(".page-review .alert-success")).to_be_visible()
    assert review_states(admin_api, queued["burst"]) == ["confirmed"] * BURST_FRAMES
    assert presses == 1
    key_report.append(f"| confirm a burst | {BURST_FRAMES} | {presses} | Enter |")
    expect(page.locator("#review-live")).to_contain_text(f"Confirmed {BURST_FRAMES} frames")

    # Undo (one key) puts the burst back; a group key corrects it whole.
    key_report.append(f"| undo it | {BURST_FRAMES} | {counted_presses(page, ['u'])} | U |")
    expect(page.locator(".review-burst .review-frame")).to_have_count(BURST_FRAMES)
    assert review_states(admin_api, queued["burst"]) == [None] * BURST_FRAMES
    page.locator(".review-burst.current").focus()
    key_report.append(f"| correct a burst (mammal) | {BURST_FRAMES} | {counted_presses(page, ['3'])} | 3 |")
    expect(page.locator(".page-review .alert-success")).to_be_visible()
    groups = {admin_api.get(f"/api/v1/media/{i}").json()["group"] for i in queued["burst"]}
    assert groups == {"mammal"}
    assert not session.errors, session.errors


def test_review_selection_confirms_only_the_frames_chosen(open_session, queued, admin_api):
    session = open_session(PHONE)
    page = session.sign_in("reviewer", f"#/review?trap_id={SELECT_TRAP['id']}")
    first, second, third = queued["select"]
    for media_id in (first, second):
        page.click(f".review-frame[data-media-id='{media_id}']")
        expect(page.locator(f".review-frame[data-media-id='{media_id}']")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#review-confirm")).to_contain_text("(2)")
    page.locator(".review-burst.current").focus()
    page.keyboard.press("Enter")
    expect(page.locator(".review-frame")).to_have_count(1)
    expect(page.locator(f".review-frame[data-media-id='{third}']")).to_be_visible()
    assert review_states(admin_api, [first, second, third]) == ["confirmed", "confirmed", None]
    assert not session.errors, session.errors


def test_review_page_switches_to_nepali_and_remembers_it(open_session, queued):
    session: Session = open_session(PHONE)
    page = session.sign_in("reviewer", "#/review")
    expect(page.locator(".review-burst").first).to_be_visible()
    page.select_option(".page-review [data-testid=language]", "ne")
    expect(page.locator(".page-review h1")).to_have_text("समीक्षा सूची")
    expect(page.locator("html")).to_have_attribute("lang", "ne")
    expect(page.locator("#review-counts")).to_contain_text("बाँकी")
    session.screenshot("review-ne")
    page.reload()
    expect(page.locator(".page-review h1")).to_have_text("समीक्षा सूची")
    page.select_option(".page-review [data-testid=language]", "en")
    expect(page.locator(".page-review h1")).to_have_text("Review queue")
    session.screenshot("review")
    assert not session.errors, session.errors


def test_review_page_nav_item_hidden_from_viewers(open_session):
    session = open_session(PHONE)
    page = session.sign_in("viewer", "#/gallery")
    expect(page.locator("#nav [data-role=reviewer]")).to_be_hidden()
