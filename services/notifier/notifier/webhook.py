"""Webhook targets and one delivery: the SSRF check, the CloudEvents validation handshake,
the structured-mode CloudEvent with its HMAC-SHA256 signature.

SSRF: a target's host is resolved and every address it resolves to must be public (not
loopback, private, link-local, unique-local, multicast, reserved or unspecified) unless the
host is in the allow-list. The check runs when an admin subscribes and again before every
delivery, and the request then goes to the address that was checked (the Host header and
TLS server name stay the URL's), so a DNS answer that changes in between cannot point it
inward. Redirects are never followed (a 3xx is a failed attempt).

Handshake (CloudEvents HTTP webhook spec, "abuse protection", as Azure Event Grid does it
for the CloudEvents schema): ``OPTIONS <url>`` with ``WebHook-Request-Origin: <origin>``;
the target consents by answering 2xx with ``WebHook-Allowed-Origin`` equal to the origin or
``*``.
"""

import asyncio
import hashlib
import hmac
import ipaddress
import socket
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
from cloudevents.core.bindings.http import to_structured_event
from cloudevents.core.v1.event import CloudEvent

from ailurus_common.contracts.events import EVENT_ID_HEADER, EVENT_SOURCE, SIGNATURE_HEADER, OutboxEvent
from notifier.errors import WebhookRefused, WebhookValidationFailed

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def is_public(address: Address) -> bool:
    """Whether ``address`` is on the public internet (an IPv4-mapped IPv6 address counts as its IPv4)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    inward = (address.is_loopback or address.is_private or address.is_link_local or address.is_multicast
              or address.is_reserved or address.is_unspecified or not address.is_global)  # (CGNAT 100.64/10)
    # (is_private covers the unique-local fc00::/7; site-local fec0::/10 is deprecated but still inward)
    return not (inward or (isinstance(address, ipaddress.IPv6Address) and address.is_site_local))


@dataclass(frozen=True)
class Target:
    """A checked target: where to connect (the checked address) and the URL's own host."""

    url: str
    host: str
    address: str

    def pinned_url(self) -> str:
        """The URL with its host replaced by the checked address."""
        parts = urlsplit(self.url)
        literal = f"[{self.address}]" if ":" in self.address else self.address
        netloc = f"{literal}:{parts.port}" if parts.port else literal
        return urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))

    def host_header(self) -> str:
        parts = urlsplit(self.url)
        return f"{self.host}:{parts.port}" if parts.port else self.host


async def check_target(url: str, allowed_hosts: list[str]) -> Target:
    """Resolve ``url``'s host; ``WebhookRefused`` unless every address is public or the host
    is allowed. Returns the target pinned to the first address."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise WebhookRefused("a webhook must be an http or https URL with a host")
    if parts.username or parts.password:
        raise WebhookRefused("a webhook URL must not carry credentials")
    host = parts.hostname
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, parts.port or (443 if parts.scheme == "https"
                                                                                   else 80), type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise WebhookRefused(f"the webhook host {host!r} does not resolve: {exc.strerror}") from None
    addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
    allowed = host in allowed_hosts
    for address in addresses:
        if not allowed and str(address) not in allowed_hosts and not is_public(address):
            raise WebhookRefused(f"the webhook host {host!r} resolves to {address}, which is not a public address")
    return Target(url=url, host=host, address=str(addresses[0]))


def _request_args(target: Target) -> dict[str, Any]:
    extensions = {"sni_hostname": target.host} if urlsplit(target.url).scheme == "https" else {}
    return {"headers": {"Host": target.host_header()}, "extensions": extensions}


async def handshake(client: httpx.AsyncClient, target: Target, origin: str) -> None:
    """The validation handshake; ``WebhookValidationFailed`` when the target does not consent."""
    args = _request_args(target)
    try:
        response = await client.request("OPTIONS", target.pinned_url(), headers={
            **args["headers"], "WebHook-Request-Origin": origin}, extensions=args["extensions"])
    except httpx.HTTPError as exc:
        raise WebhookValidationFailed(f"the webhook did not answer the validation request: {exc}") from None
    allowed = response.headers.get("WebHook-Allowed-Origin")
    if not response.is_success or allowed not in (origin, "*"):
        raise WebhookValidationFailed(f"the webhook answered OPTIONS with {response.status_code} and "
                                      f"WebHook-Allowed-Origin {allowed!r}, not {origin!r}")


def cloud_event(event: OutboxEvent, data: dict[str, Any]) -> CloudEvent:
    attributes: dict[str, Any] = {"id": event.id, "type": str(event.type), "source": EVENT_SOURCE,
                                  "time": event.time, "datacontenttype": "application/json"}
    if event.subject:
        attributes["subject"] = event.subject
    return CloudEvent(attributes, data)


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Outcome:
    ok: bool
    status_code: int | None
    error: str | None


async def deliver(client: httpx.AsyncClient, target: Target, event: OutboxEvent, data: dict[str, Any],
                  secret: str) -> Outcome:
    """POST the event in structured mode, signed; a 2xx is delivered, anything else is not."""
    message = to_structured_event(cloud_event(event, data))
    args = _request_args(target)
    headers = {**message.headers, **args["headers"], EVENT_ID_HEADER: event.id,
               SIGNATURE_HEADER: signature(secret, message.body)}
    try:
        response = await client.post(target.pinned_url(), content=message.body, headers=headers,
                                     extensions=args["extensions"])
    except httpx.HTTPError as exc:
        return Outcome(False, None, f"{type(exc).__name__}: {exc}"[:500])
    if response.is_success:
        return Outcome(True, response.status_code, None)
    note = " (redirects are not followed)" if response.is_redirect else ""
    return Outcome(False, response.status_code, f"HTTP {response.status_code}{note}")
