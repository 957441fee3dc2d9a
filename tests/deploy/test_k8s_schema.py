"""deploy/k8s.yaml against the Kubernetes API's own schemas (kubernetes-validate, which ships
them: no cluster and no network needed), strictly: an unknown or misspelled field fails too.
And the autoscaler sized from the load benchmark (README, "Many at once").
"""

import copy
from pathlib import Path

import pytest
import yaml

kubernetes_validate = pytest.importorskip("kubernetes_validate", reason="kubernetes-validate is not installed")

ROOT = Path(__file__).resolve().parents[2]
# The oldest Kubernetes release still maintained upstream when this was written, and the newest
# the validator knows.
VERSIONS = ["1.32.0", kubernetes_validate.latest_version()]


def documents():
    with open(ROOT / "deploy" / "k8s.yaml") as f:
        return [d for d in yaml.safe_load_all(f) if d]


def by_kind(kind):
    (doc,) = [d for d in documents() if d["kind"] == kind]
    return doc


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("doc", documents(), ids=lambda d: d["kind"])
def test_manifest_is_valid_kubernetes(doc, version):
    kubernetes_validate.validate(doc, version, strict=True)


@pytest.mark.parametrize(
    "kind, path, value",
    [
        ("Deployment", ("spec", "replica"), 2),  # misspelled field
        ("Deployment", ("spec", "replicas"), "two"),  # wrong type
        ("HorizontalPodAutoscaler", ("spec", "maxReplicas"), None),  # required field missing
    ],
)
def test_manifest_is_valid_kubernetes_fail(kind, path, value):
    doc = copy.deepcopy(by_kind(kind))
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    if value is None:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(doc, VERSIONS[-1], strict=True)


def test_autoscaler_scales_the_deployment_on_cpu():
    hpa, deployment = by_kind("HorizontalPodAutoscaler"), by_kind("Deployment")
    target = hpa["spec"]["scaleTargetRef"]
    assert (target["apiVersion"], target["kind"], target["name"]) == ("apps/v1", "Deployment", deployment["metadata"]["name"])
    assert 2 <= hpa["spec"]["minReplicas"] < hpa["spec"]["maxReplicas"]
    (metric,) = hpa["spec"]["metrics"]
    assert metric["resource"]["name"] == "cpu" and 0 < metric["resource"]["target"]["averageUtilization"] < 100
    # Utilization is a share of the request: the container must request CPU.
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert "cpu" in container["resources"]["requests"]


def test_autoscaler_scales_down_slowly():
    # A replica that goes away takes its visitors' sessions with it (they reconnect elsewhere
    # and redraw from the browser's state), so scale down only after a long quiet spell.
    behavior = by_kind("HorizontalPodAutoscaler")["spec"]["behavior"]["scaleDown"]
    assert behavior["stabilizationWindowSeconds"] >= 300
