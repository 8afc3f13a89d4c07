"""The web dashboard: ``GET /`` (the single-page app), ``/static/...`` (its files and the
vendored libraries), ``GET /api/v1/docs`` (Swagger UI) and ``GET /api/v1/ui/config`` (what
the page needs before it draws).

Public on purpose: the page and its scripts hold no data; every API call the page makes
carries the signed-in user's Bearer token. The HTML is served with a strict Content
Security Policy (scripts only from this origin, never inline) so that text which reaches
the page from the API (file names, EXIF) cannot run as script even if a bug let it in.
"""

import hashlib
import json
import os
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, PlainTextResponse, RedirectResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from gateway.api.deps import SettingsDep
from gateway.schemas import ErrorResponse, UiConfig

STATIC_DIR = Path(__file__).resolve().parents[2] / "static"

router = APIRouter(tags=["dashboard"])

_COMMON_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}


class _StaticFiles(StaticFiles):
    """StaticFiles that always revalidates (ETag), so a new release is picked up at once.
    The page itself is served only at ``/``, with its CSP and framing protection."""

    async def get_response(self, path: str, scope: Scope):
        if Path(path).name == "index.html":
            return RedirectResponse("/", status_code=308)
        return await super().get_response(path, scope)

    def file_response(self, full_path, stat_result, scope: Scope, status_code: int = 200):
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers.update({**_COMMON_HEADERS, "Cache-Control": "no-cache"})
        return response


def tile_origin(tile_url: str) -> str | None:
    """The origin a tile URL template loads from, as a CSP source (``{s}`` subdomains
    become a wildcard); None for no tiles or tiles served by the gateway itself."""
    if not tile_url or tile_url.startswith("/"):
        return None
    parts = urlsplit(tile_url.replace("{s}", "subdomain"))
    host = parts.netloc.replace("subdomain", "*")
    return f"{parts.scheme}://{host}"


@lru_cache
def content_security_policy(tile_url: str, auth_origins: tuple[str, ...] = ()) -> str:
    """Only this origin, plus the tile host for images and the identity provider for MSAL's
    token calls (``connect-src``) and silent-renewal iframe (``frame-src``)."""
    tiles = tile_origin(tile_url)
    img = " ".join(["'self'", "data:", "blob:", *([tiles] if tiles else [])])
    connect = " ".join(["'self'", *auth_origins])
    frame = " ".join(auth_origins) or "'none'"
    return "; ".join([
        "default-src 'self'", "script-src 'self'", "style-src 'self'", f"img-src {img}",
        f"connect-src {connect}", f"frame-src {frame}", "worker-src 'self'", "manifest-src 'self'",
        "object-src 'none'", "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'",
    ])


@router.get("/", include_in_schema=False, response_model=None)
async def index(settings: SettingsDep) -> FileResponse | PlainTextResponse:
    if not (STATIC_DIR / "vendor" / ".ailurus-stamp").is_file():
        # A page without its libraries would be blank: say what is missing instead.
        return PlainTextResponse("dashboard libraries are not vendored: run scripts/vendor.sh (make install)",
                                 status_code=503, headers={"Retry-After": "60"})
    auth_origins = (settings.entra_authority_host.rstrip("/"),) if settings.auth_mode == "entra" else ()
    headers = {**_COMMON_HEADERS, "Content-Security-Policy": content_security_policy(settings.ui_tile_url, auth_origins),
               "X-Frame-Options": "DENY", "Cache-Control": "no-cache",
               # The trap form may use the phone's position; nothing else the page needs.
               "Permissions-Policy": "geolocation=(self), camera=(), microphone=(), payment=()"}
    return FileResponse(STATIC_DIR / "index.html", media_type="text/html; charset=utf-8", headers=headers)


# Not part of the offline shell: source maps, the API docs page and its library, licences.
_NOT_SHELL = (".map", "LICENSE", "LICENSE.md", ".ailurus-stamp", "index.html", "docs.html", "sw.js")


def shell_files() -> tuple[list[str], str]:
    """The URLs of every file the dashboard may load (page scripts, catalogues, vendored
    libraries, styles, images) and a version that changes when any of them does."""
    files, digest = [], hashlib.sha256()
    # os.walk with followlinks: static/vendor may be a link to the vendored copy (worktrees).
    found = (Path(folder) / name for folder, _, names in os.walk(STATIC_DIR, followlinks=True) for name in names)
    for path in sorted(found):
        relative = path.relative_to(STATIC_DIR).as_posix()
        if not path.is_file() or relative.startswith(("vendor/swagger-ui/", "js/docs.js")) \
                or path.name.endswith(_NOT_SHELL) or path.name.startswith("."):
            continue
        stat = path.stat()
        files.append(f"/static/{relative}")
        digest.update(f"{relative}:{stat.st_size}:{stat.st_mtime_ns}\n".encode())
    digest.update((STATIC_DIR / "sw.js").read_bytes())
    digest.update((STATIC_DIR / "index.html").read_bytes())
    return files, digest.hexdigest()[:16]


@router.get("/sw.js", include_in_schema=False)
async def service_worker() -> Response:
    """The service worker, from the site root so that its scope is the whole dashboard,
    with the shell's file list and version written in (CSP: script-src 'self' covers it)."""
    files, version = shell_files()
    shell = json.dumps({"version": version, "files": files})
    body = f"self.AILURUS_SHELL = {shell};\n{(STATIC_DIR / 'sw.js').read_text()}"
    return Response(body, media_type="text/javascript; charset=utf-8",
                    headers={**_COMMON_HEADERS, "Cache-Control": "no-cache", "Service-Worker-Allowed": "/"})


# Swagger UI sets style attributes as it renders (React): styles may be inline, scripts never.
DOCS_CSP = "; ".join([
    "default-src 'self'", "script-src 'self'", "style-src 'self' 'unsafe-inline'", "img-src 'self' data:",
    "connect-src 'self'", "object-src 'none'", "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'",
])


@router.get("/api/v1/docs", include_in_schema=False, response_model=None)
async def api_docs() -> FileResponse | PlainTextResponse:
    """Swagger UI on the OpenAPI document, from the vendored copy (no CDN), under its own CSP."""
    if not (STATIC_DIR / "vendor" / "swagger-ui" / "swagger-ui-bundle.js").is_file():
        return PlainTextResponse("Swagger UI is not vendored: run scripts/vendor.sh (make install)",
                                 status_code=503, headers={"Retry-After": "60"})
    headers = {**_COMMON_HEADERS, "Content-Security-Policy": DOCS_CSP, "X-Frame-Options": "DENY",
               "Cache-Control": "no-cache"}
    return FileResponse(STATIC_DIR / "docs.html", media_type="text/html; charset=utf-8", headers=headers)


@router.get("/api/v1/ui/config", tags=["dashboard"], response_model=UiConfig,
            responses={503: {"model": ErrorResponse, "description": "Unavailable now"}})
async def ui_config(settings: SettingsDep, request: Request) -> UiConfig:
    """Map tiles for the dashboard: ``tile_url`` empty means no base map (markers and
    heat on a plain background, e.g. offline in the field office); ``telemetry``: whether
    the dashboard reports its timings (only while the gateway's tracing is on)."""
    return UiConfig(tile_url=settings.ui_tile_url, tile_attribution=settings.ui_tile_attribution,
                    telemetry=request.app.state.tracing.enabled,
                    field_check_distance_m=settings.field_check_distance_m)


router.mount("/static", _StaticFiles(directory=STATIC_DIR, check_dir=False), name="static")
