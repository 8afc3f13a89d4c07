"""Upload bodies read as a stream of file parts: each file of the repeated field is handed
on as soon as it has arrived, so classifying it overlaps the upload of the next, and a file
over the per-file limit is refused while it streams (its bytes are dropped, never held
whole in memory or spooled to disk). The caller applies back-pressure: while it does not
ask for the next part, no more of the body is read."""

from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request

from ailurus_common.errors import AilurusError, ErrorCode

# Headers of one part (Content-Disposition, Content-Type) are small; anything else is refused.
_MAX_HEADER_BYTES = 4096


class BadMultipart(AilurusError):
    status_code = 400
    code = ErrorCode.BAD_REQUEST


class NotMultipart(AilurusError):
    status_code = 415
    code = ErrorCode.UNSUPPORTED_MEDIA_TYPE


@dataclass
class FilePart:
    """One file of the field: its bytes, or None when it was over ``max_file_bytes``."""

    filename: str
    data: bytes | None
    size_bytes: int


@dataclass
class _Current:
    name: str = ""
    filename: str | None = None
    chunks: list[bytes] = field(default_factory=list)
    size_bytes: int = 0


class _Collector:
    """python-multipart callbacks: keeps the parts of ``field_name`` that carry a file name."""

    def __init__(self, field_name: str, max_file_bytes: int) -> None:
        self.field_name = field_name
        self.max_file_bytes = max_file_bytes
        self.done: list[FilePart] = []
        self._headers: dict[bytes, bytes] = {}
        self._header_field = b""
        self._header_value = b""
        self._part = _Current()

    def callbacks(self) -> dict:
        return {"on_part_begin": self._begin, "on_part_data": self._data, "on_part_end": self._end,
                "on_header_field": self._field, "on_header_value": self._value, "on_header_end": self._header_end,
                "on_headers_finished": self._headers_finished}

    def _begin(self) -> None:
        self._headers, self._part = {}, _Current()

    def _field(self, data: bytes, start: int, end: int) -> None:
        self._header_field += data[start:end]

    def _value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]
        if len(self._header_field) + len(self._header_value) > _MAX_HEADER_BYTES:
            raise BadMultipart("a multipart part header is too long")

    def _header_end(self) -> None:
        self._headers[self._header_field.lower()] = self._header_value
        self._header_field = self._header_value = b""

    def _headers_finished(self) -> None:
        _, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        self._part.name = options.get(b"name", b"").decode("utf-8", errors="replace")
        filename = options.get(b"filename")
        self._part.filename = filename.decode("utf-8", errors="replace") if filename is not None else None

    def _wanted(self) -> bool:
        return self._part.name == self.field_name and self._part.filename is not None

    def _data(self, data: bytes, start: int, end: int) -> None:
        if not self._wanted():
            return  # other fields are not read into memory at all
        part = self._part
        part.size_bytes += end - start
        if part.size_bytes <= self.max_file_bytes:
            part.chunks.append(data[start:end])
        else:
            part.chunks.clear()  # over the limit: the rest streams past

    def _end(self) -> None:
        if self._wanted():
            part = self._part
            data = b"".join(part.chunks) if part.size_bytes <= self.max_file_bytes else None
            self.done.append(FilePart(part.filename or "unnamed", data, part.size_bytes))
        self._part = _Current()


async def file_parts(request: Request, *, field_name: str, max_file_bytes: int) -> AsyncIterator[FilePart]:
    """The files of the repeated multipart field ``field_name``, in order, as they arrive."""
    content_type, options = parse_options_header(request.headers.get("content-type", ""))
    if content_type != b"multipart/form-data" or not options.get(b"boundary"):
        raise NotMultipart("send the images as multipart/form-data, repeated field 'files'")
    collector = _Collector(field_name, max_file_bytes)
    parser = MultipartParser(options[b"boundary"], collector.callbacks())
    async for chunk in request.stream():
        try:
            parser.write(chunk)
        except AilurusError:
            raise
        except Exception as exc:  # noqa: BLE001 - any parser complaint about a client's body is a 400
            raise BadMultipart(f"the multipart body is malformed: {exc}") from None
        while collector.done:
            yield collector.done.pop(0)
    parser.finalize()
    while collector.done:
        yield collector.done.pop(0)
