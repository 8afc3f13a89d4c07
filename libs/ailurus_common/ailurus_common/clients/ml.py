"""``MlClient``: the ML admin service (``/v1/datasets``, ``/v1/models``, ``/v1/serving``),
contract models in and out."""

from ailurus_common.auth.service import ServiceTokens
from ailurus_common.clients.base import ServiceClient
from ailurus_common.contracts.ml import (
    DATASETS_PATH,
    MODELS_PATH,
    ROLLBACK_PATH,
    SERVING_PATH,
    DatasetDetail,
    DatasetImages,
    DatasetList,
    ModelList,
    ModelVersionDetail,
    PromoteIn,
    SwitchResult,
    dataset_images_path,
)
from ailurus_common.contracts.serving import ServingState


class MlClient(ServiceClient):
    """Reads answer within ``timeout_s``; a promote or rollback (load, switch, drain, unload)
    within ``switch_timeout_s``."""

    service = "ml"

    def __init__(self, base_url: str, *, timeout_s: float, switch_timeout_s: float, tokens: ServiceTokens,
                 max_connections: int = 8) -> None:
        super().__init__(base_url, timeout_s=timeout_s, max_connections=max_connections, tokens=tokens)
        self._switch_timeout_s = switch_timeout_s

    async def list_datasets(self) -> DatasetList:
        return await self._call("GET", DATASETS_PATH, DatasetList)

    async def get_dataset(self, dataset_id: str) -> DatasetDetail:
        return await self._call("GET", f"{DATASETS_PATH}/{dataset_id}", DatasetDetail)

    async def dataset_images(self, dataset_id: str) -> DatasetImages:
        """Every image of a snapshot (``UpstreamError`` 404 ``dataset_not_found``)."""
        return await self._call("GET", dataset_images_path(dataset_id), DatasetImages)

    async def list_models(self) -> ModelList:
        return await self._call("GET", MODELS_PATH, ModelList)

    async def get_model_version(self, name: str, version: int) -> ModelVersionDetail:
        return await self._call("GET", f"{MODELS_PATH}/{name}/versions/{version}", ModelVersionDetail)

    async def promote(self, name: str, version: int, body: PromoteIn) -> SwitchResult:
        return await self._call("POST", f"{MODELS_PATH}/{name}/versions/{version}/promote", SwitchResult, body=body,
                                timeout_s=self._switch_timeout_s)

    async def rollback(self) -> SwitchResult:
        return await self._call("POST", ROLLBACK_PATH, SwitchResult, timeout_s=self._switch_timeout_s)

    async def serving(self) -> ServingState:
        return await self._call("GET", SERVING_PATH, ServingState)
