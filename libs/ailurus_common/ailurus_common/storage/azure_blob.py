"""``BlobStore`` on Azure Blob Storage (or Azurite) through the aio SDK.

One ``BlobServiceClient`` per store, hence one HTTP connection pool. SDK exceptions never
leave this module: a missing blob is ``NotFound``, anything else the service or network
does wrong is ``StorageError`` (503).
"""

import asyncio
import contextlib
import logging
from collections.abc import Iterator
from typing import Any

from azure.core import MatchConditions
from azure.core.exceptions import AzureError, HttpResponseError, ResourceExistsError, ResourceNotFoundError
from azure.core.pipeline.transport import AioHttpTransport
from azure.storage.blob import BlobBlock, ContentSettings
from azure.storage.blob.aio import BlobServiceClient

from ailurus_common.errors import ErrorCode
from ailurus_common.storage.blob import (
    CONTAINERS,
    UPLOADS,
    validate_blob_id_list,
    validate_blob_name,
    validate_container_name,
)
from ailurus_common.storage.errors import NotFound, StorageError

DEFAULT_READY_TIMEOUT_S = 2.0

log = logging.getLogger(__name__)


def _reason(exc: AzureError) -> str:
    """What a caller may read: the service's status and error code, else the kind of failure.
    The SDK's own text (URLs, hosts, response bodies) goes to the log only."""
    log.warning("blob storage: %s", (str(exc).splitlines() or [type(exc).__name__])[0])
    if isinstance(exc, HttpResponseError) and exc.status_code is not None:
        return f"HTTP {exc.status_code} {exc.error_code or ''}".rstrip()
    return type(exc).__name__


@contextlib.contextmanager
def _storage_errors(action: str) -> Iterator[None]:
    """Translate whatever the SDK raises inside into ``StorageError``."""
    try:
        yield
    except AzureError as exc:
        raise StorageError(f"blob storage: {action} failed: {_reason(exc)}") from exc


def _transport() -> AioHttpTransport:
    # No proxy lookup: with azure-core's default (env settings on) aiohttp reads the proxy
    # variables and ~/.netrc on every request (measured with py-spy: a tenth of a service's
    # CPU under upload load). Pods reach Blob Storage directly (private or service endpoint).
    return AioHttpTransport(use_env_settings=False)


class AzureBlobStore:
    """Blobs in Azure Blob Storage. Build with ``from_connection_string`` (Azurite) or
    ``from_account_url`` (DefaultAzureCredential: workload identity on AKS)."""

    def __init__(self, client: BlobServiceClient, *, credential: Any = None,
                 ready_timeout_s: float = DEFAULT_READY_TIMEOUT_S) -> None:
        self._client = client
        self._credential = credential  # owned: closed with the store
        self.ready_timeout_s = ready_timeout_s

    @classmethod
    def from_connection_string(cls, connection_string: str, *, ready_timeout_s: float = DEFAULT_READY_TIMEOUT_S,
                               **client_kwargs: Any) -> "AzureBlobStore":
        """For emulators only. ``client_kwargs`` go to ``BlobServiceClient`` (e.g. ``retry_total``)."""
        client = BlobServiceClient.from_connection_string(connection_string, **{"transport": _transport(), **client_kwargs})
        return cls(client, ready_timeout_s=ready_timeout_s)

    @classmethod
    def from_account_url(cls, account_url: str, *, ready_timeout_s: float = DEFAULT_READY_TIMEOUT_S,
                         **client_kwargs: Any) -> "AzureBlobStore":
        """``https://<account>.blob.core.windows.net`` with ``DefaultAzureCredential``."""
        # Imported here: azure-identity is only needed where a credential is used.
        from azure.identity.aio import DefaultAzureCredential

        credential = DefaultAzureCredential()
        client = BlobServiceClient(account_url, credential=credential, **{"transport": _transport(), **client_kwargs})
        return cls(client, credential=credential, ready_timeout_s=ready_timeout_s)

    async def ensure_containers(self) -> None:
        for container in CONTAINERS:
            with _storage_errors(f"create container {container}"):
                try:
                    await self._client.create_container(container)
                except ResourceExistsError:
                    pass

    async def put(self, container: str, name: str, data: bytes, *, content_type: str,
                  overwrite: bool = False) -> bool:
        validate_container_name(container)
        validate_blob_name(name)
        blob = self._client.get_blob_client(container, name)
        settings = ContentSettings(content_type=content_type)
        with _storage_errors(f"put {container}/{name}"):
            try:
                # overwrite=False sends If-None-Match: * ; the service refuses an existing blob.
                await blob.upload_blob(data, overwrite=overwrite, content_settings=settings)
            except ResourceExistsError:
                return False
            except ResourceNotFoundError as exc:
                raise StorageError(f"container {container!r} does not exist", code=ErrorCode.CONTAINER_NOT_FOUND) from exc
        return True

    async def get(self, container: str, name: str) -> bytes:
        validate_container_name(container)
        validate_blob_name(name)
        blob = self._client.get_blob_client(container, name)
        with _storage_errors(f"get {container}/{name}"):
            try:
                downloader = await blob.download_blob()
                return await downloader.readall()
            except ResourceNotFoundError as exc:
                raise NotFound(f"blob {container}/{name} not found") from exc

    async def exists(self, container: str, name: str) -> bool:
        validate_container_name(container)
        validate_blob_name(name)
        with _storage_errors(f"exists {container}/{name}"):
            return await self._client.get_blob_client(container, name).exists()

    async def list_names(self, container: str, prefix: str = "") -> list[str]:
        validate_container_name(container)
        client = self._client.get_container_client(container)
        with _storage_errors(f"list {container}/{prefix}*"):
            try:
                # The service answers in name order, pages of up to 5,000; the pager follows them.
                names = [blob.name async for blob in client.list_blobs(name_starts_with=prefix or None)]
            except ResourceNotFoundError:
                return []
        return sorted(names)

    async def delete(self, container: str, name: str) -> bool:
        validate_container_name(container)
        validate_blob_name(name)
        blob = self._client.get_blob_client(container, name)
        with _storage_errors(f"delete {container}/{name}"):
            try:
                await blob.delete_blob()
            except ResourceNotFoundError:
                return False
        return True

    def _blob(self, container: str, name: str):
        validate_container_name(container)
        validate_blob_name(name)
        return self._client.get_blob_client(container, name)

    async def stage_block(self, container: str, name: str, block_id: str, data: bytes) -> None:
        validate_blob_id_list([block_id])
        blob = self._blob(container, name)
        with _storage_errors(f"stage a block of {container}/{name}"):
            try:
                await blob.stage_block(block_id, data, length=len(data))  # the SDK base64-encodes the id
            except ResourceNotFoundError as exc:
                raise StorageError(f"container {container!r} does not exist", code=ErrorCode.CONTAINER_NOT_FOUND) from exc

    async def staged_blocks(self, container: str, name: str) -> dict[str, int]:
        blob = self._blob(container, name)
        with _storage_errors(f"list the staged blocks of {container}/{name}"):
            try:
                _committed, uncommitted = await blob.get_block_list("uncommitted")
            except ResourceNotFoundError:
                return {}
        return {block.id: block.size for block in uncommitted}

    async def commit_blocks(self, container: str, name: str, block_ids: list[str], *, content_type: str,
                            overwrite: bool = False) -> bool:
        validate_blob_id_list(block_ids)
        blob = self._blob(container, name)
        # Put Block List: the blob becomes these blocks in one step; staged blocks not named
        # are dropped by the service. IfMissing sends If-None-Match: * (as put does).
        conditions = {} if overwrite else {"match_condition": MatchConditions.IfMissing}
        with _storage_errors(f"commit {container}/{name}"):
            try:
                await blob.commit_block_list([BlobBlock(block_id) for block_id in block_ids],
                                             content_settings=ContentSettings(content_type=content_type), **conditions)
            except ResourceExistsError:
                return False
            except HttpResponseError as exc:
                if exc.error_code == "InvalidBlockList":
                    raise StorageError("a block of the list is not staged", code=ErrorCode.INVALID_BLOB_NAME,
                                       status_code=400) from exc
                raise
        return True

    async def discard_blocks(self, container: str, name: str) -> None:
        blob = self._blob(container, name)
        # The service has no call to drop uncommitted blocks: committing an empty list drops
        # them (only where no blob exists, so a committed one is never touched), then the
        # empty blob goes. Blocks never committed are also dropped by the service after 7 days.
        with _storage_errors(f"discard the staged blocks of {container}/{name}"):
            try:
                await blob.commit_block_list([], match_condition=MatchConditions.IfMissing)
            except (ResourceExistsError, ResourceNotFoundError):
                return
            with contextlib.suppress(ResourceNotFoundError):
                await blob.delete_blob()

    async def is_ready(self) -> bool:
        # A container-level read: answers with container-scoped RBAC roles too (listing
        # containers or the account information would need account-wide rights), and it
        # is False until ensure_containers has run, as for the local store.
        container = self._client.get_container_client(UPLOADS)
        try:
            await asyncio.wait_for(container.get_container_properties(), timeout=self.ready_timeout_s)
        except (AzureError, TimeoutError):
            return False
        return True

    async def close(self) -> None:
        await self._client.close()
        if self._credential is not None:
            await self._credential.close()
