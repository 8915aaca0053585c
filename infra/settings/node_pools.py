"""Worker pools: self-managed Auto Scaling groups (one per availability zone) mixing spot and
on-demand capacity."""

from __future__ import annotations

from pydantic import Field, model_validator

from components.capacity.worker_pool import carries_spot
from components.nodes.instance_catalog import pool_type_problems
from infra.settings.base import Section
from infra.settings.rules import KeyRuleError

POOL_NAME_PATTERN = r"^[a-z][a-z0-9-]{0,19}$"
RESERVED_POOL_NAMES = ("system", "gpu")


class NodePoolSettings(Section):
    """One worker pool: an Auto Scaling group with a MixedInstancesPolicy in each availability
    zone (`network.azCount`), all from one launch template. Sizes are the pool's; each zonal group
    gets ceil(size / zones)."""

    instance_types: tuple[str, ...] = Field(
        description="Interchangeable instance types, all the same vCPU and memory (checked "
        "against `data/pricing/`). A pool that carries spot needs at least 4: each type in each "
        "zone is a separate spot capacity pool. Required.",
        min_length=1,
    )
    on_demand_base_capacity: int = Field(
        0,
        ge=0,
        le=100,
        description="Instances always bought on-demand, before any spot, for the whole pool: each "
        "zonal group gets ceil(base / zones), so the pool's base is at least this. Default `0`.",
    )
    on_demand_percentage_above_base_capacity: int = Field(
        0,
        ge=0,
        le=100,
        description="On-demand share of capacity above the base, in percent. `0` = all spot "
        "(capacity type `spot`), `100` = all on-demand (`on-demand`), between = `mixed`. A pool "
        "below 100 carries spot and is tainted `ml-platform.io/spot`. Default `0`.",
    )
    min_size: int = Field(
        0,
        ge=0,
        le=100,
        description="Fewest instances of the pool. Each zonal group gets ceil(minSize / zones), so "
        "the floor you pay is rounded up to a multiple of the zone count (1 in three zones is 3 "
        "nodes, one per zone). Default `0`.",
    )
    max_size: int = Field(
        3,
        ge=1,
        le=100,
        description="Most instances: the autoscaler's ceiling for this pool. Each zonal group gets "
        "ceil(maxSize / zones), so every zone may grow as far as the others. Default `3`.",
    )
    root_volume_gib: int = Field(
        40, ge=20, le=1000, description="Encrypted gp3 root volume per node, in GiB. Default `40`."
    )

    def _type_problems(self) -> list[str]:
        return pool_type_problems(
            self.instance_types, carries_spot=carries_spot(self.on_demand_percentage_above_base_capacity)
        )

    @model_validator(mode="after")
    def _consistent(self) -> NodePoolSettings:
        problems = self._type_problems()
        if problems:
            raise KeyRuleError("instanceTypes", "; ".join(problems), list(self.instance_types))
        if self.min_size > self.max_size:
            raise KeyRuleError("minSize", f"is above maxSize ({self.max_size})", self.min_size)
        if self.on_demand_base_capacity > self.max_size:
            raise KeyRuleError(
                "onDemandBaseCapacity", f"is above maxSize ({self.max_size})", self.on_demand_base_capacity
            )
        return self
