"""A zip archive written as a stream: ``zipfile`` on an output that cannot seek writes each
entry with a data descriptor after its bytes, so nothing needs to be revisited and the
archive leaves in chunks as it is written."""

import zipfile
from typing import IO


class ChunkSink:
    """A write-only byte sink whose contents are taken out with ``drain``. It has no
    ``tell``/``seek``: ``zipfile`` then streams instead of patching headers."""

    def __init__(self) -> None:
        self._chunks: list[bytes] = []
        self.buffered_bytes = 0

    def write(self, data: bytes) -> int:
        self._chunks.append(bytes(data))
        self.buffered_bytes += len(data)
        return len(data)

    def flush(self) -> None:
        """Nothing to do: ``drain`` hands the bytes on."""

    def drain(self) -> bytes:
        data = b"".join(self._chunks)
        self._chunks.clear()
        self.buffered_bytes = 0
        return data


class StreamingZip:
    """``zipfile.ZipFile`` over a ``ChunkSink``: write entries, ``drain`` what is ready."""

    def __init__(self) -> None:
        self.sink = ChunkSink()
        self.zip = zipfile.ZipFile(self.sink, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6)

    def open(self, name: str) -> IO[bytes]:
        """An entry to write into; zip64 from the start, as its size is not known yet."""
        return self.zip.open(name, "w", force_zip64=True)

    def write_entry(self, name: str, data: bytes) -> None:
        self.zip.writestr(name, data)

    def drain(self) -> bytes:
        return self.sink.drain()

    def close(self) -> bytes:
        """Write the central directory; the archive's last bytes."""
        self.zip.close()
        return self.sink.drain()
