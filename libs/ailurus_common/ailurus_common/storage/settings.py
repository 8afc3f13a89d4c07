"""Blob-store settings of every service that keeps bytes (mixed into its Settings, so they
read ``GATEWAY_BLOB_*``, ``PREPROCESS_BLOB_*``)."""

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, SecretStr, model_validator

from ailurus_common.storage.blob import BlobStore
from ailurus_common.storage.factory import open_blob_store


class BlobSettings(BaseModel):
    # local: a folder (the embedded default); azure: Blob Storage or Azurite.
    blob_backend: Literal["local", "azure"] = "local"
    blob_root: Path = Path("var/data/blobs")
    # Emulators only; on Azure leave it unset and give the account URL (workload identity).
    blob_connection_string: SecretStr | None = None
    blob_account_url: str | None = None

    @model_validator(mode="after")
    def _blob_configured(self) -> "BlobSettings":
        if self.blob_backend == "azure" and not (self.blob_connection_string or self.blob_account_url):
            raise ValueError("BLOB_CONNECTION_STRING or BLOB_ACCOUNT_URL (with the service prefix) is required "
                             "for azure blobs")
        return self

    def open_blob_store(self) -> BlobStore:
        """The configured store (no I/O yet: call ``ensure_containers``)."""
        secret = self.blob_connection_string
        return open_blob_store(backend=self.blob_backend, root=self.blob_root, account_url=self.blob_account_url,
                               connection_string=secret.get_secret_value() if secret else None)
