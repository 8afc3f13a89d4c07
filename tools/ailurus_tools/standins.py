"""Start and stop the local stand-ins for Azure Blob/Queue Storage (Azurite) and Cosmos DB
(``standins/cosmos-server.js`` around ``@vercel/cosmosdb-server``), on 127.0.0.1 only.

Used by the test fixtures and by ``make run BACKEND=azure``. The npm packages are installed
by ``scripts/standins.sh install`` (called from ``start()``; it returns at once when nothing
changed). Neither server answers 200 over plain HTTP on a fixed path (Azurite says 400 to
``/``, the Cosmos stand-in speaks TLS with our own certificate), so readiness is "the TCP
ports accept connections" rather than ``ManagedProcess``'s HTTP probe.
"""

import base64
import socket
import subprocess
import time
from pathlib import Path

from ailurus_tools.processes import ManagedProcess, ProcessError, free_port

ROOT = Path(__file__).resolve().parents[2]
STANDINS_DIR = ROOT / "standins"
SCRIPT = ROOT / "scripts" / "standins.sh"
HOST = "127.0.0.1"

# Azurite's fixed development account (public, documented by Microsoft; not a secret).
AZURITE_ACCOUNT = "devstoreaccount1"
AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
# The Cosmos stand-in ignores authentication, but the SDK signs requests with a base64 key.
COSMOS_KEY = base64.b64encode(b"ailurus-cosmos-standin-any-key").decode()


def _script(*args: str) -> None:
    # Output is not captured: a first npm ci takes about a minute and should say so.
    if subprocess.run(["bash", str(SCRIPT), *args]).returncode != 0:
        raise ProcessError(f"scripts/standins.sh {' '.join(args)} failed (see its output above)")


def ensure_installed() -> None:
    """npm ci the stand-ins if node_modules is missing or stale (fast no-op otherwise)."""
    _script("install")


def make_cert(cert_dir: Path) -> Path:
    """Self-signed certificate for localhost/127.0.0.1 in ``cert_dir`` (kept if still valid)."""
    _script("cert", str(cert_dir))
    return cert_dir / "cert.pem"


def _listening(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=1):
            return True
    except OSError:
        return False


def start_on_ports(process: ManagedProcess, ports: list[int], *, timeout_s: float) -> None:
    """Start ``process`` and block until every port accepts a TCP connection; stop it and
    raise if it exits or the time runs out."""
    # Without this check a leftover server on the same port would look like a ready one.
    busy = [port for port in ports if _listening(port)]
    if busy:
        raise ProcessError(f"{process.name}: {HOST}:{busy[0]} is already in use")
    process.start()
    deadline = time.monotonic() + timeout_s
    pending = list(ports)
    while pending:
        if not process.alive():
            process.stop()
            raise ProcessError(f"{process.name} exited with code {process.process.returncode} "
                               f"(log: {process.log_path})")
        if _listening(pending[0]):
            pending.pop(0)
            continue
        if time.monotonic() > deadline:
            process.stop()
            raise ProcessError(f"{process.name} not listening on {HOST}:{pending[0]} after {timeout_s} s "
                               f"(log: {process.log_path})")
        time.sleep(0.05)


class Azurite:
    """Azurite Blob + Queue. ``data_dir=None`` keeps everything in memory (lost at stop).

    Azurite always starts its Table service too; it is bound to loopback on ``table_port``
    (a free port unless given) and otherwise unused.
    """

    def __init__(self, data_dir: Path | None = None, blob_port: int = 10000, queue_port: int = 10001, *,
                 table_port: int | None = None, log_path: Path | None = None) -> None:
        self.data_dir = data_dir
        self.blob_port = blob_port
        self.queue_port = queue_port
        self.table_port = table_port or free_port()
        self.log_path = log_path
        self.process: ManagedProcess | None = None

    @property
    def blob_endpoint(self) -> str:
        return f"http://{HOST}:{self.blob_port}/{AZURITE_ACCOUNT}"

    @property
    def queue_endpoint(self) -> str:
        return f"http://{HOST}:{self.queue_port}/{AZURITE_ACCOUNT}"

    @property
    def connection_string(self) -> str:
        return (f"DefaultEndpointsProtocol=http;AccountName={AZURITE_ACCOUNT};AccountKey={AZURITE_KEY};"
                f"BlobEndpoint={self.blob_endpoint};QueueEndpoint={self.queue_endpoint};")

    def start(self, *, timeout_s: float = 30.0) -> "Azurite":
        ensure_installed()
        if self.data_dir is None:
            storage = ["--inMemoryPersistence"]
        else:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            storage = ["--location", str(self.data_dir)]
        cmd = [
            str(STANDINS_DIR / "node_modules" / ".bin" / "azurite"),
            "--blobHost", HOST, "--blobPort", str(self.blob_port),
            "--queueHost", HOST, "--queuePort", str(self.queue_port),
            "--tableHost", HOST, "--tablePort", str(self.table_port),
            # The Python SDKs send API versions newer than Azurite 3.35 knows.
            "--skipApiVersionCheck", "--disableTelemetry", "--silent", *storage,
        ]
        # cwd: Azurite falls back to the working directory for its workspace.
        self.process = ManagedProcess("azurite", cmd, log_path=self.log_path, cwd=self.data_dir or STANDINS_DIR)
        # The services start in this order: blob, queue, table.
        start_on_ports(self.process, [self.blob_port, self.queue_port, self.table_port], timeout_s=timeout_s)
        return self

    def alive(self) -> bool:
        return self.process is not None and self.process.alive()

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()


class CosmosStandin:
    """The Cosmos DB stand-in over HTTPS with keep-alive. In memory only: empty at every start.

    azure-cosmos skips TLS verification for 127.0.0.1/localhost unless given an
    ``ssl_config=documents.SSLConfiguration()`` with ``SSLCaCerts=cert_path``; its aio client
    then also needs ``SSLCertFile=cert_path, SSLKeyFile=key_path`` (it loads that pair even
    when unset) and opens a new TLS connection per request (a fresh SSL context each time).
    """

    def __init__(self, cert_dir: Path, port: int = 8091, *, log_path: Path | None = None) -> None:
        self.cert_dir = cert_dir
        self.port = port
        self.log_path = log_path
        self.key = COSMOS_KEY
        self.process: ManagedProcess | None = None

    @property
    def endpoint(self) -> str:
        return f"https://{HOST}:{self.port}/"

    @property
    def cert_path(self) -> Path:
        return self.cert_dir / "cert.pem"

    @property
    def key_path(self) -> Path:
        return self.cert_dir / "key.pem"

    def start(self, *, timeout_s: float = 30.0) -> "CosmosStandin":
        ensure_installed()
        make_cert(self.cert_dir)
        cmd = ["node", str(STANDINS_DIR / "cosmos-server.js"), "--port", str(self.port),
               "--cert-dir", str(self.cert_dir)]
        self.process = ManagedProcess("cosmos-standin", cmd, log_path=self.log_path, cwd=STANDINS_DIR)
        start_on_ports(self.process, [self.port], timeout_s=timeout_s)
        return self

    def alive(self) -> bool:
        return self.process is not None and self.process.alive()

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()
