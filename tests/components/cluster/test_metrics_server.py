"""metrics-server: pinned chart on the system pool."""

from components.cluster.metrics_server import (
    CHART_VERSION,
    MetricsServer,
    MetricsServerArgs,
    metrics_server_values,
)
from components.nodes.placement import system_pod_placement


def test_values_place_it_on_the_system_pool_with_a_drainable_pdb():
    values = metrics_server_values(replicas=2)
    assert values["replicas"] == 2
    assert {"nodeSelector": values["nodeSelector"], "tolerations": values["tolerations"]} == system_pod_placement()
    assert values["podDisruptionBudget"] == {"enabled": True, "maxUnavailable": 1}


def test_release_is_the_official_chart_pinned(declare):
    (release,) = declare(lambda: MetricsServer("metrics-server", MetricsServerArgs())).of_type("kubernetes:helm.sh/v3:Release")
    assert release.inputs["chart"] == "metrics-server" and release.inputs["version"] == CHART_VERSION
    assert release.inputs["repositoryOpts"] == {"repo": "https://kubernetes-sigs.github.io/metrics-server/"}
    assert release.inputs["namespace"] == "kube-system"
