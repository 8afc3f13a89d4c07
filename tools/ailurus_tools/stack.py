"""The whole local stack: Triton, preprocess, ingest, the ML admin service, the notifier, gateway,
one worker, and for ``backend="azure"``
Azurite plus the Cosmos DB stand-in. ``make run`` and the end-to-end tests both use it.

``python -m ailurus_tools.stack`` starts it on the default ports, prints the URLs,
restarts a part that dies (with back-off: ``ailurus_tools.supervisor``) and stops
everything on Ctrl-C/SIGTERM.
"""

import argparse
import hashlib
import signal
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

from ailurus_common.auth import DEFAULT_AUDIENCE, SERVICE_AUDIENCE, LocalIssuer, Role
from ailurus_common.queue.settings import JOBS_QUEUE, PENDING_QUEUE
from ailurus_common.telemetry import TracingSettings
from ailurus_tools.processes import ManagedProcess, ProcessError
from ailurus_tools.standins import Azurite, CosmosStandin
from ailurus_tools.supervisor import Part, Supervisor
from ailurus_tools.triton.server import LocalTriton, TritonError, TritonSettings

ROOT = Path(__file__).resolve().parents[2]
# Start order: what each needs is up before it (the gateway calls all but the worker).
SERVICES = ("preprocess", "ingest", "ml", "notifier", "gateway", "worker")


@dataclass
class StackConfig:
    backend: str = "local"  # local: folder + SQLite; azure: Azurite + Cosmos stand-in
    data_dir: Path = ROOT / "var"
    model_repository: Path = ROOT / "model_repository"
    gateway_port: int = 8080
    preprocess_port: int = 8081
    ingest_port: int = 8082
    worker_port: int = 8083
    ml_port: int = 8084
    notifier_port: int = 8085
    triton_ports: tuple[int, int, int] = (8000, 8001, 8002)
    # Use a Triton that is already running (tests share one) instead of starting one.
    triton_grpc_url: str | None = None
    blob_port: int = 10000
    queue_port: int = 10001
    cosmos_port: int = 8091
    # Triton's own traces (OTLP/HTTP URL); None: from the OTEL_* variables, if they export OTLP.
    triton_trace_otlp_url: str | None = None
    triton_trace_export_delay_ms: int | None = None
    # Extra environment per service, e.g. {"worker": {"WORKER_RETRY_BASE_DELAY_S": "1"}}.
    extra_env: dict[str, dict[str, str]] = field(default_factory=dict)


class Stack:
    """Start with ``start()``, always ``stop()``. Stand-ins passed in are used, not owned."""

    def __init__(self, config: StackConfig, *, azurite: Azurite | None = None,
                 cosmos: CosmosStandin | None = None) -> None:
        self.config = config
        c = config
        self.logs = c.data_dir / "logs"
        http, grpc, metrics = c.triton_ports
        self.triton = None if c.triton_grpc_url else LocalTriton(TritonSettings(
            model_repository=c.model_repository, promoted_models=c.data_dir / "models", work_dir=c.data_dir / "triton",
            http_port=http, grpc_port=grpc, metrics_port=metrics,
            trace_otlp_url=c.triton_trace_otlp_url or TracingSettings().otlp_traces_url,
            **({"trace_export_delay_ms": c.triton_trace_export_delay_ms} if c.triton_trace_export_delay_ms else {})))
        self._owned_standins = c.backend == "azure" and azurite is None
        if c.backend == "azure":
            # On disk, so that a restarted Azurite still holds every original it acknowledged.
            self.azurite = azurite or Azurite(c.data_dir / "azurite", c.blob_port, c.queue_port,
                                              log_path=self.logs / "azurite.log")
            self.cosmos = cosmos or CosmosStandin(c.data_dir / "certs", c.cosmos_port, log_path=self.logs / "cosmos.log")
        else:
            self.azurite = self.cosmos = None
        self.services: dict[str, ManagedProcess] = {}
        self._started: list = []

    @property
    def triton_grpc_url(self) -> str:
        return self.config.triton_grpc_url or self.triton.grpc_url

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.config.gateway_port}"

    @property
    def ingest_url(self) -> str:
        return f"http://127.0.0.1:{self.config.ingest_port}"

    @property
    def worker_url(self) -> str:
        return f"http://127.0.0.1:{self.config.worker_port}"

    @property
    def ml_url(self) -> str:
        return f"http://127.0.0.1:{self.config.ml_port}"

    @property
    def notifier_url(self) -> str:
        return f"http://127.0.0.1:{self.config.notifier_port}"

    @property
    def preprocess_url(self) -> str:
        return f"http://127.0.0.1:{self.config.preprocess_port}"

    @property
    def auth_dir(self) -> Path:
        """Local sign-in: the gateway's signing key, users file and first passwords."""
        return self.config.data_dir / "auth"

    def token(self, role: str = "admin", *, subject: str | None = None, app_only: bool = False) -> str:
        """A bearer token for this stack's gateway (local auth mode), signed with its key;
        ``app_only``: as a partner's client-credentials token."""
        env = self._env("gateway")
        issuer = LocalIssuer.from_key_file(Path(env["GATEWAY_AUTH_KEY_PATH"]),
                                           audience=env.get("GATEWAY_AUTH_AUDIENCE", DEFAULT_AUDIENCE))
        return issuer.issue(subject or f"stack-{role}", [Role(role)], app_only=app_only)

    def service_token(self) -> str:
        """A service token (the internal audience, the ``service`` role), as the gateway sends
        to preprocess and ingest: for calling them directly (benchmarks)."""
        return LocalIssuer.from_key_file(Path(self._env("gateway")["GATEWAY_AUTH_KEY_PATH"]),
                                         audience=SERVICE_AUDIENCE).issue_service("stack")

    def _env(self, name: str) -> dict[str, str]:
        c = self.config
        data = c.data_dir / "data"
        key = str(self.auth_dir / "local-signing-key.pem")  # one local key: every service checks its tokens
        env = {
            "preprocess": {"PREPROCESS_PORT": str(c.preprocess_port), "PREPROCESS_TRITON_URL": self.triton_grpc_url,
                           "PREPROCESS_MODEL_DIR": str(c.model_repository / "ailurus_classifier"),
                           "PREPROCESS_AUTH_KEY_PATH": key, "PREPROCESS_BLOB_ROOT": str(data / "blobs")},
            "ingest": {"INGEST_PORT": str(c.ingest_port), "INGEST_SQLITE_PATH": str(data / "metadata.sqlite3"),
                       "INGEST_AUTH_KEY_PATH": key},
            # The model lifecycle: its registry and Triton's model control for this stack's data folder.
            "ml": {"ML_PORT": str(c.ml_port), "ML_AUTH_KEY_PATH": key, "ML_BLOB_ROOT": str(data / "blobs"),
                   "ML_TRITON_GRPC_URL": self.triton_grpc_url, "ML_INGEST_URL": self.ingest_url,
                   "ML_REGISTRY_URI": f"sqlite:///{c.data_dir / 'ml' / 'mlflow.db'}",
                   "ML_ARTIFACT_ROOT": str(c.data_dir / "ml" / "artifacts"), "ML_PROMOTED_DIR": str(c.data_dir / "models"),
                   "ML_TRITON_ACCESS_TOKEN_PATH": str(c.data_dir / "triton" / "access-token"),
                   "ML_TRITON_LOCAL_REPOSITORY": str(c.data_dir / "triton" / "model_repository"),
                   "ML_LIVE_MODEL_DIR": str(c.model_repository / "ailurus_classifier")},
            # Webhooks on this machine's loopback are allowed: the local stack's own receivers.
            "notifier": {"NOTIFIER_PORT": str(c.notifier_port), "NOTIFIER_INGEST_URL": self.ingest_url,
                         "NOTIFIER_SQLITE_PATH": str(data / "notifier.sqlite3"), "NOTIFIER_AUTH_KEY_PATH": key,
                         "NOTIFIER_WEBHOOK_ALLOWED_HOSTS": '["127.0.0.1"]'},
            "gateway": {"GATEWAY_PORT": str(c.gateway_port), "GATEWAY_INGEST_URL": self.ingest_url,
                        "GATEWAY_ML_URL": self.ml_url,
                        "GATEWAY_PREPROCESS_URL": self.preprocess_url, "GATEWAY_BLOB_ROOT": str(data / "blobs"),
                        "GATEWAY_AUTH_KEY_PATH": key, "GATEWAY_NOTIFIER_URL": self.notifier_url,
                        "GATEWAY_QUEUE_SQLITE_PATH": str(data / "queue.sqlite3"),
                        "GATEWAY_AUTH_USERS_PATH": str(self.auth_dir / "users.json"),
                        # Batch jobs read the backlog from this container (var/data/blobs/backlog/ locally).
                        "GATEWAY_JOB_CONTAINERS": '["backlog"]'},
            "worker": {"WORKER_PORT": str(c.worker_port), "WORKER_INGEST_URL": self.ingest_url,
                       "WORKER_PREPROCESS_URL": self.preprocess_url, "WORKER_BLOB_ROOT": str(data / "blobs"),
                       "WORKER_AUTH_KEY_PATH": key, "WORKER_QUEUE_SQLITE_PATH": str(data / "queue.sqlite3")},
        }[name]
        if self.azurite and name in ("gateway", "preprocess", "worker", "ml"):
            prefix = name.upper()
            env |= {f"{prefix}_BLOB_BACKEND": "azure", f"{prefix}_BLOB_CONNECTION_STRING": self.azurite.connection_string}
            if name in ("gateway", "worker"):  # the pending-media queue on Azurite's queue service
                env |= {f"{prefix}_QUEUE_BACKEND": "azure",
                        f"{prefix}_QUEUE_CONNECTION_STRING": self.azurite.connection_string,
                        f"{prefix}_QUEUE_PENDING_NAME": self.pending_queue_name,
                        f"{prefix}_QUEUE_JOBS_NAME": self.jobs_queue_name}
        if self.cosmos and name == "ingest":
            env |= {"INGEST_METADATA_BACKEND": "cosmos", "INGEST_COSMOS_ENDPOINT": self.cosmos.endpoint,
                    "INGEST_COSMOS_KEY": self.cosmos.key}
        # Each service names itself in its spans, whatever OTEL_SERVICE_NAME the shell has.
        env["OTEL_SERVICE_NAME"] = name
        return env | c.extra_env.get(name, {})

    @property
    def pending_queue_name(self) -> str:
        """The pending-media queue: the default name on an Azurite of its own; on one shared
        with other stacks (the tests'), a name of this stack's own, or another stack's worker
        would take its messages (and find none of their media in its own metadata store)."""
        if self._owned_standins:
            return PENDING_QUEUE
        return f"{PENDING_QUEUE}-{hashlib.sha256(str(self.config.data_dir.resolve()).encode()).hexdigest()[:12]}"

    @property
    def jobs_queue_name(self) -> str:
        """The batch jobs' queue, named per stack on a shared Azurite as the pending one is."""
        if self._owned_standins:
            return JOBS_QUEUE
        return f"{JOBS_QUEUE}-{hashlib.sha256(str(self.config.data_dir.resolve()).encode()).hexdigest()[:12]}"

    def service(self, name: str) -> ManagedProcess:
        port = {"preprocess": self.config.preprocess_port, "ingest": self.config.ingest_port,
                "ml": self.config.ml_port, "notifier": self.config.notifier_port, "gateway": self.config.gateway_port,
                "worker": self.config.worker_port}[name]
        module = "ailurus_ml.service" if name == "ml" else name
        return ManagedProcess(name, [sys.executable, "-m", module], env=self._env(name), cwd=ROOT,
                              ready_url=f"http://127.0.0.1:{port}/readyz", log_path=self.logs / f"{name}.log")

    def gateway_replica(self, port: int, *, name: str = "gateway-2") -> ManagedProcess:
        """Another gateway replica of this stack on ``port`` (not started: two-replica tests)."""
        return ManagedProcess(name, [sys.executable, "-m", "gateway"], env=self._env("gateway") | {
            "GATEWAY_PORT": str(port)}, cwd=ROOT, ready_url=f"http://127.0.0.1:{port}/readyz",
            log_path=self.logs / f"{name}.log")

    def start(self) -> "Stack":
        """Start every part in dependency order; on failure stop what started and raise."""
        self.logs.mkdir(parents=True, exist_ok=True)
        try:
            for standin in (self.azurite, self.cosmos):
                if standin and self._owned_standins:
                    standin.start()
                    self._started.append(standin)
            if self.triton:
                self.triton.start(log_path=self.logs / "triton.log")
                self._started.append(self.triton)
            for name in SERVICES:
                self.services[name] = self.service(name)
                self.services[name].start(timeout_s=90)
                self._started.append(self.services[name])
        except Exception:
            self.stop()
            raise
        return self

    def parts(self) -> dict:
        """What this stack started, by name (stand-ins it was handed are not its own)."""
        names = {id(self.triton): "triton", id(self.azurite): "azurite", id(self.cosmos): "cosmos"}
        names |= {id(p): n for n, p in self.services.items()}
        return {names[id(p)]: p for p in self._started}

    def restart(self, name: str) -> None:
        """Start a part again (after it died), on the same ports and data, and wait until it is ready."""
        part = self.parts()[name]
        part.stop()  # reap whatever is left of its process group
        if name == "triton":
            self.triton.start(log_path=self.logs / "triton.log")
        elif name in ("azurite", "cosmos"):
            part.start()
            if name == "cosmos" and "ingest" in self.services:
                # The stand-in starts empty: ingest creates its database and container at start.
                self.services["ingest"].stop()
                self.services["ingest"].start(timeout_s=90)
        else:
            part.start(timeout_s=90)

    def supervisor(self, **options) -> Supervisor:
        """A supervisor that restarts every part of this stack that dies."""
        return Supervisor([Part(name, part.alive, lambda name=name: self.restart(name))
                           for name, part in self.parts().items()], **options)

    def stop(self) -> None:
        for part in reversed(self._started):
            part.stop()
        self._started.clear()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the whole Ailurus stack locally.")
    parser.add_argument("--backend", choices=["local", "azure"], default="local")
    args = parser.parse_args(argv)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    stack = Stack(StackConfig(backend=args.backend))
    print(f"stack: starting ({args.backend} storage; logs in {stack.logs})", flush=True)
    try:
        stack.start()
    except (TritonError, ProcessError) as exc:
        print(f"stack: {exc}", file=sys.stderr)
        return 1
    try:
        passwords = stack.auth_dir / "initial-passwords.txt"
        users = f"passwords in {passwords}" if passwords.exists() else f"users in {stack.auth_dir / 'users.json'}"
        print(f"stack: ready\n  dashboard    {stack.gateway_url}/\n  API + docs   {stack.gateway_url}/api/v1/docs\n"
              f"  worker       {stack.worker_url}/readyz (pending media from the queue)\n"
              f"  Triton       {stack.triton.http_url} (gRPC {stack.triton_grpc_url})\n"
              f"  ML admin     {stack.ml_url} (models page: {stack.gateway_url}/#/models, as admin)\n"
              f"  data         {stack.config.data_dir / 'data'}\n"
              f"  sign in      admin, reviewer, uploader, viewer: {users}; API token: make token ROLE=admin\n"
              "Ctrl-C stops everything.", flush=True)
        supervisor = stack.supervisor(report=lambda message: print(f"stack: {message} (logs in {stack.logs})",
                                                                   file=sys.stderr, flush=True))
        while not stop.wait(1.0):
            supervisor.check()
        return 0
    finally:
        stack.stop()
        print("stack: stopped", flush=True)


if __name__ == "__main__":
    sys.exit(main())
