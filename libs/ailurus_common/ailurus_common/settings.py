"""Settings fields every service has; each service subclasses with its own env prefix."""

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServiceSettings(BaseSettings):
    """Common service settings. Subclasses set ``env_prefix`` (``GATEWAY_`` ...)."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    # Loopback by default: a laptop must never expose the stack by accident.
    host: str = "127.0.0.1"
    port: int = Field(ge=1, le=65535)
    # Serve /metrics on a port of its own (the cluster: only Prometheus reaches it, never the
    # Ingress); unset, on the service's port (the laptop, loopback only).
    metrics_port: int | None = Field(default=None, ge=1, le=65535)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_json: bool = True
    # Idle keep-alive connections stay open this long: longer than the load balancer's and
    # the clients' pools (60 s is common), or a reused connection meets a reset.
    keep_alive_s: int = Field(default=75, ge=1)
