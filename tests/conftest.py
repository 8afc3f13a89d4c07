"""Shared fixtures: the real Triton server and the preprocess service, started once per
session on free loopback ports and always stopped."""

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from ailurus_common.auth import SERVICE_AUDIENCE, LocalIssuer
from ailurus_tools.processes import ManagedProcess, free_port
from ailurus_tools.standins import Azurite, CosmosStandin
from ailurus_tools.triton.server import LocalTriton, TritonSettings

ROOT = Path(__file__).resolve().parents[1]
MODEL_NAME = "ailurus_classifier"
MODEL_DIR = ROOT / "model_repository" / MODEL_NAME
ARTIFACTS = ROOT / "test-artifacts"


@pytest.fixture(scope="session")
def model_dir() -> Path:
    if not (MODEL_DIR / "1" / "model.onnx").is_file():
        pytest.fail("model not built: run `make model` (make test does it)")
    return MODEL_DIR


@pytest.fixture(scope="session")
def logs_dir() -> Path:
    path = ARTIFACTS / "logs"
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="session")
def triton(model_dir: Path, logs_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalTriton]:
    settings = TritonSettings(model_repository=model_dir.parent, work_dir=tmp_path_factory.mktemp("triton"),
                              promoted_models=tmp_path_factory.mktemp("promoted"),
                              http_port=free_port(), grpc_port=free_port(), metrics_port=free_port())
    server = LocalTriton(settings)
    server.start(log_path=logs_dir / "triton.log")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def azurite(logs_dir: Path) -> Iterator[Azurite]:
    """Azurite (Blob + Queue) in memory on free loopback ports."""
    server = Azurite(None, free_port(), free_port(), log_path=logs_dir / "azurite.log")
    try:
        yield server.start()
    finally:
        server.stop()


@pytest.fixture(scope="session")
def cosmos(logs_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[CosmosStandin]:
    """The Cosmos DB stand-in (in memory, our TLS certificate) on a free loopback port."""
    server = CosmosStandin(tmp_path_factory.mktemp("cosmos-cert"), free_port(), log_path=logs_dir / "cosmos.log")
    try:
        yield server.start()
    finally:
        server.stop()


@pytest.fixture(scope="session")
def service_key(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The local signing key the services started here check tokens with."""
    return tmp_path_factory.mktemp("auth") / "local-signing-key.pem"


@pytest.fixture(scope="session")
def service_headers(service_key: Path) -> dict[str, str]:
    """A service token (as the gateway sends) for calling internal services directly."""
    token = LocalIssuer.from_key_file(service_key, audience=SERVICE_AUDIENCE).issue_service("tests")
    return {"Authorization": f"Bearer {token}"}


def start_preprocess(triton_grpc_url: str, logs_dir: Path, service_key: Path, *, ready_path: str = "/readyz",
                     **env: str) -> tuple[ManagedProcess, str]:
    """Start a preprocess service process; returns it and its base URL."""
    port = free_port()
    process = ManagedProcess(
        "preprocess", [sys.executable, "-m", "preprocess"],
        env={"PREPROCESS_PORT": str(port), "PREPROCESS_TRITON_URL": triton_grpc_url,
             "PREPROCESS_MODEL_DIR": str(MODEL_DIR), "PREPROCESS_AUTH_KEY_PATH": str(service_key),
             "PREPROCESS_BLOB_ROOT": str(logs_dir.parent / "preprocess-blobs"), **env},
        ready_url=f"http://127.0.0.1:{port}{ready_path}", log_path=logs_dir / "preprocess.log", cwd=ROOT,
    )
    return process.start(timeout_s=60), f"http://127.0.0.1:{port}"


@pytest.fixture(scope="session")
def preprocess_url(triton: LocalTriton, logs_dir: Path, service_key: Path) -> Iterator[str]:
    process, url = start_preprocess(triton.grpc_url, logs_dir, service_key)
    yield url
    process.stop()
