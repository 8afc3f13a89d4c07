"""A webhook receiver process for the notification tests: answers the CloudEvents
validation handshake, checks each delivery's HMAC-SHA256 signature, parses it with the
CloudEvents SDK (structured JSON) and appends it as one JSON line to ``--out``.

``python tests/support/webhook_receiver.py --port P --secret S --out FILE [--fail-first N]``
(``--fail-first``: answer 503 to the first N deliveries, then accept).
"""

import argparse
import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cloudevents.core.bindings.http import HTTPMessage, from_http_event


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--secret", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--fail-first", type=int, default=0)
    args = parser.parse_args()
    lock = threading.Lock()
    state = {"failures_left": args.fail_first}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_):  # quiet
            pass

        def _answer(self, status: int, headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_GET(self):  # readiness
            self._answer(200)

        def do_OPTIONS(self):
            origin = self.headers.get("WebHook-Request-Origin")
            if not origin:
                self._answer(400)
                return
            self._answer(200, {"WebHook-Allowed-Origin": origin, "Allow": "POST"})

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            expected = "sha256=" + hmac.new(args.secret.encode(), body, hashlib.sha256).hexdigest()
            if not hmac.compare_digest(expected, self.headers.get("X-Ailurus-Signature", "")):
                self._answer(401)
                return
            with lock:
                if state["failures_left"] > 0:
                    state["failures_left"] -= 1
                    self._answer(503)
                    return
            event = from_http_event(HTTPMessage(headers={k.lower(): v for k, v in self.headers.items()}, body=body))
            line = {"id": event.get_id(), "type": event.get_type(), "source": event.get_source(),
                    "specversion": event.get_specversion(), "content_type": self.headers.get("Content-Type"),
                    "data": event.get_data()}
            with lock, open(args.out, "a", encoding="utf-8") as out:
                out.write(json.dumps(line) + "\n")
            self._answer(200)

    ThreadingHTTPServer(("127.0.0.1", args.port), Handler).serve_forever()


if __name__ == "__main__":
    main()
