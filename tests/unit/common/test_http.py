from types import SimpleNamespace

from ailurus_common.http import route_template


def test_route_template_restores_router_prefixes():
    scope = {"path": "/api/v1/traps/ridge-1/images", "route": SimpleNamespace(path="/traps/{trap_id}/images")}
    assert route_template(scope) == "/api/v1/traps/{trap_id}/images"


def test_route_template_top_level_route_unchanged():
    assert route_template({"path": "/readyz", "route": SimpleNamespace(path="/readyz")}) == "/readyz"


def test_route_template_unmatched_request():
    assert route_template({"path": "/nope"}) == "unmatched"
