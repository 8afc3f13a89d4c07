"""Media made fast for export tests: written straight through ingest's batch write, no image needed."""


def bulk_items(start: int, count: int) -> list[dict]:
    """Items of ingest's batch write (``POST /v1/traps/{id}/media``): classified media cycling
    through mammal, bird, blank, red_panda and human, ids unique per ``start + n``."""
    groups = ["mammal", "bird", "blank", "red_panda", "human"]
    items = []
    for n in range(start, start + count):
        media_id = f"{0xE0000000 + n:064x}"
        group = groups[n % len(groups)]
        prediction = {"group": group, "label": f"{group} label", "confidence": 0.8, "blank": group == "blank",
                      "top_k": [{"label": f"{group} label", "score": 0.8}],
                      "model": {"name": "ailurus_classifier", "version": "1"}}
        items.append({"id": media_id, "file_name": f"BULK_{n:05d}.JPG", "media_type": "image/jpeg",
                      "size_bytes": 1000, "blob_original": f"uploads/{media_id[:2]}/{media_id}",
                      "uploaded_by": "stack-uploader",
                      # No capture time: stamped at upload (now), so the shared stack's red-panda
                      # figures stay in the current month, as the privacy attacks expect.
                      "classification": {"exif": {"width": 2048, "height": 1536},
                                         "prediction": prediction}})
    return items
