"""The whole stack on the Azure stand-ins, sharing the session's Triton, Azurite and Cosmos."""

from collections.abc import Iterator

import httpx
import pytest

from ailurus_tools.stack import Stack
from tests.support.auth import auth_headers
from tests.support.openapi import OpenApiChecker
from tests.support.stacks import running_stack, stack_config


@pytest.fixture(scope="package")
def azure_stack(triton, azurite, cosmos, tmp_path_factory) -> Iterator[Stack]:
    config = stack_config(tmp_path_factory.mktemp("stack"), triton_grpc_url=triton.grpc_url,
                          extra_env={"ingest": {"INGEST_COSMOS_DATABASE": "e2e"}})
    with running_stack(config, azurite=azurite, cosmos=cosmos) as stack:
        yield stack


@pytest.fixture(scope="package")
def openapi_check(azure_stack) -> OpenApiChecker:
    """Checks every JSON answer of the clients below against the gateway's OpenAPI document."""
    return OpenApiChecker.of(azure_stack.gateway_url)


@pytest.fixture(scope="package")
def client_for(azure_stack, openapi_check):
    """``client_for(role, app_only=False)``: an API client whose every answer is checked."""
    clients: list[httpx.Client] = []

    def make(role: str = "admin", *, app_only: bool = False) -> httpx.Client:
        client = httpx.Client(base_url=azure_stack.gateway_url, timeout=120,
                              headers=auth_headers(azure_stack, role, app_only=app_only),
                              event_hooks={"response": [openapi_check]})
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture(scope="package")
def api(client_for) -> httpx.Client:
    return client_for("admin")
