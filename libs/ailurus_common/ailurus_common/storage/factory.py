"""Build the configured blob store. Opening does no I/O: call ``ensure_containers``
afterwards."""

from pathlib import Path
from typing import Literal

from ailurus_common.storage.blob import BlobStore


def open_blob_store(*, backend: Literal["local", "azure"], root: Path | None = None,
                    connection_string: str | None = None, account_url: str | None = None) -> BlobStore:
    """The ``BlobStore`` for ``backend``.

    Args:
        backend: ``"local"`` (a folder) or ``"azure"`` (Blob Storage or Azurite).
        root: the folder of the local store; required for ``"local"``.
        connection_string: Azure only, for emulators (Azurite).
        account_url: Azure only, ``https://<account>.blob.core.windows.net``, authenticated
            with ``DefaultAzureCredential``. Exactly one of the two for ``"azure"``.

    Raises:
        ValueError: a setting the backend needs is missing, or settings conflict.
    """
    if backend == "local":
        if root is None:
            raise ValueError("blob backend 'local' needs root (the folder that holds the containers)")
        from ailurus_common.storage.local_blob import LocalBlobStore

        return LocalBlobStore(root)
    if backend == "azure":
        if connection_string and account_url:
            raise ValueError("blob backend 'azure': give connection_string (emulator) or account_url, not both")
        # Imported here so the local backend does not need the Azure SDK installed.
        from ailurus_common.storage.azure_blob import AzureBlobStore

        if connection_string:
            return AzureBlobStore.from_connection_string(connection_string)
        if account_url:
            return AzureBlobStore.from_account_url(account_url)
        raise ValueError("blob backend 'azure' needs account_url (DefaultAzureCredential) "
                         "or connection_string (emulators only)")
    raise ValueError(f"unknown blob backend {backend!r}; expected 'local' or 'azure'")
