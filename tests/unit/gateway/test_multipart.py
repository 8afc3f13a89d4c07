"""Upload bodies read as a stream of file parts (starlette's own Request over ASGI messages)."""

import httpx
import pytest
from starlette.requests import Request

from gateway.multipart import BadMultipart, NotMultipart, file_parts


def body_of(files: list[tuple[str, str, bytes]], *, data: dict | None = None) -> tuple[bytes, str]:
    request = httpx.Request("POST", "http://x/", files=[(f, (n, d, "image/jpeg")) for f, n, d in files], data=data)
    return request.read(), request.headers["content-type"]


def request_of(body: bytes, content_type: str, *, chunk_bytes: int = 7) -> Request:
    chunks = [body[i:i + chunk_bytes] for i in range(0, len(body), chunk_bytes)] or [b""]
    messages = [{"type": "http.request", "body": c, "more_body": i < len(chunks) - 1} for i, c in enumerate(chunks)]

    async def receive():
        return messages.pop(0)
    scope = {"type": "http", "method": "POST", "path": "/", "headers": [(b"content-type", content_type.encode())]}
    return Request(scope, receive)


async def parts(request: Request, max_file_bytes: int = 1000) -> list:
    return [p async for p in file_parts(request, field_name="files", max_file_bytes=max_file_bytes)]


async def test_file_parts_in_order_across_any_chunking():
    body, content_type = body_of([("files", "a.jpg", b"A" * 300), ("files", "b.jpg", b"\r\n--B" * 50),
                                  ("files", "c.jpg", b"")])
    for chunk_bytes in (1, 7, 4096):
        got = await parts(request_of(body, content_type, chunk_bytes=chunk_bytes))
        assert [(p.filename, p.data) for p in got] == [("a.jpg", b"A" * 300), ("b.jpg", b"\r\n--B" * 50),
                                                       ("c.jpg", b"")]


async def test_file_parts_skip_other_fields_and_files_of_other_fields():
    body, content_type = body_of([("other", "x.jpg", b"X" * 50), ("files", "a.jpg", b"A")], data={"note": "n" * 500})
    assert [p.filename for p in await parts(request_of(body, content_type))] == ["a.jpg"]


async def test_file_parts_over_the_limit_is_dropped_while_streaming_others_kept():
    body, content_type = body_of([("files", "big.jpg", b"B" * 5000), ("files", "ok.jpg", b"O" * 10)])
    big, ok = await parts(request_of(body, content_type, chunk_bytes=512), max_file_bytes=1000)
    assert (big.data, big.size_bytes) == (None, 5000) and ok.data == b"O" * 10


async def test_file_parts_not_multipart_is_415():
    with pytest.raises(NotMultipart):
        await parts(request_of(b"{}", "application/json"))


async def test_file_parts_malformed_header_is_400():
    boundary = "xyz"
    body = f"--{boundary}\r\nContent-Disposition: form-data; name=files; filename=a\r\n".encode() + b"X" * 9000
    with pytest.raises(BadMultipart):
        await parts(request_of(body, f"multipart/form-data; boundary={boundary}", chunk_bytes=9000))
