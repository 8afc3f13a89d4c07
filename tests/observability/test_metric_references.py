"""The chart's Grafana dashboards and Prometheus alert rules read only metrics that exist:
ours from the services' prometheus_client registry, Triton's from the real server."""

import importlib
import json
from pathlib import Path

import httpx
import numpy as np
import pytest
import tritonclient.http as triton_http
import yaml
from prometheus_client import REGISTRY

from ailurus_tools.triton.server import LocalTriton
from tests.observability.promql import exported_names, exposition_names, label_values_metric, metric_names

CHART_DIR = Path(__file__).resolve().parents[2] / "helm" / "ailurus"
DASHBOARDS = sorted((CHART_DIR / "dashboards").glob("*.json"))
ALERT_FILES = sorted((CHART_DIR / "alerts").glob("*.yaml"))
METRICS_MODULES = ("ailurus_common.http", "preprocess.metrics", "gateway.metrics", "ingest.metrics", "worker.metrics")
TRITON_PREFIX = "nv_"
SEVERITIES = {"critical", "warning", "info"}
MODEL_NAME = "ailurus_classifier"


def load_dashboard(path: Path) -> dict:
    return json.loads(path.read_text())


def dashboard_panels(dashboard: dict) -> list[dict]:
    """Every panel, including those folded into collapsed rows."""
    panels = []
    for panel in dashboard.get("panels", []):
        panels.append(panel)
        panels.extend(panel.get("panels", []))
    return panels


def dashboard_exprs(dashboard: dict) -> list[str]:
    """PromQL of every panel target and of every query variable."""
    exprs = [t.get("expr", "") for p in dashboard_panels(dashboard) for t in p.get("targets", [])]
    for variable in dashboard.get("templating", {}).get("list", []):
        if variable.get("type") == "query":
            query = variable["query"]["query"] if isinstance(variable["query"], dict) else variable["query"]
            exprs.append(label_values_metric(query))
    return exprs


def alert_rules(path: Path) -> list[dict]:
    return [rule for group in yaml.safe_load(path.read_text())["groups"] for rule in group["rules"]]


def referenced_names(path: Path) -> set[str]:
    exprs = dashboard_exprs(load_dashboard(path)) if path.suffix == ".json" else [r["expr"] for r in alert_rules(path)]
    return set().union(*(metric_names(expr) for expr in exprs))


SOURCES = DASHBOARDS + ALERT_FILES


@pytest.fixture(scope="module")
def service_metric_names() -> set[str]:
    for module in METRICS_MODULES:
        importlib.import_module(module)
    return exported_names(REGISTRY.collect())


@pytest.fixture(scope="module")
def triton_metric_names(triton: LocalTriton) -> set[str]:
    """Series names on the real server's /metrics after one inference (per-model families
    are filled in by use)."""
    with triton_http.InferenceServerClient(triton.http_url.removeprefix("http://")) as client:
        image = triton_http.InferInput("image", [1, 224, 224, 3], "UINT8")
        image.set_data_from_numpy(np.zeros((1, 224, 224, 3), dtype=np.uint8))
        client.infer(MODEL_NAME, [image])
    return exposition_names(httpx.get(triton.metrics_url, timeout=10).text)


def test_find_chart_dashboards_and_alerts_present():
    assert {p.stem for p in DASHBOARDS} >= {"ailurus-traffic", "ailurus-latency", "ailurus-triton",
                                            "ailurus-pipeline", "ailurus-sightings"}
    assert ALERT_FILES


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_reference_service_metrics_exported_by_registry(path: Path, service_metric_names: set[str]):
    names = referenced_names(path)
    ours = {n for n in names if not n.startswith(TRITON_PREFIX)}

    assert names, "no metric found in any expression"
    assert ours - service_metric_names == set()


@pytest.mark.slow
@pytest.mark.parametrize("path", [p for p in SOURCES if any(n.startswith(TRITON_PREFIX) for n in referenced_names(p))],
                         ids=lambda p: p.name)
def test_reference_triton_metrics_exported_by_real_server(path: Path, triton_metric_names: set[str]):
    triton_names = {n for n in referenced_names(path) if n.startswith(TRITON_PREFIX)}

    assert triton_names - triton_metric_names == set()


def test_load_dashboards_have_unique_uid_and_title():
    dashboards = [load_dashboard(p) for p in DASHBOARDS]
    uids = [d.get("uid") for d in dashboards]

    assert all(uids) and len(set(uids)) == len(uids), uids
    assert all(d.get("title") for d in dashboards)
    assert len({d["title"] for d in dashboards}) == len(dashboards)


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.name)
def test_load_dashboard_uses_datasource_variable(path: Path):
    dashboard = load_dashboard(path)
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}

    assert dashboard["schemaVersion"] >= 39
    assert variables["datasource"]["type"] == "datasource" and variables["datasource"]["query"] == "prometheus"
    for variable in variables.values():
        if variable["type"] == "query":
            assert variable["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, variable["name"]


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.name)
def test_load_dashboard_panels_have_datasource_and_expr(path: Path):
    panels = [p for p in dashboard_panels(load_dashboard(path)) if p["type"] != "row"]
    problems = []
    for panel in panels:
        title = panel.get("title", "?")
        if panel.get("datasource") != {"type": "prometheus", "uid": "${datasource}"}:
            problems.append(f"{title}: datasource {panel.get('datasource')}")
        if not panel.get("targets"):
            problems.append(f"{title}: no targets")
        for target in panel.get("targets", []):
            if not target.get("expr", "").strip():
                problems.append(f"{title} {target.get('refId')}: empty expr")
            if target.get("datasource", panel.get("datasource")) != panel.get("datasource"):
                problems.append(f"{title} {target.get('refId')}: target datasource differs from the panel's")
        if not panel.get("fieldConfig", {}).get("defaults", {}).get("unit"):
            problems.append(f"{title}: no unit")

    assert panels
    assert problems == []


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.name)
def test_load_dashboard_panel_ids_and_grid_are_unique(path: Path):
    panels = dashboard_panels(load_dashboard(path))
    ids = [p["id"] for p in panels]
    cells = [(p["gridPos"]["x"], p["gridPos"]["y"]) for p in panels]

    assert len(set(ids)) == len(ids)
    assert len(set(cells)) == len(cells)
    assert all(p["gridPos"]["x"] + p["gridPos"]["w"] <= 24 for p in panels)


@pytest.mark.parametrize("path", ALERT_FILES, ids=lambda p: p.name)
def test_load_alert_rules_have_severity_and_annotations(path: Path):
    problems = []
    for rule in alert_rules(path):
        if "alert" not in rule:
            continue  # a recording rule
        name = rule["alert"]
        if rule.get("labels", {}).get("severity") not in SEVERITIES:
            problems.append(f"{name}: severity {rule.get('labels', {}).get('severity')!r}")
        for key in ("summary", "description", "runbook"):
            if not str(rule.get("annotations", {}).get(key, "")).strip():
                problems.append(f"{name}: no {key} annotation")
        if not rule.get("for"):
            problems.append(f"{name}: no `for:` (fires on one bad evaluation)")

    assert alert_rules(path)
    assert problems == []


def test_load_alert_names_unique_across_files():
    names = [r["alert"] for path in ALERT_FILES for r in alert_rules(path) if "alert" in r]

    assert len(set(names)) == len(names)


# The extractor itself: these prove the checks above can fail.

@pytest.mark.parametrize(("expr", "expected"), [
    ('histogram_quantile(0.95, sum by (le, service) (rate(ailurus_http_request_duration_seconds_bucket'
     '{service=~"gateway|ingest", route!~"/healthz"}[$__rate_interval])))',
     {"ailurus_http_request_duration_seconds_bucket"}),
    ("sum(rate(a_total[5m])) by (x) / on (x) group_left (y) sum without (z) (b_count offset 1h30m) > bool 1e6",
     {"a_total", "b_count"}),
    ('max_over_time(deriv(g[30m])[1h:5m]) and ignoring (pod) c unless d or label_replace(e, "to", "$1", "f", "(.*)")',
     {"g", "c", "d", "e"}),
    ('{__name__="via_matcher", job="x"} + count_values("le", h) - sum(i) BY (le) # comment metric_in_comment',
     {"via_matcher", "h", "i"}),
    ('increase(j{namespace=~"${namespace:regex}", a="[[b]]"}[$__range]) * Inf', {"j"}),
])
def test_extract_metric_names_skips_functions_labels_and_keywords(expr: str, expected: set[str]):
    assert metric_names(expr) == expected


def test_extract_label_values_query_drops_label_argument():
    assert label_values_metric('label_values(m_count{namespace=~"$namespace"}, service)') == \
        'm_count{namespace=~"$namespace"}'
    assert metric_names(label_values_metric("label_values(m_count, namespace)")) == {"m_count"}


def test_read_exposition_names_keeps_counter_names_as_written():
    text = ('# HELP nv_inference_count Number of inferences\n# TYPE nv_inference_count counter\n'
            'nv_inference_count{model="m",version="1"} 3\nnv_cpu_utilization 0.5\n')

    assert exposition_names(text) == {"nv_inference_count", "nv_cpu_utilization"}


def test_reference_check_reports_histogram_family_and_counter_without_total(service_metric_names: set[str]):
    # Prometheus stores a histogram as _bucket/_count/_sum and a counter with _total: the bare names do not exist.
    wrong = metric_names("rate(ailurus_http_request_duration_seconds[5m]) + rate(ailurus_upload_files[5m])")

    assert wrong - service_metric_names == {"ailurus_http_request_duration_seconds", "ailurus_upload_files"}
    assert "ailurus_upload_files_total" in service_metric_names
    assert "ailurus_preprocess_stage_seconds_bucket" in service_metric_names
