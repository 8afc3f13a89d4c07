"""The Helm chart: lint, render and validate under every value set of ailurus_tools.helm_check."""

import copy

import helm_python as helm
import pytest

from ailurus_tools import helm_check

COMPONENTS = ("gateway", "preprocess", "ingest", "worker", "notifier", "triton")


@pytest.fixture(scope="module")
def default_objects() -> helm_check.Objects:
    objects, problems = helm_check.parse_manifests(helm_check.render({}))
    assert problems == []
    return objects


@pytest.mark.parametrize("scenario", helm_check.SCENARIOS, ids=lambda s: s.name)
def test_render_chart_is_valid_under_value_set(scenario: helm_check.Scenario) -> None:
    result = helm_check.check_scenario(scenario)

    assert result.problems == []
    assert result.objects


def test_chart_sources_are_documented_and_parse() -> None:
    assert helm_check.source_problems() == []


def test_render_defaults_has_deployment_and_service_per_component(default_objects: helm_check.Objects) -> None:
    rendered = {(obj["kind"], obj["metadata"]["name"]) for obj in default_objects}

    for component in COMPONENTS:
        assert ("Deployment", f"{helm_check.RELEASE}-{component}") in rendered
        assert ("Service", f"{helm_check.RELEASE}-{component}") in rendered


def test_render_defaults_wires_preprocess_to_triton_and_model_sync(default_objects: helm_check.Objects) -> None:
    deployments = {obj["metadata"]["name"]: obj for obj in default_objects if obj["kind"] == "Deployment"}
    preprocess = deployments[f"{helm_check.RELEASE}-preprocess"]["spec"]["template"]["spec"]
    env = {e["name"]: e.get("value") for e in preprocess["containers"][0]["env"]}
    triton = deployments[f"{helm_check.RELEASE}-triton"]["spec"]["template"]["spec"]

    assert env["PREPROCESS_TRITON_URL"] == f"{helm_check.RELEASE}-triton:8001"
    assert env["PREPROCESS_MODEL_DIR"] == "/models/ailurus_classifier"
    assert {"--model-control-mode=explicit", "--load-model=*"} <= set(triton["containers"][0]["args"])
    for pod in (preprocess, triton):
        assert [c["name"] for c in pod["initContainers"]] == ["model-sync-init"]
        assert "model-sync" in [c["name"] for c in pod["containers"]]


@pytest.mark.parametrize("typo", [
    {"gateway": {"autoscalling": {"enabled": False}}},
    {"preprocess": {"autoscaling": {"minReplica": 1}}},
    {"triton": {"gpu": {"enable": True}}},
    {"ingres": {"enabled": True}},
], ids=["service-key", "nested-key", "triton-key", "top-level-key"])
def test_render_chart_with_typo_in_values_fails_schema(typo: dict) -> None:
    with pytest.raises(helm.HelmValuesError, match="additional properties"):
        helm_check.render(typo)
    assert any("additional properties" in problem for problem in helm_check.lint_chart(typo))


def test_workload_check_flags_replicas_on_hpa_owned_deployment(default_objects: helm_check.Objects) -> None:
    objects = copy.deepcopy(default_objects)
    gateway = next(o for o in objects if o["kind"] == "Deployment" and o["metadata"]["name"].endswith("-gateway"))
    gateway["spec"]["replicas"] = 3

    assert any("sets replicas although an HPA owns it" in p for p in helm_check.workload_problems(objects))


def test_workload_check_flags_unhardened_or_unprobed_container(default_objects: helm_check.Objects) -> None:
    objects = copy.deepcopy(default_objects)
    ingest = next(o for o in objects if o["kind"] == "Deployment" and o["metadata"]["name"].endswith("-ingest"))
    container = ingest["spec"]["template"]["spec"]["containers"][0]
    del container["readinessProbe"]
    container["securityContext"]["readOnlyRootFilesystem"] = False

    problems = helm_check.workload_problems(objects)

    assert any("missing readiness probe" in p for p in problems)
    assert any("securityContext not hardened" in p for p in problems)


def test_validate_object_rejects_unknown_field_strictly(default_objects: helm_check.Objects) -> None:
    service = copy.deepcopy(next(o for o in default_objects if o["kind"] == "Service"))
    service["spec"]["portz"] = []

    assert any("portz" in problem for problem in helm_check.validate_object(service))


def test_undocumented_values_flags_key_without_comment() -> None:
    text = "# -- Documented.\ndocumented: 1\nundocumented: 2\n"

    assert helm_check.undocumented_values(text) == ["values.yaml:3: key undocumented has no comment"]
