"""The web dashboard: ``GET /`` (the single-page app), ``/static/...`` (its files and the
vendored libraries), ``GET /api/v1/docs`` (Swagger UI) and ``GET /api/v1/ui/config`` (what
the page needs before it draws).

Public on purpose: the page and its scripts hold no data; every API call the page makes
carries the signed-in user's Bearer token. The HTML is served with a strict Content
Security Policy (scripts only from this origin, never inline) so that text which reaches
the page from the API (file names, EXIF) cannot run as script even if a bug let it in.
"""

from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, PlainTextResponse, RedirectResponse
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
        f"connect-src {connect}", f"frame-src {frame}",
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
                    telemetry=request.app.state.tracing.enabled)


router.mount("/static", _StaticFiles(directory=STATIC_DIR, check_dir=False), name="static")
