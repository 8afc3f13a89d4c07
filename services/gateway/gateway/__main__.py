"""``python -m gateway``: serve on the configured host and port."""

import uvicorn

from ailurus_common.http import serve_metrics
from gateway.config import GatewaySettings, get_settings
from gateway.main import create_app


def uvicorn_options(settings: GatewaySettings) -> dict:
    """How uvicorn serves the gateway. ``X-Forwarded-For`` names the client (the sign-in
    brake's key) only from the configured proxies: uvicorn's own default trusts it from
    127.0.0.1, which lets any local caller pick a fresh address per guess."""
    proxies = ",".join(settings.trusted_proxies)
    return {"host": settings.host, "port": settings.port, "log_config": None,
            "timeout_keep_alive": settings.keep_alive_s, "timeout_graceful_shutdown": 10,
            "proxy_headers": bool(proxies), "forwarded_allow_ips": proxies or ""}


if __name__ == "__main__":
    settings = get_settings()
    serve_metrics(settings)
    uvicorn.run(create_app(settings), **uvicorn_options(settings))
