"""The model registry: every model version with its files, metrics, dataset and code version.

MLflow underneath, through ``MlflowClient`` only: a sqlite file locally, Azure ML's
MLflow-compatible endpoint in production, chosen by ``ML_REGISTRY_URI`` / ``ML_TRACKING_URI``
alone. A version is a run of experiment ``ailurus`` (params, flat metrics, ``metrics.json``
with the nested ones, plots, the model folder as artifacts) plus a registered model version
whose source is that run's model folder. The registered model name is the Triton model
name, and one name keeps one label set: a new label set is a new name (Triton versions of
one model share one config and one labels.txt, so clients would mislabel silently).
Aliases (``champion``, ``challenger``) replace MLflow's deprecated stages.
"""

from __future__ import annotations

import json
import logging
import math
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from ailurus_common.errors import AilurusError, ErrorCode
from ailurus_ml.config import MlSettings
from ailurus_ml.model_folder import ONNX_FILE, ModelFolder, ModelFolderError, inspect_model_folder, sha256_file

if TYPE_CHECKING:
    from mlflow import MlflowClient
    from mlflow.entities.model_registry import ModelVersion

EXPERIMENT = "ailurus"
METRICS_FILE = "metrics.json"
PLOTS_DIR = "plots"
CHAMPION = "champion"
CHALLENGER = "challenger"

TAG_DATASET = "ailurus.dataset_id"
TAG_CODE_VERSION = "ailurus.code_version"
TAG_LABEL_COUNT = "ailurus.label_count"
TAG_MODEL_NAME = "ailurus.model_name"
TAG_LABELS_SHA256 = "ailurus.labels_sha256"
TAG_ONNX_SHA256 = "ailurus.onnx_sha256"
TAG_VERSION_DIR = "ailurus.triton_version_dir"

_PAGE_SIZE = 100
# Azure ML may answer PENDING_REGISTRATION for a while; sqlite answers READY at once.
_REGISTRATION_TIMEOUT_S = 300.0
_REGISTRATION_POLL_S = 1.0
_GIT_TIMEOUT_S = 5.0

log = logging.getLogger(__name__)


class RegistryError(AilurusError):
    """A registry operation that cannot be done as asked (bad input, conflicting label set)."""

    status_code = 400
    code = ErrorCode.BAD_REQUEST


class ModelNotFound(RegistryError):
    """No such registered model, version or alias."""

    status_code = 404
    code = ErrorCode.MODEL_NOT_FOUND


class LabelSetConflict(RegistryError):
    """The model's versions already have another label set: register under a new name."""

    status_code = 409
    code = ErrorCode.CONFLICT


class ArtifactInfo(BaseModel):
    path: str = Field(description="relative to the run's artifact root")
    size_bytes: int | None = None


class ModelVersionInfo(BaseModel):
    """One registered model version, as ``ailurus models show`` prints it."""

    name: str
    version: int
    aliases: list[str]
    status: str
    source: str = Field(description="artifact URI of the model folder")
    run_id: str | None
    created_at: datetime
    dataset_id: str | None
    code_version: str | None
    label_count: int | None
    tags: dict[str, str]
    metrics: dict[str, float] = Field(description="the run's flat numeric metrics")
    params: dict[str, str]
    artifacts: list[ArtifactInfo] | None = Field(default=None, description="every file of the run (show only)")
    evaluation: dict[str, Any] | None = Field(default=None, description="metrics.json, nested metrics included (show only)")


class RegisteredModelInfo(BaseModel):
    name: str
    aliases: dict[str, int]
    versions: list[ModelVersionInfo]


def _import_mlflow() -> Any:
    """Import mlflow with its telemetry off and its INFO chatter quiet.

    MLflow 3 sends anonymous usage data unless ``MLFLOW_DISABLE_TELEMETRY`` is set, and it
    decides once, at import: so the variable is set here, before the first import.
    """
    os.environ["MLFLOW_DISABLE_TELEMETRY"] = "true"
    # A tqdm bar per download call, even for one small file: noise on a script's stderr.
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    import mlflow

    # Schema migrations of a fresh sqlite store log INFO lines; mlflow's handler writes stderr.
    for name in ("mlflow", "alembic"):
        logging.getLogger(name).setLevel(logging.WARNING)
    return mlflow


def current_code_version(repo_dir: Path | None = None) -> str:
    """The git commit of the code (``git rev-parse HEAD``), or ``"unknown"`` outside a checkout."""
    cwd = repo_dir or Path(__file__).resolve().parent
    try:
        done = subprocess.run(["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True,
                              timeout=_GIT_TIMEOUT_S, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    commit = done.stdout.strip()
    return commit if done.returncode == 0 and commit else "unknown"


def _flat_metrics(metrics: Mapping[str, Any]) -> dict[str, float]:
    # MLflow metrics are finite floats: None (no support), NaN and nested values live in metrics.json.
    return {key: float(value) for key, value in metrics.items()
            if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)}


def _param_value(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def _local_sqlite_path(uri: str) -> Path | None:
    prefix = "sqlite:///"
    return Path(uri[len(prefix):]) if uri.startswith(prefix) else None


def _is_local(uri: str) -> bool:
    return uri.startswith(("sqlite:", "file:")) or "://" not in uri


class Registry:
    """Registered models, versions and aliases over an MLflow tracking server and model registry."""

    def __init__(self, *, registry_uri: str, tracking_uri: str | None = None,
                 artifact_root: Path = Path("var/ml/artifacts"), experiment: str = EXPERIMENT) -> None:
        self.registry_uri = registry_uri
        self.tracking_uri = tracking_uri or registry_uri
        self.artifact_root = artifact_root
        self.experiment = experiment
        self._mlflow = _import_mlflow()
        for uri in {self.registry_uri, self.tracking_uri}:
            path = _local_sqlite_path(uri)
            if path is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
        self.client: MlflowClient = self._mlflow.MlflowClient(tracking_uri=self.tracking_uri,
                                                              registry_uri=self.registry_uri)

    @classmethod
    def from_settings(cls, settings: MlSettings) -> Registry:
        """The registry the ``ML_*`` settings name."""
        return cls(registry_uri=settings.registry_uri, tracking_uri=settings.tracking_uri,
                   artifact_root=settings.artifact_root, experiment=settings.experiment)

    # -- writing ---------------------------------------------------------------------------

    def register(self, model_dir: Path, *, name: str, metrics: Mapping[str, Any], params: Mapping[str, Any],
                 dataset_id: str, code_version: str | None = None, plots: Iterable[Path] = (),
                 version_dir: str | None = None) -> ModelVersionInfo:
        """Log a run with the model folder and its evaluation, and register it as a new version.

        Args:
            model_dir: the Triton model folder (``config.pbtxt``, ``labels.txt``, ``taxonomy.json``,
                ``<v>/model.onnx``).
            name: the registered (and Triton) model name.
            metrics: evaluation; top-level finite numbers become run metrics, the whole dict
                (per-class, confusion matrix, None for no support) goes to ``metrics.json``.
            params: training parameters.
            dataset_id: the dataset snapshot it was trained and evaluated on.
            code_version: the code's git commit; None = this checkout's ``HEAD`` (or "unknown").
            plots: image files (confusion matrix ...) kept under ``plots/``.
            version_dir: which ``<v>`` folder holds the ONNX when there are several.

        Returns:
            The new version.

        Raises:
            RegistryError: not a model folder, or a plot is missing.
            LabelSetConflict: ``name`` already holds versions with another label set.
        """
        plots = [Path(plot) for plot in plots]
        for plot in plots:
            if not plot.is_file():
                raise RegistryError(f"plot {plot} does not exist")
        with tempfile.TemporaryDirectory(prefix="ailurus-register-") as staging:
            # Fingerprint and upload one private copy: a build rewriting the folder meanwhile (make
            # model writes labels.txt in place) cannot make the logged files differ from the tags.
            try:
                found = inspect_model_folder(Path(model_dir), name=name, version_dir=version_dir)
                for relative in found.files:
                    (Path(staging) / relative).parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(found.root / relative, Path(staging) / relative)
                folder = inspect_model_folder(Path(staging), name=name, version_dir=found.version_dir)
            except (ModelFolderError, OSError) as error:
                raise RegistryError(str(error)) from error
            return self._register_folder(folder, name=name, metrics=metrics, params=params, dataset_id=dataset_id,
                                         code_version=code_version, plots=plots)

    def _register_folder(self, folder: ModelFolder, *, name: str, metrics: Mapping[str, Any],
                         params: Mapping[str, Any], dataset_id: str, code_version: str | None,
                         plots: list[Path]) -> ModelVersionInfo:
        self._check_label_set(name, folder.labels_sha256)
        tags = {TAG_DATASET: dataset_id, TAG_CODE_VERSION: code_version or current_code_version(),
                TAG_LABEL_COUNT: str(len(folder.labels)), TAG_MODEL_NAME: name,
                TAG_LABELS_SHA256: folder.labels_sha256, TAG_ONNX_SHA256: folder.onnx_sha256,
                TAG_VERSION_DIR: folder.version_dir}

        run = self.client.create_run(self._experiment_id(), run_name=f"register-{name}", tags=tags)
        run_id = run.info.run_id
        try:
            self._log_run(run_id, folder.root, folder.files, name, metrics, params, plots)
        except BaseException:
            self.client.set_terminated(run_id, status="FAILED")
            raise
        self.client.set_terminated(run_id, status="FINISHED")

        created = self._ensure_registered_model(name)
        try:
            version = self.client.create_model_version(name, source=f"{run.info.artifact_uri}/{name}", run_id=run_id,
                                                       tags=tags, description=f"dataset {dataset_id}")
            self._wait_ready(name, version.version)
        except BaseException:
            # A registered model left with no version would look like a model that exists.
            if created:
                self.client.delete_registered_model(name)
            raise
        return self.show(name, version=int(version.version), details=False)

    def _log_run(self, run_id: str, root: Path, files: list[str], name: str, metrics: Mapping[str, Any],
                 params: Mapping[str, Any], plots: list[Path]) -> None:
        from mlflow.entities import Metric, Param

        now_ms = int(time.time() * 1000)
        self.client.log_batch(
            run_id,
            metrics=[Metric(key, value, now_ms, 0) for key, value in _flat_metrics(metrics).items()],
            params=[Param(key, _param_value(value)) for key, value in params.items()],
        )
        with tempfile.TemporaryDirectory(prefix="ailurus-metrics-") as tmp:
            metrics_path = Path(tmp) / METRICS_FILE
            metrics_path.write_text(json.dumps(metrics, indent=2, sort_keys=True, allow_nan=False), encoding="utf-8")
            self.client.log_artifact(run_id, str(metrics_path))
        # File by file (not log_artifacts on the folder): only the model's own files, and symlinked
        # build outputs are copied as their contents.
        for relative in files:
            parent = Path(relative).parent
            artifact_path = name if parent == Path(".") else f"{name}/{parent.as_posix()}"
            self.client.log_artifact(run_id, str(root / relative), artifact_path=artifact_path)
        for plot in plots:
            self.client.log_artifact(run_id, str(plot), artifact_path=PLOTS_DIR)

    def set_alias(self, name: str, alias: str, version: int | str) -> ModelVersionInfo:
        """Point ``alias`` of ``name`` at ``version`` (moving it from any other version).

        Raises:
            ModelNotFound: no such model or version.
            RegistryError: ``alias`` is not a valid alias name.
        """
        from mlflow.exceptions import MlflowException

        self._model_version(name, version=version)
        try:
            self.client.set_registered_model_alias(name, alias, str(version))
        except MlflowException as error:
            if error.error_code == "INVALID_PARAMETER_VALUE":  # reserved or malformed alias ("latest", "v3")
                raise RegistryError(f"{alias!r} cannot be an alias: {error.message}") from error
            raise
        return self.show(name, version=int(version), details=False)

    def delete_alias(self, name: str, alias: str) -> None:
        """Remove ``alias`` from ``name`` (nothing happens when it is not set)."""
        if alias in self._registered_model(name).aliases:
            self.client.delete_registered_model_alias(name, alias)

    # -- reading ---------------------------------------------------------------------------

    def list(self) -> list[RegisteredModelInfo]:
        """Every registered model with its versions (newest first), their metrics and the aliases."""
        models = []
        for model in self._paged(self.client.search_registered_models, order_by=["name ASC"]):
            aliases = {alias: int(version) for alias, version in sorted(model.aliases.items())}
            # search_model_versions leaves ModelVersion.aliases empty: the model's alias map is the truth.
            versions = [self._version_info(version, aliases=[a for a, v in aliases.items() if v == int(version.version)])
                        for version in self._versions(model.name)]
            models.append(RegisteredModelInfo(name=model.name, aliases=aliases, versions=versions))
        return models

    def show(self, name: str, *, version: int | str | None = None, alias: str | None = None,
             details: bool = True) -> ModelVersionInfo:
        """One version (``version``, the one ``alias`` names, or else the newest) with its run.

        Args:
            details: also list the run's artifacts and read ``metrics.json``.

        Raises:
            ModelNotFound: no such model, version or alias.
        """
        model_version = self._model_version(name, version=version, alias=alias)
        info = self._version_info(model_version)
        if details and model_version.run_id:
            info.artifacts = self._artifacts(model_version.run_id)
            info.evaluation = self._evaluation(model_version.run_id, info.artifacts)
        return info

    def get_by_alias(self, name: str, alias: str) -> ModelVersionInfo:
        """The version ``alias`` points at.

        Raises:
            ModelNotFound: no such model or alias.
        """
        return self.show(name, alias=alias, details=False)

    def download(self, name: str, version: int | str, dest: Path) -> Path:
        """Copy one version's model folder under ``dest`` and check the ONNX bytes.

        Returns:
            ``dest/<name>``: ``config.pbtxt``, ``labels.txt``, ``taxonomy.json``, ``<v>/model.onnx``.

        Raises:
            ModelNotFound: no such model or version.
            RegistryError: the downloaded ONNX is not the one registered.
        """
        model_version = self._model_version(name, version=version)
        dest = Path(dest)
        dest.mkdir(parents=True, exist_ok=True)
        local = Path(self._mlflow.artifacts.download_artifacts(artifact_uri=model_version.source, dst_path=str(dest),
                                                               tracking_uri=self.tracking_uri))
        tags = model_version.tags or {}
        expected, version_dir = tags.get(TAG_ONNX_SHA256), tags.get(TAG_VERSION_DIR)
        if expected and version_dir:
            actual = sha256_file(local / version_dir / ONNX_FILE)
            if actual != expected:
                raise RegistryError(f"{name} v{version}: downloaded {ONNX_FILE} has sha256 {actual}, registered {expected}")
        return local

    # -- internals -------------------------------------------------------------------------

    def _experiment_id(self) -> str:
        from mlflow.exceptions import MlflowException

        experiment = self.client.get_experiment_by_name(self.experiment)
        if experiment is not None:
            return experiment.experiment_id
        # A remote tracking server (Azure ML) picks its own artifact store.
        location = self.artifact_root.resolve().as_uri() if _is_local(self.tracking_uri) else None
        try:
            return self.client.create_experiment(self.experiment, artifact_location=location)
        except MlflowException as error:
            if error.error_code != "RESOURCE_ALREADY_EXISTS":
                raise
            # Another process created it between the lookup and the create.
            return self.client.get_experiment_by_name(self.experiment).experiment_id

    def _ensure_registered_model(self, name: str) -> bool:
        from mlflow.exceptions import MlflowException

        try:
            self.client.get_registered_model(name)
            return False
        except MlflowException as error:
            if error.error_code != "RESOURCE_DOES_NOT_EXIST":
                raise
        try:
            self.client.create_registered_model(name, tags={TAG_MODEL_NAME: name},
                                                description="Ailurus camera-trap classifier (Triton model name)")
            return True
        except MlflowException as error:
            if error.error_code != "RESOURCE_ALREADY_EXISTS":
                raise
            return False

    def _check_label_set(self, name: str, labels_sha256: str) -> None:
        for version in self._versions(name, missing_ok=True):
            registered = (version.tags or {}).get(TAG_LABELS_SHA256)
            if registered and registered != labels_sha256:
                raise LabelSetConflict(f"{name} v{version.version} has another label set: a new label set is a new "
                                       f"model name, never a new version of {name}")

    def _wait_ready(self, name: str, version: str) -> None:
        deadline = time.monotonic() + _REGISTRATION_TIMEOUT_S
        while True:
            status = self.client.get_model_version(name, version).status
            if status == "READY":
                return
            if status != "PENDING_REGISTRATION" or time.monotonic() > deadline:
                raise RegistryError(f"{name} v{version}: registration ended as {status}")
            time.sleep(_REGISTRATION_POLL_S)

    def _registered_model(self, name: str) -> Any:
        from mlflow.exceptions import MlflowException

        try:
            return self.client.get_registered_model(name)
        except MlflowException as error:
            if error.error_code == "RESOURCE_DOES_NOT_EXIST":
                raise ModelNotFound(f"no registered model {name!r}") from error
            raise

    def _versions(self, name: str, *, missing_ok: bool = False) -> list[ModelVersion]:
        if missing_ok:
            from mlflow.exceptions import MlflowException

            try:
                self.client.get_registered_model(name)
            except MlflowException as error:
                if error.error_code == "RESOURCE_DOES_NOT_EXIST":
                    return []
                raise
        # Names are checked against MODEL_NAME_PATTERN on register: no quote can reach the filter.
        versions = self._paged(self.client.search_model_versions, filter_string=f"name = '{name}'")
        return sorted(versions, key=lambda version: int(version.version), reverse=True)

    def _model_version(self, name: str, *, version: int | str | None = None, alias: str | None = None) -> ModelVersion:
        from mlflow.exceptions import MlflowException

        model = self._registered_model(name)
        if alias is not None:
            if alias not in model.aliases:
                raise ModelNotFound(f"{name} has no alias {alias!r}")
            version = model.aliases[alias]
        if version is None:
            versions = self._versions(name)
            if not versions:
                raise ModelNotFound(f"{name} has no versions")
            return versions[0]
        if not str(version).isdigit():
            raise ModelNotFound(f"{name}: {version!r} is not a version number")
        try:
            return self.client.get_model_version(name, str(version))
        except MlflowException as error:
            if error.error_code == "RESOURCE_DOES_NOT_EXIST":
                raise ModelNotFound(f"{name} has no version {version}") from error
            raise

    def _version_info(self, version: ModelVersion, *, aliases: list[str] | None = None) -> ModelVersionInfo:
        run = self.client.get_run(version.run_id) if version.run_id else None
        tags = dict(version.tags or {})
        label_count = tags.get(TAG_LABEL_COUNT)
        aliases = list(version.aliases or []) if aliases is None else aliases
        return ModelVersionInfo(
            name=version.name, version=int(version.version), aliases=sorted(aliases),
            status=str(version.status), source=version.source, run_id=version.run_id,
            created_at=datetime.fromtimestamp(version.creation_timestamp / 1000, tz=UTC),
            dataset_id=tags.get(TAG_DATASET), code_version=tags.get(TAG_CODE_VERSION),
            label_count=int(label_count) if label_count and label_count.isdigit() else None,
            tags=tags, metrics=dict(run.data.metrics) if run else {}, params=dict(run.data.params) if run else {},
        )

    def _artifacts(self, run_id: str) -> list[ArtifactInfo]:
        found, pending = [], [None]
        while pending:
            for entry in self.client.list_artifacts(run_id, pending.pop()):
                if entry.is_dir:
                    pending.append(entry.path)
                else:
                    found.append(ArtifactInfo(path=entry.path, size_bytes=entry.file_size))
        return sorted(found, key=lambda artifact: artifact.path)

    def _evaluation(self, run_id: str, artifacts: list[ArtifactInfo]) -> dict[str, Any] | None:
        if not any(artifact.path == METRICS_FILE for artifact in artifacts):
            return None
        with tempfile.TemporaryDirectory(prefix="ailurus-metrics-") as tmp:
            path = self.client.download_artifacts(run_id, METRICS_FILE, tmp)
            return json.loads(Path(path).read_text(encoding="utf-8"))

    @staticmethod
    def _paged(search: Any, **kwargs: Any) -> list[Any]:
        items, token = [], None
        while True:
            page = search(max_results=_PAGE_SIZE, page_token=token, **kwargs)
            items.extend(page)
            token = page.token
            if not token:
                return items
