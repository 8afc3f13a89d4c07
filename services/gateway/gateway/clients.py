"""HTTP clients for ingest and preprocess: one pooled connection set each, the request
id forwarded on every call, downstream failures turned into typed outcomes."""

import base64
from dataclasses import dataclass
from typing import Any

import httpx

from ailurus_common.auth.service import ServiceTokens
from ailurus_common.contracts import ClassificationIn, FailureIn, MediaCreate
from ailurus_common.records import Media
from ailurus_common.request_context import outgoing_headers
from gateway.errors import UpstreamError, UpstreamUnavailable


def _error_of(response: httpx.Response) -> tuple[str, str]:
    try:
        error = response.json()["error"]
        return str(error["code"]), str(error["message"])
    except (ValueError, KeyError, TypeError):
        return "upstream_error", response.text[:200] or response.reason_phrase


class _ServiceClient:
    """One pooled connection set to an internal service, called with the gateway's token."""

    def __init__(self, base_url: str, *, timeout_s: float, max_connections: int, tokens: ServiceTokens) -> None:
        self._tokens = tokens
        self._http = httpx.AsyncClient(base_url=base_url, timeout=timeout_s,
                                       limits=httpx.Limits(max_connections=max_connections,
                                                           max_keepalive_connections=max_connections))

    async def _headers(self) -> dict[str, str]:
        return {**outgoing_headers(), **await self._tokens.header()}

    async def ready(self) -> bool:
        try:
            return (await self._http.get("/readyz", timeout=2)).status_code == 200
        except httpx.HTTPError:
            return False

    async def close(self) -> None:
        await self._http.aclose()


class IngestClient(_ServiceClient):
    def __init__(self, base_url: str, *, timeout_s: float, tokens: ServiceTokens) -> None:
        super().__init__(base_url, timeout_s=timeout_s, max_connections=64, tokens=tokens)

    async def request(self, method: str, path: str, *, params: dict | None = None, json: Any = None) -> httpx.Response:
        """Send one call; raises ``UpstreamUnavailable`` when ingest cannot be reached."""
        clean = {k: v for k, v in (params or {}).items() if v is not None}
        try:
            return await self._http.request(method, path, params=clean, json=json, headers=await self._headers())
        except httpx.HTTPError as exc:
            raise UpstreamUnavailable(f"ingest unreachable: {type(exc).__name__}", retry_after_s=5) from None

    async def call(self, method: str, path: str, *, params: dict | None = None, json: Any = None) -> Any:
        """Like ``request`` but returns the JSON body and raises ``UpstreamError`` on 4xx/5xx."""
        response = await self.request(method, path, params=params, json=json)
        if response.status_code >= 400:
            code, message = _error_of(response)
            retry = response.headers.get("retry-after")
            raise UpstreamError(response.status_code, code, message, retry_after_s=int(retry) if retry else None)
        return response.json() if response.content else None

    async def create_media(self, body: MediaCreate) -> bool:
        """True when recorded, False when the same bytes were recorded before."""
        response = await self.request("POST", "/v1/media", json=body.model_dump(mode="json"))
        if response.status_code == 409:
            return False
        if response.status_code >= 400:
            raise UpstreamError(response.status_code, *_error_of(response))
        return True

    async def put_classification(self, media_id: str, body: ClassificationIn) -> None:
        await self.call("PUT", f"/v1/media/{media_id}/classification", json=body.model_dump(mode="json"))

    async def put_failure(self, media_id: str, body: FailureIn) -> None:
        await self.call("PUT", f"/v1/media/{media_id}/failure", json=body.model_dump(mode="json"))

    async def rebuild_sequences(self, media_ids: list[str]) -> None:
        await self.call("POST", "/v1/sequences/rebuild", json={"media_ids": media_ids})

    async def delete_media(self, media_id: str) -> None:
        await self.call("DELETE", f"/v1/media/{media_id}")

    async def pending(self, *, older_than_s: float, limit: int) -> list[Media]:
        items = await self.call("GET", "/v1/pending", params={"older_than_s": older_than_s, "limit": limit})
        return [Media.model_validate(m) for m in items]

    async def pending_count(self) -> int:
        return int((await self.call("GET", "/v1/pending/count"))["pending"])


@dataclass(frozen=True)
class Classified:
    body: dict
    thumbnail_jpeg: bytes | None


@dataclass(frozen=True)
class Rejected:
    code: str
    message: str


@dataclass(frozen=True)
class Unavailable:
    message: str


class PreprocessClient(_ServiceClient):

    async def classify(self, data: bytes) -> Classified | Rejected | Unavailable:
        """Classify one image; 4xx -> ``Rejected`` (bad file), anything else -> ``Unavailable``."""
        try:
            response = await self._http.post("/v1/classify", params={"thumbnail": "true"}, content=data,
                                             headers={**await self._headers(),
                                                      "content-type": "application/octet-stream"})
        except httpx.HTTPError as exc:
            return Unavailable(f"preprocess unreachable: {type(exc).__name__}")
        if response.status_code == 200:
            body = response.json()
            thumb = body.pop("thumbnail_jpeg", None)
            return Classified(body, base64.b64decode(thumb) if thumb else None)
        code, message = _error_of(response)
        if 400 <= response.status_code < 500 and response.status_code not in (408, 429):
            return Rejected(code, message)
        return Unavailable(f"{code}: {message}")
