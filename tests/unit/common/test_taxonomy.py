import numpy as np
import pytest

from ailurus_common.domain import Group
from ailurus_common.taxonomy import Taxonomy, TaxonomyError


@pytest.fixture(scope="module")
def taxonomy(model_dir) -> Taxonomy:
    return Taxonomy.load(model_dir)


def one_hot(index: int, size: int = 1000, mass: float = 1.0) -> np.ndarray:
    probs = np.full(size, (1 - mass) / (size - 1))
    probs[index] = mass
    return probs


@pytest.mark.parametrize(("index", "group"), [
    (387, Group.RED_PANDA), (388, Group.GIANT_PANDA), (291, Group.MAMMAL),
    (207, Group.MAMMAL), (386, Group.MAMMAL), (22, Group.BIRD), (130, Group.BIRD), (48, Group.REPTILE),
    (717, Group.VEHICLE), (609, Group.VEHICLE), (983, Group.HUMAN), (979, Group.OTHER), (309, Group.OTHER),
])
def test_group_of_maps_imagenet_classes(taxonomy, index, group):
    assert taxonomy.group_of(index) is group


def test_load_taxonomy_labels_match_imagenet(taxonomy):
    assert len(taxonomy.labels) == 1000
    assert taxonomy.labels[387] == "lesser panda, red panda"
    assert taxonomy.version


def test_summarize_confident_red_panda(taxonomy):
    summary = taxonomy.summarize(one_hot(387, mass=0.9), top_k=3, blank_threshold=0.3)
    assert summary.group is Group.RED_PANDA
    assert summary.label == "lesser panda, red panda"
    assert not summary.blank
    assert summary.top_k[0] == ("lesser panda, red panda", pytest.approx(0.9))
    assert len(summary.top_k) == 3
    assert summary.top_k_groups[0] is Group.RED_PANDA and len(summary.top_k_groups) == 3


def test_summarize_sums_probability_across_a_group(taxonomy):
    probs = np.zeros(1000)
    probs[151:251] = 0.006  # 100 dog breeds, 0.6 in all, none above 0.01
    probs[979] = 0.4  # valley
    summary = taxonomy.summarize(probs, top_k=5, blank_threshold=0.3)
    assert summary.group is Group.MAMMAL
    assert summary.confidence == pytest.approx(0.6)
    assert summary.top_k[0][0] == taxonomy.labels[979]


def test_summarize_low_subject_probability_is_blank(taxonomy):
    summary = taxonomy.summarize(one_hot(979, mass=0.95), top_k=5, blank_threshold=0.3)
    assert summary.blank
    assert summary.group is Group.BLANK
    assert summary.confidence > 0.9


def test_summarize_rejects_wrong_vector_length(taxonomy):
    with pytest.raises(TaxonomyError):
        taxonomy.summarize(np.ones(10) / 10, top_k=1, blank_threshold=0.3)


def test_taxonomy_rejects_overlapping_groups():
    mapping = {"version": "t", "groups": {"mammal": ["0-3"], "bird": ["3"]}}
    with pytest.raises(TaxonomyError, match="both"):
        Taxonomy([f"c{i}" for i in range(5)], mapping)


def test_taxonomy_rejects_index_out_of_range():
    with pytest.raises(TaxonomyError, match="outside"):
        Taxonomy(["a", "b"], {"version": "t", "groups": {"mammal": ["5"]}})
