"""Training views use the serving crop of ``ailurus_common.imaging`` (as preprocess does)."""

import numpy as np

from ailurus_common.imaging import center_crop_resize
from ailurus_ml.augment import make_view
from ailurus_ml.features import ViewSpec, decode_upright
from tests.support.ml_datasets import camtrapr_items

SPEC = ViewSpec(224, 0.875, seed=7)


def test_features_view_zero_is_the_serving_crop():
    item, data = camtrapr_items()[0]
    upright = decode_upright(data, SPEC)
    view = make_view(upright, 0, seed=SPEC.seed, sha256=item.sha256, input_size_px=224, crop_fraction=0.875)
    assert np.array_equal(view, center_crop_resize(upright, 224, 0.875))


def test_features_augmented_views_are_seeded_and_differ():
    item, data = camtrapr_items()[0]
    upright = decode_upright(data, SPEC)
    one = make_view(upright, 1, seed=7, sha256=item.sha256, input_size_px=224, crop_fraction=0.875)
    again = make_view(upright, 1, seed=7, sha256=item.sha256, input_size_px=224, crop_fraction=0.875)
    other = make_view(upright, 1, seed=8, sha256=item.sha256, input_size_px=224, crop_fraction=0.875)
    assert one.shape == (224, 224, 3) and one.dtype == np.uint8
    assert np.array_equal(one, again) and not np.array_equal(one, other)


def test_features_decode_matches_preprocess_decode():
    from preprocess.decode import DecodeLimits, configure_decoders, decode

    limits = DecodeLimits(max_bytes=1 << 26, max_pixels=1 << 26, min_side_px=16, max_aspect_ratio=10,
                          max_decode_bytes=1 << 29)
    configure_decoders(max_pixels=limits.max_pixels)
    for _, data in camtrapr_items()[:5]:
        served = decode(data, limits, input_size_px=224, crop_fraction=0.875).pixels
        assert np.array_equal(served, center_crop_resize(decode_upright(data, SPEC), 224, 0.875))
