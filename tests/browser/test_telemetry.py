"""The dashboard's own telemetry: with tracing on, its page loads and JavaScript errors reach
the exporter as spans of the gateway (numbers masked, no URL); with tracing off (every other
browser test's stack) the page sends nothing (test_dashboard checks no /telemetry request)."""

from collections.abc import Iterator

import pytest

from ailurus_tools.otlp_receiver import OtlpReceiver, otlp_receiver, tracing_env
from ailurus_tools.stack import Stack
from tests.browser.conftest import DESKTOP, Session
from tests.support.stacks import running_stack, stack_config


@pytest.fixture(scope="module")
def traced_stack(triton, users_file, tmp_path_factory) -> Iterator[tuple[Stack, OtlpReceiver]]:
    with otlp_receiver() as receiver:
        gateway_env = {"GATEWAY_AUTH_MODE": "local", "GATEWAY_AUTH_USERS_PATH": str(users_file),
                       **tracing_env(receiver.endpoint)}
        config = stack_config(tmp_path_factory.mktemp("traced-browser"), backend="local",
                              triton_grpc_url=triton.grpc_url, extra_env={"gateway": gateway_env})
        with running_stack(config) as stack:
            yield stack, receiver


def test_dashboard_reports_page_load_and_errors_as_spans(browser, traced_stack):
    stack, receiver = traced_stack
    context = browser.new_context(viewport=DESKTOP)
    try:
        session = Session(context, stack.gateway_url)
        page = session.sign_in("viewer")
        page.wait_for_selector(".page-map")
        page.evaluate("setTimeout(() => { throw new Error('trap at 27.1234 88.5 broke'); })")
        spans = receiver.wait_for(lambda spans: {"browser.page_load", "browser.error"} <= {s.name for s in spans},
                                  timeout_s=30)
    finally:
        context.close()
    by_name = {s.name: s for s in spans if s.name.startswith("browser.")}
    assert by_name["browser.page_load"].service == "gateway"
    assert by_name["browser.page_load"].attributes["ailurus.telemetry.page"] in {"map", "signin"}
    message = by_name["browser.error"].attributes["ailurus.telemetry.message"]
    assert "broke" in message and "27" not in message and "88" not in message
    assert any("/api/v1/telemetry" in u for u in session.requests)
