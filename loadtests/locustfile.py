"""Locust load mix for the public API (``/api/v1``): who uses Ailurus and how hard.

- office staff bulk-upload SD-card dumps (20-100 JPEGs per request) to one trap;
- forest guardians upload 1-3 photos from a phone, now and then;
- office staff read the dashboard: trap map, red-panda heatmap, gallery and its thumbnails;
- partner organisations page through traps and filtered media with app-only tokens.

Doubles as a smoke test: any non-2xx, any file not ``classified`` and any exception in a
task is a failure, and the process exits non-zero when one happened.

Host, users, spawn rate and duration come from Locust's own environment variables
(``LOCUST_HOST``, ``LOCUST_USERS``, ``LOCUST_SPAWN_RATE``, ``LOCUST_RUN_TIME``) or flags.
Tokens come from ``AILURUS_TOKEN_<ROLE>`` (ADMIN, UPLOADER, VIEWER, REVIEWER; PARTNER for
the partner's app-only token, else the viewer's); when unset they are minted once at start
with ``python -m gateway.token_cli`` (local auth mode; it reads the same ``GATEWAY_*``
settings as the gateway, e.g. ``GATEWAY_AUTH_KEY_PATH``).
"""

import csv
import itertools
import logging
import os
import random
import subprocess
import sys
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import requests
from locust import HttpUser, between, events, task
from locust.clients import LocustHttpAdapter
from urllib3.util.retry import Retry

ROOT = Path(__file__).resolve().parents[1]
# Read in place, never copied into the repo.
SAMPLES_DIR = Path(os.environ.get("AILURUS_LOAD_SAMPLES_DIR", ROOT.parent / "shared" / "samples" / "cameratrap"))
API = "/api/v1"
JPEG_MAGIC = b"\xff\xd8\xff"
BULK_FILES = (20, 100)  # an SD-card folder per request
FIELD_FILES = (1, 3)  # a guardian's phone upload
UPLOAD_TIMEOUT_S = 300.0
READ_TIMEOUT_S = 30.0
SETUP_TIMEOUT_S = 30.0
THUMBNAILS_PER_GALLERY = 12  # what a gallery page shows above the fold
PARTNER_MAX_PAGES = 5
PARTNER_PAGE_SIZE = 100
PARTNER_GROUPS = ("red_panda", "mammal", "bird", "blank", "other")

log = logging.getLogger("ailurus.load")


@dataclass(frozen=True)
class LoadTrap:
    id: str
    name: str
    latitude: float
    longitude: float
    elevation_m: float


# Red panda country (Singalila, Neora Valley, Langtang); ids that no real trap uses.
TRAPS = (
    LoadTrap("loadtest-singalila", "Load test: Singalila ridge", 27.10, 88.02, 3100),
    LoadTrap("loadtest-neora", "Load test: Neora Valley", 27.07, 88.70, 2700),
    LoadTrap("loadtest-langtang", "Load test: Langtang", 28.21, 85.55, 3300),
)


class LoadState:
    """What the users share: tokens, sample bytes, a unique-suffix counter and tallies."""

    def __init__(self) -> None:
        self.tokens: dict[str, str] = {}
        self.samples: list[tuple[str, bytes]] = []
        self.run_id = uuid.uuid4().hex[:12]
        self._counter = itertools.count()
        self.files: Counter[str] = Counter()
        self.classified: Counter[str] = Counter()
        self.setup_failed = False

    def unique_file(self) -> tuple[str, bytes]:
        """A sample with bytes appended after the JPEG end marker: decoders ignore them,
        the content hash does not, so every file is a new upload and never a duplicate."""
        name, data = random.choice(self.samples)
        n = next(self._counter)
        stem, dot, ext = name.rpartition(".")
        return f"{stem}-{n}{dot}{ext}", data + f"\nailurus-load {self.run_id} {n}\n".encode()


STATE = LoadState()


def _load_samples() -> list[tuple[str, bytes]]:
    samples = []
    for path in sorted(SAMPLES_DIR.iterdir()) if SAMPLES_DIR.is_dir() else []:
        data = path.read_bytes() if path.is_file() else b""
        if data.startswith(JPEG_MAGIC):
            samples.append((path.name, data))
    if not samples:
        raise RuntimeError(f"no sample JPEGs in {SAMPLES_DIR} (set AILURUS_LOAD_SAMPLES_DIR)")
    return samples


def _tokens() -> dict[str, str]:
    """One bearer token per user kind: from the environment, else minted by the CLI (in
    parallel: each mint is a Python start-up of about a second)."""
    wanted = {role: (role, False, os.environ.get(f"AILURUS_TOKEN_{role.upper()}"))
              for role in ("admin", "uploader", "viewer", "reviewer")}
    # Partners call with app-only tokens (coarse positions even with higher roles).
    wanted["partner"] = ("viewer", True, os.environ.get("AILURUS_TOKEN_PARTNER") or os.environ.get("AILURUS_TOKEN_VIEWER"))
    minting = {}
    for kind, (role, app_only, token) in wanted.items():
        if not token:
            cmd = [sys.executable, "-m", "gateway.token_cli", "--role", role, "--subject", f"load-{kind}"]
            minting[kind] = subprocess.Popen([*cmd, "--app-only"] if app_only else cmd, cwd=ROOT, text=True,
                                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    tokens = {kind: token for kind, (_, _, token) in wanted.items() if token}
    for kind, process in minting.items():
        out, err = process.communicate(timeout=120)
        if process.returncode != 0 or not out.strip():
            raise RuntimeError(f"gateway.token_cli for {kind} failed: {err.strip() or process.returncode}")
        tokens[kind] = out.strip()
    return tokens


def _ensure_traps(host: str, admin_token: str) -> None:
    """Create the load-test traps; 409 means one exists already (an earlier run)."""
    with requests.Session() as session:
        session.headers["Authorization"] = f"Bearer {admin_token}"
        for trap in TRAPS:
            body = {"id": trap.id, "name": trap.name, "latitude": trap.latitude, "longitude": trap.longitude,
                    "elevation_m": trap.elevation_m, "timezone": "Asia/Kathmandu",
                    "notes": "created by loadtests/locustfile.py"}
            response = session.post(f"{host}{API}/traps", json=body, timeout=SETUP_TIMEOUT_S)
            if response.status_code not in (201, 409):
                raise RuntimeError(f"POST {API}/traps {trap.id}: {response.status_code} {response.text[:300]}")


@events.init.add_listener
def _on_init(environment, **_kwargs) -> None:
    # Before the run clock starts: minting tokens takes a few seconds.
    try:
        STATE.samples = _load_samples()
        STATE.tokens = _tokens()
    except (OSError, RuntimeError, subprocess.SubprocessError) as exc:
        log.error("load test setup failed: %s", exc)
        STATE.setup_failed = True


@events.test_start.add_listener
def _on_test_start(environment, **_kwargs) -> None:
    try:
        if not STATE.setup_failed:
            _ensure_traps((environment.host or AilurusUser.host).rstrip("/"), STATE.tokens["admin"])
    except (OSError, RuntimeError, requests.RequestException) as exc:
        log.error("load test setup failed: %s", exc)
        STATE.setup_failed = True
    if STATE.setup_failed:
        if environment.runner is not None:
            environment.runner.greenlet.spawn(environment.runner.quit)
        return
    log.info("load test: %d samples from %s, traps %s, run id %s", len(STATE.samples), SAMPLES_DIR,
             ", ".join(t.id for t in TRAPS), STATE.run_id)


def _write_summary(environment, prefix: str) -> None:
    """``<prefix>_summary.csv`` (one row per request type, complete: written after the last
    request, unlike Locust's periodic CSV) and ``<prefix>_errors.csv``; scripts/load.sh prints them.
    Rates are over the whole run, so rows of rare requests compare with the busy ones."""
    stats = environment.stats
    duration_s = max(stats.total.last_request_timestamp - stats.total.start_time, 1.0) if stats.total.num_requests else 1.0
    with open(f"{prefix}_summary.csv", "w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["Type", "Name", "Requests", "Failures", "Duration_s", "Requests_per_s", "Files",
                         "Classified", "Images_per_s", "p50_ms", "p95_ms", "Max_ms"])
        for entry in [*sorted(stats.entries.values(), key=lambda e: e.name), stats.total]:
            uploads = entry.name in STATE.files
            writer.writerow([
                entry.method or "", entry.name, entry.num_requests, entry.num_failures, f"{duration_s:.1f}",
                f"{entry.num_requests / duration_s:.2f}",
                STATE.files[entry.name] if uploads else "", STATE.classified[entry.name] if uploads else "",
                f"{STATE.classified[entry.name] / duration_s:.1f}" if uploads else "",
                f"{entry.get_response_time_percentile(0.5):.0f}", f"{entry.get_response_time_percentile(0.95):.0f}",
                f"{entry.max_response_time or 0:.0f}"])
    with open(f"{prefix}_errors.csv", "w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["Occurrences", "Method", "Name", "Error"])
        for error in stats.errors.values():
            writer.writerow([error.occurrences, error.method, error.name, error.error])


@events.quitting.add_listener
def _on_quitting(environment, **_kwargs) -> None:
    if prefix := getattr(environment.parsed_options, "csv_prefix", None):
        _write_summary(environment, prefix)
    failures = environment.stats.total.num_failures
    exceptions = len(environment.runner.exceptions) if environment.runner else 0
    if STATE.setup_failed or failures or exceptions:
        log.error("load test FAILED: %d failed requests, %d task exceptions%s", failures, exceptions,
                  ", setup failed" if STATE.setup_failed else "")
        environment.process_exit_code = 1


def _not_ok(response) -> str | None:
    """Why a response is not a 2xx, or None. A connection error has status 0 and no body."""
    if 200 <= response.status_code < 300:
        return None
    if not response.status_code:
        return f"no response: {response.error}"
    return f"{response.status_code}: {response.text[:200]}"


# The gateway (uvicorn) closes a keep-alive connection after 5 s idle; a user who waits about
# that long can send on the socket just as it closes and read a reset. HTTP clients and
# browsers retry an idempotent request once in that case (RFC 9110 9.2.2); so do we, for GET
# only. urllib3 logs each retry as a WARNING, which scripts/load.sh shows.
STALE_CONNECTION_RETRY = Retry(total=1, connect=1, read=1, status=0, other=0, allowed_methods=frozenset({"GET"}))


class AilurusUser(HttpUser):
    """Base: one bearer token per user class; no tasks of its own."""

    abstract = True
    host = "http://127.0.0.1:8080"
    role = "viewer"

    def on_start(self) -> None:
        if STATE.setup_failed or self.role not in STATE.tokens:
            self.stop(force=True)
            return
        self.client.headers["Authorization"] = f"Bearer {STATE.tokens[self.role]}"
        for scheme in ("http://", "https://"):
            self.client.mount(scheme, LocustHttpAdapter(pool_manager=None, max_retries=STALE_CONNECTION_RETRY))

    def get_json(self, path: str, name: str, *, params: dict | None = None, expect: str | None = None) -> dict | None:
        """GET a JSON body; a non-2xx, a body that is not JSON or lacks ``expect`` is a failure."""
        with self.client.get(path, params=params, name=name, timeout=READ_TIMEOUT_S, catch_response=True) as response:
            if error := _not_ok(response):
                response.failure(error)
                return None
            try:
                body = response.json()
            except ValueError:
                response.failure("body is not JSON")
                return None
            if expect and expect not in body:
                response.failure(f"no {expect!r} in the body")
                return None
            response.success()
            return body

    def upload(self, count: int, name: str) -> None:
        """POST ``count`` new images to one trap; every file must come back ``classified``."""
        trap = random.choice(TRAPS)
        files = [("files", (*STATE.unique_file(), "image/jpeg")) for _ in range(count)]
        with self.client.post(f"{API}/traps/{trap.id}/images", files=files, name=name, timeout=UPLOAD_TIMEOUT_S,
                              catch_response=True) as response:
            STATE.files[name] += count
            if error := _not_ok(response):
                response.failure(error)
                return
            try:
                results = response.json()["results"]
            except (ValueError, KeyError):
                response.failure("body is not an upload result")
                return
            statuses = Counter(r.get("status") for r in results)
            STATE.classified[name] += statuses["classified"]
            if len(results) != count:
                response.failure(f"{len(results)} results for {count} files")
            elif statuses["classified"] != count:
                # Every file is unique, so even `duplicate` means something went wrong.
                bad = next(r for r in results if r.get("status") != "classified")
                response.failure(f"{dict(statuses)}; e.g. {bad.get('filename')}: {bad.get('status')} {bad.get('error')}")
            else:
                response.success()


class OfficeStaffUploader(AilurusUser):
    """Bulk upload of an SD-card dump, folder by folder, then a pause to pick the next one."""

    weight = 2
    role = "uploader"
    wait_time = between(10, 20)

    @task
    def bulk_upload(self) -> None:
        self.upload(random.randint(*BULK_FILES), f"{API}/traps/[trap_id]/images (bulk)")


class ForestGuardian(AilurusUser):
    """A volunteer sending a few phone photos from the field, rarely."""

    weight = 1
    role = "uploader"
    wait_time = between(15, 45)

    @task
    def field_upload(self) -> None:
        self.upload(random.randint(*FIELD_FILES), f"{API}/traps/[trap_id]/images (field)")


class DashboardReader(AilurusUser):
    """Office staff on the dashboard: the map, the red-panda heatmap, the gallery."""

    weight = 2
    role = "reviewer"
    wait_time = between(2, 6)

    @task(2)
    def trap_map(self) -> None:
        self.get_json(f"{API}/map/traps", name=f"{API}/map/traps", expect="features")

    @task(2)
    def heatmap(self) -> None:
        self.get_json(f"{API}/map/heatmap", params={"group": "red_panda"}, name=f"{API}/map/heatmap?group=red_panda",
                      expect="points")

    @task(3)
    def gallery(self) -> None:
        page = self.get_json(f"{API}/media", params={"limit": 50}, name=f"{API}/media?limit=50", expect="items")
        if not page:
            return
        # Records still being classified by a running upload have no thumbnail yet.
        ids = [m["id"] for m in page["items"] if m.get("status") == "classified" and m.get("has_thumbnail")]
        for media_id in random.sample(ids, min(THUMBNAILS_PER_GALLERY, len(ids))):
            with self.client.get(f"{API}/media/{media_id}/thumbnail", name=f"{API}/media/[id]/thumbnail",
                                 timeout=READ_TIMEOUT_S, catch_response=True) as response:
                if error := _not_ok(response):
                    response.failure(error)
                elif not response.content.startswith(JPEG_MAGIC):
                    response.failure(f"not a JPEG ({response.headers.get('content-type')})")
                else:
                    response.success()


class PartnerApiClient(AilurusUser):
    """A partner's service syncing with an app-only token: traps, then filtered media page by page."""

    weight = 1
    role = "partner"
    wait_time = between(3, 8)

    @task(1)
    def list_traps(self) -> None:
        self.get_json(f"{API}/traps", name=f"{API}/traps", expect="items")

    @task(3)
    def sync_media(self) -> None:
        params = {"trap_id": random.choice(TRAPS).id, "group": random.choice(PARTNER_GROUPS),
                  "min_confidence": 0.1, "limit": PARTNER_PAGE_SIZE}
        page = self.get_json(f"{API}/media", params=params, name=f"{API}/media?trap_id&group&min_confidence",
                             expect="items")
        for _ in range(PARTNER_MAX_PAGES - 1):
            if not page or not page.get("next_cursor"):
                return
            page = self.get_json(f"{API}/media", params={**params, "cursor": page["next_cursor"]},
                                 name=f"{API}/media?cursor=[cursor]", expect="items")
