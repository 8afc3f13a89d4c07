import io
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from PIL import Image

from preprocess.decode import DecodeLimits, configure_decoders, decode
from preprocess.decode_budget import DecodeBudget, decode_cost_bytes
from preprocess.errors import (
    BadDimensions,
    CorruptImage,
    EmptyFile,
    OverDecodeBudget,
    TooLarge,
    TooManyPixels,
    UnsupportedFormat,
)
from tests.support.hostile import zero_png
from tests.support.samples import sample, sample_files

LIMITS = DecodeLimits(max_bytes=64 * 1024 * 1024, max_pixels=120_000_000, min_side_px=32, max_aspect_ratio=12.0,
                      max_decode_bytes=512 * 1024 * 1024)


@pytest.fixture(scope="module", autouse=True)
def _decoders() -> None:
    configure_decoders(max_pixels=LIMITS.max_pixels)


def run(data: bytes, limits: DecodeLimits = LIMITS):
    return decode(data, limits, input_size_px=224, crop_fraction=0.875)


def encode(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


@pytest.mark.parametrize("orientation", [3, 6, 8])
def test_decode_orientation_samples_come_out_upright(orientation):
    reference = run(sample("exif/orient_Landscape_1.jpg").read_bytes())
    rotated = run(sample(f"exif/orient_Landscape_{orientation}.jpg").read_bytes())
    assert rotated.exif.orientation == orientation
    assert (rotated.width, rotated.height) == (reference.width, reference.height)
    # Same scene after orientation: pixels agree up to JPEG re-encoding noise.
    diff = np.abs(rotated.pixels.astype(int) - reference.pixels.astype(int)).mean()
    assert diff < 6, diff


def test_decode_orientation_unapplied_would_differ():
    """Guards the test above: without orientation the pixels really differ."""
    reference = run(sample("exif/orient_Landscape_1.jpg").read_bytes()).pixels.astype(int)
    rotated = np.rot90(reference, k=1)
    assert np.abs(rotated - reference).mean() > 20


def test_decode_camera_trap_frame_stored_rotated_matches_upright_original():
    upright = run(sample("cameratrap/speciesnet_african_elephants.jpg").read_bytes())
    decoded = run(sample("exif/speciesnet_african_elephants_with_exif_orientation.jpg").read_bytes())
    assert decoded.exif.orientation == 6
    assert (decoded.width, decoded.height) == (upright.width, upright.height)
    assert np.abs(decoded.pixels.astype(int) - upright.pixels.astype(int)).mean() < 6


def test_decode_large_jpeg_uses_reduced_decode_keeping_short_side():
    decoded = run(sample("cameratrap/md_snapshot_kruger_KRU_S1_25_25_R1_KRU_S1_25_R1_IMAG0012.JPG").read_bytes())
    assert decoded.decode_scale > 1
    assert min(decoded.width, decoded.height) / decoded.decode_scale >= 256
    assert decoded.pixels.shape == (224, 224, 3) and decoded.pixels.dtype == np.uint8


def test_decode_heic_reads_gps_and_capture_time():
    decoded = run(sample("exif/exifsamples_IMG_5195.HEIC").read_bytes())
    assert decoded.format == "HEIF"
    assert decoded.exif.latitude == pytest.approx(39.05, abs=0.01)
    assert decoded.exif.longitude == pytest.approx(-94.29, abs=0.01)
    assert decoded.exif.make == "Apple"
    assert decoded.exif.captured_at_local.startswith("2021-04-11T15:47:53")


@pytest.mark.parametrize(("name", "code"), [
    ("animl_error_img.JPG", "empty_file"),
    ("briar_error_wide.jpg", "bad_dimensions"),
    ("briar_lottapixel.jpg", "too_many_pixels"),
    ("pillow_broken.png", "corrupt_image"),
    ("pillow_decompression_bomb.gif", "too_many_pixels"),
    ("pillow_truncated_jpeg.jpg", "corrupt_image"),
    ("speciesnet_african_elephants_truncated_file.jpg", "corrupt_image"),
])
def test_decode_bad_input_raises_stable_code(name, code):
    with pytest.raises(Exception) as info:
        run(sample(f"badinput/{name}").read_bytes())
    assert info.value.code == code
    assert 400 <= info.value.status_code < 500


def test_decode_bad_input_list_is_complete():
    assert {p.name for p in sample_files("badinput")} <= {
        "animl_error_img.JPG", "briar_error_wide.jpg", "briar_lottapixel.jpg", "pillow_broken.png",
        "pillow_decompression_bomb.gif", "pillow_truncated_jpeg.jpg", "speciesnet_african_elephants_truncated_file.jpg"}


@pytest.mark.parametrize("path", sample_files("unusual"), ids=lambda p: p.name)
def test_decode_unusual_file_is_classifiable_or_refused_cleanly(path):
    try:
        decoded = run(path.read_bytes())
    except (BadDimensions, UnsupportedFormat) as exc:
        assert exc.message
    else:
        assert decoded.pixels.shape == (224, 224, 3)


def test_decode_sniffs_content_not_extension():
    assert run(sample("unusual/animl_cat_23_is_bmp.jpg").read_bytes()).format == "BMP"
    assert run(sample("cameratrap/md_goanna-image.png").read_bytes()).format == "JPEG"


def test_decode_cmyk_jpeg_becomes_rgb():
    decoded = run(sample("unusual/pillow_pil_sample_cmyk.jpg").read_bytes())
    assert decoded.pixels.shape == (224, 224, 3)


def test_decode_animated_gif_uses_first_frame():
    decoded = run(sample("unusual/pillow_iss634.gif").read_bytes())
    assert decoded.frames > 1


def test_decode_script_text_in_metadata_stays_inert_text():
    decoded = run(sample("unusual/fuzzdb_POC_phpinfo-metadata.jpg").read_bytes())
    assert decoded.exif.make == "<?php phpinfo(); ?>"  # returned as JSON text; never executed or served as HTML


def test_decode_empty_bytes_is_empty_file():
    with pytest.raises(EmptyFile):
        run(b"")


def test_decode_over_byte_limit_is_too_large():
    limits = DecodeLimits(max_bytes=10, max_pixels=LIMITS.max_pixels, min_side_px=32, max_aspect_ratio=12,
                          max_decode_bytes=LIMITS.max_decode_bytes)
    with pytest.raises(TooLarge):
        run(sample("animals/skeydan_red_panda.jpg").read_bytes(), limits)


def test_decode_text_file_is_unsupported_format():
    with pytest.raises(UnsupportedFormat):
        run(b"<html><script>alert(1)</script></html>")


def test_decode_truncated_png_signature_is_corrupt_image():
    with pytest.raises(CorruptImage):
        run(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)


def test_decode_pixel_limit_checked_from_header_before_decode():
    data = encode(Image.new("RGB", (400, 300)), "PNG")
    limits = DecodeLimits(max_bytes=LIMITS.max_bytes, max_pixels=100_000, min_side_px=32, max_aspect_ratio=12,
                          max_decode_bytes=LIMITS.max_decode_bytes)
    with pytest.raises(TooManyPixels):
        run(data, limits)


def test_decode_sixteen_bit_png_is_scaled_not_clipped():
    gradient = (np.arange(256 * 256, dtype=np.uint32).reshape(256, 256) % 4096).astype(np.uint16)
    data = encode(Image.fromarray(gradient), "PNG")
    decoded = run(data)
    assert 0 < decoded.pixels.mean() < 250


def test_decode_transparent_png_composites_on_black():
    image = Image.new("RGBA", (300, 300), (255, 0, 0, 0))
    decoded = run(encode(image, "PNG"))
    assert decoded.pixels.max() == 0


@pytest.mark.parametrize("fmt", ["PNG", "WEBP", "TIFF", "BMP", "GIF"])
def test_decode_supported_formats_round_trip(fmt):
    image = Image.new("RGB", (320, 240), (10, 200, 30))
    decoded = run(encode(image, fmt))
    assert decoded.format == fmt
    assert (decoded.width, decoded.height) == (320, 240)


@pytest.mark.parametrize("size", [(1600, 1200), (200, 150)], ids=["downscaled", "small"])
def test_decode_thumbnail_carries_no_metadata(size):
    source = io.BytesIO()
    exif = Image.Exif()
    exif[0x010F] = "TrapCam"  # make
    Image.new("RGB", size, (90, 120, 60)).save(source, "JPEG", comment=b"den at 27.7123N 88.1987E", exif=exif)
    thumbnail = decode(source.getvalue(), LIMITS, input_size_px=224, crop_fraction=0.875, thumbnail_px=320).thumbnail_jpeg
    assert b"27.7123" not in thumbnail and b"TrapCam" not in thumbnail and b"Exif" not in thumbnail
    with Image.open(io.BytesIO(thumbnail)) as image:
        assert max(image.size) <= 320 and not image.info.get("comment") and not image.getexif()


# --- decode memory budget -------------------------------------------------------------

def _budget_limits(max_decode_bytes: int) -> DecodeLimits:
    return DecodeLimits(max_bytes=LIMITS.max_bytes, max_pixels=LIMITS.max_pixels, min_side_px=32,
                        max_aspect_ratio=12, max_decode_bytes=max_decode_bytes)


def test_decode_hostile_zero_png_is_refused_from_its_header():
    """116 Mpx RGBA in 0.45 MB: refused before a pixel is decoded (the test would need
    ~1.4 GB and seconds otherwise)."""
    data = zero_png(12_000, 9_700)
    assert len(data) < 600_000
    with pytest.raises(OverDecodeBudget, match="MiB"):
        run(data)


@pytest.mark.parametrize(("mode", "fmt", "options"), [
    ("RGBA", "PNG", {}), ("LA", "PNG", {}), ("I;16", "PNG", {}), ("RGB", "PNG", {}), ("L", "PNG", {}),
    ("P", "GIF", {}), ("RGB", "TIFF", {}), ("RGBA", "TIFF", {}), ("RGBA", "WEBP", {"lossless": True}),
    ("RGB", "WEBP", {}), ("RGB", "HEIF", {}),
])
def test_decode_budget_counts_what_each_mode_and_format_holds(mode, fmt, options):
    """Every format and depth is costed from its header: just under its cost it is refused,
    at its cost it decodes."""
    width, height = 600, 400
    data = encode(Image.new(mode, (width, height)), fmt, **options)
    with Image.open(io.BytesIO(data)) as image:
        cost = decode_cost_bytes(image)
    assert cost >= width * height * 4  # at least the RGB frame the model input is cut from
    with pytest.raises(OverDecodeBudget):
        run(data, _budget_limits(cost - 1))
    assert run(data, _budget_limits(cost)).width == width


def test_decode_budget_weighs_high_depth_and_transparency_above_plain_rgb():
    costs = {}
    for mode in ("RGB", "RGBA", "I;16", "L"):
        with Image.open(io.BytesIO(encode(Image.new(mode, (100, 100)), "PNG"))) as image:
            costs[mode] = decode_cost_bytes(image)
    assert costs["RGB"] < costs["RGBA"] and costs["RGB"] < costs["I;16"]
    assert costs["L"] < costs["RGBA"]


def test_decode_large_jpeg_fits_the_budget_through_reduced_decode():
    """A JPEG is costed after the reduced-decode request: a 24 Mpx frame that would need
    ~96 MB at full size decodes within 8 MB."""
    data = encode(Image.new("RGB", (6000, 4000), (40, 90, 30)), "JPEG", quality=70)
    decoded = run(data, _budget_limits(8 * 1024 * 1024))
    assert decoded.decode_scale == 8 and (decoded.width, decoded.height) == (6000, 4000)


def test_decode_budget_pool_never_holds_more_than_its_size():
    budget = DecodeBudget(100)
    held, peak = 0, 0
    lock = threading.Lock()

    def work(cost: int) -> None:
        nonlocal held, peak
        with budget.reserve(cost):
            with lock:
                held += cost
                peak = max(peak, held)
            threading.Event().wait(0.01)
            with lock:
                held -= cost

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(work, [60, 40, 70, 30, 100, 10] * 3))
    assert peak <= 100 and budget.free_bytes == 100
    with pytest.raises(ValueError), budget.reserve(101):
        pass
