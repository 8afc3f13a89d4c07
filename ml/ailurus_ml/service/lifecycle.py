"""What the ML admin service does: reads snapshots and the registry, judges versions with the
gate, and runs one promote or rollback at a time (``ailurus_ml.switching``, the CLI's procedure).

MLflow blocks: every registry call runs on the service's registry thread(s), never on the
event loop, so /healthz and the reads answer while a switch loads, drains and unloads.
"""

import asyncio
import functools
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from ailurus_common.contracts.ml import (
    DatasetDetail,
    DatasetImage,
    DatasetImages,
    DatasetList,
    DatasetSummary,
    Evaluation,
    GateOut,
    ModelList,
    ModelVersionDetail,
    ModelVersionSummary,
    RegisteredModel,
    SwitchResult,
)
from ailurus_common.contracts.serving import ServingState
from ailurus_common.storage.blob import BlobStore
from ailurus_ml.datasets.store import SnapshotStore, image_blob_name
from ailurus_ml.datasets.summary import summarise
from ailurus_ml.errors import ServingError
from ailurus_ml.gate import GateRule, judge_logged
from ailurus_ml.registry import CHAMPION, ModelNotFound, ModelVersionInfo, Registry
from ailurus_ml.service.config import MlServiceSettings
from ailurus_ml.service.errors import SwitchInProgress
from ailurus_ml.service.metrics import LIVE_MODEL, SWITCHES
from ailurus_ml.serving import Serving, Switch
from ailurus_ml.switching import GateRefused, promote_version, rollback

log = logging.getLogger(__name__)


def _file_name(source: str) -> str:
    """The last part of a source path (either slash: imports come from Windows too)."""
    return source.replace("\\", "/").rsplit("/", 1)[-1][-255:]


def _is_live(info: ModelVersionInfo, state: ServingState) -> bool:
    return info.name == state.live.name and state.live.version == str(info.version)


def evaluation_of(logged: dict[str, Any] | None) -> Evaluation | None:
    """The held-out evaluation ``ailurus train`` logs (``metrics.json`` -> ``evaluation``), or
    None for a version registered without one (``ailurus models register`` of any folder)."""
    report = (logged or {}).get("evaluation")
    if not isinstance(report, dict) or "trained" not in report:
        return None
    species, groups = report["trained"]["species"], report["trained"]["groups"]
    live = report.get("live") or {}
    return Evaluation.model_validate({
        "train_sites": report.get("train_sites", []), "test_sites": report.get("test_sites", []),
        "train_images": report.get("train_images", 0), "test_images": report.get("test_images", 0),
        "live_model": live.get("model"), "per_class": species.get("per_class", {}),
        "per_site": report.get("per_site", {}), "confusion": species["confusion"],
        "group_confusion": groups["confusion"], "live_group_confusion": (live.get("groups") or {}).get("confusion"),
        "training_curve": report.get("training_curve", []),
    })


class Lifecycle:
    """The service's state: the blob store, the registry with its thread, the serving switch."""

    def __init__(self, settings: MlServiceSettings, blobs: BlobStore, registry: Registry, serving: Serving) -> None:
        self.settings = settings
        self.blobs = blobs
        self.snapshots = SnapshotStore(blobs)
        self.registry = registry
        self.serving = serving
        self.rule = GateRule.from_settings(settings)
        self._registry_pool = ThreadPoolExecutor(max_workers=settings.registry_threads, thread_name_prefix="registry")
        self._switching = asyncio.Lock()

    async def close(self) -> None:
        self.serving.close()
        self._registry_pool.shutdown(wait=True)

    async def in_registry(self, function: Any, *args: Any, **kwargs: Any) -> Any:
        """``function(*args, **kwargs)`` on the registry thread."""
        return await asyncio.get_running_loop().run_in_executor(self._registry_pool,
                                                                functools.partial(function, *args, **kwargs))

    # datasets ----------------------------------------------------------------------------
    async def datasets(self) -> DatasetList:
        manifests = await self.snapshots.list()
        return DatasetList(items=[DatasetSummary.model_validate(summarise(m)) for m in manifests])

    async def dataset(self, dataset_id: str) -> DatasetDetail:
        return DatasetDetail.model_validate(summarise(await self.snapshots.load(dataset_id)))

    async def dataset_images(self, dataset_id: str) -> DatasetImages:
        """Each image of a snapshot: its blob in ``datasets`` and its source file's name."""
        manifest = await self.snapshots.load(dataset_id)
        return DatasetImages(id=manifest.id, items=[
            DatasetImage(sha256=item.sha256, blob=image_blob_name(item.sha256),
                         file_name=_file_name(item.source) or item.sha256) for item in manifest.items])

    # registry ----------------------------------------------------------------------------
    def _summary(self, info: ModelVersionInfo, state: ServingState) -> dict[str, Any]:
        verdict = judge_logged(info.metrics, rule=self.rule)
        return {**info.model_dump(include={"name", "version", "aliases", "status", "created_at", "dataset_id",
                                           "code_version", "label_count", "metrics"}),
                "gate": GateOut.model_validate(verdict.to_dict()), "live": _is_live(info, state)}

    async def models(self) -> ModelList:
        registered, state = await self.in_registry(self.registry.list), await self.state()
        return ModelList(serving=state, items=[
            RegisteredModel(name=model.name, aliases=model.aliases,
                            versions=[ModelVersionSummary(**self._summary(v, state)) for v in model.versions])
            for model in registered])

    async def version(self, name: str, version: int) -> ModelVersionDetail:
        info = await self.in_registry(self.registry.show, name, version=version)
        return ModelVersionDetail(**self._summary(info, await self.state()), params=info.params,
                                  evaluation=evaluation_of(info.evaluation))

    # serving -----------------------------------------------------------------------------
    async def state(self) -> ServingState:
        state = await self.serving.state()
        LIVE_MODEL.clear()
        LIVE_MODEL.labels(state.live.name, state.live.version or "").set(1)
        return state

    async def promote(self, name: str, version: int, *, force: bool) -> SwitchResult:
        async with self._one_switch("promote"):
            try:
                promotion = await promote_version(self.registry, self.serving, name, version, rule=self.rule,
                                                  force=force, run=self.in_registry)
            except GateRefused:
                SWITCHES.labels("promote", "gate_failed").inc()
                raise
        return await self._result(promotion.switch, forced=promotion.forced)

    async def rollback(self) -> SwitchResult:
        async with self._one_switch("rollback"):
            switch = await rollback(self.registry, self.serving, run=self.in_registry)
        return await self._result(switch)

    async def follow_champion_once(self, name: str) -> SwitchResult | None:
        """Promote ``name@champion`` when it is not what serves; None when nothing was to do
        (no alias, already live, another switch running, or the gate refused it)."""
        if self._switching.locked():
            return None
        try:
            champion = await self.in_registry(self.registry.get_by_alias, name, CHAMPION)
        except ModelNotFound:
            return None
        if _is_live(champion, await self.state()):
            return None
        log.info("registry: %s@%s is v%d, not live: promoting it", name, CHAMPION, champion.version)
        try:
            return await self.promote(name, champion.version, force=False)
        except GateRefused as refused:
            log.warning("registry: %s@%s not promoted: %s", name, CHAMPION, refused.message)
        except (ServingError, SwitchInProgress) as error:
            log.warning("registry: %s@%s not promoted: %s", name, CHAMPION, error)
        return None

    async def follow_champion_forever(self, name: str, *, interval_s: float) -> None:
        """``follow_champion_once`` every ``interval_s``; a failing pass is logged, never fatal."""
        while True:
            try:
                await self.follow_champion_once(name)
            except Exception:  # noqa: BLE001 - a registry or store outage must not end the loop
                log.exception("registry: following %s@%s failed; next try in %.0f s", name, CHAMPION, interval_s)
            await asyncio.sleep(interval_s)

    def _one_switch(self, action: str) -> "_SwitchGuard":
        if self._switching.locked():
            SWITCHES.labels(action, "refused").inc()
            raise SwitchInProgress("another promote or rollback is running; retry once it is done")
        return _SwitchGuard(self._switching, action)

    async def _result(self, switch: Switch, *, forced: bool = False) -> SwitchResult:
        log.info("switched: serving %s (was %s)%s", switch.new, switch.old, ", gate overridden" if forced else "")
        return SwitchResult(old=str(switch.old), new=str(switch.new), old_unloaded=switch.unloaded, forced=forced,
                            serving=await self.state())


class _SwitchGuard:
    """Holds the switch lock for one promote or rollback and counts its outcome."""

    def __init__(self, lock: asyncio.Lock, action: str) -> None:
        self._lock, self._action = lock, action

    async def __aenter__(self) -> None:
        await self._lock.acquire()

    async def __aexit__(self, kind: type | None, error: BaseException | None, _tb: Any) -> None:
        self._lock.release()
        if kind is None:
            SWITCHES.labels(self._action, "done").inc()
        elif not isinstance(error, GateRefused):
            SWITCHES.labels(self._action, "failed").inc()
