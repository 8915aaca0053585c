"""NvidiaDevicePlugin: the official chart, pinned, on the GPU pool only."""

from components.capacity.nvidia_device_plugin import (
    CHART_REPOSITORY,
    CHART_VERSION,
    NvidiaDevicePlugin,
    NvidiaDevicePluginArgs,
)
from components.nodes.placement import GPU_TAINT, POOL_LABEL, SPOT_TAINT, toleration_for


def test_release_is_the_pinned_official_chart_on_the_gpu_pool(declare):
    (release,) = declare(lambda: NvidiaDevicePlugin("gpu", NvidiaDevicePluginArgs())).of_type("kubernetes:helm.sh/v3:Release")
    assert release.inputs["chart"] == "nvidia-device-plugin"
    assert release.inputs["version"] == CHART_VERSION
    assert release.inputs["repositoryOpts"] == {"repo": CHART_REPOSITORY}
    values = release.inputs["values"]
    assert values["nodeSelector"] == {POOL_LABEL: "gpu"}
    # The chart's default affinity wants Node Feature Discovery labels nothing sets: replaced.
    (term,) = values["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]
    assert term == {"matchExpressions": [{"key": POOL_LABEL, "operator": "In", "values": ["gpu"]}]}
    assert values["tolerations"] == [toleration_for(GPU_TAINT), toleration_for(SPOT_TAINT)]
