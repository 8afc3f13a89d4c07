"""How the preprocess client reads every way a call can end: only image error codes in a
4xx are a bad image; a service that is down is an outage; a call that dies on the file
(dropped connection, no answer in time, a 500) is an interruption, the poison-pill signal."""

import asyncio
import json

import pytest

from ailurus_common.auth.service import ServiceTokens
from ailurus_common.auth.settings import AuthSettings
from ailurus_common.clients.preprocess import PreprocessClient, Rejected, Unavailable
from ailurus_tools.processes import free_port


async def serve(handler) -> tuple[asyncio.AbstractServer, str]:
    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    return server, f"http://127.0.0.1:{port}"


def answering(status: int, code: str):
    async def handler(reader, writer):
        await reader.readuntil(b"\r\n\r\n")
        body = json.dumps({"error": {"code": code, "message": "m"}}).encode()
        writer.write(f"HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {len(body)}\r\n"
                     f"connection: close\r\n\r\n".encode() + body)
        await writer.drain()
        writer.close()
    return handler


async def dropping(reader, writer):
    await reader.read(100)
    writer.transport.abort()  # like a crashed process: a reset, no answer


async def hanging(reader, writer):
    await reader.read(100)
    await asyncio.sleep(30)


@pytest.fixture
def tokens(tmp_path):
    return ServiceTokens(AuthSettings(auth_key_path=tmp_path / "key.pem"))


async def classify(url: str, tokens, *, timeout_s: float = 5.0):
    client = PreprocessClient(url, timeout_s=timeout_s, max_connections=2, tokens=tokens)
    try:
        return await client.classify(b"\xff\xd8\xff" + b"x" * 1000, media_id="a" * 64)
    finally:
        await client.close()


async def test_classify_against_closed_port_is_outage_not_interruption(tokens):
    outcome = await classify(f"http://127.0.0.1:{free_port()}", tokens)
    assert isinstance(outcome, Unavailable) and not outcome.interrupted


@pytest.mark.parametrize(("handler", "timeout_s"), [(dropping, 5.0), (hanging, 0.5)], ids=["dropped", "no-answer"])
async def test_classify_that_dies_on_the_file_is_interruption(tokens, handler, timeout_s):
    server, url = await serve(handler)
    async with server:
        outcome = await classify(url, tokens, timeout_s=timeout_s)
    assert isinstance(outcome, Unavailable) and outcome.interrupted


@pytest.mark.parametrize(("status", "code", "interrupted"), [
    (500, "http_error", True), (502, "upstream_error", True), (504, "upstream_error", True),
    (503, "classifier_unavailable", False), (401, "invalid_audience", False), (403, "forbidden", False),
    (404, "not_found", False), (422, "invalid_request", False), (429, "rate_limited", False),
])
async def test_classify_error_answer_that_is_not_about_the_image_is_unavailable(tokens, status, code, interrupted):
    server, url = await serve(answering(status, code))
    async with server:
        outcome = await classify(url, tokens)
    assert isinstance(outcome, Unavailable)
    assert outcome.interrupted is interrupted


@pytest.mark.parametrize(("status", "code"), [
    (413, "over_decode_budget"), (413, "too_many_pixels"), (415, "unsupported_format"), (422, "corrupt_image"),
    (400, "empty_file"),
])
async def test_classify_image_error_is_rejected(tokens, status, code):
    server, url = await serve(answering(status, code))
    async with server:
        outcome = await classify(url, tokens)
    assert isinstance(outcome, Rejected) and outcome.code == code
