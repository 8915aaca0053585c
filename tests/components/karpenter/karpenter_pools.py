"""The one place the Karpenter tests get their pools: a diversified spot pool, an on-demand pool
with a larger root volume, and the settings they share."""

from __future__ import annotations

from components.karpenter.karpenter_manifests import KarpenterNodeSettings, KarpenterPool

SHARED = KarpenterNodeSettings(
    cluster_name="mlp-unit",
    ami_version="v20260714",
    cost_tags={"team": "ml-platform", "cost-center": "ml-dev"},
)
SPOT = KarpenterPool(
    name="spot",
    capacity="spot",
    instance_types=("m6a.large", "m7a.large", "m6i.large", "m5a.large", "m5.large"),
    max_size=20,
)
ON_DEMAND = KarpenterPool(
    name="on-demand",
    capacity="on-demand",
    instance_types=("m6a.large", "m5a.large"),
    max_size=8,
    root_volume_gib=60,
)
