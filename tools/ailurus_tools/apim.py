"""What Azure API Management imports for the partner API: the gateway's OpenAPI document
as the gateway serves it, written to ``apim/openapi.json`` (``make apim``).

``python -m ailurus_tools.apim [--check]``: write the file, or with ``--check`` exit 1 when
the shipped file is not what the gateway serves.
"""

import argparse
import json
import sys
import tempfile
from pathlib import Path

from fastapi.testclient import TestClient

ROOT = Path(__file__).resolve().parents[2]
OPENAPI_FILE = ROOT / "apim" / "openapi.json"


def served_openapi() -> dict:
    """``GET /api/v1/openapi.json`` of a gateway built with default settings (no services
    needed: the document does not depend on them; the app's lifespan is not run)."""
    from gateway.config import GatewaySettings
    from gateway.main import API_PREFIX, create_app

    with tempfile.TemporaryDirectory() as tmp:
        settings = GatewaySettings(auth_key_path=Path(tmp) / "key.pem", auth_users_path=Path(tmp) / "users.json",
                                   blob_root=Path(tmp) / "blobs")
        answer = TestClient(create_app(settings)).get(f"{API_PREFIX}/openapi.json")
        answer.raise_for_status()
        return answer.json()


def render(document: dict) -> str:
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="exit 1 when apim/openapi.json is out of date")
    args = parser.parse_args(argv)
    text = render(served_openapi())
    if args.check:
        if not OPENAPI_FILE.exists() or OPENAPI_FILE.read_text() != text:
            print(f"{OPENAPI_FILE.relative_to(ROOT)} is not what the gateway serves: run `make apim`", file=sys.stderr)
            return 1
        return 0
    OPENAPI_FILE.write_text(text)
    print(f"wrote {OPENAPI_FILE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
