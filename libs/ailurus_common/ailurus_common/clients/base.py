"""What every internal client shares: one pooled connection set, the gateway's service
token and the request id on every call, downstream errors as typed exceptions."""

from typing import Any, TypeVar

import httpx
from pydantic import BaseModel

from ailurus_common.auth.service import ServiceTokens
from ailurus_common.errors import AilurusError, ErrorCode, ServiceUnavailable
from ailurus_common.request_context import outgoing_headers

M = TypeVar("M", bound=BaseModel)
_READY_TIMEOUT_S = 2.0


class UpstreamError(AilurusError):
    """A downstream service answered with an error: its status and code pass through."""

    def __init__(self, status_code: int, code: ErrorCode, message: str, *, retry_after_s: int | None = None) -> None:
        super().__init__(message, code=code, status_code=status_code, retry_after_s=retry_after_s)


class UpstreamUnavailable(ServiceUnavailable):
    code = ErrorCode.UPSTREAM_UNAVAILABLE


def error_of(response: httpx.Response) -> tuple[ErrorCode, str]:
    """The ``{error: {code, message}}`` of an error response (anything else: ``upstream_error``)."""
    try:
        error = response.json()["error"]
        return ErrorCode.parse(error["code"]), str(error["message"])
    except (ValueError, KeyError, TypeError):
        return ErrorCode.UPSTREAM_ERROR, response.text[:200] or response.reason_phrase


class ServiceClient:
    """One pooled connection set to an internal service, called with the caller's token."""

    service = "service"

    def __init__(self, base_url: str, *, timeout_s: float, max_connections: int, tokens: ServiceTokens) -> None:
        self._tokens = tokens
        self._http = httpx.AsyncClient(base_url=base_url, timeout=timeout_s,
                                       limits=httpx.Limits(max_connections=max_connections,
                                                           max_keepalive_connections=max_connections))

    async def _headers(self) -> dict[str, str]:
        return {**outgoing_headers(), **await self._tokens.header()}

    async def _send(self, method: str, path: str, *, params: dict[str, Any] | None = None,
                    body: BaseModel | None = None, content: bytes | None = None,
                    headers: dict[str, str] | None = None) -> httpx.Response:
        """One call; ``UpstreamUnavailable`` when the service cannot be reached."""
        clean = {k: v for k, v in (params or {}).items() if v is not None}
        all_headers = {**await self._headers(), **(headers or {})}
        if body is not None:
            content = body.model_dump_json(exclude_unset=True).encode()
            all_headers["content-type"] = "application/json"
        try:
            return await self._http.request(method, path, params=clean, content=content, headers=all_headers)
        except httpx.HTTPError as exc:
            raise UpstreamUnavailable(f"{self.service} unreachable: {type(exc).__name__}", retry_after_s=5) from None

    async def _call(self, method: str, path: str, answer: type[M] | None = None, **kwargs: Any) -> M | None:
        """Like ``_send``; parses the answer into ``answer`` and raises ``UpstreamError`` on 4xx/5xx."""
        response = await self._send(method, path, **kwargs)
        if response.status_code >= 400:
            raise upstream_error(response)
        return answer.model_validate_json(response.content) if answer is not None else None

    async def ready(self) -> bool:
        try:
            return (await self._http.get("/readyz", timeout=_READY_TIMEOUT_S)).status_code == 200
        except httpx.HTTPError:
            return False

    async def close(self) -> None:
        await self._http.aclose()


def upstream_error(response: httpx.Response) -> UpstreamError:
    code, message = error_of(response)
    retry = response.headers.get("retry-after")
    return UpstreamError(response.status_code, code, message,
                         retry_after_s=int(retry) if retry and retry.isdigit() else None)
