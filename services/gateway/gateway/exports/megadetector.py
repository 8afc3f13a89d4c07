"""MegaDetector batch output (format 1.6), read by Timelapse and AddaxAI: one image entry
per media, written as the rows arrive; the categories, known only at the end, follow the
images (JSON objects have no order).

We classify whole images and detect nothing, so each labelled image has one whole-image box
``[0, 0, 1, 1]`` in the detection category of its group (animal, person, vehicle) whose
``classifications`` name our label; a blank image has no detections; a media that failed
(or is not classified yet) has a ``failure`` and ``"detections": null``.
"""

import json
from collections.abc import AsyncIterator

from ailurus_common.domain import Group, MediaStatus
from gateway.exports.context import CHUNK_BYTES, Entries, ExportContext, ExportRow, file_name_in_package
from gateway.exports.vocabulary import MD_CATEGORY, MD_DETECTION_CATEGORIES, md_description

FORMAT_VERSION = "1.6"  # a string: required as one from 1.6 on
WHOLE_IMAGE = [0.0, 0.0, 1.0, 1.0]
MEDIA_TYPE = "application/json"


class _Categories:
    """Classification category ids handed out as labels are first seen ("0", "1", ...)."""

    def __init__(self) -> None:
        self.ids: dict[tuple[str, Group], str] = {}

    def id_of(self, label: str, group: Group) -> str:
        return self.ids.setdefault((label, group), str(len(self.ids)))

    def names(self) -> dict[str, str]:
        return {i: label for (label, _), i in self.ids.items()}

    def descriptions(self) -> dict[str, str]:
        return {i: md_description(group) for (_, group), i in self.ids.items()}


def image_entry(row: ExportRow, categories: _Categories) -> dict:
    """One ``images`` item."""
    entry: dict = {"file": file_name_in_package(row, row.media_type)}
    label = row.label
    if label is None:
        reason = row.error_code or "not classified yet"
        entry.update(failure=f"{'Failure' if row.status == MediaStatus.FAILED else 'Pending'}: {reason}",
                     detections=None)
        return entry
    if label.group == Group.BLANK:
        entry["detections"] = []
        return entry
    # A reviewer's label has no score: it is as sure as a label gets.
    conf = float(label.confidence) if label.confidence is not None else 1.0
    classification = [categories.id_of(label.label or label.group.value, label.group), round(conf, 6)]
    entry["detections"] = [{"category": MD_CATEGORY[label.group], "conf": round(conf, 6), "bbox": WHOLE_IMAGE,
                            "classifications": [classification]}]
    return entry


async def megadetector_json(entries: Entries, context: ExportContext) -> AsyncIterator[bytes]:
    """The batch output file's bytes, in chunks, as the rows arrive."""
    categories = _Categories()
    models: set[str] = set()
    latest = None
    buffer = ['{"images": [']
    size = 0
    first = True
    async for row, _ in entries:
        if row.label and row.label.model:
            models.add(f"{row.label.model.name}:{row.label.model.version}")
        if row.label and row.label.method == "machine":
            latest = max(latest or row.label.classified_at, row.label.classified_at)
        text = ("" if first else ",\n") + json.dumps(image_entry(row, categories))
        first = False
        buffer.append(text)
        size += len(text)
        if size >= CHUNK_BYTES:
            yield "".join(buffer).encode()
            buffer, size = [], 0
    info = {"format_version": FORMAT_VERSION, "classifier": ",".join(sorted(models)) or "none",
            "detector": "none (whole-image classification: each box is the whole image)",
            "export_created": context.created.isoformat(timespec="seconds")}
    if latest is not None:
        info["classification_completion_time"] = latest.isoformat(timespec="seconds")
    tail = {"info": info, "detection_categories": MD_DETECTION_CATEGORIES,
            "classification_categories": categories.names(),
            "classification_category_descriptions": categories.descriptions()}
    buffer.append("],\n" + json.dumps(tail)[1:])
    yield "".join(buffer).encode()
