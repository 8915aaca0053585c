"""The EC2 instance types the platform knows: shape, on-demand price, spot advisor data.

Read from the price tables shipped in `data/pricing/` (sources and dates in its SOURCES.md).
Node pool validation uses the shapes (a mixed-instances group must be one shape, because the
cluster autoscaler plans with the first type's vCPU and memory), docs/capacity-and-spot.md and the cost report
use the prices.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

PRICING_DIR = Path(__file__).resolve().parents[2] / "data" / "pricing"
ONDEMAND_TABLE = PRICING_DIR / "ec2_ondemand_us_east_1.csv"
SPOT_TABLE = PRICING_DIR / "ec2_spot_us_east_1.csv"
GPU_TABLE = PRICING_DIR / "ec2_gpu_details_us_east_1.csv"

Architecture = Literal["x86_64", "arm64"]

# Graviton families carry a `g` right after the generation digit (m7g, c7gn, r8gd); GPU
# families start with `g` (g5, g6) and are x86_64.
_GRAVITON_FAMILY = re.compile(r"^[a-z]+\d+g[a-z]*$")

MIN_SPOT_INSTANCE_TYPES = 4
"""A pool that carries spot needs at least this many interchangeable types: each type in each
zone is a separate spot capacity pool, and a narrow group is the first cause of failed spot
launches (AWS spot best practices: be flexible across at least 10 types where possible; four
is the floor this platform accepts)."""

MIN_SPOT_GPU_INSTANCE_TYPES = 3
"""The floor for GPU pools. The price table holds exactly three NVIDIA types of each
single-GPU shape (g4dn, g5, g6 at 4 vCPU/16 GiB and at 8 vCPU/32 GiB), so four is impossible
without mixing shapes; three is every type the platform can price."""


@dataclass(frozen=True)
class InstanceType:
    """One row of the price tables."""

    name: str
    vcpu: int
    memory_gib: float
    usd_per_hour: float
    spot_savings_pct: int | None
    """Spot Instance Advisor's average saving over on-demand (trailing 30 days), if listed."""
    interruption_bucket: str | None
    """Spot Instance Advisor's interruption frequency band (`<5%` ... `>20%`), if listed."""
    gpu_count: int = 0
    gpu_name: str = ""

    @property
    def family(self) -> str:
        return self.name.split(".", 1)[0]

    @property
    def architecture(self) -> Architecture:
        return "arm64" if _GRAVITON_FAMILY.match(self.family) else "x86_64"

    @property
    def shape(self) -> tuple[int, float, int]:
        """What the autoscaler and the scheduler see: vCPU, memory, GPUs."""
        return (self.vcpu, self.memory_gib, self.gpu_count)

    @property
    def spot_usd_per_hour(self) -> float | None:
        """Estimated spot price: on-demand less the advisor's average saving."""
        if self.spot_savings_pct is None:
            return None
        return round(self.usd_per_hour * (1 - self.spot_savings_pct / 100), 6)


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


@cache
def instance_catalog() -> Mapping[str, InstanceType]:
    """Every type in the on-demand table, joined with its spot and GPU rows."""
    spot = {row["instance_type"]: row for row in _rows(SPOT_TABLE)}
    gpus = {row["instance_type"]: row for row in _rows(GPU_TABLE)}
    catalog = {}
    for row in _rows(ONDEMAND_TABLE):
        name = row["instance_type"]
        spot_row = spot.get(name)
        gpu_row = gpus.get(name)
        catalog[name] = InstanceType(
            name=name,
            vcpu=int(row["vcpu"]),
            memory_gib=float(row["memory_gib"]),
            usd_per_hour=float(row["usd_per_hour"]),
            spot_savings_pct=int(spot_row["savings_over_ondemand_pct"]) if spot_row else None,
            interruption_bucket=spot_row["interruption_bucket"] if spot_row else None,
            gpu_count=int(gpu_row["gpu_count"]) if gpu_row else 0,
            gpu_name=gpu_row["gpu_name"] if gpu_row else "",
        )
    return catalog


def pool_type_problems(
    instance_types: Sequence[str],
    *,
    carries_spot: bool,
    gpu: bool = False,
    architecture: Architecture = "x86_64",
) -> list[str]:
    """Why a node group's instance types are unusable, as sentences (empty when fine).

    A mixed-instances group must be one shape (vCPU, memory, GPUs): the cluster autoscaler
    sizes the group from the first override, so a larger type wastes money and a smaller one
    leaves pods unschedulable. A spot-bearing group must also be wide enough.
    """
    catalog = instance_catalog()
    problems = []
    duplicates = sorted({name for name in instance_types if list(instance_types).count(name) > 1})
    if duplicates:
        problems.append(f"lists {', '.join(duplicates)} more than once")
    unknown = [name for name in instance_types if name not in catalog]
    if unknown:
        problems.append(
            f"unknown instance type(s) {', '.join(unknown)}: not in data/pricing/"
            f"{ONDEMAND_TABLE.name}, so they can be neither validated nor priced"
        )
    known = [catalog[name] for name in dict.fromkeys(instance_types) if name in catalog]
    wrong_arch = [t.name for t in known if t.architecture != architecture]
    if wrong_arch:
        problems.append(f"{', '.join(wrong_arch)} are not {architecture}, the architecture of the pool's AMI")
    shapes = {t.shape for t in known}
    if len(shapes) > 1:
        listed = "; ".join(f"{t.name} {t.vcpu} vCPU/{t.memory_gib:g} GiB/{t.gpu_count} GPU" for t in known)
        problems.append(f"types differ in vCPU, memory or GPUs ({listed}); every type must be the same shape")
    if gpu and any(t.gpu_count == 0 for t in known):
        problems.append(f"a GPU pool needs GPU types; {', '.join(t.name for t in known if t.gpu_count == 0)} has none")
    if not gpu and any(t.gpu_count > 0 for t in known):
        problems.append(f"{', '.join(t.name for t in known if t.gpu_count)} carry GPUs; use the GPU pool for them")
    floor = MIN_SPOT_GPU_INSTANCE_TYPES if gpu else MIN_SPOT_INSTANCE_TYPES
    distinct = len(set(instance_types))
    if carries_spot and distinct < floor:
        problems.append(
            f"a pool that carries spot needs at least {floor} instance types of the same shape "
            f"(got {distinct}); a narrow spot pool is the first cause of failed spot launches"
        )
    return problems
