"""What the chart lets talk to what, and as whom: NetworkPolicies, one identity per
component, Triton's restricted APIs, and the value sets the chart refuses to render."""

import helm_python as helm
import pytest

from ailurus_tools import helm_check

R = helm_check.RELEASE
COMPONENTS = ("gateway", "preprocess", "ingest", "worker", "notifier", "triton")


@pytest.fixture(scope="module")
def objects() -> helm_check.Objects:
    values = {"workloadIdentity": {"clientId": "default-id", "clientIds": {"gateway": "gw-id", "ingest": "ingest-id"}}}
    rendered, problems = helm_check.parse_manifests(helm_check.render(values))
    assert problems == []
    return rendered


def _policy(objects, name):
    return next(o for o in objects if o["kind"] == "NetworkPolicy" and o["metadata"]["name"] == name)


def _from_components(rule) -> set[str]:
    return {peer["podSelector"]["matchLabels"]["app.kubernetes.io/component"]
            for peer in rule["from"] if "podSelector" in peer and "namespaceSelector" not in peer}


def _deployment(objects, component):
    return next(o for o in objects if o["kind"] == "Deployment" and o["metadata"]["name"] == f"{R}-{component}")


def _env(objects, component) -> dict[str, str | None]:
    container = _deployment(objects, component)["spec"]["template"]["spec"]["containers"][0]
    return {e["name"]: e.get("value") for e in container["env"]}


def test_render_has_default_deny_for_every_pod_of_the_release(objects):
    deny = _policy(objects, f"{R}-default-deny")
    assert deny["spec"]["policyTypes"] == ["Ingress", "Egress"]
    assert "ingress" not in deny["spec"] and "egress" not in deny["spec"]
    assert deny["spec"]["podSelector"]["matchLabels"]["app.kubernetes.io/instance"] == R


@pytest.mark.parametrize(("component", "callers", "port"), [
    ("ingest", {"gateway", "worker", "notifier"}, "http"), ("preprocess", {"gateway", "worker"}, "http"),
    ("triton", {"preprocess"}, "grpc"), ("notifier", {"gateway"}, "http"),
])
def test_render_lets_only_the_upstream_component_reach_an_internal_one(objects, component, callers, port):
    rules = _policy(objects, f"{R}-{component}")["spec"]["ingress"]
    pod_rules = [rule for rule in rules if _from_components(rule)]
    assert len(pod_rules) == 1 and _from_components(pod_rules[0]) == callers
    assert [p["port"] for p in pod_rules[0]["ports"]] == [port]
    # Every other rule is Prometheus's, and only on the metrics port.
    for rule in rules:
        if rule is not pod_rules[0]:
            assert [p["port"] for p in rule["ports"]] == ["metrics"]
            assert all("namespaceSelector" in peer for peer in rule["from"])


def test_render_gateway_is_reached_only_from_the_ingress_controller(objects):
    rules = _policy(objects, f"{R}-gateway")["spec"]["ingress"]
    http = [rule for rule in rules if [p["port"] for p in rule["ports"]] == ["http"]]
    assert len(http) == 1
    assert http[0]["from"] == [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "app-routing-system"}}}]


@pytest.mark.parametrize(("component", "downstream"), [
    ("gateway", {"ingest", "preprocess", "notifier"}), ("preprocess", {"triton"}), ("ingest", set()), ("triton", set()),
    ("worker", {"ingest", "preprocess"}), ("notifier", {"ingest"}),
])
def test_render_egress_goes_only_to_dns_downstream_and_https(objects, component, downstream):
    egress = _policy(objects, f"{R}-{component}")["spec"]["egress"]
    reached = {peer["podSelector"]["matchLabels"]["app.kubernetes.io/component"]
               for rule in egress for peer in rule["to"] if "podSelector" in peer and "namespaceSelector" not in peer}
    assert reached == downstream
    ports = {p["port"] for rule in egress for p in rule["ports"]}
    assert ports <= ({53, 443, 80, "http"} if component == "notifier" else {53, 443, "http", "grpc"})


def test_render_notifier_delivers_to_the_internet_but_never_to_private_ranges(objects):
    egress = _policy(objects, f"{R}-notifier")["spec"]["egress"]
    webhooks = [rule for rule in egress if {p["port"] for p in rule["ports"]} == {80, 443}]
    assert len(webhooks) == 1
    [peer] = webhooks[0]["to"]
    assert peer["ipBlock"]["cidr"] == "0.0.0.0/0"
    assert {"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16"} <= set(peer["ipBlock"]["except"])
    deployment = _deployment(objects, "notifier")
    assert deployment["spec"]["strategy"] == {"type": "Recreate"} and deployment["spec"]["replicas"] == 1
    claims = [v["persistentVolumeClaim"]["claimName"] for v in deployment["spec"]["template"]["spec"]["volumes"]
              if "persistentVolumeClaim" in v]
    assert claims == [f"{R}-notifier-data"]


def test_render_gives_each_component_its_own_service_account_and_identity(objects):
    accounts = {o["metadata"]["name"]: o for o in objects if o["kind"] == "ServiceAccount"}
    assert set(accounts) == {f"{R}-{c}" for c in COMPONENTS}
    ids = {name: sa["metadata"]["annotations"]["azure.workload.identity/client-id"] for name, sa in accounts.items()}
    assert ids == {f"{R}-gateway": "gw-id", f"{R}-ingest": "ingest-id", f"{R}-preprocess": "default-id",
                   f"{R}-worker": "default-id", f"{R}-notifier": "default-id", f"{R}-triton": "default-id"}
    for component in COMPONENTS:
        pod = _deployment(objects, component)["spec"]["template"]["spec"]
        assert pod["serviceAccountName"] == f"{R}-{component}"
        assert pod["automountServiceAccountToken"] is False


def test_render_restricts_triton_management_and_statistics_apis(objects):
    container = _deployment(objects, "triton")["spec"]["template"]["spec"]["containers"][0]
    args = [a for a in container["args"] if "restricted" in a]
    assert len(args) == 2
    for arg in args:
        apis, key = arg.split("=", 1)[1].split(":")
        assert {"model-repository", "statistics", "model-config", "trace", "logging"} <= set(apis.split(","))
        assert "inference" not in apis and "health" not in apis
        assert key == "triton-access-token=$(TRITON_ACCESS_TOKEN)"
    env = {e["name"]: e for e in container["env"]}
    assert env["TRITON_ACCESS_TOKEN"]["valueFrom"]["secretKeyRef"]["name"] == f"{R}-triton-access"
    assert any(o["kind"] == "Secret" and o["metadata"]["name"] == f"{R}-triton-access" for o in objects)
    # The key is held by Triton alone.
    for component in ("gateway", "preprocess", "ingest"):
        pod = _deployment(objects, component)["spec"]["template"]["spec"]
        assert "triton-access" not in str(pod)


def test_render_worker_is_reached_by_nobody_but_prometheus(objects):
    rules = _policy(objects, f"{R}-worker")["spec"]["ingress"]
    assert [p["port"] for rule in rules for p in rule["ports"]] == ["metrics"] * len(rules)


def test_render_internal_services_check_the_service_audience(objects):
    for component in ("gateway", "preprocess", "ingest"):
        assert _env(objects, component)[f"{component.upper()}_AUTH_SERVICE_AUDIENCE"] == "api://ailurus-internal"


@pytest.mark.parametrize(("values", "message"), [
    ({"auth": {"mode": "local"}}, "auth.mode must be entra"),
    ({"ingress": {"enabled": True, "tls": []}}, "ingress.tls is required"),
], ids=["local-auth", "ingress-without-tls"])
def test_render_refuses_unsafe_value_set(values, message):
    with pytest.raises(helm.HelmRenderError, match=message):
        helm_check.render(values)


def test_render_ingress_with_tls_turns_on_hsts_at_the_gateway():
    values = {"ingress": {"enabled": True, "tls": [{"secretName": "t", "hosts": ["ailurus.example.org"]}]}}
    rendered, _ = helm_check.parse_manifests(helm_check.render(values))
    assert _env(rendered, "gateway")["GATEWAY_HSTS_MAX_AGE_S"] == "31536000"


@pytest.mark.parametrize("component", ["gateway", "preprocess", "ingest"])
def test_render_serves_metrics_on_their_own_port_never_routed_by_the_ingress(objects, component):
    env = _env(objects, component)
    container = _deployment(objects, component)["spec"]["template"]["spec"]["containers"][0]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert int(env[f"{component.upper()}_METRICS_PORT"]) == ports["metrics"] != ports["http"]
    values = {"ingress": {"enabled": True, "tls": [{"secretName": "t", "hosts": ["ailurus.example.org"]}]}}
    rendered, _ = helm_check.parse_manifests(helm_check.render(values))
    ingress = next(o for o in rendered if o["kind"] == "Ingress")
    routed = {p["backend"]["service"]["port"]["name"] for rule in ingress["spec"]["rules"] for p in rule["http"]["paths"]}
    assert routed == {"http"}


def test_render_gateway_service_keeps_a_client_on_one_pod_for_live_progress(objects):
    services = {o["metadata"]["name"]: o for o in objects if o["kind"] == "Service"}
    assert services[f"{R}-gateway"]["spec"]["sessionAffinity"] == "ClientIP"
    assert "sessionAffinity" not in services[f"{R}-ingest"]["spec"]


def test_render_gateway_limits_each_caller_and_settings_read_it(monkeypatch):
    """The chart turns the per-caller rate limit on, and the gateway's own settings take what it renders."""
    from gateway.config import GatewaySettings

    values = {"gateway": {"rateLimit": {"perMinute": 300, "burst": 30}, "trustedProxies": ["10.244.0.0/16"]}}
    rendered, problems = helm_check.parse_manifests(helm_check.render(values))
    assert problems == []
    env = _env(rendered, "gateway")
    for name in ("GATEWAY_RATE_LIMIT_PER_MINUTE", "GATEWAY_RATE_LIMIT_BURST", "GATEWAY_TRUSTED_PROXIES"):
        monkeypatch.setenv(name, env[name])
    settings = GatewaySettings(_env_file=None)
    assert (settings.rate_limit_per_minute, settings.rate_limit_burst) == (300, 30)
    assert settings.trusted_proxies == ["10.244.0.0/16"]
    defaults = _env(helm_check.parse_manifests(helm_check.render({}))[0], "gateway")
    assert float(defaults["GATEWAY_RATE_LIMIT_PER_MINUTE"]) > 0 and defaults["GATEWAY_TRUSTED_PROXIES"] == "[]"


def test_render_ml_service_reaches_ingest_to_announce_switches():
    values = {"ml": {"enabled": True, "registryUri": "azureml://westeurope.api.azureml.ms/mlflow/v1.0/subscriptions/s/"
                                                     "resourceGroups/g/providers/Microsoft.MachineLearningServices/"
                                                     "workspaces/w"}}
    rendered, problems = helm_check.parse_manifests(helm_check.render(values))
    assert problems == []
    ingest_rules = [r for r in _policy(rendered, f"{R}-ingest")["spec"]["ingress"] if _from_components(r)]
    assert [_from_components(r) for r in ingest_rules] == [{"gateway", "worker", "notifier", "ml"}]
    egress = _policy(rendered, f"{R}-ml")["spec"]["egress"]
    reached = {peer["podSelector"]["matchLabels"]["app.kubernetes.io/component"]
               for rule in egress for peer in rule["to"] if "podSelector" in peer and "namespaceSelector" not in peer}
    assert reached == {"triton", "ingest"}
    assert _env(rendered, "ml")["ML_INGEST_URL"].endswith(":8082")
    # One switcher of what Triton serves, also during a rollout: never two ML pods at once.
    ml = _deployment(rendered, "ml")["spec"]
    assert ml["strategy"] == {"type": "Recreate"} and ml["replicas"] == 1


def test_render_gateway_shares_upload_progress_between_pods(objects):
    assert _env(objects, "gateway")["GATEWAY_PROGRESS_SHARED"] == "true"
