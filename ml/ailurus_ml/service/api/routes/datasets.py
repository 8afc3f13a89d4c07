"""``/v1/datasets``: the dataset snapshots (counts; their images' blob and file names only for
the batch jobs that classify them, never their labels)."""

from fastapi import APIRouter

from ailurus_common.contracts.ml import DATASETS_PATH, DatasetDetail, DatasetImages, DatasetList
from ailurus_ml.service.api.deps import LifecycleDep

router = APIRouter(prefix=DATASETS_PATH, tags=["datasets"])


@router.get("", response_model=DatasetList)
async def list_datasets(lifecycle: LifecycleDep) -> DatasetList:
    return await lifecycle.datasets()


@router.get("/{dataset_id}", response_model=DatasetDetail)
async def get_dataset(dataset_id: str, lifecycle: LifecycleDep) -> DatasetDetail:
    """One snapshot with its counts per class, site, site and class, and problem code."""
    return await lifecycle.dataset(dataset_id)


@router.get("/{dataset_id}/images", response_model=DatasetImages)
async def get_dataset_images(dataset_id: str, lifecycle: LifecycleDep) -> DatasetImages:
    """Every image of a snapshot: its blob in ``datasets`` and its source file's name."""
    return await lifecycle.dataset_images(dataset_id)
