"""Every Helm add-on's pods get the services' security posture, at the keys its pinned chart reads.

Charts are not committed, so the check works on the program's values: each component names the
chart keys its chart renders as the pod's and the container's securityContext (with the template
that does so); the keys must exist in the chart's recorded values-keys file, and the values
there must hold every hardened setting but the ones the component documents its workload cannot
take.
"""

from __future__ import annotations

import pytest

from components.capacity import cluster_autoscaler, nvidia_device_plugin
from components.cluster import metrics_server
from components.cluster.addon_security import REQUIRED, container_security_context, hardening_gaps
from components.edge import load_balancer_controller
from components.interruption import termination_handler
from tests.helm_chart_keys import chart_keys, key_file

RELEASE = "kubernetes:helm.sh/v3:Release"
COMPONENT_OF_CHART = {
    "cluster-autoscaler": cluster_autoscaler,
    "metrics-server": metrics_server,
    "aws-load-balancer-controller": load_balancer_controller,
    "aws-node-termination-handler": termination_handler,
    "nvidia-device-plugin": nvidia_device_plugin,
}


def _gaps(release) -> list[str]:
    chart = release.inputs["chart"].rsplit("/", 1)[-1]
    module = COMPONENT_OF_CHART[chart]
    keys, _open = chart_keys(key_file(release.inputs["chart"], release.inputs["version"]))
    values = release.inputs["values"]
    problems = []
    for key in (module.POD_SECURITY_CONTEXT_KEY, module.CONTAINER_SECURITY_CONTEXT_KEY):
        if key not in keys:
            problems.append(f"{chart}: {key!r} is not a key of chart {release.inputs['version']}")
    exempt = getattr(module, "RUNS_AS_ROOT", ())
    gaps = hardening_gaps(
        values.get(module.POD_SECURITY_CONTEXT_KEY, {}),
        values.get(module.CONTAINER_SECURITY_CONTEXT_KEY, {}),
        exempt,
    )
    return problems + [f"{release.name} ({chart}): no {gap}" for gap in gaps]


def test_every_stack_release_is_hardened(stack_inventory):
    releases = stack_inventory.of_type(RELEASE)
    assert {r.inputs["chart"].rsplit("/", 1)[-1] for r in releases} >= set(COMPONENT_OF_CHART) - {
        "nvidia-device-plugin"
    }
    problems = [problem for release in releases for problem in _gaps(release)]
    assert not problems, "\n".join(problems)


def test_each_container_carries_the_whole_hardened_context(stack_inventory):
    """The pod context can mask a thinner container context in `hardening_gaps`; the container's
    own context must be the whole one too (a later literal in the values once overwrote it)."""
    for release in stack_inventory.of_type(RELEASE):
        module = COMPONENT_OF_CHART[release.inputs["chart"].rsplit("/", 1)[-1]]
        expected = container_security_context(as_root=bool(getattr(module, "RUNS_AS_ROOT", ())))
        assert release.inputs["values"][module.CONTAINER_SECURITY_CONTEXT_KEY] == expected, release.name


def test_the_device_plugin_is_hardened_but_for_root(declare):
    inventory = declare(
        lambda: nvidia_device_plugin.NvidiaDevicePlugin(
            "gpu", nvidia_device_plugin.NvidiaDevicePluginArgs()
        )
    )
    (release,) = inventory.of_type(RELEASE)
    assert not _gaps(release)
    values = release.inputs["values"]
    pod, container = values["podSecurityContext"], values["securityContext"]
    # Exactly the documented exemptions are missing, nothing more.
    assert hardening_gaps(pod, container) == list(nvidia_device_plugin.RUNS_AS_ROOT)


@pytest.mark.parametrize("minor", sorted(cluster_autoscaler.CHART_FOR_KUBERNETES))
def test_every_autoscaler_chart_pinned_is_hardened(autoscaler_example, minor):
    (release,) = autoscaler_example(minor).of_type(RELEASE)
    assert not _gaps(release), minor


@pytest.mark.parametrize(
    ("pod", "container", "missing"),
    [
        # The termination handler chart's own defaults (values.yaml at v1.25.6).
        (
            {"fsGroup": 1000},
            {
                "readOnlyRootFilesystem": True,
                "runAsNonRoot": True,
                "allowPrivilegeEscalation": False,
                "runAsUser": 1000,
            },
            ["runAsUser", "seccompProfile", "capabilities"],
        ),
        ({}, {}, list(REQUIRED)),
        # A container override wins over the pod's user.
        (
            {
                "runAsNonRoot": True,
                "runAsUser": 65534,
                "seccompProfile": {"type": "RuntimeDefault"},
            },
            {
                "runAsUser": 0,
                "allowPrivilegeEscalation": False,
                "capabilities": {"drop": ["ALL"]},
                "readOnlyRootFilesystem": True,
            },
            ["runAsUser"],
        ),
    ],
)
def test_gaps_are_found(pod, container, missing):
    assert hardening_gaps(pod, container) == missing
