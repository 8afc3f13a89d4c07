"""What every internal client shares: one pooled connection set, the caller's service
token and the request id on every call, downstream errors as typed exceptions.

aiohttp, not httpx: its C HTTP parser and connection pool cost a fraction of the CPU per
call on the hot path (measured with py-spy under ``make bench`` load: httpx and httpcore
were a quarter of the gateway's CPU).
"""

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import aiohttp
from multidict import CIMultiDictProxy
from pydantic import BaseModel

from ailurus_common.auth.service import ServiceTokens
from ailurus_common.errors import AilurusError, ErrorCode, ServiceUnavailable
from ailurus_common.request_context import outgoing_headers

M = TypeVar("M", bound=BaseModel)
_READY_TIMEOUT_S = 2.0
# Idle pooled connections are dropped before the services' own keep-alive (75 s) would.
_KEEPALIVE_S = 60.0


class UpstreamError(AilurusError):
    """A downstream service answered with an error: its status and code pass through."""

    def __init__(self, status_code: int, code: ErrorCode, message: str, *, retry_after_s: int | None = None) -> None:
        super().__init__(message, code=code, status_code=status_code, retry_after_s=retry_after_s)


class UpstreamUnavailable(ServiceUnavailable):
    """The service could not be reached, or the call died on the way. ``interrupted``: the
    request had reached it and the answer never came (the connection dropped, or the time
    ran out), which is what a request that crashes or hangs the service looks like."""

    code = ErrorCode.UPSTREAM_UNAVAILABLE

    def __init__(self, message: str, *, retry_after_s: int | None = None, interrupted: bool = False) -> None:
        super().__init__(message, retry_after_s=retry_after_s)
        self.interrupted = interrupted


@dataclass(frozen=True)
class Answer:
    """A downstream response, read whole."""

    status_code: int
    headers: CIMultiDictProxy[str]
    content: bytes

    def error(self) -> tuple[ErrorCode, str]:
        """The ``{error: {code, message}}`` of an error answer (anything else: ``upstream_error``)."""
        try:
            error = json.loads(self.content)["error"]
            return ErrorCode.parse(error["code"]), str(error["message"])
        except (ValueError, KeyError, TypeError):
            return ErrorCode.UPSTREAM_ERROR, self.content[:200].decode(errors="replace") or str(self.status_code)

    def upstream_error(self) -> UpstreamError:
        code, message = self.error()
        retry = self.headers.get("retry-after")
        return UpstreamError(self.status_code, code, message,
                             retry_after_s=int(retry) if retry and retry.isdigit() else None)


class ServiceClient:
    """One pooled connection set to an internal service, called with the caller's token.
    Build it inside the running event loop (a lifespan)."""

    service = "service"

    def __init__(self, base_url: str, *, timeout_s: float, max_connections: int, tokens: ServiceTokens) -> None:
        self._base_url = base_url.rstrip("/")
        self._tokens = tokens
        self._http = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=timeout_s),
            connector=aiohttp.TCPConnector(limit=max_connections, keepalive_timeout=_KEEPALIVE_S),
            # JSON bodies are built by the contract models; nothing else is ever sent.
            skip_auto_headers=("User-Agent",), raise_for_status=False)

    async def _send(self, method: str, path: str, *, params: dict[str, Any] | None = None,
                    body: BaseModel | None = None, content: bytes | None = None,
                    headers: dict[str, str] | None = None, timeout_s: float | None = None) -> Answer:
        """One call; ``UpstreamUnavailable`` when the service cannot be reached. ``timeout_s``:
        this call's own limit instead of the client's (a slow operation among quick reads)."""
        # A list value is a repeated parameter (?g=a&g=b).
        clean = [(k, str(x)) for k, v in (params or {}).items() if v is not None
                 for x in (v if isinstance(v, list) else [v])]
        all_headers = {**outgoing_headers(), **await self._tokens.header(), **(headers or {})}
        if body is not None:
            content = body.model_dump_json(exclude_unset=True).encode()
            all_headers["content-type"] = "application/json"
        try:
            # (No timeout argument at all means the session's: aiohttp reads None as "no limit".)
            own = {"timeout": aiohttp.ClientTimeout(total=timeout_s)} if timeout_s is not None else {}
            async with self._http.request(method, self._base_url + path, params=clean, data=content,
                                          headers=all_headers, **own) as response:
                return Answer(response.status, response.headers, await response.read())
        except aiohttp.ClientConnectorError as exc:  # nothing was sent: the service is down
            raise UpstreamUnavailable(f"{self.service} unreachable: {type(exc).__name__}", retry_after_s=5) from None
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise UpstreamUnavailable(f"{self.service} call interrupted: {type(exc).__name__}", retry_after_s=5,
                                      interrupted=True) from None

    async def _call(self, method: str, path: str, answer: type[M] | None = None, **kwargs: Any) -> M | None:
        """Like ``_send``; parses the answer into ``answer`` and raises ``UpstreamError`` on 4xx/5xx."""
        response = await self._send(method, path, **kwargs)
        if response.status_code >= 400:
            raise response.upstream_error()
        return answer.model_validate_json(response.content) if answer is not None else None

    @asynccontextmanager
    async def _stream_lines(self, path: str, *, params: dict[str, Any] | None = None,
                            read_timeout_s: float) -> AsyncIterator[AsyncIterator[bytes]]:
        """A streamed GET: the error answer (``UpstreamError``) is raised before anything is
        yielded; then the body's lines, read as they arrive.

        A stream has no total time limit (an export of a million media takes minutes); it
        fails only when no byte arrives for ``read_timeout_s``."""
        clean = [(k, str(x)) for k, v in (params or {}).items() if v is not None
                 for x in (v if isinstance(v, list) else [v])]
        headers = {**outgoing_headers(), **await self._tokens.header()}
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=read_timeout_s, sock_read=read_timeout_s)
        try:
            async with self._http.get(self._base_url + path, params=clean, headers=headers,
                                      timeout=timeout) as response:
                if response.status >= 400:
                    raise Answer(response.status, response.headers, await response.read()).upstream_error()
                yield self._lines(response)
        except aiohttp.ClientConnectorError as exc:
            raise UpstreamUnavailable(f"{self.service} unreachable: {type(exc).__name__}", retry_after_s=5) from None
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise UpstreamUnavailable(f"{self.service} stream interrupted: {type(exc).__name__}", retry_after_s=5,
                                      interrupted=True) from None

    @staticmethod
    async def _lines(response: aiohttp.ClientResponse) -> AsyncIterator[bytes]:
        async for line in response.content:
            if line.strip():
                yield line

    async def ready(self) -> bool:
        try:
            async with self._http.get(self._base_url + "/readyz",
                                      timeout=aiohttp.ClientTimeout(total=_READY_TIMEOUT_S)) as response:
                return response.status == 200
        except (TimeoutError, aiohttp.ClientError):
            return False

    async def close(self) -> None:
        await self._http.close()
