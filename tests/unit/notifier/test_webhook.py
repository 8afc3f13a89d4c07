"""The notifier's pure rules: which addresses a webhook may reach (SSRF), the signature,
the back-off, and the subscription filters."""

import hashlib
import hmac
import ipaddress
from datetime import UTC, datetime

import pytest

from ailurus_common.contracts.events import EventType, OutboxEvent, Subscription, matches
from ailurus_common.domain import Group
from notifier.dispatcher import backoff_s
from notifier.errors import WebhookRefused
from notifier.webhook import Target, check_target, is_public, signature


@pytest.mark.parametrize("address", ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254",
                                     "224.0.0.1", "0.0.0.0", "::1", "fe80::1", "fd00::1", "ff02::1",
                                     "::ffff:127.0.0.1", "100.64.0.1"])
def test_inward_addresses_are_not_public(address):
    assert not is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["8.8.8.8", "2606:4700:4700::1111", "::ffff:1.1.1.1"])
def test_internet_addresses_are_public(address):
    assert is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize("url", ["http://127.0.0.1/hook", "http://[::1]:8080/x", "http://169.254.169.254/latest",
                                 "https://10.0.0.5/", "ftp://8.8.8.8/", "http://user:pw@8.8.8.8/"])
async def test_targets_that_reach_inward_are_refused(url):
    with pytest.raises(WebhookRefused):
        await check_target(url, [])


async def test_an_allowed_address_passes_and_the_request_is_pinned_to_it():
    target = await check_target("http://127.0.0.1:9000/hook?x=1", ["127.0.0.1"])
    assert target == Target(url="http://127.0.0.1:9000/hook?x=1", host="127.0.0.1", address="127.0.0.1")
    assert target.pinned_url() == "http://127.0.0.1:9000/hook?x=1" and target.host_header() == "127.0.0.1:9000"
    assert Target(url="https://hooks.example/x", host="hooks.example",
                  address="2606:4700::1").pinned_url() == "https://[2606:4700::1]/x"


def test_signature_is_hmac_sha256_of_the_body():
    body = b'{"id": "1"}'
    assert signature("k" * 16, body) == "sha256=" + hmac.new(b"k" * 16, body, hashlib.sha256).hexdigest()


def test_backoff_doubles_up_to_the_cap():
    assert [backoff_s(n, base_s=2, max_s=30) for n in range(1, 7)] == [2, 4, 8, 16, 30, 30]


def _subscription(**filters) -> Subscription:
    return Subscription(id="s", url="https://h.example/", types=filters.get("types", []),
                        trap_id=filters.get("trap_id"), group=filters.get("group"), precision="coarse",
                        created_by="admin", created_at=datetime.now(UTC))


def test_filters_by_type_trap_and_group():
    event = OutboxEvent(id="e", type=EventType.MEDIA_CLASSIFIED, time=datetime.now(UTC), trap_id="t1",
                        group=Group.BIRD, data={})
    assert matches(_subscription(), event)
    assert matches(_subscription(types=[EventType.MEDIA_CLASSIFIED], trap_id="t1", group=Group.BIRD), event)
    assert not matches(_subscription(types=[EventType.MEDIA_REVIEWED]), event)
    assert not matches(_subscription(trap_id="t2"), event)
    assert not matches(_subscription(group=Group.RED_PANDA), event)
