"""gateway -> Blob (Azurite) -> preprocess -> Triton -> ingest -> Cosmos (stand-in), end to end."""

import asyncio
import hashlib
from collections import Counter

import pytest
from azure.cosmos.aio import CosmosClient
from azure.storage.blob.aio import BlobServiceClient

from tests.support.samples import sample_files
from tests.support.uploads import files_field, upload

pytestmark = pytest.mark.slow
GOOD = sample_files("cameratrap") + sample_files("animals")
TRAP = {"id": "e2e-ridge", "name": "E2E ridge trap", "latitude": 27.7, "longitude": 88.1, "elevation_m": 3100,
        "timezone": "Asia/Kathmandu"}


def blob_bytes(connection_string: str, name: str) -> bytes:
    async def read() -> bytes:
        async with BlobServiceClient.from_connection_string(connection_string) as service:
            return await (await service.get_blob_client("uploads", name).download_blob()).readall()
    return asyncio.run(read())


def cosmos_query(cosmos, query: str, parameters: list[dict]) -> list:
    async def run() -> list:
        async with CosmosClient(cosmos.endpoint, credential=cosmos.key) as client:
            container = client.get_database_client("e2e").get_container_client("metadata")
            return [item async for item in container.query_items(query, parameters=parameters)]
    return asyncio.run(run())


def media_docs(cosmos, trap_id: str) -> list[dict]:
    return cosmos_query(cosmos, "SELECT * FROM c WHERE c.deployment_id = @t AND c.type = 'media'",
                        [{"name": "@t", "value": trap_id}])


@pytest.fixture(scope="module")
def first_upload(api) -> list[dict]:
    assert api.post("/api/v1/traps", json=TRAP).status_code == 201
    return upload(api, TRAP["id"], files_field(GOOD))


def test_upload_batch_classifies_every_file_in_order(first_upload):
    assert [r["filename"] for r in first_upload] == [p.name for p in GOOD]
    assert {r["status"] for r in first_upload} == {"classified"}
    for result in first_upload:
        assert result["prediction"]["model"] == {"name": "ailurus_classifier", "version": "1"}
        assert len(result["prediction"]["top_k"]) == 5


def test_upload_red_panda_is_red_panda(first_upload):
    panda = next(r for r in first_upload if r["filename"] == "skeydan_red_panda.jpg")
    assert panda["prediction"]["group"] == "red_panda"
    assert panda["prediction"]["label"] == "lesser panda, red panda"


def test_upload_originals_in_azurite_are_byte_identical(first_upload, azure_stack):
    for path, result in zip(GOOD, first_upload, strict=True):
        media_id = hashlib.sha256(path.read_bytes()).hexdigest()
        assert result["media_id"] == media_id
        assert blob_bytes(azure_stack.azurite.connection_string, f"{media_id[:2]}/{media_id}") == path.read_bytes()


def test_upload_original_served_back_exactly(api, first_upload):
    result = first_upload[0]
    response = api.get(f"/api/v1/media/{result['media_id']}/original")
    assert response.status_code == 200
    assert response.content == GOOD[0].read_bytes()
    assert response.headers["x-content-type-options"] == "nosniff"
    assert api.get(f"/api/v1/media/{result['media_id']}/thumbnail").headers["content-type"] == "image/jpeg"


def test_upload_each_file_has_a_cosmos_record_with_model_version(first_upload, azure_stack):
    docs = {d["id"]: d for d in media_docs(azure_stack.cosmos, TRAP["id"])}
    assert set(docs) == {r["media_id"] for r in first_upload}
    for doc in docs.values():
        assert doc["status"] == "classified"
        machine = [o for o in doc["observations"] if o["method"] == "machine"]
        assert machine and machine[0]["model"] == {"name": "ailurus_classifier", "version": "1"}
        assert doc["blob_original"].startswith("uploads/")


def test_upload_exif_capture_time_uses_trap_timezone(api, first_upload):
    fox = next(r for r in first_upload if r["filename"] == "2021-08-08_RCNX0063_fox.JPG")
    media = api.get(f"/api/v1/media/{fox['media_id']}").json()
    # Camera wrote 2021-08-09 03:55:47 local; Kathmandu is UTC+05:45.
    assert media["timestamp"].startswith("2021-08-08T22:10:47")
    assert media["timestamp_source"] == "exif"


def test_upload_burst_frames_share_a_sequence(api, first_upload):
    burst = [r for r in first_upload if r["filename"].startswith("serengeti_burst")]
    sequences = {api.get(f"/api/v1/media/{r['media_id']}").json()["sequence_id"] for r in burst}
    assert len(burst) == 3 and len(sequences) == 1


def test_map_traps_counts_equal_uploads_per_group(api, first_upload):
    expected = Counter(r["prediction"]["group"] for r in first_upload)
    features = api.get("/api/v1/map/traps").json()["features"]
    trap = next(f for f in features if f["id"] == TRAP["id"])
    assert trap["geometry"]["coordinates"] == [TRAP["longitude"], TRAP["latitude"]]
    assert trap["properties"]["counts"] == dict(expected)
    assert api.get(f"/api/v1/traps/{TRAP['id']}").json()["counts"] == dict(expected)


def test_map_heatmap_has_red_panda_trap(api, first_upload):
    points = api.get("/api/v1/map/heatmap", params={"group": "red_panda"}).json()["points"]
    assert [TRAP["latitude"], TRAP["longitude"], 1] in points
    outside = api.get("/api/v1/map/heatmap", params={"group": "red_panda", "bbox": "0,0,1,1"}).json()["points"]
    assert outside == []


def test_upload_same_files_again_is_duplicate_without_new_record(api, first_upload, azure_stack):
    again = upload(api, TRAP["id"], files_field(GOOD))
    assert {r["status"] for r in again} == {"duplicate"}
    assert [r["media_id"] for r in again] == [r["media_id"] for r in first_upload]
    assert len(media_docs(azure_stack.cosmos, TRAP["id"])) == len(GOOD)


def test_upload_mixed_batch_stores_good_and_rejects_bad(api, azure_stack):
    trap = {**TRAP, "id": "e2e-mixed", "name": "mixed"}
    assert api.post("/api/v1/traps", json=trap).status_code == 201
    bad = sample_files("badinput")
    good = sample_files("exif")  # not uploaded by other tests here: the same bytes would be duplicates
    mixed = [p for pair in zip(good, bad, strict=False) for p in pair] + good[len(bad):] + bad[len(good):]
    results = upload(api, trap["id"], files_field(mixed))
    by_name = {r["filename"]: r for r in results}
    for path in good:
        assert by_name[path.name]["status"] == "classified", by_name[path.name]
    for path in bad:
        assert by_name[path.name]["status"] == "rejected"
        assert by_name[path.name]["error"]["code"] in {"empty_file", "bad_dimensions", "too_many_pixels",
                                                        "corrupt_image", "unsupported_format"}
    assert len(media_docs(azure_stack.cosmos, trap["id"])) == len(good)


def test_media_listing_pages_with_cursor(api, first_upload):
    seen, cursor = [], None
    while True:
        params = {"trap_id": TRAP["id"], "limit": 5, **({"cursor": cursor} if cursor else {})}
        page = api.get("/api/v1/media", params=params).json()
        seen += [m["id"] for m in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == sorted(r["media_id"] for r in first_upload)


def test_upload_to_unknown_trap_is_404(api):
    response = api.post("/api/v1/traps/no-such-trap/images", files=files_field(GOOD[:1]))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "trap_not_found"


def test_create_trap_with_bad_coordinates_is_422(api):
    response = api.post("/api/v1/traps", json={**TRAP, "id": "bad", "latitude": 123})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_request"
