"""Build the configured metadata store. Opening does no I/O: call ``start`` afterwards."""

from pathlib import Path
from typing import Literal

from ingest.store.base import MetadataStore


def open_metadata_store(*, backend: Literal["sqlite", "cosmos"], sqlite_path: Path | None = None,
                        cosmos_endpoint: str | None = None, cosmos_key: str | None = None,
                        cosmos_database: str = "ailurus", cosmos_container: str = "metadata",
                        cosmos_index_container: str = "media-index",
                        cosmos_ca_cert: Path | None = None, change_settle_s: float = 5.0) -> MetadataStore:
    """The ``MetadataStore`` for ``backend``; call ``start()`` before use.

    Args:
        backend: ``"sqlite"`` (a file; the embedded default) or ``"cosmos"``.
        sqlite_path: the database file; required for ``"sqlite"``.
        cosmos_endpoint: the account (or stand-in) URL; required for ``"cosmos"``.
        cosmos_key: emulators only; without it ``DefaultAzureCredential`` authenticates.
        cosmos_ca_cert: verify an emulator's TLS certificate against this CA file.
        change_settle_s: Cosmos DB's change-feed settle window (``CosmosMetadataStore``).

    Raises:
        ValueError: a setting the backend needs is missing.
    """
    if backend == "sqlite":
        if sqlite_path is None:
            raise ValueError("metadata backend 'sqlite' needs sqlite_path")
        from ingest.store.sqlite import SqliteMetadataStore

        return SqliteMetadataStore(sqlite_path)
    if backend == "cosmos":
        if not cosmos_endpoint:
            raise ValueError("metadata backend 'cosmos' needs cosmos_endpoint")
        from ingest.store.cosmos import CosmosMetadataStore

        # A key means an emulator or stand-in: it has no regional endpoints to discover.
        return CosmosMetadataStore(cosmos_endpoint, cosmos_key, database=cosmos_database, container=cosmos_container,
                                   index_container=cosmos_index_container,
                                   ca_cert=cosmos_ca_cert, endpoint_discovery=cosmos_key is None,
                                   change_settle_s=change_settle_s)
    raise ValueError(f"unknown metadata backend {backend!r}; expected 'sqlite' or 'cosmos'")
