"""``python -m notifier``: serve on the configured host and port."""

import uvicorn

from ailurus_common.http import serve_metrics
from notifier.config import get_settings
from notifier.main import create_app

if __name__ == "__main__":
    settings = get_settings()
    serve_metrics(settings)
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_config=None,
                timeout_keep_alive=settings.keep_alive_s, timeout_graceful_shutdown=10)
