"""Lint, render and validate the Helm chart ``helm/ailurus`` with no helm CLI.

``python -m ailurus_tools.helm_check`` (``make helm-lint``) runs Helm's own linter and
template engine (Helm's Go SDK, bundled by the PyPI package helm-python-sdk) under several
value sets, then checks every rendered object:

- built-in kinds against the Kubernetes OpenAPI schemas of ``KUBE_VERSION`` with
  kubernetes-validate in strict mode (unknown fields fail);
- the CRD kinds in ``CRD_KINDS`` (ServiceMonitor, PrometheusRule, SecretProviderClass)
  structurally only: kubernetes-validate ships no schemas for CRDs, so apiVersion, kind,
  metadata.name and the spec fields the operators need are checked by hand;
- rendered YAML with yamllint (duplicate keys parse silently, last one wins);
- the chart's habits: no ``replicas`` in a Deployment its HPA owns; every container has
  requests and limits and a hardened securityContext; serving containers have split
  startup/liveness/readiness probes; Services, HPAs, PDBs, Ingress and ServiceMonitors point
  at objects that exist; each value set renders what it switches on.

It prints one line per value set and every problem, and exits 1 on any problem.
"""

from __future__ import annotations

import json
import re
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import helm_python as helm
import kubernetes_validate
import yaml
from yamllint import linter
from yamllint.config import YamlLintConfig

ROOT = Path(__file__).resolve().parents[2]
CHART_DIR = ROOT / "helm" / "ailurus"
KUBE_VERSION = "1.31.0"
RELEASE = "ailurus"
NAMESPACE = "wildlife"
COMPONENTS = ("gateway", "preprocess", "ingest", "worker", "notifier", "triton")
CRD_KINDS = {
    ("monitoring.coreos.com/v1", "ServiceMonitor"),
    ("monitoring.coreos.com/v1", "PrometheusRule"),
    ("secrets-store.csi.x-k8s.io/v1", "SecretProviderClass"),
    ("keda.sh/v1alpha1", "ScaledObject"),
    ("keda.sh/v1alpha1", "TriggerAuthentication"),
}
# Rendered output: Helm's whitespace handling leaves blank lines and mixes sequence styles
# (toYaml does not indent sequences, templates do); those are cosmetic, duplicates are not.
RENDERED_LINT = YamlLintConfig("""
extends: default
rules:
  document-start: disable
  empty-lines: disable
  line-length: disable
  new-line-at-end-of-file: disable
  comments: {min-spaces-from-content: 1}
  indentation: {spaces: consistent, indent-sequences: whatever}
""")
SOURCE_LINT = YamlLintConfig("""
extends: default
rules:
  document-start: disable
  line-length: {max: 200}
  comments: {min-spaces-from-content: 1}
""")

Objects = list[dict[str, Any]]
# libyaml's loader when PyYAML was built with it: ten times faster on the rendered output.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _production_values() -> dict[str, Any]:
    """What a real AKS install sets (Azure endpoints, identities, auth), with made-up ids."""
    return {
        "azure": {"tenantId": "11111111-2222-4333-8444-555555555555",
                  "storage": {"accountUrl": "https://ailurusexample.blob.core.windows.net",
                              "queueUrl": "https://ailurusexample.queue.core.windows.net"},
                  "cosmos": {"endpoint": "https://ailurusexample.documents.azure.com:443/"}},
        "workloadIdentity": {"clientId": "22222222-3333-4444-8555-666666666666"},
        "auth": {"audience": "api://ailurus", "clientId": "33333333-4444-4555-8666-777777777777",
                 "apiScope": "api://ailurus/access_as_user"},
    }


@dataclass(frozen=True)
class Scenario:
    """A value set to render, and what its render must contain beyond the common checks."""

    name: str
    values: dict[str, Any]
    expect: Callable[[Objects], list[str]] = field(default=lambda objects: [])


def _kinds(objects: Objects, kind: str) -> Objects:
    return [obj for obj in objects if obj.get("kind") == kind]


def _pod_spec(deployment: dict[str, Any]) -> dict[str, Any]:
    return deployment["spec"]["template"]["spec"]


def _expect_autoscaling_off(objects: Objects) -> list[str]:
    problems = [f"HorizontalPodAutoscaler {o['metadata']['name']} rendered with autoscaling off"
                for o in _kinds(objects, "HorizontalPodAutoscaler")]
    problems += [f"Deployment {d['metadata']['name']}: no replicas with autoscaling off"
                 for d in _kinds(objects, "Deployment") if "replicas" not in d["spec"]]
    return problems


def _expect_gpu(objects: Objects) -> list[str]:
    triton = [d for d in _kinds(objects, "Deployment") if d["metadata"]["name"].endswith("-triton")]
    if not triton:
        return ["no Triton Deployment"]
    pod = _pod_spec(triton[0])
    limits = pod["containers"][0].get("resources", {}).get("limits", {})
    problems = [] if limits.get("nvidia.com/gpu") else ["Triton has no nvidia.com/gpu limit"]
    if not pod.get("nodeSelector"):
        problems.append("Triton has no GPU nodeSelector")
    if not pod.get("tolerations"):
        problems.append("Triton has no GPU tolerations")
    return problems


def _expect_ml_and_training(objects: Objects) -> list[str]:
    """The ML service: one replica (its switch lock is per process), Triton's key, reached by the
    gateway; the training Job runs `ailurus train` on the named snapshot."""
    problems = []
    ml = [d for d in _kinds(objects, "Deployment") if d["metadata"]["name"] == f"{RELEASE}-ml"]
    if not ml:
        return ["no Deployment for the ML service"]
    if ml[0]["spec"].get("replicas") != 1:
        problems.append("the ML service must run one replica")
    env = {e["name"]: e for c in _pod_spec(ml[0])["containers"] for e in c.get("env", [])}
    if env.get("ML_FOLLOW_CHAMPION", {}).get("value") != "ailurus_stations":
        problems.append("the ML service does not follow the registry's champion alias")
    if "secretKeyRef" not in env.get("ML_TRITON_ACCESS_TOKEN", {}).get("valueFrom", {}):
        problems.append("the ML service has no Triton access key (load/unload are restricted)")
    gateway = [d for d in _kinds(objects, "Deployment") if d["metadata"]["name"] == f"{RELEASE}-gateway"]
    if not any(e["name"] == "GATEWAY_ML_URL" for c in _pod_spec(gateway[0])["containers"] for e in c.get("env", [])):
        problems.append("the gateway does not know the ML service's URL")
    jobs = _kinds(objects, "Job")
    if len(jobs) != 1 or "stations-0123456789ab" not in jobs[0]["spec"]["template"]["spec"]["containers"][0]["command"]:
        problems.append("no training Job for the dataset")
    elif not jobs[0]["spec"]["template"]["spec"]["containers"][0]["image"].startswith("ailurus-train:"):
        problems.append("the training Job does not run the training image (torch)")
    return problems


def _expect_edge_and_monitoring(objects: Objects) -> list[str]:
    counts = Counter(obj["kind"] for obj in objects)
    wanted = {"Ingress": 1, "ServiceMonitor": len(COMPONENTS), "SecretProviderClass": 1, "PrometheusRule": 1}
    problems = [f"expected {n} {kind}, rendered {counts[kind]}" for kind, n in wanted.items() if counts[kind] != n]
    return problems + _key_vault_problems(objects)


def _key_vault_problems(objects: Objects) -> list[str]:
    problems = []
    for deployment in _kinds(objects, "Deployment"):
        pod = _pod_spec(deployment)
        uses_secret = any(env.get("valueFrom", {}).get("secretKeyRef", {}).get("name", "").endswith("-keyvault")
                          for c in pod["containers"] for env in c.get("env", []))
        mounts_csi = any("csi" in volume for volume in pod.get("volumes", []))
        if uses_secret != mounts_csi:
            problems.append(f"Deployment {deployment['metadata']['name']}: Key Vault env without the CSI volume "
                            "(the Secret is synced only while a pod mounts it), or the reverse")
    return problems


def _expect_tracing(objects: Objects) -> list[str]:
    """Every service exports OTLP and Application Insights under its own name, the connection
    string from Key Vault (never a literal value)."""
    problems = []
    for deployment in _kinds(objects, "Deployment"):
        name = deployment["metadata"]["name"].removeprefix(f"{RELEASE}-")
        if name not in ("gateway", "preprocess", "ingest"):
            continue
        env = {e["name"]: e for c in _pod_spec(deployment)["containers"] if c["name"] == name for e in c.get("env", [])}
        wanted = {"OTEL_TRACES_EXPORTER": "otlp,azure_monitor", "OTEL_SERVICE_NAME": name,
                  "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf", "OTEL_TRACES_SAMPLER_ARG": "0.1"}
        problems += [f"{name}: {k} is {env.get(k, {}).get('value')!r}, not {v!r}" for k, v in wanted.items()
                     if env.get(k, {}).get("value") != v]
        secret = env.get("APPLICATIONINSIGHTS_CONNECTION_STRING", {}).get("valueFrom", {}).get("secretKeyRef", {})
        if secret.get("key") != "appinsights-connection-string":
            problems.append(f"{name}: the Application Insights connection string is not read from Key Vault")
    triton = next(d for d in _kinds(objects, "Deployment") if d["metadata"]["name"].endswith("triton"))
    args = _pod_spec(triton)["containers"][0]["args"]
    for wanted in ("--trace-config=mode=opentelemetry", "--trace-config=rate=10",
                   "--trace-config=opentelemetry,url=http://otel-collector.monitoring:4318/v1/traces"):
        if wanted not in args:
            problems.append(f"triton: {wanted} missing")
    return problems + _key_vault_problems(objects)


def _expect_keda(objects: Objects) -> list[str]:
    scaled = _kinds(objects, "ScaledObject")
    if len(scaled) != 1 or len(_kinds(objects, "TriggerAuthentication")) != 1:
        return ["expected one ScaledObject and one TriggerAuthentication for the worker"]
    spec = scaled[0]["spec"]
    problems = [] if spec["minReplicaCount"] == 0 else ["the worker should scale to zero"]
    for trigger in spec["triggers"]:
        if trigger["type"] != "azure-queue" or trigger["metadata"].get("accountName") != "ailurusexample":
            problems.append(f"worker trigger: {trigger}")
    if {t["metadata"]["queueName"] for t in spec["triggers"]} != {"ailurus-pending", "ailurus-jobs"}:
        problems.append("the worker should scale on the pending-media and the batch-job queues")
    worker = [d for d in _kinds(objects, "Deployment") if d["metadata"]["name"] == f"{RELEASE}-worker"]
    env = {e["name"] for c in _pod_spec(worker[0])["containers"] for e in c.get("env", [])} if worker else set()
    problems += [f"the worker has no {name}" for name in ("WORKER_JOB_CONCURRENCY", "WORKER_JOB_VISIBILITY_TIMEOUT_S",
                                                           "WORKER_RECLASSIFY_RATE_PER_S", "WORKER_RECLASSIFY_BURST")
                 if name not in env]
    return problems


SCENARIOS: tuple[Scenario, ...] = (
    Scenario("defaults", {}),
    Scenario("autoscaling-off", {
        service: {"autoscaling": {"enabled": False}} for service in COMPONENTS
    }, _expect_autoscaling_off),
    Scenario("gpu", {"triton": {"gpu": {"enabled": True, "count": 1}}}, _expect_gpu),
    Scenario("keda-worker", {**_production_values(),
                             "worker": {"autoscaling": {"enabled": False}, "keda": {"enabled": True}}}, _expect_keda),
    Scenario("ml-and-training", {
        "ml": {"enabled": True, "registryUri": "azureml://westeurope.api.azureml.ms/mlflow/v1.0/subscriptions/s/"
                                              "resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/w",
               "followChampion": "ailurus_stations"},
        "training": {"enabled": True, "dataset": "stations-0123456789ab", "args": ["--holdout-sites", "StationC"]},
    }, _expect_ml_and_training),
    Scenario("ingress-keyvault-monitoring", {
        **_production_values(),
        "ingress": {"enabled": True, "className": "webapprouting.kubernetes.azure.com",
                    "annotations": {"nginx.ingress.kubernetes.io/proxy-body-size": "1g"},
                    "hosts": [{"host": "ailurus.example.org", "paths": [{"path": "/", "pathType": "Prefix"}]}],
                    "tls": [{"secretName": "ailurus-tls", "hosts": ["ailurus.example.org"]}]},
        "keyVault": {"enabled": True, "name": "ailurus-kv",
                     "objects": [{"objectName": "notify-webhook-secret", "key": "webhook-secret"}]},
        # Any variable name works: the service reads it like any other setting.
        "gateway": {"secretEnv": {"GATEWAY_NOTIFY_WEBHOOK_SECRET": "webhook-secret"}},
        "serviceMonitor": {"enabled": True, "labels": {"release": "kube-prometheus-stack"}},
        "prometheusRule": {"enabled": True, "labels": {"release": "kube-prometheus-stack"}},
    }, _expect_edge_and_monitoring),
    Scenario("tracing", {
        **_production_values(),
        "tracing": {"exporter": "otlp,azure_monitor", "otlpEndpoint": "http://otel-collector.monitoring:4318",
                    "connectionStringKey": "appinsights-connection-string"},
        "keyVault": {"enabled": True, "name": "ailurus-kv", "objects": [
            {"objectName": "appinsights-connection-string", "key": "appinsights-connection-string"}]},
    }, _expect_tracing),
)


@dataclass
class Result:
    """What one value set rendered and what is wrong with it."""

    scenario: str
    objects: Objects = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def lint_chart(values: dict[str, Any]) -> list[str]:
    """Helm's linter in strict mode (warnings count); info messages such as a missing icon do not."""
    report = helm.lint(CHART_DIR, values, strict=True, kube_version=f"v{KUBE_VERSION}")
    return [f"helm lint {m['path']}: {m['error'].strip()}" for m in report["messages"] if m["severity"] >= 2]


def render(values: dict[str, Any]) -> dict[str, str]:
    """Render the chart as `helm template` would; raises HelmValuesError or HelmRenderError."""
    with helm.Chart.load(CHART_DIR) as chart:
        return chart.render(values, name=RELEASE, namespace=NAMESPACE)


def parse_manifests(manifests: dict[str, str]) -> tuple[Objects, list[str]]:
    """Rendered templates to objects (NOTES.txt is text, not a manifest), yamllint on each."""
    objects: Objects = []
    problems: list[str] = []
    for template, text in sorted(manifests.items()):
        if not template.endswith((".yaml", ".yml")):
            continue
        problems += [f"yamllint {template}:{p.line}: {p.desc}"
                     for p in linter.run(text, RENDERED_LINT) if p.level == "error"]
        try:
            objects += [doc for doc in yaml.load_all(text, Loader=_YAML_LOADER) if doc]
        except yaml.YAMLError as exc:
            problems.append(f"{template}: not YAML: {exc}")
    return objects, problems


def _crd_problems(obj: dict[str, Any]) -> list[str]:
    """Structural check of the CRD kinds kubernetes-validate has no schema for."""
    spec = obj.get("spec")
    if not isinstance(spec, dict) or not spec:
        return ["no spec"]
    kind = obj["kind"]
    if kind == "ServiceMonitor":
        endpoints = spec.get("endpoints") or []
        ok = spec.get("selector", {}).get("matchLabels") and endpoints and all(e.get("port") for e in endpoints)
        return [] if ok else ["needs selector.matchLabels and endpoints with a port"]
    if kind == "PrometheusRule":
        rules = [rule for group in spec.get("groups") or [] for rule in group.get("rules") or []]
        named = all(group.get("name") for group in spec.get("groups") or [])
        ok = rules and named and all(("alert" in r) != ("record" in r) and r.get("expr") for r in rules)
        return [] if ok else ["needs named groups whose rules each have alert or record, and expr"]
    if kind == "ScaledObject":
        triggers = spec.get("triggers") or []
        ok = spec.get("scaleTargetRef", {}).get("name") and triggers and all(
            t.get("type") and t.get("metadata") and t.get("authenticationRef", {}).get("name") for t in triggers)
        return [] if ok else ["needs scaleTargetRef.name and triggers with type, metadata and authenticationRef"]
    if kind == "TriggerAuthentication":
        ok = spec.get("podIdentity", {}).get("provider") == "azure-workload"
        return [] if ok else ["needs podIdentity.provider azure-workload (no secrets in KEDA)"]
    if kind == "SecretProviderClass":
        ok = spec.get("provider") == "azure" and spec.get("parameters", {}).get("keyvaultName")
        return [] if ok else ["needs provider azure and parameters.keyvaultName"]
    return []


def validate_object(obj: dict[str, Any]) -> list[str]:
    """Strict schema validation of a built-in kind, structural checks of a known CRD kind."""
    name = f"{obj.get('kind')} {obj.get('metadata', {}).get('name')}"
    if not (obj.get("apiVersion") and obj.get("kind") and obj.get("metadata", {}).get("name")):
        return [f"{name}: needs apiVersion, kind and metadata.name"]
    if (obj["apiVersion"], obj["kind"]) in CRD_KINDS:
        return [f"{name}: {p}" for p in _crd_problems(obj)]
    try:
        kubernetes_validate.validate(obj, KUBE_VERSION, strict=True)
    except kubernetes_validate.ValidationError as exc:
        path = ".".join(str(part) for part in exc.path)
        return [f"{name}: {path}: {exc.message}"]
    except kubernetes_validate.SchemaNotFoundError:
        return [f"{name}: {obj['apiVersion']} is neither a Kubernetes {KUBE_VERSION} kind nor a known CRD"]
    return []


def _container_problems(owner: str, container: dict[str, Any], pod: dict[str, Any]) -> list[str]:
    where = f"{owner} container {container['name']}"
    problems = []
    resources = container.get("resources", {})
    for part in ("requests", "limits"):
        if not {"cpu", "memory"} <= set(resources.get(part, {})):
            problems.append(f"{where}: resources.{part} needs cpu and memory")
    pod_sc, sc = pod.get("securityContext", {}), container.get("securityContext", {})
    hardened = (sc.get("allowPrivilegeEscalation") is False and sc.get("readOnlyRootFilesystem") is True
                and "ALL" in sc.get("capabilities", {}).get("drop", [])
                and (sc.get("runAsNonRoot") or pod_sc.get("runAsNonRoot"))
                and (sc.get("runAsUser") or pod_sc.get("runAsUser", 0)) != 0
                and (sc.get("seccompProfile") or pod_sc.get("seccompProfile", {})).get("type") == "RuntimeDefault")
    if not hardened:
        problems.append(f"{where}: securityContext not hardened (non-root uid, read-only root fs, "
                        "no privilege escalation, drop ALL, seccomp RuntimeDefault)")
    writable = {m["mountPath"] for m in container.get("volumeMounts", []) if not m.get("readOnly")}
    if sc.get("readOnlyRootFilesystem") and "/tmp" not in writable:
        problems.append(f"{where}: read-only root file system without a writable /tmp")
    # Only serving containers (with ports) are probed; the model sync sidecar serves nothing.
    if container.get("ports"):
        probes = {kind: container.get(f"{kind}Probe") for kind in ("startup", "liveness", "readiness")}
        missing = [kind for kind, probe in probes.items() if not probe]
        if missing:
            problems.append(f"{where}: missing {', '.join(missing)} probe(s)")
        elif probes["liveness"].get("httpGet", {}).get("path") == probes["readiness"].get("httpGet", {}).get("path"):
            problems.append(f"{where}: liveness and readiness probe the same path (they must be split)")
    return problems


def _selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return bool(selector) and all(labels.get(key) == value for key, value in selector.items())


def workload_problems(objects: Objects) -> list[str]:
    """The chart's habits and the references between its objects."""
    problems: list[str] = []
    deployments = _kinds(objects, "Deployment")
    services = _kinds(objects, "Service")
    hpa_targets = {h["spec"]["scaleTargetRef"]["name"] for h in _kinds(objects, "HorizontalPodAutoscaler")}
    keda_targets = {s["spec"]["scaleTargetRef"]["name"] for s in _kinds(objects, "ScaledObject")}
    auths = {t["metadata"]["name"] for t in _kinds(objects, "TriggerAuthentication")}
    configmaps = {c["metadata"]["name"] for c in _kinds(objects, "ConfigMap")}
    pod_labels = [d["spec"]["template"]["metadata"]["labels"] for d in deployments]
    for deployment in deployments:
        name = f"Deployment {deployment['metadata']['name']}"
        pod = _pod_spec(deployment)
        if deployment["metadata"]["name"] in hpa_targets and "replicas" in deployment["spec"]:
            problems.append(f"{name}: sets replicas although an HPA owns it")
        if deployment["metadata"]["name"] in keda_targets and "replicas" in deployment["spec"]:
            problems.append(f"{name}: sets replicas although a KEDA ScaledObject owns it")
        if deployment["metadata"]["name"] in keda_targets & hpa_targets:
            problems.append(f"{name}: owned by an HPA and a ScaledObject at once")
        if pod.get("automountServiceAccountToken") is not False:
            problems.append(f"{name}: mounts a Kubernetes API token it does not need")
        volumes = {v["name"]: v for v in pod.get("volumes", [])}
        for container in pod.get("initContainers", []) + pod["containers"]:
            problems += _container_problems(name, container, pod)
            problems += [f"{name} container {container['name']}: mounts unknown volume {m['name']}"
                         for m in container.get("volumeMounts", []) if m["name"] not in volumes]
        problems += [f"{name}: volume {v['name']} uses ConfigMap {v['configMap']['name']} the chart does not render"
                     for v in volumes.values() if "configMap" in v and v["configMap"]["name"] not in configmaps]
    for service in services:
        if not any(_selects(service["spec"]["selector"], labels) for labels in pod_labels):
            problems.append(f"Service {service['metadata']['name']}: selects no Deployment's pods")
    for kind in ("PodDisruptionBudget", "ServiceMonitor"):
        for obj in _kinds(objects, kind):
            selector = obj["spec"]["selector"]["matchLabels"]
            targets = pod_labels if kind == "PodDisruptionBudget" else [s["metadata"]["labels"] for s in services]
            if not any(_selects(selector, labels) for labels in targets):
                problems.append(f"{kind} {obj['metadata']['name']}: selects nothing")
    for target in (hpa_targets | keda_targets) - {d["metadata"]["name"] for d in deployments}:
        problems.append(f"an autoscaler targets missing Deployment {target}")
    for scaled in _kinds(objects, "ScaledObject"):
        problems += [f"ScaledObject {scaled['metadata']['name']}: no TriggerAuthentication {t['authenticationRef']['name']}"
                     for t in scaled["spec"]["triggers"] if t["authenticationRef"]["name"] not in auths]
    service_ports = {s["metadata"]["name"]: {p["name"] for p in s["spec"]["ports"]} for s in services}
    for ingress in _kinds(objects, "Ingress"):
        for rule in ingress["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                backend = path["backend"]["service"]
                if backend["port"].get("name") not in service_ports.get(backend["name"], set()):
                    problems.append(f"Ingress {ingress['metadata']['name']}: no Service port {backend}")
    return problems


def _expect_components(objects: Objects) -> list[str]:
    rendered = {(o["kind"], o["metadata"]["name"]) for o in objects}
    return [f"missing {kind} {RELEASE}-{component}" for component in COMPONENTS
            for kind in ("Deployment", "Service") if (kind, f"{RELEASE}-{component}") not in rendered]


def check_scenario(scenario: Scenario) -> Result:
    """Lint, render and validate the chart under one value set."""
    result = Result(scenario.name)
    result.problems += lint_chart(scenario.values)
    try:
        manifests = render(scenario.values)
    except helm.HelmError as exc:
        result.problems.append(f"render: {type(exc).__name__}: {exc}")
        return result
    result.objects, problems = parse_manifests(manifests)
    result.problems += problems
    for obj in result.objects:
        result.problems += validate_object(obj)
    result.problems += workload_problems(result.objects)
    result.problems += _expect_components(result.objects)
    result.problems += scenario.expect(result.objects)
    return result


_KEY = re.compile(r"^(\s*)([A-Za-z0-9_.\-/]+):(\s|$)")
# Kubernetes API structures passed through as they are: their keys are Kubernetes' own fields,
# documented by Kubernetes; the comment on the parent key says what they are for.
PASSTHROUGH_KEYS = {"resources", "podSecurityContext", "securityContext", "nodeSelector",
                    "startup", "liveness", "readiness"}


def undocumented_values(text: str) -> list[str]:
    """Keys of values.yaml with no comment on the line above (or at the end of their line).

    Skipped: keys inside list items (a default toleration is data, not a setting) and the
    fields of the Kubernetes structures in PASSTHROUGH_KEYS.
    """
    problems: list[str] = []
    parents: list[tuple[int, str]] = []
    comment_above = False
    list_indent: int | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped:
            comment_above = False
            continue
        indent = len(line) - len(line.lstrip())
        if stripped.startswith("#"):
            comment_above = True
            continue
        if list_indent is not None and indent <= list_indent and not stripped.startswith("-"):
            list_indent = None
        if stripped.startswith("-") and list_indent is None:
            list_indent = indent
        match = _KEY.match(line)
        if match and list_indent is None:
            parents = [(i, key) for i, key in parents if i < indent]
            passthrough = any(key in PASSTHROUGH_KEYS for _, key in parents)
            if not (comment_above or passthrough or " #" in line):
                problems.append(f"values.yaml:{number}: key {match.group(2)} has no comment")
            parents.append((indent, match.group(2)))
        comment_above = False
    return problems


def source_problems() -> list[str]:
    """values.yaml documented and tidy; alert files are rule groups; dashboards are JSON."""
    values_text = (CHART_DIR / "values.yaml").read_text()
    problems = undocumented_values(values_text)
    sources = [CHART_DIR / "values.yaml", *sorted((CHART_DIR / "alerts").glob("*.yaml"))]
    for path in sources:
        problems += [f"yamllint {path.relative_to(ROOT)}:{p.line}: {p.desc}"
                     for p in linter.run(path.read_text(), SOURCE_LINT) if p.level == "error"]
    for path in sorted((CHART_DIR / "alerts").glob("*.yaml")):
        if not isinstance((yaml.safe_load(path.read_text()) or {}).get("groups"), list):
            problems.append(f"{path.relative_to(ROOT)}: needs a top-level groups: list")
    for path in sorted((CHART_DIR / "dashboards").glob("*.json")):
        try:
            dashboard = json.loads(path.read_text())
        except json.JSONDecodeError as exc:
            problems.append(f"{path.relative_to(ROOT)}: not JSON: {exc}")
            continue
        if not (isinstance(dashboard, dict) and dashboard.get("title") and dashboard.get("uid")):
            problems.append(f"{path.relative_to(ROOT)}: a dashboard needs a title and a uid")
    return problems


def main() -> int:
    started = time.perf_counter()
    failed = False
    print(f"helm-check: chart {CHART_DIR.relative_to(ROOT)}, Helm SDK {helm.helm_sdk_version()}, "
          f"Kubernetes {KUBE_VERSION} schemas (strict)")
    problems = source_problems()
    print(f"  {'FAIL' if problems else 'ok  '} sources: values.yaml documented, alerts and dashboards parse")
    for problem in problems:
        print(f"       - {problem}")
    failed |= bool(problems)
    for scenario in SCENARIOS:
        result = check_scenario(scenario)
        kinds = Counter(obj["kind"] for obj in result.objects)
        summary = ", ".join(f"{kind} {n}" for kind, n in sorted(kinds.items()))
        print(f"  {'FAIL' if result.problems else 'ok  '} {scenario.name}: {len(result.objects)} objects ({summary})")
        for problem in result.problems:
            print(f"       - {problem}")
        failed |= bool(result.problems)
    print(f"helm-check: {'FAILED' if failed else 'passed'} in {time.perf_counter() - started:.1f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
