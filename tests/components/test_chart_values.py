"""Every Helm release passes only values its pinned chart has.

Helm ignores a values key the chart does not read, so a misspelled or renamed key silently falls
back to the chart's default. Offline there is no chart to render, so each pinned chart's values
key paths are recorded in tests/data/<chart>-<version>-values-keys.txt (read from the chart's
values.yaml at its release tag; the header of each file names the source) and every release the
program declares is checked against the file of its chart and version.
"""

from __future__ import annotations

import pytest

from mlp.plan import Inventory
from tests.helm_chart_keys import DATA, chart_keys, key_file, unknown_paths

RELEASE = "kubernetes:helm.sh/v3:Release"


def release_problems(inventory: Inventory) -> list[str]:
    problems = []
    for release in inventory.of_type(RELEASE):
        chart, version = release.inputs["chart"], release.inputs["version"]
        path = key_file(chart, version)
        if not path.exists():
            problems.append(f"{release.name}: no key file for chart {chart} {version} (expected tests/data/{path.name})")
            continue
        unknown = unknown_paths(release.inputs.get("values", {}), *chart_keys(path))
        problems += [f"{release.name}: {chart} {version} has no values key {key!r}" for key in unknown]
    return problems


def test_every_release_of_the_stack_uses_only_keys_of_its_pinned_chart(stack_inventory):
    releases = stack_inventory.of_type(RELEASE)
    assert len(releases) >= 4, f"{stack_inventory.stack}: expected the add-on releases, found {[r.name for r in releases]}"
    problems = release_problems(stack_inventory)
    assert not problems, "\n".join(problems)


def _device_plugin():
    from components.capacity.nvidia_device_plugin import NvidiaDevicePlugin, NvidiaDevicePluginArgs

    return NvidiaDevicePlugin("gpu", NvidiaDevicePluginArgs())


def _pinned_autoscaler_versions() -> list[str]:
    from components.capacity.cluster_autoscaler import CHART_FOR_KUBERNETES

    return sorted(CHART_FOR_KUBERNETES)


@pytest.mark.parametrize("kubernetes_version", _pinned_autoscaler_versions())
def test_every_pinned_autoscaler_chart_gets_only_its_keys(autoscaler_example, kubernetes_version):
    """The stacks run one Kubernetes minor; the other pinned autoscaler chart is checked here."""
    inventory = autoscaler_example(kubernetes_version)
    assert len(inventory.of_type(RELEASE)) == 1
    problems = release_problems(inventory)
    assert not problems, "\n".join(problems)


def test_the_device_plugin_gets_only_its_chart_keys(declare):
    """The GPU pool is off in both stacks, so its plugin is checked as the component declares it."""
    inventory = declare(_device_plugin)
    assert len(inventory.of_type(RELEASE)) == 1
    problems = release_problems(inventory)
    assert not problems, "\n".join(problems)


# --- the check itself can fail -----------------------------------------------------------------

AUTOSCALER_KEYS = chart_keys(key_file("cluster-autoscaler", "9.59.0"))


def test_a_misspelled_key_is_refused():
    values = {"replicaCount": 2, "autoDiscovery": {"clusterNames": ["mlp-unit"]}, "podDisruptionBudgets": {"maxUnavailable": 1}}
    assert unknown_paths(values, *AUTOSCALER_KEYS) == ["autoDiscovery.clusterNames", "podDisruptionBudgets", "podDisruptionBudgets.maxUnavailable"]


def test_a_sub_key_of_a_closed_map_is_refused_and_of_an_open_map_allowed():
    values = {
        "rbac": {"serviceAccount": {"annotations": {"eks.amazonaws.com/role-arn": "arn"}, "nmae": "x"}},
        "extraArgs": {"expander": "priority"},
        "nodeSelector": {"kubernetes.io/os": "linux"},
        "image": {"tag": "v1", "digest": "sha256:0"},
    }
    assert unknown_paths(values, *AUTOSCALER_KEYS) == ["rbac.serviceAccount.nmae", "image.digest"]


def test_a_release_of_a_chart_without_a_key_file_is_refused(declare):
    import pulumi
    import pulumi_kubernetes as k8s

    def build():
        k8s.helm.v3.Release("unrecorded", chart="cluster-autoscaler", version="9.0.0", values={},
                            opts=pulumi.ResourceOptions(provider=k8s.Provider("cluster", kubeconfig="{}")))

    (problem,) = release_problems(declare(build))
    assert problem.startswith("unrecorded: no key file for chart cluster-autoscaler 9.0.0")


def test_every_key_file_names_its_source():
    for path in DATA.glob("*-values-keys.txt"):
        header = [line for line in path.read_text().splitlines() if line.startswith("#")]
        assert any("commit " in line for line in header), f"{path.name}: header names no commit"
