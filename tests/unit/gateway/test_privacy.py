import pytest

from gateway.privacy import PrivacyPolicy

POLICY = PrivacyPolicy(cell_deg=0.1, min_count=3, sensitive_groups=frozenset({"red_panda"}))


def test_snap_point_goes_to_cell_centre():
    assert POLICY.snap(27.7123, 88.1987) == (27.75, 88.15)
    assert POLICY.snap(-0.01, -0.01) == (-0.05, -0.05)


def test_snap_points_in_one_cell_are_indistinguishable():
    assert POLICY.snap(27.701, 88.101) == POLICY.snap(27.799, 88.199)


def test_trap_loses_exact_position_elevation_and_notes():
    trap = POLICY.trap({"id": "t", "latitude": 27.7123, "longitude": 88.1987, "elevation_m": 3120,
                        "notes": "200 m north of the rhododendron"})
    assert (trap["latitude"], trap["longitude"]) == (27.75, 88.15)
    assert trap["elevation_m"] is None and trap["notes"] is None
    assert trap["location_precision"] == "cell:0.1deg"


def test_trap_collection_snaps_geometry():
    collection = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "id": "t", "geometry": {"type": "Point", "coordinates": [88.1987, 27.7123]},
         "properties": {"id": "t", "elevation_m": 3000, "counts": {"red_panda": 4}}}]}
    feature = POLICY.trap_collection(collection)["features"][0]
    assert feature["geometry"]["coordinates"] == [88.15, 27.75]
    assert feature["properties"]["elevation_m"] is None


@pytest.mark.parametrize(("group", "expected"), [("red_panda", [[27.75, 88.15, 3]]), ("bird", [[27.75, 88.15, 3],
                                                                                              [27.85, 88.15, 1]])])
def test_heatmap_aggregates_cells_and_hides_small_sensitive_ones(group, expected):
    heat = {"group": group, "points": [[27.71, 88.11, 2], [27.72, 88.12, 1], [27.81, 88.11, 1]]}
    assert POLICY.heatmap(heat)["points"] == expected


def test_media_gps_removed():
    doc = {"id": "m", "exif": {"make": "X", "gps": {"latitude": 27.7, "longitude": 88.1}}}
    assert POLICY.media(doc)["exif"] == {"make": "X", "gps": None}


def test_trap_collection_hides_sensitive_counts_of_sparse_cells():
    def feature(trap_id, lat, counts):
        return {"type": "Feature", "id": trap_id, "geometry": {"type": "Point", "coordinates": [88.11, lat]},
                "properties": {"id": trap_id, "counts": counts}}
    collection = {"features": [feature("a", 27.71, {"red_panda": 1, "bird": 4}), feature("b", 27.72, {"red_panda": 2}),
                               feature("c", 27.91, {"red_panda": 2, "bird": 1})]}
    a, b, c = POLICY.trap_collection(collection)["features"]
    assert a["properties"]["counts"] == {"red_panda": 1, "bird": 4}  # cell total 3 >= min_count
    assert b["properties"]["counts"] == {"red_panda": 2}
    assert c["properties"]["counts"] == {"bird": 1} and c["properties"]["total"] == 1


def test_bbox_grows_to_whole_cells():
    assert POLICY.bbox("88.1234,27.7001,88.1235,27.7002") == "88.1,27.7,88.2,27.8"
    assert POLICY.bbox(None) is None
    assert POLICY.bbox("garbage") == "garbage"
