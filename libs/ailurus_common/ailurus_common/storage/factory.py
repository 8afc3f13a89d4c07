"""Build the configured storage backends. Opening does no I/O: call ``ensure_containers``
(blobs) or ``start`` (metadata) afterwards."""

from pathlib import Path
from typing import Literal

from ailurus_common.storage.blob import BlobStore
from ailurus_common.storage.metadata import MetadataStore


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


def open_metadata_store(*, backend: Literal["sqlite", "cosmos"], sqlite_path: Path | None = None,
                        cosmos_endpoint: str | None = None, cosmos_key: str | None = None,
                        cosmos_database: str = "ailurus", cosmos_container: str = "metadata",
                        cosmos_ca_cert: Path | None = None) -> MetadataStore:
    """The ``MetadataStore`` for ``backend``; call ``start()`` before use.

    Args:
        backend: ``"sqlite"`` (a file; the embedded default) or ``"cosmos"``.
        sqlite_path: the database file; required for ``"sqlite"``.
        cosmos_endpoint: the account (or stand-in) URL; required for ``"cosmos"``.
        cosmos_key: emulators only; without it ``DefaultAzureCredential`` authenticates.
        cosmos_ca_cert: verify an emulator's TLS certificate against this CA file.

    Raises:
        ValueError: a setting the backend needs is missing.
    """
    if backend == "sqlite":
        if sqlite_path is None:
            raise ValueError("metadata backend 'sqlite' needs sqlite_path")
        from ailurus_common.storage.sqlite_metadata import SqliteMetadataStore

        return SqliteMetadataStore(sqlite_path)
    if backend == "cosmos":
        if not cosmos_endpoint:
            raise ValueError("metadata backend 'cosmos' needs cosmos_endpoint")
        from ailurus_common.storage.cosmos_metadata import CosmosMetadataStore

        # A key means an emulator or stand-in: it has no regional endpoints to discover.
        return CosmosMetadataStore(cosmos_endpoint, cosmos_key, database=cosmos_database, container=cosmos_container,
                                   ca_cert=cosmos_ca_cert, endpoint_discovery=cosmos_key is None)
    raise ValueError(f"unknown metadata backend {backend!r}; expected 'sqlite' or 'cosmos'")
