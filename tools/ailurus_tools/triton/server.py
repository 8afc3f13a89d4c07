"""Start, probe and stop the Triton server binary shipped in the ``nvidia-pytriton`` wheel."""

import importlib.util
import os
import secrets
import sys
import sysconfig
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from ailurus_tools.processes import ManagedProcess, ProcessError
from ailurus_tools.triton.repository import build_local_repository


class TritonSettings(BaseSettings):
    """Local Triton settings, from ``TRITON_*`` environment variables."""

    model_config = SettingsConfigDict(env_prefix="TRITON_", frozen=True)

    model_repository: Path = Path("model_repository")
    # Models put live by `ailurus models promote` (production folders): part of the served
    # repository on every start, so a restarted server still has what was promoted.
    promoted_models: Path = Path("var/models")
    work_dir: Path = Path("var/triton")
    http_port: int = 8000
    grpc_port: int = 8001
    metrics_port: int = 8002
    # CPU: batch 1 is already cheapest; a long wait to fill batches only adds latency.
    max_queue_delay_us: int = 100
    # One ONNX Runtime thread per inference: 16.6 ms of CPU per image against 20.3 ms with two
    # (measured here, spinning off); concurrent requests keep both cores busy anyway.
    intra_op_threads: int = 1
    # Triton's own OpenTelemetry tracing (its inference spans, joined to the caller's trace
    # through the traceparent header): an OTLP/HTTP traces URL turns it on.
    trace_otlp_url: str | None = None
    # One request in this many is traced by Triton itself (1: every request the caller sends).
    trace_rate: int = Field(default=1, ge=1)
    # How long Triton's exporter gathers spans before it sends them (its batch processor).
    trace_export_delay_ms: int = Field(default=5000, ge=1)
    startup_timeout_s: float = 180.0
    stop_timeout_s: float = 20.0


# As in the chart: model control, configuration and statistics need a key (inference,
# health and metadata stay open to preprocess).
RESTRICTED_APIS = ("model-repository", "model-config", "shared-memory", "statistics", "trace", "logging")
ACCESS_HEADER = "triton-access-token"
GRPC_ACCESS_HEADER = f"triton-grpc-protocol-{ACCESS_HEADER}"  # Triton's prefix for gRPC headers


class TritonError(RuntimeError):
    """The local Triton server could not be started."""


def _wheel_dir() -> Path:
    spec = importlib.util.find_spec("pytriton")
    if spec is None or not spec.submodule_search_locations:
        raise TritonError("nvidia-pytriton is not installed (run `make install`)")
    return Path(next(iter(spec.submodule_search_locations))) / "tritonserver"


def _backend_dir(work_dir: Path) -> Path:
    """Triton looks for the Python stub beside the backend library, not in the model:
    link the wheel's pieces into a backend directory of our own."""
    wheel = _wheel_dir()
    python_dir = work_dir / "backends" / "python"
    python_dir.mkdir(parents=True, exist_ok=True)
    py = f"{sys.version_info.major}.{sys.version_info.minor}"
    links = {
        "libtriton_python.so": wheel / "backends/python/libtriton_python.so",
        "triton_python_backend_utils.py": wheel / "backends/python/triton_python_backend_utils.py",
        "triton_python_backend_stub": wheel / f"python_backend_stubs/{py}/triton_python_backend_stub",
    }
    for name, target in links.items():
        link = python_dir / name
        if link.is_symlink() or link.exists():
            link.unlink()
        link.symlink_to(target)
    return python_dir.parent


def _server_env() -> dict[str, str]:
    env = os.environ.copy()
    # The stub embeds the system libpython: without its LIBDIR first the model fails
    # to load ("'_thread.RLock' object has no attribute '_recursion_count'").
    libdirs = [sysconfig.get_config_var("LIBDIR"), str(_wheel_dir().parent.parent / "nvidia_pytriton.libs")]
    if env.get("LD_LIBRARY_PATH"):
        libdirs.append(env["LD_LIBRARY_PATH"])
    env["LD_LIBRARY_PATH"] = ":".join(libdirs)
    # The stub runs the first python on PATH: it must be this environment's.
    env["PATH"] = f"{Path(sys.executable).parent}:{env.get('PATH', '')}"
    return env


class LocalTriton:
    """One tritonserver process serving the project's model repository on loopback."""

    def __init__(self, settings: TritonSettings) -> None:
        self.settings = settings
        self.models: list[str] = []
        self.process: ManagedProcess | None = None
        self.access_token: str | None = None

    @property
    def repository(self) -> Path:
        """The Python-backend repository the server reads (models are loaded into it by name)."""
        return self.settings.work_dir.resolve() / "model_repository"

    @property
    def access_token_path(self) -> Path:
        """The key of the restricted APIs while the server runs (readable only by its owner)."""
        return self.settings.work_dir.resolve() / "access-token"

    def access_headers(self, *, grpc: bool) -> dict[str, str]:
        """Headers that open the restricted APIs (model control, statistics)."""
        if self.access_token is None:
            raise TritonError("the server is not started")
        return {GRPC_ACCESS_HEADER if grpc else ACCESS_HEADER: self.access_token}

    @property
    def grpc_url(self) -> str:
        return f"127.0.0.1:{self.settings.grpc_port}"

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.settings.http_port}"

    @property
    def metrics_url(self) -> str:
        return f"http://127.0.0.1:{self.settings.metrics_port}/metrics"

    def _trace_args(self) -> list[str]:
        s = self.settings
        if not s.trace_otlp_url:
            return []
        return ["--trace-config=mode=opentelemetry", "--trace-config=level=TIMESTAMPS",
                f"--trace-config=rate={s.trace_rate}", "--trace-config=count=-1",
                f"--trace-config=opentelemetry,url={s.trace_otlp_url}",
                f"--trace-config=opentelemetry,bsp_schedule_delay={s.trace_export_delay_ms}",
                "--trace-config=opentelemetry,resource=service.name=triton"]

    def start(self, *, log_path: Path | None = None) -> None:
        """Start the server and block until every model is ready (strict readiness)."""
        s = self.settings
        work_dir = s.work_dir.resolve()
        repo = self.repository
        self.models = build_local_repository([s.model_repository.resolve(), s.promoted_models.resolve()], repo,
                                             max_queue_delay_us=s.max_queue_delay_us,
                                             intra_op_threads=s.intra_op_threads)
        if not self.models:
            raise TritonError(f"no built model under {s.model_repository} (run `make model`)")
        self.access_token = secrets.token_urlsafe(32)
        token_path = self.access_token_path
        token_path.unlink(missing_ok=True)
        token_path.touch(mode=0o600)
        token_path.write_text(self.access_token, encoding="utf-8")
        restricted = f"{','.join(RESTRICTED_APIS)}:{ACCESS_HEADER}={self.access_token}"
        cmd = [
            str(_wheel_dir() / "bin" / "tritonserver"),
            f"--model-repository={repo}",
            f"--backend-directory={_backend_dir(work_dir)}",
            "--http-address=127.0.0.1", f"--http-port={s.http_port}",
            "--grpc-address=127.0.0.1", f"--grpc-port={s.grpc_port}",
            "--metrics-address=127.0.0.1", f"--metrics-port={s.metrics_port}",
            "--allow-metrics=true", "--allow-gpu-metrics=false",
            "--exit-on-error=true", "--strict-readiness=true",
            # Explicit control: promote loads a model beside the live one and unloads the old
            # one after the switch (zero downtime); at start every model of the repository.
            "--model-control-mode=explicit", *(f"--load-model={name}" for name in self.models),
            f"--http-restricted-api={restricted}", f"--grpc-restricted-protocol={restricted}",
            "--log-verbose=0",
            *self._trace_args(),
        ]
        self.process = ManagedProcess("tritonserver", cmd, env=_server_env(), log_path=log_path,
                                      ready_url=f"{self.http_url}/v2/health/ready")
        try:
            self.process.start(timeout_s=s.startup_timeout_s)
        except ProcessError as exc:
            raise TritonError(str(exc)) from None

    def alive(self) -> bool:
        return self.process is not None and self.process.alive()

    def stop(self) -> None:
        """SIGTERM the server and its Python stubs; SIGKILL after ``stop_timeout_s``."""
        if self.process is not None:
            self.process.stop(timeout_s=self.settings.stop_timeout_s)
