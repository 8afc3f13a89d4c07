"""Smoke test of the local Azure stand-ins through the Python SDKs the services use:
Azurite for Blob Storage, the Cosmos DB stand-in (our launcher) for metadata."""

import asyncio
import os
import uuid
from pathlib import Path

import pytest
from azure.core.exceptions import ResourceExistsError, ServiceRequestError
from azure.cosmos import PartitionKey, documents
from azure.cosmos.aio import CosmosClient
from azure.cosmos.exceptions import CosmosResourceNotFoundError
from azure.storage.blob.aio import BlobServiceClient

from ailurus_tools.standins import Azurite, CosmosStandin, make_cert

pytestmark = pytest.mark.slow


def ssl_config(cert_file: Path, key_file: Path) -> documents.SSLConfiguration:
    """TLS verified against our own CA (azure-cosmos skips verification for 127.0.0.1 unless
    given an SSLConfiguration). The aio client also needs a client certificate and key in it:
    it hands (SSLCertFile, SSLKeyFile) to ``ssl.load_cert_chain`` even when both are None.
    The stand-in never asks for a client certificate, so its own pair does; nothing is sent."""
    config = documents.SSLConfiguration()
    config.SSLCaCerts = str(cert_file)
    config.SSLCertFile = str(cert_file)
    config.SSLKeyFile = str(key_file)
    return config


async def test_blob_round_trip_and_no_overwrite(azurite: Azurite) -> None:
    data = os.urandom(200_000)
    async with BlobServiceClient.from_connection_string(azurite.connection_string) as service:
        container = service.get_container_client(f"smoke-{uuid.uuid4().hex[:12]}")  # the Azurite is shared
        await container.create_container()
        blob = container.get_blob_client("trap-1/IMG_0001.JPG")
        await blob.upload_blob(data, overwrite=False)
        assert await (await blob.download_blob()).readall() == data
        with pytest.raises(ResourceExistsError):
            await blob.upload_blob(b"other bytes", overwrite=False)
        assert await (await blob.download_blob()).readall() == data


async def test_cosmos_crud_query_and_not_found(cosmos: CosmosStandin) -> None:
    tls = ssl_config(cosmos.cert_path, cosmos.key_path)
    async with CosmosClient(cosmos.endpoint, credential=cosmos.key, ssl_config=tls) as client:
        database = await client.create_database_if_not_exists(f"smoke-{uuid.uuid4().hex[:12]}")
        container = await database.create_container_if_not_exists(
            "media", partition_key=PartitionKey(path="/deployment_id"))
        items = [{"id": f"media-{i:02d}", "deployment_id": f"trap-{i % 5}", "status": "pending"} for i in range(50)]
        await asyncio.gather(*(container.upsert_item(item) for item in items))

        # The stand-in ignores partition_key= on queries: always filter in WHERE.
        found = [item["id"] async for item in container.query_items(
            "SELECT * FROM c WHERE c.deployment_id = @trap", parameters=[{"name": "@trap", "value": "trap-2"}])]
        assert sorted(found) == [item["id"] for item in items if item["deployment_id"] == "trap-2"]

        assert (await container.read_item("media-07", partition_key="trap-2"))["status"] == "pending"
        with pytest.raises(CosmosResourceNotFoundError) as missing:
            await container.read_item("no-such-media", partition_key="trap-2")
        assert missing.value.status_code == 404

        count = [value async for value in container.query_items("SELECT VALUE COUNT(1) FROM c")]
        assert count == [50]


async def test_cosmos_tls_is_really_verified(cosmos: CosmosStandin, tmp_path: Path) -> None:
    # A CA that did not sign the server's certificate must be refused.
    other_ca = make_cert(tmp_path / "other")
    client = CosmosClient(cosmos.endpoint, credential=cosmos.key, retry_total=0,  # fail at once
                          ssl_config=ssl_config(other_ca, other_ca.with_name("key.pem")))
    try:
        # The first request (the account read on entry) already fails the handshake.
        with pytest.raises(ServiceRequestError, match="CERTIFICATE_VERIFY_FAILED"):
            async with client:
                pass
    finally:
        await client.close()  # a failed entry leaves the HTTP session open
