"""Resumable upload sessions on the Azure stack: chunks, a cut mid-chunk, resume, the
original byte-identical in Azurite, classification as a multipart upload would answer."""

import hashlib
import os
import socket
from urllib.parse import urlsplit

import httpx
import pytest

from tests.e2e.test_upload_path import blob_bytes
from tests.support.auth import auth_headers
from tests.support.report import ARTIFACTS
from tests.support.samples import sample_files
from tests.support.uploads import jpeg_variants

pytestmark = pytest.mark.slow
TRAP = {"id": "e2e-resume", "name": "E2E resume trap", "latitude": 27.71, "longitude": 88.12, "timezone": "Asia/Kathmandu"}
SESSIONS = f"/api/v1/traps/{TRAP['id']}/uploads/sessions"
CHUNK = 64 * 1024


@pytest.fixture(scope="module")
def trap(api) -> dict:
    assert api.post("/api/v1/traps", json=TRAP).status_code in (201, 409)
    return TRAP


def panda_variant(tag: str, *, padding_bytes: int = 0) -> tuple[str, bytes]:
    """The red panda sample made unique (and longer: bytes after the JPEG end are ignored)."""
    path = next(p for p in sample_files("animals") if p.name == "skeydan_red_panda.jpg")
    name, data = jpeg_variants(path, 1, tag=tag)[0]
    return name, data + os.urandom(padding_bytes)


def open_session(client, name: str, data: bytes):
    return client.post(SESSIONS, json={"file_name": name, "size_bytes": len(data),
                                       "sha256": hashlib.sha256(data).hexdigest()})


def put_chunk(client, session_id: str, data: bytes, start: int, end: int):
    return client.put(f"{SESSIONS}/{session_id}", content=data[start:end],
                      headers={"Content-Range": f"bytes {start}-{end - 1}/{len(data)}",
                               "Content-Type": "application/octet-stream"})


def cut_mid_chunk(gateway_url: str, headers: dict, session_id: str, data: bytes, start: int, sent: int) -> None:
    """A PUT whose connection dies after ``sent`` of its CHUNK body bytes (a phone losing signal)."""
    url = urlsplit(gateway_url)
    end = min(start + CHUNK, len(data))
    head = (f"PUT {SESSIONS}/{session_id} HTTP/1.1\r\nHost: {url.netloc}\r\n"
            f"Authorization: {headers['Authorization']}\r\nContent-Type: application/octet-stream\r\n"
            f"Content-Range: bytes {start}-{end - 1}/{len(data)}\r\nContent-Length: {end - start}\r\n\r\n")
    with socket.create_connection((url.hostname, url.port)) as sock:
        sock.sendall(head.encode() + data[start:start + sent])


def test_session_cut_mid_chunk_resumes_and_original_is_byte_identical(api, trap, azure_stack, client_for):
    uploader = client_for("uploader")
    name, data = panda_variant("resume-cut", padding_bytes=600 * 1024)
    opened = open_session(uploader, name, data)
    assert opened.status_code == 201, opened.text
    session = opened.json()
    assert (session["offset_bytes"], session["size_bytes"]) == (0, len(data))
    sid = session["session_id"]
    half = (len(data) // 2) // CHUNK * CHUNK
    for start in range(0, half, CHUNK):
        assert put_chunk(uploader, sid, data, start, start + CHUNK).status_code == 200
    cut_after = CHUNK // 2
    cut_mid_chunk(azure_stack.gateway_url, auth_headers(azure_stack, "uploader"), sid, data, half, cut_after)
    # A new connection (as after a reload) asks where to resume.
    state = uploader.head(f"{SESSIONS}/{sid}")
    assert state.status_code == 200
    resume_at = int(state.headers["Upload-Offset"])
    assert resume_at == half
    resent = half + cut_after - resume_at  # bytes that had gone out before the cut and go again
    result = None
    for start in range(resume_at, len(data), CHUNK):
        answer = put_chunk(uploader, sid, data, start, min(start + CHUNK, len(data)))
        assert answer.status_code == 200, answer.text
        result = answer.json()["result"]
    assert result["status"] == "classified"
    assert result["media_id"] == hashlib.sha256(data).hexdigest()
    assert result["prediction"]["group"] == "red_panda"
    stored = blob_bytes(azure_stack.azurite.connection_string, f"{result['media_id'][:2]}/{result['media_id']}")
    assert stored == data
    assert uploader.get(f"{SESSIONS}/{sid}").json()["error"]["code"] == "upload_session_not_found"
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "resumable-upload.md").write_text("# Resumable upload: a cut mid-chunk\n\n"
                 f"- file: {len(data)} bytes in chunks of {CHUNK}\n"
                 f"- connection cut after {half + cut_after} bytes sent ({cut_after} into a chunk)\n"
                 f"- resumed at byte {resume_at}; bytes sent again after the cut: {resent} "
                 f"(what had gone out of the cut chunk; at most one chunk, {CHUNK} bytes here, "
                 f"1 MiB with the dashboard's default chunk)\n"
                 "- stored original byte-identical (SHA-256 checked by the gateway and by this test)\n")


def test_open_session_stored_bytes_answers_duplicate_without_session(trap, client_for):
    uploader = client_for("uploader")
    name, data = panda_variant("resume-dup")
    sid = open_session(uploader, name, data).json()["session_id"]
    assert put_chunk(uploader, sid, data, 0, len(data)).json()["result"]["status"] == "classified"
    again = open_session(uploader, "renamed.jpg", data)
    assert again.status_code == 200
    body = again.json()
    assert body["session_id"] is None
    assert (body["result"]["status"], body["result"]["media_id"]) == ("duplicate", hashlib.sha256(data).hexdigest())
    assert body["offset_bytes"] == len(data)


def test_put_chunk_wrong_offset_is_409_with_upload_offset(trap, client_for):
    uploader = client_for("uploader")
    name, data = panda_variant("resume-offset")
    sid = open_session(uploader, name, data).json()["session_id"]
    assert put_chunk(uploader, sid, data, 0, CHUNK).status_code == 200
    answer = put_chunk(uploader, sid, data, CHUNK + 100, CHUNK + 200)
    assert answer.status_code == 409
    assert answer.json()["error"]["code"] == "upload_offset_mismatch"
    assert answer.headers["Upload-Offset"] == str(CHUNK)
    assert put_chunk(uploader, sid, data, 0, CHUNK).status_code == 409  # sent twice: refused, not stored twice
    bad_range = uploader.put(f"{SESSIONS}/{sid}", content=b"x", headers={"Content-Range": "bytes 0-0"})
    assert bad_range.json()["error"]["code"] == "invalid_content_range"
    assert uploader.delete(f"{SESSIONS}/{sid}").status_code == 204
    assert uploader.get(f"{SESSIONS}/{sid}").status_code == 404


def test_complete_session_wrong_bytes_is_hash_mismatch_and_dropped(trap, client_for):
    uploader = client_for("uploader")
    name, data = panda_variant("resume-hash")
    declared = open_session(uploader, name, data).json()["session_id"]
    tampered = data[:-1] + bytes([data[-1] ^ 0xFF])
    answer = put_chunk(uploader, declared, tampered, 0, len(tampered))
    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "upload_hash_mismatch"
    assert uploader.get(f"{SESSIONS}/{declared}").status_code == 404


def test_open_session_over_file_limit_is_413(trap, client_for, azure_stack):
    answer = client_for("uploader").post(SESSIONS, json={"file_name": "huge.jpg", "size_bytes": 10**12,
                                                         "sha256": "0" * 64})
    assert (answer.status_code, answer.json()["error"]["code"]) == (413, "too_large")


def test_session_of_another_caller_is_404_viewer_403(trap, client_for, azure_stack, openapi_check):
    name, data = panda_variant("resume-owner")
    sid = open_session(client_for("uploader"), name, data).json()["session_id"]
    partner_token = azure_stack.token("uploader", subject="partner-app", app_only=True)
    partner = httpx.Client(base_url=azure_stack.gateway_url, headers={"Authorization": f"Bearer {partner_token}"},
                           event_hooks={"response": [openapi_check]})
    assert partner.get(f"{SESSIONS}/{sid}").json()["error"]["code"] == "upload_session_not_found"
    assert put_chunk(partner, sid, data, 0, CHUNK).status_code == 404
    partner.close()
    viewer = client_for("viewer")
    assert open_session(viewer, name, data).status_code == 403
    assert viewer.get(f"{SESSIONS}/{sid}").status_code == 403
