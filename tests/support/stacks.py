"""Whole stacks for the suites that need their own: free loopback ports, always stopped."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ailurus_tools.processes import free_port
from ailurus_tools.stack import Stack, StackConfig


def stack_config(data_dir: Path, *, backend: str = "azure", **overrides) -> StackConfig:
    """A stack's configuration with its services on free ports (``triton_grpc_url`` to share
    the session's Triton, else ``triton_ports`` for one of its own)."""
    return StackConfig(backend=backend, data_dir=data_dir, gateway_port=free_port(), preprocess_port=free_port(),
                       ingest_port=free_port(), worker_port=free_port(), ml_port=free_port(),
                       notifier_port=free_port(), **overrides)


@contextmanager
def running_stack(config: StackConfig, **standins) -> Iterator[Stack]:
    """The stack started (stand-ins passed in are used, not owned), stopped afterwards."""
    stack = Stack(config, **standins).start()
    try:
        yield stack
    finally:
        stack.stop()
