"""Promote a registered version or roll back, with the gate and the ``champion`` alias: the
one procedure the CLI and the ML admin service both run.

Registry calls (MLflow, blocking) go through ``run``: a worker thread by default, the
service's one registry thread there. The switch itself is ``Serving``'s (zero downtime).
"""

import asyncio
import functools
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ailurus_common.contracts.serving import ServedModel
from ailurus_ml.errors import MlError, MlErrorCode
from ailurus_ml.gate import GateRule, GateVerdict, judge_logged
from ailurus_ml.registry import CHAMPION, ModelNotFound, Registry
from ailurus_ml.serving import Serving, Switch

Run = Callable[..., Awaitable[Any]]


class GateRefused(MlError):
    """The version does not pass the promotion gate (nothing was switched)."""

    code = MlErrorCode.GATE_FAILED

    def __init__(self, message: str, *, name: str, version: int, verdict: GateVerdict) -> None:
        super().__init__(message)
        self.name, self.version, self.verdict = name, version, verdict


@dataclass(frozen=True)
class Promotion:
    switch: Switch
    forced: bool
    verdict: GateVerdict


def follow_champion(registry: Registry, model: ServedModel, *, replaced: ServedModel | None = None) -> None:
    """The registry's ``champion`` alias follows what serves. The base model is not registered:
    back on it, the alias leaves the model that was replaced (or a service following the alias
    would promote that model straight back)."""
    if model.version is None:
        if replaced is not None and replaced.version is not None:
            try:
                registry.delete_alias(replaced.name, CHAMPION)
            except ModelNotFound:
                pass
        return
    try:
        registry.set_alias(model.name, CHAMPION, model.version)
    except ModelNotFound:
        pass


async def promote_version(registry: Registry, serving: Serving, name: str, version: int, *, rule: GateRule,
                          force: bool = False, run: Run = asyncio.to_thread) -> Promotion:
    """Judge ``name:version`` against the live model's metrics logged beside its own, then put
    it live.

    Raises:
        ModelNotFound: no such model or version.
        GateRefused: the gate fails and ``force`` is not set.
        ServingError: already live, or Triton did not load it (nothing switched).
    """
    info = await run(registry.show, name, version=version, details=False)
    verdict = judge_logged(info.metrics, rule=rule)
    if not verdict.passed and not force:
        why = "; ".join(check.reason for check in verdict.checks if check.passed is False) or "; ".join(verdict.reasons)
        raise GateRefused(f"{info.name} v{info.version} does not pass the gate: {why}", name=info.name,
                          version=info.version, verdict=verdict)
    with tempfile.TemporaryDirectory(prefix="ailurus-promote-") as staging:
        folder = await run(registry.download, info.name, info.version, Path(staging))
        switch = await serving.promote(folder, version=str(info.version))
    await run(follow_champion, registry, switch.new)
    return Promotion(switch=switch, forced=not verdict.passed, verdict=verdict)


async def rollback(registry: Registry, serving: Serving, *, run: Run = asyncio.to_thread) -> Switch:
    """Put back the model the live one replaced; ``champion`` follows."""
    switch = await serving.rollback()
    await run(functools.partial(follow_champion, replaced=switch.old), registry, switch.new)
    return switch
