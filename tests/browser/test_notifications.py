"""The Notifications page (admins): subscribe a real webhook receiver through the form, see
it listed without its secret, read its delivery log once an event was delivered, delete it;
a viewer sees no such page in the navigation."""

import json
import time

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP
from tests.support.receivers import webhook_receiver
from tests.support.samples import sample
from tests.support.uploads import jpeg_variants

SECRET = "browser-test-webhook-secret"


@pytest.fixture
def receiver(tmp_path, stack):
    out = tmp_path / "received.jsonl"
    with webhook_receiver(out, secret=SECRET, log_path=stack.logs / "browser-receiver.log") as url:
        yield url, out


def test_subscribe_see_the_delivery_log_and_delete(open_session, admin_api, receiver):
    url, out = receiver
    page = open_session(DESKTOP).sign_in("admin", "#/subscriptions")
    expect(page.locator("[data-nav=subscriptions]")).to_be_visible()
    page.fill("#subscribe-form input[name=url]", url)
    page.fill("#subscribe-form input[name=secret]", SECRET)
    page.check("#subscribe-form input[value='upload.completed']")
    page.click("#subscribe-form button[type=submit]")
    card = page.locator(".subscription")
    expect(card).to_have_count(1)
    expect(card).to_contain_text(url)
    expect(card).to_contain_text("upload.completed · coarse")
    assert SECRET not in page.content()
    # an event reaches the receiver, then the log shows it delivered
    assert admin_api.post("/api/v1/traps", json={"id": "hook-trap", "name": "Hook trap", "latitude": 27.0,
                                                  "longitude": 88.0}).status_code == 201
    # A file of its own: the package's stack already holds the sample itself (a duplicate
    # records nothing new, so it completes no upload to announce).
    [(name, data)] = jpeg_variants(sample("cameratrap/speciesnet_vehicle.jpg"), 1, tag="notifications")
    files = {"files": (name, data, "image/jpeg")}
    assert admin_api.post("/api/v1/traps/hook-trap/images", files=files).status_code < 300
    deadline = time.monotonic() + 60
    while not (out.exists() and out.read_text()) and time.monotonic() < deadline:
        time.sleep(0.3)
    [event] = [json.loads(line) for line in out.read_text().splitlines()]
    assert event["type"] == "upload.completed"
    card.get_by_role("button", name="Deliveries").click()
    row = card.locator("table.deliveries tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(event["id"][:8])
    page.once("dialog", lambda dialog: dialog.accept())
    card.get_by_role("button", name="Delete").click()
    expect(page.locator("#subscription-list")).to_have_count(0)
    expect(page.get_by_text("No subscriptions yet.")).to_be_visible()


def test_a_viewer_has_no_notifications_page(open_session):
    page = open_session(DESKTOP).sign_in("viewer")
    expect(page.locator("[data-nav=subscriptions]")).to_be_hidden()
