"""Every Helm add-on the program installs, against its upstream's Kubernetes support statement,
for each stack's cluster version."""

from __future__ import annotations

import pytest

from components.capacity import cluster_autoscaler, nvidia_device_plugin
from components.cluster import metrics_server
from components.cluster.addon_compatibility import KubernetesSupport
from components.edge import load_balancer_controller
from components.interruption import termination_handler
from infra.settings import load_settings

FIXED_RELEASE = (
    metrics_server,
    load_balancer_controller,
    termination_handler,
    nvidia_device_plugin,
)


@pytest.fixture
def cluster_minor(stack_document, engine_config):
    return lambda stack: (
        load_settings(stack, engine_config(stack_document(stack))).cluster.kubernetes_version
    )


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_addon_supports_the_stacks_kubernetes(stack, cluster_minor):
    minor = cluster_minor(stack)
    records = [module.KUBERNETES_SUPPORT for module in FIXED_RELEASE]
    records.append(cluster_autoscaler.KUBERNETES_SUPPORT[minor])
    problems = [problem for record in records if (problem := record.support_problem(minor))]
    assert not problems, problems


def test_every_pinned_autoscaler_image_matches_its_minor():
    for minor, (_chart, image) in cluster_autoscaler.CHART_FOR_KUBERNETES.items():
        assert image.removeprefix("v").rsplit(".", 1)[0] == minor, (minor, image)


def test_the_autoscaler_runs_the_newest_patch_of_its_minor():
    """kubernetes/autoscaler tags cluster-autoscaler-1.35.2 and -1.34.5 (2026-07-22) are the
    newest of their minors (README "Releases": use the latest patch); the charts' appVersions
    (1.35.0, 1.34.2) lag behind them."""
    assert cluster_autoscaler.CHART_FOR_KUBERNETES["1.35"][1] == "v1.35.2"
    assert cluster_autoscaler.CHART_FOR_KUBERNETES["1.34"][1] == "v1.34.5"


@pytest.mark.parametrize(
    ("record", "minor", "problem"),
    [
        (
            KubernetesSupport(
                addon="a", minimum="1.31", tested_through=None, statement="", source="s"
            ),
            "1.30",
            "needs",
        ),
        (
            KubernetesSupport(
                addon="a", minimum="1.29", tested_through="1.32", statement="", source="s"
            ),
            "1.35",
            "tested through",
        ),
        (
            KubernetesSupport(
                addon="a", minimum="1.29", tested_through="1.32", statement="", source="s"
            ),
            "1.32",
            None,
        ),
        (
            KubernetesSupport(
                addon="a",
                minimum="1.29",
                tested_through="1.32",
                statement="",
                source="s",
                untested_accepted_because="r",
            ),
            "1.35",
            None,
        ),
    ],
)
def test_support_problem(record, minor, problem):
    found = record.support_problem(minor)
    assert (found is None) if problem is None else (problem in found), found
