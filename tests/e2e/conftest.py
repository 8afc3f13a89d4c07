"""The whole stack on the Azure stand-ins, sharing the session's Triton, Azurite and Cosmos."""

from collections.abc import Iterator

import httpx
import pytest

from ailurus_tools.processes import free_port
from ailurus_tools.stack import Stack, StackConfig
from tests.support.auth import auth_headers


def stack_config(tmp_path, **overrides) -> StackConfig:
    return StackConfig(backend="azure", data_dir=tmp_path, gateway_port=free_port(), preprocess_port=free_port(),
                       ingest_port=free_port(), **overrides)


@pytest.fixture(scope="package")
def azure_stack(triton, azurite, cosmos, tmp_path_factory) -> Iterator[Stack]:
    config = stack_config(tmp_path_factory.mktemp("stack"), triton_grpc_url=triton.grpc_url,
                          extra_env={"ingest": {"INGEST_COSMOS_DATABASE": "e2e"}})
    stack = Stack(config, azurite=azurite, cosmos=cosmos).start()
    yield stack
    stack.stop()


@pytest.fixture(scope="package")
def api(azure_stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=azure_stack.gateway_url, timeout=120, headers=auth_headers(azure_stack)) as client:
        yield client
