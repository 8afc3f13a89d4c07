"""Helpers for upload tests: multipart bodies, unique variants of sample JPEGs."""

from pathlib import Path

import httpx


def files_field(paths: list[Path]) -> list[tuple[str, tuple[str, bytes, str]]]:
    """The repeated multipart field ``files``, in order."""
    return [("files", (p.name, p.read_bytes(), "application/octet-stream")) for p in paths]


def jpeg_variants(path: Path, count: int, *, tag: str = "variant") -> list[tuple[str, bytes]]:
    """``count`` different files that decode to the same picture: bytes after the JPEG
    end marker are ignored by decoders but change the content hash (``tag`` keeps sets apart)."""
    data = path.read_bytes()
    return [(f"{i:03d}-{path.name}", data + f"{tag}-{i}".encode()) for i in range(count)]


def upload(client: httpx.Client, trap_id: str, files: list, *, timeout_s: float = 300) -> list[dict]:
    response = client.post(f"/api/v1/traps/{trap_id}/images", files=files, timeout=timeout_s)
    assert response.status_code == 200, response.text
    return response.json()["results"]
