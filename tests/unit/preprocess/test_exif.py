import io

import pytest
from PIL import Image

from preprocess.exif import read_exif
from tests.support.samples import sample


def open_sample(relative: str) -> Image.Image:
    return Image.open(io.BytesIO(sample(relative).read_bytes()))


def test_read_exif_camera_gps_as_decimal_degrees():
    facts = read_exif(open_sample("exif/exifsamples_DSCN0010.jpg"))
    assert facts.latitude == pytest.approx(43.4674, abs=1e-3)
    assert facts.longitude == pytest.approx(11.8851, abs=1e-3)
    assert (facts.make, facts.model) == ("NIKON", "COOLPIX P6000")
    assert facts.captured_at_local == "2008-10-22T16:28:39"


def test_read_exif_camera_trap_capture_time_is_local_without_offset():
    facts = read_exif(open_sample("cameratrap/2021-08-08_RCNX0063_fox.JPG"))
    assert facts.captured_at_local == "2021-08-09T03:55:47"
    assert facts.make == "RECONYX"


def test_read_exif_malformed_block_yields_defaults():
    facts = read_exif(open_sample("unusual/pillow_hopper_bad_exif.jpg"))
    assert facts.orientation == 1
    assert facts.latitude is None


def test_read_exif_no_exif_yields_defaults():
    image = Image.new("RGB", (64, 64))
    facts = read_exif(image)
    assert facts.captured_at_local is None and facts.make is None and facts.orientation == 1


def test_read_exif_southern_western_refs_are_negative():
    image = Image.new("RGB", (64, 64))
    exif = image.getexif()
    gps = exif.get_ifd(0x8825)
    gps.update({1: "S", 2: (33.0, 51.0, 54.0), 3: "W", 4: (151.0, 12.0, 36.0)})
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    facts = read_exif(Image.open(io.BytesIO(buffer.getvalue())))
    assert facts.latitude == pytest.approx(-33.865, abs=1e-3)
    assert facts.longitude == pytest.approx(-151.21, abs=1e-3)


def test_read_exif_out_of_range_gps_is_dropped():
    image = Image.new("RGB", (64, 64))
    exif = image.getexif()
    exif.get_ifd(0x8825).update({1: "N", 2: (95.0, 0.0, 0.0), 3: "E", 4: (10.0, 0.0, 0.0)})
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    facts = read_exif(Image.open(io.BytesIO(buffer.getvalue())))
    assert facts.latitude is None and facts.longitude is None
