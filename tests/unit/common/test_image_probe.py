"""The importers' image check follows the serving decoder: hostile files are unreadable,
never a crash; good ones give their format, size and EXIF capture time (never GPS)."""

from dataclasses import fields
from datetime import datetime

import pytest

from ailurus_common.image_probe import ProbedImage, UnreadableImage, probe_image
from ailurus_common.imaging import HeaderLimits
from tests.support.hostile import zero_png
from tests.support.samples import sample, sample_files


@pytest.mark.parametrize("path", sample_files("badinput"), ids=lambda path: path.name)
def test_probe_hostile_sample_unreadable(path) -> None:
    with pytest.raises(UnreadableImage):
        probe_image(path.read_bytes())


@pytest.mark.parametrize("path", sample_files("cameratrap") + sample_files("animals"), ids=lambda path: path.name)
def test_probe_camera_trap_sample_readable(path) -> None:
    probed = probe_image(path.read_bytes())
    assert probed.width_px >= 32 and probed.height_px >= 32
    assert probed.media_type.startswith("image/")


def test_probe_text_named_jpg_unreadable() -> None:
    with pytest.raises(UnreadableImage, match="not an image in a supported format"):
        probe_image(b"this is not a photo\n")


def test_probe_header_over_pixel_limit_unreadable_without_decoding() -> None:
    with pytest.raises(UnreadableImage, match="pixels"):
        probe_image(zero_png(20_000, 20_000), HeaderLimits(max_pixels=100_000_000))


def test_probe_wrong_extension_content_decides() -> None:
    assert probe_image(sample("unusual/animl_cat_23_is_bmp.jpg").read_bytes()).format == "BMP"
    assert probe_image(sample("cameratrap/md_goanna-image.png").read_bytes()).format == "JPEG"


def test_probe_exif_capture_time_read() -> None:
    probed = probe_image(sample("cameratrap/serengeti_burst_S1_D04_R6_PICT0020.JPG").read_bytes())
    assert probed.captured_at == datetime(2010, 8, 19, 18, 24, 57)


def test_probe_heic_capture_time_with_offset() -> None:
    probed = probe_image(sample("exif/exifsamples_IMG_5195.HEIC").read_bytes())
    assert probed.format == "HEIF"
    assert probed.captured_at is not None and probed.captured_at.utcoffset() is not None


def test_probe_result_carries_no_gps() -> None:
    assert not any("gps" in field.name or "lat" in field.name for field in fields(ProbedImage))
