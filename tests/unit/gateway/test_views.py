"""Location privacy by construction: the coarse view builds only coarse models, whose
field lists leave out everything that can pin a trap down."""

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from ailurus_common.contracts.ingest import (
    Analytics,
    Heatmap,
    MediaPage,
    MonthlyHeatmap,
    PointGeometry,
    ReviewBurst,
    ReviewCounts,
    ReviewQueuePage,
    TrapCollection,
    TrapCounts,
    TrapDetail,
    TrapFeature,
    TrapProperties,
)
from ailurus_common.domain import Group
from ailurus_common.records import Deployment, ExifInfo, Gps, LabelScore, Media, Observation
from gateway import schemas
from gateway.privacy import PrivacyPolicy
from gateway.views import CoarseView, ExactView

POLICY = PrivacyPolicy(cell_deg=0.1, min_count=3, sensitive_groups=frozenset({"red_panda"}))
COARSE = CoarseView(POLICY)
NOW = datetime(2026, 5, 1, tzinfo=UTC)
DEN = Deployment(id="den", name="Den", latitude=27.7123, longitude=88.1987, elevation_m=3120,
                 notes="200 m north of the rhododendron", clock_offset_s=12.0)
MEDIA = Media(id="a" * 64, deployment_id="den", file_name="x.jpg", media_type="image/jpeg", size_bytes=10,
              blob_original="uploads/aa/" + "a" * 64, blob_thumbnail=f"{'a' * 64}.jpg", timestamp=NOW,
              uploaded_by="u", exif=ExifInfo(make="X", gps=Gps(latitude=27.7123, longitude=88.1987)))


def exact_text() -> list[str]:
    return ["27.7123", "88.1987", "3120", "rhododendron"]


def test_snap_point_goes_to_cell_centre():
    assert POLICY.snap(27.7123, 88.1987) == (27.75, 88.15)
    assert POLICY.snap(-0.01, -0.01) == (-0.05, -0.05)


def test_snap_points_in_one_cell_are_indistinguishable():
    assert POLICY.snap(27.701, 88.101) == POLICY.snap(27.799, 88.199)


def test_coarse_trap_has_cell_position_and_no_elevation_notes_or_clock():
    trap = COARSE.trap(DEN)
    assert isinstance(trap, schemas.TrapCoarse)
    assert (trap.latitude, trap.longitude) == (27.75, 88.15)
    assert trap.location_precision == "cell:0.1deg"
    assert not {"elevation_m", "notes", "clock_offset_s"} & set(trap.model_dump())
    assert not [t for t in exact_text() if t in trap.model_dump_json()]


def test_exact_trap_keeps_everything():
    trap = ExactView().trap(DEN)
    assert (trap.latitude, trap.elevation_m, trap.notes) == (27.7123, 3120, DEN.notes)
    assert trap.location_precision == "exact"


def test_coarse_models_cannot_carry_exact_only_fields():
    with pytest.raises(ValidationError):
        schemas.TrapCoarse.model_validate({**COARSE.trap(DEN).model_dump(), "elevation_m": 3120})
    with pytest.raises(ValidationError):
        schemas.ExifCoarse(make="X", gps={"latitude": 1, "longitude": 2})


def test_every_coarse_model_leaves_out_positions_elevation_notes_and_gps():
    coarse_models = [m for name, m in vars(schemas).items() if name.endswith("Coarse") and isinstance(m, type)]
    assert len(coarse_models) >= 8
    for model in coarse_models:
        assert not {"elevation_m", "notes", "gps", "blob_original"} & set(model.model_fields), model.__name__


def test_coarse_media_has_no_gps_and_no_storage_paths():
    media = COARSE.media(MEDIA)
    dumped = media.model_dump()
    assert "gps" not in dumped["exif"] and "blob_original" not in dumped and media.has_thumbnail
    assert ExactView().media(MEDIA).exif.gps == Gps(latitude=27.7123, longitude=88.1987)
    page = COARSE.media_page(MediaPage(items=[MEDIA], next_cursor="c"))
    assert not [t for t in exact_text() if t in page.model_dump_json()] and page.next_cursor == "c"


def test_coarse_trap_detail_hides_sparse_sensitive_counts_and_media_count():
    detail = TrapDetail(**DEN.model_dump(), counts={Group.RED_PANDA: 2, Group.BIRD: 4}, media_count=6)
    coarse = COARSE.trap_detail(detail)
    assert coarse.counts == {Group.BIRD: 4} and "media_count" not in coarse.model_dump()


def _feature(trap_id: str, lat: float, counts: dict) -> TrapFeature:
    return TrapFeature(id=trap_id, geometry=PointGeometry(coordinates=(88.11, lat)),
                       properties=TrapProperties(id=trap_id, name=trap_id, elevation_m=3000, counts=counts,
                                                 total=sum(counts.values())))


def test_coarse_trap_map_snaps_geometry_and_drops_elevation():
    feature = COARSE.trap_map(TrapCollection(features=[_feature("t", 27.7123, {Group.RED_PANDA: 4})])).features[0]
    assert feature.geometry.coordinates == (88.15, 27.75)
    assert "elevation_m" not in feature.properties.model_dump()


def test_coarse_trap_map_never_names_sensitive_counts_per_trap():
    """Per trap is below cell level: a coarse caller gets sensitive groups only on the heatmap."""
    collection = TrapCollection(features=[_feature("a", 27.71, {Group.RED_PANDA: 9, Group.BIRD: 4}),
                                          _feature("b", 27.72, {Group.RED_PANDA: 2})])
    a, b = COARSE.trap_map(collection).features
    assert a.properties.counts == {Group.BIRD: 4} and a.properties.total == 4
    assert b.properties.counts == {} and b.properties.total == 0
    assert ExactView().trap_map(collection).features[0].properties.counts[Group.RED_PANDA] == 9


def test_coarse_trap_detail_never_names_sensitive_counts():
    detail = TrapDetail(**DEN.model_dump(), counts={Group.RED_PANDA: 7, Group.BIRD: 2}, media_count=12)
    out = COARSE.trap_detail(detail)
    assert out.counts == {Group.BIRD: 2}
    assert "media_count" not in out.model_dump()  # total minus the shown counts would tell


def test_heatmap_of_public_group_is_summed_per_cell():
    heat = Heatmap(group=Group.BIRD, points=[(27.71, 88.11, 2), (27.72, 88.12, 1), (27.81, 88.11, 1)])
    out = COARSE.heatmap(heat)
    assert out.points == [(27.75, 88.15, 3), (27.85, 88.15, 1)] and out.precision == "cell:0.1deg"
    assert out.time_bin is None


def _months(*points):
    return MonthlyHeatmap(group=Group.RED_PANDA, points=list(points))


def test_monthly_heatmap_counts_each_cell_month_only_at_the_minimum():
    heat = _months((27.71, 88.11, "2026-01", 2), (27.72, 88.12, "2026-01", 1),  # one cell: 3 in January
                   (27.71, 88.11, "2026-02", 2),                                   # 2 in February: hidden
                   (27.81, 88.11, "2026-01", 5))
    out = COARSE.monthly_heatmap(heat, None)
    assert out.points == [(27.75, 88.15, 3), (27.85, 88.15, 5)]
    assert out.time_bin == "month"


def test_monthly_heatmap_windows_cannot_be_differenced_below_the_minimum():
    """Whatever months a caller asks for, each answer is a sum of (cell, month) figures that
    are each zero or at least the minimum: so is what a window adds to one inside it."""
    months = [("2026-01", 2), ("2026-02", 4), ("2026-03", 1), ("2026-04", 3)]
    published = {}
    for i in range(len(months)):
        for j in range(i, len(months)):
            heat = _months(*[(27.71, 88.11, m, n) for m, n in months[i:j + 1]])
            points = COARSE.monthly_heatmap(heat, None).points
            published[(i, j)] = points[0][2] if points else 0
    for (i, j), total in published.items():
        for (k, m), inner in published.items():
            if i <= k and m <= j:
                difference = total - inner
                assert difference == 0 or difference >= POLICY.min_count, ((i, j), (k, m))


def test_monthly_heatmap_box_keeps_cells_by_centre_so_a_trap_on_a_cell_line_is_not_pinned():
    on_line = _months((27.7, 88.2, "2026-01", 4))  # exactly on a cell corner
    west = COARSE.monthly_heatmap(on_line, "88.1,27.6,88.2,27.7").points
    east = COARSE.monthly_heatmap(on_line, "88.2,27.7,88.3,27.8").points
    # It belongs to one cell; boxes meeting at the line cannot both contain it.
    assert (west, east) == ([], [(27.75, 88.25, 4)])


@pytest.mark.parametrize(("start", "end", "expected"), [
    (datetime(2026, 3, 14, tzinfo=UTC), datetime(2026, 3, 15, tzinfo=UTC), ("2026-03", "2026-03")),
    (datetime(2026, 1, 31, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC), ("2026-01", "2026-02")),
    (None, None, (None, None)),
])
def test_months_widen_a_window_to_whole_months(start, end, expected):
    assert CoarseView.months(start, end) == expected


def test_coarse_analytics_keeps_no_sensitive_counts():
    analytics = Analytics(per_day=[], by_hour=[0] * 24, confidence_histogram=[], review_share=[],
                          per_trap=[TrapCounts(trap_id="den", name="Den", counts={Group.RED_PANDA: 20, Group.BIRD: 1})])
    out = COARSE.analytics(analytics)
    assert out.per_trap[0].counts == {Group.BIRD: 1}
    assert ExactView().analytics(analytics).per_trap[0].counts[Group.RED_PANDA] == 20


def test_coarse_view_hides_sensitive_and_unlabelled_media_records():
    from ailurus_common.domain import MediaStatus

    labelled = MEDIA.model_copy(update={"status": MediaStatus.CLASSIFIED, "group": Group.MAMMAL})
    assert COARSE.visible(labelled)
    sighting = MEDIA.with_observation(Observation(id="o", group=Group.RED_PANDA, method="human",
                                                  classified_by="r"))
    assert not COARSE.visible(sighting) and ExactView().visible(sighting)
    # Not labelled yet, it may still turn out a red panda: a coarse caller would watch it vanish.
    assert MEDIA.status == MediaStatus.PENDING and not COARSE.visible(MEDIA) and ExactView().visible(MEDIA)
    page = MediaPage(items=[sighting, MEDIA, labelled], next_cursor=None)
    assert [m.id for m in COARSE.media_page(page).items] == [labelled.id]
    assert COARSE.hidden_groups == [Group.RED_PANDA] and ExactView().hidden_groups == []


def test_coarse_observations_carry_no_top_k():
    observed = MEDIA.with_observation(Observation(id="o", group=Group.BIRD, method="machine", classified_by="m:1",
                                                  top_k=[LabelScore(label="lesser panda", score=0.3)]))
    assert "lesser panda" not in COARSE.media(observed).model_dump_json()
    assert "lesser panda" in ExactView().media(observed).model_dump_json()


def test_bbox_grows_to_whole_cells():
    assert COARSE.bbox("88.1234,27.7001,88.1235,27.7002") == "88.1,27.7,88.2,27.8"
    assert COARSE.bbox(None) is None
    assert COARSE.bbox("garbage") == "garbage"
    assert ExactView().bbox("1,2,3,4") == "1,2,3,4"


def test_bbox_not_finite_is_left_for_ingest_to_refuse():
    assert COARSE.bbox("inf,0,1,1") == "inf,0,1,1"
    assert COARSE.bbox("nan,nan,nan,nan") == "nan,nan,nan,nan"


def test_coarse_media_names_no_people():
    reviewed = MEDIA.with_observation(Observation(id="o", group=Group.RED_PANDA, method="human",
                                                  classified_by="reviewer-anna"))
    dumped = COARSE.media(reviewed).model_dump_json()
    assert "reviewer-anna" not in dumped and '"uploaded_by"' not in dumped
    assert "reviewer-anna" in ExactView().media(reviewed).model_dump_json()


def test_coarse_view_withholds_thumbnail_of_people_labelled_or_reviewed():
    machine = Observation(id="m", group=Group.MAMMAL, label="x", method="machine", classified_by="m:1")
    review = Observation(id="h", group=Group.HUMAN, method="human", classified_by="ranger-anna")
    person = MEDIA.with_observation(machine).with_observation(review)
    animal = MEDIA.with_observation(machine)
    assert COARSE.media(person).has_thumbnail is False and not COARSE.shows_thumbnail(person)
    assert COARSE.media(animal).has_thumbnail is True and COARSE.shows_thumbnail(animal)
    assert ExactView().media(person).has_thumbnail is True and ExactView().shows_thumbnail(person)
    assert "ranger-anna" not in COARSE.media(person).model_dump_json()


def test_exact_review_queue_is_built_from_public_models_only():
    media = MEDIA.model_copy(update={"sequence_id": "s1", "top_k_groups": {Group.RED_PANDA: 0.2}})
    page = ReviewQueuePage(items=[ReviewBurst(sequence_id="s1", deployment_id="den", priority="sensitive",
                                              media=[media], more_frames=False)],
                           next_cursor=None, counts=ReviewCounts(total=1, sensitive=1, low_confidence=0, rest=0))
    out = ExactView().review_queue(page)
    assert isinstance(out.items[0].media[0], schemas.MediaExact)
    text = out.model_dump_json()
    assert "blob_original" not in text and "top_k_groups" not in text  # storage paths and internals stay in
    assert (out.items[0].priority, out.counts.sensitive, out.location_precision) == ("sensitive", 1, "exact")
    assert not hasattr(COARSE, "review_queue")  # no coarse form: coarse callers are refused (403)


def test_coarse_changes_drop_sensitive_and_unlabelled_media_even_if_ingest_sent_them():
    from ailurus_common.contracts.ingest import ChangePage
    from ailurus_common.domain import MediaStatus

    labelled = MEDIA.model_copy(update={"status": MediaStatus.CLASSIFIED, "group": Group.MAMMAL})
    panda = labelled.model_copy(update={"id": "b" * 64, "group": Group.RED_PANDA})
    pending = MEDIA.model_copy(update={"id": "c" * 64})
    page = ChangePage(items=[labelled, panda, pending], cursor="next")
    coarse = COARSE.changes(page, limit=3)
    assert isinstance(coarse, schemas.ChangePageCoarse)
    assert [m.id for m in coarse.items] == [labelled.id] and coarse.cursor == "next" and coarse.has_more
    assert not [t for t in ("27.7123", "88.1987") if t in coarse.model_dump_json()]
    exact = ExactView().changes(page, limit=10)
    assert [m.id for m in exact.items] == [labelled.id, panda.id, pending.id] and not exact.has_more


def test_coarse_changes_tell_only_of_deletions_the_caller_could_see():
    from ailurus_common.contracts.ingest import ChangePage, DeletedMedia
    from ailurus_common.domain import MediaStatus

    def gone(n: str, status: MediaStatus, group: Group | None) -> DeletedMedia:
        return DeletedMedia(id=n * 64, deployment_id="den", deleted_at=NOW, status=status, group=group)

    deleted = [gone("d", MediaStatus.CLASSIFIED, Group.MAMMAL), gone("e", MediaStatus.CLASSIFIED, Group.RED_PANDA),
               gone("f", MediaStatus.PENDING, None)]
    page = ChangePage(items=[], deleted=deleted, cursor="next")
    coarse = COARSE.changes(page, limit=3)
    assert [d.id for d in coarse.deleted] == ["d" * 64] and coarse.has_more
    assert set(coarse.deleted[0].model_dump()) == {"id", "deployment_id", "deleted_at"}  # no group, no status
    assert [d.id for d in ExactView().changes(page, limit=10).deleted] == [d.id for d in deleted]
