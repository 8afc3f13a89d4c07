"""The Azure Event Grid sink against a loopback HTTP endpoint standing in for a custom
topic (the SDK publishes to any endpoint URL): what the azure-eventgrid client sends (a
CloudEvents batch, the topic key in ``aeg-sas-key``), and that ingest's outbox (a real
SQLite store) is acknowledged only after the topic accepted the events."""

import json
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from azure.core.exceptions import HttpResponseError

from ailurus_common.contracts.events import EventType, OutboxEvent
from ailurus_common.domain import Group
from ailurus_tools.processes import free_port
from ingest.store.sqlite import SqliteMetadataStore
from notifier.config import NotifierSettings
from notifier.eventgrid import EventGridDispatcher

KEY = "topic-key-for-tests"


@pytest.fixture
def topic():
    state = {"status": 500, "requests": []}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_):
            pass

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            state["requests"].append((self.path, dict(self.headers), json.loads(body)))
            self.send_response(state["status"])
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server, state
    server.shutdown()
    server.server_close()


async def test_events_are_published_as_cloudevents_and_acked_only_once_accepted(topic, tmp_path):
    server, state = topic
    store = SqliteMetadataStore(tmp_path / "m.sqlite3")
    await store.start()
    try:
        events = [OutboxEvent(id=f"e{n}", type=EventType.MEDIA_CLASSIFIED, subject=f"media/{n}", time=datetime.now(UTC),
                              trap_id="t1", group=Group.BIRD,
                              data={"media_id": f"{n}", "trap_id": "t1", "group": "bird", "label": "pheasant",
                                    "confidence": 0.9, "timestamp": "2026-12-01T00:00:00Z", "model": "m:1"})
                  for n in range(3)]
        await store.append_events(events)
        settings = NotifierSettings(sink="eventgrid", eventgrid_key=KEY, log_json=False,
                                    eventgrid_endpoint=f"http://127.0.0.1:{server.server_address[1]}/api/events")
        dispatcher = EventGridDispatcher(settings, source=lambda n: store.pending_events(limit=n),
                                         ack=store.ack_events)
        with pytest.raises(HttpResponseError):  # the topic refuses (after the SDK's retries): nothing is acked
            await dispatcher.publish_once()
        assert [e.id for e in await store.pending_events(limit=10)] == ["e0", "e1", "e2"]
        state["status"] = 200
        assert await dispatcher.publish_once() == 3
        assert await store.pending_events(limit=10) == []
        await dispatcher.publisher.close()
    finally:
        await store.close()
    path, headers, body = state["requests"][-1]
    assert path.startswith("/api/events")
    assert headers["aeg-sas-key"] == KEY
    assert headers["Content-Type"].startswith("application/cloudevents-batch+json")
    assert [e["id"] for e in body] == ["e0", "e1", "e2"]  # the same ids as the refused attempt
    assert [e["id"] for e in state["requests"][0][2]] == ["e0", "e1", "e2"]
    assert all(e["specversion"] == "1.0" and e["type"] == "media.classified" and e["source"] == "/ailurus"
               for e in body)
    assert body[0]["data"] == {"precision": "coarse", "media_id": "0", "trap_id": "t1", "group": "bird",
                               "label": "pheasant", "confidence": 0.9, "timestamp": "2026-12-01T00:00:00Z",
                               "model": "m:1", "sequence_id": None}
